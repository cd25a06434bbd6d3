//! The real binary: exit codes, one-line errors, JSON determinism, the replay round trip.

use std::path::Path;
use std::process::{Command, Output};

use crate::example;

pub(crate) fn mapihang(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapihang"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mapihang-it-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Bad input: exit code 2 and exactly one line on stderr that contains `expect`.
pub(crate) fn check_bad(args: &[&str], expect: &str) {
    let out = mapihang(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: one line, got {stderr:?}"
    );
    assert!(
        stderr.contains(expect),
        "{args:?}: {stderr:?} should contain {expect:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = temp_dir("bad");
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    check_bad(&["check", &write(&dir, "a.json", "{ not json")], "not JSON");
    check_bad(
        &[
            "check",
            &write(&dir, "b.json", r#"{"threads":[{"ops":["dance"]}]}"#),
        ],
        "thread T1, op 1: unknown op \"dance\"",
    );
    check_bad(
        &[
            "check",
            &write(
                &dir,
                "c.json",
                r#"{"threads":[{"ops":[{"impersonate":"S-1-5-21-x"}]}]}"#,
            ),
        ],
        "bad SID \"S-1-5-21-x\"",
    );
    let many = format!(
        r#"{{"threads":[{}]}}"#,
        [r#"{"ops":["logon"]}"#; 17].join(",")
    );
    check_bad(
        &["check", &write(&dir, "d.json", &many)],
        "17 threads, at most 16",
    );
    check_bad(
        &["check", &seed, "--variant", "nonesuch"],
        "unknown variant \"nonesuch\"",
    );
    check_bad(&["check", "/nonexistent/scenario.json"], "cannot read");
    check_bad(
        &["check", &seed, "--scheduler", "magic"],
        "invalid value 'magic'",
    );
    check_bad(&["frobnicate"], "unrecognized subcommand");
    check_bad(
        &[
            "replay",
            &write(&dir, "e.json", r#"{"variant":"original"}"#),
        ],
        "not a mapihang report",
    );
    let corrupt = format!(
        r#"{{"schema":"mapihang.report/1","variant":"original","scenario":{},"schedule":"mh1:0.x.2"}}"#,
        std::fs::read_to_string(example("seed-repro.json")).unwrap()
    );
    check_bad(
        &["replay", &write(&dir, "f.json", &corrupt)],
        "bad replay schedule",
    );
}

fn without_elapsed(json: &[u8]) -> serde_json::Value {
    let mut value: serde_json::Value =
        serde_json::from_slice(json).expect("stdout is one JSON object");
    value
        .as_object_mut()
        .unwrap()
        .remove("elapsed_ms")
        .expect("elapsed_ms is reported");
    value
}

#[test]
fn same_seed_same_json() {
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    for scheduler in ["random", "pct", "dfs"] {
        let args = [
            "check",
            &seed,
            "--scheduler",
            scheduler,
            "--schedules",
            "200",
            "--seed",
            "42",
            "--format",
            "json",
        ];
        let (a, b) = (mapihang(&args), mapihang(&args));
        assert_eq!(a.status.code(), Some(1));
        assert_eq!(
            without_elapsed(&a.stdout),
            without_elapsed(&b.stdout),
            "{scheduler}"
        );
    }
}

#[test]
fn json_report_has_the_design_fields() {
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let out = mapihang(&["check", &seed, "--format", "json", "--schedules", "50"]);
    let report = without_elapsed(&out.stdout);
    for field in [
        "schema",
        "variant",
        "verdict",
        "violations",
        "scenario",
        "seed",
        "schedule",
        "executions",
        "trace",
    ] {
        assert!(report.get(field).is_some(), "missing {field}");
    }
    assert_eq!(report["verdict"], "violation");
    let violation = &report["violations"][0];
    assert_eq!(violation["invariant"], "poller-signals");
    assert!(
        violation["thread"].is_string() && violation["poller"].is_string(),
        "{violation}"
    );
}

#[test]
fn replay_round_trip_through_the_binary() {
    let dir = temp_dir("replay");
    let report = dir.join("report.json").to_string_lossy().into_owned();
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let out = mapihang(&["check", &seed, "--out", &report]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("blocked in release_store"), "{text}");
    assert!(
        text.contains(&format!(" replay {report}")),
        "the repro line names the report: {text}"
    );

    let out = mapihang(&["replay", &report, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed = without_elapsed(&out.stdout);
    let original = without_elapsed(std::fs::read(&report).unwrap().as_slice());
    // The same violations; only the advise command names the file each was read from.
    let without_advice = |v: &serde_json::Value| {
        let mut v = v.clone();
        for violation in v.as_array_mut().unwrap() {
            violation["advice"]
                .as_object_mut()
                .unwrap()
                .remove("command");
        }
        v
    };
    assert_eq!(
        without_advice(&replayed["violations"]),
        without_advice(&original["violations"])
    );
    assert!(replayed["violations"][0]["advice"]["command"]
        .as_str()
        .unwrap()
        .contains(" advise "));
    assert_eq!(replayed["trace"], original["trace"]);
    assert_eq!(replayed["schedule"], original["schedule"]);

    let out = mapihang(&["replay", &report]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("reproduced: the same violation (poller-signals)"));

    // The same schedule under the report's own variant but another scenario: the schedule does
    // not fit, the report is corrupt (exit 2), never a pass.
    let mut edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    edited["scenario"] =
        serde_json::from_str(&std::fs::read_to_string(example("service-account.json")).unwrap())
            .unwrap();
    let other = dir.join("other.json");
    std::fs::write(&other, edited.to_string()).unwrap();
    check_bad(&["replay", &other.to_string_lossy()], "corrupt");
}

#[test]
fn safe_scenarios_pass_with_exit_0() {
    for name in ["service-account.json", "same-user.json"] {
        let path = example(name).to_string_lossy().into_owned();
        let out = mapihang(&["check", &path, "--schedules", "500"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn variants_lists_original() {
    let out = mapihang(&["variants", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "original");
    assert!(list[0]["expected"]["multi-user"]["must"][0] == "poller-signals");
}
