//! The `mapihang` command line with one more variant, `one-poller`:
//!
//! ```text
//! cargo run --release -p mapihang-example-one-poller -- check examples/scenarios/seed-repro.json --variant one-poller
//! cargo run --release -p mapihang-example-one-poller -- matrix --variant one-poller
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use mapihang_example_one_poller::OnePoller;

fn main() -> ExitCode {
    mapihang::main_with(vec![Arc::new(OnePoller)])
}
