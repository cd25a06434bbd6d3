//! State fingerprints for the stateful search (`--scheduler stateful`, [`super::stateful`]).
//!
//! A fingerprint stands for the whole model state at a scheduling point: the shared world (every
//! thread's token and status, the events, the locks), the shared memory the execution registered
//! ([`set_source`]: the MAPI table, the handle table), what of the log the monitors read
//! ([`set_past`]: `monitor::hash_past`), and each thread's local state. The last one is the hard part: a model thread
//! is ordinary Rust code suspended inside a coroutine, whose locals nobody can read. What the
//! search keeps for it instead is a *digest* that determines it:
//!
//! - At a *reset point* the thread's code states its locals whole: [`reset`] with a hash of
//!   them (an application thread before each op: the op's index and the sessions, stores and
//!   locks it holds; a poller before it waits for a table change: its poll count and the list it
//!   took last). The digest becomes that hash.
//! - Between reset points, the thread's locals are a function of its state at the last reset and
//!   of what it read since. It runs alone between two scheduling points, so what it reads after
//!   resuming is a function of the shared state at that moment: each time a thread resumes
//!   after another one ran, its digest absorbs the hash of the shared state it resumes into
//!   ([`observe`]), with the number of scheduling points it has passed since the reset (which
//!   tells where in its code it stands).
//!
//! That is complete for code that keeps its state in locals, the `sim` world and the registered
//! shared memory — the built-in machinery — and proven on samples by the tests (the same
//! verdicts and terminal outcomes as the stateless DPOR). A variant's own [`crate::mapi::Machinery`]
//! may keep state elsewhere (its `setup` state), so the stateful search refuses such variants.
//!
//! The fingerprint is 128 bits (two independently seeded foldhash streams over the same input): with `n` states
//! stored, the chance that two different states collide, which would prune one unexplored, is
//! about `n² / 2^129` (below 10^-24 for ten million states, 10^-22 for a hundred million).

use std::cell::{Cell, RefCell};
use std::hash::{BuildHasher, Hash, Hasher};

use foldhash::quality::{FixedState, FoldHasher};

use crate::trace::Entry;

/// A 128-bit hasher: two independently seeded foldhash streams fed the same bytes.
pub(crate) struct Fp(FoldHasher<'static>, FoldHasher<'static>);

impl Fp {
    pub(crate) fn new() -> Fp {
        Fp(
            FixedState::with_seed(0x243f_6a88_85a3_08d3).build_hasher(),
            FixedState::with_seed(0x1319_8a2e_0370_7344).build_hasher(),
        )
    }

    pub(crate) fn finish128(&self) -> u128 {
        (u128::from(self.0.finish()) << 64) | u128::from(self.1.finish())
    }
}

impl Hasher for Fp {
    fn finish(&self) -> u64 {
        self.0.finish() ^ self.1.finish()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }

    fn write_u8(&mut self, i: u8) {
        self.0.write_u8(i);
        self.1.write_u8(i);
    }

    fn write_u16(&mut self, i: u16) {
        self.0.write_u16(i);
        self.1.write_u16(i);
    }

    fn write_u32(&mut self, i: u32) {
        self.0.write_u32(i);
        self.1.write_u32(i);
    }

    fn write_u64(&mut self, i: u64) {
        self.0.write_u64(i);
        self.1.write_u64(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.0.write_usize(i);
        self.1.write_usize(i);
    }
}

/// A hash per permutation a fingerprint is taken under (`canon::with_perm`: the identity, and
/// the other permutations of the scenario's symmetry group when it has one).
pub(crate) type Digests = [u128; crate::canon::PERMS_MAX];

/// A thread's local state as the search knows it.
#[derive(Copy, Clone, Default)]
pub(crate) struct Local {
    /// Exact (declared at the thread's current scheduling point with [`at`]), or the hash of
    /// its locals at the last reset point with everything it observed since: per permutation.
    pub digest: Digests,
    /// The hash of what the thread's caller keeps ([`reset`]), part of every [`at`].
    pub outer: Digests,
    /// Scheduling points passed since the last reset or declaration.
    pub points: u32,
    /// It has run at least once.
    pub started: bool,
    /// Its digest holds the shared state it last resumed into (false after a declaration
    /// replaced it): when it goes on past a point without a switch, the search observes it.
    pub anchored: bool,
    /// Its code may declare exact locals ([`reset`] says; pollers and the main task always).
    pub inexact: bool,
}

impl Local {
    /// Hash it as the fingerprint under permutation `perm` takes it.
    pub(crate) fn hash_as<H: Hasher>(&self, perm: usize, h: &mut H) {
        (
            self.digest[perm],
            self.outer[perm],
            self.points,
            self.started,
            self.anchored,
            self.inexact,
        )
            .hash(h);
    }
}

/// Hashes the execution's shared memory (set by the execution's body).
type Source = Box<dyn Fn(&mut Fp)>;

/// Hashes what of the log the monitors read (`monitor::hash_past`), into one hasher per
/// permutation.
pub(crate) type Past = fn(&[Entry], &mut [Fp]);

thread_local! {
    /// Set while the stateful search runs (all model threads share this OS thread).
    static ON: Cell<bool> = const { Cell::new(false) };
    /// Per shuttle task id.
    static LOCALS: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
    /// What of the log the fingerprint holds ([`set_past`]).
    static PAST: Cell<Option<Past>> = const { Cell::new(None) };
    static SOURCE: RefCell<Option<Source>> = const { RefCell::new(None) };
    /// Set while an execution replays the prefix of a state already explored: the locals are
    /// restored whole where the replay ends ([`restore`]), so nothing updates them before.
    static REPLAYING: Cell<bool> = const { Cell::new(false) };
    /// Counts [`new_execution`]s: what is kept of one execution's log (`monitor::past`) is
    /// kept for this number.
    static EXECUTION: Cell<u64> = const { Cell::new(0) };
}

/// The running execution's number on this OS thread (changes at each [`new_execution`]).
pub(crate) fn execution() -> u64 {
    EXECUTION.with(Cell::get)
}

/// Whether the thread's locals are being tracked now: the stateful search runs, and the
/// execution is past the prefix it replays.
fn tracking() -> bool {
    recording() && !REPLAYING.with(Cell::get)
}

/// The execution replays a prefix the search has taken before (`true`), or has reached its end.
pub(crate) fn set_replaying(on: bool) {
    REPLAYING.with(|r| r.set(on));
}

/// Every thread's locals as the search knows them, to [`restore`] where a later execution that
/// replays the same prefix ends its replay.
pub(crate) fn snapshot() -> Vec<Local> {
    LOCALS.with(|l| l.borrow().clone())
}

/// The locals a [`snapshot`] took at the same point of the same prefix (the model is
/// deterministic: the replay reached the state the snapshot was taken in).
pub(crate) fn restore(locals: &[Local]) {
    LOCALS.with(|l| {
        let mut l = l.borrow_mut();
        l.clear();
        l.extend_from_slice(locals);
    });
}

/// Whether the stateful search runs (reset points and the log cost nothing otherwise).
pub(crate) fn recording() -> bool {
    ON.with(|on| on.get())
}

pub(crate) fn set_recording(on: bool) {
    ON.with(|o| o.set(on));
    new_execution();
}

/// Forget the previous execution's locals, names, shared memory and past.
pub(crate) fn new_execution() {
    EXECUTION.with(|e| e.set(e.get() + 1));
    LOCALS.with(|l| l.borrow_mut().clear());
    set_replaying(false);
    PAST.with(|p| p.set(None));
    INITIAL.with(|i| i.borrow_mut().clear());
    SOURCE.with(|s| *s.borrow_mut() = None);
    crate::canon::set_naming(recording());
}

/// The execution's body registers how to hash its shared memory (no scheduling point may be
/// taken inside, and no `Shm` may be locked).
pub(crate) fn set_source(source: impl Fn(&mut Fp) + 'static) {
    if recording() {
        SOURCE.with(|s| *s.borrow_mut() = Some(Box::new(source)));
    }
}

/// `hash(perm, h)` hashed under every permutation the fingerprint is taken under.
fn digests(hash: impl Fn(usize, &mut Fp)) -> Digests {
    let mut out = Digests::default();
    crate::canon::hashing(|| {
        for (perm, out) in out.iter_mut().enumerate().take(crate::canon::perms()) {
            crate::canon::with_perm(perm, || {
                let mut h = Fp::new();
                hash(perm, &mut h);
                *out = h.finish128();
            });
        }
    });
    out
}

fn digest_of(locals: impl Hash) -> Digests {
    digests(|_, h| locals.hash(h))
}

/// The calling thread starts a new unit of work (an application thread's op) holding `locals`:
/// until the next reset, they are a part of every [`at`] its callees declare. Unless `exact`
/// (code whose locals the declarations do not cover, such as named handles' bookkeeping), the
/// declarations are ignored until the next reset and its digest stays a chain of observations.
pub(crate) fn reset(locals: impl Hash, exact: bool) {
    if !tracking() {
        return;
    }
    let digest = digest_of(locals);
    let task = usize::from(super::backend::current_task());
    with_local(task, |local| {
        local.outer = digest;
        local.inexact = !exact;
    });
}

/// The calling thread is about to take a scheduling point, and `locals` (with its last
/// [`reset`]'s) is everything its code keeps there: a label for where it stands and every value
/// it uses after the point. Exact, so two paths that reach the point with the same locals
/// match as states, whatever they observed before.
pub(crate) fn at(locals: impl Hash) {
    if !tracking() {
        return;
    }
    let task = usize::from(super::backend::current_task());
    with_local(task, |local| {
        if local.inexact {
            return;
        }
        let outer = local.outer;
        local.digest = digests(|perm, h| (outer[perm], &locals).hash(h));
        local.points = 0;
        local.anchored = false;
    });
}

/// The execution's body registers what of the log the monitors read (`monitor::hash_past`),
/// which the fingerprint holds in place of the log.
pub(crate) fn set_past(past: Past) {
    if recording() {
        PAST.with(|p| p.set(Some(past)));
    }
}

fn with_local<R>(task: usize, f: impl FnOnce(&mut Local) -> R) -> R {
    LOCALS.with(|locals| {
        let mut locals = locals.borrow_mut();
        if locals.len() <= task {
            locals.resize(task + 1, Local::default());
        }
        f(&mut locals[task])
    })
}

/// The scheduler saw `task` reach a scheduling point: whether, if it goes on at once, what it
/// reads next must be observed as after a switch (its digest no longer holds the shared state
/// it last resumed into: a declaration replaced it).
pub(crate) fn passed_point(task: usize) -> bool {
    with_local(task, |local| {
        local.points += 1;
        !local.anchored
    })
}

/// The calling thread read `value` of the shared state without a scheduling point (a wait that
/// found its event set): its digest absorbs it.
pub(crate) fn read(value: impl Hash) {
    if !tracking() {
        return;
    }
    let task = usize::from(super::backend::current_task());
    let value = digest_of(value);
    with_local(task, |local| {
        let perms = crate::canon::perms();
        for (digest, value) in local.digest.iter_mut().zip(value).take(perms) {
            let mut h = Fp::new();
            (*digest, value).hash(&mut h);
            *digest = h.finish128();
        }
    });
}

/// `task` resumes after another thread ran: its digest absorbs the shared state it resumes into
/// (hashed under each permutation).
pub(crate) fn observe(task: usize, shared: &Digests) {
    with_local(task, |local| {
        let perms = crate::canon::perms();
        for (digest, shared) in local.digest.iter_mut().zip(shared).take(perms) {
            let mut h = Fp::new();
            digest.hash(&mut h);
            local.points.hash(&mut h);
            shared.hash(&mut h);
            *digest = h.finish128();
        }
        local.started = true;
        local.anchored = true;
    });
}

thread_local! {
    /// The locals a thread was created with, by its canonical actor name, until it runs.
    static INITIAL: RefCell<Vec<(u64, Digests)>> = const { RefCell::new(Vec::new()) };
}

/// The thread about to be created as `actor` starts with `locals` (what its closure captured).
pub(crate) fn initial(actor: crate::ids::Actor, locals: impl Hash) {
    if !recording() {
        return;
    }
    let digest = digest_of(locals);
    let name = actor.canonical();
    INITIAL.with(|i| i.borrow_mut().push((name, digest)));
}

/// The locals a thread that has not run yet was created with, as hashed under permutation
/// `perm` (0 when not declared).
pub(crate) fn initial_of(actor: u64, perm: usize) -> u128 {
    INITIAL.with(|i| {
        i.borrow()
            .iter()
            .find(|(a, _)| *a == actor)
            .map_or(0, |(_, d)| d[perm])
    })
}

/// The local state of `task`, as the fingerprint takes it.
pub(crate) fn local_of(task: usize) -> Local {
    with_local(task, |local| *local)
}

/// Hash the registered shared memory into `h`.
pub(crate) fn hash_source(h: &mut Fp) {
    SOURCE.with(|s| {
        if let Some(source) = s.borrow().as_ref() {
            crate::canon::hashing(|| source(h));
        }
    });
}

/// Hash what of `log` decides the monitors' verdicts into `hs[perm]` under each permutation:
/// the registered summary, or the whole log in order (without log indices) when the body
/// registered none.
pub(crate) fn hash_past(log: &[Entry], hs: &mut [Fp]) {
    match PAST.with(Cell::get) {
        Some(past) => past(log, hs),
        None => {
            for (perm, h) in hs.iter_mut().enumerate() {
                crate::canon::with_perm(perm, || {
                    for entry in log {
                        (entry.actor, entry.implicit, entry.event).hash(h);
                    }
                });
            }
        }
    }
}
