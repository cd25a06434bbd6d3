//! The JSON the binary writes has exactly the fields `docs/report-schema.md` documents.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::monitor::Invariant;

use crate::cli::mapihang;
use crate::{corpus_dir, corpus_sample, example, fresh_dir};

/// The field names of the table under `## {section}` in docs/report-schema.md.
fn documented(section: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/report-schema.md"),
    )
    .unwrap();
    let start = doc
        .find(&format!("## {section}"))
        .unwrap_or_else(|| panic!("section {section}"));
    let body = &doc[start..];
    let body = &body[3..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end]
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_string()))
        .collect()
}

fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = mapihang(args);
    assert!(
        out.status.code().unwrap() <= 1,
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Every key of `value` is documented, and every documented key that is not optional is there.
pub(crate) fn check(value: &serde_json::Value, section: &str, optional: &[&str]) {
    let documented = documented(section);
    let present = keys(value);
    let undocumented: Vec<_> = present.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "{section}: undocumented fields {undocumented:?}"
    );
    // A Report's `guarantee` is present on passes only, `states` under `stateful` only,
    // `symmetry` under `stateful` on a scenario with two threads that run the same ops.
    let always_optional = if section == "Report (" {
        &["guarantee", "states", "symmetry"][..]
    } else {
        &[]
    };
    let missing: Vec<_> = documented
        .iter()
        .filter(|f| {
            !present.contains(*f)
                && !optional.contains(&f.as_str())
                && !always_optional.contains(&f.as_str())
        })
        .collect();
    assert!(missing.is_empty(), "{section}: missing fields {missing:?}");
}

#[test]
fn advice_json_matches_the_documented_schema() {
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let advice = json(&[
        "advise",
        &seed,
        "--dpor-budget",
        "500",
        "--schedules",
        "50",
        "--format",
        "json",
    ]);
    check(&advice, "mapihang.advice/1", &[]);
    for w in advice["workarounds"].as_array().unwrap() {
        check(w, "Workaround", &["not_applicable"]);
    }
    // A chain, and its links, in a report of an application-level wait.
    let pool = example("thread-pool.json").to_string_lossy().into_owned();
    let report = json(&["check", &pool, "--schedules", "20", "--format", "json"]);
    let chained = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v.get("chain").is_some())
        .expect("a violation with a chain");
    for link in chained["chain"].as_array().unwrap() {
        check(link, "ChainLink", &[]);
    }
}

#[test]
fn reports_match_the_documented_schema() {
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let report = json(&["check", &seed, "--schedules", "50", "--format", "json"]);
    assert_eq!(report["schema"], "mapihang.report/1");
    check(&report, "Report (", &["hunt", "inconclusive", "guarantee"]);
    check(
        &report["violations"][0],
        "Violation",
        &["thread", "poller", "step", "chain"],
    );
    for line in report["trace"].as_array().unwrap() {
        check(
            line,
            "TraceLine",
            &[
                "poller",
                "list",
                "store",
                "key",
                "timed",
                "timed_out",
                "lists_seen",
                "lock",
                "holder",
                "thread",
                "app_event",
                "implicit",
            ],
        );
    }
    check(&report["stacks"][0], "StackLine", &[]);
    check(&report["violations"][0]["advice"], "Advice", &[]);

    let pass = json(&[
        "check",
        &example("same-user.json").to_string_lossy(),
        "--schedules",
        "20",
        "--format",
        "json",
    ]);
    check(
        &pass,
        "Report (",
        &["hunt", "schedule", "repro", "inconclusive"],
    );
    check(&pass["guarantee"], "Guarantee", &["miss_probability_max"]);

    let hunt = json(&["hunt", "--family", "multi-user", "--format", "json"]);
    check(&hunt, "Report (", &["inconclusive", "guarantee"]);
    check(&hunt["hunt"], "HuntSummary", &[]);
    for distinct in hunt["hunt"]["distinct"].as_array().unwrap() {
        check(distinct, "HuntDistinct", &[]);
    }

    let nothing = json(&[
        "hunt",
        "--family",
        "service-account",
        "--cases",
        "3",
        "--format",
        "json",
    ]);
    check(&nothing, "Hunt pass", &["inconclusive"]);
    check(&nothing["hunt"], "HuntSummary", &["distinct"]);

    let variants = json(&["variants", "--format", "json"]);
    for variant in variants.as_array().unwrap() {
        check(variant, "Variant list", &[]);
        for expectation in variant["expected"].as_object().unwrap().values() {
            check(expectation, "Expectation", &[]);
        }
    }
}

#[test]
fn corpus_outputs_match_the_documented_schema() {
    // A committed corpus file is a CorpusEntry.
    let files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    for path in &files {
        let entry: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        check(&entry, "CorpusEntry", &["note"]);
    }

    // `corpus check` on a copy of two committed entries (every committed entry's verdicts are
    // re-checked by corpus::every_corpus_file_keeps_its_verdicts).
    let sample = corpus_sample("schema-corpus-sample");
    let check_all = json(&[
        "corpus",
        "check",
        "--dir",
        &sample.to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(check_all["schema"], "mapihang.corpus-check/1");
    check(&check_all, "Corpus check", &[]);
    for entry in check_all["entries"].as_array().unwrap() {
        check(entry, "CheckedEntry", &["note"]);
    }

    // A folder with one moved verdict, for the Mismatch shape.
    let dir = fresh_dir("schema-corpus");
    let mut moved = CorpusEntry::from_json(
        &std::fs::read_to_string(sample.join(crate::CORPUS_SAMPLE[0])).unwrap(),
    )
    .unwrap();
    moved
        .expect
        .insert("fixed".into(), vec![Invariant::PollerSignals]);
    std::fs::write(dir.join("moved.json"), moved.to_json()).unwrap();
    let mismatch = json(&[
        "corpus",
        "check",
        "--dir",
        &dir.to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(mismatch["verdict"], "mismatch");
    check(&mismatch, "Corpus check", &[]);
    check(&mismatch["entries"][0], "CheckedEntry", &["note"]);
    check(&mismatch["entries"][0]["mismatches"][0], "Mismatch", &[]);

    std::fs::create_dir_all(dir.join("added")).unwrap();
    // Any scenario shows the shape: the serialised application is among the quickest to record.
    let add = json(&[
        "corpus",
        "add",
        &example("serialized.json").to_string_lossy(),
        "--dir",
        &dir.join("added").to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(add["schema"], "mapihang.corpus-add/1");
    check(&add, "Corpus add", &[]);
    check(&add["entry"], "CorpusEntry", &[]);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&sample);
}

#[test]
fn matrix_json_matches_the_documented_schema() {
    // Two variants in one family, two scenarios each: `original` hangs there, so a Seen shows.
    let matrix = json(&[
        "matrix",
        "--cases",
        "2",
        "--schedules",
        "5",
        "--variant",
        "original,fixed",
        "--family",
        "multi-user",
        "--format",
        "json",
    ]);
    assert_eq!(matrix["schema"], "mapihang.matrix/1");
    check(&matrix, "Matrix (", &[]);
    check(&matrix["config"], "MatrixConfig", &[]);
    let cells = matrix["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    for cell in cells {
        check(cell, "MatrixCell", &[]);
        check(&cell["expected"], "Expectation", &[]);
        for seen in cell["seen"].as_object().unwrap().values() {
            check(seen, "Seen", &[]);
        }
    }
    assert!(
        !cells[0]["seen"].as_object().unwrap().is_empty(),
        "original violates in multi-user: {matrix}"
    );
}

#[test]
fn exhaustive_json_matches_the_documented_schema() {
    // One thread of one op: nothing to violate, every nullable field null.
    let pass = json(&[
        "exhaustive",
        "--threads",
        "1",
        "--ops",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(pass["schema"], "mapihang.exhaustive/1");
    assert_eq!(pass["verdict"], "pass");
    check(&pass, "Exhaustive (", &[]);
    check(&pass["bound"], "Bound", &[]);
    check(&pass["reduction"], "Reduction", &[]);
    assert!(pass["counterexample"].is_null());
    assert!(pass["scenarios_in_bound"].is_string());

    // Two threads of two ops: original violates, the counterexample is a report.
    let found = json(&[
        "exhaustive",
        "--threads",
        "2",
        "--ops",
        "2",
        "--preemptions",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(found["verdict"], "violation");
    check(&found, "Exhaustive (", &[]);
    check(
        &found["violations"][0],
        "Violation",
        &["thread", "poller", "step", "chain"],
    );
    let report = &found["counterexample"];
    assert_eq!(report["schema"], "mapihang.report/1");
    assert_eq!(report["scheduler"], "dfs");
    check(report, "Report (", &["hunt", "inconclusive"]);
    check(&report["stacks"][0], "StackLine", &[]);
}

/// `stress --format json` on the seed's repro with a short watchdog, and its Tally objects.
fn stress(variant: &str, runs: &str) -> serde_json::Value {
    let stress = json(&[
        "stress",
        &example("seed-repro.json").to_string_lossy(),
        "--variant",
        variant,
        "--runs",
        runs,
        "--timeout-ms",
        "20",
        "--schedules",
        "50",
        "--format",
        "json",
    ]);
    assert_eq!(stress["schema"], "mapihang.stress/1");
    check(&stress, "Stress (", &["inconclusive"]);
    check(&stress["real_threads"], "Tally", &[]);
    check(&stress["controlled"], "Tally", &[]);
    stress
}

/// A real-thread report: what the Report table says of `real-threads`.
fn check_real_thread_report(report: &serde_json::Value) {
    assert_eq!(report["schema"], "mapihang.report/1");
    assert_eq!(report["scheduler"], "real-threads");
    assert_eq!(report["seed"], 0);
    assert_eq!(report["steps_max"], 0);
    assert!(report.get("schedule").is_none(), "{report}");
    check(
        report,
        "Report (",
        &["hunt", "schedule", "repro", "inconclusive"],
    );
    check(
        &report["violations"][0],
        "Violation",
        &["thread", "poller", "step", "chain"],
    );
    check(&report["stacks"][0], "StackLine", &[]);
}

#[test]
fn stress_json_matches_the_documented_schema() {
    // Real threads: the seed's repro hangs in 30-50% of runs, so five runs may or may not fail.
    let few = stress("original", "5");
    if few["first_failure"].is_null() {
        assert_eq!(few["verdict"], "pass");
    } else {
        check_real_thread_report(&few["first_failure"]);
    }
    // Under the combined fix nothing fails: the nullable fields are there, null.
    let fixed = stress("fixed", "5");
    assert_eq!(fixed["verdict"], "pass");
    assert!(fixed["first_failure"].is_null());
    assert!(fixed["real_threads"]["first_hang"].is_null());
    assert!(fixed["real_threads"]["first_hang_ms"].is_null());
    // The nested report for certain: with 60 runs a failure is overwhelmingly likely, and a
    // loaded machine (which lowers the real-thread rate a lot) gets up to five tries.
    if few["first_failure"].is_null() {
        let many = (0..5)
            .map(|_| stress("original", "60"))
            .find(|many| many["verdict"] == "violation")
            .expect("a failure in 300 real runs of the seed's repro");
        check_real_thread_report(&many["first_failure"]);
    }
}

#[test]
fn import_fuzz_json_matches_the_documented_schema() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let parse = json(&[
        "import-fuzz",
        &fuzz
            .join("seeds/scenario_json/report.json")
            .to_string_lossy(),
        "--target",
        "scenario_json",
        "--format",
        "json",
    ]);
    assert_eq!(parse["schema"], "mapihang.fuzz-parse/1");
    check(&parse, "Fuzz parse", &[]);

    let crash = json(&[
        "import-fuzz",
        &fuzz
            .join("regressions/hunt_original/poller-signals-one-thread-two-users")
            .to_string_lossy(),
        "--target",
        "hunt_original",
        "--format",
        "json",
    ]);
    assert_eq!(crash["scheduler"], "bytes");
    check(&crash, "Report (", &["hunt", "inconclusive"]);
}

#[test]
fn inconclusive_reports_match_the_documented_schema() {
    // Cut off after one step: exit code 3, `cut_off` counted, an `inconclusive` object says why.
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let out = mapihang(&[
        "check",
        &seed,
        "--steps-max",
        "1",
        "--schedules",
        "20",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check(&report, "Report (", &["hunt", "schedule", "repro"]);
    check(&report["inconclusive"], "Inconclusive", &[]);
    assert_eq!(report["verdict"], "inconclusive");
    assert_eq!(report["cut_off"], 20);
    let out = mapihang(&[
        "hunt",
        "--steps-max",
        "1",
        "--cases",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let pass: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check(&pass, "Hunt pass", &[]);
    check(&pass["inconclusive"], "Inconclusive", &[]);
    assert!(pass["hunt"]["cut_off"].as_u64() > Some(0));
}
