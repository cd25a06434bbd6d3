//! Running many executions under a shuttle scheduler, recording each one's schedule.
//!
//! The engine hands [`run`] a body (one execution) and a callback; after every execution the
//! callback gets that execution's [`Sim`] and its recorded [`Schedule`], and says whether to go on.
//! Judging happens outside shuttle, between executions, so it also sees executions that the
//! step bound cut off.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::{Arc, Mutex, Once};

use shuttle::scheduler::{PctScheduler, Schedule as ShuttleSchedule, Scheduler, Task, TaskId};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};

use super::{backend, Sim};

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
    /// Follow one recorded schedule exactly.
    Replay(Schedule),
    /// Choices read from bytes (a fuzzer's input), then a deterministic fallback.
    Bytes(Arc<[u8]>),
}

/// One execution's scheduling decisions: the shuttle task chosen at each step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    /// Task ids (0 is the main task, application threads follow, pollers after them).
    pub steps: Vec<u16>,
}

/// Why a replay string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad replay schedule {text:?}: {reason}")]
pub struct ScheduleError {
    /// (The start of) the text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const SCHEDULE_PREFIX: &str = "mh1:";
const SCHEDULE_TEXT_SHOWN_MAX: usize = 40;
/// The longest schedule a replay string may hold (far above any execution's step bound).
pub const SCHEDULE_STEPS_MAX: usize = 1 << 20;

impl fmt::Display for Schedule {
    /// `mh1:` then runs of `task` or `task*count`, separated by `.`: e.g. `mh1:0.1*3.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SCHEDULE_PREFIX)?;
        let mut first = true;
        let mut iter = self.steps.iter().peekable();
        while let Some(&task) = iter.next() {
            let mut count = 1;
            while iter.peek() == Some(&&task) {
                iter.next();
                count += 1;
            }
            if !first {
                f.write_str(".")?;
            }
            first = false;
            if count == 1 {
                write!(f, "{task}")?;
            } else {
                write!(f, "{task}*{count}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;
    fn from_str(text: &str) -> Result<Schedule, ScheduleError> {
        let err = |reason| ScheduleError {
            text: text.chars().take(SCHEDULE_TEXT_SHOWN_MAX).collect(),
            reason,
        };
        let body = text
            .trim()
            .strip_prefix(SCHEDULE_PREFIX)
            .ok_or_else(|| err("must start with \"mh1:\""))?;
        let mut steps = Vec::new();
        if body.is_empty() {
            return Ok(Schedule { steps });
        }
        for run in body.split('.') {
            let (task, count) = match run.split_once('*') {
                Some((task, count)) => (
                    task,
                    count
                        .parse::<usize>()
                        .map_err(|_| err("run count is not a number"))?,
                ),
                None => (run, 1),
            };
            let task: u16 = task.parse().map_err(|_| err("task id is not a number"))?;
            if count == 0 || steps.len() + count > SCHEDULE_STEPS_MAX {
                return Err(err("run count is zero or the schedule is too long"));
            }
            steps.extend(std::iter::repeat_n(task, count));
        }
        Ok(Schedule { steps })
    }
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
    install_quiet_panic_hook();
    let inner: Box<dyn Scheduler> = match strategy {
        Strategy::Random => Box::new(RandomWalk::new(seed)),
        Strategy::Pct { depth } => Box::new(PctScheduler::new_from_seed(
            seed,
            (*depth).max(1),
            schedules,
        )),
        Strategy::Dfs { preemptions } => Box::new(Dfs::new(*preemptions)),
        Strategy::Replay(schedule) => Box::new(Follow::new(schedule.steps.clone(), false, seed)),
        Strategy::Bytes(bytes) => Box::new(Follow::from_bytes(bytes, seed)),
    };
    let schedules = if matches!(strategy, Strategy::Replay(_)) {
        1
    } else {
        schedules
    };
    let slot: Arc<Mutex<Option<Sim>>> = Arc::new(Mutex::new(None));
    // The scheduler lives on this thread only: its counts need no lock.
    let stats = Rc::new(RefCell::new(RunStats {
        executions: 0,
        exhausted: false,
        diverged: false,
    }));
    let recorder = Recorder {
        inner,
        slot: slot.clone(),
        stats: stats.clone(),
        schedules,
        current: Schedule::default(),
        on_execution: Box::new(on_execution),
        stopped: false,
    };
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::ContinueAfter(steps_max);
    config.silence_warnings = true;
    let body_slot = SimSlot(slot.clone());
    QUIET.with(|quiet| quiet.set(true));
    Runner::new(recorder, config).run(move || body(&body_slot));
    QUIET.with(|quiet| quiet.set(false));
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
}

impl Recorder {
    fn finish_previous(&mut self) {
        // The body registered its Sim when it started (see `SimSlot`).
        let sim = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sim) = sim {
            self.stats.borrow_mut().executions += 1;
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
        let executions = self.stats.borrow().executions;
        if self.stopped || executions >= self.schedules {
            return None;
        }
        self.current.steps.clear();
        match self.inner.new_execution() {
            Some(schedule) => Some(schedule),
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
            None => self.stats.borrow_mut().diverged = true,
        }
        choice
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Follows a list of choices: recorded task ids (replay), or bytes that pick among the runnable
/// threads (fuzzing). When bytes run out it falls back to the lowest runnable task, deterministically.
struct Follow {
    steps: Vec<u16>,
    by_index: bool,
    position: usize,
    seed: u64,
    started: bool,
}

impl Follow {
    fn new(steps: Vec<u16>, by_index: bool, seed: u64) -> Follow {
        Follow {
            steps,
            by_index,
            position: 0,
            seed,
            started: false,
        }
    }

    fn from_bytes(bytes: &[u8], seed: u64) -> Follow {
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

/// Uniformly random choice among the runnable tasks at every step. Each execution's choices come
/// from a stream seeded by (seed, execution number), so execution `n` is the same whatever ran
/// before it. (Shuttle's own `RandomScheduler` prints to stderr when dropped early and reads
/// `SHUTTLE_RANDOM_SEED`; this one does neither.)
struct RandomWalk {
    seed: u64,
    execution: u64,
    state: u64,
}

impl RandomWalk {
    fn new(seed: u64) -> RandomWalk {
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
struct Dfs {
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
    fn new(preemptions_max: Option<usize>) -> Dfs {
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
        // The running thread first (no preemption on the first path), then the others by id. The
        // main task only joins threads: when does not matter, so it runs only when nothing else can.
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

thread_local! {
    /// Set while the engine runs executions on this OS thread: model panics are then recorded by
    /// the engine (as `model-panic`) instead of being printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Whether model panics on the calling OS thread are recorded silently (the real-thread backend
/// sets it on each of its threads).
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.with(|q| q.set(quiet));
}

/// Install, once, a panic hook that stays silent for panics inside the engine's executions and
/// defers to the hook that was there before (normally the default one) for every other panic.
/// Shuttle installs a hook of its own at its first execution, which reports every panic as a
/// failing shuttle test; ours replaces it, since the engine reports model panics itself.
pub(crate) fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        // Let shuttle install its hook now, so that it cannot wrap ours later.
        let mut config = Config::new();
        config.failure_persistence = FailurePersistence::None;
        config.silence_warnings = true;
        Runner::new(Dfs::new(None), config).run(|| {});
        let _shuttle = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|quiet| quiet.get()) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_text_roundtrip() {
        for steps in [vec![], vec![0], vec![0, 1, 1, 1, 2, 0, 0], vec![7; 100]] {
            let schedule = Schedule { steps };
            let text = schedule.to_string();
            assert_eq!(text.parse::<Schedule>().unwrap(), schedule, "{text}");
        }
        assert_eq!(
            Schedule {
                steps: vec![0, 1, 1, 1, 2]
            }
            .to_string(),
            "mh1:0.1*3.2"
        );
    }

    #[test]
    fn schedule_text_rejects_garbage() {
        for bad in [
            "",
            "mh2:0",
            "mh1:x",
            "mh1:1*",
            "mh1:1*0",
            "mh1:1..2",
            "mh1:70000",
            "mh1:1*99999999999",
        ] {
            let err = bad.parse::<Schedule>().unwrap_err().to_string();
            assert!(err.starts_with("bad replay schedule"), "{bad}: {err}");
        }
    }
}
