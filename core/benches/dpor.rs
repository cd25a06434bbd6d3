//! The complete searches (DPOR, the stateful search) against the preemption-bounded DFS, on
//! scenarios small enough for DPOR to finish in a benchmark, and the stateful search alone on
//! the seed's repro (DPOR takes over a minute there): one full search per iteration, so the
//! time is the time to a proof (DPOR, stateful) or to a bounded claim (DFS). The example scenarios' figures, which take
//! seconds to minutes, are in docs/performance.md (`scripts/dpor-examples.sh`).
//!
//! Run with `cargo bench -p mapihang-core --features bench --bench dpor`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use mapihang_core::engine::{check, CheckConfig, Strategy};
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::by_name;

/// Two users: T1 logs on, opens and releases a store; T2 logs on and off.
const SMALL: &str = r#"{"threads":[
    {"ops":[{"impersonate":"S-1-5-21-7-8-9-1001"},"logon","open_store","release_store"]},
    {"ops":[{"impersonate":"S-1-5-21-7-8-9-1002"},"logon","logoff"]}]}"#;

/// Two users, each logs on and off.
const TINY: &str = r#"{"threads":[
    {"ops":[{"impersonate":"S-1-5-21-7-8-9-1001"},"logon","logoff"]},
    {"ops":[{"impersonate":"S-1-5-21-7-8-9-1002"},"logon","logoff"]}]}"#;

fn search(c: &mut Criterion) {
    let mut group = c.benchmark_group("search");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let seed = include_str!("../../examples/scenarios/seed-repro.json");
    for (name, text) in [("tiny", TINY), ("small", SMALL), ("seed-repro", seed)] {
        let scenario = Scenario::from_json(text).expect("valid");
        let strategies: &[(&str, Strategy)] = if name == "seed-repro" {
            &[("stateful", Strategy::Stateful)]
        } else {
            &[
                ("dpor", Strategy::Dpor),
                ("stateful", Strategy::Stateful),
                (
                    "dfs-2-preemptions",
                    Strategy::Dfs {
                        preemptions: Some(2),
                    },
                ),
            ]
        };
        for variant in ["original", "fixed"] {
            let v = by_name(variant).expect("built in");
            for (label, strategy) in strategies.iter().cloned() {
                let config = CheckConfig {
                    strategy,
                    schedules: 100_000_000,
                    ..CheckConfig::default()
                };
                let result = check(v.clone(), &scenario, &config);
                eprintln!(
                    "{name}/{variant}/{label}: {} executions, complete {}",
                    result.executions, result.complete
                );
                group.bench_function(format!("{name}/{variant}/{label}"), |b| {
                    b.iter(|| black_box(check(v.clone(), &scenario, &config)))
                });
            }
        }
    }
    group.finish();
}

/// The stateful search alone on the two three-thread examples of issue 11's SPIN table, whose
/// two interchangeable threads it reduces by (one search per iteration, on one core).
fn three_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("stateful-three-threads");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    let examples = [
        (
            "same-user",
            include_str!("../../examples/scenarios/same-user.json"),
        ),
        (
            "service-account",
            include_str!("../../examples/scenarios/service-account.json"),
        ),
    ];
    for (name, text) in examples {
        let scenario = Scenario::from_json(text).expect("valid");
        for variant in ["original", "fixed"] {
            let v = by_name(variant).expect("built in");
            let config = CheckConfig {
                strategy: Strategy::Stateful,
                schedules: 100_000_000,
                ..CheckConfig::default()
            };
            let result = check(v.clone(), &scenario, &config);
            eprintln!(
                "{name}/{variant}/stateful: {} states, {} executions, complete {}, symmetry {:?}",
                result.states, result.executions, result.complete, result.symmetry
            );
            group.bench_function(format!("{name}/{variant}/stateful"), |b| {
                b.iter(|| black_box(check(v.clone(), &scenario, &config)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, search, three_threads);
criterion_main!(benches);
