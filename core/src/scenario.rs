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
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The user of the process token (default `S-1-5-18`, LocalSystem).
    #[serde(default = "Sid::local_system")]
    pub process_user: Sid,
    /// The application threads (1 to [`THREADS_MAX`]).
    pub threads: Vec<ThreadSpec>,
}

/// Why a scenario was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON, or JSON that does not have the scenario's shape (unknown op, bad SID, ...).
    #[error("malformed scenario: {0}")]
    Malformed(#[from] serde_json::Error),
    /// Well-formed, but over a limit or empty.
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    /// Parse and validate a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = serde_json::from_str(text)?;
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
            "unknown variant `dance`",
        );
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
        check_err(r#"{"threads":[{"ops":[],"extra":1}]}"#, "unknown field");
    }
}
