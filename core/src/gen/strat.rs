//! proptest strategies over [`Plan`]s.
//!
//! Shrinking: vectors lose elements (extra threads, extra segments, stores), options become
//! `None` (extra groups, noise), weighted booleans become `false` (release, logoff, revert,
//! batching, layout), pool indices go to 0 and unions go to their first (simplest) choice.
//! Required segments sit outside every vector, so no shrink removes what the family needs.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Union};

use crate::family::Family;
use crate::scenario::{Op, Scenario};

use super::plan::noise_ops;
use super::plan::{other_slot, Group, Plan, Segment, Spec, UserContext, CONCRETE};
use super::shape::Structure;
use super::{FORGE_TEMPLATES, USER_POOL};

fn noise(revert: bool) -> BoxedStrategy<Op> {
    Union::new(noise_ops(revert).iter().map(|op| Just(op.clone()).boxed())).boxed()
}

fn group(revert: bool) -> BoxedStrategy<Group> {
    // Tuples shrink their first element first: noise goes before the ops that matter.
    (
        option::weighted(0.12, (0u8..8, noise(revert))),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.7),
        // Mostly one store, sometimes two, now and then none; each shrinks away.
        (
            option::weighted(0.9, prop::bool::weighted(0.85)),
            option::weighted(0.2, prop::bool::weighted(0.85)),
        ),
    )
        .prop_map(|(noise, batched, logoff, (first, second))| Group {
            stores: first.into_iter().chain(second).collect(),
            batched,
            logoff,
            noise,
        })
        .boxed()
}

fn segment(ctx: BoxedStrategy<UserContext>, revert_noise: bool) -> BoxedStrategy<Segment> {
    (
        option::weighted(0.15, group(revert_noise)),
        prop::bool::weighted(0.6),
        ctx,
        group(revert_noise),
    )
        .prop_map(|(extra, revert, ctx, first)| Segment {
            ctx,
            groups: std::iter::once(first).chain(extra).collect(),
            revert,
        })
        .boxed()
}

fn pool_slot() -> BoxedStrategy<u8> {
    (0..USER_POOL.len() as u8).boxed()
}

/// The contexts of non-required segments, by the spec's weights.
fn extra_ctx(spec: Spec) -> BoxedStrategy<UserContext> {
    let [process, pool, forged, req] = spec.extra_weights;
    let choices: Vec<(u32, BoxedStrategy<UserContext>)> = vec![
        (process, Just(UserContext::Process).boxed()),
        (pool, pool_slot().prop_map(UserContext::Pool).boxed()),
        (forged, Just(UserContext::Forged).boxed()),
        (req, Just(UserContext::Req(0)).boxed()),
    ];
    Union::new_weighted(choices.into_iter().filter(|(w, _)| *w > 0).collect()).boxed()
}

/// A required segment with an optional extra segment before or after it.
fn anchored(
    required: BoxedStrategy<Segment>,
    extra: BoxedStrategy<Segment>,
) -> BoxedStrategy<Vec<Segment>> {
    (
        option::weighted(0.2, extra),
        prop::bool::weighted(0.3),
        required,
    )
        .prop_map(|(extra, before, required)| match extra {
            Some(extra) if before => vec![extra, required],
            Some(extra) => vec![required, extra],
            None => vec![required],
        })
        .boxed()
}

fn threads(spec: Spec) -> BoxedStrategy<Vec<Vec<Segment>>> {
    let req = |k: u8| segment(Just(UserContext::Req(k)).boxed(), spec.noise_revert);
    let extra = segment(extra_ctx(spec), spec.noise_revert);
    let main: BoxedStrategy<Vec<Vec<Segment>>> = if spec.required == 1 {
        anchored(req(0), extra.clone())
            .prop_map(|thread| vec![thread])
            .boxed()
    } else {
        let split = (
            anchored(req(0), extra.clone()),
            anchored(req(1), extra.clone()),
        )
            .prop_map(|(a, b)| vec![a, b]);
        let together = (
            option::weighted(0.25, extra.clone()),
            any::<bool>(),
            req(0),
            req(1),
        )
            .prop_map(|(extra, before, a, b)| {
                let mut thread = vec![a, b];
                match extra {
                    Some(extra) if before => thread.insert(0, extra),
                    Some(extra) => thread.push(extra),
                    None => {}
                }
                vec![thread]
            });
        Union::new_weighted(vec![(3, split.boxed()), (1, together.boxed())]).boxed()
    };
    let thread = vec(extra, 1..=2);
    // Mostly 0 to 2 more threads, now and then up to 4 beyond those; both parts shrink to empty.
    let more = (
        vec(thread.clone(), 0..=2),
        option::weighted(0.1, vec(thread, 1..=4)),
    );
    // Extra threads first, so that shrinking drops them before it thins the required ones.
    (more, main)
        .prop_map(|((more, many), mut main)| {
            main.extend(more);
            main.extend(many.into_iter().flatten());
            main
        })
        .boxed()
}

/// A plan's required contexts and its forge (template index and target), if any.
type Required = (Vec<UserContext>, Option<(u8, UserContext)>);

/// The required contexts of `family` and its forge, if any.
fn required(family: Family) -> BoxedStrategy<Required> {
    match family {
        Family::ServiceAccount => Just((vec![UserContext::Process], None)).boxed(),
        Family::SameUser => pool_slot()
            .prop_map(|a| (vec![UserContext::Pool(a)], None))
            .boxed(),
        Family::MultiUser => (pool_slot(), 0..USER_POOL.len() as u8 - 1)
            .prop_map(|(a, d)| {
                (
                    vec![UserContext::Pool(a), UserContext::Pool(other_slot(a, d))],
                    None,
                )
            })
            .boxed(),
        Family::Mixed => pool_slot()
            .prop_map(|a| (vec![UserContext::Pool(a), UserContext::Process], None))
            .boxed(),
        Family::CrcCollision => {
            let target = prop_oneof![3 => pool_slot().prop_map(UserContext::Pool), 1 => Just(UserContext::Process)];
            (0..FORGE_TEMPLATES.len() as u8, target)
                .prop_map(|(template, target)| {
                    (vec![UserContext::Forged, target], Some((template, target)))
                })
                .boxed()
        }
        Family::Any => unreachable!("any is a union of the concrete families"),
    }
}

fn plan(family: Family) -> BoxedStrategy<Plan> {
    let process_user = prop_oneof![4 => Just(0u8), 1 => Just(1u8)];
    (process_user, required(family), threads(Spec::of(family)))
        .prop_map(|(process_user, (required, forge), threads)| Plan {
            process_user,
            forge,
            required,
            threads,
        })
        .boxed()
}

/// See [`super::strategy`].
pub(crate) fn strategy(family: Family) -> BoxedStrategy<Scenario> {
    match family {
        Family::Any => Union::new(CONCRETE.map(strategy)).boxed(),
        // Mixed workloads are also drawn as applications: a main thread that spawns and joins
        // the workers, and a store released by another thread than its opener. Shrinking goes
        // toward the flat form.
        Family::Mixed => {
            let structure = prop_oneof![
                2 => Just(Structure::Flat),
                1 => Just(Structure::Pool),
                1 => Just(Structure::PoolRelease),
            ];
            (plan(Family::Mixed), structure)
                .prop_map(|(plan, structure)| structure.apply(plan.build()))
                .boxed()
        }
        concrete => plan(concrete).prop_map(|plan| plan.build()).boxed(),
    }
}
