//! Uniformly random scheduling (seeded).

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

/// Uniformly random choice among the runnable tasks at every step. Each execution's choices come
/// from a stream seeded by (seed, execution number), so execution `n` is the same whatever ran
/// before it. (Shuttle's own `RandomScheduler` prints to stderr when dropped early and reads
/// `SHUTTLE_RANDOM_SEED`; this one does neither.)
pub(crate) struct RandomWalk {
    seed: u64,
    execution: u64,
    state: u64,
}

impl RandomWalk {
    pub(crate) fn new(seed: u64) -> RandomWalk {
        RandomWalk {
            seed,
            execution: 0,
            state: 0,
        }
    }

    /// SplitMix64: small, fast, and good enough to pick among at most a few dozen tasks.
    fn next(&mut self) -> u64 {
        crate::hash::splitmix64(&mut self.state)
    }
}

impl Scheduler for RandomWalk {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        self.state = self.seed ^ self.execution.wrapping_mul(0xD1B5_4A32_D192_ED03);
        self.execution += 1;
        Some(ShuttleSchedule::new(self.state))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        // Multiply-shift maps 64 random bits onto 0..len without a division.
        let index = ((self.next() >> 32) * runnable.len() as u64) >> 32;
        Some(runnable[index as usize].id())
    }

    fn next_u64(&mut self) -> u64 {
        self.next()
    }
}
