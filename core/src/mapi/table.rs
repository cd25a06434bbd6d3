//! The shared-memory table of connection lists and poller records, behind accessors that
//! declare, for partial-order reduction, exactly which part of the table each one reads or
//! writes (see `sim::footprint`), and that log what the monitors read.
//!
//! The fields are private to this module: the machinery (the default routines in `mapi`, and
//! any routine a candidate fix rewrites as code) can reach the table only through these methods,
//! so a critical section's declared footprint is the set of accesses it really makes, by
//! construction, and every change the monitors judge is in the log as it happened: a list
//! created (with the key it was filed under) or removed, a connection joining or leaving one, a
//! store release queued (with the poller it waits for), a poller created, replaced, finding a
//! list, doing a store's work or signalling it without the work, told to stop, stopping,
//! quitting, exhausting its budget. Code cannot mis-log these: the table logs them itself, with
//! the facts it holds (the thread's effective user, the list's owner). The parts:
//!
//! - `Lists`: which lists exist, with their ids and keys (what a logon or a poller searches);
//! - `Conns(list)`: one list's connections;
//! - `Work(list)`: one list's queue of pending store releases;
//! - `Owner(list)`: which poller serves the list;
//! - `PollerSet`: which poller records exist;
//! - `PollerStop(id)`, `PollerExited(id)`: one poller's stop request and whether it exited;
//! - `PollerArmed(id)`: whether a poller created unarmed ([`Arming::Late`]) has armed its wake
//!   event yet (a poller armed at creation has no such part: nothing changes it).
//!
//! Id counters (lists, sessions) are not parts: an id only names a thing, and two equivalent
//! executions may number things differently. A poller's wake event is fixed when its record is
//! created, before the poller runs, so reading it touches nothing.

use super::policy::{ListKey, ListView};
use crate::sim::footprint::Kind;
use crate::sim::short::Short;
use crate::sim::{Ctx, EventId, Shm, ShmGuard, UserId};
use crate::trace::{Event, FiledKey, ListId, PollerId, SessionId, StoreId};

use super::{PollerStart, Session};

/// A pending store release: a poller does the store's work, then sets the event
/// ([`Work::done`]), or signals it without the work ([`Work::abandon`]). Only the table makes
/// one ([`TableGuard::queue_release`]), and only these two methods set its event, each logging
/// what it did.
#[derive(Clone, Copy, Debug, Hash)]
pub struct Work {
    store: StoreId,
    event: EventId,
}

impl Work {
    /// The store whose release this is.
    pub fn store(&self) -> StoreId {
        self.store
    }

    /// `poller` did the store's work on `list`: log it and signal the waiting release.
    pub fn done(&self, ctx: &Ctx, poller: PollerId, list: ListId) {
        ctx.log(Event::DidWork {
            poller,
            list,
            store: self.store,
        });
        ctx.set_event(self.event);
    }

    /// `poller` signals the waiting release without doing the store's work (the monitors judge
    /// the release that returns so: `work-done`).
    pub fn abandon(&self, ctx: &Ctx, poller: PollerId) {
        ctx.log(Event::SignalledWithoutWork {
            poller,
            store: self.store,
        });
        ctx.set_event(self.event);
    }
}

/// The filler of unused inline slots.
const NO_CONNECTION: (SessionId, UserId) = (SessionId(0), UserId(0));
const NO_WORK: Work = Work {
    store: StoreId(0),
    event: EventId(0),
};

/// When a new poller's wake event starts to be set by table changes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Arming {
    /// From its creation, before its list is published (the default machinery).
    AtCreation,
    /// Only once the poller arms it ([`TableGuard::arm_wake`]): changes before that wake no one.
    Late,
}

/// One user context's connection list.
#[derive(Hash)]
struct ConnList {
    id: ListId,
    key: ListKey,
    connections: Short<(SessionId, UserId), 4>,
    work: Short<Work, 4>,
    poller: PollerId,
}

/// What the process knows about a poller thread.
#[derive(Hash)]
struct PollerRec {
    id: PollerId,
    wake: EventId,
    /// Created with [`Arming::Late`]: whether it is armed is a part of its own.
    late: bool,
    armed: bool,
    stop: bool,
    exited: bool,
}

/// The table's contents.
#[derive(Default)]
pub(crate) struct Table {
    lists: Vec<ConnList>,
    pollers: Vec<PollerRec>,
    lists_created: u16,
    sessions_created: u16,
}

/// The table as a state (the stateful search's fingerprint): its lists and poller records in
/// order, not the counters that number new ones (ids hash by their canonical names there).
impl std::hash::Hash for Table {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.lists.hash(state);
        self.pollers.hash(state);
    }
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
    PollerArmed(PollerId),
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
            Part::PollerArmed(poller) => (7, poller.0),
        };
        (kind << 16) | u32::from(id)
    }
}

/// The locked table: every access goes through a method that declares it, and every change the
/// monitors read is logged by the method that makes it. Dropping it unlocks the table.
pub struct TableGuard<'a>(ShmGuard<'a, Table>);

/// The lists a poller sees while it searches the table (a view into the locked table).
pub struct Views<'a>(Short<ListView<'a>, 8>);

impl<'a> Views<'a> {
    /// The lists, in the order they were filed.
    pub fn as_slice(&self) -> &[ListView<'a>] {
        self.0.as_slice()
    }

    /// How many lists the table holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table holds no list.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A list's pending store releases, taken from the table.
pub struct Batch(Short<Work, 4>);

impl Batch {
    /// The releases, oldest first.
    pub fn as_slice(&self) -> &[Work] {
        self.0.as_slice()
    }
}

/// The wake events of the running pollers, to set once the table is unlocked ([`Wakes::wake`]).
#[derive(Hash)]
pub struct Wakes(Short<EventId, 8>);

impl Wakes {
    /// No poller to wake.
    pub fn none() -> Wakes {
        Wakes(Short::new(EventId(0)))
    }

    /// Set every wake event (no scheduling point).
    pub fn wake(&self, ctx: &Ctx) {
        for &wake in self.0.as_slice() {
            ctx.set_event(wake);
        }
    }
}

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
    pub fn find_by_key(&self, key: &ListKey) -> Option<ListId> {
        self.touch(Part::Lists, Kind::Read);
        self.0.lists.iter().find(|l| l.key == *key).map(|l| l.id)
    }

    /// Whether list `id` is in the table.
    pub fn has_list(&self, id: ListId) -> bool {
        self.touch(Part::Lists, Kind::Read);
        self.0.lists.iter().any(|l| l.id == id)
    }

    /// Every list's id and key (what a poller searches).
    pub fn views(&self) -> Views<'_> {
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
        Views(views)
    }

    /// Every list with the poller that serves it.
    pub fn owners(&self) -> Vec<(ListId, PollerId)> {
        self.touch(Part::Lists, Kind::Read);
        for list in &self.0.lists {
            self.touch(Part::Owner(list.id), Kind::Read);
        }
        self.0.lists.iter().map(|l| (l.id, l.poller)).collect()
    }

    /// Record a new poller; its thread is started once the lock is dropped.
    fn add_poller(&mut self, ctx: &Ctx, arming: Arming) -> PollerId {
        let id = PollerId(ctx.next_poller_id());
        for part in [
            Part::PollerSet,
            Part::PollerStop(id),
            Part::PollerExited(id),
        ] {
            self.touch(part, Kind::Write);
        }
        let late = arming == Arming::Late;
        if late {
            self.touch(Part::PollerArmed(id), Kind::Write);
        }
        crate::canon::born(
            crate::canon::Kind::Poller,
            u32::from(id.0),
            ctx.actor().canonical(),
        );
        let wake = ctx.create_event(false);
        self.0.pollers.push(PollerRec {
            id,
            wake,
            late,
            armed: !late,
            stop: false,
            exited: false,
        });
        id
    }

    /// File a new, empty list for the calling thread's effective user under `key`, served by
    /// `poller`; logs `list-created` with the key as filed.
    pub fn create_list_served_by(&mut self, ctx: &Ctx, key: ListKey, poller: PollerId) -> ListId {
        self.0.lists_created += 1;
        let id = ListId(self.0.lists_created);
        crate::canon::born(
            crate::canon::Kind::List,
            u32::from(id.0),
            ctx.actor().canonical(),
        );
        for part in [
            Part::Lists,
            Part::Conns(id),
            Part::Work(id),
            Part::Owner(id),
        ] {
            self.touch(part, Kind::Write);
        }
        let filed = filed_key(ctx, &key);
        self.0.lists.push(ConnList {
            id,
            key,
            connections: Short::new(NO_CONNECTION),
            work: Short::new(NO_WORK),
            poller,
        });
        ctx.log(Event::ListCreated {
            list: id,
            user: ctx.effective_user(),
            key: filed,
        });
        id
    }

    /// File a new list (as [`TableGuard::create_list_served_by`]) served by a new poller;
    /// logs `list-created` and `poller-created`. Start the poller with
    /// [`super::Mapi::start_poller`] once the lock is dropped.
    pub fn create_list_with_poller(
        &mut self,
        ctx: &Ctx,
        key: ListKey,
        arming: Arming,
    ) -> (ListId, PollerStart) {
        let poller = self.add_poller(ctx, arming);
        let list = self.create_list_served_by(ctx, key, poller);
        ctx.log(Event::PollerCreated { poller, list });
        let start = PollerStart {
            id: poller,
            list,
            creator: ctx.effective_user(),
        };
        (list, start)
    }

    /// Hand `list` to a new poller (created by the calling thread, armed at creation); logs
    /// `poller-respawned`. Start it once the lock is dropped.
    pub fn replace_poller(&mut self, ctx: &Ctx, list: ListId) -> PollerStart {
        let old = self.owner(list);
        let new = self.add_poller(ctx, Arming::AtCreation);
        self.touch(Part::Owner(list), Kind::Write);
        self.list(list).poller = new;
        ctx.log(Event::PollerRespawned { old, new, list });
        PollerStart {
            id: new,
            list,
            creator: ctx.effective_user(),
        }
    }

    /// A new session's connection, for the calling thread's effective user, joins `list`; logs
    /// `logon`.
    pub fn connect(&mut self, ctx: &Ctx, list: ListId) -> Session {
        self.0.sessions_created += 1;
        let session = SessionId(self.0.sessions_created);
        crate::canon::born(
            crate::canon::Kind::Session,
            u32::from(session.0),
            ctx.actor().canonical(),
        );
        let user = ctx.effective_user();
        self.touch(Part::Conns(list), Kind::Write);
        self.list(list).connections.push((session, user));
        ctx.log(Event::Logon {
            session,
            list,
            user,
        });
        Session { id: session, list }
    }

    /// A session's connection leaves its list; logs `logoff`. Whether the list has none left.
    pub fn disconnect(&mut self, ctx: &Ctx, session: Session) -> bool {
        self.touch(Part::Conns(session.list), Kind::Write);
        let list = self.list(session.list);
        list.connections.retain(|(id, _)| *id != session.id);
        let empty = list.connections.is_empty();
        ctx.log(Event::Logoff {
            session: session.id,
            list: session.list,
        });
        empty
    }

    /// Remove `list` from the table; logs `list-removed`. The poller that served it.
    pub fn remove_list(&mut self, ctx: &Ctx, list: ListId) -> PollerId {
        let poller = self.owner(list);
        for part in [
            Part::Lists,
            Part::Conns(list),
            Part::Work(list),
            Part::Owner(list),
        ] {
            self.touch(part, Kind::Write);
        }
        self.0.lists.retain(|l| l.id != list);
        ctx.log(Event::ListRemoved { list, poller });
        poller
    }

    /// Queue the release of `store` on `session`'s list: its poller is to do the work and set
    /// `event`. Logs `release-wait`, naming the list's poller and whether the release means to
    /// wait `timed` (with a timeout) or `INFINITE`.
    pub fn queue_release(
        &mut self,
        ctx: &Ctx,
        session: Session,
        store: StoreId,
        event: EventId,
        timed: bool,
    ) {
        let list = session.list;
        self.touch(Part::Work(list), Kind::Write);
        self.list(list).work.push(Work { store, event });
        let poller = self.owner(list);
        ctx.log(Event::ReleaseWait {
            store,
            list,
            poller,
            event,
            timed,
        });
    }

    /// Take `list`'s pending work. (Finding the queue empty only reads it.)
    pub fn take_work(&mut self, list: ListId) -> Batch {
        let empty = self.list(list).work.is_empty();
        self.touch(
            Part::Work(list),
            if empty { Kind::Read } else { Kind::Write },
        );
        Batch(self.list(list).work.take(NO_WORK))
    }

    /// Take every list's pending work.
    pub fn take_all_work(&mut self) -> Vec<Work> {
        self.touch(Part::Lists, Kind::Read);
        let ids: Vec<ListId> = self.0.lists.iter().map(|l| l.id).collect();
        let mut all = Vec::new();
        for id in ids {
            all.extend_from_slice(self.take_work(id).as_slice());
        }
        all
    }

    /// The poller serving `list`.
    pub fn owner(&mut self, list: ListId) -> PollerId {
        self.touch(Part::Owner(list), Kind::Read);
        self.list(list).poller
    }

    /// Whether poller `id` has exited.
    pub fn exited(&mut self, id: PollerId) -> bool {
        self.touch(Part::PollerExited(id), Kind::Read);
        self.poller(id).exited
    }

    fn mark_exited(&mut self, id: PollerId) {
        self.touch(Part::PollerExited(id), Kind::Write);
        self.poller(id).exited = true;
    }

    /// Ask poller `id` to stop; logs `poller-stop-requested`.
    pub fn request_stop(&mut self, ctx: &Ctx, id: PollerId) {
        self.touch(Part::PollerStop(id), Kind::Write);
        self.poller(id).stop = true;
        ctx.log(Event::PollerStopRequested { poller: id });
    }

    /// Whether poller `id` was asked to stop.
    pub fn stop_requested(&mut self, id: PollerId) -> bool {
        self.touch(Part::PollerStop(id), Kind::Read);
        self.poller(id).stop
    }

    /// The calling poller `me` searched the table (`lists` lists in it) and took `list`; logs
    /// `poller-found`.
    pub fn found(&self, ctx: &Ctx, me: PollerId, lists: u16, list: ListId) {
        ctx.log(Event::PollerFound {
            poller: me,
            lists,
            list,
        });
    }

    /// The calling poller `me` exits because it was told to stop; logs `poller-stopped`. It
    /// must return right after.
    pub fn stopped(&mut self, ctx: &Ctx, me: PollerId) {
        self.mark_exited(me);
        ctx.log(Event::PollerStopped { poller: me });
    }

    /// The calling poller `me` saw `lists` lists, none its own, and exits; logs `poller-quit`
    /// with the user it runs as. It must return right after (any work it abandons first).
    pub fn quit(&mut self, ctx: &Ctx, me: PollerId, lists: u16) {
        self.mark_exited(me);
        ctx.log(Event::PollerQuit {
            poller: me,
            lists,
            user: ctx.effective_user(),
        });
    }

    /// The calling poller `me` used up its poll budget and exits; logs `poller-exhausted`.
    pub fn exhausted(&mut self, ctx: &Ctx, me: PollerId) {
        self.mark_exited(me);
        ctx.log(Event::PollerExhausted { poller: me });
    }

    /// Poller `id`'s wake event (fixed when its record was made, before it ran).
    pub fn wake_event(&mut self, id: PollerId) -> EventId {
        self.0.declare_nothing();
        self.poller(id).wake
    }

    /// Arm poller `id`'s wake event (created [`Arming::Late`]): from now on table changes set
    /// it.
    pub fn arm_wake(&mut self, id: PollerId) {
        self.touch(Part::PollerArmed(id), Kind::Write);
        self.poller(id).armed = true;
    }

    /// The wake events of the pollers still running and armed. Every change to the table that
    /// can change a poller's decision (a list created or removed, work queued, a stop request)
    /// wakes them all: that is how the model stands for "the poller polls periodically" without
    /// spinning. A poller polling at any moment sees the table as one of these changes left it,
    /// so no observable state is missed.
    pub fn wakes(&self) -> Wakes {
        self.touch(Part::PollerSet, Kind::Read);
        let mut wakes = Short::new(EventId(0));
        // Whether a poller has exited is read without declaring it: a poller marks itself exited
        // only on its way out and never waits again, so setting its wake event or not is the same.
        for poller in &self.0.pollers {
            if poller.late {
                self.touch(Part::PollerArmed(poller.id), Kind::Read);
            }
            if !poller.exited && poller.armed {
                wakes.push(poller.wake);
            }
        }
        Wakes(wakes)
    }
}

/// The key a list was filed under, for the log: a SID key as the interned user it names.
fn filed_key(ctx: &Ctx, key: &ListKey) -> FiledKey {
    match key {
        ListKey::Crc(crc) => FiledKey::Crc32(*crc),
        ListKey::Sid(sid) => FiledKey::Sid(ctx.sim().user_id(sid)),
        ListKey::Custom(value) => FiledKey::Custom(*value),
    }
}

/// The key of the unused slots of a poller's table view.
static NO_KEY: ListKey = ListKey::Crc(0);
