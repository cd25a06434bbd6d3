//! What of an execution's past the monitors read: the stateful search's fingerprint holds this
//! summary of the log instead of the whole log (`sim::state`).
//!
//! Two paths to one state of the model (the same table, threads, locals and events) may have
//! logged different things on the way. What the monitors conclude at the end depends on the
//! past only through these facts, so two paths with the same facts end alike under every
//! continuation, and the search explores only one of them:
//!
//! - the safety invariants already violated (`poller-owns-list`, `list-isolation`, `work-done`:
//!   [`super::judge_ownership`], [`super::judge_isolation`] and [`super::judge_work`] on the log
//!   so far, whose findings nothing later undoes);
//! - per list: the user its creator filed it for, the first user that logged on to it (what
//!   `list-isolation` compares the next logons with), whether it is still in the table, and the
//!   poller the log last named for it (what a release blocked outside a `release-wait` waits for);
//! - per poller: the list it was created for (`poller-owns-list`), how it ended if it did (quit,
//!   with the lists it saw and its user; stopped; exhausted), the list it last found, and the
//!   lock it waits for (`poller-signals`' account of the poller, `PollerEnd`);
//! - per store: the poller its release waited for (a poller the table handed the list to does
//!   no wrong-list work) and whether a poller did its work (`work-done`);
//! - per application thread: its logons outside the implicit cleanup and whether it finished
//!   (whether a cut-off hang is certain, `settle`), whether it was spawned and how often it set
//!   each application event (the wait-for chains), and its pending waits: a `release-wait`
//!   until its `release-done`, an application wait until its `app-wait-done` (what a blocked
//!   thread waits for).
//!
//! The same facts with their log indices left out: those differ between paths and decide no
//! verdict. Everything a monitor reads from the log is one of these: a monitor that starts
//! reading something else must add it here (ARCHITECTURE.md, "Architecture invariants"), and
//! the soundness tests (`tests/it/stateful.rs`: the same verdicts and terminal outcomes as DPOR)
//! would show the omission.

use std::hash::Hash;

use crate::sim::state::Fp;
use crate::sim::{Actor, EventId, LockId, UserId};
use crate::trace::{Entry, Event, ListId, PollerId, StoreId, WaitOn};

/// Hash the facts of `log` that the monitors read into `h`, with ids by their canonical names
/// (the caller hashes inside `canon::hashing`) and each kind of fact as a set (the order in
/// which ids were numbered does not count). `hs[g]` takes them under permutation `g`
/// (`canon::with_perm`): the past is read from the log once for all of them.
pub(crate) fn hash_past(log: &[Entry], hs: &mut [Fp]) {
    let mut past = Past::default();
    for entry in log {
        past.apply(entry);
    }
    past.hash_into(violated(log), hs);
}

/// [`hash_past`] of the running execution's log, read incrementally: the stateful search takes
/// a fingerprint at each of its branch points, and within one execution (`state::execution`) the
/// log only grows, so the facts of the entries read before are kept and only the new entries
/// are applied. The violated invariants are judged again only when a new entry is one a
/// finding is made at (`DidWork`, `Logon`, `ReleaseDone`: nothing later undoes a finding, and
/// each judge finds only at those). Debug builds compare the result with [`hash_past`]'s.
pub(crate) fn hash_past_running(log: &[Entry], hs: &mut [Fp]) {
    RUNNING.with(|running| {
        let mut running = running.borrow_mut();
        let execution = crate::sim::state::execution();
        if running.execution != execution || running.applied > log.len() {
            *running = Running {
                execution,
                ..Running::default()
            };
        }
        let new = &log[running.applied..];
        let judge = new.iter().any(|entry| {
            matches!(
                entry.event,
                Event::DidWork { .. } | Event::Logon { .. } | Event::ReleaseDone { .. }
            )
        });
        for entry in new {
            running.past.apply(entry);
        }
        running.applied = log.len();
        if judge {
            running.violated |= violated(log);
        }
        running.past.hash_into(running.violated, hs);
    });
    if cfg!(debug_assertions) {
        let mut fresh: Vec<Fp> = hs.iter().map(|_| Fp::new()).collect();
        hash_past(log, &mut fresh);
        let mut again: Vec<Fp> = hs.iter().map(|_| Fp::new()).collect();
        RUNNING.with(|running| {
            let running = running.borrow();
            running.past.hash_into(running.violated, &mut again);
        });
        let finish = |hs: &[Fp]| hs.iter().map(Fp::finish128).collect::<Vec<_>>();
        assert_eq!(
            finish(&fresh),
            finish(&again),
            "the past read incrementally is the past read whole"
        );
    }
}

/// The safety invariants `log` already violates, a bit per severity.
fn violated(log: &[Entry]) -> u8 {
    let mut findings = Vec::new();
    super::judge_ownership(log, &mut findings);
    super::judge_isolation(log, &mut findings);
    super::judge_work(log, &mut findings);
    let mut violated = 0u8;
    for finding in &findings {
        violated |= 1 << finding.invariant().severity();
    }
    violated
}

/// The running execution's past as far as [`hash_past_running`] read its log.
#[derive(Default)]
struct Running {
    execution: u64,
    applied: usize,
    past: Past,
    violated: u8,
}

thread_local! {
    static RUNNING: std::cell::RefCell<Running> = std::cell::RefCell::new(Running::default());
}

/// The records as a set: each one's hash, sorted.
fn set<T: Hash>(records: &[T]) -> Vec<u128> {
    let mut hashes: Vec<u128> = records
        .iter()
        .map(|record| {
            let mut h = Fp::new();
            record.hash(&mut h);
            h.finish128()
        })
        .collect();
    hashes.sort_unstable();
    hashes
}

#[derive(Default)]
struct Past {
    lists: Vec<List>,
    pollers: Vec<Poller>,
    stores: Vec<Store>,
    threads: Vec<Thread>,
}

#[derive(Hash)]
struct List {
    id: ListId,
    user: UserId,
    first_logon: Option<UserId>,
    live: bool,
    poller: Option<PollerId>,
}

#[derive(Hash)]
struct Poller {
    id: PollerId,
    owner: ListId,
    end: Option<End>,
    serving: Option<ListId>,
    lock_wait: Option<(LockId, Actor)>,
}

#[derive(Copy, Clone, Hash)]
enum End {
    Quit { lists: u16, user: UserId },
    Stopped,
    Exhausted,
}

#[derive(Hash)]
struct Store {
    id: StoreId,
    waited_for: Option<PollerId>,
    worked: bool,
}

#[derive(Default, Hash)]
struct Thread {
    id: ThreadIndex,
    logons: u32,
    done: bool,
    spawned: bool,
    /// (application event, times set), in the order first set.
    signals: Vec<(u16, u32)>,
    /// Pending release waits (event, store, list, poller).
    releases: Vec<(EventId, StoreId, ListId, PollerId)>,
    /// Pending application waits.
    waits: Vec<(EventId, WaitOn)>,
}

/// An application thread's index, hashed as `canon::thread` names it: its image under the
/// permutation a fingerprint is taken under (`canon::with_perm`).
#[derive(Copy, Clone, Default, PartialEq, Eq)]
struct ThreadIndex(u8);

impl Hash for ThreadIndex {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        crate::canon::thread(self.0).hash(h);
    }
}

impl Past {
    /// Hash the facts, with `violated`, under each permutation, leaving out the pollers and
    /// lists nothing can ask about any more: a poller that has ended, that no pending release
    /// waits for and that no list still in the table names as its poller (it takes no more
    /// steps, and a release can only come to wait for a list's latest poller); a list no longer
    /// in the table that no poller kept and no pending release names (nobody logs on to it,
    /// finds it or releases on it again). Whether a safety invariant was violated on them is in
    /// the violated set already; every poller left out has exited (what
    /// `every_poller_exited` asks). Two paths that differ only in how such a poller ended, or
    /// in a dead list's facts, then continue alike.
    fn hash_into(&self, violated: u8, hs: &mut [Fp]) {
        let pending: Vec<(ListId, PollerId)> = self
            .threads
            .iter()
            .flat_map(|t| t.releases.iter().map(|r| (r.2, r.3)))
            .collect();
        let pollers: Vec<&Poller> = self
            .pollers
            .iter()
            .filter(|p| {
                p.end.is_none()
                    || pending.iter().any(|r| r.1 == p.id)
                    || self.lists.iter().any(|l| l.live && l.poller == Some(p.id))
            })
            .collect();
        let lists: Vec<&List> = self
            .lists
            .iter()
            .filter(|l| {
                l.live
                    || pending.iter().any(|r| r.0 == l.id)
                    || pollers
                        .iter()
                        .any(|p| p.owner == l.id || p.serving == Some(l.id))
            })
            .collect();
        // Under each permutation: the records' ids hash by their names under it.
        for (perm, h) in hs.iter_mut().enumerate() {
            crate::canon::with_perm(perm, || {
                violated.hash(h);
                set(&lists).hash(h);
                set(&pollers).hash(h);
                set(&self.stores).hash(h);
                set(&self.threads).hash(h);
            });
        }
    }

    fn list(&mut self, id: ListId) -> Option<&mut List> {
        self.lists.iter_mut().find(|l| l.id == id)
    }

    fn poller(&mut self, id: PollerId) -> Option<&mut Poller> {
        self.pollers.iter_mut().find(|p| p.id == id)
    }

    fn store(&mut self, id: StoreId) -> &mut Store {
        if let Some(index) = self.stores.iter().position(|s| s.id == id) {
            return &mut self.stores[index];
        }
        self.stores.push(Store {
            id,
            waited_for: None,
            worked: false,
        });
        self.stores.last_mut().expect("just pushed")
    }

    fn thread(&mut self, id: u8) -> &mut Thread {
        let id = ThreadIndex(id);
        if let Some(index) = self.threads.iter().position(|t| t.id == id) {
            return &mut self.threads[index];
        }
        self.threads.push(Thread {
            id,
            ..Thread::default()
        });
        self.threads.last_mut().expect("just pushed")
    }

    fn ended(&mut self, poller: PollerId, end: End) {
        if let Some(p) = self.poller(poller) {
            // The first end counts (as `poller_end` reads it).
            p.end.get_or_insert(end);
        }
    }

    fn apply(&mut self, entry: &Entry) {
        let thread = match entry.actor {
            Actor::Thread(t) => Some(t),
            Actor::Poller(_) => None,
        };
        match entry.event {
            Event::ListCreated { list, user, .. } => self.lists.push(List {
                id: list,
                user,
                first_logon: None,
                live: true,
                poller: None,
            }),
            Event::ListRemoved { list, .. } => {
                if let Some(l) = self.list(list) {
                    l.live = false;
                }
            }
            Event::PollerCreated { poller, list }
            | Event::PollerRespawned {
                new: poller, list, ..
            } => {
                if let Some(l) = self.list(list) {
                    l.poller = Some(poller);
                }
                self.pollers.push(Poller {
                    id: poller,
                    owner: list,
                    end: None,
                    serving: None,
                    lock_wait: None,
                });
            }
            Event::Logon { list, user, .. } => {
                if let Some(l) = self.list(list) {
                    l.first_logon.get_or_insert(user);
                }
                if let Some(t) = thread.filter(|_| !entry.implicit) {
                    self.thread(t).logons += 1;
                }
            }
            Event::PollerQuit {
                poller,
                lists,
                user,
            } => self.ended(poller, End::Quit { lists, user }),
            Event::PollerStopped { poller } => self.ended(poller, End::Stopped),
            Event::PollerExhausted { poller } => self.ended(poller, End::Exhausted),
            Event::PollerFound { poller, list, .. } => {
                if let Some(p) = self.poller(poller).filter(|p| p.end.is_none()) {
                    p.serving = Some(list);
                }
            }
            Event::LockWait { lock, holder } => {
                if let Actor::Poller(id) = entry.actor {
                    if let Some(p) = self.poller(PollerId(id)).filter(|p| p.end.is_none()) {
                        p.lock_wait = Some((lock, holder));
                    }
                }
            }
            Event::LockTaken { .. } => {
                if let Actor::Poller(id) = entry.actor {
                    if let Some(p) = self.poller(PollerId(id)).filter(|p| p.end.is_none()) {
                        p.lock_wait = None;
                    }
                }
            }
            Event::ReleaseWait {
                store,
                list,
                poller,
                event,
                ..
            } => {
                self.store(store).waited_for = Some(poller);
                if let Some(t) = thread {
                    self.thread(t).releases.push((event, store, list, poller));
                }
            }
            Event::ReleaseDone { store, .. } => {
                if let Some(t) = thread {
                    self.thread(t).releases.retain(|r| r.1 != store);
                }
            }
            Event::DidWork { store, .. } => self.store(store).worked = true,
            Event::ThreadDone => {
                if let Some(t) = thread {
                    self.thread(t).done = true;
                }
            }
            Event::Spawn { thread: spawned } => self.thread(spawned).spawned = true,
            Event::AppWait { on, event } => {
                if let Some(t) = thread {
                    self.thread(t).waits.push((event, on));
                }
            }
            Event::AppWaitDone { on } => {
                if let Some(t) = thread {
                    let waits = &mut self.thread(t).waits;
                    if let Some(index) = waits.iter().rposition(|w| w.1 == on) {
                        waits.remove(index);
                    }
                }
            }
            Event::AppSignal { event } => {
                if let Some(t) = thread {
                    let signals = &mut self.thread(t).signals;
                    match signals.iter_mut().find(|s| s.0 == event) {
                        Some(s) => s.1 += 1,
                        None => signals.push((event, 1)),
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u32, actor: Actor, event: Event) -> Entry {
        Entry {
            index,
            actor,
            implicit: false,
            event,
        }
    }

    fn hash(log: &[Entry]) -> u128 {
        let mut h = Fp::new();
        hash_past(log, std::slice::from_mut(&mut h));
        h.finish128()
    }

    #[test]
    fn the_order_of_unrelated_facts_and_log_indices_do_not_count_a_violation_does() {
        let t0 = Actor::Thread(0);
        let t1 = Actor::Thread(1);
        let a = entry(0, t0, Event::AppSignal { event: 0 });
        let b = entry(1, t1, Event::AppSignal { event: 1 });
        let (a2, b2) = (Entry { index: 1, ..a }, Entry { index: 0, ..b });
        assert_eq!(hash(&[a, b]), hash(&[b2, a2]));
        assert_ne!(hash(&[a, b]), hash(&[a, a]));
        // The same facts in the end (the store's work done, its release returned), but a
        // release that returned before the work was done is a violation, and stays one.
        let created = [
            entry(
                0,
                t0,
                Event::ListCreated {
                    list: ListId(1),
                    user: UserId(1),
                    key: crate::trace::FiledKey::Crc32(7),
                },
            ),
            entry(
                1,
                t0,
                Event::PollerCreated {
                    poller: PollerId(1),
                    list: ListId(1),
                },
            ),
        ];
        let done = entry(
            2,
            t0,
            Event::ReleaseDone {
                store: StoreId(1),
                timed_out: true,
            },
        );
        let worked = entry(
            2,
            Actor::Poller(1),
            Event::DidWork {
                poller: PollerId(1),
                list: ListId(1),
                store: StoreId(1),
            },
        );
        let in_order: Vec<Entry> = created.iter().copied().chain([worked, done]).collect();
        let too_early: Vec<Entry> = created.iter().copied().chain([done, worked]).collect();
        assert_ne!(hash(&in_order), hash(&too_early));
    }
}
