//! What the workers of one stateful search share (`check --jobs N` with `--scheduler stateful`):
//! the visited set, the work not taken yet, the execution budget, and whether the search ended.
//!
//! A *work item* is a path of the search tree: the branch points from the initial state down to
//! one whose next option nobody has taken yet ([`super::stateful`] replays it and goes on from
//! there). The search starts with one item, the empty path (the initial state). A worker whose
//! own subtree is done takes the next item; a worker that sees another one waiting gives away
//! the shallowest branch point of its path with an option left (the biggest subtree it can
//! give), and no longer takes that point's remaining options itself. The search ends when every
//! worker waits and no item is left, or when one worker stopped it (the budget, the first
//! failure).
//!
//! With one worker this is the sequential search exactly: the one item is the initial state and
//! nothing is ever given away. Two workers meet in the visited set only, under a lock taken once
//! per branch point; the update of a state's sleep mask is atomic under it, so a state being
//! explored by one worker when another reaches it is treated as the sequential search treats a
//! state on its own current path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// The visited set: a state's fingerprint and the sleep mask it keeps.
pub(crate) type Visited = HashMap<u128, u64, foldhash::fast::FixedState>;

/// Shared by the workers of one search (`W` is the stateful search's path).
pub(crate) struct Pool<W> {
    jobs: usize,
    pub(crate) visited: Mutex<Visited>,
    work: Mutex<Work<W>>,
    ready: Condvar,
    /// Workers waiting for an item (read without the lock, to decide whether to give one).
    hungry: AtomicUsize,
    /// Items given and not taken yet (read without the lock, as `hungry`).
    queued: AtomicUsize,
    /// Executions started, by every worker (the budget is the whole search's).
    pub(crate) executions: AtomicUsize,
    stopped: AtomicBool,
}

struct Work<W> {
    items: Vec<W>,
    waiting: usize,
    /// Every worker waited with nothing left: the search covered everything.
    finished: bool,
}

impl<W> Pool<W> {
    /// A search of `jobs` workers (at least one), starting from `root`.
    pub(crate) fn new(jobs: usize, root: W) -> Pool<W> {
        Pool {
            jobs: jobs.max(1),
            visited: Mutex::new(HashMap::with_hasher(foldhash::fast::FixedState::with_seed(
                0,
            ))),
            work: Mutex::new(Work {
                items: vec![root],
                waiting: 0,
                finished: false,
            }),
            ready: Condvar::new(),
            hungry: AtomicUsize::new(0),
            queued: AtomicUsize::new(1),
            executions: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// The next item, waiting for one while another worker may still give one; `None` when the
    /// search ended (covered, or stopped).
    pub(crate) fn take(&self) -> Option<W> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if work.finished || self.stopped.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(item) = work.items.pop() {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                return Some(item);
            }
            work.waiting += 1;
            if work.waiting == self.jobs {
                work.finished = true;
                self.ready.notify_all();
                return None;
            }
            self.hungry.fetch_add(1, Ordering::Relaxed);
            work = self.ready.wait(work).unwrap_or_else(|p| p.into_inner());
            self.hungry.fetch_sub(1, Ordering::Relaxed);
            work.waiting -= 1;
        }
    }

    /// Whether some worker waits for an item and none is there for it.
    pub(crate) fn wants_work(&self) -> bool {
        self.hungry.load(Ordering::Relaxed) > self.queued.load(Ordering::Relaxed)
    }

    /// Give an item to a waiting worker.
    pub(crate) fn give(&self, item: W) {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.items.push(item);
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.ready.notify_one();
    }

    /// Stop the search (the budget is spent, or a worker's caller wants no more executions):
    /// every worker ends at its next execution.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        let _work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        self.ready.notify_all();
    }

    /// The search ended with everything covered (not stopped).
    pub(crate) fn covered(&self) -> bool {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.finished && !self.stopped.load(Ordering::Relaxed)
    }

    /// Distinct states visited.
    pub(crate) fn states(&self) -> usize {
        self.visited.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}
