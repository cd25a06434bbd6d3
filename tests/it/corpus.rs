//! The committed regression corpus (`tests/corpus/*.json`): every file's recorded verdicts, per
//! variant, must still hold. Add files with `mapihang corpus add REPORT.json`.

use std::path::PathBuf;

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::variant::builtin;

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
        for m in entry.verify(&variants) {
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
}
