//! The engine: run a (variant, scenario) pair on many schedules and judge every execution.
//!
//! [`check`] is a pure function of its inputs: the same variant, scenario and [`CheckConfig`]
//! give the same [`CheckResult`], schedule and trace included. [`replay`] re-runs one recorded
//! schedule and says whether it reproduced.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::monitor::{invariants_of, judge, settle, Certainty, Finding, Invariant};
use crate::scenario::Scenario;
use crate::sim::runner::{self, Next, SimSlot};
use crate::sim::{Sim, SimOutcome};
use crate::trace::Event;
use crate::variant::{OnDeadPoller, ReleaseWait, Variant};
use crate::verdict::Verdict;

mod app;
#[cfg(test)]
mod app_tests;

pub use crate::sim::runner::{Schedule, ScheduleError, Strategy};
pub(crate) use app::{compile, run_execution, Compiled};

/// The default bound on an execution's scheduling steps (far above any scenario's needs: the
/// largest scenario takes a few thousand).
pub const STEPS_MAX_DEFAULT: usize = 50_000;
/// The largest step bound an execution may be given.
pub const STEPS_MAX_MAX: usize = 10_000_000;
/// The most schedules one `check` runs: about 17 minutes at 100,000 random schedules/s; for the
/// stateful search, whose visited set takes about 70 bytes a state, at most about 7 GB (the
/// `thread-pool` example under `fixed` needs 32.5 million executions, 22.5 million states,
/// 1.6 GB).
pub const SCHEDULES_MAX: usize = 100_000_000;
/// PCT's default bug depth.
pub const PCT_DEPTH_DEFAULT: usize = 3;

/// How to explore schedules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckConfig {
    /// Which scheduler picks the interleavings.
    pub strategy: Strategy,
    /// How many executions (schedules) to run at most.
    pub schedules: usize,
    /// The scheduler's seed (random and PCT).
    pub seed: u64,
    /// The step bound of one execution (at least 1); an execution cut off by it keeps only
    /// its certain findings (`monitor::settle`), else it counts as cut off.
    pub steps_max: usize,
    /// Stop at the first failing execution (hunting), rather than counting them all (checking).
    pub stop_on_first: bool,
    /// Only an execution that violates this invariant is kept as the first failure and stops
    /// the run (`None`: any invariant). Every violation is still counted.
    pub target: Option<Invariant>,
}

impl Default for CheckConfig {
    fn default() -> CheckConfig {
        CheckConfig {
            strategy: Strategy::Random,
            schedules: 1000,
            seed: 0,
            steps_max: STEPS_MAX_DEFAULT,
            stop_on_first: false,
            target: None,
        }
    }
}

/// One failing execution: what went wrong, the schedule that replays it, and its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which execution it was (0-based).
    pub execution: usize,
    /// The violations found, invariants in DESIGN.md's order.
    pub findings: Vec<Finding>,
    /// The schedule that replays it.
    pub schedule: Schedule,
    /// The execution's log and how it ended.
    pub outcome: SimOutcome,
}

impl Failure {
    /// The distinct invariants violated, in DESIGN.md's order.
    pub fn invariants(&self) -> Vec<Invariant> {
        invariants_of(&self.findings)
    }
}

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckResult {
    /// Executions run.
    pub executions: usize,
    /// Executions with at least one (certain) violation.
    pub failing: usize,
    /// Executions cut off by the step bound with nothing certain to report: not judged, so
    /// the verdict cannot be a pass.
    pub cut_off: usize,
    /// Per invariant, the executions that violated it.
    pub per_invariant: BTreeMap<Invariant, usize>,
    /// The scheduler ran out of schedules within the budget (DFS: exploration is complete).
    pub exhausted: bool,
    /// The first failing execution.
    pub first_failure: Option<Failure>,
    /// Every interleaving was covered up to equivalence: a complete search (`dpor`, or `dfs`
    /// with no preemption bound) ran out of schedules within the budget, and no execution was
    /// cut off by the step bound.
    pub complete: bool,
    /// Executions judged (each one trace; under `dpor`, one per equivalence class explored).
    pub traces: usize,
    /// Executions stopped early as redundant and not judged (`dpor`'s sleep sets; the stateful
    /// search's states visited before, and its own sleep sets).
    pub pruned: usize,
    /// The stateful search: distinct states visited (0 under every other scheduler), counted
    /// up to permuting the threads of each of [`CheckResult::symmetry`]'s classes.
    pub states: usize,
    /// The stateful search only: sets of application threads (by index) that run the same ops
    /// and that nothing names, among which it stored one state of each orbit under permuting
    /// them (`canon::set_symmetry`); empty when none.
    pub symmetry: Vec<Vec<u8>>,
    /// The scheduling steps of the longest execution (PCT's `k`).
    pub longest: usize,
    /// The most threads (shuttle tasks, the main task left out) of any execution (PCT's `n`).
    pub threads: usize,
}

impl CheckResult {
    /// Whether some execution violated an invariant.
    pub fn failed(&self) -> bool {
        self.failing > 0
    }

    /// Violation when some execution failed, else inconclusive when some was cut off, else pass.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.failing, self.cut_off)
    }
}

impl Compiled {
    pub(crate) fn certainty(&self, variant: &dyn Variant) -> Certainty {
        Certainty {
            // Code of a variant's own may start pollers anywhere (or time out anywhere): a
            // cut-off hang is never certain under it.
            restarts_dead_pollers: variant.machinery().is_some()
                || variant.on_dead_poller() != OnDeadPoller::Wait,
            timed_release_waits: variant.release_wait() != ReleaseWait::Infinite,
            logon_ops: self.logon_ops.clone(),
            plan: self.plan.clone(),
        }
    }
}

/// Judge one execution and settle what a cut-off leaves uncertain: (findings, cut off).
fn judge_settled(sim: &Sim, certainty: &Certainty) -> (Vec<Finding>, bool) {
    sim.with_outcome(|outcome| settle(outcome, judge(outcome, certainty), certainty))
}

/// Run `variant` on `scenario` under `config`; judge every execution.
///
/// The stateful search's fingerprint is complete only for the default machinery: under a
/// variant with code of its own, `Strategy::Stateful` runs as `Strategy::Dpor` (the CLI refuses
/// the combination instead, see [`stateful_refusal`]).
pub fn check(variant: Arc<dyn Variant>, scenario: &Scenario, config: &CheckConfig) -> CheckResult {
    check_jobs(variant, scenario, config, 1)
}

/// [`check`] on `jobs` OS threads: the stateful search runs as one search shared by `jobs`
/// workers (`sim::pool`); every other strategy runs on this thread. With more than one worker,
/// the verdict and `complete` of a search that ends are what one worker gives, but which
/// failing execution is kept first, and the counts, depend on timing.
pub fn check_jobs(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    config: &CheckConfig,
    jobs: usize,
) -> CheckResult {
    let config = &for_variant(config, variant.as_ref());
    let compiled = Arc::new(compile(scenario));
    let certainty = compiled.certainty(variant.as_ref());
    let mut result = CheckResult {
        symmetry: if matches!(config.strategy, Strategy::Stateful) {
            compiled.symmetry().classes.clone()
        } else {
            Vec::new()
        },
        ..CheckResult::default()
    };
    let shared = Arc::new(std::sync::Mutex::new(Vec::<Failure>::new()));
    let counts = Arc::new(std::sync::Mutex::new(Tally::default()));
    let (stop_on_first, target) = (config.stop_on_first, config.target);
    let executions = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stats = runner::run_jobs(
        jobs,
        &config.strategy,
        config.seed,
        config.schedules,
        config.steps_max,
        execution_body(variant, compiled),
        || {
            let (sink, tally, certainty) = (shared.clone(), counts.clone(), certainty.clone());
            let execution = executions.clone();
            move |sim: Sim, schedule: &Schedule| {
                // Judged on the world as it stands; copied into a `SimOutcome` only when kept.
                let (findings, cut_off) = judge_settled(&sim, &certainty);
                let index = execution.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                tally.traces += 1;
                tally.cut_any += usize::from(cut_off);
                tally.longest = tally.longest.max(schedule.steps.len());
                let threads = schedule.steps.iter().copied().max().unwrap_or(0) as usize;
                tally.threads = tally.threads.max(threads);
                if findings.is_empty() {
                    tally.cut_off += usize::from(cut_off);
                    return Next::Continue;
                }
                tally.failing += 1;
                for invariant in invariants_of(&findings) {
                    *tally.per_invariant.entry(invariant).or_default() += 1;
                }
                drop(tally);
                if target.is_some_and(|target| !findings.iter().any(|f| f.invariant() == target)) {
                    return Next::Continue;
                }
                let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
                if sink.is_empty() {
                    sink.push(Failure {
                        execution: index,
                        findings,
                        schedule: schedule.clone(),
                        outcome: sim.outcome(),
                    });
                }
                if stop_on_first {
                    Next::Stop
                } else {
                    Next::Continue
                }
            }
        },
    );
    let tally = std::mem::take(&mut *counts.lock().unwrap_or_else(|p| p.into_inner()));
    result.executions = stats.executions;
    result.exhausted = stats.exhausted;
    result.failing = tally.failing;
    result.per_invariant = tally.per_invariant;
    result.cut_off = tally.cut_off;
    result.traces = tally.traces;
    result.pruned = stats.pruned;
    result.states = stats.states;
    result.longest = tally.longest;
    result.threads = tally.threads;
    let complete_search = match config.strategy {
        Strategy::Dpor | Strategy::Continuations(_) | Strategy::Stateful => true,
        Strategy::Dfs { preemptions } => preemptions.is_none(),
        _ => false,
    };
    // A search stopped at the first failure did not cover everything, but what it found is
    // certain; `complete` speaks of passes.
    result.complete = complete_search && stats.exhausted && tally.cut_any == 0;
    result.first_failure = shared.lock().unwrap_or_else(|p| p.into_inner()).pop();
    result
}

/// `config` as it runs under `variant`: the stateful search becomes DPOR for a variant with
/// machinery code of its own.
pub(crate) fn for_variant(config: &CheckConfig, variant: &dyn Variant) -> CheckConfig {
    let mut config = config.clone();
    if config.strategy == Strategy::Stateful && variant.machinery().is_some() {
        config.strategy = Strategy::Dpor;
    }
    config
}

/// Why `variant` cannot run under the stateful search, if it cannot: code of its own may keep
/// state the fingerprint does not see.
pub fn stateful_refusal(variant: &dyn Variant) -> Option<String> {
    variant.machinery().is_some().then(|| {
        format!(
            "--scheduler stateful needs a variant without machinery code of its own ({} has \
             some, whose state the fingerprint cannot see): use --scheduler dpor",
            variant.name()
        )
    })
}

/// What `check` counts while executions run.
#[derive(Default)]
struct Tally {
    failing: usize,
    per_invariant: BTreeMap<Invariant, usize>,
    cut_off: usize,
    /// Cut off by the step bound, whether or not a violation was already certain.
    cut_any: usize,
    traces: usize,
    longest: usize,
    threads: usize,
}

/// Run `compiled` under `config` (its strategy, seed, budget and step bound) and hand every
/// execution's settled findings and whether it was cut off to `on_findings`, in order (for
/// callers that tally executions their own way, such as `stress`).
pub(crate) fn for_each_execution(
    variant: Arc<dyn Variant>,
    compiled: &Arc<Compiled>,
    config: &CheckConfig,
    mut on_findings: impl FnMut(&[Finding], bool) + 'static,
) {
    let certainty = compiled.certainty(variant.as_ref());
    runner::run(
        &config.strategy,
        config.seed,
        config.schedules,
        config.steps_max,
        execution_body(variant, compiled.clone()),
        move |sim, _schedule| {
            let (findings, cut_off) = judge_settled(&sim, &certainty);
            on_findings(&findings, cut_off);
            Next::Continue
        },
    );
}

/// What a replay did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayResult {
    /// The execution followed the schedule to its end, step for step.
    pub faithful: bool,
    /// The replayed execution's findings (empty: it passed, or was cut off).
    pub findings: Vec<Finding>,
    /// The step bound cut the execution off with nothing certain to report.
    pub cut_off: bool,
    /// The replayed execution's log.
    pub outcome: SimOutcome,
    /// The schedule the replay actually took.
    pub schedule: Schedule,
}

/// Re-run one recorded schedule of `variant` on `scenario`.
pub fn replay(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    schedule: &Schedule,
    steps_max: usize,
) -> ReplayResult {
    let config = CheckConfig {
        strategy: Strategy::Replay(schedule.clone()),
        schedules: 1,
        seed: 0,
        steps_max,
        stop_on_first: true,
        target: None,
    };
    let result = run_once(variant, scenario, &config);
    let faithful = result.schedule == *schedule;
    ReplayResult { faithful, ..result }
}

/// Run exactly one execution under `config.strategy` (replay or bytes) and return it, passing or not.
pub fn run_once(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    config: &CheckConfig,
) -> ReplayResult {
    let compiled = Arc::new(compile(scenario));
    let certainty = compiled.certainty(variant.as_ref());
    let out = Arc::new(std::sync::Mutex::new(None));
    let sink = out.clone();
    runner::run(
        &config.strategy,
        config.seed,
        1,
        config.steps_max,
        execution_body(variant, compiled),
        move |sim, schedule| {
            let (findings, cut_off) = judge_settled(&sim, &certainty);
            let outcome = sim.outcome();
            *sink.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((findings, cut_off, outcome, schedule.clone()));
            Next::Stop
        },
    );
    let (findings, cut_off, outcome, schedule) = out
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .expect("the runner runs one execution");
    ReplayResult {
        faithful: true,
        findings,
        cut_off,
        outcome,
        schedule,
    }
}

/// The body of every execution: a fresh world, registered before anything runs (so that a
/// cut-off execution is judged too), then the scenario.
fn execution_body(
    variant: Arc<dyn Variant>,
    compiled: Arc<Compiled>,
) -> impl Fn(&SimSlot) + Send + Sync + 'static {
    move |slot| {
        let sim = Sim::with_users(compiled.users.clone());
        slot.register(&sim);
        run_execution(&sim, variant.clone(), compiled.clone());
    }
}

/// What a whole search saw: every violated invariant and every distinct terminal outcome (for
/// comparing searches: DPOR against plain DFS, a cached search against an uncached one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explored {
    /// Executions run (judged or not).
    pub executions: usize,
    /// Executions judged.
    pub traces: usize,
    /// The search ran out of schedules within the budget.
    pub exhausted: bool,
    /// The invariants some execution violated.
    pub invariants: std::collections::BTreeSet<Invariant>,
    /// The distinct terminal outcomes ([`outcome_signature`]), up to permuting interchangeable
    /// threads where the scenario has them.
    pub outcomes: std::collections::BTreeSet<String>,
}

/// Run `variant` on `scenario` under `config` and collect every violated invariant and every
/// terminal outcome.
pub fn explore(variant: Arc<dyn Variant>, scenario: &Scenario, config: &CheckConfig) -> Explored {
    explore_jobs(variant, scenario, config, 1)
}

/// [`explore`] on `jobs` OS threads (the stateful search only, as [`check_jobs`]).
pub fn explore_jobs(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    config: &CheckConfig,
    jobs: usize,
) -> Explored {
    let config = &for_variant(config, variant.as_ref());
    let compiled = Arc::new(compile(scenario));
    let certainty = compiled.certainty(variant.as_ref());
    let group = Arc::new(compiled.symmetry().group.clone());
    let seen = Arc::new(std::sync::Mutex::new(Explored::default()));
    let stats = runner::run_jobs(
        jobs,
        &config.strategy,
        config.seed,
        config.schedules,
        config.steps_max,
        execution_body(variant, compiled),
        || {
            let (sink, certainty, group) = (seen.clone(), certainty.clone(), group.clone());
            move |sim: Sim, _schedule: &Schedule| {
                let mut seen = sink.lock().unwrap_or_else(|p| p.into_inner());
                seen.traces += 1;
                sim.with_outcome(|o| {
                    seen.invariants.extend(invariants_of(&judge(o, &certainty)));
                    seen.outcomes.insert(outcome_signature(o, &group));
                });
                Next::Continue
            }
        },
    );
    let mut seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    seen.executions = stats.executions;
    seen.exhausted = stats.exhausted;
    seen
}

/// A canonical description of how an execution ended, independent of the order of independent
/// steps and of how objects happened to be numbered (which equivalent executions, and the
/// stateful search's matched states, may number differently): how each application thread
/// ended (finished, or blocked in a release on which list, waiting for which poller), how each
/// poller ended, and which lists were left. Lists and pollers are named by their creator and
/// how many of them it had created before (`T0.1`: thread T0's first), as the stateful search
/// names them; events and stores not at all. With interchangeable threads (`group`: the
/// permutations the stateful search reduces by, `engine::app::Symmetry`), the smallest of the
/// signatures of the execution's images: the outcomes are then counted up to the symmetry.
pub(crate) fn outcome_signature(o: &crate::sim::OutcomeRef<'_>, group: &[Vec<u8>]) -> String {
    let plain = signature_as(o, |t| t);
    group
        .iter()
        .skip(1)
        .map(|image| signature_as(o, |t| image.get(usize::from(t)).copied().unwrap_or(t)))
        .fold(plain, |best, other| best.min(other))
}

/// [`outcome_signature`] with application thread `t` named `rename(t)`.
fn signature_as(o: &crate::sim::OutcomeRef<'_>, rename: impl Fn(u8) -> u8) -> String {
    use std::fmt::Write as _;
    let mut made: BTreeMap<(u8, u8), u16> = BTreeMap::new();
    let mut list_names: BTreeMap<u16, String> = BTreeMap::new();
    let mut poller_names: BTreeMap<u16, String> = BTreeMap::new();
    let mut name = |kind: u8, actor: crate::sim::Actor| -> String {
        let by = match actor {
            crate::sim::Actor::Thread(t) => format!("T{}", rename(t)),
            crate::sim::Actor::Poller(p) => format!("P{p}"),
        };
        let key = match actor {
            crate::sim::Actor::Thread(t) => (kind, rename(t)),
            crate::sim::Actor::Poller(_) => (kind, u8::MAX),
        };
        let count = made.entry(key).or_insert(0);
        *count += 1;
        format!("{by}.{count}")
    };
    for entry in o.log {
        match entry.event {
            Event::ListCreated { list, .. } => {
                list_names.insert(list.0, name(0, entry.actor));
            }
            Event::PollerCreated { poller, .. } | Event::PollerRespawned { new: poller, .. } => {
                poller_names.insert(poller.0, name(1, entry.actor));
            }
            _ => {}
        }
    }
    let list_name = |l: u16| {
        list_names
            .get(&l)
            .cloned()
            .unwrap_or_else(|| format!("L{l}"))
    };
    let poller_name = |p: u16| {
        poller_names
            .get(&p)
            .cloned()
            .unwrap_or_else(|| format!("P{p}"))
    };
    let mut threads: BTreeMap<u8, String> = BTreeMap::new();
    let mut pollers: BTreeMap<String, String> = BTreeMap::new();
    let mut lists: BTreeMap<String, u16> = BTreeMap::new();
    let mut waits: BTreeMap<u32, (u16, u16)> = BTreeMap::new();
    for entry in o.log {
        match entry.event {
            Event::ListCreated { list, user, .. } => {
                lists.insert(list_name(list.0), user.0);
            }
            Event::ListRemoved { list, .. } => {
                lists.remove(&list_name(list.0));
            }
            Event::ReleaseWait {
                list,
                poller,
                event,
                ..
            } => {
                waits.insert(event.0, (list.0, poller.0));
            }
            Event::ThreadDone => {
                if let crate::sim::Actor::Thread(t) = entry.actor {
                    threads.insert(rename(t), "done".into());
                }
            }
            Event::PollerQuit {
                poller,
                lists,
                user,
            } => {
                pollers.insert(
                    poller_name(poller.0),
                    format!("quit(saw {lists}, as U{})", user.0),
                );
            }
            Event::PollerStopped { poller } => {
                pollers.insert(poller_name(poller.0), "stopped".into());
            }
            Event::PollerExhausted { poller } => {
                pollers.insert(poller_name(poller.0), "exhausted".into());
            }
            _ => {}
        }
    }
    let blocked = o.stall.map(|s| s.blocked.as_slice()).unwrap_or(&o.waiting);
    for &(actor, event) in blocked {
        let what = match waits.get(&event.0) {
            Some((list, poller)) => {
                format!("waits({} for {})", list_name(*list), poller_name(*poller))
            }
            None => "waits(idle)".into(),
        };
        match actor {
            crate::sim::Actor::Thread(t) => {
                threads.insert(rename(t), what);
            }
            crate::sim::Actor::Poller(p) => {
                pollers.entry(poller_name(p)).or_insert(what);
            }
        }
    }
    let mut out = String::new();
    let end = if o.panic.is_some() {
        "panic"
    } else if o.stall.is_some() {
        "stall"
    } else if o.completed {
        "completed"
    } else {
        "cut-off"
    };
    let _ = write!(out, "{end};");
    for (t, s) in &threads {
        let _ = write!(out, " T{t}:{s}");
    }
    for (p, s) in &pollers {
        let _ = write!(out, " {p}:{s}");
    }
    let _ = write!(out, "; lists");
    for (l, u) in &lists {
        let _ = write!(out, " {l}:U{u}");
    }
    out
}
