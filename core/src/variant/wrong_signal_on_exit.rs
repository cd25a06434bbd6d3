//! `wrong-signal-on-exit`: a poller that finds no list signals the pending releases as it quits.

use super::{Declared, Expectation, OnListMissing, Variant};
use crate::family::Family;
use crate::monitor::Invariant;

/// The seed's build, except that a poller quitting for want of a list first signals every store
/// release it can see, without doing the work.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrongSignalOnExit;

impl Declared for WrongSignalOnExit {
    fn name(&self) -> &str {
        "wrong-signal-on-exit"
    }

    fn description(&self) -> &str {
        "A plausible but wrong fix of the symptom: a poller that finds no list of its own still \
         quits, but first signals every pending store release in the table, so those releases \
         return. The releases return although no poller did their stores' work (work-done), \
         including releases on other users' lists whose pollers were alive. The hang is only \
         hidden for releases queued before the last poller quit: a release that comes later \
         finds nobody to signal it and still waits forever (poller-signals). Searching is \
         unchanged, so a mixed workload's poller still serves the process user's list."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => Expectation::clean(),
            Family::MultiUser => {
                Expectation::violates(&[PollerSignals, WorkDone], &[PollerOwnsList])
            }
            Family::Mixed => Expectation::violates(&[PollerOwnsList], &[PollerSignals, WorkDone]),
            Family::CrcCollision => {
                Expectation::violates(&[ListIsolation], &[PollerSignals, PollerOwnsList, WorkDone])
            }
            Family::Any => {
                Expectation::violates(&[PollerSignals, WorkDone], &[PollerOwnsList, ListIsolation])
            }
        }
    }
}

impl Variant for WrongSignalOnExit {
    fn on_list_missing(&self) -> OnListMissing {
        OnListMissing::SignalAndQuit
    }
}
