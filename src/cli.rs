//! Argument parsing (clap). Usage errors become one line and exit code 2.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// mapihang: find, shrink, explain and guard against the MAPICDO impersonation hang.
#[derive(Parser, Debug)]
#[command(
    name = "mapihang",
    version,
    about,
    arg_required_else_help = true,
    after_help = "Exit codes: 0 no violation and everything judged, 1 a violation, 2 bad usage or bad input, 3 inconclusive (nothing violated, but something could not be judged)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// List the variants with their descriptions and expectations.
    Variants(VariantsArgs),
    /// Run one scenario on many schedules.
    Check(CheckArgs),
    /// Re-run a reported failure exactly and confirm the same violation.
    Replay(ReplayArgs),
    /// Generate scenarios of a family, find a violation, shrink it to a minimal repro.
    Hunt(HuntArgs),
    /// Print a generated scenario (JSON that `check` accepts).
    Scenario(ScenarioArgs),
    /// The scenario under the seed's build, under the seed's workarounds (the scenario
    /// rewritten) and under the fixes; exit 1 when the scenario as given violates an invariant.
    Advise(crate::advise_cmd::AdviseArgs),
    /// Add to or re-check the regression corpus (tests/corpus).
    Corpus(CorpusArgs),
    /// Render a report: text, mermaid, svg or html.
    Explain(ExplainArgs),
    /// Turn a cargo-fuzz crash artifact into a report (and, with --corpus, a corpus file).
    ImportFuzz(ImportFuzzArgs),
    /// Every variant x every family: invariants observed violated vs declared; exit 1 on a mismatch, 3 when executions were cut off by the step bound.
    Matrix(crate::matrix_cmd::MatrixArgs),
    /// Every scenario within a small bound, each by the complete search (DPOR; --preemptions K for a bounded DFS instead).
    Exhaustive(crate::exhaustive_cmd::ExhaustiveArgs),
    /// The scenario on real OS threads under a watchdog, beside the controlled scheduler.
    Stress(crate::stress_cmd::StressArgs),
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

/// Which scheduler explores the interleavings.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchedulerArg {
    /// Uniformly random choice at every step.
    Random,
    /// Probabilistic concurrency testing (see --pct-depth).
    Pct,
    /// Depth-first enumeration of every distinct interleaving, up to --schedules (see --preemptions).
    Dfs,
    /// Dynamic partial-order reduction: one execution per equivalence class of interleavings,
    /// no preemption bound; a pass within --schedules is complete.
    Dpor,
}

#[derive(Args, Debug)]
pub(crate) struct VariantsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Options shared by the commands that explore schedules.
#[derive(Args, Debug, Clone)]
pub(crate) struct ExploreArgs {
    /// The variant under test (see `mapihang variants`).
    #[arg(long, default_value = "original")]
    pub variant: String,
    /// The scheduler.
    #[arg(long, value_enum, default_value_t = SchedulerArg::Random)]
    pub scheduler: SchedulerArg,
    /// How many schedules (executions) to run at most (1 to 10,000,000).
    #[arg(long, default_value_t = 1000)]
    pub schedules: usize,
    /// The scheduler's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// PCT's bug depth (1 to 64).
    #[arg(long, default_value_t = PCT_DEPTH_DEFAULT)]
    pub pct_depth: usize,
    /// DFS only: explore only schedules with at most this many preemptions (default: all).
    #[arg(long)]
    pub preemptions: Option<usize>,
    /// The step bound of one execution (1 to 10,000,000); an execution it cuts off is
    /// inconclusive unless a violation is already certain.
    #[arg(long, default_value_t = mapihang_core::engine::STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
}

/// PCT's default bug depth.
pub(crate) const PCT_DEPTH_DEFAULT: usize = 3;

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
    pub explain: Option<mapihang_core::explain::ExplainFormat>,
}

fn parse_explain(text: &str) -> Result<mapihang_core::explain::ExplainFormat, String> {
    text.parse()
        .map_err(|e: mapihang_core::explain::UnknownFormat| e.to_string())
}

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// A JSON report (from `check`, `hunt` or `replay` with --out).
    pub report: PathBuf,
    /// text, mermaid, svg or html.
    #[arg(long, value_parser = parse_explain, default_value = "text")]
    pub format: mapihang_core::explain::ExplainFormat,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The scenario (JSON, see DESIGN.md).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub explore: ExploreArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub(crate) struct ReplayArgs {
    /// A JSON report written by `check --out` (or `hunt --out`).
    pub report: PathBuf,
    /// Replay under this variant instead of the report's (e.g. to try a fix on the same schedule).
    #[arg(long)]
    pub variant: Option<String>,
    /// When the execution leaves the recorded schedule (another variant takes other steps),
    /// every continuation of the part it followed is searched (DPOR), with at most this many
    /// executions (1 to 10,000,000).
    #[arg(long, default_value_t = 100_000)]
    pub schedules: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Parse the arguments; on a usage error print its first line and return exit code 2 (help and
/// version print in full and return 0).
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, ExitCode> {
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli.command),
        Err(err) if !err.use_stderr() => {
            let _ = crate::io::out(&err.render().to_string());
            Err(ExitCode::SUCCESS)
        }
        Err(err)
            if err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            // `mapihang` alone: the help, on stderr (it is a usage error: exit code 2).
            crate::io::errln(err.render().to_string().trim_end());
            Err(ExitCode::from(2))
        }
        Err(err) => {
            // clap's message is several lines (usage, help hint); keep the first, and when it
            // ends with a colon, the line that completes it (e.g. the missing argument).
            let text = err.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines
                .next()
                .unwrap_or("bad usage")
                .trim_start_matches("error: ");
            let line = match lines.next() {
                Some(next) if first.ends_with(':') => format!("{first} {next}"),
                _ => first.to_string(),
            };
            crate::io::errln(&format!("mapihang: {line}"));
            Err(ExitCode::from(2))
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct HuntArgs {
    /// The variant under test (see `mapihang variants`).
    #[arg(long, default_value = "original")]
    pub variant: String,
    /// The scenario family: service-account, same-user, multi-user, mixed, crc-collision, any.
    #[arg(long, default_value = "any", value_parser = crate::hunting::parse_family)]
    pub family: mapihang_core::family::Family,
    /// How many scenarios to try at most (1 to 1,000,000).
    #[arg(long, default_value_t = 1000)]
    pub cases: usize,
    /// Random schedules per scenario (1 to 1,000,000).
    #[arg(long, default_value_t = 200)]
    pub schedules: usize,
    /// The hunt's seed (scenarios and schedules are a pure function of it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Only violations of this invariant count (default: any), e.g. poller-signals.
    #[arg(long, value_parser = crate::hunting::parse_invariant)]
    pub invariant: Option<mapihang_core::monitor::Invariant>,
    /// OS threads to spread the cases over (the result does not depend on it).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// The step bound of one execution (1 to 10,000,000).
    #[arg(long, default_value_t = mapihang_core::engine::STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub(crate) struct ScenarioArgs {
    /// The scenario family.
    #[arg(long, value_parser = crate::hunting::parse_family)]
    pub family: mapihang_core::family::Family,
    /// The generator's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format: the scenario is JSON either way (the format `check` reads), so `text` and
    /// `json` print the same.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub(crate) struct CorpusArgs {
    #[command(subcommand)]
    pub command: CorpusCommand,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CorpusCommand {
    /// Record a scenario (a report from `check`/`hunt --out`, or a scenario file) with every
    /// variant's current verdict.
    Add(CorpusAddArgs),
    /// Re-check every corpus file against its recorded verdicts.
    Check(CorpusCheckArgs),
}

#[derive(Args, Debug)]
pub(crate) struct CorpusAddArgs {
    /// A JSON report or a scenario.
    pub file: PathBuf,
    /// The corpus folder.
    #[arg(long, default_value = "tests/corpus")]
    pub dir: PathBuf,
    /// Where the scenario came from.
    #[arg(long)]
    pub note: Option<String>,
    /// Output format on stdout (json: schema `mapihang.corpus-add/1`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub(crate) struct CorpusCheckArgs {
    /// The corpus folder.
    #[arg(long, default_value = "tests/corpus")]
    pub dir: PathBuf,
    /// Output format on stdout (json: schema `mapihang.corpus-check/1`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub(crate) struct ImportFuzzArgs {
    /// The crash artifact (fuzz/artifacts/<target>/crash-...).
    pub artifact: PathBuf,
    /// The fuzz target that wrote it: hunt_original, guard_fixed or scenario_json.
    #[arg(long)]
    pub target: String,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the JSON report to this file (what `mapihang replay` reads).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also add the scenario to this corpus folder (e.g. tests/corpus).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
}
