//! mapihang's integration tests: one binary, one module per area (see STYLE.md).

mod cli;
mod corpus;
mod custom_variant;
mod engine;
mod explain_chromium;
mod fuzz_corpus;
mod props;
mod props_fixes;
mod schema;

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
