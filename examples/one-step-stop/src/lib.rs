//! A candidate fix written as code, in its own crate, against `mapihang-core`'s public
//! machinery API only: **no window around a poller's stop**.
//!
//! The default machinery has two windows around a stop: a logoff unlinks an empty list and only
//! then, in a second step, tells the list's poller to stop; and a poller sees whether it was
//! asked to stop and only then, in a second step, takes the table's lock to search. In either
//! window the poller can find its list gone and another user's list built. This fix closes both
//! (the logoff removes the list and requests the stop under one lock; the poller checks the
//! request and searches under one lock: [`mapi::search_locked`]), which no hook can say, and
//! keeps what `fixed` does with hooks: the poller serves the list it was created for, and lists
//! are filed under the full SID.

use mapihang_core::family::Family;
use mapihang_core::mapi::{self, Machinery, Mapi, PollState, PollerStart, Searched, Session};
use mapihang_core::sim::{Aborted, Ctx, Sid};
use mapihang_core::trace::ListId;
use mapihang_core::variant::{
    bound_list, key_by_full_sid, Declared, Expectation, ListKey, ListView, PollerView, Variant,
};

/// `fixed`, with the stop request and the poller's search each in one step.
#[derive(Copy, Clone, Debug, Default)]
pub struct OneStepStop;

impl Declared for OneStepStop {
    fn name(&self) -> &str {
        "one-step-stop"
    }

    fn description(&self) -> &str {
        "A candidate fix written as code: the poller serves the list it was created for and \
         lists are filed under the full SID (as `fixed`), and both windows around a poller's \
         stop are closed: a logoff removes an empty list and tells its poller to stop under one \
         table lock, and a poller checks its stop request and searches under one table lock. \
         Expected to keep every invariant in every family."
    }

    fn expected(&self, _family: Family) -> Expectation {
        Expectation::clean()
    }
}

impl Variant for OneStepStop {
    fn list_key(&self, user: &Sid) -> ListKey {
        key_by_full_sid(user)
    }

    fn find_own_list(&self, _lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        bound_list(me)
    }

    fn machinery(&self) -> Option<&dyn Machinery> {
        Some(self)
    }
}

impl Machinery for OneStepStop {
    fn logoff(&self, mapi: &Mapi, ctx: &Ctx, session: Session) -> Result<(), Aborted> {
        let mut table = mapi.table();
        if !table.disconnect(ctx, session) {
            return Ok(());
        }
        let poller = table.remove_list(ctx, session.list());
        table.request_stop(ctx, poller);
        let wakes = table.wakes();
        drop(table);
        wakes.wake(ctx);
        Ok(())
    }

    fn poll(&self, mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
        let wake = mapi.table().wake_event(me.id());
        let mut state = PollState::new(ctx);
        for _ in 0..mapi.polls_max() {
            let mut table = mapi.table();
            if table.stop_requested(me.id()) {
                table.stopped(ctx, me.id());
                return Ok(());
            }
            if mapi::search_locked(mapi, ctx, me, &mut state, table) == Searched::Quit {
                return Ok(());
            }
            ctx.try_wait(wake)?;
        }
        mapi.table().exhausted(ctx, me.id());
        Ok(())
    }
}
