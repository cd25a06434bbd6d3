//! The command lines a report or a text suggests, built from the options that ran (the
//! command's config), so that each reproduces exactly that: the repro, the `advise` of a
//! failure, a rerun with a larger bound, the check that settles a replay. Each starts with
//! `prog`, the way the user runs mapihang (`os::program`).

use std::fmt::{Display, Write as _};
use std::path::Path;

use crate::engine::{CheckConfig, Strategy, PCT_DEPTH_DEFAULT, SCHEDULES_MAX, STEPS_MAX_DEFAULT};
use crate::exhaustive::{ExhaustiveConfig, SCHEDULES_PER_SCENARIO_DEFAULT};
use crate::hunt::HuntConfig;
use crate::monitor::Invariant;
use crate::replay::ReplayVerdict;
use crate::report::strategy_name;
use crate::text::shell;

/// A command line built option by option.
pub struct Line(pub String);

impl Line {
    /// ` --NAME VALUE`.
    pub fn opt(mut self, name: &str, value: impl Display) -> Line {
        let _ = write!(self.0, " --{name} {value}");
        self
    }

    /// ` --NAME VALUE` when there is a value.
    pub fn some(self, name: &str, value: Option<impl Display>) -> Line {
        match value {
            Some(value) => self.opt(name, value),
            None => self,
        }
    }

    /// ` --NAME VALUE` unless `VALUE` is the option's default.
    pub fn unless<T: Display + PartialEq>(self, name: &str, value: T, default: T) -> Line {
        self.some(name, (value != default).then_some(value))
    }

    /// ` --NAME` when `on`.
    pub fn flag(mut self, name: &str, on: bool) -> Line {
        if on {
            let _ = write!(self.0, " --{name}");
        }
        self
    }
}

/// `VERB` (`replay`, `advise`) of the report at `out` when it was written, else `rerun` (the
/// command that ran) writing `REPORT.json` first.
pub fn of_report(
    prog: &str,
    verb: &str,
    out: Option<&Path>,
    rerun: impl FnOnce() -> String,
) -> String {
    match out {
        Some(path) => format!("{prog} {verb} {}", shell(path)),
        None => format!("{} --out REPORT.json && {prog} {verb} REPORT.json", rerun()),
    }
}

/// The repro line a failure's report carries: `replay` of `out`, or `rerun` writing it first.
pub fn repro(prog: &str, out: Option<&Path>, rerun: impl FnOnce() -> String) -> String {
    of_report(prog, "replay", out, rerun)
}

/// `check` of `scenario` under `variant` as `config` ran it: the scheduler, its seed and budget,
/// PCT's depth unless the default, `preemptions` as given (DFS's bound; echoed under any
/// scheduler) and the step bound unless the default.
pub fn check(
    prog: &str,
    scenario: &Path,
    variant: &str,
    config: &CheckConfig,
    preemptions: Option<usize>,
) -> String {
    let pct_depth = match config.strategy {
        Strategy::Pct { depth } if depth != PCT_DEPTH_DEFAULT => Some(depth),
        _ => None,
    };
    Line(format!("{prog} check {}", shell(scenario)))
        .opt("variant", variant)
        .opt("scheduler", strategy_name(&config.strategy))
        .opt("seed", config.seed)
        .opt("schedules", config.schedules)
        .some("pct-depth", pct_depth)
        .some("preemptions", preemptions)
        .unless("steps-max", config.steps_max, STEPS_MAX_DEFAULT)
        .0
}

/// The hint of an inconclusive `rerun` (a [`check`] line under `steps_max`): the same with a
/// step bound ten times larger.
pub fn raise_steps(rerun: &str, steps_max: usize) -> String {
    let raised = steps_max
        .saturating_mul(10)
        .min(crate::engine::STEPS_MAX_MAX);
    let rerun = rerun.replace(&format!(" --steps-max {steps_max}"), "");
    format!("{rerun} --steps-max {raised}")
}

/// `hunt` of `variant` as `config` ran it, narrowed to `invariant` (`None`: as it ran).
pub fn hunt(
    prog: &str,
    variant: &str,
    config: &HuntConfig,
    invariant: Option<Invariant>,
) -> String {
    Line(format!("{prog} hunt"))
        .opt("variant", variant)
        .opt("family", config.family)
        .opt("seed", config.seed)
        .opt("cases", config.cases)
        .opt("schedules", config.schedules)
        .some("invariant", invariant)
        .unless("steps-max", config.steps_max, STEPS_MAX_DEFAULT)
        .0
}

/// `exhaustive` of `variant` as `config` ran it (what matters for the result; not `--jobs`).
pub fn exhaustive(prog: &str, variant: &str, config: &ExhaustiveConfig) -> String {
    let (bound, reduction) = (&config.bound, &config.reduction);
    Line(format!("{prog} exhaustive"))
        .opt("variant", variant)
        .opt("threads", bound.threads)
        .opt("users", bound.users)
        .opt("ops", bound.ops)
        .flag("collide", bound.collide)
        .some("invariant", config.target)
        .some("preemptions", config.preemptions)
        .some("scheduler", (!config.stateful).then_some("dpor"))
        .some("shard", config.shard)
        .unless(
            "schedules",
            config.schedules_per_scenario,
            SCHEDULES_PER_SCENARIO_DEFAULT,
        )
        .unless("steps-max", config.steps_max, STEPS_MAX_DEFAULT)
        .flag("all", config.all)
        .flag("no-symmetry", !reduction.symmetry)
        .flag("no-normalize", !reduction.normalize)
        .0
}

/// The lines of a replay of the report at `path` under `variant` (`given`: as `--variant`
/// named it) with step bound `steps_max` and `schedules` for the continuations.
pub struct ReplayLines {
    /// The replay again, as it ran.
    pub again: String,
    /// The check of every schedule under `variant`, which settles an unsettled replay.
    pub check_instead: String,
    /// A larger budget for the continuations, or the check.
    pub left_schedule: String,
}

impl ReplayLines {
    /// The lines of this replay.
    pub fn new(
        prog: &str,
        path: &Path,
        given: Option<&str>,
        variant: &str,
        steps_max: usize,
        schedules: usize,
    ) -> ReplayLines {
        let path = shell(path);
        let check_instead = Line(format!("{prog} check {path} --variant {variant}"))
            .unless("steps-max", steps_max, STEPS_MAX_DEFAULT)
            .0;
        let left_schedule = format!(
            "{prog} replay {path} --variant {variant} --schedules {} (a larger budget for the \
             continuations), or {check_instead} (every schedule, not this one)",
            schedules.saturating_mul(10).min(SCHEDULES_MAX)
        );
        ReplayLines {
            again: Line(format!("{prog} replay {path}"))
                .some("variant", given)
                .0,
            check_instead,
            left_schedule,
        }
    }

    /// The hint of an inconclusive replay with `verdict`.
    pub fn hint(&self, verdict: &ReplayVerdict) -> String {
        match verdict {
            ReplayVerdict::LeftSchedule { .. } => self.left_schedule.clone(),
            _ => self.check_instead.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(strategy: Strategy, steps_max: usize) -> CheckConfig {
        CheckConfig {
            strategy,
            schedules: 300,
            seed: 7,
            steps_max,
            ..CheckConfig::default()
        }
    }

    #[test]
    fn check_echoes_what_ran_and_only_non_defaults() {
        let path = Path::new("my scenario.json");
        let pct = config(Strategy::Pct { depth: 5 }, STEPS_MAX_DEFAULT);
        assert_eq!(
            check("mh", path, "fixed", &pct, None),
            "mh check 'my scenario.json' --variant fixed --scheduler pct --seed 7 --schedules 300 \
             --pct-depth 5"
        );
        let random = config(Strategy::Random, 40);
        assert_eq!(
            check("mh", path, "original", &random, Some(2)),
            "mh check 'my scenario.json' --variant original --scheduler random --seed 7 \
             --schedules 300 --preemptions 2 --steps-max 40"
        );
        let line = check("mh", path, "original", &random, None);
        assert_eq!(
            raise_steps(&line, 40),
            "mh check 'my scenario.json' --variant original --scheduler random --seed 7 \
             --schedules 300 --steps-max 400"
        );
    }

    #[test]
    fn a_report_is_replayed_from_its_file_or_written_first() {
        let out = Path::new("out/r.json");
        assert_eq!(
            repro("mh", Some(out), || unreachable!()),
            "mh replay out/r.json"
        );
        assert_eq!(
            of_report("mh", "advise", None, || "mh hunt".into()),
            "mh hunt --out REPORT.json && mh advise REPORT.json"
        );
    }

    #[test]
    fn a_replay_that_left_its_schedule_suggests_a_larger_budget_or_the_check() {
        let lines = ReplayLines::new("mh", Path::new("r.json"), None, "fixed", 40, 100_000);
        assert_eq!(lines.again, "mh replay r.json");
        assert_eq!(
            lines.check_instead,
            "mh check r.json --variant fixed --steps-max 40"
        );
        let left = ReplayVerdict::LeftSchedule {
            prefix: 3,
            searched: 9,
        };
        assert!(lines
            .hint(&left)
            .starts_with("mh replay r.json --variant fixed --schedules 1000000 (a larger budget"));
        assert_eq!(lines.hint(&ReplayVerdict::CutOff), lines.check_instead);
        let budget = ReplayLines::new(
            "mh",
            Path::new("r.json"),
            Some("fixed"),
            "fixed",
            1,
            SCHEDULES_MAX,
        );
        assert!(budget
            .left_schedule
            .contains(&format!("--schedules {SCHEDULES_MAX} ")));
        assert_eq!(budget.again, "mh replay r.json --variant fixed");
    }

    #[test]
    fn exhaustive_echoes_the_bound_and_every_option_that_changes_the_result() {
        use crate::exhaustive::{Bound, Reduction};
        let config = ExhaustiveConfig {
            bound: Bound {
                threads: 2,
                users: 2,
                ops: 1,
                collide: true,
            },
            stateful: false,
            reduction: Reduction {
                normalize: true,
                symmetry: false,
            },
            all: true,
            jobs: 7,
            ..ExhaustiveConfig::default()
        };
        assert_eq!(
            exhaustive("mh", "fixed", &config),
            "mh exhaustive --variant fixed --threads 2 --users 2 --ops 1 --collide --scheduler dpor \
             --all --no-symmetry"
        );
        let stateful = ExhaustiveConfig {
            stateful: true,
            ..config
        };
        assert!(!exhaustive("mh", "fixed", &stateful).contains("--scheduler"));
    }
}
