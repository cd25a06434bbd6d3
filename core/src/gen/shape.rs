//! Application shapes: a built scenario organised as a real application would be (DESIGN.md,
//! "Scenario format"): names for users, an application lock around some threads' MAPI work, a
//! store handed over to another thread (named handles, an application event), loops
//! (`repeat`), and a main thread that spawns the workers and joins them, maybe holding a
//! process-user session of its own that a worker opens a store on.
//!
//! Every shape keeps the scenario valid and free of application-level deadlocks by
//! construction, so that under a correct fix nothing can violate an invariant:
//!
//! - one application lock only, taken and released in the same thread around MAPI work, never
//!   held across a wait, a join or another lock: no lock-order cycle, no lock held by a waiter;
//! - the only event is set by the store's opener, which never waits for an application event
//!   or a join, after the open (or the open skipped): the receiver's wait always ends;
//! - joins only in the main thread, after it has spawned every worker, and no worker waits for
//!   main.
//!
//! The shapes keep the family (the SIDs impersonated and whether a process-user logon exists
//! are unchanged), except main's own session, which is a process-user logon: it is dropped
//! when the family does not allow one (`same-user`).

use crate::family::Family;
use crate::scenario::{Op, Scenario, ThreadSpec, OPS_PER_THREAD_MAX, THREADS_MAX};

/// The names a shaped scenario gives its objects.
pub(crate) const LOCK: &str = "mapi";
/// The store a [`Handover`] hands over, and the event that says it is open.
pub(crate) const SHARED_STORE: &str = "shared";
pub(crate) const SHARED_OPEN: &str = "shared-open";
/// The opener's named session, when the handover names it.
pub(crate) const SHARED_SESSION: &str = "s";
/// The main thread, its own session and the store a worker opens on it.
pub(crate) const MAIN: &str = "main";
pub(crate) const MAIN_SESSION: &str = "main-session";
pub(crate) const MAIN_STORE: &str = "main-store";
/// Names for the impersonated users, in order of first appearance (`user5`, ... beyond them).
const USER_NAMES: [&str; 4] = ["alice", "bob", "carol", "dave"];

/// A store opened by the first thread and released by the second.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Handover {
    /// The opener logs on a named session (`{"logon": "s"}`) and opens the store on it by name
    /// (`{"open_store": {"session": "s", "as": "shared"}}`), else on its newest session.
    pub named_session: bool,
    /// The receiver also logs off the opener's named session (`{"logoff": "s"}`).
    pub logoff: bool,
}

/// A loop in one thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Loop {
    /// Which worker (modulo the workers).
    pub thread: u8,
    /// The thread's first session (first logon to the first logoff after it) repeated this
    /// many times (2 to 4), when it has one.
    pub session: Option<u8>,
    /// The whole thread repeated this many times (2 to 3), around the session's repeat.
    pub thread_count: Option<u8>,
}

/// A main thread that spawns every worker and joins them.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pool {
    /// Join the workers newest first (else in the order spawned).
    pub reverse_joins: bool,
    /// Main logs on as the process user before spawning and logs off after the joins (`Some`);
    /// with `Some(true)` the first worker also opens a store on main's session by name and
    /// releases it.
    pub session: Option<bool>,
}

/// How a scenario's threads are organised as an application; `Shape::default()` leaves it as
/// built.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Give the impersonated users names (`users`, `{"impersonate": "alice"}`).
    pub user_names: bool,
    /// Bit `i`: worker `i` takes the application lock from its first logon to its last logoff.
    pub serialize: u16,
    /// A store handed over from the first worker to the second.
    pub handover: Option<Handover>,
    /// A loop.
    pub repeat: Option<Loop>,
    /// A main thread.
    pub pool: Option<Pool>,
}

/// How `mixed` scenarios are drawn by the proptest strategy (a subset of [`Shape`], with the
/// probabilities and shrinking it always had): as they are, or started by a main thread, and
/// then maybe with one store released by another thread than the one that opened it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Structure {
    /// Every thread starts at once (the scenario as built).
    Flat,
    /// A thread `main` (added last, so the others keep their names) spawns every thread and
    /// joins them.
    Pool,
    /// `Pool`, and the first store the first thread opens is named and released by the next
    /// thread, which waits for it to be opened.
    PoolRelease,
}

impl Structure {
    /// `scenario` organised so (it stays in its family: the main thread logs on nowhere).
    pub(crate) fn apply(self, scenario: Scenario) -> Scenario {
        let shape = match self {
            Structure::Flat => Shape::default(),
            Structure::Pool => Shape {
                pool: Some(Pool::default()),
                ..Shape::default()
            },
            Structure::PoolRelease => Shape {
                pool: Some(Pool::default()),
                handover: Some(Handover::default()),
                ..Shape::default()
            },
        };
        shape.apply(scenario, Family::Mixed)
    }
}

impl Shape {
    /// `scenario` (as [`super::plan::Plan::build`] makes it: unnamed threads that start at
    /// once, no repeats) organised so, still in `family`.
    pub(crate) fn apply(self, mut scenario: Scenario, family: Family) -> Scenario {
        if self.user_names {
            name_users(&mut scenario);
        }
        for index in 0..scenario.threads.len().min(16) {
            if self.serialize & (1 << index) != 0 {
                serialize(&mut scenario.threads[index].ops);
            }
        }
        if let Some(handover) = self.handover {
            hand_over(&mut scenario, handover);
        }
        if let Some(repeat) = self.repeat {
            let index = repeat.thread as usize % scenario.threads.len();
            let thread = &mut scenario.threads[index];
            let ops = looped(&thread.ops, repeat);
            if ThreadSpec::new(ops.clone()).expanded().len() <= OPS_PER_THREAD_MAX {
                thread.ops = ops;
            }
        }
        match self.pool {
            Some(pool) if scenario.threads.len() < THREADS_MAX => {
                let with_session = pooled(scenario.clone(), pool);
                if pool.session.is_none() || family.contains(&with_session) {
                    with_session
                } else {
                    pooled(
                        scenario,
                        Pool {
                            session: None,
                            ..pool
                        },
                    )
                }
            }
            _ => scenario,
        }
    }
}

/// Every impersonation by a name from `users`.
fn name_users(scenario: &mut Scenario) {
    let sids: Vec<_> = scenario.users_impersonated().into_iter().cloned().collect();
    let name = |i: usize| match USER_NAMES.get(i) {
        Some(name) => (*name).to_string(),
        None => format!("user{}", i + 1),
    };
    for (i, sid) in sids.iter().enumerate() {
        scenario.users.insert(name(i), sid.clone());
    }
    for thread in &mut scenario.threads {
        for op in &mut thread.ops {
            if let Op::Impersonate(sid) = op {
                let i = sids.iter().position(|s| s == sid).expect("listed above");
                *op = Op::ImpersonateUser {
                    name: name(i),
                    sid: sid.clone(),
                };
            }
        }
    }
}

/// The application lock before the thread's first logon, released after its last logoff (or
/// at its end, when it logs off only implicitly).
fn serialize(ops: &mut Vec<Op>) {
    let Some(first) = ops.iter().position(Op::is_logon) else {
        return;
    };
    let last = ops
        .iter()
        .rposition(|op| matches!(op, Op::Logoff | Op::LogoffNamed(_)))
        .filter(|&last| last > first)
        .unwrap_or(ops.len() - 1);
    ops.insert(last + 1, Op::Unlock(LOCK.into()));
    ops.insert(first, Op::Lock(LOCK.into()));
}

/// The first store the first thread opens is named and announced; the second thread waits for
/// the announcement at its end, then releases the store (and maybe logs off its session).
fn hand_over(scenario: &mut Scenario, handover: Handover) {
    if scenario.threads.len() < 2 {
        return;
    }
    let opener = &mut scenario.threads[0].ops;
    let Some(at) = opener.iter().position(|op| *op == Op::OpenStore) else {
        return;
    };
    // The session the store opens on, by name: only when the op just before the open that
    // changes sessions is a logon (so that the named session is the thread's newest one).
    let session = handover
        .named_session
        .then(|| {
            opener[..at]
                .iter()
                .rposition(|op| matches!(op, Op::Logon | Op::Logoff))
                .filter(|&logon| opener[logon] == Op::Logon)
        })
        .flatten();
    if let Some(logon) = session {
        opener[logon] = Op::LogonAs(SHARED_SESSION.into());
    }
    opener[at] = Op::OpenStoreAs {
        session: session.map(|_| SHARED_SESSION.into()),
        name: SHARED_STORE.into(),
    };
    opener.insert(at + 1, Op::Signal(SHARED_OPEN.into()));
    let receiver = &mut scenario.threads[1].ops;
    receiver.push(Op::Wait(SHARED_OPEN.into()));
    receiver.push(Op::ReleaseStoreNamed(SHARED_STORE.into()));
    if handover.logoff && session.is_some() {
        receiver.push(Op::LogoffNamed(SHARED_SESSION.into()));
    }
}

/// `ops` with the loop applied: the first session repeated, then the whole thread.
fn looped(ops: &[Op], repeat: Loop) -> Vec<Op> {
    let mut ops = ops.to_vec();
    if let Some(count) = repeat.session {
        let first = ops.iter().position(Op::is_logon);
        let span = first.and_then(|first| {
            let end = ops[first..]
                .iter()
                .position(|op| matches!(op, Op::Logoff | Op::LogoffNamed(_)))?;
            Some((first, first + end))
        });
        if let Some((first, last)) = span {
            let body: Vec<Op> = ops.drain(first..=last).collect();
            ops.insert(first, Op::Repeat { count, ops: body });
        }
    }
    match repeat.thread_count {
        Some(count) if !ops.is_empty() => vec![Op::Repeat { count, ops }],
        _ => ops,
    }
}

/// A main thread (added last, so the workers keep their names `T1`, `T2`, ...) that spawns
/// every worker and joins them.
fn pooled(mut scenario: Scenario, pool: Pool) -> Scenario {
    let count = scenario.threads.len();
    for (index, thread) in scenario.threads.iter_mut().enumerate() {
        thread.name = Some(format!("T{}", index + 1));
        thread.spawned = true;
    }
    let names: Vec<String> = (1..=count).map(|i| format!("T{i}")).collect();
    let mut main = Vec::new();
    if pool.session.is_some() {
        main.push(Op::LogonAs(MAIN_SESSION.into()));
    }
    main.extend(names.iter().cloned().map(Op::Spawn));
    if pool.reverse_joins {
        main.extend(names.into_iter().rev().map(Op::Join));
    } else {
        main.extend(names.into_iter().map(Op::Join));
    }
    if pool.session.is_some() {
        main.push(Op::LogoffNamed(MAIN_SESSION.into()));
    }
    let room = scenario.threads[0].expanded().len() + 2 <= OPS_PER_THREAD_MAX;
    if pool.session == Some(true) && room {
        let worker = &mut scenario.threads[0].ops;
        worker.insert(
            0,
            Op::OpenStoreAs {
                session: Some(MAIN_SESSION.into()),
                name: MAIN_STORE.into(),
            },
        );
        worker.push(Op::ReleaseStoreNamed(MAIN_STORE.into()));
    }
    scenario.threads.push(ThreadSpec {
        name: Some(MAIN.into()),
        spawned: false,
        ops: main,
    });
    scenario
}
