//! What the commands need from the operating system, under one contract: input files are read
//! through a size cap, stdout survives a reader that goes away, files are replaced atomically
//! (written beside the target, then renamed into place; a failed write leaves nothing behind),
//! and a suggested command line starts with the way this executable is run again. The one
//! module of core that touches the file system; the model never calls it.

use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::corpus::CorpusEntry;
use crate::engine::{Schedule, ScheduleError, STEPS_MAX_MAX};
use crate::explain::{self, ExplainFormat};
use crate::input::{self, InputError};
use crate::replay::ReplayInput;
use crate::report::Report;
use crate::scenario::{Scenario, ScenarioError};
use crate::text::shell;
use crate::variant::Variant;
use crate::verdict::Verdict;

/// The largest file mapihang reads (scenario, report, corpus entry, fuzz artifact). The largest
/// valid scenario (8 threads x 64 ops with long SIDs) is well under 1 MiB.
pub const READ_MAX: u64 = 16 << 20;
/// [`READ_MAX`] as people read it.
pub const READ_MAX_TEXT: &str = "16 MiB";

/// A file (or stdout) that cannot be read or written as a command needs, naming it.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// It cannot be opened or read.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, #[source] std::io::Error),
    /// It cannot be written or renamed into place.
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, #[source] std::io::Error),
    /// An output path refused before a run ([`check_output`]), and why.
    #[error("cannot write {0}: {1}")]
    Unwritable(PathBuf, String),
    /// Over [`READ_MAX`].
    #[error("{0}: larger than {READ_MAX_TEXT}, the most mapihang reads")]
    TooLarge(PathBuf),
    /// Not UTF-8, with the offset of the first bad byte.
    #[error("{0}: not UTF-8 text (bad byte at offset {1})")]
    NotText(PathBuf, usize),
    /// Not JSON (the parser's message).
    #[error("{0}: not JSON (is the file complete?): {1}")]
    NotJson(PathBuf, String),
    /// Stdout cannot be written (not a closed pipe: that ends output quietly).
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    /// A corpus entry that does not parse or does not fit the variants (why).
    #[error("corpus entry {0}: {1}")]
    Corpus(PathBuf, String),
    /// A scenario that does not parse or is not valid.
    #[error("{0}: {1}")]
    Scenario(PathBuf, #[source] ScenarioError),
    /// A report this version does not read (why).
    #[error("{0}: not a mapihang report: {1}")]
    Report(PathBuf, String),
    /// A report whose schedule does not parse.
    #[error("{0}: {1}")]
    Schedule(PathBuf, #[source] ScheduleError),
    /// A corpus folder that does not exist (a mistyped `--dir` is not a new empty corpus).
    #[error(
        "corpus folder {} does not exist (create it first: mkdir -p {})",
        .0.display(),
        shell(.0)
    )]
    NoCorpus(PathBuf),
    /// A corpus folder with no entries.
    #[error("no corpus entries (*.json) in {0}: an empty corpus checks nothing")]
    EmptyCorpus(PathBuf),
    /// A report to replay that has no schedule.
    #[error(
        "{0}: nothing to replay: the report has no schedule (a pass, or a run on real threads)"
    )]
    NothingToReplay(PathBuf),
    /// A result's files could not be written (the first error), so the verdict it held is lost.
    #[error(
        "{0}; nothing was written (the verdict was {1}: exit code 2 because the output is missing)"
    )]
    NotWritten(Box<FileError>, Verdict),
}

impl FileError {
    /// A report whose schedule its own `variant` does not follow to the end.
    pub fn corrupt(path: &Path, variant: &str) -> FileError {
        FileError::Report(
            path.to_path_buf(),
            format!(
                "corrupt: its schedule does not fit its scenario (under its own variant \
                 {variant} the execution leaves the recorded schedule)"
            ),
        )
    }

    /// `self`, which kept a result of `verdict` from being written.
    pub fn lost(self, verdict: Verdict) -> FileError {
        FileError::NotWritten(Box::new(self), verdict)
    }

    fn input(path: &Path, error: InputError) -> FileError {
        let path = path.to_path_buf();
        match error {
            InputError::NotJson(reason) => FileError::NotJson(path, reason),
            InputError::Report(reason) => FileError::Report(path, reason),
            InputError::Corpus(reason) => FileError::Corpus(path, reason),
            InputError::Scenario(source) => FileError::Scenario(path, source),
        }
    }
}

/// Read at most [`READ_MAX`] bytes of `path`; a larger (or endless) file is an error naming the
/// cap, and nothing past the cap is ever read into memory.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    let read_err = |source| FileError::Read(path.to_path_buf(), source);
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
        return Err(FileError::TooLarge(path.to_path_buf()));
    }
    Ok(data)
}

/// [`read_bytes`] as UTF-8 text, without a leading byte-order mark (Notepad writes one).
pub fn read_text(path: &Path) -> Result<String, FileError> {
    let data = read_bytes(path)?;
    let text = String::from_utf8(data)
        .map_err(|e| FileError::NotText(path.to_path_buf(), e.utf8_error().valid_up_to()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// A scenario file, or the scenario of a report ([`input::scenario`]).
pub fn read_scenario(path: &Path) -> Result<Scenario, FileError> {
    input::scenario(&read_text(path)?).map_err(|e| FileError::input(path, e))
}

/// A scenario file, a report's scenario, or a corpus entry's with its note.
pub fn read_scenario_or_entry(path: &Path) -> Result<(Scenario, Option<String>), FileError> {
    input::scenario_or_entry(&read_text(path)?).map_err(|e| FileError::input(path, e))
}

/// A corpus file, parsed and validated; errors say "corpus entry FILE".
pub fn read_entry(path: &Path) -> Result<CorpusEntry, FileError> {
    input::corpus_entry(&read_text(path)?).map_err(|e| FileError::input(path, e))
}

/// The corpus folder must exist: a mistyped `--dir` is an error, not a new empty corpus.
pub fn corpus_dir(dir: &Path) -> Result<(), FileError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(FileError::NoCorpus(dir.to_path_buf()))
    }
}

/// Every entry of the corpus folder `dir` (its `*.json` files, by name) with its path, each read
/// and matched against `variants` before any is checked, so that a bad one fails fast.
pub fn read_corpus(
    dir: &Path,
    variants: &[Arc<dyn Variant>],
) -> Result<Vec<(String, CorpusEntry)>, FileError> {
    corpus_dir(dir)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| FileError::Read(dir.to_path_buf(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(FileError::EmptyCorpus(dir.to_path_buf()));
    }
    let mut entries = Vec::with_capacity(files.len());
    for path in files {
        let entry = read_entry(&path)?;
        entry
            .check_variants(variants)
            .map_err(|reason| FileError::Corpus(path.clone(), reason))?;
        entries.push((path.display().to_string(), entry));
    }
    Ok(entries)
}

/// Write `entry` into the corpus folder `dir`, named by its scenario's hash (a scenario added
/// twice is one file); returns its path and whether it replaced an entry.
pub fn write_entry(dir: &Path, entry: &CorpusEntry) -> Result<(PathBuf, bool), FileError> {
    let path = dir.join(entry.file_name());
    let replaced = path.exists();
    write_file(&path, entry.to_json() + "\n")?;
    Ok((path, replaced))
}

/// A JSON report: capped, schema checked, then its fields as `T`.
pub fn read_report<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    input::report(&read_text(path)?).map_err(|reason| FileError::Report(path.to_path_buf(), reason))
}

/// A report to explain: its scenario valid and its schedule, if it has one, parsed.
pub fn read_report_to_explain(path: &Path) -> Result<(Report, Option<Schedule>), FileError> {
    let report: Report = read_report(path)?;
    validate(path, &report.scenario)?;
    let schedule = report
        .schedule
        .as_deref()
        .map(|text| parse_schedule(path, text))
        .transpose()?;
    Ok((report, schedule))
}

/// A report to replay: its scenario valid, a schedule, and a step bound from 1 to
/// [`STEPS_MAX_MAX`].
pub fn read_report_to_replay(path: &Path) -> Result<(ReplayInput, Schedule), FileError> {
    let input: ReplayInput = read_report(path)?;
    validate(path, &input.scenario)?;
    let text = input
        .schedule
        .as_deref()
        .ok_or_else(|| FileError::NothingToReplay(path.to_path_buf()))?;
    let schedule = parse_schedule(path, text)?;
    if input.steps_max == 0 || input.steps_max > STEPS_MAX_MAX {
        return Err(FileError::Report(
            path.to_path_buf(),
            format!(
                "steps_max {} is not from 1 to {STEPS_MAX_MAX}",
                input.steps_max
            ),
        ));
    }
    Ok((input, schedule))
}

fn validate(path: &Path, scenario: &Scenario) -> Result<(), FileError> {
    scenario
        .validate()
        .map_err(|source| FileError::Scenario(path.to_path_buf(), source))
}

fn parse_schedule(path: &Path, text: &str) -> Result<Schedule, FileError> {
    text.parse()
        .map_err(|source| FileError::Schedule(path.to_path_buf(), source))
}

/// Set once stdout's reader has gone away: everything after is dropped quietly, as `cat` does.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Write `text` to stdout. A closed pipe ends output quietly (the command still returns its
/// verdict's exit code); any other write error (a full disk) is an error.
pub fn out(text: &str) -> Result<(), FileError> {
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
        Err(source) => Err(FileError::Stdout(source)),
    }
}

/// [`out`] with a newline.
pub fn outln(text: &str) -> Result<(), FileError> {
    out(&format!("{text}\n"))
}

/// One line on stderr; never panics (a closed stderr loses it).
pub fn errln(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Files to write together: all of them land, or none does.
#[derive(Default)]
pub struct Writes {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Writes {
    /// Nothing to write yet.
    pub fn new() -> Writes {
        Writes::default()
    }

    /// Write `text` to `path` when committed.
    pub fn add(&mut self, path: &Path, text: String) {
        self.files.push((path.to_path_buf(), text.into_bytes()));
    }

    /// Write every file to a temporary file beside it, then rename each into place. Any error
    /// removes every temporary file and every file renamed so far that did not exist before, and
    /// is returned; a device or FIFO (`/dev/stdout`) is written directly.
    pub fn commit(self) -> Result<(), FileError> {
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
                return Err(FileError::Write(path, source));
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
                return Err(FileError::Write(path.clone(), source));
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
                .map_err(|source| FileError::Write(path, source))?;
        }
        Ok(())
    }
}

/// A report's files: its JSON (`--out`) and, beside it with the format's extension, a picture
/// (`--explain`). No `out`: no files.
#[derive(Clone, Debug, Default)]
pub struct ReportFiles {
    /// Where the JSON report goes.
    pub out: Option<PathBuf>,
    /// The picture written next to it.
    pub explain: Option<ExplainFormat>,
}

impl ReportFiles {
    /// The files, the report's first.
    pub fn paths(&self) -> Vec<PathBuf> {
        let Some(path) = &self.out else {
            return Vec::new();
        };
        let mut paths = vec![path.clone()];
        if let Some(format) = self.explain {
            paths.push(path.with_extension(format.extension()));
        }
        paths
    }

    /// Before a run: every file can be written and none is one of `inputs` ([`check_output`]).
    pub fn check(&self, inputs: &[&Path]) -> Result<(), FileError> {
        self.paths()
            .iter()
            .try_for_each(|path| check_output(path, inputs))
    }

    /// Write `report`'s JSON and its picture: both or neither. A failure says which verdict was
    /// lost ([`FileError::NotWritten`]).
    pub fn write(&self, report: &Report) -> Result<(), FileError> {
        let paths = self.paths();
        let Some(path) = paths.first() else {
            return Ok(());
        };
        let mut writes = Writes::new();
        writes.add(path, report.to_json() + "\n");
        if let (Some(format), Some(picture)) = (self.explain, paths.get(1)) {
            writes.add(picture, explain::render(report, format));
        }
        writes.commit().map_err(|e| e.lost(report.verdict))
    }
}

/// Remove `path` if it is a file (a stale output of an earlier run that could be taken for
/// this one's).
pub fn remove_stale(path: &Path) -> Result<(), FileError> {
    if path.is_file() {
        std::fs::remove_file(path).map_err(|e| FileError::Write(path.to_path_buf(), e))?;
    }
    Ok(())
}

/// Write one file atomically (see [`Writes::commit`]).
pub fn write_file(path: &Path, text: String) -> Result<(), FileError> {
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
pub fn check_output(path: &Path, inputs: &[&Path]) -> Result<(), FileError> {
    let bad = |reason: String| FileError::Unwritable(path.to_path_buf(), reason);
    if path.is_dir() {
        return Err(bad("it is a directory".into()));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(bad("its folder does not exist".into()));
    }
    for input in inputs {
        if same_file(path, input) {
            return Err(bad(format!(
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
pub fn program() -> String {
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
