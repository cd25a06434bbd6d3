//! `advise`: the user's own scenario under the seed's build, under each deployment workaround
//! (the scenario rewritten: what the application would change), and under the code fixes,
//! each with its verdict and how complete the evidence is.
//!
//! Each verdict says what it rests on ([`Evidence`]): a complete search (DPOR) that finished
//! within the budget is a proof for the scenario (`proof`); a violation found by a search that
//! did not finish is certain, though others may exist (`found`); otherwise the budget was spent
//! without a violation and PCT sampled the rest (`sampled`, with PCT's bound).
//!
//! Core returns the data ([`AdviceResult`], JSON schema `mapihang.advice/1`); the CLI words it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::engine::{self, CheckConfig, CheckResult, Strategy};
use crate::monitor::Invariant;
use crate::report::Guarantee;
use crate::scenario::{Op, Scenario, ThreadSpec, THREADS_MAX};
use crate::variant::Variant;
use crate::verdict::Verdict;

/// The `schema` of `advise --format json`.
pub const SCHEMA: &str = "mapihang.advice/1";

/// The lock `serialize-user-contexts` puts around each thread's MAPI work.
pub const SERIALIZE_LOCK: &str = "user-context";
/// The thread `keep-process-session` adds.
pub const KEEPER: &str = "process-session";

/// How much evidence each run gathers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdviseConfig {
    /// A complete search (the stateful one; DPOR for a variant with machinery code of its own)
    /// is tried first with this many executions; when it does not
    /// finish, PCT runs `schedules` schedules instead (0: PCT only).
    pub dpor_budget: usize,
    /// PCT schedules when the complete search does not finish.
    pub schedules: usize,
    /// PCT's depth.
    pub depth: usize,
    /// PCT's seed.
    pub seed: u64,
    /// The step bound of one execution.
    pub steps_max: usize,
}

impl Default for AdviseConfig {
    /// The complete search's budget covers the workarounds of the seed's repro
    /// (`service-account` and `one-user` finish in 42,122 executions, `keep-process-session` in
    /// 20,009, `serialize-user-contexts` in 1,284; the code fixes would need 1,287,556, about two
    /// minutes each, so they are sampled).
    fn default() -> AdviseConfig {
        AdviseConfig {
            dpor_budget: 100_000,
            schedules: 2_000,
            depth: 3,
            seed: 0,
            steps_max: engine::STEPS_MAX_DEFAULT,
        }
    }
}

/// A way to run the application: a deployment workaround (the scenario rewritten) or a code
/// fix (a variant).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Remedy {
    /// The scenario as given, under the seed's build.
    Original,
    /// Every impersonation removed: all MAPI work under the service account (the seed's remedy).
    ServiceAccount,
    /// Every impersonation is of one and the same user.
    OneUser,
    /// An application lock around each thread's MAPI work, first logon to last logoff.
    SerializeUserContexts,
    /// A process-user session held open from before the first worker starts until after the
    /// last one ends.
    KeepProcessSession,
    /// The combined code fix.
    Fixed,
    /// The poller is handed its own list.
    FixBindList,
}

impl Remedy {
    /// Every remedy, in the order `advise` runs them.
    pub const ALL: [Remedy; 7] = [
        Remedy::Original,
        Remedy::ServiceAccount,
        Remedy::OneUser,
        Remedy::SerializeUserContexts,
        Remedy::KeepProcessSession,
        Remedy::Fixed,
        Remedy::FixBindList,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Remedy::Original => "original",
            Remedy::ServiceAccount => "service-account",
            Remedy::OneUser => "one-user",
            Remedy::SerializeUserContexts => "serialize-user-contexts",
            Remedy::KeepProcessSession => "keep-process-session",
            Remedy::Fixed => "fixed",
            Remedy::FixBindList => "fix-bind-list",
        }
    }

    /// What it changes in the application (or the library), in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            Remedy::Original => "Nothing: the application as given, on the seed's MAPICDO build.",
            Remedy::ServiceAccount => {
                "Every impersonation is removed: all MAPI work runs under the service account \
                 (the seed's remedy)."
            }
            Remedy::OneUser => {
                "Every thread that impersonates impersonates one and the same user (the first \
                 one the scenario names)."
            }
            Remedy::SerializeUserContexts => {
                "Each thread takes one application lock from its first logon to its last logoff, \
                 so no two threads do MAPI work at once."
            }
            Remedy::KeepProcessSession => {
                "A thread logs on as the process user before every other thread starts and logs \
                 off only after all of them have ended (a plausible idea)."
            }
            Remedy::Fixed => "No application change: the combined code fix in MAPI (fixed).",
            Remedy::FixBindList => {
                "No application change: MAPI hands each poller its own list (fix-bind-list)."
            }
        }
    }

    /// The variant the remedy runs under.
    pub fn variant(self) -> &'static str {
        match self {
            Remedy::Fixed => "fixed",
            Remedy::FixBindList => "fix-bind-list",
            _ => "original",
        }
    }

    /// The scenario as this remedy changes it (`Err`: it cannot be applied, and why).
    pub fn rewrite(self, scenario: &Scenario) -> Result<Scenario, String> {
        match self {
            Remedy::Original | Remedy::Fixed | Remedy::FixBindList => Ok(scenario.clone()),
            Remedy::ServiceAccount => Ok(service_account(scenario)),
            Remedy::OneUser => Ok(one_user(scenario)),
            Remedy::SerializeUserContexts => Ok(serialize(scenario)),
            Remedy::KeepProcessSession => keep_process_session(scenario),
        }
    }
}

/// What a remedy's verdict rests on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// The complete search finished: the verdict holds on every interleaving, and the
    /// invariants listed are all that any interleaving violates.
    Proof,
    /// A failing execution was found (the violation is certain) by a search that did not
    /// finish: other invariants may be violated too.
    Found,
    /// No violation in a sample: the complete search did not finish within its budget (or was
    /// not tried), then PCT ran; `guarantee` has PCT's bound.
    Sampled,
    /// Not run: the remedy does not apply.
    NotRun,
}

impl Evidence {
    /// The stable name (`proof`, `found`, `sampled`, `not-run`).
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Proof => "proof",
            Evidence::Found => "found",
            Evidence::Sampled => "sampled",
            Evidence::NotRun => "not-run",
        }
    }
}

/// One remedy's run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Workaround {
    /// The remedy's name.
    pub name: Remedy,
    /// What it changes, in one sentence.
    pub description: &'static str,
    /// The variant it ran under.
    pub variant: &'static str,
    /// The scenario it ran (the user's, rewritten), to run again with `check` (`None`: the
    /// remedy does not apply, see `not_applicable`).
    pub scenario: Option<Scenario>,
    /// Why the remedy could not be applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// `pass`, `violation` or `inconclusive`.
    pub verdict: Option<Verdict>,
    /// Per invariant, the executions that violated it.
    pub per_invariant: BTreeMap<Invariant, usize>,
    /// Every interleaving was covered (a complete search finished).
    pub complete: bool,
    /// What the verdict rests on: a proof, a failing execution found, or a sample.
    pub evidence: Evidence,
    /// Executions the verdict rests on (the complete search's, or PCT's after it did not
    /// finish).
    pub executions: usize,
    /// Executions the complete search ran (all of its budget when it did not finish; 0 when
    /// it was not tried).
    pub search_executions: usize,
    /// What the verdict guarantees (a proof, or PCT's bound).
    pub guarantee: Option<Guarantee>,
    /// The complete search tried first: `stateful` (every reachable state, for a variant
    /// without machinery code of its own), `dpor` (every interleaving up to equivalence, for a
    /// variant with), or `none` (not tried).
    pub scheduler: &'static str,
}

/// `advise`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdviceResult {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The user's scenario.
    pub scenario: Scenario,
    /// The verdict of the scenario as given under `original` (the exit code's).
    pub verdict: Verdict,
    /// Every remedy, in [`Remedy::ALL`]'s order.
    pub workarounds: Vec<Workaround>,
}

/// Run `scenario` under every remedy. `variant` finds a variant by name.
pub fn advise(
    scenario: &Scenario,
    config: &AdviseConfig,
    variant: &dyn Fn(&str) -> Arc<dyn Variant>,
    progress: &dyn Fn(Remedy),
) -> AdviceResult {
    let workarounds: Vec<Workaround> = Remedy::ALL
        .iter()
        .map(|&remedy| {
            progress(remedy);
            run(remedy, scenario, config, variant(remedy.variant()))
        })
        .collect();
    let verdict = workarounds[0].verdict.unwrap_or(Verdict::Inconclusive);
    AdviceResult {
        schema: SCHEMA,
        scenario: scenario.clone(),
        verdict,
        workarounds,
    }
}

fn run(
    remedy: Remedy,
    scenario: &Scenario,
    config: &AdviseConfig,
    variant: Arc<dyn Variant>,
) -> Workaround {
    let mut workaround = Workaround {
        name: remedy,
        description: remedy.description(),
        variant: remedy.variant(),
        scenario: None,
        not_applicable: None,
        verdict: None,
        per_invariant: BTreeMap::new(),
        complete: false,
        evidence: Evidence::NotRun,
        executions: 0,
        search_executions: 0,
        scheduler: "none",
        guarantee: None,
    };
    let rewritten = match remedy.rewrite(scenario) {
        Ok(rewritten) => rewritten,
        Err(why) => {
            workaround.not_applicable = Some(why);
            return workaround;
        }
    };
    let (check, result, searched, scheduler) = evidence(variant, &rewritten, config);
    workaround.scheduler = scheduler;
    workaround.verdict = Some(result.verdict());
    workaround.per_invariant = result.per_invariant.clone();
    workaround.complete = result.complete;
    workaround.evidence = if result.complete {
        Evidence::Proof
    } else if result.failed() {
        Evidence::Found
    } else {
        Evidence::Sampled
    };
    workaround.executions = result.executions;
    workaround.search_executions = searched;
    workaround.guarantee = Some(Guarantee::of(&check, &result));
    workaround.scenario = Some(rewritten);
    workaround
}

/// A complete search when it finishes within the budget (or finds a violation), else PCT;
/// with the executions the complete search ran, and which search it was.
fn evidence(
    variant: Arc<dyn Variant>,
    scenario: &Scenario,
    config: &AdviseConfig,
) -> (CheckConfig, CheckResult, usize, &'static str) {
    let mut searched = 0;
    let mut scheduler = "none";
    if config.dpor_budget > 0 {
        // The stateful search where it applies (engine::for_variant: DPOR for code of its own).
        let complete = engine::for_variant(
            &CheckConfig {
                strategy: Strategy::Stateful,
                schedules: config.dpor_budget,
                seed: 0,
                steps_max: config.steps_max,
                stop_on_first: false,
                target: None,
            },
            &*variant,
        );
        scheduler = match complete.strategy {
            Strategy::Stateful => "stateful",
            _ => "dpor",
        };
        let result = engine::check(variant.clone(), scenario, &complete);
        searched = result.executions;
        // A violation found is certain whether or not the search finished.
        if result.complete || result.failed() {
            return (complete, result, searched, scheduler);
        }
    }
    let pct = CheckConfig {
        strategy: Strategy::Pct {
            depth: config.depth,
        },
        schedules: config.schedules,
        seed: config.seed,
        steps_max: config.steps_max,
        stop_on_first: false,
        target: None,
    };
    let result = engine::check(variant, scenario, &pct);
    (pct, result, searched, scheduler)
}

/// `ops` with every op (inside repeats too) mapped by `f` (`None`: dropped; an emptied repeat
/// is dropped).
fn map_ops(ops: &[Op], f: &dyn Fn(&Op) -> Option<Op>) -> Vec<Op> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Repeat { count, ops } => {
                let inner = map_ops(ops, f);
                (!inner.is_empty()).then_some(Op::Repeat {
                    count: *count,
                    ops: inner,
                })
            }
            other => f(other),
        })
        .collect()
}

fn map_threads(scenario: &Scenario, f: &dyn Fn(&Op) -> Option<Op>) -> Scenario {
    let mut out = scenario.clone();
    for thread in &mut out.threads {
        thread.ops = map_ops(&thread.ops, f);
    }
    out
}

fn service_account(scenario: &Scenario) -> Scenario {
    let mut out = map_threads(scenario, &|op| match op {
        Op::Impersonate(_) | Op::ImpersonateUser { .. } | Op::Revert => None,
        other => Some(other.clone()),
    });
    out.users.clear();
    out
}

fn one_user(scenario: &Scenario) -> Scenario {
    let first = scenario
        .threads
        .iter()
        .flat_map(|t| t.expanded())
        .find(|op| op.impersonated().is_some());
    let Some(first) = first else {
        return scenario.clone();
    };
    map_threads(scenario, &|op| match op {
        Op::Impersonate(_) | Op::ImpersonateUser { .. } => Some(first.clone()),
        other => Some(other.clone()),
    })
}

/// A lock before each thread's first (top-level) op that contains a logon, an unlock after the
/// last one that contains a logoff (or at the end, when it logs off only implicitly).
fn serialize(scenario: &Scenario) -> Scenario {
    let has = |op: &Op, f: fn(&Op) -> bool| op.expanded().iter().any(f);
    let mut out = scenario.clone();
    for thread in &mut out.threads {
        let Some(first) = thread.ops.iter().position(|op| has(op, Op::is_logon)) else {
            continue;
        };
        let last = thread
            .ops
            .iter()
            .rposition(|op| has(op, |o| matches!(o, Op::Logoff | Op::LogoffNamed(_))))
            .filter(|&last| last >= first)
            .unwrap_or(thread.ops.len() - 1);
        thread
            .ops
            .insert(last + 1, Op::Unlock(SERIALIZE_LOCK.into()));
        thread.ops.insert(first, Op::Lock(SERIALIZE_LOCK.into()));
    }
    out
}

/// A thread (last, so the default names `T1`, `T2`, ... stay) that logs on as the process user
/// and signals, every thread that starts at once waits for that signal first, and the new
/// thread joins every thread that runs before it logs off.
fn keep_process_session(scenario: &Scenario) -> Result<Scenario, String> {
    if scenario.threads.len() >= THREADS_MAX {
        return Err(format!(
            "the scenario has {} threads: no room for the thread that holds the session (at most {THREADS_MAX})",
            scenario.threads.len()
        ));
    }
    let mut name = KEEPER.to_string();
    while scenario.thread_index(&name).is_some() {
        name.push('\'');
    }
    let event = format!("{name} open");
    let spawned: Vec<bool> = (0..scenario.threads.len())
        .map(|t| {
            let me = scenario.thread_name(t);
            !scenario.threads[t].spawned
                || scenario
                    .threads
                    .iter()
                    .flat_map(|th| th.expanded())
                    .any(|op| op == Op::Spawn(me.clone()))
        })
        .collect();
    let mut out = scenario.clone();
    let mut keeper = vec![Op::Logon, Op::Signal(event.clone())];
    for (t, thread) in out.threads.iter_mut().enumerate() {
        if !thread.spawned {
            thread.ops.insert(0, Op::Wait(event.clone()));
        }
        if spawned[t] {
            keeper.push(Op::Join(scenario.thread_name(t)));
        }
    }
    keeper.push(Op::Logoff);
    out.threads.push(ThreadSpec {
        name: Some(name),
        spawned: false,
        ops: keeper,
    });
    out.validate().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Scenario {
        Scenario::seed_repro()
    }

    #[test]
    fn rewrites_say_what_they_change() {
        let sa = Remedy::ServiceAccount.rewrite(&seed()).unwrap();
        assert!(sa.users().len() == 1, "no impersonation left");
        let one = Remedy::OneUser.rewrite(&seed()).unwrap();
        assert_eq!(one.users().len(), 2, "the process user and one user");
        let serial = Remedy::SerializeUserContexts.rewrite(&seed()).unwrap();
        for thread in &serial.threads {
            assert_eq!(thread.ops[1], Op::Lock(SERIALIZE_LOCK.into()));
            assert_eq!(thread.ops[6], Op::Unlock(SERIALIZE_LOCK.into()));
        }
        let keep = Remedy::KeepProcessSession.rewrite(&seed()).unwrap();
        assert_eq!(keep.threads.len(), 3);
        assert_eq!(keep.thread_name(2), KEEPER);
        assert!(matches!(keep.threads[0].ops[0], Op::Wait(_)));
        assert_eq!(
            keep.threads[2].ops.len(),
            5,
            "logon, signal, join T1, join T2, logoff"
        );
    }

    fn run_seed(remedy: Remedy, dpor_budget: usize) -> Workaround {
        let config = AdviseConfig {
            dpor_budget,
            schedules: 300,
            ..AdviseConfig::default()
        };
        let variant = crate::variant::by_name(remedy.variant()).unwrap();
        run(remedy, &seed(), &config, variant)
    }

    #[test]
    fn on_the_seeds_repro_service_account_removes_the_hang_and_keep_process_session_does_not() {
        let hangs = |w: &Workaround| w.per_invariant.contains_key(&Invariant::PollerSignals);
        // Found at once by the complete search, which does not finish within a small budget.
        let original = run_seed(Remedy::Original, 2_000);
        assert!(hangs(&original));
        assert_eq!(original.verdict, Some(Verdict::Violation));
        assert_eq!(original.evidence, Evidence::Found);
        assert_eq!(original.guarantee.as_ref().unwrap().kind, "bounded");
        // The seed's remedy removes the hang, and the default budget proves it: the complete
        // search (the stateful one) finishes (801 executions: the service account's two
        // workers run the same ops, and the search stores one state of each swapped pair), as
        // it does for one user.
        let budget = AdviseConfig::default().dpor_budget;
        for remedy in [Remedy::ServiceAccount, Remedy::OneUser] {
            let w = run_seed(remedy, budget);
            assert_eq!(w.verdict, Some(Verdict::Pass), "{remedy:?}");
            assert_eq!(w.evidence, Evidence::Proof, "{remedy:?}");
            assert!(w.complete && w.executions == w.search_executions);
            assert!(w.executions > 500, "{remedy:?}: {}", w.executions);
            assert_eq!(w.guarantee.as_ref().unwrap().kind, "complete");
            assert_eq!(w.scheduler, "stateful");
        }
        // Holding a process-user session around the workers hangs on some interleaving, and
        // the search proves that this is all it does wrong.
        let keep = run_seed(Remedy::KeepProcessSession, budget);
        assert!(hangs(&keep), "{keep:?}");
        assert_eq!(keep.evidence, Evidence::Proof);
        assert_eq!(
            keep.per_invariant.keys().copied().collect::<Vec<_>>(),
            [Invariant::PollerSignals]
        );
        // Small enough for a proof once the threads cannot interleave their MAPI work; and not
        // safe, by the poller's stop window: T1's poller sees no stop request, T1 logs off and
        // unlocks, T2 logs on, and the poller then finds T2's list the only one and takes it for
        // its own (poller-owns-list; no release hangs on any interleaving).
        let serialized = run_seed(Remedy::SerializeUserContexts, budget);
        assert_eq!(serialized.verdict, Some(Verdict::Violation));
        assert!(serialized.complete);
        assert_eq!(serialized.evidence, Evidence::Proof);
        assert_eq!(
            serialized.per_invariant.keys().copied().collect::<Vec<_>>(),
            [Invariant::PollerOwnsList]
        );
        // The fix: proven by the default budget (every reachable state, 2,614 executions)...
        let fixed = run_seed(Remedy::Fixed, budget);
        assert_eq!(fixed.verdict, Some(Verdict::Pass));
        assert_eq!(fixed.evidence, Evidence::Proof);
        assert_eq!(fixed.guarantee.as_ref().unwrap().kind, "complete");
        // ... but it needs more than a budget this small: sampled, with PCT's bound.
        let fixed = run_seed(Remedy::Fixed, 2_000);
        assert_eq!(fixed.verdict, Some(Verdict::Pass));
        assert_eq!(fixed.evidence, Evidence::Sampled);
        assert_eq!(fixed.search_executions, 2_000);
        assert_eq!(fixed.executions, 300);
        let guarantee = fixed.guarantee.as_ref().unwrap();
        assert_eq!(guarantee.kind, "pct");
        assert!(guarantee
            .miss_probability_max
            .is_some_and(|p| p > 0.0 && p < 1.0));
        // PCT alone when the complete search is not tried.
        let pct_only = run_seed(Remedy::FixBindList, 0);
        assert_eq!(pct_only.evidence, Evidence::Sampled);
        assert_eq!(pct_only.search_executions, 0);
    }

    #[test]
    fn advise_runs_every_remedy_in_order() {
        let config = AdviseConfig {
            dpor_budget: 500,
            schedules: 50,
            ..AdviseConfig::default()
        };
        let seen = std::sync::Mutex::new(Vec::new());
        let result = advise(
            &seed(),
            &config,
            &|name| crate::variant::by_name(name).unwrap(),
            &|remedy| seen.lock().unwrap().push(remedy),
        );
        assert_eq!(*seen.lock().unwrap(), Remedy::ALL);
        let names: Vec<Remedy> = result.workarounds.iter().map(|w| w.name).collect();
        assert_eq!(names, Remedy::ALL);
        assert_eq!(result.verdict, Verdict::Violation);
        assert_eq!(result.schema, SCHEMA);
    }
}
