//! The generators' intermediate form: a scenario as nested op-groups, before SIDs are resolved.
//!
//! Both generators (proptest and `arbitrary`) build a [`Plan`] and turn it into a [`Scenario`]
//! with [`Plan::build`]. Each family's guarantee is carried by the plan's *required* segments,
//! which no shrink can remove, and by the contexts the other segments may use; `build` inserts
//! the reverts that keep a process-user segment's logons process-user logons.

use crate::family::Family;
use crate::scenario::{Op, Scenario, ThreadSpec};
use crate::sim::Sid;

use super::{FORGE_TEMPLATES, PROCESS_USERS, USER_POOL};

/// The user context a segment's logons run in (DESIGN.md's word; not `sim::Ctx`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum UserContext {
    /// Not impersonating: the process user.
    Process,
    /// Impersonating `USER_POOL[i]`.
    Pool(u8),
    /// Impersonating the plan's forged SID (crc-collision).
    Forged,
    /// The context of required slot `k` of the plan (resolved through `Plan::required`).
    Req(u8),
}

/// The ops noise may slip into a group out of the usual order: unit ops of the one op
/// vocabulary (`scenario::Op`; no narrower type), `revert` last so that [`noise_ops`] can leave
/// it out.
static NOISE_OPS: [Op; 5] = [
    Op::ReleaseStore,
    Op::Logoff,
    Op::OpenStore,
    Op::Logon,
    Op::Revert,
];

/// The ops noise draws from, in the generators' order; without `revert` for a family whose
/// later logons must stay process-user logons (`same-user`).
pub(crate) fn noise_ops(revert: bool) -> &'static [Op] {
    if revert {
        &NOISE_OPS
    } else {
        &NOISE_OPS[..NOISE_OPS.len() - 1]
    }
}

/// One session: logon, stores opened (and mostly released), maybe logoff, maybe one noise op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    /// One entry per store opened: whether it is released explicitly.
    pub stores: Vec<bool>,
    /// Open all stores first, then release them newest first (else open/release pairs).
    pub batched: bool,
    /// Log off at the end of the group.
    pub logoff: bool,
    /// A noise op (one of [`noise_ops`]) and where it goes (modulo the group's length + 1).
    pub noise: Option<(u8, Op)>,
}

/// A run of sessions in one context: `impersonate U` (or nothing), groups, maybe `revert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub ctx: UserContext,
    pub groups: Vec<Group>,
    /// Revert at the end (impersonated segments only).
    pub revert: bool,
}

/// A scenario before SIDs are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Index into `PROCESS_USERS`.
    pub process_user: u8,
    /// For `UserContext::Forged`: index into `FORGE_TEMPLATES` and the context whose SID it collides with.
    pub forge: Option<(u8, UserContext)>,
    /// The contexts of the required slots (`UserContext::Req(k)`); never `Req` themselves.
    pub required: Vec<UserContext>,
    /// Per thread, its segments.
    pub threads: Vec<Vec<Segment>>,
}

/// The shape of a concrete family (not `any`): what is required and what else may appear.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    /// How many required slots (1 or 2), each a segment of its own.
    pub required: usize,
    /// Whether noise may contain `revert`.
    pub noise_revert: bool,
    /// Weights of the contexts of non-required segments: process, pool, forged, required slot 0.
    pub extra_weights: [u32; 4],
}

impl Spec {
    /// The shape of `family`; `any` must be resolved to a concrete family first.
    pub fn of(family: Family) -> Spec {
        match family {
            Family::ServiceAccount => Spec {
                required: 1,
                noise_revert: true,
                extra_weights: [1, 0, 0, 0],
            },
            Family::SameUser => Spec {
                required: 1,
                noise_revert: false,
                extra_weights: [0, 0, 0, 1],
            },
            Family::MultiUser => Spec {
                required: 2,
                noise_revert: true,
                extra_weights: [1, 5, 0, 0],
            },
            Family::Mixed => Spec {
                required: 2,
                noise_revert: true,
                extra_weights: [2, 3, 0, 0],
            },
            Family::CrcCollision => Spec {
                required: 2,
                noise_revert: true,
                extra_weights: [1, 3, 1, 0],
            },
            Family::Any => panic!("Spec::of(any): pick a concrete family first"),
        }
    }
}

/// The concrete families, simplest first (`any` is their union).
pub(crate) const CONCRETE: [Family; 5] = [
    Family::ServiceAccount,
    Family::SameUser,
    Family::MultiUser,
    Family::Mixed,
    Family::CrcCollision,
];

fn sid(text: &str) -> Sid {
    Sid::parse(text).expect("the generators' SID tables are valid")
}

/// `USER_POOL[(a + 1 + d) % len]`'s index: a pool user other than `a`.
pub(crate) fn other_slot(a: u8, d: u8) -> u8 {
    let len = USER_POOL.len() as u8;
    (a % len + 1 + d % (len - 1)) % len
}

impl Plan {
    fn process_sid(&self) -> Sid {
        sid(PROCESS_USERS[self.process_user as usize % PROCESS_USERS.len()])
    }

    /// The SID a context impersonates (`None`: not impersonating).
    fn resolve(&self, ctx: UserContext, forged: Option<&Sid>) -> Option<Sid> {
        match ctx {
            UserContext::Process => None,
            UserContext::Pool(i) => Some(sid(USER_POOL[i as usize % USER_POOL.len()])),
            UserContext::Forged => Some(
                forged
                    .expect("a plan that uses UserContext::Forged has a forge")
                    .clone(),
            ),
            UserContext::Req(k) => self.resolve(self.required[k as usize], forged),
        }
    }

    /// The forged SID: a template's RID solved so that its CRC32 equals the target's.
    fn forged_sid(&self) -> Option<Sid> {
        let (template, target) = self.forge?;
        let target = self
            .resolve(target, None)
            .unwrap_or_else(|| self.process_sid());
        let n = FORGE_TEMPLATES.len();
        // Every template's prefix differs from every target's, so the chosen one always works;
        // the others are only a fallback should a template ever share a target's prefix.
        let forged = (0..n).find_map(|k| {
            sid(FORGE_TEMPLATES[(template as usize + k) % n]).colliding_with(&target)
        });
        Some(forged.expect("some forge template differs from the target in its prefix"))
    }

    /// The scenario this plan describes.
    pub fn build(&self) -> Scenario {
        let forged = self.forged_sid();
        let threads = self
            .threads
            .iter()
            .map(|segments| {
                let mut ops = Vec::new();
                let mut impersonating = false;
                for segment in segments {
                    match self.resolve(segment.ctx, forged.as_ref()) {
                        Some(user) => {
                            ops.push(Op::Impersonate(user));
                            impersonating = true;
                        }
                        None if impersonating => {
                            ops.push(Op::Revert);
                            impersonating = false;
                        }
                        None => {}
                    }
                    for group in &segment.groups {
                        if group.emit(&mut ops) {
                            impersonating = false;
                        }
                    }
                    if segment.revert && impersonating {
                        ops.push(Op::Revert);
                        impersonating = false;
                    }
                }
                ThreadSpec::new(ops)
            })
            .collect();
        Scenario::new(self.process_sid(), threads)
    }
}

impl Group {
    /// Append the group's ops; returns whether it ends with a noise `revert` in effect.
    fn emit(&self, ops: &mut Vec<Op>) -> bool {
        let mut own = vec![Op::Logon];
        if self.batched {
            own.extend(self.stores.iter().map(|_| Op::OpenStore));
            own.extend(
                self.stores
                    .iter()
                    .rev()
                    .filter(|&&release| release)
                    .map(|_| Op::ReleaseStore),
            );
        } else {
            for &release in &self.stores {
                own.push(Op::OpenStore);
                if release {
                    own.push(Op::ReleaseStore);
                }
            }
        }
        if self.logoff {
            own.push(Op::Logoff);
        }
        let mut reverted = false;
        if let Some((at, op)) = &self.noise {
            reverted = *op == Op::Revert;
            own.insert(*at as usize % (own.len() + 1), op.clone());
        }
        ops.extend(own);
        reverted
    }
}
