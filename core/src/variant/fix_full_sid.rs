//! `fix-full-sid`: connection lists are keyed and matched by the full SID, not its CRC32.

use super::{key_by_full_sid, Declared, Expectation, ListKey, Variant};
use crate::family::Family;
use crate::monitor::Invariant;
use crate::sim::Sid;

/// Files (and looks up) every connection list under the user's full SID; everything else is the
/// seed's build.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixFullSid;

impl Declared for FixFullSid {
    fn name(&self) -> &str {
        "fix-full-sid"
    }

    fn description(&self) -> &str {
        "Keys connection lists by the full SID instead of its CRC32, both when a logon files its \
         list and when a poller matches its own key. Two users whose SIDs share a CRC32 now get \
         two lists, so list-isolation holds in crc-collision workloads. Nothing else changes: \
         pollers still run as the process user and still rely on the one-list shortcut, so the \
         seed's hang remains wherever two lists exist at once (multi-user, and now also two \
         colliding users), and in mixed workloads a poller still serves the process user's list."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => Expectation::clean(),
            Family::MultiUser => Expectation::violates(&[PollerSignals], &[PollerOwnsList]),
            Family::Mixed => Expectation::violates(&[PollerOwnsList], &[PollerSignals]),
            Family::CrcCollision => Expectation::violates(&[PollerSignals], &[PollerOwnsList]),
            Family::Any => Expectation::violates(&[PollerSignals], &[PollerOwnsList]),
        }
    }
}

impl Variant for FixFullSid {
    fn list_key(&self, user: &Sid) -> ListKey {
        key_by_full_sid(user)
    }
}
