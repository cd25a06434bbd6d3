//! Replaying a report: re-run its recorded schedule (under its own variant or another) and say
//! what that shows against the violations the report had. Core decides; the CLI words the
//! verdict line and adds the commands that can settle an inconclusive replay.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::{self, CheckConfig, CheckResult, Failure, Schedule, Strategy};
use crate::monitor::Invariant;
use crate::report::{Inconclusive, InconclusiveReason, Report};
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
    /// The execution left the recorded schedule: the schedule says nothing about this variant.
    LeftSchedule,
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

/// Replay `schedule` of `variant` on `scenario` (bounded by `steps_max`) and compare the
/// violations found with `expected`, the violations of the replayed report.
pub fn replay(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    schedule: &Schedule,
    steps_max: usize,
    expected: &[Invariant],
) -> Replay {
    let replayed = engine::replay(variant.clone(), scenario, schedule, steps_max);
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
    let mut report = Report::from_check(variant.name(), scenario, &config, &result, 0);
    let found: Vec<Invariant> = report.violations.iter().map(|v| v.invariant).collect();
    let verdict = match (replayed.faithful, failing == 1) {
        (false, true) => ReplayVerdict::LeftButViolated { found },
        (false, false) => ReplayVerdict::LeftSchedule,
        (true, _) if replayed.cut_off => ReplayVerdict::CutOff,
        (true, _) if found.is_empty() => ReplayVerdict::NotReproduced,
        (true, _) if found == expected => ReplayVerdict::Reproduced { found },
        (true, _) => ReplayVerdict::Different {
            found,
            expected: expected.to_vec(),
        },
    };
    if verdict == ReplayVerdict::LeftSchedule {
        report.verdict = Verdict::Inconclusive;
        report.inconclusive = Some(Inconclusive {
            reason: InconclusiveReason::LeftSchedule,
            executions: 1,
            message: format!(
                "under {} the execution left the recorded schedule (the variant took other \
                 steps), so the schedule says nothing about it",
                variant.name()
            ),
            hint: None,
        });
        // The trace of an execution that left its schedule shows nothing that was judged.
        report.trace.clear();
        report.stacks.clear();
        report.schedule = None;
    }
    Replay {
        report,
        verdict,
        faithful: replayed.faithful,
    }
}
