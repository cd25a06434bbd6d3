//! The Mermaid rendering: a `sequenceDiagram` with one participant per application thread, one
//! for the shared table ("Shared memory") and one per poller. Participant ids are simple (`T1`,
//! `SHM`, `P1`) with the real names as aliases; every text is escaped so that GitHub renders it.

use std::fmt::Write as _;

use super::model::{plural, EndKind, LaneKind, Model};
use crate::report::TraceLine;

pub(crate) fn render(model: &Model<'_>) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let report = model.report;
    let _ = writeln!(
        out,
        "    title {}",
        escape(&format!(
            "mapihang - variant {} - {}",
            report.variant,
            model.verdict_line().replace(':', "")
        ))
    );

    // Participant ids: threads T1.., pollers P1.., by lane order.
    let mut ids: Vec<(String, String)> = Vec::new();
    let (mut threads, mut pollers) = (0, 0);
    for lane in &model.lanes {
        let id = match lane.kind {
            LaneKind::Thread => {
                threads += 1;
                format!("T{threads}")
            }
            LaneKind::Poller => {
                pollers += 1;
                format!("P{pollers}")
            }
        };
        ids.push((lane.name.clone(), id));
    }
    let id_of = |name: &str| -> String {
        ids.iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| "SHM".into())
    };
    for lane in model.lanes.iter().filter(|l| l.kind == LaneKind::Thread) {
        let alias = format!("{} ({})", lane.name, model.lane_users(lane).join(", then "));
        let _ = writeln!(
            out,
            "    participant {} as {}",
            id_of(&lane.name),
            escape(&alias)
        );
    }
    let _ = writeln!(
        out,
        "    participant SHM as Shared memory (connection lists)"
    );
    for lane in model.lanes.iter().filter(|l| l.kind == LaneKind::Poller) {
        let user = model
            .poller(&lane.name)
            .and_then(|p| p.user.clone())
            .unwrap_or_else(|| model.process_user.clone());
        let alias = format!("{} poller ({user})", lane.name);
        let _ = writeln!(
            out,
            "    participant {} as {}",
            id_of(&lane.name),
            escape(&alias)
        );
    }

    if model.is_pass() {
        let first = model
            .lanes
            .first()
            .map(|l| id_of(&l.name))
            .unwrap_or_else(|| "SHM".into());
        let _ = writeln!(
            out,
            "    Note over {first},SHM: {}",
            escape(&format!(
                "PASS - no violation in {} executions",
                report.executions
            ))
        );
        return out;
    }

    let groups = model.violations_by_step();
    let mut shown = vec![false; groups.len()];
    for line in model.trace() {
        // Violations found before this step, where they happened.
        for (index, (step, group)) in groups.iter().enumerate() {
            if !shown[index] && step.is_some_and(|s| s < line.step) {
                shown[index] = true;
                violation_notes(&mut out, group, &id_of);
            }
        }
        message(model, &mut out, line, &id_of);
    }

    // The hang: every blocked thread waits forever on a poller that will never signal.
    let chains: Vec<_> = model.open_waits().filter(|w| model.is_hang(w)).collect();
    if !chains.is_empty() {
        let step = model.hang_step().unwrap_or(model.last_step);
        let _ = writeln!(out, "    rect rgb(255, 228, 228)");
        for wait in chains {
            let thread = id_of(&wait.thread);
            let over = match &wait.poller {
                Some(p) if model.poller(p).is_some() => format!("{thread},{}", id_of(p)),
                _ => thread.clone(),
            };
            let poller = wait.poller.as_deref().unwrap_or("its poller");
            let why = match model
                .poller(poller)
                .and_then(|p| p.end.as_ref())
                .map(|(s, k)| (*s, k))
            {
                Some((s, EndKind::Quit { lists, user })) => format!(
                    "{poller} quit at step {s} ({lists} list{}, none for {user})",
                    plural(*lists)
                ),
                Some((s, EndKind::Stopped)) => format!("{poller} stopped at step {s}"),
                Some((s, EndKind::Exhausted)) => format!("{poller} gave up at step {s}"),
                None => format!("{poller} never signals {}", wait.store),
            };
            let _ = writeln!(
                out,
                "    Note over {over}: {}<br/>{}",
                escape(&format!(
                    "[{step}] {} waits forever for {poller}'s signal",
                    wait.thread
                )),
                escape(&why)
            );
        }
        let _ = writeln!(out, "    end");
    }
    for (index, (_, group)) in groups.iter().enumerate() {
        if !shown[index] {
            let group: Vec<_> = group
                .iter()
                .filter(|v| v.invariant != crate::monitor::Invariant::PollerSignals)
                .copied()
                .collect();
            violation_notes(&mut out, &group, &id_of);
        }
    }
    out
}

fn violation_notes(
    out: &mut String,
    group: &[&crate::report::ViolationReport],
    id_of: &dyn Fn(&str) -> String,
) {
    for v in group {
        let over = v
            .thread
            .as_deref()
            .or(v.poller.as_deref())
            .map(id_of)
            .unwrap_or_else(|| "SHM".into());
        let step = v.step.map(|s| format!("[{s}] ")).unwrap_or_default();
        let _ = writeln!(
            out,
            "    Note over {over}: {}<br/>{}",
            escape(&format!("{step}VIOLATION {}", v.invariant)),
            escape(&v.message)
        );
    }
}

fn message(model: &Model<'_>, out: &mut String, line: &TraceLine, id_of: &dyn Fn(&str) -> String) {
    let me = id_of(&line.actor);
    let poller = line.poller.as_deref().map(id_of);
    let text = |t: String| escape(&format!("[{}] {t}", line.step));
    let list = line.list.as_deref().unwrap_or("?");
    let store = line.store.as_deref().unwrap_or("?");
    let user = &line.user;
    let implicit = if line.implicit { " (implicit)" } else { "" };
    let (arrow, to, body) = match line.kind.as_str() {
        "impersonate" | "revert" | "skipped" | "open-store" => {
            ("->>", me.clone(), format!("{}{implicit}", line.event))
        }
        "list-created" => ("->>", "SHM".into(), format!("build list {list} for {user}")),
        "poller-created" | "poller-respawned" => (
            "-)",
            poller.clone().unwrap_or_else(|| "SHM".into()),
            line.event.clone(),
        ),
        "logon" | "logoff" | "list-removed" => {
            ("->>", "SHM".into(), format!("{}{implicit}", line.event))
        }
        "release-wait" => (
            "--)",
            poller.clone().unwrap_or_else(|| "SHM".into()),
            format!(
                "release {store}{implicit}: waits (INFINITE) for {}",
                line.poller.as_deref().unwrap_or("its poller")
            ),
        ),
        "poller-stop-requested" => (
            "-)",
            poller.clone().unwrap_or_else(|| "SHM".into()),
            format!("stop {}", line.poller.as_deref().unwrap_or("poller")),
        ),
        "poller-found" => ("->>", "SHM".into(), format!("polls: takes {list}")),
        "work-done" | "signalled-without-work" => {
            let thread = model
                .signals
                .iter()
                .find(|s| s.step == line.step)
                .and_then(|s| s.thread.as_deref())
                .map(id_of)
                .unwrap_or_else(|| "SHM".into());
            let body = if line.kind == "work-done" {
                format!("{store}'s work done: signal")
            } else {
                format!("signals {store} WITHOUT its work")
            };
            ("-->>", thread, body)
        }
        "poller-quit" => {
            let lists = model.lists_before_step(line.step);
            let _ = writeln!(
                out,
                "    {me}-xSHM: {}",
                text(format!(
                    "polls: {lists} list{}, none for {user}",
                    plural(lists)
                ))
            );
            let _ = writeln!(
                out,
                "    Note over {me}: {}",
                escape("✕ quits without signalling")
            );
            return;
        }
        _ => {
            // Things that happen to one actor: a note over it.
            let _ = writeln!(
                out,
                "    Note over {me}: {}",
                text(format!("{}{implicit}", line.event))
            );
            return;
        }
    };
    let _ = writeln!(out, "    {me}{arrow}{to}: {}", text(body));
}

/// Escape text for a Mermaid message, note or alias: characters Mermaid treats as syntax become
/// entity codes (`#59;`), line breaks become spaces.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' | ';' | '<' | '>' | '%' | '"' | '{' | '}' | '&' | '\\' | '`' => {
                let _ = write!(out, "#{};", c as u32);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
