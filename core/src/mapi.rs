//! The MAPI machinery, written once: logon, store open and release, logoff, and the poller.
//!
//! Every decision the seed describes goes through a [`Variant`] hook, so the built-in variants
//! and users' candidate fixes share this code and differ only in policy. The connection-list
//! table lives in shared memory ([`Shm`]); taking its lock is where threads interleave.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use crate::sim::short::Short;
use crate::sim::{Aborted, Ctx, EventId, Shm, UserId, WaitOutcome};
use crate::trace::{Event, FiledKey, ListId, PollerId, SessionId, StoreId};
use crate::variant::{
    ListKey, ListView, OnDeadPoller, OnListMissing, PollerToken, PollerView, ReleaseWait, Variant,
};

/// A pending store release: the poller does the store's work, then sets the event.
#[derive(Clone, Copy, Debug)]
struct Work {
    store: StoreId,
    event: EventId,
}

/// One user context's connection list, in shared memory.
struct ConnList {
    id: ListId,
    key: ListKey,
    connections: Short<(SessionId, UserId), 4>,
    work: Short<Work, 4>,
    poller: PollerId,
}

/// The filler of unused inline slots.
const NO_CONNECTION: (SessionId, UserId) = (SessionId(0), UserId(0));
const NO_WORK: Work = Work {
    store: StoreId(0),
    event: EventId(0),
};

/// What the process knows about a poller thread.
struct PollerRec {
    id: PollerId,
    wake: EventId,
    stop: bool,
    exited: bool,
}

/// The shared-memory table of connection lists (and, beside it, the process's poller records).
#[derive(Default)]
struct Table {
    lists: Vec<ConnList>,
    pollers: Vec<PollerRec>,
    lists_created: u16,
    sessions_created: u16,
}

impl Table {
    fn list_mut(&mut self, id: ListId) -> Option<&mut ConnList> {
        self.lists.iter_mut().find(|l| l.id == id)
    }

    fn poller_mut(&mut self, id: PollerId) -> &mut PollerRec {
        self.pollers
            .iter_mut()
            .find(|p| p.id == id)
            .expect("every poller id has a record")
    }

    /// The wake events of the pollers still running. Every change to the table that can change a
    /// poller's decision (a list created or removed, work queued) wakes them all: that is how the
    /// model stands for "the poller polls periodically" without spinning. A poller polling at any
    /// moment sees the table as one of these changes left it, so no observable state is missed.
    fn wakes(&self) -> Short<EventId, 8> {
        let mut wakes = Short::new(EventId(0));
        for poller in self.pollers.iter().filter(|p| !p.exited) {
            wakes.push(poller.wake);
        }
        wakes
    }

    /// Record a new poller for `list`; the caller starts its thread once the lock is dropped.
    fn add_poller(&mut self, ctx: &Ctx) -> PollerId {
        let id = PollerId(ctx.next_poller_id());
        self.pollers.push(PollerRec {
            id,
            wake: ctx.create_event(false),
            stop: false,
            exited: false,
        });
        id
    }
}

/// An application's MAPI session, as the application thread holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    pub id: SessionId,
    pub list: ListId,
}

/// The MAPI library inside one process: the variant's policies over the shared table.
#[derive(Clone)]
pub(crate) struct Mapi(Arc<MapiInner>);

struct MapiInner {
    variant: Arc<dyn Variant>,
    table: Shm<Table>,
    stores_opened: AtomicU16,
    polls_max: usize,
}

/// A poller to start once the table lock is dropped: its id, its list, and its creator's user.
struct NewPoller {
    id: PollerId,
    list: ListId,
    creator: UserId,
}

impl Mapi {
    /// A fresh library: empty table. `polls_max` bounds every poller's loop.
    pub(crate) fn new(variant: Arc<dyn Variant>, polls_max: usize) -> Mapi {
        Mapi(Arc::new(MapiInner {
            variant,
            table: Shm::new(Table::default()),
            stores_opened: AtomicU16::new(0),
            polls_max,
        }))
    }

    /// `MAPILogonEx` as the thread's effective user: the first logon of a user context builds its
    /// connection list and starts a poller for it.
    pub(crate) fn logon(&self, ctx: &Ctx) -> Session {
        let user = ctx.effective_user();
        let key = ctx.sim().with_sid(user, |sid| self.0.variant.list_key(sid));
        let mut table = self.0.table.lock();
        let mut new_poller = None;
        let list = match table.lists.iter().position(|l| l.key == key) {
            Some(index) => table.lists[index].id,
            None => {
                table.lists_created += 1;
                let id = ListId(table.lists_created);
                let poller = table.add_poller(ctx);
                let filed = filed_key(ctx, &key);
                table.lists.push(ConnList {
                    id,
                    key,
                    connections: Short::new(NO_CONNECTION),
                    work: Short::new(NO_WORK),
                    poller,
                });
                ctx.log(Event::ListCreated {
                    list: id,
                    user,
                    key: filed,
                });
                ctx.log(Event::PollerCreated { poller, list: id });
                new_poller = Some(NewPoller {
                    id: poller,
                    list: id,
                    creator: user,
                });
                id
            }
        };
        table.sessions_created += 1;
        let session = SessionId(table.sessions_created);
        table
            .list_mut(list)
            .expect("just found or made")
            .connections
            .push((session, user));
        ctx.log(Event::Logon {
            session,
            list,
            user,
        });
        // Only a new list changes what a poller would decide; another connection does not.
        let wakes = if new_poller.is_some() {
            table.wakes()
        } else {
            Short::new(EventId(0))
        };
        drop(table);
        if let Some(poller) = new_poller {
            self.start_poller(ctx, poller);
        }
        wake_all(ctx, wakes.as_slice());
        Session { id: session, list }
    }

    /// Open a message store on `session`.
    pub(crate) fn open_store(&self, ctx: &Ctx, session: Session) -> StoreId {
        let store = StoreId(self.0.stores_opened.fetch_add(1, Ordering::Relaxed) + 1);
        ctx.log(Event::OpenStore {
            store,
            session: session.id,
        });
        store
    }

    /// Release a store: queue its work on the session's list and wait for the poller's signal.
    /// `Err` when the execution was aborted while it waited.
    pub(crate) fn release_store(
        &self,
        ctx: &Ctx,
        session: Session,
        store: StoreId,
    ) -> Result<(), Aborted> {
        let event = ctx.create_event(true);
        let mut table = self.0.table.lock();
        let Some(list) = table.list_mut(session.list) else {
            unreachable!("a session's list lives as long as the session")
        };
        list.work.push(Work { store, event });
        let old = list.poller;
        let mut respawned = None;
        if self.0.variant.on_dead_poller() == OnDeadPoller::Respawn && table.poller_mut(old).exited
        {
            let new = table.add_poller(ctx);
            table.list_mut(session.list).expect("still there").poller = new;
            ctx.log(Event::PollerRespawned {
                old,
                new,
                list: session.list,
            });
            respawned = Some(NewPoller {
                id: new,
                list: session.list,
                creator: ctx.effective_user(),
            });
        }
        let poller = table.list_mut(session.list).expect("still there").poller;
        let wait = self.0.variant.release_wait();
        ctx.log(Event::ReleaseWait {
            store,
            list: session.list,
            poller,
            event,
            timed: wait == ReleaseWait::Timeout,
        });
        let wakes = table.wakes();
        drop(table);
        if let Some(poller) = respawned {
            self.start_poller(ctx, poller);
        }
        wake_all(ctx, wakes.as_slice());
        let timed_out = match wait {
            ReleaseWait::Infinite => {
                ctx.try_wait(event)?;
                false
            }
            ReleaseWait::Timeout => ctx.try_wait_timeout(event)? == WaitOutcome::TimedOut,
        };
        ctx.log(Event::ReleaseDone { store, timed_out });
        Ok(())
    }

    /// Log off `session`: its connection leaves the list; an empty list is removed from the
    /// table, and then, in a second step, its poller is told to stop. (The caller releases the
    /// session's stores first.) The two steps are separate, as in a library that unlinks the
    /// list from shared memory and then signals the poller's thread: a poller can poll in between
    /// and find its list gone.
    pub(crate) fn logoff(&self, ctx: &Ctx, session: Session) {
        let mut table = self.0.table.lock();
        let Some(list) = table.list_mut(session.list) else {
            unreachable!("a session's list lives as long as the session")
        };
        list.connections.retain(|(id, _)| *id != session.id);
        ctx.log(Event::Logoff {
            session: session.id,
            list: session.list,
        });
        if !list.connections.is_empty() {
            return;
        }
        let poller = list.poller;
        table.lists.retain(|l| l.id != session.list);
        ctx.log(Event::ListRemoved {
            list: session.list,
            poller,
        });
        let wakes = table.wakes();
        drop(table);
        wake_all(ctx, wakes.as_slice());

        let mut table = self.0.table.lock();
        table.poller_mut(poller).stop = true;
        ctx.log(Event::PollerStopRequested { poller });
        let wakes = table.wakes();
        drop(table);
        wake_all(ctx, wakes.as_slice());
    }

    fn start_poller(&self, ctx: &Ctx, poller: NewPoller) {
        let mapi = self.clone();
        ctx.create_thread(poller.id.0, move |pctx| mapi.poll(pctx, poller));
    }

    /// The poller thread: search the table, do the list's work, signal; idle until the table
    /// changes; repeat, at most `polls_max` times.
    fn poll(&self, ctx: &mut Ctx, me: NewPoller) {
        let variant = &self.0.variant;
        if variant.poller_token() == PollerToken::Creator {
            ctx.impersonate(me.creator);
        }
        let user = ctx.effective_user();
        // Shared with the world (no copy of the SID); held across scheduling points.
        let users = ctx.sim().users();
        let sid = &users[user.0 as usize];
        ctx.log(Event::PollerStarted {
            poller: me.id,
            user,
        });
        let wake = self.0.table.lock().poller_mut(me.id).wake;
        let mut last_found = None;
        for _ in 0..self.0.polls_max {
            let mut table = self.0.table.lock();
            if table.poller_mut(me.id).stop {
                table.poller_mut(me.id).exited = true;
                drop(table);
                ctx.log(Event::PollerStopped { poller: me.id });
                return;
            }
            let mut views = Short::<ListView<'_>, 8>::new(ListView {
                id: ListId(0),
                key: &NO_KEY,
            });
            for list in &table.lists {
                views.push(ListView {
                    id: list.id,
                    key: &list.key,
                });
            }
            let lists = views.len() as u16;
            let found = variant.find_own_list(
                views.as_slice(),
                &PollerView {
                    id: me.id,
                    user: sid,
                    bound: me.list,
                },
            );
            drop(views);
            match found.and_then(|id| table.list_mut(id)) {
                Some(list) => {
                    let list_id = list.id;
                    let work = list.work.take(NO_WORK);
                    drop(table);
                    if last_found != Some(list_id) {
                        last_found = Some(list_id);
                        ctx.log(Event::PollerFound {
                            poller: me.id,
                            lists,
                            list: list_id,
                        });
                    }
                    for &item in work.as_slice() {
                        ctx.log(Event::DidWork {
                            poller: me.id,
                            list: list_id,
                            store: item.store,
                        });
                        ctx.set_event(item.event);
                    }
                }
                None => {
                    table.poller_mut(me.id).exited = true;
                    let abandoned: Vec<Work> = match variant.on_list_missing() {
                        OnListMissing::QuitSilently => Vec::new(),
                        OnListMissing::SignalAndQuit => table
                            .lists
                            .iter_mut()
                            .flat_map(|l| l.work.take(NO_WORK).as_slice().to_vec())
                            .collect(),
                    };
                    drop(table);
                    ctx.log(Event::PollerQuit {
                        poller: me.id,
                        lists,
                        user,
                    });
                    for item in abandoned {
                        ctx.log(Event::SignalledWithoutWork {
                            poller: me.id,
                            store: item.store,
                        });
                        ctx.set_event(item.event);
                    }
                    return;
                }
            }
            if ctx.try_wait(wake).is_err() {
                return; // the execution was aborted
            }
        }
        self.0.table.lock().poller_mut(me.id).exited = true;
        ctx.log(Event::PollerExhausted { poller: me.id });
    }
}

/// The key a list was filed under, for the log: a SID key as the interned user it names.
fn filed_key(ctx: &Ctx, key: &ListKey) -> FiledKey {
    match key {
        ListKey::Crc(crc) => FiledKey::Crc32(*crc),
        ListKey::Sid(sid) => FiledKey::Sid(ctx.sim().user_id(sid)),
    }
}

fn wake_all(ctx: &Ctx, wakes: &[EventId]) {
    for &wake in wakes {
        ctx.set_event(wake);
    }
}

/// The key of the unused slots of a poller's table view.
static NO_KEY: ListKey = ListKey::Crc(0);
