//! The machinery as code: `pre-8244` and `wrong-release-lock` against `original` by the
//! complete search, and fixes written as code that log nothing through the table, judged all
//! the same.

use std::sync::Arc;

use super::{Machinery, Mapi, Session};
use crate::engine::{check, CheckConfig, CheckResult, Strategy};
use crate::family::Family;
use crate::monitor::{Finding, Invariant};
use crate::scenario::{Op, Scenario, ThreadSpec};
use crate::sim::{Aborted, Ctx, Sid, WaitOutcome};
use crate::trace::StoreId;
use crate::variant::{by_name, Declared, Variant};

/// One thread as the process user (no impersonation): `rounds` times logon, open, release,
/// logoff.
fn one_user(rounds: usize) -> Scenario {
    let ops = (0..rounds)
        .flat_map(|_| [Op::Logon, Op::OpenStore, Op::ReleaseStore, Op::Logoff])
        .collect();
    Scenario {
        process_user: Sid::local_system(),
        users: Default::default(),
        threads: vec![ThreadSpec::new(ops)],
    }
}

/// The complete search (DPOR), which must finish.
fn complete(variant: Arc<dyn Variant>, scenario: &Scenario) -> CheckResult {
    let config = CheckConfig {
        strategy: Strategy::Dpor,
        schedules: 1_000_000,
        ..CheckConfig::default()
    };
    let result = check(variant, scenario, &config);
    assert!(result.complete, "the complete search finished");
    result
}

fn observed(result: &CheckResult) -> Vec<Invariant> {
    result.per_invariant.keys().copied().collect()
}

#[test]
fn pre_8244_hangs_on_one_logon_open_release_logoff_and_original_never_does() {
    let single = one_user(1);
    assert!(Family::ServiceAccount.contains(&single));
    let pre = complete(by_name("pre-8244").unwrap(), &single);
    assert!(pre.per_invariant[&Invariant::PollerSignals] > 0);
    // On some schedules only: the timing has to be just right.
    assert!(pre.failing < pre.traces, "{pre:?}");
    let original = complete(by_name("original").unwrap(), &single);
    assert!(!original.failed(), "{:?}", original.per_invariant);
}

#[test]
fn pre_8244_hangs_on_rapid_logon_logoff_churn_and_original_never_does() {
    let churn = one_user(3);
    let pre = complete(by_name("pre-8244").unwrap(), &churn);
    assert_eq!(
        observed(&pre),
        [Invariant::PollerSignals, Invariant::NoLeak],
        "a lost release hangs; a lost stop request leaves its poller behind"
    );
    let original = complete(by_name("original").unwrap(), &churn);
    assert!(!original.failed(), "{:?}", original.per_invariant);
}

#[test]
fn wrong_release_lock_deadlocks_with_one_user_on_every_schedule() {
    let variant = by_name("wrong-release-lock").unwrap();
    let result = complete(variant.clone(), &one_user(1));
    assert_eq!(observed(&result), [Invariant::PollerSignals]);
    assert_eq!(result.failing, result.traces, "every schedule deadlocks");
    let failure = result.first_failure.expect("it failed");
    let stall = failure.outcome.stall.expect("every thread blocked");
    assert_eq!(
        stall.locks.len(),
        1,
        "the poller waits for the lock the release holds"
    );
    assert_eq!(failure.outcome.locks, ["table"]);
}

/// A fix as code whose store release queues nothing through the table and waits on an event
/// of its own, which nobody sets: it logs nothing the monitors read about the release.
struct SilentRelease;

impl Declared for SilentRelease {
    fn name(&self) -> &str {
        "test-silent-release"
    }

    fn description(&self) -> &str {
        "releases by waiting on an event of its own"
    }
}

impl Variant for SilentRelease {
    fn machinery(&self) -> Option<&dyn Machinery> {
        Some(self)
    }
}

impl Machinery for SilentRelease {
    fn release_store(
        &self,
        _mapi: &Mapi,
        ctx: &Ctx,
        _session: Session,
        _store: StoreId,
    ) -> Result<WaitOutcome, Aborted> {
        let never = ctx.create_event(true);
        ctx.try_wait(never)?;
        Ok(WaitOutcome::Signalled)
    }
}

/// A fix as code whose store release returns at once, queueing nothing.
struct SkipRelease;

impl Declared for SkipRelease {
    fn name(&self) -> &str {
        "test-skip-release"
    }

    fn description(&self) -> &str {
        "releases without asking any poller"
    }
}

impl Variant for SkipRelease {
    fn machinery(&self) -> Option<&dyn Machinery> {
        Some(self)
    }
}

impl Machinery for SkipRelease {
    fn release_store(
        &self,
        _mapi: &Mapi,
        _ctx: &Ctx,
        _session: Session,
        _store: StoreId,
    ) -> Result<WaitOutcome, Aborted> {
        Ok(WaitOutcome::Signalled)
    }
}

#[test]
fn a_release_that_logs_nothing_through_the_table_and_never_returns_is_poller_signals() {
    let result = complete(Arc::new(SilentRelease), &one_user(1));
    assert_eq!(observed(&result), [Invariant::PollerSignals]);
    assert_eq!(result.failing, result.traces);
    let failure = result.first_failure.expect("it failed");
    assert!(
        failure.findings.iter().any(|f| matches!(
            f,
            Finding::Hang {
                thread: 0,
                store: StoreId(1),
                ..
            }
        )),
        "{:?}",
        failure.findings
    );
}

#[test]
fn a_release_that_logs_nothing_through_the_table_and_returns_is_work_done() {
    let result = complete(Arc::new(SkipRelease), &Scenario::seed_repro());
    assert!(result.per_invariant.contains_key(&Invariant::WorkDone));
    assert_eq!(
        result.per_invariant[&Invariant::WorkDone],
        result.traces,
        "every schedule"
    );
}
