//! The SVG rendering: a self-contained swimlane timeline. One lane per application thread (each
//! followed by the pollers it created) and one for the shared table; log steps on the x axis;
//! waits as bars, the hung thread's wait running off the right edge, pollers' lives ending in a
//! ✕ where they quit, the violation marked by a vertical line. No scripts, no external assets:
//! tooltips are `<title>` elements.

use std::fmt::Write as _;

use super::model::{EndKind, Lane, LaneKind, Model};
use crate::phrase;
use crate::trace::EventKind;

const MARGIN: f64 = 24.0;
const LABEL_W: f64 = 236.0;
const TAIL: f64 = 190.0;
const ROW_H: f64 = 14.0;
const LABEL_SIZE: f64 = 11.0;
/// The shared-memory lane: its heading's height, then one row per connection list.
const SHM_HEAD: f64 = 46.0;
const SHM_ROW: f64 = 24.0;
const FONT: &str =
    "'Segoe UI', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";
const MONO: &str = "Consolas, Menlo, 'DejaVu Sans Mono', 'Liberation Mono', monospace";

const INK: &str = "#1f2937";
const MUTED: &str = "#6b7280";
const GRID: &str = "#e5e7eb";
const THREAD: &str = "#2563eb";
const PROCESS: &str = "#9ca3af";
const POLLER: &str = "#7c3aed";
const WAIT: &str = "#f59e0b";
const HANG: &str = "#dc2626";
const LIST: &str = "#0d9488";
const SIGNAL: &str = "#16a34a";
const NO_WORK: &str = "#ea580c";
const SLATE: &str = "#475569";

/// Estimated width of `text` in the proportional font at `size` px (generous, so labels that
/// are placed apart never touch).
fn text_w(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.57
}

/// XML-escape text and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A label under a marker, placed in the first row where it does not touch its neighbours.
struct Label {
    x: f64,
    text: String,
    width: f64,
    class: &'static str,
    left: f64,
    row: usize,
    /// The step a violation flag belongs to.
    step: u32,
}

/// Assign rows to labels (sorted by x) so that none overlaps; returns the number of rows.
fn place(labels: &mut [Label], min_left: f64) -> usize {
    labels.sort_by(|a, b| a.x.total_cmp(&b.x));
    let mut rows: Vec<f64> = Vec::new();
    for label in labels.iter_mut() {
        let left = (label.x - label.width / 2.0).max(min_left);
        let row = match rows.iter().position(|&end| end + 10.0 <= left) {
            Some(row) => row,
            None => {
                rows.push(f64::MIN);
                rows.len() - 1
            }
        };
        rows[row] = left + label.width;
        label.left = left;
        label.row = row;
    }
    rows.len()
}

/// Horizontal geometry: where each log step sits.
struct Geo {
    dx: f64,
    plot_left: f64,
    plot_right: f64,
    width: f64,
}

impl Geo {
    fn x(&self, step: u32) -> f64 {
        self.plot_left + self.dx / 2.0 + f64::from(step) * self.dx
    }
    fn edge(&self) -> f64 {
        self.width - MARGIN
    }
}

/// What the picture shows, so that the legend explains exactly that.
#[derive(Default)]
struct Present {
    impersonating: bool,
    process: bool,
    pollers: bool,
    quits: bool,
    waits: bool,
    timed_out: bool,
    hang: bool,
    signals: bool,
    no_work: bool,
    lists: bool,
    violations: bool,
}

/// A lane's vertical placement and its labels.
struct Row<'m> {
    lane: &'m Lane,
    top: f64,
    height: f64,
    bar: f64,
    labels: Vec<Label>,
    captions: Vec<(String, bool)>,
    /// The lane's background colour.
    fill: &'static str,
}

pub(crate) fn render(model: &Model<'_>, standalone: bool) -> String {
    let trace = model.trace();
    let steps = if trace.is_empty() {
        0
    } else {
        model.last_step + 1
    };
    let dx = match steps {
        0..=20 => 52.0,
        21..=40 => 44.0,
        _ => 36.0,
    };
    let plot_left = MARGIN + LABEL_W;
    let plot_right = plot_left + f64::from(steps) * dx;
    let hang = model.open_waits().any(|w| model.is_hang(w));
    let width = (plot_right + TAIL + MARGIN).max(820.0).round();
    let geo = Geo {
        dx,
        plot_left,
        plot_right,
        width,
    };

    let mut body = String::new();
    let mut y = MARGIN;

    // Title, verdict badge, run line, and the wait-for chain (or the violations) in words.
    let report = model.report;
    let title = format!("mapihang · variant {}", report.variant);
    let _ = writeln!(
        body,
        r#"<text x="{MARGIN}" y="{:.1}" class="title">{}</text>"#,
        y + 20.0,
        esc(&title)
    );
    let verdict = model.verdict_line();
    let badge_w = text_w(&verdict, 12.0) * 1.08 + 24.0;
    let badge_x = geo.edge() - badge_w;
    let badge_color = if model.is_pass() { SIGNAL } else { HANG };
    let _ = writeln!(
        body,
        r#"<rect x="{badge_x:.1}" y="{:.1}" width="{badge_w:.1}" height="24" rx="12" fill="{badge_color}"/><text x="{:.1}" y="{:.1}" class="badge" text-anchor="middle">{}</text>"#,
        y + 3.0,
        badge_x + badge_w / 2.0,
        y + 19.5,
        esc(&verdict)
    );
    y += 42.0;
    let _ = writeln!(
        body,
        r#"<text x="{MARGIN}" y="{y:.1}" class="sub">{}</text>"#,
        esc(&model.run_line())
    );
    y += 8.0;
    let mut story: Vec<String> = model.chains();
    if story.is_empty() {
        story = report
            .violations
            .iter()
            .take(4)
            .map(|v| format!("[{}] {}", v.invariant, v.message))
            .collect();
    }
    if model.is_pass() {
        story = vec![format!(
            "No execution violated an invariant ({} executions): there is no failing execution to draw.",
            report.executions
        )];
    }
    let story_class = if model.is_pass() { "story ok" } else { "story" };
    for line in &story {
        y += 18.0;
        let _ = writeln!(
            body,
            r#"<text x="{MARGIN}" y="{y:.1}" class="{story_class}">{}</text>"#,
            esc(line)
        );
    }
    y += 16.0;

    if trace.is_empty() {
        return finish(model, body, &geo, y, standalone, &Present::default());
    }

    // The lanes: labels first (their rows set each lane's height).
    let mut rows: Vec<Row<'_>> = Vec::new();
    for lane in &model.lanes {
        let mut labels: Vec<Label> = lane
            .lines
            .iter()
            .map(|&i| {
                let line = &trace[i];
                let text = phrase::short(line);
                let class = label_class(line.kind);
                let width = text_w(&text, LABEL_SIZE);
                // A marker with a vertical connector gets its label beside the line.
                let x = if has_connector(line.kind) {
                    geo.x(line.step) + 7.0 + width / 2.0
                } else {
                    geo.x(line.step)
                };
                Label {
                    x,
                    width,
                    text,
                    class,
                    left: 0.0,
                    row: 0,
                    step: line.step,
                }
            })
            .collect();
        let label_rows = place(&mut labels, plot_left + 4.0).max(1);
        let captions = lane_captions(model, lane);
        let caption_h = 20.0 + 22.0 + (captions.len().max(1) - 1) as f64 * 15.0 + 12.0;
        let height = (20.0 + 22.0 + (label_rows - 1) as f64 * ROW_H + 16.0).max(caption_h);
        rows.push(Row {
            lane,
            top: 0.0,
            height,
            bar: 0.0,
            fill: if rows.len().is_multiple_of(2) {
                "#f8fafc"
            } else {
                "#ffffff"
            },
            labels,
            captions,
        });
    }

    // Violation headers above the axis, placed like labels.
    let groups = model.violations_by_step();
    let mut flags: Vec<Label> = Vec::new();
    for (step, group) in &groups {
        let Some(step) = *step else { continue };
        let what = if group
            .iter()
            .any(|v| v.invariant == crate::monitor::Invariant::PollerSignals)
        {
            format!("step {step} · hang: every thread is blocked")
        } else {
            let names: Vec<&str> = group.iter().map(|v| v.invariant.name()).collect();
            format!("step {step} · {}", names.join(", "))
        };
        let w = text_w(&what, 11.5) * 1.05;
        let x = geo.x(step);
        // Right of the line when it fits, else left of it.
        let center = if x + 6.0 + w <= geo.edge() {
            x + 6.0 + w / 2.0
        } else {
            x - 6.0 - w / 2.0
        };
        flags.push(Label {
            x: center,
            width: w,
            text: what,
            class: "flag",
            left: 0.0,
            row: 0,
            step,
        });
    }
    let flag_rows = place(&mut flags, plot_left).max(usize::from(!flags.is_empty()));
    let flags_top = y;
    y += flag_rows as f64 * 17.0;
    let axis_y = y + 12.0;
    y += 20.0;
    let lanes_top = y;
    for row in &mut rows {
        row.top = y;
        row.bar = y + 20.0;
        y += row.height;
    }
    let shm_top = y;
    let shm_h = (SHM_HEAD + model.lists.len() as f64 * SHM_ROW + 6.0).max(56.0);
    y += shm_h;
    let lanes_bottom = y;

    // Backgrounds: lane stripes, the "forever" tail, the grid.
    for row in &rows {
        let fill = row.fill;
        let _ = writeln!(
            body,
            r#"<rect x="{MARGIN}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/>"#,
            row.top,
            geo.edge() - MARGIN,
            row.height
        );
    }
    let _ = writeln!(
        body,
        r##"<rect x="{MARGIN}" y="{shm_top:.1}" width="{:.1}" height="{shm_h:.1}" fill="#f0fdfa"/>"##,
        geo.edge() - MARGIN
    );
    if hang {
        let _ = writeln!(
            body,
            r#"<rect x="{:.1}" y="{lanes_top:.1}" width="{:.1}" height="{:.1}" fill="url(#mh-forever)"/>"#,
            geo.plot_right,
            geo.edge() - geo.plot_right,
            lanes_bottom - lanes_top
        );
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="{axis_y:.1}" class="tick forever">never returns →</text>"#,
            geo.plot_right + 10.0
        );
    }
    let tick_every = if dx >= 40.0 { 1 } else { 2 };
    let _ = writeln!(
        body,
        r#"<text x="{:.1}" y="{axis_y:.1}" class="axis">log step →</text>"#,
        MARGIN + 14.0
    );
    for step in 0..steps {
        let x = geo.x(step);
        let _ = writeln!(
            body,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{lanes_bottom:.1}" stroke="{GRID}" stroke-width="1"/>"#,
            lanes_top
        );
        if step % tick_every == 0 {
            let _ = writeln!(
                body,
                r#"<text x="{x:.1}" y="{axis_y:.1}" class="tick">{step}</text>"#
            );
        }
    }
    for bottom in rows
        .iter()
        .map(|r| r.top + r.height)
        .chain(std::iter::once(lanes_bottom))
    {
        let _ = writeln!(
            body,
            r#"<line x1="{MARGIN}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="{GRID}"/>"#,
            geo.edge()
        );
    }
    let _ = writeln!(
        body,
        r##"<line x1="{MARGIN}" y1="{lanes_top:.1}" x2="{:.1}" y2="{lanes_top:.1}" stroke="#cbd5e1"/>"##,
        geo.edge()
    );

    // Violation lines (under the lanes' drawings, over the grid).
    for label in &flags {
        let x = geo.x(label.step);
        let flag_y = flags_top + label.row as f64 * 17.0 + 12.0;
        let _ = writeln!(
            body,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{lanes_bottom:.1}" stroke="{HANG}" stroke-width="2" stroke-dasharray="6 4"/>"#,
            flag_y - 10.0
        );
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="{flag_y:.1}" class="flag">{}</text>"#,
            label.left,
            esc(&label.text)
        );
    }

    // Lane captions (name, user, role).
    for row in &rows {
        let lane = row.lane;
        let color = match lane.kind {
            LaneKind::Thread => THREAD,
            LaneKind::Poller => POLLER,
        };
        let _ = writeln!(
            body,
            r#"<rect x="{MARGIN}" y="{:.1}" width="4" height="{:.1}" fill="{color}"/>"#,
            row.top, row.height
        );
        let kind = match lane.kind {
            LaneKind::Thread => "application thread",
            LaneKind::Poller => "MAPI poller",
        };
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="{:.1}" class="lane">{}<tspan class="kind" dx="8">{kind}</tspan></text>"#,
            MARGIN + 14.0,
            row.bar + 5.0,
            esc(&lane.name)
        );
        for (index, (caption, mono)) in row.captions.iter().enumerate() {
            let class = if *mono { "sid" } else { "note" };
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" class="{class}">{}</text>"#,
                MARGIN + 14.0,
                row.bar + 22.0 + index as f64 * 15.0,
                esc(caption)
            );
        }
    }

    // Shared memory: one bar per connection list, from built to removed.
    let _ = writeln!(
        body,
        r#"<rect x="{MARGIN}" y="{shm_top:.1}" width="4" height="{shm_h:.1}" fill="{LIST}"/>"#
    );
    let _ = writeln!(
        body,
        r#"<text x="{:.1}" y="{:.1}" class="lane">Shared memory</text>"#,
        MARGIN + 14.0,
        shm_top + 22.0
    );
    let _ = writeln!(
        body,
        r#"<text x="{:.1}" y="{:.1}" class="note">connection lists, {}</text>"#,
        MARGIN + 14.0,
        shm_top + 37.0,
        phrase::keyed_by(model.lists.iter().map(|l| l.key.as_ref()))
    );
    let list_bar = |index: usize| shm_top + SHM_HEAD + index as f64 * SHM_ROW;
    for (index, list) in model.lists.iter().enumerate() {
        let bar_y = list_bar(index);
        let x1 = geo.x(list.created);
        let (x2, open) = match list.removed {
            Some(step) => (geo.x(step), false),
            None => (geo.plot_right, true),
        };
        let key = list.key.as_ref().map(|k| format!("key {}", phrase::key(k)));
        let key_label = list.key.as_ref().map(|k| phrase::key_label(k, &list.user));
        let tip = format!(
            "connection list {} for {}{}: built by {} at step {}, {}",
            list.name,
            list.user,
            key.as_deref().map(|k| format!(", {k}")).unwrap_or_default(),
            list.creator,
            list.created,
            match list.removed {
                Some(step) => format!("removed at step {step}"),
                None => "still in the table at the end".into(),
            }
        );
        let _ = writeln!(body, "<g><title>{}</title>", esc(&tip));
        let _ = writeln!(
            body,
            r#"<text x="{:.1}" y="{:.1}" class="listname">{}<tspan class="sid" dx="8">{}</tspan></text>"#,
            MARGIN + 14.0,
            bar_y + 12.0,
            esc(&list.name),
            esc(&list.user)
        );
        let fill = if open { "url(#mh-list-fade)" } else { LIST };
        let _ = writeln!(
            body,
            r#"<rect x="{:.1}" y="{bar_y:.1}" width="{:.1}" height="16" rx="4" fill="{fill}"/>"#,
            x1 - 6.0,
            (x2 - x1 + 12.0).max(12.0)
        );
        if let Some(key) = key_label {
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" class="listkey">{}</text>"#,
                x2 + 14.0,
                bar_y + 12.0,
                esc(&key)
            );
        }
        let _ = writeln!(body, "</g>");
    }
    // Connections joining and leaving, as ticks on the list bars.
    for (i, line) in trace.iter().enumerate() {
        let sign = match line.kind {
            EventKind::Logon => "+",
            EventKind::Logoff => "−",
            _ => continue,
        };
        let Some(index) = line
            .list
            .as_deref()
            .and_then(|l| model.lists.iter().position(|info| info.name == l))
        else {
            continue;
        };
        let bar_y = list_bar(index);
        let x = geo.x(line.step);
        let _ = writeln!(
            body,
            r##"<g><title>{}</title><circle cx="{x:.1}" cy="{:.1}" r="6" fill="#ffffff" stroke="{LIST}" stroke-width="1.5"/><text x="{x:.1}" y="{:.1}" class="pm">{sign}</text></g>"##,
            esc(&format!(
                "step {}: {} ({}) {}; lists after it: {}",
                line.step,
                line.actor,
                line.user,
                line.event,
                model.lists_text(i)
            )),
            bar_y + 8.0,
            bar_y + 11.5
        );
    }

    let bar_of = |name: &str| rows.iter().find(|r| r.lane.name == name).map(|r| r.bar);

    // Lifelines: threads (blue while impersonating, grey as the process user), pollers.
    let mut thread_segments = (false, false);
    for row in &rows {
        let lane = row.lane;
        let lines: Vec<_> = lane.lines.iter().map(|&i| &trace[i]).collect();
        match lane.kind {
            LaneKind::Thread => {
                for pair in lines.windows(2) {
                    let color = if pair[0].user == model.process_user {
                        thread_segments.1 = true;
                        PROCESS
                    } else {
                        thread_segments.0 = true;
                        THREAD
                    };
                    let _ = writeln!(
                        body,
                        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="4" stroke-linecap="round"/>"#,
                        geo.x(pair[0].step),
                        row.bar,
                        geo.x(pair[1].step),
                        row.bar
                    );
                }
            }
            LaneKind::Poller => {
                let Some(info) = model.poller(&lane.name) else {
                    continue;
                };
                let start = info.started.or(info.created);
                if let (Some(created), Some(start)) = (info.created, start) {
                    if start > created {
                        let _ = writeln!(
                            body,
                            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{POLLER}" stroke-width="2" stroke-dasharray="4 3"/>"#,
                            geo.x(created),
                            row.bar,
                            geo.x(start),
                            row.bar
                        );
                    }
                }
                let Some(start) = start else { continue };
                let end_step = match (&info.end, info.last) {
                    (Some((step, _)), Some(last)) => Some((*step).max(last)),
                    (Some((step, _)), None) => Some(*step),
                    (None, _) => None,
                };
                let (x2, fill) = match end_step {
                    Some(step) => (geo.x(step), POLLER.to_string()),
                    None => (geo.plot_right, "url(#mh-poller-fade)".to_string()),
                };
                let _ = writeln!(
                    body,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="10" rx="5" fill="{fill}" opacity="0.85"/>"#,
                    geo.x(start) - 5.0,
                    row.bar - 5.0,
                    (x2 - geo.x(start) + 10.0).max(10.0)
                );
            }
        }
    }

    // Waits: a bar from release-wait to release-done; the hung one runs off the right edge.
    for wait in &model.waits {
        let Some(bar) = bar_of(&wait.thread) else {
            continue;
        };
        let x1 = geo.x(wait.start);
        let poller = wait.poller.as_deref().unwrap_or("its poller");
        match wait.end {
            Some(end) => {
                let color = if wait.timed_out { NO_WORK } else { WAIT };
                let tip = format!(
                    "{} waits ({}, steps {}–{end}) for {poller}'s signal for {}{}",
                    wait.thread,
                    phrase::wait(wait.timed),
                    wait.start,
                    wait.store,
                    if wait.timed_out {
                        ": the wait timed out"
                    } else {
                        ""
                    }
                );
                let _ = writeln!(
                    body,
                    r#"<g><title>{}</title><rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" rx="3" fill="{color}"/></g>"#,
                    esc(&tip),
                    bar - 6.0,
                    (geo.x(end) - x1).max(4.0)
                );
            }
            None => {
                let hung = model.is_hang(wait);
                let color = if hung { HANG } else { WAIT };
                let fade = if hung {
                    "url(#mh-hang-fade)"
                } else {
                    "url(#mh-wait-fade)"
                };
                let x2 = geo.edge() - 14.0;
                let tip = model.chain(wait);
                let _ = writeln!(body, "<g><title>{}</title>", esc(&tip));
                let _ = writeln!(
                    body,
                    r#"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="16" rx="3" fill="{fade}"/>"#,
                    bar - 8.0,
                    x2 - x1
                );
                let _ = writeln!(
                    body,
                    r#"<path d="M{x2:.1},{:.1} L{:.1},{bar:.1} L{x2:.1},{:.1} Z" fill="{color}" opacity="0.55"/>"#,
                    bar - 11.0,
                    x2 + 13.0,
                    bar + 11.0
                );
                let text = if hung {
                    format!("waits forever for {poller}")
                } else {
                    format!("still waiting for {poller}")
                };
                let _ = writeln!(
                    body,
                    r#"<text x="{:.1}" y="{:.1}" class="inbar">{}</text></g>"#,
                    x1 + 10.0,
                    bar + 4.0,
                    esc(&text)
                );
            }
        }
    }

    // Connectors: CreateThread (thread → poller), signals (poller → waiting thread), and for a
    // hang, the quitting poller tied to the thread left waiting.
    for info in &model.pollers {
        let (Some(creator), Some(created)) = (&info.creator, info.created) else {
            continue;
        };
        let (Some(from), Some(to)) = (bar_of(creator), bar_of(&info.name)) else {
            continue;
        };
        let x = geo.x(created);
        let to = if to > from { to - 9.0 } else { to + 9.0 };
        let _ = writeln!(
            body,
            r#"<line x1="{x:.1}" y1="{from:.1}" x2="{x:.1}" y2="{to:.1}" stroke="{POLLER}" stroke-width="1.5" stroke-dasharray="4 3" marker-end="url(#mh-arrow-poller)"/>"#
        );
    }
    for signal in &model.signals {
        let (Some(from), Some(to)) = (
            bar_of(&signal.poller),
            signal.thread.as_deref().and_then(bar_of),
        ) else {
            continue;
        };
        let x = geo.x(signal.step);
        let to = if to > from { to - 9.0 } else { to + 9.0 };
        let (color, dash, arrow) = if signal.worked {
            (SIGNAL, "", "mh-arrow-signal")
        } else {
            (NO_WORK, r#" stroke-dasharray="5 3""#, "mh-arrow-nowork")
        };
        let _ = writeln!(
            body,
            r#"<line x1="{x:.1}" y1="{from:.1}" x2="{x:.1}" y2="{to:.1}" stroke="{color}" stroke-width="2"{dash} marker-end="url(#{arrow})"/>"#
        );
    }
    for wait in model.open_waits().filter(|w| model.is_hang(w)) {
        let Some(poller) = wait.poller.as_deref() else {
            continue;
        };
        let Some((quit, _)) = model.poller(poller).and_then(|p| p.end.as_ref()) else {
            continue;
        };
        let (Some(from), Some(to)) = (bar_of(poller), bar_of(&wait.thread)) else {
            continue;
        };
        let (x1, x2) = (geo.x(*quit), geo.x((*quit).max(wait.start)));
        let to = if to > from { to - 8.0 } else { to + 8.0 };
        let from = if to > from { from + 8.0 } else { from - 8.0 };
        let _ = writeln!(
            body,
            r#"<line x1="{x1:.1}" y1="{from:.1}" x2="{x2:.1}" y2="{to:.1}" stroke="{HANG}" stroke-width="1.5" stroke-dasharray="2 3"/>"#
        );
    }

    // Markers and their labels.
    for row in &rows {
        for &i in &row.lane.lines {
            let line = &trace[i];
            let x = geo.x(line.step);
            let tip = format!(
                "step {} · {} ({}): {}{}; lists: {}",
                line.step,
                line.actor,
                line.user,
                line.event,
                if line.implicit { " (implicit)" } else { "" },
                model.lists_text(i)
            );
            let _ = write!(body, "<g><title>{}</title>", esc(&tip));
            match line.kind {
                EventKind::PollerQuit => {
                    let s = 7.0;
                    for (stroke, w) in [("#ffffff", 7.0), (HANG, 3.5)] {
                        let _ = write!(
                            body,
                            r#"<path d="M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}" stroke="{stroke}" stroke-width="{w}" stroke-linecap="round"/>"#,
                            x - s,
                            row.bar - s,
                            x + s,
                            row.bar + s,
                            x - s,
                            row.bar + s,
                            x + s,
                            row.bar - s
                        );
                    }
                }
                EventKind::ThreadDone => {
                    let _ = write!(
                        body,
                        r#"<rect x="{:.1}" y="{:.1}" width="4" height="18" rx="1" fill="{SLATE}"/>"#,
                        x - 2.0,
                        row.bar - 9.0
                    );
                }
                kind => {
                    let fill = marker_color(kind);
                    let _ = write!(
                        body,
                        r##"<circle cx="{x:.1}" cy="{:.1}" r="5.5" fill="{fill}" stroke="#ffffff" stroke-width="1.5"/>"##,
                        row.bar
                    );
                }
            }
            let _ = writeln!(body, "</g>");
        }
        for label in &row.labels {
            // A backdrop in the lane's colour: lines that cross the label pass behind it.
            let baseline = row.bar + 24.0 + label.row as f64 * ROW_H;
            let _ = writeln!(
                body,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="13" fill="{}"/><text x="{:.1}" y="{baseline:.1}" class="{}">{}</text>"#,
                label.left - 2.0,
                baseline - 10.0,
                label.width + 2.0,
                row.fill,
                label.left,
                label.class,
                esc(&label.text)
            );
        }
    }

    let present = Present {
        impersonating: thread_segments.0,
        process: thread_segments.1,
        pollers: !model.pollers.is_empty(),
        quits: model
            .pollers
            .iter()
            .any(|p| matches!(p.end, Some((_, EndKind::Quit { .. })))),
        waits: model.waits.iter().any(|w| w.end.is_some() && !w.timed_out)
            || model.open_waits().any(|w| !model.is_hang(w)),
        timed_out: model.waits.iter().any(|w| w.timed_out),
        hang,
        signals: model.signals.iter().any(|s| s.worked && s.thread.is_some()),
        no_work: model
            .signals
            .iter()
            .any(|s| !s.worked && s.thread.is_some()),
        lists: !model.lists.is_empty(),
        violations: !flags.is_empty(),
    };
    finish(model, body, &geo, lanes_bottom + 18.0, standalone, &present)
}

/// The caption lines under a lane's name: (text, monospace).
fn lane_captions(model: &Model<'_>, lane: &Lane) -> Vec<(String, bool)> {
    match lane.kind {
        LaneKind::Thread => {
            let users = model.lane_users(lane);
            let mut captions: Vec<(String, bool)> = users
                .iter()
                .take(3)
                .enumerate()
                .map(|(i, u)| (format!("{} {u}", if i == 0 { "as" } else { "then" }), true))
                .collect();
            if users.len() > 3 {
                captions.push((format!("and {} more users", users.len() - 3), false));
            }
            captions
        }
        LaneKind::Poller => {
            let info = model.poller(&lane.name);
            let user = info
                .and_then(|p| p.user.clone())
                .unwrap_or_else(|| model.process_user.clone());
            let process = if user == model.process_user {
                " (process)"
            } else {
                ""
            };
            let mut captions = vec![(format!("as {user}{process}"), true)];
            let mut role = Vec::new();
            if let Some(list) = info.and_then(|p| p.list.as_deref()) {
                role.push(format!("serves {list}"));
            }
            if let Some(creator) = info.and_then(|p| p.creator.as_deref()) {
                role.push(format!("started by {creator}"));
            }
            if !role.is_empty() {
                captions.push((role.join(", "), false));
            }
            captions
        }
    }
}

fn marker_color(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ListCreated | EventKind::Logon | EventKind::Logoff | EventKind::ListRemoved => {
            LIST
        }
        EventKind::OpenStore | EventKind::ReleaseWait | EventKind::ReleaseDone => WAIT,
        EventKind::PollerCreated
        | EventKind::PollerRespawned
        | EventKind::PollerStarted
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerStopped
        | EventKind::PollerExhausted => POLLER,
        EventKind::DidWork => SIGNAL,
        EventKind::SignalledWithoutWork => NO_WORK,
        EventKind::Impersonate => THREAD,
        EventKind::Revert | EventKind::Skipped | EventKind::PollerQuit | EventKind::ThreadDone => {
            SLATE
        }
    }
}

/// The class of a marker's label: bad (a quit, a signal without the work), a wait, good work.
fn label_class(kind: EventKind) -> &'static str {
    match kind {
        EventKind::PollerQuit | EventKind::SignalledWithoutWork => "lbl bad",
        EventKind::ReleaseWait => "lbl warn",
        EventKind::DidWork => "lbl good",
        EventKind::Impersonate
        | EventKind::Revert
        | EventKind::Skipped
        | EventKind::ListCreated
        | EventKind::PollerCreated
        | EventKind::PollerStarted
        | EventKind::Logon
        | EventKind::OpenStore
        | EventKind::ReleaseDone
        | EventKind::PollerRespawned
        | EventKind::Logoff
        | EventKind::ListRemoved
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerStopped
        | EventKind::PollerExhausted
        | EventKind::ThreadDone => "lbl",
    }
}

/// Whether a marker has a vertical connector to another lane (CreateThread, a signal).
fn has_connector(kind: EventKind) -> bool {
    match kind {
        EventKind::PollerCreated
        | EventKind::PollerRespawned
        | EventKind::DidWork
        | EventKind::SignalledWithoutWork => true,
        EventKind::Impersonate
        | EventKind::Revert
        | EventKind::Skipped
        | EventKind::ListCreated
        | EventKind::PollerStarted
        | EventKind::Logon
        | EventKind::OpenStore
        | EventKind::ReleaseWait
        | EventKind::ReleaseDone
        | EventKind::Logoff
        | EventKind::ListRemoved
        | EventKind::PollerStopRequested
        | EventKind::PollerFound
        | EventKind::PollerQuit
        | EventKind::PollerStopped
        | EventKind::PollerExhausted
        | EventKind::ThreadDone => false,
    }
}

/// The legend, the SVG element around `body`, its styles and gradients.
fn finish(
    model: &Model<'_>,
    mut body: String,
    geo: &Geo,
    mut y: f64,
    standalone: bool,
    present: &Present,
) -> String {
    if !model.trace().is_empty() {
        // Legend: glyph + words, flowing left to right; only what the picture shows.
        let items: [(bool, String, &str); 11] = [
            (
                present.impersonating,
                format!(
                    r#"<line x1="0" y1="0" x2="22" y2="0" stroke="{THREAD}" stroke-width="4" stroke-linecap="round"/>"#
                ),
                "thread, impersonating",
            ),
            (
                present.process,
                format!(
                    r#"<line x1="0" y1="0" x2="22" y2="0" stroke="{PROCESS}" stroke-width="4" stroke-linecap="round"/>"#
                ),
                "thread, as the process user",
            ),
            (
                present.pollers,
                format!(
                    r#"<rect x="0" y="-5" width="22" height="10" rx="5" fill="{POLLER}" opacity="0.85"/>"#
                ),
                "poller running",
            ),
            (
                present.quits,
                format!(
                    r#"<path d="M5,-6 L17,6 M5,6 L17,-6" stroke="{HANG}" stroke-width="3.5" stroke-linecap="round"/>"#
                ),
                "poller quits without signalling",
            ),
            (
                present.waits,
                format!(r#"<rect x="0" y="-6" width="22" height="12" rx="3" fill="{WAIT}"/>"#),
                "release_store waiting for a signal",
            ),
            (
                present.timed_out,
                format!(r#"<rect x="0" y="-6" width="22" height="12" rx="3" fill="{NO_WORK}"/>"#),
                "wait that timed out",
            ),
            (
                present.hang,
                r#"<rect x="0" y="-7" width="22" height="14" rx="3" fill="url(#mh-hang-fade)"/>"#
                    .to_string(),
                "waits forever (the hang)",
            ),
            (
                present.signals,
                format!(
                    r#"<line x1="11" y1="8" x2="11" y2="-5" stroke="{SIGNAL}" stroke-width="2" marker-end="url(#mh-arrow-signal)"/>"#
                ),
                "signal after doing the store's work",
            ),
            (
                present.no_work,
                format!(
                    r#"<line x1="11" y1="8" x2="11" y2="-5" stroke="{NO_WORK}" stroke-width="2" stroke-dasharray="5 3" marker-end="url(#mh-arrow-nowork)"/>"#
                ),
                "signal without the work",
            ),
            (
                present.lists,
                format!(r#"<rect x="0" y="-6" width="22" height="12" rx="3" fill="{LIST}"/>"#),
                "connection list in shared memory",
            ),
            (
                present.violations,
                format!(
                    r#"<line x1="11" y1="-9" x2="11" y2="9" stroke="{HANG}" stroke-width="2" stroke-dasharray="6 4"/>"#
                ),
                "violation found",
            ),
        ];
        let mut x = MARGIN;
        y += 6.0;
        let _ = writeln!(body, r#"<g class="legend">"#);
        for (_, glyph, text) in items.iter().filter(|(shown, _, _)| *shown) {
            let w = 30.0 + text_w(text, 11.5) + 22.0;
            if x + w > geo.edge() {
                x = MARGIN;
                y += 24.0;
            }
            let _ = writeln!(
                body,
                r#"<g transform="translate({x:.1},{y:.1})">{glyph}<text x="30" y="4" class="legend">{}</text></g>"#,
                esc(text)
            );
            x += w;
        }
        let _ = writeln!(body, "</g>");
        y += 20.0;
    }
    let height = (y + 8.0).round();
    let width = geo.width;

    let mut out = String::new();
    if standalone {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let title = format!(
        "mapihang: variant {}, {}",
        model.report.variant,
        model.verdict_line()
    );
    let desc = {
        let chains = model.chains();
        if chains.is_empty() {
            model.run_line()
        } else {
            chains.join(". ")
        }
    };
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="mh-timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="mh-title mh-desc">"#
    );
    let _ = writeln!(out, r#"<title id="mh-title">{}</title>"#, esc(&title));
    let _ = writeln!(out, r#"<desc id="mh-desc">{}</desc>"#, esc(&desc));
    let _ = writeln!(
        out,
        r#"<style>
text {{ font-family: {FONT}; fill: {INK}; }}
.title {{ font-size: 20px; font-weight: 700; }}
.badge {{ font-size: 12px; font-weight: 700; fill: #ffffff; letter-spacing: 0.04em; }}
.sub {{ font-size: 12px; fill: {MUTED}; }}
.story {{ font-size: 13px; fill: #991b1b; font-weight: 600; }}
.story.ok {{ fill: #166534; }}
.tick {{ font-size: 10px; fill: {MUTED}; text-anchor: middle; }}
.axis {{ font-size: 10px; fill: {MUTED}; }}
.forever {{ fill: {HANG}; font-style: italic; font-size: 11px; text-anchor: start; }}
.flag {{ font-size: 11.5px; font-weight: 700; fill: {HANG}; }}
.lane {{ font-size: 15px; font-weight: 700; }}
.kind {{ font-size: 11px; font-weight: 400; fill: {MUTED}; }}
.sid {{ font-family: {MONO}; font-size: 11px; fill: #374151; }}
.note {{ font-size: 11px; fill: {MUTED}; }}
.lbl, .flag, .tick {{ paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }}
.lbl {{ font-size: {LABEL_SIZE}px; fill: #374151; }}
.lbl.warn {{ fill: #b45309; font-weight: 600; }}
.lbl.bad {{ fill: {HANG}; font-weight: 700; }}
.lbl.good {{ fill: #15803d; font-weight: 600; }}
.inbar {{ font-size: 11px; font-weight: 700; fill: #ffffff; }}
.listname {{ font-size: 13px; font-weight: 700; fill: {LIST}; }}
.listkey {{ font-family: {MONO}; font-size: 11px; fill: {LIST}; }}
.pm {{ font-size: 11px; font-weight: 700; fill: {LIST}; text-anchor: middle; }}
.legend {{ font-size: 11.5px; fill: #374151; }}
</style>"#
    );
    let _ = writeln!(
        out,
        r##"<defs>
<linearGradient id="mh-hang-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="{HANG}"/><stop offset="0.7" stop-color="{HANG}"/><stop offset="1" stop-color="{HANG}" stop-opacity="0.2"/></linearGradient>
<linearGradient id="mh-wait-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="{WAIT}"/><stop offset="0.7" stop-color="{WAIT}"/><stop offset="1" stop-color="{WAIT}" stop-opacity="0.2"/></linearGradient>
<linearGradient id="mh-poller-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="{POLLER}"/><stop offset="0.8" stop-color="{POLLER}"/><stop offset="1" stop-color="{POLLER}" stop-opacity="0.15"/></linearGradient>
<linearGradient id="mh-list-fade" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="{LIST}"/><stop offset="0.85" stop-color="{LIST}"/><stop offset="1" stop-color="{LIST}" stop-opacity="0.35"/></linearGradient>
<linearGradient id="mh-forever" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#fee2e2" stop-opacity="0.9"/><stop offset="1" stop-color="#fee2e2" stop-opacity="0.15"/></linearGradient>
<marker id="mh-arrow-poller" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="{POLLER}"/></marker>
<marker id="mh-arrow-signal" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="{SIGNAL}"/></marker>
<marker id="mh-arrow-nowork" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 Z" fill="{NO_WORK}"/></marker>
</defs>"##
    );
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}
