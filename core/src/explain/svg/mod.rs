//! The SVG rendering: a self-contained swimlane timeline. One lane per application thread (each
//! followed by the pollers it created) and one for the shared table; log steps on the x axis;
//! waits as bars, the hung thread's wait running off the right edge, pollers' lives ending in a
//! ✕ where they quit, the violation marked by a vertical line. No scripts, no external assets:
//! tooltips are `<title>` elements.
//!
//! `render` lays the picture out (`layout`), then each part is drawn by its own function
//! (`draw`), over a small writer (`writer`) and one stylesheet (`style`); `legend` explains what
//! the picture shows and wraps it in its `<svg>` element.

mod draw;
mod legend;
mod style;
mod writer;

pub(crate) use writer::esc;

use super::model::{EndKind, Lane, LaneKind, Model};
use crate::monitor::Invariant;
use crate::phrase;
use style::{has_connector, label_class, HANG, SIGNAL};
use writer::{rect, text, text_w, Svg};

const MARGIN: f64 = 24.0;
const LABEL_W: f64 = 236.0;
const TAIL: f64 = 190.0;
const ROW_H: f64 = 14.0;
const LABEL_SIZE: f64 = 11.0;
/// The shared-memory lane: its heading's height, then one row per connection list.
const SHM_HEAD: f64 = 46.0;
const SHM_ROW: f64 = 24.0;

/// A label under a marker, placed in the first row where it does not touch its neighbours.
struct Label {
    x: f64,
    text: String,
    width: f64,
    class: &'static str,
    left: f64,
    row: usize,
    /// The log index a violation flag belongs to.
    index: u32,
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
    /// Log steps drawn (0 for an empty trace).
    steps: u32,
    dx: f64,
    plot_left: f64,
    plot_right: f64,
    width: f64,
}

impl Geo {
    fn new(model: &Model<'_>) -> Geo {
        let steps = if model.trace().is_empty() {
            0
        } else {
            model.last_index + 1
        };
        let dx = match steps {
            0..=20 => 52.0,
            21..=40 => 44.0,
            _ => 36.0,
        };
        let plot_left = MARGIN + LABEL_W;
        let plot_right = plot_left + f64::from(steps) * dx;
        Geo {
            steps,
            dx,
            plot_left,
            plot_right,
            width: (plot_right + TAIL + MARGIN).max(820.0).round(),
        }
    }

    fn x(&self, log_index: u32) -> f64 {
        self.plot_left + self.dx / 2.0 + f64::from(log_index) * self.dx
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

/// Where everything sits, once the labels are placed.
struct Layout<'m> {
    geo: Geo,
    rows: Vec<Row<'m>>,
    /// The violation flags above the axis.
    flags: Vec<Label>,
    flags_top: f64,
    axis_y: f64,
    lanes_top: f64,
    shm_top: f64,
    shm_h: f64,
    lanes_bottom: f64,
    /// A thread waits forever.
    hang: bool,
}

impl Layout<'_> {
    /// The y of the bar of the lane named `name`.
    fn bar_of(&self, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.lane.name == name)
            .map(|r| r.bar)
    }

    /// The y of connection list number `index`'s bar in the shared-memory lane.
    fn list_bar(&self, index: usize) -> f64 {
        self.shm_top + SHM_HEAD + index as f64 * SHM_ROW
    }
}

pub(crate) fn render(model: &Model<'_>, standalone: bool) -> String {
    let geo = Geo::new(model);
    let mut svg = Svg::default();
    let y = header(model, &geo, &mut svg);
    if model.trace().is_empty() {
        return legend::finish(model, svg, &geo, y, standalone, &Present::default());
    }
    let layout = layout(model, geo, y);
    draw::backgrounds(&layout, &mut svg);
    draw::axis(&layout, &mut svg);
    draw::violation_lines(&layout, &mut svg);
    draw::captions(&layout, &mut svg);
    draw::lists(model, &layout, &mut svg);
    draw::connection_ticks(model, &layout, &mut svg);
    let segments = draw::lifelines(model, &layout, &mut svg);
    draw::waits(model, &layout, &mut svg);
    draw::connectors(model, &layout, &mut svg);
    draw::markers(model, &layout, &mut svg);
    let present = present(model, &layout, segments);
    let bottom = layout.lanes_bottom + 18.0;
    legend::finish(model, svg, &layout.geo, bottom, standalone, &present)
}

/// Title, verdict badge, run line, and the wait-for chain (or the violations) in words; returns
/// the y below them.
fn header(model: &Model<'_>, geo: &Geo, svg: &mut Svg) -> f64 {
    let mut y = MARGIN;
    let report = model.report;
    let title = format!("mapihang · variant {}", report.variant);
    svg.put(&text(MARGIN, y + 20.0, r#"class="title""#, &esc(&title)));
    let verdict = model.verdict_line();
    let badge_w = text_w(&verdict, 12.0) * 1.08 + 24.0;
    let badge_x = geo.edge() - badge_w;
    let badge_color = if model.is_pass() { SIGNAL } else { HANG };
    svg.add(&rect(
        badge_x,
        y + 3.0,
        badge_w,
        24.0,
        &format!(r#"rx="12" fill="{badge_color}""#),
    ));
    svg.put(&text(
        badge_x + badge_w / 2.0,
        y + 19.5,
        r#"class="badge" text-anchor="middle""#,
        &esc(&verdict),
    ));
    y += 42.0;
    svg.put(&text(MARGIN, y, r#"class="sub""#, &esc(&model.run_line())));
    y += 8.0;
    let story_class = if model.is_pass() {
        r#"class="story ok""#
    } else {
        r#"class="story""#
    };
    for line in &story(model) {
        y += 18.0;
        svg.put(&text(MARGIN, y, story_class, &esc(line)));
    }
    y + 16.0
}

/// The header's sentences: the wait-for chains, else the first violations, or the pass.
fn story(model: &Model<'_>) -> Vec<String> {
    let report = model.report;
    if model.is_pass() {
        return vec![format!(
            "No execution violated an invariant ({} executions): there is no failing execution to draw.",
            report.executions
        )];
    }
    let chains = model.chains();
    if !chains.is_empty() {
        return chains;
    }
    report
        .violations
        .iter()
        .take(4)
        .map(|v| format!("[{}] {}", v.invariant, v.message))
        .collect()
}

/// Lay out the lanes (their labels set their heights), the violation flags above the axis and
/// the shared-memory lane, from `y` down.
fn layout<'m>(model: &'m Model<'_>, geo: Geo, mut y: f64) -> Layout<'m> {
    let mut rows = lane_rows(model, &geo);
    let mut flags = violation_flags(model, &geo);
    let flag_rows = place(&mut flags, geo.plot_left).max(usize::from(!flags.is_empty()));
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
    Layout {
        geo,
        rows,
        flags,
        flags_top,
        axis_y,
        lanes_top,
        shm_top,
        shm_h,
        lanes_bottom: y + shm_h,
        hang: model.open_waits().any(|w| model.is_hang(w)),
    }
}

/// One row per lane, with its markers' labels placed and its captions.
fn lane_rows<'m>(model: &'m Model<'_>, geo: &Geo) -> Vec<Row<'m>> {
    let trace = model.trace();
    let mut rows: Vec<Row<'_>> = Vec::new();
    for lane in &model.lanes {
        let mut labels: Vec<Label> = lane
            .lines
            .iter()
            .map(|&i| {
                let line = &trace[i];
                let text = phrase::short(line);
                let width = text_w(&text, LABEL_SIZE);
                // A marker with a vertical connector gets its label beside the line.
                let x = if has_connector(line.kind) {
                    geo.x(line.index) + 7.0 + width / 2.0
                } else {
                    geo.x(line.index)
                };
                Label {
                    x,
                    width,
                    text,
                    class: label_class(line.kind),
                    left: 0.0,
                    row: 0,
                    index: line.index,
                }
            })
            .collect();
        let label_rows = place(&mut labels, geo.plot_left + 4.0).max(1);
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
    rows
}

/// Violation headers above the axis, one per step with violations, placed like labels.
fn violation_flags(model: &Model<'_>, geo: &Geo) -> Vec<Label> {
    let mut flags: Vec<Label> = Vec::new();
    for (log_index, group) in &model.violations_by_index() {
        let Some(log_index) = *log_index else {
            continue;
        };
        let what = if group
            .iter()
            .any(|v| v.invariant == Invariant::PollerSignals)
        {
            format!("step {log_index} · hang: every thread is blocked")
        } else {
            let names: Vec<&str> = group.iter().map(|v| v.invariant.name()).collect();
            format!("step {log_index} · {}", names.join(", "))
        };
        let w = text_w(&what, 11.5) * 1.05;
        let x = geo.x(log_index);
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
            index: log_index,
        });
    }
    flags
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

/// What the drawn picture shows; `segments`: thread lifelines drawn impersonating, and as the
/// process user.
fn present(model: &Model<'_>, layout: &Layout<'_>, segments: (bool, bool)) -> Present {
    Present {
        impersonating: segments.0,
        process: segments.1,
        pollers: !model.pollers.is_empty(),
        quits: model
            .pollers
            .iter()
            .any(|p| matches!(p.end, Some((_, EndKind::Quit { .. })))),
        waits: model.waits.iter().any(|w| w.end.is_some() && !w.timed_out)
            || model.open_waits().any(|w| !model.is_hang(w)),
        timed_out: model.waits.iter().any(|w| w.timed_out),
        hang: layout.hang,
        signals: model.signals.iter().any(|s| s.worked && s.thread.is_some()),
        no_work: model
            .signals
            .iter()
            .any(|s| !s.worked && s.thread.is_some()),
        lists: !model.lists.is_empty(),
        violations: !layout.flags.is_empty(),
    }
}
