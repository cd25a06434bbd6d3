//! The phrasebook: how reports and every renderer word ids, events, keys, waits and poller ends.
//!
//! Sentences are built from typed facts only (ids, counts, keys, flags), never parsed back out
//! of other sentences. The wording of the JSON report's `event`, `message` and `state` fields is
//! stable; the renderers' labels are short forms of the same facts.

use crate::ids::{Actor, LockId, UserId};
use crate::trace::{Event, EventKind, KeyText, SkippedOp, TraceLine, WaitOn};

/// How a list's key reads: `crc32 1a2b3c4d`, `sid S-1-5-21-...`.
pub(crate) fn key(key: &KeyText) -> String {
    match key {
        KeyText::Crc32(hex) => format!("crc32 {hex}"),
        KeyText::Sid(sid) => format!("sid {sid}"),
        KeyText::Custom(hex) => format!("custom {hex}"),
    }
}

/// A list's key as a label beside the list (`user` built it): `key crc32 1a2b3c4d`, or
/// `key: its full SID` when it is filed under its own user's SID.
pub(crate) fn key_label(key: &KeyText, user: &str) -> String {
    match key {
        KeyText::Sid(sid) if sid == user => "key: its full SID".into(),
        key => format!("key {}", self::key(key)),
    }
}

/// What the lists of a table are keyed by, from the key each was filed under and the user
/// whose logon built it.
pub(crate) fn keyed_by<'k>(
    lists: impl IntoIterator<Item = (Option<&'k KeyText>, &'k str)>,
) -> &'static str {
    let (mut crc, mut own_sid, mut other, mut unknown) = (false, false, false, false);
    for (key, user) in lists {
        match key {
            Some(KeyText::Crc32(_)) => crc = true,
            Some(KeyText::Sid(sid)) if sid == user => own_sid = true,
            Some(KeyText::Sid(_)) | Some(KeyText::Custom(_)) => other = true,
            None => unknown = true,
        }
    }
    match (crc, own_sid, other, unknown) {
        (true, false, false, false) => "one per user context, keyed by the CRC32 of the SID",
        (false, true, false, false) => "one per user context, keyed by the full SID",
        (false, false, false, true) => "keys not recorded",
        _ => "keyed as the variant filed each one",
    }
}

/// How a store release waits: `INFINITE`, or with a timeout.
pub(crate) fn wait(timed: bool) -> &'static str {
    if timed {
        "with a timeout"
    } else {
        "INFINITE"
    }
}

/// What a quitting poller saw: `2 lists, none for S-1-5-18` (`lists`: `None` when the report
/// does not say).
pub(crate) fn quit_seen(lists: Option<usize>, user: &str) -> String {
    match lists {
        Some(n) => format!("{n} list{}, none for {user}", plural(n)),
        None => format!("no list for {user}"),
    }
}

/// Why a poller quit, for a wait-for chain: ` because 2 lists existed and none matched ...`.
pub(crate) fn quit_because(lists: Option<usize>, user: &str) -> String {
    match lists {
        Some(0) => format!(" because no list existed and it could not take one as {user}"),
        Some(1) => format!(" because 1 list existed and it did not match {user}"),
        Some(n) => format!(" because {n} lists existed and none matched {user}"),
        None => format!(" because no list it saw matched {user}"),
    }
}

/// An op's name as the scenario spells it.
pub(crate) fn op(op: SkippedOp) -> &'static str {
    match op {
        SkippedOp::ReleaseStore => "release_store",
        SkippedOp::OpenStore => "open_store",
        SkippedOp::Logoff => "logoff",
        SkippedOp::Revert => "revert",
        SkippedOp::Lock => "lock (already held by this thread)",
        SkippedOp::Unlock => "unlock (not held by this thread)",
        SkippedOp::Spawn => "spawn (of a thread not marked spawned, or already started)",
        SkippedOp::Join => "join (of no thread)",
    }
}

/// How ids read in sentences: what the report knows of the execution's users, threads and locks.
pub(crate) trait Names {
    /// A user's SID in string form.
    fn user(&self, user: UserId) -> String;
    /// A thread's or poller's name (`T1`, `P2`).
    fn actor(&self, actor: Actor) -> String;
    /// A lock's name.
    fn lock(&self, lock: LockId) -> String;
    /// An application event's name.
    fn app_event(&self, event: u16) -> String;
}

/// What an application-level wait waits for, in words: `W1 to finish`, `event \`done\``.
pub(crate) fn wait_on(on: WaitOn, names: &impl Names) -> String {
    match on {
        WaitOn::Thread(thread) => format!("{} to finish", names.actor(Actor::Thread(thread))),
        WaitOn::Event(event) => format!("event `{}`", names.app_event(event)),
        WaitOn::Release { store, thread } => format!(
            "{}'s release of {store} to return",
            names.actor(Actor::Thread(thread))
        ),
    }
}

/// One event in words, naming ids with `names`: the `event` field of a report's trace line.
pub(crate) fn event(event: &Event, names: &impl Names) -> String {
    let user = |who| names.user(who);
    match *event {
        Event::Impersonate { user: who } => format!("impersonate {}", user(who)),
        Event::Revert => "revert".into(),
        Event::Skipped { op: kind } => format!("{} skipped: nothing to act on", op(kind)),
        Event::ListCreated {
            list, user: who, ..
        } => format!("build connection list {list} for {}", user(who)),
        Event::PollerCreated { poller, list } => format!("CreateThread poller {poller} for {list}"),
        Event::PollerStarted { poller, user: who } => {
            format!("poller {poller} starts as {}", user(who))
        }
        Event::Logon { session, list, .. } => format!("logon: session {session} joins {list}"),
        Event::OpenStore { store, session } => format!("open_store {store} on session {session}"),
        Event::ReleaseWait {
            store,
            list,
            poller,
            timed,
            ..
        } => format!(
            "release_store {store}: queued on {list}, waiting ({}) for {poller}",
            wait(timed)
        ),
        Event::ReleaseDone {
            store,
            timed_out: false,
        } => format!("release_store {store} returns (signalled)"),
        Event::ReleaseDone {
            store,
            timed_out: true,
        } => format!("release_store {store} returns (wait timed out)"),
        Event::PollerRespawned { old, new, list } => {
            format!("{old} is gone: CreateThread {new} for {list}")
        }
        Event::Logoff { session, list } => format!("logoff: session {session} leaves {list}"),
        Event::ListRemoved { list, .. } => format!("{list} empty: removed from the table"),
        Event::PollerStopRequested { poller } => format!("tells {poller} to stop"),
        Event::PollerFound { lists, list, .. } => {
            format!("polls: {lists} list(s), takes {list} for its own")
        }
        Event::DidWork { list, store, .. } => format!("does {store}'s work on {list}, signals"),
        Event::SignalledWithoutWork { store, .. } => {
            format!("signals {store} without doing its work")
        }
        Event::PollerQuit {
            lists, user: who, ..
        } => format!(
            "polls: {lists} list(s), none matches {}: quits without signalling",
            user(who)
        ),
        Event::PollerStopped { .. } => "stops (its list is gone)".into(),
        Event::PollerExhausted { .. } => "used up its poll budget: exits".into(),
        Event::ThreadDone => "thread ends".into(),
        Event::LockWait { lock, holder } => {
            format!(
                "waits for lock `{}`, held by {}",
                names.lock(lock),
                names.actor(holder)
            )
        }
        Event::LockTaken { lock } => format!("takes lock `{}`", names.lock(lock)),
        Event::LockReleased { lock } => format!("releases lock `{}`", names.lock(lock)),
        Event::Spawn { thread } => format!(
            "CreateThread {} (process token)",
            names.actor(Actor::Thread(thread))
        ),
        Event::AppWait {
            on: WaitOn::Thread(thread),
            ..
        } => format!(
            "joins {}: waits for it to finish",
            names.actor(Actor::Thread(thread))
        ),
        Event::AppWait { on, .. } => format!("waits for {}", wait_on(on, names)),
        Event::AppWaitDone {
            on: WaitOn::Thread(thread),
        } => format!("joined {}", names.actor(Actor::Thread(thread))),
        Event::AppWaitDone { on } => format!("done waiting for {}", wait_on(on, names)),
        Event::AppSignal { event } => format!("sets event `{}`", names.app_event(event)),
    }
}

/// A trace line's short label (the SVG's markers): the same facts as [`event`], fewer words.
pub(crate) fn short(line: &TraceLine) -> String {
    let list = line.list.as_deref().unwrap_or("?");
    let store = line.store.as_deref().unwrap_or("?");
    let poller = line.poller.as_deref().unwrap_or("?");
    let lock = line.lock.as_deref().unwrap_or("?");
    match line.kind {
        EventKind::Impersonate => "impersonate".into(),
        EventKind::Revert => "revert".into(),
        EventKind::Skipped => "skipped".into(),
        EventKind::ListCreated => format!("new list {list}"),
        EventKind::PollerCreated => format!("CreateThread {poller}"),
        EventKind::PollerStarted => "starts".into(),
        EventKind::Logon => format!("logon {list}"),
        EventKind::OpenStore => format!("open {store}"),
        EventKind::ReleaseWait if line.timed => format!("release {store}: timed wait"),
        EventKind::ReleaseWait => format!("release {store}: wait"),
        EventKind::ReleaseDone if line.timed_out => format!("{store} timed out"),
        EventKind::ReleaseDone => format!("{store} released"),
        EventKind::PollerRespawned => format!("respawn {poller}"),
        EventKind::Logoff => format!("logoff {list}"),
        EventKind::ListRemoved => format!("{list} removed"),
        EventKind::PollerStopRequested => format!("stop {poller}"),
        EventKind::PollerFound => format!("takes {list}"),
        EventKind::DidWork => format!("{store} work done"),
        EventKind::SignalledWithoutWork => format!("signals {store}, no work"),
        EventKind::PollerQuit => format!(
            "quits: {}",
            quit_seen(line.lists_seen.map(usize::from), &line.user)
        ),
        EventKind::PollerStopped => "stops".into(),
        EventKind::PollerExhausted => "budget used up".into(),
        EventKind::ThreadDone => "ends".into(),
        EventKind::LockWait => format!("waits for lock {lock}"),
        EventKind::LockTaken => format!("takes lock {lock}"),
        EventKind::LockReleased => format!("releases lock {lock}"),
        EventKind::Spawn => format!("spawn {}", line.thread.as_deref().unwrap_or("?")),
        EventKind::Wait => match (&line.thread, &line.app_event) {
            (_, Some(event)) => format!("waits for {event}"),
            (Some(thread), None) if line.store.is_some() => format!("waits for {thread}'s {store}"),
            (Some(thread), None) => format!("joins {thread}"),
            (None, None) => "waits".into(),
        },
        EventKind::WaitDone => "wait done".into(),
        EventKind::Signal => format!("sets {}", line.app_event.as_deref().unwrap_or("?")),
    }
}

/// `"s"` unless `n` is 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
