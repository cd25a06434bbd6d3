//! `wrong-respawn`: a release that finds its poller gone starts a new one, with the process token.

use super::{Declared, Expectation, OnDeadPoller, Original, Variant};
use crate::family::Family;

/// The seed's build, except that a store release whose list's poller has exited starts a new
/// poller with CreateThread (so again as the process user) and waits for that one.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrongRespawn;

impl Declared for WrongRespawn {
    fn name(&self) -> &str {
        "wrong-respawn"
    }

    fn description(&self) -> &str {
        "A plausible but wrong fix: a store release that finds its list's poller gone starts a \
         replacement with CreateThread and waits for it. The replacement runs as the process \
         user and searches exactly like the poller it replaces, so while two user contexts' \
         lists exist it quits again and the release still hangs (poller-signals); it only helps \
         when the other lists happen to be gone already. A poller that quits after the release \
         queued its work is not replaced at all, and a replacement in a mixed workload serves \
         the process user's list (poller-owns-list)."
    }

    fn expected(&self, family: Family) -> Expectation {
        // The replacement searches exactly like the poller it replaces, so whatever the seed's
        // build violates, this one still does (it rescues only some schedules).
        Original.expected(family)
    }
}

impl Variant for WrongRespawn {
    fn on_dead_poller(&self) -> OnDeadPoller {
        OnDeadPoller::Respawn
    }
}
