//! Real applications: the extended scenario format's examples, `mapihang advise`, and the
//! hunt that leads with the hang.

use mapihang_core::engine::{check, CheckConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::variant::by_name;
use mapihang_core::verdict::Verdict;

use crate::cli::mapihang;
use crate::{example, load};

fn violated(variant: &str, name: &str, schedules: usize) -> Vec<Invariant> {
    let config = CheckConfig {
        schedules,
        ..CheckConfig::default()
    };
    let result = check(by_name(variant).unwrap(), &load(name), &config);
    result.per_invariant.keys().copied().collect()
}

#[test]
fn the_thread_pool_hangs_under_original_through_mains_join_and_not_under_fixed() {
    assert_eq!(
        violated("original", "thread-pool.json", 300),
        vec![Invariant::PollerSignals]
    );
    assert!(violated("fixed", "thread-pool.json", 2000).is_empty());
    let out = mapihang(&[
        "check",
        &example("thread-pool.json").to_string_lossy(),
        "--schedules",
        "50",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let main = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["thread"] == "main")
        .expect("main's chain is reported");
    assert_eq!(main["invariant"], "poller-signals");
    let chain = main["chain"].as_array().unwrap();
    assert_eq!(chain[0]["waits"], "join");
    assert_eq!(chain.last().unwrap()["waits"], "poller");
    let advice = &main["advice"];
    assert!(
        advice["command"]
            .as_str()
            .unwrap()
            .ends_with("advise examples/scenarios/thread-pool.json")
            || advice["command"].as_str().unwrap().contains("advise ")
    );
}

#[test]
fn a_cross_thread_release_of_another_users_store_hangs_under_original() {
    assert!(
        violated("original", "cross-thread-release.json", 300).contains(&Invariant::PollerSignals)
    );
    assert!(violated("fixed", "cross-thread-release.json", 2000).is_empty());
}

#[test]
fn the_serialised_design_never_hangs_on_any_interleaving() {
    let config = CheckConfig {
        strategy: mapihang_core::engine::Strategy::Dpor,
        schedules: 100_000,
        ..CheckConfig::default()
    };
    let result = check(
        by_name("original").unwrap(),
        &load("serialized.json"),
        &config,
    );
    assert!(result.complete, "a proof, not a sample");
    // No release hangs; but the first user's poller can still poll in its stop window, after
    // the lock passed to the second user, and take the second user's list for its own.
    assert_eq!(
        result.per_invariant.keys().copied().collect::<Vec<_>>(),
        [Invariant::PollerOwnsList]
    );
    let fixed = check(by_name("fixed").unwrap(), &load("serialized.json"), &config);
    assert!(fixed.complete);
    assert_eq!(fixed.verdict(), Verdict::Pass);
}

#[test]
fn advise_on_the_seeds_repro_shows_service_account_removing_the_hang_and_keep_process_session_not()
{
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let args = [
        "advise",
        &seed,
        "--dpor-budget",
        "2000",
        "--schedules",
        "300",
    ];
    let text = mapihang(&args);
    assert_eq!(text.status.code(), Some(1), "the scenario as given hangs");
    let text = String::from_utf8_lossy(&text.stdout);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line in\n{text}"))
            .to_string()
    };
    assert!(line("service-account").ends_with("PASS"), "{text}");
    assert!(
        line("keep-process-session").contains("VIOLATION: poller-signals"),
        "{text}"
    );
    assert!(
        line("original").contains("VIOLATION: poller-signals"),
        "{text}"
    );
    let json = mapihang(&[&args[..], &["--format", "json"]].concat());
    let advice: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(advice["schema"], "mapihang.advice/1");
    let names: Vec<&str> = advice["workarounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "original",
            "service-account",
            "one-user",
            "serialize-user-contexts",
            "keep-process-session",
            "fixed",
            "fix-bind-list"
        ]
    );
    // What each verdict rests on, within this small budget: the hang found by the unfinished
    // complete search (the stateful one: every variant here is built in), the serialised
    // design's proof (328 executions) and the service account's (801: its two workers run
    // the same ops, and the search stores one state of each swapped pair), the rest sampled
    // after the budget ran out, and the text says which.
    let evidence = |name: &str| {
        let w = advice["workarounds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap();
        assert_eq!(w["scheduler"], "stateful", "{w}");
        (
            w["evidence"].as_str().unwrap().to_string(),
            w["search_executions"].as_u64().unwrap(),
        )
    };
    assert_eq!(evidence("original"), ("found".into(), 2000));
    assert_eq!(evidence("serialize-user-contexts"), ("proof".into(), 328));
    assert_eq!(evidence("service-account"), ("proof".into(), 801));
    assert_eq!(evidence("fixed"), ("sampled".into(), 2000));
    assert!(
        text.contains("evidence: proof: the complete search explored every reachable state (328 executions)")
            && text.contains("evidence: sampled: the complete search did not finish within 2000 executions; then PCT:"),
        "{text}"
    );
    // Each rewritten scenario is one `check` accepts.
    for w in advice["workarounds"].as_array().unwrap() {
        let scenario = serde_json::to_string(&w["scenario"]).unwrap();
        mapihang_core::scenario::Scenario::from_json(&scenario).unwrap();
    }
}

#[test]
fn advise_on_a_safe_scenario_exits_zero() {
    let out = mapihang(&[
        "advise",
        &example("service-account.json").to_string_lossy(),
        "--dpor-budget",
        "5000",
        "--schedules",
        "200",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn hunt_with_no_options_leads_with_the_hang() {
    let out = mapihang(&["hunt", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["violations"][0]["invariant"], "poller-signals");
    let distinct: Vec<&str> = report["hunt"]["distinct"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["invariant"].as_str().unwrap())
        .collect();
    assert_eq!(distinct[0], "poller-signals");
    assert!(distinct.len() >= 2, "{distinct:?}");
    let ranks: Vec<usize> = distinct
        .iter()
        .map(|d| d.parse::<Invariant>().unwrap().severity())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] < w[1]),
        "most severe first: {distinct:?}"
    );
}

#[test]
fn on_real_threads_the_thread_pool_hangs_every_time_and_the_serialised_design_never() {
    // main's process-user list exists before any worker logs on, so every worker's poller
    // (process token) takes it: whatever the OS interleaving, the workers' releases wait forever.
    let run = |name: &str| {
        let out = mapihang(&[
            "stress",
            &example(name).to_string_lossy(),
            "--runs",
            "5",
            "--schedules",
            "50",
            "--timeout-ms",
            "50",
            "--format",
            "json",
        ]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), json)
    };
    let (code, pool) = run("thread-pool.json");
    assert_eq!(code, Some(1));
    assert_eq!(pool["real_threads"]["hung"], 5, "{pool}");
    let (_, serial) = run("serialized.json");
    assert_eq!(serial["real_threads"]["hung"], 0, "{serial}");
}
