//! What every format draws, derived once from a report's trace: lanes (one per thread and per
//! poller), the connection lists in shared memory over time, store waits, signals, poller ends,
//! and the wait-for chain of a hang.

use crate::monitor::{distinct_invariants, Invariant};
use crate::phrase::{self, plural};
use crate::report::{KeyText, Report, TraceLine, Verdict, ViolationReport, REAL_THREADS};
use crate::trace::EventKind;

/// Whose lane it is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum LaneKind {
    /// An application thread.
    Thread,
    /// A polling thread started by MAPI.
    Poller,
}

/// One actor's row: an application thread or a poller.
#[derive(Clone, Debug)]
pub(crate) struct Lane {
    pub name: String,
    pub kind: LaneKind,
    /// The effective users it had, in order of appearance.
    pub users: Vec<String>,
    /// Its trace lines (indices into `report.trace`).
    pub lines: Vec<usize>,
    /// The step of its `thread-done`, if it finished.
    pub done: Option<u32>,
}

/// A connection list in the shared table.
#[derive(Clone, Debug)]
pub(crate) struct ListInfo {
    pub name: String,
    /// The user whose first logon built it.
    pub user: String,
    /// The key the variant filed it under (`None` in a report written before keys were logged).
    pub key: Option<KeyText>,
    pub creator: String,
    pub created: u32,
    pub removed: Option<u32>,
}

/// How a poller ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EndKind {
    /// It searched the table, saw `lists` lists, took none (running as `user`) and quit.
    /// (`lists` is `None` in a report written before the count was logged.)
    Quit { lists: Option<usize>, user: String },
    /// It was told to stop (its list was removed).
    Stopped,
    /// It used up its poll budget.
    Exhausted,
}

/// A poller's life.
#[derive(Clone, Debug)]
pub(crate) struct PollerInfo {
    pub name: String,
    /// The list it was created to serve.
    pub list: Option<String>,
    /// The thread whose logon (or release, for a respawn) created it.
    pub creator: Option<String>,
    pub created: Option<u32>,
    pub started: Option<u32>,
    /// The user it runs as.
    pub user: Option<String>,
    pub end: Option<(u32, EndKind)>,
    /// Its last trace step.
    pub last: Option<u32>,
}

/// A store release waiting for a poller's signal.
#[derive(Clone, Debug)]
pub(crate) struct Wait {
    pub thread: String,
    pub store: String,
    pub list: Option<String>,
    pub poller: Option<String>,
    pub start: u32,
    /// When the release returned (`None`: it never did).
    pub end: Option<u32>,
    /// The release waits with a timeout (else `INFINITE`).
    pub timed: bool,
    pub timed_out: bool,
    pub implicit: bool,
}

/// A poller setting a store's signal.
#[derive(Clone, Debug)]
pub(crate) struct Signal {
    /// The log index of the signal.
    pub index: u32,
    pub poller: String,
    /// The thread waiting for that store at the time, if any.
    pub thread: Option<String>,
    /// Whether the poller did the store's work before signalling.
    pub worked: bool,
}

/// Where one thread or poller was at the end, like a debugger's view of it.
#[derive(Clone, Debug)]
pub(crate) struct StackView {
    pub actor: String,
    pub kind: LaneKind,
    pub user: String,
    /// One line: `BLOCKED forever`, `finished at step 24`, `GONE: quit at step 11 ...`.
    pub status: String,
    /// Pseudo stack frames, innermost first (only for a thread blocked in a wait).
    pub frames: Vec<String>,
    /// Part of the hang: blocked forever, or a poller that quit without signalling.
    pub bad: bool,
}

/// A report with everything the renderers need worked out.
pub(crate) struct Model<'a> {
    pub report: &'a Report,
    pub process_user: String,
    /// Thread lanes in scenario order, each followed by the pollers it created.
    pub lanes: Vec<Lane>,
    pub lists: Vec<ListInfo>,
    /// Per trace line, the lists in the table after it: (index into `lists`, connections).
    pub lists_after: Vec<Vec<(usize, u32)>>,
    pub pollers: Vec<PollerInfo>,
    pub waits: Vec<Wait>,
    pub signals: Vec<Signal>,
    /// The last step the picture must show (the trace's end, or a later violation step).
    pub last_index: u32,
}

/// What one pass over the trace finds: pollers, lists (and the table after each line), waits
/// and signals. Every fact comes from a typed field of a trace line.
#[derive(Default)]
struct Facts {
    pollers: Vec<PollerInfo>,
    lists: Vec<ListInfo>,
    /// The lists in the table now: (index into `lists`, connections).
    current: Vec<(usize, u32)>,
    lists_after: Vec<Vec<(usize, u32)>>,
    waits: Vec<Wait>,
    signals: Vec<Signal>,
}

impl Facts {
    fn read(&mut self, line: &TraceLine) {
        match line.kind {
            EventKind::PollerCreated | EventKind::PollerRespawned => self.poller_created(line),
            EventKind::PollerStarted
            | EventKind::PollerFound
            | EventKind::PollerQuit
            | EventKind::PollerStopped
            | EventKind::PollerExhausted => self.poller_own(line),
            EventKind::DidWork | EventKind::SignalledWithoutWork => {
                self.poller_own(line);
                self.signal(line);
            }
            EventKind::ListCreated => self.list_created(line),
            EventKind::ListRemoved => self.list_removed(line),
            EventKind::Logon => self.connections(line, 1),
            EventKind::Logoff => self.connections(line, -1),
            EventKind::ReleaseWait => self.waits.push(Wait {
                thread: line.actor.clone(),
                store: line.store.clone().unwrap_or_else(|| "?".into()),
                list: line.list.clone(),
                poller: line.poller.clone(),
                start: line.index,
                end: None,
                timed: line.timed,
                timed_out: false,
                implicit: line.implicit,
            }),
            EventKind::ReleaseDone => self.release_done(line),
            EventKind::Impersonate
            | EventKind::Revert
            | EventKind::Skipped
            | EventKind::OpenStore
            | EventKind::PollerStopRequested
            | EventKind::ThreadDone
            | EventKind::LockWait
            | EventKind::LockTaken
            | EventKind::LockReleased
            | EventKind::Spawn
            | EventKind::Wait
            | EventKind::WaitDone
            | EventKind::Signal => {}
        }
        self.lists_after.push(self.current.clone());
    }

    fn poller_created(&mut self, line: &TraceLine) {
        if let Some(name) = &line.poller {
            let info = poller_entry(&mut self.pollers, name);
            info.list = line.list.clone();
            info.creator = Some(line.actor.clone());
            info.created = Some(line.index);
        }
    }

    /// A line of the poller's own (its start, search, signals and end).
    fn poller_own(&mut self, line: &TraceLine) {
        let info = poller_entry(&mut self.pollers, &line.actor);
        info.last = Some(line.index);
        let end = match line.kind {
            EventKind::PollerQuit => Some(EndKind::Quit {
                lists: line.lists_seen.map(usize::from),
                user: line.user.clone(),
            }),
            EventKind::PollerStopped => Some(EndKind::Stopped),
            EventKind::PollerExhausted => Some(EndKind::Exhausted),
            _ => None,
        };
        if line.kind == EventKind::PollerStarted {
            info.started = Some(line.index);
            info.user = Some(line.user.clone());
        }
        if let (Some(end), None) = (end, &info.end) {
            info.end = Some((line.index, end));
        }
        if info.user.is_none() {
            info.user = Some(line.user.clone());
        }
    }

    fn signal(&mut self, line: &TraceLine) {
        let thread = line.store.as_ref().and_then(|store| {
            self.waits
                .iter()
                .find(|w| w.store == *store && w.end.is_none())
                .map(|w| w.thread.clone())
        });
        self.signals.push(Signal {
            index: line.index,
            poller: line.actor.clone(),
            thread,
            worked: line.kind == EventKind::DidWork,
        });
    }

    fn list_created(&mut self, line: &TraceLine) {
        if let Some(name) = &line.list {
            self.lists.push(ListInfo {
                name: name.clone(),
                user: line.user.clone(),
                key: line.key.clone(),
                creator: line.actor.clone(),
                created: line.index,
                removed: None,
            });
            self.current.push((self.lists.len() - 1, 0));
        }
    }

    fn list_removed(&mut self, line: &TraceLine) {
        if let Some(name) = &line.list {
            let lists = &self.lists;
            self.current
                .retain(|&(index, _)| lists[index].name != *name);
            if let Some(info) = self.lists.iter_mut().rev().find(|l| l.name == *name) {
                info.removed = Some(line.index);
            }
        }
    }

    /// A connection joins (`delta` 1) or leaves (-1) the line's list.
    fn connections(&mut self, line: &TraceLine, delta: i64) {
        let Some(name) = &line.list else { return };
        let lists = &self.lists;
        if let Some(entry) = self
            .current
            .iter_mut()
            .find(|(index, _)| lists[*index].name == *name)
        {
            entry.1 = (i64::from(entry.1) + delta).max(0) as u32;
        }
    }

    fn release_done(&mut self, line: &TraceLine) {
        let store = line.store.as_deref().unwrap_or("?");
        if let Some(wait) = self
            .waits
            .iter_mut()
            .find(|w| w.thread == line.actor && w.store == store && w.end.is_none())
        {
            wait.end = Some(line.index);
            wait.timed_out = line.timed_out;
        }
    }
}

impl<'a> Model<'a> {
    pub fn new(report: &'a Report) -> Model<'a> {
        let mut facts = Facts::default();
        for line in &report.trace {
            facts.read(line);
        }
        let lanes = lanes(report, &facts.pollers);
        let last_trace = report.trace.last().map_or(0, |l| l.index);
        let last_violation = report
            .violations
            .iter()
            .filter_map(|v| v.log_index)
            .max()
            .unwrap_or(0);
        Model {
            report,
            process_user: report.scenario.process_user.to_string(),
            lanes,
            lists: facts.lists,
            lists_after: facts.lists_after,
            pollers: facts.pollers,
            waits: facts.waits,
            signals: facts.signals,
            last_index: last_trace.max(last_violation),
        }
    }

    pub fn trace(&self) -> &'a [TraceLine] {
        &self.report.trace
    }

    /// No failing execution to show: a pass, or an inconclusive run (nothing violated).
    pub fn is_pass(&self) -> bool {
        self.report.verdict != Verdict::Violation
    }

    /// The distinct invariants violated, in the report's order.
    pub fn invariants(&self) -> Vec<Invariant> {
        distinct_invariants(self.report.violations.iter().map(|v| v.invariant))
    }

    /// `PASS` or `VIOLATION: poller-signals, work-done`.
    pub fn verdict_line(&self) -> String {
        if self.report.verdict == Verdict::Inconclusive {
            return "INCONCLUSIVE: not everything was judged".into();
        }
        if self.is_pass() {
            return "PASS".into();
        }
        let names: Vec<&str> = self.invariants().iter().map(|i| i.name()).collect();
        if names.is_empty() {
            "VIOLATION".into()
        } else {
            format!("VIOLATION: {}", names.join(", "))
        }
    }

    /// One line: the variant, the scenario's size and how it was explored.
    pub fn run_line(&self) -> String {
        let r = self.report;
        let threads = r.scenario.threads.len();
        let cut = if r.cut_off > 0 {
            format!(", {} cut off by the step bound (not judged)", r.cut_off)
        } else {
            String::new()
        };
        let failed = if self.is_pass() {
            format!("no violation in {} executions{cut}", r.executions)
        } else {
            format!(
                "{} of {} executions failed",
                r.failing_executions, r.executions
            )
        };
        let exhaustive = if r.exhaustive && r.scheduler == crate::report::CONTINUATIONS_SCHEDULER {
            " (every continuation)"
        } else if r.exhaustive {
            " (every schedule)"
        } else {
            ""
        };
        let users = r.scenario.users().len() - 1;
        let how = if r.scheduler == REAL_THREADS {
            "real OS threads (no schedule: the OS chose it)".to_string()
        } else {
            format!("{} scheduler, seed {}", r.scheduler, r.seed)
        };
        format!(
            "{threads} thread{}, {users} impersonated user{} · process user {} · {how} · {failed}{exhaustive}",
            plural(threads),
            plural(users),
            self.process_user,
        )
    }

    /// How much of the scenario's interleavings the run covered, in one line.
    pub fn coverage_line(&self) -> Option<String> {
        let r = self.report;
        if r.complete && r.scheduler == "stateful" {
            let up_to = crate::report::symmetry_phrase(&r.symmetry);
            return Some(format!(
                "complete: every reachable state explored ({} states{up_to}; {} executions \
                 judged, {} stopped early: a state seen before, or every thread that could run \
                 asleep)",
                r.states, r.traces, r.pruned
            ));
        }
        if r.complete {
            return Some(format!(
                "complete: every interleaving covered ({} traces{})",
                r.traces,
                if r.pruned > 0 {
                    format!(", {} redundant executions pruned", r.pruned)
                } else {
                    String::new()
                }
            ));
        }
        if let Some(bound) = &r.bound {
            return Some(format!("not complete: bounded by {bound}"));
        }
        r.guarantee.as_ref().map(|g| g.statement.clone())
    }

    /// The lists in the table after trace line `index`, as `L1:1 L2:1` (name:connections).
    pub fn lists_text(&self, index: usize) -> String {
        let lists = &self.lists_after[index];
        if lists.is_empty() {
            return "-".into();
        }
        lists
            .iter()
            .map(|&(list, connections)| format!("{}:{connections}", self.lists[list].name))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn poller(&self, name: &str) -> Option<&PollerInfo> {
        self.pollers.iter().find(|p| p.name == name)
    }

    /// Whether an unfinished wait is the hang the report found (a `poller-signals` violation).
    pub fn is_hang(&self, wait: &Wait) -> bool {
        wait.end.is_none()
            && self.report.violations.iter().any(|v| {
                v.invariant == Invariant::PollerSignals
                    && v.thread.as_deref().is_none_or(|t| t == wait.thread)
            })
    }

    /// The waits that never returned.
    pub fn open_waits(&self) -> impl Iterator<Item = &Wait> {
        self.waits.iter().filter(|w| w.end.is_none())
    }

    /// The step a hang was detected at (every thread blocked), if the report has one.
    pub fn hang_index(&self) -> Option<u32> {
        self.report
            .violations
            .iter()
            .filter(|v| v.invariant == Invariant::PollerSignals)
            .filter_map(|v| v.log_index)
            .max()
    }

    /// The violations grouped by step, in step order (violations without a step last).
    pub fn violations_by_index(&self) -> Vec<(Option<u32>, Vec<&'a ViolationReport>)> {
        let mut groups: Vec<(Option<u32>, Vec<&ViolationReport>)> = Vec::new();
        for v in &self.report.violations {
            match groups
                .iter_mut()
                .find(|(log_index, _)| *log_index == v.log_index)
            {
                Some((_, group)) => group.push(v),
                None => groups.push((v.log_index, vec![v])),
            }
        }
        groups.sort_by_key(|(log_index, _)| log_index.unwrap_or(u32::MAX));
        groups
    }

    /// "T2 waits for the signal of P2; P2 quit at step 14 because 2 lists existed and none
    /// matched S-1-5-18".
    pub fn chain(&self, wait: &Wait) -> String {
        let Some(poller) = &wait.poller else {
            return format!(
                "{} waits for the signal of {}'s poller",
                wait.thread, wait.store
            );
        };
        let head = format!("{} waits for the signal of {poller}", wait.thread);
        let Some(info) = self.poller(poller) else {
            return format!("{head}; {poller} never ran");
        };
        let why = match &info.end {
            Some((log_index, kind)) => {
                let (did, because) = match kind {
                    EndKind::Quit { lists, user } => ("quit", phrase::quit_because(*lists, user)),
                    EndKind::Stopped => ("stopped", " because its list was removed".to_string()),
                    EndKind::Exhausted => {
                        ("stopped", " after using up its poll budget".to_string())
                    }
                };
                format!("{poller} {did} at step {log_index}{because}")
            }
            None => match self.lock_waited(poller) {
                Some((lock, holder)) => format!(
                    "{poller} waits for lock `{lock}`, held by {holder}, so it never signals {}",
                    wait.store
                ),
                None => format!("{poller} is still running but never signals {}", wait.store),
            },
        };
        format!("{head}; {why}")
    }

    /// The lock `actor` was left waiting for at the end, and its holder, from the trace.
    fn lock_waited(&self, actor: &str) -> Option<(String, String)> {
        let mut waiting = None;
        for line in self.report.trace.iter().filter(|l| l.actor == actor) {
            match line.kind {
                EventKind::LockWait => waiting = line.lock.clone().zip(line.holder.clone()),
                EventKind::LockTaken => waiting = None,
                _ => {}
            }
        }
        waiting
    }

    /// The chain of every hung wait (empty when nothing hangs), then every application-level
    /// chain (a join, an event, a lock: see [`Model::app_chains`]).
    pub fn chains(&self) -> Vec<String> {
        let mut chains = self.release_chains();
        chains.extend(self.app_chains());
        chains
    }

    /// The chain of every wait in a store release that hangs.
    pub fn release_chains(&self) -> Vec<String> {
        self.open_waits()
            .filter(|w| self.is_hang(w))
            .map(|w| self.chain(w))
            .collect()
    }

    /// The wait-for chain of every violation that has one, from its typed links: `main joins
    /// W1; W1 is blocked in release_store ...`.
    pub fn app_chains(&self) -> Vec<String> {
        self.report
            .violations
            .iter()
            .filter(|v| !v.chain.is_empty())
            .map(|v| {
                let texts: Vec<&str> = v.chain.iter().map(|l| l.text.as_str()).collect();
                format!("[{}] {}", v.invariant, texts.join("; "))
            })
            .collect()
    }

    /// Each lane's state at the end, threads and pollers in lane order.
    pub fn stacks(&self) -> Vec<StackView> {
        self.lanes
            .iter()
            .flat_map(|lane| self.stack(lane))
            .collect()
    }

    fn stack(&self, lane: &Lane) -> Vec<StackView> {
        let stack = self.report.stacks.iter().find(|s| s.actor == lane.name);
        let user = stack
            .map(|s| s.user.clone())
            .or_else(|| lane.lines.last().map(|&i| self.trace()[i].user.clone()))
            .unwrap_or_else(|| self.process_user.clone());
        let state = stack.map_or("never ran", |s| s.state.as_str());
        let view = |status: String, frames: Vec<String>, bad: bool| StackView {
            actor: lane.name.clone(),
            kind: lane.kind,
            user: user.clone(),
            status,
            frames,
            bad,
        };
        match lane.kind {
            LaneKind::Thread => {
                let waits: Vec<&Wait> = self
                    .open_waits()
                    .filter(|w| w.thread == lane.name)
                    .collect();
                if waits.is_empty() {
                    let status = match lane.done {
                        Some(log_index) => format!("finished at step {log_index}"),
                        None => state.to_string(),
                    };
                    return vec![view(status, Vec::new(), false)];
                }
                waits
                    .into_iter()
                    .map(|wait| {
                        let hung = self.is_hang(wait);
                        let poller = wait.poller.as_deref().unwrap_or("its poller");
                        let list = wait.list.as_deref().unwrap_or("?");
                        let implicit = if wait.implicit {
                            " (implicit cleanup at the thread's end)"
                        } else {
                            ""
                        };
                        let frames = vec![
                            format!(
                                "WaitForSingleObject({poller}'s signal for {}, {})",
                                wait.store,
                                phrase::wait(wait.timed)
                            ),
                            format!(
                                "release_store({}): work queued on connection list {list} at step {}{implicit}",
                                wait.store, wait.start
                            ),
                            format!("{}'s thread procedure", lane.name),
                        ];
                        let how = if hung { "BLOCKED forever" } else { "still waiting" };
                        let status = format!(
                            "{how} in release_store({}), waiting for {poller}'s signal",
                            wait.store
                        );
                        view(status, frames, hung)
                    })
                    .collect()
            }
            LaneKind::Poller => {
                let info = self.poller(&lane.name);
                let serves = info
                    .and_then(|p| p.list.as_deref())
                    .map(|l| format!(" (created for {l})"))
                    .unwrap_or_default();
                let (status, bad) = match info.and_then(|p| p.end.as_ref()) {
                    Some((log_index, EndKind::Quit { lists, user })) => (
                        format!(
                            "GONE{serves}: quit at step {log_index} without signalling (saw {})",
                            phrase::quit_seen(*lists, user)
                        ),
                        true,
                    ),
                    Some((log_index, EndKind::Stopped)) => (
                        format!("gone{serves}: stopped at step {log_index} (its list was removed)"),
                        false,
                    ),
                    Some((log_index, EndKind::Exhausted)) => (
                        format!("gone{serves}: used up its poll budget at step {log_index}"),
                        false,
                    ),
                    None => (format!("{state}{serves}"), false),
                };
                vec![view(status, Vec::new(), bad)]
            }
        }
    }

    /// The users shown on a lane's label: impersonated users, else the process user.
    pub fn lane_users(&self, lane: &Lane) -> Vec<String> {
        let others: Vec<String> = lane
            .users
            .iter()
            .filter(|u| **u != self.process_user)
            .cloned()
            .collect();
        if others.is_empty() {
            vec![lane
                .users
                .first()
                .cloned()
                .unwrap_or_else(|| self.process_user.clone())]
        } else {
            others
        }
    }
}

fn poller_entry<'p>(pollers: &'p mut Vec<PollerInfo>, name: &str) -> &'p mut PollerInfo {
    let index = match pollers.iter().position(|p| p.name == name) {
        Some(index) => index,
        None => {
            pollers.push(PollerInfo {
                name: name.to_string(),
                list: None,
                creator: None,
                created: None,
                started: None,
                user: None,
                end: None,
                last: None,
            });
            pollers.len() - 1
        }
    };
    &mut pollers[index]
}

/// The lanes: threads in scenario order, each followed by the pollers it created.
fn lanes(report: &Report, pollers: &[PollerInfo]) -> Vec<Lane> {
    let new_lane = |name: String, kind| Lane {
        name,
        kind,
        users: Vec::new(),
        lines: Vec::new(),
        done: None,
    };
    let mut threads: Vec<Lane> = (0..report.scenario.threads.len())
        .map(|i| new_lane(report.scenario.thread_name(i), LaneKind::Thread))
        .collect();
    let mut poller_lanes: Vec<Lane> = pollers
        .iter()
        .map(|p| new_lane(p.name.clone(), LaneKind::Poller))
        .collect();
    for (index, line) in report.trace.iter().enumerate() {
        let lane = if let Some(lane) = poller_lanes.iter_mut().find(|l| l.name == line.actor) {
            lane
        } else if let Some(position) = threads.iter().position(|l| l.name == line.actor) {
            &mut threads[position]
        } else {
            threads.push(new_lane(line.actor.clone(), LaneKind::Thread));
            threads.last_mut().expect("just pushed")
        };
        lane.lines.push(index);
        if !lane.users.contains(&line.user) {
            lane.users.push(line.user.clone());
        }
        if line.kind == EventKind::ThreadDone {
            lane.done = Some(line.index);
        }
    }
    let mut ordered = Vec::with_capacity(threads.len() + poller_lanes.len());
    for thread in threads {
        let name = thread.name.clone();
        ordered.push(thread);
        for info in pollers
            .iter()
            .filter(|p| p.creator.as_deref() == Some(&name))
        {
            if let Some(position) = poller_lanes.iter().position(|l| l.name == info.name) {
                ordered.push(poller_lanes.remove(position));
            }
        }
    }
    ordered.extend(poller_lanes);
    ordered
}
