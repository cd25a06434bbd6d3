//! The JSON objects the commands print besides `mapihang.report/1` ([`crate::report`]): matrix,
//! stress, exhaustive, fuzz-parse, corpus-add and corpus-check, one versioned schema each (`schema` field), documented field by field in
//! `docs/report-schema.md`. Core owns them; the CLI builds one from a command's result and
//! prints [`to_json`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::corpus::{CorpusEntry, Mismatch};
use crate::exhaustive::{Bound, ExhaustiveConfig, ExhaustiveResult, Reduction};
use crate::family::Family;
use crate::fuzz::{Parsed, Target};
use crate::hunt::HuntConfig;
use crate::matrix::Matrix;
use crate::monitor::Invariant;
use crate::report::{HuntSummary, Inconclusive, InconclusiveReason, Report, ViolationReport};
use crate::scenario::Scenario;
use crate::stress::{StressResult, Tally};
use crate::variant::{Expectation, Variant};
use crate::verdict::Verdict;

/// The `schema` of `matrix --format json`.
pub const MATRIX: &str = "mapihang.matrix/1";
/// The `schema` of `stress --format json`.
pub const STRESS: &str = "mapihang.stress/1";
/// The `schema` of `exhaustive --format json`.
pub const EXHAUSTIVE: &str = "mapihang.exhaustive/1";

/// `value` as pretty JSON.
pub fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plain data serialises")
}

/// One variant as `mapihang variants --format json` lists it (a JSON list of these, without a
/// `schema` field).
#[derive(Serialize)]
pub struct VariantInfo<'a> {
    /// The variant's name.
    pub name: &'a str,
    /// Its paragraph.
    pub description: &'a str,
    /// What it is expected to violate, per family.
    pub expected: BTreeMap<&'static str, Expectation>,
}

/// Every variant with its description and its expectation per family.
pub fn variant_infos<'a>(
    variants: impl IntoIterator<Item = &'a dyn Variant>,
) -> Vec<VariantInfo<'a>> {
    variants
        .into_iter()
        .map(|v| VariantInfo {
            name: v.name(),
            description: v.description(),
            expected: Family::ALL
                .iter()
                .map(|&f| (f.name(), v.expected(f)))
                .collect(),
        })
        .collect()
}

/// `mapihang.matrix/1`: the fix-guard matrix and whether it matched every expectation.
#[derive(Serialize)]
pub struct MatrixJson<'a> {
    schema: &'static str,
    /// `pass` (every cell as declared) or `mismatch`.
    verdict: Agreement,
    mismatches: usize,
    #[serde(flatten)]
    matrix: &'a Matrix,
}

impl<'a> MatrixJson<'a> {
    /// The JSON of `matrix`.
    pub fn of(matrix: &'a Matrix) -> MatrixJson<'a> {
        let mismatches = matrix.mismatches().count();
        MatrixJson {
            schema: MATRIX,
            verdict: Agreement::of(mismatches),
            mismatches,
            matrix,
        }
    }
}

/// `mapihang.stress/1`: the real-thread runs beside the controlled scheduler's.
#[derive(Serialize)]
pub struct StressJson<'a> {
    schema: &'static str,
    variant: &'a str,
    /// `pass`, `violation` or `inconclusive` (of the real-thread executions).
    verdict: Verdict,
    /// Why it is inconclusive (only then).
    #[serde(skip_serializing_if = "Option::is_none")]
    inconclusive: Option<&'a Inconclusive>,
    timeout_ms: u64,
    real_threads: TallyJson<'a>,
    watchdog_fired: usize,
    watchdog_all_blocked: usize,
    /// Real runs in which the watchdog fired while some thread still ran (not judged).
    watchdog_inconclusive: usize,
    controlled: TallyJson<'a>,
    controlled_seed: u64,
    /// The report of the first hung real-thread execution, else the first failing one (no
    /// schedule).
    first_failure: Option<&'a Report>,
}

impl<'a> StressJson<'a> {
    /// The JSON of a stress run of `variant`: `report` is [`Report::from_stress`] of `result`;
    /// the watchdog was `timeout_ms`, the controlled scheduler's seed `controlled_seed`.
    pub fn of(
        variant: &'a str,
        result: &'a StressResult,
        report: &'a Report,
        timeout_ms: u64,
        controlled_seed: u64,
    ) -> StressJson<'a> {
        StressJson {
            schema: STRESS,
            variant,
            verdict: result.verdict(),
            inconclusive: report.inconclusive.as_ref(),
            timeout_ms,
            real_threads: TallyJson::new(&result.real),
            watchdog_fired: result.watchdog_fired,
            watchdog_all_blocked: result.watchdog_all_blocked,
            watchdog_inconclusive: result.real.inconclusive,
            controlled: TallyJson::new(&result.controlled),
            controlled_seed,
            first_failure: result.first_failure.as_ref().map(|_| report),
        }
    }
}

/// One backend's tally, times in milliseconds and rates per second (3 decimals).
#[derive(Serialize)]
struct TallyJson<'a> {
    executions: usize,
    hung: usize,
    failing: usize,
    inconclusive: usize,
    per_invariant: &'a BTreeMap<Invariant, usize>,
    first_hang: Option<usize>,
    first_hang_ms: Option<f64>,
    elapsed_ms: f64,
    executions_per_s: f64,
    hangs_per_s: f64,
}

impl<'a> TallyJson<'a> {
    fn new(tally: &'a Tally) -> TallyJson<'a> {
        TallyJson {
            executions: tally.executions,
            hung: tally.hung,
            failing: tally.failing,
            inconclusive: tally.inconclusive,
            per_invariant: &tally.per_invariant,
            first_hang: tally.first_hang,
            first_hang_ms: tally.first_hang_after.map(ms),
            elapsed_ms: ms(tally.elapsed),
            executions_per_s: round(tally.executions_per_second()),
            hangs_per_s: round(tally.hangs_per_second()),
        }
    }
}

fn ms(duration: Duration) -> f64 {
    round(duration.as_secs_f64() * 1000.0)
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// `mapihang.exhaustive/1`: every scenario in a bound, and the first counterexample.
#[derive(Serialize)]
pub struct ExhaustiveJson<'a> {
    schema: &'static str,
    variant: &'a str,
    /// `pass` or `violation`.
    verdict: Verdict,
    /// Every scenario checked, each passing one completely (DPOR, no bound).
    complete: bool,
    /// Every scenario checked, each passing one on every schedule within `preemptions`.
    bounded: bool,
    /// The shard checked (`null`: every scenario).
    shard: Option<String>,
    /// The violations of the first counterexample (empty on a pass).
    violations: &'a [ViolationReport],
    bound: &'a Bound,
    /// `null`: unbounded.
    preemptions: Option<usize>,
    /// The search of each scenario: `stateful`, `dpor` or `dfs`.
    scheduler: &'static str,
    schedules_per_scenario: usize,
    reduction: Reduction,
    scenarios_in_bound: String,
    thread_sequences: usize,
    thread_sequences_normalized: usize,
    scenarios: usize,
    scenarios_checked: usize,
    schedules_run: usize,
    schedules_max_per_scenario: usize,
    heaviest_scenario: Option<&'a Scenario>,
    target: Option<Invariant>,
    incomplete_scenarios: usize,
    violating_scenarios: usize,
    per_invariant: &'a BTreeMap<Invariant, usize>,
    counterexample_index: Option<usize>,
    counterexample: Option<&'a Report>,
    elapsed_ms: u64,
}

impl<'a> ExhaustiveJson<'a> {
    /// The JSON of an exhaustive run of `variant`; `report`: the counterexample's, if any.
    pub fn of(
        variant: &'a str,
        config: &'a ExhaustiveConfig,
        result: &'a ExhaustiveResult,
        report: Option<&'a Report>,
    ) -> ExhaustiveJson<'a> {
        ExhaustiveJson {
            schema: EXHAUSTIVE,
            variant,
            verdict: result.verdict(),
            complete: result.complete,
            bounded: result.bounded,
            shard: config.shard.map(|s| s.to_string()),
            violations: report.map_or(&[], |r| &r.violations),
            bound: &config.bound,
            preemptions: config.preemptions,
            scheduler: result.scheduler,
            schedules_per_scenario: config.schedules_per_scenario,
            reduction: config.reduction,
            scenarios_in_bound: result.scenarios_in_bound.to_string(),
            thread_sequences: result.thread_sequences.0,
            thread_sequences_normalized: result.thread_sequences.1,
            scenarios: result.scenarios,
            scenarios_checked: result.scenarios_checked,
            schedules_run: result.schedules_run,
            schedules_max_per_scenario: result.schedules_max_per_scenario,
            heaviest_scenario: result.heaviest.as_ref(),
            target: config.target,
            incomplete_scenarios: result.incomplete,
            violating_scenarios: result.violating,
            per_invariant: &result.per_invariant,
            counterexample_index: result.counterexample.as_ref().map(|c| c.index),
            counterexample: report,
            elapsed_ms: result.elapsed_ms,
        }
    }
}

/// `mapihang.report/1` as `hunt --format json` prints it when nothing was found: the verdict
/// (a pass, or inconclusive when executions were cut off), no violations, and the hunt's
/// summary.
#[derive(Serialize)]
pub struct HuntPassJson<'a> {
    schema: &'static str,
    /// The variant hunted.
    pub variant: &'a str,
    /// `pass`, or `inconclusive` when executions were cut off with nothing certain seen.
    pub verdict: Verdict,
    /// Why it is inconclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<Inconclusive>,
    violations: [(); 0],
    /// How the hunt went.
    pub hunt: HuntSummary,
    /// Wall time of the hunt.
    pub elapsed_ms: u64,
}

impl<'a> HuntPassJson<'a> {
    /// The outcome of a hunt of `variant` under `config` that found nothing.
    pub fn of(variant: &'a str, config: &HuntConfig, hunt: HuntSummary) -> HuntPassJson<'a> {
        let verdict = Verdict::of(0, hunt.cut_off);
        let inconclusive = (hunt.cut_off > 0).then(|| Inconclusive {
            reason: InconclusiveReason::StepBound,
            executions: hunt.cut_off,
            message: format!(
                "{} of {} execution(s) were cut off by the step bound ({} steps) before they \
                 ended, with no violation certain",
                hunt.cut_off, hunt.schedules_run, config.steps_max
            ),
            hint: Some("raise --steps-max".into()),
        });
        HuntPassJson {
            schema: crate::report::SCHEMA,
            variant,
            verdict,
            inconclusive,
            violations: [],
            elapsed_ms: hunt.total_ms,
            hunt,
        }
    }
}

/// The `schema` of what `import-fuzz --target scenario_json` prints and writes.
pub const FUZZ_PARSE: &str = "mapihang.fuzz-parse/1";
/// The `schema` of `corpus add --format json`.
pub const CORPUS_ADD: &str = "mapihang.corpus-add/1";
/// The `schema` of `corpus check --format json`.
pub const CORPUS_CHECK: &str = "mapihang.corpus-check/1";

/// `mapihang.fuzz-parse/1`: what the `scenario_json` fuzz target made of an artifact.
#[derive(Serialize)]
pub struct FuzzParseJson {
    schema: &'static str,
    /// The fuzz target's name.
    pub target: &'static str,
    /// `"ok"` or the parser's one-line error, per parser.
    pub scenario: String,
    /// `"ok"` or the schedule parser's error.
    pub schedule: String,
    /// `"ok"` or the report parser's error.
    pub report: String,
    /// Round trips that lost something: the crash, if any.
    pub lost: Vec<String>,
}

impl FuzzParseJson {
    /// The JSON of `parsed`.
    pub fn of(parsed: &Parsed) -> FuzzParseJson {
        fn verdict<T, E: ToString>(result: &Result<T, E>) -> String {
            match result {
                Ok(_) => "ok".into(),
                Err(e) => e.to_string(),
            }
        }
        FuzzParseJson {
            schema: FUZZ_PARSE,
            target: Target::ScenarioJson.name(),
            scenario: verdict(&parsed.scenario),
            schedule: verdict(&parsed.schedule),
            report: verdict(&parsed.report),
            lost: parsed.lost.clone(),
        }
    }
}

/// `mapihang.corpus-add/1`: the corpus file `corpus add` wrote and the entry in it.
#[derive(Serialize)]
pub struct CorpusAddJson {
    schema: &'static str,
    /// The corpus file written (the corpus folder joined with `file`).
    pub path: String,
    /// Its name: the scenario's hash.
    pub file: String,
    /// A file of that name (the same scenario) was there already and was overwritten.
    pub replaced: bool,
    /// The entry as written to the file.
    pub entry: CorpusEntry,
}

impl CorpusAddJson {
    /// `entry`, written to `path` (named `file`), `replaced` when it overwrote one.
    pub fn new(path: String, file: String, replaced: bool, entry: CorpusEntry) -> CorpusAddJson {
        CorpusAddJson {
            schema: CORPUS_ADD,
            path,
            file,
            replaced,
            entry,
        }
    }
}

/// `mapihang.corpus-check/1`: every corpus file, re-checked.
#[derive(Serialize)]
pub struct CorpusCheckJson {
    schema: &'static str,
    /// The corpus folder.
    pub dir: String,
    /// `pass` when every entry keeps its recorded verdicts, else `mismatch`.
    pub verdict: Agreement,
    /// Corpus files checked.
    pub files: usize,
    /// Mismatching (entry, variant) pairs over all files.
    pub mismatches: usize,
    /// One per file, in file-name order.
    pub entries: Vec<CheckedEntry>,
}

impl CorpusCheckJson {
    /// Re-check each corpus entry (with its path) of the folder `dir` under `variants`; a
    /// built-in variant an entry records no verdict for is a mismatch.
    pub fn check(
        dir: String,
        entries: Vec<(String, CorpusEntry)>,
        variants: &[Arc<dyn Variant>],
    ) -> CorpusCheckJson {
        let builtin = crate::variant::builtin();
        let checked = entries
            .into_iter()
            .map(|(path, entry)| {
                let verification = entry.verify(variants);
                let mismatches = verification.mismatches;
                let missing = entry.missing_variants(&builtin);
                CheckedEntry {
                    file: std::path::Path::new(&path)
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                    path,
                    note: entry.note,
                    schedules: entry.schedules,
                    seed: entry.seed,
                    variants: entry.expect.len(),
                    verdict: Agreement::of(mismatches.len() + missing.len()),
                    mismatches,
                    missing,
                    complete: verification.complete,
                }
            })
            .collect();
        CorpusCheckJson::new(dir, checked)
    }

    /// The re-checked `entries` of the corpus folder `dir`.
    pub fn new(dir: String, entries: Vec<CheckedEntry>) -> CorpusCheckJson {
        let mismatches: usize = entries
            .iter()
            .map(|e| e.mismatches.len() + e.missing.len())
            .sum();
        CorpusCheckJson {
            schema: CORPUS_CHECK,
            dir,
            verdict: Agreement::of(mismatches),
            files: entries.len(),
            mismatches,
            entries,
        }
    }
}

/// One corpus file, re-checked.
#[derive(Serialize)]
pub struct CheckedEntry {
    /// The file's name.
    pub file: String,
    /// The corpus folder joined with `file`.
    pub path: String,
    /// The entry's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Random schedules per variant.
    pub schedules: usize,
    /// Their seed.
    pub seed: u64,
    /// Variant verdicts the entry records (each re-checked).
    pub variants: usize,
    /// `pass` or `mismatch`.
    pub verdict: Agreement,
    /// The variants whose verdict moved (empty on a pass).
    pub mismatches: Vec<Mismatch>,
    /// The variants checked by the complete search (every interleaving); the others were
    /// checked on `schedules` random schedules.
    pub complete: Vec<String>,
    /// Built-in variants the entry records no verdict for (a variant added since): each is a
    /// mismatch until the entry is re-recorded.
    pub missing: Vec<String>,
}

/// Whether observed verdicts agree with recorded or declared ones (`matrix`, `corpus check`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// Everything as recorded or declared.
    Pass,
    /// Something moved.
    Mismatch,
}

impl Agreement {
    /// `Pass` when nothing mismatched, else `Mismatch`.
    pub fn of(mismatches: usize) -> Agreement {
        if mismatches == 0 {
            Agreement::Pass
        } else {
            Agreement::Mismatch
        }
    }

    /// 0 on a pass, 1 on a mismatch (a moved verdict is as certain as a violation).
    pub fn exit_code(self) -> u8 {
        match self {
            Agreement::Pass => 0,
            Agreement::Mismatch => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: impl Serialize) -> String {
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn agreement_and_verdict_serialise_as_the_schemas_document() {
        assert_eq!(json(Agreement::of(0)), r#""pass""#);
        assert_eq!(json(Agreement::of(3)), r#""mismatch""#);
        assert_eq!(json(Verdict::Pass), r#""pass""#);
        assert_eq!(json(Verdict::Violation), r#""violation""#);
    }
}
