//! The renderers on real reports: the seed repro's hang, a pass, and other violations.

use super::{render, ExplainFormat};
use crate::engine::{check, CheckConfig};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::variant::by_name;

/// The report of `variant` on the seed repro, with a fixed seed.
fn seed_report(variant: &str) -> Report {
    let scenario = Scenario::seed_repro();
    let config = CheckConfig {
        schedules: 200,
        seed: 7,
        stop_on_first: true,
        ..CheckConfig::default()
    };
    let result = check(by_name(variant).unwrap(), &scenario, &config);
    Report::from_check(variant, &scenario, &config, &result, 0)
}

#[test]
fn format_names_round_trip_and_unknown_names_are_refused() {
    for format in ExplainFormat::ALL {
        assert_eq!(format.name().parse::<ExplainFormat>(), Ok(format));
        assert_eq!(format.to_string(), format.name());
    }
    let error = "png".parse::<ExplainFormat>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown explain format \"png\": expected one of text, mermaid, svg, html"
    );
}

#[test]
fn every_format_renders_the_seed_hang() {
    let report = seed_report("original");
    assert!(!report.trace.is_empty(), "the seed repro hangs");
    for format in ExplainFormat::ALL {
        let out = render(&report, format);
        assert!(out.len() > 200, "{format}: {out}");
        assert_eq!(out, render(&report, format), "{format} is deterministic");
    }
}

#[test]
fn text_has_the_timeline_lists_stacks_and_wait_for_chain() {
    let report = seed_report("original");
    let text = render(&report, ExplainFormat::Text);
    assert!(text.starts_with("VIOLATION: poller-signals"), "{text}");
    // Each hung thread's chain, with the step its poller quit and why.
    let mut chains = 0;
    for line in &report.trace {
        if line.kind == crate::trace::EventKind::PollerQuit {
            let chain = format!(
                "waits for the signal of {}; {} quit at step {} because 2 lists existed and none matched S-1-5-18",
                line.actor, line.actor, line.index
            );
            assert!(text.contains(&chain), "missing {chain:?} in\n{text}");
            chains += 1;
        }
    }
    assert_eq!(chains, 2, "{text}");
    assert!(text.contains("Wait-for chain:"), "{text}");
    assert!(text.contains("BLOCKED forever"), "{text}");
    assert!(text.contains("L1:1 L2:1"), "lists column: {text}");
    for line in &report.trace {
        assert!(
            text.contains(&line.event),
            "timeline misses {:?}",
            line.event
        );
    }
}

#[test]
fn mermaid_is_a_sequence_diagram_naming_every_thread() {
    let report = seed_report("original");
    let mermaid = render(&report, ExplainFormat::Mermaid);
    assert!(mermaid.starts_with("sequenceDiagram\n"), "{mermaid}");
    for name in ["T1", "T2", "P1", "P2"] {
        assert!(
            mermaid.contains(&format!("participant {name} as {name}")),
            "{name} in {mermaid}"
        );
    }
    assert!(mermaid.contains("participant SHM as Shared memory"));
    assert!(mermaid.contains("waits forever"), "{mermaid}");
    // Nothing Mermaid reads as syntax inside texts.
    for line in mermaid.lines().skip(1) {
        let text = line.split_once(": ").map_or("", |(_, t)| t);
        assert!(!text.contains(';') || text.contains("#59;"), "{line}");
        assert!(!text.replace("<br/>", "").contains('<'), "{line}");
    }
}

#[test]
fn svg_is_well_formed_xml_with_lanes_and_the_hang() {
    let report = seed_report("original");
    let svg = render(&report, ExplainFormat::Svg);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    for needle in [
        "T1",
        "T2",
        "P1",
        "P2",
        "as S-1-5-21-7-8-9-1001",
        "waits forever for P1",
        "waits forever for P2",
        "Shared memory",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(needle)),
            "{needle} not in the SVG's texts"
        );
    }
    assert!(!svg.contains("<script"), "no scripts");
    assert!(
        !svg.contains("http://")
            || !svg
                .replace("http://www.w3.org/2000/svg", "")
                .contains("http://")
    );
}

#[test]
fn html_is_self_contained_and_embeds_the_svg() {
    let report = seed_report("original");
    let html = render(&report, ExplainFormat::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        !html.contains("<?xml"),
        "the inline SVG has no XML declaration"
    );
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("https://"));
    let timeline = format!("Timeline ({} steps)", report.trace.len());
    for section in ["Violations", "Threads at the hang", &timeline, "Replay"] {
        assert!(html.contains(section), "{section}");
    }
    assert!(html.contains("because 2 lists existed and none matched S-1-5-18"));
    // The SVG part is well-formed on its own.
    let start = html.find("<svg").unwrap();
    let end = html.find("</svg>").unwrap() + "</svg>".len();
    roxmltree::Document::parse(&html[start..end]).expect("inline SVG parses");
}

#[test]
fn a_pass_report_says_so_plainly_in_every_format() {
    let report = seed_report("fixed");
    assert!(report.trace.is_empty());
    let text = render(&report, ExplainFormat::Text);
    assert!(text.starts_with("PASS"), "{text}");
    assert!(
        text.contains("no execution violated an invariant"),
        "{text}"
    );
    let mermaid = render(&report, ExplainFormat::Mermaid);
    assert!(mermaid.starts_with("sequenceDiagram\n") && mermaid.contains("PASS"));
    let svg = render(&report, ExplainFormat::Svg);
    roxmltree::Document::parse(&svg).expect("pass SVG parses");
    assert!(svg.contains("PASS"));
    assert!(render(&report, ExplainFormat::Html).contains("PASS"));
}

#[test]
fn other_violations_render_in_every_format() {
    for variant in [
        "wrong-signal-on-exit",
        "wrong-wait-timeout",
        "wrong-respawn",
        "wrong-keep-shortcut",
    ] {
        let report = seed_report(variant);
        for format in ExplainFormat::ALL {
            let out = render(&report, format);
            assert!(!out.is_empty(), "{variant} {format}");
        }
        let svg = render(&report, ExplainFormat::Svg);
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{variant}: {e}"));
        let text = render(&report, ExplainFormat::Text);
        for v in &report.violations {
            assert!(text.contains(&v.message), "{variant}: {text}");
        }
    }
}
