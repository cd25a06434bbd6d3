//! `mapihang corpus add` and `mapihang corpus check`.
//!
//! Both build a result value first and print it as text or, with `--format json`, as one JSON
//! object (schemas `mapihang.corpus-add/1` and `mapihang.corpus-check/1`, documented in
//! docs/report-schema.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::monitor::names;
use mapihang_core::scenario::Scenario;
use mapihang_core::schema::{Agreement, CheckedEntry, CorpusAddJson, CorpusCheckJson};

use crate::cli::{CorpusAddArgs, CorpusArgs, CorpusCheckArgs, CorpusCommand, Format};
use crate::commands::{load_scenario, shell, CliError, Variants};
use crate::io::{self, out, outln, program};

pub(crate) fn corpus(variants: &Variants, args: &CorpusArgs) -> Result<u8, CliError> {
    match &args.command {
        CorpusCommand::Add(add) => corpus_add(variants, add),
        CorpusCommand::Check(check) => corpus_check(variants, check),
    }
}

/// The scenario of a report (`check`/`hunt --out`), of a corpus entry (to re-record it, keeping
/// its note), or of a plain scenario file.
fn scenario_of(path: &Path) -> Result<(Scenario, Option<String>), CliError> {
    let text = io::read_text(path)?;
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str(&text) {
        if object.contains_key("expect") && !object.contains_key("schema") {
            let entry = read_entry_text(path, &text)?;
            return Ok((entry.scenario, entry.note));
        }
    }
    Ok((load_scenario(path)?, None))
}

/// A corpus file, parsed and validated; errors say "corpus entry FILE".
fn read_entry_text(path: &Path, text: &str) -> Result<CorpusEntry, CliError> {
    CorpusEntry::from_json(text).map_err(|source| CliError::Corpus {
        path: path.to_path_buf(),
        reason: source.to_string(),
    })
}

/// The corpus folder must exist: a mistyped `--dir` is an error, not a new empty corpus.
fn corpus_dir(dir: &Path) -> Result<(), CliError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "corpus folder {} does not exist (create it first: mkdir -p {})",
            dir.display(),
            shell(dir)
        )))
    }
}

/// `corpus add` in words: the file written and each variant's recorded verdict.
fn add_text(added: &CorpusAddJson) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", added.path);
    for (variant, invariants) in &added.entry.expect {
        let verdict = if invariants.is_empty() {
            "keeps every invariant".to_string()
        } else {
            names(invariants)
        };
        let _ = writeln!(out, "  {variant:<22} {verdict}");
    }
    out
}

fn corpus_add(variants: &Variants, args: &CorpusAddArgs) -> Result<u8, CliError> {
    corpus_dir(&args.dir)?;
    let (scenario, kept_note) = scenario_of(&args.file)?;
    let note = args
        .note
        .clone()
        .or(kept_note)
        .or_else(|| Some(format!("added from {}", args.file.display())));
    let entry = CorpusEntry::record(scenario, variants.all(), note);
    let file = entry.file_name();
    let path = args.dir.join(&file);
    let replaced = path.exists();
    io::write_file(&path, entry.to_json() + "\n")?;
    let added = CorpusAddJson::new(path.display().to_string(), file, replaced, entry);
    print(args.format, &added, add_text)?;
    Ok(0)
}

/// `corpus check` in words: each mismatch and missing verdict, then the totals.
fn check_text(checked: &CorpusCheckJson) -> String {
    let mut out = String::new();
    let prog = program();
    for entry in &checked.entries {
        if !entry.missing.is_empty() {
            let _ = writeln!(
                out,
                "{}: no recorded verdict for {} (re-record it: {prog} corpus add {} --dir {})",
                entry.path,
                entry.missing.join(", "),
                shell(Path::new(&entry.path)),
                shell(Path::new(&checked.dir)),
            );
        }
        for mismatch in &entry.mismatches {
            let _ = writeln!(
                out,
                "{}: {} expected [{}], observed [{}]",
                entry.path,
                mismatch.variant,
                names(&mismatch.expected),
                names(&mismatch.observed)
            );
        }
    }
    let complete: usize = checked.entries.iter().map(|e| e.complete.len()).sum();
    let verdicts: usize = checked.entries.iter().map(|e| e.variants).sum();
    let _ = writeln!(
        out,
        "{} corpus file(s), {} mismatch(es); {complete} of {verdicts} verdicts by the complete \
         search, the rest by random schedules",
        checked.files, checked.mismatches
    );
    out
}

fn corpus_check(variants: &Variants, args: &CorpusCheckArgs) -> Result<u8, CliError> {
    corpus_dir(&args.dir)?;
    let builtin = mapihang_core::variant::builtin();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .map_err(|source| CliError::Read {
            path: args.dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::Usage(format!(
            "no corpus entries (*.json) in {}: an empty corpus checks nothing",
            args.dir.display()
        )));
    }
    // Every file is read and validated before any is checked: a bad one fails fast.
    let mut parsed = Vec::with_capacity(files.len());
    for path in &files {
        let entry = read_entry_text(path, &io::read_text(path)?)?;
        let unknown = entry.unknown_variants(variants.all());
        if !unknown.is_empty() {
            return Err(CliError::Corpus {
                path: path.clone(),
                reason: format!(
                    "unknown variant(s) {} (known: {})",
                    unknown.join(", "),
                    variants
                        .all()
                        .iter()
                        .map(|v| v.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        parsed.push(entry);
    }
    let mut entries = Vec::with_capacity(files.len());
    for (path, entry) in files.iter().zip(parsed) {
        let verification = entry.verify(variants.all());
        let mismatches = verification.mismatches;
        let missing = entry.missing_variants(&builtin);
        entries.push(CheckedEntry {
            file: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            path: path.display().to_string(),
            note: entry.note,
            schedules: entry.schedules,
            seed: entry.seed,
            variants: entry.expect.len(),
            verdict: Agreement::of(mismatches.len() + missing.len()),
            mismatches,
            missing,
            complete: verification.complete,
        });
    }
    let checked = CorpusCheckJson::new(args.dir.display().to_string(), entries);
    let bad = checked.mismatches;
    print(args.format, &checked, check_text)?;
    Ok(u8::from(bad > 0))
}

/// Print `value` as text or as one JSON object.
fn print<T: Serialize>(
    format: Format,
    value: &T,
    text: impl Fn(&T) -> String,
) -> Result<(), CliError> {
    match format {
        Format::Text => out(&text(value)),
        Format::Json => {
            outln(&serde_json::to_string_pretty(value).expect("a corpus result serialises"))
        }
    }
}
