//! Printing a result and writing its files, through `mapihang_core::os` (the size-capped reads,
//! the stdout that survives a closed pipe, the atomic writes): a report on stdout with its
//! `--out` and `--explain` files, a result as text or JSON, the progress bar.

use std::path::{Path, PathBuf};

use serde::Serialize;

use mapihang_core::explain;
use mapihang_core::os::{self, out, outln, Writes};
use mapihang_core::report::Report;
use mapihang_core::schema;

use crate::common::{CliError, Format, OutputArgs};

/// Print `report` on stdout in `output`'s format, after writing its JSON to `--out` if given.
pub(crate) fn emit(report: &Report, output: &OutputArgs) -> Result<(), CliError> {
    write_out(report, output)?;
    match output.report.format {
        Format::Text => out(&report.to_text()),
        Format::Json => outln(&report.to_json()),
    }
    .map_err(CliError::from)
}

/// Print `value` as `text` or as one JSON object.
pub(crate) fn print<T: Serialize>(format: Format, value: &T, text: &str) -> Result<(), CliError> {
    match format {
        Format::Text => out(text),
        Format::Json => outln(&schema::to_json(value)),
    }
    .map_err(CliError::from)
}

/// The files of `--out` and `--explain` (the picture next to it).
fn out_paths(output: &OutputArgs) -> Vec<PathBuf> {
    let Some(path) = &output.report.out else {
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
        os::check_output(&path, inputs)?;
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
    writes.commit().map_err(|source| lost(source, report))
}

/// A report that could not be written, with the verdict it held.
pub(crate) fn lost(source: os::FileError, report: &Report) -> CliError {
    CliError::NotWritten {
        source,
        verdict: report.verdict,
    }
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
