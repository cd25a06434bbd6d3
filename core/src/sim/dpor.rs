//! Stateless dynamic partial-order reduction: source-DPOR with sleep sets (Abdulla, Aronis,
//! Jonsson, Sagonas, "Optimal dynamic partial order reduction", POPL 2014, Algorithm 1), with no
//! preemption bound.
//!
//! Two executions are equivalent (one Mazurkiewicz trace) when one is the other with adjacent
//! independent steps swapped. The search runs one execution, then looks at every *race* in it:
//! two dependent steps of different threads, not ordered by anything else (program order, a
//! spawn, a wake-up, another dependency). For each race `e ⋖ e'`, the execution that runs the
//! steps after `e` that do not depend on it, then `e'`, before `e`, is a different trace; one of
//! its first threads (the *initials*) is added to the backtrack set of the state before `e`
//! unless one is there already. Sleep sets keep the search from running a thread at a state
//! where every continuation it starts was covered already; an execution whose every enabled
//! thread is asleep is stopped at once and not judged (it is `pruned`).
//!
//! What a step touches comes from the `sim` layer ([`super::footprint`]): the shared memory of a
//! `Shm` (every critical section writes it), events (set, wait, consume), wake-ups, spawns, and
//! quiet points (every thread blocked or finished: a timeout fires or the stall is recorded).
//! Happens-before is program order, spawn (a thread's first step after the step that created
//! it), wake-up (a woken thread's next step after the step that woke it), dependency, and quiet
//! points (after every step before them: nothing else could run, so nothing after them can be
//! moved before them). A step's clock says, per thread, how many of its steps happen before.
//!
//! The main task only starts and joins the application threads: it runs without interruption
//! while it can (so application threads are spawned in scenario order and always get the same
//! task ids), and otherwise only when no other task can run. Its steps touch nothing the other
//! threads read, so they take no part in races.
//!
//! The search is complete: when it ends within its budget, every equivalence class of
//! executions (up to the names of events and stores, which no variant or monitor can tell apart)
//! was run at least once, so every reachable terminal state and every violation was seen.

use std::cell::Cell;
use std::rc::Rc;

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::footprint::{self, Access, Footprint, Kind, Obj};

/// The main task (it starts and joins the application threads).
const MAIN: usize = 0;

/// What the runner reads of the search: whether the execution that just ended was stopped as
/// redundant (all enabled threads asleep).
#[derive(Default)]
pub(crate) struct DporShared {
    pub redundant: Cell<bool>,
}

/// A state on the current path: the threads enabled there, the one taken, the ones still to
/// take, and those known to lead only to covered traces.
struct Node {
    /// Enabled tasks, in preference order.
    options: Vec<usize>,
    chosen: usize,
    /// Tasks to explore from here (the chosen one included).
    backtrack: Vec<usize>,
    /// Tasks explored from here before `chosen`, each with the footprint of its step.
    done: Vec<(usize, Footprint)>,
    /// Tasks asleep here, each with the footprint of its next step.
    sleep: Vec<(usize, Footprint)>,
}

impl Node {
    fn asleep(&self, task: usize) -> bool {
        self.sleep.iter().any(|(t, _)| *t == task)
    }

    fn explored(&self, task: usize) -> bool {
        task == self.chosen || self.done.iter().any(|(t, _)| *t == task)
    }
}

/// One step of the current execution.
struct Step {
    task: usize,
    fp: Footprint,
}

/// Source-DPOR with sleep sets over shuttle's scheduler interface.
pub(crate) struct Dpor {
    stack: Vec<Node>,
    steps: Vec<Step>,
    /// The task whose step is running (its footprint is collected at the next decision).
    running: Option<usize>,
    /// Per task: the step that spawned it (`None`: spawned before any step, or by main).
    spawned_by: Vec<Option<usize>>,
    started: bool,
    shared: Rc<DporShared>,
    /// Steps every execution takes first, as recorded (`Strategy::Continuations`): no
    /// alternative is explored there. Cut where a recorded task is not runnable.
    prefix: Vec<u16>,
    /// Races found (for the statistics).
    pub races: usize,
}

impl Dpor {
    pub(crate) fn new(shared: Rc<DporShared>) -> Dpor {
        Dpor {
            stack: Vec::new(),
            steps: Vec::new(),
            running: None,
            spawned_by: Vec::new(),
            started: false,
            shared,
            prefix: Vec::new(),
            races: 0,
        }
    }

    /// The search of every continuation of `prefix`: each execution follows `prefix` (task ids
    /// as recorded) and only the steps after it are explored. Races whose earlier step lies in
    /// the prefix are not reversed (that would change the prefix); the state after the prefix
    /// is the same in every execution (the model is deterministic), so the search from there is
    /// the complete search of a scenario starting in that state.
    pub(crate) fn after(shared: Rc<DporShared>, prefix: Vec<u16>) -> Dpor {
        Dpor {
            prefix,
            ..Dpor::new(shared)
        }
    }

    /// Collect the footprint of the step that just ended.
    fn finish_step(&mut self) {
        let mut fp = Footprint::default();
        footprint::take(&mut fp);
        if let Some(task) = self.running.take() {
            self.steps.push(Step { task, fp });
        }
    }

    /// Race analysis of the execution that just ended: vector clocks over its steps, and a
    /// backtrack point for every race not already covered.
    fn analyze(&mut self) {
        let n = self.steps.len();
        let tasks = self
            .steps
            .iter()
            .flat_map(|s| std::iter::once(s.task).chain(s.fp.woke.iter().copied()))
            .map(|t| t + 1)
            .chain([self.spawned_by.len(), 1])
            .max()
            .unwrap_or(1);
        let mut clocks: Vec<Vec<u32>> = Vec::with_capacity(n);
        let mut local = vec![0u32; n];
        let mut thread_clock = vec![vec![0u32; tasks]; tasks];
        let mut count = vec![0u32; tasks];
        let mut woken_by: Vec<Option<usize>> = vec![None; tasks];
        // Per object: its accesses since (and including) the last write.
        let mut history: Vec<(Obj, Vec<(usize, Access)>)> = Vec::new();
        let mut races: Vec<(usize, usize)> = Vec::new();
        for k in 0..n {
            let p = self.steps[k].task;
            if p == MAIN {
                clocks.push(vec![0; tasks]);
                continue;
            }
            let mut clock = thread_clock[p].clone();
            if count[p] == 0 {
                if let Some(parent) = self.spawned_by.get(p).copied().flatten() {
                    join(&mut clock, &clocks[parent]);
                }
            }
            if let Some(waker) = woken_by[p].take() {
                join(&mut clock, &clocks[waker]);
            }
            count[p] += 1;
            local[k] = count[p];
            clock[p] = local[k];
            races.clear();
            for access in &self.steps[k].fp.accesses {
                // Latest first, over every object that overlaps this one.
                let mut conflicting: Vec<(usize, Access)> = history
                    .iter()
                    .filter(|(o, _)| o.overlaps(access.obj))
                    .flat_map(|(_, past)| past.iter())
                    .filter(|(_, earlier)| earlier.kind.conflicts(access.kind))
                    .copied()
                    .collect();
                conflicting.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
                for (j, earlier) in conflicting {
                    let q = self.steps[j].task;
                    if q == p || clock[q] >= local[j] {
                        continue;
                    }
                    if !earlier.raise_then_wait(access) {
                        races.push((j, k));
                    }
                    join(&mut clock, &clocks[j]);
                }
            }
            for access in &self.steps[k].fp.accesses {
                let index = match history.iter().position(|(o, _)| *o == access.obj) {
                    Some(index) => index,
                    None => {
                        history.push((access.obj, Vec::new()));
                        history.len() - 1
                    }
                };
                let past = &mut history[index].1;
                if access.kind == Kind::Write {
                    past.clear();
                }
                past.push((k, *access));
            }
            if self.steps[k].fp.quiet {
                for other in &thread_clock {
                    join(&mut clock, other);
                }
            }
            for &w in &self.steps[k].fp.woke {
                if w < tasks && woken_by[w].is_none() {
                    woken_by[w] = Some(k);
                }
            }
            thread_clock[p] = clock.clone();
            clocks.push(clock);
            for &(j, k) in &races {
                self.races += 1;
                self.reverse(j, k, &clocks, &local, tasks);
            }
        }
    }

    /// The race `i ⋖ k`: make sure the state before `i` will run one of the initials of "the
    /// steps after `i` that do not depend on it, then `k`".
    fn reverse(&mut self, i: usize, k: usize, clocks: &[Vec<u32>], local: &[u32], tasks: usize) {
        let Some(node) = self.stack.get(i) else {
            return;
        };
        let ti = self.steps[i].task;
        let after_i = |j: usize| clocks[j][ti] >= local[i];
        // The first v-step of each thread seen so far (its local index), for "has a
        // predecessor in v".
        let mut first_local: Vec<u32> = vec![0; tasks];
        let mut initials: Vec<usize> = Vec::new();
        let candidates = (i + 1..k)
            .filter(|&j| !after_i(j))
            .chain(std::iter::once(k));
        for j in candidates {
            let t = self.steps[j].task;
            if t == MAIN {
                continue;
            }
            let has_predecessor =
                (0..tasks).any(|u| first_local[u] > 0 && clocks[j][u] >= first_local[u]);
            if first_local[t] == 0 {
                first_local[t] = local[j];
                if !has_predecessor {
                    if node.backtrack.contains(&t) {
                        return; // covered already
                    }
                    initials.push(t);
                }
            }
        }
        let p = self.steps[k].task;
        let pick = if initials.contains(&p) && node.options.contains(&p) {
            Some(p)
        } else {
            node.options.iter().copied().find(|t| initials.contains(t))
        };
        let node = &mut self.stack[i];
        match pick {
            Some(t) => node.backtrack.push(t),
            // No initial is enabled there (should not happen): take every enabled thread.
            None => {
                for &t in &node.options {
                    if !node.backtrack.contains(&t) {
                        node.backtrack.push(t);
                    }
                }
            }
        }
    }

    /// The deepest state with a thread left to explore: take it there. `false`: the search is
    /// over.
    fn backtrack(&mut self) -> bool {
        while let Some(depth) = self.stack.len().checked_sub(1) {
            let step_fp = self.steps.get(depth).map(|s| s.fp.clone());
            let node = &mut self.stack[depth];
            let next = node
                .backtrack
                .iter()
                .copied()
                .filter(|&t| !node.explored(t) && !node.asleep(t))
                .min_by_key(|t| node.options.iter().position(|o| o == t));
            if let Some(next) = next {
                let previous = node.chosen;
                node.done.push((previous, step_fp.unwrap_or_default()));
                node.chosen = next;
                return true;
            }
            self.stack.pop();
        }
        false
    }
}

fn join(into: &mut [u32], other: &[u32]) {
    for (a, b) in into.iter_mut().zip(other) {
        *a = (*a).max(*b);
    }
}

impl Scheduler for Dpor {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if std::mem::replace(&mut self.started, true) {
            self.finish_step();
            self.analyze();
            if !self.backtrack() {
                return None;
            }
        }
        self.steps.clear();
        self.running = None;
        self.spawned_by.clear();
        self.shared.redundant.set(false);
        footprint::new_execution();
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        self.finish_step();
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        let spawner = self.steps.len().checked_sub(1);
        for &id in &ids {
            if id >= self.spawned_by.len() {
                self.spawned_by.resize(id + 1, spawner);
            }
        }
        let current = current.map(usize::from).filter(|c| ids.contains(c));
        let depth = self.steps.len();
        if let Some(&wanted) = self.prefix.get(depth) {
            if !ids.contains(&usize::from(wanted)) {
                // Not a prefix this model follows: explore from here.
                self.prefix.truncate(depth);
            }
        }
        let options: Vec<usize> = if let Some(&wanted) = self.prefix.get(depth) {
            vec![usize::from(wanted)]
        } else if current == Some(MAIN) {
            vec![MAIN]
        } else {
            let mut options: Vec<usize> = current.into_iter().collect();
            options.extend(
                ids.iter()
                    .copied()
                    .filter(|&t| Some(t) != current && t != MAIN),
            );
            if options.is_empty() {
                options.push(MAIN);
            }
            options
        };
        let choice = if depth < self.stack.len() {
            let node = &self.stack[depth];
            debug_assert_eq!(
                node.options, options,
                "the model is deterministic: the same prefix, the same enabled threads"
            );
            if !options.contains(&node.chosen) {
                return None;
            }
            node.chosen
        } else {
            let sleep: Vec<(usize, Footprint)> = match depth.checked_sub(1) {
                None => Vec::new(),
                Some(parent) => {
                    let (node, step) = (&self.stack[parent], &self.steps[parent]);
                    node.sleep
                        .iter()
                        .chain(node.done.iter())
                        .filter(|(t, fp)| {
                            *t != step.task && options.contains(t) && fp.independent(&step.fp)
                        })
                        .cloned()
                        .collect()
                }
            };
            let Some(&choice) = options.iter().find(|t| !sleep.iter().any(|(s, _)| s == *t)) else {
                // Every enabled thread is asleep: every continuation is covered already.
                self.shared.redundant.set(true);
                return None;
            };
            self.stack.push(Node {
                options,
                chosen: choice,
                backtrack: vec![choice],
                done: Vec::new(),
                sleep,
            });
            choice
        };
        self.running = Some(choice);
        Some(TaskId::from(choice))
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}
