//! The committed fuzz inputs, replayed on stable: every file under `fuzz/regressions/<target>/`
//! and `fuzz/seeds/<target>/` goes through `mapihang_core::fuzz` exactly as the cargo-fuzz target
//! `<target>` runs it.
//!
//! - A `hunt_original` regression still fails under `original`, and violates the invariant its
//!   file name starts with (`poller-signals-...`).
//! - No file, of any target, fails under `fixed`: engine inputs are run as `guard_fixed` runs
//!   them, and `scenario_json` inputs that are scenarios are checked on random schedules.
//! - Every file goes through the `scenario_json` parsers without a panic or a lost round trip.
//! - An engine seed decodes to what its file name says (a family's plain scenario, or an
//!   application shape: `app-thread-pool`, ...) and passes under both `original` and `fixed`.

use std::path::{Path, PathBuf};

use mapihang_core::engine::{self, CheckConfig};
use mapihang_core::family::Family;
use mapihang_core::fuzz::{self, Target};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::{Op, Scenario};
use mapihang_core::variant;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every file under `fuzz/<kind>/<target>/`, with its target, sorted.
fn inputs(kind: &str) -> Vec<(Target, PathBuf)> {
    let mut all = Vec::new();
    let root = fuzz_dir().join(kind);
    for dir in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let target: Target = name
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for file in std::fs::read_dir(&dir).unwrap() {
            all.push((target, file.unwrap().path()));
        }
    }
    all.sort();
    all
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The invariant a regression's file name starts with (`poller-signals-two-threads`).
fn named_invariant(path: &Path) -> Invariant {
    let name = path.file_name().unwrap().to_string_lossy();
    Invariant::ALL
        .into_iter()
        .find(|i| name.starts_with(i.name()))
        .unwrap_or_else(|| panic!("{name}: a regression's name starts with its invariant"))
}

/// `path` as `guard_fixed` (and, for text inputs, the `fixed` variant on the scenario) sees it.
fn check_fixed_passes(target: Target, path: &Path, data: &[u8]) {
    if target.variant().is_some() {
        let outcome = fuzz::run_input(Target::GuardFixed, data);
        if let Some(message) = outcome.crash_message() {
            panic!("{}: {message}", path.display());
        }
        return;
    }
    if let Ok(scenario) = fuzz::parse(data).scenario {
        let config = CheckConfig {
            schedules: 200,
            ..CheckConfig::default()
        };
        let result = engine::check(variant::by_name("fixed").unwrap(), &scenario, &config);
        assert!(
            !result.failed(),
            "{}: fixed violates {:?}",
            path.display(),
            result.per_invariant
        );
    }
}

/// Every file, of any target: the parsers never panic nor lose a round trip.
fn check_parsers(path: &Path, data: &[u8]) {
    let outcome = fuzz::run_input(Target::ScenarioJson, data);
    assert_eq!(outcome.crash_message(), None, "{}", path.display());
}

#[test]
fn hunt_original_regressions_still_fail_under_original() {
    let regressions = inputs("regressions");
    let hunts: Vec<_> = regressions
        .iter()
        .filter(|(target, _)| *target == Target::HuntOriginal)
        .collect();
    assert!(hunts.len() >= 3, "the committed hunt_original regressions");
    for (_, path) in hunts {
        let outcome = fuzz::run_input(Target::HuntOriginal, &read(path));
        let execution = outcome.execution().unwrap();
        assert!(
            outcome.crash_message().is_some(),
            "{}: no longer fails under original",
            path.display()
        );
        let expected = named_invariant(path);
        assert!(
            execution.invariants().contains(&expected),
            "{}: violates {:?}, not {expected}",
            path.display(),
            execution.invariants()
        );
        // The recorded schedule replays the same violation, as `mapihang replay` would.
        let replayed = engine::replay(
            variant::by_name("original").unwrap(),
            &execution.scenario,
            &execution.schedule,
            execution.steps_max,
        );
        assert!(replayed.faithful, "{}", path.display());
        assert_eq!(replayed.findings, execution.findings, "{}", path.display());
    }
}

#[test]
fn no_committed_input_fails_under_fixed() {
    let all: Vec<_> = inputs("regressions")
        .into_iter()
        .chain(inputs("seeds"))
        .collect();
    for target in Target::ALL {
        assert!(
            all.iter().any(|(t, _)| *t == target),
            "fuzz/seeds or fuzz/regressions has inputs for {target}"
        );
    }
    for (target, path) in &all {
        let data = read(path);
        check_fixed_passes(*target, path, &data);
        check_parsers(path, &data);
    }
}

#[test]
fn scenario_json_seeds_parse() {
    // The seeds are what users write: each is accepted by one parser.
    for (target, path) in inputs("seeds") {
        if target != Target::ScenarioJson {
            continue;
        }
        let parsed = fuzz::parse(&read(&path));
        assert!(
            parsed.scenario.is_ok() || parsed.schedule.is_ok() || parsed.report.is_ok(),
            "{}: no parser accepts it: {parsed:?}",
            path.display()
        );
    }
}

/// Whether `scenario` is what an engine seed's file name says: a family's scenario in the
/// original format (`multi-user`: two users and no process-user logon; `mixed`: one user
/// beside a process-user logon), or an application shape (`app-...`).
fn is_what_its_name_says(name: &str, scenario: &Scenario) -> bool {
    let ops: Vec<Op> = scenario.threads.iter().flat_map(|t| t.expanded()).collect();
    let has = |f: &dyn Fn(&Op) -> bool| ops.iter().any(f);
    let users = scenario.users_impersonated().len();
    match name {
        "app-thread-pool" => {
            // A main thread holds a process-user session that an impersonating worker it
            // spawned opens a store on.
            scenario.threads.iter().any(|t| t.spawned)
                && has(&|op| matches!(op, Op::Join(_)))
                && has(&|op| {
                    matches!(
                        op,
                        Op::OpenStoreAs {
                            session: Some(_),
                            ..
                        }
                    )
                })
                && users >= 1
        }
        "app-handover" => {
            // A store opened on a named session, released and logged off by another thread.
            has(&|op| {
                matches!(
                    op,
                    Op::OpenStoreAs {
                        session: Some(_),
                        ..
                    }
                )
            }) && has(&|op| matches!(op, Op::Wait(_)))
                && has(&|op| matches!(op, Op::ReleaseStoreNamed(_)))
                && has(&|op| matches!(op, Op::LogoffNamed(_)))
        }
        "app-serialized" => {
            scenario
                .threads
                .iter()
                .filter(|t| t.ops.iter().any(|op| matches!(op, Op::Lock(_))))
                .count()
                >= 2
                && users >= 2
        }
        "app-loop" => scenario.threads.iter().any(|t| {
            t.ops.iter().any(|op| {
                matches!(op, Op::Repeat { ops, .. }
                    if ops.iter().any(|inner| matches!(inner, Op::Repeat { .. })))
            })
        }),
        family => {
            let family: Family = family
                .parse()
                .unwrap_or_else(|e| panic!("a seed is named after a family or app-...: {e}"));
            let exclusive = match family {
                Family::MultiUser => !Family::Mixed.contains(scenario),
                Family::Mixed => !Family::MultiUser.contains(scenario),
                _ => true,
            };
            family.contains(scenario) && exclusive && !scenario.is_extended()
        }
    }
}

#[test]
fn engine_seeds_are_what_their_names_say_and_pass() {
    let seeds: Vec<_> = inputs("seeds")
        .into_iter()
        .filter(|(target, _)| target.variant().is_some())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for (target, path) in &seeds {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = read(path);
        let (scenario, _) = fuzz::decode(&data);
        assert!(
            is_what_its_name_says(&name, &scenario),
            "{}: decodes to {}",
            path.display(),
            scenario.to_json()
        );
        for runner in [Target::HuntOriginal, Target::GuardFixed] {
            let outcome = fuzz::run_input(runner, &data);
            let execution = outcome.execution().unwrap();
            assert!(
                !execution.failed() && execution.outcome.completed,
                "{} ({target}): under {} it violates {:?} or does not finish",
                path.display(),
                execution.variant,
                execution.invariants()
            );
        }
        names.push(name);
    }
    for expected in [
        "service-account",
        "same-user",
        "multi-user",
        "mixed",
        "crc-collision",
        "app-thread-pool",
        "app-handover",
        "app-serialized",
        "app-loop",
    ] {
        assert_eq!(
            names.iter().filter(|n| *n == expected).count(),
            2,
            "{expected}: one seed for each engine target"
        );
    }
}
