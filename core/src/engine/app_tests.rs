//! The extended ops, run: spawned threads, joins, events, locks, named handles, repeats. Each
//! test runs every interleaving (DPOR, complete) or a fixed-seed sample and looks at the logs.

use std::sync::{Arc, Mutex};

use super::*;
use crate::ids::{Actor, UserId};
use crate::scenario::Op;
use crate::trace::{Entry, Event, WaitOn};

/// Every execution's log under `strategy` (a budget far above what these scenarios need).
fn logs(variant: &str, scenario: &str, strategy: Strategy) -> Vec<(SimOutcome, Vec<Finding>)> {
    logs_within(variant, scenario, strategy, 200_000)
}

/// [`logs`] within `schedules` executions.
fn logs_within(
    variant: &str,
    scenario: &str,
    strategy: Strategy,
    schedules: usize,
) -> Vec<(SimOutcome, Vec<Finding>)> {
    let scenario = Scenario::from_json(scenario).unwrap();
    let variant = crate::variant::by_name(variant).unwrap();
    let compiled = Arc::new(compile(&scenario));
    let certainty = compiled.certainty(variant.as_ref());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let stats = runner::run(
        &strategy,
        0,
        schedules,
        STEPS_MAX_DEFAULT,
        execution_body(variant, compiled),
        move |sim, _| {
            let (findings, _) = judge_settled(&sim, &certainty);
            sink.lock().unwrap().push((sim.outcome(), findings));
            Next::Continue
        },
    );
    if strategy == Strategy::Dpor {
        assert!(stats.exhausted, "the complete search finished");
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(!seen.is_empty());
    seen
}

fn events_of(log: &[Entry], actor: Actor) -> Vec<Event> {
    log.iter()
        .filter(|e| e.actor == actor)
        .map(|e| e.event)
        .collect()
}

const ALICE: &str = "S-1-5-21-7-8-9-1001";

#[test]
fn a_spawned_thread_starts_as_the_process_user_and_makes_a_second_list() {
    // main impersonates alice and logs on (alice's list), then spawns W, whose logon is the
    // process user's: a second list, whatever main's token was.
    let scenario = format!(
        r#"{{"users":{{"alice":"{ALICE}"}},"threads":[
          {{"name":"main","ops":[{{"impersonate":"alice"}},"logon",{{"spawn":"W"}},{{"join":"W"}}]}},
          {{"name":"W","spawned":true,"ops":["logon"]}}]}}"#
    );
    for (outcome, _) in logs("fixed", &scenario, Strategy::Dpor) {
        let w = events_of(&outcome.log, Actor::Thread(1));
        assert!(
            w.iter()
                .any(|e| matches!(e, Event::Logon { user, .. } if *user == UserId(0))),
            "W logs on as the process user: {w:?}"
        );
        let lists = outcome
            .log
            .iter()
            .filter(|e| matches!(e.event, Event::ListCreated { .. }))
            .count();
        assert_eq!(lists, 2, "alice's list and the process user's");
        assert!(outcome.completed);
    }
}

#[test]
fn a_join_waits_for_the_implicit_cleanup() {
    // W opens a store and ends without releasing it: its implicit cleanup releases the store
    // and logs off. main's join returns only after all of that, in every interleaving.
    let scenario = r#"{"threads":[
        {"name":"main","ops":[{"spawn":"W"},{"join":"W"},"logon"]},
        {"name":"W","spawned":true,"ops":["logon","open_store"]}]}"#;
    for (outcome, findings) in logs("original", scenario, Strategy::Dpor) {
        assert!(findings.is_empty(), "{findings:?}");
        let log = &outcome.log;
        let joined = log
            .iter()
            .position(|e| {
                matches!(
                    e.event,
                    Event::AppWaitDone {
                        on: WaitOn::Thread(1)
                    }
                )
            })
            .expect("main joined W");
        let cleanup: Vec<usize> = (0..log.len())
            .filter(|&i| log[i].actor == Actor::Thread(1) && log[i].implicit)
            .collect();
        assert!(cleanup.len() >= 3, "release wait, release done, logoff");
        assert!(cleanup.iter().all(|&i| i < joined));
        assert_eq!(log[joined - 1].event, Event::ThreadDone);
    }
}

#[test]
fn a_cross_thread_release_waits_for_the_stores_list_poller() {
    let scenario = format!(
        r#"{{"users":{{"alice":"{ALICE}"}},"threads":[
          {{"name":"W1","ops":[{{"impersonate":"alice"}},{{"logon":"s"}},{{"open_store":{{"session":"s","as":"inbox"}}}},
              {{"signal":"open"}},{{"wait":"released"}},{{"logoff":"s"}}]}},
          {{"name":"W2","ops":[{{"wait":"open"}},{{"release_store":"inbox"}},{{"signal":"released"}}]}}]}}"#
    );
    for (outcome, findings) in logs("original", &scenario, Strategy::Dpor) {
        assert!(findings.is_empty(), "one user, no hang: {findings:?}");
        let (list, poller) = outcome
            .log
            .iter()
            .find_map(|e| match e.event {
                Event::PollerCreated { poller, list } => Some((list, poller)),
                _ => None,
            })
            .unwrap();
        let w2 = events_of(&outcome.log, Actor::Thread(1));
        assert!(
            w2.iter().any(|e| matches!(e, Event::ReleaseWait { list: l, poller: p, .. } if *l == list && *p == poller)),
            "W2 releases W1's store on W1's list and waits for its poller: {w2:?}"
        );
        // W1's logoff finds the store already released: it releases nothing more.
        let releases = outcome
            .log
            .iter()
            .filter(|e| matches!(e.event, Event::ReleaseWait { .. }))
            .count();
        assert_eq!(releases, 1);
    }
}

#[test]
fn a_release_racing_a_logoff_waits_for_it_and_never_breaks_the_table() {
    // W2 may release the store while W1 logs its session off: either W1's logoff releases it
    // (W2's release is skipped), or W1 waits for W2's release to return.
    let scenario = r#"{"threads":[
        {"name":"W1","ops":[{"logon":"s"},{"open_store":{"as":"m"}},{"signal":"open"},{"logoff":"s"}]},
        {"name":"W2","ops":[{"wait":"open"},{"release_store":"m"}]}]}"#;
    let (mut skipped, mut waited) = (false, false);
    for (outcome, findings) in logs("original", scenario, Strategy::Dpor) {
        assert!(findings.is_empty(), "{findings:?}");
        assert!(outcome.panic.is_none());
        skipped |= outcome
            .log
            .iter()
            .any(|e| matches!(e.event, Event::Skipped { .. }));
        waited |= outcome.log.iter().any(|e| {
            matches!(
                e.event,
                Event::AppWait {
                    on: WaitOn::Release { .. },
                    ..
                }
            )
        });
    }
    assert!(skipped && waited, "both orders were explored");
}

#[test]
fn a_lock_serialises_two_threads() {
    let thread = |name: &str| {
        format!(
            r#"{{"name":"{name}","ops":[{{"lock":"mapi"}},"logon","open_store","release_store","logoff",{{"unlock":"mapi"}}]}}"#
        )
    };
    let locked = format!(r#"{{"threads":[{},{}]}}"#, thread("A"), thread("B"));
    let interleaved = |outcome: &SimOutcome| {
        // Between A's first and last logged MAPI step, did B log one (or the other way round)?
        let log = &outcome.log;
        let mapi = |e: &Entry| matches!(e.event, Event::Logon { .. } | Event::Logoff { .. });
        let spans: Vec<(usize, usize)> = [0u8, 1]
            .iter()
            .map(|&t| {
                let mine: Vec<usize> = (0..log.len())
                    .filter(|&i| log[i].actor == Actor::Thread(t) && mapi(&log[i]))
                    .collect();
                (mine[0], *mine.last().unwrap())
            })
            .collect();
        spans[0].0 < spans[1].1 && spans[1].0 < spans[0].1
    };
    for (outcome, findings) in logs("original", &locked, Strategy::Dpor) {
        assert!(findings.is_empty(), "{findings:?}");
        assert!(!interleaved(&outcome), "the lock keeps A and B apart");
    }
    let unlocked = locked
        .replace(r#"{"lock":"mapi"},"#, "")
        .replace(r#",{"unlock":"mapi"}"#, "");
    assert!(
        logs("original", &unlocked, Strategy::Dpor)
            .iter()
            .any(|(o, _)| interleaved(o)),
        "without the lock some interleaving mixes them"
    );
}

#[test]
fn repeat_expands_before_the_run() {
    let scenario = r#"{"threads":[{"ops":[{"repeat":3,"ops":["logon",{"repeat":2,"ops":["open_store","release_store"]},"logoff"]}]}]}"#;
    // Every execution runs the ops as expanded, whatever the schedule: 2,000 random schedules
    // (they were 200,000, ten seconds of CPU, each execution's log kept until the end).
    for (outcome, findings) in logs_within("original", scenario, Strategy::Random, 2_000) {
        assert!(findings.is_empty());
        let count = |f: fn(&Event) -> bool| outcome.log.iter().filter(|e| f(&e.event)).count();
        assert_eq!(count(|e| matches!(e, Event::Logon { .. })), 3);
        assert_eq!(count(|e| matches!(e, Event::ReleaseDone { .. })), 6);
    }
}

#[test]
fn sixteen_threads_run() {
    let threads = vec![r#"{"ops":["logon","open_store","release_store","logoff"]}"#; 16].join(",");
    let scenario = Scenario::from_json(&format!(r#"{{"threads":[{threads}]}}"#)).unwrap();
    let config = CheckConfig {
        schedules: 50,
        ..CheckConfig::default()
    };
    let result = check(
        crate::variant::by_name("original").unwrap(),
        &scenario,
        &config,
    );
    assert_eq!(result.executions, 50);
    assert_eq!(result.verdict(), Verdict::Pass);
    assert!(result.threads >= 16, "16 threads ran: {}", result.threads);
    let seventeen = format!(
        r#"{{"threads":[{}]}}"#,
        vec![r#"{"ops":["logon"]}"#; 17].join(",")
    );
    assert!(Scenario::from_json(&seventeen).is_err());
}

/// The invariants `variant` violates on `scenario` over every interleaving (DPOR).
fn violated(variant: &str, scenario: &str) -> Vec<Invariant> {
    let scenario = Scenario::from_json(scenario).unwrap();
    let config = CheckConfig {
        strategy: Strategy::Dpor,
        schedules: 200_000,
        ..CheckConfig::default()
    };
    let result = check(
        crate::variant::by_name(variant).unwrap(),
        &scenario,
        &config,
    );
    assert!(result.exhausted, "{variant}: the complete search finished");
    result.per_invariant.keys().copied().collect()
}

#[test]
fn a_lock_order_deadlock_without_mapi_is_no_deadlock_under_every_variant() {
    let scenario = r#"{"threads":[
        {"name":"A","ops":[{"lock":"a"},{"lock":"b"},{"unlock":"b"},{"unlock":"a"}]},
        {"name":"B","ops":[{"lock":"b"},{"lock":"a"},{"unlock":"a"},{"unlock":"b"}]}]}"#;
    for variant in crate::variant::builtin() {
        assert_eq!(
            violated(variant.name(), scenario),
            vec![Invariant::NoDeadlock],
            "{}",
            variant.name()
        );
    }
    // The report names the cycle: A waits for b held by B, B for a held by A.
    let result = check(
        crate::variant::by_name("original").unwrap(),
        &Scenario::from_json(scenario).unwrap(),
        &CheckConfig {
            strategy: Strategy::Dpor,
            ..CheckConfig::default()
        },
    );
    let failure = result.first_failure.unwrap();
    let Finding::Deadlock { chain, .. } = &failure.findings[0] else {
        panic!("{:?}", failure.findings);
    };
    assert_eq!(chain.links.len(), 2, "{chain:?}");
    assert!(matches!(chain.end, crate::monitor::ChainEnd::Cycle { .. }));
}

#[test]
fn a_wait_nobody_signals_is_no_deadlock() {
    let scenario = r#"{"threads":[{"ops":["logon",{"wait":"never"},"logoff"]}]}"#;
    assert_eq!(violated("original", scenario), vec![Invariant::NoDeadlock]);
}

/// main holds a process-user session and joins two workers that impersonate two users.
const MAIN_JOINS_WORKERS: &str = r#"{
  "users": {"alice": "S-1-5-21-7-8-9-1001", "bob": "S-1-5-21-7-8-9-1002"},
  "threads": [
    {"name": "main", "ops": ["logon", {"spawn": "W1"}, {"spawn": "W2"}, {"join": "W1"}, {"join": "W2"}, "logoff"]},
    {"name": "W1", "spawned": true, "ops": [{"impersonate": "alice"}, "logon", "open_store", "release_store", "logoff", "revert"]},
    {"name": "W2", "spawned": true, "ops": [{"impersonate": "bob"}, "logon", "open_store", "release_store", "logoff", "revert"]}]}"#;

#[test]
fn a_main_thread_joining_impersonating_workers_hangs_as_poller_signals_under_original() {
    let original = violated("original", MAIN_JOINS_WORKERS);
    assert!(original.contains(&Invariant::PollerSignals), "{original:?}");
    assert!(
        !original.contains(&Invariant::NoDeadlock),
        "the chain runs through a poller: {original:?}"
    );
    // Two workers are too many interleavings for a complete search under `fixed` in a unit
    // test: 20,000 random schedules; one worker, every interleaving.
    let sampled = check(
        crate::variant::by_name("fixed").unwrap(),
        &Scenario::from_json(MAIN_JOINS_WORKERS).unwrap(),
        &CheckConfig {
            schedules: 20_000,
            ..CheckConfig::default()
        },
    );
    assert_eq!(sampled.verdict(), Verdict::Pass);
    let one_worker = MAIN_JOINS_WORKERS
        .replace(r#"{"spawn": "W2"}, "#, "")
        .replace(r#"{"join": "W2"}, "#, "");
    assert!(violated("original", &one_worker).contains(&Invariant::PollerSignals));
    assert_eq!(violated("fixed", &one_worker), Vec::<Invariant>::new());
    // The hang's report carries main's whole chain: main joins W1, W1 waits for its poller.
    let scenario = Scenario::from_json(MAIN_JOINS_WORKERS).unwrap();
    let config = CheckConfig {
        target: Some(Invariant::PollerSignals),
        stop_on_first: true,
        ..CheckConfig::default()
    };
    let result = check(
        crate::variant::by_name("original").unwrap(),
        &scenario,
        &config,
    );
    let failure = result.first_failure.clone().expect("a hang");
    let report = crate::report::Report::from_check("original", &scenario, &config, &result, 0);
    let main = report
        .violations
        .iter()
        .find(|v| v.thread.as_deref() == Some("main"))
        .unwrap_or_else(|| panic!("main's chain: {:?}", failure.findings));
    assert_eq!(main.invariant, Invariant::PollerSignals);
    assert!(
        main.message
            .starts_with("main (S-1-5-18) waits forever: main joins W"),
        "{}",
        main.message
    );
    let last = main.chain.last().unwrap();
    assert_eq!(
        last.waits,
        crate::report::ChainWait::Poller,
        "{:?}",
        main.chain
    );
    assert!(main
        .advice
        .as_ref()
        .unwrap()
        .text
        .contains("one service account"));
}

/// DPOR against unbounded DFS on small scenarios with the new ops: the same violated
/// invariants and the same terminal outcomes (the footprints of spawns, joins, events, locks
/// and named handles are what the sim layer records).
#[test]
fn dpor_sees_what_unbounded_dfs_sees_on_the_new_ops() {
    // One logon and no store release each: unbounded DFS must finish (a release, with its
    // poller's polls, already takes it past 300,000 schedules; DPOR needs 327).
    let scenarios = [
        r#"{"threads":[{"name":"m","ops":[{"spawn":"w"},{"join":"w"}]},{"name":"w","spawned":true,"ops":["logon"]}]}"#,
        r#"{"threads":[{"ops":[{"logon":"s"},{"signal":"e"}]},{"ops":[{"wait":"e"},{"logoff":"s"}]}]}"#,
        r#"{"threads":[{"ops":[{"lock":"l"},"logon",{"unlock":"l"}]},{"ops":[{"lock":"l"},{"unlock":"l"}]}]}"#,
        r#"{"threads":[{"ops":[{"logon":"s"}]},{"ops":[{"logoff":"s"}]}]}"#,
    ];
    // The DFS runs about 360,000 schedules per variant (252,285 of them on the event
    // scenario, 103,165 on the shared session's): the quick run compares under `original`,
    // `MAPIHANG_FULL=1` under `fixed` as well (whose policy hooks run on the same schedules).
    let variants: &[&str] = if std::env::var_os("MAPIHANG_FULL").is_some() {
        &["original", "fixed"]
    } else {
        &["original"]
    };
    for text in scenarios {
        let scenario = Scenario::from_json(text).unwrap();
        for &variant in variants {
            let config = |strategy| CheckConfig {
                strategy,
                schedules: 300_000,
                ..CheckConfig::default()
            };
            let v = || crate::variant::by_name(variant).unwrap();
            let dfs = explore(v(), &scenario, &config(Strategy::Dfs { preemptions: None }));
            let dpor = explore(v(), &scenario, &config(Strategy::Dpor));
            assert!(dfs.exhausted && dpor.exhausted, "{variant}: {text}");
            assert_eq!(dpor.invariants, dfs.invariants, "{variant}: {text}");
            assert_eq!(dpor.outcomes, dfs.outcomes, "{variant}: {text}");
            assert!(dpor.executions <= dfs.executions);
        }
    }
}

#[test]
fn an_unvalidated_scenario_never_panics_the_engine() {
    // Built in Rust without `validate`: a spawn of an unmarked thread, a join of no thread.
    let mut scenario =
        Scenario::from_json(r#"{"threads":[{"ops":["logon"]},{"ops":["logon"]}]}"#).unwrap();
    scenario.threads[0].ops.push(Op::Spawn("T2".into()));
    scenario.threads[0].ops.push(Op::Join("nobody".into()));
    let result = check(
        crate::variant::by_name("original").unwrap(),
        &scenario,
        &CheckConfig::default(),
    );
    assert_eq!(
        result.verdict(),
        Verdict::Pass,
        "{:?}",
        result.first_failure
    );
}

/// The symmetry group of a scenario: every permutation within each class of threads that run
/// the same ops, as far as `canon::PERMS_MAX` (6) allows, the identity first; none where a
/// thread is named (a spawn) or spawned.
#[test]
fn interchangeable_threads_form_a_group_of_at_most_six() {
    let symmetry = |threads: &[&str]| {
        let text = format!(r#"{{"threads": [{}]}}"#, threads.join(","));
        compile(&Scenario::from_json(&text).unwrap())
            .symmetry()
            .clone()
    };
    let a = r#"{"ops": ["logon"]}"#;
    let b = r#"{"ops": ["logon", "logoff", "logon"]}"#;
    let pair = symmetry(&[a, b, a]);
    assert_eq!(pair.classes, vec![vec![0, 2]]);
    assert_eq!(pair.group, vec![vec![0, 1, 2], vec![2, 1, 0]]);
    // Two pairs: four permutations.
    let pairs = symmetry(&[a, b, a, b]);
    assert_eq!(pairs.classes, vec![vec![0, 2], vec![1, 3]]);
    assert_eq!(pairs.group.len(), 4);
    // Four alike: the six orders of the first three (24 would be too many).
    let four = symmetry(&[a, a, a, a]);
    assert_eq!(four.classes, vec![vec![0, 1, 2]]);
    assert_eq!(four.group.len(), 6);
    assert_eq!(four.group[0], vec![0, 1, 2, 3]);
    assert!(four.group.iter().all(|g| g[3] == 3));
    let distinct: std::collections::BTreeSet<_> = four.group.iter().collect();
    assert_eq!(distinct.len(), 6);
    // Three alike and a pair: the three (a pair more would make 12).
    let mixed = symmetry(&[b, a, a, b, a]);
    assert_eq!(mixed.classes, vec![vec![1, 2, 4]]);
    // No two alike, a spawned thread, a join: none.
    assert_eq!(symmetry(&[a, b]), super::app::Symmetry::default());
    let spawner = r#"{"ops": [{"spawn": "W"}]}"#;
    let worker = r#"{"name": "W", "spawned": true, "ops": ["logon"]}"#;
    assert_eq!(
        symmetry(&[a, a, spawner, worker]),
        super::app::Symmetry::default()
    );
}
