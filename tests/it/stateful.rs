//! The stateful search (state caching) against DPOR: on generated scenarios that DPOR finishes,
//! `stateful` must finish too and see exactly the same violated invariants and the same
//! terminal outcomes (issue 11's proof that the fingerprint is complete). The default run
//! checks a sample; every case is searched twice by the stateful search, by one worker and by
//! two sharing the search (`check --jobs 2`); `MAPIHANG_STATEFUL_SOUNDNESS=N` compares N cases
//! (scripts/stateful-soundness.sh runs 300).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::scenario::{Op, Scenario, ThreadSpec};
use mapihang_core::variant::builtin;

use crate::dpor::{small_case, FAMILIES};

fn search(strategy: Strategy, schedules: usize) -> CheckConfig {
    CheckConfig {
        strategy,
        schedules,
        ..CheckConfig::default()
    }
}

/// The stateful search's budget, in multiples of DPOR's.
const STATEFUL_FACTOR: usize = 20;

#[derive(Default)]
struct Tally {
    tried: u64,
    compared: usize,
    /// DPOR did not finish within its budget: nothing to compare with.
    dpor_unfinished: usize,
    unusable: usize,
    dpor_executions: usize,
    stateful_executions: usize,
    dpor_seconds: f64,
    stateful_seconds: f64,
    mismatches: Vec<String>,
}

/// Compare the two searches on cases `0..` (every family, every built-in variant without code
/// of its own, case `n` cut to `1 + n % threads` threads of `1 + (n / threads) % ops` ops) until
/// `target` cases are compared or `max_cases` were tried, on `jobs` threads.
fn compare(
    target: usize,
    max_cases: u64,
    (threads, ops): (usize, usize),
    budget: usize,
    jobs: usize,
    verbose: bool,
) -> Tally {
    let variants: Vec<_> = builtin()
        .into_iter()
        .filter(|v| v.machinery().is_none())
        .collect();
    let next = AtomicU64::new(0);
    let compared = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    let seen = Mutex::new(std::collections::BTreeSet::<(usize, String)>::new());
    let one = |n: u64| {
        let variant_index = (n as usize / FAMILIES.len()) % variants.len();
        let variant = variants[variant_index].clone();
        let i = (n % (threads * ops) as u64) as usize;
        let Some((family, scenario)) = small_case(n, 1 + i % threads, 1 + i / threads) else {
            tally.lock().unwrap().unusable += 1;
            return;
        };
        // Every fourth case gets two interchangeable threads (every eighth three), which the
        // stateful search reduces by (it stores one state of each orbit under permuting them):
        // the outcomes are compared up to the permutations.
        let twin = match n % 8 {
            3 => twinned(&scenario, 2),
            7 => twinned(&scenario, 3),
            _ => None,
        };
        let twins = match &twin {
            Some(t) if n % 8 == 7 && t.threads.len() >= 3 => ", tripled",
            Some(_) => ", twinned",
            None => "",
        };
        let scenario = twin.unwrap_or(scenario);
        let json = scenario.to_json();
        if !seen.lock().unwrap().insert((variant_index, json.clone())) {
            tally.lock().unwrap().unusable += 1;
            return;
        }
        let head = format!(
            "case {n} (family {family}, seed {:#x}, variant {}, {} thread(s), {} op(s){twins})",
            0x5eed_0000 + n,
            variant.name(),
            scenario.threads.len(),
            scenario.ops_total()
        );
        let clock = Instant::now();
        let dpor = engine::explore(variant.clone(), &scenario, &search(Strategy::Dpor, budget));
        let dpor_seconds = clock.elapsed().as_secs_f64();
        if !dpor.exhausted {
            if verbose {
                eprintln!("{head}: dpor did not finish in {budget} executions");
            }
            tally.lock().unwrap().dpor_unfinished += 1;
            return;
        }
        let clock = Instant::now();
        // Without partial-order reduction the stateful search may need more executions than
        // DPOR on a small case (up to about 13 times as many measured): it gets 20 times the
        // budget, and must finish within it.
        let config = search(Strategy::Stateful, STATEFUL_FACTOR * budget);
        let stateful = engine::explore(variant.clone(), &scenario, &config);
        let stateful_seconds = clock.elapsed().as_secs_f64();
        // The same search shared by two workers (`check --jobs 2`) must see the same too.
        let shared = engine::explore_jobs(variant, &scenario, &config, 2);
        let mut why = Vec::new();
        for (name, seen) in [("stateful", &stateful), ("stateful on 2 workers", &shared)] {
            if !seen.exhausted {
                why.push(format!(
                    "{name} did not finish in {} executions",
                    STATEFUL_FACTOR * budget
                ));
            }
            if seen.invariants != dpor.invariants {
                why.push(format!(
                    "violated invariants differ: dpor {:?}, {name} {:?}",
                    dpor.invariants, seen.invariants
                ));
            }
            if seen.outcomes != dpor.outcomes {
                why.push(format!(
                    "terminal outcomes differ: only dpor {:?}, only {name} {:?}",
                    dpor.outcomes.difference(&seen.outcomes).collect::<Vec<_>>(),
                    seen.outcomes.difference(&dpor.outcomes).collect::<Vec<_>>()
                ));
            }
        }
        if verbose {
            eprintln!(
                "{head}: dpor {} ({dpor_seconds:.2} s), stateful {} ({stateful_seconds:.2} s), {} outcome(s), invariants {:?}{}",
                dpor.executions,
                stateful.executions,
                dpor.outcomes.len(),
                dpor.invariants,
                if why.is_empty() { "" } else { ": MISMATCH" }
            );
        }
        compared.fetch_add(1, Ordering::SeqCst);
        let mut tally = tally.lock().unwrap();
        tally.compared += 1;
        tally.dpor_executions += dpor.executions;
        tally.stateful_executions += stateful.executions;
        tally.dpor_seconds += dpor_seconds;
        tally.stateful_seconds += stateful_seconds;
        if !why.is_empty() {
            tally
                .mismatches
                .push(format!("{head}: {}; scenario {json}", why.join("; ")));
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                if compared.load(Ordering::SeqCst) >= target {
                    return;
                }
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= max_cases {
                    return;
                }
                one(n);
            });
        }
    });
    let mut tally = tally.into_inner().unwrap();
    tally.tried = next.load(Ordering::SeqCst).min(max_cases);
    tally
}

/// `scenario` with its first `copies` threads running the first one's ops (threads added as
/// needed), when that is a valid scenario whose threads all start at once and name no thread.
fn twinned(scenario: &Scenario, copies: usize) -> Option<Scenario> {
    let plain = scenario.threads.iter().all(|t| {
        !t.spawned
            && !t
                .ops
                .iter()
                .any(|op| matches!(op, Op::Spawn(_) | Op::Join(_)))
    });
    let first = scenario.threads.first()?;
    if !plain {
        return None;
    }
    let mut twin = scenario.clone();
    for index in 1..copies {
        match twin.threads.get_mut(index) {
            Some(thread) => thread.ops = first.ops.clone(),
            None => twin.threads.push(ThreadSpec::new(first.ops.clone())),
        }
    }
    twin.validate().is_ok().then_some(twin)
}

#[test]
fn stateful_sees_what_dpor_sees() {
    // The full run (scripts/stateful-soundness.sh): N cases of every size up to 3 threads of 4
    // ops, DPOR up to 1,000,000 executions; the default sample: 30 cases up to 2 threads of 2
    // ops, DPOR up to 2,000 (seconds in a debug build). The stateful search gets 20 times the
    // budget.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let full: Option<usize> = env("MAPIHANG_STATEFUL_SOUNDNESS");
    let (target, sizes, budget, jobs) = match full {
        Some(n) => (
            n,
            (3, 4),
            env("MAPIHANG_STATEFUL_BUDGET").unwrap_or(1_000_000),
            env("MAPIHANG_STATEFUL_JOBS").unwrap_or(2),
        ),
        None => (30, (2, 2), 2_000, 2),
    };
    let max_cases: u64 = std::env::var("MAPIHANG_STATEFUL_MAX_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10 * target as u64);
    let clock = Instant::now();
    let tally = compare(target, max_cases, sizes, budget, jobs, full.is_some());
    eprintln!(
        "stateful vs dpor: {} cases tried, {} compared, {} skipped (dpor did not finish in {budget} \
         executions), {} unusable; executions over the compared cases: dpor {} ({:.1} s), \
         stateful {} ({:.1} s); {} mismatch(es); {:.0} s in all on {jobs} job(s)",
        tally.tried,
        tally.compared,
        tally.dpor_unfinished,
        tally.unusable,
        tally.dpor_executions,
        tally.dpor_seconds,
        tally.stateful_executions,
        tally.stateful_seconds,
        tally.mismatches.len(),
        clock.elapsed().as_secs_f64(),
    );
    assert!(
        tally.mismatches.is_empty(),
        "{}",
        tally.mismatches.join("\n")
    );
    assert!(
        tally.compared >= target,
        "enough cases compared: {} of {target}",
        tally.compared
    );
}

/// Two interchangeable threads on a scenario that hangs: each logs on as the process user, then
/// as one user it impersonates, and opens a store (its implicit cleanup releases it, which waits
/// for a poller that may have quit). The stateful search, which stores one state of each swapped
/// pair here, must see what DPOR sees under every variant where DPOR finishes at once: the same
/// violated invariants (`poller-signals` among them) and the same terminal outcomes up to the
/// swap, with one worker and with two. (Under `fixed` DPOR does not finish in 100,000
/// executions here; passes with twins are in the sample of `stateful_sees_what_dpor_sees`.)
#[test]
fn interchangeable_threads_that_hang_are_seen_as_dpor_sees_them() {
    let thread =
        r#"{"ops": ["logon", {"impersonate": "S-1-5-21-7-8-9-1001"}, "logon", "open_store"]}"#;
    let text = format!(r#"{{"process_user": "S-1-5-18", "threads": [{thread}, {thread}]}}"#);
    let scenario = Scenario::from_json(&text).unwrap();
    for name in [
        "original",
        "fix-full-sid",
        "wrong-signal-on-exit",
        "wrong-respawn",
    ] {
        let variant = mapihang_core::variant::by_name(name).unwrap();
        let dpor = engine::explore(variant.clone(), &scenario, &search(Strategy::Dpor, 100_000));
        assert!(dpor.exhausted, "{name}: dpor finishes");
        let hangs = mapihang_core::monitor::Invariant::PollerSignals;
        assert!(
            dpor.invariants.contains(&hangs),
            "{name}: {:?}",
            dpor.invariants
        );
        let config = search(Strategy::Stateful, 100_000);
        let checked = engine::check(variant.clone(), &scenario, &config);
        assert_eq!(checked.symmetry, vec![vec![0, 1]], "{name}");
        for jobs in [1, 2] {
            let seen = engine::explore_jobs(variant.clone(), &scenario, &config, jobs);
            assert!(seen.exhausted, "{name} on {jobs} worker(s)");
            assert_eq!(seen.invariants, dpor.invariants, "{name} on {jobs}");
            assert_eq!(seen.outcomes, dpor.outcomes, "{name} on {jobs}");
            assert!(seen.executions < dpor.executions, "{name} on {jobs}");
        }
    }
}

#[test]
fn the_binary_says_what_the_stateful_search_covered() {
    let dir = crate::fresh_dir("stateful-cli");
    let scenario = dir.join("two-threads.json");
    std::fs::write(
        &scenario,
        r#"{"threads":[{"ops":["logon","logoff"]},{"ops":["logon","logoff"]}]}"#,
    )
    .unwrap();
    let path = scenario.to_str().unwrap();
    let args = [
        "check",
        path,
        "--variant",
        "fixed",
        "--scheduler",
        "stateful",
        "--schedules",
        "1000000",
    ];
    let out = crate::cli::mapihang(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    crate::schema::check(
        &report,
        "Report (",
        &[
            "hunt",
            "inconclusive",
            "schedule",
            "repro",
            "trace",
            "stacks",
        ],
    );
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["complete"], true);
    assert_eq!(report["scheduler"], "stateful");
    let states = report["states"].as_u64().unwrap();
    assert!(states > 0);
    let statement = report["guarantee"]["statement"].as_str().unwrap();
    assert!(
        statement.starts_with(&format!("every reachable state explored ({states} states")),
        "{statement}"
    );
    let text = crate::cli::mapihang(&args);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("every reachable state explored ({states} states")),
        "{text}"
    );
    // A variant with code of its own: the fingerprint cannot see its state.
    let refused = crate::cli::mapihang(&[
        "check",
        path,
        "--variant",
        "wrong-release-lock",
        "--scheduler",
        "stateful",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("use --scheduler dpor"), "{stderr}");
}

/// `check --jobs 2` shares one stateful search between two workers: the same verdicts as one
/// worker, complete on a pass, and a bad number of jobs is bad input.
#[test]
fn two_workers_give_the_verdicts_of_one() {
    let scenario = "examples/scenarios/seed-repro.json";
    let run = |variant: &str, jobs: &str| {
        let args = [
            "check",
            scenario,
            "--variant",
            variant,
            "--scheduler",
            "stateful",
            "--schedules",
            "1000000",
            "--jobs",
            jobs,
            "--format",
            "json",
        ];
        let out = crate::cli::mapihang(&args);
        let report: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
        (out.status.code(), report)
    };
    for variant in ["original", "fixed"] {
        let (one, one_report) = run(variant, "1");
        let (two, two_report) = run(variant, "2");
        assert_eq!(one, two, "{variant}: exit codes");
        let (one_report, two_report) = (one_report.unwrap(), two_report.unwrap());
        for field in ["verdict", "complete"] {
            assert_eq!(one_report[field], two_report[field], "{variant}: {field}");
        }
    }
    assert_eq!(run("fixed", "2").0, Some(0));
    assert_eq!(run("fixed", "2").1.unwrap()["complete"], true);
    assert_eq!(run("original", "2").0, Some(1));
    assert_eq!(run("fixed", "0").0, Some(2));
}
