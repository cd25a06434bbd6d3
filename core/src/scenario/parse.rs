//! The scenario's shape, checked by hand so that every error is in the scenario's own words.
//! (What the shape refers to, names and limits, is checked after, in `check`.)

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Op, Scenario, ThreadSpec, REPEAT_DEPTH_MAX, REPEAT_MAX};
use crate::sim::Sid;
use crate::text::quote;

const OPS: &str = "{\"impersonate\": SID or user}, \"revert\", \"logon\", \"open_store\", \
                   \"release_store\", \"logoff\", {\"spawn\": T}, {\"join\": T}, {\"signal\": E}, \
                   {\"wait\": E}, {\"lock\": L}, {\"unlock\": L}, {\"repeat\": N, \"ops\": [...]}";

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
    if let Some(err) = unknown_key(&map, &["process_user", "users", "threads"]) {
        return Err(err);
    }
    let process_user = match map.remove("process_user") {
        None => Sid::local_system(),
        Some(Value::String(text)) => Sid::parse(&text).map_err(|e| format!("process_user: {e}"))?,
        Some(other) => {
            return Err(format!(
                "process_user: expected a SID string like \"S-1-5-18\", found {}",
                kind(&other)
            ))
        }
    };
    let users = match map.remove("users") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(value) => users(value)?,
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
        .map(|(index, value)| thread(index, value, &users))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenario {
        process_user,
        users,
        threads,
    })
}

fn users(value: Value) -> Result<BTreeMap<String, Sid>, String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "users: expected an object from names to SIDs, as in {{\"alice\": \"S-1-5-21-7-8-9-1001\"}}, found {}",
            kind(&value)
        ));
    };
    let mut users = BTreeMap::new();
    for (name, sid) in map {
        super::check_name(&name).map_err(|why| format!("users: name {why}"))?;
        let sid = match sid {
            Value::String(text) => {
                Sid::parse(&text).map_err(|e| format!("users: {}: {e}", quote(&name)))?
            }
            other => {
                return Err(format!(
                    "users: {}: expected a SID string, found {}",
                    quote(&name),
                    kind(&other)
                ))
            }
        };
        users.insert(name, sid);
    }
    Ok(users)
}

fn thread(index: usize, value: Value, users: &BTreeMap<String, Sid>) -> Result<ThreadSpec, String> {
    let mut label = format!("thread T{}", index + 1);
    let Value::Object(mut map) = value else {
        return Err(format!(
            "{label}: expected an object with \"ops\", found {}",
            kind(&value)
        ));
    };
    if let Some(err) = unknown_key(&map, &["name", "spawned", "ops"]) {
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
    let spawned = match map.remove("spawned") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(spawned)) => spawned,
        Some(other) => {
            return Err(format!(
                "{label}: spawned: expected true or false, found {}",
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
    let ops = op_list(ops, users, 0).map_err(|e| format!("{label}, {e}"))?;
    Ok(ThreadSpec { name, spawned, ops })
}

/// A list of ops at repeat depth `depth`; errors start with `op N` (1-based, nested repeats'
/// positions joined: `op 3.2`).
fn op_list(
    ops: Vec<Value>,
    users: &BTreeMap<String, Sid>,
    depth: usize,
) -> Result<Vec<Op>, String> {
    ops.into_iter()
        .enumerate()
        .map(|(n, value)| {
            op(value, users, depth).map_err(|e| match e.strip_prefix("op ") {
                // A nested position: `op 3` then `op 2: ...` inside reads `op 3.2: ...`.
                Some(inner) => format!("op {}.{inner}", n + 1),
                None => format!("op {}: {e}", n + 1),
            })
        })
        .collect()
}

fn unit(name: &str) -> Option<Op> {
    Some(match name {
        "revert" => Op::Revert,
        "logon" => Op::Logon,
        "open_store" => Op::OpenStore,
        "release_store" => Op::ReleaseStore,
        "logoff" => Op::Logoff,
        _ => return None,
    })
}

/// The ops whose argument is one name: `{"spawn": "W1"}`.
fn with_name(key: &str, name: String) -> Option<Op> {
    Some(match key {
        "logon" => Op::LogonAs(name),
        "release_store" => Op::ReleaseStoreNamed(name),
        "logoff" => Op::LogoffNamed(name),
        "spawn" => Op::Spawn(name),
        "join" => Op::Join(name),
        "signal" => Op::Signal(name),
        "wait" => Op::Wait(name),
        "lock" => Op::Lock(name),
        "unlock" => Op::Unlock(name),
        _ => return None,
    })
}

fn what_names(key: &str) -> &'static str {
    match key {
        "logon" => "a session name",
        "release_store" => "a store name",
        "logoff" => "a session name",
        "spawn" | "join" => "a thread name",
        "signal" | "wait" => "an event name",
        _ => "a lock name",
    }
}

fn op(value: Value, users: &BTreeMap<String, Sid>, depth: usize) -> Result<Op, String> {
    match value {
        Value::String(name) => unit(&name).ok_or_else(|| match name.as_str() {
            "impersonate" => "impersonate needs a user: write {\"impersonate\": SID}".to_string(),
            "spawn" | "join" | "signal" | "wait" | "lock" | "unlock" => format!(
                "{} needs {}: write {{{}: NAME}}",
                quote(&name),
                what_names(&name),
                quote(&name)
            ),
            _ => format!("unknown op {} (expected one of {OPS})", quote(&name)),
        }),
        Value::Object(map) if map.contains_key("repeat") => repeat(map, users, depth),
        Value::Object(map) => {
            if map.len() != 1 {
                let keys: Vec<String> = map.keys().map(|k| quote(k)).collect();
                return Err(format!(
                    "an op object has exactly one key, as in {{\"impersonate\": SID}}; found {}",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                ));
            }
            let (key, value) = map.into_iter().next().expect("one key");
            keyed(&key, value, users)
        }
        other => Err(format!(
            "expected an op (one of {OPS}), found {}",
            kind(&other)
        )),
    }
}

fn keyed(key: &str, value: Value, users: &BTreeMap<String, Sid>) -> Result<Op, String> {
    match (key, value) {
        ("impersonate", Value::String(text)) => impersonate(text, users),
        ("impersonate", other) => Err(format!(
            "impersonate needs a SID string like \"S-1-5-21-7-8-9-1001\" or a user name, found {}",
            kind(&other)
        )),
        ("open_store", Value::Object(map)) => open_store(map),
        ("open_store", other) => Err(format!(
            "open_store takes {{\"session\": S, \"as\": M}} or {{\"as\": M}}, found {}",
            kind(&other)
        )),
        (key, Value::String(name)) if with_name(key, String::new()).is_some() => {
            super::check_name(&name).map_err(|why| format!("{key}: name {why}"))?;
            Ok(with_name(key, name).expect("a named op"))
        }
        (key, other) if with_name(key, String::new()).is_some() => Err(format!(
            "{} takes {} (a string), found {}",
            quote(key),
            what_names(key),
            kind(&other)
        )),
        (key, _) if unit(key).is_some() => Err(format!(
            "{} takes no argument: write {}",
            quote(key),
            quote(key)
        )),
        (key, _) => Err(format!("unknown op {} (expected one of {OPS})", quote(key))),
    }
}

fn impersonate(text: String, users: &BTreeMap<String, Sid>) -> Result<Op, String> {
    if let Some(sid) = users.get(&text) {
        return Ok(Op::ImpersonateUser {
            name: text,
            sid: sid.clone(),
        });
    }
    Sid::parse(&text).map(Op::Impersonate).map_err(|e| {
        if text.starts_with("S-") || text.starts_with("s-") {
            e.to_string()
        } else {
            format!(
                "impersonate: {} is neither a SID nor a name in \"users\"",
                quote(&text)
            )
        }
    })
}

fn open_store(mut map: Map<String, Value>) -> Result<Op, String> {
    if let Some(err) = unknown_key(&map, &["session", "as"]) {
        return Err(format!("open_store: {err}"));
    }
    let string = |field: &str, value: Value| match value {
        Value::String(name) => {
            super::check_name(&name).map_err(|why| format!("open_store: {field} {why}"))?;
            Ok(name)
        }
        other => Err(format!(
            "open_store: {field}: expected a name (a string), found {}",
            kind(&other)
        )),
    };
    let session = match map.remove("session") {
        None | Some(Value::Null) => None,
        Some(value) => Some(string("session", value)?),
    };
    let name = match map.remove("as") {
        Some(value) => string("as", value)?,
        None => return Err("open_store: missing field \"as\" (the store's name)".into()),
    };
    Ok(Op::OpenStoreAs { session, name })
}

fn repeat(
    mut map: Map<String, Value>,
    users: &BTreeMap<String, Sid>,
    depth: usize,
) -> Result<Op, String> {
    if let Some(err) = unknown_key(&map, &["repeat", "ops"]) {
        return Err(format!("repeat: {err}"));
    }
    if depth >= REPEAT_DEPTH_MAX {
        return Err(format!("repeat nested more than {REPEAT_DEPTH_MAX} deep"));
    }
    let count = match map.remove("repeat") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|n| (1..=u64::from(REPEAT_MAX)).contains(n))
            .ok_or_else(|| format!("repeat: the count is from 1 to {REPEAT_MAX}, found {n}"))?
            as u8,
        Some(other) => {
            return Err(format!(
                "repeat: expected a count from 1 to {REPEAT_MAX}, found {}",
                kind(&other)
            ))
        }
        None => unreachable!("only called with a \"repeat\" key"),
    };
    let ops = match map.remove("ops") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => return Err("repeat: \"ops\" is empty".into()),
        Some(other) => {
            return Err(format!(
                "repeat: ops: expected an array of ops, found {}",
                kind(&other)
            ))
        }
        None => return Err("repeat: missing field \"ops\"".into()),
    };
    let ops = op_list(ops, users, depth + 1)?;
    Ok(Op::Repeat { count, ops })
}
