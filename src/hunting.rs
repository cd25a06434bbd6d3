//! `mapihang hunt` and `mapihang scenario`.

use serde::Serialize;

use mapihang_core::family::Family;
use mapihang_core::gen;
use mapihang_core::hunt::{self, HuntConfig, HuntResult, Progress};
use mapihang_core::monitor::Invariant;
use mapihang_core::report::{HuntDistinct, HuntSummary, Report, SCHEMA};
use mapihang_core::variant::Variant;

use crate::cli::{Format, HuntArgs, ScenarioArgs};
use crate::commands::{check_outputs, emit, in_range, CliError, Variants};
use crate::io::{out, outln, program};

pub(crate) fn scenario(args: &ScenarioArgs) -> Result<u8, CliError> {
    // The scenario format is JSON: `--format text` and `--format json` print the same.
    let _ = args.format;
    outln(&gen::generate(args.family, args.seed).to_json())?;
    Ok(0)
}

/// The most cases and schedules per case of one hunt.
const HUNT_MAX: usize = 1_000_000;

/// The JSON `hunt --format json` prints when nothing was found.
#[derive(Serialize)]
struct HuntPass<'a> {
    schema: &'static str,
    variant: &'a str,
    verdict: mapihang_core::verdict::Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    inconclusive: Option<mapihang_core::report::Inconclusive>,
    violations: [(); 0],
    hunt: HuntSummary,
    elapsed_ms: u64,
}

pub(crate) fn hunt(variants: &Variants, args: &HuntArgs) -> Result<u8, CliError> {
    in_range("cases", args.cases, HUNT_MAX)?;
    in_range("schedules", args.schedules, HUNT_MAX)?;
    in_range("jobs", args.jobs, 256)?;
    in_range("steps-max", args.steps_max, crate::commands::STEPS_MAX_MAX)?;
    check_outputs(&args.output, &[])?;
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
    let bar = crate::commands::progress_bar(
        args.output.format == Format::Text,
        args.cases,
        "{spinner} hunting {pos}/{len} cases [{elapsed}] {msg}",
    );
    let on_progress = |p: Progress| match p {
        Progress::Searching { done, .. } => bar.set_position(done as u64),
        Progress::Shrinking { steps, ops } => {
            bar.set_message(format!("shrinking: {steps} candidates, {ops} ops"));
        }
    };
    let result = hunt::hunt(variant.clone(), &config, &on_progress);
    bar.finish_and_clear();
    let hunt_again = hunt_command(variant.name(), &config, args);
    let prog = program();
    let repro = |invariant| format!("{} && {prog} replay REPORT.json", hunt_again(invariant));
    let summary = summary(&config, &result, &repro);
    let Some(found) = &result.found else {
        let what = args
            .invariant
            .map_or("any invariant".to_string(), |i| i.to_string());
        let verdict = mapihang_core::verdict::Verdict::of(0, summary.cut_off);
        let inconclusive = (summary.cut_off > 0).then(|| mapihang_core::report::Inconclusive {
            reason: mapihang_core::report::InconclusiveReason::StepBound,
            executions: summary.cut_off,
            message: format!(
                "{} of {} execution(s) were cut off by the step bound ({} steps) before they \
                 ended, with no violation certain",
                summary.cut_off, summary.schedules_run, args.steps_max
            ),
            hint: Some("raise --steps-max".into()),
        });
        match args.output.format {
            Format::Text if verdict != mapihang_core::verdict::Verdict::Pass => outln(&format!(
                "INCONCLUSIVE: no violation of {what} found, but {}: variant {}, family {}, {} cases (seed {}); raise --steps-max",
                inconclusive.as_ref().map_or("", |i| i.message.as_str()),
                variant.name(),
                config.family,
                summary.cases_tried,
                config.seed
            ))?,
            Format::Text => outln(&format!(
                "no violation of {what} found: variant {}, family {}, {} cases, {} schedules, {} ms (seed {})",
                variant.name(),
                config.family,
                summary.cases_tried,
                summary.schedules_run,
                summary.total_ms,
                config.seed
            ))?,
            Format::Json => {
                let pass = HuntPass {
                    schema: SCHEMA,
                    variant: variant.name(),
                    verdict,
                    inconclusive,
                    violations: [],
                    elapsed_ms: summary.total_ms,
                    hunt: summary,
                };
                outln(&serde_json::to_string_pretty(&pass).expect("serialisable"))?;
            }
        }
        return Ok(verdict.exit_code());
    };
    let mut report = Report::from_check(
        variant.name(),
        &found.scenario,
        &found.config,
        &found.check,
        result.total_ms,
    );
    report.hunt = Some(summary);
    let prog = program();
    report.repro = Some(match &args.output.out {
        Some(path) => format!("{prog} replay {}", crate::commands::shell(path)),
        None => repro(args.invariant),
    });
    let advise = match &args.output.out {
        Some(path) => format!("{prog} advise {}", crate::commands::shell(path)),
        None => format!(
            "{} && {prog} advise REPORT.json",
            hunt_again(args.invariant)
        ),
    };
    crate::commands::set_advise_command(&mut report, &advise);
    if args.output.format == Format::Text {
        out(&headline(variant.as_ref(), found.invariant, &report))?;
    }
    emit(&report, &args.output)?;
    if args.output.format == Format::Text {
        out(&also_found(&report))?;
    }
    Ok(1)
}

/// The command that re-runs this hunt narrowed to one invariant (`None`: as it was), writing
/// its report to `REPORT.json`.
fn hunt_command<'a>(
    variant: &'a str,
    config: &'a HuntConfig,
    args: &'a HuntArgs,
) -> impl Fn(Option<Invariant>) -> String + 'a {
    move |invariant| {
        let prog = program();
        format!(
            "{prog} hunt --variant {variant} --family {} --seed {} --cases {} --schedules {}{}{} --out REPORT.json",
            config.family,
            config.seed,
            config.cases,
            config.schedules,
            invariant.map_or(String::new(), |i| format!(" --invariant {i}")),
            if args.steps_max == mapihang_core::engine::STEPS_MAX_DEFAULT {
                String::new()
            } else {
                format!(" --steps-max {}", args.steps_max)
            }
        )
    }
}

/// The other invariants the hunt found, each with its shrunk scenario and repro (empty when
/// it found one only).
fn also_found(report: &Report) -> String {
    let distinct = report.hunt.as_ref().map_or(&[][..], |h| &h.distinct[..]);
    if distinct.len() < 2 {
        return String::new();
    }
    let mut text = format!(
        "\nAlso found ({} more invariant(s), each shrunk on its own, most severe first):\n",
        distinct.len() - 1
    );
    for d in &distinct[1..] {
        text.push_str(&format!(
            "  {}: case {}, shrunk to {} ops: {}\n    repro: {}\n",
            d.invariant,
            d.case,
            d.shrunk_ops,
            serde_json::to_string(&d.scenario).expect("serialisable"),
            d.repro
        ));
    }
    text
}

fn summary(
    config: &HuntConfig,
    result: &HuntResult,
    repro: &dyn Fn(Option<Invariant>) -> String,
) -> HuntSummary {
    let found = result.found.as_ref();
    let distinct = result
        .distinct
        .iter()
        .map(|f| HuntDistinct {
            invariant: f.invariant,
            case: f.case + 1,
            shrunk_ops: f.scenario.ops_total(),
            scenario: f.scenario.clone(),
            schedule: f
                .check
                .first_failure
                .as_ref()
                .map(|failure| failure.schedule.to_string()),
            repro: repro(Some(f.invariant)),
        })
        .collect();
    HuntSummary {
        family: config.family,
        seed: config.seed,
        cases: config.cases,
        cases_tried: result.stats.cases_tried,
        schedules_per_case: config.schedules,
        schedules_run: result.stats.schedules_run,
        cut_off: result.stats.cut_off,
        shrink_steps: result.stats.shrink_steps,
        shrink_accepted: result.stats.shrink_accepted,
        shrink_schedules: result.stats.shrink_schedules,
        original_ops: found.map(|f| f.original.ops_total()),
        shrunk_ops: found.map(|f| f.scenario.ops_total()),
        users: found.map(|f| hunt::users_logging_on(&f.scenario)),
        preemptions: found.and_then(|f| f.preemptions),
        detection_ms: result.detection_ms,
        total_ms: result.total_ms,
        distinct,
    }
}

/// What was found, how it was shrunk, and the minimal scenario, before the report itself.
fn headline(variant: &dyn Variant, invariant: Invariant, report: &Report) -> String {
    let hunt = report.hunt.as_ref().expect("a hunt report");
    let preemptions = hunt.preemptions.map_or(
        "a random schedule (no bounded DFS found it)".to_string(),
        |p| format!("{p} preemption(s)"),
    );
    format!(
        "FOUND {invariant} under {} in family {}: case {} of {} ({} schedules), {} ms\n\
         shrunk from {} to {} ops and {} user(s) in {} steps ({} accepted, {} schedules); \
         minimal schedule needs {preemptions}; {} ms in all\n\nminimal scenario:\n{}\n\n",
        variant.name(),
        hunt.family,
        hunt.cases_tried,
        hunt.cases,
        hunt.schedules_run,
        hunt.detection_ms,
        hunt.original_ops.unwrap_or(0),
        hunt.shrunk_ops.unwrap_or(0),
        hunt.users.unwrap_or(0),
        hunt.shrink_steps,
        hunt.shrink_accepted,
        hunt.shrink_schedules,
        hunt.total_ms,
        serde_json::to_string(&report.scenario).expect("serialisable"),
    )
}

/// Parse a family name for clap.
pub(crate) fn parse_family(text: &str) -> Result<Family, String> {
    text.parse::<Family>().map_err(|e| e.to_string())
}

/// Parse an invariant name for clap.
pub(crate) fn parse_invariant(text: &str) -> Result<Invariant, String> {
    text.parse::<Invariant>()
}
