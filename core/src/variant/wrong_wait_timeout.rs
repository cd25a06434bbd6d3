//! `wrong-wait-timeout`: a store release waits for its poller with a timeout.

use super::{Declared, Expectation, ReleaseWait, Variant};
use crate::family::Family;
use crate::monitor::Invariant;

/// The seed's build, except that a store release gives up waiting when its timeout runs out.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrongWaitTimeout;

impl Declared for WrongWaitTimeout {
    fn name(&self) -> &str {
        "wrong-wait-timeout"
    }

    fn description(&self) -> &str {
        "A plausible but wrong deployment workaround: a store release waits for its poller's \
         signal with a timeout instead of INFINITE. No thread hangs any more, because a release \
         whose poller has quit (or serves another list) times out and returns, but it returns \
         without the store's work having been done (work-done). The pollers still search with \
         the process token and the one-list shortcut, so a mixed workload's poller still serves \
         the process user's list, and CRC32 keys still merge colliding users' lists."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => Expectation::clean(),
            Family::MultiUser => Expectation::violates(&[WorkDone], &[PollerOwnsList]),
            Family::Mixed => Expectation::violates(&[PollerOwnsList], &[WorkDone]),
            Family::CrcCollision => {
                Expectation::violates(&[ListIsolation], &[PollerOwnsList, WorkDone])
            }
            Family::Any => Expectation::violates(&[WorkDone], &[PollerOwnsList, ListIsolation]),
        }
    }
}

impl Variant for WrongWaitTimeout {
    fn release_wait(&self) -> ReleaseWait {
        ReleaseWait::Timeout
    }
}
