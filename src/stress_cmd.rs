//! `mapihang stress`: the scenario on real OS threads under a watchdog, beside the controlled
//! scheduler on as many executions.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use mapihang_core::command;
use mapihang_core::stress::StressConfig;

use crate::common::{in_range, CliError, Format, OutputArgs, Variants, SCHEDULES_MAX};
use crate::io::{progress_bar, show};

#[derive(Args, Debug)]
pub(crate) struct StressArgs {
    /// The scenario (JSON, as `check` reads it).
    pub scenario: PathBuf,
    /// The variant under test (see `mapihang variants`).
    #[arg(long, default_value = "original")]
    pub variant: String,
    /// Executions on real threads (1 to 1,000,000).
    #[arg(long, default_value_t = 100)]
    pub runs: usize,
    /// The watchdog, 1 to 60,000 ms: a wait that lasts this long while no thread runs is a
    /// hang (each hung run costs this much); if a thread still runs when it fires, the run is
    /// inconclusive. A timed wait (variant wrong-wait-timeout) lasts a quarter of it.
    #[arg(long, default_value_t = 50)]
    pub timeout_ms: u64,
    /// Executions under the controlled scheduler for the comparison (default: as many as --runs;
    /// 0: no comparison; at most 100,000,000).
    #[arg(long)]
    pub schedules: Option<usize>,
    /// The controlled scheduler's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub(crate) fn stress(variants: &Variants, args: &StressArgs) -> Result<u8, CliError> {
    in_range("runs", args.runs, 1_000_000)?;
    in_range("timeout-ms", args.timeout_ms as usize, 60_000)?;
    if let Some(schedules) = args.schedules {
        if schedules > SCHEDULES_MAX {
            return Err(CliError::Usage(format!(
                "--schedules must be from 0 to {SCHEDULES_MAX}, not {schedules}"
            )));
        }
    }
    let files = args.output.files();
    files.check(&[&args.scenario])?;
    let config = StressConfig {
        controlled_schedules: args.schedules.unwrap_or(args.runs),
        seed: args.seed,
        ..StressConfig::new(args.runs, Duration::from_millis(args.timeout_ms))
    };
    let bar = progress_bar(
        args.output.report.format == Format::Text,
        args.runs,
        "{spinner} stress {pos}/{len} runs on real threads [{elapsed}] {msg}",
    );
    let on_run = |done: usize, hung: usize| {
        bar.set_position(done as u64);
        bar.set_message(format!("{hung} hung"));
    };
    let (path, name) = (&args.scenario, &args.variant);
    let result = command::stress(variants, path, name, &config, &on_run, &files);
    bar.finish_and_clear();
    show(args.output.report.format, &result?)
}
