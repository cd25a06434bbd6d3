//! `mapihang advise` in words: the verdict as given, then each remedy with its evidence and
//! how to try it.

use std::path::Path;

use crate::advise::{AdviceResult, Evidence, Remedy, Workaround};
use crate::monitor;
use crate::text::shell;
use crate::verdict::Verdict;

/// The advice on `scenario` (the path the user gave); a suggested command starts with `prog`.
pub fn text(result: &AdviceResult, scenario: &Path, prog: &str) -> String {
    let mut out = format!(
        "ADVICE for {}: as given, under the seed's build: {}\n",
        shell(scenario),
        verdict_words(&result.workarounds[0])
    );
    for w in &result.workarounds {
        out.push_str(&format!(
            "\n{:<24} {}\n  {}\n  evidence: {}\n",
            w.name.name(),
            verdict_words(w),
            w.description,
            evidence(w)
        ));
        if let (Some(rewritten), true) = (&w.scenario, w.name != Remedy::Original) {
            if w.variant == "original" {
                out.push_str(&format!(
                    "  as a scenario: {}\n",
                    serde_json::to_string(rewritten).expect("serialisable")
                ));
            } else {
                out.push_str(&format!(
                    "  run it: {prog} check {} --variant {} --scheduler {} --schedules 10000000\n",
                    shell(scenario),
                    w.variant,
                    if w.scheduler == "stateful" {
                        "stateful"
                    } else {
                        "dpor"
                    }
                ));
            }
        }
    }
    out.push_str(
        "\nThe seed's own remedy is operational: one service account, little or no thread-level impersonation.",
    );
    out
}

fn verdict_words(w: &Workaround) -> String {
    let invariants: Vec<_> = w.per_invariant.keys().copied().collect();
    match (w.verdict, &w.not_applicable) {
        (_, Some(why)) => format!("NOT APPLICABLE ({why})"),
        (Some(Verdict::Violation), _) => format!("VIOLATION: {}", monitor::names(&invariants)),
        (Some(Verdict::Pass), _) => "PASS".into(),
        (Some(Verdict::Inconclusive), _) | (None, _) => "INCONCLUSIVE".into(),
    }
}

fn evidence(w: &Workaround) -> String {
    let statement = w.guarantee.as_ref().map_or("", |g| g.statement.as_str());
    match w.evidence {
        Evidence::NotRun => "none (not run)".into(),
        Evidence::Proof if w.scheduler == "stateful" => format!(
            "proof: the complete search explored every reachable state ({} executions)",
            w.executions
        ),
        Evidence::Proof => format!(
            "proof: the complete search covered every interleaving ({} executions)",
            w.executions
        ),
        Evidence::Found => format!(
            "certain: a failing execution was found by the complete search, which did not \
             finish within {} executions (other invariants may be violated too)",
            w.executions
        ),
        Evidence::Sampled if w.search_executions > 0 => format!(
            "sampled: the complete search did not finish within {} executions; then {statement}",
            w.search_executions
        ),
        Evidence::Sampled => format!("sampled: {statement}"),
    }
}
