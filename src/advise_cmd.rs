//! `mapihang advise SCENARIO.json`: the scenario under the seed's build, the workarounds and the
//! fixes; core runs them (`mapihang_core::advise`) and words the answer (`render::advise`).

use std::path::PathBuf;

use clap::Args;

use mapihang_core::advise::AdviseConfig;
use mapihang_core::command;
use mapihang_core::os::program;

use crate::common::{in_range, CliError, Format, Variants};
use crate::io::show;

#[derive(Args, Debug)]
pub(crate) struct AdviseArgs {
    /// The scenario (JSON, or a report whose scenario to take).
    pub scenario: PathBuf,
    /// Each run first tries a complete search with this many executions (the stateful search;
    /// DPOR for a variant with machinery code of its own).
    #[arg(long, default_value_t = AdviseConfig::default().dpor_budget)]
    pub dpor_budget: usize,
    /// When the complete search does not finish: PCT schedules instead.
    #[arg(long, default_value_t = AdviseConfig::default().schedules)]
    pub schedules: usize,
    /// PCT's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub(crate) fn advise(variants: &Variants, args: &AdviseArgs) -> Result<u8, CliError> {
    in_range("dpor-budget", args.dpor_budget, 10_000_000)?;
    in_range("schedules", args.schedules, 10_000_000)?;
    let config = AdviseConfig {
        dpor_budget: args.dpor_budget,
        schedules: args.schedules,
        seed: args.seed,
        ..AdviseConfig::default()
    };
    let advice = command::advise(variants, &args.scenario, &config, &program())?;
    show(args.format, &advice)
}
