//! The commands: thin glue between the arguments and `mapihang-core`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use mapihang_core::engine::{self, CheckConfig, Failure, Schedule, ScheduleError, Strategy};
use mapihang_core::explain;
use mapihang_core::family::Family;
use mapihang_core::report::{Report, Verdict};
use mapihang_core::scenario::{Scenario, ScenarioError};
use mapihang_core::variant::{self, Expectation, UnknownVariant, Variant};

use crate::cli::{
    CheckArgs, Command, ExplainArgs, ExploreArgs, Format, OutputArgs, ReplayArgs, SchedulerArg,
    VariantsArgs,
};

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
    #[error("{path}: {source}")]
    Scenario {
        path: PathBuf,
        source: ScenarioError,
    },
    #[error("{path}: not a mapihang report: {source}")]
    Report {
        path: PathBuf,
        source: serde_json::Error,
    },
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
        Command::Scenario(args) => crate::hunting::scenario(&args),
        Command::Matrix(args) => crate::matrix_cmd::matrix(&variants, &args),
        Command::Exhaustive(args) => crate::exhaustive_cmd::exhaustive(&variants, &args),
        Command::Corpus(args) => crate::corpus_cmd::corpus(&variants, &args),
        Command::Explain(args) => explain(&args),
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

pub(crate) fn load_scenario(path: &Path) -> Result<Scenario, CliError> {
    let text = read(path)?;
    Scenario::from_json(&text).map_err(|source| CliError::Scenario {
        path: path.to_path_buf(),
        source,
    })
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn check_config(args: &ExploreArgs) -> Result<CheckConfig, CliError> {
    if args.schedules == 0 {
        return Err(CliError::Usage("--schedules must be at least 1".into()));
    }
    let strategy = match args.scheduler {
        SchedulerArg::Random => Strategy::Random,
        SchedulerArg::Pct => Strategy::Pct {
            depth: args.pct_depth,
        },
        SchedulerArg::Dfs => Strategy::Dfs {
            preemptions: args.preemptions,
        },
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

/// Print `report` on stdout in `output.format`, and write its JSON to `--out` if given.
pub(crate) fn emit(report: &Report, output: &OutputArgs) -> Result<(), CliError> {
    write_out(report, output)?;
    match output.format {
        Format::Text => print!("{}", report.to_text()),
        Format::Json => println!("{}", report.to_json()),
    }
    Ok(())
}

/// Write `report`'s JSON to `--out` and, with `--explain`, its picture next to it.
pub(crate) fn write_out(report: &Report, output: &OutputArgs) -> Result<(), CliError> {
    if let Some(path) = &output.out {
        write(path, &(report.to_json() + "\n"))?;
        if let Some(format) = output.explain {
            write(
                &path.with_extension(format.extension()),
                &explain::render(report, format),
            )?;
        }
    }
    Ok(())
}

fn explain(args: &ExplainArgs) -> Result<u8, CliError> {
    let path = &args.report;
    let report: Report = serde_json::from_str(&read(path)?).map_err(|source| CliError::Report {
        path: path.clone(),
        source,
    })?;
    let rendered = explain::render(&report, args.format);
    match &args.out {
        Some(out) => write(out, &rendered)?,
        None => print!("{rendered}"),
    }
    Ok(0)
}

fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Violation => 1,
    }
}

fn check(variants: &Variants, args: &CheckArgs) -> Result<u8, CliError> {
    let scenario = load_scenario(&args.scenario)?;
    let variant = variants.get(&args.explore.variant)?;
    let config = check_config(&args.explore)?;
    let start = Instant::now();
    let result = engine::check(variant.clone(), &scenario, &config);
    let mut report = Report::from_check(
        variant.name(),
        &scenario,
        &config,
        &result,
        start.elapsed().as_millis() as u64,
    );
    if result.failed() {
        report.repro = Some(match &args.output.out {
            Some(out) => format!("mapihang replay {}", out.display()),
            None => format!(
                "mapihang check {} --variant {} --scheduler {} --seed {} --schedules {} --out REPORT.json && mapihang replay REPORT.json",
                args.scenario.display(),
                variant.name(),
                report.scheduler,
                config.seed,
                config.schedules
            ),
        });
    }
    emit(&report, &args.output)?;
    Ok(exit_code(report.verdict))
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
    let input: ReplayInput =
        serde_json::from_str(&read(path)?).map_err(|source| CliError::Report {
            path: path.clone(),
            source,
        })?;
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
    let variant = variants.get(args.variant.as_deref().unwrap_or(&input.variant))?;
    let start = Instant::now();
    let replayed = engine::replay(variant.clone(), &input.scenario, &schedule, input.steps_max);
    let config = CheckConfig {
        strategy: Strategy::Replay(schedule.clone()),
        schedules: 1,
        seed: 0,
        steps_max: input.steps_max,
        stop_on_first: true,
        target: None,
    };
    let failing = usize::from(replayed.faithful && !replayed.findings.is_empty());
    let mut per_invariant = BTreeMap::new();
    for finding in &replayed.findings {
        per_invariant.insert(finding.invariant(), failing);
    }
    let result = engine::CheckResult {
        executions: 1,
        failing,
        per_invariant: if failing == 1 {
            per_invariant
        } else {
            BTreeMap::new()
        },
        exhausted: false,
        first_failure: (failing == 1).then(|| Failure {
            execution: 0,
            findings: replayed.findings.clone(),
            schedule: replayed.schedule.clone(),
            outcome: replayed.outcome.clone(),
        }),
    };
    let mut report = Report::from_check(
        variant.name(),
        &input.scenario,
        &config,
        &result,
        start.elapsed().as_millis() as u64,
    );
    let expected: Vec<_> = input.violations.iter().map(|v| v.invariant).collect();
    let found: Vec<_> = report.violations.iter().map(|v| v.invariant).collect();
    let line = if !replayed.faithful {
        format!(
            "did not reproduce: under {} the execution left the recorded schedule",
            variant.name()
        )
    } else if found.is_empty() {
        format!(
            "did not reproduce: under {} the recorded schedule runs without a violation",
            variant.name()
        )
    } else if found == expected {
        format!("reproduced: the same violation ({})", names(&found))
    } else {
        format!(
            "reproduced a different violation: {} (the report had {})",
            names(&found),
            names(&expected)
        )
    };
    report.repro = Some(format!("mapihang replay {}", path.display()));
    match args.output.format {
        Format::Text => println!("{line}"),
        Format::Json => {}
    }
    emit(&report, &args.output)?;
    Ok(exit_code(report.verdict))
}

fn names(invariants: &[mapihang_core::monitor::Invariant]) -> String {
    let mut names: Vec<&str> = invariants.iter().map(|i| i.name()).collect();
    names.dedup();
    names.join(", ")
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
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&infos).expect("serialisable")
        ),
        Format::Text => {
            let mut out = String::new();
            for info in &infos {
                let _ = writeln!(out, "{}\n  {}", info.name, info.description);
                for (family, expectation) in &info.expected {
                    let _ = writeln!(
                        out,
                        "    {family:<16} {}",
                        describe_expectation(expectation)
                    );
                }
                out.push('\n');
            }
            print!("{out}");
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
