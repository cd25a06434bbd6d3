//! `original`: the seed's MAPICDO build. It overrides nothing: every default hook is its behaviour.

use super::{Declared, Expectation, Variant};
use crate::family::Family;
use crate::monitor::Invariant;

/// The seed's build: lists keyed by CRC32, pollers created with the process token, the one-list
/// shortcut, quitting without signalling, store releases waiting forever.
#[derive(Clone, Copy, Debug, Default)]
pub struct Original;

impl Declared for Original {
    fn name(&self) -> &str {
        "original"
    }

    fn description(&self) -> &str {
        "The seed's MAPICDO build. Connection lists are filed by the CRC32 of the user's SID; the \
         first logon of a user context creates the list and starts a poller with CreateThread, so \
         the poller runs as the process user. A poller takes the only list when there is one, else \
         the list whose key matches its own (process) user, and quits without signalling when none \
         does. A store release waits INFINITE for the poller. Safe with no impersonation or one \
         impersonated user; hangs once two user contexts log on (multi-user), and in mixed setups \
         a poller serves the process user's list instead of its own."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => Expectation::clean(),
            Family::MultiUser => Expectation::violates(&[PollerSignals], &[PollerOwnsList]),
            Family::Mixed => Expectation::violates(&[PollerOwnsList], &[PollerSignals]),
            Family::CrcCollision => {
                Expectation::violates(&[ListIsolation], &[PollerSignals, PollerOwnsList])
            }
            Family::Any => {
                Expectation::violates(&[PollerSignals], &[PollerOwnsList, ListIsolation])
            }
        }
    }
}

impl Variant for Original {}
