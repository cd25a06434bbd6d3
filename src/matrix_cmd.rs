//! `mapihang matrix`: every variant x every family, the invariants observed violated next to the
//! declared expectation; exit 1 when any cell disagrees.

use std::fmt::Write as _;

use clap::{Args, ValueEnum};

use mapihang_core::family::Family;
use mapihang_core::matrix::{self, Cell, Matrix, MatrixConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::schema;
use mapihang_core::variant::Expectation;

use crate::commands::{CliError, Variants};
use crate::io::{out, outln, program};

/// How the matrix is printed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MatrixFormat {
    /// One block per variant, one line per family.
    Text,
    /// One JSON object (schema `mapihang.matrix/1`).
    Json,
    /// A Markdown table (variants x families), for the README.
    Markdown,
}

#[derive(Args, Debug)]
pub(crate) struct MatrixArgs {
    /// Generated scenarios per cell.
    #[arg(long, default_value_t = matrix::CASES_DEFAULT)]
    pub cases: usize,
    /// Random schedules per scenario.
    #[arg(long, default_value_t = matrix::SCHEDULES_DEFAULT)]
    pub schedules: usize,
    /// The seed (scenarios and schedules are a pure function of it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// OS threads to spread the cases over (default: the available cores; the result does not
    /// depend on it).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Only these variants (repeat or comma-separate; default: all).
    #[arg(long, value_delimiter = ',')]
    pub variant: Vec<String>,
    /// Only these families (repeat or comma-separate; default: all).
    #[arg(long, value_delimiter = ',', value_parser = crate::hunting::parse_family)]
    pub family: Vec<Family>,
    /// The step bound of one execution.
    #[arg(long, default_value_t = mapihang_core::engine::STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
    /// Executions of the complete search (DPOR) each case gets first: a case it finishes is
    /// judged on every interleaving, the others on --schedules random schedules (0: random only).
    #[arg(long, default_value_t = matrix::DPOR_BUDGET_DEFAULT)]
    pub dpor_budget: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MatrixFormat::Text)]
    pub format: MatrixFormat,
}

pub(crate) fn matrix(variants: &Variants, args: &MatrixArgs) -> Result<u8, CliError> {
    if args.cases == 0 || args.schedules == 0 || args.jobs == Some(0) {
        return Err(CliError::Usage(
            "--cases, --schedules and --jobs must be at least 1".into(),
        ));
    }
    crate::commands::in_range("cases", args.cases, 1_000_000)?;
    crate::commands::in_range("schedules", args.schedules, 1_000_000)?;
    crate::commands::in_range("steps-max", args.steps_max, crate::commands::STEPS_MAX_MAX)?;
    let selected = if args.variant.is_empty() {
        variants.all().to_vec()
    } else {
        args.variant
            .iter()
            .map(|name| variants.get(name))
            .collect::<Result<Vec<_>, _>>()?
    };
    let config = MatrixConfig {
        cases: args.cases,
        schedules: args.schedules,
        seed: args.seed,
        jobs: args.jobs.unwrap_or_else(default_jobs),
        steps_max: args.steps_max,
        dpor_budget: args.dpor_budget,
        families: if args.family.is_empty() {
            Family::ALL.to_vec()
        } else {
            args.family.clone()
        },
    };
    let total = selected.len() * config.families.len() * config.cases;
    let bar = crate::commands::progress_bar(
        args.format == MatrixFormat::Text,
        total,
        "{spinner} matrix {pos}/{len} cases [{elapsed}]",
    );
    let result = matrix::matrix(&selected, &config, &|p| bar.set_position(p.done as u64));
    bar.finish_and_clear();
    let mismatches = result.mismatches().count();
    match args.format {
        MatrixFormat::Text => out(&text(&result))?,
        MatrixFormat::Markdown => out(&markdown(&result))?,
        MatrixFormat::Json => {
            outln(&schema::to_json(&schema::MatrixJson::of(&result)))?;
        }
    }
    // A disagreement is certain; cut-off executions were not judged, so agreement is not.
    Ok(if mismatches > 0 {
        1
    } else if result.cut_off() > 0 {
        3
    } else {
        0
    })
}

pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn names(invariants: &[Invariant]) -> String {
    if invariants.is_empty() {
        return "none".into();
    }
    mapihang_core::monitor::names(invariants)
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
fn diagnosis(matrix: &Matrix, cell: &Cell) -> String {
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
            program(),
            cell.variant,
            cell.family,
            matrix.config.seed,
            matrix.config.schedules,
            seen.first_case + 1,
            if matrix.config.steps_max == mapihang_core::engine::STEPS_MAX_DEFAULT {
                String::new()
            } else {
                format!(" --steps-max {}", matrix.config.steps_max)
            }
        ));
    }
    parts.join("\n      ")
}

fn text(matrix: &Matrix) -> String {
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
                let _ = writeln!(out, "      {}", diagnosis(matrix, cell));
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
fn markdown(matrix: &Matrix) -> String {
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
