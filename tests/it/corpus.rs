//! The committed regression corpus (`tests/corpus/*.json`): every file's recorded verdicts, per
//! variant, must still hold. Add files with `mapihang corpus add REPORT.json`. Also the
//! `corpus check` and `corpus add` commands' JSON output (`--format json`).

use std::path::PathBuf;
use std::process::{Command, Output};

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::monitor::Invariant;
use mapihang_core::variant::builtin;

use crate::{corpus_dir, corpus_sample, example, fresh_dir, load, CORPUS_SAMPLE};

#[test]
fn every_corpus_file_keeps_its_verdicts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "the corpus is seeded: {} files",
        files.len()
    );
    let variants = builtin();
    let mut failures = Vec::new();
    for path in &files {
        let entry = CorpusEntry::from_json(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            entry.expect.len() >= variants.len(),
            "{}: a verdict for every variant",
            path.display()
        );
        for m in entry.verify(&variants).mismatches {
            failures.push(format!(
                "{}: {} expected {:?}, observed {:?}",
                path.display(),
                m.variant,
                m.expected,
                m.observed
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "corpus verdicts moved:\n{}",
        failures.join("\n")
    );
    assert!(
        files.iter().any(|path| {
            CorpusEntry::from_json(&std::fs::read_to_string(path).unwrap())
                .unwrap()
                .note
                .as_deref()
                == Some("design case: seed-repro")
        }),
        "the seed's repro is in the corpus"
    );
}

// `mapihang corpus check|add --format json` through the real binary.

fn mapihang(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapihang"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The committed corpus files' names, sorted.
fn committed_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// The output of `corpus check`, JSON and text, on a copy of two committed entries (the whole
/// committed corpus is re-checked by `every_corpus_file_keeps_its_verdicts`, in process).
#[test]
fn corpus_check_json_on_committed_entries() {
    let sample = corpus_sample("corpus-check-json");
    let dir = sample.to_string_lossy().into_owned();
    let out = mapihang(&["corpus", "check", "--dir", &dir, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = stdout_json(&out);
    let files: Vec<String> = CORPUS_SAMPLE.iter().map(|f| f.to_string()).collect();
    assert_eq!(check["schema"], "mapihang.corpus-check/1");
    assert_eq!(check["dir"], dir.as_str());
    assert_eq!(check["verdict"], "pass");
    assert_eq!(check["files"], files.len());
    assert_eq!(check["mismatches"], 0);
    let entries = check["entries"].as_array().unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(names, files, "one entry per file, in file-name order");
    for (entry, name) in entries.iter().zip(&files) {
        let committed =
            CorpusEntry::from_json(&std::fs::read_to_string(corpus_dir().join(name)).unwrap())
                .unwrap();
        assert_eq!(entry["path"], sample.join(name).to_string_lossy().as_ref());
        assert_eq!(entry["verdict"], "pass", "{name}");
        assert_eq!(entry["mismatches"], serde_json::json!([]), "{name}");
        assert_eq!(entry["variants"], committed.expect.len(), "{name}");
        assert_eq!(entry["schedules"], committed.schedules, "{name}");
        assert_eq!(entry["seed"], committed.seed, "{name}");
        assert_eq!(entry["note"].as_str(), committed.note.as_deref(), "{name}");
    }

    // Small entries are checked by the complete search, and say so.
    let complete: usize = entries
        .iter()
        .map(|e| e["complete"].as_array().unwrap().len())
        .sum();
    assert!(complete > 0, "some verdict is small enough for DPOR");
    let verdicts: usize = entries
        .iter()
        .map(|e| e["variants"].as_u64().unwrap() as usize)
        .sum();
    assert!(complete < verdicts, "and some is not");

    // The text form: one summary line, same counts, same exit code.
    let out = mapihang(&["corpus", "check", "--dir", &dir]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{} corpus file(s), 0 mismatch(es); {complete} of {verdicts} verdicts by the \
             complete search, the rest by random schedules\n",
            files.len()
        )
    );
    let _ = std::fs::remove_dir_all(&sample);
}

#[test]
fn corpus_check_json_reports_a_moved_verdict_with_exit_1() {
    let dir = fresh_dir("corpus-moved");
    let name = &committed_files()[0];
    let mut entry =
        CorpusEntry::from_json(&std::fs::read_to_string(corpus_dir().join(name)).unwrap()).unwrap();
    // `fixed` is recorded as also violating model-panic, which no variant here ever does.
    let recorded = entry.expect["fixed"].clone();
    let mut expected = recorded.clone();
    expected.push(Invariant::ModelPanic);
    expected.sort();
    entry.expect.insert("fixed".into(), expected.clone());
    std::fs::write(dir.join(name), entry.to_json()).unwrap();

    let dir_arg = dir.to_string_lossy().into_owned();
    let out = mapihang(&["corpus", "check", "--dir", &dir_arg, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "a moved verdict fails");
    let check = stdout_json(&out);
    assert_eq!(check["schema"], "mapihang.corpus-check/1");
    assert_eq!(check["verdict"], "mismatch");
    assert_eq!(check["files"], 1);
    assert_eq!(check["mismatches"], 1);
    let checked = &check["entries"][0];
    assert_eq!(checked["file"], name.as_str());
    assert_eq!(checked["verdict"], "mismatch");
    assert_eq!(
        checked["mismatches"],
        serde_json::json!([{
            "variant": "fixed",
            "expected": expected,
            "observed": recorded,
        }])
    );

    let out = mapihang(&["corpus", "check", "--dir", &dir_arg]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("1 corpus file(s), 1 mismatch(es); "),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corpus_add_json_writes_the_entry_it_reports() {
    let dir = fresh_dir("corpus-add");
    let dir_arg = dir.to_string_lossy().into_owned();
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let args = [
        "corpus",
        "add",
        &seed,
        "--dir",
        &dir_arg,
        "--note",
        "the seed's repro",
        "--format",
        "json",
    ];
    let out = mapihang(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added = stdout_json(&out);
    assert_eq!(added["schema"], "mapihang.corpus-add/1");
    assert_eq!(added["replaced"], false);
    let file = added["file"].as_str().unwrap();
    assert!(
        file.len() == "0123456789abcdef.json".len() && file.ends_with(".json"),
        "{file}"
    );
    let path = dir.join(file);
    assert_eq!(added["path"], path.to_string_lossy().as_ref());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "one file written"
    );

    // The reported entry is the file's content, and the seed's repro is the committed design case.
    let written = CorpusEntry::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(added["entry"], serde_json::to_value(&written).unwrap());
    assert_eq!(written.note.as_deref(), Some("the seed's repro"));
    assert_eq!(written.scenario, load("seed-repro.json"));
    assert_eq!(
        added["entry"]["expect"].as_object().unwrap().len(),
        builtin().len()
    );
    assert_eq!(
        added["entry"]["expect"]["original"],
        serde_json::json!(["poller-signals", "poller-owns-list"])
    );
    assert_eq!(added["entry"]["expect"]["fixed"], serde_json::json!([]));
    let committed =
        CorpusEntry::from_json(&std::fs::read_to_string(corpus_dir().join(file)).unwrap())
            .expect("the seed's repro is committed under the same name");
    assert_eq!(written.expect, committed.expect);

    // The same scenario again: the same file, replaced.
    let again = stdout_json(&mapihang(&args));
    assert_eq!(again["file"], file);
    assert_eq!(again["replaced"], true);
    let _ = std::fs::remove_dir_all(&dir);
}
