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
        Ok(command) => match commands::execute(command, extra) {
            Ok(code) => ExitCode::from(code),
            Err(err) => {
                io::errln(&format!("mapihang: {err}"));
                ExitCode::from(2)
            }
        },
        Err(code) => code,
    }
}
