//! The three guards a candidate fix's own tests run (the `examples/one-poller` and
//! `examples/one-step-stop` crates use all three): the complete search on a scenario, many
//! seeded random schedules where the complete search is too long for `cargo test`, and the
//! fix-guard matrix over every generated family. Each returns what it ran, or a one-line reason
//! the fix is not shown clean, so a test is `guard::proven(...).unwrap()`.

use std::sync::Arc;

use crate::engine::{check, CheckConfig, CheckResult, Strategy};
use crate::matrix::{matrix, MatrixConfig};
use crate::monitor::names;
use crate::scenario::Scenario;
use crate::variant::Variant;

/// The complete search (DPOR, no bound) of `scenario` under `variant`, within `budget`
/// executions: `Ok` only when it finished and nothing was violated (a proof for this scenario).
pub fn proven(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    budget: usize,
) -> Result<CheckResult, String> {
    let config = CheckConfig {
        strategy: Strategy::Dpor,
        schedules: budget,
        ..CheckConfig::default()
    };
    let result = check(variant.clone(), scenario, &config);
    if result.failed() {
        return Err(violated(&*variant, &result));
    }
    if !result.complete {
        return Err(format!(
            "{}: the complete search did not finish ({} executions of a budget of {budget}, {} cut \
             off by the step bound)",
            variant.name(),
            result.executions,
            result.cut_off
        ));
    }
    Ok(result)
}

/// `schedules` seeded random schedules of `scenario` under `variant`: `Ok` when every one ran to
/// its end and none violated an invariant (evidence, not a proof).
pub fn sampled(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    schedules: usize,
    seed: u64,
) -> Result<CheckResult, String> {
    let config = CheckConfig {
        schedules,
        seed,
        ..CheckConfig::default()
    };
    let result = check(variant.clone(), scenario, &config);
    if result.failed() {
        return Err(violated(&*variant, &result));
    }
    if result.executions != schedules || result.cut_off > 0 {
        return Err(format!(
            "{}: {} of {schedules} schedules ran, {} cut off by the step bound",
            variant.name(),
            result.executions,
            result.cut_off
        ));
    }
    Ok(result)
}

/// The fix-guard matrix of `variant` alone, `cases` scenarios per family and `schedules` random
/// schedules each: `Ok` when no family shows a violation and no cell contradicts the variant's
/// declared expectations.
pub fn families(variant: Arc<dyn Variant>, cases: usize, schedules: usize) -> Result<(), String> {
    let config = MatrixConfig {
        cases,
        schedules,
        ..MatrixConfig::default()
    };
    let result = matrix(std::slice::from_ref(&variant), &config, &|_| {});
    let dirty: Vec<String> = result
        .cells
        .iter()
        .filter(|cell| !cell.observed.is_empty())
        .map(|cell| format!("{}: {}", cell.family, names(&cell.observed)))
        .collect();
    if !dirty.is_empty() || result.mismatches().count() > 0 {
        return Err(format!(
            "{} in the generated families: {} ({} cells contradict its expectations)",
            variant.name(),
            dirty.join("; "),
            result.mismatches().count()
        ));
    }
    Ok(())
}

fn violated(variant: &dyn Variant, result: &CheckResult) -> String {
    format!(
        "{} violates {} in {} of {} executions",
        variant.name(),
        names(&result.per_invariant.keys().copied().collect::<Vec<_>>()),
        result.failing,
        result.executions
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::by_name;

    /// The seed's repro with T2 logging on and off only: a few thousand traces.
    fn brief() -> Scenario {
        Scenario::from_json(
            r#"{"threads":[
                {"ops":[{"impersonate":"S-1-5-21-7-8-9-1001"},"logon","open_store","release_store"]},
                {"ops":[{"impersonate":"S-1-5-21-7-8-9-1002"},"logon","logoff"]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn each_guard_passes_the_fix_and_names_what_the_original_violates() {
        let (original, fixed) = (by_name("original").unwrap(), by_name("fixed").unwrap());
        let one_user = Scenario::from_json(
            r#"{"threads":[{"ops":["logon","open_store","release_store","logoff"]}]}"#,
        )
        .unwrap();
        let proof = proven(fixed.clone(), &one_user, 10_000).unwrap();
        assert!(proof.complete && !proof.failed());
        // A violation within the budget is reported as one, finished or not.
        let refused = proven(original.clone(), &brief(), 2_000).unwrap_err();
        assert!(refused.contains("poller-signals"), "{refused}");
        let short = proven(fixed.clone(), &brief(), 10).unwrap_err();
        assert!(short.contains("did not finish"), "{short}");

        sampled(fixed.clone(), &brief(), 300, 1).unwrap();
        let refused = sampled(original.clone(), &brief(), 300, 1).unwrap_err();
        assert!(refused.starts_with("original violates"), "{refused}");

        families(fixed, 5, 20).unwrap();
        let refused = families(original, 5, 20).unwrap_err();
        assert!(refused.contains("multi-user"), "{refused}");
    }
}
