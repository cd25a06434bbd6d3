//! The policy interface the machinery consults: [`Variant`] (the hooks, each defaulting to the
//! seed's behaviour, and [`Variant::machinery`] for code), [`Declared`] (what a variant says
//! about itself) and the hooks' vocabulary. Defined beside the machinery that calls it, so that
//! `mapi` imports nothing of [`crate::variant`] (the built-in variants, some written as code over
//! `mapi`), which re-exports all of it.

use std::fmt;

use serde::Serialize;

use super::Machinery;
use crate::family::Family;
use crate::monitor::Invariant;
use crate::sim::Sid;
use crate::trace::{ListId, PollerId};

/// The key a connection list is filed under in shared memory.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListKey {
    /// CRC32 of the user's binary SID (what MAPICDO does).
    Crc(u32),
    /// The full SID.
    Sid(Sid),
    /// Any key a fix chooses (a hash of the SID and something else, a constant, ...): lists
    /// filed under equal keys are one list. Recorded in the log as filed (`custom` and the
    /// value, 16 hex digits).
    Custom(u64),
}

impl fmt::Display for ListKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListKey::Crc(crc) => write!(f, "crc32 {crc:08x}"),
            ListKey::Sid(sid) => write!(f, "sid {sid}"),
            ListKey::Custom(value) => write!(f, "custom {value:016x}"),
        }
    }
}

/// A connection list as a poller sees it while it searches the table.
#[derive(Clone, Copy, Debug)]
pub struct ListView<'a> {
    /// The list's id.
    pub id: ListId,
    /// The key it is filed under.
    pub key: &'a ListKey,
}

/// What a poller knows about itself while it searches the table.
#[derive(Clone, Copy, Debug)]
pub struct PollerView<'a> {
    /// The poller's id.
    pub id: PollerId,
    /// The user of the poller's own thread token.
    pub user: &'a Sid,
    /// The list whose creation started this poller (a creator can hand it over at CreateThread).
    pub bound: ListId,
}

/// Whose token a new poller runs with.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PollerToken {
    /// The process token: what CreateThread gives a new thread.
    Process,
    /// The creating thread's (impersonation) token, set on the new thread before it runs.
    Creator,
}

/// What a poller does when it finds no list to take for its own.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OnListMissing {
    /// Shut down without doing any work and without signalling (MAPICDO).
    QuitSilently,
    /// Signal every pending store release it can see on its way out, without doing the work.
    SignalAndQuit,
}

/// How a store release waits for its poller.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReleaseWait {
    /// `INFINITE` (MAPICDO).
    Infinite,
    /// With a timeout; gives up when it runs out.
    Timeout,
}

/// What a store release does when the list's poller has exited.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OnDeadPoller {
    /// Queue the work and wait anyway (MAPICDO).
    Wait,
    /// Start a new poller (with CreateThread, so the process token) and wait for it.
    Respawn,
}

/// What a variant is expected to violate in one family.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// Invariants that a hunt in this family must find violated.
    pub must: Vec<Invariant>,
    /// Invariants that may be found violated (found only on some schedules or some workloads).
    pub may: Vec<Invariant>,
}

impl Expectation {
    /// Expected to keep every invariant.
    pub fn clean() -> Expectation {
        Expectation::default()
    }

    /// Expected to violate `must`, and allowed to violate `may`.
    pub fn violates(must: &[Invariant], may: &[Invariant]) -> Expectation {
        Expectation {
            must: must.to_vec(),
            may: may.to_vec(),
        }
    }

    /// Whether `observed` (the invariants a run found violated) agrees with this expectation.
    pub fn agrees_with(&self, observed: &[Invariant]) -> bool {
        self.must.iter().all(|i| observed.contains(i))
            && observed
                .iter()
                .all(|i| self.must.contains(i) || self.may.contains(i))
    }
}

/// What a variant says about itself: its name, what it changes, and what it is expected to
/// violate. Kept apart from its code ([`Variant`]'s hooks and [`Variant::machinery`]), so that
/// `mapihang variants` and `matrix` read the declaration without running anything, and a
/// candidate fix's code can change without its claims changing silently.
pub trait Declared {
    /// The stable name (CLI, JSON, tests).
    fn name(&self) -> &str;

    /// One paragraph: what it changes, why, and what it should and should not fix.
    fn description(&self) -> &str;

    /// What it is expected to violate in `family`. Families overlap: a multi-user or
    /// crc-collision scenario may also log on as the process user (generated ones do), so what a
    /// variant does in mixed workloads it may also do there.
    fn expected(&self, family: Family) -> Expectation {
        let _ = family;
        Expectation::clean()
    }
}

/// The MAPI internals under test: policies (the hooks, each defaulting to the seed's behaviour)
/// and, for a fix the hooks cannot express, code ([`Variant::machinery`]: any routine of the
/// machinery rewritten over the public `sim` primitives and the connection-list table).
pub trait Variant: Declared + Send + Sync + 'static {
    /// The machinery's routines as code, when this variant rewrites any of them; `None` (the
    /// default, and every hook-only variant): the default routines of [`crate::mapi`], which
    /// consult the hooks below. A variant that returns `Some` still has its hooks consulted by
    /// every default routine it does not override.
    fn machinery(&self) -> Option<&dyn Machinery> {
        None
    }

    /// The key `user`'s connection list is filed under. Default: CRC32 of the binary SID.
    fn list_key(&self, user: &Sid) -> ListKey {
        ListKey::Crc(user.crc32())
    }

    /// The token a new poller runs with. Default: the process token (plain CreateThread).
    fn poller_token(&self) -> PollerToken {
        PollerToken::Process
    }

    /// Which list the poller takes for its own, each time it polls. Default (MAPICDO): if exactly
    /// one list exists, that one; otherwise the one whose key is its own thread user's key.
    fn find_own_list(&self, lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        if let [only] = lists {
            return Some(only.id);
        }
        list_keyed(lists, &self.list_key(me.user))
    }

    /// What the poller does when it finds no list. Default: quit without signalling.
    fn on_list_missing(&self) -> OnListMissing {
        OnListMissing::QuitSilently
    }

    /// How a store release waits. Default: `INFINITE`.
    fn release_wait(&self) -> ReleaseWait {
        ReleaseWait::Infinite
    }

    /// What a store release does when the list's poller has exited. Default: wait anyway.
    fn on_dead_poller(&self) -> OnDeadPoller {
        OnDeadPoller::Wait
    }
}

/// The list filed under `key`, if any: a poller's search by its own key, without the one-list
/// shortcut.
pub fn list_keyed(lists: &[ListView<'_>], key: &ListKey) -> Option<ListId> {
    lists
        .iter()
        .find(|list| list.key == key)
        .map(|list| list.id)
}

/// The list the poller was handed when it was created: a bound poller never searches.
pub fn bound_list(me: &PollerView<'_>) -> Option<ListId> {
    Some(me.bound)
}

/// `user`'s full SID as the list key, instead of its CRC32.
pub fn key_by_full_sid(user: &Sid) -> ListKey {
    ListKey::Sid(user.clone())
}
