//! The scenario format as JSON types: what a scenario serialises as, and (through `schemars`)
//! the JSON Schema committed as `docs/scenario.schema.json`, so that editors validate scenario
//! files. Serialising a [`Scenario`] goes through these types, so the schema is the
//! serialiser's own shape; a test keeps the committed file equal to the generated one.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Op, Scenario, ThreadSpec};

/// A mapihang scenario: what a MAPI application does, thread by thread
/// (docs/scenario-format.md).
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "mapihang scenario")]
pub struct ScenarioJson {
    /// The user of the process token, a SID string (default "S-1-5-18", LocalSystem).
    #[serde(default = "local_system")]
    pub process_user: String,
    /// Names for users: `impersonate` takes a SID or one of these names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<String, String>,
    /// The application threads (1 to 16).
    #[schemars(length(min = 1, max = 16))]
    pub threads: Vec<ThreadJson>,
}

fn local_system() -> String {
    "S-1-5-18".into()
}

/// One application thread.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadJson {
    /// Shown in reports, and what spawn and join name (default T1, T2, ... by position).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub name: Option<String>,
    /// The thread starts only when another thread runs {"spawn": NAME}, with the process token
    /// and no impersonation (CreateThread).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spawned: bool,
    /// What the thread does, in order (at most 256 after repeats are expanded); when they end,
    /// it releases the stores it opened and logs off the sessions it logged on that are still
    /// open (implicit cleanup).
    pub ops: Vec<OpJson>,
}

/// An op that takes no argument.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitOp {
    /// Drop the impersonation.
    Revert,
    /// Log on as the thread's effective user (a new session).
    Logon,
    /// Open a store on the thread's newest session.
    OpenStore,
    /// Release the thread's newest open store (waits for the poller).
    ReleaseStore,
    /// Log off the thread's newest session (its open stores are released first).
    Logoff,
}

/// Where a named store is opened.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenStoreJson {
    /// The named session to open it on (absent: the thread's newest open session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The store's name, process-wide.
    #[serde(rename = "as")]
    pub name: String,
}

/// One op: a string for the ops without argument, else an object with one key (or "repeat"
/// with "ops").
#[derive(Serialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum OpJson {
    /// "revert", "logon", "open_store", "release_store" or "logoff".
    Unit(UnitOp),
    /// Impersonate a user: a SID string or a name from "users".
    Impersonate {
        /// A SID or a name from "users".
        impersonate: String,
    },
    /// Log on and name the session (process-wide).
    Logon {
        /// The session's name.
        logon: String,
    },
    /// Open a store and name it.
    OpenStore {
        /// Its session and name.
        open_store: OpenStoreJson,
    },
    /// Release a named store, whichever thread opened it (waits for the poller).
    ReleaseStore {
        /// The store's name.
        release_store: String,
    },
    /// Log off a named session, releasing its open stores first.
    Logoff {
        /// The session's name.
        logoff: String,
    },
    /// Start a thread marked "spawned" (at most once).
    Spawn {
        /// The thread's name.
        spawn: String,
    },
    /// Wait until a thread has finished, its implicit cleanup included.
    Join {
        /// The thread's name.
        join: String,
    },
    /// Set an application-level manual-reset event (it stays set).
    Signal {
        /// The event's name.
        signal: String,
    },
    /// Wait until an application-level event is set.
    Wait {
        /// The event's name.
        wait: String,
    },
    /// Take an application-level mutex (a thread that ends holding it releases it).
    Lock {
        /// The lock's name.
        lock: String,
    },
    /// Release an application-level mutex this thread holds.
    Unlock {
        /// The lock's name.
        unlock: String,
    },
    /// Run "ops" this many times (nested at most twice; expanded before the run).
    Repeat {
        /// 1 to 16.
        #[schemars(range(min = 1, max = 16))]
        repeat: u8,
        /// The ops repeated.
        ops: Vec<OpJson>,
    },
}

impl From<&Op> for OpJson {
    fn from(op: &Op) -> OpJson {
        match op {
            Op::Impersonate(sid) => OpJson::Impersonate {
                impersonate: sid.to_string(),
            },
            Op::ImpersonateUser { name, .. } => OpJson::Impersonate {
                impersonate: name.clone(),
            },
            Op::Revert => OpJson::Unit(UnitOp::Revert),
            Op::Logon => OpJson::Unit(UnitOp::Logon),
            Op::LogonAs(name) => OpJson::Logon {
                logon: name.clone(),
            },
            Op::OpenStore => OpJson::Unit(UnitOp::OpenStore),
            Op::OpenStoreAs { session, name } => OpJson::OpenStore {
                open_store: OpenStoreJson {
                    session: session.clone(),
                    name: name.clone(),
                },
            },
            Op::ReleaseStore => OpJson::Unit(UnitOp::ReleaseStore),
            Op::ReleaseStoreNamed(name) => OpJson::ReleaseStore {
                release_store: name.clone(),
            },
            Op::Logoff => OpJson::Unit(UnitOp::Logoff),
            Op::LogoffNamed(name) => OpJson::Logoff {
                logoff: name.clone(),
            },
            Op::Spawn(name) => OpJson::Spawn {
                spawn: name.clone(),
            },
            Op::Join(name) => OpJson::Join { join: name.clone() },
            Op::Signal(name) => OpJson::Signal {
                signal: name.clone(),
            },
            Op::Wait(name) => OpJson::Wait { wait: name.clone() },
            Op::Lock(name) => OpJson::Lock { lock: name.clone() },
            Op::Unlock(name) => OpJson::Unlock {
                unlock: name.clone(),
            },
            Op::Repeat { count, ops } => OpJson::Repeat {
                repeat: *count,
                ops: ops.iter().map(OpJson::from).collect(),
            },
        }
    }
}

impl From<&ThreadSpec> for ThreadJson {
    fn from(thread: &ThreadSpec) -> ThreadJson {
        ThreadJson {
            name: thread.name.clone(),
            spawned: thread.spawned,
            ops: thread.ops.iter().map(OpJson::from).collect(),
        }
    }
}

impl From<&Scenario> for ScenarioJson {
    fn from(scenario: &Scenario) -> ScenarioJson {
        ScenarioJson {
            process_user: scenario.process_user.to_string(),
            users: scenario
                .users
                .iter()
                .map(|(name, sid)| (name.clone(), sid.to_string()))
                .collect(),
            threads: scenario.threads.iter().map(ThreadJson::from).collect(),
        }
    }
}

/// The JSON Schema of the scenario format, as committed in `docs/scenario.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ScenarioJson);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
