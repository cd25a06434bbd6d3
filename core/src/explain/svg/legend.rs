//! The legend (only what the picture shows) and the `<svg>` element around the body.

use super::style::{DEFS, HANG, LIST, NO_WORK, POLLER, PROCESS, SIGNAL, STYLE, THREAD, WAIT};
use super::writer::{esc, text_w, Svg};
use super::{Geo, Present, MARGIN};
use crate::explain::model::Model;

/// The legend's entries: (shown, glyph, words).
fn items(present: &Present) -> [(bool, String, &'static str); 11] {
    let bar = |color: &str| {
        format!(
            r#"<line x1="0" y1="0" x2="22" y2="0" stroke="{color}" stroke-width="4" stroke-linecap="round"/>"#
        )
    };
    let block = |color: &str| {
        format!(r#"<rect x="0" y="-6" width="22" height="12" rx="3" fill="{color}"/>"#)
    };
    [
        (present.impersonating, bar(THREAD), "thread, impersonating"),
        (present.process, bar(PROCESS), "thread, as the process user"),
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
            block(WAIT),
            "release_store waiting for a signal",
        ),
        (present.timed_out, block(NO_WORK), "wait that timed out"),
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
            block(LIST),
            "connection list in shared memory",
        ),
        (
            present.violations,
            format!(
                r#"<line x1="11" y1="-9" x2="11" y2="9" stroke="{HANG}" stroke-width="2" stroke-dasharray="6 4"/>"#
            ),
            "violation found",
        ),
    ]
}

/// The legend from `y` down: glyph and words, flowing left to right. Returns the y below it.
fn legend(svg: &mut Svg, geo: &Geo, mut y: f64, present: &Present) -> f64 {
    let mut x = MARGIN;
    y += 6.0;
    svg.put(r#"<g class="legend">"#);
    for (_, glyph, words) in items(present).iter().filter(|(shown, _, _)| *shown) {
        let w = 30.0 + text_w(words, 11.5) + 22.0;
        if x + w > geo.edge() {
            x = MARGIN;
            y += 24.0;
        }
        svg.putf(format_args!(
            r#"<g transform="translate({x:.1},{y:.1})">{glyph}<text x="30" y="4" class="legend">{}</text></g>"#,
            esc(words)
        ));
        x += w;
    }
    svg.put("</g>");
    y + 20.0
}

/// The legend below `y`, then the `<svg>` element (title, description, styles, gradients, a
/// white background) around the body.
pub(super) fn finish(
    model: &Model<'_>,
    mut svg: Svg,
    geo: &Geo,
    mut y: f64,
    standalone: bool,
    present: &Present,
) -> String {
    if !model.trace().is_empty() {
        y = legend(&mut svg, geo, y, present);
    }
    let height = (y + 8.0).round();
    let width = geo.width;
    let mut out = Svg::default();
    if standalone {
        out.put(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    }
    let title = format!(
        "mapihang: variant {}, {}",
        model.report.variant,
        model.verdict_line()
    );
    let chains = model.chains();
    let desc = if chains.is_empty() {
        model.run_line()
    } else {
        chains.join(". ")
    };
    out.putf(format_args!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="mh-timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="mh-title mh-desc">"#
    ));
    out.putf(format_args!(
        r#"<title id="mh-title">{}</title>"#,
        esc(&title)
    ));
    out.putf(format_args!(r#"<desc id="mh-desc">{}</desc>"#, esc(&desc)));
    out.put(STYLE);
    out.put(DEFS);
    out.putf(format_args!(
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    ));
    out.add(&svg.body);
    out.add("</svg>\n");
    out.body
}
