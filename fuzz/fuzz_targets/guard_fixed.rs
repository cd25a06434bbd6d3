//! `guard_fixed`: one fuzzer-chosen execution under `fixed`, the combined fix. A violation is a
//! crash, and a bug in the fix or in the model. See `mapihang_core::fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapihang_core::fuzz::{run_input, Target};

fuzz_target!(|data: &[u8]| {
    if let Some(message) = run_input(Target::GuardFixed, data).crash_message() {
        panic!("{message}");
    }
});
