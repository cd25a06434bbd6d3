//! The Win32-like world the MAPI model runs in: SIDs, tokens and impersonation, CreateThread,
//! events with waits, shared memory, and the event log that monitors and reports read.
//!
//! `sim` (with its `backend` and `runner`) is the only module that touches shuttle: variants and
//! the MAPI machinery are written against [`Ctx`] and [`Shm`] alone.
//!
//! Blocking is tracked here, not left to shuttle: when every model thread is blocked (an
//! application thread waiting for a store's signal, a poller idle until the table changes),
//! nothing can ever set an event again. The thread that completes that picture records it as a
//! [`Stall`] and aborts the execution cleanly, so a hang costs no panic and prints nothing. Waits
//! with a timeout are where simulated time shows: a timeout fires only when nothing else can run.
//!
//! On the real-thread backend (`stress`) the same world runs without that global view: timed
//! waits last real time, and a watchdog (`sim::real`) records the stall when a wait outlives its
//! timeout, then aborts the execution the same way.

pub(crate) mod backend;
pub(crate) mod dfs;
pub(crate) mod dpor;
pub(crate) mod follow;
pub(crate) mod footprint;
mod lock;
pub(crate) mod pool;
pub(crate) mod quiet;
pub(crate) mod random;
pub(crate) mod real;
pub(crate) mod runner;
pub(crate) mod schedule;
pub(crate) mod short;
pub mod sid;
pub(crate) mod state;
pub(crate) mod stateful;

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use backend::{Shm, ShmGuard};
pub use sid::{Sid, SidError};

pub use crate::ids::{Actor, EventId, LockId, UserId};
use crate::ids::{ListId, StoreId};
use crate::trace::{Entry, Event};
use backend::{TaskHandle, Waker};

/// How a timed wait ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The event was set.
    Signalled,
    /// Nothing else could run any more, so simulated time ran out the timeout.
    TimedOut,
}

/// The state of the world when every model thread was blocked: a hang, or threads left over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stall {
    /// The log length when the stall was seen: the log index of the next entry.
    pub log_index: u32,
    /// Each blocked thread and the event it waits for.
    pub blocked: Vec<(Actor, EventId)>,
    /// The blocked threads that wait for a lock: (waiter, lock, the thread that holds it).
    pub locks: Vec<(Actor, LockId, Actor)>,
}

/// What the real-thread watchdog saw.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Watch {
    /// A wait outlived the timeout: the stall is recorded and the execution aborted.
    Hung {
        /// No thread was running at that moment (a deadlock beyond doubt, not a slow thread).
        all_blocked: bool,
    },
    /// No wait has outlived the timeout; the oldest wait began then (`None`: nothing waits).
    Waiting(Option<Instant>),
}

/// What a waiting thread does after looking at the world.
enum Park {
    /// Look again at once (woken before it parked).
    No,
    /// Until woken.
    Forever,
    /// Until woken or this much real time passed (real threads' timed waits).
    For(Duration),
}

/// Why a wait did not return: the execution was aborted (a stall or a model panic). The MAPI
/// machinery returns it up to the thread's entry point, which ends the thread; a caller of the
/// public [`Ctx::wait`] unwinds with it instead (never a panic: no hook runs). Returning is much
/// cheaper than unwinding, and leaves the same log and schedule.
#[derive(Debug, PartialEq, Eq)]
pub struct Aborted;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Status {
    Running,
    Blocked(EventId),
    Finished,
}

struct TaskRec {
    actor: Actor,
    impersonating: Option<UserId>,
    status: Status,
    timed: bool,
    timed_out: bool,
    /// Set when the thread starts; a thread that has not started cannot be blocked.
    waker: Option<Waker>,
    /// Its shuttle task id, once known (set when `spawn` returns or the thread starts, whichever
    /// is first: shuttle may run other threads, which create threads of their own, inside a
    /// spawn, so task ids need not follow the order of `tasks`).
    task: Option<usize>,
    /// Real threads only: when the current wait began (what the watchdog measures).
    blocked_at: Option<Instant>,
    /// The store release (store, its session's list) the thread is inside, if any: set by the
    /// machinery around a release's code, so the monitors know a thread that never returns from
    /// one, whatever the code logged.
    releasing: Option<(StoreId, ListId)>,
}

struct EventRec {
    set: bool,
    manual_reset: bool,
}

struct World {
    /// Shared with the compiled scenario (the engine interns every user before the execution);
    /// copied on write if a user is interned during the execution.
    users: Arc<Vec<Sid>>,
    tasks: Vec<TaskRec>,
    events: Vec<EventRec>,
    log: Vec<Entry>,
    aborted: bool,
    completed: bool,
    stall: Option<Stall>,
    panic: Option<(Actor, String)>,
    joins: Vec<TaskHandle>,
    /// Locks ([`Ctx::lock`]), by [`LockId`].
    locks: Vec<lock::LockRec>,
    pollers: u16,
    /// Set when the world runs on real OS threads: then there is no global view of who can run
    /// (no stall detection; a watchdog judges), and a timed wait lasts this long in real time.
    real_timed_wait: Option<Duration>,
}

/// One execution's world. Cheap to clone (a handle).
#[derive(Clone)]
pub struct Sim(Arc<Mutex<World>>);

/// A model thread's view of the world: what Win32 calls "the current thread".
pub struct Ctx {
    sim: Sim,
    me: usize,
    /// Who this thread is (fixed when it is spawned).
    actor: Actor,
    implicit: bool,
}

impl Sim {
    /// A new world whose process runs as `users[0]`; `users` are interned in order.
    pub fn new(users: Vec<Sid>) -> Sim {
        Sim::with_users(Arc::new(users))
    }

    /// A new world over users interned once for many executions (no copy per execution).
    pub(crate) fn with_users(users: Arc<Vec<Sid>>) -> Sim {
        assert!(!users.is_empty(), "the process user comes first");
        let buffers = SPARE
            .try_with(|spare| spare.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_else(|| Buffers {
                tasks: Vec::with_capacity(8),
                events: Vec::with_capacity(16),
                log: Vec::with_capacity(64),
                joins: Vec::with_capacity(4),
            });
        Sim(Arc::new(Mutex::new(World {
            users,
            tasks: buffers.tasks,
            events: buffers.events,
            log: buffers.log,
            aborted: false,
            completed: false,
            stall: None,
            panic: None,
            joins: buffers.joins,
            locks: Vec::new(),
            pollers: 0,
            real_timed_wait: None,
        })))
    }

    /// A world for the real-thread backend: its timed waits last `timed_wait` of real time, and
    /// hangs are left to a watchdog ([`real::run`]).
    pub(crate) fn with_users_real(users: Arc<Vec<Sid>>, timed_wait: Duration) -> Sim {
        let sim = Sim::with_users(users);
        sim.world().real_timed_wait = Some(timed_wait);
        sim
    }

    fn world(&self) -> MutexGuard<'_, World> {
        // The world lock is never held across a scheduling point, so it is never contended and
        // never poisoned by a model panic (those happen outside it).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The canonical name of every thread the execution created, with its shuttle task id once
    /// known, for the stateful search.
    pub(crate) fn task_names(&self) -> Vec<(Option<usize>, u64)> {
        self.world()
            .tasks
            .iter()
            .map(|task| (task.task, task.actor.canonical()))
            .collect()
    }

    /// Hash the world for the stateful search's fingerprint, with ids by their canonical names
    /// (`canon`): into `h`, what every thread can read (each thread, as a multiset so the order
    /// threads were created in does not count, with its token and status; the events; the locks,
    /// their holders by actor; how far the execution got); into `locals`, when given, the
    /// threads again each with its local state, and the main task's. Not the log (the search
    /// hashes what of it the monitors read: [`Sim::hash_past`]), not the users (fixed), not the
    /// id counters (renamed away). One pass gives the search both the shared digest a resuming
    /// thread observes and the fingerprint.
    pub(crate) fn hash_world(&self, h: &mut state::Fp, locals: Option<&mut state::Fp>) {
        use std::hash::{Hash, Hasher};
        let world = self.world();
        let perm = crate::canon::perm();
        crate::canon::hashing(|| {
            let mut tasks: Vec<u128> = Vec::with_capacity(world.tasks.len());
            let mut full: Vec<u128> = Vec::new();
            for task in &world.tasks {
                let mut t = state::Fp::new();
                task.actor.hash(&mut t);
                task.impersonating.hash(&mut t);
                match task.status {
                    Status::Running => t.write_u8(0),
                    Status::Blocked(event) => {
                        t.write_u8(1);
                        event.hash(&mut t);
                    }
                    Status::Finished => t.write_u8(2),
                }
                (task.timed, task.timed_out, task.releasing).hash(&mut t);
                tasks.push(t.finish128());
                if locals.is_some() {
                    if task.status != Status::Finished {
                        match &task.waker {
                            Some(Waker::Task(id)) => {
                                state::local_of(usize::from(*id)).hash_as(perm, &mut t)
                            }
                            _ => state::initial_of(task.actor.canonical(), perm).hash(&mut t),
                        }
                    }
                    full.push(t.finish128());
                }
            }
            tasks.sort_unstable();
            tasks.hash(h);
            let mut events: Vec<u128> = world
                .events
                .iter()
                .enumerate()
                .map(|(id, event)| {
                    let mut e = state::Fp::new();
                    (EventId(id as u32), event.set, event.manual_reset).hash(&mut e);
                    e.finish128()
                })
                .collect();
            events.sort_unstable();
            events.hash(h);
            for lock in &world.locks {
                lock.hash_into(h, &world.tasks);
            }
            (world.aborted, world.completed).hash(h);
            (
                world.stall.is_some(),
                world.panic.is_some(),
                world.joins.len(),
            )
                .hash(h);
            if let Some(l) = locals {
                full.sort_unstable();
                full.hash(l);
                state::local_of(0).hash_as(perm, l);
            }
        });
    }

    /// Hash what of the log the monitors read, for the stateful search's fingerprint
    /// ([`state::hash_past`]), with ids by their canonical names.
    pub(crate) fn hash_past(&self, hs: &mut [state::Fp]) {
        let world = self.world();
        crate::canon::hashing(|| state::hash_past(&world.log, hs));
    }

    /// The SID of an interned user.
    pub fn sid(&self, user: UserId) -> Sid {
        self.world().users[user.0 as usize].clone()
    }

    /// Run `f` with the SID of an interned user, without cloning it.
    pub fn with_sid<R>(&self, user: UserId, f: impl FnOnce(&Sid) -> R) -> R {
        f(&self.world().users[user.0 as usize])
    }

    /// The interned users so far (index = `UserId`), shared rather than copied: a thread can hold
    /// them across scheduling points.
    pub(crate) fn users(&self) -> Arc<Vec<Sid>> {
        self.world().users.clone()
    }

    /// The interned id of `sid`, interning it if it is new.
    pub fn user_id(&self, sid: &Sid) -> UserId {
        let mut world = self.world();
        match world.users.iter().position(|u| u == sid) {
            Some(index) => UserId(index as u16),
            None => {
                let users = Arc::make_mut(&mut world.users);
                users.push(sid.clone());
                UserId(users.len() as u16 - 1)
            }
        }
    }

    /// Start an application thread (process token, no impersonation).
    pub(crate) fn spawn_app(
        &self,
        index: u8,
        f: impl FnOnce(&mut Ctx) + Send + 'static,
    ) -> TaskHandle {
        self.spawn(Actor::Thread(index), f)
    }

    fn spawn(&self, actor: Actor, f: impl FnOnce(&mut Ctx) + Send + 'static) -> TaskHandle {
        let me = {
            let mut world = self.world();
            world.tasks.push(TaskRec {
                actor,
                impersonating: None,
                status: Status::Running,
                timed: false,
                timed_out: false,
                waker: None,
                task: None,
                blocked_at: None,
                releasing: None,
            });
            world.tasks.len() - 1
        };
        let sim = self.clone();
        let handle = backend::spawn(move || {
            if !backend::on_real_threads() {
                sim.world().tasks[me].task = Some(usize::from(backend::current_task()));
            }
            sim.world().tasks[me].waker = Some(backend::current_waker());
            let mut ctx = Ctx {
                sim,
                me,
                actor,
                implicit: false,
            };
            let result = panic::catch_unwind(AssertUnwindSafe(|| f(&mut ctx)));
            if let Err(payload) = result {
                if !payload.is::<Aborted>() {
                    ctx.sim.record_panic(actor, panic_message(&payload));
                }
            }
            ctx.release_held_locks();
            ctx.sim.exit(me);
        });
        if let TaskHandle::Task(task) = &handle {
            self.world().tasks[me].task = Some(usize::from(task.thread().id()));
        }
        handle
    }

    /// Real threads only, for the watchdog: if some wait has lasted `timeout` by `now`, record
    /// the threads blocked at this moment as a [`Stall`] and abort the execution (every blocked
    /// thread wakes and ends). Otherwise, when the oldest wait began (`None`: nothing waits).
    pub(crate) fn watchdog(&self, now: Instant, timeout: Duration) -> Watch {
        let mut world = self.world();
        if world.aborted {
            return Watch::Waiting(None);
        }
        let oldest = world
            .tasks
            .iter()
            .filter(|t| matches!(t.status, Status::Blocked(_)))
            .filter_map(|t| t.blocked_at)
            .min();
        match oldest {
            Some(start) if now.saturating_duration_since(start) >= timeout => {
                // A thread in a timed wait will return by itself: not a deadlock either.
                let all_blocked = !world.tasks.iter().any(|t| {
                    t.status == Status::Running
                        || (t.timed && matches!(t.status, Status::Blocked(_)))
                });
                let blocked = world.waiting();
                world.stall = Some(Stall {
                    log_index: world.log.len() as u32,
                    locks: world.lock_waits(&blocked),
                    blocked,
                });
                world.abort(None);
                Watch::Hung { all_blocked }
            }
            other => Watch::Waiting(other),
        }
    }

    // Waking a thread takes no scheduling point and does not touch the world, so threads are
    // woken while the world is locked, in the order of the tasks, with no list of wakers.

    fn record_panic(&self, actor: Actor, message: String) {
        let mut world = self.world();
        if world.panic.is_none() {
            world.panic = Some((actor, message));
        }
        world.abort(None);
    }

    fn exit(&self, me: usize) {
        let mut world = self.world();
        world.tasks[me].status = Status::Finished;
        world.on_quiet(None);
    }

    /// The handle of the oldest thread created with [`Ctx::create_thread`] and not joined yet
    /// (a thread created while others are joined comes after them).
    pub(crate) fn next_join(&self) -> Option<TaskHandle> {
        let mut world = self.world();
        if world.joins.is_empty() {
            None
        } else {
            Some(world.joins.remove(0))
        }
    }

    /// Mark the execution as having run to its end (every thread joined).
    pub(crate) fn complete(&self) {
        self.world().completed = true;
    }

    /// What the execution left behind, for the monitors and reports (a copy).
    pub(crate) fn outcome(&self) -> SimOutcome {
        let world = self.world();
        SimOutcome {
            users: world.users.to_vec(),
            log: world.log.clone(),
            completed: world.completed,
            stall: world.stall.clone(),
            panic: world.panic.clone(),
            waiting: world.waiting(),
            running: world.running(),
            locks: world.locks.iter().map(|l| l.name.to_string()).collect(),
            releasing: world.releasing(),
        }
    }

    /// Run `f` on what the execution left behind, borrowed: judging an execution copies nothing
    /// (an execution that passes needs no [`SimOutcome`]).
    pub(crate) fn with_outcome<R>(&self, f: impl FnOnce(&OutcomeRef<'_>) -> R) -> R {
        let world = self.world();
        f(&OutcomeRef {
            log: &world.log,
            completed: world.completed,
            stall: world.stall.as_ref(),
            panic: world.panic.as_ref(),
            waiting: world.waiting(),
            running: world.running(),
            releasing: world.releasing(),
        })
    }
}

/// [`SimOutcome`] without the users, borrowed from the world: what the monitors read.
pub(crate) struct OutcomeRef<'a> {
    pub log: &'a [Entry],
    pub completed: bool,
    pub stall: Option<&'a Stall>,
    pub panic: Option<&'a (Actor, String)>,
    pub waiting: Vec<(Actor, EventId)>,
    pub running: Vec<Actor>,
    pub releasing: Vec<(Actor, StoreId, ListId)>,
}

/// What an execution left behind: its log and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOutcome {
    /// The interned users (index = `UserId`).
    pub users: Vec<Sid>,
    /// The event log.
    pub log: Vec<Entry>,
    /// Every thread finished and was joined.
    pub completed: bool,
    /// Set when every model thread blocked.
    pub stall: Option<Stall>,
    /// The first model panic: on which thread, with what message.
    pub panic: Option<(Actor, String)>,
    /// Threads blocked when the execution ended (only non-empty when it was cut off).
    pub waiting: Vec<(Actor, EventId)>,
    /// Threads still running when the execution ended (only when it was cut off).
    pub running: Vec<Actor>,
    /// The names of the execution's locks, by [`LockId`].
    pub locks: Vec<String>,
    /// Threads that ended, or were left, inside a store release: the store and its list.
    pub releasing: Vec<(Actor, StoreId, ListId)>,
}

/// The vectors of a world, emptied, kept from one execution to the next on the OS thread that
/// runs them (shuttle runs every execution of a run on the calling thread): building a world
/// then allocates nothing, and a long log keeps its capacity.
struct Buffers {
    tasks: Vec<TaskRec>,
    events: Vec<EventRec>,
    log: Vec<Entry>,
    joins: Vec<TaskHandle>,
}

thread_local! {
    /// The buffers of the last world dropped on this thread, for the next one.
    static SPARE: RefCell<Option<Buffers>> = const { RefCell::new(None) };
}

impl Drop for World {
    fn drop(&mut self) {
        let mut buffers = Buffers {
            tasks: std::mem::take(&mut self.tasks),
            events: std::mem::take(&mut self.events),
            log: std::mem::take(&mut self.log),
            joins: std::mem::take(&mut self.joins),
        };
        buffers.tasks.clear();
        buffers.events.clear();
        buffers.log.clear();
        // Handles left over (an execution cut off before it joined): dropping one detaches it.
        buffers.joins.clear();
        // Not while the thread-local is being torn down, nor from inside a borrow of it.
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                *spare = Some(buffers);
            }
        });
    }
}

impl World {
    /// The threads blocked now, with the event each waits for (no allocation when none is).
    fn waiting(&self) -> Vec<(Actor, EventId)> {
        self.tasks
            .iter()
            .filter_map(|t| match t.status {
                Status::Blocked(event) => Some((t.actor, event)),
                _ => None,
            })
            .collect()
    }

    /// The threads inside a store release now (no allocation when none is).
    fn releasing(&self) -> Vec<(Actor, StoreId, ListId)> {
        self.tasks
            .iter()
            .filter_map(|t| t.releasing.map(|(store, list)| (t.actor, store, list)))
            .collect()
    }

    /// The threads running now (no allocation when none is).
    fn running(&self) -> Vec<Actor> {
        self.tasks
            .iter()
            .filter(|t| t.status == Status::Running)
            .map(|t| t.actor)
            .collect()
    }

    /// Called after a thread blocked or finished. If no thread can run any more, let simulated
    /// time fire the earliest timed wait; failing that, record the stall and abort. Wakes the
    /// threads that can go on, leaving out `me` (a thread that is not parked yet needs no
    /// wake-up).
    fn on_quiet(&mut self, me: Option<usize>) {
        if self.aborted
            || self.real_timed_wait.is_some()
            || self.tasks.iter().any(|t| t.status == Status::Running)
        {
            return;
        }
        // Nothing can run: what happens now depends on every thread's state.
        footprint::quiet();
        if let Some(index) = self
            .tasks
            .iter()
            .position(|t| t.timed && matches!(t.status, Status::Blocked(_)))
        {
            let task = &mut self.tasks[index];
            task.timed_out = true;
            task.status = Status::Running;
            if Some(index) != me {
                task.waker.iter().for_each(Waker::wake);
            }
            return;
        }
        let blocked = self.waiting();
        if blocked.is_empty() {
            return;
        }
        self.stall = Some(Stall {
            log_index: self.log.len() as u32,
            locks: self.lock_waits(&blocked),
            blocked,
        });
        self.abort(me);
    }

    /// Abort the execution: every blocked thread wakes and ends with [`Aborted`].
    fn abort(&mut self, me: Option<usize>) {
        self.aborted = true;
        footprint::quiet();
        for (index, task) in self.tasks.iter_mut().enumerate() {
            if matches!(task.status, Status::Blocked(_)) {
                task.status = Status::Running;
                if Some(index) != me {
                    task.waker.iter().for_each(Waker::wake);
                }
            }
        }
    }
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

impl Ctx {
    /// The world this thread lives in.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Who this thread is.
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// The user this thread impersonates, if it does.
    pub fn impersonating(&self) -> Option<UserId> {
        self.sim.world().tasks[self.me].impersonating
    }

    /// The user this thread acts as: the impersonated user, else the process user.
    pub fn effective_user(&self) -> UserId {
        self.sim.world().tasks[self.me]
            .impersonating
            .unwrap_or(UserId(0))
    }

    /// `ImpersonateLoggedOnUser`: act as `user` from now on.
    pub fn impersonate(&mut self, user: UserId) {
        self.sim.world().tasks[self.me].impersonating = Some(user);
    }

    /// `RevertToSelf`: act as the process user again.
    pub fn revert(&mut self) {
        self.sim.world().tasks[self.me].impersonating = None;
    }

    /// Mark (or, with `None`, unmark) the thread as inside the release of a store on a list.
    pub(crate) fn set_releasing(&self, releasing: Option<(StoreId, ListId)>) {
        self.sim.world().tasks[self.me].releasing = releasing;
    }

    /// Whether what this thread logs from now on is implicit cleanup.
    pub fn set_implicit(&mut self, implicit: bool) {
        self.implicit = implicit;
    }

    /// Append to the execution's event log.
    pub fn log(&self, event: Event) {
        let mut world = self.sim.world();
        let index = world.log.len() as u32;
        let entry = Entry {
            index,
            actor: self.actor,
            implicit: self.implicit,
            event,
        };
        world.log.push(entry);
    }

    /// The next poller id (`P1`, `P2`, ...), for a thread about to be created as a poller.
    pub fn next_poller_id(&self) -> u16 {
        let mut world = self.sim.world();
        world.pollers += 1;
        world.pollers
    }

    /// `CreateThread`: start poller `id` running `f`. Like Win32, the new thread starts with the
    /// process token and no impersonation, whoever creates it.
    pub fn create_thread(&self, id: u16, f: impl FnOnce(&mut Ctx) + Send + 'static) {
        let handle = self.sim.spawn(Actor::Poller(id), f);
        self.sim.world().joins.push(handle);
    }

    /// `CreateThread` for application thread `index` (a scenario's `spawned` thread): like
    /// every new thread it starts with the process token and no impersonation, whatever this
    /// thread's token. The execution's main task joins it at the end, with the pollers.
    pub(crate) fn spawn_app_thread(&self, index: u8, f: impl FnOnce(&mut Ctx) + Send + 'static) {
        let handle = self.sim.spawn(Actor::Thread(index), f);
        self.sim.world().joins.push(handle);
    }

    /// `CreateEvent`: a new, unset event.
    pub fn create_event(&self, manual_reset: bool) -> EventId {
        self.sim
            .create_event_by(manual_reset, self.actor.canonical())
    }
}

impl Sim {
    /// `CreateEvent` before any thread runs (the engine's application-level events).
    pub(crate) fn create_event(&self, manual_reset: bool) -> EventId {
        self.create_event_by(manual_reset, crate::canon::root(None))
    }

    /// A new, unset event made by `creator` (a canonical name, for the stateful search).
    fn create_event_by(&self, manual_reset: bool, creator: u64) -> EventId {
        let id = self.create_event_raw(manual_reset);
        crate::canon::born(crate::canon::Kind::Event, id.0, creator);
        id
    }

    fn create_event_raw(&self, manual_reset: bool) -> EventId {
        let mut world = self.world();
        world.events.push(EventRec {
            set: false,
            manual_reset,
        });
        EventId(world.events.len() as u32 - 1)
    }
}

impl Ctx {
    /// `SetEvent`: set the event and wake its waiters.
    pub fn set_event(&self, event: EventId) {
        let mut world = self.sim.world();
        footprint::set_event(event.0, !world.events[event.0 as usize].set);
        world.events[event.0 as usize].set = true;
        for task in world.tasks.iter_mut() {
            if task.status == Status::Blocked(event) {
                task.status = Status::Running;
                task.waker.iter().for_each(Waker::wake);
            }
        }
    }

    /// `WaitForSingleObject(event, INFINITE)`. If the execution is aborted meanwhile, the thread
    /// unwinds (with a private payload, not a panic) to its entry point.
    pub fn wait(&self, event: EventId) {
        if self.try_wait(event).is_err() {
            panic::resume_unwind(Box::new(Aborted));
        }
    }

    /// `WaitForSingleObject(event, timeout)`: times out only when no thread can run any more.
    pub fn wait_timeout(&self, event: EventId) -> WaitOutcome {
        match self.try_wait_timeout(event) {
            Ok(outcome) => outcome,
            Err(aborted) => panic::resume_unwind(Box::new(aborted)),
        }
    }

    /// [`Ctx::wait`] that returns `Err(Aborted)` when the execution is aborted: the caller returns
    /// it up to the thread's entry point, without unwinding.
    pub fn try_wait(&self, event: EventId) -> Result<(), Aborted> {
        let outcome = self.wait_inner(event, false)?;
        debug_assert_eq!(outcome, WaitOutcome::Signalled);
        Ok(())
    }

    /// [`Ctx::wait_timeout`] that returns `Err(Aborted)` when the execution is aborted.
    pub fn try_wait_timeout(&self, event: EventId) -> Result<WaitOutcome, Aborted> {
        self.wait_inner(event, true)
    }

    fn wait_inner(&self, event: EventId, timed: bool) -> Result<WaitOutcome, Aborted> {
        loop {
            let park = {
                let mut world = self.sim.world();
                if world.aborted {
                    world.tasks[self.me].blocked_at = None;
                    return Err(Aborted);
                }
                let real = world.real_timed_wait;
                let rec = &mut world.events[event.0 as usize];
                let obj = footprint::Obj::Event(event.0);
                if rec.set {
                    let kind = if rec.manual_reset {
                        footprint::Kind::Read
                    } else {
                        footprint::Kind::Write
                    };
                    footprint::waited(event.0, kind);
                    state::read((event, true));
                    rec.set = rec.manual_reset;
                    let task = &mut world.tasks[self.me];
                    task.status = Status::Running;
                    task.blocked_at = None;
                    return Ok(WaitOutcome::Signalled);
                }
                // Found unset: it times out or blocks. Blocking records no access the sets of
                // the event race with: the wait touches the event when it returns (woken by the
                // step that set it, which happens before), and a blocked wait that is woken can
                // do everything a wait that found the event set could, so the two orders need
                // not both be explored. On an auto-reset event it records `Blocked`, which races
                // with another thread's consuming wait: the order of two contenders for one
                // event (a lock) decides which of them goes on, so both orders are explored.
                let manual_reset = rec.manual_reset;
                let task = &mut world.tasks[self.me];
                if std::mem::take(&mut task.timed_out) {
                    footprint::access(obj, footprint::Kind::Read);
                    state::read((event, false));
                    task.timed = false;
                    task.status = Status::Running;
                    return Ok(WaitOutcome::TimedOut);
                }
                if let Some(timed_wait) = real {
                    let now = Instant::now();
                    // Set once per wait (cleared when it returns): the wait's start.
                    let started = *task.blocked_at.get_or_insert(now);
                    let park = if timed {
                        let deadline = started + timed_wait;
                        if now >= deadline {
                            task.status = Status::Running;
                            task.blocked_at = None;
                            return Ok(WaitOutcome::TimedOut);
                        }
                        Park::For(deadline - now)
                    } else {
                        Park::Forever
                    };
                    // No global view on real threads: nothing else to decide here.
                    task.status = Status::Blocked(event);
                    task.timed = timed;
                    park
                } else {
                    if !manual_reset {
                        footprint::access(obj, footprint::Kind::Blocked);
                    }
                    task.status = Status::Blocked(event);
                    task.timed = timed;
                    world.on_quiet(Some(self.me));
                    // Completing a stall wakes this thread too (it is not parked yet): then it
                    // loops and finds its timeout or the abort instead of parking.
                    if world.tasks[self.me].status == Status::Running {
                        Park::No
                    } else {
                        Park::Forever
                    }
                }
            };
            match park {
                Park::For(timeout) => backend::park_timeout(timeout),
                Park::Forever => backend::park(),
                Park::No => {}
            }
        }
    }

    /// A scheduling point with no other effect (a poll interval).
    pub fn yield_now(&self) {
        backend::yield_now();
    }
}
