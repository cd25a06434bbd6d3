//! What every command shares: the error that becomes one line and exit code 2, the variants,
//! the output options and the range checks. A leaf: it imports no other module of the crate, so
//! the commands, `io` and `cli` all import it and none of them imports another back.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub(crate) use mapihang_core::engine::{SCHEDULES_MAX, STEPS_MAX_MAX};
use mapihang_core::explain::{ExplainFormat, UnknownFormat};
use mapihang_core::family::Family;
use mapihang_core::monitor::Invariant;
use mapihang_core::os::ReportFiles;

/// Bad usage or bad input: printed as one line, exit code 2 (core's, with the usage errors in
/// the CLI's words).
pub(crate) use mapihang_core::command::Error as CliError;
/// The built-in variants plus the caller's.
pub(crate) use mapihang_core::variant::Variants;

/// How output is printed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// JSON, as docs/report-schema.md documents it (each object's `schema` field names its
    /// schema: `mapihang.report/1` for reports).
    Json,
}

/// How to print the result, and where to write its report.
#[derive(Args, Debug, Clone)]
pub(crate) struct ReportArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the JSON report to this file (what `mapihang replay` reads).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// [`ReportArgs`] and a picture of the report.
#[derive(Args, Debug, Clone)]
pub(crate) struct OutputArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// Also write a picture of the report next to it (--out's name with the format's extension):
    /// text, mermaid, svg or html.
    #[arg(long, value_parser = parse_explain, requires = "out")]
    pub explain: Option<ExplainFormat>,
}

impl OutputArgs {
    /// The report's files: `--out` and the picture beside it.
    pub(crate) fn files(&self) -> ReportFiles {
        ReportFiles {
            out: self.report.out.clone(),
            explain: self.explain,
        }
    }
}

/// Parse an explain format for clap.
pub(crate) fn parse_explain(text: &str) -> Result<ExplainFormat, String> {
    text.parse().map_err(|e: UnknownFormat| e.to_string())
}

/// Parse a family name for clap.
pub(crate) fn parse_family(text: &str) -> Result<Family, String> {
    text.parse::<Family>().map_err(|e| e.to_string())
}

/// Parse an invariant name for clap.
pub(crate) fn parse_invariant(text: &str) -> Result<Invariant, String> {
    text.parse::<Invariant>()
}

/// `--NAME` must lie in `1..=max`.
pub(crate) fn in_range(name: &str, value: usize, max: usize) -> Result<(), CliError> {
    if value == 0 || value > max {
        return Err(CliError::Usage(format!(
            "--{name} must be from 1 to {max}, not {value}"
        )));
    }
    Ok(())
}

/// OS threads when `--jobs` is not given: the available cores.
pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
