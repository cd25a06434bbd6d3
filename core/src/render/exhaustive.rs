//! `mapihang exhaustive` in words: what was searched, and the verdict.

use std::fmt::Write as _;

use crate::exhaustive::{ExhaustiveConfig, ExhaustiveResult};
use crate::report::Report;

/// The search in words: what was searched, the verdict line, then the counterexample's report
/// when there is one.
pub fn text(
    config: &ExhaustiveConfig,
    result: &ExhaustiveResult,
    report: Option<&Report>,
) -> String {
    let mut out = describe(config, result);
    out.push_str(&verdict_text(config, result));
    if let Some(report) = report {
        out.push('\n');
        out.push_str(&report.to_text());
    }
    out
}

/// What was searched: the bound, the reductions, the budget and what it cost.
fn describe(config: &ExhaustiveConfig, result: &ExhaustiveResult) -> String {
    let bound = &config.bound;
    let users: Vec<String> = bound.users().iter().map(|u| u.to_string()).collect();
    let preemptions = match config.preemptions {
        Some(k) => format!("DFS: every schedule with at most {k} preemption(s)"),
        None if result.scheduler == "stateful" => {
            "stateful: every reachable state (no preemption bound)".to_string()
        }
        None => "DPOR: every interleaving up to equivalence (no preemption bound)".to_string(),
    };
    let mut out = String::new();
    let impersonate = if bound.users == 1 {
        "impersonate U1".to_string()
    } else {
        format!("impersonate U1..U{}", bound.users)
    };
    let _ = writeln!(
        out,
        "bounded-exhaustive check of {}: {} thread(s), each 0 to {} ops from {{{impersonate}, revert, logon, open_store, release_store, logoff}}",
        result.variant, bound.threads, bound.ops
    );
    let _ = writeln!(
        out,
        "  users: {}{}; process user S-1-5-18",
        users.join(", "),
        if bound.collide { " (same CRC32)" } else { "" }
    );
    let mut reductions = Vec::new();
    if config.reduction.normalize {
        reductions.push(format!(
            "ops that cannot change an execution dropped ({} thread sequences -> {})",
            result.thread_sequences.0, result.thread_sequences.1
        ));
    }
    if config.reduction.symmetry {
        reductions.push("scenarios equal up to user renaming and thread order merged".to_string());
    }
    let _ = writeln!(
        out,
        "  scenarios in the bound: {}; run: {} ({})",
        result.scenarios_in_bound,
        result.scenarios,
        if reductions.is_empty() {
            "no reduction".to_string()
        } else {
            reductions.join("; ")
        }
    );
    let _ = writeln!(
        out,
        "  per scenario: {preemptions}; budget {} schedules per scenario",
        config.schedules_per_scenario
    );
    let _ = writeln!(
        out,
        "  checked {} of {} scenarios, {} schedules (at most {} for one scenario), {} incomplete, {} ms",
        result.scenarios_checked,
        result.scenarios,
        result.schedules_run,
        result.schedules_max_per_scenario,
        result.incomplete,
        result.elapsed_ms
    );
    if let Some(heaviest) = &result.heaviest {
        let _ = writeln!(
            out,
            "  heaviest scenario: {}",
            serde_json::to_string(heaviest).expect("serialisable")
        );
    }
    if let Some(target) = config.target {
        let _ = writeln!(out, "  only violations of {target} count");
    }
    if let Some(shard) = config.shard {
        let _ = writeln!(out, "  shard {shard}: only these scenarios were checked");
    }
    out
}

/// The verdict line, and for a violation the scenario that shows it.
fn verdict_text(config: &ExhaustiveConfig, result: &ExhaustiveResult) -> String {
    let mut out = String::new();
    let k = config
        .preemptions
        .map_or("any number of".to_string(), |k| format!("≤{k}"));
    match &result.counterexample {
        None if result.complete => {
            let _ = writeln!(
                out,
                "PASS (complete): no violation on any interleaving of any scenario within this bound"
            );
        }
        None if result.bounded => {
            let _ = writeln!(
                out,
                "PASS (bounded, not complete): no violation on any schedule with {k} preemptions of any scenario within this bound"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "PASS (incomplete): no violation found, but {} scenario(s) ran out of budget (raise --schedules)",
                result.incomplete
            );
        }
        Some(found) => {
            let invariants: Vec<&str> = found
                .check
                .first_failure
                .as_ref()
                .map(|f| f.invariants().iter().map(|i| i.name()).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "VIOLATION: scenario #{} of {} (in order of size) violates {} on a schedule with {k} preemptions",
                found.index + 1,
                result.scenarios,
                invariants.join(", ")
            );
            if config.all {
                let per: Vec<String> = result
                    .per_invariant
                    .iter()
                    .map(|(i, n)| format!("{i}: {n}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {} of {} scenarios violate an invariant ({})",
                    result.violating,
                    result.scenarios,
                    per.join(", ")
                );
            }
            let _ = writeln!(
                out,
                "  scenario: {}",
                serde_json::to_string(&found.scenario).expect("serialisable")
            );
        }
    }
    out
}
