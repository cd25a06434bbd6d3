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
