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
//! **Symmetry.** A scenario may have two application threads that run the very same ops (same
//! users, nothing that names one of them: no spawn, join or named handle), such as `same-user`'s
//! T1 and T2. Swapping them maps every reachable state to a reachable state that behaves alike
//! up to the swap, so the stateful search stores one state per such pair
//! ([`set_symmetry`]). To fingerprint a state as its swapped image, every object also has a
//! second name, made the same way from its creator's *swapped* name (a root is swapped with its
//! twin's), and [`with_perm`] makes ids (and application threads, `ids::Actor`) hash by those.
//! The search takes the smaller of the two fingerprints (`sim::stateful`).
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
    /// Per kind, by number: the canonical name, and the name under the swap (0: none).
    names: [Vec<[u64; PERMS_MAX]>; KINDS],
    /// (creator's canonical name, kind) -> how many it made.
    made: Vec<(u64, Kind, u32)>,
    /// Every object's canonical name with its name under the swap (to name what it creates).
    swapped: Vec<(u64, u64)>,
}

const KINDS: usize = 5;

/// The most permutations a fingerprint is taken under: the identity and one swap.
pub(crate) const PERMS_MAX: usize = 2;

thread_local! {
    /// Set while the stateful search runs: objects are named as they are created.
    static NAMING: Cell<bool> = const { Cell::new(false) };
    /// Set while a fingerprint is hashed: ids hash as their canonical names.
    static HASHING: Cell<bool> = const { Cell::new(false) };
    static NAMES: RefCell<Names> = RefCell::new(Names::default());
    /// The two application threads (by index) that run the same ops, while the stateful search
    /// runs a scenario that has them ([`set_symmetry`]).
    static SWAP: Cell<Option<(u8, u8)>> = const { Cell::new(None) };
    /// The permutation ids hash under while a fingerprint is hashed: 0 the identity, 1 the swap.
    static PERM: Cell<usize> = const { Cell::new(0) };
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
        names.swapped.clear();
    });
    SWAP.with(|s| s.set(None));
    PERM.with(|p| p.set(0));
}

/// The execution's body says which two application threads are interchangeable (before any
/// thread runs; only while objects are named, and only for threads that run the same ops and
/// that nothing names: `engine::app::Compiled::symmetry`).
pub(crate) fn set_symmetry(swap: Option<(u8, u8)>) {
    if naming() {
        SWAP.with(|s| s.set(swap.filter(|(a, b)| a != b)));
    }
}

/// The two interchangeable application threads of the running execution, if any.
pub(crate) fn twins() -> Option<(u8, u8)> {
    SWAP.with(Cell::get)
}

/// How many permutations a fingerprint is taken under: 2 with a symmetry, else 1.
pub(crate) fn perms() -> usize {
    if SWAP.with(Cell::get).is_some() {
        2
    } else {
        1
    }
}

/// The permutation ids hash under now ([`with_perm`]).
pub(crate) fn perm() -> usize {
    PERM.with(Cell::get)
}

/// Application thread `index` under permutation `perm`.
fn permute(index: u8, perm: usize) -> u8 {
    match SWAP.with(Cell::get) {
        Some((a, b)) if perm == 1 => {
            if index == a {
                b
            } else if index == b {
                a
            } else {
                index
            }
        }
        _ => index,
    }
}

/// Run `f` with ids hashing under permutation `perm` (0: the identity; see [`perms`]).
pub(crate) fn with_perm<R>(perm: usize, f: impl FnOnce() -> R) -> R {
    let before = PERM.with(|p| p.replace(perm));
    let result = f();
    PERM.with(|p| p.set(before));
    result
}

/// How application thread `index` hashes: under the permutation of [`with_perm`] while a
/// fingerprint is hashed, else as itself.
pub(crate) fn thread(index: u8) -> u8 {
    if HASHING.with(Cell::get) {
        permute(index, PERM.with(Cell::get))
    } else {
        index
    }
}

/// A canonical name (a root or an object's) under permutation `perm`.
pub(crate) fn permuted(name: u64, perm: usize) -> u64 {
    if perm == 0 || name == 0 {
        return name;
    }
    if name < 1 << 62 {
        // A root: an application thread's index plus one.
        return match u8::try_from(name - 1) {
            Ok(index) => root(Some(permute(index, perm))),
            Err(_) => name,
        };
    }
    NAMES.with(|names| {
        names
            .borrow()
            .swapped
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, s)| *s)
    })
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
    name_as(kind, raw, 0)
}

/// The name of object `(kind, raw)` under permutation `perm`, if it was named.
fn name_as(kind: Kind, raw: u32, perm: usize) -> Option<u64> {
    NAMES.with(|names| {
        names.borrow().names[kind as usize]
            .get(raw as usize)
            .map(|names| names[perm])
            .filter(|&name| name != 0)
    })
}

/// The name an object made by `creator` gets as its `count`th of `kind`.
fn make_name(creator: u64, kind: Kind, count: u32) -> u64 {
    let name = creator.rotate_left(17).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ u64::from(count).wrapping_mul(0xBF58_476D_1CE4_E5B9)
        ^ (kind as u64 + 1).wrapping_mul(0x94D0_49BB_1331_11EB);
    // Never 0 or a thread's root name.
    name | 1 << 63
}

/// Object `(kind, raw)` was just created by `creator` (a canonical name): name it.
pub(crate) fn born(kind: Kind, raw: u32, creator: u64) {
    if !naming() {
        return;
    }
    // The creator's name under the swap (a lookup in `swapped`: taken before the borrow below).
    let creator_swapped = if perms() > 1 {
        permuted(creator, 1)
    } else {
        creator
    };
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
        // Its twin made as many of this kind on the swapped path: the same count.
        let name = make_name(creator, kind, count);
        let swapped = make_name(creator_swapped, kind, count);
        if swapped != name {
            names.swapped.push((name, swapped));
        }
        let slots = &mut names.names[kind as usize];
        if slots.len() <= raw as usize {
            slots.resize(raw as usize + 1, [0; PERMS_MAX]);
        }
        slots[raw as usize] = [name, swapped];
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
        if let Some(name) = name_as(kind, raw.into(), PERM.with(Cell::get)) {
            state.write_u64(name);
            return;
        }
    }
    raw.hash(state);
}
