//! The engine against the seed's claims: what hangs, what is safe, replay and determinism.

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::monitor::{Finding, Invariant, PollerEnd};
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::by_name;

use crate::load;

fn random(schedules: usize, seed: u64) -> CheckConfig {
    CheckConfig {
        strategy: Strategy::Random,
        schedules,
        seed,
        ..CheckConfig::default()
    }
}

fn dfs(preemptions: Option<usize>) -> CheckConfig {
    CheckConfig {
        strategy: Strategy::Dfs { preemptions },
        schedules: 10_000_000,
        ..CheckConfig::default()
    }
}

#[test]
fn seed_repro_hangs_in_most_schedules() {
    let scenario = load("seed-repro.json");
    let result = engine::check(by_name("original").unwrap(), &scenario, &random(1000, 7));
    assert_eq!(result.executions, 1000);
    let hangs = result.per_invariant[&Invariant::PollerSignals];
    assert!(hangs > 500, "hangs in most schedules: {hangs} of 1000");
    let failure = result.first_failure.expect("a failing execution is kept");
    let hang = failure.findings.iter().find_map(|f| match f {
        Finding::Hang {
            thread,
            poller,
            end,
            ..
        } => Some((*thread, *poller, *end)),
        _ => None,
    });
    let (_thread, _poller, end) = hang.expect("a hang names the waiting thread and its poller");
    assert!(
        matches!(end, PollerEnd::Quit { lists: 2, .. }),
        "the waited-for poller quit seeing two lists: {end:?}"
    );
}

/// The seed: "either there is no impersonation at all, or all of the MAPI threads impersonate the
/// same user. Either way, there is no opportunity to run in to this problem."
fn check_safe(name: &str) {
    let scenario = load(name);
    let original = by_name("original").unwrap();
    let result = engine::check(original.clone(), &scenario, &random(10_000, 1));
    assert_eq!(result.executions, 10_000);
    assert_eq!(result.failing, 0, "{name}: {:?}", result.first_failure);
    assert_eq!(
        result.cut_off, 0,
        "{name}: every execution judged to its end"
    );

    // Every schedule with at most one preemption of the three-thread example, exhaustively.
    let result = engine::check(original, &scenario, &dfs(Some(1)));
    assert!(
        result.exhausted,
        "{name}: DFS with 1 preemption completes ({} schedules)",
        result.executions
    );
    assert_eq!(result.failing, 0, "{name}: {:?}", result.first_failure);
    assert_eq!(
        result.cut_off, 0,
        "{name}: every execution judged to its end"
    );
}

#[test]
fn service_account_never_hangs() {
    check_safe("service-account.json");
}

#[test]
fn same_user_never_hangs() {
    check_safe("same-user.json");
}

/// Small two-thread instances, every schedule with at most two preemptions (CHESS-style
/// iterative context bounding; unbounded DFS has no partial-order reduction and grows past
/// millions of schedules even here, see ARCHITECTURE.md).
#[test]
fn small_instances_exhaustively() {
    let two = |sid: Option<&str>| {
        let mut ops = String::new();
        if let Some(sid) = sid {
            ops.push_str(&format!(r#"{{"impersonate":"{sid}"}},"#));
        }
        ops.push_str(r#""logon","open_store","release_store","logoff""#);
        Scenario::from_json(&format!(
            r#"{{"threads":[{{"ops":[{ops}]}},{{"ops":[{ops}]}}]}}"#
        ))
        .unwrap()
    };
    for scenario in [two(None), two(Some("S-1-5-21-7-8-9-500"))] {
        let result = engine::check(by_name("original").unwrap(), &scenario, &dfs(Some(2)));
        assert!(
            result.exhausted,
            "exploration completes ({} schedules)",
            result.executions
        );
        assert!(
            result.executions > 1000,
            "many interleavings: {}",
            result.executions
        );
        assert_eq!(result.failing, 0, "{:?}", result.first_failure);
        assert_eq!(result.cut_off, 0, "every execution judged to its end");
    }
    // The same bound contains the hang once two users log on: one preemption is enough.
    let seed = load("seed-repro.json");
    let result = engine::check(by_name("original").unwrap(), &seed, &dfs(Some(1)));
    assert!(result.exhausted);
    assert!(
        result.per_invariant[&Invariant::PollerSignals] > 0,
        "the hang is within one preemption"
    );
}

#[test]
fn replay_reproduces_the_same_violation_and_trace() {
    let scenario = load("seed-repro.json");
    let original = by_name("original").unwrap();
    let failure = engine::check(original.clone(), &scenario, &random(100, 3))
        .first_failure
        .unwrap();
    let replayed = engine::replay(
        original,
        &scenario,
        &failure.schedule,
        engine::STEPS_MAX_DEFAULT,
    );
    assert!(replayed.faithful);
    assert_eq!(replayed.findings, failure.findings);
    assert_eq!(replayed.outcome.log, failure.outcome.log);
    assert_eq!(replayed.schedule, failure.schedule);
}

#[test]
fn a_schedule_under_a_fix_does_not_reproduce_silently() {
    // Replaying a schedule of another scenario must say it left the schedule, not pass quietly.
    let scenario = load("seed-repro.json");
    let original = by_name("original").unwrap();
    let failure = engine::check(original.clone(), &scenario, &random(100, 3))
        .first_failure
        .unwrap();
    let other = load("service-account.json");
    let replayed = engine::replay(
        original,
        &other,
        &failure.schedule,
        engine::STEPS_MAX_DEFAULT,
    );
    assert!(!replayed.faithful);
}

#[test]
fn checks_are_deterministic() {
    let scenario = load("mixed.json");
    let original = by_name("original").unwrap();
    for strategy in [
        Strategy::Random,
        Strategy::Pct { depth: 3 },
        Strategy::Dfs {
            preemptions: Some(1),
        },
    ] {
        let config = CheckConfig {
            strategy,
            schedules: 300,
            seed: 11,
            ..CheckConfig::default()
        };
        let a = engine::check(original.clone(), &scenario, &config);
        let b = engine::check(original.clone(), &scenario, &config);
        assert_eq!(a, b);
    }
}

#[test]
fn mixed_and_collision_are_caught_for_their_own_reasons() {
    let original = by_name("original").unwrap();
    let mixed = engine::check(original.clone(), &load("mixed.json"), &random(500, 5));
    assert!(
        mixed.per_invariant.contains_key(&Invariant::PollerOwnsList),
        "{:?}",
        mixed.per_invariant
    );
    let collision = engine::check(original, &load("crc-collision.json"), &random(500, 5));
    assert!(
        collision
            .per_invariant
            .contains_key(&Invariant::ListIsolation),
        "{:?}",
        collision.per_invariant
    );
}
