//! `mapihang matrix`: every variant x every family, the invariants observed violated next to the
//! declared expectation; exit 1 when any cell disagrees.

use clap::{Args, ValueEnum};

use mapihang_core::command;
use mapihang_core::family::Family;
use mapihang_core::matrix::{self, MatrixConfig};
use mapihang_core::os::{out, outln, program};

use crate::common::{default_jobs, in_range, parse_family, CliError, Variants, STEPS_MAX_MAX};
use crate::io::progress_bar;

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
    #[arg(long, value_delimiter = ',', value_parser = parse_family)]
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
    in_range("cases", args.cases, 1_000_000)?;
    in_range("schedules", args.schedules, 1_000_000)?;
    in_range("steps-max", args.steps_max, STEPS_MAX_MAX)?;
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
    let bar = progress_bar(
        args.format == MatrixFormat::Text,
        0,
        "{spinner} matrix {pos}/{len} cases [{elapsed}]",
    );
    let on_progress = |p: matrix::Progress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    };
    let result = command::matrix(variants, &args.variant, &config, &on_progress, &program());
    bar.finish_and_clear();
    let result = result?;
    match args.format {
        MatrixFormat::Text => out(&result.printed.text)?,
        MatrixFormat::Markdown => out(&result.markdown)?,
        MatrixFormat::Json => outln(&result.printed.json)?,
    }
    Ok(result.printed.exit_code)
}
