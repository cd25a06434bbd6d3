//! Reports: a check's verdict as JSON (versioned schema) and as text a person reads like a
//! debugger's view of the hang: each thread's last operation, the wait-for chain, the timeline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{CheckConfig, CheckResult, Failure, Strategy};
use crate::monitor::{Finding, Invariant, PollerEnd};
use crate::phrase;
use crate::scenario::Scenario;
use crate::sim::{Actor, LockId, SimOutcome, UserId};
use crate::trace::{Entry, Event, FiledKey, ListId, WaitOn};
pub use crate::trace::{KeyText, TraceLine};

mod chain;

pub use chain::{advice, Advice, ChainLink, ChainWait};

/// The `schema` field of every JSON report this version writes.
pub const SCHEMA: &str = "mapihang.report/1";

/// The `scheduler` of a report of executions on real OS threads (`mapihang stress`).
pub const REAL_THREADS: &str = "real-threads";

pub use crate::verdict::Verdict;

/// Why a verdict is inconclusive: what could not be judged, how often, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inconclusive {
    /// `step-bound` (executions cut off by `--steps-max`), `left-schedule` (a replay under
    /// another variant left the recorded schedule) or `watchdog` (on real threads, the watchdog
    /// fired while some thread still ran).
    pub reason: InconclusiveReason,
    /// The executions (or runs) that could not be judged.
    pub executions: usize,
    /// One line saying what happened.
    pub message: String,
    /// A command (or option) that can settle it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// What made a verdict inconclusive (stable kebab-case names).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InconclusiveReason {
    /// The step bound cut executions off before anything certain was seen.
    StepBound,
    /// A replay under another variant left the recorded schedule.
    LeftSchedule,
    /// On real threads, the watchdog fired while some thread still ran.
    Watchdog,
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
    /// The log index where it shows (JSON `step`).
    #[serde(rename = "step", default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u32>,
    /// The wait-for chain of an application-level wait (a join, an event, a lock): each link
    /// in order, the last one where it ends (a poller's signal, a cycle, or nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<ChainLink>,
    /// What to do next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
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
    /// `pass`, `violation` or `inconclusive`.
    pub verdict: Verdict,
    /// Why the verdict is inconclusive (only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<Inconclusive>,
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
    /// Executions cut off by the step bound with nothing certain seen: not judged.
    #[serde(default)]
    pub cut_off: usize,
    /// Per invariant, the executions that violated it.
    pub per_invariant: BTreeMap<Invariant, usize>,
    /// The scheduler explored every schedule (DFS finished within the budget).
    pub exhaustive: bool,
    /// Every interleaving of the scenario was covered up to equivalence, with no bound and
    /// within the budget (`dpor`, or `dfs` with no preemption bound, ran out of schedules; no
    /// execution was cut off by the step bound). A complete pass is a proof for this scenario.
    #[serde(default)]
    pub complete: bool,
    /// What bounded the search, when something did (`null` when it is complete or sampled).
    #[serde(default)]
    pub bound: Option<String>,
    /// Executions judged (under `dpor`, one per equivalence class of interleavings explored).
    #[serde(default)]
    pub traces: usize,
    /// Executions stopped early as redundant and not judged (`dpor`'s sleep sets; under
    /// `stateful`, executions that reached a state visited before or a point where every
    /// thread that could run was asleep).
    #[serde(default)]
    pub pruned: usize,
    /// `stateful` only: distinct model states visited (up to permuting the threads of each of
    /// `symmetry`'s sets, when there are such).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub states: usize,
    /// `stateful` only: sets of threads (by name) that run the same ops and that nothing names;
    /// the search stored one state of each set of states that differ by permuting them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symmetry: Vec<Vec<String>>,
    /// What a pass guarantees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantee: Option<Guarantee>,
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

/// What a pass means: a proof, a probability bound, or nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guarantee {
    /// `complete`, `bounded`, `pct`, `prefix` (a replay's continuations) or `none`.
    pub kind: String,
    /// In words.
    pub statement: String,
    /// PCT only: the bound on the probability that every schedule missed a bug of the given
    /// depth, `(1 - 1/(n * k^(d-1)))^N` (Burckhardt et al., ASPLOS 2010).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miss_probability_max: Option<f64>,
}

impl Eq for Guarantee {}

/// " up to permuting T1 and T2, which run the same ops" for the stateful search's `symmetry`
/// (empty when there is none).
pub fn symmetry_phrase(classes: &[Vec<String>]) -> String {
    let class = |names: &[String]| match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    match classes {
        [] => String::new(),
        [one] => format!(" up to permuting {}, which run the same ops", class(one)),
        _ => format!(
            " up to permuting {}, each set of which runs the same ops",
            classes
                .iter()
                .map(|c| class(c))
                .collect::<Vec<_>>()
                .join("; and ")
        ),
    }
}

impl Guarantee {
    /// The guarantee of a check run under `config` that found `result`.
    pub fn of(config: &CheckConfig, result: &CheckResult) -> Guarantee {
        let (kind, statement, miss) = match &config.strategy {
            Strategy::Continuations(prefix) if result.complete => (
                "prefix",
                format!(
                    "every continuation of the recorded schedule's first {} steps covered up to \
                     equivalence ({} traces): certain for executions that begin that way, not a \
                     proof for the whole scenario",
                    prefix.steps.len(),
                    result.traces
                ),
                None,
            ),
            Strategy::Stateful if result.complete => (
                "complete",
                format!(
                    "every reachable state explored ({} states{}, {} executions to an end): a proof for this scenario",
                    result.states,
                    if result.symmetry.is_empty() {
                        ""
                    } else {
                        " up to permuting threads that run the same ops"
                    },
                    result.traces
                ),
                None,
            ),
            _ if result.complete => (
                "complete",
                format!(
                    "every interleaving covered up to equivalence ({} traces): a proof for this scenario",
                    result.traces
                ),
                None,
            ),
            Strategy::Pct { depth } => {
                let (n, k, d) = (
                    result.threads.max(1) as f64,
                    result.longest.max(1) as f64,
                    (*depth).max(1) as i32,
                );
                let p = 1.0 / (n * k.powi(d - 1));
                let miss = (1.0 - p).powf(result.traces as f64);
                (
                    "pct",
                    format!(
                        "PCT: each schedule finds a bug of depth {d} with probability at least 1/(n*k^(d-1)) = 1/({n}*{k}^{}) ; after {} schedules P(miss) <= {miss:.4}",
                        d - 1,
                        result.traces
                    ),
                    Some(miss),
                )
            }
            Strategy::Random => (
                "none",
                format!(
                    "random sampling of {} schedules: no probability bound",
                    result.traces
                ),
                None,
            ),
            _ => (
                "bounded",
                format!(
                    "bounded: {}",
                    bound_of(config, result).unwrap_or_else(|| "incomplete".into())
                ),
                None,
            ),
        };
        Guarantee {
            kind: kind.into(),
            statement,
            miss_probability_max: miss,
        }
    }
}

/// What bounded a search, if anything did (`None`: complete, or a sampling scheduler).
pub fn bound_of(config: &CheckConfig, result: &CheckResult) -> Option<String> {
    if result.complete {
        return None;
    }
    let mut bounds = Vec::new();
    if let Strategy::Dfs {
        preemptions: Some(k),
    } = config.strategy
    {
        bounds.push(format!("at most {k} preemptions"));
    }
    let searching = matches!(
        config.strategy,
        Strategy::Dfs { .. } | Strategy::Dpor | Strategy::Continuations(_) | Strategy::Stateful
    );
    if searching && !result.exhausted && result.failing == 0 {
        bounds.push(format!("the budget of {} schedules", config.schedules));
    }
    if result.cut_off > 0 {
        bounds.push(format!(
            "{} executions cut off at {} steps",
            result.cut_off, config.steps_max
        ));
    }
    (!bounds.is_empty()).then(|| bounds.join(", "))
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
    /// Of those, executions the step bound cut off with nothing certain seen.
    #[serde(default)]
    pub cut_off: usize,
    /// Candidate scenarios tried while shrinking (JSON `shrink_steps`).
    #[serde(rename = "shrink_steps")]
    pub shrink_candidates: usize,
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
    /// One shrunk repro per distinct invariant found, most severe first (the first is the
    /// report's own violation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distinct: Vec<HuntDistinct>,
}

/// One invariant a hunt found, shrunk on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntDistinct {
    /// The invariant.
    pub invariant: Invariant,
    /// The failing case (1-based, as in `case N of M`).
    pub case: usize,
    /// Ops of the shrunk scenario.
    pub shrunk_ops: usize,
    /// The shrunk scenario.
    pub scenario: Scenario,
    /// The schedule that shows the violation on it (`mh1:...`).
    pub schedule: Option<String>,
    /// A command that reproduces it (a hunt for this invariant, then its replay).
    pub repro: String,
}

/// The `scheduler` of a replay that left its schedule and searched every continuation.
pub const CONTINUATIONS_SCHEDULER: &str = "replay-continuations";

/// The scheduler's name as reports and the CLI spell it.
pub fn strategy_name(strategy: &Strategy) -> &'static str {
    match strategy {
        Strategy::Random => "random",
        Strategy::Pct { .. } => "pct",
        Strategy::Dfs { .. } => "dfs",
        Strategy::Dpor => "dpor",
        Strategy::Stateful => "stateful",
        Strategy::Replay(_) => "replay",
        Strategy::Continuations(_) => CONTINUATIONS_SCHEDULER,
        Strategy::Bytes(_) => "bytes",
    }
}

impl Report {
    /// Give every violation whose advice `mapihang advise` checks the command that runs it.
    pub fn set_advise_command(&mut self, command: &str) {
        for violation in &mut self.violations {
            if let Some(advice) = violation.advice.as_mut().filter(|a| a.advise) {
                advice.command = Some(command.to_string());
            }
        }
    }

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
            verdict: result.verdict(),
            inconclusive: None,
            violations: Vec::new(),
            scenario: scenario.clone(),
            scheduler: strategy_name(&config.strategy).to_string(),
            seed: config.seed,
            schedules: config.schedules,
            steps_max: config.steps_max,
            executions: result.executions,
            failing_executions: result.failing,
            cut_off: result.cut_off,
            per_invariant: result.per_invariant.clone(),
            exhaustive: result.exhausted,
            // Every interleaving of the scenario: a search of one prefix's continuations is
            // complete for that prefix only (its guarantee says so).
            complete: result.complete && !matches!(config.strategy, Strategy::Continuations(_)),
            bound: bound_of(config, result),
            traces: result.traces,
            pruned: result.pruned,
            states: result.states,
            symmetry: result
                .symmetry
                .iter()
                .map(|class| {
                    class
                        .iter()
                        .map(|&t| scenario.thread_name(t.into()))
                        .collect()
                })
                .collect(),
            guarantee: (!result.failed()).then(|| Guarantee::of(config, result)),
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
        if report.verdict == Verdict::Inconclusive {
            report.inconclusive = Some(Inconclusive {
                reason: InconclusiveReason::StepBound,
                executions: result.cut_off,
                message: format!(
                    "{} of {} execution(s) were cut off by the step bound ({} steps) before they \
                     ended, with no violation certain; nothing else failed",
                    result.cut_off, result.executions, config.steps_max
                ),
                hint: Some("raise --steps-max".to_string()),
            });
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
            verdict: result.verdict(),
            inconclusive: None,
            violations: Vec::new(),
            scenario: scenario.clone(),
            scheduler: REAL_THREADS.to_string(),
            seed: 0,
            schedules: real.executions,
            steps_max: 0,
            executions: real.executions,
            failing_executions: real.failing,
            cut_off: 0,
            per_invariant: real.per_invariant.clone(),
            exhaustive: false,
            complete: false,
            bound: None,
            traces: real.executions,
            pruned: 0,
            states: 0,
            symmetry: Vec::new(),
            guarantee: None,
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
        if report.verdict == Verdict::Inconclusive {
            report.inconclusive = Some(Inconclusive {
                reason: InconclusiveReason::Watchdog,
                executions: real.inconclusive,
                message: format!(
                    "in {} of {} real run(s) the watchdog fired while some thread still ran \
                     (a slow thread, not a proven hang); nothing else failed",
                    real.inconclusive, real.executions
                ),
                hint: Some("raise --timeout-ms".to_string()),
            });
        }
        report
    }

    /// Fill in the violations, schedule, trace and stacks of `failure`.
    pub fn describe(&mut self, failure: &Failure) {
        let names = Names::new(&self.scenario, &failure.outcome, &self.variant);
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
}

/// Turns ids into names: threads by the scenario's names, users by SID, pollers as `Pn`.
struct Names<'a> {
    scenario: &'a Scenario,
    outcome: &'a SimOutcome,
    variant: &'a str,
}

impl phrase::Names for Names<'_> {
    fn user(&self, user: UserId) -> String {
        Names::user(self, user)
    }

    fn actor(&self, actor: Actor) -> String {
        Names::actor(self, actor)
    }

    fn lock(&self, lock: LockId) -> String {
        Names::lock(self, lock)
    }

    fn app_event(&self, event: u16) -> String {
        self.scenario
            .names()
            .events
            .get(event as usize)
            .cloned()
            .unwrap_or_else(|| format!("event {event}"))
    }
}

impl<'a> Names<'a> {
    fn new(scenario: &'a Scenario, outcome: &'a SimOutcome, variant: &'a str) -> Names<'a> {
        Names {
            scenario,
            outcome,
            variant,
        }
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

    fn lock(&self, lock: LockId) -> String {
        self.outcome
            .locks
            .get(lock.0 as usize)
            .cloned()
            .unwrap_or_else(|| format!("lock {}", lock.0))
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
            .map(|(entry, user)| self.trace_line(entry, user))
            .collect()
    }

    fn trace_line(&self, entry: &Entry, user: UserId) -> TraceLine {
        let refs = entry.event.refs();
        let mut line = TraceLine {
            index: entry.index,
            actor: self.actor(entry.actor),
            user: self.user(user),
            event: self.event(&entry.event),
            kind: entry.event.kind(),
            poller: refs.poller.map(|p| p.to_string()),
            list: refs.list.map(|l| l.to_string()),
            store: refs.store.map(|m| m.to_string()),
            key: None,
            timed: false,
            timed_out: false,
            lists_seen: None,
            lock: None,
            holder: None,
            thread: None,
            app_event: None,
            implicit: entry.implicit,
        };
        match entry.event {
            Event::ListCreated { key, .. } => line.key = Some(self.key(key)),
            Event::ReleaseWait { timed, .. } => line.timed = timed,
            Event::ReleaseDone { timed_out, .. } => line.timed_out = timed_out,
            Event::PollerFound { lists, .. } | Event::PollerQuit { lists, .. } => {
                line.lists_seen = Some(lists)
            }
            Event::LockWait { lock, holder } => {
                line.lock = Some(self.lock(lock));
                line.holder = Some(self.actor(holder));
            }
            Event::LockTaken { lock } | Event::LockReleased { lock } => {
                line.lock = Some(self.lock(lock))
            }
            Event::Spawn { thread } => line.thread = Some(self.thread(thread)),
            Event::AppWait { on, .. } | Event::AppWaitDone { on } => match on {
                WaitOn::Thread(thread) | WaitOn::Release { thread, .. } => {
                    line.thread = Some(self.thread(thread))
                }
                WaitOn::Event(event) => {
                    line.app_event = Some(phrase::Names::app_event(self, event))
                }
            },
            Event::AppSignal { event } => {
                line.app_event = Some(phrase::Names::app_event(self, event))
            }
            _ => {}
        }
        line
    }

    fn key(&self, key: FiledKey) -> KeyText {
        match key {
            FiledKey::Crc32(crc) => KeyText::Crc32(format!("{crc:08x}")),
            FiledKey::Sid(user) => KeyText::Sid(self.user(user)),
            FiledKey::Custom(value) => KeyText::Custom(format!("{value:016x}")),
        }
    }

    /// The key `list` was filed under, from its `list-created` entry.
    fn key_of(&self, list: ListId) -> Option<FiledKey> {
        self.log().iter().find_map(|e| match e.event {
            Event::ListCreated { list: l, key, .. } if l == list => Some(key),
            _ => None,
        })
    }

    fn event(&self, event: &Event) -> String {
        phrase::event(event, self)
    }

    fn poller_end(&self, end: PollerEnd) -> String {
        match end {
            PollerEnd::Quit {
                log_index,
                lists,
                user,
            } => {
                format!(
                    "quit at step {log_index}: {lists} list(s), none matches {}",
                    self.user(user)
                )
            }
            PollerEnd::Stopped { log_index } => format!("stopped at step {log_index}"),
            PollerEnd::Exhausted { log_index } => {
                format!("used up its poll budget at step {log_index}")
            }
            PollerEnd::Alive {
                serving: Some(list),
            } => format!("is alive but serving {list}"),
            PollerEnd::Alive { serving: None } => "is alive but never took a list".into(),
            PollerEnd::WaitsForLock { lock, holder } => format!(
                "waits for lock `{}`, held by {}",
                self.lock(lock),
                self.actor(holder)
            ),
        }
    }

    fn violation(&self, finding: &Finding) -> ViolationReport {
        let mut report = ViolationReport {
            invariant: finding.invariant(),
            message: String::new(),
            thread: None,
            poller: None,
            log_index: None,
            chain: self.chain(finding),
            advice: Some(advice(self.variant, finding.invariant())),
        };
        match finding {
            Finding::Hang {
                thread,
                poller,
                log_index,
                chain,
                ..
            } if !chain.is_empty() => {
                report.message = self.chain_message(*thread, &report.chain);
                report.thread = Some(self.thread(*thread));
                report.poller = Some(poller.to_string());
                report.log_index = Some(*log_index);
            }
            Finding::Deadlock {
                thread, log_index, ..
            } => {
                report.message = self.chain_message(*thread, &report.chain);
                report.thread = Some(self.thread(*thread));
                report.log_index = Some(*log_index);
            }
            Finding::Hang {
                thread,
                store,
                list,
                poller,
                end,
                log_index,
                cut_off,
                ..
            } => {
                let how = if *cut_off {
                    " (cut off by the step bound, but certain: every poller has exited, none can be restarted, and no thread has a logon left)"
                } else {
                    ""
                };
                report.message = format!(
                    "{} ({}) blocked in release_store of {store} on {list}, waiting for poller {poller}; {poller} {}{how}",
                    self.thread(*thread),
                    self.final_user(Actor::Thread(*thread)),
                    self.poller_end(*end)
                );
                report.thread = Some(self.thread(*thread));
                report.poller = Some(poller.to_string());
                report.log_index = Some(*log_index);
            }
            Finding::WrongList {
                poller,
                owner,
                list,
                store,
                log_index,
            } => {
                report.message =
                    format!("{poller} was created for {owner} but did {store}'s work on {list}");
                report.poller = Some(poller.to_string());
                report.log_index = Some(*log_index);
            }
            Finding::SharedList {
                list,
                first,
                other,
                log_index,
            } => {
                report.message = self.shared_list(*list, *first, *other);
                report.log_index = Some(*log_index);
            }
            Finding::Unworked {
                thread,
                store,
                timed_out,
                log_index,
            } => {
                let why = if *timed_out {
                    "its wait timed out"
                } else {
                    "it was signalled"
                };
                let name = self.thread(*thread);
                report.message = format!(
                    "{name}'s release of {store} returned ({why}) but no poller did its work"
                );
                report.thread = Some(name);
                report.log_index = Some(*log_index);
            }
            Finding::Leak {
                lists,
                pollers,
                log_index,
            } => {
                let lists: Vec<String> = lists.iter().map(ListId::to_string).collect();
                let pollers: Vec<String> = pollers.iter().map(|p| p.to_string()).collect();
                report.message = format!(
                    "after every thread finished, lists [{}] and pollers [{}] remain",
                    lists.join(", "),
                    pollers.join(", ")
                );
                report.log_index = Some(*log_index);
            }
            Finding::Panic { actor, message } => {
                report.message =
                    format!("the variant panicked on {}: {message}", self.actor(*actor));
            }
        }
        report
    }

    /// `list-isolation`: which two users share `list`, and under which key it was filed.
    fn shared_list(&self, list: ListId, first: UserId, other: UserId) -> String {
        let users = &self.outcome.users;
        let (a, b) = (&users[first.0 as usize], &users[other.0 as usize]);
        let why = match self.key_of(list) {
            Some(FiledKey::Crc32(crc)) if a.crc32() == crc && b.crc32() == crc => {
                format!("equal CRC32 {crc:08x}")
            }
            Some(key) => format!("filed under {}", phrase::key(&self.key(key))),
            None => "its key is not in the log".into(),
        };
        format!("{list} holds connections of {a} and {b} ({why})")
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
                    chain,
                    ..
                } = finding
                {
                    if *thread == index && chain.is_empty() {
                        return format!(
                            "blocked in release_store ({store}), waiting for poller {poller}; {poller} {}",
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

fn is_zero(n: &usize) -> bool {
    *n == 0
}
