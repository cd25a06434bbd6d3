//! The stateful search (`--scheduler stateful`): depth-first over the model's state graph, with a
//! visited set of state fingerprints, as an explicit-state model checker (SPIN) does.
//!
//! It branches where the unbounded DFS does ([`super::dfs`]: at model points and wherever the
//! running thread cannot go on), with no preemption bound. At each branch point it takes the
//! state's fingerprint ([`super::state`]); a state seen before was (or is being) explored from
//! its first visit, with every option, so the execution stops there (`pruned`, not judged).
//! Every execution still starts from the beginning (the model is stateless underneath: a
//! shuttle execution cannot be resumed from a stored state), so the cost is one execution per
//! edge of the state graph rather than one per interleaving.
//!
//! Complete when it ends within its budget with nothing cut off: every reachable state was
//! visited, so every terminal state and every violation. Two paths to one state differ only in
//! the past; the fingerprint holds what of the log the monitors read, so their verdicts
//! on the two continue alike (the tests check verdicts and terminal outcomes against DPOR).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::dpor::DporShared;
use super::state::{self, Fp};
use super::{backend, Sim};

/// The stateful depth-first search.
pub(crate) struct Stateful {
    stack: Vec<Level>,
    depth: usize,
    started: bool,
    /// The execution reached a state visited before: it runs on unjudged to its end.
    coasting: bool,
    visited: HashSet<u128, foldhash::fast::FixedState>,
    /// The running execution's world (registered by its body).
    slot: Arc<Mutex<Option<Sim>>>,
    /// Where the runner learns that an execution was stopped at a visited state.
    shared: std::rc::Rc<DporShared>,
}

struct Level {
    options: Vec<TaskId>,
    chosen: usize,
    /// Every thread's locals where the level was first reached, and whether the running
    /// thread's next read had to be observed there: a later execution replays the prefix without
    /// tracking locals and restores these where its replay ends.
    locals: Vec<state::Local>,
    declared: bool,
}

impl Stateful {
    pub(crate) fn new(slot: Arc<Mutex<Option<Sim>>>, shared: std::rc::Rc<DporShared>) -> Self {
        Stateful {
            stack: Vec::new(),
            depth: 0,
            started: false,
            coasting: false,
            visited: HashSet::with_hasher(foldhash::fast::FixedState::with_seed(0)),
            slot,
            shared,
        }
    }

    /// The hash of what a thread can read: the world and the registered shared memory.
    fn shared_hash(&self) -> u128 {
        let mut h = Fp::new();
        if let Some(sim) = self.slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            sim.hash_world(&mut h, false);
        }
        state::hash_source(&mut h);
        h.finish128()
    }

    /// The state: the world with every thread's locals, the shared memory, the past.
    fn fingerprint(&self) -> u128 {
        let mut h = Fp::new();
        if let Some(sim) = self.slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            sim.hash_world(&mut h, true);
        }
        state::hash_source(&mut h);
        if let Some(sim) = self.slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            sim.hash_past(&mut h);
        }
        h.finish128()
    }
}

impl Scheduler for Stateful {
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
        self.coasting = false;
        self.shared.redundant.set(false);
        state::new_execution();
        state::set_replaying(!self.stack.is_empty());
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let model_point = backend::take_model_point();
        if self.coasting {
            return Some(coast(runnable, current));
        }
        if self.depth < self.stack.len() {
            return Some(self.replay(runnable, current, model_point));
        }
        let declared = current.is_some_and(|c| state::passed_point(usize::from(c)));
        let going_on = current.filter(|c| runnable.iter().any(|t| t.id() == *c));
        let choice = match going_on {
            Some(current) if !model_point => current,
            _ => match self.branch(runnable, going_on, declared) {
                Some(choice) => choice,
                None => {
                    // A state visited before: the rest of the execution is not judged. It runs to
                    // its end on the first runnable thread rather than stopping here, because a
                    // stopped execution cannot give its threads' stacks back for the next one
                    // (shuttle unwinds or frees them), which costs more than the steps left.
                    self.shared.redundant.set(true);
                    self.coasting = true;
                    return Some(coast(runnable, current));
                }
            },
        };
        self.observe(choice, current, declared);
        Some(choice)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// The choice while coasting to the end of a pruned execution: the running thread while it can
/// go on, else the first other runnable one, the main task last.
fn coast(runnable: &[&Task], current: Option<TaskId>) -> TaskId {
    let main = TaskId::from(0);
    current
        .filter(|c| runnable.iter().any(|t| t.id() == *c))
        .or_else(|| runnable.iter().map(|t| t.id()).find(|&id| id != main))
        .unwrap_or(main)
}

impl Stateful {
    /// The thread that resumes after another one ran, or goes on past a point where a
    /// declaration replaced what it had observed, observes the shared state it resumes into.
    fn observe(&self, choice: TaskId, current: Option<TaskId>, declared: bool) {
        if Some(choice) != current || declared {
            state::observe(usize::from(choice), self.shared_hash());
        }
    }

    /// A step of the prefix the stack records: the same choice as the first time, with no
    /// hashing; at the last recorded level the locals are restored as they were there, and the
    /// search goes on from its next option.
    fn replay(&mut self, runnable: &[&Task], current: Option<TaskId>, model_point: bool) -> TaskId {
        let going_on = current.filter(|c| runnable.iter().any(|t| t.id() == *c));
        if let (Some(current), false) = (going_on, model_point) {
            return current;
        }
        let options = options(runnable, going_on);
        if options.len() == 1 {
            return options[0];
        }
        let level = &self.stack[self.depth];
        debug_assert_eq!(
            level.options, options,
            "the model is deterministic: the same prefix, the same options"
        );
        let choice = level.options[level.chosen];
        self.depth += 1;
        if self.depth == self.stack.len() {
            let declared = level.declared;
            state::restore(&level.locals);
            state::set_replaying(false);
            self.observe(choice, current, declared);
        }
        choice
    }

    /// The choice at a point where the order of threads may matter; `None` when the state was
    /// visited before (the execution stops).
    fn branch(
        &mut self,
        runnable: &[&Task],
        going_on: Option<TaskId>,
        declared: bool,
    ) -> Option<TaskId> {
        let options = options(runnable, going_on);
        if options.len() == 1 {
            return Some(options[0]);
        }
        if !self.visited.insert(self.fingerprint()) {
            return None;
        }
        self.shared.states.set(self.visited.len());
        let locals = state::snapshot();
        let first = options[0];
        self.stack.push(Level {
            options,
            chosen: 0,
            locals,
            declared,
        });
        self.depth += 1;
        Some(first)
    }
}

/// The options at a point where the order of threads may matter, as the unbounded DFS has them:
/// the running thread first if it can go on, the main task only when nothing else can run.
fn options(runnable: &[&Task], going_on: Option<TaskId>) -> Vec<TaskId> {
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

#[cfg(test)]
mod tests {
    use crate::engine::{self, CheckConfig, Strategy};
    use crate::scenario::Scenario;

    /// How finely the fingerprint tells states apart on the seed's repro under `fixed`: 4,052
    /// states (SPIN, on a Promela model of the same machinery, stores 3,163; before the
    /// monitors' past replaced the log histories and the poll count was left out, 52,040:
    /// docs/performance.md). Fewer would mean states merged that differ; more, a merge lost.
    #[test]
    fn the_seeds_repro_has_as_many_states_as_it_had() {
        let text = include_str!("../../../examples/scenarios/seed-repro.json");
        let scenario = Scenario::from_json(text).unwrap();
        let config = CheckConfig {
            strategy: Strategy::Stateful,
            schedules: 1_000_000,
            seed: 0,
            steps_max: engine::STEPS_MAX_DEFAULT,
            stop_on_first: false,
            target: None,
        };
        let variant = crate::variant::by_name("fixed").unwrap();
        let result = engine::check(variant, &scenario, &config);
        assert!(result.complete && !result.failed());
        assert_eq!(result.states, 4_052);
    }
}
