//! Argument parsing (clap). Usage errors become one line and exit code 2.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::advise_cmd::AdviseArgs;
use crate::commands::{CheckArgs, ExplainArgs, ReplayArgs, VariantsArgs};
use crate::corpus_cmd::CorpusArgs;
use crate::exhaustive_cmd::ExhaustiveArgs;
use crate::hunting::{HuntArgs, ScenarioArgs};
use crate::import_fuzz::ImportFuzzArgs;
use crate::matrix_cmd::MatrixArgs;
use crate::stress_cmd::StressArgs;

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
    Advise(AdviseArgs),
    /// Add to or re-check the regression corpus (tests/corpus).
    Corpus(CorpusArgs),
    /// Render a report: text, mermaid, svg or html.
    Explain(ExplainArgs),
    /// Turn a cargo-fuzz crash artifact into a report (and, with --corpus, a corpus file).
    ImportFuzz(ImportFuzzArgs),
    /// Every variant x every family: invariants observed violated vs declared; exit 1 on a mismatch, 3 when executions were cut off by the step bound.
    Matrix(MatrixArgs),
    /// Every scenario within a small bound, each by a complete search (the stateful one; DPOR for a variant with machinery code of its own; --preemptions K for a bounded DFS instead).
    Exhaustive(ExhaustiveArgs),
    /// The scenario on real OS threads under a watchdog, beside the controlled scheduler.
    Stress(StressArgs),
}

/// Parse the arguments; on a usage error print its first line and return exit code 2 (help and
/// version print in full and return 0).
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, ExitCode> {
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli.command),
        Err(err) if !err.use_stderr() => {
            let _ = mapihang_core::os::out(&err.render().to_string());
            Err(ExitCode::SUCCESS)
        }
        Err(err)
            if err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            // `mapihang` alone: the help, on stderr (it is a usage error: exit code 2).
            mapihang_core::os::errln(err.render().to_string().trim_end());
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
            mapihang_core::os::errln(&format!("mapihang: {line}"));
            Err(ExitCode::from(2))
        }
    }
}
