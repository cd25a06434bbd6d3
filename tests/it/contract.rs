//! The command-line contract under hostile input and faults (issue 12), through the real binary:
//! exit codes 0/1/2/3, one line on stderr for bad input, no panic, no half-written file, and
//! nothing that was not run to its end reads as a pass. One test (or a few) per numbered item.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{check_bad, mapihang};
use crate::{example, fresh_dir};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mapihang"))
}

fn seed() -> String {
    example("seed-repro.json").to_string_lossy().into_owned()
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

/// Run with a deadline: a command that should answer at once must not run for minutes.
fn within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Files in `dir` (to see that nothing was left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// 1. A closed or full stdout.

#[test]
fn a_closed_pipe_ends_quietly_in_every_printing_command() {
    let commands: Vec<Vec<String>> = vec![
        vec!["variants".into(), "--format".into(), "json".into()],
        vec!["variants".into()],
        vec!["check".into(), seed(), "--schedules".into(), "100".into()],
        vec!["scenario".into(), "--family".into(), "mixed".into()],
    ];
    for args in commands {
        let mut child = bin()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the command prints (as `| head -c 0` would).
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "{args:?}: {status:?} {err}"
        );
        assert!(err.is_empty(), "{args:?}: quiet, got {err:?}");
    }
}

#[test]
fn a_full_stdout_is_one_line_and_exit_2() {
    for args in [vec!["variants", "--format", "json"], vec!["check", &seed()]] {
        let out = bin()
            .args(&args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("cannot write to stdout"), "{err}");
    }
}

// 2. Endless or huge input.

#[test]
fn endless_and_huge_files_are_refused_at_the_cap() {
    let dir = fresh_dir("contract-huge");
    let big = dir.join("big.json");
    // 17 MiB of whitespace and an object: valid JSON, over the cap.
    let mut text = " ".repeat(17 << 20);
    text.push_str(r#"{"threads":[{"ops":["logon"]}]}"#);
    std::fs::write(&big, text).unwrap();
    let corpus = fresh_dir("contract-huge-corpus");
    std::fs::copy(&big, corpus.join("big.json")).unwrap();
    for file in ["/dev/zero".to_string(), path(&big)] {
        for args in [
            vec!["check", &file],
            vec!["replay", &file],
            vec!["explain", &file],
            vec!["stress", &file],
            vec!["corpus", "add", &file, "--dir", "/tmp"],
            vec!["import-fuzz", &file, "--target", "hunt_original"],
        ] {
            // A memory limit, so that a regression cannot take the machine down with it.
            let mut cmd = Command::new("sh");
            cmd.arg("-c")
                .arg("ulimit -v 4000000; exec \"$@\"")
                .arg("sh")
                .arg(env!("CARGO_BIN_EXE_mapihang"))
                .args(&args);
            let out = within(cmd, Duration::from_secs(60));
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains("larger than 16 MiB"), "{args:?}: {err}");
        }
    }
    check_bad(
        &["corpus", "check", "--dir", &path(&corpus)],
        "larger than 16 MiB",
    );
}

// 3. The step bound.

#[test]
fn steps_max_zero_is_bad_usage() {
    let mut cmd = bin();
    cmd.args(["check", &seed(), "--steps-max", "0"]);
    let out = within(cmd, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--steps-max must be from 1"));
    check_bad(&["hunt", "--steps-max", "0"], "--steps-max must be from 1");
    check_bad(
        &["matrix", "--steps-max", "0"],
        "--steps-max must be from 1",
    );
}

#[test]
fn a_matrix_with_cut_off_executions_is_not_a_pass() {
    let args = [
        "matrix",
        "--variant",
        "fixed",
        "--cases",
        "3",
        "--schedules",
        "20",
        "--steps-max",
        "30",
    ];
    let out = mapihang(&args);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("not judged: "), "{}", stdout(&out));
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let matrix = json(&mapihang(&json_args));
    let cut: u64 = matrix["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cut_off"].as_u64().unwrap())
        .sum();
    assert!(cut > 0, "{matrix}");
    // With the default bound the same cells are judged, and agree.
    let out = mapihang(&args[..7]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_cut_off_execution_is_never_a_pass() {
    // Original on the seed's repro with a bound of one step: nothing ran, nothing is judged.
    let out = mapihang(&["check", &seed(), "--steps-max", "1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let report = json(&out);
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(report["cut_off"], 1000);
    assert_eq!(report["inconclusive"]["reason"], "step-bound");
    assert_eq!(report["inconclusive"]["executions"], 1000);
    // The combined fix cut off after 20 steps: no hang and no leak can be claimed.
    let out = mapihang(&["check", &seed(), "--variant", "fixed", "--steps-max", "20"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.starts_with("INCONCLUSIVE"), "{text}");
    assert!(!text.contains("PASS"), "{text}");
    assert!(text.contains("variant fixed"), "{text}");
    assert!(
        text.contains("not judged: 1000 of 1000 execution(s) were cut off"),
        "{text}"
    );
    // The hint reruns it with every option, the bound raised.
    assert!(
        text.contains("check ")
            && text.contains(
                "--variant fixed --scheduler random --seed 0 --schedules 1000 --steps-max 200"
            ),
        "{text}"
    );
}

/// Two threads: T1 releases a store whose poller quits once T2's user has a list; T2 then goes
/// on logging off with no logon left, so a bound that cuts T2 off finds T1's hang certain.
fn certain_scenario(dir: &Path) -> String {
    let file = dir.join("certain.json");
    std::fs::write(
        &file,
        r#"{"threads":[
            {"ops":[{"impersonate":"S-1-5-21-7-8-9-1001"},"logon","open_store","release_store"]},
            {"ops":[{"impersonate":"S-1-5-21-7-8-9-1002"},"logon","logon","logon","logon","logoff","logoff","logoff","logoff"]}]}"#,
    )
    .unwrap();
    path(&file)
}

#[test]
fn a_certain_hang_stays_a_violation_when_cut_off() {
    let dir = fresh_dir("contract-certain");
    let scenario = certain_scenario(&dir);
    let report = dir.join("r.json");
    let out = mapihang(&[
        "check",
        &scenario,
        // The poller's stop window (two scheduling points per poll) made 20 steps too few for
        // any execution to reach a certain hang; 24 leaves most executions cut off still.
        "--steps-max",
        "24",
        "--format",
        "json",
        "--out",
        &path(&report),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json = json(&out);
    assert!(json["cut_off"].as_u64().unwrap() > 0, "{json}");
    assert!(json["failing_executions"].as_u64().unwrap() > 0);
    let message = json["violations"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("cut off by the step bound, but certain"),
        "{message}"
    );
    // The replay runs under the report's own bound and confirms it.
    let out = mapihang(&["replay", &path(&report)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("reproduced: the same violation (poller-signals)"));
    // A variant that restarts dead pollers could still end that wait: not certain, so no
    // cut-off execution counts as a hang (it may still show a safety violation).
    let out = mapihang(&[
        "check",
        &scenario,
        "--steps-max",
        "24",
        "--variant",
        "wrong-respawn",
        "--format",
        "json",
    ]);
    let respawn: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(respawn["cut_off"].as_u64().unwrap() > 0, "{respawn}");
    assert!(
        respawn["per_invariant"].get("poller-signals").is_none(),
        "{respawn}"
    );
}

#[test]
fn repro_lines_carry_every_non_default_option() {
    let dir = fresh_dir("contract-repro");
    let scenario = certain_scenario(&dir);
    let out = mapihang(&[
        "check",
        &scenario,
        "--steps-max",
        "24",
        "--scheduler",
        "pct",
        "--pct-depth",
        "2",
        "--seed",
        "5",
        "--schedules",
        "300",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let repro = text
        .lines()
        .find(|l| l.starts_with("repro:"))
        .unwrap_or_else(|| panic!("{text}"));
    for option in [
        "--steps-max 24",
        "--scheduler pct",
        "--pct-depth 2",
        "--seed 5",
        "--schedules 300",
    ] {
        assert!(repro.contains(option), "{option} missing: {repro}");
    }
    let out = mapihang(&[
        "hunt",
        "--family",
        "multi-user",
        "--cases",
        "50",
        "--steps-max",
        "40000",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let repro = text.lines().find(|l| l.starts_with("repro:")).unwrap();
    assert!(repro.contains("--steps-max 40000"), "{repro}");
}

// 4. Replay under another variant.

#[test]
fn replay_under_another_variant_is_never_a_false_pass() {
    let dir = fresh_dir("contract-replay-variant");
    let report = path(&dir.join("r.json"));
    let out = mapihang(&[
        "check",
        &seed(),
        "--schedules",
        "200",
        "--seed",
        "3",
        "--out",
        &report,
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The combined fix leaves the recorded schedule: every continuation of the part it
    // followed is searched, and they all pass, for certain (but that is no proof for the whole
    // scenario: the report says so).
    let out = mapihang(&["replay", &report, "--variant", "fixed"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("every continuation of those steps passes (complete search"),
        "{text}"
    );
    let out = mapihang(&["replay", &report, "--variant", "fixed", "--format", "json"]);
    let passed = json(&out);
    assert_eq!(passed["verdict"], "pass");
    assert_eq!(passed["complete"], false);
    assert_eq!(passed["guarantee"]["kind"], "prefix");
    // With too small a budget for the continuations: inconclusive, with what to run.
    let out = mapihang(&["replay", &report, "--variant", "fixed", "--schedules", "3"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(!text.contains("PASS"), "{text}");
    let suggested = format!("check {report} --variant fixed");
    assert!(text.contains(&suggested), "{text}");
    let out = mapihang(&[
        "replay",
        &report,
        "--variant",
        "fixed",
        "--schedules",
        "3",
        "--format",
        "json",
    ]);
    let json = json(&out);
    assert_eq!(json["verdict"], "inconclusive");
    assert_eq!(json["inconclusive"]["reason"], "left-schedule");
    // A wrong fix that leaves the schedule and hangs further on: a continuation shows it.
    let out = mapihang(&["replay", &report, "--variant", "wrong-respawn"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("a continuation of those steps violates poller-signals"),
        "{}",
        stdout(&out)
    );
    // The suggested command runs (check reads the report's scenario) and judges the fix.
    let out = mapihang(&["check", &report, "--variant", "fixed"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A wrong fix that still loses the work: what it did before it left is certain.
    let out = mapihang(&["replay", &report, "--variant", "wrong-wait-timeout"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("work-done"), "{}", stdout(&out));
}

// 5. Reports that do not fit.

#[test]
fn reports_that_do_not_fit_are_refused_by_replay_and_explain() {
    let dir = fresh_dir("contract-fit");
    let report = dir.join("r.json");
    let out = mapihang(&["check", &seed(), "--out", &path(&report)]);
    assert_eq!(out.status.code(), Some(1));
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let variants: Vec<(&str, serde_json::Value, &str)> = vec![
        (
            "longer",
            {
                let mut r = original.clone();
                r["schedule"] = format!("{}.1.1.1.1", r["schedule"].as_str().unwrap()).into();
                r
            },
            "corrupt",
        ),
        (
            "other-scenario",
            {
                let mut r = original.clone();
                r["scenario"] =
                    serde_json::from_str(&std::fs::read_to_string(example("mixed.json")).unwrap())
                        .unwrap();
                r
            },
            "corrupt",
        ),
        (
            "schema-2",
            {
                let mut r = original.clone();
                r["schema"] = "mapihang.report/2".into();
                r
            },
            "schema \"mapihang.report/2\"",
        ),
        (
            "schema-matrix",
            {
                let mut r = original.clone();
                r["schema"] = "mapihang.matrix/1".into();
                r
            },
            "schema \"mapihang.matrix/1\"",
        ),
        (
            "no-schema",
            {
                let mut r = original.clone();
                r.as_object_mut().unwrap().remove("schema");
                r
            },
            "no \"schema\" field",
        ),
    ];
    for (name, value, expect) in variants {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, value.to_string()).unwrap();
        check_bad(&["replay", &path(&file)], expect);
        check_bad(&["explain", &path(&file)], expect);
    }
    // The report itself is fine for both.
    assert_eq!(
        mapihang(&["explain", &path(&report)]).status.code(),
        Some(0)
    );
}

// 6. Half-written files.

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = fresh_dir("contract-atomic");
    // x.svg cannot be written (a folder is in the way): refused before the run, nothing written
    // (the full-disk test below fails the picture mid-write).
    std::fs::create_dir(dir.join("x.svg")).unwrap();
    let x = path(&dir.join("x.json"));
    let out = mapihang(&["check", &seed(), "--out", &x, "--explain", "svg"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("x.svg: it is a directory"), "{err}");
    assert_eq!(
        listing(&dir),
        vec!["x.svg".to_string()],
        "nothing else left"
    );
    assert!(stdout(&out).is_empty());
    // A device that is full: exit 2, one line.
    check_bad(&["check", &seed(), "--out", "/dev/full"], "No space left");
    // A corpus file that cannot be placed: the corpus is left as it was.
    let corpus = fresh_dir("contract-atomic-corpus");
    let out = mapihang(&[
        "corpus",
        "add",
        &seed(),
        "--dir",
        &path(&corpus),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = json(&out)["file"].as_str().unwrap().to_string();
    let blocked = fresh_dir("contract-atomic-blocked");
    std::fs::create_dir(blocked.join(&file)).unwrap();
    let out = mapihang(&["corpus", "add", &seed(), "--dir", &path(&blocked)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(listing(&blocked), vec![file]);
}

#[test]
fn a_full_disk_leaves_no_truncated_file() {
    // A real full file system, where the machine allows mounting one (root on Linux).
    let sizes = fresh_dir("contract-full-disk-sizes");
    let out = mapihang(&[
        "check",
        &seed(),
        "--out",
        &path(&sizes.join("r.json")),
        "--explain",
        "svg",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let pages = |name: &str| {
        std::fs::metadata(sizes.join(name))
            .unwrap()
            .len()
            .div_ceil(4096)
    };
    let (json_pages, svg_pages) = (pages("r.json"), pages("r.svg"));
    let dir = fresh_dir("contract-full-disk");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs here");
        return;
    }
    // Room for the report but not for its picture: neither lands.
    assert!(svg_pages > 0 && json_pages + svg_pages < 64);
    let filler = dir.join("filler");
    std::fs::write(&filler, vec![b'x'; ((64 - json_pages) * 4096) as usize]).unwrap();
    let pair = mapihang(&[
        "check",
        &seed(),
        "--out",
        &path(&dir.join("r.json")),
        "--explain",
        "svg",
    ]);
    let after_pair = listing(&dir);
    // Then every byte taken.
    let _ = std::fs::write(dir.join("more"), vec![b'x'; 64 << 10]);
    let _ = std::fs::remove_file(dir.join("more"));
    let _ = std::fs::write(&filler, vec![b'x'; 256 << 10]);
    let out = mapihang(&["check", &seed(), "--out", &path(&dir.join("r.json"))]);
    let corpus = mapihang(&["corpus", "add", &seed(), "--dir", &path(&dir)]);
    let left = listing(&dir);
    let _ = Command::new("umount").arg(&dir).status();
    let err = stderr(&pair);
    assert_eq!(pair.status.code(), Some(2), "{err}");
    assert!(
        err.contains("No space left") && err.contains("the verdict was violation"),
        "{err}"
    );
    assert_eq!(
        after_pair,
        vec!["filler".to_string()],
        "left behind by the pair"
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
    assert_eq!(corpus.status.code(), Some(2), "{}", stderr(&corpus));
    assert_eq!(left, vec!["filler".to_string()], "left behind");
}

#[test]
fn a_command_never_overwrites_its_input() {
    let dir = fresh_dir("contract-own-input");
    let scenario = dir.join("s.json");
    std::fs::copy(example("seed-repro.json"), &scenario).unwrap();
    let before = std::fs::read(&scenario).unwrap();
    check_bad(
        &["check", &path(&scenario), "--out", &path(&scenario)],
        "it is this command's input",
    );
    assert_eq!(std::fs::read(&scenario).unwrap(), before);
    let report = dir.join("r.json");
    mapihang(&["check", &seed(), "--out", &path(&report)]);
    check_bad(
        &["replay", &path(&report), "--out", &path(&report)],
        "it is this command's input",
    );
    check_bad(
        &["explain", &path(&report), "--out", &path(&report)],
        "it is this command's input",
    );
}

#[test]
fn exhaustive_out_is_checked_and_a_pass_says_so() {
    let dir = fresh_dir("contract-exhaustive-out");
    check_bad(
        &[
            "exhaustive",
            "--variant",
            "fixed",
            "--threads",
            "1",
            "--ops",
            "1",
            "--out",
            &path(&dir),
        ],
        "it is a directory",
    );
    let file = dir.join("ex.json");
    std::fs::write(&file, "stale").unwrap();
    let out = mapihang(&[
        "exhaustive",
        "--variant",
        "fixed",
        "--threads",
        "1",
        "--ops",
        "2",
        "--out",
        &path(&file),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("no counterexample, so no report was written"));
    assert!(
        !file.exists(),
        "no stale report is left to be taken for this run's"
    );
}

// 7. Real threads.

#[test]
fn a_watchdog_that_fires_while_a_thread_runs_is_no_hang() {
    // A 1 ms watchdog fires on slow threads as well as on hangs; the combined fix never hangs.
    for _ in 0..3 {
        let out = mapihang(&[
            "stress",
            &seed(),
            "--variant",
            "fixed",
            "--timeout-ms",
            "1",
            "--runs",
            "300",
            "--schedules",
            "0",
            "--format",
            "json",
        ]);
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 3)), "{code:?}: {}", stdout(&out));
        let json = json(&out);
        assert_eq!(json["real_threads"]["failing"], 0, "{json}");
        if code == Some(3) {
            assert_eq!(json["verdict"], "inconclusive");
            assert_eq!(json["inconclusive"]["reason"], "watchdog");
            assert!(json["watchdog_inconclusive"].as_u64() > Some(0));
            let hint = json["inconclusive"]["hint"].as_str().unwrap();
            assert!(hint.contains("--timeout-ms"), "{hint}");
            return;
        }
    }
}

// 8. The corpus.

fn entry(dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let source = crate::corpus_dir().join("0ca2283a2962858a.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    edit(&mut value);
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    file
}

#[test]
fn the_corpus_is_strict() {
    let dir = fresh_dir("contract-corpus-missing");
    let file = entry(&dir, "e.json", |v| {
        v["expect"].as_object_mut().unwrap().remove("fixed");
    });
    let out = mapihang(&["corpus", "check", "--dir", &path(&dir)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("no recorded verdict for fixed"), "{text}");
    assert!(
        text.contains(&format!("corpus add {}", path(&file))),
        "{text}"
    );

    for (name, edit, expect) in [
        (
            "unknown",
            Box::new(|v: &mut serde_json::Value| {
                v["expect"]["nonesuch"] = serde_json::json!([]);
            }) as Box<dyn Fn(&mut serde_json::Value)>,
            "unknown variant(s) nonesuch",
        ),
        (
            "zero",
            Box::new(|v: &mut serde_json::Value| v["schedules"] = 0.into()),
            "schedules is 0",
        ),
        (
            "broken",
            Box::new(|v: &mut serde_json::Value| v["scenario"]["threads"] = 5.into()),
            "corpus entry",
        ),
    ] {
        let dir = fresh_dir(&format!("contract-corpus-{name}"));
        let file = entry(&dir, &format!("{name}.json"), edit);
        check_bad(&["corpus", "check", "--dir", &path(&dir)], expect);
        check_bad(&["corpus", "check", "--dir", &path(&dir)], &path(&file));
    }
    let empty = fresh_dir("contract-corpus-empty");
    check_bad(&["corpus", "check", "--dir", &path(&empty)], "empty corpus");
    check_bad(
        &["corpus", "check", "--dir", "/nonexistent/corpus"],
        "does not exist",
    );
    check_bad(
        &["corpus", "add", &seed(), "--dir", "/nonexistent/x"],
        "does not exist",
    );
    assert!(!Path::new("/nonexistent/x").exists());
    // A truncated report is diagnosed as what it is.
    let report = fresh_dir("contract-corpus-truncated").join("r.json");
    mapihang(&["check", &seed(), "--out", &path(&report)]);
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, &text[..text.len() / 2]).unwrap();
    check_bad(
        &["corpus", "add", &path(&report), "--dir", "/tmp"],
        "not JSON (is the file complete?)",
    );
}

#[test]
fn a_missing_verdict_is_re_recorded_by_the_suggested_command() {
    let dir = fresh_dir("contract-corpus-rerecord");
    let file = entry(&dir, "e.json", |v| {
        v["expect"].as_object_mut().unwrap().remove("fixed");
    });
    let out = mapihang(&[
        "corpus",
        "add",
        &path(&file),
        "--dir",
        &path(&dir),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let added = json(&out);
    assert!(added["entry"]["expect"]["fixed"].is_array(), "{added}");
    assert_eq!(
        added["entry"]["note"], "design case: crc-collision",
        "the note is kept"
    );
    std::fs::remove_file(&file).unwrap();
    let out = mapihang(&["corpus", "check", "--dir", &path(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

// 9. Input that is valid to a person.

#[test]
fn input_is_read_as_a_person_wrote_it() {
    let dir = fresh_dir("contract-input");
    let write = |name: &str, text: &str| {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        path(&file)
    };
    let bom = format!(
        "\u{feff}{}",
        std::fs::read_to_string(example("seed-repro.json")).unwrap()
    );
    let out = mapihang(&["check", &write("bom.json", &bom), "--schedules", "50"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    check_bad(
        &[
            "check",
            &write(
                "extra.json",
                r#"{"threads":[{"ops":["logon"]},{"ops":["logon","logon",{"impersonate":"S-1-5-21-1","extra":1}]}]}"#,
            ),
        ],
        "thread T2, op 3: an op object has exactly one key",
    );
    check_bad(
        &[
            "check",
            &write("arg.json", r#"{"threads":[{"ops":[{"revert":"x"}]}]}"#),
        ],
        "thread T1, op 1: \"revert\" takes no argument",
    );
    check_bad(
        &[
            "check",
            &write("dance.json", r#"{"threads":[{"ops":["logon","dance"]}]}"#),
        ],
        "thread T1, op 2: unknown op \"dance\"",
    );
    let long = format!(
        r#"{{"threads":[{{"ops":[{{"impersonate":"S-1-5-{}"}}]}}]}}"#,
        "1".repeat(10_000)
    );
    let out = mapihang(&["check", &write("long.json", &long)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).len() < 400, "cut: {}", stderr(&out));
    assert!(
        stderr(&out).contains("(10006 characters)"),
        "{}",
        stderr(&out)
    );
    check_bad(
        &[
            "check",
            &write(
                "name.json",
                r#"{"threads":[{"name":"T1\nPASS: variant fixed","ops":["logon"]}]}"#,
            ),
        ],
        "contains control characters",
    );
}

// 10. Usage.

#[test]
fn usage_prints_help_accepts_format_and_caps_budgets() {
    let out = mapihang(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("Usage:") && err.contains("Commands:"), "{err}");
    assert!(err.contains("check"), "{err}");
    let out = mapihang(&["scenario", "--family", "mixed", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out);
    let max = u64::MAX.to_string();
    for (args, expect) in [
        (
            vec!["check", &seed(), "--schedules", &max],
            "--schedules must be from 1 to 100000000",
        ),
        (
            vec!["stress", &seed(), "--runs", &max],
            "--runs must be from 1 to 1000000",
        ),
        (
            vec!["stress", &seed(), "--timeout-ms", &max],
            "--timeout-ms must be from 1 to 60000",
        ),
        (
            vec!["hunt", "--schedules", &max],
            "--schedules must be from 1 to 1000000",
        ),
        (
            vec!["hunt", "--cases", &max],
            "--cases must be from 1 to 1000000",
        ),
    ] {
        let mut cmd = bin();
        cmd.args(&args);
        let out = within(cmd, Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(expect), "{args:?}: {}", stderr(&out));
    }
}
