//! Variants: the MAPI internals under test, as policies over one shared machinery (`mapi`).
//!
//! A variant is a [`Variant`] implementation. Every hook has a default that is the seed's
//! behaviour (`original`), so a variant overrides exactly the policy it changes and nothing else.
//! The trait is public: a candidate fix can live in the user's own crate and be handed to
//! [`crate::engine::check`] like the built-in ones.

mod fix_bind_list;
mod fix_full_sid;
mod fix_inherit_token;
mod fixed;
mod original;
mod pre_8244;
#[cfg(test)]
mod tests;
mod wrong_keep_shortcut;
mod wrong_release_lock;
mod wrong_respawn;
mod wrong_signal_on_exit;
mod wrong_wait_timeout;

use std::sync::Arc;

pub use crate::mapi::policy::{
    bound_list, key_by_full_sid, list_keyed, Declared, Expectation, ListKey, ListView,
    OnDeadPoller, OnListMissing, PollerToken, PollerView, ReleaseWait, Variant,
};
pub use crate::mapi::Machinery;

pub use fix_bind_list::FixBindList;
pub use fix_full_sid::FixFullSid;
pub use fix_inherit_token::FixInheritToken;
pub use fixed::Fixed;
pub use original::Original;
pub use pre_8244::Pre8244;
pub use wrong_keep_shortcut::WrongKeepShortcut;
pub use wrong_release_lock::WrongReleaseLock;
pub use wrong_respawn::WrongRespawn;
pub use wrong_signal_on_exit::WrongSignalOnExit;
pub use wrong_wait_timeout::WrongWaitTimeout;

/// Every built-in variant, in DESIGN.md's order.
pub fn builtin() -> Vec<Arc<dyn Variant>> {
    vec![
        Arc::new(Original),
        Arc::new(FixBindList),
        Arc::new(FixInheritToken),
        Arc::new(FixFullSid),
        Arc::new(Fixed),
        Arc::new(WrongSignalOnExit),
        Arc::new(WrongWaitTimeout),
        Arc::new(WrongKeepShortcut),
        Arc::new(WrongRespawn),
        Arc::new(WrongReleaseLock),
        Arc::new(Pre8244),
    ]
}

/// An unknown variant name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant {name:?} (known: {known})")]
pub struct UnknownVariant {
    /// The name given.
    pub name: String,
    /// The built-in names, comma-separated.
    pub known: String,
}

/// The built-in variant called `name`.
pub fn by_name(name: &str) -> Result<Arc<dyn Variant>, UnknownVariant> {
    find(&builtin(), name)
}

/// The variant of `all` called `name`; the error names every one of them.
pub fn find(all: &[Arc<dyn Variant>], name: &str) -> Result<Arc<dyn Variant>, UnknownVariant> {
    all.iter()
        .find(|v| v.name() == name)
        .cloned()
        .ok_or_else(|| UnknownVariant {
            name: name.to_string(),
            known: all.iter().map(|v| v.name()).collect::<Vec<_>>().join(", "),
        })
}

/// The variants a command may run: the built-in ones, then the caller's (a candidate fix in
/// another crate, through `mapihang::main_with`).
pub struct Variants(Vec<Arc<dyn Variant>>);

impl Variants {
    /// The built-in variants followed by `extra`.
    pub fn new(extra: Vec<Arc<dyn Variant>>) -> Variants {
        let mut all = builtin();
        all.extend(extra);
        Variants(all)
    }

    /// The variant called `name`; the error names every one.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Variant>, UnknownVariant> {
        find(&self.0, name)
    }

    /// Every variant, built-in ones first.
    pub fn all(&self) -> &[Arc<dyn Variant>] {
        &self.0
    }

    /// The variants called `names`, in that order; every variant when `names` is empty.
    pub fn select(&self, names: &[String]) -> Result<Vec<Arc<dyn Variant>>, UnknownVariant> {
        if names.is_empty() {
            return Ok(self.0.clone());
        }
        names.iter().map(|name| self.get(name)).collect()
    }
}
