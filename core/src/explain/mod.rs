//! Reports people can read and look at: a [`Report`] rendered as text, Mermaid, SVG or HTML.
//!
//! Every format is derived from the report alone (its trace, stacks and violations), so a report
//! written by one run, or by another machine, renders the same way anywhere:
//!
//! - [`ExplainFormat::Text`]: the numbered timeline (step, thread, user, what happened, and the
//!   connection lists in shared memory at that moment), then each thread's "stack" at the end and
//!   the wait-for chain ("T2 waits for the signal of P2; P2 quit at step 14 because ...").
//! - [`ExplainFormat::Mermaid`]: a `sequenceDiagram` (one participant per thread, per poller, and
//!   one for the shared table) that renders in GitHub markdown.
//! - [`ExplainFormat::Svg`]: a self-contained swimlane timeline (no scripts, no external assets).
//! - [`ExplainFormat::Html`]: a self-contained page with the SVG inline, the violations, the
//!   stacks and the timeline table.
//!
//! ```
//! use mapihang_core::explain::{render, ExplainFormat};
//! # fn show(report: &mapihang_core::report::Report) {
//! let format: ExplainFormat = "svg".parse().unwrap();
//! let svg = render(report, format);
//! # let _ = svg;
//! # }
//! ```

mod html;
mod mermaid;
mod model;
mod svg;
mod text;

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::report::Report;

/// How to render a report.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExplainFormat {
    /// Plain text: timeline, stacks at the end, wait-for chain.
    Text,
    /// A Mermaid `sequenceDiagram`.
    Mermaid,
    /// A self-contained SVG swimlane timeline.
    Svg,
    /// A self-contained HTML page (the SVG inline, violations, stacks, timeline table).
    Html,
}

impl ExplainFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [ExplainFormat; 4] = [
        ExplainFormat::Text,
        ExplainFormat::Mermaid,
        ExplainFormat::Svg,
        ExplainFormat::Html,
    ];

    /// The format's name (`text`, `mermaid`, `svg`, `html`).
    pub fn name(self) -> &'static str {
        match self {
            ExplainFormat::Text => "text",
            ExplainFormat::Mermaid => "mermaid",
            ExplainFormat::Svg => "svg",
            ExplainFormat::Html => "html",
        }
    }

    /// The usual file extension of the format (`txt`, `mmd`, `svg`, `html`).
    pub fn extension(self) -> &'static str {
        match self {
            ExplainFormat::Text => "txt",
            ExplainFormat::Mermaid => "mmd",
            ExplainFormat::Svg => "svg",
            ExplainFormat::Html => "html",
        }
    }
}

impl fmt::Display for ExplainFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of `text`, `mermaid`, `svg`, `html`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown explain format {0:?}: expected one of text, mermaid, svg, html")]
pub struct UnknownFormat(pub String);

impl FromStr for ExplainFormat {
    type Err = UnknownFormat;

    fn from_str(text: &str) -> Result<ExplainFormat, UnknownFormat> {
        ExplainFormat::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| UnknownFormat(text.to_string()))
    }
}

impl Report {
    /// The report as text: the same text as `explain --format text` (verdict, counts,
    /// violations, connection lists, timeline, stacks, wait-for chain, the replay line).
    /// (Defined here, beside the renderers, so that `report` does not import `explain`.)
    pub fn to_text(&self) -> String {
        render(self, ExplainFormat::Text)
    }
}

/// Render `report` in `format`. Deterministic: the same report gives the same bytes.
pub fn render(report: &Report, format: ExplainFormat) -> String {
    let model = model::Model::new(report);
    match format {
        ExplainFormat::Text => text::render(&model),
        ExplainFormat::Mermaid => mermaid::render(&model),
        ExplainFormat::Svg => svg::render(&model, true),
        ExplainFormat::Html => html::render(&model),
    }
}
