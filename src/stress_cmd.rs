//! `mapihang stress`: the scenario on real OS threads under a watchdog, beside the controlled
//! scheduler on as many executions.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use mapihang_core::monitor::Invariant;
use mapihang_core::report::Report;
use mapihang_core::schema;
use mapihang_core::stress::{self, StressConfig, StressResult};

use crate::cli::{Format, OutputArgs};
use crate::commands::{check_outputs, in_range, load_scenario, write_out, CliError, Variants};
use crate::io::{out, outln};

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
    /// 0: no comparison; at most 10,000,000).
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
        if schedules > crate::commands::SCHEDULES_MAX {
            return Err(CliError::Usage(format!(
                "--schedules must be from 0 to {}, not {schedules}",
                crate::commands::SCHEDULES_MAX
            )));
        }
    }
    check_outputs(&args.output, &[&args.scenario])?;
    let scenario = load_scenario(&args.scenario)?;
    let variant = variants.get(&args.variant)?;
    let config = StressConfig {
        controlled_schedules: args.schedules.unwrap_or(args.runs),
        seed: args.seed,
        ..StressConfig::new(args.runs, Duration::from_millis(args.timeout_ms))
    };
    let bar = crate::commands::progress_bar(
        args.output.format == Format::Text,
        args.runs,
        "{spinner} stress {pos}/{len} runs on real threads [{elapsed}] {msg}",
    );
    let result =
        stress::stress_with_progress(variant.clone(), &scenario, &config, &|done, hung| {
            bar.set_position(done as u64);
            bar.set_message(format!("{hung} hung"));
        });
    bar.finish_and_clear();
    let report = Report::from_stress(variant.name(), &scenario, &result);
    write_out(&report, &args.output)?;
    match args.output.format {
        Format::Text => {
            out(&text(variant.name(), args, &result))?;
            if let Some(failure) = &result.first_failure {
                let which = if result.real.first_hang == Some(failure.execution) {
                    "first hung run"
                } else {
                    "first failing run"
                };
                out(&format!("\n{which} on real threads:\n{}", report.to_text()))?;
            }
        }
        Format::Json => {
            let json = schema::StressJson::of(
                variant.name(),
                &result,
                &report,
                args.timeout_ms,
                args.seed,
            );
            outln(&schema::to_json(&json))?;
        }
    }
    Ok(result.verdict().exit_code())
}

/// The two backends side by side.
fn text(variant: &str, args: &StressArgs, result: &StressResult) -> String {
    let mut out = String::new();
    let verdict = result.verdict().headline();
    let _ = writeln!(
        out,
        "{verdict}: variant {variant} on {}, real OS threads with a {} ms watchdog vs the controlled scheduler (random, seed {})",
        args.scenario.display(),
        args.timeout_ms,
        args.seed
    );
    let _ = writeln!(
        out,
        "\n  {:<22} {:>10} {:>16} {:>12} {:>14} {:>16}",
        "", "executions", "hung", "hangs/s", "executions/s", "first hang"
    );
    for (name, tally) in [
        ("real threads", &result.real),
        ("controlled scheduler", &result.controlled),
    ] {
        if tally.executions == 0 {
            continue;
        }
        let hung = format!("{} ({:.1}%)", tally.hung, 100.0 * tally.hang_rate());
        let first = match (tally.first_hang, tally.first_hang_after) {
            (Some(index), Some(after)) => format!("#{} ({})", index + 1, human(after)),
            _ => "none".to_string(),
        };
        let _ = writeln!(
            out,
            "  {name:<22} {:>10} {hung:>16} {:>12.1} {:>14.0} {first:>16}",
            tally.executions,
            tally.hangs_per_second(),
            tally.executions_per_second(),
        );
    }
    let _ = writeln!(
        out,
        "\nhung = a thread waited forever for a store's signal (poller-signals), judged by the same monitors on both."
    );
    if result.watchdog_fired > 0 {
        let _ = writeln!(
            out,
            "the watchdog fired in {} real run(s); in {} of them no thread was running (a deadlock, not a slow thread).",
            result.watchdog_fired, result.watchdog_all_blocked
        );
    }
    if result.real.inconclusive > 0 {
        let _ = writeln!(
            out,
            "not judged: in {} real run(s) the watchdog fired while some thread still ran (a slow thread is no hang); raise --timeout-ms (now {}).",
            result.real.inconclusive, args.timeout_ms
        );
    }
    for (name, tally) in [
        ("real threads", &result.real),
        ("controlled", &result.controlled),
    ] {
        for (invariant, count) in &tally.per_invariant {
            if *invariant != Invariant::PollerSignals {
                let _ = writeln!(out, "{name}: {invariant} violated in {count} execution(s)");
            }
        }
    }
    out
}

fn human(duration: Duration) -> String {
    let micros = duration.as_micros();
    if micros < 1000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.1} ms", micros as f64 / 1000.0)
    } else {
        format!("{:.2} s", micros as f64 / 1e6)
    }
}
