//! The commands: thin glue between the arguments and `mapihang-core`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use mapihang_core::engine::{self, CheckConfig, Schedule, ScheduleError, Strategy};
use mapihang_core::explain;
use mapihang_core::family::Family;
use mapihang_core::monitor::names;
use mapihang_core::replay::{self, ReplayVerdict};
use mapihang_core::report::{Report, SCHEMA};
use mapihang_core::scenario::{Scenario, ScenarioError};
use mapihang_core::variant::{self, Expectation, UnknownVariant, Variant};
use mapihang_core::verdict::Verdict;

use crate::cli::{
    CheckArgs, Command, ExplainArgs, ExploreArgs, Format, OutputArgs, ReplayArgs, SchedulerArg,
    VariantsArgs,
};
use crate::io::{self, out, outln, program, Writes};

/// Bad usage or bad input: printed as one line, exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: larger than {}, the most mapihang reads", io::READ_MAX_TEXT)]
    TooLarge { path: PathBuf },
    #[error("{path}: not UTF-8 text (bad byte at offset {offset})")]
    NotText { path: PathBuf, offset: usize },
    #[error("{path}: not JSON (is the file complete?): {reason}")]
    NotJson { path: PathBuf, reason: String },
    #[error("cannot write to stdout: {source}")]
    Stdout { source: std::io::Error },
    #[error("{source}; nothing was written (the verdict was {verdict}: exit code 2 because the output is missing)")]
    NotWritten {
        source: Box<CliError>,
        verdict: Verdict,
    },
    #[error("corpus entry {path}: {reason}")]
    Corpus { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Scenario {
        path: PathBuf,
        source: ScenarioError,
    },
    #[error("{path}: not a mapihang report: {reason}")]
    Report { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Schedule {
        path: PathBuf,
        source: ScheduleError,
    },
    #[error(
        "{path}: nothing to replay: the report has no schedule (a pass, or a run on real threads)"
    )]
    NothingToReplay { path: PathBuf },
    #[error(transparent)]
    Variant(#[from] UnknownVariant),
    #[error("{0}")]
    Usage(String),
}

pub(crate) fn execute(command: Command, extra: Vec<Arc<dyn Variant>>) -> Result<u8, CliError> {
    let variants = Variants::new(extra);
    match command {
        Command::Variants(args) => list_variants(&variants, &args),
        Command::Check(args) => check(&variants, &args),
        Command::Replay(args) => replay(&variants, &args),
        Command::Hunt(args) => crate::hunting::hunt(&variants, &args),
        Command::Advise(args) => crate::advise_cmd::advise(&variants, &args),
        Command::Scenario(args) => crate::hunting::scenario(&args),
        Command::Matrix(args) => crate::matrix_cmd::matrix(&variants, &args),
        Command::Exhaustive(args) => crate::exhaustive_cmd::exhaustive(&variants, &args),
        Command::Corpus(args) => crate::corpus_cmd::corpus(&variants, &args),
        Command::Explain(args) => explain(&variants, &args),
        Command::Stress(args) => crate::stress_cmd::stress(&variants, &args),
        Command::ImportFuzz(args) => crate::import_fuzz::import_fuzz(
            &variants,
            &args.artifact,
            &args.target,
            args.format,
            args.out.as_deref(),
            args.corpus.as_deref(),
        ),
    }
}

/// The built-in variants plus the caller's.
pub(crate) struct Variants(Vec<Arc<dyn Variant>>);

impl Variants {
    fn new(extra: Vec<Arc<dyn Variant>>) -> Variants {
        let mut all = variant::builtin();
        all.extend(extra);
        Variants(all)
    }

    pub(crate) fn get(&self, name: &str) -> Result<Arc<dyn Variant>, UnknownVariant> {
        self.0
            .iter()
            .find(|v| v.name() == name)
            .cloned()
            .ok_or_else(|| UnknownVariant {
                name: name.to_string(),
                known: self
                    .0
                    .iter()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub(crate) fn all(&self) -> &[Arc<dyn Variant>] {
        &self.0
    }
}

/// A scenario file, or the scenario of a report (`check --out`, `hunt --out`): a JSON object
/// with a `schema` field is read as a report (its schema checked), anything else as a scenario.
pub(crate) fn load_scenario(path: &Path) -> Result<Scenario, CliError> {
    let text = io::read_text(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| CliError::NotJson {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if let serde_json::Value::Object(object) = &value {
        if object.contains_key("schema") {
            check_schema(path, &value)?;
            let scenario = object
                .get("scenario")
                .cloned()
                .ok_or_else(|| CliError::Report {
                    path: path.to_path_buf(),
                    reason: "it has no scenario".into(),
                })?;
            return Scenario::from_value(scenario).map_err(|source| CliError::Scenario {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    Scenario::from_value(value).map_err(|source| CliError::Scenario {
        path: path.to_path_buf(),
        source,
    })
}

/// A report's `schema` must be the one this version writes: missing or another one (a later
/// version, a matrix result) is refused, the same way by every command that reads reports.
pub(crate) fn check_schema(path: &Path, value: &serde_json::Value) -> Result<(), CliError> {
    let bad = |reason: String| CliError::Report {
        path: path.to_path_buf(),
        reason,
    };
    match value.get("schema") {
        None => Err(bad(format!(
            "it has no \"schema\" field (expected {SCHEMA:?})"
        ))),
        Some(serde_json::Value::String(schema)) if schema == SCHEMA => Ok(()),
        Some(other) => Err(bad(format!(
            "schema {}, but this mapihang reads {SCHEMA:?}",
            match other {
                serde_json::Value::String(text) => io::quote(text),
                _ => other.to_string(),
            }
        ))),
    }
}

/// Read a JSON report: capped, schema checked, then its fields as `T`.
pub(crate) fn read_report<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CliError> {
    let text = io::read_text(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| CliError::Report {
        path: path.to_path_buf(),
        reason: format!("not JSON: {e}"),
    })?;
    if !value.is_object() {
        return Err(CliError::Report {
            path: path.to_path_buf(),
            reason: "not a JSON object".into(),
        });
    }
    check_schema(path, &value)?;
    serde_json::from_value(value).map_err(|e| CliError::Report {
        path: path.to_path_buf(),
        reason: io::quote(&e.to_string()),
    })
}

/// The most schedules one `check` runs (about 100 s at 100,000 schedules/s).
pub(crate) const SCHEDULES_MAX: usize = 10_000_000;
/// The largest step bound of one execution.
pub(crate) const STEPS_MAX_MAX: usize = 10_000_000;

/// `--NAME` must lie in `1..=max`.
pub(crate) fn in_range(name: &str, value: usize, max: usize) -> Result<(), CliError> {
    if value == 0 || value > max {
        return Err(CliError::Usage(format!(
            "--{name} must be from 1 to {max}, not {value}"
        )));
    }
    Ok(())
}

pub(crate) fn check_config(args: &ExploreArgs) -> Result<CheckConfig, CliError> {
    in_range("schedules", args.schedules, SCHEDULES_MAX)?;
    in_range("steps-max", args.steps_max, STEPS_MAX_MAX)?;
    in_range("pct-depth", args.pct_depth, 64)?;
    let strategy = match args.scheduler {
        SchedulerArg::Random => Strategy::Random,
        SchedulerArg::Pct => Strategy::Pct {
            depth: args.pct_depth,
        },
        SchedulerArg::Dfs => Strategy::Dfs {
            preemptions: args.preemptions,
        },
        SchedulerArg::Dpor => Strategy::Dpor,
    };
    Ok(CheckConfig {
        strategy,
        schedules: args.schedules,
        seed: args.seed,
        steps_max: args.steps_max,
        stop_on_first: false,
        target: None,
    })
}

/// A progress bar on stderr, shown only when `shown` (text output) and stderr is a terminal;
/// `template` is indicatif's (`{pos}`, `{len}`, `{elapsed}`, `{msg}`).
pub(crate) fn progress_bar(shown: bool, len: usize, template: &str) -> indicatif::ProgressBar {
    if !shown || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(indicatif::ProgressStyle::with_template(template).expect("a valid template"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Print `report` on stdout in `output.format`, after writing its JSON to `--out` if given.
/// Give every violation whose advice is checked by `mapihang advise` the command to run.
pub(crate) fn set_advise_command(report: &mut Report, command: &str) {
    for violation in &mut report.violations {
        if let Some(advice) = violation.advice.as_mut().filter(|a| a.advise) {
            advice.command = Some(command.to_string());
        }
    }
}

pub(crate) fn emit(report: &Report, output: &OutputArgs) -> Result<(), CliError> {
    write_out(report, output)?;
    match output.format {
        Format::Text => out(&report.to_text()),
        Format::Json => outln(&report.to_json()),
    }
}

/// The files of `--out` and `--explain` (the picture next to it).
pub(crate) fn out_paths(output: &OutputArgs) -> Vec<PathBuf> {
    let Some(path) = &output.out else {
        return Vec::new();
    };
    let mut paths = vec![path.clone()];
    if let Some(format) = output.explain {
        paths.push(path.with_extension(format.extension()));
    }
    paths
}

/// Before a run: every output path can be written and none is one of `inputs`.
pub(crate) fn check_outputs(output: &OutputArgs, inputs: &[&Path]) -> Result<(), CliError> {
    for path in out_paths(output) {
        io::check_output(&path, inputs)?;
    }
    Ok(())
}

/// Write `report`'s JSON to `--out` and, with `--explain`, its picture next to it: both or
/// neither. A failure says which verdict was lost.
pub(crate) fn write_out(report: &Report, output: &OutputArgs) -> Result<(), CliError> {
    let paths = out_paths(output);
    let Some(path) = paths.first() else {
        return Ok(());
    };
    let mut writes = Writes::new();
    writes.add(path, report.to_json() + "\n");
    if let (Some(format), Some(picture)) = (output.explain, paths.get(1)) {
        writes.add(picture, explain::render(report, format));
    }
    writes.commit().map_err(|source| CliError::NotWritten {
        source: Box::new(source),
        verdict: report.verdict,
    })
}

fn explain(variants: &Variants, args: &ExplainArgs) -> Result<u8, CliError> {
    let path = &args.report;
    if let Some(out) = &args.out {
        io::check_output(out, &[path])?;
    }
    let report: Report = read_report(path)?;
    report
        .scenario
        .validate()
        .map_err(|source| CliError::Scenario {
            path: path.clone(),
            source,
        })?;
    if let Some(text) = &report.schedule {
        // The report's own variant must follow its schedule to the end, or it is corrupt.
        let schedule: Schedule = text.parse().map_err(|source| CliError::Schedule {
            path: path.clone(),
            source,
        })?;
        let variant = variants.get(&report.variant)?;
        let replayed = engine::replay(
            variant,
            &report.scenario,
            &schedule,
            report.steps_max.max(1),
        );
        if !replayed.faithful {
            return Err(corrupt(path, &report.variant));
        }
    }
    let rendered = explain::render(&report, args.format);
    match &args.out {
        Some(out_path) => io::write_file(out_path, rendered)?,
        None => out(&rendered)?,
    }
    Ok(0)
}

fn corrupt(path: &Path, variant: &str) -> CliError {
    CliError::Report {
        path: path.to_path_buf(),
        reason: format!(
            "corrupt: its schedule does not fit its scenario (under its own variant {variant} the \
             execution leaves the recorded schedule)"
        ),
    }
}

/// The options of `args` that differ from their defaults, as command-line text (so that a
/// suggested command reproduces exactly what ran).
pub(crate) fn explore_options(args: &ExploreArgs, scheduler: &str) -> String {
    let mut line = format!(
        " --variant {} --scheduler {scheduler} --seed {} --schedules {}",
        args.variant, args.seed, args.schedules
    );
    if args.scheduler == SchedulerArg::Pct && args.pct_depth != crate::cli::PCT_DEPTH_DEFAULT {
        let _ = write!(line, " --pct-depth {}", args.pct_depth);
    }
    if let Some(k) = args.preemptions {
        let _ = write!(line, " --preemptions {k}");
    }
    if args.steps_max != engine::STEPS_MAX_DEFAULT {
        let _ = write!(line, " --steps-max {}", args.steps_max);
    }
    line
}

/// Quote a path for a suggested command line when it needs it.
pub(crate) fn shell(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn check(variants: &Variants, args: &CheckArgs) -> Result<u8, CliError> {
    check_outputs(&args.output, &[&args.scenario])?;
    let config = check_config(&args.explore)?;
    let scenario = load_scenario(&args.scenario)?;
    let variant = variants.get(&args.explore.variant)?;
    let start = Instant::now();
    let result = engine::check(variant.clone(), &scenario, &config);
    let mut report = Report::from_check(
        variant.name(),
        &scenario,
        &config,
        &result,
        start.elapsed().as_millis() as u64,
    );
    let prog = program();
    let rerun = format!(
        "{prog} check {}{}",
        shell(&args.scenario),
        explore_options(&args.explore, &report.scheduler)
    );
    if result.failed() {
        report.repro = Some(match &args.output.out {
            Some(out) => format!("{prog} replay {}", shell(out)),
            None => format!("{rerun} --out REPORT.json && {prog} replay REPORT.json"),
        });
        set_advise_command(
            &mut report,
            &format!("{prog} advise {}", shell(&args.scenario)),
        );
    }
    if let Some(inconclusive) = &mut report.inconclusive {
        let raised = args.explore.steps_max.saturating_mul(10).min(STEPS_MAX_MAX);
        let rerun = rerun.replace(&format!(" --steps-max {}", args.explore.steps_max), "");
        inconclusive.hint = Some(format!("{rerun} --steps-max {raised}"));
    }
    emit(&report, &args.output)?;
    Ok(report.verdict.exit_code())
}

/// The fields of a report that a replay needs (the rest may be anything).
#[derive(Deserialize)]
struct ReplayInput {
    variant: String,
    scenario: Scenario,
    schedule: Option<String>,
    #[serde(default = "steps_max_default")]
    steps_max: usize,
    #[serde(default)]
    violations: Vec<mapihang_core::report::ViolationReport>,
}

fn steps_max_default() -> usize {
    engine::STEPS_MAX_DEFAULT
}

fn replay(variants: &Variants, args: &ReplayArgs) -> Result<u8, CliError> {
    let path = &args.report;
    check_outputs(&args.output, &[path])?;
    let input: ReplayInput = read_report(path)?;
    input
        .scenario
        .validate()
        .map_err(|source| CliError::Scenario {
            path: path.clone(),
            source,
        })?;
    let text = input
        .schedule
        .ok_or_else(|| CliError::NothingToReplay { path: path.clone() })?;
    let schedule: Schedule = text.parse().map_err(|source| CliError::Schedule {
        path: path.clone(),
        source,
    })?;
    if input.steps_max == 0 || input.steps_max > STEPS_MAX_MAX {
        return Err(CliError::Report {
            path: path.clone(),
            reason: format!(
                "steps_max {} is not from 1 to {STEPS_MAX_MAX}",
                input.steps_max
            ),
        });
    }
    in_range("schedules", args.schedules, SCHEDULES_MAX)?;
    let own = args.variant.as_deref().is_none_or(|v| v == input.variant);
    let variant = variants.get(args.variant.as_deref().unwrap_or(&input.variant))?;
    let start = Instant::now();
    let expected: Vec<_> = input.violations.iter().map(|v| v.invariant).collect();
    let replayed = replay::replay(
        variant.clone(),
        &input.scenario,
        &schedule,
        input.steps_max,
        &expected,
        args.schedules,
    );
    if own && !replayed.faithful {
        return Err(corrupt(path, &input.variant));
    }
    let mut report = replayed.report;
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    let prog = program();
    let check_instead = format!(
        "{prog} check {} --variant {}{}",
        shell(path),
        variant.name(),
        if input.steps_max == engine::STEPS_MAX_DEFAULT {
            String::new()
        } else {
            format!(" --steps-max {}", input.steps_max)
        }
    );
    if let Some(inconclusive) = &mut report.inconclusive {
        inconclusive.hint = Some(match replayed.verdict {
            ReplayVerdict::LeftSchedule { .. } => format!(
                "{prog} replay {} --variant {} --schedules {} (a larger budget for the \
                 continuations), or {check_instead} (every schedule, not this one)",
                shell(path),
                variant.name(),
                args.schedules.saturating_mul(10).min(SCHEDULES_MAX)
            ),
            _ => check_instead.clone(),
        });
    }
    let name = variant.name();
    let line = match &replayed.verdict {
        ReplayVerdict::LeftButViolated { found } => format!(
            "violation: under {name} the execution left the recorded schedule, but before it did \
             it violated {} (certain)",
            names(found)
        ),
        ReplayVerdict::LeftSchedule { prefix, searched } => format!(
            "not judged: under {name} the execution left the recorded schedule after {prefix} \
             steps, and {searched} executions of its continuations settled nothing; run \
             {check_instead}"
        ),
        ReplayVerdict::Continued {
            prefix,
            traces,
            found,
        } if found.is_empty() => format!(
            "pass: under {name} the execution left the recorded schedule after {prefix} steps; \
             every continuation of those steps passes (complete search, {traces} traces)"
        ),
        ReplayVerdict::Continued { prefix, found, .. } => format!(
            "violation: under {name} the execution left the recorded schedule after {prefix} \
             steps; a continuation of those steps violates {} (certain)",
            names(found)
        ),
        ReplayVerdict::CutOff => format!(
            "not judged: under {name} the step bound ({}) cut the execution off",
            input.steps_max
        ),
        ReplayVerdict::NotReproduced => format!(
            "did not reproduce: under {name} the recorded schedule runs to its end without a violation"
        ),
        ReplayVerdict::Reproduced { found } => {
            format!("reproduced: the same violation ({})", names(found))
        }
        ReplayVerdict::Different { found, expected } => format!(
            "reproduced a different violation: {} (the report had {})",
            names(found),
            names(expected)
        ),
    };
    report.repro = Some(format!(
        "{prog} replay {}{}",
        shell(path),
        args.variant
            .as_ref()
            .map_or(String::new(), |v| format!(" --variant {v}"))
    ));
    if args.output.format == Format::Text {
        outln(&line)?;
    }
    emit(&report, &args.output)?;
    Ok(report.verdict.exit_code())
}

#[derive(Serialize)]
struct VariantInfo<'a> {
    name: &'a str,
    description: &'a str,
    expected: BTreeMap<&'static str, Expectation>,
}

fn list_variants(variants: &Variants, args: &VariantsArgs) -> Result<u8, CliError> {
    let infos: Vec<VariantInfo<'_>> = variants
        .all()
        .iter()
        .map(|v| VariantInfo {
            name: v.name(),
            description: v.description(),
            expected: Family::ALL
                .iter()
                .map(|&f| (f.name(), v.expected(f)))
                .collect(),
        })
        .collect();
    match args.format {
        Format::Json => outln(&serde_json::to_string_pretty(&infos).expect("serialisable"))?,
        Format::Text => {
            let mut text = String::new();
            for info in &infos {
                let _ = writeln!(text, "{}\n  {}", info.name, info.description);
                for (family, expectation) in &info.expected {
                    let _ = writeln!(
                        text,
                        "    {family:<16} {}",
                        describe_expectation(expectation)
                    );
                }
                text.push('\n');
            }
            out(&text)?;
        }
    }
    Ok(0)
}

pub(crate) fn describe_expectation(expectation: &Expectation) -> String {
    if expectation.must.is_empty() && expectation.may.is_empty() {
        return "keeps every invariant".into();
    }
    let mut parts = Vec::new();
    if !expectation.must.is_empty() {
        parts.push(format!("violates {}", names(&expectation.must)));
    }
    if !expectation.may.is_empty() {
        parts.push(format!("may violate {}", names(&expectation.may)));
    }
    parts.join("; ")
}
