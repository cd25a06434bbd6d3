//! mapihang's integration tests: one binary, one module per area (see STYLE.md).

mod application;
mod cli;
mod contract;
mod corpus;
mod custom_variant;
mod dpor;
mod engine;
mod explain_chromium;
mod fuzz_corpus;
mod props;
mod props_fixes;
mod readme;
mod scenario_schema;
mod schema;
mod stateful;
mod stress;

use std::path::PathBuf;

/// `MAPIHANG_FULL` is set: the slow suites run too (`MAPIHANG_FULL=1 cargo test --workspace`,
/// what CI runs; README, "Set up and run"). The quick default run skips them and says so.
pub fn full() -> bool {
    std::env::var_os("MAPIHANG_FULL").is_some()
}

/// Skip a slow suite in the quick run: `true` (and a line on stderr) when `MAPIHANG_FULL` is
/// not set, naming what covers the same ground in the quick run.
pub fn skip_unless_full(what: &str, instead: &str) -> bool {
    if full() {
        return false;
    }
    eprintln!("skipped without MAPIHANG_FULL=1: {what}; the quick run has {instead}");
    true
}

/// A file under `examples/scenarios/`.
pub fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scenarios")
        .join(name)
}

/// Load an example scenario.
pub fn load(name: &str) -> mapihang_core::scenario::Scenario {
    let text = std::fs::read_to_string(example(name)).expect("example exists");
    mapihang_core::scenario::Scenario::from_json(&text).expect("example parses")
}

/// An empty folder under the system temp dir, unique to this test process and `name`.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapihang-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The committed regression corpus, `tests/corpus/`.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Two committed corpus entries, each with verdicts by the complete search and by random
/// schedules (8 and 6 of 11), copied into a fresh folder `name`: for the tests of the corpus
/// commands' output. Every committed entry's verdicts are re-checked once per run, by
/// `corpus::every_corpus_file_keeps_its_verdicts`; checking all of them again in each test of
/// an output format cost a minute of CPU each.
pub fn corpus_sample(name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    for file in CORPUS_SAMPLE {
        std::fs::copy(corpus_dir().join(file), dir.join(file)).expect("a committed entry");
    }
    dir
}

/// The entries [`corpus_sample`] copies, in file-name order.
pub const CORPUS_SAMPLE: [&str; 2] = ["64bd264f9217deff.json", "d3b31911d212c89b.json"];
