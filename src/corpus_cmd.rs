//! `mapihang corpus add` and `mapihang corpus check`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::scenario::Scenario;

use crate::cli::{CorpusAddArgs, CorpusArgs, CorpusCheckArgs, CorpusCommand};
use crate::commands::{load_scenario, write, CliError, Variants};

pub(crate) fn corpus(variants: &Variants, args: &CorpusArgs) -> Result<u8, CliError> {
    match &args.command {
        CorpusCommand::Add(add) => corpus_add(variants, add),
        CorpusCommand::Check(check) => corpus_check(variants, check),
    }
}

/// The scenario of a report (`check`/`hunt --out`) or of a plain scenario file.
#[derive(Deserialize)]
struct WithScenario {
    scenario: Scenario,
}

fn scenario_of(path: &Path) -> Result<Scenario, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    match serde_json::from_str::<WithScenario>(&text) {
        Ok(report) => {
            report
                .scenario
                .validate()
                .map_err(|source| CliError::Scenario {
                    path: path.to_path_buf(),
                    source,
                })?;
            Ok(report.scenario)
        }
        Err(_) => load_scenario(path),
    }
}

fn corpus_add(variants: &Variants, args: &CorpusAddArgs) -> Result<u8, CliError> {
    let scenario = scenario_of(&args.file)?;
    let note = args
        .note
        .clone()
        .or_else(|| Some(format!("added from {}", args.file.display())));
    let entry = CorpusEntry::record(scenario, variants.all(), note);
    std::fs::create_dir_all(&args.dir).map_err(|source| CliError::Write {
        path: args.dir.clone(),
        source,
    })?;
    let path = args.dir.join(entry.file_name());
    write(&path, &(entry.to_json() + "\n"))?;
    println!("{}", path.display());
    for (variant, invariants) in &entry.expect {
        let verdict = if invariants.is_empty() {
            "keeps every invariant".to_string()
        } else {
            invariants
                .iter()
                .map(|i| i.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("  {variant:<22} {verdict}");
    }
    Ok(0)
}

fn corpus_check(variants: &Variants, args: &CorpusCheckArgs) -> Result<u8, CliError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .map_err(|source| CliError::Read {
            path: args.dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut bad = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        let entry = CorpusEntry::from_json(&text).map_err(|source| CliError::Scenario {
            path: path.clone(),
            source,
        })?;
        for mismatch in entry.verify(variants.all()) {
            bad += 1;
            println!(
                "{}: {} expected [{}], observed [{}]",
                path.display(),
                mismatch.variant,
                names(&mismatch.expected),
                names(&mismatch.observed)
            );
        }
    }
    println!("{} corpus file(s), {bad} mismatch(es)", files.len());
    Ok(u8::from(bad > 0))
}

fn names(invariants: &[mapihang_core::monitor::Invariant]) -> String {
    invariants
        .iter()
        .map(|i| i.name())
        .collect::<Vec<_>>()
        .join(", ")
}
