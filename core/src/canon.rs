//! Canonical names of ids, for the stateful search's state fingerprints (`sim::state`).
//!
//! Ids are numbered in creation order (`L1`, `P2`, `S1`, `M3`, events), so two interleavings
//! that create the same objects in another order give them other numbers: as states they would
//! never match, although the model behaves alike up to the renaming (no code orders objects by
//! their ids; the tests compare the stateful search's verdicts and terminal outcomes with
//! DPOR's). While the stateful search runs, every object is also given a *canonical* name when
//! it is created: its creator's canonical name, its kind, and how many objects of that kind the
//! creator had made before. That depends on the creator's own path only, not on the order of
//! other threads. While a fingerprint is hashed ([`hashing`]), the ids' `Hash` impls (in
//! `ids`) write the canonical name instead of the number; at every other time, the number.
//!
//! A leaf module, as `ids` is: everything is on the calling OS thread (all model threads of one
//! execution share it under the controlled scheduler).

use std::cell::{Cell, RefCell};
use std::hash::Hasher;

/// The kinds of id with a canonical name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Event,
    List,
    Session,
    Store,
    Poller,
}

#[derive(Default)]
struct Names {
    /// Per kind, by number: the canonical name (0: none).
    names: [Vec<u64>; KINDS],
    /// (creator's canonical name, kind) -> how many it made.
    made: Vec<(u64, Kind, u32)>,
}

const KINDS: usize = 5;

thread_local! {
    /// Set while the stateful search runs: objects are named as they are created.
    static NAMING: Cell<bool> = const { Cell::new(false) };
    /// Set while a fingerprint is hashed: ids hash as their canonical names.
    static HASHING: Cell<bool> = const { Cell::new(false) };
    static NAMES: RefCell<Names> = RefCell::new(Names::default());
}

/// Name objects as they are created (the stateful search) or not; either way the previous
/// execution's names are forgotten.
pub(crate) fn set_naming(on: bool) {
    NAMING.with(|n| n.set(on));
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        for names in &mut names.names {
            names.clear();
        }
        names.made.clear();
    });
}

/// Whether objects are being named.
pub(crate) fn naming() -> bool {
    NAMING.with(|n| n.get())
}

/// The canonical name of a creator that is not itself a named object: application thread
/// `index`, or the execution's setup (`None`, before any thread runs).
pub(crate) fn root(thread: Option<u8>) -> u64 {
    match thread {
        Some(index) => 1 + u64::from(index),
        None => 0,
    }
}

/// The canonical name of object `(kind, raw)`, if it was named.
pub(crate) fn name(kind: Kind, raw: u32) -> Option<u64> {
    NAMES.with(|names| {
        names.borrow().names[kind as usize]
            .get(raw as usize)
            .copied()
            .filter(|&name| name != 0)
    })
}

/// Object `(kind, raw)` was just created by `creator` (a canonical name): name it.
pub(crate) fn born(kind: Kind, raw: u32, creator: u64) {
    if !naming() {
        return;
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let count = match names
            .made
            .iter_mut()
            .find(|(c, k, _)| *c == creator && *k == kind)
        {
            Some((_, _, count)) => {
                *count += 1;
                *count
            }
            None => {
                names.made.push((creator, kind, 1));
                1
            }
        };
        let mut name = creator.rotate_left(17).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ u64::from(count).wrapping_mul(0xBF58_476D_1CE4_E5B9)
            ^ (kind as u64 + 1).wrapping_mul(0x94D0_49BB_1331_11EB);
        // Never 0 or a thread's root name.
        name |= 1 << 63;
        let slots = &mut names.names[kind as usize];
        if slots.len() <= raw as usize {
            slots.resize(raw as usize + 1, 0);
        }
        slots[raw as usize] = name;
    });
}

/// Run `f` with ids hashing as their canonical names.
pub(crate) fn hashing<R>(f: impl FnOnce() -> R) -> R {
    let before = HASHING.with(|h| h.replace(true));
    let result = f();
    HASHING.with(|h| h.set(before));
    result
}

/// How an id hashes: its canonical name while a fingerprint is hashed and it has one, else its
/// number (as `#[derive(Hash)]` would hash it).
pub(crate) fn hash_id<H: Hasher, N: std::hash::Hash + Into<u32> + Copy>(
    kind: Kind,
    raw: N,
    state: &mut H,
) {
    if HASHING.with(|h| h.get()) {
        if let Some(name) = name(kind, raw.into()) {
            state.write_u64(name);
            return;
        }
    }
    raw.hash(state);
}
