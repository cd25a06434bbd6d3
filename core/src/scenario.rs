//! Scenarios: what the application does, as plain data (serde JSON, see DESIGN.md).
//!
//! A scenario names the process user and, per application thread, a list of [`Op`]s. It is
//! validated when it is parsed: limits ([`THREADS_MAX`], [`OPS_PER_THREAD_MAX`]) and SIDs are
//! checked there, so the engine only ever sees well-formed input.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sim::Sid;

/// The most application threads a scenario may have.
pub const THREADS_MAX: usize = 8;
/// The most ops one application thread may have.
pub const OPS_PER_THREAD_MAX: usize = 64;

/// One thing an application thread does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Impersonate a user: the thread's effective user becomes this SID.
    Impersonate(Sid),
    /// Drop the impersonation: the effective user is the process user again.
    Revert,
    /// Log on to MAPI as the thread's effective user (a new session).
    Logon,
    /// Open a message store on the thread's newest session.
    OpenStore,
    /// Release the thread's newest open store: waits for the poller to finish the store's work.
    ReleaseStore,
    /// Log off the thread's newest session, releasing its open stores first.
    Logoff,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Impersonate(sid) => write!(f, "impersonate {sid}"),
            Op::Revert => f.write_str("revert"),
            Op::Logon => f.write_str("logon"),
            Op::OpenStore => f.write_str("open_store"),
            Op::ReleaseStore => f.write_str("release_store"),
            Op::Logoff => f.write_str("logoff"),
        }
    }
}

/// One application thread: a name and its ops, run in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadSpec {
    /// Shown in reports; defaults to `T1`, `T2`, ... by position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the thread does.
    pub ops: Vec<Op>,
}

/// What the application does: the process user and its threads.
///
/// Deserialising one (from a scenario file, a report or a corpus entry) goes through
/// [`Scenario::from_value`], whose errors name the thread and op in the scenario's own words.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Scenario {
    /// The user of the process token (default `S-1-5-18`, LocalSystem).
    #[serde(default = "Sid::local_system")]
    pub process_user: Sid,
    /// The application threads (1 to [`THREADS_MAX`]).
    pub threads: Vec<ThreadSpec>,
}

/// The longest thread name.
pub const NAME_MAX: usize = 64;

/// Why a scenario was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON (the parser's message, with line and column).
    #[error("malformed scenario: {0}")]
    Malformed(#[from] serde_json::Error),
    /// JSON that does not have the scenario's shape, said in the scenario's words: `thread T2,
    /// op 3: unknown op "dance" (...)`.
    #[error("malformed scenario: {0}")]
    Shape(String),
    /// Well-formed, but over a limit or empty.
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    /// Parse and validate a scenario from JSON text (a leading UTF-8 byte-order mark is
    /// accepted).
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value = serde_json::from_str(text)?;
        Scenario::from_value(value)
    }

    /// Build and validate a scenario from parsed JSON, with errors that name the field, the
    /// thread and the op (1-based) and quote at most 80 characters of the input.
    pub fn from_value(value: serde_json::Value) -> Result<Scenario, ScenarioError> {
        let scenario = parse::scenario(value).map_err(ScenarioError::Shape)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The scenario as pretty JSON (the form `check` reads).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Check the limits: 1 to [`THREADS_MAX`] threads, at most [`OPS_PER_THREAD_MAX`] ops each.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.threads.is_empty() {
            return Err(ScenarioError::Invalid(
                "a scenario needs at least one thread".into(),
            ));
        }
        if self.threads.len() > THREADS_MAX {
            return Err(ScenarioError::Invalid(format!(
                "{} threads, at most {THREADS_MAX} allowed",
                self.threads.len()
            )));
        }
        for (index, thread) in self.threads.iter().enumerate() {
            if let Some(name) = &thread.name {
                check_name(name).map_err(|why| {
                    ScenarioError::Invalid(format!("thread T{}: name {why}", index + 1))
                })?;
            }
            if thread.ops.len() > OPS_PER_THREAD_MAX {
                return Err(ScenarioError::Invalid(format!(
                    "thread {} has {} ops, at most {OPS_PER_THREAD_MAX} allowed",
                    self.thread_name(index),
                    thread.ops.len()
                )));
            }
        }
        Ok(())
    }

    /// The display name of thread `index` (its `name`, else `T1`, `T2`, ...).
    pub fn thread_name(&self, index: usize) -> String {
        match &self.threads[index].name {
            Some(name) => name.clone(),
            None => format!("T{}", index + 1),
        }
    }

    /// Total ops over all threads.
    pub fn ops_total(&self) -> usize {
        self.threads.iter().map(|t| t.ops.len()).sum()
    }

    /// Every distinct SID the scenario mentions, the process user first.
    pub fn users(&self) -> Vec<Sid> {
        let mut users = vec![self.process_user.clone()];
        for thread in &self.threads {
            for op in &thread.ops {
                if let Op::Impersonate(sid) = op {
                    if !users.contains(sid) {
                        users.push(sid.clone());
                    }
                }
            }
        }
        users
    }

    /// The seed's repro: two threads impersonating two users, each logging on, opening a store,
    /// releasing it and logging off.
    pub fn seed_repro() -> Scenario {
        let thread = |rid: u32| ThreadSpec {
            name: None,
            ops: vec![
                Op::Impersonate(Sid::new(1, 5, vec![21, 7, 8, 9, rid])),
                Op::Logon,
                Op::OpenStore,
                Op::ReleaseStore,
                Op::Logoff,
                Op::Revert,
            ],
        };
        Scenario {
            process_user: Sid::local_system(),
            threads: vec![thread(1001), thread(1002)],
        }
    }
}

/// A thread name is shown in reports: 1 to [`NAME_MAX`] characters, no control characters
/// (a newline in a name could forge report lines).
fn check_name(name: &str) -> Result<(), String> {
    let quoted = crate::text::quote(name);
    if name.trim().is_empty() {
        return Err(format!("{quoted} is empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{quoted} contains control characters"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(format!("{quoted} is longer than {NAME_MAX} characters"));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scenario, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let scenario = parse::scenario(value).map_err(serde::de::Error::custom)?;
        Ok(scenario)
    }
}

/// The scenario's shape, checked by hand so that every error is in the scenario's own words.
mod parse {
    use serde_json::{Map, Value};

    use super::{Op, Scenario, ThreadSpec};
    use crate::sim::Sid;
    use crate::text::quote;

    const OPS: &str = "{\"impersonate\": SID}, \"revert\", \"logon\", \"open_store\", \"release_store\", \"logoff\"";

    fn kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    fn unknown_key(map: &Map<String, Value>, known: &[&str]) -> Option<String> {
        map.keys()
            .find(|k| !known.contains(&k.as_str()))
            .map(|k| format!("unknown field {} (expected {})", quote(k), known.join(", ")))
    }

    pub(super) fn scenario(value: Value) -> Result<Scenario, String> {
        let Value::Object(mut map) = value else {
            return Err(format!(
                "a scenario is a JSON object with \"threads\", found {}",
                kind(&value)
            ));
        };
        if let Some(err) = unknown_key(&map, &["process_user", "threads"]) {
            return Err(err);
        }
        let process_user = match map.remove("process_user") {
            None => Sid::local_system(),
            Some(Value::String(text)) => {
                Sid::parse(&text).map_err(|e| format!("process_user: {e}"))?
            }
            Some(other) => {
                return Err(format!(
                    "process_user: expected a SID string like \"S-1-5-18\", found {}",
                    kind(&other)
                ))
            }
        };
        let threads = match map.remove("threads") {
            Some(Value::Array(threads)) => threads,
            Some(other) => {
                return Err(format!(
                    "threads: expected an array of threads, found {}",
                    kind(&other)
                ))
            }
            None => return Err("missing field \"threads\"".into()),
        };
        let threads = threads
            .into_iter()
            .enumerate()
            .map(|(index, value)| thread(index, value))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scenario {
            process_user,
            threads,
        })
    }

    fn thread(index: usize, value: Value) -> Result<ThreadSpec, String> {
        let mut label = format!("thread T{}", index + 1);
        let Value::Object(mut map) = value else {
            return Err(format!(
                "{label}: expected an object with \"ops\", found {}",
                kind(&value)
            ));
        };
        if let Some(err) = unknown_key(&map, &["name", "ops"]) {
            return Err(format!("{label}: {err}"));
        }
        let name = match map.remove("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => {
                super::check_name(&name).map_err(|why| format!("{label}: name {why}"))?;
                label = format!("thread {}", quote(&name));
                Some(name)
            }
            Some(other) => {
                return Err(format!(
                    "{label}: name: expected a string, found {}",
                    kind(&other)
                ))
            }
        };
        let ops = match map.remove("ops") {
            Some(Value::Array(ops)) => ops,
            Some(other) => {
                return Err(format!(
                    "{label}: ops: expected an array of ops, found {}",
                    kind(&other)
                ))
            }
            None => return Err(format!("{label}: missing field \"ops\"")),
        };
        let ops = ops
            .into_iter()
            .enumerate()
            .map(|(n, value)| op(value).map_err(|e| format!("{label}, op {}: {e}", n + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ThreadSpec { name, ops })
    }

    fn named(name: &str) -> Option<Op> {
        Some(match name {
            "revert" => Op::Revert,
            "logon" => Op::Logon,
            "open_store" => Op::OpenStore,
            "release_store" => Op::ReleaseStore,
            "logoff" => Op::Logoff,
            _ => return None,
        })
    }

    fn op(value: Value) -> Result<Op, String> {
        match value {
            Value::String(name) => named(&name).ok_or_else(|| {
                if name == "impersonate" {
                    "impersonate needs a user: write {\"impersonate\": SID}".to_string()
                } else {
                    format!("unknown op {} (expected one of {OPS})", quote(&name))
                }
            }),
            Value::Object(map) => {
                if map.len() != 1 {
                    let keys: Vec<String> = map.keys().map(|k| quote(k)).collect();
                    return Err(format!(
                        "an op object has exactly one key, as in {{\"impersonate\": SID}}; found {}",
                        if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                    ));
                }
                let (key, value) = map.into_iter().next().expect("one key");
                match (key.as_str(), value) {
                    ("impersonate", Value::String(text)) => Sid::parse(&text)
                        .map(Op::Impersonate)
                        .map_err(|e| e.to_string()),
                    ("impersonate", other) => Err(format!(
                        "impersonate needs a SID string like \"S-1-5-21-7-8-9-1001\", found {}",
                        kind(&other)
                    )),
                    (name, _) if named(name).is_some() => Err(format!(
                        "{} takes no argument: write {}",
                        quote(name),
                        quote(name)
                    )),
                    (name, _) => Err(format!(
                        "unknown op {} (expected one of {OPS})",
                        quote(name)
                    )),
                }
            }
            other => Err(format!(
                "expected an op (one of {OPS}), found {}",
                kind(&other)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(text: &str, expect: &str) {
        let err = Scenario::from_json(text).unwrap_err().to_string();
        assert!(err.contains(expect), "{err:?} should contain {expect:?}");
        assert!(!err.contains('\n'), "one line: {err:?}");
    }

    #[test]
    fn parses_design_example() {
        let text = r#"{
          "process_user": "S-1-5-18",
          "threads": [
            { "name": "T1", "ops": [ {"impersonate": "S-1-5-21-7-8-9-1001"}, "logon", "open_store", "release_store", "logoff", "revert" ] },
            { "name": "T2", "ops": [ {"impersonate": "S-1-5-21-7-8-9-1002"}, "logon", "open_store", "release_store", "logoff" ] }
          ]
        }"#;
        let scenario = Scenario::from_json(text).unwrap();
        assert_eq!(scenario.threads.len(), 2);
        assert_eq!(
            scenario.threads[0].ops[0],
            Op::Impersonate(Sid::parse("S-1-5-21-7-8-9-1001").unwrap())
        );
        assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
    }

    #[test]
    fn defaults() {
        let scenario = Scenario::from_json(r#"{"threads":[{"ops":["logon"]}]}"#).unwrap();
        assert_eq!(scenario.process_user, Sid::local_system());
        assert_eq!(scenario.thread_name(0), "T1");
    }

    #[test]
    fn rejects_bad_input() {
        check_err("{", "malformed scenario");
        check_err(
            r#"{"threads":[{"ops":["dance"]}]}"#,
            "thread T1, op 1: unknown op \"dance\"",
        );
        check_err(
            r#"{"threads":[{"ops":["logon"]},{"ops":["logon","logon",{"impersonate":"S-1-5-21-1","extra":1}]}]}"#,
            "thread T2, op 3: an op object has exactly one key",
        );
        check_err(
            r#"{"threads":[{"ops":[{"logon":"x"}]}]}"#,
            "thread T1, op 1: \"logon\" takes no argument",
        );
        check_err(
            r#"{"threads":[{"name":"a\nPASS: b","ops":[]}]}"#,
            "thread T1: name \"a\\nPASS: b\" contains control characters",
        );
        let huge = format!(
            r#"{{"threads":[{{"ops":[{{"impersonate":"S-1-{}"}}]}}]}}"#,
            "9".repeat(10_000)
        );
        let err = Scenario::from_json(&huge).unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
        assert!(Scenario::from_json("\u{feff}{\"threads\":[{\"ops\":[\"logon\"]}]}").is_ok());
        check_err(
            r#"{"threads":[{"ops":[{"impersonate":"S-1-x"}]}]}"#,
            "bad SID \"S-1-x\"",
        );
        check_err(
            r#"{"process_user":"nobody","threads":[{"ops":[]}]}"#,
            "bad SID",
        );
        check_err(r#"{"threads":[]}"#, "at least one thread");
        let many = format!(r#"{{"threads":[{}]}}"#, [r#"{"ops":[]}"#; 9].join(","));
        check_err(&many, "9 threads, at most 8");
        let long = format!(
            r#"{{"threads":[{{"ops":[{}]}}]}}"#,
            [r#""logon""#; 65].join(",")
        );
        check_err(&long, "65 ops, at most 64");
        check_err(
            r#"{"threads":[{"ops":[],"extra":1}]}"#,
            "thread T1: unknown field \"extra\" (expected name, ops)",
        );
    }
}
