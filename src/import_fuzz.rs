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

use mapihang_core::corpus::CorpusEntry;
use mapihang_core::fuzz::{self, Target};
use mapihang_core::os::{self, outln, program};
use mapihang_core::render;
use mapihang_core::schema::{self, FuzzParseJson};
use mapihang_core::text::shell;
use mapihang_core::verdict::Verdict;

use crate::common::{repro, CliError, Format, OutputArgs, ReportArgs, Variants};
use crate::io::{check_outputs, emit, print};

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
    let out = args.output.out.as_deref();
    let target: Target = args
        .target
        .parse()
        .map_err(|e: fuzz::UnknownTarget| CliError::Usage(e.to_string()))?;
    let output = OutputArgs {
        report: args.output.clone(),
        explain: None,
    };
    check_outputs(&output, &[artifact])?;
    if let Some(dir) = &args.corpus {
        os::corpus_dir(dir)?;
    }
    let data = os::read_bytes(artifact)?;
    let prog = program();
    let mut unjudged = false;
    let (crashed, scenario, note) = match target.variant() {
        Some(name) => {
            let execution = fuzz::run_bytes(variants.get(name)?, &data);
            let mut report = execution.report();
            let crashed = execution.failed();
            unjudged = execution.cut_off;
            let rerun = || format!("{prog} import-fuzz {} --target {target}", shell(artifact));
            report.repro = (crashed || out.is_some()).then(|| repro(&prog, out, rerun));
            emit(&report, &output)?;
            let note = target.corpus_note(artifact, Some(&execution.invariants()));
            (crashed, Some(execution.scenario), note)
        }
        None => {
            let parsed = fuzz::parse(&data);
            let summary = FuzzParseJson::of(&parsed);
            if let Some(path) = out {
                os::write_file(path, schema::to_json(&summary) + "\n")?;
            }
            print(format, &summary, &render::fuzz_parse(&summary))?;
            let note = target.corpus_note(artifact, None);
            (!parsed.lost.is_empty(), parsed.scenario.ok(), note)
        }
    };
    if let (Some(dir), Some(scenario)) = (&args.corpus, scenario) {
        // Named by the scenario's hash: an artifact imported twice is one entry.
        let entry = CorpusEntry::record(scenario, variants.all(), Some(note));
        let (path, _) = os::write_entry(dir, &entry)?;
        if format == Format::Text {
            outln(&format!("corpus entry: {}", path.display()))?;
        }
    }
    Ok(Verdict::of(usize::from(crashed), usize::from(unjudged)).exit_code())
}
