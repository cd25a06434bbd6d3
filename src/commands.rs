//! `mapihang check`, `replay`, `explain` and `variants`: read, one call into core, print.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use mapihang_core::command::{self, Suggest};
use mapihang_core::engine::{CheckConfig, Strategy, PCT_DEPTH_DEFAULT, STEPS_MAX_DEFAULT};
use mapihang_core::explain::ExplainFormat;
use mapihang_core::os::{self, out, program};

use crate::common::{
    in_range, parse_explain, CliError, Format, OutputArgs, Variants, SCHEDULES_MAX, STEPS_MAX_MAX,
};
use crate::io::{emit, show};

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
    /// Explicit-state search: every reachable model state once (a visited set of state
    /// fingerprints, as SPIN keeps), no preemption bound; a pass within --schedules is
    /// complete. Built-in variants without code of their own only.
    Stateful,
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
    /// How many schedules (executions) to run at most (1 to 100,000,000).
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
    #[arg(long, default_value_t = STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
}

#[derive(Args, Debug)]
pub(crate) struct ExplainArgs {
    /// A JSON report (from `check`, `hunt` or `replay` with --out).
    pub report: PathBuf,
    /// text, mermaid, svg or html.
    #[arg(long, value_parser = parse_explain, default_value = "text")]
    pub format: ExplainFormat,
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
    /// OS threads for the stateful search (1 to 256): one search, its visited set shared. The
    /// verdict of a complete search is the same with any number; which failing execution is
    /// shown first, and the counts, may vary with more than one. Other schedulers use one.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
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
    /// executions (1 to 100,000,000).
    #[arg(long, default_value_t = 100_000)]
    pub schedules: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub(crate) fn check_config(args: &ExploreArgs) -> Result<CheckConfig, CliError> {
    in_range("schedules", args.schedules, SCHEDULES_MAX)?;
    in_range("steps-max", args.steps_max, STEPS_MAX_MAX)?;
    in_range("pct-depth", args.pct_depth, 64)?;
    let strategy = match args.scheduler {
        SchedulerArg::Random => Strategy::Random,
        SchedulerArg::Pct => Strategy::Pct {
            depth: args.pct_depth,
        },
        SchedulerArg::Dfs => Strategy::Dfs {
            preemptions: args.preemptions,
        },
        SchedulerArg::Dpor => Strategy::Dpor,
        SchedulerArg::Stateful => Strategy::Stateful,
    };
    Ok(CheckConfig {
        strategy,
        schedules: args.schedules,
        seed: args.seed,
        steps_max: args.steps_max,
        stop_on_first: false,
        target: None,
    })
}

pub(crate) fn explain(variants: &Variants, args: &ExplainArgs) -> Result<u8, CliError> {
    if let Some(out) = &args.out {
        os::check_output(out, &[&args.report])?;
    }
    let rendered = command::explain(variants, &args.report, args.format)?;
    match &args.out {
        Some(out_path) => os::write_file(out_path, rendered)?,
        None => out(&rendered)?,
    }
    Ok(0)
}

pub(crate) fn check(variants: &Variants, args: &CheckArgs) -> Result<u8, CliError> {
    let files = args.output.files();
    files.check(&[&args.scenario])?;
    let config = check_config(&args.explore)?;
    in_range("jobs", args.jobs, 256)?;
    let (prog, out) = (program(), files.out.as_deref());
    let (path, name) = (&args.scenario, &args.explore.variant);
    let suggest = Suggest { prog: &prog, out };
    let preemptions = args.explore.preemptions;
    let jobs = args.jobs;
    let report = command::check(variants, path, name, &config, preemptions, jobs, suggest)?;
    emit(&report, &files, args.output.report.format)?;
    Ok(report.verdict.exit_code())
}

pub(crate) fn replay(variants: &Variants, args: &ReplayArgs) -> Result<u8, CliError> {
    let (path, files) = (&args.report, args.output.files());
    files.check(&[path])?;
    let read = os::read_report_to_replay(path)?;
    in_range("schedules", args.schedules, SCHEDULES_MAX)?;
    let name = args.variant.as_deref();
    let replayed = command::replay(variants, path, &read, name, args.schedules, &program())?;
    if args.output.report.format == Format::Text {
        os::outln(&replayed.line)?;
    }
    emit(&replayed.report, &files, args.output.report.format)?;
    Ok(replayed.report.verdict.exit_code())
}

pub(crate) fn list_variants(variants: &Variants, args: &VariantsArgs) -> Result<u8, CliError> {
    show(args.format, &command::variants(variants))
}
