//! `hunt_original`: one fuzzer-chosen execution under `original`. A violation is a crash, and
//! expected: the fuzzer reaches the MAPICDO hang. See `mapihang_core::fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapihang_core::fuzz::{run_input, Target};

fuzz_target!(|data: &[u8]| {
    if let Some(message) = run_input(Target::HuntOriginal, data).crash_message() {
        panic!("{message}");
    }
});
