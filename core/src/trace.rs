//! The ordered event log of one execution: who did what, at which step.
//!
//! Entries are small `Copy` records (ids, no strings), so logging costs a push; they are turned
//! into text only when a report is written (see `report`).

use serde::Serialize;

use crate::sim::{Actor, EventId, UserId};

/// A connection list's id (creation order, from 1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ListId(pub u16);

/// A session's id (creation order, from 1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SessionId(pub u16);

/// A message store's id (creation order, from 1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StoreId(pub u16);

/// A poller's id (creation order, from 1; shown as `P1`, `P2`, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PollerId(pub u16);

/// One thing that happened.
// The fields are ids named in each variant's own doc line.
#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The thread now impersonates `user`.
    Impersonate { user: UserId },
    /// The thread dropped its impersonation.
    Revert,
    /// An op had nothing to act on (e.g. release with no open store).
    Skipped { op: OpKind },
    /// A new connection list was built for `user` (the first logon of that user context).
    ListCreated { list: ListId, user: UserId },
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
    /// A store release queued its work on `list` and waits for `poller` to signal `event`.
    ReleaseWait {
        store: StoreId,
        list: ListId,
        poller: PollerId,
        event: EventId,
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
    /// The poller searched the table and took `list` for its own.
    PollerFound {
        poller: PollerId,
        lists: u16,
        list: ListId,
    },
    /// The poller did a store's work on `list` and signalled its event.
    WorkDone {
        poller: PollerId,
        list: ListId,
        store: StoreId,
    },
    /// The poller signalled a store's event without doing its work.
    SignalledWithoutWork { poller: PollerId, store: StoreId },
    /// The poller found no list it could take for its own and quit without signalling.
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
}

/// The kind of an op, for `Skipped` entries (`Op` itself holds a SID, which is not `Copy`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `release_store`
    ReleaseStore,
    /// `open_store`
    OpenStore,
    /// `logoff`
    Logoff,
    /// `revert`
    Revert,
}

/// One log entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, from 0.
    pub step: u32,
    /// Who did it.
    pub actor: Actor,
    /// Part of a thread's implicit cleanup at its end (not an op of the scenario).
    pub implicit: bool,
    /// What happened.
    pub event: Event,
}
