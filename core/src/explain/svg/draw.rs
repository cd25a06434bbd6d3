//! Each part of the picture, in drawing order (later parts lie over earlier ones): lane
//! backgrounds, the axis and grid, violation lines, lane captions, the connection lists,
//! lifelines, waits, connectors, then markers and their labels on top.

use super::style::{
    marker_color, GRID, HANG, LIST, NO_WORK, POLLER, PROCESS, SIGNAL, SLATE, THREAD, WAIT,
};
use super::writer::{circle, esc, line, rect, text, tip, Svg};
use super::{Layout, Row, MARGIN, ROW_H};
use crate::explain::model::{LaneKind, Model, Wait};
use crate::phrase;
use crate::report::TraceLine;
use crate::trace::EventKind;

/// Lane stripes, the shared-memory lane, and the "forever" tail of a hang.
pub(super) fn backgrounds(layout: &Layout<'_>, svg: &mut Svg) {
    let geo = &layout.geo;
    let width = geo.edge() - MARGIN;
    for row in &layout.rows {
        let fill = format!(r#"fill="{}""#, row.fill);
        svg.put(&rect(MARGIN, row.top, width, row.height, &fill));
    }
    svg.put(&rect(
        MARGIN,
        layout.shm_top,
        width,
        layout.shm_h,
        r##"fill="#f0fdfa""##,
    ));
    if layout.hang {
        svg.put(&rect(
            geo.plot_right,
            layout.lanes_top,
            geo.edge() - geo.plot_right,
            layout.lanes_bottom - layout.lanes_top,
            r#"fill="url(#mh-forever)""#,
        ));
        svg.put(&text(
            geo.plot_right + 10.0,
            layout.axis_y,
            r#"class="tick forever""#,
            "never returns →",
        ));
    }
}

/// The step axis, the grid, and the lines between lanes.
pub(super) fn axis(layout: &Layout<'_>, svg: &mut Svg) {
    let geo = &layout.geo;
    let tick_every = if geo.dx >= 40.0 { 1 } else { 2 };
    svg.put(&text(
        MARGIN + 14.0,
        layout.axis_y,
        r#"class="axis""#,
        "log step →",
    ));
    let grid = format!(r#"stroke="{GRID}" stroke-width="1""#);
    for log_index in 0..geo.steps {
        let x = geo.x(log_index);
        svg.put(&line(x, layout.lanes_top, x, layout.lanes_bottom, &grid));
        if log_index % tick_every == 0 {
            svg.put(&text(
                x,
                layout.axis_y,
                r#"class="tick""#,
                &log_index.to_string(),
            ));
        }
    }
    let bottoms = layout.rows.iter().map(|r| r.top + r.height);
    let stroke = format!(r#"stroke="{GRID}""#);
    for bottom in bottoms.chain(std::iter::once(layout.lanes_bottom)) {
        svg.put(&line(MARGIN, bottom, geo.edge(), bottom, &stroke));
    }
    let top = layout.lanes_top;
    svg.put(&line(MARGIN, top, geo.edge(), top, r##"stroke="#cbd5e1""##));
}

/// A dashed line down from each violation's flag (under the lanes' drawings, over the grid).
pub(super) fn violation_lines(layout: &Layout<'_>, svg: &mut Svg) {
    let dashed = format!(r#"stroke="{HANG}" stroke-width="2" stroke-dasharray="6 4""#);
    for label in &layout.flags {
        let x = layout.geo.x(label.index);
        let flag_y = layout.flags_top + label.row as f64 * 17.0 + 12.0;
        svg.put(&line(x, flag_y - 10.0, x, layout.lanes_bottom, &dashed));
        svg.put(&text(
            label.left,
            flag_y,
            r#"class="flag""#,
            &esc(&label.text),
        ));
    }
}

/// Each lane's name, kind, users and role.
pub(super) fn captions(layout: &Layout<'_>, svg: &mut Svg) {
    for row in &layout.rows {
        let lane = row.lane;
        let (color, kind) = match lane.kind {
            LaneKind::Thread => (THREAD, "application thread"),
            LaneKind::Poller => (POLLER, "MAPI poller"),
        };
        let fill = format!(r#"fill="{color}""#);
        svg.put(&rect(MARGIN, row.top, 4.0, row.height, &fill));
        let name = format!(
            r#"{}<tspan class="kind" dx="8">{kind}</tspan>"#,
            esc(&lane.name)
        );
        svg.put(&text(
            MARGIN + 14.0,
            row.bar + 5.0,
            r#"class="lane""#,
            &name,
        ));
        for (index, (caption, mono)) in row.captions.iter().enumerate() {
            let class = if *mono {
                r#"class="sid""#
            } else {
                r#"class="note""#
            };
            let y = row.bar + 22.0 + index as f64 * 15.0;
            svg.put(&text(MARGIN + 14.0, y, class, &esc(caption)));
        }
    }
}

/// The shared-memory lane: one bar per connection list, from built to removed, with its key.
pub(super) fn lists(model: &Model<'_>, layout: &Layout<'_>, svg: &mut Svg) {
    let geo = &layout.geo;
    let (top, left) = (layout.shm_top, MARGIN + 14.0);
    svg.put(&rect(
        MARGIN,
        top,
        4.0,
        layout.shm_h,
        &format!(r#"fill="{LIST}""#),
    ));
    svg.put(&text(left, top + 22.0, r#"class="lane""#, "Shared memory"));
    let keyed = phrase::keyed_by(model.lists.iter().map(|l| (l.key.as_ref(), &*l.user)));
    let note = esc(&format!(
        "connection lists, {}",
        keyed.trim_start_matches("one per user context, ")
    ));
    svg.put(&text(left, top + 37.0, r#"class="note""#, &note));
    for (index, list) in model.lists.iter().enumerate() {
        let bar_y = layout.list_bar(index);
        let x1 = geo.x(list.created);
        let (x2, open) = match list.removed {
            Some(log_index) => (geo.x(log_index), false),
            None => (geo.plot_right, true),
        };
        let key = list
            .key
            .as_ref()
            .map(|k| format!(", key {}", phrase::key(k)));
        let removed = match list.removed {
            Some(log_index) => format!("removed at step {log_index}"),
            None => "still in the table at the end".into(),
        };
        svg.put(&tip(&format!(
            "connection list {} for {}{}: built by {} at step {}, {removed}",
            list.name,
            list.user,
            key.unwrap_or_default(),
            list.creator,
            list.created,
        )));
        let name = format!(
            r#"{}<tspan class="sid" dx="8">{}</tspan>"#,
            esc(&list.name),
            esc(&list.user)
        );
        svg.put(&text(left, bar_y + 12.0, r#"class="listname""#, &name));
        let fill = if open { "url(#mh-list-fade)" } else { LIST };
        let width = (x2 - x1 + 12.0).max(12.0);
        let attrs = format!(r#"rx="4" fill="{fill}""#);
        svg.put(&rect(x1 - 6.0, bar_y, width, 16.0, &attrs));
        if let Some(label) = list.key.as_ref().map(|k| phrase::key_label(k, &list.user)) {
            svg.put(&text(
                x2 + 14.0,
                bar_y + 12.0,
                r#"class="listkey""#,
                &esc(&label),
            ));
        }
        svg.put("</g>");
    }
}

/// Connections joining and leaving, as `+` and `−` ticks on the list bars.
pub(super) fn connection_ticks(model: &Model<'_>, layout: &Layout<'_>, svg: &mut Svg) {
    for (i, line) in model.trace().iter().enumerate() {
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
        let bar_y = layout.list_bar(index);
        let x = layout.geo.x(line.index);
        svg.add(&tip(&format!(
            "step {}: {} ({}) {}; lists after it: {}",
            line.index,
            line.actor,
            line.user,
            line.event,
            model.lists_text(i)
        )));
        let ring = format!(r##"fill="#ffffff" stroke="{LIST}" stroke-width="1.5""##);
        svg.add(&circle(x, bar_y + 8.0, 6.0, &ring));
        svg.add(&text(x, bar_y + 11.5, r#"class="pm""#, sign));
        svg.put("</g>");
    }
}

/// Lifelines: threads (blue while impersonating, grey as the process user), pollers (from
/// start to end, fading out when they never ended). Returns which thread colours were drawn:
/// (impersonating, as the process user).
pub(super) fn lifelines(model: &Model<'_>, layout: &Layout<'_>, svg: &mut Svg) -> (bool, bool) {
    let mut segments = (false, false);
    for row in &layout.rows {
        match row.lane.kind {
            LaneKind::Thread => thread_lifeline(model, layout, row, svg, &mut segments),
            LaneKind::Poller => poller_lifeline(model, layout, row, svg),
        }
    }
    segments
}

fn thread_lifeline(
    model: &Model<'_>,
    layout: &Layout<'_>,
    row: &Row<'_>,
    svg: &mut Svg,
    segments: &mut (bool, bool),
) {
    let trace = model.trace();
    let lines: Vec<&TraceLine> = row.lane.lines.iter().map(|&i| &trace[i]).collect();
    for pair in lines.windows(2) {
        let color = if pair[0].user == model.process_user {
            segments.1 = true;
            PROCESS
        } else {
            segments.0 = true;
            THREAD
        };
        let (x1, x2) = (layout.geo.x(pair[0].index), layout.geo.x(pair[1].index));
        let attrs = format!(r#"stroke="{color}" stroke-width="4" stroke-linecap="round""#);
        svg.put(&line(x1, row.bar, x2, row.bar, &attrs));
    }
}

fn poller_lifeline(model: &Model<'_>, layout: &Layout<'_>, row: &Row<'_>, svg: &mut Svg) {
    let geo = &layout.geo;
    let Some(info) = model.poller(&row.lane.name) else {
        return;
    };
    let start = info.started.or(info.created);
    if let (Some(created), Some(start)) = (info.created, start) {
        if start > created {
            let attrs = format!(r#"stroke="{POLLER}" stroke-width="2" stroke-dasharray="4 3""#);
            svg.put(&line(
                geo.x(created),
                row.bar,
                geo.x(start),
                row.bar,
                &attrs,
            ));
        }
    }
    let Some(start) = start else { return };
    let end_step = match (&info.end, info.last) {
        (Some((log_index, _)), Some(last)) => Some((*log_index).max(last)),
        (Some((log_index, _)), None) => Some(*log_index),
        (None, _) => None,
    };
    let (x2, fill) = match end_step {
        Some(log_index) => (geo.x(log_index), POLLER),
        None => (geo.plot_right, "url(#mh-poller-fade)"),
    };
    let width = (x2 - geo.x(start) + 10.0).max(10.0);
    let attrs = format!(r#"rx="5" fill="{fill}" opacity="0.85""#);
    svg.put(&rect(
        geo.x(start) - 5.0,
        row.bar - 5.0,
        width,
        10.0,
        &attrs,
    ));
}

/// Waits: a bar from release-wait to release-done; the hung one runs off the right edge.
pub(super) fn waits(model: &Model<'_>, layout: &Layout<'_>, svg: &mut Svg) {
    for wait in &model.waits {
        let Some(bar) = layout.bar_of(&wait.thread) else {
            continue;
        };
        match wait.end {
            Some(end) => ended_wait(layout, wait, end, bar, svg),
            None => open_wait(model, layout, wait, bar, svg),
        }
    }
}

fn ended_wait(layout: &Layout<'_>, wait: &Wait, end: u32, bar: f64, svg: &mut Svg) {
    let x1 = layout.geo.x(wait.start);
    let poller = wait.poller.as_deref().unwrap_or("its poller");
    let color = if wait.timed_out { NO_WORK } else { WAIT };
    let timed_out = if wait.timed_out {
        ": the wait timed out"
    } else {
        ""
    };
    svg.add(&tip(&format!(
        "{} waits ({}, steps {}–{end}) for {poller}'s signal for {}{timed_out}",
        wait.thread,
        phrase::wait(wait.timed),
        wait.start,
        wait.store,
    )));
    let width = (layout.geo.x(end) - x1).max(4.0);
    svg.add(&rect(
        x1,
        bar - 6.0,
        width,
        12.0,
        &format!(r#"rx="3" fill="{color}""#),
    ));
    svg.put("</g>");
}

fn open_wait(model: &Model<'_>, layout: &Layout<'_>, wait: &Wait, bar: f64, svg: &mut Svg) {
    let x1 = layout.geo.x(wait.start);
    let poller = wait.poller.as_deref().unwrap_or("its poller");
    let hung = model.is_hang(wait);
    let (color, fade) = if hung {
        (HANG, "url(#mh-hang-fade)")
    } else {
        (WAIT, "url(#mh-wait-fade)")
    };
    let x2 = layout.geo.edge() - 14.0;
    svg.put(&tip(&model.chain(wait)));
    let fill = format!(r#"rx="3" fill="{fade}""#);
    svg.put(&rect(x1, bar - 8.0, x2 - x1, 16.0, &fill));
    svg.putf(format_args!(
        r#"<path d="M{x2:.1},{:.1} L{:.1},{bar:.1} L{x2:.1},{:.1} Z" fill="{color}" opacity="0.55"/>"#,
        bar - 11.0,
        x2 + 13.0,
        bar + 11.0
    ));
    let words = if hung {
        format!("waits forever for {poller}")
    } else {
        format!("still waiting for {poller}")
    };
    let label = text(x1 + 10.0, bar + 4.0, r#"class="inbar""#, &esc(&words));
    svg.put(&format!("{label}</g>"));
}

/// Connectors: CreateThread (thread → poller), signals (poller → waiting thread), and for a
/// hang, the quitting poller tied to the thread left waiting.
pub(super) fn connectors(model: &Model<'_>, layout: &Layout<'_>, svg: &mut Svg) {
    let geo = &layout.geo;
    let toward = |from: f64, to: f64, gap: f64| if to > from { to - gap } else { to + gap };
    for info in &model.pollers {
        let (Some(creator), Some(created)) = (&info.creator, info.created) else {
            continue;
        };
        let (Some(from), Some(to)) = (layout.bar_of(creator), layout.bar_of(&info.name)) else {
            continue;
        };
        let x = geo.x(created);
        let attrs = format!(
            r#"stroke="{POLLER}" stroke-width="1.5" stroke-dasharray="4 3" marker-end="url(#mh-arrow-poller)""#
        );
        svg.put(&line(x, from, x, toward(from, to, 9.0), &attrs));
    }
    for signal in &model.signals {
        let (Some(from), Some(to)) = (
            layout.bar_of(&signal.poller),
            signal.thread.as_deref().and_then(|t| layout.bar_of(t)),
        ) else {
            continue;
        };
        let x = geo.x(signal.index);
        let attrs = if signal.worked {
            format!(r#"stroke="{SIGNAL}" stroke-width="2" marker-end="url(#mh-arrow-signal)""#)
        } else {
            format!(
                r#"stroke="{NO_WORK}" stroke-width="2" stroke-dasharray="5 3" marker-end="url(#mh-arrow-nowork)""#
            )
        };
        svg.put(&line(x, from, x, toward(from, to, 9.0), &attrs));
    }
    for wait in model.open_waits().filter(|w| model.is_hang(w)) {
        let Some(poller) = wait.poller.as_deref() else {
            continue;
        };
        let Some((quit, _)) = model.poller(poller).and_then(|p| p.end.as_ref()) else {
            continue;
        };
        let (Some(from), Some(to)) = (layout.bar_of(poller), layout.bar_of(&wait.thread)) else {
            continue;
        };
        let (x1, x2) = (geo.x(*quit), geo.x((*quit).max(wait.start)));
        let to_y = toward(from, to, 8.0);
        let from_y = if to_y > from { from + 8.0 } else { from - 8.0 };
        let attrs = format!(r#"stroke="{HANG}" stroke-width="1.5" stroke-dasharray="2 3""#);
        svg.put(&line(x1, from_y, x2, to_y, &attrs));
    }
}

/// Each trace line's marker on its lane (a ✕ where a poller quits, a bar where a thread ends,
/// else a dot in its kind's colour) with its tooltip, then the lane's labels.
pub(super) fn markers(model: &Model<'_>, layout: &Layout<'_>, svg: &mut Svg) {
    let trace = model.trace();
    for row in &layout.rows {
        for &i in &row.lane.lines {
            let line = &trace[i];
            let x = layout.geo.x(line.index);
            svg.add(&tip(&format!(
                "step {} · {} ({}): {}{}; lists: {}",
                line.index,
                line.actor,
                line.user,
                line.event,
                if line.implicit { " (implicit)" } else { "" },
                model.lists_text(i)
            )));
            marker(svg, line.kind, x, row.bar);
            svg.put("</g>");
        }
        for label in &row.labels {
            // A backdrop in the lane's colour: lines that cross the label pass behind it.
            let baseline = row.bar + 24.0 + label.row as f64 * ROW_H;
            let fill = format!(r#"fill="{}""#, row.fill);
            svg.add(&rect(
                label.left - 2.0,
                baseline - 10.0,
                label.width + 2.0,
                13.0,
                &fill,
            ));
            let class = format!(r#"class="{}""#, label.class);
            svg.put(&text(label.left, baseline, &class, &esc(&label.text)));
        }
    }
}

fn marker(svg: &mut Svg, kind: EventKind, x: f64, bar: f64) {
    match kind {
        EventKind::PollerQuit => {
            let s = 7.0;
            for (stroke, w) in [("#ffffff", 7.0), (HANG, 3.5)] {
                svg.add(&format!(
                    r#"<path d="M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}" stroke="{stroke}" stroke-width="{w}" stroke-linecap="round"/>"#,
                    x - s,
                    bar - s,
                    x + s,
                    bar + s,
                    x - s,
                    bar + s,
                    x + s,
                    bar - s
                ));
            }
        }
        EventKind::ThreadDone => {
            svg.add(&rect(
                x - 2.0,
                bar - 9.0,
                4.0,
                18.0,
                &format!(r#"rx="1" fill="{SLATE}""#),
            ));
        }
        kind => {
            let fill = marker_color(kind);
            let attrs = format!(r##"fill="{fill}" stroke="#ffffff" stroke-width="1.5""##);
            svg.add(&circle(x, bar, 5.5, &attrs));
        }
    }
}
