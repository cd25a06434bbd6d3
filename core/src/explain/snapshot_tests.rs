//! Snapshot tests of rendered output: fixed reports per variant in every format, reviewed as
//! diffs (`cargo insta review`, or `INSTA_UPDATE=always` and `git diff`). Beside them, the facts
//! each variant's pictures must tell about itself, asserted directly.

use super::{render, ExplainFormat};
use crate::engine::{check, CheckConfig};
use crate::report::Report;
use crate::scenario::Scenario;
use std::sync::Arc;

use crate::sim::Sid;
use crate::variant::{by_name, Declared, ListKey, Variant};

/// The report of `variant` on `scenario`, with a fixed seed and no wall time.
fn report_of(variant: &str, scenario: &Scenario) -> Report {
    report_with(by_name(variant).unwrap(), scenario)
}

fn report_with(variant: Arc<dyn Variant>, scenario: &Scenario) -> Report {
    let config = CheckConfig {
        schedules: 200,
        seed: 7,
        stop_on_first: true,
        ..CheckConfig::default()
    };
    let name = variant.name().to_string();
    let result = check(variant, scenario, &config);
    Report::from_check(&name, scenario, &config, &result, 0)
}

fn crc_collision() -> Scenario {
    let text = include_str!("../../../examples/scenarios/crc-collision.json");
    serde_json::from_str(text).expect("the example parses")
}

/// Snapshot `report` in `formats` (and its trace as JSON), named `{name}.{format}`.
fn snapshot(name: &str, report: &Report, formats: &[ExplainFormat]) {
    let trace = serde_json::to_string_pretty(&report.trace).expect("a trace serialises");
    insta::assert_snapshot!(format!("{name}.trace-json"), trace);
    for &format in formats {
        insta::assert_snapshot!(format!("{name}.{format}"), render(report, format));
    }
}

const ALL: &[ExplainFormat] = &ExplainFormat::ALL;
const WORDS: &[ExplainFormat] = &[ExplainFormat::Text, ExplainFormat::Mermaid];

#[test]
fn original_on_the_seed_repro() {
    snapshot(
        "original-seed",
        &report_of("original", &Scenario::seed_repro()),
        ALL,
    );
}

#[test]
fn wrong_wait_timeout_on_the_seed_repro() {
    snapshot(
        "wrong-wait-timeout-seed",
        &report_of("wrong-wait-timeout", &Scenario::seed_repro()),
        ALL,
    );
}

#[test]
fn fix_full_sid_on_the_seed_repro() {
    snapshot(
        "fix-full-sid-seed",
        &report_of("fix-full-sid", &Scenario::seed_repro()),
        ALL,
    );
}

#[test]
fn other_variants_in_words() {
    let seed = Scenario::seed_repro();
    for variant in [
        "wrong-signal-on-exit",
        "wrong-respawn",
        "wrong-keep-shortcut",
        "fixed",
    ] {
        snapshot(
            &format!("{variant}-seed"),
            &report_of(variant, &seed),
            WORDS,
        );
    }
    for variant in ["original", "fix-bind-list"] {
        snapshot(
            &format!("{variant}-crc-collision"),
            &report_of(variant, &crc_collision()),
            WORDS,
        );
    }
}

/// Every text a picture shows: the whole output for text and Mermaid, the text nodes of SVG
/// and HTML (so that a style sheet or an attribute does not count).
fn shown(report: &Report, format: ExplainFormat) -> String {
    let out = render(report, format);
    match format {
        ExplainFormat::Text | ExplainFormat::Mermaid => out,
        ExplainFormat::Svg => texts(&out),
        ExplainFormat::Html => {
            let start = out.find("<svg").unwrap();
            let end = out.find("</svg>").unwrap() + "</svg>".len();
            let rest = format!("{}{}", &out[..start], &out[end..]);
            format!("{}\n{}", texts(&out[start..end]), rest)
        }
    }
}

fn texts(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.is_text() && n.parent().is_none_or(|p| p.tag_name().name() != "style"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_timed_wait_is_never_drawn_as_infinite_and_its_timeout_shows_everywhere() {
    let report = report_of("wrong-wait-timeout", &Scenario::seed_repro());
    assert!(
        report.trace.iter().any(|l| l.timed),
        "the trace records timed waits"
    );
    assert!(
        report.trace.iter().any(|l| l.timed_out),
        "and their timeouts"
    );
    for format in ExplainFormat::ALL {
        let shown = shown(&report, format);
        assert!(
            !shown.contains("INFINITE"),
            "{format} says INFINITE:\n{shown}"
        );
        assert!(
            shown.contains("timed out"),
            "{format} hides the timeout:\n{shown}"
        );
    }
    let json = report.to_json();
    assert!(json.contains("waiting (with a timeout)") && !json.contains("INFINITE"));
    // The seed's build, beside it, still waits INFINITE and says so.
    let original = report_of("original", &Scenario::seed_repro());
    for format in ExplainFormat::ALL {
        assert!(shown(&original, format).contains("INFINITE"), "{format}");
    }
}

#[test]
fn lists_filed_by_full_sid_are_never_said_to_be_keyed_by_crc() {
    let report = report_of("fix-full-sid", &Scenario::seed_repro());
    let keys: Vec<_> = report.trace.iter().filter_map(|l| l.key.as_ref()).collect();
    assert_eq!(keys.len(), 2, "both lists carry their key");
    assert!(keys
        .iter()
        .all(|k| matches!(k, crate::report::KeyText::Sid(_))));
    for format in ExplainFormat::ALL {
        let shown = shown(&report, format).to_lowercase();
        assert!(
            !shown.contains("crc"),
            "{format} claims a CRC key:\n{shown}"
        );
        assert!(
            shown.contains("full sid"),
            "{format} hides the key:\n{shown}"
        );
    }
    // The seed's build files by CRC32, and the pictures say that instead.
    let original = report_of("original", &Scenario::seed_repro());
    for format in ExplainFormat::ALL {
        assert!(
            shown(&original, format).to_lowercase().contains("crc32"),
            "{format}"
        );
    }
}

/// A candidate fix gone wrong: every list is filed under one and the same SID (the process
/// user's), so every user shares one list.
struct OneKey;

impl Declared for OneKey {
    fn name(&self) -> &str {
        "test-one-key"
    }

    fn description(&self) -> &str {
        "Files every connection list under the SID S-1-5-18."
    }
}

impl Variant for OneKey {
    fn list_key(&self, _user: &Sid) -> ListKey {
        ListKey::Sid(Sid::parse("S-1-5-18").expect("a SID"))
    }
}

#[test]
fn a_shared_list_is_explained_by_the_key_it_was_filed_under_not_by_a_crc() {
    let report = report_with(Arc::new(OneKey), &Scenario::seed_repro());
    let shared = report
        .violations
        .iter()
        .find(|v| v.invariant == crate::monitor::Invariant::ListIsolation)
        .expect("two users share the one list");
    assert!(
        shared.message.ends_with("(filed under sid S-1-5-18)"),
        "{}",
        shared.message
    );
    for format in ExplainFormat::ALL {
        let shown = shown(&report, format);
        assert!(!shown.to_lowercase().contains("crc"), "{format}:\n{shown}");
        assert!(shown.contains("key sid S-1-5-18"), "{format}:\n{shown}");
    }
    snapshot("one-key-seed", &report, WORDS);
}

#[test]
fn wrong_release_lock_is_explained_with_the_lock_in_every_format() {
    use crate::scenario::{Op, ThreadSpec};
    let scenario = Scenario {
        process_user: Sid::local_system(),
        users: Default::default(),
        threads: vec![ThreadSpec::new(vec![
            Op::Logon,
            Op::OpenStore,
            Op::ReleaseStore,
            Op::Logoff,
        ])],
    };
    let report = report_with(by_name("wrong-release-lock").unwrap(), &scenario);
    assert!(report
        .violations
        .iter()
        .any(|v| v.invariant == crate::monitor::Invariant::PollerSignals));
    for format in ExplainFormat::ALL {
        let shown = shown(&report, format);
        assert!(shown.contains("table"), "{format}:\n{shown}");
        assert!(shown.contains("held by T1"), "{format}:\n{shown}");
    }
}

/// A fix that keys lists its own way: every list under one custom key.
struct CustomKey;

impl Declared for CustomKey {
    fn name(&self) -> &str {
        "test-custom-key"
    }

    fn description(&self) -> &str {
        "Files every connection list under the custom key 42."
    }
}

impl Variant for CustomKey {
    fn list_key(&self, _user: &Sid) -> ListKey {
        ListKey::Custom(42)
    }
}

#[test]
fn a_custom_key_is_recorded_and_shown_as_filed() {
    let report = report_with(Arc::new(CustomKey), &Scenario::seed_repro());
    let shared = report
        .violations
        .iter()
        .find(|v| v.invariant == crate::monitor::Invariant::ListIsolation)
        .expect("two users share the one list");
    assert!(
        shared
            .message
            .ends_with("(filed under custom 000000000000002a)"),
        "{}",
        shared.message
    );
    let json = serde_json::to_string(&report.trace).expect("a trace serialises");
    assert!(
        json.contains(r#""key":{"custom":"000000000000002a"}"#),
        "{json}"
    );
    for format in ExplainFormat::ALL {
        let shown = shown(&report, format);
        assert!(
            shown.contains("key custom 000000000000002a"),
            "{format}:\n{shown}"
        );
    }
}
