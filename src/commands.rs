//! `mapihang check`, `replay`, `explain` and `variants`: read, one call into core, print.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};

use mapihang_core::engine::{self, CheckConfig, Strategy, STEPS_MAX_DEFAULT};
use mapihang_core::explain::{self, ExplainFormat};
use mapihang_core::os::{self, out, program, FileError};
use mapihang_core::render;
use mapihang_core::replay::{self, ReplayVerdict};
use mapihang_core::report::Report;
use mapihang_core::schema;
use mapihang_core::text::shell;

use crate::common::{
    in_range, parse_explain, repro, CliError, Format, Line, OutputArgs, Variants, SCHEDULES_MAX,
    STEPS_MAX_MAX,
};
use crate::io::{check_outputs, emit, print};

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
    #[arg(long, default_value_t = STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
}

/// PCT's default bug depth.
pub(crate) const PCT_DEPTH_DEFAULT: usize = 3;

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
    let path = &args.report;
    if let Some(out) = &args.out {
        os::check_output(out, &[path])?;
    }
    let (report, schedule) = os::read_report_to_explain(path)?;
    if let Some(schedule) = schedule {
        // The report's own variant must follow its schedule to the end, or it is corrupt.
        let variant = variants.get(&report.variant)?;
        let steps_max = report.steps_max.max(1);
        if !engine::replay(variant, &report.scenario, &schedule, steps_max).faithful {
            return Err(FileError::corrupt(path, &report.variant).into());
        }
    }
    let rendered = explain::render(&report, args.format);
    match &args.out {
        Some(out_path) => os::write_file(out_path, rendered)?,
        None => out(&rendered)?,
    }
    Ok(0)
}

/// The options of `args` that differ from their defaults, as command-line text (so that a
/// suggested command reproduces exactly what ran).
pub(crate) fn explore_options(args: &ExploreArgs, scheduler: &str) -> String {
    let pct_depth = Some(args.pct_depth)
        .filter(|&depth| args.scheduler == SchedulerArg::Pct && depth != PCT_DEPTH_DEFAULT);
    Line(String::new())
        .opt("variant", &args.variant)
        .opt("scheduler", scheduler)
        .opt("seed", args.seed)
        .opt("schedules", args.schedules)
        .some("pct-depth", pct_depth)
        .some("preemptions", args.preemptions)
        .unless("steps-max", args.steps_max, STEPS_MAX_DEFAULT)
        .0
}

pub(crate) fn check(variants: &Variants, args: &CheckArgs) -> Result<u8, CliError> {
    check_outputs(&args.output, &[&args.scenario])?;
    let config = check_config(&args.explore)?;
    let scenario = os::read_scenario(&args.scenario)?;
    let variant = variants.get(&args.explore.variant)?;
    if config.strategy == Strategy::Stateful {
        if let Some(why) = engine::stateful_refusal(variant.as_ref()) {
            return Err(CliError::Usage(why));
        }
    }
    let start = Instant::now();
    let result = engine::check(variant.clone(), &scenario, &config);
    let elapsed_ms = start.elapsed().as_millis() as u64;
    let mut report = Report::from_check(variant.name(), &scenario, &config, &result, elapsed_ms);
    let prog = program();
    let rerun = format!(
        "{prog} check {}{}",
        shell(&args.scenario),
        explore_options(&args.explore, &report.scheduler)
    );
    if result.failed() {
        report.repro = Some(repro(&prog, args.output.report.out.as_deref(), || {
            rerun.clone()
        }));
        report.set_advise_command(&format!("{prog} advise {}", shell(&args.scenario)));
    }
    if let Some(inconclusive) = &mut report.inconclusive {
        let raised = args.explore.steps_max.saturating_mul(10).min(STEPS_MAX_MAX);
        let rerun = rerun.replace(&format!(" --steps-max {}", args.explore.steps_max), "");
        inconclusive.hint = Some(format!("{rerun} --steps-max {raised}"));
    }
    emit(&report, &args.output)?;
    Ok(report.verdict.exit_code())
}

pub(crate) fn replay(variants: &Variants, args: &ReplayArgs) -> Result<u8, CliError> {
    let path = &args.report;
    check_outputs(&args.output, &[path])?;
    let (input, schedule) = os::read_report_to_replay(path)?;
    in_range("schedules", args.schedules, SCHEDULES_MAX)?;
    let own = args.variant.as_deref().is_none_or(|v| v == input.variant);
    let variant = variants.get(args.variant.as_deref().unwrap_or(&input.variant))?;
    let start = Instant::now();
    let replayed = replay::replay(
        variant.clone(),
        &input.scenario,
        &schedule,
        input.steps_max,
        &input.expected(),
        args.schedules,
    );
    if own && !replayed.faithful {
        return Err(FileError::corrupt(path, &input.variant).into());
    }
    let mut report = replayed.report;
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    let (prog, name) = (program(), variant.name());
    // The report holds its scenario: `advise` reads it from there.
    report.set_advise_command(&format!("{prog} advise {}", shell(path)));
    let check_instead = Line(format!("{prog} check {} --variant {name}", shell(path)))
        .unless("steps-max", input.steps_max, STEPS_MAX_DEFAULT)
        .0;
    if let Some(inconclusive) = &mut report.inconclusive {
        inconclusive.hint = Some(match replayed.verdict {
            ReplayVerdict::LeftSchedule { .. } => format!(
                "{prog} replay {} --variant {name} --schedules {} (a larger budget for the \
                 continuations), or {check_instead} (every schedule, not this one)",
                shell(path),
                args.schedules.saturating_mul(10).min(SCHEDULES_MAX)
            ),
            _ => check_instead.clone(),
        });
    }
    let line = render::replay_line(&replayed.verdict, name, input.steps_max, &check_instead);
    let again =
        Line(format!("{prog} replay {}", shell(path))).some("variant", args.variant.as_ref());
    report.repro = Some(again.0);
    if args.output.report.format == Format::Text {
        os::outln(&line)?;
    }
    emit(&report, &args.output)?;
    Ok(report.verdict.exit_code())
}

pub(crate) fn list_variants(variants: &Variants, args: &VariantsArgs) -> Result<u8, CliError> {
    let infos = schema::variant_infos(variants.all().iter().map(|v| v.as_ref()));
    print(args.format, &infos, &render::variants(&infos))?;
    Ok(0)
}
