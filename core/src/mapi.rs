//! The MAPI machinery: logon, store open and release, logoff, and the poller's loop.
//!
//! Each routine is code over the public `sim` primitives ([`Ctx`]: threads with CreateThread
//! semantics, tokens, events with infinite and timed waits) and the connection-list table
//! ([`TableGuard`], reached with [`Mapi::table`]). The functions of this module ([`logon`],
//! [`release_store`], [`logoff`], [`poll`] and the poller's steps [`see_stop`], [`search`]) are
//! the default routines: the seed's MAPICDO, asking the variant's hooks for every decision the
//! seed describes (list key, poller token, which list a poller takes, what it does when it finds
//! none, how a release waits, what a release does when the poller is gone). A candidate fix that
//! the hooks cannot express implements [`Machinery`] and rewrites any routine, reusing the
//! others and these building blocks.
//!
//! What the monitors judge cannot be left out by such code: the table logs every change it
//! makes (see [`table`]), and the engine's side of each call logs the rest itself: a store
//! opened, a store release returning (with whether it timed out), a poller thread starting with
//! its token. A thread that never returns from a release is judged `poller-signals` even when
//! the release queued nothing through the table (the world knows which release each thread is
//! in).

use std::any::Any;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

pub mod policy;
pub mod table;
#[cfg(test)]
mod tests;

use crate::sim::{Aborted, Ctx, Shm, Sid, Sim, UserId, WaitOutcome};
use crate::trace::{Event, ListId, PollerId, SessionId, StoreId};
use policy::{OnDeadPoller, OnListMissing, PollerToken, PollerView, ReleaseWait, Variant};
use table::Table;
pub use table::{Arming, Batch, TableGuard, Views, Wakes, Work};

/// An application's MAPI session, as the application thread holds it. Only the table makes one
/// ([`TableGuard::connect`]), so every session is on a list the log knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Session {
    pub(crate) id: SessionId,
    pub(crate) list: ListId,
}

impl Session {
    /// The session's id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The connection list the session's connection is on.
    pub fn list(&self) -> ListId {
        self.list
    }
}

/// A poller to start once the table lock is dropped ([`Mapi::start_poller`]): its id, the list
/// whose creation (or replacement) made it, and its creator's user. Only the table makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PollerStart {
    id: PollerId,
    list: ListId,
    creator: UserId,
}

impl PollerStart {
    /// The poller's id.
    pub fn id(&self) -> PollerId {
        self.id
    }

    /// The list it was created for (what [`PollerView::bound`] says).
    pub fn list(&self) -> ListId {
        self.list
    }

    /// The user the creating thread acted as.
    pub fn creator(&self) -> UserId {
        self.creator
    }
}

/// The machinery's routines as code: every method defaults to this module's routine of the
/// same name, so a candidate fix overrides only what it rewrites. A variant hands its
/// `Machinery` to the engine through [`Variant::machinery`].
///
/// Rules for code (checked, or judged, rather than trusted): reach shared state only through
/// [`Mapi::table`] or your own [`Shm`] (a section that declares nothing is treated as writing
/// all of it, which keeps the complete search sound); hold no table guard across a wait; start
/// every poller the table made with [`Mapi::start_poller`]; return `Err(Aborted)` from a wait up
/// to the caller; bound every loop (a poller by [`Mapi::polls_max`]).
pub trait Machinery: Send + Sync {
    /// Per-execution state for this code (a lock, its own shared memory), made when the
    /// execution's library is (before any thread runs) and reached with [`Mapi::state`].
    /// Default: none.
    fn setup(&self, ctx: &SetupCtx<'_>) -> Box<dyn Any + Send + Sync> {
        let _ = ctx;
        Box::new(())
    }

    /// `MAPILogonEx` as the calling thread's effective user. Default: [`logon`].
    fn logon(&self, mapi: &Mapi, ctx: &Ctx) -> Result<Session, Aborted> {
        logon(mapi, ctx)
    }

    /// Open `store` (already logged as opened) on `session`. Default: nothing more to do (the
    /// model's store open only names a store). It must not wait, lock or take a scheduling
    /// point: the engine may call it inside its own critical section (named handles).
    fn open_store(&self, mapi: &Mapi, ctx: &Ctx, session: Session, store: StoreId) {
        let _ = (mapi, ctx, session, store);
    }

    /// Release `store`, opened on `session`: return once the release is over, saying whether
    /// it was signalled or gave up ([`WaitOutcome::TimedOut`]). Default: [`release_store`].
    fn release_store(
        &self,
        mapi: &Mapi,
        ctx: &Ctx,
        session: Session,
        store: StoreId,
    ) -> Result<WaitOutcome, Aborted> {
        release_store(mapi, ctx, session, store)
    }

    /// Log off `session` (its stores are released first). Default: [`logoff`].
    fn logoff(&self, mapi: &Mapi, ctx: &Ctx, session: Session) -> Result<(), Aborted> {
        logoff(mapi, ctx, session)
    }

    /// The poller thread `me`, started with [`Mapi::start_poller`] (its token already set as
    /// the variant's [`Variant::poller_token`] says, `poller-started` logged). Default: [`poll`].
    fn poll(&self, mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
        poll(mapi, ctx, me)
    }
}

/// What [`Machinery::setup`] can use: the execution's world, before any thread runs.
pub struct SetupCtx<'a> {
    sim: &'a Sim,
}

impl SetupCtx<'_> {
    /// The execution's world (to create locks, events or shared memory in it).
    pub fn sim(&self) -> &Sim {
        self.sim
    }
}

/// The default routines, for a variant with no code of its own.
struct Defaults;

impl Machinery for Defaults {}

/// The MAPI library inside one process: the variant's policies and code over the shared table.
#[derive(Clone)]
pub struct Mapi(Arc<MapiInner>);

struct MapiInner {
    variant: Arc<dyn Variant>,
    table: Shm<Table>,
    stores_opened: AtomicU16,
    polls_max: usize,
    polls_can_run_out: bool,
    state: Box<dyn Any + Send + Sync>,
}

impl Mapi {
    /// A fresh library in `sim`: empty table. `polls_max` bounds every poller's loop;
    /// `polls_can_run_out` unless the default machinery's pollers never reach it.
    pub(crate) fn new(
        sim: &Sim,
        variant: Arc<dyn Variant>,
        polls_max: usize,
        polls_can_run_out: bool,
    ) -> Mapi {
        let state = code(&*variant).setup(&SetupCtx { sim });
        Mapi(Arc::new(MapiInner {
            variant,
            table: Shm::new(Table::default()),
            stores_opened: AtomicU16::new(0),
            polls_max,
            polls_can_run_out,
            state,
        }))
    }

    /// Hash the table and the store counter (the stateful search's fingerprint).
    pub(crate) fn hash_state(&self, h: &mut crate::sim::state::Fp) {
        use std::hash::Hash;
        // Not the store counter: it only numbers new stores.
        self.0.table.peek(|table| table.hash(h));
    }

    /// The variant: its hooks, for code that keeps some of the default policies.
    pub fn policy(&self) -> &dyn Variant {
        &*self.0.variant
    }

    /// How many times a poller may poll before it gives up (`poller-exhausted`).
    pub fn polls_max(&self) -> usize {
        self.0.polls_max
    }

    /// Whether a poller of the default machinery may use up [`Mapi::polls_max`] polls (false
    /// for the engine's budget: see `engine::app::compile`). When it cannot, the poll count
    /// decides nothing, and the stateful search leaves it out of the poller's state.
    pub fn polls_can_run_out(&self) -> bool {
        self.0.polls_can_run_out
    }

    /// Lock the connection-list table: a scheduling point, then exclusive access until the
    /// guard drops. No wait and no other lock may be taken while it is held.
    pub fn table(&self) -> TableGuard<'_> {
        table::lock(&self.0.table)
    }

    /// The state [`Machinery::setup`] made for this execution. Panics (a `model-panic`) when it
    /// is not a `T`.
    pub fn state<T: Any>(&self) -> &T {
        self.0
            .state
            .downcast_ref::<T>()
            .expect("Mapi::state asks for the type Machinery::setup made")
    }

    /// `CreateThread` for a poller the table made: the thread starts with the process token
    /// and takes the creator's when the variant's [`Variant::poller_token`] says so, logs
    /// `poller-started` with the user it runs as, then runs [`Machinery::poll`]. (No scheduling
    /// point.)
    pub fn start_poller(&self, ctx: &Ctx, poller: PollerStart) {
        crate::sim::state::initial(crate::ids::Actor::Poller(poller.id.0), poller);
        let mapi = self.clone();
        ctx.create_thread(poller.id.0, move |pctx| {
            if mapi.0.variant.poller_token() == PollerToken::Creator {
                pctx.impersonate(poller.creator);
            }
            pctx.log(Event::PollerStarted {
                poller: poller.id,
                user: pctx.effective_user(),
            });
            // `Err`: the execution was aborted while the poller waited; it just ends.
            let _ = code(&*mapi.0.variant).poll(&mapi, pctx, poller);
        });
    }

    /// The engine's logon: the variant's code.
    pub(crate) fn logon(&self, ctx: &Ctx) -> Result<Session, Aborted> {
        code(&*self.0.variant).logon(self, ctx)
    }

    /// The engine's store open: a new store id, logged, then the variant's code.
    pub(crate) fn open_store(&self, ctx: &Ctx, session: Session) -> StoreId {
        let store = StoreId(self.0.stores_opened.fetch_add(1, Ordering::Relaxed) + 1);
        crate::canon::born(
            crate::canon::Kind::Store,
            u32::from(store.0),
            ctx.actor().canonical(),
        );
        ctx.log(Event::OpenStore {
            store,
            session: session.id,
        });
        code(&*self.0.variant).open_store(self, ctx, session, store);
        store
    }

    /// The engine's store release: the variant's code, with the world told which release the
    /// thread is in (so that a release that never returns is judged, whatever the code logged),
    /// and `release-done` logged when it returns.
    pub(crate) fn release_store(
        &self,
        ctx: &Ctx,
        session: Session,
        store: StoreId,
    ) -> Result<(), Aborted> {
        ctx.set_releasing(Some((store, session.list)));
        // On `Err` the release stays marked: the thread ends inside it.
        let outcome = code(&*self.0.variant).release_store(self, ctx, session, store)?;
        ctx.set_releasing(None);
        ctx.log(Event::ReleaseDone {
            store,
            timed_out: outcome == WaitOutcome::TimedOut,
        });
        Ok(())
    }

    /// The engine's logoff: the variant's code.
    pub(crate) fn logoff(&self, ctx: &Ctx, session: Session) -> Result<(), Aborted> {
        code(&*self.0.variant).logoff(self, ctx, session)
    }
}

/// The variant's code, or the defaults.
fn code(variant: &dyn Variant) -> &dyn Machinery {
    variant.machinery().unwrap_or(&Defaults)
}

/// The default logon: the first logon of a user context files its connection list under the
/// variant's [`Variant::list_key`] and starts a poller for it; every logon connects a session to
/// its user's list.
pub fn logon(mapi: &Mapi, ctx: &Ctx) -> Result<Session, Aborted> {
    logon_arming(mapi, ctx, Arming::AtCreation)
}

/// [`logon`], with a new poller's wake-up armed as `arming` says.
pub fn logon_arming(mapi: &Mapi, ctx: &Ctx, arming: Arming) -> Result<Session, Aborted> {
    let user = ctx.effective_user();
    let key = ctx.sim().with_sid(user, |sid| mapi.policy().list_key(sid));
    at(("logon", arming));
    let mut table = mapi.table();
    let mut new_poller = None;
    let list = match table.find_by_key(&key) {
        Some(id) => id,
        None => {
            let (id, poller) = table.create_list_with_poller(ctx, key, arming);
            new_poller = Some(poller);
            id
        }
    };
    let session = table.connect(ctx, list);
    // Only a new list changes what a poller would decide; another connection does not.
    let wakes = if new_poller.is_some() {
        table.wakes()
    } else {
        Wakes::none()
    };
    drop(table);
    if let Some(poller) = new_poller {
        at(("logon:start-poller", session, &wakes, poller));
        mapi.start_poller(ctx, poller);
    }
    wakes.wake(ctx);
    Ok(session)
}

/// The default store release: queue the store's work on the session's list (first starting a
/// new poller when the variant's [`Variant::on_dead_poller`] says so and the list's has exited)
/// and wait for the poller's signal as [`Variant::release_wait`] says.
pub fn release_store(
    mapi: &Mapi,
    ctx: &Ctx,
    session: Session,
    store: StoreId,
) -> Result<WaitOutcome, Aborted> {
    let event = ctx.create_event(true);
    at(("release", session, store, event));
    let mut table = mapi.table();
    let old = table.owner(session.list);
    let mut respawned = None;
    if mapi.policy().on_dead_poller() == OnDeadPoller::Respawn && table.exited(old) {
        respawned = Some(table.replace_poller(ctx, session.list));
    }
    let wait = mapi.policy().release_wait();
    table.queue_release(ctx, session, store, event, wait == ReleaseWait::Timeout);
    let wakes = table.wakes();
    drop(table);
    if let Some(poller) = respawned {
        at((
            "release:start-poller",
            session,
            store,
            event,
            &wakes,
            poller,
        ));
        mapi.start_poller(ctx, poller);
    }
    wakes.wake(ctx);
    at(("release:wait", session, store, event));
    match wait {
        ReleaseWait::Infinite => ctx.try_wait(event).map(|()| WaitOutcome::Signalled),
        ReleaseWait::Timeout => ctx.try_wait_timeout(event),
    }
}

/// The default logoff: the session's connection leaves its list; an empty list is removed from
/// the table, and then, in a second step, its poller is told to stop. (The caller releases the
/// session's stores first.) The two steps are separate, as in a library that unlinks the list
/// from shared memory and then signals the poller's thread: a poller can poll in between and
/// find its list gone.
pub fn logoff(mapi: &Mapi, ctx: &Ctx, session: Session) -> Result<(), Aborted> {
    at(("logoff", session));
    let mut table = mapi.table();
    if !table.disconnect(ctx, session) {
        return Ok(());
    }
    let poller = table.remove_list(ctx, session.list);
    let wakes = table.wakes();
    drop(table);
    wakes.wake(ctx);

    at(("logoff:stop", session, poller));
    let mut table = mapi.table();
    table.request_stop(ctx, poller);
    let wakes = table.wakes();
    drop(table);
    wakes.wake(ctx);
    Ok(())
}

/// What a poller keeps from one poll to the next.
pub struct PollState {
    /// The list it took the last time it found one (`poller-found` is logged when it changes).
    pub last_found: Option<ListId>,
    users: Arc<Vec<Sid>>,
}

impl PollState {
    /// A poller's state before its first poll.
    pub fn new(ctx: &Ctx) -> PollState {
        PollState {
            last_found: None,
            // Shared with the world (no copy of the SID); held across scheduling points.
            users: ctx.sim().users(),
        }
    }
}

/// How a poller's search of the table ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Searched {
    /// It took a list and did its pending work (maybe none).
    Worked(ListId),
    /// It found no list to take and exited (`poller-quit`): the poller must return.
    Quit,
}

/// The default poller: idle until the table changes, see whether it was asked to stop, search
/// the table and do its list's work; at most [`Mapi::polls_max`] times. Seeing the stop request
/// and searching are two steps (two scheduling points), as in a poller that wakes from its wait,
/// checks its stop flag, and only then takes the shared-memory lock to search: between them its
/// list may be removed and another user's list built.
pub fn poll(mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
    at(("poll", me));
    let wake = mapi.table().wake_event(me.id);
    let mut state = PollState::new(ctx);
    for polls in 0..mapi.polls_max() {
        // What the stateful search keeps of the count: nothing when the budget is out of reach.
        let polled = mapi.polls_can_run_out().then_some(polls);
        if polled.is_none() && crate::sim::state::recording() {
            // The argument for leaving the count out (`engine::app::compile`), checked on every
            // execution the stateful search runs: a poller never starts its last poll.
            assert!(
                polls + 1 < mapi.polls_max(),
                "a poller reached its poll budget, which the stateful search assumes it cannot"
            );
        }
        at(("poll:see-stop", me, wake, polled, state.last_found));
        if see_stop(mapi, ctx, me) {
            return Ok(());
        }
        at(("poll:search", me, wake, polled, state.last_found));
        if search(mapi, ctx, me, &mut state) == Searched::Quit {
            return Ok(());
        }
        at(("poll:wait", me, wake, polled, state.last_found));
        ctx.try_wait(wake)?;
    }
    at(("poll:exhausted", me));
    mapi.table().exhausted(ctx, me.id);
    Ok(())
}

/// The stateful search's declaration of what the default routines keep at their next
/// scheduling point (see `sim::state::at`; nothing when that search is not running).
fn at(locals: impl std::hash::Hash) {
    crate::sim::state::at(locals);
}

/// A poller's first step after waking: whether it was asked to stop (a scheduling point); if so
/// it has exited (`poller-stopped`) and must return.
pub fn see_stop(mapi: &Mapi, ctx: &Ctx, me: PollerStart) -> bool {
    let mut table = mapi.table();
    if table.stop_requested(me.id) {
        table.stopped(ctx, me.id);
        return true;
    }
    false
}

/// A poller's search (a scheduling point): the list the variant's [`Variant::find_own_list`]
/// takes, and its pending work done and signalled; with none, the poller exits
/// (`poller-quit`), first signalling every pending release it can see when
/// [`Variant::on_list_missing`] says so.
pub fn search(mapi: &Mapi, ctx: &Ctx, me: PollerStart, state: &mut PollState) -> Searched {
    search_locked(mapi, ctx, me, state, mapi.table())
}

/// [`search`] in a table the poller has already locked (a poller that sees its stop request
/// and searches in one step, with no window between them, does both in one guard).
pub fn search_locked(
    mapi: &Mapi,
    ctx: &Ctx,
    me: PollerStart,
    state: &mut PollState,
    mut table: TableGuard<'_>,
) -> Searched {
    let variant = mapi.policy();
    let user = ctx.effective_user();
    let views = table.views();
    let lists = views.len() as u16;
    let found = variant.find_own_list(
        views.as_slice(),
        &PollerView {
            id: me.id,
            user: &state.users[user.0 as usize],
            bound: me.list,
        },
    );
    drop(views);
    match found.filter(|&id| table.has_list(id)) {
        Some(list) => {
            let work = table.take_work(list);
            if state.last_found != Some(list) {
                state.last_found = Some(list);
                table.found(ctx, me.id, lists, list);
            }
            drop(table);
            for item in work.as_slice() {
                item.done(ctx, me.id, list);
            }
            Searched::Worked(list)
        }
        None => {
            table.quit(ctx, me.id, lists);
            let abandoned: Vec<Work> = match variant.on_list_missing() {
                OnListMissing::QuitSilently => Vec::new(),
                OnListMissing::SignalAndQuit => table.take_all_work(),
            };
            drop(table);
            for item in abandoned {
                item.abandon(ctx, me.id);
            }
            Searched::Quit
        }
    }
}
