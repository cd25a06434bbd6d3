//! The shared-memory table of connection lists and poller records, behind accessors that
//! declare, for partial-order reduction, exactly which part of the table each one reads or
//! writes (see `sim::footprint`).
//!
//! The fields are private to this module: the machinery in `mapi` can reach the table only
//! through these methods, so a critical section's declared footprint is the set of accesses it
//! really makes, by construction. The parts:
//!
//! - `Lists`: which lists exist, with their ids and keys (what a logon or a poller searches);
//! - `Conns(list)`: one list's connections;
//! - `Work(list)`: one list's queue of pending store releases;
//! - `Owner(list)`: which poller serves the list;
//! - `PollerSet`: which poller records exist;
//! - `PollerStop(id)`, `PollerExited(id)`: one poller's stop request and whether it exited.
//!
//! Id counters (lists, sessions) are not parts: an id only names a thing, and two equivalent
//! executions may number things differently. A poller's wake event is fixed when its record is
//! created, before the poller runs, so reading it touches nothing.

use crate::sim::footprint::Kind;
use crate::sim::short::Short;
use crate::sim::{Ctx, EventId, Shm, ShmGuard, UserId};
use crate::trace::{ListId, PollerId, SessionId, StoreId};
use crate::variant::{ListKey, ListView};

/// A pending store release: the poller does the store's work, then sets the event.
#[derive(Clone, Copy, Debug)]
pub(super) struct Work {
    pub store: StoreId,
    pub event: EventId,
}

/// The filler of unused inline slots.
const NO_CONNECTION: (SessionId, UserId) = (SessionId(0), UserId(0));
pub(super) const NO_WORK: Work = Work {
    store: StoreId(0),
    event: EventId(0),
};

/// One user context's connection list.
struct ConnList {
    id: ListId,
    key: ListKey,
    connections: Short<(SessionId, UserId), 4>,
    work: Short<Work, 4>,
    poller: PollerId,
}

/// What the process knows about a poller thread.
struct PollerRec {
    id: PollerId,
    wake: EventId,
    stop: bool,
    exited: bool,
}

/// The table's contents.
#[derive(Default)]
pub(super) struct Table {
    lists: Vec<ConnList>,
    pollers: Vec<PollerRec>,
    lists_created: u16,
    sessions_created: u16,
}

/// A part of the table, as declared to the scheduler.
#[derive(Copy, Clone)]
enum Part {
    Lists,
    Conns(ListId),
    Work(ListId),
    Owner(ListId),
    PollerSet,
    PollerStop(PollerId),
    PollerExited(PollerId),
}

impl Part {
    fn key(self) -> u32 {
        let (kind, id) = match self {
            Part::Lists => (0, 0),
            Part::Conns(list) => (1, list.0),
            Part::Work(list) => (2, list.0),
            Part::Owner(list) => (3, list.0),
            Part::PollerSet => (4, 0),
            Part::PollerStop(poller) => (5, poller.0),
            Part::PollerExited(poller) => (6, poller.0),
        };
        (kind << 16) | u32::from(id)
    }
}

/// The locked table: every access goes through a method that declares it.
pub(super) struct TableGuard<'a>(ShmGuard<'a, Table>);

/// Lock the table (a scheduling point).
pub(super) fn lock(table: &Shm<Table>) -> TableGuard<'_> {
    TableGuard(table.lock())
}

impl TableGuard<'_> {
    fn touch(&self, part: Part, kind: Kind) {
        self.0.declare(part.key(), kind);
    }

    fn list(&mut self, id: ListId) -> &mut ConnList {
        self.0
            .lists
            .iter_mut()
            .find(|l| l.id == id)
            .expect("a session's or a poller's list is in the table while it is used")
    }

    fn poller(&mut self, id: PollerId) -> &mut PollerRec {
        self.0
            .pollers
            .iter_mut()
            .find(|p| p.id == id)
            .expect("every poller id has a record")
    }

    /// The list filed under `key`, if any.
    pub(super) fn find_by_key(&self, key: &ListKey) -> Option<ListId> {
        self.touch(Part::Lists, Kind::Read);
        self.0.lists.iter().find(|l| l.key == *key).map(|l| l.id)
    }

    /// Whether list `id` is in the table.
    pub(super) fn has_list(&self, id: ListId) -> bool {
        self.touch(Part::Lists, Kind::Read);
        self.0.lists.iter().any(|l| l.id == id)
    }

    /// Every list's id and key (what a poller searches).
    pub(super) fn views(&self) -> Short<ListView<'_>, 8> {
        self.touch(Part::Lists, Kind::Read);
        let mut views = Short::<ListView<'_>, 8>::new(ListView {
            id: ListId(0),
            key: &NO_KEY,
        });
        for list in &self.0.lists {
            views.push(ListView {
                id: list.id,
                key: &list.key,
            });
        }
        views
    }

    /// Record a new poller; the caller starts its thread once the lock is dropped.
    pub(super) fn add_poller(&mut self, ctx: &Ctx) -> PollerId {
        let id = PollerId(ctx.next_poller_id());
        for part in [
            Part::PollerSet,
            Part::PollerStop(id),
            Part::PollerExited(id),
        ] {
            self.touch(part, Kind::Write);
        }
        let wake = ctx.create_event(false);
        self.0.pollers.push(PollerRec {
            id,
            wake,
            stop: false,
            exited: false,
        });
        id
    }

    /// File a new, empty list under `key`, served by `poller`.
    pub(super) fn create_list(&mut self, key: ListKey, poller: PollerId) -> ListId {
        self.0.lists_created += 1;
        let id = ListId(self.0.lists_created);
        for part in [
            Part::Lists,
            Part::Conns(id),
            Part::Work(id),
            Part::Owner(id),
        ] {
            self.touch(part, Kind::Write);
        }
        self.0.lists.push(ConnList {
            id,
            key,
            connections: Short::new(NO_CONNECTION),
            work: Short::new(NO_WORK),
            poller,
        });
        id
    }

    /// A new session's connection joins `list`.
    pub(super) fn connect(&mut self, list: ListId, user: UserId) -> SessionId {
        self.0.sessions_created += 1;
        let session = SessionId(self.0.sessions_created);
        self.touch(Part::Conns(list), Kind::Write);
        self.list(list).connections.push((session, user));
        session
    }

    /// A session's connection leaves `list`; whether the list has none left.
    pub(super) fn disconnect(&mut self, list: ListId, session: SessionId) -> bool {
        self.touch(Part::Conns(list), Kind::Write);
        let list = self.list(list);
        list.connections.retain(|(id, _)| *id != session);
        list.connections.is_empty()
    }

    /// Remove `list` from the table.
    pub(super) fn remove_list(&mut self, list: ListId) {
        for part in [
            Part::Lists,
            Part::Conns(list),
            Part::Work(list),
            Part::Owner(list),
        ] {
            self.touch(part, Kind::Write);
        }
        self.0.lists.retain(|l| l.id != list);
    }

    /// Queue a store release on `list`.
    pub(super) fn queue_work(&mut self, list: ListId, work: Work) {
        self.touch(Part::Work(list), Kind::Write);
        self.list(list).work.push(work);
    }

    /// Take `list`'s pending work.
    /// (Finding the queue empty only reads it.)
    pub(super) fn take_work(&mut self, list: ListId) -> Short<Work, 4> {
        let empty = self.list(list).work.is_empty();
        self.touch(
            Part::Work(list),
            if empty { Kind::Read } else { Kind::Write },
        );
        self.list(list).work.take(NO_WORK)
    }

    /// Take every list's pending work.
    pub(super) fn take_all_work(&mut self) -> Vec<Work> {
        self.touch(Part::Lists, Kind::Read);
        let ids: Vec<ListId> = self.0.lists.iter().map(|l| l.id).collect();
        let mut all = Vec::new();
        for id in ids {
            all.extend_from_slice(self.take_work(id).as_slice());
        }
        all
    }

    /// The poller serving `list`.
    pub(super) fn owner(&mut self, list: ListId) -> PollerId {
        self.touch(Part::Owner(list), Kind::Read);
        self.list(list).poller
    }

    /// Hand `list` to another poller.
    pub(super) fn set_owner(&mut self, list: ListId, poller: PollerId) {
        self.touch(Part::Owner(list), Kind::Write);
        self.list(list).poller = poller;
    }

    /// Whether poller `id` has exited.
    pub(super) fn exited(&mut self, id: PollerId) -> bool {
        self.touch(Part::PollerExited(id), Kind::Read);
        self.poller(id).exited
    }

    /// Record that poller `id` exited.
    pub(super) fn mark_exited(&mut self, id: PollerId) {
        self.touch(Part::PollerExited(id), Kind::Write);
        self.poller(id).exited = true;
    }

    /// Ask poller `id` to stop.
    pub(super) fn request_stop(&mut self, id: PollerId) {
        self.touch(Part::PollerStop(id), Kind::Write);
        self.poller(id).stop = true;
    }

    /// Whether poller `id` was asked to stop.
    pub(super) fn stop_requested(&mut self, id: PollerId) -> bool {
        self.touch(Part::PollerStop(id), Kind::Read);
        self.poller(id).stop
    }

    /// Poller `id`'s wake event (fixed when its record was made, before it ran).
    pub(super) fn wake_event(&mut self, id: PollerId) -> EventId {
        self.0.declare_nothing();
        self.poller(id).wake
    }

    /// The wake events of the pollers still running. Every change to the table that can change
    /// a poller's decision (a list created or removed, work queued) wakes them all: that is how
    /// the model stands for "the poller polls periodically" without spinning. A poller polling at
    /// any moment sees the table as one of these changes left it, so no observable state is
    /// missed.
    pub(super) fn wakes(&self) -> Short<EventId, 8> {
        self.touch(Part::PollerSet, Kind::Read);
        let mut wakes = Short::new(EventId(0));
        // Whether a poller has exited is read without declaring it: a poller marks itself exited
        // only on its way out and never waits again, so setting its wake event or not is the same.
        for poller in &self.0.pollers {
            if !poller.exited {
                wakes.push(poller.wake);
            }
        }
        wakes
    }
}

/// The key of the unused slots of a poller's table view.
static NO_KEY: ListKey = ListKey::Crc(0);
