//! Property tests over generated scenarios (proptest), with failure seeds persisted under the
//! top-level `proptest-regressions/` and replayed first.
//!
//! `keeps!` is the hook for fixes: one line states that a variant keeps an invariant in a family,
//! checked on generated scenarios of that family.

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::family::Family;
use mapihang_core::hunt::{self, HuntConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::by_name;
use proptest::test_runner::{Config, FileFailurePersistence};

/// proptest's configuration for this file: fixed case count, failures persisted at the top level.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/props.txt"
        )))),
        ..Config::default()
    }
}

/// Whether `variant` violates `invariant` on `scenario` within `schedules` random schedules,
/// seeded from the scenario (the same question every time proptest asks it).
pub fn violates(
    variant: &str,
    scenario: &Scenario,
    invariant: Invariant,
    schedules: usize,
) -> bool {
    let config = CheckConfig {
        strategy: Strategy::Random,
        schedules,
        seed: hunt::schedule_seed(0, scenario),
        stop_on_first: true,
        target: Some(invariant),
        ..CheckConfig::default()
    };
    let result = engine::check(by_name(variant).unwrap(), scenario, &config);
    // A kept invariant must have been judged: an execution the step bound cut off says nothing.
    assert_eq!(
        result.cut_off,
        0,
        "{variant}: executions cut off, not judged, on {}",
        scenario.to_json()
    );
    result.first_failure.is_some()
}

/// `keeps!(test_name, "variant", Family, Invariant, cases)`: a proptest property that `variant`
/// never violates `invariant` on scenarios of `family`.
#[macro_export]
macro_rules! keeps {
    ($name:ident, $variant:expr, $family:expr, $invariant:expr, $cases:expr) => {
        #[test]
        fn $name() {
            let mut runner = proptest::test_runner::TestRunner::new($crate::props::config($cases));
            let result = runner.run(&mapihang_core::gen::strategy($family), |scenario| {
                proptest::prop_assert!(
                    !$crate::props::violates($variant, &scenario, $invariant, 200),
                    "{} violates {} on {}",
                    $variant,
                    $invariant,
                    scenario.to_json()
                );
                Ok(())
            });
            if let Err(err) = result {
                panic!("{err}");
            }
        }
    };
}

// The seed's safe setups: no impersonation, or one impersonated user.
keeps!(
    original_service_account_never_hangs,
    "original",
    Family::ServiceAccount,
    Invariant::PollerSignals,
    64
);
keeps!(
    original_same_user_never_hangs,
    "original",
    Family::SameUser,
    Invariant::PollerSignals,
    64
);

/// Hunting in `family` finds the hang and shrinks it to at most 6 ops and exactly 2 users.
fn check_hunt_shrinks(family: Family, seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let config = HuntConfig {
            family,
            seed,
            cases: 200,
            target: Some(Invariant::PollerSignals),
            ..HuntConfig::default()
        };
        let result = hunt::hunt(by_name("original").unwrap(), &config, &|_| {});
        let found = result
            .found
            .unwrap_or_else(|| panic!("{family} seed {seed}: no hang in 200 cases"));
        assert_eq!(found.invariant, Invariant::PollerSignals);
        let ops = found.scenario.ops_total();
        let users = hunt::users_logging_on(&found.scenario);
        assert!(
            ops <= 6,
            "{family} seed {seed}: shrunk to {ops} ops: {}",
            found.scenario.to_json()
        );
        assert_eq!(
            users,
            2,
            "{family} seed {seed}: {}",
            found.scenario.to_json()
        );
        assert!(
            found.check.first_failure.is_some(),
            "the minimal scenario still fails"
        );
    }
}

#[test]
fn hunting_multi_user_finds_and_shrinks_the_hang() {
    check_hunt_shrinks(Family::MultiUser, 0..4);
}

#[test]
fn hunting_any_finds_and_shrinks_the_hang() {
    check_hunt_shrinks(Family::Any, 0..4);
}

#[test]
fn hunting_is_deterministic_whatever_the_jobs() {
    let config = HuntConfig {
        family: Family::Any,
        seed: 9,
        cases: 100,
        ..HuntConfig::default()
    };
    let one = hunt::hunt(by_name("original").unwrap(), &config, &|_| {});
    let two = hunt::hunt(
        by_name("original").unwrap(),
        &HuntConfig { jobs: 2, ..config },
        &|_| {},
    );
    // Equal because both found the same thing, not because both found nothing.
    let found = one
        .found
        .as_ref()
        .expect("family any, seed 9: the hunt finds a violation");
    assert!(found.check.first_failure.is_some());
    assert_eq!(one.found, two.found);
    assert_eq!(one.stats, two.stats);
}
