//! Bounded-exhaustive checking: every scenario within a small bound, each on every schedule with
//! at most K preemptions (DFS).
//!
//! The bound: `threads` application threads, each running a sequence of 0 to `ops` ops drawn
//! from {impersonate U1 .. Un, revert, logon, open_store, release_store, logoff}, where the users
//! are the first `users` SIDs of [`crate::gen::USER_POOL`] (or, with `collide`, two different SIDs with
//! the same CRC32), under the process user `S-1-5-18`. Every such scenario is covered; only
//! provably redundant ones are not run (see [`Reduction`]).
//!
//! Each scenario runs under [`Strategy::Dfs`] with a preemption bound: unbounded DFS has no
//! partial-order reduction beyond branching at shared-memory accesses and grows past millions of
//! schedules even for two threads of a few ops, while CHESS-style preemption bounding keeps each
//! scenario to hundreds or thousands of schedules and still reaches every bug that needs at most K
//! preemptions. A claim made from a run is therefore: "no violation on any schedule with at most
//! K preemptions of any scenario within the bound".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::engine::{self, CheckConfig, CheckResult, Strategy};
use crate::gen::{FORGE_TEMPLATES, USER_POOL};
use crate::monitor::Invariant;
use crate::scenario::{Op, Scenario, ThreadSpec};
use crate::sim::Sid;
use crate::variant::Variant;
use crate::verdict::Verdict;

/// The scenarios covered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bound {
    /// Application threads (every scenario has exactly this many; a thread may have no ops).
    pub threads: usize,
    /// Users the threads may impersonate (1 to 4).
    pub users: usize,
    /// The most ops per thread.
    pub ops: usize,
    /// The two users are different SIDs with the same CRC32 (needs `users == 2`).
    pub collide: bool,
}

impl Default for Bound {
    fn default() -> Bound {
        Bound {
            threads: 2,
            users: 2,
            ops: 3,
            collide: false,
        }
    }
}

/// Which provably redundant scenarios are not run.
///
/// - `normalize`: ops that cannot change any execution are dropped. An op that the thread skips
///   (`open_store`/`release_store`/`logoff` with nothing to act on, `revert` while not
///   impersonating) only logs, and whether it is skipped depends on the thread's own earlier ops
///   alone; `impersonate` and `revert` only change the thread's own token, which is read only by
///   `logon`, by a `release_store` (a variant may start a poller on the releaser's behalf) and by
///   a `logoff` or the thread's end that releases stores. None of them is a scheduling point (the
///   scheduler branches only at shared-memory accesses, blocking and thread exits). So a thread's
///   impersonations collapse to one `impersonate`/`revert` just before each op that reads the
///   token, when it changed, and skipped ops go: the scenario runs the very same schedules with
///   the very same findings. Then a last op that does what the implicit cleanup would do first
///   in its place goes too, as long as there is one: a `release_store` (the cleanup releases the
///   open stores newest first, then logs off the open sessions newest first, with the thread's
///   token at its end, which is the token at its last op), or a `logoff` when every open store
///   is on the newest session (it releases them newest first, then logs the session off). The
///   machinery runs the same calls at the same scheduling points either way; only the log's
///   `implicit` mark differs, which no monitor reads but for logons (a cleanup logs on nowhere),
///   and the poll budget stays above what the default machinery can use (`engine::app`). The
///   result stays within the bound (it is never longer).
/// - `symmetry`: scenarios equal up to renaming the impersonated users (they are interchangeable:
///   all different CRC32s, or with `collide` both the same) and up to the order of the threads
///   are run once. Renaming: the engine interns users by first appearance, so renamed scenarios
///   compile to the same steps and differ only in the SID values, which the built-in variants
///   compare only for equality (a custom variant that looks at a SID's value should turn this
///   off). Thread order: spawning is not a branch point and the first choice after the main task
///   blocks is free, so mirrored schedules exist with the same preemption count.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reduction {
    /// Drop ops that cannot change any execution.
    pub normalize: bool,
    /// Run scenarios equal up to user renaming and thread order once.
    pub symmetry: bool,
}

impl Default for Reduction {
    fn default() -> Reduction {
        Reduction {
            normalize: true,
            symmetry: true,
        }
    }
}

/// The default preemption bound.
pub const PREEMPTIONS_DEFAULT: usize = 2;
/// The default DFS budget of one scenario: far above what any scenario of the default bound
/// needs with [`PREEMPTIONS_DEFAULT`] preemptions; a scenario that reaches it is reported as
/// incomplete.
pub const SCHEDULES_PER_SCENARIO_DEFAULT: usize = 10_000_000;

/// What to explore and with what budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExhaustiveConfig {
    /// The scenarios.
    pub bound: Bound,
    /// A DFS preemption bound (`None`: a complete search, [`ExhaustiveConfig::stateful`]).
    pub preemptions: Option<usize>,
    /// The complete search is the stateful one (every reachable state, for a variant without
    /// machinery code of its own; DPOR for one with), else DPOR.
    pub stateful: bool,
    /// Only this shard of the scenarios (`None`: all of them).
    pub shard: Option<Shard>,
    /// The DFS budget of one scenario.
    pub schedules_per_scenario: usize,
    /// The step bound of one execution.
    pub steps_max: usize,
    /// OS threads to spread the scenarios over (the result does not depend on it).
    pub jobs: usize,
    /// What is not run.
    pub reduction: Reduction,
    /// Run every scenario and count the violating ones, instead of stopping at the first.
    pub all: bool,
    /// Only violations of this invariant count (`None`: any); others are passed over.
    pub target: Option<Invariant>,
}

impl Default for ExhaustiveConfig {
    fn default() -> ExhaustiveConfig {
        ExhaustiveConfig {
            bound: Bound::default(),
            preemptions: None,
            stateful: false,
            shard: None,
            schedules_per_scenario: SCHEDULES_PER_SCENARIO_DEFAULT,
            steps_max: engine::STEPS_MAX_DEFAULT,
            jobs: 1,
            reduction: Reduction::default(),
            all: false,
            target: None,
        }
    }
}

/// One of N disjoint parts of the scenarios of a bound: those whose index is `index - 1`
/// modulo `count` (so `1/1` is everything).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// From 1 to `count`.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
}

impl Shard {
    /// Whether scenario number `n` (0-based, in enumeration order) is in this shard.
    pub fn contains(&self, n: usize) -> bool {
        n % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("bad shard {text:?}: write I/N with 1 <= I <= N, e.g. 2/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count || count > 10_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// A violating scenario: the first in enumeration order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// Its position in the enumeration.
    pub index: usize,
    /// The scenario.
    pub scenario: Scenario,
    /// Its DFS check (stopped at the first failing schedule).
    pub check: CheckResult,
    /// The configuration that reproduces `check` exactly.
    pub config: CheckConfig,
}

/// What a bounded-exhaustive run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExhaustiveResult {
    /// The variant.
    pub variant: String,
    /// The search each scenario ran under: `stateful`, `dpor` or `dfs` (JSON `scheduler`).
    pub scheduler: &'static str,
    /// Scenarios in the bound before reduction (thread sequences to the power of threads).
    pub scenarios_in_bound: u128,
    /// Distinct per-thread sequences in the bound, and after normalization.
    pub thread_sequences: (usize, usize),
    /// Scenarios left to run after reduction.
    pub scenarios: usize,
    /// Scenarios checked (up to and including the counterexample when stopping at the first).
    pub scenarios_checked: usize,
    /// Executions run on those scenarios.
    pub schedules_run: usize,
    /// The most executions one scenario took.
    pub schedules_max_per_scenario: usize,
    /// The scenario that took them (the first such in enumeration order).
    pub heaviest: Option<Scenario>,
    /// Checked scenarios whose DFS ran out of budget before exploring every schedule.
    pub incomplete: usize,
    /// Every scenario was checked, and every passing one completely (DPOR, no preemption bound,
    /// within the budget, nothing cut off by the step bound): a proof for the whole bound.
    pub complete: bool,
    /// Every scenario was checked and every passing one's search ran out of schedules within its
    /// bound (complete, or every schedule with at most K preemptions).
    pub bounded: bool,
    /// Violating scenarios among those checked.
    pub violating: usize,
    /// Per invariant, the checked scenarios whose reported failing schedule violates it.
    pub per_invariant: BTreeMap<Invariant, usize>,
    /// The first violating scenario.
    pub counterexample: Option<Counterexample>,
    /// Wall time (the only non-deterministic field).
    pub elapsed_ms: u64,
}

impl ExhaustiveResult {
    /// `violation` when a scenario of the bound violates an invariant that counts, else `pass`
    /// (how far a pass goes is `complete` and `bounded`).
    pub fn verdict(&self) -> Verdict {
        if self.counterexample.is_some() {
            Verdict::Violation
        } else {
            Verdict::Pass
        }
    }
}

/// Where a run is, for progress bars.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Scenarios finished.
    pub done: usize,
    /// Scenarios to run.
    pub total: usize,
}

/// The bounded search's alphabet: the ops a thread of the bound is made of, with users as
/// indices (`Imp(0)` is U1) so that scenarios equal up to user renaming compare equal; ordered,
/// which fixes the order scenarios are enumerated in. [`Letter::op`] is the scenario's op.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Letter {
    Logon,
    OpenStore,
    ReleaseStore,
    Logoff,
    Imp(u8),
    Revert,
}

impl Letter {
    /// The scenario op, with `users` the bound's users (U1 first).
    fn op(self, users: &[Sid]) -> Op {
        match self {
            Letter::Imp(user) => Op::Impersonate(users[user as usize].clone()),
            Letter::Revert => Op::Revert,
            Letter::Logon => Op::Logon,
            Letter::OpenStore => Op::OpenStore,
            Letter::ReleaseStore => Op::ReleaseStore,
            Letter::Logoff => Op::Logoff,
        }
    }
}

/// The most threads, users and ops per thread a bound may have.
pub const THREADS_MAX: usize = 3;
/// See [`THREADS_MAX`].
pub const USERS_MAX: usize = 4;
/// See [`THREADS_MAX`].
pub const OPS_MAX: usize = 8;

/// Why a bound was rejected (the CLI words it with its option names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    /// `threads` is not from 1 to [`THREADS_MAX`].
    #[error("threads must be 1 to {THREADS_MAX}, not {0}")]
    Threads(usize),
    /// `users` is not from 1 to [`USERS_MAX`].
    #[error("users must be 1 to {USERS_MAX}, not {0}")]
    Users(usize),
    /// `ops` is not from 1 to [`OPS_MAX`].
    #[error("ops must be 1 to {OPS_MAX}, not {0}")]
    Ops(usize),
    /// Colliding users (two SIDs with one CRC32) need exactly two users, not this many.
    #[error("colliding users need exactly 2 users, not {0}")]
    Collide(usize),
}

impl Bound {
    /// Check the bound's limits.
    pub fn validate(&self) -> Result<(), BoundError> {
        debug_assert_eq!(USER_POOL.len(), USERS_MAX);
        if !(1..=THREADS_MAX).contains(&self.threads) {
            return Err(BoundError::Threads(self.threads));
        }
        if !(1..=USERS_MAX).contains(&self.users) {
            return Err(BoundError::Users(self.users));
        }
        if !(1..=OPS_MAX).contains(&self.ops) {
            return Err(BoundError::Ops(self.ops));
        }
        if self.collide && self.users != 2 {
            return Err(BoundError::Collide(self.users));
        }
        Ok(())
    }

    /// The users the threads may impersonate, U1 first.
    pub fn users(&self) -> Vec<Sid> {
        let pool: Vec<Sid> = USER_POOL
            .iter()
            .map(|text| Sid::parse(text).expect("pool SIDs parse"))
            .collect();
        if self.collide {
            let template = Sid::parse(FORGE_TEMPLATES[0]).expect("template SIDs parse");
            let twin = template
                .colliding_with(&pool[0])
                .expect("a template differs from every pool user");
            vec![pool[0].clone(), twin]
        } else {
            pool[..self.users].to_vec()
        }
    }

    fn alphabet(&self) -> Vec<Letter> {
        let mut letters: Vec<Letter> = (0..self.users as u8).map(Letter::Imp).collect();
        letters.extend([
            Letter::Revert,
            Letter::Logon,
            Letter::OpenStore,
            Letter::ReleaseStore,
            Letter::Logoff,
        ]);
        letters
    }

    /// Per-thread sequences of 0 to `ops` ops.
    fn sequences_per_thread(&self) -> u128 {
        let a = self.alphabet().len() as u128;
        (0..=self.ops as u32).map(|n| a.pow(n)).sum()
    }

    /// Scenarios in the bound before any reduction.
    pub fn scenarios(&self) -> u128 {
        self.sequences_per_thread()
            .checked_pow(self.threads as u32)
            .unwrap_or(u128::MAX)
    }
}

/// Every sequence of 0 to `ops` letters, shortest first.
fn all_sequences(bound: &Bound) -> Vec<Vec<Letter>> {
    let alphabet = bound.alphabet();
    let mut out = vec![Vec::new()];
    let mut layer = vec![Vec::new()];
    for _ in 0..bound.ops {
        let mut next = Vec::with_capacity(layer.len() * alphabet.len());
        for seq in &layer {
            for &letter in &alphabet {
                let mut longer = seq.clone();
                longer.push(letter);
                next.push(longer);
            }
        }
        out.extend(next.iter().cloned());
        layer = next;
    }
    out
}

/// A thread's ops without those that cannot change any execution (see [`Reduction`]): the
/// inert ones, and then, again and again, a last op that does what the implicit cleanup would
/// do in its place (with the inert ones dropped again after each).
fn normalize(ops: &[Letter]) -> Vec<Letter> {
    let mut out = drop_inert(ops);
    while ends_as_cleanup(&out) {
        out.pop();
        out = drop_inert(&out);
    }
    out
}

/// Whether the last op of `ops` (inert ones dropped) does exactly what the implicit cleanup at
/// the thread's end would do first in its place, with the same token: a `release_store` (of the
/// newest open store: the cleanup releases the open stores newest first, then logs off the open
/// sessions newest first), or a `logoff` (of the newest session, which first releases that
/// session's open stores newest first) when every open store is on that session.
fn ends_as_cleanup(ops: &[Letter]) -> bool {
    let Some((&last, before)) = ops.split_last() else {
        return false;
    };
    let mut sessions: Vec<usize> = Vec::new();
    let mut stores: Vec<usize> = Vec::new();
    for (opened, &op) in before.iter().enumerate() {
        match op {
            Letter::Logon => sessions.push(opened),
            Letter::OpenStore => stores.extend(sessions.last().copied()),
            Letter::ReleaseStore => {
                stores.pop();
            }
            Letter::Logoff => {
                if let Some(session) = sessions.pop() {
                    stores.retain(|&s| s != session);
                }
            }
            Letter::Imp(_) | Letter::Revert => {}
        }
    }
    match last {
        Letter::ReleaseStore => !stores.is_empty(),
        Letter::Logoff => sessions
            .last()
            .is_some_and(|&newest| stores.iter().all(|&s| s == newest)),
        _ => false,
    }
}

/// A thread's ops without the inert ones: skipped ops, and impersonations no op reads.
fn drop_inert(ops: &[Letter]) -> Vec<Letter> {
    // The token: `None` is the process user.
    let mut token: Option<u8> = None;
    let mut emitted: Option<u8> = None;
    let mut sessions: Vec<usize> = Vec::new();
    let mut stores: Vec<usize> = Vec::new();
    let mut opened = 0usize;
    let mut out = Vec::new();
    let flush = |out: &mut Vec<Letter>, emitted: &mut Option<u8>, token: Option<u8>| {
        if *emitted != token {
            out.push(token.map_or(Letter::Revert, Letter::Imp));
            *emitted = token;
        }
    };
    for &op in ops {
        match op {
            Letter::Imp(user) => token = Some(user),
            Letter::Revert => token = None,
            Letter::Logon => {
                flush(&mut out, &mut emitted, token);
                sessions.push(opened);
                opened += 1;
                out.push(op);
            }
            Letter::OpenStore => {
                if let Some(&session) = sessions.last() {
                    stores.push(session);
                    out.push(op);
                }
            }
            Letter::ReleaseStore => {
                if stores.pop().is_some() {
                    flush(&mut out, &mut emitted, token);
                    out.push(op);
                }
            }
            Letter::Logoff => {
                if let Some(session) = sessions.pop() {
                    if stores.contains(&session) {
                        flush(&mut out, &mut emitted, token);
                        stores.retain(|&s| s != session);
                    }
                    out.push(op);
                }
            }
        }
    }
    if !stores.is_empty() {
        // The implicit cleanup at the thread's end releases them with the thread's token.
        flush(&mut out, &mut emitted, token);
    }
    out
}

/// Rename users by first appearance (thread order, then op order).
fn rename(threads: &[Vec<Letter>]) -> Vec<Vec<Letter>> {
    let mut order: Vec<u8> = Vec::new();
    threads
        .iter()
        .map(|ops| {
            ops.iter()
                .map(|&op| match op {
                    Letter::Imp(user) => {
                        let index = match order.iter().position(|&u| u == user) {
                            Some(index) => index,
                            None => {
                                order.push(user);
                                order.len() - 1
                            }
                        };
                        Letter::Imp(index as u8)
                    }
                    other => other,
                })
                .collect()
        })
        .collect()
}

/// The smallest of the renamed scenario over every order of its threads.
fn canonical(threads: &[Vec<Letter>]) -> Vec<Vec<Letter>> {
    let mut best: Option<Vec<Vec<Letter>>> = None;
    for perm in permutations(threads.len()) {
        let permuted: Vec<Vec<Letter>> = perm.iter().map(|&i| threads[i].clone()).collect();
        let renamed = rename(&permuted);
        if best.as_ref().is_none_or(|b| renamed < *b) {
            best = Some(renamed);
        }
    }
    best.expect("at least one permutation")
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for smaller in permutations(n - 1) {
        for at in 0..=smaller.len() {
            let mut perm = smaller.clone();
            perm.insert(at, n - 1);
            out.push(perm);
        }
    }
    out
}

/// The scenarios a run covers, in the order they run (fewest ops first), and the number of
/// distinct per-thread sequences before and after normalization.
pub fn scenarios(bound: &Bound, reduction: Reduction) -> (Vec<Scenario>, (usize, usize)) {
    let raw = all_sequences(bound);
    let raw_count = raw.len();
    let per_thread: Vec<Vec<Letter>> = if reduction.normalize {
        raw.iter()
            .map(|ops| normalize(ops))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        raw
    };
    let mut set: BTreeSet<(usize, Vec<Vec<Letter>>)> = BTreeSet::new();
    let mut index = vec![0usize; bound.threads];
    loop {
        let threads: Vec<Vec<Letter>> = index.iter().map(|&i| per_thread[i].clone()).collect();
        let key = if reduction.symmetry {
            canonical(&threads)
        } else {
            threads
        };
        set.insert((key.iter().map(Vec::len).sum(), key));
        // The next tuple of indices (an odometer).
        let mut position = 0;
        loop {
            if position == bound.threads {
                let users = bound.users();
                let scenarios = set
                    .into_iter()
                    .map(|(_, threads)| to_scenario(&threads, &users))
                    .collect();
                return (scenarios, (raw_count, per_thread.len()));
            }
            index[position] += 1;
            if index[position] < per_thread.len() {
                break;
            }
            index[position] = 0;
            position += 1;
        }
    }
}

fn to_scenario(threads: &[Vec<Letter>], users: &[Sid]) -> Scenario {
    Scenario::new(
        Sid::local_system(),
        threads
            .iter()
            .map(|ops| ThreadSpec::new(ops.iter().map(|&letter| letter.op(users)).collect()))
            .collect(),
    )
}

/// The DFS configuration every scenario is checked with.
pub fn check_config(config: &ExhaustiveConfig) -> CheckConfig {
    CheckConfig {
        strategy: match config.preemptions {
            Some(k) => Strategy::Dfs {
                preemptions: Some(k),
            },
            None if config.stateful => Strategy::Stateful,
            None => Strategy::Dpor,
        },
        schedules: config.schedules_per_scenario,
        seed: 0,
        steps_max: config.steps_max,
        stop_on_first: true,
        target: config.target,
    }
}

/// Check `variant` on every scenario of `config.bound`; `progress` is called after each one.
///
/// Scenarios are handed out in order over `config.jobs` threads. Unless `config.all`, the run
/// stops at the first violating scenario in enumeration order (the lowest index wins, so the
/// result does not depend on the number of jobs or on timing).
pub fn exhaustive(
    variant: Arc<dyn Variant>,
    config: &ExhaustiveConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> ExhaustiveResult {
    let start = Instant::now();
    let (all, thread_sequences) = scenarios(&config.bound, config.reduction);
    // A shard keeps the scenarios whose enumeration index it contains, remembering the index.
    let (scenarios, positions): (Vec<Scenario>, Vec<usize>) = all
        .into_iter()
        .enumerate()
        .filter(|(n, _)| config.shard.is_none_or(|shard| shard.contains(*n)))
        .map(|(n, scenario)| (scenario, n))
        .unzip();
    let check = check_config(config);
    let total = scenarios.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let first_failing = AtomicUsize::new(usize::MAX);
    let results: Mutex<BTreeMap<usize, CheckResult>> = Mutex::new(BTreeMap::new());
    let worker = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= total || (!config.all && first_failing.load(Ordering::Relaxed) < index) {
            break;
        }
        // With a target, `first_failure` is set only by a violation of the target.
        let result = engine::check(variant.clone(), &scenarios[index], &check);
        if result.first_failure.is_some() {
            first_failing.fetch_min(index, Ordering::Relaxed);
        }
        results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index, result);
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(Progress { done, total });
    };
    crate::hunt::run_workers(config.jobs, &worker);
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    let first = first_failing.into_inner();
    let checked = if config.all || first == usize::MAX {
        total
    } else {
        first + 1
    };
    results.retain(|&index, _| index < checked);
    debug_assert_eq!(results.len(), checked);
    let mut per_invariant: BTreeMap<Invariant, usize> = BTreeMap::new();
    let mut violating = 0;
    let mut incomplete = 0;
    for result in results.values() {
        match &result.first_failure {
            Some(failure) => {
                violating += 1;
                for invariant in failure.invariants() {
                    *per_invariant.entry(invariant).or_default() += 1;
                }
            }
            None => incomplete += usize::from(!result.exhausted || result.cut_off > 0),
        }
    }
    let heaviest = results
        .iter()
        .rev()
        .max_by_key(|(_, r)| r.executions)
        .map(|(&index, _)| scenarios[index].clone());
    let counterexample = (first != usize::MAX).then(|| Counterexample {
        index: positions[first],
        scenario: scenarios[first].clone(),
        check: results[&first].clone(),
        config: check.clone(),
    });
    let scheduler = match engine::for_variant(&check, &*variant).strategy {
        Strategy::Stateful => "stateful",
        Strategy::Dpor => "dpor",
        _ => "dfs",
    };
    ExhaustiveResult {
        variant: variant.name().to_string(),
        scheduler,
        scenarios_in_bound: config.bound.scenarios(),
        thread_sequences,
        scenarios: total,
        scenarios_checked: checked,
        schedules_run: results.values().map(|r| r.executions).sum(),
        schedules_max_per_scenario: results.values().map(|r| r.executions).max().unwrap_or(0),
        heaviest,
        incomplete,
        complete: checked == total && incomplete == 0 && config.preemptions.is_none(),
        bounded: checked == total && incomplete == 0,
        violating,
        per_invariant,
        counterexample,
        elapsed_ms: start.elapsed().as_millis() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::by_name;
    use Letter::*;

    #[test]
    fn normalize_drops_what_cannot_matter() {
        assert_eq!(
            normalize(&[OpenStore, ReleaseStore, Logoff, Revert]),
            vec![]
        );
        assert_eq!(normalize(&[Imp(0), Imp(1), Logon]), vec![Imp(1), Logon]);
        assert_eq!(normalize(&[Imp(0), Revert, Logon]), vec![Logon]);
        assert_eq!(normalize(&[Imp(0), Logon, Imp(1)]), vec![Imp(0), Logon]);
        // The token at a release, and at the implicit release at the end, is kept.
        assert_eq!(
            normalize(&[Imp(0), Logon, OpenStore, Revert]),
            vec![Imp(0), Logon, OpenStore, Revert]
        );
        // A last release or logoff that the cleanup would do the same goes, with the token
        // the cleanup then releases with.
        assert_eq!(
            normalize(&[Imp(0), Logon, OpenStore, Revert, ReleaseStore]),
            vec![Imp(0), Logon, OpenStore, Revert]
        );
        assert_eq!(normalize(&[Logon, Imp(0), Logoff, Imp(1)]), vec![Logon]);
        assert_eq!(
            normalize(&[Logon, Logon, Logoff, Logoff]),
            vec![Logon, Logon]
        );
        assert_eq!(
            normalize(&[Logon, OpenStore, Logon, Logoff]),
            vec![Logon, OpenStore, Logon, Logoff],
            "the cleanup would release the first session's store before this logoff"
        );
        assert_eq!(
            normalize(&[Logon, Logon, OpenStore, Logoff]),
            vec![Logon, Logon, OpenStore]
        );
        assert_eq!(
            normalize(&[Logon, OpenStore, ReleaseStore, Logon]),
            vec![Logon, OpenStore, ReleaseStore, Logon],
            "only the last op goes"
        );
        let longer = Bound {
            ops: 5,
            ..Bound::default()
        };
        for ops in all_sequences(&longer) {
            let once = normalize(&ops);
            assert!(once.len() <= ops.len());
            assert_eq!(normalize(&once), once, "idempotent: {ops:?}");
        }
    }

    #[test]
    fn canonical_form() {
        let a = vec![Imp(1), Logon];
        let b = vec![Logon];
        assert_eq!(
            canonical(&[a.clone(), b.clone()]),
            canonical(&[b.clone(), a.clone()])
        );
        assert_eq!(
            canonical(&[a.clone(), b.clone()]),
            vec![b, vec![Imp(0), Logon]]
        );
        assert_eq!(permutations(3).len(), 6);
    }

    #[test]
    fn counts() {
        let bound = Bound {
            threads: 2,
            users: 2,
            ops: 2,
            collide: false,
        };
        assert_eq!(bound.scenarios(), 57 * 57);
        let (all, (raw, _)) = scenarios(
            &bound,
            Reduction {
                normalize: false,
                symmetry: false,
            },
        );
        assert_eq!((all.len(), raw), (57 * 57, 57));
        let (reduced, (_, normalized)) = scenarios(&bound, Reduction::default());
        assert_eq!(normalized, 6);
        assert!(reduced.len() < 49);
        assert!(reduced.iter().all(|s| s.threads.len() == 2));
    }

    /// A bound of 2 threads and 2 users with up to `ops` ops each, and the DFS with at most one
    /// preemption that the reduction tests check its scenarios with.
    fn two_threads_one_preemption(ops: usize) -> (Bound, CheckConfig) {
        let bound = Bound {
            threads: 2,
            users: 2,
            ops,
            collide: false,
        };
        let config = ExhaustiveConfig {
            bound: bound.clone(),
            preemptions: Some(1),
            ..ExhaustiveConfig::default()
        };
        (bound, check_config(&config))
    }

    /// The reductions are sound on a small bound: running every scenario unreduced gives, per
    /// scenario, the same verdict and schedule count as its representative.
    #[test]
    fn reductions_preserve_verdicts() {
        // One preemption keeps this sample quick in the default test run; the reductions do
        // not depend on the bound.
        let (bound, check) = two_threads_one_preemption(2);
        for name in ["original", "fixed", "wrong-respawn"] {
            let variant = by_name(name).unwrap();
            let users = bound.users();
            for x in all_sequences(&bound).into_iter().step_by(3) {
                for y in all_sequences(&bound).into_iter().step_by(5) {
                    let raw = to_scenario(&[x.clone(), y.clone()], &users);
                    let rep = to_scenario(&canonical(&[normalize(&x), normalize(&y)]), &users);
                    let a = engine::check(variant.clone(), &raw, &check);
                    let b = engine::check(variant.clone(), &rep, &check);
                    assert_eq!(a.failed(), b.failed(), "{name}: {raw:?} vs {rep:?}");
                    if !a.failed() {
                        assert_eq!(a.executions, b.executions, "{name}: {raw:?} vs {rep:?}");
                    }
                }
            }
        }
    }

    /// A thread whose last op does what the implicit cleanup would do is run without it: every
    /// such thread of up to three ops, beside a few others, gives the same verdict, the same
    /// violated invariants and the same schedule count (DFS, one preemption) either way.
    #[test]
    fn a_last_op_the_cleanup_does_alike_changes_nothing() {
        let (bound, check) = two_threads_one_preemption(3);
        let users = bound.users();
        let others = [vec![Imp(1), Logon], vec![Logon, OpenStore], vec![]];
        let mut compared = 0;
        for name in ["original", "fixed", "wrong-respawn", "wrong-release-lock"] {
            let variant = by_name(name).unwrap();
            for x in all_sequences(&bound) {
                let inert = drop_inert(&x);
                if !ends_as_cleanup(&inert) {
                    continue;
                }
                for y in &others {
                    let raw = to_scenario(&[inert.clone(), y.clone()], &users);
                    let rep = to_scenario(&[normalize(&x), y.clone()], &users);
                    let a = engine::check(variant.clone(), &raw, &check);
                    let b = engine::check(variant.clone(), &rep, &check);
                    let found = |r: &CheckResult| r.first_failure.as_ref().map(|f| f.invariants());
                    assert_eq!(found(&a), found(&b), "{name}: {raw:?} vs {rep:?}");
                    assert_eq!(a.executions, b.executions, "{name}: {raw:?} vs {rep:?}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }

    /// 2 threads, 2 users, 2 ops, on 2 jobs.
    fn small_bound() -> ExhaustiveConfig {
        ExhaustiveConfig {
            bound: Bound {
                threads: 2,
                users: 2,
                ops: 2,
                collide: false,
            },
            jobs: 2,
            ..ExhaustiveConfig::default()
        }
    }

    /// `MAPIHANG_FULL` is set: the slow suites run too (README, "Set up and run").
    fn full() -> bool {
        std::env::var_os("MAPIHANG_FULL").is_some()
    }

    /// `fixed` passes every schedule with at most two preemptions of every scenario in the small
    /// bound (about 36,000 schedules), and with `MAPIHANG_FULL=1` every interleaving (DPOR), a
    /// proof for the bound (about 250,000 executions); `original` violates an invariant in it,
    /// at the same scenario on one job and on two. The original's counterexample is scenario
    /// #14: DPOR runs about 190,000 executions to reach it, the DFS with at most one preemption
    /// about 2,000, so the quick run finds it so and `MAPIHANG_FULL=1` by DPOR as well.
    #[test]
    fn original_fails_and_fixed_passes_a_small_bound() {
        let config = small_bound();
        let bounded = exhaustive(
            by_name("fixed").unwrap(),
            &ExhaustiveConfig {
                preemptions: Some(2),
                ..config.clone()
            },
            &|_| {},
        );
        assert!(bounded.bounded && !bounded.complete, "{bounded:?}");
        assert_eq!(bounded.violating, 0);
        assert_eq!(bounded.scenarios_checked, bounded.scenarios);
        if full() {
            let fixed = exhaustive(by_name("fixed").unwrap(), &config, &|_| {});
            assert!(fixed.complete, "{fixed:?}");
            assert_eq!(fixed.violating, 0);
            assert_eq!(fixed.scenarios_checked, fixed.scenarios);
        }
        let mut searches = vec![ExhaustiveConfig {
            preemptions: Some(1),
            ..config.clone()
        }];
        if full() {
            searches.push(config);
        }
        for config in searches {
            let original = exhaustive(by_name("original").unwrap(), &config, &|_| {});
            let found = original
                .counterexample
                .expect("original hangs within the bound");
            assert_eq!(original.scenarios_checked, found.index + 1);
            // Scenario #14 as the CLI counts, from 1.
            assert_eq!(found.index, 13, "{:?}", config.preemptions);
            assert!(found.check.failed());
            let one_job = exhaustive(
                by_name("original").unwrap(),
                &ExhaustiveConfig { jobs: 1, ..config },
                &|_| {},
            );
            assert_eq!(one_job.counterexample.map(|c| c.index), Some(found.index));
            assert_eq!(one_job.schedules_run, original.schedules_run);
        }
    }

    /// The shards partition the scenarios, whatever checks each one: the DFS with at most one
    /// preemption (about 2,400 schedules for the whole bound, against about 237,000 by DPOR).
    #[test]
    fn shards_together_are_the_whole_run() {
        let config = ExhaustiveConfig {
            all: true,
            preemptions: Some(1),
            ..small_bound()
        };
        let variant = by_name("original").unwrap();
        let whole = exhaustive(variant.clone(), &config, &|_| {});
        assert!(whole.violating > 0);
        let shards: Vec<ExhaustiveResult> = (1..=3)
            .map(|index| {
                let shard = Some(Shard { index, count: 3 });
                exhaustive(
                    variant.clone(),
                    &ExhaustiveConfig {
                        shard,
                        ..config.clone()
                    },
                    &|_| {},
                )
            })
            .collect();
        let sum = |f: fn(&ExhaustiveResult) -> usize| shards.iter().map(f).sum::<usize>();
        assert_eq!(sum(|r| r.scenarios), whole.scenarios);
        assert_eq!(sum(|r| r.scenarios_checked), whole.scenarios_checked);
        assert_eq!(sum(|r| r.violating), whole.violating);
        assert_eq!(sum(|r| r.schedules_run), whole.schedules_run);
        let mut per_invariant: BTreeMap<Invariant, usize> = BTreeMap::new();
        for shard in &shards {
            for (&invariant, &n) in &shard.per_invariant {
                *per_invariant.entry(invariant).or_default() += n;
            }
        }
        assert_eq!(per_invariant, whole.per_invariant);
        // The first counterexample of the whole run is the first of the shard that holds it.
        let first = whole.counterexample.as_ref().unwrap().index;
        let holder = &shards[first % 3];
        assert_eq!(holder.counterexample.as_ref().unwrap().index, first);
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "x", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
