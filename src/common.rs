//! What every command shares: the error that becomes one line and exit code 2, the variants,
//! the output options and the range checks. A leaf: it imports no other module of the crate, so
//! the commands, `io` and `cli` all import it and none of them imports another back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use mapihang_core::engine::ScheduleError;
use mapihang_core::explain::{ExplainFormat, UnknownFormat};
use mapihang_core::family::Family;
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::ScenarioError;
use mapihang_core::text::shell;
use mapihang_core::variant::{self, UnknownVariant, Variant};
use mapihang_core::verdict::Verdict;

/// The cap on input files, as people read it (`io::READ_MAX` in bytes).
pub(crate) const READ_MAX_TEXT: &str = "16 MiB";

/// Bad usage or bad input: printed as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: larger than {READ_MAX_TEXT}, the most mapihang reads")]
    TooLarge { path: PathBuf },
    #[error("{path}: not UTF-8 text (bad byte at offset {offset})")]
    NotText { path: PathBuf, offset: usize },
    #[error("{path}: not JSON (is the file complete?): {reason}")]
    NotJson { path: PathBuf, reason: String },
    #[error("cannot write to stdout: {source}")]
    Stdout { source: std::io::Error },
    #[error("{source}; nothing was written (the verdict was {verdict}: exit code 2 because the output is missing)")]
    NotWritten {
        source: Box<CliError>,
        verdict: Verdict,
    },
    #[error("corpus entry {path}: {reason}")]
    Corpus { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Scenario {
        path: PathBuf,
        source: ScenarioError,
    },
    #[error("{path}: not a mapihang report: {reason}")]
    Report { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Schedule {
        path: PathBuf,
        source: ScheduleError,
    },
    #[error(
        "{path}: nothing to replay: the report has no schedule (a pass, or a run on real threads)"
    )]
    NothingToReplay { path: PathBuf },
    #[error(transparent)]
    Variant(#[from] UnknownVariant),
    #[error("{0}")]
    Usage(String),
}

/// The built-in variants plus the caller's.
pub(crate) struct Variants(Vec<Arc<dyn Variant>>);

impl Variants {
    pub(crate) fn new(extra: Vec<Arc<dyn Variant>>) -> Variants {
        let mut all = variant::builtin();
        all.extend(extra);
        Variants(all)
    }

    pub(crate) fn get(&self, name: &str) -> Result<Arc<dyn Variant>, UnknownVariant> {
        variant::find(&self.0, name)
    }

    pub(crate) fn all(&self) -> &[Arc<dyn Variant>] {
        &self.0
    }
}

/// How output is printed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// JSON, as docs/report-schema.md documents it (each object's `schema` field names its
    /// schema: `mapihang.report/1` for reports).
    Json,
}

/// Where and how to print the result.
#[derive(Args, Debug, Clone)]
pub(crate) struct OutputArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the JSON report to this file (what `mapihang replay` reads).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write a picture of the report next to it (--out's name with the format's extension):
    /// text, mermaid, svg or html.
    #[arg(long, value_parser = parse_explain, requires = "out")]
    pub explain: Option<ExplainFormat>,
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

/// The most schedules one `check` runs (about 100 s at 100,000 schedules/s).
pub(crate) const SCHEDULES_MAX: usize = 10_000_000;
/// The largest step bound of one execution.
pub(crate) const STEPS_MAX_MAX: usize = 10_000_000;

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

/// The corpus folder must exist: a mistyped `--dir` is an error, not a new empty corpus.
pub(crate) fn corpus_dir(dir: &Path) -> Result<(), CliError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "corpus folder {} does not exist (create it first: mkdir -p {})",
            dir.display(),
            shell(dir)
        )))
    }
}
