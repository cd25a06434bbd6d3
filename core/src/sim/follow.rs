//! Replay and byte-driven scheduling: follow a list of choices.

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

/// Follows a list of choices: recorded task ids (replay), or bytes that pick among the runnable
/// threads (fuzzing). When bytes run out it falls back to the lowest runnable task, deterministically.
pub(crate) struct Follow {
    steps: Vec<u16>,
    by_index: bool,
    position: usize,
    seed: u64,
    started: bool,
}

impl Follow {
    /// Follow recorded task ids exactly (a replay); a recorded task that is not runnable ends the
    /// execution (it diverged).
    pub(crate) fn replay(steps: Vec<u16>, seed: u64) -> Follow {
        Follow::new(steps, false, seed)
    }

    fn new(steps: Vec<u16>, by_index: bool, seed: u64) -> Follow {
        Follow {
            steps,
            by_index,
            position: 0,
            seed,
            started: false,
        }
    }

    pub(crate) fn from_bytes(bytes: &[u8], seed: u64) -> Follow {
        Follow::new(bytes.iter().map(|&b| b as u16).collect(), true, seed)
    }
}

impl Scheduler for Follow {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if std::mem::replace(&mut self.started, true) {
            return None;
        }
        self.position = 0;
        Some(ShuttleSchedule::new(self.seed))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let step = self.steps.get(self.position).copied();
        self.position += 1;
        if self.by_index {
            let index = step.map_or(0, |b| b as usize % runnable.len());
            return Some(runnable[index].id());
        }
        let wanted = TaskId::from(step? as usize);
        runnable.iter().map(|t| t.id()).find(|&id| id == wanted)
    }

    fn next_u64(&mut self) -> u64 {
        self.seed
    }
}
