//! A fixed workload to profile or count instructions of, outside criterion:
//!
//! ```sh
//! cargo bench -p mapihang-core --bench callgrind --no-run
//! valgrind --tool=callgrind target/release/deps/callgrind-HASH fixed 2000
//! ```
//!
//! Workloads: `fixed` / `original` (`check` of the seed repro on N random schedules), `wide`
//! (the 8-thread, 3-user workload under `fixed`, N schedules), `hunt` (the full hunt under
//! `original` in family `any` from seeds 1..=N), `checks` (N checks of
//! one schedule each: what a check costs besides its executions), `digest` (a hash per check of
//! generated scenarios under every variant and scheduler, and per hunt: to compare two builds'
//! behaviour), `minimal` (the hand-written shuttle model of
//! `baselines.rs`, N schedules). Instructions per schedule are the difference
//! between two runs (e.g. N = 1000 and 2000) divided by the difference in N, which leaves out
//! start-up. With no arguments (as `cargo bench` runs it) it runs `fixed 100` and prints nothing.

use std::sync::Arc;

use mapihang_core::engine::{check, replay, CheckConfig, Strategy};
use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::hunt::{self, HuntConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::{Op, Scenario, ThreadSpec};
use mapihang_core::sim::Sid;
use mapihang_core::trace::ListId;
use mapihang_core::variant::{builtin, by_name, Declared, ListView, PollerView, Variant};

#[path = "models/mod.rs"]
mod models;

fn wide() -> Scenario {
    let threads = (0..8u32)
        .map(|i| {
            ThreadSpec::new(vec![
                Op::Impersonate(Sid::new(1, 5, vec![21, 7, 8, 9, 1001 + i % 3])),
                Op::Logon,
                Op::OpenStore,
                Op::ReleaseStore,
                Op::Logoff,
                Op::Revert,
            ])
        })
        .collect();
    Scenario::new(Sid::local_system(), threads)
}

/// A variant that panics when a poller sees two lists (exercises `model-panic`).
struct Panicky;

impl Declared for Panicky {
    fn name(&self) -> &str {
        "panicky"
    }

    fn description(&self) -> &str {
        "panics when a poller sees two lists"
    }
}

impl Variant for Panicky {
    fn find_own_list(&self, lists: &[ListView<'_>], _me: &PollerView<'_>) -> Option<ListId> {
        assert!(lists.len() < 2, "two lists");
        lists.first().map(|l| l.id)
    }
}

/// FNV-1a of a text.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// One line per (family, seed, variant, strategy): a hash of the whole `CheckResult` (counts,
/// findings, schedule, log), and of a replay of its first failure; then every hunt's result.
/// Two builds that print the same lines behave the same on all of them.
fn digest(n: usize) {
    let mut variants = builtin();
    variants.push(Arc::new(Panicky));
    let strategies = [
        (Strategy::Random, 200, 50_000),
        (Strategy::Random, 50, 40),
        (Strategy::Pct { depth: 3 }, 100, 50_000),
        (
            Strategy::Dfs {
                preemptions: Some(1),
            },
            300,
            50_000,
        ),
    ];
    for family in Family::ALL {
        for seed in 0..n as u64 {
            let scenario = gen::generate(family, hunt::case_seed(seed, 0));
            for variant in &variants {
                for (index, (strategy, schedules, steps_max)) in strategies.iter().enumerate() {
                    let config = CheckConfig {
                        strategy: strategy.clone(),
                        schedules: *schedules,
                        seed,
                        steps_max: *steps_max,
                        stop_on_first: index == 0,
                        target: None,
                    };
                    let result = check(variant.clone(), &scenario, &config);
                    let replayed = result.first_failure.as_ref().map(|f| {
                        let r = replay(variant.clone(), &scenario, &f.schedule, *steps_max);
                        fnv(&format!("{r:?}"))
                    });
                    println!(
                        "{} {seed} {} {index}: {} failing {} {:016x} {replayed:016x?}",
                        family.name(),
                        variant.name(),
                        result.executions,
                        result.failing,
                        fnv(&format!("{result:?}"))
                    );
                }
            }
        }
    }
    for seed in 0..n as u64 {
        for family in [Family::Any, Family::Mixed, Family::CrcCollision] {
            let config = HuntConfig {
                family,
                seed,
                jobs: 1 + seed as usize % 2,
                ..HuntConfig::default()
            };
            let result = hunt::hunt(by_name("original").unwrap(), &config, &|_| {});
            println!(
                "hunt {} {seed}: {:?} {:016x}",
                family.name(),
                result.stats,
                fnv(&format!("{:?}", result.found))
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let workload = args.first().map_or("fixed", String::as_str);
    let n: usize = args.get(1).map_or(100, |n| n.parse().expect("a number"));
    let checked = |variant: &str, scenario: &Scenario| {
        let config = CheckConfig {
            schedules: n,
            ..CheckConfig::default()
        };
        let result = check(by_name(variant).unwrap(), scenario, &config);
        assert_eq!(result.executions, n);
        result.failing
    };
    let out = match workload {
        "fixed" => checked("fixed", &Scenario::seed_repro()),
        "original" => checked("original", &Scenario::seed_repro()),
        "wide" => checked("fixed", &wide()),
        "hunt" => (1..=n as u64)
            .map(|seed| {
                let config = HuntConfig {
                    family: Family::Any,
                    target: Some(Invariant::PollerSignals),
                    seed,
                    ..HuntConfig::default()
                };
                let result = hunt::hunt(by_name("original").unwrap(), &config, &|_| {});
                result.stats.shrink_schedules + result.stats.schedules_run
            })
            .sum(),
        "checks" => (0..n)
            .map(|seed| {
                let config = CheckConfig {
                    schedules: 1,
                    seed: seed as u64,
                    ..CheckConfig::default()
                };
                check(by_name("fixed").unwrap(), &Scenario::seed_repro(), &config).executions
            })
            .sum(),
        "digest" => {
            digest(n);
            n
        }
        "minimal" => {
            models::minimal::run(n, 1);
            n
        }
        other => panic!("unknown workload {other:?}"),
    };
    if !args.is_empty() {
        println!("{workload} {n}: {out}");
    }
}
