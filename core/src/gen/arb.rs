//! `arbitrary` generation of [`Plan`]s: the same shapes as the proptest strategies.
//!
//! Every choice falls back to its simplest value when the fuzzer's bytes run out, and the
//! required segments are always built, so the family holds for any input. After the plan, the
//! bytes choose an application shape ([`Shape`]: user names, an application lock, a store
//! handed over to another thread by name, loops, a main thread that spawns and joins the
//! workers), which the proptest strategies draw only for `mixed`, and only in part.

use arbitrary::{Result, Unstructured};

use crate::family::Family;

use super::plan::noise_ops;
use super::plan::{other_slot, Group, Plan, Segment, Spec, UserContext, CONCRETE};
use super::shape::{Handover, Loop, Pool, Shape};
use super::{FORGE_TEMPLATES, USER_POOL};

/// `true` with probability `num / den`; `false` once the bytes run out.
fn chance(u: &mut Unstructured<'_>, num: u32, den: u32) -> Result<bool> {
    Ok(u.int_in_range(0..=den - 1)? >= den - num)
}

/// An index picked by weight; the first non-zero weight once the bytes run out.
fn weighted(u: &mut Unstructured<'_>, weights: &[u32]) -> Result<usize> {
    let total: u32 = weights.iter().sum();
    let mut pick = u.int_in_range(0..=total - 1)?;
    for (index, &weight) in weights.iter().enumerate() {
        if pick < weight {
            return Ok(index);
        }
        pick -= weight;
    }
    unreachable!("pick < total")
}

fn pool_slot(u: &mut Unstructured<'_>) -> Result<u8> {
    u.int_in_range(0..=USER_POOL.len() as u8 - 1)
}

fn group(u: &mut Unstructured<'_>, spec: Spec) -> Result<Group> {
    let mut stores = Vec::new();
    for likely in [90, 20] {
        if chance(u, likely, 100)? {
            stores.push(chance(u, 85, 100)?);
        }
    }
    let batched = chance(u, 1, 4)?;
    let logoff = chance(u, 7, 10)?;
    let noise = if chance(u, 12, 100)? {
        let ops = noise_ops(spec.noise_revert);
        let at = u.int_in_range(0..=7)?;
        Some((at, ops[u.int_in_range(0..=ops.len() - 1)?].clone()))
    } else {
        None
    };
    Ok(Group {
        stores,
        batched,
        logoff,
        noise,
    })
}

fn segment(u: &mut Unstructured<'_>, spec: Spec, ctx: UserContext) -> Result<Segment> {
    let mut groups = vec![group(u, spec)?];
    if chance(u, 3, 20)? {
        groups.push(group(u, spec)?);
    }
    let revert = chance(u, 3, 5)?;
    Ok(Segment {
        ctx,
        groups,
        revert,
    })
}

fn extra_segment(u: &mut Unstructured<'_>, spec: Spec) -> Result<Segment> {
    let ctx = match weighted(u, &spec.extra_weights)? {
        0 => UserContext::Process,
        1 => UserContext::Pool(pool_slot(u)?),
        2 => UserContext::Forged,
        _ => UserContext::Req(0),
    };
    segment(u, spec, ctx)
}

/// `required` with an optional extra segment before or after it.
fn anchored(u: &mut Unstructured<'_>, spec: Spec, required: Vec<Segment>) -> Result<Vec<Segment>> {
    let mut thread = required;
    if chance(u, 1, 5)? {
        let extra = extra_segment(u, spec)?;
        if chance(u, 3, 10)? {
            thread.insert(0, extra);
        } else {
            thread.push(extra);
        }
    }
    Ok(thread)
}

fn threads(u: &mut Unstructured<'_>, spec: Spec) -> Result<Vec<Vec<Segment>>> {
    let mut threads = Vec::new();
    if spec.required == 1 {
        let required = segment(u, spec, UserContext::Req(0))?;
        threads.push(anchored(u, spec, vec![required])?);
    } else if !chance(u, 1, 4)? {
        for k in 0..2 {
            let required = segment(u, spec, UserContext::Req(k))?;
            threads.push(anchored(u, spec, vec![required])?);
        }
    } else {
        let required = vec![
            segment(u, spec, UserContext::Req(0))?,
            segment(u, spec, UserContext::Req(1))?,
        ];
        threads.push(anchored(u, spec, required)?);
    }
    let more = u.int_in_range(0..=2)?
        + if chance(u, 1, 10)? {
            u.int_in_range(1..=4)?
        } else {
            0
        };
    for _ in 0..more {
        let mut thread = vec![extra_segment(u, spec)?];
        if chance(u, 1, 2)? {
            thread.push(extra_segment(u, spec)?);
        }
        threads.push(thread);
    }
    Ok(threads)
}

fn plan(u: &mut Unstructured<'_>, family: Family) -> Result<Plan> {
    let process_user = u8::from(chance(u, 1, 5)?);
    let (required, forge) = match family {
        Family::ServiceAccount => (vec![UserContext::Process], None),
        Family::SameUser => (vec![UserContext::Pool(pool_slot(u)?)], None),
        Family::MultiUser => {
            let a = pool_slot(u)?;
            let d = u.int_in_range(0..=USER_POOL.len() as u8 - 2)?;
            (
                vec![UserContext::Pool(a), UserContext::Pool(other_slot(a, d))],
                None,
            )
        }
        Family::Mixed => (
            vec![UserContext::Pool(pool_slot(u)?), UserContext::Process],
            None,
        ),
        Family::CrcCollision => {
            let template = u.int_in_range(0..=FORGE_TEMPLATES.len() as u8 - 1)?;
            let target = if chance(u, 1, 4)? {
                UserContext::Process
            } else {
                UserContext::Pool(pool_slot(u)?)
            };
            (vec![UserContext::Forged, target], Some((template, target)))
        }
        Family::Any => unreachable!("any is resolved to a concrete family first"),
    };
    let threads = threads(u, Spec::of(family))?;
    Ok(Plan {
        process_user,
        forge,
        required,
        threads,
    })
}

/// How the `workers` threads are organised as an application (drawn after the plan, so an
/// input too short to reach it leaves the scenario as built).
fn shape(u: &mut Unstructured<'_>, workers: usize) -> Result<Shape> {
    let user_names = chance(u, 1, 5)?;
    let mut serialize = 0u16;
    if chance(u, 1, 4)? {
        for index in 0..workers.min(16) {
            if chance(u, 2, 3)? {
                serialize |= 1 << index;
            }
        }
    }
    let handover = if chance(u, 1, 3)? {
        Some(Handover {
            named_session: chance(u, 1, 2)?,
            logoff: chance(u, 1, 2)?,
        })
    } else {
        None
    };
    let repeat = if chance(u, 1, 4)? {
        let thread = u.int_in_range(0..=workers.clamp(1, 16) as u8 - 1)?;
        let (session, whole) = match u.int_in_range(0..=2)? {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        Some(Loop {
            thread,
            session: if session {
                Some(u.int_in_range(2..=4)?)
            } else {
                None
            },
            thread_count: if whole {
                Some(u.int_in_range(2..=3)?)
            } else {
                None
            },
        })
    } else {
        None
    };
    let pool = if chance(u, 2, 5)? {
        Some(Pool {
            reverse_joins: chance(u, 1, 2)?,
            session: match u.int_in_range(0..=2)? {
                0 => None,
                1 => Some(false),
                _ => Some(true),
            },
        })
    } else {
        None
    };
    Ok(Shape {
        user_names,
        serialize,
        handover,
        repeat,
        pool,
    })
}

/// See [`super::arbitrary_scenario`].
pub(crate) fn scenario(
    u: &mut Unstructured<'_>,
    family: Family,
) -> Result<crate::scenario::Scenario> {
    let family = match family {
        Family::Any => CONCRETE[u.int_in_range(0..=CONCRETE.len() - 1)?],
        concrete => concrete,
    };
    let built = plan(u, family)?.build();
    let shape = shape(u, built.threads.len())?;
    Ok(shape.apply(built, family))
}
