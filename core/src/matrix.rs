//! The fix-guard matrix: every variant x every family, the invariants observed violated next to
//! the ones the variant declares ([`Variant::expected`]).
//!
//! A cell runs `cases` generated scenarios of its family (case `i` is the same scenario a hunt
//! with the same seed tries as case `i`: [`gen::generate`] over [`hunt::case_seed`]), each on
//! `schedules` random schedules seeded from the scenario ([`hunt::schedule_seed`]), and collects
//! the *set* of invariants violated by any execution of any case, not only the first. The cell
//! agrees with the declaration when [`Expectation::agrees_with`] says so: every `must` was seen
//! and nothing outside `must` and `may` was.
//!
//! The matrix is a pure function of its configuration (wall time aside): cases are spread over
//! `jobs` OS threads, and what a cell collects (sets and counts) does not depend on the order in
//! which they finish.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::engine::{self, CheckConfig, Strategy};
use crate::family::Family;
use crate::gen;
use crate::hunt;
use crate::monitor::Invariant;
use crate::variant::{Expectation, Variant};
use crate::verdict::Verdict;

/// The budget of a matrix run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatrixConfig {
    /// Generated scenarios per cell.
    pub cases: usize,
    /// Random schedules per scenario.
    pub schedules: usize,
    /// The seed (scenarios and schedules are a pure function of it).
    pub seed: u64,
    /// OS threads to spread the cases over (the result does not depend on it).
    pub jobs: usize,
    /// The step bound of one execution.
    pub steps_max: usize,
    /// The families (columns), in order.
    pub families: Vec<Family>,
    /// Each case first gets the complete search (DPOR) with this budget: a case it finishes is
    /// judged completely (every interleaving), the others fall back to `schedules` random
    /// schedules. 0: random schedules only.
    pub dpor_budget: usize,
}

/// Defaults: enough to see every declared `must` violation of the built-in variants in every
/// family (each one shows within the first few cases; the margin is for `may` ones and for
/// other seeds), in well under a minute on two cores in release.
pub const CASES_DEFAULT: usize = 100;
/// Default random schedules per scenario.
pub const SCHEDULES_DEFAULT: usize = 60;

/// The default DPOR budget per case (see [`MatrixConfig::dpor_budget`]).
pub const DPOR_BUDGET_DEFAULT: usize = 100;

impl Default for MatrixConfig {
    fn default() -> MatrixConfig {
        MatrixConfig {
            cases: CASES_DEFAULT,
            schedules: SCHEDULES_DEFAULT,
            dpor_budget: DPOR_BUDGET_DEFAULT,
            seed: 0,
            jobs: 1,
            steps_max: engine::STEPS_MAX_DEFAULT,
            families: Family::ALL.to_vec(),
        }
    }
}

/// How often one invariant was seen violated in one cell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// Scenarios (cases) with at least one execution violating it.
    pub cases: usize,
    /// Executions violating it, over all cases.
    pub executions: usize,
    /// The lowest case index that violated it: `mapihang hunt` with the same variant, family,
    /// seed, schedules and `--invariant` finds it at this case or earlier.
    pub first_case: usize,
}

/// One cell: a variant in a family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The variant's name.
    pub variant: String,
    /// The family.
    pub family: Family,
    /// The invariants seen violated, in DESIGN.md's order.
    pub observed: Vec<Invariant>,
    /// What the variant declares for this family.
    pub expected: Expectation,
    /// Whether `observed` agrees with `expected`.
    pub ok: bool,
    /// Declared `must` invariants that were not seen.
    pub missing: Vec<Invariant>,
    /// Invariants seen that are neither `must` nor `may`.
    pub unexpected: Vec<Invariant>,
    /// Scenarios run.
    pub cases: usize,
    /// Scenarios with at least one violating execution.
    pub failing_cases: usize,
    /// Scenarios judged completely: DPOR covered every interleaving within its budget.
    pub complete_cases: usize,
    /// Executions run.
    pub executions: usize,
    /// Executions the step bound cut off with nothing certain seen (not judged: a cell with
    /// any is not a pass, whatever it observed).
    pub cut_off: usize,
    /// Per invariant seen, how often.
    pub seen: BTreeMap<Invariant, Seen>,
}

/// What a matrix run found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// The budget it ran with.
    pub config: MatrixConfig,
    /// Variant-major: every family of the first variant, then the next variant, ...
    pub cells: Vec<Cell>,
    /// Executions over all cells.
    pub executions: usize,
    /// Wall time (the only non-deterministic field).
    pub elapsed_ms: u64,
}

impl Matrix {
    /// The cells that disagree with their declaration.
    pub fn mismatches(&self) -> impl Iterator<Item = &Cell> {
        self.cells.iter().filter(|c| !c.ok)
    }

    /// Executions cut off by the step bound with nothing certain seen, over all cells.
    pub fn cut_off(&self) -> usize {
        self.cells.iter().map(|c| c.cut_off).sum()
    }

    /// `violation` when a cell disagrees with its declaration (certain), else `inconclusive`
    /// when executions were cut off (not judged, so agreement is not certain), else `pass`.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.mismatches().count(), self.cut_off())
    }

    /// The variant names, in row order.
    pub fn variants(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for cell in &self.cells {
            if names.last() != Some(&cell.variant.as_str()) {
                names.push(&cell.variant);
            }
        }
        names
    }

    /// The cell of `variant` in `family`.
    pub fn cell(&self, variant: &str, family: Family) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.variant == variant && c.family == family)
    }
}

/// Where a matrix run is, for progress bars.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Cases finished, over all cells.
    pub done: usize,
    /// Cases budgeted, over all cells.
    pub total: usize,
}

#[derive(Default)]
struct Tally {
    executions: usize,
    cut_off: usize,
    failing_cases: usize,
    complete_cases: usize,
    seen: BTreeMap<Invariant, Seen>,
}

/// Run every variant in every family of `config`; `progress` is called after every case.
pub fn matrix(
    variants: &[Arc<dyn Variant>],
    config: &MatrixConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> Matrix {
    let start = Instant::now();
    let families = &config.families;
    let cells = variants.len() * families.len();
    let total = cells * config.cases;
    // Scenarios depend on (family, case) only: generate each once, share them across variants.
    let scenarios: Vec<Vec<_>> = families
        .iter()
        .map(|&family| {
            (0..config.cases)
                .map(|case| gen::generate(family, hunt::case_seed(config.seed, case)))
                .collect()
        })
        .collect();
    let tallies: Vec<Mutex<Tally>> = (0..cells).map(|_| Mutex::default()).collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let worker = || loop {
        let item = next.fetch_add(1, Ordering::Relaxed);
        if item >= total {
            break;
        }
        // Case-major, so that every cell makes progress from the start.
        let (case, cell) = (item / cells, item % cells);
        let (v, f) = (cell / families.len(), cell % families.len());
        let scenario = &scenarios[f][case];
        let complete = (config.dpor_budget > 0)
            .then(|| {
                let check = CheckConfig {
                    strategy: Strategy::Dpor,
                    schedules: config.dpor_budget,
                    seed: 0,
                    steps_max: config.steps_max,
                    stop_on_first: false,
                    target: None,
                };
                engine::check(variants[v].clone(), scenario, &check)
            })
            .filter(|result| result.complete);
        let tried = if complete.is_none() && config.dpor_budget > 0 {
            config.dpor_budget
        } else {
            0
        };
        let result = complete.clone().unwrap_or_else(|| {
            let check = CheckConfig {
                strategy: Strategy::Random,
                schedules: config.schedules,
                seed: hunt::schedule_seed(config.seed, scenario),
                steps_max: config.steps_max,
                stop_on_first: false,
                target: None,
            };
            engine::check(variants[v].clone(), scenario, &check)
        });
        {
            let mut tally = tallies[cell].lock().unwrap_or_else(|p| p.into_inner());
            tally.complete_cases += usize::from(complete.is_some());
            tally.executions += result.executions + tried;
            tally.cut_off += result.cut_off;
            tally.failing_cases += usize::from(result.failed());
            for (&invariant, &executions) in &result.per_invariant {
                let seen = tally.seen.entry(invariant).or_insert(Seen {
                    first_case: case,
                    ..Seen::default()
                });
                seen.cases += 1;
                seen.executions += executions;
                seen.first_case = seen.first_case.min(case);
            }
        }
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(Progress { done, total });
    };
    crate::hunt::run_workers(config.jobs, &worker);
    let mut out = Vec::with_capacity(cells);
    for (cell, tally) in tallies.into_iter().enumerate() {
        let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
        let variant = &variants[cell / families.len()];
        let family = families[cell % families.len()];
        let observed: Vec<Invariant> = tally.seen.keys().copied().collect();
        let expected = variant.expected(family);
        let missing = expected
            .must
            .iter()
            .filter(|i| !observed.contains(i))
            .copied()
            .collect();
        let unexpected = observed
            .iter()
            .filter(|i| !expected.must.contains(i) && !expected.may.contains(i))
            .copied()
            .collect();
        out.push(Cell {
            variant: variant.name().to_string(),
            family,
            ok: expected.agrees_with(&observed),
            observed,
            expected,
            missing,
            unexpected,
            cases: config.cases,
            failing_cases: tally.failing_cases,
            complete_cases: tally.complete_cases,
            executions: tally.executions,
            cut_off: tally.cut_off,
            seen: tally.seen,
        });
    }
    Matrix {
        config: config.clone(),
        executions: out.iter().map(|c| c.executions).sum(),
        cells: out,
        elapsed_ms: start.elapsed().as_millis() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variant::{by_name, Declared};

    fn small(jobs: usize) -> MatrixConfig {
        MatrixConfig {
            cases: 4,
            schedules: 20,
            seed: 3,
            jobs,
            families: vec![Family::ServiceAccount, Family::MultiUser],
            dpor_budget: 0,
            ..MatrixConfig::default()
        }
    }

    #[test]
    fn cases_small_enough_are_judged_completely() {
        let variants = vec![by_name("fixed").unwrap()];
        let config = MatrixConfig {
            cases: 6,
            schedules: 20,
            seed: 3,
            jobs: 2,
            families: vec![Family::ServiceAccount],
            dpor_budget: 2000,
            ..MatrixConfig::default()
        };
        let result = matrix(&variants, &config, &|_| {});
        let cell = &result.cells[0];
        assert!(cell.complete_cases > 0, "{cell:?}");
        assert!(cell.observed.is_empty(), "{cell:?}");
        let random_only = matrix(
            &variants,
            &MatrixConfig {
                dpor_budget: 0,
                ..config
            },
            &|_| {},
        );
        assert_eq!(random_only.cells[0].complete_cases, 0);
    }

    #[test]
    fn deterministic_and_independent_of_jobs() {
        let variants = vec![by_name("original").unwrap(), by_name("fixed").unwrap()];
        let strip = |mut m: Matrix| {
            m.elapsed_ms = 0;
            m.config.jobs = 0;
            m
        };
        let one = strip(matrix(&variants, &small(1), &|_| {}));
        let two = strip(matrix(&variants, &small(2), &|_| {}));
        assert_eq!(one, two);
        assert_eq!(one.cells.len(), 4);
        assert_eq!(one.variants(), vec!["original", "fixed"]);
        let hang = one.cell("original", Family::MultiUser).unwrap();
        assert!(
            hang.observed.contains(&Invariant::PollerSignals),
            "{hang:?}"
        );
        assert_eq!(hang.executions, 4 * 20);
        assert!(one
            .cell("fixed", Family::MultiUser)
            .unwrap()
            .observed
            .is_empty());
    }

    #[test]
    fn a_wrong_declaration_is_a_mismatch() {
        struct Liar;
        impl Declared for Liar {
            fn name(&self) -> &str {
                "liar"
            }

            fn description(&self) -> &str {
                "the original, declared clean everywhere"
            }
        }

        impl Variant for Liar {}
        let result = matrix(&[Arc::new(Liar) as Arc<dyn Variant>], &small(1), &|_| {});
        let cell = result.cell("liar", Family::MultiUser).unwrap();
        assert!(!cell.ok);
        assert!(cell.unexpected.contains(&Invariant::PollerSignals));
        assert_eq!(result.mismatches().count(), 1);
    }
}
