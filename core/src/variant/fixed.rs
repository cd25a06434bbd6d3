//! `fixed`: the combined fix, a poller bound to its list and lists keyed by the full SID.

use super::{
    bound_list, key_by_full_sid, Declared, Expectation, ListKey, ListView, PollerView, Variant,
};
use crate::family::Family;
use crate::sim::Sid;
use crate::trace::ListId;

/// `fix-bind-list` and `fix-full-sid` together: the poller serves the list it was handed at
/// creation, and every list is filed under its user's full SID.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fixed;

impl Declared for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }

    fn description(&self) -> &str {
        "The combined fix: the logon that builds a connection list hands it to the new poller, \
         which serves that list and never searches the table (fix-bind-list), and lists are \
         filed under the full SID rather than its CRC32 (fix-full-sid). Binding removes the hang \
         and the wrong-list work; full-SID keys keep users whose SIDs share a CRC32 apart. The \
         poller keeps the process token: once it no longer searches, its token takes part in no \
         decision, so inheriting the creator's token would change nothing the invariants can \
         see. Expected to keep every invariant in every family."
    }

    fn expected(&self, _family: Family) -> Expectation {
        Expectation::clean()
    }
}

impl Variant for Fixed {
    fn list_key(&self, user: &Sid) -> ListKey {
        key_by_full_sid(user)
    }

    fn find_own_list(&self, _lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        bound_list(me)
    }
}
