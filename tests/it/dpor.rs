//! Partial-order reduction against plain depth-first search: on generated scenarios small
//! enough for the unbounded DFS to finish, `dpor` must see exactly the same violated invariants
//! and the same terminal outcomes, in no more executions. The default run checks a sample; set
//! `MAPIHANG_DPOR_SOUNDNESS=N` for N scenarios (scripts/dpor-soundness.sh runs 300).

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::{builtin, by_name};

use crate::load;

const FAMILIES: [Family; 5] = [
    Family::ServiceAccount,
    Family::SameUser,
    Family::MultiUser,
    Family::Mixed,
    Family::CrcCollision,
];

fn search(strategy: Strategy, schedules: usize) -> CheckConfig {
    CheckConfig {
        strategy,
        schedules,
        ..CheckConfig::default()
    }
}

/// Case `n`: a scenario of the family `n` names, cut to at most `threads` threads of at most
/// `ops` ops.
fn small_case(n: u64, threads: usize, ops: usize) -> Scenario {
    let family = FAMILIES[(n % FAMILIES.len() as u64) as usize];
    let mut scenario = gen::generate(family, 0x5eed_0000 + n);
    scenario.threads.truncate(threads);
    for thread in &mut scenario.threads {
        thread.ops.truncate(ops);
    }
    scenario
}

/// Compare `dpor` with unbounded DFS on small generated scenarios (every built-in variant in
/// turn) until `target` cases are compared or `max_cases` were tried. A case is compared when
/// DFS finishes within `dfs_budget` schedules; DFS is not tried when DPOR alone needs more than
/// a fiftieth of that (DFS explores at least as many). Returns the cases compared and the
/// executions of each search over them.
fn compare(
    target: usize,
    max_cases: u64,
    (threads, ops): (usize, usize),
    dfs_budget: usize,
) -> (usize, usize, usize) {
    let variants = builtin();
    let (mut compared, mut dfs_total, mut dpor_total) = (0, 0, 0);
    for n in 0..max_cases {
        if compared >= target {
            break;
        }
        let scenario = small_case(n, threads, ops);
        let variant = variants[(n as usize / FAMILIES.len()) % variants.len()].clone();
        let dpor = engine::explore(
            variant.clone(),
            &scenario,
            &search(Strategy::Dpor, dfs_budget),
        );
        if !dpor.exhausted || dpor.executions > dfs_budget / 20 {
            continue;
        }
        let dfs = engine::explore(
            variant.clone(),
            &scenario,
            &search(Strategy::Dfs { preemptions: None }, dfs_budget),
        );
        if !dfs.exhausted {
            continue;
        }
        let case = format!(
            "case {n} (variant {}): {}",
            variant.name(),
            scenario.to_json()
        );
        assert_eq!(
            dpor.invariants, dfs.invariants,
            "{case}: violated invariants differ"
        );
        assert_eq!(
            dpor.outcomes, dfs.outcomes,
            "{case}: terminal outcomes differ"
        );
        assert!(
            dpor.executions <= dfs.executions,
            "{case}: dpor ran {} executions, dfs {}",
            dpor.executions,
            dfs.executions
        );
        compared += 1;
        dfs_total += dfs.executions;
        dpor_total += dpor.executions;
    }
    (compared, dfs_total, dpor_total)
}

#[test]
fn dpor_sees_what_unbounded_dfs_sees() {
    // The full run (scripts/dpor-soundness.sh): N cases of at most 3 threads of 4 ops, DFS up
    // to 2 million schedules; the default sample: 10 cases of 2 threads of 2 ops, 20,000.
    let full: Option<usize> = std::env::var("MAPIHANG_DPOR_SOUNDNESS")
        .ok()
        .and_then(|v| v.parse().ok());
    let (target, size, budget) = match full {
        Some(n) => (
            n,
            (3, 4),
            std::env::var("MAPIHANG_DPOR_DFS_BUDGET")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(2_000_000),
        ),
        None => (10, (2, 2), 20_000),
    };
    let (compared, dfs, dpor) = compare(target, 40 * target as u64, size, budget);
    eprintln!("dpor vs dfs: {compared} cases compared; executions: dfs {dfs}, dpor {dpor}");
    assert_eq!(
        compared, target,
        "enough small cases: {compared} of {target}"
    );
}

#[test]
fn dpor_is_complete_on_a_small_repro_and_finds_the_hang() {
    // The seed's repro with T2 logging on and off only (the seed's full repro takes a million
    // executions: docs/performance.md).
    let scenario = Scenario::from_json(
        r#"{"threads":[
            {"ops":[{"impersonate":"S-1-5-21-7-8-9-1001"},"logon","open_store","release_store"]},
            {"ops":[{"impersonate":"S-1-5-21-7-8-9-1002"},"logon","logoff"]}]}"#,
    )
    .unwrap();
    let config = search(Strategy::Dpor, 5_000_000);
    let original = engine::check(by_name("original").unwrap(), &scenario, &config);
    assert!(original.failed());
    assert!(original
        .per_invariant
        .contains_key(&Invariant::PollerSignals));
    let fixed = engine::check(by_name("fixed").unwrap(), &scenario, &config);
    assert!(!fixed.failed(), "{:?}", fixed.per_invariant);
    assert!(fixed.complete && fixed.exhausted && fixed.cut_off == 0);
    assert_eq!(fixed.traces + fixed.pruned, fixed.executions);
}

#[test]
fn a_bounded_or_sampled_pass_is_not_complete() {
    let scenario = load("seed-repro.json");
    let fixed = by_name("fixed").unwrap();
    for strategy in [
        Strategy::Random,
        Strategy::Pct { depth: 3 },
        Strategy::Dfs {
            preemptions: Some(1),
        },
    ] {
        let result = engine::check(fixed.clone(), &scenario, &search(strategy.clone(), 500));
        assert!(!result.complete, "{strategy:?}");
    }
    // A DPOR search stopped by its budget is not complete either.
    let cut = engine::check(fixed, &scenario, &search(Strategy::Dpor, 100));
    assert!(!cut.exhausted && !cut.complete);
}

/// `Continuations` after a prefix of a violating schedule finds a violation (the schedule
/// itself is one continuation), for every prefix length; after no prefix it is the complete
/// search, execution for execution; and under a fix that passes completely, every prefix's
/// continuations pass.
#[test]
fn the_continuations_of_a_prefix_contain_the_schedule_it_came_from() {
    let scenario = load("seed-repro.json");
    let original = by_name("original").unwrap();
    let config = search(Strategy::Dpor, 100_000);
    let found = engine::check(original.clone(), &scenario, &config);
    let failure = found.first_failure.expect("DPOR finds the seed's hang");
    let steps = failure.schedule.steps.len();
    for k in [0, 1, steps / 4, steps / 2, steps - 1, steps] {
        let mut prefix = failure.schedule.clone();
        prefix.steps.truncate(k);
        let after = engine::check(
            original.clone(),
            &scenario,
            &CheckConfig {
                stop_on_first: true,
                ..search(Strategy::Continuations(prefix.clone()), 100_000)
            },
        );
        assert!(after.failed(), "after {k} of {steps} steps: {after:?}");
        if k < steps / 2 {
            continue; // the fix's whole search takes a million executions: see `exhaustive`
        }
        let fixed = engine::check(
            by_name("fixed").unwrap(),
            &scenario,
            &search(Strategy::Continuations(prefix), 2_000_000),
        );
        assert!(fixed.complete && !fixed.failed(), "fixed after {k} steps");
    }
    let scenario = load("crc-collision.json");
    let whole = engine::check(
        original.clone(),
        &scenario,
        &search(Strategy::Dpor, 200_000),
    );
    let after_nothing = engine::check(
        original,
        &scenario,
        &search(Strategy::Continuations(Default::default()), 200_000),
    );
    assert!(whole.complete && after_nothing.complete);
    assert_eq!(whole.executions, after_nothing.executions);
    assert_eq!(whole.per_invariant, after_nothing.per_invariant);
}
