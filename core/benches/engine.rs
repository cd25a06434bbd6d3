//! Engine throughput, in schedules (executions) per second.
//!
//! - `engine`: the seed's two-user repro under `original` (86% of schedules hang) and `fixed`
//!   (none does), and an 8-thread, 3-user workload under both.
//! - `scaling`: `fixed` with 1 to 8 threads (one user each, so as many pollers) and 1 or 4
//!   sessions per thread: how the cost of one schedule grows with threads and ops.
//! - `schedules`: one `check` of the seed repro with 10 to 10,000 schedules: what a check costs
//!   besides its executions (the per-case overhead a hunt pays with its 200 schedules a case).
//!
//! Run with `cargo bench -p mapihang-core --bench engine`. The numbers are in
//! docs/performance.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use mapihang_core::engine::{check, CheckConfig};
use mapihang_core::scenario::{Op, Scenario, ThreadSpec};
use mapihang_core::sim::Sid;
use mapihang_core::variant::by_name;

/// Schedules per `check` in the throughput benches.
const SCHEDULES: usize = 1000;

/// `threads` threads; thread `i` impersonates user `i % users` (RIDs 1001, 1002, ...), runs
/// `sessions` sessions of logon, open_store, release_store, logoff, then reverts.
fn workload(threads: usize, users: usize, sessions: usize) -> Scenario {
    let threads = (0..threads)
        .map(|i| {
            let mut ops = vec![Op::Impersonate(Sid::new(
                1,
                5,
                vec![21, 7, 8, 9, 1001 + (i % users) as u32],
            ))];
            for _ in 0..sessions {
                ops.extend([Op::Logon, Op::OpenStore, Op::ReleaseStore, Op::Logoff]);
            }
            ops.push(Op::Revert);
            ThreadSpec::new(ops)
        })
        .collect();
    Scenario::new(Sid::local_system(), threads)
}

fn run(variant: &str, scenario: &Scenario, schedules: usize) -> usize {
    let config = CheckConfig {
        schedules,
        ..CheckConfig::default()
    };
    let result = check(by_name(variant).unwrap(), scenario, &config);
    assert_eq!(result.executions, schedules);
    result.failing
}

fn engine(c: &mut Criterion) {
    let seed = Scenario::seed_repro();
    assert_eq!(
        seed,
        workload(2, 2, 1),
        "the workload generator makes the seed repro"
    );
    let wide = workload(8, 3, 1);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(SCHEDULES as u64));
    for (name, scenario) in [("seed-repro", &seed), ("8-threads-3-users", &wide)] {
        for variant in ["original", "fixed"] {
            group.bench_with_input(BenchmarkId::new(name, variant), scenario, |b, scenario| {
                b.iter(|| black_box(run(variant, scenario, SCHEDULES)))
            });
        }
    }
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sampling_mode(SamplingMode::Flat);
    for sessions in [1, 4] {
        for threads in [1, 2, 4, 8] {
            // Fewer schedules for the big ones, so that every case takes about as long.
            let schedules = 4000 / (threads * sessions);
            let scenario = workload(threads, threads, sessions);
            group.throughput(Throughput::Elements(schedules as u64));
            let id = BenchmarkId::new(
                format!("fixed/{sessions}-sessions"),
                format!("{threads}-threads"),
            );
            group.bench_with_input(id, &scenario, |b, scenario| {
                b.iter(|| black_box(run("fixed", scenario, schedules)))
            });
        }
    }
    group.finish();
}

fn schedules(c: &mut Criterion) {
    let seed = Scenario::seed_repro();
    let mut group = c.benchmark_group("schedules");
    group.sampling_mode(SamplingMode::Flat);
    for schedules in [10, 100, 1000, 10_000] {
        group.throughput(Throughput::Elements(schedules as u64));
        group.bench_with_input(
            BenchmarkId::new("seed-repro/fixed", schedules),
            &schedules,
            |b, &schedules| b.iter(|| black_box(run("fixed", &seed, schedules))),
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = engine, scaling, schedules
}
criterion_main!(benches);
