//! `mapihang exhaustive`: every scenario within a small bound, each by a complete search (the
//! stateful search, or DPOR), or on every schedule with at most K preemptions (DFS).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use mapihang_core::command::{self, Suggest};
use mapihang_core::engine::STEPS_MAX_DEFAULT;
use mapihang_core::exhaustive::{
    self, Bound, BoundError, ExhaustiveConfig, Reduction, Shard, SCHEDULES_PER_SCENARIO_DEFAULT,
};
use mapihang_core::monitor::Invariant;
use mapihang_core::os::{self, program};

use crate::common::{
    default_jobs, in_range, parse_invariant, CliError, Format, Variants, STEPS_MAX_MAX,
};
use crate::io::{progress_bar, show};

/// A complete search.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Complete {
    Stateful,
    Dpor,
}

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
    /// The most ops per thread (every length from 0 to this). With 2 threads and 2 users,
    /// the stateful search of `fixed` covers --ops 2 in about 11,000 executions (16 scenarios
    /// after reduction, under 1 s; DPOR about 220,000); --ops 3 (120 scenarios) in 1.2 million
    /// executions, about 45 s of one core; --ops 4 (1,381 scenarios) in 64 million, about 13
    /// minutes on two cores (--jobs 2); with 3 threads, --ops 3 is more than 85,000 CPU
    /// seconds (use --shard).
    #[arg(long, default_value_t = 3)]
    pub ops: usize,
    /// The two users are different SIDs with the same CRC32 (needs --users 2).
    #[arg(long)]
    pub collide: bool,
    /// Check each scenario with a preemption-bounded DFS (CHESS) instead of a complete search: a
    /// pass then covers only schedules with at most K preemptions.
    #[arg(long)]
    pub preemptions: Option<usize>,
    /// The complete search of each scenario: `stateful` (every reachable state, as an
    /// explicit-state model checker; DPOR instead for a variant with machinery code of its own)
    /// or `dpor` (every interleaving up to equivalence).
    #[arg(long, value_enum, default_value_t = Complete::Stateful, conflicts_with = "preemptions")]
    pub scheduler: Complete,
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
    #[arg(long, value_parser = parse_invariant)]
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
    #[arg(long, default_value_t = STEPS_MAX_DEFAULT)]
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
    in_range("steps-max", args.steps_max, STEPS_MAX_MAX)?;
    if let Some(path) = &args.out {
        os::check_output(path, &[])?;
    }
    let variant = variants.get(&args.variant)?;
    let config = ExhaustiveConfig {
        bound,
        preemptions: args.preemptions,
        stateful: args.scheduler == Complete::Stateful,
        shard: args.shard,
        schedules_per_scenario: args.schedules,
        steps_max: args.steps_max,
        jobs: args.jobs.unwrap_or_else(default_jobs),
        reduction: Reduction {
            normalize: !args.no_normalize,
            symmetry: !args.no_symmetry,
        },
        all: args.all,
        target: args.invariant,
    };
    let bar = progress_bar(
        args.format == Format::Text,
        0,
        "{spinner} exhaustive {pos}/{len} scenarios [{elapsed}]",
    );
    let on_progress = |p: exhaustive::Progress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    };
    let (out, prog) = (args.out.as_deref(), program());
    let suggest = Suggest { prog: &prog, out };
    let result = command::exhaustive(variant, &config, &on_progress, suggest);
    bar.finish_and_clear();
    let result = result?;
    if let (Some(path), false) = (out, result.found) {
        os::errln(&format!(
            "mapihang: no counterexample, so no report was written to {}",
            path.display()
        ));
    }
    show(args.format, &result.printed)
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
