//! The regression corpus: scenarios with the verdict each variant is expected to give.
//!
//! A corpus file (`tests/corpus/*.json`) holds one [`CorpusEntry`]: a scenario, the schedules
//! and seed it is checked with, and per variant the exact set of invariants it violates there.
//! `cargo test` re-checks every file, so a change to the model, a monitor or a variant that moves
//! any verdict shows up as a failing test naming the file and the variant. Each variant is
//! checked by the complete search (DPOR) when it finishes within [`DPOR_BUDGET`] executions,
//! else by the entry's random schedules.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{self, CheckConfig, Strategy};
use crate::monitor::Invariant;
use crate::scenario::{Scenario, ScenarioError};
use crate::variant::Variant;

/// Random schedules per variant when an entry does not say.
pub const SCHEDULES_DEFAULT: usize = 1000;
/// The most schedules an entry may ask for (per variant).
pub const SCHEDULES_MAX: usize = 1_000_000;

fn schedules_default() -> usize {
    SCHEDULES_DEFAULT
}

/// One corpus file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusEntry {
    /// Where the scenario came from (a hunt, a fuzz crash, a design case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The scenario.
    pub scenario: Scenario,
    /// Random schedules per variant.
    #[serde(default = "schedules_default")]
    pub schedules: usize,
    /// The schedules' seed.
    #[serde(default)]
    pub seed: u64,
    /// Per variant name, the invariants it violates on this scenario (empty: keeps them all).
    pub expect: BTreeMap<String, Vec<Invariant>>,
}

/// A variant whose verdict on an entry is not the expected one (serialised as an invariant-name
/// list each, in `corpus check --format json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The variant's name.
    pub variant: String,
    /// What the entry expects.
    pub expected: Vec<Invariant>,
    /// What the check found.
    pub observed: Vec<Invariant>,
}

/// The executions the complete search (DPOR) may take per variant and entry before the check
/// falls back to random schedules.
pub const DPOR_BUDGET: usize = 2000;

/// What a variant violates on an entry's scenario, and how that was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The invariants violated.
    pub invariants: Vec<Invariant>,
    /// Found by the complete search (every interleaving, so exactly the invariants the variant
    /// can violate there); else by the entry's random schedules.
    pub complete: bool,
}

/// The invariants `variant` violates on `scenario`: by the complete search when it finishes
/// within [`DPOR_BUDGET`] executions, else over `schedules` random schedules from `seed`.
pub fn observe(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    schedules: usize,
    seed: u64,
) -> Observation {
    let complete = engine::check(
        variant.clone(),
        scenario,
        &CheckConfig {
            strategy: Strategy::Dpor,
            schedules: DPOR_BUDGET,
            ..CheckConfig::default()
        },
    );
    if complete.complete {
        return Observation {
            invariants: complete.per_invariant.into_keys().collect(),
            complete: true,
        };
    }
    let config = CheckConfig {
        strategy: Strategy::Random,
        schedules,
        seed,
        ..CheckConfig::default()
    };
    Observation {
        invariants: engine::check(variant, scenario, &config)
            .per_invariant
            .into_keys()
            .collect(),
        complete: false,
    }
}

/// What re-checking an entry showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// The variants whose verdict is not the expected one.
    pub mismatches: Vec<Mismatch>,
    /// The variants checked by the complete search (the others by random schedules).
    pub complete: Vec<String>,
}

impl CorpusEntry {
    /// An entry for `scenario` whose expectations are what `variants` do on it now.
    pub fn record(
        scenario: Scenario,
        variants: &[Arc<dyn Variant>],
        note: Option<String>,
    ) -> CorpusEntry {
        let (schedules, seed) = (SCHEDULES_DEFAULT, 0);
        let expect = variants
            .iter()
            .map(|v| {
                (
                    v.name().to_string(),
                    observe(v.clone(), &scenario, schedules, seed).invariants,
                )
            })
            .collect();
        CorpusEntry {
            note,
            scenario,
            schedules,
            seed,
            expect,
        }
    }

    /// Parse and validate an entry: its scenario, and `schedules` from 1 to
    /// [`SCHEDULES_MAX`] (an entry checked on no schedule would pass whatever it records).
    pub fn from_json(text: &str) -> Result<CorpusEntry, ScenarioError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let entry: CorpusEntry = serde_json::from_str(text)?;
        entry.scenario.validate()?;
        if entry.schedules == 0 || entry.schedules > SCHEDULES_MAX {
            return Err(ScenarioError::Invalid(format!(
                "schedules is {}, it must be from 1 to {SCHEDULES_MAX}",
                entry.schedules
            )));
        }
        Ok(entry)
    }

    /// The variant names the entry records that are not among `variants` (an error: a typo
    /// or a variant that is gone would otherwise be compared as empty).
    pub fn unknown_variants(&self, variants: &[Arc<dyn Variant>]) -> Vec<String> {
        self.expect
            .keys()
            .filter(|name| !variants.iter().any(|v| v.name() == name.as_str()))
            .cloned()
            .collect()
    }

    /// Every variant the entry records a verdict for is one of `variants`; else why not.
    pub fn check_variants(&self, variants: &[Arc<dyn Variant>]) -> Result<(), String> {
        let unknown = self.unknown_variants(variants);
        if unknown.is_empty() {
            return Ok(());
        }
        Err(format!(
            "unknown variant(s) {} (known: {})",
            unknown.join(", "),
            variants
                .iter()
                .map(|v| v.name())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// The names among `required` (the built-in variants) that the entry records no verdict for.
    pub fn missing_variants(&self, required: &[Arc<dyn Variant>]) -> Vec<String> {
        required
            .iter()
            .map(|v| v.name())
            .filter(|name| !self.expect.contains_key(*name))
            .map(str::to_string)
            .collect()
    }

    /// The entry as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an entry always serialises")
    }

    /// Re-check every variant the entry names that is among `variants` (callers reject the
    /// others first: [`CorpusEntry::unknown_variants`]).
    pub fn verify(&self, variants: &[Arc<dyn Variant>]) -> Verification {
        let mut verification = Verification::default();
        for (name, expected) in &self.expect {
            let Some(variant) = variants.iter().find(|v| v.name() == name) else {
                continue;
            };
            let observed = observe(variant.clone(), &self.scenario, self.schedules, self.seed);
            if observed.complete {
                verification.complete.push(name.clone());
            }
            if observed.invariants != *expected {
                verification.mismatches.push(Mismatch {
                    variant: name.clone(),
                    expected: expected.clone(),
                    observed: observed.invariants,
                });
            }
        }
        verification
    }

    /// A file name for the entry: a stable hash of its scenario.
    pub fn file_name(&self) -> String {
        let hash = crate::hash::fnv1a(self.scenario.to_json().as_bytes());
        format!("{hash:016x}.json")
    }
}
