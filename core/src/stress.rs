//! Stress testing on real OS threads: the same variant code, the same MAPI machinery and the same
//! monitors as [`engine::check`], but on the `sim` layer's real-thread backend, where the OS picks
//! the interleaving and a watchdog declares a hang when a wait outlives a timeout.
//!
//! It answers two questions the controlled scheduler cannot answer on its own: is the hang an
//! artifact of the simulator (no: it happens on real threads), and how much does the controlled
//! scheduler buy over plain stress testing (compare [`StressResult::real`] with
//! [`StressResult::controlled`], both judged the same way).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{self, CheckConfig, Failure, Schedule, Strategy};
use crate::monitor::{invariants_of, judge, Finding, Invariant};
use crate::scenario::Scenario;
use crate::sim::{real, Sim};
use crate::variant::Variant;

/// How to stress a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressConfig {
    /// Executions on real threads.
    pub runs: usize,
    /// The watchdog: a wait that lasts this long is a hang.
    pub timeout: Duration,
    /// How long a timed wait (a variant with `ReleaseWait::Timeout`) lasts on real threads;
    /// shorter than `timeout`, so that a timed wait ends before the watchdog would fire.
    pub timed_wait: Duration,
    /// Executions under the controlled scheduler, for the comparison (0: none).
    pub controlled_schedules: usize,
    /// The controlled scheduler's seed (random walk).
    pub seed: u64,
}

impl StressConfig {
    /// `runs` real executions with watchdog `timeout` (timed waits last a quarter of it), and as
    /// many random schedules under the controlled scheduler.
    pub fn new(runs: usize, timeout: Duration) -> StressConfig {
        StressConfig {
            runs,
            timeout,
            timed_wait: timeout / 4,
            controlled_schedules: runs,
            seed: 0,
        }
    }
}

/// What one backend saw: how many executions, how many hung, how fast.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Executions run.
    pub executions: usize,
    /// Executions in which a thread waited forever for a store's signal (`poller-signals`): the
    /// seed's hang.
    pub hung: usize,
    /// Executions with at least one violation of any invariant.
    pub failing: usize,
    /// Executions that could not be judged and violated nothing certain: on real threads, the
    /// watchdog fired while some thread still ran (a slow thread, not a proven hang); under the
    /// controlled scheduler, the step bound cut the execution off.
    pub inconclusive: usize,
    /// Per invariant, the executions that violated it.
    pub per_invariant: BTreeMap<Invariant, usize>,
    /// The first hung execution (0-based), if any.
    pub first_hang: Option<usize>,
    /// Wall time to the end of the first hung execution.
    pub first_hang_after: Option<Duration>,
    /// Wall time of all executions.
    pub elapsed: Duration,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            executions: 0,
            hung: 0,
            failing: 0,
            inconclusive: 0,
            per_invariant: BTreeMap::new(),
            first_hang: None,
            first_hang_after: None,
            elapsed: Duration::ZERO,
        }
    }

    fn count(&mut self, findings: &[Finding], unjudged: bool, started: Instant) {
        let index = self.executions;
        self.executions += 1;
        if findings.is_empty() {
            self.inconclusive += usize::from(unjudged);
            return;
        }
        self.failing += 1;
        let seen = invariants_of(findings);
        for &invariant in &seen {
            *self.per_invariant.entry(invariant).or_default() += 1;
        }
        if seen.contains(&Invariant::PollerSignals) {
            self.hung += 1;
            if self.first_hang.is_none() {
                self.first_hang = Some(index);
                self.first_hang_after = Some(started.elapsed());
            }
        }
    }

    /// Hung executions per second of wall time.
    pub fn hangs_per_second(&self) -> f64 {
        per_second(self.hung, self.elapsed)
    }

    /// Executions per second of wall time.
    pub fn executions_per_second(&self) -> f64 {
        per_second(self.executions, self.elapsed)
    }

    /// The fraction of executions that hung (0 when none ran).
    pub fn hang_rate(&self) -> f64 {
        if self.executions == 0 {
            0.0
        } else {
            self.hung as f64 / self.executions as f64
        }
    }
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// What a stress run found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressResult {
    /// On real OS threads, under the watchdog.
    pub real: Tally,
    /// Real executions in which the watchdog fired.
    pub watchdog_fired: usize,
    /// Of those, the ones in which no thread was running when it fired (every live thread
    /// waited: a deadlock beyond doubt, not a slow thread). The others are inconclusive runs
    /// ([`Tally::inconclusive`]) unless they violated a safety invariant.
    pub watchdog_all_blocked: usize,
    /// The first real execution that hung, or when none did, the first that failed otherwise,
    /// with its log (its schedule is empty: the OS chose it, nothing can replay it).
    pub first_failure: Option<Failure>,
    /// The same scenario under the controlled scheduler (random walk), judged the same way.
    pub controlled: Tally,
}

impl StressResult {
    /// The verdict of the real-thread runs: a violation if one violated an invariant, else
    /// inconclusive if the watchdog fired while a thread still ran, else a pass.
    pub fn verdict(&self) -> crate::verdict::Verdict {
        crate::verdict::Verdict::of(self.real.failing, self.real.inconclusive)
    }
}

/// Run `scenario` under `variant` on real threads `config.runs` times, then on the controlled
/// scheduler for the comparison.
pub fn stress(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    config: &StressConfig,
) -> StressResult {
    stress_with_progress(variant, scenario, config, &|_, _| {})
}

/// [`stress`], calling `on_run` with the number of real-thread runs done and how many hung, after
/// each run.
pub fn stress_with_progress(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    config: &StressConfig,
    on_run: &dyn Fn(usize, usize),
) -> StressResult {
    let compiled = Arc::new(engine::compile(scenario));
    let certainty = compiled.certainty(variant.as_ref());
    let mut real_tally = Tally::new();
    let (mut fired, mut all_blocked) = (0, 0);
    let mut first_failure = None;
    let started = Instant::now();
    for index in 0..config.runs {
        let sim = Sim::with_users_real(compiled.users.clone(), config.timed_wait);
        let body = {
            let (sim, variant, compiled) = (sim.clone(), variant.clone(), compiled.clone());
            move || engine::run_execution(&sim, variant, compiled)
        };
        let run = real::run(&sim, config.timeout, body);
        fired += usize::from(run.hung);
        all_blocked += usize::from(run.hung && run.all_blocked);
        let mut findings = sim.with_outcome(|outcome| judge(outcome, &certainty));
        // A watchdog that fired while a thread still ran proves no hang: what it left waiting
        // (and the lists and pollers left behind) is not judged; safety findings stand.
        let unjudged = run.hung && !run.all_blocked;
        if unjudged {
            findings.retain(|f| {
                !matches!(
                    f,
                    Finding::Hang { .. } | Finding::Deadlock { .. } | Finding::Leak { .. }
                )
            });
        }
        real_tally.count(&findings, unjudged, started);
        on_run(index + 1, real_tally.hung);
        // Keep the first failing run, replaced by the first hung one when that comes later.
        let first_hang_now = real_tally.first_hang == Some(index);
        if first_hang_now || (first_failure.is_none() && !findings.is_empty()) {
            first_failure = Some(Failure {
                execution: index,
                findings,
                schedule: Schedule::default(),
                outcome: sim.outcome(),
            });
        }
    }
    real_tally.elapsed = started.elapsed();

    let mut controlled = Tally::new();
    if config.controlled_schedules > 0 {
        let check_config = CheckConfig {
            strategy: Strategy::Random,
            schedules: config.controlled_schedules,
            seed: config.seed,
            ..CheckConfig::default()
        };
        let started = Instant::now();
        let tally = Rc::new(RefCell::new(controlled));
        let sink = tally.clone();
        engine::for_each_execution(
            variant,
            &compiled,
            &check_config,
            move |findings, cut_off| sink.borrow_mut().count(findings, cut_off, started),
        );
        controlled = tally.take();
        controlled.elapsed = started.elapsed();
    }
    StressResult {
        real: real_tally,
        watchdog_fired: fired,
        watchdog_all_blocked: all_blocked,
        first_failure,
        controlled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Op;
    use crate::variant::by_name;

    /// Real threads are not deterministic: run batches until the first hang, up to a cap that a
    /// hang rate far below the measured one (30-50% on the seed's repro) would still meet.
    fn stress_until_hang(variant: &str, scenario: &Scenario) -> (usize, StressResult) {
        let mut config = StressConfig::new(25, Duration::from_millis(20));
        config.controlled_schedules = 0;
        let mut runs = 0;
        loop {
            let result = stress(by_name(variant).unwrap(), scenario, &config);
            runs += result.real.executions;
            if result.real.hung > 0 || runs >= 1000 {
                return (runs, result);
            }
        }
    }

    #[test]
    fn the_seed_hangs_on_real_threads() {
        let (runs, result) = stress_until_hang("original", &Scenario::seed_repro());
        assert!(result.real.hung > 0, "no hang in {runs} real-thread runs");
        // Every firing was a deadlock beyond doubt (no thread running), and is the seed's hang.
        assert_eq!(result.watchdog_fired, result.watchdog_all_blocked);
        assert_eq!(result.watchdog_fired, result.real.hung);
        let failure = result.first_failure.expect("a failing run is kept");
        assert!(
            failure.schedule.steps.is_empty(),
            "real runs have no schedule"
        );
        let stall = failure.outcome.stall.expect("the watchdog records a stall");
        assert!(!stall.blocked.is_empty());
        assert!(failure
            .outcome
            .log
            .iter()
            .any(|e| matches!(e.event, crate::trace::Event::PollerQuit { .. })));
    }

    #[test]
    fn the_combined_fix_never_hangs_on_real_threads() {
        // A generous watchdog: a fix that passes costs nothing for it, and a loaded CI machine
        // cannot make a slow thread look like a hang.
        let mut config = StressConfig::new(300, Duration::from_millis(500));
        config.controlled_schedules = 2000;
        let result = stress(by_name("fixed").unwrap(), &Scenario::seed_repro(), &config);
        assert_eq!(result.real.executions, 300);
        assert_eq!(result.real.failing, 0, "{:?}", result.first_failure);
        assert_eq!(result.real.inconclusive, 0, "every real run judged");
        assert_eq!(result.watchdog_fired, 0);
        assert_eq!(result.controlled.executions, 2000);
        assert_eq!(result.controlled.failing, 0);
        assert_eq!(
            result.controlled.inconclusive, 0,
            "every execution judged to its end"
        );
    }

    #[test]
    fn timed_waits_end_in_real_time_and_are_not_hangs() {
        // wrong-wait-timeout: a release whose poller quit times out instead of hanging, so the
        // watchdog (four times longer) never fires, and the monitors see the unfinished work.
        let mut config = StressConfig::new(40, Duration::from_millis(40));
        config.controlled_schedules = 0;
        let result = stress(
            by_name("wrong-wait-timeout").unwrap(),
            &Scenario::seed_repro(),
            &config,
        );
        assert_eq!(result.watchdog_fired, 0);
        assert_eq!(result.real.hung, 0);
        // About half the runs time out (measured 45%): some of the 40 must.
        assert!(result.real.per_invariant.get(&Invariant::WorkDone) > Some(&0));
    }

    #[test]
    fn one_thread_without_impersonation_runs_clean_on_real_threads() {
        let mut scenario = Scenario::seed_repro();
        scenario.threads.truncate(1);
        scenario.threads[0]
            .ops
            .retain(|op| !matches!(op, Op::Impersonate(_)));
        let mut config = StressConfig::new(100, Duration::from_millis(500));
        config.controlled_schedules = 100;
        let result = stress(by_name("original").unwrap(), &scenario, &config);
        assert_eq!((result.real.failing, result.controlled.failing), (0, 0));
        assert!(result.controlled.executions_per_second() > 0.0);
    }

    #[test]
    fn the_controlled_scheduler_counts_the_same_way_as_check() {
        let mut config = StressConfig::new(1, Duration::from_millis(200));
        config.controlled_schedules = 500;
        config.seed = 7;
        let result = stress(
            by_name("original").unwrap(),
            &Scenario::seed_repro(),
            &config,
        );
        let check = crate::engine::check(
            by_name("original").unwrap(),
            &Scenario::seed_repro(),
            &CheckConfig {
                schedules: 500,
                seed: 7,
                ..CheckConfig::default()
            },
        );
        assert_eq!(result.controlled.executions, check.executions);
        assert_eq!(result.controlled.failing, check.failing);
        assert_eq!(result.controlled.per_invariant, check.per_invariant);
        assert_eq!(
            result.controlled.hung,
            check.per_invariant[&Invariant::PollerSignals]
        );
    }
}
