//! `mapihang hunt` in words, and the summary its report carries.

use std::fmt::Write as _;

use crate::hunt::{self, HuntConfig, HuntResult};
use crate::monitor::Invariant;
use crate::report::{HuntDistinct, HuntSummary, Report};
use crate::schema::HuntPassJson;
use crate::verdict::Verdict;

/// How the hunt went, for its report: the counts, the shrinking, and one shrunk repro per
/// distinct invariant (`repro`: the command that reproduces one invariant, or the hunt as it
/// was for `None`).
pub fn summary(
    config: &HuntConfig,
    result: &HuntResult,
    repro: &dyn Fn(Option<Invariant>) -> String,
) -> HuntSummary {
    let found = result.found.as_ref();
    let distinct = result
        .distinct
        .iter()
        .map(|f| HuntDistinct {
            invariant: f.invariant,
            case: f.case + 1,
            shrunk_ops: f.scenario.ops_total(),
            scenario: f.scenario.clone(),
            schedule: f
                .check
                .first_failure
                .as_ref()
                .map(|failure| failure.schedule.to_string()),
            repro: repro(Some(f.invariant)),
        })
        .collect();
    HuntSummary {
        family: config.family,
        seed: config.seed,
        cases: config.cases,
        cases_tried: result.stats.cases_tried,
        schedules_per_case: config.schedules,
        schedules_run: result.stats.schedules_run,
        cut_off: result.stats.cut_off,
        shrink_candidates: result.stats.shrink_candidates,
        shrink_accepted: result.stats.shrink_accepted,
        shrink_schedules: result.stats.shrink_schedules,
        original_ops: found.map(|f| f.original.ops_total()),
        shrunk_ops: found.map(|f| f.scenario.ops_total()),
        users: found.map(|f| hunt::users_logging_on(&f.scenario)),
        preemptions: found.and_then(|f| f.preemptions),
        detection_ms: result.detection_ms,
        total_ms: result.total_ms,
        distinct,
    }
}

/// A hunt that found nothing, in one line: a pass, or inconclusive when executions were cut off.
pub fn not_found(pass: &HuntPassJson<'_>, target: Option<Invariant>) -> String {
    let what = target.map_or("any invariant".to_string(), |i| i.to_string());
    let hunt = &pass.hunt;
    if pass.verdict != Verdict::Pass {
        format!(
            "INCONCLUSIVE: no violation of {what} found, but {}: variant {}, family {}, {} cases (seed {}); raise --steps-max",
            pass.inconclusive.as_ref().map_or("", |i| i.message.as_str()),
            pass.variant,
            hunt.family,
            hunt.cases_tried,
            hunt.seed
        )
    } else {
        format!(
            "no violation of {what} found: variant {}, family {}, {} cases, {} schedules, {} ms (seed {})",
            pass.variant, hunt.family, hunt.cases_tried, hunt.schedules_run, hunt.total_ms, hunt.seed
        )
    }
}

/// What was found, how it was shrunk, and the minimal scenario, before the report itself.
pub fn headline(variant: &str, invariant: Invariant, report: &Report) -> String {
    let hunt = report.hunt.as_ref().expect("a hunt report");
    let preemptions = hunt.preemptions.map_or(
        "a random schedule (no bounded DFS found it)".to_string(),
        |p| format!("{p} preemption(s)"),
    );
    format!(
        "FOUND {invariant} under {} in family {}: case {} of {} ({} schedules), {} ms\n\
         shrunk from {} to {} ops and {} user(s) in {} steps ({} accepted, {} schedules); \
         minimal schedule needs {preemptions}; {} ms in all\n\nminimal scenario:\n{}\n\n",
        variant,
        hunt.family,
        hunt.cases_tried,
        hunt.cases,
        hunt.schedules_run,
        hunt.detection_ms,
        hunt.original_ops.unwrap_or(0),
        hunt.shrunk_ops.unwrap_or(0),
        hunt.users.unwrap_or(0),
        hunt.shrink_candidates,
        hunt.shrink_accepted,
        hunt.shrink_schedules,
        hunt.total_ms,
        serde_json::to_string(&report.scenario).expect("serialisable"),
    )
}

/// The other invariants the hunt found, each with its shrunk scenario and repro (empty when
/// it found one only).
pub fn also_found(report: &Report) -> String {
    let distinct = report.hunt.as_ref().map_or(&[][..], |h| &h.distinct[..]);
    if distinct.len() < 2 {
        return String::new();
    }
    let mut text = format!(
        "\nAlso found ({} more invariant(s), each shrunk on its own, most severe first):\n",
        distinct.len() - 1
    );
    for d in &distinct[1..] {
        let _ = write!(
            text,
            "  {}: case {}, shrunk to {} ops: {}\n    repro: {}\n",
            d.invariant,
            d.case,
            d.shrunk_ops,
            serde_json::to_string(&d.scenario).expect("serialisable"),
            d.repro
        );
    }
    text
}
