//! mapihang-core: the model, engine and monitors of mapihang, a property-based fuzzing harness
//! for the MAPICDO impersonation hang.
//!
//! # Background
//!
//! MAPI keeps one connection list per user in shared memory, keyed by the CRC32 of the user's
//! SID, and starts a polling thread for each new list with the *process* token. With two user
//! contexts, a poller finds no list matching its own SID, quits without signalling, and every
//! thread that releases a message store waits forever. This crate models that machinery
//! ([`mapi`](variant) over [`sim`]) under shuttle's controlled scheduler.
//!
//! # The smallest example
//!
//! ```
//! use mapihang_core::engine::{check, CheckConfig};
//! use mapihang_core::monitor::Invariant;
//! use mapihang_core::scenario::Scenario;
//! use mapihang_core::variant::by_name;
//!
//! let result = check(by_name("original").unwrap(), &Scenario::seed_repro(), &CheckConfig::default());
//! assert!(result.per_invariant[&Invariant::PollerSignals] > 0); // the seed's hang
//! let fixed = check(by_name("fixed").unwrap(), &Scenario::seed_repro(), &CheckConfig::default());
//! assert!(!fixed.failed());
//! ```
//!
//! # Reading a failure
//!
//! [`engine::CheckResult::first_failure`] holds the findings ([`monitor::Finding`]), the
//! execution's log and the [`engine::Schedule`] that replays it with [`engine::replay`];
//! [`report::Report`] turns it into text and JSON. [`hunt::hunt`] generates scenarios
//! ([`gen`]) and shrinks the first failure.
//!
//! # Writing a candidate fix
//!
//! Implement [`variant::Variant`]: every hook defaults to the seed's behaviour, so a fix
//! overrides only the policy it changes.

#![warn(missing_docs)]

pub mod advise;
pub mod corpus;
pub mod engine;
pub mod exhaustive;
pub mod explain;
pub mod family;
pub mod fuzz;
pub mod gen;
mod hash;
pub mod hunt;
pub mod ids;
pub mod mapi;
pub mod matrix;
pub mod monitor;
mod phrase;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod schema;
pub mod sim;
pub mod stress;
pub mod text;
pub mod trace;
pub mod variant;
pub mod verdict;
