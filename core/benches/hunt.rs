//! How long a hunt takes to find the seed's hang and to shrink it.
//!
//! - `hunt/detect`: from a fresh seed to the first `poller-signals` violation under `original` in
//!   family `any`: the hunt's case search alone, mirrored here with the public API (generate case
//!   `i`, check it on 200 random schedules seeded from its content, stop at the first case whose
//!   first failure violates `poller-signals`), on one job.
//! - `hunt/detect+shrink`: the full [`hunt::hunt`] (search, shrinking, minimal-preemption DFS).
//!
//! Each iteration takes the next seed of 1..=20 in turn, so a sample's mean is over seeds. Before
//! criterion runs, the per-seed times of seeds 1..=20 are printed with their medians (the targets
//! are medians over seeds).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use mapihang_core::engine::{check, CheckConfig, Strategy, STEPS_MAX_DEFAULT};
use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::hunt::{self, HuntConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::variant::by_name;

const SEEDS: u64 = 20;

/// The hunt's search on one job: the index of the first case that violates `poller-signals`.
fn detect(seed: u64) -> usize {
    let variant = by_name("original").unwrap();
    let defaults = HuntConfig::default();
    for index in 0..defaults.cases {
        let scenario = gen::generate(Family::Any, hunt::case_seed(seed, index));
        let config = CheckConfig {
            strategy: Strategy::Random,
            schedules: defaults.schedules,
            seed: hunt::schedule_seed(seed, &scenario),
            steps_max: STEPS_MAX_DEFAULT,
            stop_on_first: true,
            target: Some(Invariant::PollerSignals),
        };
        let result = check(variant.clone(), &scenario, &config);
        let hit = result
            .first_failure
            .is_some_and(|f| f.invariants().contains(&Invariant::PollerSignals));
        if hit {
            return index;
        }
    }
    panic!(
        "seed {seed}: no poller-signals violation in {} cases",
        defaults.cases
    );
}

/// The full hunt: the ops of the shrunk scenario.
fn detect_and_shrink(seed: u64) -> usize {
    let config = HuntConfig {
        family: Family::Any,
        target: Some(Invariant::PollerSignals),
        seed,
        ..HuntConfig::default()
    };
    let result = hunt::hunt(by_name("original").unwrap(), &config, &|_| {});
    let found = result.found.expect("the hunt finds the hang");
    found.scenario.ops_total()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (values[(n - 1) / 2] + values[n / 2]) / 2.0
}

/// Per-seed times (one run each, after one warm-up run) and their medians.
fn medians() {
    detect(1);
    let (mut detection, mut total) = (Vec::new(), Vec::new());
    println!("seed  case  detect_ms  ops  hunt_ms");
    for seed in 1..=SEEDS {
        let start = Instant::now();
        let case = detect(seed);
        let d = start.elapsed().as_secs_f64() * 1e3;
        let start = Instant::now();
        let ops = detect_and_shrink(seed);
        let t = start.elapsed().as_secs_f64() * 1e3;
        println!("{seed:>4}  {case:>4}  {d:>9.2}  {ops:>3}  {t:>7.1}");
        detection.push(d);
        total.push(t);
    }
    println!(
        "median over seeds 1..={SEEDS}: detection {:.2} ms, detection + shrinking {:.1} ms",
        median(detection),
        median(total)
    );
}

fn benches(c: &mut Criterion) {
    medians();
    let mut group = c.benchmark_group("hunt");
    group.sampling_mode(SamplingMode::Flat);
    let mut seed = 0;
    group.bench_function("detect", |b| {
        b.iter(|| {
            seed = seed % SEEDS + 1;
            black_box(detect(seed))
        })
    });
    let mut seed = 0;
    group.bench_function("detect+shrink", |b| {
        b.iter(|| {
            seed = seed % SEEDS + 1;
            black_box(detect_and_shrink(seed))
        })
    });
    group.finish();
}

criterion_group! {
    name = hunt_benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(hunt_benches);
