//! What the engine is measured against: the seed repro's workload written by hand, without
//! mapihang.
//!
//! - `baseline/shuttle-minimal`: a minimal hand-written shuttle model of the seed repro under the
//!   fix (lists keyed by user, each poller bound to its list): shuttle's `Mutex` and `Condvar`,
//!   `thread::spawn`, shuttle's `RandomScheduler`. No logging, no monitors, no hang detection
//!   (under `original` shuttle would report the hang as a deadlock panic). The reference for
//!   `engine/seed-repro/fixed`: the same workload written plainly with shuttle's primitives (89
//!   scheduling decisions per execution, against the engine's 34, which is why the engine is
//!   faster).
//! - `hangs/engine`: the engine on the seed repro under `original`, counting the executions that
//!   violate `poller-signals`.
//! - `hangs/real-threads`: what a user would otherwise write: the seed repro's workload on real OS
//!   threads in a loop (two threads impersonating two users, two lists keyed by CRC, pollers
//!   running with the process "token", polling every millisecond and when woken), a store release
//!   waiting with a timeout as the watchdog. An execution whose release times out is a hang.
//!
//! The `hangs` group prints hangs found per second for both after it ran. Both models are in
//! `models/mod.rs`; the numbers are in docs/performance.md.

use std::hint::black_box;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use mapihang_core::engine::{check, CheckConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::by_name;

/// Executions per iteration of the shuttle benches.
const SCHEDULES: usize = 1000;

#[path = "models/mod.rs"]
mod models;
use models::{minimal, real};

fn shuttle_minimal(c: &mut Criterion) {
    let mut group = c.benchmark_group("baseline");
    group.throughput(Throughput::Elements(SCHEDULES as u64));
    let mut seed = 0;
    group.bench_function("shuttle-minimal/fixed", |b| {
        b.iter(|| {
            seed += 1;
            minimal::run(SCHEDULES, seed)
        })
    });
    group.finish();
}

/// Hangs found and time spent, over every iteration of one bench.
#[derive(Default)]
struct Tally {
    hangs: u64,
    executions: u64,
    time: Duration,
}

impl Tally {
    fn print(&self, name: &str) {
        let secs = self.time.as_secs_f64();
        println!(
            "{name}: {} of {} executions hung, {:.0} executions/s, {:.1} hangs/s",
            self.hangs,
            self.executions,
            self.executions as f64 / secs,
            self.hangs as f64 / secs
        );
    }
}

/// The real-thread harness's watchdog.
const WATCHDOG: Duration = Duration::from_millis(10);

fn hangs(c: &mut Criterion) {
    let engine = Arc::new(StdMutex::new(Tally::default()));
    let threads = Arc::new(StdMutex::new(Tally::default()));
    let mut group = c.benchmark_group("hangs");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(SCHEDULES as u64));
    let (original, scenario) = (by_name("original").unwrap(), Scenario::seed_repro());
    let mut seed = 0;
    let tally = engine.clone();
    group.bench_function("engine/original", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let mut hangs = 0;
            for _ in 0..iters {
                seed += 1;
                let config = CheckConfig {
                    schedules: SCHEDULES,
                    seed,
                    ..CheckConfig::default()
                };
                let result = check(original.clone(), &scenario, &config);
                hangs += result
                    .per_invariant
                    .get(&Invariant::PollerSignals)
                    .map_or(0, |&n| n as u64);
            }
            let time = start.elapsed();
            let mut tally = tally.lock().unwrap();
            tally.hangs += hangs;
            tally.executions += iters * SCHEDULES as u64;
            tally.time += time;
            time
        })
    });
    group.throughput(Throughput::Elements(1));
    let tally = threads.clone();
    group.bench_function("real-threads/original", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let mut hangs = 0;
            for _ in 0..iters {
                hangs += u64::from(black_box(real::run(WATCHDOG)));
            }
            let time = start.elapsed();
            let mut tally = tally.lock().unwrap();
            tally.hangs += hangs;
            tally.executions += iters;
            tally.time += time;
            time
        })
    });
    group.finish();
    engine.lock().unwrap().print("engine (shuttle), original");
    threads.lock().unwrap().print(&format!(
        "real threads, original, {} ms watchdog",
        WATCHDOG.as_millis()
    ));
}

criterion_group! {
    name = baselines;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = shuttle_minimal, hangs
}
criterion_main!(baselines);
