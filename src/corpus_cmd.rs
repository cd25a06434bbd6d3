//! `mapihang corpus add` and `mapihang corpus check`.
//!
//! Both build a result value first and print it as text or, with `--format json`, as one JSON
//! object (schemas `mapihang.corpus-add/1` and `mapihang.corpus-check/1`, documented in
//! docs/report-schema.md).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use mapihang_core::command;
use mapihang_core::os::program;

use crate::common::{CliError, Format, Variants};
use crate::io::show;

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
    let note = args.note.clone();
    show(
        args.format,
        &command::corpus_add(variants, &args.dir, &args.file, note)?,
    )
}

fn corpus_check(variants: &Variants, args: &CorpusCheckArgs) -> Result<u8, CliError> {
    show(
        args.format,
        &command::corpus_check(variants, &args.dir, &program())?,
    )
}
