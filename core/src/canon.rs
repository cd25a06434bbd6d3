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
//! **Symmetry.** A scenario may have application threads that run the very same ops (same
//! users, nothing that names one of them: no spawn, join or named handle), such as `same-user`'s
//! T1 and T2. Permuting them maps every reachable state to a reachable state that behaves alike
//! up to the permutation, so the stateful search stores one state per orbit
//! ([`set_symmetry`]: a group of at most [`PERMS_MAX`] permutations). To fingerprint a state as
//! its image under a permutation, every object also has a name per permutation, made the same
//! way from its creator's name under it (a root is its image's root), and [`with_perm`] makes ids
//! (and application threads, `ids::Actor`) hash by those. The search takes the smallest of the
//! fingerprints (`sim::stateful`).
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
    /// Per kind, by number: the object's name under each permutation of the group, the
    /// identity's (its canonical name) first (0: none).
    names: [Vec<[u64; PERMS_MAX]>; KINDS],
    /// (creator's canonical name, kind) -> how many it made.
    made: Vec<(u64, Kind, u32)>,
    /// Every object's canonical name with its names under the group (to name what it creates).
    images: Vec<(u64, [u64; PERMS_MAX])>,
}

const KINDS: usize = 5;

/// The most permutations a fingerprint is taken under (the identity included): all six of
/// three interchangeable threads, or two pairs, or one pair.
pub(crate) const PERMS_MAX: usize = 6;

thread_local! {
    /// Set while the stateful search runs: objects are named as they are created.
    static NAMING: Cell<bool> = const { Cell::new(false) };
    /// Set while a fingerprint is hashed: ids hash as their canonical names.
    static HASHING: Cell<bool> = const { Cell::new(false) };
    static NAMES: RefCell<Names> = RefCell::new(Names::default());
    /// The permutations of application threads (by index: `group[g][i]` is thread `i`'s image)
    /// that map the running scenario to itself, the identity first, while the stateful search
    /// runs a scenario that has some ([`set_symmetry`]); empty otherwise.
    static GROUP: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    /// How many permutations `GROUP` holds (1 when empty: the identity).
    static PERMS: Cell<usize> = const { Cell::new(1) };
    /// The permutation ids hash under while a fingerprint is hashed (an index into `GROUP`).
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
        names.images.clear();
    });
    GROUP.with(|g| g.borrow_mut().clear());
    PERMS.with(|p| p.set(1));
    PERM.with(|p| p.set(0));
}

/// The execution's body says which permutations of its application threads map the scenario to
/// itself (before any thread runs; only while objects are named): `group` holds the identity
/// first, at most [`PERMS_MAX`] permutations in all, and only of threads that run the same ops
/// and that nothing names (`engine::app::Compiled::symmetry`).
pub(crate) fn set_symmetry(group: &[Vec<u8>]) {
    if naming() && group.len() > 1 && group.len() <= PERMS_MAX {
        GROUP.with(|g| *g.borrow_mut() = group.to_vec());
        PERMS.with(|p| p.set(group.len()));
    }
}

/// The application threads that permutation `perm` of the running execution's group moves.
pub(crate) fn moved(perm: usize) -> Vec<u8> {
    GROUP.with(|g| {
        g.borrow().get(perm).map_or(Vec::new(), |image| {
            (0..image.len() as u8)
                .filter(|&i| image[usize::from(i)] != i)
                .collect()
        })
    })
}

/// How many permutations a fingerprint is taken under: the group's size, 1 with no symmetry.
pub(crate) fn perms() -> usize {
    PERMS.with(Cell::get)
}

/// The permutation ids hash under now ([`with_perm`]).
pub(crate) fn perm() -> usize {
    PERM.with(Cell::get)
}

/// Application thread `index` under permutation `perm`.
fn permute(index: u8, perm: usize) -> u8 {
    if perm == 0 {
        return index;
    }
    GROUP.with(|g| {
        g.borrow()
            .get(perm)
            .and_then(|image| image.get(usize::from(index)).copied())
            .unwrap_or(index)
    })
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
            .images
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, images)| images[perm])
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
    // The creator's name under each permutation (a lookup in `images`: taken before the
    // borrow below).
    let perms = perms();
    let mut creators = [creator; PERMS_MAX];
    for (perm, image) in creators.iter_mut().enumerate().take(perms).skip(1) {
        *image = permuted(creator, perm);
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
        // On the permuted path, the creator's image made as many of this kind: the same count.
        let mut images = [0; PERMS_MAX];
        for (image, creator) in images.iter_mut().zip(creators).take(perms) {
            *image = make_name(creator, kind, count);
        }
        if perms > 1 {
            names.images.push((images[0], images));
        }
        let slots = &mut names.names[kind as usize];
        if slots.len() <= raw as usize {
            slots.resize(raw as usize + 1, [0; PERMS_MAX]);
        }
        slots[raw as usize] = images;
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
