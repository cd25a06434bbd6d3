//! Everything the CLI reads and writes, in one place, so that every command keeps the same
//! contract: input files are read through a size cap, stdout survives a reader that goes away,
//! a write error is one line and exit code 2, and files are replaced atomically (written beside
//! the target, then renamed into place; a failed write leaves nothing behind).

use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use mapihang_core::explain;
use mapihang_core::input::{self, InputError};
use mapihang_core::report::Report;
use mapihang_core::scenario::Scenario;

use crate::common::{CliError, Format, OutputArgs};

/// The largest file mapihang reads (scenario, report, corpus entry, fuzz artifact). The largest
/// valid scenario (8 threads x 64 ops with long SIDs) is well under 1 MiB.
pub(crate) const READ_MAX: u64 = 16 << 20;

/// Read at most [`READ_MAX`] bytes of `path`; a larger (or endless) file is an error naming the
/// cap, and nothing past the cap is ever read into memory.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    let read_err = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(read_err(std::io::Error::new(
            ErrorKind::InvalidInput,
            "is a directory",
        )));
    }
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut data = Vec::new();
    file.take(READ_MAX + 1)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if data.len() as u64 > READ_MAX {
        return Err(CliError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(data)
}

/// [`read_bytes`] as UTF-8 text, without a leading byte-order mark (Notepad writes one).
pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    let data = read_bytes(path)?;
    let text = String::from_utf8(data).map_err(|e| CliError::NotText {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// A scenario file, or the scenario of a report (`mapihang_core::input::scenario`).
pub(crate) fn read_scenario(path: &Path) -> Result<Scenario, CliError> {
    input::scenario(&read_text(path)?).map_err(|e| input_error(path, e))
}

/// A scenario file, a report's scenario, or a corpus entry's with its note.
pub(crate) fn read_scenario_or_entry(path: &Path) -> Result<(Scenario, Option<String>), CliError> {
    input::scenario_or_entry(&read_text(path)?).map_err(|e| input_error(path, e))
}

/// A JSON report: capped, schema checked, then its fields as `T`.
pub(crate) fn read_report<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CliError> {
    input::report(&read_text(path)?).map_err(|reason| CliError::Report {
        path: path.to_path_buf(),
        reason,
    })
}

/// What is wrong with the input at `path`, naming it.
pub(crate) fn input_error(path: &Path, error: InputError) -> CliError {
    let path = path.to_path_buf();
    match error {
        InputError::NotJson(reason) => CliError::NotJson { path, reason },
        InputError::Report(reason) => CliError::Report { path, reason },
        InputError::Corpus(reason) => CliError::Corpus { path, reason },
        InputError::Scenario(source) => CliError::Scenario { path, source },
    }
}

/// Set once stdout's reader has gone away: everything after is dropped quietly, as `cat` does.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Write `text` to stdout. A closed pipe ends output quietly (the command still returns its
/// verdict's exit code); any other write error (a full disk) is an error, exit code 2.
pub(crate) fn out(text: &str) -> Result<(), CliError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(source) => Err(CliError::Stdout { source }),
    }
}

/// [`out`] with a newline.
pub(crate) fn outln(text: &str) -> Result<(), CliError> {
    out(&format!("{text}\n"))
}

/// One line on stderr; never panics (a closed stderr loses it).
pub(crate) fn errln(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Files to write together: all of them land, or none does.
#[derive(Default)]
pub(crate) struct Writes {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Writes {
    pub(crate) fn new() -> Writes {
        Writes::default()
    }

    pub(crate) fn add(&mut self, path: &Path, text: String) {
        self.files.push((path.to_path_buf(), text.into_bytes()));
    }

    /// Write every file to a temporary file beside it, then rename each into place. Any error
    /// removes every temporary file and every file renamed so far that did not exist before, and
    /// is returned; a device or FIFO (`/dev/stdout`) is written directly.
    pub(crate) fn commit(self) -> Result<(), CliError> {
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut direct: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        let cleanup = |staged: &[(PathBuf, PathBuf)]| {
            for (temp, _) in staged {
                let _ = std::fs::remove_file(temp);
            }
        };
        for (path, data) in self.files {
            if is_special(&path) {
                direct.push((path, data));
                continue;
            }
            let temp = temp_beside(&path);
            if let Err(source) = write_synced(&temp, &data) {
                let _ = std::fs::remove_file(&temp);
                cleanup(&staged);
                return Err(CliError::Write { path, source });
            }
            staged.push((temp, path));
        }
        let mut placed: Vec<PathBuf> = Vec::new();
        for (index, (temp, path)) in staged.iter().enumerate() {
            let existed = path.exists();
            if let Err(source) = std::fs::rename(temp, path) {
                cleanup(&staged[index..]);
                for done in &placed {
                    let _ = std::fs::remove_file(done);
                }
                return Err(CliError::Write {
                    path: path.clone(),
                    source,
                });
            }
            if !existed {
                placed.push(path.clone());
            }
        }
        for (path, data) in direct {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| f.write_all(&data).and_then(|()| f.flush()))
                .map_err(|source| CliError::Write { path, source })?;
        }
        Ok(())
    }
}

/// Print `report` on stdout in `output.format`, after writing its JSON to `--out` if given.
pub(crate) fn emit(report: &Report, output: &OutputArgs) -> Result<(), CliError> {
    write_out(report, output)?;
    match output.format {
        Format::Text => out(&report.to_text()),
        Format::Json => outln(&report.to_json()),
    }
}

/// The files of `--out` and `--explain` (the picture next to it).
fn out_paths(output: &OutputArgs) -> Vec<PathBuf> {
    let Some(path) = &output.out else {
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
        check_output(&path, inputs)?;
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
    writes.commit().map_err(|source| CliError::NotWritten {
        source: Box::new(source),
        verdict: report.verdict,
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

/// Write one file atomically (see [`Writes::commit`]).
pub(crate) fn write_file(path: &Path, text: String) -> Result<(), CliError> {
    let mut writes = Writes::new();
    writes.add(path, text);
    writes.commit()
}

fn write_synced(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.mapihang-{}.tmp", std::process::id()))
}

/// An existing target that is neither a regular file nor a directory (a device, a FIFO).
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Check an output path before a long run: not a directory, its folder exists, and it is not
/// one of `inputs` (a command never overwrites what it reads).
pub(crate) fn check_output(path: &Path, inputs: &[&Path]) -> Result<(), CliError> {
    let bad = |reason: &str| CliError::Usage(format!("cannot write {}: {reason}", path.display()));
    if path.is_dir() {
        return Err(bad("it is a directory"));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(bad("its folder does not exist"));
    }
    for input in inputs {
        if same_file(path, input) {
            return Err(bad(&format!(
                "it is this command's input ({}); write elsewhere",
                input.display()
            )));
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// How a person runs this binary again: `mapihang` when that name on `PATH` is this very
/// executable (after `cargo install --path .`), `cargo run --release --` (or `cargo run --`) when
/// it is a cargo build under `target/`, else its path.
pub(crate) fn program() -> String {
    let Ok(exe) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "mapihang".into();
    };
    let name = exe
        .file_name()
        .map_or_else(|| "mapihang".into(), |n| n.to_string_lossy().into_owned());
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if std::fs::canonicalize(dir.join(&name)).is_ok_and(|found| found == exe) {
                return name;
            }
        }
    }
    let profile = exe
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let in_target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .is_some_and(|n| n == "target");
    match profile.as_deref() {
        Some("release") if in_target => "cargo run --release --".into(),
        Some("debug") if in_target => "cargo run --".into(),
        _ => exe.display().to_string(),
    }
}
