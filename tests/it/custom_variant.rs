//! The public variant API: a candidate fix defined here, outside `mapihang-core`, runs through
//! the same engine, hunt, matrix and command line as the built-in variants.

use std::process::ExitCode;
use std::sync::Arc;

use mapihang_core::engine::{self, CheckConfig, Strategy};
use mapihang_core::family::Family;
use mapihang_core::hunt::{self, HuntConfig};
use mapihang_core::matrix::{self, MatrixConfig};
use mapihang_core::monitor::Invariant;
use mapihang_core::scenario::Scenario;
use mapihang_core::sim::Sid;
use mapihang_core::trace::ListId;
use mapihang_core::variant::{
    key_by_full_sid, list_keyed, Declared, Expectation, ListKey, ListView, PollerToken, PollerView,
    Variant,
};

use crate::{example, load};

/// A second way to fix the hang: the poller runs with its creator's token and looks its list up
/// by the full SID, with no one-list shortcut. Nothing in it is built in.
struct TokenAndSid;

impl Declared for TokenAndSid {
    fn name(&self) -> &str {
        "test-token-and-sid"
    }

    fn description(&self) -> &str {
        "the poller inherits its creator's token and finds its list by full SID"
    }

    fn expected(&self, _family: Family) -> Expectation {
        Expectation::clean()
    }
}

impl Variant for TokenAndSid {
    fn list_key(&self, user: &Sid) -> ListKey {
        key_by_full_sid(user)
    }

    fn poller_token(&self) -> PollerToken {
        PollerToken::Creator
    }

    fn find_own_list(&self, lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        list_keyed(lists, &self.list_key(me.user))
    }
}

/// A plausible-but-wrong candidate: keeps the seed's search, but a poller that finds no list
/// takes the first one (any list rather than quitting).
struct TakeFirst;

impl Declared for TakeFirst {
    fn name(&self) -> &str {
        "test-take-first"
    }

    fn description(&self) -> &str {
        "a poller that finds no list of its own takes the first list in the table"
    }

    fn expected(&self, family: Family) -> Expectation {
        use Invariant::*;
        match family {
            Family::ServiceAccount | Family::SameUser => Expectation::clean(),
            // Lists are still keyed by CRC32: colliding users share one.
            Family::CrcCollision => {
                Expectation::violates(&[ListIsolation], &[PollerOwnsList, PollerSignals])
            }
            Family::Any => {
                Expectation::violates(&[PollerOwnsList], &[PollerSignals, ListIsolation])
            }
            Family::MultiUser | Family::Mixed => {
                Expectation::violates(&[PollerOwnsList], &[PollerSignals])
            }
        }
    }
}

impl Variant for TakeFirst {
    fn find_own_list(&self, lists: &[ListView<'_>], me: &PollerView<'_>) -> Option<ListId> {
        list_keyed(lists, &self.list_key(me.user)).or(lists.first().map(|l| l.id))
    }
}

fn random(schedules: usize) -> CheckConfig {
    CheckConfig {
        strategy: Strategy::Random,
        schedules,
        seed: 5,
        ..CheckConfig::default()
    }
}

fn quick_hunt(family: Family, target: Option<Invariant>) -> HuntConfig {
    HuntConfig {
        family,
        cases: 40,
        schedules: 50,
        seed: 1,
        target,
        shrink_candidates_max: 200,
        preemptions_max: 1,
        dfs_schedules: 20_000,
        ..HuntConfig::default()
    }
}

#[test]
fn a_custom_fix_runs_through_check_and_hunt() {
    let fix: Arc<dyn Variant> = Arc::new(TokenAndSid);
    let seed = engine::check(fix.clone(), &Scenario::seed_repro(), &random(500));
    assert_eq!(seed.executions, 500);
    assert!(!seed.failed(), "{:?}", seed.first_failure);
    let collision = engine::check(fix.clone(), &load("crc-collision.json"), &random(300));
    assert!(!collision.failed(), "{:?}", collision.first_failure);
    // Every schedule with at most two preemptions of the seed's repro.
    let dfs = CheckConfig {
        strategy: Strategy::Dfs {
            preemptions: Some(2),
        },
        schedules: 1_000_000,
        ..CheckConfig::default()
    };
    let exhaustive = engine::check(fix.clone(), &Scenario::seed_repro(), &dfs);
    assert!(exhaustive.exhausted && !exhaustive.failed());
    for family in [Family::MultiUser, Family::CrcCollision] {
        let result = hunt::hunt(fix.clone(), &quick_hunt(family, None), &|_| {});
        assert!(result.found.is_none(), "{family}: {:?}", result.found);
        assert_eq!(result.stats.cases_tried, 40);
    }
}

#[test]
fn a_custom_wrong_fix_is_caught_and_shrunk() {
    let wrong: Arc<dyn Variant> = Arc::new(TakeFirst);
    let target = Some(Invariant::PollerOwnsList);
    let result = hunt::hunt(
        wrong.clone(),
        &quick_hunt(Family::MultiUser, target),
        &|_| {},
    );
    let found = result.found.expect("taking another user's list is caught");
    assert_eq!(found.invariant, Invariant::PollerOwnsList);
    assert!(Family::MultiUser.contains(&found.scenario));
    assert!(found.scenario.ops_total() <= found.original.ops_total());
    // The shrunk failure replays exactly, through the same engine.
    let failure = found.check.first_failure.as_ref().expect("a failure");
    let replay = engine::replay(
        wrong,
        &found.scenario,
        &failure.schedule,
        found.config.steps_max,
    );
    assert!(replay.faithful);
    assert!(replay
        .findings
        .iter()
        .any(|f| f.invariant() == Invariant::PollerOwnsList));
}

#[test]
fn the_matrix_holds_custom_variants_to_their_declarations() {
    let variants: Vec<Arc<dyn Variant>> = vec![Arc::new(TokenAndSid), Arc::new(TakeFirst)];
    let config = MatrixConfig {
        cases: 12,
        schedules: 40,
        seed: 2,
        families: vec![Family::SameUser, Family::MultiUser, Family::CrcCollision],
        ..MatrixConfig::default()
    };
    let result = matrix::matrix(&variants, &config, &|_| {});
    assert_eq!(result.cells.len(), 6);
    let bad: Vec<_> = result.mismatches().collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let cell = result.cell("test-take-first", Family::MultiUser).unwrap();
    assert!(cell.observed.contains(&Invariant::PollerOwnsList));
}

/// The command line with extra variants (what `examples/custom-variant` does from its `main`).
#[test]
fn the_command_line_accepts_extra_variants() {
    let run = |args: &[&str]| {
        let args = std::iter::once("mapihang")
            .chain(args.iter().copied())
            .map(Into::into);
        mapihang::run(args, vec![Arc::new(TokenAndSid), Arc::new(TakeFirst)])
    };
    let seed = example("seed-repro.json").to_string_lossy().into_owned();
    let pass = run(&[
        "check",
        &seed,
        "--variant",
        "test-token-and-sid",
        "--schedules",
        "200",
        "--format",
        "json",
    ]);
    assert_eq!(pass, ExitCode::SUCCESS);
    let caught = run(&[
        "check",
        &seed,
        "--variant",
        "test-take-first",
        "--schedules",
        "200",
        "--format",
        "json",
    ]);
    assert_eq!(caught, ExitCode::from(1));
    let unknown = run(&["check", &seed, "--variant", "nope"]);
    assert_eq!(unknown, ExitCode::from(2));
    let matrix = &[
        "matrix",
        "--variant",
        "test-token-and-sid,test-take-first",
        "--family",
        "same-user,multi-user",
        "--cases",
        "6",
        "--schedules",
        "30",
        "--format",
        "json",
    ];
    assert_eq!(run(matrix), ExitCode::SUCCESS, "declarations hold");
    let small = ["--ops", "2", "--preemptions", "1", "--format", "json"];
    let exhaustive = |variant: &str| {
        let mut args = vec!["exhaustive", "--variant", variant];
        args.extend(small);
        run(&args)
    };
    assert_eq!(exhaustive("test-token-and-sid"), ExitCode::SUCCESS);
    assert_eq!(exhaustive("test-take-first"), ExitCode::from(1));
}
