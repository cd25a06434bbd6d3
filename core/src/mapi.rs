//! The MAPI machinery, written once: logon, store open and release, logoff, and the poller.
//!
//! Every decision the seed describes goes through a [`Variant`] hook, so the built-in variants
//! and users' candidate fixes share this code and differ only in policy. The connection-list
//! table lives in shared memory ([`Shm`]); taking its lock is where threads interleave.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

mod table;

use crate::sim::short::Short;
use crate::sim::{Aborted, Ctx, EventId, Shm, UserId, WaitOutcome};
use crate::trace::{Event, FiledKey, ListId, PollerId, SessionId, StoreId};
use crate::variant::{
    ListKey, OnDeadPoller, OnListMissing, PollerToken, PollerView, ReleaseWait, Variant,
};
use table::{Table, Work};

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
        let mut table = table::lock(&self.0.table);
        let mut new_poller = None;
        let list = match table.find_by_key(&key) {
            Some(id) => id,
            None => {
                let poller = table.add_poller(ctx);
                let filed = filed_key(ctx, &key);
                let id = table.create_list(key, poller);
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
        let session = table.connect(list, user);
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
        let mut table = table::lock(&self.0.table);
        table.queue_work(session.list, Work { store, event });
        let old = table.owner(session.list);
        let mut respawned = None;
        if self.0.variant.on_dead_poller() == OnDeadPoller::Respawn && table.exited(old) {
            let new = table.add_poller(ctx);
            table.set_owner(session.list, new);
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
        let poller = table.owner(session.list);
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
        let mut table = table::lock(&self.0.table);
        let empty = table.disconnect(session.list, session.id);
        ctx.log(Event::Logoff {
            session: session.id,
            list: session.list,
        });
        if !empty {
            return;
        }
        let poller = table.owner(session.list);
        table.remove_list(session.list);
        ctx.log(Event::ListRemoved {
            list: session.list,
            poller,
        });
        let wakes = table.wakes();
        drop(table);
        wake_all(ctx, wakes.as_slice());

        let mut table = table::lock(&self.0.table);
        table.request_stop(poller);
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
        let wake = table::lock(&self.0.table).wake_event(me.id);
        let mut last_found = None;
        for _ in 0..self.0.polls_max {
            let mut table = table::lock(&self.0.table);
            if table.stop_requested(me.id) {
                table.mark_exited(me.id);
                drop(table);
                ctx.log(Event::PollerStopped { poller: me.id });
                return;
            }
            let views = table.views();
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
            match found.filter(|&id| table.has_list(id)) {
                Some(list_id) => {
                    let work = table.take_work(list_id);
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
                    table.mark_exited(me.id);
                    let abandoned: Vec<Work> = match variant.on_list_missing() {
                        OnListMissing::QuitSilently => Vec::new(),
                        OnListMissing::SignalAndQuit => table.take_all_work(),
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
        table::lock(&self.0.table).mark_exited(me.id);
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
