//! `scenario_json`: the bytes through every parser of user input (scenario JSON, replay
//! schedules, reports). A panic or a lost round trip is a crash. See `mapihang_core::fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapihang_core::fuzz::{run_input, Target};

fuzz_target!(|data: &[u8]| {
    if let Some(message) = run_input(Target::ScenarioJson, data).crash_message() {
        panic!("{message}");
    }
});
