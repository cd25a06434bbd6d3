//! Running many executions under a shuttle scheduler, recording each one's schedule.
//!
//! The engine hands [`run`] a body (one execution) and a callback; after every execution the
//! callback gets that execution's [`Sim`] and its recorded [`Schedule`], and says whether to go on.
//! Judging happens outside shuttle, between executions, so it also sees executions that the
//! step bound cut off.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use shuttle::scheduler::{PctScheduler, Schedule as ShuttleSchedule, Scheduler, Task, TaskId};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};

use super::dfs::Dfs;
use super::dpor::{Dpor, DporShared};
use super::follow::Follow;
use super::quiet::{install_quiet_panic_hook, set_quiet};
use super::random::RandomWalk;
use super::stateful::{self, Stateful, StatefulPool};
use super::{footprint, state, Sim};

pub use super::schedule::{Schedule, ScheduleError};

/// How schedules are chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Uniformly random among runnable threads at each step (seeded).
    Random,
    /// Probabilistic concurrency testing with the given bug depth (seeded).
    Pct {
        /// The number of priority change points plus one.
        depth: usize,
    },
    /// Depth-first enumeration of every schedule (up to the schedule budget), branching only
    /// where the order of threads matters, optionally with at most `preemptions` preemptions.
    Dfs {
        /// The preemption bound (`None`: unbounded, every schedule).
        preemptions: Option<usize>,
    },
    /// Dynamic partial-order reduction (source-DPOR with sleep sets): at least one execution of
    /// every equivalence class of interleavings, with no preemption bound.
    Dpor,
    /// Depth-first over the model's state graph with a visited set of state fingerprints (as
    /// SPIN does): every reachable state once, every terminal state, with no preemption bound.
    /// Only for variants with no machinery code of their own (see `sim::state`).
    Stateful,
    /// Follow one recorded schedule exactly.
    Replay(Schedule),
    /// Follow a schedule's steps exactly (every one must be runnable: a prefix that a replay
    /// followed), then search every continuation with DPOR: at least one execution of every
    /// equivalence class of executions that begin with that prefix.
    Continuations(Schedule),
    /// Choices read from bytes (a fuzzer's input), then a deterministic fallback.
    Bytes(Arc<[u8]>),
}

/// What a run of executions did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunStats {
    /// Executions run.
    pub executions: usize,
    /// The strategy ran out of schedules before the budget (DFS: every schedule was explored).
    pub exhausted: bool,
    /// A replay could not follow its schedule.
    pub diverged: bool,
    /// DPOR: executions stopped as redundant (every enabled thread asleep), not judged; the
    /// stateful search: stopped at a state visited before, or with every thread that could run
    /// asleep.
    pub pruned: usize,
    /// The stateful search: distinct states visited.
    pub states: usize,
}

/// What the per-execution callback wants next.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    Stop,
}

/// Run up to `schedules` executions of `body` under `strategy`; `on_execution` judges each.
pub(crate) fn run(
    strategy: &Strategy,
    seed: u64,
    schedules: usize,
    steps_max: usize,
    body: impl Fn(&SimSlot) + Send + Sync + 'static,
    on_execution: impl FnMut(Sim, &Schedule) -> Next + 'static,
) -> RunStats {
    let pool = matches!(strategy, Strategy::Stateful).then(|| stateful::pool(1));
    let mut stats = run_in(
        strategy,
        seed,
        schedules,
        steps_max,
        body,
        on_execution,
        pool.clone(),
    );
    if let Some(pool) = pool {
        stats.exhausted = pool.covered();
        stats.states = pool.states();
    }
    stats
}

/// As [`run`], on `jobs` OS threads when the strategy is the stateful search (one search, its
/// visited set and its work shared: `super::pool`), else on this thread alone. Each worker
/// judges its executions with a callback of its own (`make`); the budget is the whole search's.
/// With more than one worker, which execution a worker runs when depends on timing: the verdict
/// of a complete search does not, but which failing execution is met first, and the counts of
/// executions and states, may.
pub(crate) fn run_jobs<F>(
    jobs: usize,
    strategy: &Strategy,
    seed: u64,
    schedules: usize,
    steps_max: usize,
    body: impl Fn(&SimSlot) + Send + Sync + 'static,
    make: impl Fn() -> F + Sync,
) -> RunStats
where
    F: FnMut(Sim, &Schedule) -> Next + 'static,
{
    if jobs <= 1 || !matches!(strategy, Strategy::Stateful) {
        return run(strategy, seed, schedules, steps_max, body, make());
    }
    let pool = stateful::pool(jobs);
    let body = Arc::new(body);
    let per_worker: Vec<RunStats> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let (pool, body, make) = (pool.clone(), body.clone(), &make);
                scope.spawn(move || {
                    run_in(
                        strategy,
                        seed,
                        schedules,
                        steps_max,
                        move |slot: &SimSlot| body(slot),
                        make(),
                        Some(pool),
                    )
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    RunStats {
        executions: per_worker.iter().map(|s| s.executions).sum(),
        exhausted: pool.covered(),
        diverged: per_worker.iter().any(|s| s.diverged),
        pruned: per_worker.iter().map(|s| s.pruned).sum(),
        states: pool.states(),
    }
}

/// One worker's run: [`run`], with the stateful search's pool given (`None` for the other
/// strategies).
fn run_in(
    strategy: &Strategy,
    seed: u64,
    schedules: usize,
    steps_max: usize,
    body: impl Fn(&SimSlot) + Send + Sync + 'static,
    on_execution: impl FnMut(Sim, &Schedule) -> Next + 'static,
    pool: Option<Arc<StatefulPool>>,
) -> RunStats {
    install_quiet_panic_hook();
    let dpor = Rc::new(DporShared::default());
    let slot: Arc<Mutex<Option<Sim>>> = Arc::new(Mutex::new(None));
    let inner: Box<dyn Scheduler> = match strategy {
        Strategy::Random => Box::new(RandomWalk::new(seed)),
        Strategy::Pct { depth } => Box::new(PctScheduler::new_from_seed(
            seed,
            (*depth).max(1),
            schedules,
        )),
        Strategy::Dfs { preemptions } => Box::new(Dfs::new(*preemptions)),
        Strategy::Dpor => Box::new(Dpor::new(dpor.clone())),
        Strategy::Stateful => Box::new(Stateful::new(
            slot.clone(),
            dpor.clone(),
            pool.clone().unwrap_or_else(|| stateful::pool(1)),
        )),
        Strategy::Continuations(prefix) => {
            Box::new(Dpor::after(dpor.clone(), prefix.steps.clone()))
        }
        Strategy::Replay(schedule) => Box::new(Follow::replay(schedule.steps.clone(), seed)),
        Strategy::Bytes(bytes) => Box::new(Follow::from_bytes(bytes, seed)),
    };
    let schedules = if matches!(strategy, Strategy::Replay(_)) {
        1
    } else {
        schedules
    };
    // The scheduler lives on this thread only: its counts need no lock.
    let stats = Rc::new(RefCell::new(RunStats {
        executions: 0,
        exhausted: false,
        diverged: false,
        pruned: 0,
        states: 0,
    }));
    let recorder = Recorder {
        inner,
        slot: slot.clone(),
        stats: stats.clone(),
        schedules,
        current: Schedule::default(),
        on_execution: Box::new(on_execution),
        stopped: false,
        dpor: dpor.clone(),
        pool,
    };
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::ContinueAfter(steps_max);
    config.silence_warnings = true;
    let body_slot = SimSlot(slot.clone());
    let recording = matches!(strategy, Strategy::Dpor | Strategy::Continuations(_));
    set_quiet(true);
    footprint::set_recording(recording);
    let stateful = matches!(strategy, Strategy::Stateful);
    state::set_recording(stateful);
    Runner::new(recorder, config).run(move || body(&body_slot));
    state::set_recording(false);
    footprint::set_recording(false);
    set_quiet(false);
    let stats = stats.borrow().clone();
    stats
}

/// The callback that judges each finished execution.
type OnExecution = Box<dyn FnMut(Sim, &Schedule) -> Next>;

/// Where an execution's body registers its [`Sim`] as soon as it creates it, so that the
/// execution is judged even if the step bound cuts it off.
pub(crate) struct SimSlot(Arc<Mutex<Option<Sim>>>);

impl SimSlot {
    pub(crate) fn register(&self, sim: &Sim) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(sim.clone());
    }
}

/// Wraps the chosen scheduler: records every choice, judges each finished execution, enforces
/// the schedule budget.
struct Recorder {
    inner: Box<dyn Scheduler>,
    slot: Arc<Mutex<Option<Sim>>>,
    stats: Rc<RefCell<RunStats>>,
    schedules: usize,
    current: Schedule,
    on_execution: OnExecution,
    stopped: bool,
    /// Set by the DPOR scheduler when it stops an execution as redundant.
    dpor: Rc<DporShared>,
    /// The stateful search's shared work and budget (every worker's executions count).
    pool: Option<Arc<StatefulPool>>,
}

impl Recorder {
    fn finish_previous(&mut self) {
        // The body registered its Sim when it started (see `SimSlot`).
        let sim = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sim) = sim {
            self.stats.borrow_mut().executions += 1;
            if self.dpor.redundant.replace(false) {
                self.stats.borrow_mut().pruned += 1;
                return;
            }
            if (self.on_execution)(sim, &self.current) == Next::Stop {
                self.stopped = true;
            }
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish_previous();
    }
}

impl Scheduler for Recorder {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        self.finish_previous();
        let executions = match &self.pool {
            Some(pool) => pool.executions.load(std::sync::atomic::Ordering::Relaxed),
            None => self.stats.borrow().executions,
        };
        if self.stopped || executions >= self.schedules {
            if let Some(pool) = &self.pool {
                pool.stop();
            }
            return None;
        }
        self.current.steps.clear();
        match self.inner.new_execution() {
            Some(schedule) => {
                if let Some(pool) = &self.pool {
                    let started = pool
                        .executions
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if started >= self.schedules {
                        pool.stop();
                        return None;
                    }
                }
                footprint::new_execution();
                Some(schedule)
            }
            None => {
                self.stats.borrow_mut().exhausted = true;
                None
            }
        }
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let choice = self.inner.next_task(runnable, current, is_yielding);
        match choice {
            Some(task) => self.current.steps.push(usize::from(task) as u16),
            None if self.dpor.redundant.get() => {}
            None => self.stats.borrow_mut().diverged = true,
        }
        choice
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}
