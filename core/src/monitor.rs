//! The invariants of DESIGN.md, judged from an execution's event log and how it ended.
//!
//! Judging yields compact [`Finding`]s (ids, no text) for every execution; text is made only for
//! the execution that gets reported (see `report`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::sim::{Actor, EventId, LockId, OutcomeRef, UserId};
use crate::trace::{Entry, Event, ListId, PollerId, StoreId};

mod chain;
mod past;

pub(crate) use chain::AppPlan;
pub use chain::{Chain, ChainEnd, Link};
pub(crate) use past::hash_past_running;

/// A named invariant (stable names: CLI, JSON, tests).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// Every wait on a poller's signal is satisfied.
    PollerSignals,
    /// A poller only does work for the user whose logon created it.
    PollerOwnsList,
    /// A connection list only ever holds connections of one user (full SID).
    ListIsolation,
    /// A store release returns only after a poller did that store's work.
    WorkDone,
    /// After every thread has finished, no connection list and no poller remain.
    NoLeak,
    /// No execution ends with threads blocked on application-level waits (join, wait, lock)
    /// that nothing can satisfy (a chain through a poller's signal is `poller-signals`).
    NoDeadlock,
    /// The variant panicked.
    ModelPanic,
}

impl Invariant {
    /// Every invariant, in DESIGN.md's order.
    pub const ALL: [Invariant; 7] = [
        Invariant::PollerSignals,
        Invariant::PollerOwnsList,
        Invariant::ListIsolation,
        Invariant::WorkDone,
        Invariant::NoLeak,
        Invariant::NoDeadlock,
        Invariant::ModelPanic,
    ];

    /// Every invariant, most severe first: the order `hunt` reports them in (MAPI's hang, then
    /// lost work, a security breach, an application deadlock, a poller on the wrong list, a
    /// leak; a model panic is the harness's and comes last).
    pub const BY_SEVERITY: [Invariant; 7] = [
        Invariant::PollerSignals,
        Invariant::WorkDone,
        Invariant::ListIsolation,
        Invariant::NoDeadlock,
        Invariant::PollerOwnsList,
        Invariant::NoLeak,
        Invariant::ModelPanic,
    ];

    /// The rank of this invariant in [`Invariant::BY_SEVERITY`] (0: the most severe).
    pub fn severity(self) -> usize {
        Invariant::BY_SEVERITY
            .iter()
            .position(|&i| i == self)
            .expect("every invariant is ranked")
    }

    /// The stable name (`poller-signals`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Invariant::PollerSignals => "poller-signals",
            Invariant::PollerOwnsList => "poller-owns-list",
            Invariant::ListIsolation => "list-isolation",
            Invariant::WorkDone => "work-done",
            Invariant::NoLeak => "no-leak",
            Invariant::NoDeadlock => "no-deadlock",
            Invariant::ModelPanic => "model-panic",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Invariant {
    type Err = String;
    fn from_str(text: &str) -> Result<Invariant, String> {
        Invariant::ALL
            .into_iter()
            .find(|i| i.name() == text)
            .ok_or_else(|| format!("unknown invariant {text:?}"))
    }
}

/// How a waited-for poller ended, as far as the log tells.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PollerEnd {
    /// Quit at `log_index`: it saw `lists` lists and none it could take (running as `user`).
    Quit {
        log_index: u32,
        lists: u16,
        user: UserId,
    },
    /// Told to stop (its list was removed) and exited at `log_index`.
    Stopped { log_index: u32 },
    /// Used up its poll budget at `log_index`.
    Exhausted { log_index: u32 },
    /// Still alive, idle or busy with another list (`serving`, the list it last took).
    Alive { serving: Option<ListId> },
    /// Still alive, waiting for `lock`, which `holder` holds (a fix that locks in the poller).
    WaitsForLock { lock: LockId, holder: Actor },
}

/// One violation in one execution, as ids.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// `thread` waits forever in a store release for `poller`'s signal. `cut_off` when the step
    /// bound ended the execution rather than every thread blocking (kept only when certain:
    /// see [`settle`]). When `chain` is not empty, `thread` waits at the application level
    /// (a join, an event, a lock) and the chain of waits leads to the thread blocked in the
    /// release (the last link's target).
    Hang {
        thread: u8,
        store: StoreId,
        list: ListId,
        poller: PollerId,
        end: PollerEnd,
        log_index: u32,
        cut_off: bool,
        chain: Vec<Link>,
    },
    /// `thread` waits at the application level for something nothing left can give: the chain
    /// ends in a cycle or with nobody to satisfy the last wait, never at a poller.
    Deadlock {
        thread: u8,
        chain: Chain,
        log_index: u32,
    },
    /// `poller`, created for `owner`, did `store`'s work on `list`, another user's list.
    WrongList {
        poller: PollerId,
        owner: ListId,
        list: ListId,
        store: StoreId,
        log_index: u32,
    },
    /// `list` (first user `first`) took a connection of `other`: two users share one list.
    SharedList {
        list: ListId,
        first: UserId,
        other: UserId,
        log_index: u32,
    },
    /// `store`'s release returned at `log_index` although no poller did its work.
    Unworked {
        thread: u8,
        store: StoreId,
        timed_out: bool,
        log_index: u32,
    },
    /// After the threads finished, these lists and pollers remained.
    Leak {
        lists: Vec<ListId>,
        pollers: Vec<PollerId>,
        log_index: u32,
    },
    /// The variant panicked on `actor`.
    Panic { actor: Actor, message: String },
}

impl Finding {
    /// The invariant this finding violates.
    pub fn invariant(&self) -> Invariant {
        match self {
            Finding::Hang { .. } => Invariant::PollerSignals,
            Finding::WrongList { .. } => Invariant::PollerOwnsList,
            Finding::SharedList { .. } => Invariant::ListIsolation,
            Finding::Unworked { .. } => Invariant::WorkDone,
            Finding::Leak { .. } => Invariant::NoLeak,
            Finding::Deadlock { .. } => Invariant::NoDeadlock,
            Finding::Panic { .. } => Invariant::ModelPanic,
        }
    }
}

/// The distinct invariants `findings` violate, in DESIGN.md's order (`judge` returns findings in
/// that order).
pub fn invariants_of(findings: &[Finding]) -> Vec<Invariant> {
    distinct_invariants(findings.iter().map(Finding::invariant))
}

/// The distinct names of `invariants`, in order of first appearance: `poller-signals, work-done`
/// (empty for none). The one way every command lists invariants.
pub fn names(invariants: &[Invariant]) -> String {
    let names: Vec<&str> = distinct_invariants(invariants.iter().copied())
        .into_iter()
        .map(Invariant::name)
        .collect();
    names.join(", ")
}

/// The distinct invariants of `invariants`, in order of first appearance.
pub fn distinct_invariants(invariants: impl IntoIterator<Item = Invariant>) -> Vec<Invariant> {
    let mut all: Vec<Invariant> = Vec::new();
    for invariant in invariants {
        if !all.contains(&invariant) {
            all.push(invariant);
        }
    }
    all
}

/// Judge one execution. Findings come in log order within each invariant, invariants in
/// DESIGN.md's order.
pub(crate) fn judge(outcome: &OutcomeRef<'_>, certainty: &Certainty) -> Vec<Finding> {
    let log = outcome.log;
    let mut findings = Vec::new();
    if let Some((actor, message)) = outcome.panic {
        findings.push(Finding::Panic {
            actor: *actor,
            message: message.clone(),
        });
    }
    judge_liveness(outcome, &certainty.plan, &mut findings);
    judge_ownership(log, &mut findings);
    judge_isolation(log, &mut findings);
    judge_work(log, &mut findings);
    findings.sort_by_key(|f| Invariant::ALL.iter().position(|&i| i == f.invariant()));
    findings
}

/// What, beyond the log, decides whether a cut-off execution's hang is certain.
#[derive(Clone, Debug)]
pub(crate) struct Certainty {
    /// The variant starts a new poller for a list whose poller exited
    /// (`on_dead_poller() == Respawn`): a wait for a dead poller may still be served.
    pub(crate) restarts_dead_pollers: bool,
    /// A store release waits with a timeout (`release_wait() == Timeout`): a wait that the cut
    /// interrupted would have returned by itself.
    pub(crate) timed_release_waits: bool,
    /// Per application thread, the `logon` ops in its script (a thread that has not made them
    /// all may still create a list and a poller).
    pub(crate) logon_ops: Vec<usize>,
    /// Who spawns and who signals what: the wait-for chains of application-level waits.
    pub(crate) plan: AppPlan,
}

/// Whether the step bound cut the execution off: it neither ran to its end, nor stalled (every
/// thread blocked), nor was aborted by a model panic.
pub(crate) fn is_cut_off(outcome: &OutcomeRef<'_>) -> bool {
    !outcome.completed && outcome.stall.is_none() && outcome.panic.is_none()
}

/// Settle an execution's findings: an execution that ran to its end (or stalled, or panicked)
/// keeps them all. A cut-off one keeps only what is already certain, and when nothing is, it is
/// *cut off* (`true`): neither a pass nor a violation.
///
/// Certain in a cut-off execution: every safety finding (`poller-owns-list`, `list-isolation`,
/// `work-done`: they happened in the prefix and nothing later undoes them), and a hang only
/// when nothing that may still run can end it: the waited-for poller has exited, the variant
/// does not restart dead pollers and waits without a timeout, every poller created so far has exited (a live one may still
/// take the list, as the original's one-list shortcut does), and no unfinished application
/// thread has a `logon` left to make (which could start a new poller). `no-leak` is never
/// judged on a cut-off execution: its threads did not finish.
pub(crate) fn settle(
    outcome: &OutcomeRef<'_>,
    findings: Vec<Finding>,
    certainty: &Certainty,
) -> (Vec<Finding>, bool) {
    if !is_cut_off(outcome) {
        return (findings, false);
    }
    let hang_certain = !certainty.restarts_dead_pollers
        && !certainty.timed_release_waits
        && every_poller_exited(outcome.log)
        && no_logon_to_come(outcome.log, &certainty.logon_ops);
    let kept: Vec<Finding> = findings
        .into_iter()
        .filter(|finding| match finding {
            Finding::Hang { end, .. } => {
                hang_certain
                    && !matches!(
                        end,
                        PollerEnd::Alive { .. } | PollerEnd::WaitsForLock { .. }
                    )
            }
            Finding::Leak { .. } => false,
            _ => true,
        })
        .collect();
    let cut_off = kept.is_empty();
    (kept, cut_off)
}

fn every_poller_exited(log: &[Entry]) -> bool {
    let (mut created, mut exited) = (0usize, 0usize);
    for entry in log {
        match entry.event {
            Event::PollerCreated { .. } | Event::PollerRespawned { .. } => created += 1,
            Event::PollerQuit { .. }
            | Event::PollerStopped { .. }
            | Event::PollerExhausted { .. } => exited += 1,
            _ => {}
        }
    }
    created == exited
}

fn no_logon_to_come(log: &[Entry], logon_ops: &[usize]) -> bool {
    logon_ops.iter().enumerate().all(|(index, &ops)| {
        let me = Actor::Thread(index as u8);
        let mut logons = 0usize;
        for entry in log.iter().filter(|e| e.actor == me) {
            match entry.event {
                Event::ThreadDone => return true,
                Event::Logon { .. } if !entry.implicit => logons += 1,
                _ => {}
            }
        }
        logons >= ops
    })
}

/// `poller-signals` and `no-leak`: who was left waiting, or left over, when the execution ended.
fn judge_liveness(outcome: &OutcomeRef<'_>, plan: &AppPlan, findings: &mut Vec<Finding>) {
    if outcome.panic.is_some() {
        return; // a panic aborts the execution; what is left waiting is its consequence
    }
    let (waiting, log_index, cut_off): (&[(Actor, EventId)], u32, bool) =
        match (outcome.stall, outcome.completed) {
            (Some(stall), _) => (&stall.blocked, stall.log_index, false),
            (None, false) => (&outcome.waiting, outcome.log.len() as u32, true),
            (None, true) => (&[], outcome.log.len() as u32, false),
        };
    let mut hung = false;
    for &(actor, event) in waiting {
        let Actor::Thread(thread) = actor else {
            continue;
        };
        let Some((store, list, poller)) = outcome
            .log
            .iter()
            .rev()
            .find_map(|e| match e.event {
                Event::ReleaseWait {
                    store,
                    list,
                    poller,
                    event: waited,
                    ..
                } if waited == event && e.actor == actor => Some((store, list, poller)),
                _ => None,
            })
            .or_else(|| unlogged_release(outcome, actor))
        else {
            if let Some(found) = app_wait(outcome, plan, thread, log_index) {
                hung = true;
                findings.push(found);
            }
            continue;
        };
        hung = true;
        let end = poller_end(outcome.log, poller);
        findings.push(Finding::Hang {
            thread,
            store,
            list,
            poller,
            end,
            log_index,
            cut_off,
            chain: Vec::new(),
        });
    }
    if hung {
        return; // lists and pollers left behind by a hang are its consequence, not a leak
    }
    let lists = lists_remaining(outcome.log);
    let mut pollers: Vec<PollerId> = waiting
        .iter()
        .map(|&(actor, _)| actor)
        .chain(outcome.running.iter().copied())
        .filter_map(|actor| match actor {
            Actor::Poller(id) => Some(PollerId(id)),
            Actor::Thread(_) => None,
        })
        .collect();
    pollers.sort();
    pollers.dedup();
    if !lists.is_empty() || !pollers.is_empty() {
        findings.push(Finding::Leak {
            lists,
            pollers,
            log_index,
        });
    }
}

/// A thread stalled in an application-level wait or on a lock: `poller-signals` when its chain
/// of waits ends at a thread blocked in a store release, else `no-deadlock`. Only at a stall
/// (every thread blocked): in a cut-off execution a waiting thread may still be released.
fn app_wait(
    outcome: &OutcomeRef<'_>,
    plan: &AppPlan,
    thread: u8,
    log_index: u32,
) -> Option<Finding> {
    outcome.stall?;
    let chain = chain::chain(outcome, plan, thread)?;
    Some(match chain.end {
        ChainEnd::Poller {
            store,
            list,
            poller,
            end,
            ..
        } => Finding::Hang {
            thread,
            store,
            list,
            poller,
            end,
            log_index,
            cut_off: false,
            chain: chain.links,
        },
        ChainEnd::Cycle { .. } | ChainEnd::Nobody => Finding::Deadlock {
            thread,
            chain,
            log_index,
        },
    })
}

/// A thread blocked inside a store release on something no `release-wait` names (code of a
/// variant's own that waits elsewhere, or queued nothing through the table), other than a lock:
/// the release, its
/// list, and the poller the log says serves that list (every session is on a list the table
/// logged, so there is one).
fn unlogged_release(outcome: &OutcomeRef<'_>, actor: Actor) -> Option<(StoreId, ListId, PollerId)> {
    let &(_, store, list) = outcome.releasing.iter().find(|(a, _, _)| *a == actor)?;
    // A release blocked on a lock waits for the lock's holder, not for a poller.
    if let Some(stall) = outcome.stall {
        if stall.locks.iter().any(|&(waiter, _, _)| waiter == actor) {
            return None;
        }
    }
    let poller = outcome.log.iter().rev().find_map(|e| match e.event {
        Event::PollerCreated { poller, list: l }
        | Event::PollerRespawned {
            new: poller,
            list: l,
            ..
        } if l == list => Some(poller),
        _ => None,
    })?;
    Some((store, list, poller))
}

fn poller_end(log: &[Entry], poller: PollerId) -> PollerEnd {
    let mut serving = None;
    let mut waits_for = None;
    let me = Actor::Poller(poller.0);
    for entry in log {
        match entry.event {
            Event::LockWait { lock, holder } if entry.actor == me => {
                waits_for = Some((lock, holder))
            }
            Event::LockTaken { .. } if entry.actor == me => waits_for = None,
            Event::PollerQuit {
                poller: p,
                lists,
                user,
            } if p == poller => {
                return PollerEnd::Quit {
                    log_index: entry.index,
                    lists,
                    user,
                };
            }
            Event::PollerStopped { poller: p } if p == poller => {
                return PollerEnd::Stopped {
                    log_index: entry.index,
                }
            }
            Event::PollerExhausted { poller: p } if p == poller => {
                return PollerEnd::Exhausted {
                    log_index: entry.index,
                }
            }
            Event::PollerFound {
                poller: p, list, ..
            } if p == poller => serving = Some(list),
            _ => {}
        }
    }
    match waits_for {
        Some((lock, holder)) => PollerEnd::WaitsForLock { lock, holder },
        None => PollerEnd::Alive { serving },
    }
}

fn lists_remaining(log: &[Entry]) -> Vec<ListId> {
    // Every removal is of a list created before, once: as many removals as creations means none
    // remains (the common case, decided without collecting the lists).
    let (mut created, mut removed) = (0usize, 0usize);
    for entry in log {
        match entry.event {
            Event::ListCreated { .. } => created += 1,
            Event::ListRemoved { .. } => removed += 1,
            _ => {}
        }
    }
    if created == removed {
        return Vec::new();
    }
    let mut lists = Vec::new();
    for entry in log {
        match entry.event {
            Event::ListCreated { list, .. } => lists.push(list),
            Event::ListRemoved { list, .. } => lists.retain(|&l| l != list),
            _ => {}
        }
    }
    lists
}

/// `poller-owns-list`: work done by a poller for a user other than the one whose logon created
/// it (another list of the same user, e.g. one rebuilt after a logoff, is that user's work), on
/// a list the table did not hand it (a release names the poller that serves its list: a variant
/// whose one poller serves every list by design does no wrong-list work).
fn judge_ownership(log: &[Entry], findings: &mut Vec<Finding>) {
    let mut list_user: IdMap<UserId> = IdMap::new();
    let mut owner: IdMap<ListId> = IdMap::new();
    let mut waited_for: IdMap<PollerId> = IdMap::new();
    for entry in log {
        match entry.event {
            Event::ListCreated { list, user, .. } => list_user.insert(list.0, user),
            Event::PollerCreated { poller, list }
            | Event::PollerRespawned {
                new: poller, list, ..
            } => owner.insert(poller.0, list),
            Event::ReleaseWait { store, poller, .. } => waited_for.insert(store.0, poller),
            Event::DidWork {
                poller,
                list,
                store,
            } => {
                let own = owner.get(poller.0).expect("every poller was created");
                let user = |list: ListId| list_user.get(list.0).expect("every list was created");
                // The table handed the list to this poller (its release waited for it): the
                // variant's design, not a poller that took another user's list for its own.
                let assigned = waited_for.get(store.0) == Some(poller);
                if user(own) != user(list) && !assigned {
                    findings.push(Finding::WrongList {
                        poller,
                        owner: own,
                        list,
                        store,
                        log_index: entry.index,
                    });
                }
            }
            _ => {}
        }
    }
}

/// `list-isolation`: a list holding connections of two different users (full SIDs).
fn judge_isolation(log: &[Entry], findings: &mut Vec<Finding>) {
    let mut first: IdMap<UserId> = IdMap::new();
    for entry in log {
        if let Event::Logon { list, user, .. } = entry.event {
            let first_user = match first.get(list.0) {
                Some(first_user) => first_user,
                None => {
                    first.insert(list.0, user);
                    user
                }
            };
            if first_user != user {
                findings.push(Finding::SharedList {
                    list,
                    first: first_user,
                    other: user,
                    log_index: entry.index,
                });
            }
        }
    }
}

/// `work-done`: a store release that returned although no poller did the store's work.
fn judge_work(log: &[Entry], findings: &mut Vec<Finding>) {
    let mut worked: IdMap<()> = IdMap::new();
    for entry in log {
        match entry.event {
            Event::DidWork { store, .. } => worked.insert(store.0, ()),
            Event::ReleaseDone { store, timed_out } if worked.get(store.0).is_none() => {
                let Actor::Thread(thread) = entry.actor else {
                    continue;
                };
                findings.push(Finding::Unworked {
                    thread,
                    store,
                    timed_out,
                    log_index: entry.index,
                });
            }
            _ => {}
        }
    }
}

/// A map from a small id (lists, pollers, stores: numbered from 1 in creation order) to a value:
/// a short array inline, a vector beyond. Judging runs after every execution, whose logs name a
/// few of each; this keeps it free of hashing and, mostly, of allocation.
struct IdMap<T: Copy> {
    inline: [Option<T>; ID_INLINE],
    more: Vec<Option<T>>,
}

/// The ids an [`IdMap`] keeps inline (0 included, unused).
const ID_INLINE: usize = 16;

impl<T: Copy> IdMap<T> {
    fn new() -> Self {
        IdMap {
            inline: [None; ID_INLINE],
            more: Vec::new(),
        }
    }

    fn slot(&mut self, id: u16) -> &mut Option<T> {
        let id = id as usize;
        if id < ID_INLINE {
            return &mut self.inline[id];
        }
        let index = id - ID_INLINE;
        if index >= self.more.len() {
            self.more.resize(index + 1, None);
        }
        &mut self.more[index]
    }

    fn insert(&mut self, id: u16, value: T) {
        *self.slot(id) = Some(value);
    }

    fn get(&self, id: u16) -> Option<T> {
        let id = id as usize;
        if id < ID_INLINE {
            self.inline[id]
        } else {
            self.more.get(id - ID_INLINE).copied().flatten()
        }
    }
}
