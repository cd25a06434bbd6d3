//! What a well-shaped scenario refers to: limits after `repeat` is expanded, spawned threads
//! and joins, named handles bound somewhere.

use std::collections::BTreeSet;

use super::{Op, Scenario, OPS_PER_THREAD_MAX, THREADS_MAX};

pub(super) fn validate(scenario: &Scenario) -> Result<(), String> {
    limits(scenario)?;
    threads(scenario)?;
    handles(scenario)
}

fn limits(scenario: &Scenario) -> Result<(), String> {
    if scenario.threads.is_empty() {
        return Err("a scenario needs at least one thread".into());
    }
    if scenario.threads.len() > THREADS_MAX {
        return Err(format!(
            "{} threads, at most {THREADS_MAX} allowed",
            scenario.threads.len()
        ));
    }
    for (index, thread) in scenario.threads.iter().enumerate() {
        if let Some(name) = &thread.name {
            super::check_name(name).map_err(|why| format!("thread T{}: name {why}", index + 1))?;
        }
        let ops = thread.expanded().len();
        if ops > OPS_PER_THREAD_MAX {
            return Err(format!(
                "thread {} has {ops} ops{}, at most {OPS_PER_THREAD_MAX} allowed",
                scenario.thread_name(index),
                if ops != thread.ops.len() {
                    " after repeat is expanded"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}

/// Spawns and joins name a thread; a spawn names a `spawned` thread, at most once in the whole
/// scenario (repeats expanded); a thread named by a spawn or join has a unique name; at least
/// one thread starts at once.
fn threads(scenario: &Scenario) -> Result<(), String> {
    if scenario.threads.iter().all(|t| t.spawned) {
        return Err("every thread is \"spawned\": at least one must start at once".into());
    }
    let mut spawned_by: Vec<Option<usize>> = vec![None; scenario.threads.len()];
    for (index, thread) in scenario.threads.iter().enumerate() {
        let me = scenario.thread_name(index);
        for op in thread.expanded() {
            let (Op::Spawn(name) | Op::Join(name)) = &op else {
                continue;
            };
            let verb = if matches!(op, Op::Spawn(_)) {
                "spawns"
            } else {
                "joins"
            };
            let quoted = crate::text::quote(name);
            let targets: Vec<usize> = (0..scenario.threads.len())
                .filter(|&t| scenario.thread_name(t) == *name)
                .collect();
            let target = match targets.as_slice() {
                [] => return Err(format!("thread {me} {verb} {quoted}, which is no thread")),
                [one] => *one,
                _ => {
                    return Err(format!(
                        "thread {me} {verb} {quoted}, a name {} threads share",
                        targets.len()
                    ))
                }
            };
            if matches!(op, Op::Join(_)) {
                continue;
            }
            if !scenario.threads[target].spawned {
                return Err(format!(
                    "thread {me} spawns {quoted}, which is not marked \"spawned\": true (it starts at once)"
                ));
            }
            if target == index {
                return Err(format!("thread {me} spawns itself"));
            }
            if let Some(first) = spawned_by[target] {
                return Err(format!(
                    "thread {quoted} is spawned twice (by {} and by {me})",
                    scenario.thread_name(first)
                ));
            }
            spawned_by[target] = Some(index);
        }
    }
    Ok(())
}

/// Every named session and store used is bound by some op of some thread.
fn handles(scenario: &Scenario) -> Result<(), String> {
    let mut sessions = BTreeSet::new();
    let mut stores = BTreeSet::new();
    let all: Vec<(usize, Vec<Op>)> = scenario
        .threads
        .iter()
        .enumerate()
        .map(|(index, t)| (index, t.expanded()))
        .collect();
    for (_, ops) in &all {
        for op in ops {
            match op {
                Op::LogonAs(name) => {
                    sessions.insert(name.as_str());
                }
                Op::OpenStoreAs { name, .. } => {
                    stores.insert(name.as_str());
                }
                _ => {}
            }
        }
    }
    for (index, ops) in &all {
        for op in ops {
            let (what, name, bound) = match op {
                Op::OpenStoreAs {
                    session: Some(name),
                    ..
                }
                | Op::LogoffNamed(name) => ("session", name, sessions.contains(name.as_str())),
                Op::ReleaseStoreNamed(name) => ("store", name, stores.contains(name.as_str())),
                _ => continue,
            };
            if !bound {
                let how = if what == "session" {
                    "{\"logon\": NAME}"
                } else {
                    "{\"open_store\": {\"as\": NAME}}"
                };
                return Err(format!(
                    "thread {}: {op}: no op binds the {what} {} (bind it with {how})",
                    scenario.thread_name(*index),
                    crate::text::quote(name)
                ));
            }
        }
    }
    Ok(())
}
