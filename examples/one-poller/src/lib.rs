//! A candidate fix written as code, in its own crate, against `mapihang-core`'s public
//! machinery API only: **one process-wide poller**.
//!
//! The seed's hang comes from every user context getting a poller of its own that must then
//! guess which list is its own. This fix has no guessing to get wrong: the first logon of the
//! process (when the table holds no list) starts the one poller; every list filed after that is
//! handed to it; it serves every list's pending work each time it polls and never searches by
//! SID; the logoff that removes the last list tells it to stop, in the same step, so no list is
//! ever left without it. Lists are filed under the full SID, so users whose SIDs share a CRC32
//! keep separate lists. Nothing here reaches shared memory but through the table's accessors,
//! which log what the monitors judge and declare what they touch.

use mapihang_core::family::Family;
use mapihang_core::mapi::{self, Arming, Machinery, Mapi, PollerStart, Session};
use mapihang_core::sim::{Aborted, Ctx, Sid};
use mapihang_core::trace::ListId;
use mapihang_core::variant::{key_by_full_sid, Declared, Expectation, ListKey, Variant};

/// One poller for the whole process, serving every list.
#[derive(Copy, Clone, Debug, Default)]
pub struct OnePoller;

impl Declared for OnePoller {
    fn name(&self) -> &str {
        "one-poller"
    }

    fn description(&self) -> &str {
        "A candidate fix written as code: a single process-wide poller, started by the logon \
         that files the first list, serves the pending work of every list (each list is handed \
         to it when it is filed, so it never searches by SID), and is told to stop by the \
         logoff that removes the last list, in the same step. Lists are filed under the full \
         SID. Expected to keep every invariant in every family."
    }

    fn expected(&self, _family: Family) -> Expectation {
        Expectation::clean()
    }
}

impl Variant for OnePoller {
    fn list_key(&self, user: &Sid) -> ListKey {
        key_by_full_sid(user)
    }

    fn machinery(&self) -> Option<&dyn Machinery> {
        Some(self)
    }
}

impl Machinery for OnePoller {
    fn logon(&self, mapi: &Mapi, ctx: &Ctx) -> Result<Session, Aborted> {
        let key = ctx
            .sim()
            .with_sid(ctx.effective_user(), |sid| mapi.policy().list_key(sid));
        let mut table = mapi.table();
        let mut started = None;
        let list = match table.find_by_key(&key) {
            Some(list) => list,
            // Every list in the table is served by the one poller, which stops only with the
            // last: hand the new list to it, or start it with the first.
            None => match table.owners().first() {
                Some(&(_, poller)) => table.create_list_served_by(ctx, key, poller),
                None => {
                    let (list, poller) =
                        table.create_list_with_poller(ctx, key, Arming::AtCreation);
                    started = Some(poller);
                    list
                }
            },
        };
        let session = table.connect(ctx, list);
        let wakes = table.wakes();
        drop(table);
        if let Some(poller) = started {
            mapi.start_poller(ctx, poller);
        }
        wakes.wake(ctx);
        Ok(session)
    }

    fn logoff(&self, mapi: &Mapi, ctx: &Ctx, session: Session) -> Result<(), Aborted> {
        let mut table = mapi.table();
        if table.disconnect(ctx, session) {
            let poller = table.remove_list(ctx, session.list());
            if table.views().is_empty() {
                table.request_stop(ctx, poller);
            }
        }
        let wakes = table.wakes();
        drop(table);
        wakes.wake(ctx);
        Ok(())
    }

    fn poll(&self, mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
        let wake = mapi.table().wake_event(me.id());
        // The lists it has logged `poller-found` for (once each).
        let mut served: Vec<ListId> = Vec::new();
        for _ in 0..mapi.polls_max() {
            if mapi::see_stop(mapi, ctx, me) {
                return Ok(());
            }
            let mut table = mapi.table();
            let lists = table.owners();
            let mut done = Vec::new();
            for &(list, owner) in &lists {
                if owner != me.id() {
                    continue;
                }
                if !served.contains(&list) {
                    served.push(list);
                    table.found(ctx, me.id(), lists.len() as u16, list);
                }
                done.push((list, table.take_work(list)));
            }
            drop(table);
            for (list, work) in &done {
                for item in work.as_slice() {
                    item.done(ctx, me.id(), *list);
                }
            }
            ctx.try_wait(wake)?;
        }
        mapi.table().exhausted(ctx, me.id());
        Ok(())
    }
}
