//! `mapihang matrix` in words: the text blocks and the README's Markdown table.

use std::fmt::Write as _;

use crate::matrix::{Cell, Matrix};
use crate::monitor::Invariant;
use crate::variant::Expectation;

/// Invariant names, or `none`.
fn names(invariants: &[Invariant]) -> String {
    if invariants.is_empty() {
        return "none".into();
    }
    crate::monitor::names(invariants)
}

/// The declaration in one short phrase: `must: a, b; may: c`, or `clean`.
fn declared(expected: &Expectation) -> String {
    match (expected.must.is_empty(), expected.may.is_empty()) {
        (true, true) => "clean".into(),
        (false, true) => format!("must: {}", names(&expected.must)),
        (true, false) => format!("may: {}", names(&expected.may)),
        (false, false) => format!(
            "must: {}; may: {}",
            names(&expected.must),
            names(&expected.may)
        ),
    }
}

/// Why a cell disagrees, with the hunt that shows it.
fn diagnosis(matrix: &Matrix, cell: &Cell, prog: &str) -> String {
    let mut parts = Vec::new();
    if !cell.missing.is_empty() {
        parts.push(format!(
            "declared but not seen: {} (a larger --cases or --schedules may find it)",
            names(&cell.missing)
        ));
    }
    for invariant in &cell.unexpected {
        let seen = &cell.seen[invariant];
        parts.push(format!(
            "not declared: {invariant}, first in case {}: {} hunt --variant {} --family {} --seed {} --schedules {} --cases {} --invariant {invariant}{}",
            seen.first_case,
            prog,
            cell.variant,
            cell.family,
            matrix.config.seed,
            matrix.config.schedules,
            seen.first_case + 1,
            if matrix.config.steps_max == crate::engine::STEPS_MAX_DEFAULT {
                String::new()
            } else {
                format!(" --steps-max {}", matrix.config.steps_max)
            }
        ));
    }
    parts.join("\n      ")
}

/// The matrix in words: one block per variant, one line per family, a diagnosis under each
/// disagreeing cell (with the hunt that shows it, run as `prog`), then the totals.
pub fn text(matrix: &Matrix, prog: &str) -> String {
    let mut out = String::new();
    let config = &matrix.config;
    let _ = writeln!(
        out,
        "fix-guard matrix: {} scenarios per cell, each by DPOR when it completes within {} executions, else {} random schedules; seed {}\n",
        config.cases, config.dpor_budget, config.schedules, config.seed
    );
    let width = matrix
        .cells
        .iter()
        .map(|c| names(&c.observed).len())
        .max()
        .unwrap_or(0);
    for variant in matrix.variants() {
        let _ = writeln!(out, "{variant}");
        for cell in matrix.cells.iter().filter(|c| c.variant == variant) {
            let _ = writeln!(
                out,
                "  {:<16} {:<8} observed: {:<width$}  declared: {}  (complete: {}/{})",
                cell.family.name(),
                if cell.ok { "ok" } else { "MISMATCH" },
                names(&cell.observed),
                declared(&cell.expected),
                cell.complete_cases,
                cell.cases,
            );
            if !cell.ok {
                let _ = writeln!(out, "      {}", diagnosis(matrix, cell, prog));
            }
        }
    }
    let mismatches = matrix.mismatches().count();
    let _ = writeln!(
        out,
        "\n{} cells, {} executions, {} ms: {mismatches} mismatch{}",
        matrix.cells.len(),
        matrix.executions,
        matrix.elapsed_ms,
        if mismatches == 1 { "" } else { "es" }
    );
    let cut_off = matrix.cut_off();
    if cut_off > 0 {
        let _ = writeln!(
            out,
            "not judged: {cut_off} executions cut off by the step bound ({}) with nothing \
             certain seen; rerun with a larger --steps-max",
            matrix.config.steps_max
        );
    }
    out
}

/// One table cell: the observed invariants, marked against the declaration.
fn markdown_cell(cell: &Cell) -> String {
    let observed = if cell.observed.is_empty() {
        "none".to_string()
    } else {
        cell.observed
            .iter()
            .map(|i| {
                if cell.expected.must.contains(i) {
                    format!("**{i}**")
                } else if cell.expected.may.contains(i) {
                    i.to_string()
                } else {
                    format!("{i} (not declared)")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = if cell.ok {
        observed
    } else {
        format!("❌ {observed}")
    };
    if !cell.missing.is_empty() {
        let _ = write!(text, " (missing: {})", names(&cell.missing));
    }
    text
}

/// A Markdown table for the README: stable for a seed (no timings), with a legend and the
/// command that regenerates it.
pub fn markdown(matrix: &Matrix) -> String {
    let config = &matrix.config;
    let mut out = String::new();
    out.push_str("| variant |");
    for family in &config.families {
        let _ = write!(out, " `{family}` |");
    }
    out.push_str("\n| --- |");
    for _ in &config.families {
        out.push_str(" --- |");
    }
    out.push('\n');
    for variant in matrix.variants() {
        let _ = write!(out, "| `{variant}` |");
        for cell in matrix.cells.iter().filter(|c| c.variant == variant) {
            let _ = write!(out, " {} |", markdown_cell(cell));
        }
        out.push('\n');
    }
    let mismatches = matrix.mismatches().count();
    let _ = writeln!(
        out,
        "\nInvariants observed violated per cell ({} generated scenarios x {} random schedules, seed {}); \
         **bold**: declared as must-violate, plain: declared as may-violate, none: every invariant kept. \
         {mismatches} cell(s) disagree with the declarations. Regenerate with `scripts/readme-matrix.sh` \
         (`mapihang matrix --format markdown --cases {} --schedules {} --seed {}`).",
        config.cases, config.schedules, config.seed, config.cases, config.schedules, config.seed
    );
    out
}
