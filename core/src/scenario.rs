//! Scenarios: what the application does, as plain data (serde JSON, see DESIGN.md and
//! `docs/scenario-format.md`).
//!
//! A scenario names the process user, optional names for users, and per application thread a
//! list of [`Op`]s. It is validated when it is parsed: limits ([`THREADS_MAX`],
//! [`OPS_PER_THREAD_MAX`] after `repeat` is expanded, [`REPEAT_MAX`], [`REPEAT_DEPTH_MAX`]),
//! SIDs, user names, spawned threads and named handles are checked there (`check`), so the
//! engine only ever sees well-formed input.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sim::Sid;

mod check;
mod parse;
pub mod schema;

/// The most application threads a scenario may have (spawned ones included).
pub const THREADS_MAX: usize = 16;
/// The most ops one application thread may have, after `repeat` is expanded.
pub const OPS_PER_THREAD_MAX: usize = 256;
/// The largest count of a `repeat`.
pub const REPEAT_MAX: u8 = 16;
/// How deep `repeat`s may nest (a repeat inside a repeat, no deeper).
pub const REPEAT_DEPTH_MAX: usize = 2;

/// One thing an application thread does.
///
/// The unit ops act on the thread's own newest session or store, as they always did; the
/// named forms act on process-wide handles that any thread may use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Impersonate a user: the thread's effective user becomes this SID.
    Impersonate(Sid),
    /// Impersonate a user named in the scenario's `users` (the SID is resolved when parsed).
    ImpersonateUser {
        /// The name, as the scenario writes it.
        name: String,
        /// Its SID.
        sid: Sid,
    },
    /// Drop the impersonation: the effective user is the process user again.
    Revert,
    /// Log on to MAPI as the thread's effective user (a new session).
    Logon,
    /// Log on and name the session (`{"logon": S}`), process-wide.
    LogonAs(String),
    /// Open a message store on the thread's newest session.
    OpenStore,
    /// Open a store and name it (`{"open_store": {"session": S, "as": M}}`); on the thread's
    /// newest session when `session` is absent.
    OpenStoreAs {
        /// The named session to open it on (`None`: the thread's newest open session).
        session: Option<String>,
        /// The store's name.
        name: String,
    },
    /// Release the thread's newest open store: waits for the poller to finish the store's work.
    ReleaseStore,
    /// Release a named store (`{"release_store": M}`), whichever thread opened it.
    ReleaseStoreNamed(String),
    /// Log off the thread's newest session, releasing its open stores first.
    Logoff,
    /// Log off a named session (`{"logoff": S}`), releasing its open stores first.
    LogoffNamed(String),
    /// Start a `spawned` thread (CreateThread: process token, no impersonation).
    Spawn(String),
    /// Wait until a thread has finished, its implicit cleanup included.
    Join(String),
    /// Set an application-level manual-reset event (it stays set).
    Signal(String),
    /// Wait until an application-level event is set.
    Wait(String),
    /// Take an application-level mutex (blocks while another thread holds it).
    Lock(String),
    /// Release an application-level mutex this thread holds.
    Unlock(String),
    /// Run `ops` `count` times (expanded before the run).
    Repeat {
        /// 1 to [`REPEAT_MAX`].
        count: u8,
        /// The ops repeated.
        ops: Vec<Op>,
    },
}

impl Op {
    /// The SID this op impersonates, if it is an impersonation.
    pub fn impersonated(&self) -> Option<&Sid> {
        match self {
            Op::Impersonate(sid) | Op::ImpersonateUser { sid, .. } => Some(sid),
            _ => None,
        }
    }

    /// Whether this op logs on (named or not).
    pub fn is_logon(&self) -> bool {
        matches!(self, Op::Logon | Op::LogonAs(_))
    }

    /// The ops of this op as the engine runs them: a `repeat` expanded, anything else itself.
    pub fn expanded(&self) -> Vec<Op> {
        let mut out = Vec::new();
        self.expand_into(&mut out);
        out
    }

    fn expand_into(&self, out: &mut Vec<Op>) {
        match self {
            Op::Repeat { count, ops } => {
                for _ in 0..*count {
                    for op in ops {
                        op.expand_into(out);
                    }
                }
            }
            other => out.push(other.clone()),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Impersonate(sid) => write!(f, "impersonate {sid}"),
            Op::ImpersonateUser { name, .. } => write!(f, "impersonate {name}"),
            Op::Revert => f.write_str("revert"),
            Op::Logon => f.write_str("logon"),
            Op::LogonAs(name) => write!(f, "logon as {name}"),
            Op::OpenStore => f.write_str("open_store"),
            Op::OpenStoreAs {
                session: Some(session),
                name,
            } => write!(f, "open_store {name} on {session}"),
            Op::OpenStoreAs {
                session: None,
                name,
            } => write!(f, "open_store {name}"),
            Op::ReleaseStore => f.write_str("release_store"),
            Op::ReleaseStoreNamed(name) => write!(f, "release_store {name}"),
            Op::Logoff => f.write_str("logoff"),
            Op::LogoffNamed(name) => write!(f, "logoff {name}"),
            Op::Spawn(name) => write!(f, "spawn {name}"),
            Op::Join(name) => write!(f, "join {name}"),
            Op::Signal(name) => write!(f, "signal {name}"),
            Op::Wait(name) => write!(f, "wait {name}"),
            Op::Lock(name) => write!(f, "lock {name}"),
            Op::Unlock(name) => write!(f, "unlock {name}"),
            Op::Repeat { count, ops } => write!(f, "repeat {count} x {} ops", ops.len()),
        }
    }
}

impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        schema::OpJson::from(self).serialize(serializer)
    }
}

/// One application thread: a name and its ops, run in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ThreadSpec {
    /// Shown in reports; defaults to `T1`, `T2`, ... by position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The thread starts only when another thread runs `{"spawn": NAME}` (else at once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spawned: bool,
    /// What the thread does.
    pub ops: Vec<Op>,
}

impl ThreadSpec {
    /// A thread that starts at once, unnamed.
    pub fn new(ops: Vec<Op>) -> ThreadSpec {
        ThreadSpec {
            name: None,
            spawned: false,
            ops,
        }
    }

    /// The ops as the engine runs them (every `repeat` expanded).
    pub fn expanded(&self) -> Vec<Op> {
        self.ops.iter().flat_map(Op::expanded).collect()
    }
}

/// What the application does: the process user, names for users, and its threads.
///
/// Deserialising one (from a scenario file, a report or a corpus entry) goes through
/// [`Scenario::from_value`], whose errors name the thread and op in the scenario's own words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    /// The user of the process token (default `S-1-5-18`, LocalSystem).
    pub process_user: Sid,
    /// Names for users (`impersonate` takes a SID or one of these names).
    pub users: BTreeMap<String, Sid>,
    /// The application threads (1 to [`THREADS_MAX`]).
    pub threads: Vec<ThreadSpec>,
}

/// The names a scenario gives its application-level objects, each list in order of first use
/// (see [`Scenario::names`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Application events (`signal`, `wait`).
    pub events: Vec<String>,
    /// Application locks (`lock`, `unlock`).
    pub locks: Vec<String>,
    /// Named sessions.
    pub sessions: Vec<String>,
    /// Named stores.
    pub stores: Vec<String>,
}

impl Names {
    /// The index of `name` in `list`.
    pub fn index(list: &[String], name: &str) -> Option<u16> {
        list.iter().position(|n| n == name).map(|i| i as u16)
    }
}

/// The longest thread name (and name of a user, handle, event or lock).
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
    /// Well-formed, but over a limit, empty, or naming what does not exist.
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    /// A scenario of threads that start at once, with no user names.
    pub fn new(process_user: Sid, threads: Vec<ThreadSpec>) -> Scenario {
        Scenario {
            process_user,
            users: BTreeMap::new(),
            threads,
        }
    }

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

    /// Check the limits and references: 1 to [`THREADS_MAX`] threads, at most
    /// [`OPS_PER_THREAD_MAX`] ops each after expansion, spawns of `spawned` threads only and
    /// each at most once, every handle name bound somewhere.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        check::validate(self).map_err(ScenarioError::Invalid)
    }

    /// The display name of thread `index` (its `name`, else `T1`, `T2`, ...).
    pub fn thread_name(&self, index: usize) -> String {
        match &self.threads[index].name {
            Some(name) => name.clone(),
            None => format!("T{}", index + 1),
        }
    }

    /// The index of the thread called `name` (by its `name`, else `T1`, `T2`, ...).
    pub fn thread_index(&self, name: &str) -> Option<usize> {
        (0..self.threads.len()).find(|&index| self.thread_name(index) == name)
    }

    /// Total ops over all threads, as run (every `repeat` expanded).
    pub fn ops_total(&self) -> usize {
        self.threads.iter().map(|t| t.expanded().len()).sum()
    }

    /// Every distinct SID the scenario mentions, the process user first.
    pub fn users(&self) -> Vec<Sid> {
        let mut users = vec![self.process_user.clone()];
        for thread in &self.threads {
            for op in thread.expanded() {
                if let Some(sid) = op.impersonated() {
                    if !users.contains(sid) {
                        users.push(sid.clone());
                    }
                }
            }
        }
        users
    }

    /// The names the scenario's threads use for events, locks, sessions and stores, each in the
    /// order it is first written (threads in order, repeats expanded): the numbering of the
    /// engine's `WaitOn::Event`, locks and handles, and what reports print for them.
    pub fn names(&self) -> Names {
        let mut names = Names::default();
        let add = |list: &mut Vec<String>, name: &String| {
            if !list.contains(name) {
                list.push(name.clone());
            }
        };
        for thread in &self.threads {
            for op in thread.expanded() {
                match &op {
                    Op::Signal(name) | Op::Wait(name) => add(&mut names.events, name),
                    Op::Lock(name) | Op::Unlock(name) => add(&mut names.locks, name),
                    Op::LogonAs(name) | Op::LogoffNamed(name) => add(&mut names.sessions, name),
                    Op::OpenStoreAs { session, name } => {
                        if let Some(session) = session {
                            add(&mut names.sessions, session);
                        }
                        add(&mut names.stores, name);
                    }
                    Op::ReleaseStoreNamed(name) => add(&mut names.stores, name),
                    _ => {}
                }
            }
        }
        names
    }

    /// Whether the scenario uses anything beyond the original format (spawned threads, joins,
    /// events, locks, named handles, repeats, user names).
    pub fn is_extended(&self) -> bool {
        !self.users.is_empty()
            || self.threads.iter().any(|t| {
                t.spawned
                    || t.ops.iter().any(|op| {
                        !matches!(
                            op,
                            Op::Impersonate(_)
                                | Op::Revert
                                | Op::Logon
                                | Op::OpenStore
                                | Op::ReleaseStore
                                | Op::Logoff
                        )
                    })
            })
    }

    /// The seed's repro: two threads impersonating two users, each logging on, opening a store,
    /// releasing it and logging off.
    pub fn seed_repro() -> Scenario {
        let thread = |rid: u32| {
            ThreadSpec::new(vec![
                Op::Impersonate(Sid::new(1, 5, vec![21, 7, 8, 9, rid])),
                Op::Logon,
                Op::OpenStore,
                Op::ReleaseStore,
                Op::Logoff,
                Op::Revert,
            ])
        };
        Scenario::new(Sid::local_system(), vec![thread(1001), thread(1002)])
    }
}

/// A name is shown in reports: 1 to [`NAME_MAX`] characters, no control characters (a newline
/// in a name could forge report lines).
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

impl Serialize for Scenario {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        schema::ScenarioJson::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scenario, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let scenario = parse::scenario(value).map_err(serde::de::Error::custom)?;
        Ok(scenario)
    }
}

#[cfg(test)]
mod tests;
