//! The ordered event log of one execution: who did what, at which step.
//!
//! Entries are small `Copy` records (ids, no strings), so logging costs a push; they are turned
//! into text only when a report is written (see `report`), as [`TraceLine`]s: the same event
//! kind and typed facts, with names for the ids and the event in words.

use serde::{Deserialize, Serialize};

pub use crate::ids::{Actor, EventId, ListId, LockId, PollerId, SessionId, StoreId, UserId};

/// One thing that happened.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The thread now impersonates `user`.
    Impersonate { user: UserId },
    /// The thread dropped its impersonation.
    Revert,
    /// An op had nothing to act on (e.g. release with no open store).
    Skipped { op: SkippedOp },
    /// A new connection list was built for `user` (the first logon of that user context) and
    /// filed under `key`, the key the variant chose.
    ListCreated {
        list: ListId,
        user: UserId,
        key: FiledKey,
    },
    /// A poller was created (CreateThread) to serve `list`.
    PollerCreated { poller: PollerId, list: ListId },
    /// The poller runs as `user` (its thread's token).
    PollerStarted { poller: PollerId, user: UserId },
    /// A session's connection joined `list`.
    Logon {
        session: SessionId,
        list: ListId,
        user: UserId,
    },
    /// A store was opened on a session.
    OpenStore { store: StoreId, session: SessionId },
    /// A store release queued its work on `list` and waits for `poller` to signal `event`:
    /// with a timeout when `timed`, else `INFINITE`.
    ReleaseWait {
        store: StoreId,
        list: ListId,
        poller: PollerId,
        event: EventId,
        timed: bool,
    },
    /// The store release returned; `timed_out` when its wait gave up rather than being signalled.
    ReleaseDone { store: StoreId, timed_out: bool },
    /// A release found the list's poller gone and started a new one.
    PollerRespawned {
        old: PollerId,
        new: PollerId,
        list: ListId,
    },
    /// A session's connection left `list`.
    Logoff { session: SessionId, list: ListId },
    /// The list had no connection left and was removed from the table.
    ListRemoved { list: ListId, poller: PollerId },
    /// The removed list's poller was told to stop.
    PollerStopRequested { poller: PollerId },
    /// The poller searched the table (`lists` lists in it) and took `list` for its own.
    PollerFound {
        poller: PollerId,
        lists: u16,
        list: ListId,
    },
    /// The poller did a store's work on `list` and signalled its event (kind `work-done`; not
    /// to be confused with the invariant of that name, which this event is the evidence for).
    DidWork {
        poller: PollerId,
        list: ListId,
        store: StoreId,
    },
    /// The poller signalled a store's event without doing its work.
    SignalledWithoutWork { poller: PollerId, store: StoreId },
    /// The poller searched the table (`lists` lists in it), found none it could take for its own
    /// (running as `user`) and quit without signalling.
    PollerQuit {
        poller: PollerId,
        lists: u16,
        user: UserId,
    },
    /// The poller was told to stop and exited.
    PollerStopped { poller: PollerId },
    /// The poller used up its poll budget and exited.
    PollerExhausted { poller: PollerId },
    /// The application thread ran out of ops (and has cleaned up).
    ThreadDone,
    /// The thread asked for `lock`, which `holder` holds, and waits for it.
    LockWait { lock: LockId, holder: Actor },
    /// The thread took `lock`.
    LockTaken { lock: LockId },
    /// The thread released `lock` (implicit: it ended holding it).
    LockReleased { lock: LockId },
    /// The thread started application thread `thread` (CreateThread: process token).
    Spawn { thread: u8 },
    /// The thread waits, at the application level, for `on` (a join, an application event,
    /// another thread's release of a store), on the sim event `event`.
    AppWait { on: WaitOn, event: EventId },
    /// The application-level wait for `on` returned.
    AppWaitDone { on: WaitOn },
    /// The thread set application event `event` (manual-reset: it stays set).
    AppSignal { event: u16 },
}

/// What an application-level wait waits for.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WaitOn {
    /// Application thread `n` to finish, its implicit cleanup included (a join).
    Thread(u8),
    /// Application event `n` (numbered in the order the scenario first names it) to be set.
    Event(u16),
    /// Thread `thread`'s release of `store` to return (a logoff, or a release, of a named
    /// handle that another thread is releasing at that moment).
    Release { store: StoreId, thread: u8 },
}

/// The key a connection list was filed under, as the variant chose it (`Copy`: a SID key is
/// the interned user whose SID it is).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FiledKey {
    /// The CRC32 of the user's binary SID (MAPICDO).
    Crc32(u32),
    /// The full SID of `UserId`.
    Sid(UserId),
    /// A key of the variant's own choosing ([`crate::variant::ListKey::Custom`]).
    Custom(u64),
}

/// What an [`Event`] is, without its ids: the vocabulary every renderer matches on. The JSON
/// names (kebab-case) are the `kind` of `mapihang.report/1` trace lines and never change.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// [`Event::Impersonate`]
    Impersonate,
    /// [`Event::Revert`]
    Revert,
    /// [`Event::Skipped`]
    Skipped,
    /// [`Event::ListCreated`]
    ListCreated,
    /// [`Event::PollerCreated`]
    PollerCreated,
    /// [`Event::PollerStarted`]
    PollerStarted,
    /// [`Event::Logon`]
    Logon,
    /// [`Event::OpenStore`]
    OpenStore,
    /// [`Event::ReleaseWait`]
    ReleaseWait,
    /// [`Event::ReleaseDone`]
    ReleaseDone,
    /// [`Event::PollerRespawned`]
    PollerRespawned,
    /// [`Event::Logoff`]
    Logoff,
    /// [`Event::ListRemoved`]
    ListRemoved,
    /// [`Event::PollerStopRequested`]
    PollerStopRequested,
    /// [`Event::PollerFound`]
    PollerFound,
    /// [`Event::DidWork`]; its JSON name is `work-done`.
    #[serde(rename = "work-done")]
    DidWork,
    /// [`Event::SignalledWithoutWork`]
    SignalledWithoutWork,
    /// [`Event::PollerQuit`]
    PollerQuit,
    /// [`Event::PollerStopped`]
    PollerStopped,
    /// [`Event::PollerExhausted`]
    PollerExhausted,
    /// [`Event::ThreadDone`]
    ThreadDone,
    /// [`Event::LockWait`]
    LockWait,
    /// [`Event::LockTaken`]
    LockTaken,
    /// [`Event::LockReleased`]
    LockReleased,
    /// [`Event::Spawn`]
    Spawn,
    /// [`Event::AppWait`]
    Wait,
    /// [`Event::AppWaitDone`]
    WaitDone,
    /// [`Event::AppSignal`]
    Signal,
}

impl EventKind {
    /// Every kind, in the order of [`Event`]'s variants.
    pub const ALL: [EventKind; 28] = [
        EventKind::Impersonate,
        EventKind::Revert,
        EventKind::Skipped,
        EventKind::ListCreated,
        EventKind::PollerCreated,
        EventKind::PollerStarted,
        EventKind::Logon,
        EventKind::OpenStore,
        EventKind::ReleaseWait,
        EventKind::ReleaseDone,
        EventKind::PollerRespawned,
        EventKind::Logoff,
        EventKind::ListRemoved,
        EventKind::PollerStopRequested,
        EventKind::PollerFound,
        EventKind::DidWork,
        EventKind::SignalledWithoutWork,
        EventKind::PollerQuit,
        EventKind::PollerStopped,
        EventKind::PollerExhausted,
        EventKind::ThreadDone,
        EventKind::LockWait,
        EventKind::LockTaken,
        EventKind::LockReleased,
        EventKind::Spawn,
        EventKind::Wait,
        EventKind::WaitDone,
        EventKind::Signal,
    ];

    /// The stable kebab-case name (`logon`, `release-wait`, `work-done`, ...), as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Impersonate => "impersonate",
            EventKind::Revert => "revert",
            EventKind::Skipped => "skipped",
            EventKind::ListCreated => "list-created",
            EventKind::PollerCreated => "poller-created",
            EventKind::PollerStarted => "poller-started",
            EventKind::Logon => "logon",
            EventKind::OpenStore => "open-store",
            EventKind::ReleaseWait => "release-wait",
            EventKind::ReleaseDone => "release-done",
            EventKind::PollerRespawned => "poller-respawned",
            EventKind::Logoff => "logoff",
            EventKind::ListRemoved => "list-removed",
            EventKind::PollerStopRequested => "poller-stop-requested",
            EventKind::PollerFound => "poller-found",
            EventKind::DidWork => "work-done",
            EventKind::SignalledWithoutWork => "signalled-without-work",
            EventKind::PollerQuit => "poller-quit",
            EventKind::PollerStopped => "poller-stopped",
            EventKind::PollerExhausted => "poller-exhausted",
            EventKind::ThreadDone => "thread-done",
            EventKind::LockWait => "lock-wait",
            EventKind::LockTaken => "lock-taken",
            EventKind::LockReleased => "lock-released",
            EventKind::Spawn => "spawn",
            EventKind::Wait => "wait",
            EventKind::WaitDone => "wait-done",
            EventKind::Signal => "signal",
        }
    }

    /// Whether only a poller does this (its own lifecycle, search and signals).
    pub fn is_poller_own(self) -> bool {
        match self {
            EventKind::PollerStarted
            | EventKind::PollerFound
            | EventKind::DidWork
            | EventKind::SignalledWithoutWork
            | EventKind::PollerQuit
            | EventKind::PollerStopped
            | EventKind::PollerExhausted => true,
            EventKind::Impersonate
            | EventKind::Revert
            | EventKind::Skipped
            | EventKind::ListCreated
            | EventKind::PollerCreated
            | EventKind::Logon
            | EventKind::OpenStore
            | EventKind::ReleaseWait
            | EventKind::ReleaseDone
            | EventKind::PollerRespawned
            | EventKind::Logoff
            | EventKind::ListRemoved
            | EventKind::PollerStopRequested
            | EventKind::ThreadDone
            | EventKind::LockWait
            | EventKind::LockTaken
            | EventKind::LockReleased
            | EventKind::Spawn
            | EventKind::Wait
            | EventKind::WaitDone
            | EventKind::Signal => false,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The poller, connection list and message store an event is about.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Refs {
    /// The poller (for a respawn, the new one).
    pub poller: Option<PollerId>,
    /// The connection list.
    pub list: Option<ListId>,
    /// The message store.
    pub store: Option<StoreId>,
}

impl Event {
    /// What the event is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Impersonate { .. } => EventKind::Impersonate,
            Event::Revert => EventKind::Revert,
            Event::Skipped { .. } => EventKind::Skipped,
            Event::ListCreated { .. } => EventKind::ListCreated,
            Event::PollerCreated { .. } => EventKind::PollerCreated,
            Event::PollerStarted { .. } => EventKind::PollerStarted,
            Event::Logon { .. } => EventKind::Logon,
            Event::OpenStore { .. } => EventKind::OpenStore,
            Event::ReleaseWait { .. } => EventKind::ReleaseWait,
            Event::ReleaseDone { .. } => EventKind::ReleaseDone,
            Event::PollerRespawned { .. } => EventKind::PollerRespawned,
            Event::Logoff { .. } => EventKind::Logoff,
            Event::ListRemoved { .. } => EventKind::ListRemoved,
            Event::PollerStopRequested { .. } => EventKind::PollerStopRequested,
            Event::PollerFound { .. } => EventKind::PollerFound,
            Event::DidWork { .. } => EventKind::DidWork,
            Event::SignalledWithoutWork { .. } => EventKind::SignalledWithoutWork,
            Event::PollerQuit { .. } => EventKind::PollerQuit,
            Event::PollerStopped { .. } => EventKind::PollerStopped,
            Event::PollerExhausted { .. } => EventKind::PollerExhausted,
            Event::ThreadDone => EventKind::ThreadDone,
            Event::LockWait { .. } => EventKind::LockWait,
            Event::LockTaken { .. } => EventKind::LockTaken,
            Event::LockReleased { .. } => EventKind::LockReleased,
            Event::Spawn { .. } => EventKind::Spawn,
            Event::AppWait { .. } => EventKind::Wait,
            Event::AppWaitDone { .. } => EventKind::WaitDone,
            Event::AppSignal { .. } => EventKind::Signal,
        }
    }

    /// The poller, list and store the event is about.
    pub fn refs(&self) -> Refs {
        let (poller, list, store) = match *self {
            Event::ListCreated { list, .. }
            | Event::Logon { list, .. }
            | Event::Logoff { list, .. } => (None, Some(list), None),
            Event::PollerCreated { poller, list }
            | Event::ListRemoved { list, poller }
            | Event::PollerFound { poller, list, .. } => (Some(poller), Some(list), None),
            Event::PollerRespawned { new, list, .. } => (Some(new), Some(list), None),
            Event::PollerStarted { poller, .. }
            | Event::PollerStopRequested { poller }
            | Event::PollerQuit { poller, .. }
            | Event::PollerStopped { poller }
            | Event::PollerExhausted { poller } => (Some(poller), None, None),
            Event::OpenStore { store, .. } | Event::ReleaseDone { store, .. } => {
                (None, None, Some(store))
            }
            Event::ReleaseWait {
                store,
                list,
                poller,
                ..
            }
            | Event::DidWork {
                poller,
                list,
                store,
            } => (Some(poller), Some(list), Some(store)),
            Event::SignalledWithoutWork { poller, store } => (Some(poller), None, Some(store)),
            Event::AppWait {
                on: WaitOn::Release { store, .. },
                ..
            }
            | Event::AppWaitDone {
                on: WaitOn::Release { store, .. },
            } => (None, None, Some(store)),
            Event::Impersonate { .. }
            | Event::Revert
            | Event::Skipped { .. }
            | Event::ThreadDone
            | Event::LockWait { .. }
            | Event::LockTaken { .. }
            | Event::LockReleased { .. }
            | Event::Spawn { .. }
            | Event::AppWait { .. }
            | Event::AppWaitDone { .. }
            | Event::AppSignal { .. } => (None, None, None),
        };
        Refs {
            poller,
            list,
            store,
        }
    }
}

/// The op a `skipped` entry names: an op that found nothing to act on (no open store or session,
/// a lock already held or not held), as a `Copy` kind of [`crate::scenario::Op`] for the log.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SkippedOp {
    /// `release_store`
    ReleaseStore,
    /// `open_store`
    OpenStore,
    /// `logoff`
    Logoff,
    /// `revert`
    Revert,
    /// `lock` of a lock the thread already holds
    Lock,
    /// `unlock` of a lock the thread does not hold
    Unlock,
    /// `spawn` of a thread that is not `spawned` or already started (only in a scenario that
    /// was not validated)
    Spawn,
    /// `join` of no thread (only in a scenario that was not validated)
    Join,
}

/// One log entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, from 0: a log index, not a scheduling step (ARCHITECTURE.md,
    /// "Step"; printed as "step N", JSON `step` in a [`TraceLine`]).
    pub index: u32,
    /// Who did it.
    pub actor: Actor,
    /// Part of a thread's implicit cleanup at its end (not an op of the scenario).
    pub implicit: bool,
    /// What happened.
    pub event: Event,
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    /// Its index in the log, [`Entry::index`] (JSON `step`).
    #[serde(rename = "step")]
    pub index: u32,
    /// `T1`, `P2`, ...
    pub actor: String,
    /// The actor's effective user at that moment.
    pub user: String,
    /// What happened, in words.
    pub event: String,
    /// What happened, as a stable kebab-case name (`logon`, `release-wait`, `poller-quit`, ...).
    pub kind: EventKind,
    /// The poller the entry is about (`P2`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poller: Option<String>,
    /// The connection list the entry is about (`L1`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// The message store the entry is about (`M1`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// For `list-created`: the key the variant filed the list under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyText>,
    /// For `release-wait`: the release waits with a timeout (absent: `INFINITE`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed: bool,
    /// For `release-done`: the wait timed out instead of being signalled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    /// For `spawn`, and a `wait` or `wait-done` for a thread (a join, or another thread's
    /// release): the other application thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// For `signal`, and a `wait` or `wait-done` for an application event: the event's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_event: Option<String>,
    /// For `poller-found` and `poller-quit`: how many lists the poller saw in the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists_seen: Option<u16>,
    /// For `lock-wait`, `lock-taken` and `lock-released`: the lock's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// For `lock-wait`: the thread that holds the lock (`T2`, `P1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// Part of a thread's implicit cleanup at its end.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub implicit: bool,
}

/// The key a connection list was filed under, as JSON: `{"crc32": "1a2b3c4d"}` or
/// `{"sid": "S-1-5-21-..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyText {
    /// The CRC32 of the user's binary SID, as 8 hex digits (MAPICDO's key).
    Crc32(String),
    /// The full SID, in string form.
    Sid(String),
    /// A key of the variant's own choosing, as 16 hex digits.
    Custom(String),
}
