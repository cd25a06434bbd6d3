//! The `mapihang` command line with one more variant, `my-fix`:
//!
//! ```text
//! cargo run -p mapihang-example-custom-variant -- check examples/scenarios/seed-repro.json --variant my-fix
//! cargo run -p mapihang-example-custom-variant -- matrix --variant my-fix
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use mapihang_example_custom_variant::MyFix;

fn main() -> ExitCode {
    mapihang::main_with(vec![Arc::new(MyFix)])
}
