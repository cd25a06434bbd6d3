//! `mapihang exhaustive`: every scenario within a small bound, each on every interleaving (DPOR),
//! or on every schedule with at most K preemptions (DFS).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use mapihang_core::exhaustive::{
    self, Bound, BoundError, ExhaustiveConfig, ExhaustiveResult, Reduction, Shard,
    SCHEDULES_PER_SCENARIO_DEFAULT,
};
use mapihang_core::monitor::Invariant;
use mapihang_core::report::Report;
use mapihang_core::schema;

use crate::cli::Format;
use crate::commands::{shell, CliError, Variants};
use crate::io::{self, out, outln, program};

#[derive(Args, Debug)]
pub(crate) struct ExhaustiveArgs {
    /// The variant under test (see `mapihang variants`).
    #[arg(long, default_value = "original")]
    pub variant: String,
    /// Application threads per scenario (1 to 3).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Users the threads may impersonate (1 to 4).
    #[arg(long, default_value_t = 2)]
    pub users: usize,
    /// The most ops per thread (every length from 0 to this). With 2 threads, 2 users and 2
    /// preemptions, 3 is the largest bound `fixed` completes within a minute on two cores
    /// (211 scenarios, about 5 million schedules); 4 takes many minutes.
    #[arg(long, default_value_t = 3)]
    pub ops: usize,
    /// The two users are different SIDs with the same CRC32 (needs --users 2).
    #[arg(long)]
    pub collide: bool,
    /// Check each scenario with a preemption-bounded DFS (CHESS) instead of the complete search
    /// (DPOR, the default): faster on large bounds, but a pass then covers only schedules with at
    /// most K preemptions.
    #[arg(long)]
    pub preemptions: Option<usize>,
    /// No preemption bound (the default; kept for old command lines).
    #[arg(long, conflicts_with = "preemptions", hide = true)]
    pub unbounded: bool,
    /// Check only shard I of N (`--shard 2/4`): the scenarios whose index is I-1 modulo N, so
    /// that N processes or CI jobs together check exactly the whole bound.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// The schedule budget of one scenario; a scenario that reaches it is reported incomplete.
    #[arg(long, default_value_t = SCHEDULES_PER_SCENARIO_DEFAULT)]
    pub schedules: usize,
    /// Run every scenario and count the violating ones, instead of stopping at the first.
    #[arg(long)]
    pub all: bool,
    /// Only violations of this invariant count (default: any), e.g. poller-signals.
    #[arg(long, value_parser = crate::hunting::parse_invariant)]
    pub invariant: Option<Invariant>,
    /// Do not merge scenarios equal up to user renaming and thread order (for a custom variant
    /// that looks at SID values rather than comparing them).
    #[arg(long)]
    pub no_symmetry: bool,
    /// Do not drop ops that cannot change any execution (skipped ops, unused impersonations).
    #[arg(long)]
    pub no_normalize: bool,
    /// OS threads to spread the scenarios over (default: the available cores; the result does
    /// not depend on it).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// The step bound of one execution.
    #[arg(long, default_value_t = mapihang_core::engine::STEPS_MAX_DEFAULT)]
    pub steps_max: usize,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the first counterexample's report (JSON) to this file, for `mapihang replay`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub(crate) fn exhaustive(variants: &Variants, args: &ExhaustiveArgs) -> Result<u8, CliError> {
    if args.schedules == 0 || args.jobs == Some(0) {
        return Err(CliError::Usage(
            "--schedules and --jobs must be at least 1".into(),
        ));
    }
    let bound = Bound {
        threads: args.threads,
        users: args.users,
        ops: args.ops,
        collide: args.collide,
    };
    bound
        .validate()
        .map_err(|e| CliError::Usage(bound_usage(e)))?;
    in_range_steps(args.steps_max)?;
    if let Some(path) = &args.out {
        io::check_output(path, &[])?;
    }
    let variant = variants.get(&args.variant)?;
    let config = ExhaustiveConfig {
        bound,
        preemptions: args.preemptions,
        shard: args.shard,
        schedules_per_scenario: args.schedules,
        steps_max: args.steps_max,
        jobs: args.jobs.unwrap_or_else(crate::matrix_cmd::default_jobs),
        reduction: Reduction {
            normalize: !args.no_normalize,
            symmetry: !args.no_symmetry,
        },
        all: args.all,
        target: args.invariant,
    };
    let bar = crate::commands::progress_bar(
        args.format == Format::Text,
        0,
        "{spinner} exhaustive {pos}/{len} scenarios [{elapsed}]",
    );
    let on_progress = |p: exhaustive::Progress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    };
    let result = exhaustive::exhaustive(variant.clone(), &config, &on_progress);
    bar.finish_and_clear();
    let report = result.counterexample.as_ref().map(|found| {
        let mut report = Report::from_check(
            variant.name(),
            &found.scenario,
            &found.config,
            &found.check,
            result.elapsed_ms,
        );
        let prog = program();
        report.repro = Some(match &args.out {
            Some(path) => format!("{prog} replay {}", shell(path)),
            None => format!(
                "{} --out REPORT.json && {prog} replay REPORT.json",
                command_line(args)
            ),
        });
        report
    });
    match (&args.out, &report) {
        (Some(path), Some(report)) => {
            io::write_file(path, report.to_json() + "\n").map_err(|source| {
                CliError::NotWritten {
                    source: Box::new(source),
                    verdict: report.verdict,
                }
            })?
        }
        // --out is the counterexample's report: with none, say so rather than nothing (and
        // leave no stale report of an earlier run that could be taken for this one's).
        (Some(path), None) => {
            if path.is_file() {
                std::fs::remove_file(path).map_err(|source| CliError::Write {
                    path: path.clone(),
                    source,
                })?;
            }
            io::errln(&format!(
                "mapihang: no counterexample, so no report was written to {}",
                path.display()
            ));
        }
        (None, _) => {}
    }
    match args.format {
        Format::Text => {
            out(&text(&config, &result))?;
            if let Some(report) = &report {
                out(&format!("\n{}", report.to_text()))?;
            }
        }
        Format::Json => {
            let json =
                schema::ExhaustiveJson::of(variant.name(), &config, &result, report.as_ref());
            outln(&schema::to_json(&json))?;
        }
    }
    Ok(u8::from(result.counterexample.is_some()))
}

fn in_range_steps(steps_max: usize) -> Result<(), CliError> {
    crate::commands::in_range("steps-max", steps_max, crate::commands::STEPS_MAX_MAX)
}

/// The command line that re-runs this check (what matters for the result; not --jobs).
fn command_line(args: &ExhaustiveArgs) -> String {
    let mut line = format!(
        "{} exhaustive --variant {} --threads {} --users {} --ops {}",
        program(),
        args.variant,
        args.threads,
        args.users,
        args.ops
    );
    if args.collide {
        line.push_str(" --collide");
    }
    if let Some(invariant) = args.invariant {
        let _ = write!(line, " --invariant {invariant}");
    }
    if let Some(k) = args.preemptions {
        let _ = write!(line, " --preemptions {k}");
    }
    if let Some(shard) = args.shard {
        let _ = write!(line, " --shard {shard}");
    }
    if args.schedules != SCHEDULES_PER_SCENARIO_DEFAULT {
        let _ = write!(line, " --schedules {}", args.schedules);
    }
    if args.steps_max != mapihang_core::engine::STEPS_MAX_DEFAULT {
        let _ = write!(line, " --steps-max {}", args.steps_max);
    }
    if args.all {
        line.push_str(" --all");
    }
    for (flag, on) in [
        ("--no-symmetry", args.no_symmetry),
        ("--no-normalize", args.no_normalize),
    ] {
        if on {
            let _ = write!(line, " {flag}");
        }
    }
    line
}

fn text(config: &ExhaustiveConfig, result: &ExhaustiveResult) -> String {
    let mut out = describe(config, result);
    out.push_str(&verdict_text(config, result));
    out
}

/// What was searched: the bound, the reductions, the budget and what it cost.
fn describe(config: &ExhaustiveConfig, result: &ExhaustiveResult) -> String {
    let bound = &config.bound;
    let users: Vec<String> = bound.users().iter().map(|u| u.to_string()).collect();
    let preemptions = config.preemptions.map_or(
        "DPOR: every interleaving up to equivalence (no preemption bound)".to_string(),
        |k| format!("DFS: every schedule with at most {k} preemption(s)"),
    );
    let mut out = String::new();
    let impersonate = if bound.users == 1 {
        "impersonate U1".to_string()
    } else {
        format!("impersonate U1..U{}", bound.users)
    };
    let _ = writeln!(
        out,
        "bounded-exhaustive check of {}: {} thread(s), each 0 to {} ops from {{{impersonate}, revert, logon, open_store, release_store, logoff}}",
        result.variant, bound.threads, bound.ops
    );
    let _ = writeln!(
        out,
        "  users: {}{}; process user S-1-5-18",
        users.join(", "),
        if bound.collide { " (same CRC32)" } else { "" }
    );
    let mut reductions = Vec::new();
    if config.reduction.normalize {
        reductions.push(format!(
            "ops that cannot change an execution dropped ({} thread sequences -> {})",
            result.thread_sequences.0, result.thread_sequences.1
        ));
    }
    if config.reduction.symmetry {
        reductions.push("scenarios equal up to user renaming and thread order merged".to_string());
    }
    let _ = writeln!(
        out,
        "  scenarios in the bound: {}; run: {} ({})",
        result.scenarios_in_bound,
        result.scenarios,
        if reductions.is_empty() {
            "no reduction".to_string()
        } else {
            reductions.join("; ")
        }
    );
    let _ = writeln!(
        out,
        "  per scenario: {preemptions}; budget {} schedules per scenario",
        config.schedules_per_scenario
    );
    let _ = writeln!(
        out,
        "  checked {} of {} scenarios, {} schedules (at most {} for one scenario), {} incomplete, {} ms",
        result.scenarios_checked,
        result.scenarios,
        result.schedules_run,
        result.schedules_max_per_scenario,
        result.incomplete,
        result.elapsed_ms
    );
    if let Some(heaviest) = &result.heaviest {
        let _ = writeln!(
            out,
            "  heaviest scenario: {}",
            serde_json::to_string(heaviest).expect("serialisable")
        );
    }
    if let Some(target) = config.target {
        let _ = writeln!(out, "  only violations of {target} count");
    }
    if let Some(shard) = config.shard {
        let _ = writeln!(out, "  shard {shard}: only these scenarios were checked");
    }
    out
}

/// The verdict line, and for a violation the scenario that shows it.
fn verdict_text(config: &ExhaustiveConfig, result: &ExhaustiveResult) -> String {
    let mut out = String::new();
    let k = config
        .preemptions
        .map_or("any number of".to_string(), |k| format!("≤{k}"));
    match &result.counterexample {
        None if result.complete => {
            let _ = writeln!(
                out,
                "PASS (complete): no violation on any interleaving of any scenario within this bound"
            );
        }
        None if result.bounded => {
            let _ = writeln!(
                out,
                "PASS (bounded, not complete): no violation on any schedule with {k} preemptions of any scenario within this bound"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "PASS (incomplete): no violation found, but {} scenario(s) ran out of budget (raise --schedules)",
                result.incomplete
            );
        }
        Some(found) => {
            let invariants: Vec<&str> = found
                .check
                .first_failure
                .as_ref()
                .map(|f| f.invariants().iter().map(|i| i.name()).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "VIOLATION: scenario #{} of {} (in order of size) violates {} on a schedule with {k} preemptions",
                found.index + 1,
                result.scenarios,
                invariants.join(", ")
            );
            if config.all {
                let per: Vec<String> = result
                    .per_invariant
                    .iter()
                    .map(|(i, n)| format!("{i}: {n}"))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {} of {} scenarios violate an invariant ({})",
                    result.violating,
                    result.scenarios,
                    per.join(", ")
                );
            }
            let _ = writeln!(
                out,
                "  scenario: {}",
                serde_json::to_string(&found.scenario).expect("serialisable")
            );
        }
    }
    out
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    text.parse()
}

/// A rejected bound in the words of this command's options.
fn bound_usage(error: BoundError) -> String {
    use mapihang_core::exhaustive::{OPS_MAX, THREADS_MAX, USERS_MAX};
    match error {
        BoundError::Threads(n) => format!("--threads must be 1 to {THREADS_MAX}, not {n}"),
        BoundError::Users(n) => format!("--users must be 1 to {USERS_MAX}, not {n}"),
        BoundError::Ops(n) => format!("--ops must be 1 to {OPS_MAX}, not {n}"),
        BoundError::Collide(n) => format!("--collide needs --users 2, not {n}"),
    }
}
