//! A small SVG writer: escaping, text widths, and one helper per element the picture uses.
//! Coordinates are written with one decimal; attributes beyond the geometry are passed as they
//! are (`fill="#fff" rx="3"`).

use std::fmt::Write as _;

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

/// Estimated width of `text` in the proportional font at `size` px (generous, so labels that
/// are placed apart never touch).
pub(super) fn text_w(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.57
}

/// `<rect>` at (`x`, `y`), `w` by `h`, with `attrs`.
pub(super) fn rect(x: f64, y: f64, w: f64, h: f64, attrs: &str) -> String {
    format!(r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" {attrs}/>"#)
}

/// `<line>` from (`x1`, `y1`) to (`x2`, `y2`), with `attrs`.
pub(super) fn line(x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) -> String {
    format!(r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {attrs}/>"#)
}

/// `<text>` at (`x`, `y`) with `attrs` (a class, an anchor) around `inner`, which is markup:
/// escape plain text with [`esc`] first.
pub(super) fn text(x: f64, y: f64, attrs: &str, inner: &str) -> String {
    format!(r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{inner}</text>"#)
}

/// A `<g>` with a tooltip: `<g><title>..</title>` (close it with `</g>`).
pub(super) fn tip(tooltip: &str) -> String {
    format!("<g><title>{}</title>", esc(tooltip))
}

/// The picture's body, element by element.
#[derive(Default)]
pub(super) struct Svg {
    pub body: String,
}

impl Svg {
    /// Append `markup` and end the line.
    pub(super) fn put(&mut self, markup: &str) {
        self.body.push_str(markup);
        self.body.push('\n');
    }

    /// Append `markup` on the current line.
    pub(super) fn add(&mut self, markup: &str) {
        self.body.push_str(markup);
    }

    /// Append formatted markup and end the line.
    pub(super) fn putf(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.body.write_fmt(args);
        self.body.push('\n');
    }
}

/// `<circle>` at (`cx`, `cy`) of radius `r`, with `attrs`.
pub(super) fn circle(cx: f64, cy: f64, r: f64, attrs: &str) -> String {
    format!(r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="{r:.1}" {attrs}/>"#)
}
