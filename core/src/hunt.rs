//! Hunting: generate scenarios of a family, run each on many schedules, and shrink the first
//! failure to a minimal scenario and a schedule with the fewest preemptions.
//!
//! Case `i` is a pure function of (seed, i): its scenario is `gen::tree(family, case_seed)`'s
//! value, and its schedules are seeded from the scenario itself, so that shrinking asks the same
//! question of every candidate and the whole hunt is deterministic. With several jobs, cases are
//! handed out in order and the failing case with the lowest index wins, so the result does not
//! depend on the number of jobs or on timing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::engine::{self, CheckConfig, CheckResult, Strategy};
use crate::family::Family;
use crate::gen;
use crate::monitor::Invariant;
use crate::scenario::{Op, Scenario};
use crate::variant::Variant;

/// What to hunt for and with what budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HuntConfig {
    /// The family scenarios are drawn from.
    pub family: Family,
    /// How many scenarios to try at most.
    pub cases: usize,
    /// Random schedules per scenario.
    pub schedules: usize,
    /// The hunt's seed.
    pub seed: u64,
    /// Only violations of this invariant count (`None`: any).
    pub target: Option<Invariant>,
    /// OS threads to spread cases over.
    pub jobs: usize,
    /// The step bound of one execution.
    pub steps_max: usize,
    /// The most candidate scenarios shrinking tries.
    pub shrink_candidates_max: usize,
    /// Schedule shrinking tries DFS with 0, 1, ... up to this many preemptions.
    pub preemptions_max: usize,
    /// The schedule budget of each of those DFS runs.
    pub dfs_schedules: usize,
}

impl Default for HuntConfig {
    fn default() -> HuntConfig {
        HuntConfig {
            family: Family::Any,
            cases: 1000,
            schedules: 200,
            seed: 0,
            target: None,
            jobs: 1,
            steps_max: engine::STEPS_MAX_DEFAULT,
            shrink_candidates_max: 2000,
            preemptions_max: 3,
            dfs_schedules: 200_000,
        }
    }
}

/// Counts of a hunt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HuntStats {
    /// Scenarios tried, up to and including the failing one.
    pub cases_tried: usize,
    /// Executions run on those scenarios.
    pub schedules_run: usize,
    /// Of those, executions the step bound cut off with nothing certain seen (not judged: a
    /// hunt that found nothing but cut some off is inconclusive, not a pass).
    pub cut_off: usize,
    /// Candidate scenarios tried while shrinking.
    pub shrink_candidates: usize,
    /// Candidates that still failed (each one a step down).
    pub shrink_accepted: usize,
    /// Executions run while shrinking (scenario and schedule).
    pub shrink_schedules: usize,
}

/// A violation found and shrunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The index of the failing case.
    pub case: usize,
    /// The scenario as generated.
    pub original: Scenario,
    /// The shrunk scenario.
    pub scenario: Scenario,
    /// The invariant kept violated while shrinking.
    pub invariant: Invariant,
    /// The check of the shrunk scenario whose first failure is the minimal schedule.
    pub check: CheckResult,
    /// The configuration that reproduces `check` exactly.
    pub config: CheckConfig,
    /// The preemption bound at which the minimal schedule was found (`None`: no bounded DFS
    /// found it, and the schedule is a random one).
    pub preemptions: Option<usize>,
}

/// What a hunt did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HuntResult {
    /// Counts.
    pub stats: HuntStats,
    /// The shrunk violation of the most severe invariant found (see
    /// [`Invariant::BY_SEVERITY`]), if one was found.
    pub found: Option<Found>,
    /// One shrunk violation per distinct invariant found, most severe first (`found` is the
    /// first); with a target invariant, only that one.
    pub distinct: Vec<Found>,
    /// Milliseconds to the first detection (wall time; the only non-deterministic fields).
    pub detection_ms: u64,
    /// Milliseconds from the start to the end of shrinking.
    pub total_ms: u64,
}

/// Where a hunt is, for progress bars.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// `done` of `total` cases run, nothing found yet.
    Searching {
        /// Cases finished.
        done: usize,
        /// Cases budgeted.
        total: usize,
    },
    /// Shrinking: `candidates` tried, the current one has `ops` ops.
    Shrinking {
        /// Candidates tried.
        candidates: usize,
        /// Ops of the smallest failing scenario so far.
        ops: usize,
    },
}

/// The seed of case `index`'s scenario.
pub fn case_seed(seed: u64, index: usize) -> u64 {
    mix(seed ^ mix(index as u64 + 1))
}

/// The schedule seed for `scenario`: derived from its content, so that the same scenario is
/// always checked on the same schedules.
pub fn schedule_seed(seed: u64, scenario: &Scenario) -> u64 {
    mix(seed ^ crate::hash::fnv1a(scenario.to_json().as_bytes()))
}

fn mix(mut z: u64) -> u64 {
    crate::hash::splitmix64(&mut z)
}

/// The distinct users that log on in `scenario` (the process user counts when a thread logs on
/// without impersonating).
pub fn users_logging_on(scenario: &Scenario) -> usize {
    let mut users = Vec::new();
    for thread in &scenario.threads {
        let mut current = &scenario.process_user;
        for op in &thread.ops {
            match op {
                Op::Impersonate(sid) | Op::ImpersonateUser { sid, .. } => current = sid,
                Op::Revert => current = &scenario.process_user,
                op if op.is_logon() && !users.contains(&current) => users.push(current),
                _ => {}
            }
        }
    }
    users.len()
}

/// Scenarios one step simpler than `scenario`, simplest kind first: without one thread, without
/// one op, with one impersonated user replaced by another one it already uses.
fn candidates(scenario: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    if scenario.threads.len() > 1 {
        for index in 0..scenario.threads.len() {
            let mut smaller = scenario.clone();
            smaller.threads.remove(index);
            out.push(smaller);
        }
    }
    for (t, thread) in scenario.threads.iter().enumerate() {
        for o in 0..thread.ops.len() {
            let mut smaller = scenario.clone();
            smaller.threads[t].ops.remove(o);
            out.push(smaller);
        }
    }
    let users: Vec<_> = scenario.users_impersonated().into_iter().cloned().collect();
    for from in &users {
        for to in users.iter().filter(|to| *to != from) {
            let mut merged = scenario.clone();
            for op in merged.threads.iter_mut().flat_map(|t| t.ops.iter_mut()) {
                if op.impersonated() == Some(from) {
                    *op = Op::Impersonate(to.clone());
                }
            }
            out.push(merged);
        }
    }
    // Dropping a thread or an op can leave a spawn, join or handle name without its target.
    out.retain(|candidate| candidate.validate().is_ok());
    out
}

/// How one scenario is checked during a hunt.
fn case_config(config: &HuntConfig, scenario: &Scenario) -> CheckConfig {
    CheckConfig {
        strategy: Strategy::Random,
        schedules: config.schedules,
        seed: schedule_seed(config.seed, scenario),
        steps_max: config.steps_max,
        stop_on_first: true,
        target: config.target,
    }
}

/// The invariant `result`'s first failure violates that the hunt is after.
fn violated(result: &CheckResult, target: Option<Invariant>) -> Option<Invariant> {
    let failure = result.first_failure.as_ref()?;
    match target {
        Some(target) => failure.invariants().contains(&target).then_some(target),
        None => failure.invariants().first().copied(),
    }
}

/// Hunt `variant` in `config.family`; `progress` is called now and then.
pub fn hunt(
    variant: Arc<dyn Variant>,
    config: &HuntConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> HuntResult {
    let start = Instant::now();
    let search = search(&variant, config, progress);
    let detection_ms = start.elapsed().as_millis() as u64;
    let mut stats = HuntStats {
        cases_tried: search.cases_tried,
        schedules_run: search.schedules_run,
        cut_off: search.cut_off,
        ..HuntStats::default()
    };
    let mut failing = search.failing;
    failing.sort_by_key(|&(_, invariant)| invariant.severity());
    let distinct: Vec<Found> = failing
        .into_iter()
        .map(|(case, invariant)| shrink(&variant, config, case, invariant, &mut stats, progress))
        .collect();
    HuntResult {
        stats,
        found: distinct.first().cloned(),
        distinct,
        detection_ms,
        total_ms: start.elapsed().as_millis() as u64,
    }
}

struct Search {
    cases_tried: usize,
    schedules_run: usize,
    cut_off: usize,
    /// Each invariant found, with the lowest case that violates it.
    failing: Vec<(usize, Invariant)>,
}

/// What the search is after: the target invariant, or (with none) every invariant the
/// variant declares it may or must violate in the family; an empty declaration (a variant
/// expected to keep everything) is searched to the end of the budget.
fn wanted(variant: &dyn Variant, config: &HuntConfig) -> Vec<Invariant> {
    match config.target {
        Some(target) => vec![target],
        None => {
            let expected = variant.expected(config.family);
            crate::monitor::distinct_invariants(expected.must.into_iter().chain(expected.may))
        }
    }
}

/// The cases, in order, up to the first that completes `wanted` (all of them when nothing is
/// wanted or the budget ends first); `None` while they do not.
fn enough(
    found: &BTreeMap<usize, Vec<Invariant>>,
    wanted: &[Invariant],
    target: bool,
) -> Option<usize> {
    if wanted.is_empty() {
        return None;
    }
    let mut seen: Vec<Invariant> = Vec::new();
    for (&index, invariants) in found {
        seen.extend(invariants.iter().copied());
        let complete = if target {
            seen.contains(&wanted[0])
        } else {
            wanted.iter().all(|w| seen.contains(w))
        };
        if complete {
            return Some(index);
        }
    }
    None
}

/// Run `worker` on `jobs` OS threads (this one included) until each returns; workers take
/// their items from a shared counter (hunt, matrix and exhaustive all work this way).
pub(crate) fn run_workers(jobs: usize, worker: &(dyn Fn() + Sync)) {
    std::thread::scope(|scope| {
        for _ in 1..jobs.max(1) {
            scope.spawn(worker);
        }
        worker();
    });
}

/// Run cases in order over `config.jobs` threads until the cases so far hold every wanted
/// invariant (see [`wanted`]), or the budget ends: the lowest failing case of each invariant
/// wins, so the result does not depend on the number of jobs.
fn search(
    variant: &Arc<dyn Variant>,
    config: &HuntConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> Search {
    let wanted = wanted(variant.as_ref(), config);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    // Per failing case, the invariants its first failure violates (the target's only).
    let found: Mutex<BTreeMap<usize, Vec<Invariant>>> = Mutex::new(BTreeMap::new());
    // The last case needed: every case up to it has been or is being run.
    let last: Mutex<Option<usize>> = Mutex::new(None);
    let executions: Mutex<BTreeMap<usize, (usize, usize)>> = Mutex::new(BTreeMap::new());
    let worker = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let beaten = last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|b| b < index);
        if index >= config.cases || beaten {
            break;
        }
        let scenario = gen::generate(config.family, case_seed(config.seed, index));
        let result = engine::check(variant.clone(), &scenario, &case_config(config, &scenario));
        executions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index, (result.executions, result.cut_off));
        let invariants = violated_all(&result, config.target);
        if !invariants.is_empty() {
            let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
            found.insert(index, invariants);
            if let Some(end) = enough(&found, &wanted, config.target.is_some()) {
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if last.is_none_or(|b| end < b) {
                    *last = Some(end);
                }
            }
        }
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(Progress::Searching {
            done,
            total: config.cases,
        });
    };
    run_workers(config.jobs, &worker);
    let found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    let end =
        enough(&found, &wanted, config.target.is_some()).map_or(config.cases, |index| index + 1);
    let mut failing: Vec<(usize, Invariant)> = Vec::new();
    for (&index, invariants) in found.range(..end) {
        for &invariant in invariants {
            if !failing.iter().any(|&(_, i)| i == invariant) {
                failing.push((index, invariant));
            }
        }
    }
    let executions = executions.into_inner().unwrap_or_else(|p| p.into_inner());
    Search {
        cases_tried: end,
        schedules_run: executions.range(..end).map(|(_, n)| n.0).sum(),
        cut_off: executions.range(..end).map(|(_, n)| n.1).sum(),
        failing,
    }
}

/// Every invariant `result`'s first failure violates that the hunt is after.
fn violated_all(result: &CheckResult, target: Option<Invariant>) -> Vec<Invariant> {
    let Some(failure) = result.first_failure.as_ref() else {
        return Vec::new();
    };
    match target {
        Some(target) => failure
            .invariants()
            .into_iter()
            .filter(|&i| i == target)
            .collect(),
        None => failure.invariants(),
    }
}

/// Shrink case `case` with proptest's value tree while it keeps violating `invariant`, then look
/// for the schedule with the fewest preemptions.
fn shrink(
    variant: &Arc<dyn Variant>,
    config: &HuntConfig,
    case: usize,
    invariant: Invariant,
    stats: &mut HuntStats,
    progress: &(dyn Fn(Progress) + Sync),
) -> Found {
    let target = HuntConfig {
        target: Some(invariant),
        ..config.clone()
    };
    let fails = |scenario: &Scenario, stats: &mut HuntStats| {
        let result = engine::check(variant.clone(), scenario, &case_config(&target, scenario));
        stats.shrink_schedules += result.executions;
        violated(&result, Some(invariant)).is_some()
    };
    let mut tree = gen::tree(config.family, case_seed(config.seed, case));
    let original = tree.current();
    let mut best = original.clone();
    if tree.simplify() {
        while stats.shrink_candidates < config.shrink_candidates_max {
            stats.shrink_candidates += 1;
            let candidate = tree.current();
            if fails(&candidate, stats) {
                stats.shrink_accepted += 1;
                best = candidate;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
            progress(Progress::Shrinking {
                candidates: stats.shrink_candidates,
                ops: best.ops_total(),
            });
        }
    }
    // proptest's shrinking walks its value tree and can stop in a local minimum; finish with a
    // greedy pass over the scenario itself (drop a thread, drop an op, merge two users).
    loop {
        let smaller = candidates(&best).into_iter().find(|candidate| {
            if stats.shrink_candidates >= config.shrink_candidates_max
                || !config.family.contains(candidate)
            {
                return false;
            }
            stats.shrink_candidates += 1;
            fails(candidate, stats)
        });
        match smaller {
            Some(candidate) => {
                stats.shrink_accepted += 1;
                best = candidate;
                progress(Progress::Shrinking {
                    candidates: stats.shrink_candidates,
                    ops: best.ops_total(),
                });
            }
            None => break,
        }
    }
    // The fewest preemptions: DFS bounded by 0, 1, ... preemptions; its first failure is minimal.
    for preemptions in 0..=config.preemptions_max {
        let dfs = CheckConfig {
            strategy: Strategy::Dfs {
                preemptions: Some(preemptions),
            },
            schedules: config.dfs_schedules,
            seed: 0,
            steps_max: config.steps_max,
            stop_on_first: true,
            target: Some(invariant),
        };
        let check = engine::check(variant.clone(), &best, &dfs);
        stats.shrink_schedules += check.executions;
        if violated(&check, Some(invariant)).is_some() {
            return Found {
                case,
                original,
                scenario: best,
                invariant,
                check,
                config: dfs,
                preemptions: Some(preemptions),
            };
        }
    }
    let random = case_config(&target, &best);
    let check = engine::check(variant.clone(), &best, &random);
    stats.shrink_schedules += check.executions;
    Found {
        case,
        original,
        scenario: best,
        invariant,
        check,
        config: random,
        preemptions: None,
    }
}
