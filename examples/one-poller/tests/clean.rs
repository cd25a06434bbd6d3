//! `one-poller` keeps every invariant: by the complete search (DPOR) on the example scenarios
//! where it finishes, by many random schedules on the others, and across the generated families
//! by the fix-guard matrix.

use std::sync::Arc;

use mapihang_core::engine::{check, CheckConfig, Strategy};
use mapihang_core::matrix::{matrix, MatrixConfig};
use mapihang_core::scenario::Scenario;
use mapihang_example_one_poller::OnePoller;

fn scenario(text: &str) -> Scenario {
    Scenario::from_json(text).expect("an example scenario")
}

/// The complete search must finish and find nothing.
fn proven(text: &str) {
    let config = CheckConfig {
        strategy: Strategy::Dpor,
        schedules: 1_000_000,
        ..CheckConfig::default()
    };
    let result = check(Arc::new(OnePoller), &scenario(text), &config);
    assert!(result.complete, "the complete search finished");
    assert!(!result.failed(), "{:?}", result.per_invariant);
}

#[test]
fn clean_by_the_complete_search_on_the_seeds_repro() {
    proven(include_str!("../../scenarios/seed-repro.json"));
}

#[test]
fn clean_by_the_complete_search_on_a_brief_second_user() {
    proven(include_str!("../../scenarios/brief-second-user.json"));
}

#[test]
fn clean_by_the_complete_search_on_mixed_and_crc_collision_setups() {
    proven(include_str!("../../scenarios/mixed.json"));
    proven(include_str!("../../scenarios/crc-collision.json"));
}

/// Two threads on one shared list: more than a million interleavings, so sampled.
#[test]
fn clean_on_many_schedules_where_two_threads_share_a_list() {
    for text in [
        include_str!("../../scenarios/same-user.json"),
        include_str!("../../scenarios/service-account.json"),
    ] {
        let config = CheckConfig {
            schedules: 5_000,
            seed: 1,
            ..CheckConfig::default()
        };
        let result = check(Arc::new(OnePoller), &scenario(text), &config);
        assert_eq!(result.executions, 5_000);
        assert!(!result.failed(), "{:?}", result.per_invariant);
        assert_eq!(result.cut_off, 0);
    }
}

/// Generated scenarios of every family (a small matrix: 20 cases per family).
#[test]
fn clean_in_every_generated_family() {
    let config = MatrixConfig {
        cases: 20,
        schedules: 40,
        ..MatrixConfig::default()
    };
    let result = matrix(&[Arc::new(OnePoller)], &config, &|_| {});
    for cell in &result.cells {
        assert!(
            cell.observed.is_empty(),
            "{}: {:?}",
            cell.family,
            cell.observed
        );
    }
    assert_eq!(result.mismatches().count(), 0);
}
