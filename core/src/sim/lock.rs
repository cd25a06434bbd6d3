//! `sim`'s mutex: a lock an application or a candidate fix takes around its own work.
//!
//! A lock is an auto-reset event that starts set (free) plus its owner: acquiring waits for the
//! event (consuming it), releasing sets it. So blocking, stall detection, the real-thread
//! backend and the partial-order reduction's footprints (an acquire consumes the event, a release
//! sets it) are the events' own, with nothing new to get wrong. What a lock adds is ownership:
//! who holds it (for the wait-for chain of a stall: "T1 waits for lock `table` held by P1"), and
//! that a thread which ends holding a lock releases it.

use std::sync::Arc;

use super::{backend, Aborted, Ctx, EventId, EventRec, LockId, Sim, World};
use crate::ids::Actor;
use crate::trace::Event;

/// One lock: its name (for reports), its event, and the task that holds it.
pub(super) struct LockRec {
    pub(super) name: Arc<str>,
    event: EventId,
    owner: Option<usize>,
}

impl LockRec {
    /// Its state for a state fingerprint (the name is fixed by the scenario).
    pub(super) fn hash_into(&self, h: &mut super::state::Fp, tasks: &[super::TaskRec]) {
        use std::hash::Hash;
        (&*self.name, self.event, self.owner.map(|t| tasks[t].actor)).hash(h);
    }
}

impl Sim {
    /// A new, free lock named `name` (the name is what reports show).
    pub fn create_lock(&self, name: &str) -> LockId {
        let mut world = self.world();
        world.events.push(EventRec {
            set: true,
            manual_reset: false,
        });
        let event = EventId(world.events.len() as u32 - 1);
        world.locks.push(LockRec {
            name: name.into(),
            event,
            owner: None,
        });
        LockId(world.locks.len() as u16 - 1)
    }
}

impl World {
    /// Of the threads in `blocked`, those that wait for a lock: (waiter, lock, holder).
    pub(super) fn lock_waits(&self, blocked: &[(Actor, EventId)]) -> Vec<(Actor, LockId, Actor)> {
        if self.locks.is_empty() {
            return Vec::new();
        }
        blocked
            .iter()
            .filter_map(|&(waiter, event)| {
                let id = self.locks.iter().position(|l| l.event == event)?;
                let holder = self.locks[id].owner?;
                Some((waiter, LockId(id as u16), self.tasks[holder].actor))
            })
            .collect()
    }
}

impl Ctx {
    /// A new, free lock named `name`.
    pub fn create_lock(&self, name: &str) -> LockId {
        self.sim.create_lock(name)
    }

    /// Acquire `lock` (`EnterCriticalSection` / `WaitForSingleObject` on a mutex): a scheduling
    /// point, then the lock, waiting while another thread holds it (logged as `lock-wait`). Not
    /// recursive: taking a lock this thread holds is a model panic, as is taking one inside a
    /// shared-memory critical section. `Err(Aborted)` when the execution is aborted meanwhile.
    pub fn lock(&self, lock: LockId) -> Result<(), Aborted> {
        assert!(
            !backend::in_critical_section(),
            "a lock must not be taken inside a shared-memory critical section"
        );
        if !backend::on_real_threads() {
            backend::model_point();
        }
        let event = {
            let world = self.sim.world();
            let rec = &world.locks[lock.0 as usize];
            match rec.owner {
                Some(owner) if owner == self.me => {
                    panic!("lock {} taken again by the thread that holds it", rec.name)
                }
                Some(owner) => {
                    let (holder, event) = (world.tasks[owner].actor, rec.event);
                    drop(world);
                    self.log(Event::LockWait { lock, holder });
                    event
                }
                None => rec.event,
            }
        };
        self.try_wait(event)?;
        self.sim.world().locks[lock.0 as usize].owner = Some(self.me);
        self.log(Event::LockTaken { lock });
        Ok(())
    }

    /// Release `lock`, which this thread must hold (else a model panic), and wake its waiters.
    pub fn unlock(&self, lock: LockId) {
        let event = {
            let mut world = self.sim.world();
            let rec = &mut world.locks[lock.0 as usize];
            assert!(
                rec.owner == Some(self.me),
                "lock {} released by a thread that does not hold it",
                rec.name
            );
            rec.owner = None;
            rec.event
        };
        self.log(Event::LockReleased { lock });
        self.set_event(event);
    }

    /// A thread that ends holding locks releases them (logged as implicit), unless the execution
    /// was aborted (then nothing runs on).
    pub(super) fn release_held_locks(&mut self) {
        let held: Vec<LockId> = {
            let world = self.sim.world();
            if world.aborted {
                return;
            }
            (0..world.locks.len())
                .filter(|&i| world.locks[i].owner == Some(self.me))
                .map(|i| LockId(i as u16))
                .collect()
        };
        if held.is_empty() {
            return;
        }
        self.implicit = true;
        for lock in held {
            self.unlock(lock);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::super::runner::{run, Next, Strategy};
    use super::super::{Ctx, LockId, Shm, Sid, Sim, Stall};
    use crate::ids::Actor;
    use crate::trace::Event;

    /// What one execution left: the final counter, the stall, and the log's events.
    type Seen = (u32, Option<Stall>, Vec<(Actor, bool, Event)>);

    /// A thread's code: its index, the locks, the shared counter.
    type Body = fn(&Ctx, u8, &[LockId], &Shm<u32>) -> Result<(), super::Aborted>;

    /// Every execution of `threads` (each given its index, the locks and a shared counter)
    /// under `strategy`, with no schedule budget that matters.
    fn explore(strategy: Strategy, locks: usize, threads: usize, body: Body) -> Vec<Seen> {
        // The counter's final value, read inside the execution (a `Shm` lock is a scheduling
        // point, so only model threads may take it).
        let counter = Arc::new(Mutex::new(0u32));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (shared, sink) = (counter.clone(), seen.clone());
        let stats = run(
            &strategy,
            0,
            100_000,
            10_000,
            move |slot| {
                let sim = Sim::new(vec![Sid::parse("S-1-5-18").unwrap()]);
                slot.register(&sim);
                let ids: Arc<Vec<LockId>> = Arc::new(
                    (0..locks)
                        .map(|i| sim.create_lock(&format!("L{i}")))
                        .collect(),
                );
                let count = Arc::new(Shm::new(0u32));
                let handles: Vec<_> = (0..threads as u8)
                    .map(|index| {
                        let (ids, count) = (ids.clone(), count.clone());
                        sim.spawn_app(index, move |ctx| {
                            let _ = body(ctx, index, &ids, &count);
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.join();
                }
                *shared.lock().unwrap() = *count.lock();
                sim.complete();
            },
            move |sim, _| {
                let outcome = sim.outcome();
                let count = std::mem::take(&mut *counter.lock().unwrap());
                let log = outcome.log.iter();
                let log = log.map(|e| (e.actor, e.implicit, e.event)).collect();
                sink.lock().unwrap().push((count, outcome.stall, log));
                Next::Continue
            },
        );
        assert!(stats.exhausted, "the search completes");
        let seen = seen.lock().unwrap().clone();
        seen
    }

    /// Read the counter, take a scheduling point, write it back plus one: a lost update unless
    /// something serialises the two halves.
    fn bump(ctx: &Ctx, count: &Shm<u32>) {
        let read = *count.lock();
        ctx.yield_now();
        *count.lock() = read + 1;
    }

    fn locked_bump(
        ctx: &Ctx,
        _: u8,
        locks: &[LockId],
        count: &Shm<u32>,
    ) -> Result<(), super::Aborted> {
        ctx.lock(locks[0])?;
        bump(ctx, count);
        ctx.unlock(locks[0]);
        Ok(())
    }

    fn bare_bump(ctx: &Ctx, _: u8, _: &[LockId], count: &Shm<u32>) -> Result<(), super::Aborted> {
        bump(ctx, count);
        Ok(())
    }

    /// T1 takes L0 then L1, T2 takes L1 then L0.
    fn lock_order(ctx: &Ctx, me: u8, locks: &[LockId], _: &Shm<u32>) -> Result<(), super::Aborted> {
        let (first, second) = if me == 0 { (0, 1) } else { (1, 0) };
        ctx.lock(locks[first])?;
        ctx.lock(locks[second])?;
        ctx.unlock(locks[second]);
        ctx.unlock(locks[first]);
        Ok(())
    }

    /// Takes the lock, then waits forever for an event nobody sets: whoever takes the lock
    /// first keeps it, and the other waits for it forever.
    fn hold_forever(
        ctx: &Ctx,
        _: u8,
        locks: &[LockId],
        _: &Shm<u32>,
    ) -> Result<(), super::Aborted> {
        ctx.lock(locks[0])?;
        let never = ctx.create_event(true);
        ctx.try_wait(never)
    }

    /// Takes the lock and ends without releasing it.
    fn keep(ctx: &Ctx, _: u8, locks: &[LockId], _: &Shm<u32>) -> Result<(), super::Aborted> {
        ctx.lock(locks[0])
    }

    const STRATEGIES: [Strategy; 2] = [Strategy::Dpor, Strategy::Dfs { preemptions: None }];

    #[test]
    fn a_lock_serialises_and_without_it_an_update_is_lost() {
        for strategy in STRATEGIES {
            let locked = explore(strategy.clone(), 1, 2, locked_bump);
            assert!(locked
                .iter()
                .all(|(count, stall, _)| *count == 2 && stall.is_none()));
            let bare = explore(strategy.clone(), 1, 2, bare_bump);
            assert!(bare.iter().any(|(count, _, _)| *count == 1), "{strategy:?}");
            assert!(bare.iter().any(|(count, _, _)| *count == 2), "{strategy:?}");
        }
    }

    #[test]
    fn a_lock_order_inversion_stalls_with_who_holds_what() {
        for strategy in STRATEGIES {
            let seen = explore(strategy.clone(), 2, 2, lock_order);
            let stalls: Vec<_> = seen.iter().filter_map(|(_, s, _)| s.as_ref()).collect();
            assert!(!stalls.is_empty(), "{strategy:?} reaches the deadlock");
            assert!(
                seen.iter().any(|(_, s, _)| s.is_none()),
                "and runs that pass"
            );
            for stall in stalls {
                let mut locks = stall.locks.clone();
                locks.sort();
                assert_eq!(
                    locks,
                    vec![
                        (Actor::Thread(0), LockId(1), Actor::Thread(1)),
                        (Actor::Thread(1), LockId(0), Actor::Thread(0)),
                    ]
                );
            }
            // The waiting thread logged whom it waits for.
            assert!(seen.iter().any(|(_, _, log)| log.iter().any(|(a, _, e)| *a
                == Actor::Thread(0)
                && *e
                    == Event::LockWait {
                        lock: LockId(1),
                        holder: Actor::Thread(1)
                    })));
        }
    }

    #[test]
    fn both_orders_of_two_contenders_are_explored() {
        // Which thread ends up holding the lock depends only on the order of the two acquires:
        // a blocked acquire races with the other's, or DPOR would see one end state of two.
        for strategy in STRATEGIES {
            let seen = explore(strategy.clone(), 1, 2, hold_forever);
            let mut ends: Vec<_> = seen
                .iter()
                .map(|(_, stall, _)| {
                    stall
                        .as_ref()
                        .expect("every execution stalls")
                        .locks
                        .clone()
                })
                .collect();
            ends.sort();
            ends.dedup();
            assert_eq!(
                ends,
                vec![
                    vec![(Actor::Thread(0), LockId(0), Actor::Thread(1))],
                    vec![(Actor::Thread(1), LockId(0), Actor::Thread(0))],
                ],
                "{strategy:?}"
            );
        }
    }

    #[test]
    fn a_thread_that_ends_holding_a_lock_releases_it() {
        for strategy in STRATEGIES {
            let seen = explore(strategy.clone(), 1, 2, keep);
            // Two orders matter (who takes the lock first); DPOR runs one execution of each,
            // the DFS more (it also tries the point at which the second thread blocks).
            if strategy == Strategy::Dpor {
                assert_eq!(seen.len(), 2, "T1 first or T2 first");
            }
            assert!(seen.len() >= 2);
            for (_, stall, log) in &seen {
                assert!(stall.is_none());
                let released = log.iter().filter(|(_, implicit, e)| {
                    *implicit && *e == Event::LockReleased { lock: LockId(0) }
                });
                assert_eq!(released.count(), 2);
            }
        }
    }
}
