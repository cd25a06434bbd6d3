//! The Mermaid rendering: a `sequenceDiagram` with one participant per application thread, one
//! for the shared table ("Shared memory") and one per poller. Participant ids are simple (`T1`,
//! `SHM`, `P1`) with the real names as aliases; every text is escaped so that GitHub renders it.

use std::fmt::Write as _;

use super::model::{EndKind, LaneKind, Model, Wait};
use crate::monitor::Invariant;
use crate::phrase;
use crate::report::{TraceLine, ViolationReport};
use crate::trace::EventKind;

pub(crate) fn render(model: &Model<'_>) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(
        out,
        "    title {}",
        escape(&format!(
            "mapihang - variant {} - {}",
            model.report.variant,
            model.verdict_line().replace(':', "")
        ))
    );
    let ids = Ids::new(model);
    participants(model, &ids, &mut out);
    if model.is_pass() {
        pass_note(model, &ids, &mut out);
        return out;
    }
    let groups = model.violations_by_index();
    let mut shown = vec![false; groups.len()];
    for line in model.trace() {
        // Violations found before this step, where they happened.
        for (index, (log_index, group)) in groups.iter().enumerate() {
            if !shown[index] && log_index.is_some_and(|s| s < line.index) {
                shown[index] = true;
                violation_notes(&mut out, group, &ids);
            }
        }
        message(model, &mut out, line, &ids);
    }
    hang_notes(model, &ids, &mut out);
    for (index, (_, group)) in groups.iter().enumerate() {
        if !shown[index] {
            let group: Vec<_> = group
                .iter()
                .filter(|v| v.invariant != Invariant::PollerSignals)
                .copied()
                .collect();
            violation_notes(&mut out, &group, &ids);
        }
    }
    out
}

/// Participant ids: threads `T1`.., pollers `P1`.., by lane order; anything else is `SHM`.
struct Ids(Vec<(String, String)>);

impl Ids {
    fn new(model: &Model<'_>) -> Ids {
        let (mut threads, mut pollers) = (0, 0);
        let ids = model
            .lanes
            .iter()
            .map(|lane| {
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
                (lane.name.clone(), id)
            })
            .collect();
        Ids(ids)
    }

    fn of(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| "SHM".into())
    }
}

/// Threads, then the shared table, then the pollers (each with the user it runs as).
fn participants(model: &Model<'_>, ids: &Ids, out: &mut String) {
    for lane in model.lanes.iter().filter(|l| l.kind == LaneKind::Thread) {
        let alias = format!("{} ({})", lane.name, model.lane_users(lane).join(", then "));
        let _ = writeln!(
            out,
            "    participant {} as {}",
            ids.of(&lane.name),
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
            ids.of(&lane.name),
            escape(&alias)
        );
    }
}

fn pass_note(model: &Model<'_>, ids: &Ids, out: &mut String) {
    let first = model
        .lanes
        .first()
        .map(|l| ids.of(&l.name))
        .unwrap_or_else(|| "SHM".into());
    let _ = writeln!(
        out,
        "    Note over {first},SHM: {}",
        escape(&match &model.report.inconclusive {
            Some(inconclusive) => format!("INCONCLUSIVE - {}", inconclusive.message),
            None => format!(
                "PASS - no violation in {} executions",
                model.report.executions
            ),
        })
    );
}

/// The hang: every blocked thread waits forever on a poller that will never signal.
fn hang_notes(model: &Model<'_>, ids: &Ids, out: &mut String) {
    let hung: Vec<&Wait> = model.open_waits().filter(|w| model.is_hang(w)).collect();
    if hung.is_empty() {
        return;
    }
    let log_index = model.hang_index().unwrap_or(model.last_index);
    let _ = writeln!(out, "    rect rgb(255, 228, 228)");
    for wait in hung {
        let thread = ids.of(&wait.thread);
        let over = match &wait.poller {
            Some(p) if model.poller(p).is_some() => format!("{thread},{}", ids.of(p)),
            _ => thread.clone(),
        };
        let poller = wait.poller.as_deref().unwrap_or("its poller");
        let why = match model
            .poller(poller)
            .and_then(|p| p.end.as_ref())
            .map(|(s, k)| (*s, k))
        {
            Some((s, EndKind::Quit { lists, user })) => format!(
                "{poller} quit at step {s} ({})",
                phrase::quit_seen(*lists, user)
            ),
            Some((s, EndKind::Stopped)) => format!("{poller} stopped at step {s}"),
            Some((s, EndKind::Exhausted)) => format!("{poller} gave up at step {s}"),
            None => format!("{poller} never signals {}", wait.store),
        };
        let _ = writeln!(
            out,
            "    Note over {over}: {}<br/>{}",
            escape(&format!(
                "[{log_index}] {} waits forever for {poller}'s signal",
                wait.thread
            )),
            escape(&why)
        );
    }
    let _ = writeln!(out, "    end");
}

fn violation_notes(out: &mut String, group: &[&ViolationReport], ids: &Ids) {
    for v in group {
        let over = v
            .thread
            .as_deref()
            .or(v.poller.as_deref())
            .map(|name| ids.of(name))
            .unwrap_or_else(|| "SHM".into());
        let at = v.log_index.map(|s| format!("[{s}] ")).unwrap_or_default();
        let _ = writeln!(
            out,
            "    Note over {over}: {}<br/>{}",
            escape(&format!("{at}VIOLATION {}", v.invariant)),
            escape(&v.message)
        );
    }
}

/// How a trace line is drawn: an arrow from its actor, or a note over it.
enum Draw {
    Arrow(&'static str, String, String),
    Note(String),
    /// A poller's search that ended in its quitting: an arrow that ends in a cross, and a note.
    Quit(String),
}

fn message(model: &Model<'_>, out: &mut String, line: &TraceLine, ids: &Ids) {
    let me = ids.of(&line.actor);
    let text = |t: &str| escape(&format!("[{}] {t}", line.index));
    match draw(model, line, ids) {
        Draw::Arrow(arrow, to, body) => {
            let _ = writeln!(out, "    {me}{arrow}{to}: {}", text(&body));
        }
        Draw::Note(body) => {
            let _ = writeln!(out, "    Note over {me}: {}", text(&body));
        }
        Draw::Quit(body) => {
            let _ = writeln!(out, "    {me}-xSHM: {}", text(&body));
            let _ = writeln!(
                out,
                "    Note over {me}: {}",
                escape("✕ quits without signalling")
            );
        }
    }
}

fn draw(model: &Model<'_>, line: &TraceLine, ids: &Ids) -> Draw {
    let me = ids.of(&line.actor);
    let to_poller = || {
        line.poller
            .as_deref()
            .map_or_else(|| "SHM".into(), |p| ids.of(p))
    };
    let list = line.list.as_deref().unwrap_or("?");
    let store = line.store.as_deref().unwrap_or("?");
    let poller = line.poller.as_deref();
    let implicit = if line.implicit { " (implicit)" } else { "" };
    let said = format!("{}{implicit}", line.event);
    match line.kind {
        EventKind::Impersonate | EventKind::Revert | EventKind::Skipped | EventKind::OpenStore => {
            Draw::Arrow("->>", me, said)
        }
        EventKind::ListCreated => {
            let key = line
                .key
                .as_ref()
                .map(|k| format!(" ({})", phrase::key_label(k, &line.user)))
                .unwrap_or_default();
            Draw::Arrow(
                "->>",
                "SHM".into(),
                format!("build list {list} for {}{key}", line.user),
            )
        }
        EventKind::PollerCreated | EventKind::PollerRespawned => {
            Draw::Arrow("-)", to_poller(), line.event.clone())
        }
        EventKind::Logon | EventKind::Logoff | EventKind::ListRemoved => {
            Draw::Arrow("->>", "SHM".into(), said)
        }
        EventKind::ReleaseWait => Draw::Arrow(
            "--)",
            to_poller(),
            format!(
                "release {store}{implicit}: waits ({}) for {}",
                phrase::wait(line.timed),
                poller.unwrap_or("its poller")
            ),
        ),
        EventKind::PollerStopRequested => Draw::Arrow(
            "-)",
            to_poller(),
            format!("stop {}", poller.unwrap_or("poller")),
        ),
        EventKind::PollerFound => Draw::Arrow("->>", "SHM".into(), format!("polls: takes {list}")),
        EventKind::DidWork | EventKind::SignalledWithoutWork => {
            let thread = model
                .signals
                .iter()
                .find(|s| s.index == line.index)
                .and_then(|s| s.thread.as_deref())
                .map_or_else(|| "SHM".into(), |t| ids.of(t));
            let body = if line.kind == EventKind::DidWork {
                format!("{store}'s work done: signal")
            } else {
                format!("signals {store} WITHOUT its work")
            };
            Draw::Arrow("-->>", thread, body)
        }
        EventKind::PollerQuit => Draw::Quit(format!(
            "polls: {}",
            phrase::quit_seen(line.lists_seen.map(usize::from), &line.user)
        )),
        // Things that happen to one actor: a note over it.
        EventKind::PollerStarted
        | EventKind::ReleaseDone
        | EventKind::PollerStopped
        | EventKind::PollerExhausted
        | EventKind::ThreadDone
        | EventKind::LockWait
        | EventKind::LockTaken
        | EventKind::LockReleased
        | EventKind::Spawn
        | EventKind::Wait
        | EventKind::WaitDone
        | EventKind::Signal => Draw::Note(said),
    }
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
