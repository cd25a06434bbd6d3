//! The stateful search (`--scheduler stateful`): depth-first over the model's state graph, with a
//! visited set of state fingerprints, as an explicit-state model checker (SPIN) does, and sleep
//! sets (Godefroid, "Partial-Order Methods for the Verification of Concurrent Systems", 1996,
//! the stateful search with sleep sets).
//!
//! It branches where the unbounded DFS does ([`super::dfs`]: at model points and wherever the
//! running thread cannot go on), with no preemption bound. A *transition* is what the chosen
//! thread does from a branch point until the next one or until another thread runs; the `sim`
//! layer records what it touches ([`super::footprint`], the dependency relation DPOR uses).
//! After a thread's transition from a state was explored, the thread is *asleep* in the later
//! options' subtrees until a step that depends on that transition runs (or it cannot run): a
//! sleeping thread is not run, because what it would reach is covered already. At each branch
//! point the search takes the state's fingerprint ([`super::state`]) and keeps, per state, the
//! threads asleep when it was explored. At a new state it runs every thread that can run and is
//! not asleep; at a state seen before it runs only the threads that were asleep then and are
//! awake now, and the state keeps the intersection; with none, and where every thread that
//! could run is asleep, the execution stops (`pruned`, not judged). Sleep sets leave out
//! transitions, never states: every reachable state is still visited, with about one execution
//! per state instead of one per edge of the state graph.
//!
//! One persistent set is used as well (Godefroid's selective search, which visits every
//! terminal state): a transition that touched nothing (no shared memory, no event, woke no
//! thread, no quiet point: a thread's first steps after its creation, up to its first lock) is
//! independent of everything any other thread can do, and its thread takes it alike from every
//! state where it stands where it stands now. It alone is then a persistent set of its state:
//! once it was explored, the state's other options are not, and a state where such a transition
//! sleeps is not explored at all (it was explored from an earlier state, and nothing here can
//! change what it does). Every execution ends in a terminal state, and every terminal state the
//! full search reaches is still reached, so every verdict and every terminal outcome.
//!
//! The visited set keeps, per state, the threads asleep when it was explored, by the rank of
//! each thread's canonical name (`canon`) among the execution's threads, not by task id: two
//! paths to one state may have created its pollers in another order.
//!
//! Every execution still starts from the beginning (the model is stateless underneath: a
//! shuttle execution cannot be resumed from a stored state). The prefix up to the deepest branch
//! point with an option left is replayed without tracking the threads' locals (no hashing), and
//! where the replay ends they are restored as they were when that point was first reached.
//!
//! Complete when it ends within its budget with nothing cut off: every reachable state was
//! visited, so every terminal state and every violation. Two paths to one state differ only in
//! the past; the fingerprint holds what of the log the monitors read, so their verdicts
//! on the two continue alike (the tests check verdicts and terminal outcomes against DPOR).

use std::hash::Hash;
use std::sync::{Arc, Mutex};

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

use super::dpor::DporShared;
use super::footprint::{self, Footprint};
use super::pool::Pool;
use super::state::{self, Fp};
use super::{backend, Sim};
use crate::canon;

/// The main task: it is never put to sleep (it only starts and joins the application threads).
const MAIN: usize = 0;

/// The stateful depth-first search.
pub(crate) struct Stateful {
    stack: Vec<Level>,
    depth: usize,
    /// An execution of this worker ran before the one starting now.
    started: bool,
    /// The execution reached a state visited before: it runs on unjudged to its end.
    coasting: bool,
    /// Every state visited, with the threads asleep when it was last explored (a bit per task),
    /// and the work the search's workers share (`super::pool`; one worker: the sequential
    /// search).
    pool: Arc<StatefulPool>,
    /// The threads asleep now, each with the footprint of the transition it would take: their
    /// transition was explored from an earlier state, and nothing since depended on it.
    sleep: Vec<(usize, Footprint)>,
    /// The transition running now: what it touched so far, and the level it started at (`None`:
    /// a point with one option).
    transition: Option<(Footprint, Option<usize>)>,
    /// The running execution's world (registered by its body).
    slot: Arc<Mutex<Option<Sim>>>,
    /// Where the runner learns that an execution was stopped at a visited state.
    shared: std::rc::Rc<DporShared>,
}

/// The pool of a stateful search: its work items are paths of branch points.
pub(crate) type StatefulPool = Pool<Vec<Level>>;

/// A fresh pool for a search of `jobs` workers, starting at the initial state.
pub(crate) fn pool(jobs: usize) -> Arc<StatefulPool> {
    Arc::new(Pool::new(jobs, Vec::new()))
}

#[derive(Clone)]
pub(crate) struct Level {
    /// The threads that could run here, as the unbounded DFS orders them.
    enabled: Vec<TaskId>,
    /// The ones explored from here: the enabled ones not asleep (at a state visited before: the
    /// ones asleep then and awake now).
    options: Vec<TaskId>,
    chosen: usize,
    /// Asleep when the level was reached.
    sleep: Vec<(usize, Footprint)>,
    /// The options explored before `chosen`, each with its transition's footprint.
    done: Vec<(usize, Footprint)>,
    /// The footprint of `chosen`'s transition, once it ran.
    taken: Footprint,
    /// Whether `chosen`'s transition ran to its end (`taken` is all it touched).
    ran: bool,
    /// Every thread's locals where the level was first reached, and whether the running
    /// thread's next read had to be observed there: a later execution replays the prefix without
    /// tracking locals and restores these where its replay ends.
    locals: Vec<state::Local>,
    declared: bool,
    /// The shared digests of the state here (`Stateful::shared_hash`), for the thread that
    /// resumes into it.
    shared: state::Digests,
}

/// Where each thread's bit is in the visited set's sleep masks: by the rank of its canonical
/// name among the execution's threads (`canon`), not by its task id, because one state reached
/// by two paths can number its threads differently (pollers are tasks in the order they were
/// created). `None`: no bit (a thread past the 64th, or one whose name another thread shares);
/// such a thread is never recorded asleep, so a revisit explores it again, which is sound.
struct Bits(Vec<Option<u32>>);

impl Bits {
    /// The bits of the running execution's threads (a thread whose task id the world does not
    /// know yet gets none).
    fn of(sim: Option<&Sim>, perm: usize) -> Bits {
        let mut names = sim.map(Sim::task_names).unwrap_or_default();
        for (_, name) in &mut names {
            *name = canon::permuted(*name, perm);
        }
        let mut sorted: Vec<u64> = names.iter().map(|(_, name)| *name).collect();
        sorted.sort_unstable();
        let mut bits = Vec::new();
        for (task, name) in names {
            let Some(task) = task else { continue };
            let first = sorted.partition_point(|n| *n < name);
            let unique = sorted.get(first + 1) != Some(&name);
            if bits.len() <= task {
                bits.resize(task + 1, None);
            }
            bits[task] = (unique && first < 64).then_some(first as u32);
        }
        Bits(bits)
    }

    fn bit(&self, task: usize) -> u64 {
        match self.0.get(task) {
            Some(Some(rank)) => 1 << rank,
            _ => 0,
        }
    }

    fn has(&self, task: usize) -> bool {
        self.bit(task) != 0
    }

    fn mask(&self, sleep: &[(usize, Footprint)]) -> u64 {
        sleep.iter().fold(0, |m, (t, _)| m | self.bit(*t))
    }
}

impl Stateful {
    pub(crate) fn new(
        slot: Arc<Mutex<Option<Sim>>>,
        shared: std::rc::Rc<DporShared>,
        pool: Arc<StatefulPool>,
    ) -> Self {
        Stateful {
            stack: Vec::new(),
            depth: 0,
            started: false,
            coasting: false,
            pool,
            sleep: Vec::new(),
            transition: None,
            slot,
            shared,
        }
    }

    /// The hash of what a thread can read: the world and the registered shared memory, under
    /// each permutation (`canon::with_perm`).
    fn shared_hash(&self) -> state::Digests {
        let mut out = state::Digests::default();
        let sim = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        for (perm, out) in out.iter_mut().enumerate().take(canon::perms()) {
            canon::with_perm(perm, || {
                let mut h = Fp::new();
                if let Some(sim) = sim.as_ref() {
                    sim.hash_world(&mut h, None);
                }
                state::hash_source(&mut h);
                *out = h.finish128();
            });
        }
        out
    }

    /// The state: the world with every thread's locals, the shared memory, the past; with a
    /// symmetry (`canon::set_symmetry`), the smallest of its images' fingerprints, with the
    /// permutation that gave it (the sleep masks are kept in that one's naming). Also what
    /// [`Stateful::shared_hash`] gives here, taken in the same pass: the fingerprint is the
    /// shared digest with the threads' locals and the past.
    fn fingerprint(&self) -> (u128, usize, state::Digests) {
        let perms = canon::perms();
        let mut shared = state::Digests::default();
        let mut hs: [Fp; canon::PERMS_MAX] = std::array::from_fn(|_| Fp::new());
        if let Some(sim) = self.slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            for (perm, h) in hs.iter_mut().enumerate().take(perms) {
                canon::with_perm(perm, || {
                    let mut s = Fp::new();
                    let mut locals = Fp::new();
                    sim.hash_world(&mut s, Some(&mut locals));
                    state::hash_source(&mut s);
                    shared[perm] = s.finish128();
                    (shared[perm], locals.finish128()).hash(h);
                });
            }
            sim.hash_past(&mut hs[..perms]);
            if cfg!(debug_assertions) && perms > 1 {
                self_image_check(sim, &hs[..perms]);
            }
        }
        let (fingerprint, perm) = (0..perms)
            .map(|perm| (hs[perm].finish128(), perm))
            .min()
            .unwrap_or((hs[0].finish128(), 0));
        (fingerprint, perm, shared)
    }

    /// The step that just ended: its footprint joins the running transition's, and wakes every
    /// sleeping thread whose transition depends on it.
    fn finish_step(&mut self) {
        let mut fp = Footprint::default();
        footprint::take(&mut fp);
        if fp.quiet {
            // A timeout fired or the stall was recorded: after every step before it.
            self.sleep.clear();
        } else if !fp.accesses.is_empty() {
            self.sleep.retain(|(_, slept)| slept.independent(&fp));
        }
        if let Some((taken, _)) = self.transition.as_mut() {
            taken.join(fp);
        }
    }

    /// The running transition ends: the level it started at keeps its footprint.
    fn end_transition(&mut self) {
        if let Some((taken, Some(level))) = self.transition.take() {
            self.stack[level].taken = taken;
            self.stack[level].ran = true;
        }
    }

    /// Start a transition (at `level`, or at a point with one option).
    fn start_transition(&mut self, level: Option<usize>) {
        self.transition = Some((Footprint::default(), level));
    }
}

impl Scheduler for Stateful {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if self.started {
            if !self.coasting {
                self.finish_step();
                self.end_transition();
            }
            // Backtrack: the deepest branch point with an option left takes its next option.
            self.stack.truncate(self.depth);
            while let Some(top) = self.stack.last_mut() {
                if top.ran && top.taken.invisible() {
                    // The transition touched nothing: it alone is a persistent set of the state
                    // (it commutes with everything every other thread can do from here, and
                    // stays the same transition), so the other options reach no terminal state
                    // that it does not. The state keeps the threads asleep when it was reached:
                    // a revisit where some of them are awake explores those (they slept in this
                    // transition's subtree too).
                    self.stack.pop();
                    continue;
                }
                if top.chosen + 1 < top.options.len() {
                    let taken = std::mem::take(&mut top.taken);
                    let task = usize::from(top.options[top.chosen]);
                    if task != MAIN {
                        top.done.push((task, taken));
                    }
                    top.chosen += 1;
                    top.ran = false;
                    break;
                }
                self.stack.pop();
            }
        }
        self.started = true;
        if self.stack.is_empty() {
            // This worker's subtree is done: the next path from the pool (the first one is the
            // initial state), or the end of the search.
            self.stack = self.pool.take()?;
        } else if self.pool.wants_work() {
            self.give_work();
        }
        self.depth = 0;
        self.coasting = false;
        self.sleep.clear();
        self.transition = None;
        self.shared.redundant.set(false);
        state::new_execution();
        let replaying = !self.stack.is_empty();
        state::set_replaying(replaying);
        footprint::set_recording(!replaying);
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
        self.finish_step();
        let declared = current.is_some_and(|c| state::passed_point(usize::from(c)));
        let going_on = current.filter(|c| runnable.iter().any(|t| t.id() == *c));
        let (choice, shared) = match going_on {
            Some(current) if !model_point => (current, None),
            _ => {
                self.end_transition();
                match self.branch(runnable, going_on, declared) {
                    Some(chosen) => chosen,
                    None => {
                        // Nothing new from here (a state visited before, or every thread that
                        // could run asleep): the rest of the execution is not judged. It runs to
                        // its end on the first runnable thread rather than stopping here,
                        // because a stopped execution cannot give its threads' stacks back for
                        // the next one (shuttle unwinds or frees them), which costs more than
                        // the steps left.
                        self.shared.redundant.set(true);
                        self.coasting = true;
                        footprint::set_recording(false);
                        // No fingerprint is taken again in this execution: the threads'
                        // declarations need not be hashed on the way to its end either.
                        state::set_replaying(true);
                        return Some(coast(runnable, current));
                    }
                }
            }
        };
        self.observe(choice, current, declared, shared.as_ref());
        Some(choice)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// Debug builds: a state where none of the threads a permutation moves has run yet is its own
/// image under it, so the two fingerprints must be equal. They differ when some code treats
/// interchangeable threads unalike and declares it (main joined them in index order and
/// declared which one it joined, which left no state before the first one ended symmetric:
/// the search then merged nothing), or when the names under a permutation are made wrong. (A
/// thread's raw index hashed where it should be permuted is not caught here: it hashes alike
/// either way.)
fn self_image_check(sim: &Sim, hs: &[Fp]) {
    let names = sim.task_names();
    let unstarted = |index: u8| {
        let root = canon::root(Some(index));
        names
            .iter()
            .find(|(_, name)| *name == root)
            .is_none_or(|(task, _)| task.is_none_or(|t| !state::local_of(t).started))
    };
    for (perm, h) in hs.iter().enumerate().skip(1) {
        let moved = canon::moved(perm);
        if moved.iter().all(|&t| unstarted(t)) {
            assert_eq!(
                hs[0].finish128(),
                h.finish128(),
                "a state whose interchangeable threads {moved:?} have not run is its own image \
                 under their permutation {perm}: its fingerprints must be equal"
            );
        }
    }
}

/// The choice while coasting to the end of a pruned execution: the running thread while it can
/// go on, else the first other runnable one, the main task last.
fn coast(runnable: &[&Task], current: Option<TaskId>) -> TaskId {
    let main = TaskId::from(MAIN);
    current
        .filter(|c| runnable.iter().any(|t| t.id() == *c))
        .or_else(|| runnable.iter().map(|t| t.id()).find(|&id| id != main))
        .unwrap_or(main)
}

impl Stateful {
    /// Give a waiting worker the shallowest branch point of this worker's path with an option
    /// left whose transition ran (its footprint joins the given path's explored options, as a
    /// backtrack here would record it); this worker no longer takes that point's other options.
    /// The given path keeps no other option at the points above it: they stay this worker's.
    fn give_work(&mut self) {
        let top = self.stack.len() - 1;
        let Some(at) = (0..top).find(|&i| {
            let level = &self.stack[i];
            level.ran && !level.taken.invisible() && level.chosen + 1 < level.options.len()
        }) else {
            return;
        };
        let mut path: Vec<Level> = self.stack[..=at].to_vec();
        for level in &mut path[..at] {
            level.options.truncate(level.chosen + 1);
        }
        let given = &mut path[at];
        let task = usize::from(given.options[given.chosen]);
        if task != MAIN {
            given.done.push((task, std::mem::take(&mut given.taken)));
        }
        given.chosen += 1;
        given.ran = false;
        let mine = &mut self.stack[at];
        mine.options.truncate(mine.chosen + 1);
        self.pool.give(path);
    }

    /// The thread that resumes after another one ran, or goes on past a point where a
    /// declaration replaced what it had observed, observes the shared state it resumes into
    /// (`shared`: its digests when the caller has them, else hashed here).
    fn observe(
        &self,
        choice: TaskId,
        current: Option<TaskId>,
        declared: bool,
        shared: Option<&state::Digests>,
    ) {
        if Some(choice) != current || declared {
            match shared {
                Some(shared) => {
                    debug_assert_eq!(
                        shared[..canon::perms()],
                        self.shared_hash()[..canon::perms()],
                        "the shared digests a level keeps are the shared state's"
                    );
                    state::observe(usize::from(choice), shared)
                }
                None => state::observe(usize::from(choice), &self.shared_hash()),
            }
        }
    }

    /// A step of the prefix the stack records: the same choice as the first time, with no
    /// hashing; at the last recorded level the locals and the sleeping threads are restored as
    /// they were there, and the search goes on from its next option.
    fn replay(&mut self, runnable: &[&Task], current: Option<TaskId>, model_point: bool) -> TaskId {
        let going_on = current.filter(|c| runnable.iter().any(|t| t.id() == *c));
        if let (Some(current), false) = (going_on, model_point) {
            return current;
        }
        if let Some(only) = super::dfs::only_option(runnable, going_on) {
            debug_assert_eq!(vec![only], super::dfs::options(runnable, going_on));
            return only;
        }
        let level = &self.stack[self.depth];
        debug_assert_eq!(
            level.enabled,
            super::dfs::options(runnable, going_on),
            "the model is deterministic: the same prefix, the same options"
        );
        let choice = level.options[level.chosen];
        self.depth += 1;
        if self.depth == self.stack.len() {
            let (declared, shared) = (level.declared, level.shared);
            state::restore(&level.locals);
            state::set_replaying(false);
            footprint::set_recording(true);
            self.sleep = level.sleep.iter().chain(&level.done).cloned().collect();
            self.start_transition(Some(self.depth - 1));
            self.observe(choice, current, declared, Some(&shared));
        }
        choice
    }

    /// The choice at a point where the order of threads may matter, with the state's shared
    /// digests when it took its fingerprint; `None` when nothing new can be reached from here
    /// (the execution stops being judged).
    fn branch(
        &mut self,
        runnable: &[&Task],
        going_on: Option<TaskId>,
        declared: bool,
    ) -> Option<(TaskId, Option<state::Digests>)> {
        let enabled = super::dfs::options(runnable, going_on);
        // A thread that cannot run now is no longer asleep: its next transition may differ.
        self.sleep
            .retain(|(t, _)| enabled.contains(&TaskId::from(*t)));
        if self.sleep.iter().any(|(_, slept)| slept.invisible()) {
            // A sleeping thread whose transition touches nothing: that transition alone is a
            // persistent set here, and it was explored already.
            return None;
        }
        if enabled.len() == 1 {
            let only = usize::from(enabled[0]);
            if self.sleep.iter().any(|(t, _)| *t == only) {
                return None;
            }
            self.start_transition(None);
            return Some((enabled[0], None));
        }
        // The threads to run from here (Godefroid's stateful search with sleep sets): at a new
        // state the ones awake; at a state explored before with the threads in `before` asleep,
        // only those of them awake now (the others were run from there already). With a
        // symmetry the state stands for its images under the group too, and the masks name
        // threads as the fingerprint's permutation names them.
        let (fingerprint, perm, shared) = self.fingerprint();
        let bits = Bits::of(
            self.slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref(),
            perm,
        );
        let asleep = bits.mask(&self.sleep);
        let wanted = {
            let mut visited = self.pool.visited.lock().unwrap_or_else(|p| p.into_inner());
            match visited.get_mut(&fingerprint) {
                None => {
                    visited.insert(fingerprint, asleep);
                    !asleep
                }
                Some(before) => {
                    let wanted = *before & !asleep;
                    *before &= asleep;
                    wanted
                }
            }
        };
        let options: Vec<TaskId> = enabled
            .iter()
            .copied()
            .filter(|&t| wanted & bits.bit(usize::from(t)) != 0 || !bits.has(usize::from(t)))
            .collect();
        let first = *options.first()?;
        let locals = state::snapshot();
        let sleep = self.sleep.clone();
        self.stack.push(Level {
            enabled,
            options,
            chosen: 0,
            sleep,
            done: Vec::new(),
            taken: Footprint::default(),
            ran: false,
            locals,
            declared,
            shared,
        });
        self.depth += 1;
        self.start_transition(Some(self.depth - 1));
        Some((first, Some(shared)))
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{self, CheckConfig, Strategy};
    use crate::scenario::Scenario;

    /// The stateful search with a budget far above what these scenarios need.
    fn complete_search() -> CheckConfig {
        CheckConfig {
            strategy: Strategy::Stateful,
            schedules: 1_000_000,
            seed: 0,
            steps_max: engine::STEPS_MAX_DEFAULT,
            stop_on_first: false,
            target: None,
        }
    }

    /// How many states the search visits on the seed's repro under `fixed`: 3,211 (SPIN, on a
    /// Promela model of the same machinery, stores 3,163; before the monitors' past replaced the
    /// log histories and the poll count was left out, 52,040; before the past left out pollers
    /// and lists nothing can ask about, 4,052; before a transition that touches nothing was taken
    /// alone, 3,568: docs/performance.md). Fewer would mean states merged that differ or a
    /// reduction too eager; more, a merge or a reduction lost.
    #[test]
    fn the_seeds_repro_has_as_many_states_as_it_had() {
        let text = include_str!("../../../examples/scenarios/seed-repro.json");
        let scenario = Scenario::from_json(text).unwrap();
        let config = complete_search();
        let variant = crate::variant::by_name("fixed").unwrap();
        let result = engine::check(variant, &scenario, &config);
        assert!(result.complete && !result.failed());
        assert_eq!(result.states, 3_211);
        assert!(result.symmetry.is_empty());
    }

    /// Two threads that run the same ops (`impersonate` one user, `logon`) under the process
    /// user: the search stores one state of each pair that differs by swapping them, 539
    /// states where it stored 1,072 before (docs/performance.md). A third thread that runs
    /// other ops leaves the pair interchangeable; a `spawn` anywhere does not.
    #[test]
    fn two_threads_that_run_the_same_ops_are_one_state_per_swapped_pair() {
        let thread = r#"{"ops": [{"impersonate": "S-1-5-21-7-8-9-500"}, "logon"]}"#;
        let scenario = |threads: &[&str]| {
            let text = format!(
                r#"{{"process_user": "S-1-5-18", "threads": [{}]}}"#,
                threads.join(",")
            );
            Scenario::from_json(&text).unwrap()
        };
        let config = complete_search();
        let fixed = || crate::variant::by_name("fixed").unwrap();
        let result = engine::check(fixed(), &scenario(&[thread, thread]), &config);
        assert!(result.complete && !result.failed());
        assert_eq!((result.states, result.symmetry), (539, vec![vec![0, 1]]));
        let other = r#"{"ops": ["logon"]}"#;
        let result = engine::check(fixed(), &scenario(&[other, thread, thread]), &config);
        assert_eq!(result.symmetry, vec![vec![1, 2]]);
        let spawner = r#"{"ops": [{"spawn": "W"}]}"#;
        let worker = r#"{"name": "W", "spawned": true, "ops": ["logon"]}"#;
        let result = engine::check(
            fixed(),
            &scenario(&[thread, thread, spawner, worker]),
            &config,
        );
        assert!(result.symmetry.is_empty());
    }

    /// Three threads that run the same ops: all six permutations, 10,691 states where the swap
    /// of two alone stored 31,986 and no symmetry 63,922 (docs/performance.md).
    #[test]
    fn three_threads_that_run_the_same_ops_are_one_state_per_orbit() {
        let thread = r#"{"ops": [{"impersonate": "S-1-5-21-7-8-9-500"}, "logon"]}"#;
        let text =
            format!(r#"{{"process_user": "S-1-5-18", "threads": [{thread}, {thread}, {thread}]}}"#);
        let scenario = Scenario::from_json(&text).unwrap();
        let config = complete_search();
        let result = engine::check(
            crate::variant::by_name("fixed").unwrap(),
            &scenario,
            &config,
        );
        assert!(result.complete && !result.failed());
        assert_eq!(
            (result.states, result.symmetry),
            (10_691, vec![vec![0, 1, 2]])
        );
    }
}
