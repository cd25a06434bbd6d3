//! The wait-for chain of a stalled application thread: whom it waits for, whom that one waits
//! for, and so on, until a thread blocked in a store release (the poller's signal: MAPI's
//! hang), a cycle (an application deadlock), or a wait that nothing left can satisfy.

use super::{poller_end, PollerEnd};
use crate::sim::{Actor, EventId, LockId, OutcomeRef};
use crate::trace::{Event, ListId, PollerId, StoreId, WaitOn};

/// What the application does beyond MAPI, per thread, as the chain needs it: who would spawn a
/// thread, who would set an event.
#[derive(Clone, Debug, Default)]
pub(crate) struct AppPlan {
    /// Per thread: it starts only when spawned.
    pub(crate) spawned: Vec<bool>,
    /// Per thread: the threads it spawns, in order.
    pub(crate) spawns: Vec<Vec<u8>>,
    /// Per thread: the application events it sets, in order (one entry per `signal` op).
    pub(crate) signals: Vec<Vec<u16>>,
}

/// One link of a chain: an application thread waiting for something.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// `thread` waits for `on` (a join, an application event, another thread's release).
    Waits { thread: u8, on: WaitOn },
    /// `thread` waits for `lock`, held by `holder`.
    Lock {
        thread: u8,
        lock: LockId,
        holder: Actor,
    },
    /// `thread` never started: `spawner` would spawn it, but is blocked itself.
    NotStarted { thread: u8, spawner: u8 },
    /// `thread` would set the awaited event, but is blocked itself.
    WouldSignal { thread: u8, event: u16 },
}

/// How a chain ends.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChainEnd {
    /// `thread` is blocked in a store release waiting for `poller`'s signal: MAPI's hang.
    Poller {
        thread: u8,
        store: StoreId,
        list: ListId,
        poller: PollerId,
        end: PollerEnd,
    },
    /// The chain came back to `thread`: the threads wait for each other.
    Cycle { thread: u8 },
    /// Nothing that is left can satisfy the last wait (no thread will set the event, start the
    /// thread or release the lock).
    Nobody,
}

/// A chain: the links in order from the waiting thread, and how it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// The waits, from the first thread on.
    pub links: Vec<Link>,
    /// Where it ends.
    pub end: ChainEnd,
}

/// What a blocked application thread waits for, read from the log and the stall.
enum Blocked {
    Release {
        store: StoreId,
        list: ListId,
        poller: PollerId,
    },
    App(WaitOn),
    Lock(LockId, Actor),
}

fn blocked_on(outcome: &OutcomeRef<'_>, thread: u8) -> Option<Blocked> {
    let stall = outcome.stall?;
    let me = Actor::Thread(thread);
    if let Some(&(_, lock, holder)) = stall.locks.iter().find(|(a, _, _)| *a == me) {
        return Some(Blocked::Lock(lock, holder));
    }
    let &(_, event) = stall.blocked.iter().find(|(a, _)| *a == me)?;
    wait_entry(outcome, me, event)
}

fn wait_entry(outcome: &OutcomeRef<'_>, me: Actor, event: EventId) -> Option<Blocked> {
    outcome
        .log
        .iter()
        .rev()
        .filter(|e| e.actor == me)
        .find_map(|e| match e.event {
            Event::ReleaseWait {
                store,
                list,
                poller,
                event: waited,
                ..
            } if waited == event => Some(Blocked::Release {
                store,
                list,
                poller,
            }),
            Event::AppWait { on, event: waited } if waited == event => Some(Blocked::App(on)),
            _ => None,
        })
}

fn started(outcome: &OutcomeRef<'_>, plan: &AppPlan, thread: u8) -> bool {
    !plan.spawned.get(thread as usize).copied().unwrap_or(false)
        || outcome
            .log
            .iter()
            .any(|e| matches!(e.event, Event::Spawn { thread: t } if t == thread))
}

fn is_blocked(outcome: &OutcomeRef<'_>, thread: u8) -> bool {
    outcome
        .stall
        .is_some_and(|s| s.blocked.iter().any(|(a, _)| *a == Actor::Thread(thread)))
}

/// Of the threads that have not yet set `event` as often as their script says, the first that
/// is blocked or not started (none of them running: this is a stall).
fn would_signal(outcome: &OutcomeRef<'_>, plan: &AppPlan, event: u16) -> Option<u8> {
    (0..plan.signals.len() as u8).find(|&t| {
        let planned = plan.signals[t as usize]
            .iter()
            .filter(|&&e| e == event)
            .count();
        let done = outcome
            .log
            .iter()
            .filter(|e| e.actor == Actor::Thread(t))
            .filter(|e| matches!(e.event, Event::AppSignal { event: e } if e == event))
            .count();
        done < planned && (is_blocked(outcome, t) || !started(outcome, plan, t))
    })
}

/// The blocked thread that would spawn `thread` (it has not spawned it yet).
fn spawner(outcome: &OutcomeRef<'_>, plan: &AppPlan, thread: u8) -> Option<u8> {
    (0..plan.spawns.len() as u8)
        .find(|&t| plan.spawns[t as usize].contains(&thread))
        .filter(|&t| is_blocked(outcome, t) || !started(outcome, plan, t))
}

/// The chain from `thread`, blocked at a stall in an application-level wait or a lock; `None`
/// when it is not (blocked in a release, or not blocked).
pub(crate) fn chain(outcome: &OutcomeRef<'_>, plan: &AppPlan, thread: u8) -> Option<Chain> {
    if !matches!(
        blocked_on(outcome, thread)?,
        Blocked::App(_) | Blocked::Lock(..)
    ) {
        return None;
    }
    let mut links = Vec::new();
    let mut seen = vec![thread];
    let mut current = thread;
    // Each step visits a new thread (or ends): at most one link per thread, and two per
    // thread for the not-started / would-signal hops.
    for _ in 0..3 * plan.spawned.len().max(1) + 3 {
        let next = match blocked_on(outcome, current) {
            Some(Blocked::Release {
                store,
                list,
                poller,
            }) => {
                let end = poller_end(outcome.log, poller);
                return Some(Chain {
                    links,
                    end: ChainEnd::Poller {
                        thread: current,
                        store,
                        list,
                        poller,
                        end,
                    },
                });
            }
            Some(Blocked::Lock(lock, holder)) => {
                links.push(Link::Lock {
                    thread: current,
                    lock,
                    holder,
                });
                match holder {
                    Actor::Thread(h) => Some(h),
                    Actor::Poller(_) => None,
                }
            }
            Some(Blocked::App(on)) => {
                links.push(Link::Waits {
                    thread: current,
                    on,
                });
                match on {
                    WaitOn::Thread(w) | WaitOn::Release { thread: w, .. } => {
                        if started(outcome, plan, w) {
                            Some(w)
                        } else {
                            spawner(outcome, plan, w).map(|s| {
                                links.push(Link::NotStarted {
                                    thread: w,
                                    spawner: s,
                                });
                                s
                            })
                        }
                    }
                    WaitOn::Event(event) => would_signal(outcome, plan, event).map(|t| {
                        links.push(Link::WouldSignal { thread: t, event });
                        t
                    }),
                }
            }
            None => None,
        };
        let Some(next) = next else {
            return Some(Chain {
                links,
                end: ChainEnd::Nobody,
            });
        };
        // A thread that never started waits for its spawner (already linked above).
        let next = if started(outcome, plan, next) {
            next
        } else {
            match spawner(outcome, plan, next) {
                Some(s) => {
                    links.push(Link::NotStarted {
                        thread: next,
                        spawner: s,
                    });
                    s
                }
                None => {
                    return Some(Chain {
                        links,
                        end: ChainEnd::Nobody,
                    })
                }
            }
        };
        if seen.contains(&next) {
            return Some(Chain {
                links,
                end: ChainEnd::Cycle { thread: next },
            });
        }
        seen.push(next);
        current = next;
    }
    Some(Chain {
        links,
        end: ChainEnd::Nobody,
    })
}
