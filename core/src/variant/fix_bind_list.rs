//! `fix-bind-list`: the poller is handed its own list when it is created and never searches.

use super::{bound_list, Declared, Expectation, ListView, PollerView, Variant};
use crate::family::Family;
use crate::monitor::Invariant;
use crate::trace::ListId;

/// The creator hands the new poller the id of the list it built; the poller never searches the
/// table, so neither its token nor the number of lists matters any more.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixBindList;

impl Declared for FixBindList {
    fn name(&self) -> &str {
        "fix-bind-list"
    }

    fn description(&self) -> &str {
        "Binds each poller to its list: the logon that builds a connection list passes the list \
         to CreateThread, and the poller serves exactly that list until it is told to stop, \
         instead of searching the table with its (process) token and the one-list shortcut. \
         This removes the root of the hang: a poller can no longer miss its list or take \
         another user's, so multi-user and mixed workloads keep poller-signals and \
         poller-owns-list. It does not touch how lists are keyed: they are still filed by CRC32, \
         so two users whose SIDs share a CRC32 still share one list (list-isolation)."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::CrcCollision | Family::Any => Expectation::violates(&[ListIsolation], &[]),
            _ => Expectation::clean(),
        }
    }
}

impl Variant for FixBindList {
    fn find_own_list(&self, _lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        bound_list(me)
    }
}
