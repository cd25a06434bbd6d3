//! `one-step-stop` keeps every invariant: by the complete search (DPOR) on the example scenarios
//! where it finishes, by many random schedules on the others, and across the generated families
//! by the fix-guard matrix.

use std::sync::Arc;

use mapihang_core::guard;
use mapihang_core::scenario::Scenario;
use mapihang_example_one_step_stop::OneStepStop;

fn scenario(text: &str) -> Scenario {
    Scenario::from_json(text).expect("an example scenario")
}

/// The complete search must finish and find nothing.
fn proven(text: &str) {
    guard::proven(Arc::new(OneStepStop), &scenario(text), 1_000_000).unwrap();
}

/// 5,000 seeded random schedules, every one run to its end, none failing.
fn sampled(text: &str) {
    guard::sampled(Arc::new(OneStepStop), &scenario(text), 5_000, 1).unwrap();
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
fn clean_by_the_complete_search_on_same_user_service_account_and_crc_collision_setups() {
    proven(include_str!("../../scenarios/same-user.json"));
    proven(include_str!("../../scenarios/service-account.json"));
    proven(include_str!("../../scenarios/crc-collision.json"));
}

/// Three threads and two users: about 200,000 interleavings, so sampled here (proven by
/// `cargo run --release -p mapihang-example-one-step-stop -- check examples/scenarios/mixed.json
/// --variant one-step-stop --scheduler dpor --schedules 1000000`).
#[test]
fn clean_on_many_schedules_of_the_mixed_setup() {
    sampled(include_str!("../../scenarios/mixed.json"));
}

/// Generated scenarios of every family (a small matrix: 20 cases per family).
#[test]
fn clean_in_every_generated_family() {
    guard::families(Arc::new(OneStepStop), 20, 40).unwrap();
}
