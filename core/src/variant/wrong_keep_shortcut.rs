//! `wrong-keep-shortcut`: the poller inherits its creator's token but keeps the one-list shortcut.

use super::{Declared, Expectation, PollerToken, Variant};
use crate::family::Family;
use crate::monitor::Invariant;

/// `fix-inherit-token` without dropping the shortcut: a poller that sees exactly one list takes
/// it for its own, whosever it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrongKeepShortcut;

impl Declared for WrongKeepShortcut {
    fn name(&self) -> &str {
        "wrong-keep-shortcut"
    }

    fn description(&self) -> &str {
        "Half of fix-inherit-token: the poller runs with its creator's token and matches its own \
         key, but still takes the only list for its own whenever exactly one exists. That removes \
         the hang (with two lists, each poller finds its own by key), but the shortcut misfires \
         when a poller's own list has just been removed by a logoff and it polls before it is told \
         to stop: the one list left is another user's, and the poller does that user's work \
         (poller-owns-list). CRC32 keys still merge colliding users' lists (list-isolation)."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => Expectation::clean(),
            Family::MultiUser | Family::Mixed => Expectation::violates(&[PollerOwnsList], &[]),
            Family::CrcCollision => Expectation::violates(&[ListIsolation], &[PollerOwnsList]),
            Family::Any => Expectation::violates(&[PollerOwnsList], &[ListIsolation]),
        }
    }
}

impl Variant for WrongKeepShortcut {
    fn poller_token(&self) -> PollerToken {
        PollerToken::Creator
    }
}
