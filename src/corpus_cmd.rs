//! `mapihang corpus add` and `mapihang corpus check`.
//!
//! Both build a result value first and print it as text or, with `--format json`, as one JSON
//! object (schemas `mapihang.corpus-add/1` and `mapihang.corpus-check/1`, documented in
//! docs/report-schema.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use mapihang_core::corpus::{CorpusEntry, Mismatch};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::Scenario;

use crate::cli::{CorpusAddArgs, CorpusArgs, CorpusCheckArgs, CorpusCommand, Format};
use crate::commands::{load_scenario, shell, CliError, Variants};
use crate::io::{self, out, outln, program};

/// The `schema` field of `corpus add --format json`.
const ADD_SCHEMA: &str = "mapihang.corpus-add/1";
/// The `schema` field of `corpus check --format json`.
const CHECK_SCHEMA: &str = "mapihang.corpus-check/1";

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

/// What `corpus add` did: the file it wrote and the entry in it.
#[derive(Serialize)]
struct CorpusAdd {
    schema: &'static str,
    /// The corpus file written (the corpus folder joined with `file`).
    path: String,
    /// Its name: the scenario's hash.
    file: String,
    /// A file of that name (the same scenario) was there already and was overwritten.
    replaced: bool,
    /// The entry as written to the file.
    entry: CorpusEntry,
}

impl CorpusAdd {
    fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.path);
        for (variant, invariants) in &self.entry.expect {
            let verdict = if invariants.is_empty() {
                "keeps every invariant".to_string()
            } else {
                names(invariants)
            };
            let _ = writeln!(out, "  {variant:<22} {verdict}");
        }
        out
    }
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
    let added = CorpusAdd {
        schema: ADD_SCHEMA,
        path: path.display().to_string(),
        file,
        replaced,
        entry,
    };
    print(args.format, &added, CorpusAdd::to_text)?;
    Ok(0)
}

/// What `corpus check` found: every corpus file, re-checked.
#[derive(Serialize)]
struct CorpusCheck {
    schema: &'static str,
    /// The corpus folder.
    dir: String,
    /// `pass` when every entry keeps its recorded verdicts, else `mismatch`.
    verdict: &'static str,
    /// Corpus files checked.
    files: usize,
    /// Mismatching (entry, variant) pairs over all files.
    mismatches: usize,
    /// One per file, in file-name order.
    entries: Vec<CheckedEntry>,
}

/// One corpus file, re-checked.
#[derive(Serialize)]
struct CheckedEntry {
    /// The file's name.
    file: String,
    /// The corpus folder joined with `file`.
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    schedules: usize,
    seed: u64,
    /// Variant verdicts the entry records (each re-checked).
    variants: usize,
    /// `pass` or `mismatch`.
    verdict: &'static str,
    /// The variants whose verdict moved (empty on a pass).
    mismatches: Vec<Mismatch>,
    /// Built-in variants the entry records no verdict for (a variant added since): each is a
    /// mismatch until the entry is re-recorded.
    missing: Vec<String>,
}

impl CorpusCheck {
    fn to_text(&self) -> String {
        let mut out = String::new();
        let prog = program();
        for entry in &self.entries {
            if !entry.missing.is_empty() {
                let _ = writeln!(
                    out,
                    "{}: no recorded verdict for {} (re-record it: {prog} corpus add {} --dir {})",
                    entry.path,
                    entry.missing.join(", "),
                    shell(Path::new(&entry.path)),
                    shell(Path::new(&self.dir)),
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
        let _ = writeln!(
            out,
            "{} corpus file(s), {} mismatch(es)",
            self.files, self.mismatches
        );
        out
    }
}

fn verdict(mismatches: usize) -> &'static str {
    if mismatches == 0 {
        "pass"
    } else {
        "mismatch"
    }
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
        let mismatches = entry.verify(variants.all());
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
            verdict: verdict(mismatches.len() + missing.len()),
            mismatches,
            missing,
        });
    }
    let bad: usize = entries
        .iter()
        .map(|e| e.mismatches.len() + e.missing.len())
        .sum();
    let checked = CorpusCheck {
        schema: CHECK_SCHEMA,
        dir: args.dir.display().to_string(),
        verdict: verdict(bad),
        files: entries.len(),
        mismatches: bad,
        entries,
    };
    print(args.format, &checked, CorpusCheck::to_text)?;
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

fn names(invariants: &[Invariant]) -> String {
    invariants
        .iter()
        .map(|i| i.name())
        .collect::<Vec<_>>()
        .join(", ")
}
