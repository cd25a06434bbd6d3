//! The ids everything else talks about: users, events, actors, connection lists, pollers,
//! sessions, message stores and locks.
//!
//! A leaf module: it imports nothing of the crate, so `sim` (which writes the log) and `trace`
//! (which defines the log's entries) both use it without importing each other. Each id shows as
//! the name reports use (`L1`, `P2`, `S1`, `M3`).

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::canon;

use serde::Serialize;

/// An interned user (index into the execution's user table; 0 is the process user).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UserId(pub u16);

/// A Win32-like event object.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EventId(pub u32);

impl Hash for EventId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        canon::hash_id(canon::Kind::Event, self.0, state);
    }
}

/// A lock (`sim`'s mutex), in creation order from 0; reports show it by the name it was created
/// with.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct LockId(pub u16);

/// Who does something: an application thread (by index) or a poller (by id, from 1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Actor {
    /// Application thread number `n` (0-based index into the scenario's threads).
    Thread(u8),
    /// Poller `Pn` (1-based).
    Poller(u16),
}

/// A connection list's id (creation order, from 1; shown as `L1`, `L2`, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ListId(pub u16);

impl Hash for ListId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        canon::hash_id(canon::Kind::List, self.0, state);
    }
}

/// A session's id (creation order, from 1; shown as `S1`, `S2`, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SessionId(pub u16);

impl Hash for SessionId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        canon::hash_id(canon::Kind::Session, self.0, state);
    }
}

/// A message store's id (creation order, from 1; shown as `M1`, `M2`, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StoreId(pub u16);

impl Hash for StoreId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        canon::hash_id(canon::Kind::Store, self.0, state);
    }
}

/// A poller's id (creation order, from 1; shown as `P1`, `P2`, ...).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PollerId(pub u16);

impl Hash for PollerId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        canon::hash_id(canon::Kind::Poller, self.0, state);
    }
}

impl fmt::Display for ListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S{}", self.0)
    }
}

impl fmt::Display for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "M{}", self.0)
    }
}

impl fmt::Display for PollerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}", self.0)
    }
}

impl Actor {
    /// The actor's canonical name for state fingerprints (see `canon`): an application thread
    /// by its index, a poller by the name it was given when its creator made it.
    pub(crate) fn canonical(self) -> u64 {
        match self {
            Actor::Thread(index) => canon::root(Some(index)),
            Actor::Poller(id) => {
                canon::name(canon::Kind::Poller, u32::from(id)).unwrap_or((1 << 62) | u64::from(id))
            }
        }
    }
}

impl Hash for Actor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Actor::Thread(index) => {
                state.write_u8(0);
                // Under a fingerprint's permutation (`canon::with_perm`), its twin's index.
                canon::thread(*index).hash(state);
            }
            Actor::Poller(id) => {
                state.write_u8(1);
                PollerId(*id).hash(state);
            }
        }
    }
}
