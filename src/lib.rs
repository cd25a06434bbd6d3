//! The `mapihang` command line, as a library: [`main_with`] runs it with extra variants, so a
//! candidate fix written in another crate gets every command (`check`, `hunt`, `matrix`, ...)
//! by calling it from its own `main`.
//!
//! Exit codes: 0 no violation and everything judged, 1 a violation was found, 2 bad usage or bad
//! input (one line on stderr, never a panic), 3 inconclusive (nothing violated, but something
//! could not be judged: an execution cut off by the step bound, a replay that left its
//! schedule, a real-thread watchdog that fired while a thread still ran).

mod advise_cmd;
mod cli;
mod commands;
mod common;
mod corpus_cmd;
mod exhaustive_cmd;
mod hunting;
mod import_fuzz;
mod io;
mod matrix_cmd;
mod stress_cmd;

use std::process::ExitCode;
use std::sync::Arc;

use mapihang_core::variant::Variant;

use cli::Command;
use common::{CliError, Variants};

/// Run the command line with the built-in variants plus `extra`, on the process's arguments.
pub fn main_with(extra: Vec<Arc<dyn Variant>>) -> ExitCode {
    run(std::env::args_os(), extra)
}

/// Run the command line on `args` (the first is the program name).
pub fn run(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    extra: Vec<Arc<dyn Variant>>,
) -> ExitCode {
    match cli::parse(args) {
        Ok(command) => match execute(command, extra) {
            Ok(code) => ExitCode::from(code),
            Err(err) => {
                mapihang_core::os::errln(&format!("mapihang: {err}"));
                ExitCode::from(2)
            }
        },
        Err(code) => code,
    }
}

/// Run one command: one call per command into its module.
fn execute(command: Command, extra: Vec<Arc<dyn Variant>>) -> Result<u8, CliError> {
    let variants = Variants::new(extra);
    match command {
        Command::Variants(args) => commands::list_variants(&variants, &args),
        Command::Check(args) => commands::check(&variants, &args),
        Command::Replay(args) => commands::replay(&variants, &args),
        Command::Explain(args) => commands::explain(&variants, &args),
        Command::Hunt(args) => hunting::hunt(&variants, &args),
        Command::Scenario(args) => hunting::scenario(&args),
        Command::Advise(args) => advise_cmd::advise(&variants, &args),
        Command::Matrix(args) => matrix_cmd::matrix(&variants, &args),
        Command::Exhaustive(args) => exhaustive_cmd::exhaustive(&variants, &args),
        Command::Corpus(args) => corpus_cmd::corpus(&variants, &args),
        Command::Stress(args) => stress_cmd::stress(&variants, &args),
        Command::ImportFuzz(args) => import_fuzz::import_fuzz(&variants, &args),
    }
}
