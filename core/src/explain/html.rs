//! The HTML rendering: one self-contained page (no external CSS, scripts or fonts) with the SVG
//! timeline inline, the wait-for chain, the violations, the stacks and the timeline table.

use std::fmt::Write as _;

use super::model::{LaneKind, Model};
use super::svg::{self, esc};
use crate::report::TraceLine;
use crate::trace::EventKind;

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f5f9; color: #1f2937;
  font-family: 'Segoe UI', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif;
  font-size: 14px; line-height: 1.45; }
main { max-width: 1440px; margin: 0 auto; padding: 14px 20px 40px; }
header { display: flex; align-items: baseline; gap: 14px; margin: 0 0 10px; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; color: #334155; letter-spacing: 0.02em; }
header .meta { color: #64748b; font-size: 12.5px; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 10px; color: #fff; font-weight: 700;
  font-size: 12px; letter-spacing: 0.04em; }
.badge.violation { background: #dc2626; }
.badge.pass { background: #16a34a; }
.card { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 10px 14px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, 0.06); margin-bottom: 14px; }
.figure { padding: 6px; overflow-x: auto; }
.figure svg { display: block; width: 100%; height: auto; min-width: 900px; }
h2 { font-size: 15px; margin: 2px 0 8px; color: #0f172a; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
@media (max-width: 1000px) { .cols { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef2f7; vertical-align: top; }
th { color: #64748b; font-weight: 600; font-size: 12px; background: #f8fafc; }
td.num { text-align: right; color: #64748b; font-variant-numeric: tabular-nums; }
td.user, td.lists, td.actor, td.inv { white-space: nowrap; }
.mono, td.user, td.lists { font-family: Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace;
  font-size: 12px; }
td.actor { font-weight: 700; }
tr.thread td.actor { color: #2563eb; }
tr.poller td.actor { color: #7c3aed; }
tr.bad td { background: #fef2f2; }
tr.bad td.what { color: #b91c1c; font-weight: 600; }
tr.warn td.what { color: #b45309; }
tr.good td.what { color: #15803d; }
tr.flag td { background: #fee2e2; color: #991b1b; font-weight: 700; }
td.implicit { color: #64748b; font-style: italic; }
ol.frames { margin: 2px 0 0; padding-left: 22px; color: #475569; }
ol.frames li { font-family: Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 12px; }
.inv { font-family: Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-weight: 700;
  color: #b91c1c; white-space: nowrap; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 8px; overflow-x: auto;
  font-size: 12px; margin: 0; }
details summary { cursor: pointer; color: #334155; font-weight: 600; }
details pre { margin-top: 8px; }
.pass-note { font-size: 15px; color: #166534; font-weight: 600; }
"#;

pub(crate) fn render(model: &Model<'_>) -> String {
    let mut out = String::new();
    head(model, &mut out);
    let _ = writeln!(
        out,
        "<section class=\"card figure\">\n{}</section>",
        svg::render(model, false)
    );
    if model.is_pass() {
        pass_note(model, &mut out);
    } else {
        let _ = writeln!(out, "<div class=\"cols\">");
        violations(model, &mut out);
        stacks(model, &mut out);
        let _ = writeln!(out, "</div>");
        timeline(model, &mut out);
        replay(model, &mut out);
        let _ = writeln!(
            out,
            "<section class=\"card\"><details><summary>The report as text</summary><pre>{}</pre></details></section>",
            esc(&super::text::render(model))
        );
    }
    let _ = writeln!(out, "</main>\n</body>\n</html>");
    out
}

/// The document head (title, the stylesheet) and the page header with the verdict badge.
fn head(model: &Model<'_>, out: &mut String) {
    let report = model.report;
    let title = format!(
        "mapihang: variant {}, {}",
        report.variant,
        model.verdict_line()
    );
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>",
        esc(&title)
    );
    let (badge, class) = if report.verdict == crate::verdict::Verdict::Inconclusive {
        ("INCONCLUSIVE", "violation")
    } else if model.is_pass() {
        ("PASS", "pass")
    } else {
        ("VIOLATION", "violation")
    };
    let _ = writeln!(
        out,
        r#"<header><h1>mapihang report</h1><span class="badge {class}">{badge}</span><span class="meta">{}</span></header>"#,
        esc(&format!(
            "variant {} · {} · schema {}",
            report.variant,
            model.verdict_line(),
            report.schema
        ))
    );
}

fn pass_note(model: &Model<'_>, out: &mut String) {
    let report = model.report;
    let _ = writeln!(
        out,
        r#"<section class="card"><p class="pass-note">No execution violated an invariant in {} executions{}: there is no failing execution to show.</p></section>"#,
        report.executions,
        if report.exhaustive {
            " (every schedule was explored)"
        } else {
            ""
        }
    );
}

fn violations(model: &Model<'_>, out: &mut String) {
    let _ = writeln!(
        out,
        "<section class=\"card\"><h2>Violations</h2><table><thead><tr><th>invariant</th><th>step</th><th>who</th><th>what went wrong</th></tr></thead><tbody>"
    );
    for v in &model.report.violations {
        let who: Vec<&str> = [v.thread.as_deref(), v.poller.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let _ = writeln!(
            out,
            r#"<tr><td class="inv">{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>"#,
            v.invariant,
            v.log_index.map(|s| s.to_string()).unwrap_or_default(),
            esc(&who.join(", ")),
            esc(&v.message)
        );
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

fn stacks(model: &Model<'_>, out: &mut String) {
    let at = match model.hang_index() {
        Some(log_index) => format!("at the hang (step {log_index})"),
        None => "at the end".into(),
    };
    let _ = writeln!(
        out,
        "<section class=\"card\"><h2>Threads {at}</h2><table><thead><tr><th>thread</th><th>user</th><th>state</th></tr></thead><tbody>"
    );
    for stack in model.stacks() {
        let kind = match stack.kind {
            LaneKind::Thread => "thread",
            LaneKind::Poller => "poller",
        };
        let bad = if stack.bad { " bad" } else { "" };
        let _ = write!(
            out,
            r#"<tr class="{kind}{bad}"><td class="actor">{}</td><td class="user">{}</td><td class="what">{}"#,
            esc(&stack.actor),
            esc(&stack.user),
            esc(&stack.status)
        );
        if !stack.frames.is_empty() {
            let _ = write!(out, "<ol class=\"frames\" start=\"0\">");
            for frame in &stack.frames {
                let _ = write!(out, "<li>{}</li>", esc(frame));
            }
            let _ = write!(out, "</ol>");
        }
        let _ = writeln!(out, "</td></tr>");
    }
    let _ = writeln!(out, "</tbody></table></section>");
}

fn replay(model: &Model<'_>, out: &mut String) {
    let report = model.report;
    let _ = writeln!(out, "<section class=\"card\"><h2>Replay</h2><pre>");
    if let Some(schedule) = &report.schedule {
        let _ = writeln!(out, "schedule: {}", esc(schedule));
    }
    if let Some(repro) = &report.repro {
        let _ = writeln!(out, "repro:    {}", esc(repro));
    }
    let _ = writeln!(
        out,
        "scheduler {} · seed {} · {} schedules · step bound {}",
        esc(&report.scheduler),
        report.seed,
        report.schedules,
        report.steps_max
    );
    let _ = writeln!(out, "</pre></section>");
}

fn timeline(model: &Model<'_>, out: &mut String) {
    let trace = model.trace();
    let _ = writeln!(
        out,
        "<section class=\"card\"><h2>Timeline ({} steps)</h2><table><thead><tr><th>step</th><th>thread</th><th>user</th><th>connection lists after the step</th><th>what happened</th></tr></thead><tbody>",
        trace.len()
    );
    let hung_waits: Vec<(String, u32)> = model
        .open_waits()
        .filter(|w| model.is_hang(w))
        .map(|w| (w.thread.clone(), w.start))
        .collect();
    let groups = model.violations_by_index();
    let mut shown = vec![false; groups.len()];
    let flag = |out: &mut String, shown: &mut Vec<bool>, upto: Option<u32>| {
        for (index, (log_index, group)) in groups.iter().enumerate() {
            let due = match (log_index, upto) {
                (_, None) => true,
                (Some(log_index), Some(upto)) => *log_index <= upto,
                (None, Some(_)) => false,
            };
            if due && !shown[index] {
                shown[index] = true;
                for v in group {
                    let _ = writeln!(
                        out,
                        r#"<tr class="flag"><td class="num">{}</td><td colspan="4">violated: {} — {}</td></tr>"#,
                        log_index.map(|s| s.to_string()).unwrap_or_default(),
                        v.invariant,
                        esc(&v.message)
                    );
                }
            }
        }
    };
    for (index, line) in trace.iter().enumerate() {
        if line.index > 0 {
            flag(out, &mut shown, Some(line.index - 1));
        }
        let is_poller = model.poller(&line.actor).is_some();
        let mut class = String::from(if is_poller { "poller" } else { "thread" });
        class.push_str(row_class(line, &hung_waits));
        let implicit = if line.implicit {
            r#" <span class="implicit">(implicit)</span>"#
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r#"<tr class="{class}"><td class="num">{}</td><td class="actor">{}</td><td class="user">{}</td><td class="lists">{}</td><td class="what">{}{implicit}</td></tr>"#,
            line.index,
            esc(&line.actor),
            esc(&line.user),
            esc(&model.lists_text(index)),
            esc(&line.event)
        );
    }
    flag(out, &mut shown, None);
    let _ = writeln!(out, "</tbody></table></section>");
}

/// A timeline row's extra class: bad (a quit, a signal without the work, the hung wait), a wait,
/// or good (work done, a release that returned signalled).
fn row_class(line: &TraceLine, hung_waits: &[(String, u32)]) -> &'static str {
    match line.kind {
        EventKind::PollerQuit | EventKind::SignalledWithoutWork => " bad",
        EventKind::ReleaseWait
            if hung_waits
                .iter()
                .any(|(thread, log_index)| *thread == line.actor && *log_index == line.index) =>
        {
            " bad"
        }
        EventKind::ReleaseWait | EventKind::LockWait | EventKind::Wait => " warn",
        EventKind::ReleaseDone if line.timed_out => " bad",
        EventKind::DidWork | EventKind::ReleaseDone => " good",
        EventKind::Impersonate
        | EventKind::Revert
        | EventKind::Skipped
        | EventKind::ListCreated
        | EventKind::PollerCreated
        | EventKind::PollerStarted
        | EventKind::Logon
        | EventKind::OpenStore
        | EventKind::PollerRespawned
        | EventKind::Logoff
        | EventKind::ListRemoved
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerStopped
        | EventKind::PollerExhausted
        | EventKind::ThreadDone
        | EventKind::LockTaken
        | EventKind::LockReleased
        | EventKind::Spawn
        | EventKind::WaitDone
        | EventKind::Signal => "",
    }
}
