//! Each command's one call, from its parsed options to what it prints, writes and exits with:
//! reading its input (through [`crate::os`]), the run, its report or result in both forms
//! ([`crate::schema`]'s JSON, [`crate::render`]'s text) and its verdict. The CLI parses the
//! options before the call; after it, it adds the command lines that echo the user's options (a
//! repro, a hint to settle an inconclusive run) and prints. The top of core: no other module of
//! core imports it.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::advise::{self, AdviseConfig, Remedy};
use crate::corpus::CorpusEntry;
use crate::engine::{self, CheckConfig, Schedule, Strategy};
use crate::exhaustive::{self, ExhaustiveConfig};
use crate::explain::{self, ExplainFormat};
#[cfg(feature = "arbitrary")]
use crate::fuzz::{self, Target};
use crate::hunt::{self, HuntConfig};
use crate::matrix::{self, MatrixConfig};
use crate::monitor::Invariant;
use crate::os::{self, FileError, ReportFiles};
use crate::render::{self, rerun, rerun::ReplayLines};
use crate::replay::{self, Replay, ReplayInput};
use crate::report::Report;
use crate::schema::{self, CorpusAddJson, CorpusCheckJson, HuntPassJson};
use crate::stress::{self, StressConfig};
use crate::text::shell;
use crate::variant::{UnknownVariant, Variant, Variants};

/// Why a command did not run to its verdict: one line, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file (or stdout) that cannot be read or written as the command needs.
    #[error(transparent)]
    File(#[from] FileError),
    /// A variant name that is not one of the command's variants.
    #[error(transparent)]
    Variant(#[from] UnknownVariant),
    /// Bad usage, in the caller's words (or a run the variant cannot have, in core's).
    #[error("{0}")]
    Usage(String),
}

/// A result in both its forms: `text` is printed as it is, `json` (one object) on one line.
#[derive(Clone, Debug)]
pub struct Printed {
    /// For people.
    pub text: String,
    /// The JSON object, without its newline.
    pub json: String,
    /// The process exit code the result comes down to.
    pub exit_code: u8,
}

impl Printed {
    fn new(value: &impl Serialize, text: String, exit_code: u8) -> Printed {
        Printed {
            text,
            json: schema::to_json(value),
            exit_code,
        }
    }
}

/// What the command lines a report suggests start with and refer to: how mapihang is run again
/// (`os::program`) and where the report is written (`--out`), if anywhere.
#[derive(Clone, Copy, Debug)]
pub struct Suggest<'a> {
    /// The program, as the user runs it.
    pub prog: &'a str,
    /// The report's file.
    pub out: Option<&'a Path>,
}

/// `variants`: each variant, its description and what it is expected to violate per family.
pub fn variants(variants: &Variants) -> Printed {
    let infos = schema::variant_infos(variants.all().iter().map(|v| v.as_ref()));
    Printed::new(&infos, render::variants(&infos), 0)
}

/// `explain`: the report at `path` in `format`. A report with a schedule must follow it to the
/// end under its own variant, or it is corrupt.
pub fn explain(variants: &Variants, path: &Path, format: ExplainFormat) -> Result<String, Error> {
    let (report, schedule) = os::read_report_to_explain(path)?;
    if let Some(schedule) = schedule {
        let variant = variants.get(&report.variant)?;
        let steps_max = report.steps_max.max(1);
        if !engine::replay(variant, &report.scenario, &schedule, steps_max).faithful {
            return Err(FileError::corrupt(path, &report.variant).into());
        }
    }
    Ok(explain::render(&report, format))
}

/// `check`: the scenario at `path` under the variant called `name` on `config`'s schedules, as
/// its report: a failure's with its repro and `advise` command, an inconclusive one's with the
/// check again under a larger step bound (`preemptions`: as given, echoed under any
/// scheduler). A stateful search of a variant it cannot run is refused, with why. The stateful
/// search runs on `jobs` OS threads (`engine::check_jobs`).
pub fn check(
    variants: &Variants,
    path: &Path,
    name: &str,
    config: &CheckConfig,
    preemptions: Option<usize>,
    jobs: usize,
    suggest: Suggest<'_>,
) -> Result<Report, Error> {
    let scenario = os::read_scenario(path)?;
    let variant = variants.get(name)?;
    if config.strategy == Strategy::Stateful {
        if let Some(why) = engine::stateful_refusal(variant.as_ref()) {
            return Err(Error::Usage(why));
        }
    }
    let start = Instant::now();
    let result = engine::check_jobs(variant.clone(), &scenario, config, jobs);
    let elapsed_ms = start.elapsed().as_millis() as u64;
    let mut report = Report::from_check(name, &scenario, config, &result, elapsed_ms);
    let prog = suggest.prog;
    let again = rerun::check(prog, path, name, config, preemptions);
    if result.failed() {
        report.repro = Some(rerun::repro(prog, suggest.out, || again.clone()));
        report.set_advise_command(&format!("{prog} advise {}", shell(path)));
    }
    if let Some(inconclusive) = &mut report.inconclusive {
        inconclusive.hint = Some(rerun::raise_steps(&again, config.steps_max));
    }
    Ok(report)
}

/// A replay's report (with its repro, its `advise` command and the hint that settles an
/// inconclusive one) and its verdict in one line.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The report.
    pub report: Report,
    /// What the replay showed, in words.
    pub line: String,
}

/// `replay`: the report at `path` (as `os::read_report_to_replay` read it: the fields a replay
/// needs, the schedule) replayed under the variant called `name` (`None`: the report's own),
/// every continuation searched within `schedules` executions when it leaves the schedule.
/// Under its own variant a report whose schedule does not fit is corrupt.
pub fn replay(
    variants: &Variants,
    path: &Path,
    (input, schedule): &(ReplayInput, Schedule),
    name: Option<&str>,
    schedules: usize,
    prog: &str,
) -> Result<Replayed, Error> {
    let own = name.is_none_or(|v| v == input.variant);
    let variant = variants.get(name.unwrap_or(&input.variant))?;
    let start = Instant::now();
    let (scenario, steps_max) = (&input.scenario, input.steps_max);
    let expected = input.expected();
    let Replay {
        mut report,
        verdict,
        faithful,
    } = replay::replay(
        variant.clone(),
        scenario,
        schedule,
        steps_max,
        &expected,
        schedules,
    );
    if own && !faithful {
        return Err(FileError::corrupt(path, &input.variant).into());
    }
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    let lines = ReplayLines::new(prog, path, name, variant.name(), steps_max, schedules);
    // The report holds its scenario: `advise` reads it from there.
    report.set_advise_command(&format!("{prog} advise {}", shell(path)));
    if let Some(inconclusive) = &mut report.inconclusive {
        inconclusive.hint = Some(lines.hint(&verdict));
    }
    report.repro = Some(lines.again);
    let line = render::replay_line(&verdict, variant.name(), steps_max, &lines.check_instead);
    Ok(Replayed { report, line })
}

/// What a hunt came to.
#[derive(Clone, Debug)]
pub enum Hunted {
    /// Nothing found: a pass, or inconclusive when executions were cut off.
    Pass(Printed),
    /// The report of the most severe violation, shrunk (its `invariant`), with the hunt's
    /// summary, its repro and its `advise` command.
    Found {
        /// The report.
        report: Box<Report>,
        /// The invariant kept violated while shrinking.
        invariant: Invariant,
    },
}

/// `hunt`: `variant` hunted under `config`, `progress` called now and then.
pub fn hunt(
    variant: Arc<dyn Variant>,
    config: &HuntConfig,
    progress: &(dyn Fn(hunt::Progress) + Sync),
    suggest: Suggest<'_>,
) -> Hunted {
    let result = hunt::hunt(variant.clone(), config, progress);
    let (prog, name) = (suggest.prog, variant.name());
    // The hunt again, narrowed to one invariant (`None`: as it was), writing REPORT.json.
    let again = |invariant| rerun::hunt(prog, name, config, invariant);
    let repro = |invariant| rerun::repro(prog, None, || again(invariant));
    let summary = render::hunt::summary(config, &result, &repro);
    let Some(found) = &result.found else {
        let pass = HuntPassJson::of(name, config, summary);
        let text = format!("{}\n", render::hunt::not_found(&pass, config.target));
        return Hunted::Pass(Printed::new(&pass, text, pass.verdict.exit_code()));
    };
    let (scenario, check) = (&found.scenario, &found.check);
    let mut report = Report::from_check(name, scenario, &found.config, check, result.total_ms);
    report.hunt = Some(summary);
    report.repro = Some(rerun::repro(prog, suggest.out, || again(config.target)));
    let advise = rerun::of_report(prog, "advise", suggest.out, || again(config.target));
    report.set_advise_command(&advise);
    Hunted::Found {
        report: Box::new(report),
        invariant: found.invariant,
    }
}

/// What `exhaustive` came to: both forms of the result, and whether a counterexample was found
/// (with `out`, its report was written there; without one, a stale file there was removed).
#[derive(Clone, Debug)]
pub struct Exhausted {
    /// The result.
    pub printed: Printed,
    /// A scenario of the bound violated an invariant that counts.
    pub found: bool,
}

/// `exhaustive`: `variant` on every scenario of `config`'s bound, `progress` called after each;
/// the first counterexample's report (with its repro) written to `suggest.out`.
pub fn exhaustive(
    variant: Arc<dyn Variant>,
    config: &ExhaustiveConfig,
    progress: &(dyn Fn(exhaustive::Progress) + Sync),
    suggest: Suggest<'_>,
) -> Result<Exhausted, Error> {
    let (prog, out) = (suggest.prog, suggest.out);
    let result = exhaustive::exhaustive(variant.clone(), config, progress);
    let report = result.counterexample.as_ref().map(|found| {
        let mut report = Report::from_check(
            variant.name(),
            &found.scenario,
            &found.config,
            &found.check,
            result.elapsed_ms,
        );
        let again = || rerun::exhaustive(prog, variant.name(), config);
        report.repro = Some(rerun::repro(prog, out, again));
        report
    });
    match (out, &report) {
        (Some(path), Some(report)) => {
            os::write_file(path, report.to_json() + "\n").map_err(|e| e.lost(report.verdict))?
        }
        // `out` is the counterexample's report: with none, leave no stale report of an earlier
        // run that could be taken for this one's.
        (Some(path), None) => os::remove_stale(path)?,
        (None, _) => {}
    }
    let json = schema::ExhaustiveJson::of(variant.name(), config, &result, report.as_ref());
    let text = render::exhaustive::text(config, &result, report.as_ref());
    Ok(Exhausted {
        printed: Printed::new(&json, text, result.verdict().exit_code()),
        found: report.is_some(),
    })
}

/// A matrix in its three forms: `printed` (text and JSON, with the exit code: 1 when a cell
/// disagrees with its declaration, 3 when executions were cut off) and the README's Markdown
/// table.
#[derive(Clone, Debug)]
pub struct Matrixed {
    /// The text and the JSON.
    pub printed: Printed,
    /// The Markdown table.
    pub markdown: String,
}

/// `matrix`: the variants called `names` (all when empty) in every family of `config`,
/// `progress` called after every case (`prog` starts the command lines the text suggests).
pub fn matrix(
    variants: &Variants,
    names: &[String],
    config: &MatrixConfig,
    progress: &(dyn Fn(matrix::Progress) + Sync),
    prog: &str,
) -> Result<Matrixed, Error> {
    let selected = variants.select(names)?;
    let result = matrix::matrix(&selected, config, progress);
    let json = schema::MatrixJson::of(&result);
    let text = render::matrix::text(&result, prog);
    Ok(Matrixed {
        printed: Printed::new(&json, text, result.verdict().exit_code()),
        markdown: render::matrix::markdown(&result),
    })
}

/// `corpus add`: the scenario of `file` (a scenario, a report or a corpus entry) recorded in the
/// corpus folder `dir` with every variant's verdict, with `note` (default: the entry's own, else
/// where it was added from).
pub fn corpus_add(
    variants: &Variants,
    dir: &Path,
    file: &Path,
    note: Option<String>,
) -> Result<Printed, Error> {
    os::corpus_dir(dir)?;
    let (scenario, kept_note) = os::read_scenario_or_entry(file)?;
    let note = note
        .or(kept_note)
        .or_else(|| Some(format!("added from {}", file.display())));
    let entry = CorpusEntry::record(scenario, variants.all(), note);
    let (path, replaced) = os::write_entry(dir, &entry)?;
    let name = entry.file_name();
    let added = CorpusAddJson::new(path.display().to_string(), name, replaced, entry);
    Ok(Printed::new(&added, render::corpus::add(&added), 0))
}

/// `corpus check`: every entry of the corpus folder `dir` re-checked against its recorded
/// verdicts (`prog` starts the command lines the text suggests).
pub fn corpus_check(variants: &Variants, dir: &Path, prog: &str) -> Result<Printed, Error> {
    let entries = os::read_corpus(dir, variants.all())?;
    let checked = CorpusCheckJson::check(dir.display().to_string(), entries, variants.all());
    let text = render::corpus::check(&checked, prog);
    Ok(Printed::new(&checked, text, checked.verdict.exit_code()))
}

/// `stress`: the scenario at `path` under the variant called `name` on real threads and on the
/// controlled scheduler, `progress` called after each real run with the runs done and hung;
/// the report of the first failing run written to `files` before the result is returned.
pub fn stress(
    variants: &Variants,
    path: &Path,
    name: &str,
    config: &StressConfig,
    progress: &dyn Fn(usize, usize),
    files: &ReportFiles,
) -> Result<Printed, Error> {
    let scenario = os::read_scenario(path)?;
    let variant = variants.get(name)?;
    let result = stress::stress_with_progress(variant.clone(), &scenario, config, progress);
    let report = Report::from_stress(variant.name(), &scenario, &result);
    files.write(&report)?;
    let timeout_ms = config.timeout.as_millis() as u64;
    let run = render::stress::StressRun {
        variant: variant.name(),
        scenario: &path.display().to_string(),
        timeout_ms,
        seed: config.seed,
    };
    let json = schema::StressJson::of(variant.name(), &result, &report, timeout_ms, config.seed);
    let text = render::stress::text(&run, &result, &report);
    Ok(Printed::new(&json, text, result.verdict().exit_code()))
}

/// What `import-fuzz` made of an artifact: a report (the engine targets) or the parse summary
/// (`scenario_json`, already written to `out`), the corpus entry to add when asked for, and
/// the exit code (1 when the artifact still crashes).
#[derive(Clone, Debug)]
pub struct Imported {
    /// What to print.
    pub shown: Shown,
    /// The scenario recorded with every variant's verdict, when a corpus folder was given and
    /// the artifact holds a scenario.
    pub entry: Option<CorpusEntry>,
    /// 1 when it still crashes, 3 when the execution was cut off, else 0.
    pub exit_code: u8,
}

/// The result of an imported artifact.
#[derive(Clone, Debug)]
pub enum Shown {
    /// An engine target's execution, as a report like `check`'s.
    Report(Box<Report>),
    /// What `scenario_json`'s parsers made of the bytes.
    Parse(Printed),
}

/// `import-fuzz` (feature `arbitrary`): `artifact` re-run exactly as `target`'s fuzz target ran
/// it; a parse summary is also written to `suggest.out`; with `corpus`, its scenario recorded
/// as a corpus entry. A report carries its repro when it crashed or was written.
#[cfg(feature = "arbitrary")]
pub fn import_fuzz(
    variants: &Variants,
    artifact: &Path,
    target: Target,
    suggest: Suggest<'_>,
    corpus: bool,
) -> Result<Imported, Error> {
    let (prog, out) = (suggest.prog, suggest.out);
    let data = os::read_bytes(artifact)?;
    let (shown, scenario, note, verdict) = match target.variant() {
        Some(name) => {
            let execution = fuzz::run_bytes(variants.get(name)?, &data);
            let crashed = usize::from(execution.failed());
            let verdict = crate::verdict::Verdict::of(crashed, usize::from(execution.cut_off));
            let note = target.corpus_note(artifact, Some(&execution.invariants()));
            let mut report = execution.report();
            let again = || format!("{prog} import-fuzz {} --target {target}", shell(artifact));
            report.repro = (crashed > 0 || out.is_some()).then(|| rerun::repro(prog, out, again));
            let shown = Shown::Report(Box::new(report));
            (shown, Some(execution.scenario), note, verdict)
        }
        None => {
            let parsed = fuzz::parse(&data);
            let summary = schema::FuzzParseJson::of(&parsed);
            if let Some(path) = out {
                os::write_file(path, schema::to_json(&summary) + "\n")?;
            }
            let verdict = crate::verdict::Verdict::of(parsed.lost.len(), 0);
            let text = render::fuzz_parse(&summary);
            let shown = Shown::Parse(Printed::new(&summary, text, verdict.exit_code()));
            let note = target.corpus_note(artifact, None);
            (shown, parsed.scenario.ok(), note, verdict)
        }
    };
    // Named by the scenario's hash: an artifact imported twice is one entry.
    let entry = scenario
        .filter(|_| corpus)
        .map(|scenario| CorpusEntry::record(scenario, variants.all(), Some(note)));
    Ok(Imported {
        shown,
        entry,
        exit_code: verdict.exit_code(),
    })
}

/// `advise`: the scenario at `path` (or a report's) under the seed's build, each workaround and
/// each fix (`prog` starts the command lines the text suggests).
pub fn advise(
    variants: &Variants,
    path: &Path,
    config: &AdviseConfig,
    prog: &str,
) -> Result<Printed, Error> {
    let scenario = os::read_scenario(path)?;
    for remedy in Remedy::ALL {
        variants.get(remedy.variant())?;
    }
    let lookup = |name: &str| variants.get(name).expect("checked above");
    let result = advise::advise(&scenario, config, &lookup, &|_| {});
    let text = render::advise::text(&result, path, prog) + "\n";
    Ok(Printed::new(&result, text, result.verdict.exit_code()))
}
