//! `mapihang hunt` and `mapihang scenario`.

use clap::Args;

use mapihang_core::command::{self, Hunted, Suggest};
use mapihang_core::engine::STEPS_MAX_DEFAULT;
use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::hunt::{HuntConfig, Progress};
use mapihang_core::monitor::Invariant;
use mapihang_core::os::{out, outln, program};
use mapihang_core::render::hunt as render;

use crate::common::{
    in_range, parse_family, parse_invariant, CliError, Format, OutputArgs, Variants, STEPS_MAX_MAX,
};
use crate::io::{emit, progress_bar, show};

#[derive(Args, Debug)]
pub(crate) struct HuntArgs {
    /// The variant under test (see `mapihang variants`).
    #[arg(long, default_value = "original")]
    pub variant: String,
    /// The scenario family: service-account, same-user, multi-user, mixed, crc-collision, any.
    #[arg(long, default_value = "any", value_parser = parse_family)]
    pub family: Family,
    /// How many scenarios to try at most (1 to 1,000,000).
    #[arg(long, default_value_t = 1000)]
    pub cases: usize,
    /// Random schedules per scenario (1 to 1,000,000).
    #[arg(long, default_value_t = 200)]
    pub schedules: usize,
    /// The hunt's seed (scenarios and schedules are a pure function of it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Only violations of this invariant count (default: any), e.g. poller-signals.
    #[arg(long, value_parser = parse_invariant)]
    pub invariant: Option<Invariant>,
    /// OS threads to spread the cases over (the result does not depend on it).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// The step bound of one execution (1 to 10,000,000).
    #[arg(long, default_value_t = STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub(crate) struct ScenarioArgs {
    /// The scenario family.
    #[arg(long, value_parser = parse_family)]
    pub family: Family,
    /// The generator's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format: the scenario is JSON either way (the format `check` reads), so `text` and
    /// `json` print the same.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub(crate) fn scenario(args: &ScenarioArgs) -> Result<u8, CliError> {
    // The scenario format is JSON: `--format text` and `--format json` print the same.
    let _ = args.format;
    outln(&gen::generate(args.family, args.seed).to_json())?;
    Ok(0)
}

/// The most cases and schedules per case of one hunt.
const HUNT_MAX: usize = 1_000_000;

pub(crate) fn hunt(variants: &Variants, args: &HuntArgs) -> Result<u8, CliError> {
    in_range("cases", args.cases, HUNT_MAX)?;
    in_range("schedules", args.schedules, HUNT_MAX)?;
    in_range("jobs", args.jobs, 256)?;
    in_range("steps-max", args.steps_max, STEPS_MAX_MAX)?;
    args.output.files().check(&[])?;
    let variant = variants.get(&args.variant)?;
    let config = HuntConfig {
        family: args.family,
        cases: args.cases,
        schedules: args.schedules,
        seed: args.seed,
        target: args.invariant,
        jobs: args.jobs,
        steps_max: args.steps_max,
        ..HuntConfig::default()
    };
    let format = args.output.report.format;
    let bar = progress_bar(
        format == Format::Text,
        args.cases,
        "{spinner} hunting {pos}/{len} cases [{elapsed}] {msg}",
    );
    let on_progress = |p: Progress| match p {
        Progress::Searching { done, .. } => bar.set_position(done as u64),
        Progress::Shrinking { candidates, ops } => {
            bar.set_message(format!("shrinking: {candidates} candidates, {ops} ops"));
        }
    };
    let (prog, files) = (program(), args.output.files());
    let suggest = Suggest {
        prog: &prog,
        out: files.out.as_deref(),
    };
    let hunted = command::hunt(variant.clone(), &config, &on_progress, suggest);
    bar.finish_and_clear();
    let (report, invariant) = match hunted {
        Hunted::Pass(pass) => return show(format, &pass),
        Hunted::Found { report, invariant } => (report, invariant),
    };
    if format == Format::Text {
        out(&render::headline(variant.name(), invariant, &report))?;
    }
    emit(&report, &files, format)?;
    if format == Format::Text {
        out(&render::also_found(&report))?;
    }
    Ok(1)
}
