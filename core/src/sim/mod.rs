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

pub(crate) mod backend;
pub(crate) mod runner;
pub mod sid;

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

pub use backend::{Shm, ShmGuard};
pub use sid::{Sid, SidError};

use crate::trace::{Entry, Event};
use backend::{TaskHandle, Waker};

/// An interned user (index into the execution's user table; 0 is the process user).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UserId(pub u16);

/// A Win32-like event object.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EventId(pub u32);

/// Who does something: an application thread (by index) or a poller (by id, from 1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    /// Application thread number `n` (0-based index into the scenario's threads).
    Thread(u8),
    /// Poller `Pn` (1-based).
    Poller(u16),
}

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
    /// The log length when the stall was seen.
    pub step: u32,
    /// Each blocked thread and the event it waits for.
    pub blocked: Vec<(Actor, EventId)>,
}

/// The payload a task unwinds with when the execution is aborted (never a panic: no hook runs).
pub(crate) struct Aborted;

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
}

struct EventRec {
    set: bool,
    manual_reset: bool,
}

struct World {
    users: Vec<Sid>,
    tasks: Vec<TaskRec>,
    events: Vec<EventRec>,
    log: Vec<Entry>,
    aborted: bool,
    completed: bool,
    stall: Option<Stall>,
    panic: Option<(Actor, String)>,
    joins: Vec<TaskHandle>,
    pollers: u16,
}

/// One execution's world. Cheap to clone (a handle).
#[derive(Clone)]
pub struct Sim(Arc<Mutex<World>>);

/// A model thread's view of the world: what Win32 calls "the current thread".
pub struct Ctx {
    sim: Sim,
    me: usize,
    implicit: bool,
}

impl Sim {
    /// A new world whose process runs as `users[0]`; `users` are interned in order.
    pub fn new(users: Vec<Sid>) -> Sim {
        assert!(!users.is_empty(), "the process user comes first");
        Sim(Arc::new(Mutex::new(World {
            users,
            tasks: Vec::with_capacity(8),
            events: Vec::with_capacity(16),
            log: Vec::with_capacity(64),
            aborted: false,
            completed: false,
            stall: None,
            panic: None,
            joins: Vec::new(),
            pollers: 0,
        })))
    }

    fn world(&self) -> MutexGuard<'_, World> {
        // The world lock is never held across a scheduling point, so it is never contended and
        // never poisoned by a model panic (those happen outside it).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The SID of an interned user.
    pub fn sid(&self, user: UserId) -> Sid {
        self.world().users[user.0 as usize].clone()
    }

    /// Run `f` with the SID of an interned user, without cloning it.
    pub fn with_sid<R>(&self, user: UserId, f: impl FnOnce(&Sid) -> R) -> R {
        f(&self.world().users[user.0 as usize])
    }

    /// The interned id of `sid`, interning it if it is new.
    pub fn user_id(&self, sid: &Sid) -> UserId {
        let mut world = self.world();
        match world.users.iter().position(|u| u == sid) {
            Some(index) => UserId(index as u16),
            None => {
                world.users.push(sid.clone());
                UserId(world.users.len() as u16 - 1)
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
            });
            world.tasks.len() - 1
        };
        let sim = self.clone();
        backend::spawn(move || {
            sim.world().tasks[me].waker = Some(backend::current_waker());
            let mut ctx = Ctx {
                sim,
                me,
                implicit: false,
            };
            let result = panic::catch_unwind(AssertUnwindSafe(|| f(&mut ctx)));
            if let Err(payload) = result {
                if !payload.is::<Aborted>() {
                    ctx.sim.record_panic(actor, panic_message(&payload));
                }
            }
            ctx.sim.exit(me);
        })
    }

    fn record_panic(&self, actor: Actor, message: String) {
        let wakers = {
            let mut world = self.world();
            if world.panic.is_none() {
                world.panic = Some((actor, message));
            }
            world.abort(None)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    fn exit(&self, me: usize) {
        let wakers = {
            let mut world = self.world();
            world.tasks[me].status = Status::Finished;
            world.on_quiet(None)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Take the handles of the threads created with [`Ctx::create_thread`] so far.
    pub(crate) fn take_joins(&self) -> Vec<TaskHandle> {
        std::mem::take(&mut self.world().joins)
    }

    /// Mark the execution as having run to its end (every thread joined).
    pub(crate) fn complete(&self) {
        self.world().completed = true;
    }

    /// What the execution left behind, for the monitors.
    pub(crate) fn outcome(&self) -> SimOutcome {
        let world = self.world();
        SimOutcome {
            users: world.users.clone(),
            log: world.log.clone(),
            completed: world.completed,
            stall: world.stall.clone(),
            panic: world.panic.clone(),
            waiting: world
                .tasks
                .iter()
                .filter_map(|t| match t.status {
                    Status::Blocked(event) => Some((t.actor, event)),
                    _ => None,
                })
                .collect(),
            running: world
                .tasks
                .iter()
                .filter(|t| t.status == Status::Running)
                .map(|t| t.actor)
                .collect(),
        }
    }
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
}

impl World {
    /// Called after a thread blocked or finished. If no thread can run any more, let simulated
    /// time fire the earliest timed wait; failing that, record the stall and abort. Returns the
    /// threads to wake, leaving out `me` (a thread that is not parked yet needs no wake-up).
    fn on_quiet(&mut self, me: Option<usize>) -> Vec<Waker> {
        if self.aborted || self.tasks.iter().any(|t| t.status == Status::Running) {
            return Vec::new();
        }
        if let Some(index) = self
            .tasks
            .iter()
            .position(|t| t.timed && matches!(t.status, Status::Blocked(_)))
        {
            let task = &mut self.tasks[index];
            task.timed_out = true;
            task.status = Status::Running;
            return if Some(index) == me {
                Vec::new()
            } else {
                task.waker.into_iter().collect()
            };
        }
        let blocked: Vec<(Actor, EventId)> = self
            .tasks
            .iter()
            .filter_map(|t| match t.status {
                Status::Blocked(event) => Some((t.actor, event)),
                _ => None,
            })
            .collect();
        if blocked.is_empty() {
            return Vec::new();
        }
        self.stall = Some(Stall {
            step: self.log.len() as u32,
            blocked,
        });
        self.abort(me)
    }

    /// Abort the execution: every blocked thread wakes and unwinds with [`Aborted`].
    fn abort(&mut self, me: Option<usize>) -> Vec<Waker> {
        self.aborted = true;
        let mut wakers = Vec::new();
        for (index, task) in self.tasks.iter_mut().enumerate() {
            if matches!(task.status, Status::Blocked(_)) {
                task.status = Status::Running;
                if Some(index) != me {
                    wakers.extend(task.waker);
                }
            }
        }
        wakers
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
        self.sim.world().tasks[self.me].actor
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

    /// Whether what this thread logs from now on is implicit cleanup.
    pub fn set_implicit(&mut self, implicit: bool) {
        self.implicit = implicit;
    }

    /// Append to the execution's event log.
    pub fn log(&self, event: Event) {
        let actor = self.actor();
        let mut world = self.sim.world();
        let step = world.log.len() as u32;
        world.log.push(Entry {
            step,
            actor,
            implicit: self.implicit,
            event,
        });
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

    /// `CreateEvent`: a new, unset event.
    pub fn create_event(&self, manual_reset: bool) -> EventId {
        let mut world = self.sim.world();
        world.events.push(EventRec {
            set: false,
            manual_reset,
        });
        EventId(world.events.len() as u32 - 1)
    }

    /// `SetEvent`: set the event and wake its waiters.
    pub fn set_event(&self, event: EventId) {
        let wakers: Vec<Waker> = {
            let mut world = self.sim.world();
            world.events[event.0 as usize].set = true;
            world
                .tasks
                .iter_mut()
                .filter(|t| t.status == Status::Blocked(event))
                .filter_map(|t| {
                    t.status = Status::Running;
                    t.waker
                })
                .collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// `WaitForSingleObject(event, INFINITE)`.
    pub fn wait(&self, event: EventId) {
        let outcome = self.wait_inner(event, false);
        debug_assert_eq!(outcome, WaitOutcome::Signalled);
    }

    /// `WaitForSingleObject(event, timeout)`: times out only when no thread can run any more.
    pub fn wait_timeout(&self, event: EventId) -> WaitOutcome {
        self.wait_inner(event, true)
    }

    fn wait_inner(&self, event: EventId, timed: bool) -> WaitOutcome {
        loop {
            let (block, wakers) = {
                let mut world = self.sim.world();
                if world.aborted {
                    drop(world);
                    panic::resume_unwind(Box::new(Aborted));
                }
                let rec = &mut world.events[event.0 as usize];
                if rec.set {
                    rec.set = rec.manual_reset;
                    world.tasks[self.me].status = Status::Running;
                    return WaitOutcome::Signalled;
                }
                let task = &mut world.tasks[self.me];
                if std::mem::take(&mut task.timed_out) {
                    task.timed = false;
                    task.status = Status::Running;
                    return WaitOutcome::TimedOut;
                }
                task.status = Status::Blocked(event);
                task.timed = timed;
                let wakers = world.on_quiet(Some(self.me));
                // Completing a stall wakes this thread too (it is not parked yet): then it loops
                // and finds its timeout or the abort instead of parking.
                (world.tasks[self.me].status != Status::Running, wakers)
            };
            wakers.into_iter().for_each(Waker::wake);
            if block {
                backend::park();
            }
        }
    }

    /// A scheduling point with no other effect (a poll interval).
    pub fn yield_now(&self) {
        backend::yield_now();
    }
}
