//! Printing a result, through `mapihang_core::os` (the stdout that survives a closed pipe, the
//! atomic writes): a report on stdout after its `--out` and `--explain` files, a result as text
//! or JSON, the progress bar.

use mapihang_core::command::Printed;
use mapihang_core::os::{out, outln, ReportFiles};
use mapihang_core::report::Report;

use crate::common::{CliError, Format};

/// Print `report` on stdout in `format`, after writing its files.
pub(crate) fn emit(report: &Report, files: &ReportFiles, format: Format) -> Result<(), CliError> {
    files.write(report)?;
    match format {
        Format::Text => out(&report.to_text()),
        Format::Json => outln(&report.to_json()),
    }
    .map_err(CliError::from)
}

/// Print `printed` as its text or as its JSON object; returns its exit code.
pub(crate) fn show(format: Format, printed: &Printed) -> Result<u8, CliError> {
    match format {
        Format::Text => out(&printed.text),
        Format::Json => outln(&printed.json),
    }?;
    Ok(printed.exit_code)
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
