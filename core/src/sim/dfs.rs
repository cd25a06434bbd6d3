//! Depth-first enumeration of schedules, optionally preemption-bounded (CHESS).

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::backend;

/// Stateless depth-first search over the schedules that differ in the order of shared-memory
/// accesses.
///
/// Threads interact only through shared memory (`Shm`) and events. Each `Shm` lock is a "model
/// point"; every other scheduling point (a spawn, a thread's exit) leaves the next step invisible to
/// the other threads, so the running thread goes on there without branching. The search branches
/// at model points and wherever the running thread cannot go on (it blocked or finished). This
/// visits every distinct interleaving of shared-memory accesses, far fewer schedules than
/// branching at every point. With a preemption bound (CHESS's iterative context bounding), a
/// model point switches away from a thread that could go on at most `preemptions` times.
pub(crate) struct Dfs {
    preemptions_max: Option<usize>,
    /// The branch points of the current path: the options there and which one is taken.
    stack: Vec<Level>,
    depth: usize,
    preemptions: usize,
    started: bool,
}

struct Level {
    options: Vec<TaskId>,
    chosen: usize,
}

impl Dfs {
    pub(crate) fn new(preemptions_max: Option<usize>) -> Dfs {
        Dfs {
            preemptions_max,
            stack: Vec::new(),
            depth: 0,
            preemptions: 0,
            started: false,
        }
    }
}

impl Scheduler for Dfs {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if std::mem::replace(&mut self.started, true) {
            // Backtrack: the deepest branch point with an option left takes its next option.
            self.stack.truncate(self.depth);
            loop {
                let top = self.stack.last_mut()?;
                if top.chosen + 1 < top.options.len() {
                    top.chosen += 1;
                    break;
                }
                self.stack.pop();
            }
        }
        self.depth = 0;
        self.preemptions = 0;
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let model_point = backend::take_model_point();
        let going_on = current.filter(|c| runnable.iter().any(|t| t.id() == *c));
        if let Some(current) = going_on {
            let bound_reached = self
                .preemptions_max
                .is_some_and(|max| self.preemptions >= max);
            if !model_point || bound_reached {
                return Some(current);
            }
        }
        let options = options(runnable, going_on);
        if options.len() == 1 {
            return Some(options[0]);
        }
        let choice = if self.depth < self.stack.len() {
            let level = &self.stack[self.depth];
            debug_assert_eq!(
                level.options, options,
                "the model is deterministic: the same prefix, the same options"
            );
            level.options[level.chosen]
        } else {
            self.stack.push(Level { options, chosen: 0 });
            self.stack[self.depth].options[0]
        };
        self.depth += 1;
        if going_on.is_some_and(|current| current != choice) {
            self.preemptions += 1;
        }
        Some(choice)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// The threads that can run at a point where the order of threads may matter, in the order the
/// search tries them: the running thread first if it can go on (no preemption on the first
/// path), then the others by id. The main task only joins threads: when does not matter, so it
/// is an option only when nothing else can run. The stateful search branches the same way.
pub(super) fn options(runnable: &[&Task], going_on: Option<TaskId>) -> Vec<TaskId> {
    debug_assert!(going_on.is_none_or(|g| runnable.iter().any(|t| t.id() == g)));
    let main = TaskId::from(0);
    let mut options: Vec<TaskId> = going_on.into_iter().collect();
    options.extend(
        runnable
            .iter()
            .map(|t| t.id())
            .filter(|&id| Some(id) != going_on && id != main),
    );
    if options.is_empty() {
        options.push(main);
    }
    options
}

/// The one option when [`options`] would have only one, without building them (a replayed step
/// only needs to know whether it is a branch point).
pub(super) fn only_option(runnable: &[&Task], going_on: Option<TaskId>) -> Option<TaskId> {
    let main = TaskId::from(0);
    let mut others = runnable
        .iter()
        .map(|t| t.id())
        .filter(|&id| Some(id) != going_on && id != main);
    match (going_on, others.next()) {
        (Some(only), None) => Some(only),
        (None, Some(only)) => others.next().is_none().then_some(only),
        (None, None) => Some(main),
        (Some(_), Some(_)) => None,
    }
}
