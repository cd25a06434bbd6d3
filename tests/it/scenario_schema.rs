//! `docs/scenario.schema.json` under a real JSON Schema validator (the `jsonschema` crate,
//! draft 2020-12, nothing fetched): every scenario the project ships validates (the examples,
//! the corpus entries' scenarios, the fuzz seeds, the JSON in `docs/scenario-format.md`, and
//! what the generators print), and every file in `tests/scenarios-invalid/` is rejected by the
//! schema and by the parser alike, so that an editor flags what `check` would refuse.

use std::path::{Path, PathBuf};

use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::scenario::Scenario;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/scenario.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("docs/scenario.schema.json is no valid 2020-12 schema: {e}"));
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
}

/// The `.json` files in `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `value` validates, and the parser accepts it.
fn assert_valid(validator: &jsonschema::Validator, what: &str, value: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the schema rejects it: {errors:?}"
    );
    Scenario::from_value(value.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
}

/// The JSON documents in a markdown file's code blocks that are scenarios (have `threads`).
fn markdown_scenarios(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```json\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("a closed code block");
        rest = &body[end + 3..];
        // A fragment (an editor setting) is no document; every whole document must parse.
        if !body[..end].trim_start().starts_with('{') {
            continue;
        }
        let value: Value = serde_json::from_str(&body[..end])
            .unwrap_or_else(|e| panic!("{}: a json block: {e}", path.display()));
        if value.get("threads").is_some() {
            out.push(value);
        }
    }
    out
}

#[test]
fn every_shipped_scenario_validates() {
    let validator = validator();
    let examples = json_files(&root().join("examples/scenarios"));
    assert!(examples.len() >= 9, "the example scenarios");
    for path in &examples {
        assert_valid(&validator, &path.display().to_string(), &read_json(path));
    }
    let corpus = json_files(&root().join("tests/corpus"));
    assert!(!corpus.is_empty());
    for path in &corpus {
        let entry = read_json(path);
        let scenario = entry
            .get("scenario")
            .unwrap_or_else(|| panic!("{}: a corpus entry has a scenario", path.display()));
        assert_valid(&validator, &path.display().to_string(), scenario);
    }
    let seeds: Vec<PathBuf> = json_files(&root().join("fuzz/seeds/scenario_json"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("scenario")
        })
        .collect();
    assert!(seeds.len() >= 2);
    for path in &seeds {
        assert_valid(&validator, &path.display().to_string(), &read_json(path));
    }
    let documented = markdown_scenarios(&root().join("docs/scenario-format.md"));
    assert!(
        documented.len() >= 2,
        "docs/scenario-format.md shows scenarios"
    );
    for (index, value) in documented.iter().enumerate() {
        assert_valid(
            &validator,
            &format!("docs/scenario-format.md, block {}", index + 1),
            value,
        );
    }
}

#[test]
fn what_the_generators_print_validates() {
    // Serialising goes through the schema's own types; this holds the schema to it on every
    // shape the generators make, the application shapes of the fuzzers' generator included.
    let validator = validator();
    for family in Family::ALL {
        for seed in 0..40 {
            let scenario = gen::generate(family, seed);
            let value = serde_json::to_value(&scenario).unwrap();
            assert_valid(&validator, &format!("{family} seed {seed}"), &value);
        }
    }
    let mut extended = 0;
    for (case, data) in mapihang_core::fuzz::sample_inputs(0x5C4E, 300, 300)
        .iter()
        .enumerate()
    {
        // What the fuzz targets decode (family `any`, the `arbitrary` generator).
        let (scenario, _) = mapihang_core::fuzz::decode(data);
        extended += usize::from(scenario.is_extended());
        let value = serde_json::to_value(&scenario).unwrap();
        assert_valid(&validator, &format!("arbitrary case {case}"), &value);
    }
    assert!(
        extended >= 100,
        "{extended} of 300 use the application format"
    );
}

#[test]
fn the_schema_rejects_what_the_parser_rejects() {
    let validator = validator();
    let invalid = json_files(&root().join("tests/scenarios-invalid"));
    assert!(invalid.len() >= 10, "the invalid scenarios");
    for path in &invalid {
        let value = read_json(path);
        assert!(
            !validator.is_valid(&value),
            "{}: the schema accepts it",
            path.display()
        );
        assert!(
            Scenario::from_value(value).is_err(),
            "{}: the parser accepts it",
            path.display()
        );
    }
}
