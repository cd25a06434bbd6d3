//! Scenario families (DESIGN.md): the shapes of workload the seed talks about.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::scenario::{Op, Scenario};

/// A family of scenarios, by how the threads use impersonation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// No impersonation at all: every logon is the process user's.
    ServiceAccount,
    /// Every impersonation is of one and the same user.
    SameUser,
    /// Two or more impersonated users.
    MultiUser,
    /// Impersonated logons beside process-user logons.
    Mixed,
    /// Two or more different SIDs with equal CRC32.
    CrcCollision,
    /// Any of the above.
    Any,
}

impl Family {
    /// Every family, in DESIGN.md's order.
    pub const ALL: [Family; 6] = [
        Family::ServiceAccount,
        Family::SameUser,
        Family::MultiUser,
        Family::Mixed,
        Family::CrcCollision,
        Family::Any,
    ];

    /// The stable name (`service-account`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Family::ServiceAccount => "service-account",
            Family::SameUser => "same-user",
            Family::MultiUser => "multi-user",
            Family::Mixed => "mixed",
            Family::CrcCollision => "crc-collision",
            Family::Any => "any",
        }
    }

    /// Whether `scenario` has this family's shape (`any` holds every scenario).
    pub fn contains(self, scenario: &Scenario) -> bool {
        let impersonated = scenario.users_impersonated();
        let distinct = impersonated.len();
        match self {
            Family::ServiceAccount => distinct == 0,
            Family::SameUser => distinct == 1 && !scenario.has_process_user_logon(),
            Family::MultiUser => distinct >= 2,
            Family::Mixed => distinct >= 1 && scenario.has_process_user_logon(),
            Family::CrcCollision => {
                let users = scenario.users();
                users
                    .iter()
                    .enumerate()
                    .any(|(i, a)| users[i + 1..].iter().any(|b| a.crc32() == b.crc32()))
            }
            Family::Any => true,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown family name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown family {0:?} (known: service-account, same-user, multi-user, mixed, crc-collision, any)")]
pub struct UnknownFamily(pub String);

impl FromStr for Family {
    type Err = UnknownFamily;
    fn from_str(text: &str) -> Result<Family, UnknownFamily> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| UnknownFamily(text.to_string()))
    }
}

impl Scenario {
    /// The distinct SIDs the threads impersonate, in order of first appearance.
    pub fn users_impersonated(&self) -> Vec<&crate::sim::Sid> {
        let mut users = Vec::new();
        for thread in &self.threads {
            for op in flat(&thread.ops) {
                if let Some(sid) = op.impersonated() {
                    if !users.contains(&sid) {
                        users.push(sid);
                    }
                }
            }
        }
        users
    }

    /// Whether some thread logs on while not impersonating (as the process user).
    pub fn has_process_user_logon(&self) -> bool {
        self.threads.iter().any(|thread| {
            let mut impersonating = false;
            flat(&thread.ops).into_iter().any(|op| {
                match op {
                    Op::Impersonate(_) | Op::ImpersonateUser { .. } => impersonating = true,
                    Op::Revert => impersonating = false,
                    op if op.is_logon() => return !impersonating,
                    _ => {}
                }
                false
            })
        })
    }
}

/// The ops of a thread in order, the ops inside each `repeat` once (borrowed).
fn flat(ops: &[Op]) -> Vec<&Op> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Repeat { ops, .. } => out.extend(flat(ops)),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for family in Family::ALL {
            assert_eq!(family.name().parse::<Family>().unwrap(), family);
        }
        assert!("nope".parse::<Family>().is_err());
    }

    #[test]
    fn seed_repro_is_multi_user() {
        let seed = Scenario::seed_repro();
        assert!(Family::MultiUser.contains(&seed));
        assert!(!Family::SameUser.contains(&seed));
        assert!(!Family::Mixed.contains(&seed));
        assert!(!Family::CrcCollision.contains(&seed));
    }
}
