//! Fuzzing: what the cargo-fuzz targets in `fuzz/` run, as plain functions, so that the targets
//! are a few lines of glue and the same inputs replay on stable in `cargo test`.
//!
//! Three targets ([`Target`]):
//!
//! - `hunt_original`: one execution of a fuzzer-chosen scenario on a fuzzer-chosen schedule under
//!   `original`. A violation is a crash, and crashing is the point: it shows the fuzzer reaches
//!   the hang, and its artifacts are committed as regressions.
//! - `guard_fixed`: the same under `fixed`, the combined fix. A crash here is a real bug, in the
//!   fix or in the model.
//! - `scenario_json`: the bytes as text given to every parser a user's file reaches (scenario
//!   JSON, replay schedule strings, report JSON). A parser must return an error, never panic, and
//!   whatever it accepts must survive a round trip unchanged; a lost round trip is a crash.
//!
//! An engine target's input is split in two (feature `arbitrary`): the scenario is drawn from the
//! front of the bytes with `arbitrary::Unstructured` ([`crate::gen::arbitrary_scenario`],
//! family `any`), and the bytes left over drive the scheduler ([`Strategy::Bytes`]: each byte
//! picks among the runnable threads, then a deterministic fallback). Every input is a valid run:
//! missing bytes take the simplest scenario and the lowest runnable thread.
//!
//! A crash message names the violation, the scenario, the recorded schedule (`mh1:...`) and the
//! command that turns the artifact into a report that `mapihang replay` re-runs.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use crate::engine::{self, CheckConfig, CheckResult, Failure, Schedule, Strategy};
use crate::monitor::{names, Finding, Invariant};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::sim::SimOutcome;
use crate::variant::Variant;

/// The step bound of one fuzz execution. Far above what any generated scenario needs to finish
/// (the longest seen in the tests below is well under a tenth of it), so an execution is never cut
/// off while it is making progress (a cut-off execution is judged as it stands and could be
/// reported as a hang or a leak), yet low enough that a rare spinning execution stays fast.
pub const STEPS_MAX: usize = 20_000;

/// A cargo-fuzz target (`fuzz/fuzz_targets/<name>.rs`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// One execution under `original`: a violation is a crash (expected).
    HuntOriginal,
    /// One execution under `fixed`: a violation is a crash (a bug).
    GuardFixed,
    /// The parsers of user input: a panic or a lost round trip is a crash (a bug).
    ScenarioJson,
}

impl Target {
    /// Every target, in the order above.
    pub const ALL: [Target; 3] = [
        Target::HuntOriginal,
        Target::GuardFixed,
        Target::ScenarioJson,
    ];

    /// The target's name: its file name in `fuzz/fuzz_targets/` and its `cargo fuzz run` name.
    pub fn name(self) -> &'static str {
        match self {
            Target::HuntOriginal => "hunt_original",
            Target::GuardFixed => "guard_fixed",
            Target::ScenarioJson => "scenario_json",
        }
    }

    /// The built-in variant an engine target runs (`None` for `scenario_json`).
    pub fn variant(self) -> Option<&'static str> {
        match self {
            Target::HuntOriginal => Some("original"),
            Target::GuardFixed => Some("fixed"),
            Target::ScenarioJson => None,
        }
    }

    /// Whether a crash of this target means a bug (guard targets), rather than a find (hunt).
    pub fn guards(self) -> bool {
        self != Target::HuntOriginal
    }

    /// The note of a corpus entry imported from `artifact` (its path), with the invariants an
    /// engine target's execution violated (`None` for `scenario_json`).
    pub fn corpus_note(self, artifact: &std::path::Path, found: Option<&[Invariant]>) -> String {
        let name = artifact.file_name().map_or_else(
            || artifact.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        match found {
            None => format!("fuzz {self} artifact {name}"),
            Some([]) => format!("fuzz {self} artifact {name}: no violation"),
            Some(found) => format!("fuzz {self} artifact {name}: {}", names(found)),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A target name that is not one of [`Target::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fuzz target {name:?} (known: hunt_original, guard_fixed, scenario_json)")]
pub struct UnknownTarget {
    /// The name given.
    pub name: String,
}

impl FromStr for Target {
    type Err = UnknownTarget;
    fn from_str(text: &str) -> Result<Target, UnknownTarget> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == text)
            .ok_or_else(|| UnknownTarget {
                name: text.to_string(),
            })
    }
}

/// One execution of an engine target: what ran, what it found, and how to replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The variant's name.
    pub variant: String,
    /// The scenario decoded from the input.
    pub scenario: Scenario,
    /// The bytes that drove the scheduler.
    pub schedule_bytes: Vec<u8>,
    /// The violations found (empty: it passed, or was cut off).
    pub findings: Vec<Finding>,
    /// The step bound cut it off with nothing certain to report (see `monitor::settle`).
    pub cut_off: bool,
    /// The schedule the execution took: replays it with [`engine::replay`] and `mapihang replay`.
    pub schedule: Schedule,
    /// The step bound it ran under ([`STEPS_MAX`]).
    pub steps_max: usize,
    /// Its log and how it ended.
    pub outcome: SimOutcome,
    /// Wall time.
    pub elapsed_ms: u64,
}

impl Execution {
    /// Whether it violated an invariant.
    pub fn failed(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The distinct invariants violated, in DESIGN.md's order.
    pub fn invariants(&self) -> Vec<Invariant> {
        crate::monitor::invariants_of(&self.findings)
    }

    /// The execution as a report (scheduler `bytes`), with its schedule set even when it
    /// passed, so that `mapihang replay` re-runs it either way. `repro` is left to the caller.
    pub fn report(&self) -> Report {
        let config = CheckConfig {
            strategy: Strategy::Bytes(self.schedule_bytes.clone().into()),
            schedules: 1,
            seed: 0,
            steps_max: self.steps_max,
            stop_on_first: true,
            ..CheckConfig::default()
        };
        let failed = self.failed();
        let result = CheckResult {
            executions: 1,
            failing: usize::from(failed),
            cut_off: usize::from(self.cut_off),
            per_invariant: self.invariants().into_iter().map(|i| (i, 1)).collect(),
            exhausted: false,
            first_failure: failed.then(|| Failure {
                execution: 0,
                findings: self.findings.clone(),
                schedule: self.schedule.clone(),
                outcome: self.outcome.clone(),
            }),
            traces: 1,
            ..CheckResult::default()
        };
        let mut report = Report::from_check(
            &self.variant,
            &self.scenario,
            &config,
            &result,
            self.elapsed_ms,
        );
        report.schedule = Some(self.schedule.to_string());
        report
    }

    /// What `target`'s fuzz target panics with: the violations, the scenario, the schedule and
    /// the command that turns the crash artifact into a replayable report.
    pub fn crash_message(&self, target: Target) -> String {
        let report = self.report();
        let mut message = format!(
            "{target}: under `{}` the execution violates {}",
            self.variant,
            names(&self.invariants())
        );
        for violation in &report.violations {
            message.push_str(&format!(
                "\n  [{}] {}",
                violation.invariant, violation.message
            ));
        }
        let scenario = serde_json::to_string(&self.scenario).expect("a scenario serialises");
        message.push_str(&format!(
            "\nscenario: {scenario}\nschedule: {}\nrepro:    mapihang import-fuzz ARTIFACT --target {target} --out report.json && mapihang replay report.json",
            self.schedule
        ));
        message
    }
}

/// What `scenario_json` made of its bytes: each parser's result (errors as their one line), and
/// every round trip that lost something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// [`Scenario::from_json`] on the bytes as text.
    pub scenario: Result<Scenario, String>,
    /// The bytes as text parsed as a replay schedule (`mh1:...`).
    pub schedule: Result<Schedule, String>,
    /// The bytes parsed as a report (what `replay` and `explain` read).
    pub report: Result<Box<Report>, String>,
    /// Round trips (print, parse again) that did not give back what was parsed: bugs.
    pub lost: Vec<String>,
}

/// The result of one fuzz input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FuzzOutcome {
    /// An engine target ran one execution.
    Executed {
        /// Which target.
        target: Target,
        /// The execution.
        execution: Box<Execution>,
    },
    /// `scenario_json` ran the parsers.
    Parsed(Box<Parsed>),
}

impl FuzzOutcome {
    /// The execution, for an engine target.
    pub fn execution(&self) -> Option<&Execution> {
        match self {
            FuzzOutcome::Executed { execution, .. } => Some(execution),
            FuzzOutcome::Parsed(_) => None,
        }
    }

    /// The violations found (always empty for `scenario_json`).
    pub fn findings(&self) -> &[Finding] {
        self.execution().map_or(&[], |e| &e.findings)
    }

    /// What the fuzz target panics with, if this input is a crash: a violation (engine
    /// targets) or a lost round trip (`scenario_json`).
    pub fn crash_message(&self) -> Option<String> {
        match self {
            FuzzOutcome::Executed { target, execution } => {
                execution.failed().then(|| execution.crash_message(*target))
            }
            FuzzOutcome::Parsed(parsed) => (!parsed.lost.is_empty())
                .then(|| format!("scenario_json: round trip lost: {}", parsed.lost.join("; "))),
        }
    }
}

/// Run one fuzz input through `target`: the whole of what `fuzz/fuzz_targets/<target>.rs` does,
/// except panicking on [`FuzzOutcome::crash_message`].
#[cfg(feature = "arbitrary")]
pub fn run_input(target: Target, data: &[u8]) -> FuzzOutcome {
    match target.variant() {
        Some(name) => {
            let variant = crate::variant::by_name(name).expect("a built-in variant");
            FuzzOutcome::Executed {
                target,
                execution: Box::new(run_bytes(variant, data)),
            }
        }
        None => FuzzOutcome::Parsed(Box::new(parse(data))),
    }
}

/// Split an engine target's input: the scenario drawn from the front, the schedule bytes left.
#[cfg(feature = "arbitrary")]
pub fn decode(data: &[u8]) -> (Scenario, &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let scenario = crate::gen::arbitrary_scenario(&mut u, crate::family::Family::Any)
        .expect("the generator takes its simplest choices when the bytes run out");
    (scenario, u.take_rest())
}

/// Run an engine target's input under any `variant` (to try a crash of one target on another
/// variant, e.g. a `hunt_original` regression under `fixed`).
#[cfg(feature = "arbitrary")]
pub fn run_bytes(variant: Arc<dyn Variant>, data: &[u8]) -> Execution {
    let (scenario, schedule_bytes) = decode(data);
    execute(variant, &scenario, schedule_bytes)
}

/// Run `scenario` once under `variant`, the scheduler driven by `schedule_bytes`.
pub fn execute(variant: Arc<dyn Variant>, scenario: &Scenario, schedule_bytes: &[u8]) -> Execution {
    let config = CheckConfig {
        strategy: Strategy::Bytes(schedule_bytes.into()),
        schedules: 1,
        seed: 0,
        steps_max: STEPS_MAX,
        stop_on_first: true,
        ..CheckConfig::default()
    };
    let start = Instant::now();
    let run = engine::run_once(variant.clone(), scenario, &config);
    Execution {
        variant: variant.name().to_string(),
        scenario: scenario.clone(),
        schedule_bytes: schedule_bytes.to_vec(),
        findings: run.findings,
        cut_off: run.cut_off,
        schedule: run.schedule,
        steps_max: STEPS_MAX,
        outcome: run.outcome,
        elapsed_ms: start.elapsed().as_millis() as u64,
    }
}

/// `scenario_json`: the bytes through every parser of user input, and each success through a
/// round trip. Never panics on any input.
pub fn parse(data: &[u8]) -> Parsed {
    // Lossy: invalid UTF-8 becomes U+FFFD, so the parsers still see the rest of the text.
    let text: Cow<'_, str> = String::from_utf8_lossy(data);
    let mut lost = Vec::new();

    let scenario = Scenario::from_json(&text).map_err(|e| e.to_string());
    if let Ok(scenario) = &scenario {
        match Scenario::from_json(&scenario.to_json()) {
            Ok(again) if again == *scenario => {}
            Ok(again) => lost.push(format!(
                "scenario {} printed and parsed again is {}",
                serde_json::to_string(scenario).unwrap_or_default(),
                serde_json::to_string(&again).unwrap_or_default()
            )),
            Err(e) => lost.push(format!("a parsed scenario prints as invalid JSON: {e}")),
        }
    }

    let schedule = text.parse::<Schedule>().map_err(|e| e.to_string());
    if let Ok(schedule) = &schedule {
        match schedule.to_string().parse::<Schedule>() {
            Ok(again) if again == *schedule => {}
            _ => lost.push(format!("schedule {schedule} does not parse back to itself")),
        }
    }

    let report = serde_json::from_slice::<Report>(data)
        .map(Box::new)
        .map_err(|e| e.to_string());
    if let Ok(report) = &report {
        // Rendering must not panic on any report a file can hold.
        let _ = report.to_text();
        match serde_json::from_str::<Report>(&report.to_json()) {
            Ok(again) if again == **report => {}
            Ok(_) => lost.push("a report printed and parsed again differs".to_string()),
            Err(e) => lost.push(format!("a parsed report prints as invalid JSON: {e}")),
        }
    }

    Parsed {
        scenario,
        schedule,
        report,
        lost,
    }
}

/// `count` deterministic pseudo-random byte buffers from `seed`, the buffer of case `i` of
/// length `i % len` (a linear congruential stream): inputs for tests of what the fuzz targets
/// decode, the same on every machine.
pub fn sample_inputs(seed: u64, count: usize, len: usize) -> Vec<Vec<u8>> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u8
    };
    (0..count)
        .map(|case| (0..case % len).map(|_| next()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_round_trip() {
        for target in Target::ALL {
            assert_eq!(target.name().parse::<Target>(), Ok(target));
            assert_eq!(target.to_string(), target.name());
        }
        let err = "hunt".parse::<Target>().unwrap_err().to_string();
        assert!(err.contains("unknown fuzz target \"hunt\""), "{err}");
        assert_eq!(Target::HuntOriginal.variant(), Some("original"));
        assert_eq!(Target::GuardFixed.variant(), Some("fixed"));
        assert!(!Target::HuntOriginal.guards() && Target::GuardFixed.guards());
    }

    /// `scenario_json` on one input: no panic, and no lost round trip.
    fn check_parse(data: &[u8]) -> Parsed {
        let parsed = parse(data);
        assert!(parsed.lost.is_empty(), "{data:?}: {:?}", parsed.lost);
        parsed
    }

    #[test]
    fn parse_accepts_what_users_write() {
        let scenario = Scenario::seed_repro();
        let parsed = check_parse(scenario.to_json().as_bytes());
        assert_eq!(parsed.scenario, Ok(scenario));
        assert!(parsed.schedule.is_err() && parsed.report.is_err());

        let parsed = check_parse(b"mh1:0.1*3.2");
        assert_eq!(parsed.schedule.unwrap().steps, vec![0, 1, 1, 1, 2]);
        assert!(parsed.scenario.is_err());

        let report = engine_report();
        let parsed = check_parse(report.to_json().as_bytes());
        assert_eq!(parsed.report.as_deref(), Ok(&report));
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        for data in [
            &b""[..],
            b"{",
            b"\xff\xfe{\"threads\":[]}",
            b"{\"threads\":[{\"ops\":[{\"impersonate\":\"S-1-5-99999999999999999999\"}]}]}",
            b"{\"process_user\":\"S-1-281474976710656-1\",\"threads\":[{\"ops\":[]}]}",
            b"mh1:65535*1048577",
            b"mh1:1*18446744073709551616",
            b"{\"schema\":\"mapihang.report/1\"}",
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        ] {
            let parsed = check_parse(data);
            assert!(parsed.scenario.is_err(), "{data:?}");
            assert!(parsed.report.is_err(), "{data:?}");
        }
        // Deep nesting: serde_json's recursion limit, not a stack overflow.
        let deep = "[".repeat(100_000);
        check_parse(deep.as_bytes());
    }

    /// A failing report, as `check` writes it.
    fn engine_report() -> Report {
        let variant = crate::variant::by_name("original").unwrap();
        let scenario = Scenario::seed_repro();
        let config = CheckConfig {
            schedules: 50,
            ..CheckConfig::default()
        };
        let result = engine::check(variant, &scenario, &config);
        assert!(result.failed());
        Report::from_check("original", &scenario, &config, &result, 0)
    }

    #[test]
    fn execute_is_deterministic_and_replays() {
        let scenario = Scenario::seed_repro();
        for variant in ["original", "fixed"] {
            let variant = crate::variant::by_name(variant).unwrap();
            for bytes in [&[][..], &[1, 0, 2, 1, 1, 0, 3, 2, 2, 1, 0, 0, 1], &[7; 64]] {
                let first = execute(variant.clone(), &scenario, bytes);
                let again = execute(variant.clone(), &scenario, bytes);
                assert_eq!(first.findings, again.findings);
                assert_eq!(first.schedule, again.schedule);
                assert!(first.outcome.completed || first.failed());
                let replayed =
                    engine::replay(variant.clone(), &scenario, &first.schedule, STEPS_MAX);
                assert!(replayed.faithful, "{}", first.schedule);
                assert_eq!(replayed.findings, first.findings);
            }
        }
    }

    /// Schedule bytes that make `original` hang on the seed's scenario: each of the two
    /// threads logs on (two lists) before either poller polls. Found by trying byte patterns.
    fn hanging_bytes() -> Vec<u8> {
        let original = crate::variant::by_name("original").unwrap();
        let scenario = Scenario::seed_repro();
        (0u8..=255)
            .map(|b| [b, b.wrapping_mul(7), b.wrapping_add(3)].repeat(40))
            .find(|bytes| execute(original.clone(), &scenario, bytes).failed())
            .expect("some simple byte pattern makes original hang on the seed's scenario")
    }

    #[test]
    fn original_hangs_where_fixed_does_not() {
        let scenario = Scenario::seed_repro();
        let bytes = hanging_bytes();
        let original = execute(
            crate::variant::by_name("original").unwrap(),
            &scenario,
            &bytes,
        );
        assert!(original.invariants().contains(&Invariant::PollerSignals));
        let fixed = execute(crate::variant::by_name("fixed").unwrap(), &scenario, &bytes);
        assert!(!fixed.failed(), "{:?}", fixed.findings);

        let message = original.crash_message(Target::HuntOriginal);
        assert!(
            message.starts_with(
                "hunt_original: under `original` the execution violates poller-signals"
            ),
            "{message}"
        );
        assert!(
            message.contains(&format!("schedule: {}", original.schedule)),
            "{message}"
        );
        assert!(message.contains("mapihang import-fuzz ARTIFACT --target hunt_original"));

        let report = original.report();
        assert_eq!(report.scheduler, "bytes");
        assert_eq!(report.schedule, Some(original.schedule.to_string()));
        assert_eq!(report.steps_max, STEPS_MAX);
        assert!(!report.violations.is_empty());
        let passing = fixed.report();
        assert_eq!(passing.schedule, Some(fixed.schedule.to_string()));
        assert!(passing.violations.is_empty());
    }

    #[cfg(feature = "arbitrary")]
    mod arbitrary_inputs {
        use super::super::*;

        /// Deterministic pseudo-random inputs of every length up to 600 bytes.
        fn inputs(count: usize) -> Vec<Vec<u8>> {
            sample_inputs(0xF0_22, count, 600)
        }

        #[test]
        fn decode_splits_scenario_and_schedule() {
            let (empty, rest) = decode(&[]);
            assert!(rest.is_empty());
            empty.validate().unwrap();
            let data: Vec<u8> = (0..=255).collect();
            let (scenario, rest) = decode(&data);
            scenario.validate().unwrap();
            assert!(!rest.is_empty() && rest.len() < data.len());
            assert_eq!(rest, &data[data.len() - rest.len()..]);
        }

        #[test]
        fn engine_targets_run_any_input_within_the_step_bound() {
            let mut hunted = 0;
            let mut longest = 0;
            for data in inputs(400) {
                let hunt = run_input(Target::HuntOriginal, &data);
                let guard = run_input(Target::GuardFixed, &data);
                hunted += usize::from(hunt.crash_message().is_some());
                let guard_run = guard.execution().unwrap();
                assert!(
                    guard.crash_message().is_none(),
                    "{}",
                    guard.crash_message().unwrap()
                );
                assert!(
                    guard_run.outcome.completed,
                    "fixed finishes every execution"
                );
                for run in [hunt.execution().unwrap(), guard_run] {
                    longest = longest.max(run.schedule.steps.len());
                    // The recorded schedule replays the execution exactly.
                    let variant = crate::variant::by_name(&run.variant).unwrap();
                    let replayed =
                        engine::replay(variant, &run.scenario, &run.schedule, run.steps_max);
                    assert!(replayed.faithful);
                    assert_eq!(replayed.findings, run.findings);
                }
            }
            assert!(hunted > 0, "random inputs make original hang sometimes");
            assert!(
                longest * 10 < STEPS_MAX,
                "longest execution {longest} steps: STEPS_MAX leaves a wide margin"
            );
        }

        #[test]
        fn scenario_json_runs_any_input() {
            // Random bytes, then inputs each parser accepts: each error is one clean line of
            // bounded length (what the CLI prints), each acceptance survives its round trip.
            let scenario = crate::scenario::Scenario::seed_repro().to_json();
            let mut all = inputs(300);
            all.push(scenario.clone().into_bytes());
            all.push(format!("\u{feff}{scenario}").into_bytes());
            all.push(b"mh1:0.1*3.2".to_vec());
            let (mut scenarios, mut schedules) = (0, 0);
            for data in all {
                let FuzzOutcome::Parsed(parsed) = run_input(Target::ScenarioJson, &data) else {
                    panic!("scenario_json parses, it runs nothing");
                };
                for error in [
                    parsed.scenario.as_ref().err(),
                    parsed.schedule.as_ref().err(),
                    parsed.report.as_ref().err(),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(!error.contains('\n'), "one line: {error:?}");
                    assert!(error.len() < 400, "bounded: {error}");
                }
                scenarios += usize::from(parsed.scenario.is_ok());
                schedules += usize::from(parsed.schedule.is_ok());
                assert!(parsed.lost.is_empty(), "{:?}", parsed.lost);
            }
            assert_eq!(scenarios, 2, "the scenario and its BOM form parse");
            assert!(schedules >= 1, "the schedule parses");
        }
    }
}
