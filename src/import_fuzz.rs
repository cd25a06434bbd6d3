//! `mapihang import-fuzz ARTIFACT --target T [--format] [--out REPORT.json] [--corpus DIR]`:
//! a cargo-fuzz crash artifact (or any fuzz input) re-run exactly as the fuzz target ran it, and
//! turned into what the rest of mapihang reads.
//!
//! For the engine targets (`hunt_original`, `guard_fixed`) that is a report like `check`'s: the
//! decoded scenario, the violations, and the recorded schedule, so `mapihang replay REPORT.json`
//! re-runs it (and `--variant` tries another variant on the same schedule). For `scenario_json`
//! it is what each parser made of the bytes and the round trips that lost something. `--corpus`
//! adds the scenario to a regression corpus directory, with the invariants every variant
//! violates on it now. Exit code 1 when the artifact still reproduces a crash, 0 when it does not.

use std::path::Path;

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::fuzz::{self, Target};
use mapihang_core::scenario::Scenario;
use mapihang_core::schema::FuzzParseJson;

use crate::cli::{Format, OutputArgs};
use crate::commands::{check_outputs, emit, shell, CliError, Variants};
use crate::io::{self, outln, program};

/// Re-run `artifact` as fuzz target `target` did; print the result as `format`, write its JSON to
/// `out`, and add its scenario to the corpus directory `corpus`. Returns the exit code.
pub(crate) fn import_fuzz(
    variants: &Variants,
    artifact: &Path,
    target: &str,
    format: Format,
    out: Option<&Path>,
    corpus: Option<&Path>,
) -> Result<u8, CliError> {
    let target: Target = target
        .parse()
        .map_err(|e: fuzz::UnknownTarget| CliError::Usage(e.to_string()))?;
    let output = OutputArgs {
        format,
        out: out.map(Path::to_path_buf),
        explain: None,
    };
    check_outputs(&output, &[artifact])?;
    if let Some(dir) = corpus {
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "corpus folder {} does not exist (create it first: mkdir -p {})",
                dir.display(),
                shell(dir)
            )));
        }
    }
    let data = io::read_bytes(artifact)?;
    let prog = program();
    let mut unjudged = false;
    let (crashed, scenario, note) = match target.variant() {
        Some(name) => {
            let execution = fuzz::run_bytes(variants.get(name)?, &data);
            let mut report = execution.report();
            let crashed = execution.failed();
            unjudged = execution.cut_off;
            report.repro = match out {
                Some(path) => Some(format!("{prog} replay {}", shell(path))),
                None if crashed => Some(format!(
                    "{prog} import-fuzz {} --target {target} --out REPORT.json && {prog} replay REPORT.json",
                    shell(artifact)
                )),
                None => None,
            };
            emit(&report, &output)?;
            let found: Vec<&str> = execution.invariants().iter().map(|i| i.name()).collect();
            let note = format!(
                "fuzz {target} artifact {}: {}",
                file_name(artifact),
                if found.is_empty() {
                    "no violation".to_string()
                } else {
                    found.join(", ")
                }
            );
            (crashed, Some(execution.scenario), note)
        }
        None => {
            let parsed = fuzz::parse(&data);
            let summary = FuzzParseJson::of(&parsed);
            let json = serde_json::to_string_pretty(&summary).expect("a summary serialises");
            if let Some(path) = out {
                io::write_file(path, json.clone() + "\n")?;
            }
            match format {
                Format::Text => io::out(&parse_text(&summary))?,
                Format::Json => outln(&json)?,
            }
            let note = format!("fuzz {target} artifact {}", file_name(artifact));
            (!parsed.lost.is_empty(), parsed.scenario.ok(), note)
        }
    };
    if let (Some(dir), Some(scenario)) = (corpus, scenario) {
        let path = add_to_corpus(variants, dir, scenario, note)?;
        if format == Format::Text {
            outln(&format!("corpus entry: {}", path.display()))?;
        }
    }
    Ok(
        mapihang_core::verdict::Verdict::of(usize::from(crashed), usize::from(unjudged))
            .exit_code(),
    )
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// Write `scenario` into `dir` as a corpus entry (named by its hash, so a scenario imported twice
/// is one file) with what every variant does on it now; returns the file's path.
fn add_to_corpus(
    variants: &Variants,
    dir: &Path,
    scenario: Scenario,
    note: String,
) -> Result<std::path::PathBuf, CliError> {
    let entry = CorpusEntry::record(scenario, variants.all(), Some(note));
    let path = dir.join(entry.file_name());
    io::write_file(&path, entry.to_json() + "\n")?;
    Ok(path)
}

/// What `scenario_json` made of an artifact, in words.
fn parse_text(summary: &FuzzParseJson) -> String {
    let mut out = String::new();
    if summary.lost.is_empty() {
        out.push_str("PASS: scenario_json: every parser returned, no round trip lost\n");
    } else {
        out.push_str("CRASH: scenario_json: a round trip lost something\n");
    }
    out.push_str(&format!("  scenario: {}\n", summary.scenario));
    out.push_str(&format!("  schedule: {}\n", summary.schedule));
    out.push_str(&format!("  report:   {}\n", summary.report));
    for lost in &summary.lost {
        out.push_str(&format!("  lost:     {lost}\n"));
    }
    out
}
