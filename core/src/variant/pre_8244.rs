//! `pre-8244`: a reconstruction of the earlier hang fixed in MAPICDO 6.5.8244 ("Hang releasing
//! message store"), written as code ([`Machinery`]) over the default routines.
//!
//! The release note (27 Oct 2011) says only that the hang was usually seen when rapidly logging
//! on and off, that a single logon and logoff could hit it with the right timing, that its cause
//! was a timing issue in how the polling thread was set up, and that the fix changed the order
//! of some initialization. This is one mechanism that fits every word of it, not a known one:
//! the new poller scans the table once and only then arms its wake-up, so a store release or a
//! stop request made between the two wakes no one. `original` is the order after the fix: the
//! wake-up is armed when the poller's record is made, before its list is published.

use super::{Declared, Expectation, Variant};
use crate::family::Family;
use crate::mapi::{self, Arming, Machinery, Mapi, PollState, PollerStart, Searched, Session};
use crate::monitor::Invariant;
use crate::sim::{Aborted, Ctx};

/// The seed's build with the poller's set-up in the pre-6.5.8244 order (a reconstruction).
#[derive(Clone, Copy, Debug, Default)]
pub struct Pre8244;

impl Declared for Pre8244 {
    fn name(&self) -> &str {
        "pre-8244"
    }

    fn description(&self) -> &str {
        "A reconstruction, from its release note, of the earlier hang fixed in MAPICDO 6.5.8244 \
         (\"Hang releasing message store\", usually when rapidly logging on and off, a single \
         logon and logoff with the right timing; cause: how the polling thread was set up; fix: \
         the order of some initialization). Not a known mechanism: the list is published at \
         logon, but its new poller scans the table once before it arms its wake-up, so a store \
         release queued, or a stop request made, between that scan and the arming wakes no one \
         and the poller idles forever: the release waits INFINITE (poller-signals), even with \
         one user and no impersonation, and a poller whose stop was lost is left over \
         (no-leak). `original` is the order after the fix (the wake-up armed before the list is \
         published) and never hangs so with one user. Everything else is the seed's build."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => {
                Expectation::violates(&[PollerSignals], &[NoLeak])
            }
            Family::MultiUser | Family::Mixed => {
                Expectation::violates(&[PollerSignals], &[PollerOwnsList, NoLeak])
            }
            Family::CrcCollision => {
                Expectation::violates(&[PollerSignals, ListIsolation], &[PollerOwnsList, NoLeak])
            }
            Family::Any => {
                Expectation::violates(&[PollerSignals], &[PollerOwnsList, ListIsolation, NoLeak])
            }
        }
    }
}

impl Variant for Pre8244 {
    fn machinery(&self) -> Option<&dyn Machinery> {
        Some(self)
    }
}

impl Machinery for Pre8244 {
    /// The default logon, except that the new poller's wake-up is not armed yet.
    fn logon(&self, mapi: &Mapi, ctx: &Ctx) -> Result<Session, Aborted> {
        mapi::logon_arming(mapi, ctx, Arming::Late)
    }

    /// The default poller, except that it arms its wake-up only after its first scan.
    fn poll(&self, mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
        let wake = mapi.table().wake_event(me.id());
        let mut state = PollState::new(ctx);
        for round in 0..mapi.polls_max() {
            if mapi::see_stop(mapi, ctx, me) {
                return Ok(());
            }
            if mapi::search(mapi, ctx, me, &mut state) == Searched::Quit {
                return Ok(());
            }
            if round == 0 {
                mapi.table().arm_wake(me.id());
            }
            ctx.try_wait(wake)?;
        }
        mapi.table().exhausted(ctx, me.id());
        Ok(())
    }
}
