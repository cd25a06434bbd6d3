//! Reports: a check's verdict as JSON (versioned schema) and as text a person reads like a
//! debugger's view of the hang: each thread's last operation, the wait-for chain, the timeline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::engine::{CheckConfig, CheckResult, Failure, Strategy};
use crate::monitor::{Finding, Invariant, PollerEnd};
use crate::scenario::Scenario;
use crate::sim::{Actor, SimOutcome, UserId};
use crate::trace::{Entry, Event, ListId, OpKind, PollerId, StoreId};

/// The `schema` field of every JSON report this version writes.
pub const SCHEMA: &str = "mapihang.report/1";

/// The `scheduler` of a report of executions on real OS threads (`mapihang stress`).
pub const REAL_THREADS: &str = "real-threads";

/// `"pass"` or `"violation"`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No execution violated an invariant.
    Pass,
    /// Some execution violated an invariant.
    Violation,
}

/// One violation, in words and with who was involved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationReport {
    /// The invariant's stable name.
    pub invariant: Invariant,
    /// One line saying what went wrong.
    pub message: String,
    /// The application thread involved (`T2`), if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// The poller involved (`P2`), if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poller: Option<String>,
    /// The log step where it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    /// Position in the log.
    pub step: u32,
    /// `T1`, `P2`, ...
    pub actor: String,
    /// The actor's effective user at that moment.
    pub user: String,
    /// What happened, in words.
    pub event: String,
    /// What happened, as a stable kebab-case name (`logon`, `release-wait`, `poller-quit`, ...).
    pub kind: String,
    /// The poller the entry is about (`P2`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poller: Option<String>,
    /// The connection list the entry is about (`L1`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// The message store the entry is about (`M1`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// Part of a thread's implicit cleanup at its end.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub implicit: bool,
}

/// Where one thread was when the execution ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackLine {
    /// `T1`, `P2`, ...
    pub actor: String,
    /// Its effective user at the end.
    pub user: String,
    /// Its state, in words.
    pub state: String,
}

/// A check's verdict: the JSON object `--format json` prints, and what `replay` reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The variant's name.
    pub variant: String,
    /// `pass` or `violation`.
    pub verdict: Verdict,
    /// The violations of the reported execution.
    pub violations: Vec<ViolationReport>,
    /// The scenario run.
    pub scenario: Scenario,
    /// `random`, `pct` or `dfs` (`replay` for a replay).
    pub scheduler: String,
    /// The scheduler's seed.
    pub seed: u64,
    /// The schedule budget.
    pub schedules: usize,
    /// The step bound of one execution.
    pub steps_max: usize,
    /// Executions run.
    pub executions: usize,
    /// Executions that violated an invariant.
    pub failing_executions: usize,
    /// Per invariant, the executions that violated it.
    pub per_invariant: BTreeMap<Invariant, usize>,
    /// The scheduler explored every schedule (DFS finished within the budget).
    pub exhaustive: bool,
    /// The schedule that replays the reported execution (`mh1:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// A command line that replays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repro: Option<String>,
    /// The reported execution's timeline.
    pub trace: Vec<TraceLine>,
    /// Each thread's state at the end of the reported execution.
    pub stacks: Vec<StackLine>,
    /// Wall time (the only field that differs between identical runs).
    pub elapsed_ms: u64,
    /// For a report written by `hunt`: how the violation was found and shrunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunt: Option<HuntSummary>,
}

/// How a hunt found and shrank its violation (all counts; times are wall time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntSummary {
    /// The family scenarios were drawn from.
    pub family: crate::family::Family,
    /// The hunt's seed.
    pub seed: u64,
    /// Scenarios budgeted.
    pub cases: usize,
    /// Scenarios tried, up to and including the failing one.
    pub cases_tried: usize,
    /// Random schedules per scenario.
    pub schedules_per_case: usize,
    /// Executions run while searching.
    pub schedules_run: usize,
    /// Candidate scenarios tried while shrinking.
    pub shrink_steps: usize,
    /// Candidates that still failed.
    pub shrink_accepted: usize,
    /// Executions run while shrinking.
    pub shrink_schedules: usize,
    /// Ops of the scenario as generated (`None` when nothing was found).
    pub original_ops: Option<usize>,
    /// Ops of the shrunk scenario.
    pub shrunk_ops: Option<usize>,
    /// Distinct users logging on in the shrunk scenario.
    pub users: Option<usize>,
    /// The fewest preemptions the shrunk violation needs (`None`: not found within the bound).
    pub preemptions: Option<usize>,
    /// Milliseconds to the first detection.
    pub detection_ms: u64,
    /// Milliseconds to the end of shrinking.
    pub total_ms: u64,
}

/// The scheduler's name as reports and the CLI spell it.
pub fn strategy_name(strategy: &Strategy) -> &'static str {
    match strategy {
        Strategy::Random => "random",
        Strategy::Pct { .. } => "pct",
        Strategy::Dfs { .. } => "dfs",
        Strategy::Replay(_) => "replay",
        Strategy::Bytes(_) => "bytes",
    }
}

impl Report {
    /// The report of a check.
    pub fn from_check(
        variant: &str,
        scenario: &Scenario,
        config: &CheckConfig,
        result: &CheckResult,
        elapsed_ms: u64,
    ) -> Report {
        let failure = result.first_failure.as_ref();
        let mut report = Report {
            schema: SCHEMA.to_string(),
            variant: variant.to_string(),
            verdict: if result.failed() {
                Verdict::Violation
            } else {
                Verdict::Pass
            },
            violations: Vec::new(),
            scenario: scenario.clone(),
            scheduler: strategy_name(&config.strategy).to_string(),
            seed: config.seed,
            schedules: config.schedules,
            steps_max: config.steps_max,
            executions: result.executions,
            failing_executions: result.failing,
            per_invariant: result.per_invariant.clone(),
            exhaustive: result.exhausted,
            schedule: None,
            repro: None,
            trace: Vec::new(),
            stacks: Vec::new(),
            elapsed_ms,
            hunt: None,
        };
        if let Some(failure) = failure {
            report.describe(failure);
        }
        report
    }

    /// The report of a stress run on real threads ([`crate::stress`]): its counts, and the first
    /// failing real execution's violations, trace and stacks. The scheduler is `real-threads`;
    /// there is no schedule (the OS chose the interleaving, nothing can replay it), `seed` is 0,
    /// `schedules` is the number of runs and `steps_max` is 0 (real threads have no step bound).
    pub fn from_stress(
        variant: &str,
        scenario: &Scenario,
        result: &crate::stress::StressResult,
    ) -> Report {
        let real = &result.real;
        let mut report = Report {
            schema: SCHEMA.to_string(),
            variant: variant.to_string(),
            verdict: if real.failing > 0 {
                Verdict::Violation
            } else {
                Verdict::Pass
            },
            violations: Vec::new(),
            scenario: scenario.clone(),
            scheduler: REAL_THREADS.to_string(),
            seed: 0,
            schedules: real.executions,
            steps_max: 0,
            executions: real.executions,
            failing_executions: real.failing,
            per_invariant: real.per_invariant.clone(),
            exhaustive: false,
            schedule: None,
            repro: None,
            trace: Vec::new(),
            stacks: Vec::new(),
            elapsed_ms: real.elapsed.as_millis() as u64,
            hunt: None,
        };
        if let Some(failure) = &result.first_failure {
            report.describe(failure);
            report.schedule = None;
        }
        report
    }

    /// Fill in the violations, schedule, trace and stacks of `failure`.
    pub fn describe(&mut self, failure: &Failure) {
        let names = Names::new(&self.scenario, &failure.outcome);
        self.violations = failure
            .findings
            .iter()
            .map(|f| names.violation(f))
            .collect();
        self.schedule = Some(failure.schedule.to_string());
        self.trace = names.trace();
        self.stacks = names.stacks(&failure.findings);
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    /// The report as text: verdict, violations, stacks, counts, and the replay line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict = match self.verdict {
            Verdict::Pass => "PASS",
            Verdict::Violation => "VIOLATION",
        };
        let how = if self.scheduler == REAL_THREADS {
            "real OS threads (no schedule: the OS chose it)".to_string()
        } else {
            format!("{} scheduler, seed {}", self.scheduler, self.seed)
        };
        let _ = writeln!(
            out,
            "{verdict}: variant {} on {} thread(s), {how}",
            self.variant,
            self.scenario.threads.len(),
        );
        let coverage = if self.exhaustive {
            " (every schedule: exploration complete)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{} of {} executions failed{coverage}",
            self.failing_executions, self.executions
        );
        for (invariant, count) in &self.per_invariant {
            let _ = writeln!(out, "  {invariant}: {count} execution(s)");
        }
        if self.verdict == Verdict::Pass {
            return out;
        }
        let _ = writeln!(out, "\nfirst failing execution:");
        for violation in &self.violations {
            let _ = writeln!(out, "  [{}] {}", violation.invariant, violation.message);
        }
        let _ = writeln!(out, "\nthreads at the end:");
        for stack in &self.stacks {
            let _ = writeln!(out, "  {} ({}) {}", stack.actor, stack.user, stack.state);
        }
        let _ = writeln!(out, "\ntimeline:");
        for line in &self.trace {
            let implicit = if line.implicit { " (implicit)" } else { "" };
            let _ = writeln!(
                out,
                "  {:>4}  {:<4} {:<24} {}{implicit}",
                line.step, line.actor, line.user, line.event
            );
        }
        if let Some(schedule) = &self.schedule {
            let _ = writeln!(out, "\nschedule: {schedule}");
        }
        if let Some(repro) = &self.repro {
            let _ = writeln!(out, "repro:    {repro}");
        }
        out
    }
}

/// Turns ids into names: threads by the scenario's names, users by SID, pollers as `Pn`.
struct Names<'a> {
    scenario: &'a Scenario,
    outcome: &'a SimOutcome,
}

impl<'a> Names<'a> {
    fn new(scenario: &'a Scenario, outcome: &'a SimOutcome) -> Names<'a> {
        Names { scenario, outcome }
    }

    fn actor(&self, actor: Actor) -> String {
        match actor {
            Actor::Thread(index) => self.thread(index),
            Actor::Poller(id) => format!("P{id}"),
        }
    }

    fn thread(&self, index: u8) -> String {
        self.scenario.thread_name(index as usize)
    }

    fn user(&self, user: UserId) -> String {
        self.outcome.users[user.0 as usize].to_string()
    }

    fn log(&self) -> &[Entry] {
        &self.outcome.log
    }

    /// The effective user of every actor after each entry, in one pass.
    fn users_over_time(&self) -> Vec<UserId> {
        let mut current: BTreeMap<Actor, UserId> = BTreeMap::new();
        self.log()
            .iter()
            .map(|entry| {
                match entry.event {
                    Event::Impersonate { user } | Event::PollerStarted { user, .. } => {
                        current.insert(entry.actor, user);
                    }
                    Event::Revert => {
                        current.insert(entry.actor, UserId(0));
                    }
                    _ => {}
                }
                *current.get(&entry.actor).unwrap_or(&UserId(0))
            })
            .collect()
    }

    fn final_user(&self, actor: Actor) -> String {
        let users = self.users_over_time();
        let last = self
            .log()
            .iter()
            .rposition(|e| e.actor == actor)
            .map(|index| users[index]);
        self.user(last.unwrap_or(UserId(0)))
    }

    fn trace(&self) -> Vec<TraceLine> {
        self.log()
            .iter()
            .zip(self.users_over_time())
            .map(|(entry, user)| {
                let refs = refs(&entry.event);
                TraceLine {
                    step: entry.step,
                    actor: self.actor(entry.actor),
                    user: self.user(user),
                    event: self.event(&entry.event),
                    kind: kind(&entry.event).to_string(),
                    poller: refs.0.map(|p| format!("P{}", p.0)),
                    list: refs.1.map(|l| format!("L{}", l.0)),
                    store: refs.2.map(|m| format!("M{}", m.0)),
                    implicit: entry.implicit,
                }
            })
            .collect()
    }

    fn event(&self, event: &Event) -> String {
        match *event {
            Event::Impersonate { user } => format!("impersonate {}", self.user(user)),
            Event::Revert => "revert".into(),
            Event::Skipped { op } => format!("{} skipped: nothing to act on", op_name(op)),
            Event::ListCreated { list, user } => {
                format!("build connection list L{} for {}", list.0, self.user(user))
            }
            Event::PollerCreated { poller, list } => {
                format!("CreateThread poller P{} for L{}", poller.0, list.0)
            }
            Event::PollerStarted { poller, user } => {
                format!("poller P{} starts as {}", poller.0, self.user(user))
            }
            Event::Logon { session, list, .. } => {
                format!("logon: session S{} joins L{}", session.0, list.0)
            }
            Event::OpenStore { store, session } => {
                format!("open_store M{} on session S{}", store.0, session.0)
            }
            Event::ReleaseWait {
                store,
                list,
                poller,
                ..
            } => {
                format!(
                    "release_store M{}: queued on L{}, waiting (INFINITE) for P{}",
                    store.0, list.0, poller.0
                )
            }
            Event::ReleaseDone {
                store,
                timed_out: false,
            } => format!("release_store M{} returns (signalled)", store.0),
            Event::ReleaseDone {
                store,
                timed_out: true,
            } => format!("release_store M{} returns (wait timed out)", store.0),
            Event::PollerRespawned { old, new, list } => format!(
                "P{} is gone: CreateThread P{} for L{}",
                old.0, new.0, list.0
            ),
            Event::Logoff { session, list } => {
                format!("logoff: session S{} leaves L{}", session.0, list.0)
            }
            Event::ListRemoved { list, .. } => format!("L{} empty: removed from the table", list.0),
            Event::PollerStopRequested { poller } => format!("tells P{} to stop", poller.0),
            Event::PollerFound { lists, list, .. } => {
                format!("polls: {lists} list(s), takes L{} for its own", list.0)
            }
            Event::WorkDone { list, store, .. } => {
                format!("does M{}'s work on L{}, signals", store.0, list.0)
            }
            Event::SignalledWithoutWork { store, .. } => {
                format!("signals M{} without doing its work", store.0)
            }
            Event::PollerQuit { lists, user, .. } => {
                format!(
                    "polls: {lists} list(s), none matches {}: quits without signalling",
                    self.user(user)
                )
            }
            Event::PollerStopped { .. } => "stops (its list is gone)".into(),
            Event::PollerExhausted { .. } => "used up its poll budget: exits".into(),
            Event::ThreadDone => "thread ends".into(),
        }
    }

    fn poller_end(&self, end: PollerEnd) -> String {
        match end {
            PollerEnd::Quit { step, lists, user } => {
                format!(
                    "quit at step {step}: {lists} list(s), none matches {}",
                    self.user(user)
                )
            }
            PollerEnd::Stopped { step } => format!("stopped at step {step}"),
            PollerEnd::Exhausted { step } => format!("used up its poll budget at step {step}"),
            PollerEnd::Alive {
                serving: Some(list),
            } => format!("is alive but serving L{}", list.0),
            PollerEnd::Alive { serving: None } => "is alive but never took a list".into(),
        }
    }

    fn violation(&self, finding: &Finding) -> ViolationReport {
        let invariant = finding.invariant();
        let (message, thread, poller, step) = match finding {
            Finding::Hang {
                thread,
                store,
                list,
                poller,
                end,
                step,
                cut_off,
            } => {
                let name = self.thread(*thread);
                let how = if *cut_off {
                    " (step bound reached while pollers ran)"
                } else {
                    ""
                };
                let message = format!(
                    "{name} ({}) blocked in release_store of M{} on L{}, waiting for poller P{}; P{} {}{how}",
                    self.final_user(Actor::Thread(*thread)),
                    store.0,
                    list.0,
                    poller.0,
                    poller.0,
                    self.poller_end(*end)
                );
                (
                    message,
                    Some(name),
                    Some(format!("P{}", poller.0)),
                    Some(*step),
                )
            }
            Finding::WrongList {
                poller,
                owner,
                list,
                store,
                step,
            } => (
                format!(
                    "P{} was created for L{} but did M{}'s work on L{}",
                    poller.0, owner.0, store.0, list.0
                ),
                None,
                Some(format!("P{}", poller.0)),
                Some(*step),
            ),
            Finding::Mixed {
                list,
                first,
                other,
                step,
            } => (
                format!(
                    "L{} holds connections of {} and {} (equal CRC32 {:08x})",
                    list.0,
                    self.user(*first),
                    self.user(*other),
                    self.outcome.users[first.0 as usize].crc32()
                ),
                None,
                None,
                Some(*step),
            ),
            Finding::Unworked {
                thread,
                store,
                timed_out,
                step,
            } => {
                let why = if *timed_out {
                    "its wait timed out"
                } else {
                    "it was signalled"
                };
                let name = self.thread(*thread);
                (
                    format!(
                        "{name}'s release of M{} returned ({why}) but no poller did its work",
                        store.0
                    ),
                    Some(name),
                    None,
                    Some(*step),
                )
            }
            Finding::Leak {
                lists,
                pollers,
                step,
            } => {
                let lists: Vec<String> = lists.iter().map(|l| format!("L{}", l.0)).collect();
                let pollers: Vec<String> = pollers.iter().map(|p| format!("P{}", p.0)).collect();
                (
                    format!(
                        "after every thread finished, lists [{}] and pollers [{}] remain",
                        lists.join(", "),
                        pollers.join(", ")
                    ),
                    None,
                    None,
                    Some(*step),
                )
            }
            Finding::Panic { actor, message } => (
                format!("the variant panicked on {}: {message}", self.actor(*actor)),
                None,
                None,
                None,
            ),
        };
        ViolationReport {
            invariant,
            message,
            thread,
            poller,
            step,
        }
    }

    /// Each thread's last state: blocked where and on whom, or finished.
    fn stacks(&self, findings: &[Finding]) -> Vec<StackLine> {
        let mut actors: Vec<Actor> = (0..self.scenario.threads.len() as u8)
            .map(Actor::Thread)
            .collect();
        for entry in self.log() {
            if let Event::PollerCreated { poller, .. }
            | Event::PollerRespawned { new: poller, .. } = entry.event
            {
                actors.push(Actor::Poller(poller.0));
            }
        }
        actors
            .into_iter()
            .map(|actor| StackLine {
                actor: self.actor(actor),
                user: self.final_user(actor),
                state: self.state(actor, findings),
            })
            .collect()
    }

    fn state(&self, actor: Actor, findings: &[Finding]) -> String {
        if let Actor::Thread(index) = actor {
            for finding in findings {
                if let Finding::Hang {
                    thread,
                    store,
                    poller,
                    end,
                    ..
                } = finding
                {
                    if *thread == index {
                        return format!(
                            "blocked in release_store (M{}), waiting for poller P{}; P{} {}",
                            store.0,
                            poller.0,
                            poller.0,
                            self.poller_end(*end)
                        );
                    }
                }
            }
        }
        let blocked = self
            .outcome
            .stall
            .as_ref()
            .is_some_and(|s| s.blocked.iter().any(|(a, _)| *a == actor));
        let last = self.log().iter().rev().find(|e| e.actor == actor);
        match (last, blocked) {
            (Some(entry), true) if matches!(actor, Actor::Poller(_)) => {
                format!(
                    "idle, waiting for the table to change (last: {})",
                    self.event(&entry.event)
                )
            }
            (Some(entry), _) => format!("last: {}", self.event(&entry.event)),
            (None, _) => "never ran".into(),
        }
    }
}

fn op_name(op: OpKind) -> &'static str {
    match op {
        OpKind::ReleaseStore => "release_store",
        OpKind::OpenStore => "open_store",
        OpKind::Logoff => "logoff",
        OpKind::Revert => "revert",
    }
}

/// The stable kebab-case name of an event.
fn kind(event: &Event) -> &'static str {
    match event {
        Event::Impersonate { .. } => "impersonate",
        Event::Revert => "revert",
        Event::Skipped { .. } => "skipped",
        Event::ListCreated { .. } => "list-created",
        Event::PollerCreated { .. } => "poller-created",
        Event::PollerStarted { .. } => "poller-started",
        Event::Logon { .. } => "logon",
        Event::OpenStore { .. } => "open-store",
        Event::ReleaseWait { .. } => "release-wait",
        Event::ReleaseDone { .. } => "release-done",
        Event::PollerRespawned { .. } => "poller-respawned",
        Event::Logoff { .. } => "logoff",
        Event::ListRemoved { .. } => "list-removed",
        Event::PollerStopRequested { .. } => "poller-stop-requested",
        Event::PollerFound { .. } => "poller-found",
        Event::WorkDone { .. } => "work-done",
        Event::SignalledWithoutWork { .. } => "signalled-without-work",
        Event::PollerQuit { .. } => "poller-quit",
        Event::PollerStopped { .. } => "poller-stopped",
        Event::PollerExhausted { .. } => "poller-exhausted",
        Event::ThreadDone => "thread-done",
    }
}

/// The poller, list and store an event is about.
fn refs(event: &Event) -> (Option<PollerId>, Option<ListId>, Option<StoreId>) {
    match *event {
        Event::ListCreated { list, .. }
        | Event::Logon { list, .. }
        | Event::Logoff { list, .. } => (None, Some(list), None),
        Event::PollerCreated { poller, list }
        | Event::ListRemoved { list, poller }
        | Event::PollerFound { poller, list, .. } => (Some(poller), Some(list), None),
        Event::PollerRespawned { new, list, .. } => (Some(new), Some(list), None),
        Event::PollerStarted { poller, .. }
        | Event::PollerStopRequested { poller }
        | Event::PollerQuit { poller, .. }
        | Event::PollerStopped { poller }
        | Event::PollerExhausted { poller } => (Some(poller), None, None),
        Event::OpenStore { store, .. } | Event::ReleaseDone { store, .. } => {
            (None, None, Some(store))
        }
        Event::ReleaseWait {
            store,
            list,
            poller,
            ..
        } => (Some(poller), Some(list), Some(store)),
        Event::WorkDone {
            poller,
            list,
            store,
        } => (Some(poller), Some(list), Some(store)),
        Event::SignalledWithoutWork { poller, store } => (Some(poller), None, Some(store)),
        Event::Impersonate { .. } | Event::Revert | Event::Skipped { .. } | Event::ThreadDone => {
            (None, None, None)
        }
    }
}
