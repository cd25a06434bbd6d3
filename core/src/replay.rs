//! Replaying a report: re-run its recorded schedule (under its own variant or another) and say
//! what that shows against the violations the report had. Core decides; the CLI words the
//! verdict line and adds the commands that can settle an inconclusive replay.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::engine::{self, CheckConfig, CheckResult, Failure, Schedule, Strategy};
use crate::monitor::Invariant;
use crate::report::{Inconclusive, InconclusiveReason, Report, ViolationReport};
use crate::scenario::Scenario;
use crate::variant::Variant;
use crate::verdict::Verdict;

/// What a replay showed, compared with the report it replays (`found`: the invariants the
/// replay violated, `expected`: the replayed report's).
// The fields are named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// The execution left the recorded schedule, but before it did it violated `found`
    /// (certain: what it did before it left is a real execution's prefix).
    LeftButViolated { found: Vec<Invariant> },
    /// The execution left the recorded schedule after its first `prefix` steps, and every
    /// continuation of those steps was searched (DPOR, to its end within the budget): `found`
    /// is what a continuation violates, for certain; empty when none violates anything.
    Continued {
        prefix: usize,
        traces: usize,
        found: Vec<Invariant>,
    },
    /// The execution left the recorded schedule after its first `prefix` steps, and the search
    /// of its continuations was not settled within `searched` executions (the budget, or a
    /// continuation cut off by the step bound): the schedule says nothing certain.
    LeftSchedule { prefix: usize, searched: usize },
    /// The step bound cut the execution off with nothing certain to report.
    CutOff,
    /// The recorded schedule runs to its end without a violation.
    NotReproduced,
    /// The same violations as the report.
    Reproduced { found: Vec<Invariant> },
    /// Other violations than the report's (`expected`).
    Different {
        found: Vec<Invariant>,
        expected: Vec<Invariant>,
    },
}

/// A replay: its report (scheduler `replay`, no wall time, no repro line) and its verdict.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The replayed execution's report. An inconclusive one carries an [`Inconclusive`]
    /// without a hint (the CLI adds the command that settles it).
    pub report: Report,
    /// What the replay showed.
    pub verdict: ReplayVerdict,
    /// The execution followed the schedule to its end, step for step.
    pub faithful: bool,
}

/// The fields of a report that a replay needs (the rest may be anything).
#[derive(Clone, Debug, Deserialize)]
pub struct ReplayInput {
    /// The variant the report was made under.
    pub variant: String,
    /// Its scenario.
    pub scenario: Scenario,
    /// Its recorded schedule (`None`: a pass, or a run on real threads).
    pub schedule: Option<String>,
    /// Its step bound.
    #[serde(default = "steps_max_default")]
    pub steps_max: usize,
    /// Its violations.
    #[serde(default)]
    pub violations: Vec<ViolationReport>,
}

fn steps_max_default() -> usize {
    engine::STEPS_MAX_DEFAULT
}

impl ReplayInput {
    /// The invariants the report violated.
    pub fn expected(&self) -> Vec<Invariant> {
        self.violations.iter().map(|v| v.invariant).collect()
    }
}

/// Replay `schedule` of `variant` on `scenario` (bounded by `steps_max`) and compare the
/// violations found with `expected`, the violations of the replayed report. An execution that
/// leaves the schedule (another variant takes other steps) has every continuation of the part
/// it followed searched, within `continuations_max` executions.
pub fn replay(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    schedule: &Schedule,
    steps_max: usize,
    expected: &[Invariant],
    continuations_max: usize,
) -> Replay {
    let replayed = engine::replay(variant.clone(), scenario, schedule, steps_max);
    if !replayed.faithful && replayed.findings.is_empty() {
        // It left the schedule with nothing certain seen: what the part it followed leads to
        // is the search of every continuation.
        return continue_after(
            variant,
            scenario,
            &replayed.schedule,
            steps_max,
            continuations_max,
        );
    }
    let config = CheckConfig {
        strategy: Strategy::Replay(schedule.clone()),
        schedules: 1,
        seed: 0,
        steps_max,
        stop_on_first: true,
        target: None,
    };
    // Settled findings are certain, even of an execution that left the schedule (what it did
    // before it left is a real execution's prefix); with none, only a faithful, uncut
    // execution is judged.
    let failing = usize::from(!replayed.findings.is_empty());
    let per_invariant: BTreeMap<Invariant, usize> = replayed
        .findings
        .iter()
        .map(|finding| (finding.invariant(), failing))
        .collect();
    let result = CheckResult {
        executions: 1,
        failing,
        cut_off: usize::from(replayed.faithful && replayed.cut_off),
        per_invariant,
        exhausted: false,
        first_failure: (failing == 1).then(|| Failure {
            execution: 0,
            findings: replayed.findings.clone(),
            schedule: replayed.schedule.clone(),
            outcome: replayed.outcome.clone(),
        }),
        traces: 1,
        ..CheckResult::default()
    };
    let report = Report::from_check(variant.name(), scenario, &config, &result, 0);
    let found: Vec<Invariant> = report.violations.iter().map(|v| v.invariant).collect();
    let verdict = match (replayed.faithful, failing == 1) {
        (false, _) => ReplayVerdict::LeftButViolated { found },
        (true, _) if replayed.cut_off => ReplayVerdict::CutOff,
        (true, _) if found.is_empty() => ReplayVerdict::NotReproduced,
        (true, _) if found == expected => ReplayVerdict::Reproduced { found },
        (true, _) => ReplayVerdict::Different {
            found,
            expected: expected.to_vec(),
        },
    };
    Replay {
        report,
        verdict,
        faithful: replayed.faithful,
    }
}

/// The replay left its schedule after the steps of `prefix`: search every continuation.
fn continue_after(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    prefix: &Schedule,
    steps_max: usize,
    continuations_max: usize,
) -> Replay {
    let config = CheckConfig {
        strategy: Strategy::Continuations(prefix.clone()),
        schedules: continuations_max,
        seed: 0,
        steps_max,
        stop_on_first: true,
        target: None,
    };
    let result = engine::check(variant.clone(), scenario, &config);
    let mut report = Report::from_check(variant.name(), scenario, &config, &result, 0);
    report.repro = None;
    let steps = prefix.steps.len();
    let found: Vec<Invariant> = report.violations.iter().map(|v| v.invariant).collect();
    let verdict = if result.failed() || (result.complete && report.verdict == Verdict::Pass) {
        ReplayVerdict::Continued {
            prefix: steps,
            traces: result.traces,
            found,
        }
    } else {
        report.verdict = Verdict::Inconclusive;
        report.inconclusive = Some(Inconclusive {
            reason: InconclusiveReason::LeftSchedule,
            executions: result.executions,
            message: format!(
                "under {} the execution left the recorded schedule after {steps} steps, and the \
                 search of every continuation of those steps was not settled: {}",
                variant.name(),
                crate::report::bound_of(&config, &result)
                    .unwrap_or_else(|| "it stopped early".into())
            ),
            hint: None,
        });
        ReplayVerdict::LeftSchedule {
            prefix: steps,
            searched: result.executions,
        }
    };
    Replay {
        report,
        verdict,
        faithful: false,
    }
}
