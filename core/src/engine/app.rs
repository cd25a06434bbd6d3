//! The application: a scenario compiled into `CompiledOp`s, and the thread interpreter that runs
//! them over the MAPI machinery, with its implicit cleanup.
//!
//! A thread's unnamed sessions and stores are its own (only it can name them), kept in short
//! inline lists as before. Named handles are process-wide: their state (open, being released
//! by whom, closed) lives in a [`Shm`] that every named op locks, so that the order of two
//! threads' uses of one handle is a scheduling choice the complete search sees. A scenario
//! without named handles never touches it: its schedules are the ones it always had.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::mapi::{Mapi, Session};
use crate::monitor::AppPlan;
use crate::scenario::{Names, Op, Scenario};
use crate::sim::short::Short;
use crate::sim::{Aborted, Ctx, EventId, LockId, Shm, Sim, UserId};
use crate::trace::{Event, ListId, SessionId, SkippedOp, StoreId, WaitOn};
use crate::variant::Variant;

/// An op with its names interned, ready to run: the engine's narrower form of [`Op`] (`Copy`,
/// names as indices, made by [`compile`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum CompiledOp {
    Impersonate(UserId),
    Revert,
    Logon,
    LogonAs(u16),
    OpenStore,
    OpenStoreAs { session: Option<u16>, store: u16 },
    ReleaseStore,
    ReleaseStoreNamed(u16),
    Logoff,
    LogoffNamed(u16),
    Spawn(u8),
    Join(u8),
    Signal(u16),
    Wait(u16),
    Lock(u16),
    Unlock(u16),
}

/// A scenario compiled for the engine: users interned, ops as `CompiledOp`s, repeats expanded.
pub(crate) struct Compiled {
    /// Shared by every execution's world (interned once, never copied per execution).
    pub(crate) users: Arc<Vec<crate::sim::Sid>>,
    threads: Vec<Vec<CompiledOp>>,
    /// Per thread: it starts only when spawned.
    spawned: Vec<bool>,
    pub(crate) polls_max: usize,
    /// A poller of the default machinery may use up `polls_max` (never, with this budget).
    pub(crate) polls_can_run_out: bool,
    /// Per thread, its `logon` ops (what `monitor::settle` needs to know about the future).
    pub(crate) logon_ops: Vec<usize>,
    /// Who spawns and signals what (the monitors' wait-for chains).
    pub(crate) plan: AppPlan,
    names: Names,
    /// Some thread joins another: every thread gets a "finished" event.
    joins: bool,
    /// Some op names a handle: the process-wide handle table exists.
    named: bool,
    /// The application threads that are interchangeable ([`symmetry`]).
    symmetry: Symmetry,
}

/// Permutations of application threads that map a scenario to itself ([`symmetry`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Symmetry {
    /// Every permutation (`group[g][i]`: thread `i`'s image), the identity first; empty when
    /// there is none but the identity.
    pub(crate) group: Vec<Vec<u8>>,
    /// The sets of threads the group permutes among themselves (each runs the same ops).
    pub(crate) classes: Vec<Vec<u8>>,
}

impl Compiled {
    /// The application threads that are interchangeable ([`symmetry`]).
    pub(crate) fn symmetry(&self) -> &Symmetry {
        &self.symmetry
    }
}

/// The application threads that are interchangeable: threads that run the same ops, in a
/// scenario where every thread starts at once and nothing names a thread (no spawn, join or
/// named handle). Permuting such threads maps every execution to one that behaves alike (the
/// model reads a thread's index only to name it), so the stateful search stores one state of
/// each orbit (`canon::set_symmetry`). The group is every permutation within each class of
/// threads with the same ops, largest class first, as far as [`crate::canon::PERMS_MAX`] allows
/// (a class too large for it is permuted in its first members only: still a group).
fn symmetry(threads: &[Vec<CompiledOp>], spawned: &[bool], joins: bool, named: bool) -> Symmetry {
    let names_a_thread = threads
        .iter()
        .flatten()
        .any(|op| matches!(op, CompiledOp::Spawn(_) | CompiledOp::Join(_)));
    let count = threads.len().min(usize::from(u8::MAX));
    if joins || named || names_a_thread || spawned.contains(&true) || count < 2 {
        return Symmetry::default();
    }
    let mut classes: Vec<Vec<u8>> = Vec::new();
    for index in 0..count {
        match classes
            .iter_mut()
            .find(|class| threads[usize::from(class[0])] == threads[index])
        {
            Some(class) => class.push(index as u8),
            None => classes.push(vec![index as u8]),
        }
    }
    classes.retain(|class| class.len() > 1);
    classes.sort_by_key(|class| std::cmp::Reverse(class.len()));
    let identity: Vec<u8> = (0..count as u8).collect();
    let mut group = vec![identity];
    let mut kept = Vec::new();
    for class in classes {
        let mut k = class.len();
        while k > 1 && group.len() * factorial(k) > crate::canon::PERMS_MAX {
            k -= 1;
        }
        if k < 2 {
            continue;
        }
        let members = &class[..k];
        let mut product = Vec::new();
        for g in &group {
            for order in permutations(k) {
                let mut image = g.clone();
                for (i, &member) in members.iter().enumerate() {
                    image[usize::from(member)] = members[order[i]];
                }
                product.push(image);
            }
        }
        group = product;
        kept.push(members.to_vec());
    }
    if kept.is_empty() {
        return Symmetry::default();
    }
    Symmetry {
        group,
        classes: kept,
    }
}

fn factorial(k: usize) -> usize {
    (1..=k).product()
}

/// Every order of `0..k`, the identity first (lexicographic).
fn permutations(k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for first in 0..k {
        for rest in permutations(k - 1) {
            let mut order = vec![first];
            order.extend(rest.into_iter().map(|r| if r >= first { r + 1 } else { r }));
            out.push(order);
        }
    }
    out
}

pub(crate) fn compile(scenario: &Scenario) -> Compiled {
    let users = scenario.users();
    let names = scenario.names();
    let intern = |sid| {
        UserId(
            users
                .iter()
                .position(|u| u == sid)
                .expect("users() lists every SID") as u16,
        )
    };
    let index = |list: &[String], name: &str| Names::index(list, name).unwrap_or(u16::MAX);
    let thread = |name: &str| scenario.thread_index(name).map_or(u8::MAX, |t| t as u8);
    let expanded: Vec<Vec<Op>> = scenario.threads.iter().map(|t| t.expanded()).collect();
    let threads: Vec<Vec<CompiledOp>> = expanded
        .iter()
        .map(|ops| {
            ops.iter()
                .map(|op| match op {
                    Op::Impersonate(sid) | Op::ImpersonateUser { sid, .. } => {
                        CompiledOp::Impersonate(intern(sid))
                    }
                    Op::Revert => CompiledOp::Revert,
                    Op::Logon => CompiledOp::Logon,
                    Op::LogonAs(name) => CompiledOp::LogonAs(index(&names.sessions, name)),
                    Op::OpenStore => CompiledOp::OpenStore,
                    Op::OpenStoreAs { session, name } => CompiledOp::OpenStoreAs {
                        session: session.as_ref().map(|s| index(&names.sessions, s)),
                        store: index(&names.stores, name),
                    },
                    Op::ReleaseStore => CompiledOp::ReleaseStore,
                    Op::ReleaseStoreNamed(name) => {
                        CompiledOp::ReleaseStoreNamed(index(&names.stores, name))
                    }
                    Op::Logoff => CompiledOp::Logoff,
                    Op::LogoffNamed(name) => CompiledOp::LogoffNamed(index(&names.sessions, name)),
                    Op::Spawn(name) => CompiledOp::Spawn(thread(name)),
                    Op::Join(name) => CompiledOp::Join(thread(name)),
                    Op::Signal(name) => CompiledOp::Signal(index(&names.events, name)),
                    Op::Wait(name) => CompiledOp::Wait(index(&names.events, name)),
                    Op::Lock(name) => CompiledOp::Lock(index(&names.locks, name)),
                    Op::Unlock(name) => CompiledOp::Unlock(index(&names.locks, name)),
                    Op::Repeat { .. } => unreachable!("expanded() leaves no repeat"),
                })
                .collect()
        })
        .collect();
    // Every table change wakes every armed poller once (`Wakes::wake`), and the default
    // machinery makes at most three of them per op: a logon one, the logoff of its session
    // (explicit or implicit, once per session) two, the release of a store (explicit or
    // implicit, once per store, whichever op opened it) one, every other op none. A poller
    // polls once and then once per wake-up it consumes (its wait returns only on a set of its
    // auto-reset wake event), so at most `1 + 3 * ops` times: this budget is never what ends a
    // poller of the default machinery, and the stateful search may leave the poll count out of
    // a poller's state (`Mapi::polls_can_run_out`; `mapi::poll` checks it on every execution).
    let ops = scenario.ops_total();
    let polls_max = 4 * ops + 16;
    let polls_can_run_out = polls_max <= 1 + 3 * ops;
    let logon_ops = expanded
        .iter()
        .map(|ops| ops.iter().filter(|op| op.is_logon()).count())
        .collect();
    let any = |f: fn(&Op) -> bool| expanded.iter().flatten().any(f);
    let plan = AppPlan {
        spawned: scenario.threads.iter().map(|t| t.spawned).collect(),
        spawns: threads_ops(&threads, |op| match op {
            CompiledOp::Spawn(t) => Some(t),
            _ => None,
        }),
        signals: threads_ops(&threads, |op| match op {
            CompiledOp::Signal(e) => Some(e),
            _ => None,
        }),
    };
    let spawned: Vec<bool> = scenario.threads.iter().map(|t| t.spawned).collect();
    let joins = any(|op| matches!(op, Op::Join(_)));
    let named = !names.sessions.is_empty() || !names.stores.is_empty();
    Compiled {
        users: Arc::new(users),
        symmetry: symmetry(&threads, &spawned, joins, named),
        threads,
        spawned,
        polls_max,
        polls_can_run_out,
        logon_ops,
        plan,
        joins,
        named,
        names,
    }
}

/// Per thread, what `pick` finds in its ops.
fn threads_ops<T>(
    threads: &[Vec<CompiledOp>],
    pick: impl Fn(CompiledOp) -> Option<T>,
) -> Vec<Vec<T>> {
    threads
        .iter()
        .map(|ops| ops.iter().filter_map(|&op| pick(op)).collect())
        .collect()
}

/// One execution's application: the library, and the objects the threads share.
struct App {
    mapi: Mapi,
    compiled: Arc<Compiled>,
    /// Per thread, set when it has finished (only when some thread joins).
    done: Vec<EventId>,
    /// The application events, by index (manual-reset).
    events: Vec<EventId>,
    locks: Vec<LockId>,
    /// Per thread: it has been spawned (or started at once).
    started: Vec<AtomicBool>,
    /// The named handles (only when the scenario names one).
    handles: Option<Shm<Handles>>,
}

/// One execution: start the threads that start at once, join them, then join the pollers and
/// spawned threads they made.
pub(crate) fn run_execution(sim: &Sim, variant: Arc<dyn Variant>, compiled: Arc<Compiled>) {
    crate::canon::set_symmetry(&compiled.symmetry.group);

    let mapi = Mapi::new(sim, variant, compiled.polls_max, compiled.polls_can_run_out);
    let count = compiled.threads.len();
    let app = Arc::new(App {
        mapi,
        done: if compiled.joins {
            (0..count).map(|_| sim.create_event(true)).collect()
        } else {
            Vec::new()
        },
        events: (0..compiled.names.events.len())
            .map(|_| sim.create_event(true))
            .collect(),
        locks: compiled
            .names
            .locks
            .iter()
            .map(|name| sim.create_lock(name))
            .collect(),
        // Only a scenario with spawned threads spawns (a spawn op elsewhere is skipped).
        started: if compiled.spawned.contains(&true) {
            compiled
                .spawned
                .iter()
                .map(|&spawned| AtomicBool::new(!spawned))
                .collect()
        } else {
            Vec::new()
        },
        handles: compiled
            .named
            .then(|| Shm::new(Handles::new(&compiled.names))),
        compiled,
    });
    let weak = Arc::downgrade(&app);
    crate::sim::state::set_source(move |h| {
        if let Some(app) = weak.upgrade() {
            app.hash_state(h);
        }
    });
    crate::sim::state::set_past(crate::monitor::hash_past_running);
    let handles: Vec<_> = (0..count)
        .filter(|&index| !app.compiled.spawned[index])
        .map(|index| {
            let app = app.clone();
            let handle = sim.spawn_app(index as u8, move |ctx| thread_main(ctx, &app, index as u8));
            (index as u8, handle)
        })
        .collect();
    for (_, handle) in handles {
        // Which thread main joins is left out of its locals: joining has no effect on the model
        // (main only waits, and marks the execution complete once every thread has ended), so
        // the states that differ only in how far main got through the finished threads, or in
        // the order it joins interchangeable ones (`canon::set_symmetry`), behave alike.
        crate::sim::state::at("main:join");
        handle.join();
    }
    // In creation order; threads created meanwhile are joined after the ones before them.
    let mut joined = 0usize;
    while let Some(next) = sim.next_join() {
        crate::sim::state::at(("main:join-created", joined));
        joined += 1;
        next.join();
    }
    sim.complete();
}

impl App {
    /// Hash the shared memory of the execution (the stateful search's fingerprint): the MAPI
    /// table, which threads were spawned, the named handles.
    fn hash_state(&self, h: &mut crate::sim::state::Fp) {
        use std::hash::Hash;
        self.mapi.hash_state(h);
        for started in &self.started {
            started.load(Ordering::Relaxed).hash(h);
        }
        if let Some(handles) = &self.handles {
            handles.peek(|handles| handles.hash(h));
        }
    }
}

fn thread_main(ctx: &mut Ctx, app: &Arc<App>, index: u8) {
    // `Err`: the execution was aborted while the thread waited; it just ends.
    let _ = Thread::new(app.clone(), index).run(ctx);
}

/// A session this thread logged on: shared when it is named (`Some(record)`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct MySession {
    session: Session,
    shared: Option<u16>,
}

/// A store this thread opened: shared when it, or its session, is named.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct MyStore {
    store: StoreId,
    session: Session,
    shared: Option<u16>,
}

/// The filler of unused inline slots.
const NO_SESSION: Session = Session {
    id: SessionId(0),
    list: ListId(0),
};
const NO_MINE: MySession = MySession {
    session: NO_SESSION,
    shared: None,
};
const NO_STORE: MyStore = MyStore {
    store: StoreId(0),
    session: NO_SESSION,
    shared: None,
};

/// The process-wide named handles: every session and store record ever bound, and what each
/// name is bound to now.
#[derive(Hash)]
struct Handles {
    sessions: Vec<SharedSession>,
    stores: Vec<SharedStore>,
    session_names: Vec<Option<u16>>,
    store_names: Vec<Option<u16>>,
}

#[derive(Hash)]
struct SharedSession {
    session: Session,
    open: bool,
}

#[derive(Hash)]
struct SharedStore {
    store: StoreId,
    session: Session,
    state: StoreState,
}

#[derive(Copy, Clone, PartialEq, Eq, Hash)]
enum StoreState {
    Open,
    /// Being released by application thread `by`; `done` is set when that release returned.
    Releasing {
        by: u8,
        done: EventId,
    },
    Closed,
}

impl Handles {
    fn new(names: &Names) -> Handles {
        Handles {
            sessions: Vec::new(),
            stores: Vec::new(),
            session_names: vec![None; names.sessions.len()],
            store_names: vec![None; names.stores.len()],
        }
    }

    fn open_session(&self, name: u16) -> Option<u16> {
        let record = (*self.session_names.get(name as usize)?)?;
        self.sessions[record as usize].open.then_some(record)
    }

    fn add_store(&mut self, store: StoreId, session: Session) -> u16 {
        self.stores.push(SharedStore {
            store,
            session,
            state: StoreState::Open,
        });
        self.stores.len() as u16 - 1
    }
}

/// One application thread's state while it runs its ops.
struct Thread {
    app: Arc<App>,
    me: u8,
    sessions: Short<MySession, 4>,
    stores: Short<MyStore, 4>,
    locks: Short<LockId, 2>,
}

impl Thread {
    fn new(app: Arc<App>, me: u8) -> Thread {
        Thread {
            app,
            me,
            sessions: Short::new(NO_MINE),
            stores: Short::new(NO_STORE),
            locks: Short::new(LockId(0)),
        }
    }

    fn mapi(&self) -> &Mapi {
        &self.app.mapi
    }

    fn handles(&self) -> &Shm<Handles> {
        self.app
            .handles
            .as_ref()
            .expect("a scenario that names a handle has the handle table")
    }

    /// Its ops in order, then the implicit cleanup of what it left open. `Err` when the
    /// execution was aborted while the thread waited: it does nothing more.
    fn run(&mut self, ctx: &mut Ctx) -> Result<(), Aborted> {
        let app = self.app.clone();
        for (index, &op) in app.compiled.threads[self.me as usize].iter().enumerate() {
            // A reset point of the stateful search: all this thread keeps between its ops.
            crate::sim::state::reset(
                (index, &self.sessions, &self.stores, &self.locks),
                app.handles.is_none(),
            );
            self.run_op(ctx, op)?;
        }
        ctx.set_implicit(true);
        while let Some(mine) = self.stores.pop() {
            crate::sim::state::reset(
                ("cleanup", mine, &self.sessions, &self.stores, &self.locks),
                app.handles.is_none(),
            );
            self.release_mine(ctx, mine)?;
        }
        while let Some(mine) = self.sessions.pop() {
            crate::sim::state::reset(
                ("cleanup", mine, &self.sessions, &self.stores, &self.locks),
                app.handles.is_none(),
            );
            if self.close_session(mine) {
                self.logoff(ctx, mine)?;
            }
        }
        while let Some(lock) = self.locks.pop() {
            ctx.unlock(lock);
        }
        ctx.set_implicit(false);
        ctx.log(Event::ThreadDone);
        if let Some(&done) = app.done.get(self.me as usize) {
            ctx.set_event(done);
        }
        Ok(())
    }

    fn run_op(&mut self, ctx: &mut Ctx, op: CompiledOp) -> Result<(), Aborted> {
        match op {
            CompiledOp::Impersonate(user) => {
                ctx.impersonate(user);
                ctx.log(Event::Impersonate { user });
            }
            CompiledOp::Revert => {
                if ctx.impersonating().is_some() {
                    ctx.revert();
                    ctx.log(Event::Revert);
                } else {
                    ctx.log(Event::Skipped {
                        op: SkippedOp::Revert,
                    });
                }
            }
            CompiledOp::Logon => {
                let session = self.mapi().logon(ctx)?;
                self.sessions.push(MySession {
                    session,
                    shared: None,
                });
            }
            CompiledOp::LogonAs(name) => self.logon_as(ctx, name)?,
            CompiledOp::OpenStore => match self.newest_open_session() {
                Some(mine) => self.open_store(ctx, mine, None),
                None => skipped(ctx, SkippedOp::OpenStore),
            },
            CompiledOp::OpenStoreAs { session, store } => self.open_named(ctx, session, store),
            CompiledOp::ReleaseStore => match self.take_newest_store(ctx) {
                Some(mine) => self.release(ctx, mine)?,
                None => skipped(ctx, SkippedOp::ReleaseStore),
            },
            CompiledOp::ReleaseStoreNamed(name) => self.release_named(ctx, name)?,
            CompiledOp::Logoff => match self.take_newest_session() {
                Some(mine) => self.logoff(ctx, mine)?,
                None => skipped(ctx, SkippedOp::Logoff),
            },
            CompiledOp::LogoffNamed(name) => self.logoff_named(ctx, name)?,
            CompiledOp::Spawn(thread) => {
                crate::sim::state::at("spawn");
                self.spawn(ctx, thread);
            }
            // A scenario built without `validate` may name no thread: nothing to join.
            CompiledOp::Join(thread) => match self.app.done.get(thread as usize) {
                Some(&event) => {
                    crate::sim::state::at("join");
                    self.wait(ctx, WaitOn::Thread(thread), event)?;
                }
                None => skipped(ctx, SkippedOp::Join),
            },
            CompiledOp::Signal(event) => {
                ctx.log(Event::AppSignal { event });
                ctx.set_event(self.app.events[event as usize]);
            }
            CompiledOp::Wait(event) => {
                crate::sim::state::at("wait");
                self.wait(ctx, WaitOn::Event(event), self.app.events[event as usize])?;
            }
            CompiledOp::Lock(lock) => {
                let id = self.app.locks[lock as usize];
                if self.locks.as_slice().contains(&id) {
                    skipped(ctx, SkippedOp::Lock);
                } else {
                    crate::sim::state::at("lock");
                    ctx.lock(id)?;
                    self.locks.push(id);
                }
            }
            CompiledOp::Unlock(lock) => {
                let id = self.app.locks[lock as usize];
                if self.locks.as_slice().contains(&id) {
                    self.locks.retain(|&l| l != id);
                    ctx.unlock(id);
                } else {
                    skipped(ctx, SkippedOp::Unlock);
                }
            }
        }
        Ok(())
    }

    fn wait(&self, ctx: &Ctx, on: WaitOn, event: EventId) -> Result<(), Aborted> {
        ctx.log(Event::AppWait { on, event });
        ctx.try_wait(event)?;
        ctx.log(Event::AppWaitDone { on });
        Ok(())
    }

    fn spawn(&self, ctx: &Ctx, thread: u8) {
        // `validate` guarantees a `spawned` thread, spawned once; a scenario built without it
        // gets the op skipped instead of a thread started twice.
        let fresh = self
            .app
            .started
            .get(thread as usize)
            .is_some_and(|started| !started.swap(true, Ordering::Relaxed));
        if !fresh || !self.app.compiled.spawned[thread as usize] {
            return skipped(ctx, SkippedOp::Spawn);
        }
        ctx.log(Event::Spawn { thread });
        let app = self.app.clone();
        ctx.spawn_app_thread(thread, move |ctx| thread_main(ctx, &app, thread));
    }

    fn logon_as(&mut self, ctx: &Ctx, name: u16) -> Result<(), Aborted> {
        let session = self.mapi().logon(ctx)?;
        let mut handles = self.handles().lock();
        handles.sessions.push(SharedSession {
            session,
            open: true,
        });
        let record = handles.sessions.len() as u16 - 1;
        handles.session_names[name as usize] = Some(record);
        drop(handles);
        self.sessions.push(MySession {
            session,
            shared: Some(record),
        });
        Ok(())
    }

    /// The newest of this thread's sessions that is still open (named ones another thread
    /// logged off are dropped from its list on the way).
    fn newest_open_session(&mut self) -> Option<MySession> {
        loop {
            let mine = *self.sessions.last()?;
            let Some(record) = mine.shared else {
                return Some(mine);
            };
            if self.handles().lock().sessions[record as usize].open {
                return Some(mine);
            }
            self.sessions.pop();
        }
    }

    /// Take the newest of this thread's open sessions to log it off (a named one is marked
    /// closed in the same critical section, so no other thread logs it off too).
    fn take_newest_session(&mut self) -> Option<MySession> {
        while let Some(mine) = self.sessions.pop() {
            if self.close_session(mine) {
                return Some(mine);
            }
        }
        None
    }

    /// Mark a session closed: `false` when it is named and another thread closed it first.
    fn close_session(&self, mine: MySession) -> bool {
        let Some(record) = mine.shared else {
            return true;
        };
        let mut handles = self.handles().lock();
        std::mem::replace(&mut handles.sessions[record as usize].open, false)
    }

    /// Open a store on `mine` (named `store` when given). On a named session the check that it
    /// is still open and the opening are one critical section.
    fn open_store(&mut self, ctx: &Ctx, mine: MySession, store: Option<u16>) {
        if mine.shared.is_none() && store.is_none() {
            let store = self.mapi().open_store(ctx, mine.session);
            self.stores.push(MyStore {
                store,
                session: mine.session,
                shared: None,
            });
            return;
        }
        let mut handles = self.handles().lock();
        if let Some(record) = mine.shared {
            if !handles.sessions[record as usize].open {
                drop(handles);
                return skipped(ctx, SkippedOp::OpenStore);
            }
        }
        let opened = self.app.mapi.open_store(ctx, mine.session);
        let record = handles.add_store(opened, mine.session);
        if let Some(name) = store {
            handles.store_names[name as usize] = Some(record);
        }
        drop(handles);
        self.stores.push(MyStore {
            store: opened,
            session: mine.session,
            shared: Some(record),
        });
    }

    fn open_named(&mut self, ctx: &Ctx, session: Option<u16>, store: u16) {
        let target = match session {
            None => self.newest_open_session(),
            Some(name) => {
                let handles = self.handles().lock();
                handles.open_session(name).map(|record| MySession {
                    session: handles.sessions[record as usize].session,
                    shared: Some(record),
                })
            }
        };
        match target {
            Some(mine) => self.open_store(ctx, mine, Some(store)),
            None => skipped(ctx, SkippedOp::OpenStore),
        }
    }

    /// Take the newest of this thread's open stores for a release (a shared one is marked as
    /// being released by this thread, in the same critical section).
    fn take_newest_store(&mut self, ctx: &Ctx) -> Option<MyStore> {
        while let Some(mine) = self.stores.pop() {
            if self.start_release(ctx, mine.shared) {
                return Some(mine);
            }
        }
        None
    }

    /// Mark a shared store as being released by this thread: `false` when it is not open.
    fn start_release(&self, ctx: &Ctx, record: Option<u16>) -> bool {
        let Some(record) = record else {
            return true;
        };
        let mut handles = self.handles().lock();
        let done = ctx.create_event(true);
        let rec = &mut handles.stores[record as usize];
        if rec.state != StoreState::Open {
            return false;
        }
        rec.state = StoreState::Releasing { by: self.me, done };
        true
    }

    /// Release a store this thread took for release, then mark it closed.
    fn release(&self, ctx: &Ctx, mine: MyStore) -> Result<(), Aborted> {
        self.mapi().release_store(ctx, mine.session, mine.store)?;
        if let Some(record) = mine.shared {
            let mut handles = self.handles().lock();
            let rec = &mut handles.stores[record as usize];
            let done = match rec.state {
                StoreState::Releasing { done, .. } => Some(done),
                StoreState::Open | StoreState::Closed => None,
            };
            rec.state = StoreState::Closed;
            drop(handles);
            if let Some(done) = done {
                ctx.set_event(done);
            }
        }
        Ok(())
    }

    /// The implicit cleanup's release: only a store that is still open.
    fn release_mine(&self, ctx: &Ctx, mine: MyStore) -> Result<(), Aborted> {
        if self.start_release(ctx, mine.shared) {
            self.release(ctx, mine)?;
        }
        Ok(())
    }

    fn release_named(&mut self, ctx: &Ctx, name: u16) -> Result<(), Aborted> {
        let record = self.handles().lock().store_names[name as usize];
        let Some(record) = record else {
            skipped(ctx, SkippedOp::ReleaseStore);
            return Ok(());
        };
        if !self.start_release(ctx, Some(record)) {
            skipped(ctx, SkippedOp::ReleaseStore);
            return Ok(());
        }
        let (store, session) = {
            let handles = self.handles().lock();
            let rec = &handles.stores[record as usize];
            (rec.store, rec.session)
        };
        self.stores.retain(|s| s.shared != Some(record));
        self.release(
            ctx,
            MyStore {
                store,
                session,
                shared: Some(record),
            },
        )
    }

    fn logoff_named(&mut self, ctx: &Ctx, name: u16) -> Result<(), Aborted> {
        let closed = {
            let mut handles = self.handles().lock();
            match handles.open_session(name) {
                Some(record) => {
                    handles.sessions[record as usize].open = false;
                    Some((record, handles.sessions[record as usize].session))
                }
                None => None,
            }
        };
        match closed {
            Some((record, session)) => {
                self.sessions.retain(|s| s.shared != Some(record));
                self.logoff(
                    ctx,
                    MySession {
                        session,
                        shared: Some(record),
                    },
                )
            }
            None => {
                skipped(ctx, SkippedOp::Logoff);
                Ok(())
            }
        }
    }

    /// Log off a session already marked closed: release its open stores first (this thread's
    /// own, newest first, then those other threads opened on it), wait for releases of its
    /// stores that other threads have under way, then log off.
    fn logoff(&mut self, ctx: &Ctx, mine: MySession) -> Result<(), Aborted> {
        let session = mine.session;
        let mut own = self.stores.clone();
        own.retain(|s| s.session == session);
        self.stores.retain(|s| s.session != session);
        for &store in own.as_slice().iter().rev() {
            if self.start_release(ctx, store.shared) {
                self.release(ctx, store)?;
            }
        }
        if self.app.handles.is_some() {
            let (others, busy) = self.claim_session_stores(ctx, session);
            for store in others {
                self.release(ctx, store)?;
            }
            for (store, thread, done) in busy {
                self.wait(ctx, WaitOn::Release { store, thread }, done)?;
            }
        }
        self.mapi().logoff(ctx, session)
    }

    /// Of the shared stores on `session`: the open ones, now being released by this thread,
    /// and those another thread is releasing (with the event set when it is done).
    #[allow(clippy::type_complexity)]
    fn claim_session_stores(
        &self,
        ctx: &Ctx,
        session: Session,
    ) -> (Vec<MyStore>, Vec<(StoreId, u8, EventId)>) {
        let mut handles = self.handles().lock();
        let (mut open, mut busy) = (Vec::new(), Vec::new());
        let mut fresh = Vec::new();
        for (record, rec) in handles.stores.iter().enumerate() {
            if rec.session != session {
                continue;
            }
            match rec.state {
                StoreState::Open => fresh.push(record),
                StoreState::Releasing { by, done } if by != self.me => {
                    busy.push((rec.store, by, done))
                }
                StoreState::Releasing { .. } | StoreState::Closed => {}
            }
        }
        for record in fresh.into_iter().rev() {
            let done = ctx.create_event(true);
            let rec = &mut handles.stores[record];
            rec.state = StoreState::Releasing { by: self.me, done };
            open.push(MyStore {
                store: rec.store,
                session,
                shared: Some(record as u16),
            });
        }
        (open, busy)
    }
}

fn skipped(ctx: &Ctx, op: SkippedOp) {
    ctx.log(Event::Skipped { op });
}
