//! The JSON the binary writes has exactly the fields `docs/report-schema.md` documents.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use mapihang_core::corpus::CorpusEntry;

use crate::{corpus_dir, example, fresh_dir};

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
    let out = Command::new(env!("CARGO_BIN_EXE_mapihang"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().unwrap() <= 1,
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Every key of `value` is documented, and every documented key that is not optional is there.
fn check(value: &serde_json::Value, section: &str, optional: &[&str]) {
    let documented = documented(section);
    let present = keys(value);
    let undocumented: Vec<_> = present.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "{section}: undocumented fields {undocumented:?}"
    );
    let missing: Vec<_> = documented
        .iter()
        .filter(|f| !present.contains(*f) && !optional.contains(&f.as_str()))
        .collect();
    assert!(missing.is_empty(), "{section}: missing fields {missing:?}");
}

#[test]
fn reports_match_the_documented_schema() {
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let report = json(&["check", &seed, "--schedules", "50", "--format", "json"]);
    assert_eq!(report["schema"], "mapihang.report/1");
    check(&report, "Report (", &["hunt"]);
    check(
        &report["violations"][0],
        "Violation",
        &["thread", "poller", "step"],
    );
    for line in report["trace"].as_array().unwrap() {
        check(line, "TraceLine", &["poller", "list", "store", "implicit"]);
    }
    check(&report["stacks"][0], "StackLine", &[]);

    let pass = json(&[
        "check",
        &example("same-user.json").to_string_lossy(),
        "--schedules",
        "20",
        "--format",
        "json",
    ]);
    check(&pass, "Report (", &["hunt", "schedule", "repro"]);

    let hunt = json(&["hunt", "--family", "multi-user", "--format", "json"]);
    check(&hunt, "Report (", &[]);
    check(&hunt["hunt"], "HuntSummary", &[]);

    let nothing = json(&[
        "hunt",
        "--family",
        "service-account",
        "--cases",
        "3",
        "--format",
        "json",
    ]);
    check(&nothing, "Hunt pass", &[]);
    check(&nothing["hunt"], "HuntSummary", &[]);

    let variants = json(&["variants", "--format", "json"]);
    for variant in variants.as_array().unwrap() {
        check(variant, "Variant list", &[]);
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

    let check_all = json(&[
        "corpus",
        "check",
        "--dir",
        &corpus_dir().to_string_lossy(),
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
    let mut moved = CorpusEntry::from_json(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    moved.expect.insert("nonesuch".into(), Vec::new());
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

    let add = json(&[
        "corpus",
        "add",
        &example("seed-repro.json").to_string_lossy(),
        "--dir",
        &dir.join("added").to_string_lossy(),
        "--format",
        "json",
    ]);
    assert_eq!(add["schema"], "mapihang.corpus-add/1");
    check(&add, "Corpus add", &[]);
    check(&add["entry"], "CorpusEntry", &[]);
    let _ = std::fs::remove_dir_all(&dir);
}
