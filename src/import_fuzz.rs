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

use std::path::PathBuf;

use clap::Args;

use mapihang_core::command::{self, Shown, Suggest};
use mapihang_core::fuzz::{Target, UnknownTarget};
use mapihang_core::os::{self, outln, program, ReportFiles};

use crate::common::{CliError, Format, ReportArgs, Variants};
use crate::io::{emit, show};

#[derive(Args, Debug)]
pub(crate) struct ImportFuzzArgs {
    /// The crash artifact (fuzz/artifacts/<target>/crash-...).
    pub artifact: PathBuf,
    /// The fuzz target that wrote it: hunt_original, guard_fixed or scenario_json.
    #[arg(long)]
    pub target: String,
    #[command(flatten)]
    pub output: ReportArgs,
    /// Also add the scenario to this corpus folder (e.g. tests/corpus).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
}

/// Re-run the artifact as its fuzz target did; print the result, write its JSON to `--out`, and
/// add its scenario to the `--corpus` folder. Returns the exit code.
pub(crate) fn import_fuzz(variants: &Variants, args: &ImportFuzzArgs) -> Result<u8, CliError> {
    let (artifact, format) = (&args.artifact, args.output.format);
    let target: Target = args
        .target
        .parse()
        .map_err(|e: UnknownTarget| CliError::Usage(e.to_string()))?;
    let files = ReportFiles {
        out: args.output.out.clone(),
        explain: None,
    };
    files.check(&[artifact])?;
    if let Some(dir) = &args.corpus {
        os::corpus_dir(dir)?;
    }
    let (prog, out) = (program(), files.out.as_deref());
    let suggest = Suggest { prog: &prog, out };
    let corpus = args.corpus.is_some();
    let imported = command::import_fuzz(variants, artifact, target, suggest, corpus)?;
    match &imported.shown {
        Shown::Report(report) => emit(report, &files, format)?,
        Shown::Parse(summary) => {
            show(format, summary)?;
        }
    }
    if let (Some(dir), Some(entry)) = (&args.corpus, &imported.entry) {
        let (path, _) = os::write_entry(dir, entry)?;
        if format == Format::Text {
            outln(&format!("corpus entry: {}", path.display()))?;
        }
    }
    Ok(imported.exit_code)
}
