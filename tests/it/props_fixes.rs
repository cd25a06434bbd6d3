//! Properties of the fixes, from each variant's own declaration ([`Variant::expected`]):
//!
//! - *keeps*: a variant keeps invariant I in family F when I is neither a `must` nor a `may` of
//!   its declaration for F. For generated scenarios of F (proptest, shrinking on failure), no
//!   schedule tried violates a kept invariant; `fixed` keeps every invariant everywhere.
//! - *caught*: every declared `must` is found by a hunt in its family, targeted at it: every
//!   wrong fix is caught with the invariant it breaks, and `original` hangs in `multi-user`.
//!
//! Budgets are small (the default `cargo test` runs them in the test profile, with debug
//! assertions on); `mapihang matrix` runs the same comparison with a larger one (the README's
//! matrix, checked with `MAPIHANG_FULL=1`).

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::hunt::{self, HuntConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::{builtin, by_name, Variant};

/// Random schedules per scenario in the "keeps" properties.
const SCHEDULES: usize = 60;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/props_fixes.txt"
        )))),
        ..ProptestConfig::default()
    }
}

/// The invariants `variant` keeps in `family`: neither `must` nor `may`.
fn kept(variant: &dyn Variant, family: Family) -> Vec<Invariant> {
    let expected = variant.expected(family);
    Invariant::ALL
        .into_iter()
        .filter(|i| !expected.must.contains(i) && !expected.may.contains(i))
        .collect()
}

/// Run every built-in variant on `scenario` (schedules seeded from the scenario, as a hunt does)
/// and fail if one violates an invariant it keeps in `family`.
fn keeps_in(family: Family, scenario: &Scenario) -> Result<(), TestCaseError> {
    prop_assert!(family.contains(scenario));
    let config = CheckConfig {
        strategy: Strategy::Random,
        schedules: SCHEDULES,
        seed: hunt::schedule_seed(0, scenario),
        ..CheckConfig::default()
    };
    for variant in builtin() {
        let kept = kept(variant.as_ref(), family);
        if kept.is_empty() {
            continue;
        }
        let result = engine::check(variant.clone(), scenario, &config);
        let broken: Vec<Invariant> = result
            .per_invariant
            .keys()
            .copied()
            .filter(|i| kept.contains(i))
            .collect();
        prop_assert!(
            broken.is_empty(),
            "{} violates {:?}, which it declares kept in {family}, in {} of {} schedules",
            variant.name(),
            broken,
            result.failing,
            result.executions
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn fixes_keep_what_they_declare_in_service_account(s in gen::strategy(Family::ServiceAccount)) {
        keeps_in(Family::ServiceAccount, &s)?;
    }

    #[test]
    fn fixes_keep_what_they_declare_in_same_user(s in gen::strategy(Family::SameUser)) {
        keeps_in(Family::SameUser, &s)?;
    }

    #[test]
    fn fixes_keep_what_they_declare_in_multi_user(s in gen::strategy(Family::MultiUser)) {
        keeps_in(Family::MultiUser, &s)?;
    }

    #[test]
    fn fixes_keep_what_they_declare_in_mixed(s in gen::strategy(Family::Mixed)) {
        keeps_in(Family::Mixed, &s)?;
    }

    #[test]
    fn fixes_keep_what_they_declare_in_crc_collision(s in gen::strategy(Family::CrcCollision)) {
        keeps_in(Family::CrcCollision, &s)?;
    }

    #[test]
    fn fixes_keep_what_they_declare_in_any(s in gen::strategy(Family::Any)) {
        keeps_in(Family::Any, &s)?;
    }
}

#[test]
fn fixed_declares_every_invariant_kept() {
    let fixed = by_name("fixed").unwrap();
    for family in Family::ALL {
        assert_eq!(
            kept(fixed.as_ref(), family),
            Invariant::ALL.to_vec(),
            "{family}"
        );
    }
}

/// A targeted hunt for `invariant`: it must find it (no shrinking: only detection is asserted).
fn caught(variant: &Arc<dyn Variant>, family: Family, invariant: Invariant) {
    let config = HuntConfig {
        family,
        cases: 100,
        schedules: 60,
        seed: 0,
        target: Some(invariant),
        jobs: 1,
        shrink_candidates_max: 0,
        preemptions_max: 0,
        dfs_schedules: 2_000,
        ..HuntConfig::default()
    };
    let result = hunt::hunt(variant.clone(), &config, &|_| {});
    let found = result.found.unwrap_or_else(|| {
        panic!(
            "{} in {family}: no violation of {invariant} in {} cases (declared must); repro: \
             mapihang hunt --variant {} --family {family} --invariant {invariant} --cases 100 --schedules 60",
            variant.name(),
            result.stats.cases_tried,
            variant.name()
        )
    });
    assert_eq!(found.invariant, invariant);
    assert!(family.contains(&found.scenario));
    let failure = found.check.first_failure.as_ref().expect("a failing check");
    assert!(failure.invariants().contains(&invariant));
}

/// Every `must` of `name`, in every family.
fn every_must_is_caught(name: &str) -> usize {
    let variant = by_name(name).unwrap();
    let mut hunted = 0;
    for family in Family::ALL {
        for invariant in variant.expected(family).must {
            caught(&variant, family, invariant);
            hunted += 1;
        }
    }
    hunted
}

#[test]
fn wrong_fixes_are_caught_with_what_they_break() {
    for name in [
        "wrong-signal-on-exit",
        "wrong-wait-timeout",
        "wrong-keep-shortcut",
        "wrong-respawn",
    ] {
        assert!(
            every_must_is_caught(name) >= 4,
            "{name} declares a must per unsafe family"
        );
    }
    // The ones that hide the hang lose the work instead.
    for name in ["wrong-signal-on-exit", "wrong-wait-timeout"] {
        caught(
            &by_name(name).unwrap(),
            Family::MultiUser,
            Invariant::WorkDone,
        );
    }
}

#[test]
fn partial_fixes_are_caught_where_they_fall_short() {
    for name in ["fix-bind-list", "fix-inherit-token", "fix-full-sid"] {
        assert!(every_must_is_caught(name) >= 2, "{name}");
    }
    // Binding the poller to its list, or giving it its creator's token, removes the hang but
    // keeps CRC32 keys: colliding users share a list.
    for name in ["fix-bind-list", "fix-inherit-token"] {
        caught(
            &by_name(name).unwrap(),
            Family::CrcCollision,
            Invariant::ListIsolation,
        );
    }
}

#[test]
fn original_is_caught_in_the_families_the_seed_describes() {
    let original = by_name("original").unwrap();
    caught(&original, Family::MultiUser, Invariant::PollerSignals);
    caught(&original, Family::Mixed, Invariant::PollerOwnsList);
    caught(&original, Family::CrcCollision, Invariant::ListIsolation);
    assert!(every_must_is_caught("original") >= 4);
}
