//! What the commands read, from its text: a scenario (or the scenario of a report or a corpus
//! entry) and a report, its schema checked. The CLI reads the file and names it in the error.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::corpus::CorpusEntry;
use crate::report::SCHEMA;
use crate::scenario::{Scenario, ScenarioError};
use crate::text::quote;

/// Why a text is not what a command reads.
#[derive(Debug)]
pub enum InputError {
    /// Not JSON at all (the parser's message).
    NotJson(String),
    /// A report this version does not read (why).
    Report(String),
    /// A corpus entry that does not parse (why).
    Corpus(String),
    /// A scenario that does not parse or is not valid.
    Scenario(ScenarioError),
}

/// A scenario, or the scenario of a report (`check --out`, `hunt --out`): a JSON object with a
/// `schema` field is read as a report (its schema checked), anything else as a scenario.
pub fn scenario(text: &str) -> Result<Scenario, InputError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| InputError::NotJson(e.to_string()))?;
    if let Value::Object(object) = &value {
        if object.contains_key("schema") {
            check_schema(&value).map_err(InputError::Report)?;
            let scenario = object
                .get("scenario")
                .cloned()
                .ok_or_else(|| InputError::Report("it has no scenario".into()))?;
            return Scenario::from_value(scenario).map_err(InputError::Scenario);
        }
    }
    Scenario::from_value(value).map_err(InputError::Scenario)
}

/// [`scenario`], or the scenario of a corpus entry (a JSON object with `expect` and no
/// `schema`) with the entry's note.
pub fn scenario_or_entry(text: &str) -> Result<(Scenario, Option<String>), InputError> {
    if let Ok(Value::Object(object)) = serde_json::from_str(text) {
        if object.contains_key("expect") && !object.contains_key("schema") {
            let entry = corpus_entry(text)?;
            return Ok((entry.scenario, entry.note));
        }
    }
    Ok((scenario(text)?, None))
}

/// A corpus file, parsed and validated.
pub fn corpus_entry(text: &str) -> Result<CorpusEntry, InputError> {
    CorpusEntry::from_json(text).map_err(|e| InputError::Corpus(e.to_string()))
}

/// A report's fields as `T`, after its `schema` is checked; the error says why it is not a
/// report this version reads.
pub fn report<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    check_schema(&value)?;
    serde_json::from_value(value).map_err(|e| quote(&e.to_string()))
}

/// A report's `schema` must be the one this version writes: missing or another one (a later
/// version, a matrix result) is refused, the same way by every command that reads reports.
fn check_schema(value: &Value) -> Result<(), String> {
    match value.get("schema") {
        None => Err(format!("it has no \"schema\" field (expected {SCHEMA:?})")),
        Some(Value::String(schema)) if schema == SCHEMA => Ok(()),
        Some(other) => Err(format!(
            "schema {}, but this mapihang reads {SCHEMA:?}",
            match other {
                Value::String(text) => quote(text),
                _ => other.to_string(),
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_text(schema: &str) -> String {
        let scenario = Scenario::seed_repro().to_json();
        format!("{{\"schema\": {schema:?}, \"variant\": \"original\", \"scenario\": {scenario}}}")
    }

    #[test]
    fn a_scenario_is_read_as_itself_and_a_report_for_its_scenario() {
        let scenario = Scenario::seed_repro();
        assert_eq!(super::scenario(&scenario.to_json()).unwrap(), scenario);
        assert_eq!(super::scenario(&report_text(SCHEMA)).unwrap(), scenario);
        let (read, note) = scenario_or_entry(&report_text(SCHEMA)).unwrap();
        assert_eq!((read, note), (scenario, None));
    }

    #[test]
    fn another_schema_or_none_is_refused_by_name() {
        let Err(InputError::Report(why)) = super::scenario(&report_text("mapihang.matrix/1"))
        else {
            panic!("a matrix result read as a report");
        };
        assert_eq!(
            why,
            "schema \"mapihang.matrix/1\", but this mapihang reads \"mapihang.report/1\""
        );
        let why = report::<serde_json::Value>("{\"variant\": \"original\"}").unwrap_err();
        assert_eq!(
            why,
            "it has no \"schema\" field (expected \"mapihang.report/1\")"
        );
        assert_eq!(
            report::<serde_json::Value>("[1]").unwrap_err(),
            "not a JSON object"
        );
        assert!(matches!(
            super::scenario("{\"threads\": "),
            Err(InputError::NotJson(_))
        ));
        let no_scenario = format!("{{\"schema\": {SCHEMA:?}}}");
        assert!(
            matches!(super::scenario(&no_scenario), Err(InputError::Report(why)) if why == "it has no scenario")
        );
    }

    #[test]
    fn a_corpus_entry_gives_its_scenario_and_note() {
        let entry = CorpusEntry::record(
            Scenario::seed_repro(),
            &[crate::variant::by_name("fixed").unwrap()],
            Some("kept".into()),
        );
        let (scenario, note) = scenario_or_entry(&entry.to_json()).unwrap();
        assert_eq!(
            (scenario, note.as_deref()),
            (Scenario::seed_repro(), Some("kept"))
        );
        let broken = entry
            .to_json()
            .replace("\"expect\"", "\"expect\": {}, \"x\"");
        assert!(matches!(
            scenario_or_entry(&broken),
            Err(InputError::Corpus(_))
        ));
    }
}
