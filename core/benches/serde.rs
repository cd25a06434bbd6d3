//! Parsing and serialising scenarios and reports (JSON), and rendering a report as text.
//!
//! The report is the one `mapihang check examples/scenarios/seed-repro.json` writes: the seed's
//! repro under `original`, with its first failing execution's trace and stacks.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mapihang_core::engine::{check, CheckConfig};
use mapihang_core::report::Report;
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::by_name;

fn benches(c: &mut Criterion) {
    let scenario = Scenario::seed_repro();
    let scenario_json = scenario.to_json();
    let config = CheckConfig::default();
    let result = check(by_name("original").unwrap(), &scenario, &config);
    let report = Report::from_check("original", &scenario, &config, &result, 0);
    assert!(!report.trace.is_empty());
    let report_json = report.to_json();

    let mut group = c.benchmark_group("serde");
    group.throughput(Throughput::Bytes(scenario_json.len() as u64));
    group.bench_function("scenario/parse", |b| {
        b.iter(|| Scenario::from_json(black_box(&scenario_json)).unwrap())
    });
    group.bench_function("scenario/serialise", |b| {
        b.iter(|| black_box(&scenario).to_json())
    });
    group.throughput(Throughput::Bytes(report_json.len() as u64));
    group.bench_function("report/parse", |b| {
        b.iter(|| serde_json::from_str::<Report>(black_box(&report_json)).unwrap())
    });
    group.bench_function("report/serialise", |b| {
        b.iter(|| black_box(&report).to_json())
    });
    group.finish();
    // No throughput: building a report and rendering it as text are not about the JSON bytes.
    let mut group = c.benchmark_group("report");
    group.bench_function("build", |b| {
        b.iter(|| Report::from_check("original", &scenario, &config, black_box(&result), 0))
    });
    group.bench_function("text", |b| b.iter(|| black_box(&report).to_text()));
    group.finish();
}

criterion_group! {
    name = serde_benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(serde_benches);
