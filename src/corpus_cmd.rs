//! `mapihang corpus add` and `mapihang corpus check`.
//!
//! Both build a result value first and print it as text or, with `--format json`, as one JSON
//! object (schemas `mapihang.corpus-add/1` and `mapihang.corpus-check/1`, documented in
//! docs/report-schema.md).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::os::{self, program};
use mapihang_core::render::corpus as render;
use mapihang_core::schema::{CorpusAddJson, CorpusCheckJson};

use crate::common::{CliError, Format, Variants};
use crate::io::print;

#[derive(Args, Debug)]
pub(crate) struct CorpusArgs {
    #[command(subcommand)]
    pub command: CorpusCommand,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CorpusCommand {
    /// Record a scenario (a report from `check`/`hunt --out`, or a scenario file) with every
    /// variant's current verdict.
    Add(CorpusAddArgs),
    /// Re-check every corpus file against its recorded verdicts.
    Check(CorpusCheckArgs),
}

#[derive(Args, Debug)]
pub(crate) struct CorpusAddArgs {
    /// A JSON report or a scenario.
    pub file: PathBuf,
    /// The corpus folder.
    #[arg(long, default_value = "tests/corpus")]
    pub dir: PathBuf,
    /// Where the scenario came from.
    #[arg(long)]
    pub note: Option<String>,
    /// Output format on stdout (json: schema `mapihang.corpus-add/1`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub(crate) struct CorpusCheckArgs {
    /// The corpus folder.
    #[arg(long, default_value = "tests/corpus")]
    pub dir: PathBuf,
    /// Output format on stdout (json: schema `mapihang.corpus-check/1`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub(crate) fn corpus(variants: &Variants, args: &CorpusArgs) -> Result<u8, CliError> {
    match &args.command {
        CorpusCommand::Add(add) => corpus_add(variants, add),
        CorpusCommand::Check(check) => corpus_check(variants, check),
    }
}

fn corpus_add(variants: &Variants, args: &CorpusAddArgs) -> Result<u8, CliError> {
    os::corpus_dir(&args.dir)?;
    let (scenario, kept_note) = os::read_scenario_or_entry(&args.file)?;
    let note = args
        .note
        .clone()
        .or(kept_note)
        .or_else(|| Some(format!("added from {}", args.file.display())));
    let entry = CorpusEntry::record(scenario, variants.all(), note);
    let (path, replaced) = os::write_entry(&args.dir, &entry)?;
    let file = entry.file_name();
    let added = CorpusAddJson::new(path.display().to_string(), file, replaced, entry);
    print(args.format, &added, &render::add(&added))?;
    Ok(0)
}

fn corpus_check(variants: &Variants, args: &CorpusCheckArgs) -> Result<u8, CliError> {
    let entries = os::read_corpus(&args.dir, variants.all())?;
    let checked = CorpusCheckJson::check(args.dir.display().to_string(), entries, variants.all());
    print(args.format, &checked, &render::check(&checked, &program()))?;
    Ok(checked.verdict.exit_code())
}
