//! The `mapihang` command line with one more variant, `one-step-stop`:
//!
//! ```text
//! cargo run --release -p mapihang-example-one-step-stop -- check examples/scenarios/seed-repro.json --variant one-step-stop
//! cargo run --release -p mapihang-example-one-step-stop -- matrix --variant one-step-stop
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use mapihang_example_one_step_stop::OneStepStop;

fn main() -> ExitCode {
    mapihang::main_with(vec![Arc::new(OneStepStop)])
}
