//! A candidate fix written in its own crate, against `mapihang-core`'s public types only.
//!
//! `my-fix` hands each poller the list whose creation started it, and has the poller look that
//! list up by id every time it polls instead of guessing by its thread's SID (the seed's bug).
//! Lists stay keyed by CRC32, as in MAPICDO, so two users whose SIDs share a CRC32 still share a
//! list: the fix removes the hang and keeps `list-isolation` broken under CRC collisions. Its
//! declaration says so, and `mapihang matrix` holds it to that.

use mapihang_core::family::Family;
use mapihang_core::monitor::Invariant;
use mapihang_core::trace::ListId;
use mapihang_core::variant::{Declared, Expectation, ListView, PollerView, Variant};

/// The candidate fix: bind the poller to its list; keep CRC keys.
#[derive(Copy, Clone, Debug, Default)]
pub struct MyFix;

impl Declared for MyFix {
    fn name(&self) -> &str {
        "my-fix"
    }

    fn description(&self) -> &str {
        "A user's candidate fix, built outside mapihang: each poller polls the list it was \
         created for, found by id (and quits once that list is gone), rather than searching by \
         its thread's SID; lists stay keyed by CRC32. Removes the hang; two users whose SIDs \
         share a CRC32 still share one list."
    }

    fn expected(&self, family: Family) -> Expectation {
        match family {
            Family::CrcCollision | Family::Any => {
                Expectation::violates(&[Invariant::ListIsolation], &[])
            }
            _ => Expectation::clean(),
        }
    }
}

impl Variant for MyFix {
    fn find_own_list(&self, lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        lists
            .iter()
            .find(|list| list.id == me.bound)
            .map(|list| list.id)
    }
}
