//! `wrong-release-lock`: a store release holds a process-wide lock while it waits; the poller
//! needs that lock to do the work. Written as code ([`Machinery`]) over the default routines.

use super::{Declared, Expectation, Variant};
use crate::family::Family;
use crate::mapi::{self, Machinery, Mapi, PollState, PollerStart, Searched, Session, SetupCtx};
use crate::monitor::Invariant;
use crate::sim::{Aborted, Ctx, LockId, WaitOutcome};
use crate::trace::StoreId;
use std::any::Any;

/// The seed's build, with a process-wide lock `table` taken by a store release for the whole
/// release (queueing and waiting) and by the poller around its search and work.
#[derive(Clone, Copy, Debug, Default)]
pub struct WrongReleaseLock;

impl Declared for WrongReleaseLock {
    fn name(&self) -> &str {
        "wrong-release-lock"
    }

    fn description(&self) -> &str {
        "A plausible but wrong fix, written as code: to stop the connection-list table from \
         changing under a store release, the release holds a process-wide lock (`table`) from \
         queueing its work until the poller's signal arrives, and the poller takes the same lock \
         around its search and the work, so that it never sees a half-made change. The release \
         then waits INFINITE for a poller that waits for the lock the release holds: the two \
         wait for each other on every release whose poller is alive, even with one user and no \
         impersonation (poller-signals, the lock in the wait-for chain). Everything the seed's \
         build does wrong besides it still happens on the schedules that get that far."
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => {
                Expectation::violates(&[PollerSignals], &[])
            }
            Family::MultiUser | Family::Mixed => {
                Expectation::violates(&[PollerSignals], &[PollerOwnsList])
            }
            Family::CrcCollision => {
                Expectation::violates(&[PollerSignals, ListIsolation], &[PollerOwnsList])
            }
            Family::Any => {
                Expectation::violates(&[PollerSignals], &[PollerOwnsList, ListIsolation])
            }
        }
    }
}

impl Variant for WrongReleaseLock {
    fn machinery(&self) -> Option<&dyn Machinery> {
        Some(self)
    }
}

impl Machinery for WrongReleaseLock {
    fn setup(&self, ctx: &SetupCtx<'_>) -> Box<dyn Any + Send + Sync> {
        Box::new(ctx.sim().create_lock("table"))
    }

    fn release_store(
        &self,
        mapi: &Mapi,
        ctx: &Ctx,
        session: Session,
        store: StoreId,
    ) -> Result<WaitOutcome, Aborted> {
        let lock = *mapi.state::<LockId>();
        ctx.lock(lock)?;
        // On `Err` the thread ends holding the lock, which releases it.
        let outcome = mapi::release_store(mapi, ctx, session, store)?;
        ctx.unlock(lock);
        Ok(outcome)
    }

    fn poll(&self, mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
        let lock = *mapi.state::<LockId>();
        let wake = mapi.table().wake_event(me.id());
        let mut state = PollState::new(ctx);
        for _ in 0..mapi.polls_max() {
            if mapi::see_stop(mapi, ctx, me) {
                return Ok(());
            }
            ctx.lock(lock)?;
            let searched = mapi::search(mapi, ctx, me, &mut state);
            ctx.unlock(lock);
            if searched == Searched::Quit {
                return Ok(());
            }
            ctx.try_wait(wake)?;
        }
        mapi.table().exhausted(ctx, me.id());
        Ok(())
    }
}
