//! Scenario generators by [`Family`]: proptest strategies, `arbitrary` (feature `arbitrary`) and
//! a seeded one-shot [`generate`].
//!
//! A generated thread is made of *segments* (`impersonate U` or the process user, then sessions,
//! then maybe `revert`), each session being `logon, open_store, release_store, ..., logoff` with
//! occasional variations (several stores at once, a store left open, no logoff) and noise (an
//! op out of place, such as a release without an open store). Users come from a small pool
//! ([`USER_POOL`]), so they repeat across threads; the process user is mostly `S-1-5-18`.
//!
//! Each family's guarantee holds by construction: the segments the family needs (e.g. two
//! impersonations of two different users for `multi-user`) are built outside every shrinkable
//! collection, and the other segments only use contexts the family allows. Shrinking drops
//! threads, segments, sessions, stores and noise, turns pool users into the first pool entries
//! and the process user into `S-1-5-18`.

#[cfg(feature = "arbitrary")]
mod arb;
mod plan;
mod shape;
mod strat;

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::family::Family;
use crate::scenario::Scenario;

/// The domain users that generated threads impersonate (`S-1-5-21-7-8-9-1001` ..= `-1004`);
/// shrinking moves toward the first entries.
pub const USER_POOL: [&str; 4] = [
    "S-1-5-21-7-8-9-1001",
    "S-1-5-21-7-8-9-1002",
    "S-1-5-21-7-8-9-1003",
    "S-1-5-21-7-8-9-1004",
];

/// The process users generated scenarios run under: LocalSystem mostly, sometimes a service
/// account; shrinking moves toward LocalSystem.
pub const PROCESS_USERS: [&str; 2] = ["S-1-5-18", "S-1-5-21-7-8-9-500"];

/// The SIDs whose RID `crc-collision` scenarios forge ([`crate::sim::Sid::colliding_with`]) so
/// that their CRC32 equals a pool user's or the process user's. Their prefixes differ from
/// every pool and process user's, so forging always yields a different SID.
pub const FORGE_TEMPLATES: [&str; 3] = [
    "S-1-5-21-7-8-10-1001",
    "S-1-5-21-41-42-43-1001",
    "S-1-5-80-1001",
];

/// A proptest strategy for scenarios of `family`; every value satisfies `family.contains` and
/// `Scenario::validate`, before and after any shrink.
///
/// Typically 1 to 4 threads of a few ops each (at most [`crate::scenario::THREADS_MAX`] threads
/// and well under [`crate::scenario::OPS_PER_THREAD_MAX`] ops per thread). `any` is the union of
/// the other families and shrinks toward `service-account`.
pub fn strategy(family: Family) -> BoxedStrategy<Scenario> {
    strat::strategy(family)
}

/// One scenario of `family`, a pure function of `seed`: the first value of [`strategy`] drawn
/// from a ChaCha RNG seeded from `seed`.
pub fn generate(family: Family, seed: u64) -> Scenario {
    tree(family, seed).current()
}

/// The proptest value tree behind [`generate`]: its current value is `generate(family, seed)`,
/// and `simplify`/`complicate` walk proptest's shrinking from there.
pub fn tree(family: Family, seed: u64) -> Box<dyn ValueTree<Value = Scenario>> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed));
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    Box::new(
        strategy(family)
            .new_tree(&mut runner)
            .expect("the generators never reject a value"),
    )
}

/// 32 bytes from a `u64` (SplitMix64), the ChaCha seed of [`generate`].
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        chunk.copy_from_slice(&crate::hash::splitmix64(&mut state).to_le_bytes());
    }
    bytes
}

/// A scenario of `family` from fuzzer bytes, with the same shapes and guarantees as
/// [`strategy`]; when the bytes run out every remaining choice takes its simplest value.
#[cfg(feature = "arbitrary")]
pub fn arbitrary_scenario(
    u: &mut arbitrary::Unstructured<'_>,
    family: Family,
) -> arbitrary::Result<Scenario> {
    arb::scenario(u, family)
}

/// A scenario of family `any`, for fuzz targets (`fuzz_target!(|s: FuzzScenario| ...)`).
#[cfg(feature = "arbitrary")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzScenario(pub Scenario);

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for FuzzScenario {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<FuzzScenario> {
        arbitrary_scenario(u, Family::Any).map(FuzzScenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Op, ThreadSpec, OPS_PER_THREAD_MAX, THREADS_MAX};
    use crate::sim::Sid;

    const CASES: u64 = 500;

    fn check_member(family: Family, scenario: &Scenario) {
        assert!(
            family.contains(scenario),
            "not {family}: {}",
            scenario.to_json()
        );
        scenario
            .validate()
            .unwrap_or_else(|e| panic!("{e}: {}", scenario.to_json()));
        assert!(scenario.threads.len() <= THREADS_MAX);
        assert!(scenario
            .threads
            .iter()
            .all(|t| t.ops.len() <= OPS_PER_THREAD_MAX));
    }

    fn collision(scenario: &Scenario) -> Option<(Sid, Sid)> {
        let users = scenario.users();
        for (i, a) in users.iter().enumerate() {
            for b in &users[i + 1..] {
                if a != b && a.crc32() == b.crc32() {
                    return Some((a.clone(), b.clone()));
                }
            }
        }
        None
    }

    #[test]
    fn every_family_generates_members() {
        for family in Family::ALL {
            for seed in 0..CASES {
                check_member(family, &generate(family, seed));
            }
        }
    }

    fn tree(family: Family, seed: u64) -> Box<dyn ValueTree<Value = Scenario>> {
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed));
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        strategy(family).new_tree(&mut runner).unwrap()
    }

    #[test]
    fn shrinking_keeps_the_family() {
        // A shrink as proptest does it, where every other smaller value still fails: simplify,
        // and complicate when the "test" (a fixed pattern here) says the value passed.
        for family in Family::ALL {
            for seed in 0..40 {
                let mut tree = tree(family, seed);
                let mut steps = 0;
                while steps < 5000 && tree.simplify() {
                    check_member(family, &tree.current());
                    if steps % 3 == 1 && tree.complicate() {
                        check_member(family, &tree.current());
                    }
                    steps += 1;
                }
            }
        }
    }

    #[test]
    fn shrinking_reaches_small_scenarios() {
        // Every simplification accepted: the tree's simplest value.
        for family in Family::ALL {
            for seed in 0..40 {
                let mut tree = tree(family, seed);
                let mut steps = 0;
                while steps < 5000 && tree.simplify() {
                    check_member(family, &tree.current());
                    steps += 1;
                }
                let simplest = tree.current();
                check_member(family, &simplest);
                let json = simplest.to_json();
                assert!(simplest.threads.len() <= 2, "{family}: {json}");
                assert!(simplest.ops_total() <= 6, "{family}: {json}");
                let users = simplest.users_impersonated().len();
                assert!(
                    users
                        <= if family == Family::ServiceAccount {
                            0
                        } else {
                            2
                        },
                    "{family}: {json}"
                );
                assert_eq!(
                    simplest.process_user,
                    Sid::local_system(),
                    "{family}: {json}"
                );
            }
        }
    }

    #[test]
    fn crc_collision_forges_equal_crcs() {
        for seed in 0..CASES {
            let scenario = generate(Family::CrcCollision, seed);
            let (a, b) = collision(&scenario)
                .unwrap_or_else(|| panic!("no collision: {}", scenario.to_json()));
            assert_ne!(a, b);
            assert_eq!(a.crc32(), b.crc32());
        }
    }

    #[test]
    fn families_are_what_they_say() {
        for seed in 0..CASES {
            let scenario = generate(Family::ServiceAccount, seed);
            assert!(scenario
                .threads
                .iter()
                .flat_map(|t| &t.ops)
                .all(|op| !matches!(op, Op::Impersonate(_))));
            let scenario = generate(Family::SameUser, seed);
            assert!(!Family::Mixed.contains(&scenario) && !Family::MultiUser.contains(&scenario));
            assert!(generate(Family::MultiUser, seed).users_impersonated().len() >= 2);
            assert!(collision(&generate(Family::MultiUser, seed)).is_none());
        }
    }

    #[test]
    fn generated_applications_never_deadlock_and_keep_every_invariant_under_fixed() {
        let fixed = crate::variant::by_name("fixed").unwrap();
        let config = crate::engine::CheckConfig {
            schedules: 40,
            ..crate::engine::CheckConfig::default()
        };
        for seed in 0..60 {
            let scenario = generate(Family::Mixed, seed);
            let result = crate::engine::check(fixed.clone(), &scenario, &config);
            assert!(
                result.per_invariant.is_empty(),
                "seed {seed}: {:?}\n{}",
                result.per_invariant,
                scenario.to_json()
            );
        }
    }

    #[test]
    fn scenarios_are_mostly_meaningful() {
        for family in [
            Family::MultiUser,
            Family::Mixed,
            Family::SameUser,
            Family::CrcCollision,
        ] {
            let scenarios: Vec<Scenario> = (0..CASES).map(|seed| generate(family, seed)).collect();
            let small = scenarios.iter().filter(|s| s.threads.len() <= 4).count();
            assert!(
                small * 10 >= scenarios.len() * 8,
                "{family}: mostly 1 to 4 threads"
            );
            let ops: usize = scenarios.iter().map(Scenario::ops_total).sum();
            let threads: usize = scenarios.iter().map(|s| s.threads.len()).sum();
            assert!(
                ops <= 10 * threads,
                "{family}: {ops} ops over {threads} threads"
            );
            let with_release = scenarios
                .iter()
                .filter(|s| {
                    s.threads.iter().any(|t| {
                        t.ops.contains(&Op::OpenStore) && t.ops.contains(&Op::ReleaseStore)
                    })
                })
                .count();
            assert!(
                with_release * 10 >= scenarios.len() * 8,
                "{family}: mostly stores opened and released"
            );
        }
    }

    #[test]
    fn generate_is_deterministic() {
        for family in Family::ALL {
            for seed in [0, 1, 42, u64::MAX] {
                assert_eq!(generate(family, seed), generate(family, seed));
            }
            let distinct: std::collections::HashSet<Scenario> =
                (0..50).map(|seed| generate(family, seed)).collect();
            assert!(
                distinct.len() > 10,
                "{family}: seeds give different scenarios"
            );
        }
        assert_eq!(seed_bytes(7), seed_bytes(7));
        assert_ne!(seed_bytes(7), seed_bytes(8));
    }

    #[test]
    fn hunt_shrinks_original_multi_user_to_the_seed_shape() {
        use crate::engine::{check, CheckConfig};
        use proptest::test_runner::TestError;

        let variant = crate::variant::by_name("original").unwrap();
        let config = CheckConfig {
            schedules: 100,
            stop_on_first: true,
            ..CheckConfig::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(1));
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 32,
                failure_persistence: None,
                ..Config::default()
            },
            rng,
        );
        let result = runner.run(&strategy(Family::MultiUser), |scenario| {
            proptest::prop_assert!(!check(variant.clone(), &scenario, &config).failed());
            Ok(())
        });
        let minimal = match result {
            Err(TestError::Fail(_, minimal)) => minimal,
            other => panic!("original should hang in multi-user: {other:?}"),
        };
        assert!(Family::MultiUser.contains(&minimal));
        assert!(minimal.ops_total() <= 6, "{}", minimal.to_json());
        assert!(minimal.threads.len() <= 2, "{}", minimal.to_json());
        assert_eq!(
            minimal.users_impersonated().len(),
            2,
            "{}",
            minimal.to_json()
        );
    }

    /// Deterministic pseudo-random byte buffers, lengths cycling up to `len`.
    #[cfg(feature = "arbitrary")]
    fn buffers(seed: u64, count: usize, len: usize) -> Vec<Vec<u8>> {
        crate::fuzz::sample_inputs(seed, count, len)
    }

    /// What a scenario uses of the application format, as counts of scenarios.
    #[derive(Debug, Default)]
    struct Uses {
        spawned: usize,
        joins: usize,
        events: usize,
        locks: usize,
        named_logons: usize,
        stores_on_named_sessions: usize,
        cross_thread_releases: usize,
        named_logoffs: usize,
        repeats: usize,
        nested_repeats: usize,
        user_names: usize,
    }

    impl Uses {
        fn add(&mut self, scenario: &Scenario) {
            let ops: Vec<Op> = scenario.threads.iter().flat_map(|t| t.expanded()).collect();
            let any = |f: &dyn Fn(&Op) -> bool| usize::from(ops.iter().any(f));
            self.spawned += usize::from(scenario.threads.iter().any(|t| t.spawned))
                * any(&|op| matches!(op, Op::Spawn(_)));
            self.joins += any(&|op| matches!(op, Op::Join(_)));
            self.events +=
                any(&|op| matches!(op, Op::Signal(_))) * any(&|op| matches!(op, Op::Wait(_)));
            self.locks +=
                any(&|op| matches!(op, Op::Lock(_))) * any(&|op| matches!(op, Op::Unlock(_)));
            self.named_logons += any(&|op| matches!(op, Op::LogonAs(_)));
            self.stores_on_named_sessions += any(&|op| {
                matches!(
                    op,
                    Op::OpenStoreAs {
                        session: Some(_),
                        ..
                    }
                )
            });
            self.named_logoffs += any(&|op| matches!(op, Op::LogoffNamed(_)));
            // A named store released by a thread that does not open it.
            let opens = |t: &ThreadSpec, store: &str| {
                t.expanded()
                    .iter()
                    .any(|op| matches!(op, Op::OpenStoreAs { name, .. } if name == store))
            };
            self.cross_thread_releases += usize::from(scenario.threads.iter().any(|t| {
                t.expanded().iter().any(|op| match op {
                    Op::ReleaseStoreNamed(store) => !opens(t, store),
                    _ => false,
                })
            }));
            let repeat = |op: &Op| matches!(op, Op::Repeat { .. });
            self.repeats += usize::from(scenario.threads.iter().any(|t| t.ops.iter().any(repeat)));
            self.nested_repeats += usize::from(scenario.threads.iter().any(|t| {
                t.ops
                    .iter()
                    .any(|op| matches!(op, Op::Repeat { ops, .. } if ops.iter().any(repeat)))
            }));
            self.user_names += usize::from(!scenario.users.is_empty());
        }

        fn all(&self) -> [(&'static str, usize); 11] {
            [
                ("spawned threads", self.spawned),
                ("joins", self.joins),
                ("signal and wait", self.events),
                ("lock and unlock", self.locks),
                ("named logons", self.named_logons),
                (
                    "stores opened on a named session",
                    self.stores_on_named_sessions,
                ),
                ("cross-thread releases", self.cross_thread_releases),
                ("named logoffs", self.named_logoffs),
                ("repeats", self.repeats),
                ("nested repeats", self.nested_repeats),
                ("user names", self.user_names),
            ]
        }
    }

    #[test]
    fn mixed_and_any_strategies_produce_spawned_workers_joins_and_cross_thread_releases() {
        // The proptest side, counted the same way as the fuzzers' generator below.
        for family in [Family::Mixed, Family::Any] {
            let mut uses = Uses::default();
            for seed in 0..200 {
                uses.add(&generate(family, seed));
            }
            let least = if family == Family::Mixed { 25 } else { 5 };
            for (what, count) in [
                ("spawned threads", uses.spawned),
                ("joins", uses.joins),
                ("cross-thread releases", uses.cross_thread_releases),
            ] {
                assert!(
                    count >= least,
                    "{family}: {what} in {count} of 200: {uses:?}"
                );
            }
        }
    }

    #[cfg(feature = "arbitrary")]
    #[test]
    fn arbitrary_scenarios_have_application_shapes() {
        // The fuzz targets decode family `any` with this generator: every op of the application
        // format appears in a fair share of random inputs, in every concrete family too.
        use arbitrary::Unstructured;
        let inputs = buffers(0xA99, 600, 400);
        let mut uses = Uses::default();
        for data in &inputs {
            let scenario = arbitrary_scenario(&mut Unstructured::new(data), Family::Any).unwrap();
            check_member(Family::Any, &scenario);
            uses.add(&scenario);
        }
        for (what, count) in uses.all() {
            assert!(count >= 20, "{what} in {count} of 600 inputs: {uses:?}");
        }
        for family in plan::CONCRETE {
            let mut uses = Uses::default();
            for data in &inputs[..300] {
                let scenario = arbitrary_scenario(&mut Unstructured::new(data), family).unwrap();
                check_member(family, &scenario);
                uses.add(&scenario);
            }
            assert!(
                uses.spawned >= 20 && uses.cross_thread_releases >= 10 && uses.locks >= 10,
                "{family}: {uses:?}"
            );
        }
    }

    #[cfg(feature = "arbitrary")]
    #[test]
    fn arbitrary_applications_never_deadlock_and_keep_every_invariant_under_fixed() {
        // The shapes are free of application deadlocks by construction: under the combined fix
        // no execution of a shaped scenario violates anything (guard_fixed's promise), and each
        // runs to its end.
        use arbitrary::Unstructured;
        let fixed = crate::variant::by_name("fixed").unwrap();
        let config = crate::engine::CheckConfig {
            schedules: 30,
            ..crate::engine::CheckConfig::default()
        };
        let mut shaped = 0;
        for (case, data) in buffers(0xDEAD, 160, 400).iter().enumerate() {
            let scenario = arbitrary_scenario(&mut Unstructured::new(data), Family::Any).unwrap();
            if !scenario.is_extended() {
                continue;
            }
            shaped += 1;
            let result = crate::engine::check(fixed.clone(), &scenario, &config);
            assert!(
                result.per_invariant.is_empty() && result.cut_off == 0,
                "case {case}: {:?}, {} cut off\n{}",
                result.per_invariant,
                result.cut_off,
                scenario.to_json()
            );
        }
        assert!(shaped >= 60, "{shaped} shaped scenarios");
    }

    #[cfg(feature = "arbitrary")]
    #[test]
    fn arbitrary_scenarios_are_members() {
        use arbitrary::{Arbitrary, Unstructured};

        let mut state = 0x5EED_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        };
        for case in 0..CASES as usize {
            let buffer: Vec<u8> = (0..case % 300).map(|_| next()).collect();
            for family in Family::ALL {
                let mut u = Unstructured::new(&buffer);
                check_member(family, &arbitrary_scenario(&mut u, family).unwrap());
            }
            let mut u = Unstructured::new(&buffer);
            let scenario = arbitrary_scenario(&mut u, Family::CrcCollision).unwrap();
            assert!(collision(&scenario).is_some(), "{}", scenario.to_json());
            let mut u = Unstructured::new(&buffer);
            check_member(Family::Any, &FuzzScenario::arbitrary(&mut u).unwrap().0);
        }
        for family in Family::ALL {
            let scenario = arbitrary_scenario(&mut Unstructured::new(&[]), family).unwrap();
            check_member(family, &scenario);
            if family == Family::CrcCollision {
                assert!(collision(&scenario).is_some());
            }
        }
    }
}
