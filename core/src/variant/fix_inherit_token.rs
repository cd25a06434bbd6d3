//! `fix-inherit-token`: the poller runs with its creator's token and matches by its own key only.

use super::{list_keyed, Declared, Expectation, ListView, PollerToken, PollerView, Variant};
use crate::family::Family;
use crate::monitor::Invariant;
use crate::trace::ListId;

/// The new poller gets the creating thread's impersonation token before it runs, and looks its
/// list up by its own user's key only (the one-list shortcut is gone).
#[derive(Clone, Copy, Debug, Default)]
pub struct FixInheritToken;

impl Declared for FixInheritToken {
    fn name(&self) -> &str {
        "fix-inherit-token"
    }

    fn description(&self) -> &str {
        "Gives the poller its creator's token: the logon that starts the poller sets its own \
         impersonation token on the new thread before it runs, and the poller looks up the list \
         filed under its own user's key, with no one-list shortcut. The poller then searches as \
         the user whose logon created the list and finds exactly that list, so multi-user and \
         mixed workloads keep poller-signals and poller-owns-list. Lists are still keyed by \
         CRC32, so two users whose SIDs share a CRC32 share one list (list-isolation)."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            // A poller polling between its list's removal and its stop can take a colliding
            // user's new list, which carries its own key.
            Family::CrcCollision | Family::Any => {
                Expectation::violates(&[ListIsolation], &[PollerOwnsList])
            }
            _ => Expectation::clean(),
        }
    }
}

impl Variant for FixInheritToken {
    fn poller_token(&self) -> PollerToken {
        PollerToken::Creator
    }

    fn find_own_list(&self, lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        list_keyed(lists, &self.list_key(me.user))
    }
}
