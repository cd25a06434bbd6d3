//! Partial-order reduction against plain depth-first search: on generated scenarios small
//! enough for the unbounded DFS to finish, `dpor` must see exactly the same violated invariants
//! and the same terminal outcomes, in no more executions. The default run checks a sample; set
//! `MAPIHANG_DPOR_SOUNDNESS=N` for N scenarios (scripts/dpor-soundness.sh runs 300).

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::{Op, Scenario};
use mapihang_core::variant::{builtin, by_name};

use crate::load;

pub(crate) const FAMILIES: [Family; 5] = [
    Family::ServiceAccount,
    Family::SameUser,
    Family::MultiUser,
    Family::Mixed,
    Family::CrcCollision,
];

fn search(strategy: Strategy, schedules: usize) -> CheckConfig {
    CheckConfig {
        strategy,
        schedules,
        ..CheckConfig::default()
    }
}

/// Case `n`: a scenario of the family `n` names (seed `0x5eed_0000 + n`), cut to at most
/// `threads` threads of at most `ops` ops each (repeats expanded first, so the cut counts the
/// ops the engine runs). Threads that start at once are kept before spawned ones, a spawned
/// thread only while some kept op still spawns it, and spawns and joins of dropped threads are
/// dropped. `None` when what is left is not a valid scenario (a named store whose opening was
/// cut off, say) or logs on nowhere.
pub(crate) fn small_case(n: u64, threads: usize, ops: usize) -> Option<(Family, Scenario)> {
    let family = FAMILIES[(n % FAMILIES.len() as u64) as usize];
    let mut scenario = gen::generate(family, 0x5eed_0000 + n);
    for thread in &mut scenario.threads {
        thread.ops = thread.expanded();
    }
    let starters = (0..scenario.threads.len()).filter(|&t| !scenario.threads[t].spawned);
    let spawned = (0..scenario.threads.len()).filter(|&t| scenario.threads[t].spawned);
    let mut keep: Vec<usize> = starters.chain(spawned).take(threads).collect();
    loop {
        keep.sort_unstable();
        let names: Vec<String> = keep.iter().map(|&t| scenario.thread_name(t)).collect();
        let mut cut = scenario.clone();
        cut.threads = keep.iter().map(|&t| scenario.threads[t].clone()).collect();
        for thread in &mut cut.threads {
            thread
                .ops
                .retain(|op| !matches!(op, Op::Spawn(t) | Op::Join(t) if !names.contains(t)));
            thread.ops.truncate(ops);
        }
        let spawns: Vec<&String> = cut
            .threads
            .iter()
            .flat_map(|t| &t.ops)
            .filter_map(|op| match op {
                Op::Spawn(name) => Some(name),
                _ => None,
            })
            .collect();
        let orphans: Vec<usize> = (0..keep.len())
            .filter(|&i| cut.threads[i].spawned && !spawns.contains(&&names[i]))
            .map(|i| keep[i])
            .collect();
        if orphans.is_empty() {
            // A case with no logon left runs no MAPI machinery: nothing to compare.
            let logs_on = cut.threads.iter().flat_map(|t| &t.ops).any(Op::is_logon);
            return (logs_on && cut.validate().is_ok()).then_some((family, cut));
        }
        keep.retain(|t| !orphans.contains(t));
        if keep.is_empty() {
            return None;
        }
    }
}

/// The bound each case is cut to.
#[derive(Clone, Copy)]
enum Sizes {
    /// Every case cut to at most this many threads of this many ops.
    Fixed(usize, usize),
    /// Case `n` cut to `1 + n % T` threads of `1 + (n / T) % O` ops (up to `T` threads of `O`
    /// ops): every size in the bound in turn, so that the cases DFS can finish are not only
    /// those a generator happens to draw small. `T * O` is coprime to the 55 (family, variant)
    /// pairs, so 55 * T * O consecutive cases cover every family, variant and size together.
    Cycled(usize, usize),
}

impl Sizes {
    fn of(self, n: u64) -> (usize, usize) {
        match self {
            Sizes::Fixed(threads, ops) => (threads, ops),
            Sizes::Cycled(threads, ops) => {
                let i = (n % (threads * ops) as u64) as usize;
                (1 + i % threads, 1 + i / threads)
            }
        }
    }
}

/// How one case compared.
struct Case {
    n: u64,
    line: String,
    outcome: CaseOutcome,
}

enum CaseOutcome {
    /// Both searches finished: executions and seconds of each, and any disagreement.
    Compared {
        dfs: (usize, f64),
        dpor: (usize, f64),
        mismatch: Option<String>,
    },
    /// DFS did not finish within its budget (seconds spent on the case).
    DfsUnfinished(f64),
    /// DPOR did not finish within the prefilter's executions: DFS was not run (seconds).
    Prefiltered(f64),
    /// The cut scenario was not valid, or repeated an earlier case under the same variant.
    Unusable,
}

/// What [`compare`] saw over all its cases.
#[derive(Default)]
struct Tally {
    tried: usize,
    compared: usize,
    dfs_unfinished: usize,
    prefiltered: usize,
    prefiltered_seconds: f64,
    unusable: usize,
    dfs_executions: usize,
    dpor_executions: usize,
    dfs_seconds: f64,
    dpor_seconds: f64,
    unfinished_seconds: f64,
    mismatches: Vec<String>,
}

/// Compare `dpor` with unbounded DFS on small generated scenarios (every family, every built-in
/// variant in turn) until `target` cases are compared or `max_cases` were tried, on `jobs`
/// threads. DFS runs first, up to `dfs_budget` schedules; a case whose DFS does not finish is
/// skipped (and counted). On every case whose DFS finishes, DPOR (with the same budget) must
/// finish, see the same violated invariants and the same terminal outcomes, and run no more
/// executions; a disagreement is recorded with its case (seed, variant, scenario), not
/// stopped at, so that the run reports every one. `verbose`: one line per case on stderr.
fn compare(
    target: usize,
    max_cases: u64,
    sizes: Sizes,
    dfs_budget: usize,
    prefilter: Option<usize>,
    jobs: usize,
    verbose: bool,
) -> Tally {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;

    let variants = builtin();
    let next = AtomicU64::new(0);
    let compared = AtomicUsize::new(0);
    let seen = Mutex::new(std::collections::BTreeMap::<(usize, String), u64>::new());
    let cases = Mutex::new(Vec::<Case>::new());
    let one = |n: u64| -> Case {
        let variant_index = (n as usize / FAMILIES.len()) % variants.len();
        let variant = variants[variant_index].clone();
        let (threads, ops) = sizes.of(n);
        let Some((family, scenario)) = small_case(n, threads, ops) else {
            return Case {
                n,
                line: format!("case {n}: not a valid scenario once cut, or no logon left"),
                outcome: CaseOutcome::Unusable,
            };
        };
        let json = scenario.to_json();
        if let Some(first) = seen
            .lock()
            .unwrap()
            .insert((variant_index, json.clone()), n)
        {
            return Case {
                n,
                line: format!("case {n}: the same as case {first} under the same variant"),
                outcome: CaseOutcome::Unusable,
            };
        }
        let size = format!(
            "{} thread(s), {} op(s)",
            scenario.threads.len(),
            scenario.ops_total()
        );
        let head = format!(
            "case {n} (family {family}, seed {:#x}, variant {}, {size})",
            0x5eed_0000 + n,
            variant.name()
        );
        let run_dpor = |budget: usize| {
            let clock = Instant::now();
            let dpor = engine::explore(variant.clone(), &scenario, &search(Strategy::Dpor, budget));
            (dpor, clock.elapsed().as_secs_f64())
        };
        // With a prefilter of T, DPOR runs first within T executions and DFS only where it
        // finished: a case DPOR needs more for is skipped without DFS (and counted apart).
        let early = match prefilter {
            Some(limit) => {
                let (dpor, seconds) = run_dpor(limit);
                if !dpor.exhausted {
                    return Case {
                        n,
                        line: format!(
                            "{head}: prefiltered, dpor did not finish in {limit} executions ({seconds:.1} s); dfs not run"
                        ),
                        outcome: CaseOutcome::Prefiltered(seconds),
                    };
                }
                Some((dpor, seconds))
            }
            None => None,
        };
        let clock = Instant::now();
        let dfs = engine::explore(
            variant.clone(),
            &scenario,
            &search(Strategy::Dfs { preemptions: None }, dfs_budget),
        );
        let dfs_seconds = clock.elapsed().as_secs_f64();
        if !dfs.exhausted {
            return Case {
                n,
                line: format!(
                    "{head}: dfs did not finish in {dfs_budget} schedules ({dfs_seconds:.1} s)"
                ),
                outcome: CaseOutcome::DfsUnfinished(
                    dfs_seconds + early.as_ref().map_or(0.0, |e| e.1),
                ),
            };
        }
        let (dpor, dpor_seconds) = early.unwrap_or_else(|| run_dpor(dfs_budget));
        let mut why = Vec::new();
        if !dpor.exhausted {
            why.push(format!("dpor did not finish in {dfs_budget} executions"));
        }
        if dpor.invariants != dfs.invariants {
            why.push(format!(
                "violated invariants differ: dfs {:?}, dpor {:?}",
                dfs.invariants, dpor.invariants
            ));
        }
        if dpor.outcomes != dfs.outcomes {
            why.push(format!(
                "terminal outcomes differ: only dfs {:?}, only dpor {:?}",
                dfs.outcomes.difference(&dpor.outcomes).collect::<Vec<_>>(),
                dpor.outcomes.difference(&dfs.outcomes).collect::<Vec<_>>()
            ));
        }
        if dpor.executions > dfs.executions {
            why.push(format!(
                "dpor ran {} executions, dfs {}",
                dpor.executions, dfs.executions
            ));
        }
        let mismatch =
            (!why.is_empty()).then(|| format!("{head}: {}; scenario {json}", why.join("; ")));
        compared.fetch_add(1, Ordering::SeqCst);
        Case {
            n,
            line: format!(
                "{head}: dfs {} ({dfs_seconds:.2} s), dpor {} ({dpor_seconds:.2} s), {} outcome(s), invariants {:?}{}",
                dfs.executions,
                dpor.executions,
                dfs.outcomes.len(),
                dfs.invariants,
                if mismatch.is_some() { ": MISMATCH" } else { "" }
            ),
            outcome: CaseOutcome::Compared {
                dfs: (dfs.executions, dfs_seconds),
                dpor: (dpor.executions, dpor_seconds),
                mismatch,
            },
        }
    };
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                if compared.load(Ordering::SeqCst) >= target {
                    break;
                }
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= max_cases {
                    break;
                }
                let case = one(n);
                if verbose {
                    eprintln!("{}", case.line);
                    if let CaseOutcome::Compared {
                        mismatch: Some(why),
                        ..
                    } = &case.outcome
                    {
                        eprintln!("MISMATCH {why}");
                    }
                }
                cases.lock().unwrap().push(case);
            });
        }
    });
    let mut cases = cases.into_inner().unwrap();
    cases.sort_by_key(|c| c.n);
    let mut tally = Tally::default();
    for case in cases {
        tally.tried += 1;
        match case.outcome {
            CaseOutcome::Compared {
                dfs,
                dpor,
                mismatch,
            } => {
                tally.compared += 1;
                tally.dfs_executions += dfs.0;
                tally.dfs_seconds += dfs.1;
                tally.dpor_executions += dpor.0;
                tally.dpor_seconds += dpor.1;
                tally.mismatches.extend(mismatch);
            }
            CaseOutcome::DfsUnfinished(seconds) => {
                tally.dfs_unfinished += 1;
                tally.unfinished_seconds += seconds;
            }
            CaseOutcome::Prefiltered(seconds) => {
                tally.prefiltered += 1;
                tally.prefiltered_seconds += seconds;
            }
            CaseOutcome::Unusable => tally.unusable += 1,
        }
    }
    tally
}

#[test]
fn dpor_sees_what_unbounded_dfs_sees() {
    // The full run (scripts/dpor-soundness.sh): N cases of every size up to 3 threads of 4 ops,
    // DFS up to 2 million schedules, optionally a DPOR prefilter; the default sample: 10 cases
    // cut to 2 threads of 2 ops, DFS up to 20,000 where DPOR needed at most 1,000.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let full: Option<usize> = env("MAPIHANG_DPOR_SOUNDNESS");
    let (target, sizes, budget, prefilter, jobs) = match full {
        Some(n) => (
            n,
            Sizes::Cycled(3, 4),
            env("MAPIHANG_DPOR_DFS_BUDGET").unwrap_or(2_000_000),
            env("MAPIHANG_DPOR_PREFILTER"),
            env("MAPIHANG_DPOR_JOBS").unwrap_or(1),
        ),
        // The sample keeps `cargo test` quick: DFS only where DPOR finished within 1,000.
        None => (10, Sizes::Fixed(2, 2), 20_000, Some(1_000), 1),
    };
    let max_cases: u64 = std::env::var("MAPIHANG_DPOR_MAX_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40 * target as u64);
    let clock = std::time::Instant::now();
    let tally = compare(
        target,
        max_cases,
        sizes,
        budget,
        prefilter,
        jobs,
        full.is_some(),
    );
    eprintln!(
        "dpor vs dfs: {} cases tried, {} compared; skipped: {} because dfs did not finish in \
         {budget} schedules ({:.0} s spent on them), {} by the prefilter ({prefilter:?}: dpor did \
         not finish within it, dfs not run; {:.0} s), {} unusable (invalid once cut, or a \
         repeat); executions over the compared cases: dfs {} ({:.1} s), dpor {} ({:.1} s); {} \
         mismatch(es); {:.0} s in all on {jobs} job(s)",
        tally.tried,
        tally.compared,
        tally.dfs_unfinished,
        tally.unfinished_seconds,
        tally.prefiltered,
        tally.prefiltered_seconds,
        tally.unusable,
        tally.dfs_executions,
        tally.dfs_seconds,
        tally.dpor_executions,
        tally.dpor_seconds,
        tally.mismatches.len(),
        clock.elapsed().as_secs_f64(),
    );
    if full.is_none() {
        // (The full run printed each one with its case.)
        for mismatch in &tally.mismatches {
            eprintln!("MISMATCH {mismatch}");
        }
    }
    assert!(
        tally.mismatches.is_empty(),
        "{}",
        tally.mismatches.join("\n")
    );
    assert!(
        tally.compared >= target,
        "enough small cases: {} of {target}",
        tally.compared
    );
}

#[test]
fn dpor_is_complete_on_a_small_repro_and_finds_the_hang() {
    // The seed's repro with T2 logging on and off only (the seed's full repro takes a million
    // executions: docs/performance.md).
    let scenario = Scenario::from_json(
        r#"{"threads":[
            {"ops":[{"impersonate":"S-1-5-21-7-8-9-1001"},"logon","open_store","release_store"]},
            {"ops":[{"impersonate":"S-1-5-21-7-8-9-1002"},"logon","logoff"]}]}"#,
    )
    .unwrap();
    let config = search(Strategy::Dpor, 5_000_000);
    // The hang is found (the original's whole search, 47,258 executions, is not needed for it).
    let original = engine::check(
        by_name("original").unwrap(),
        &scenario,
        &CheckConfig {
            stop_on_first: true,
            target: Some(Invariant::PollerSignals),
            ..config.clone()
        },
    );
    assert!(original.failed());
    assert!(original
        .per_invariant
        .contains_key(&Invariant::PollerSignals));
    // The fix passes every interleaving (135,395 executions).
    let fixed = engine::check(by_name("fixed").unwrap(), &scenario, &config);
    assert!(!fixed.failed(), "{:?}", fixed.per_invariant);
    assert!(fixed.complete && fixed.exhausted && fixed.cut_off == 0);
    assert_eq!(fixed.traces + fixed.pruned, fixed.executions);
}

#[test]
fn a_bounded_or_sampled_pass_is_not_complete() {
    let scenario = load("seed-repro.json");
    let fixed = by_name("fixed").unwrap();
    for strategy in [
        Strategy::Random,
        Strategy::Pct { depth: 3 },
        Strategy::Dfs {
            preemptions: Some(1),
        },
    ] {
        let result = engine::check(fixed.clone(), &scenario, &search(strategy.clone(), 500));
        assert!(!result.complete, "{strategy:?}");
    }
    // A DPOR search stopped by its budget is not complete either.
    let cut = engine::check(fixed, &scenario, &search(Strategy::Dpor, 100));
    assert!(!cut.exhausted && !cut.complete);
}

/// `Continuations` after a prefix of a violating schedule finds a violation (the schedule
/// itself is one continuation), for every prefix length; after no prefix it is the complete
/// search, execution for execution; and under a fix that passes completely, the continuations
/// of the longer prefixes pass (all but one step, and the whole schedule; half of it too with
/// `MAPIHANG_FULL=1`).
#[test]
fn the_continuations_of_a_prefix_contain_the_schedule_it_came_from() {
    let scenario = load("seed-repro.json");
    let original = by_name("original").unwrap();
    let config = search(Strategy::Dpor, 100_000);
    let found = engine::check(original.clone(), &scenario, &config);
    let failure = found.first_failure.expect("DPOR finds the seed's hang");
    let steps = failure.schedule.steps.len();
    for k in [0, 1, steps / 4, steps / 2, steps - 1, steps] {
        let mut prefix = failure.schedule.clone();
        prefix.steps.truncate(k);
        let after = engine::check(
            original.clone(),
            &scenario,
            &CheckConfig {
                stop_on_first: true,
                ..search(Strategy::Continuations(prefix.clone()), 100_000)
            },
        );
        assert!(after.failed(), "after {k} of {steps} steps: {after:?}");
        if k < steps / 2 {
            continue; // the fix's whole search takes a million executions: see `exhaustive`
        }
        if k == steps / 2 && !crate::full() {
            continue; // the longest of these searches: with MAPIHANG_FULL=1 only
        }
        let fixed = engine::check(
            by_name("fixed").unwrap(),
            &scenario,
            &search(Strategy::Continuations(prefix), 2_000_000),
        );
        assert!(fixed.complete && !fixed.failed(), "fixed after {k} steps");
    }
    let scenario = load("crc-collision.json");
    let whole = engine::check(
        original.clone(),
        &scenario,
        &search(Strategy::Dpor, 200_000),
    );
    let after_nothing = engine::check(
        original,
        &scenario,
        &search(Strategy::Continuations(Default::default()), 200_000),
    );
    assert!(whole.complete && after_nothing.complete);
    assert_eq!(whole.executions, after_nothing.executions);
    assert_eq!(whole.per_invariant, after_nothing.per_invariant);
}
