//! The text rendering: summary, connection lists, the numbered timeline with the lists existing
//! at each step, then each thread's "stack" at the end and the wait-for chain.

use std::fmt::Write as _;

use super::model::Model;
use crate::phrase::{self, join_and};

pub(crate) fn render(model: &Model<'_>) -> String {
    let mut out = String::new();
    let report = model.report;
    let _ = writeln!(out, "{}", model.verdict_line());
    let _ = writeln!(out, "variant {} · {}", report.variant, model.run_line());
    if let Some(coverage) = model.coverage_line() {
        let _ = writeln!(out, "{coverage}");
    }
    for (invariant, count) in &report.per_invariant {
        let _ = writeln!(out, "  {invariant}: {count} execution(s)");
    }
    if let Some(inconclusive) = &report.inconclusive {
        let _ = writeln!(out, "\nnot judged: {}", inconclusive.message);
        if let Some(hint) = &inconclusive.hint {
            let _ = writeln!(out, "to settle it: {hint}");
        }
        return out;
    }
    if model.is_pass() {
        let _ = writeln!(
            out,
            "\nPASS: no execution violated an invariant, so there is no failing execution to show."
        );
        return out;
    }

    let _ = writeln!(out, "\nViolations:");
    for v in &report.violations {
        let at = v
            .log_index
            .map(|s| format!(" at step {s}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  [{}]{at}: {}", v.invariant, v.message);
    }
    advice(model, &mut out);

    lists(model, &mut out);
    timeline(model, &mut out);
    stacks(model, &mut out);

    if let Some(schedule) = &report.schedule {
        let _ = writeln!(out, "\nschedule: {schedule}");
    }
    if let Some(repro) = &report.repro {
        let _ = writeln!(out, "repro:    {repro}");
    }
    out
}

/// What to do next: each distinct advice of the violations once, with its command.
fn advice(model: &Model<'_>, out: &mut String) {
    let mut seen: Vec<&crate::report::Advice> = Vec::new();
    for advice in model
        .report
        .violations
        .iter()
        .filter_map(|v| v.advice.as_ref())
    {
        if !seen.iter().any(|a| a.text == advice.text) {
            seen.push(advice);
        }
    }
    if seen.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nWhat to do next:");
    for advice in seen {
        let _ = writeln!(out, "  {}", advice.text);
        if let Some(command) = &advice.command {
            let _ = writeln!(out, "  run: {command}");
        }
    }
}

/// The connection lists, each with the key the variant filed it under.
fn lists(model: &Model<'_>, out: &mut String) {
    if model.lists.is_empty() {
        return;
    }
    let keyed = phrase::keyed_by(model.lists.iter().map(|l| (l.key.as_ref(), &*l.user)));
    let _ = writeln!(out, "\nConnection lists (shared memory, {keyed}):");
    let width = model.lists.iter().map(|l| l.user.len()).max().unwrap_or(0);
    for list in &model.lists {
        let key = list
            .key
            .as_ref()
            .map(|key| format!("key {}", phrase::key(key)))
            .unwrap_or_default();
        let removed = match list.removed {
            Some(log_index) => format!("removed at step {log_index}"),
            None => "still there at the end".into(),
        };
        let _ = writeln!(
            out,
            "  {:<4} {:<width$}  {key}  built by {} at step {}, {removed}",
            list.name, list.user, list.creator, list.created
        );
    }
}

fn timeline(model: &Model<'_>, out: &mut String) {
    let trace = model.trace();
    let _ = writeln!(
        out,
        "\nTimeline ({} steps; lists: the connection lists in shared memory after the step, as list:connections):",
        trace.len()
    );
    let actor_w = trace
        .iter()
        .map(|l| l.actor.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let user_w = trace.iter().map(|l| l.user.len()).max().unwrap_or(0).max(4);
    let lists: Vec<String> = (0..trace.len()).map(|i| model.lists_text(i)).collect();
    let lists_w = lists.iter().map(String::len).max().unwrap_or(0).max(5);
    let _ = writeln!(
        out,
        "  {:>4}  {:<actor_w$}  {:<user_w$}  {:<lists_w$}  what happened",
        "step", "thread", "user", "lists"
    );
    let groups = model.violations_by_index();
    let mut shown = vec![false; groups.len()];
    let mut mark = |out: &mut String, upto: Option<u32>| {
        for (index, (log_index, group)) in groups.iter().enumerate() {
            let due = match (log_index, upto) {
                (_, None) => true,
                (Some(log_index), Some(upto)) => *log_index <= upto,
                (None, Some(_)) => false,
            };
            if due && !shown[index] {
                shown[index] = true;
                let mut names: Vec<&str> = Vec::new();
                let mut who: Vec<&str> = Vec::new();
                for v in group {
                    if !names.contains(&v.invariant.name()) {
                        names.push(v.invariant.name());
                    }
                    who.extend(v.thread.as_deref());
                }
                let at = log_index.map(|s| s.to_string()).unwrap_or_default();
                let who = if who.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", join_and(&who))
                };
                let _ = writeln!(out, "  {at:>4}  ^^ violated: {}{who}", names.join(", "));
            }
        }
    };
    for (index, line) in trace.iter().enumerate() {
        if line.index > 0 {
            mark(out, Some(line.index - 1));
        }
        let implicit = if line.implicit { " (implicit)" } else { "" };
        let _ = writeln!(
            out,
            "  {:>4}  {:<actor_w$}  {:<user_w$}  {:<lists_w$}  {}{implicit}",
            line.index, line.actor, line.user, lists[index], line.event
        );
    }
    mark(out, None);
}

fn stacks(model: &Model<'_>, out: &mut String) {
    let at = match model.hang_index() {
        Some(log_index) => format!("at the hang (step {log_index})"),
        None => "at the end".into(),
    };
    let _ = writeln!(out, "\nStacks {at}:");
    for stack in model.stacks() {
        let _ = writeln!(out, "  {} ({}): {}", stack.actor, stack.user, stack.status);
        for (index, frame) in stack.frames.iter().enumerate() {
            let _ = writeln!(out, "      #{index}  {frame}");
        }
    }
    let app = model.app_chains();
    if !app.is_empty() {
        let _ = writeln!(out, "\nApplication wait-for chains:");
        for chain in &app {
            let _ = writeln!(out, "  {chain}");
        }
    }
    let chains = model.release_chains();
    if !chains.is_empty() {
        let _ = writeln!(out, "\nWait-for chain:");
        for chain in &chains {
            let _ = writeln!(out, "  {chain}");
        }
        let hung: Vec<&str> = model
            .open_waits()
            .filter(|w| model.is_hang(w))
            .map(|w| w.thread.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  Nothing will ever set {}: {} wait{} forever.",
            if chains.len() == 1 {
                "that signal"
            } else {
                "those signals"
            },
            join_and(&hung),
            if hung.len() == 1 { "s" } else { "" }
        );
    }
}
