//! What each scheduling step touches, for partial-order reduction (`dpor`, and the stateful
//! search's sleep sets).
//!
//! A step is what one thread does between two scheduling points. While the DPOR scheduler runs
//! (and the stateful search past the prefix it replays),
//! the `sim` primitives record here every shared object a step touches and how: the shared
//! memory of a [`super::Shm`] (a critical section writes it), an event (`SetEvent` sets it, a
//! wait reads it, a wait that consumes an auto-reset event writes it), the threads the step
//! woke, and whether the step completed a quiet point (every thread blocked or finished, so that
//! simulated time fired a timeout, or the stall aborted the execution). Recording is off (one
//! thread-local flag read) under every other scheduler and on real threads.
//!
//! Two steps of different threads are dependent when they touch the same object and at least one
//! writes it; two `Set`s of one event commute (setting a set event changes nothing), as do two
//! `Read`s. Ids, names and the log are not objects: an id only names a thing (two equivalent
//! executions may number their events or stores differently, which no variant and no monitor can
//! tell apart), and the log is what the monitors read, not what threads read.

use std::cell::{Cell, RefCell};

/// A shared object a step can touch.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Obj {
    /// The memory behind one `Shm` (numbered in creation order within the execution), as a
    /// whole: what a critical section that declares nothing touches.
    Shm(u32),
    /// One part of a `Shm`'s memory, as a critical section declared it (see
    /// [`super::ShmGuard::declare`]): the `Shm`'s id and the part's key.
    Part(u32, u32),
    /// An event object.
    Event(u32),
}

impl Obj {
    /// Whether the two name overlapping memory (a whole `Shm` overlaps each of its parts).
    pub(crate) fn overlaps(self, other: Obj) -> bool {
        match (self, other) {
            (Obj::Shm(a), Obj::Part(b, _)) | (Obj::Part(a, _), Obj::Shm(b)) => a == b,
            _ => self == other,
        }
    }
}

/// How a step touches an object.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Reads it (a wait that finds an event unset, or a manual-reset event set).
    Read,
    /// Changes it in a way that depends on its state (a critical section; a wait that consumes
    /// an auto-reset event).
    Write,
    /// Sets an event: commutes with another `Set`, not with a `Read` or `Write`.
    Set,
    /// A wait that found an auto-reset event unset and blocked: it conflicts only with another
    /// thread's consuming wait (`Write`), the order in which two threads contend for one
    /// auto-reset event (a lock): had it run before that wait, it would have consumed the event
    /// itself. With a `Set` it commutes (the set wakes it, and a woken wait does what a wait that
    /// found the event set would).
    Blocked,
}

impl Kind {
    /// Whether two accesses to one object fail to commute.
    pub(crate) fn conflicts(self, other: Kind) -> bool {
        match (self, other) {
            (Kind::Blocked, other) | (other, Kind::Blocked) => other == Kind::Write,
            (Kind::Read, Kind::Read) | (Kind::Set, Kind::Set) => false,
            _ => true,
        }
    }
}

/// One access of a step.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Access {
    pub obj: Obj,
    pub kind: Kind,
    /// For a `Set`: it raised the event (it was unset). For a `Read` or `Write` of an event: a
    /// wait that returned signalled. A raise followed by such a wait is no race worth
    /// reversing: run before the raise, the wait would block and be woken by that very raise,
    /// and a woken wait can go on wherever the one that found the event set could.
    pub special: bool,
}

impl Access {
    /// Whether `self` (earlier) and `later` are a raise and the wait it satisfied.
    pub(crate) fn raise_then_wait(&self, later: &Access) -> bool {
        self.special && later.special && self.kind == Kind::Set && later.kind != Kind::Set
    }
}

/// What one step touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Footprint {
    /// Distinct accesses (a `Write` absorbs a `Read` or a `Set` of the same object).
    pub accesses: Vec<Access>,
    /// The shuttle tasks this step woke (their next step happens after this one).
    pub woke: Vec<usize>,
    /// The step completed a quiet point: it happens after every step before it.
    pub quiet: bool,
}

impl Footprint {
    /// Whether the two steps (of different threads) commute.
    pub(crate) fn independent(&self, other: &Footprint) -> bool {
        self.accesses.iter().all(|a| {
            other
                .accesses
                .iter()
                .all(|b| !a.obj.overlaps(b.obj) || !a.kind.conflicts(b.kind))
        })
    }

    /// Whether the step touched nothing another thread can touch or see: it commutes with every
    /// step of every other thread, and its thread takes it alike from every state where it is
    /// where it is now (it read nothing shared).
    pub(crate) fn invisible(&self) -> bool {
        self.accesses.is_empty() && self.woke.is_empty() && !self.quiet
    }

    fn add(&mut self, obj: Obj, kind: Kind, special: bool) {
        match self.accesses.iter_mut().find(|a| a.obj == obj) {
            Some(a) if a.kind == kind && a.special == special => {}
            // Two different accesses of one object in one step: a plain write.
            Some(a) => {
                a.kind = Kind::Write;
                a.special = false;
            }
            None => self.accesses.push(Access { obj, kind, special }),
        }
    }

    /// Add a later step's accesses (the footprint of a transition of several steps: every object
    /// any of them touched; two different kinds of access of one object count as a write).
    pub(crate) fn join(&mut self, step: Footprint) {
        for a in step.accesses {
            match self.accesses.iter_mut().find(|b| b.obj == a.obj) {
                Some(b) if b.kind == a.kind => b.special &= a.special,
                Some(b) => {
                    b.kind = Kind::Write;
                    b.special = false;
                }
                None => self.accesses.push(a),
            }
        }
        self.quiet |= step.quiet;
    }

    fn clear(&mut self) {
        self.accesses.clear();
        self.woke.clear();
        self.quiet = false;
    }
}

thread_local! {
    /// Whether steps are being recorded on this OS thread (shuttle runs every task of an
    /// execution on the thread that runs the execution).
    static ON: Cell<bool> = const { Cell::new(false) };
    /// The current step's footprint.
    static STEP: RefCell<Footprint> = RefCell::new(Footprint::default());
    /// The number of `Shm`s created so far in this execution: a `Shm`'s id.
    static SHMS: Cell<u32> = const { Cell::new(0) };
    /// The open critical section: its `Shm`'s id, and whether it declared what it touches.
    static SECTION: Cell<Option<(u32, bool)>> = const { Cell::new(None) };
}

/// A critical section of `Shm` `id` begins.
pub(crate) fn open_section(id: u32) {
    SECTION.with(|s| s.set(Some((id, false))));
}

/// The critical section declares that it touches `part` of its memory as `kind`: from now on
/// it is judged by its declarations, not as a write of the whole memory.
pub(crate) fn declare(part: u32, kind: Kind) {
    SECTION.with(|s| {
        if let Some((id, _)) = s.get() {
            s.set(Some((id, true)));
            access(Obj::Part(id, part), kind);
        }
    });
}

/// The critical section declares that it touches nothing that another thread can change.
pub(crate) fn declare_nothing() {
    SECTION.with(|s| {
        if let Some((id, _)) = s.get() {
            s.set(Some((id, true)));
        }
    });
}

/// The critical section ends; one that declared nothing wrote the whole memory.
pub(crate) fn close_section() {
    if let Some((id, declared)) = SECTION.with(|s| s.take()) {
        if !declared {
            access(Obj::Shm(id), Kind::Write);
        }
    }
}

/// Turn recording on or off for the executions run on this OS thread.
pub(crate) fn set_recording(on: bool) {
    ON.with(|o| o.set(on));
    STEP.with(|s| s.borrow_mut().clear());
}

/// A new execution begins: `Shm` ids start again from 0 (so the same prefix of an execution
/// names its objects the same way in every execution).
pub(crate) fn new_execution() {
    SHMS.with(|n| n.set(0));
    STEP.with(|s| s.borrow_mut().clear());
}

/// The id of a `Shm` being created.
pub(crate) fn next_shm_id() -> u32 {
    SHMS.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

/// Take the footprint of the step that just ended (leaving an empty one for the next step).
pub(crate) fn take(into: &mut Footprint) {
    STEP.with(|s| std::mem::swap(&mut *s.borrow_mut(), into));
    STEP.with(|s| s.borrow_mut().clear());
}

fn with_step(f: impl FnOnce(&mut Footprint)) {
    if ON.with(|o| o.get()) {
        STEP.with(|s| f(&mut s.borrow_mut()));
    }
}

/// The current step touches `obj` as `kind`.
pub(crate) fn access(obj: Obj, kind: Kind) {
    with_step(|s| s.add(obj, kind, false));
}

/// The current step sets event `event`; `raised` when it was unset.
pub(crate) fn set_event(event: u32, raised: bool) {
    with_step(|s| s.add(Obj::Event(event), Kind::Set, raised));
}

/// A wait of the current step returned signalled: it read (`Read`) or consumed (`Write`) the
/// event.
pub(crate) fn waited(event: u32, kind: Kind) {
    with_step(|s| s.add(Obj::Event(event), kind, true));
}

/// The current step woke shuttle task `task`.
pub(crate) fn woke(task: usize) {
    with_step(|s| {
        if !s.woke.contains(&task) {
            s.woke.push(task);
        }
    });
}

/// The current step found every thread blocked or finished (a timeout fired, or a stall).
pub(crate) fn quiet() {
    with_step(|s| s.quiet = true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts() {
        use Kind::*;
        assert!(!Read.conflicts(Read));
        assert!(!Set.conflicts(Set));
        assert!(Read.conflicts(Set) && Set.conflicts(Write) && Write.conflicts(Write));
        let mut a = Footprint::default();
        a.add(Obj::Event(1), Set, false);
        let mut b = Footprint::default();
        b.add(Obj::Event(1), Set, false);
        assert!(a.independent(&b));
        b.add(Obj::Event(1), Read, false); // Set then Read of one event: a Write
        assert_eq!(b.accesses[0].kind, Write);
        assert!(!a.independent(&b));
        let mut c = Footprint::default();
        c.add(Obj::Shm(0), Write, false);
        assert!(a.independent(&c));
        let mut d = Footprint::default();
        d.add(Obj::Part(0, 7), Read, false);
        assert!(!c.independent(&d), "a whole Shm overlaps its parts");
        let mut e = Footprint::default();
        e.add(Obj::Part(0, 8), Write, false);
        assert!(d.independent(&e), "different parts commute");
    }
}
