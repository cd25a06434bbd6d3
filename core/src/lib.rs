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
//! Implement [`variant::Declared`] (the name, the paragraph, what it is expected to violate per
//! family: a declaration kept apart from the code, which `matrix` holds it to) and
//! [`variant::Variant`]: every hook defaults to the seed's behaviour, so a fix that is a policy
//! (the list key, the poller's token, which list a poller takes, what it does when it finds
//! none, how a release waits, what a release does when its poller is gone) overrides only the
//! hook it changes.
//!
//! # Writing a candidate fix as code
//!
//! A fix the hooks cannot express rewrites routines of the machinery: return `Some(self)` from
//! [`variant::Variant::machinery`] and implement [`mapi::Machinery`], whose methods (`logon`,
//! `open_store`, `release_store`, `logoff`, `poll`, and `setup` for per-execution state such as
//! a lock) default to the routines of [`mapi`] (the seed's code, which consults the hooks). The
//! code uses the public `sim` primitives ([`sim::Ctx`]: tokens, events with infinite and timed
//! waits, [`sim::Ctx::lock`], CreateThread through [`mapi::Mapi::start_poller`]) and the
//! connection-list table ([`mapi::Mapi::table`]), whose accessors log what the monitors read and
//! declare what they touch, so the complete search stays sound and the invariants stay exact
//! whatever the code does. Here, a release that holds a process-wide lock while it waits for a
//! poller that needs the same lock (the built-in `wrong-release-lock` does this):
//!
//! ```
//! use std::any::Any;
//! use std::sync::Arc;
//!
//! use mapihang_core::engine::{check, CheckConfig, Strategy};
//! use mapihang_core::mapi::{self, Machinery, Mapi, PollState, PollerStart, Searched, Session, SetupCtx};
//! use mapihang_core::monitor::Invariant;
//! use mapihang_core::scenario::{Op, Scenario, ThreadSpec};
//! use mapihang_core::sim::{Aborted, Ctx, LockId, Sid, WaitOutcome};
//! use mapihang_core::trace::StoreId;
//! use mapihang_core::variant::{Declared, Variant};
//!
//! struct HoldLock;
//!
//! impl Declared for HoldLock {
//!     fn name(&self) -> &str { "hold-lock" }
//!     fn description(&self) -> &str { "a release holds lock `table` while it waits" }
//! }
//!
//! impl Variant for HoldLock {
//!     fn machinery(&self) -> Option<&dyn Machinery> { Some(self) }
//! }
//!
//! impl Machinery for HoldLock {
//!     fn setup(&self, ctx: &SetupCtx<'_>) -> Box<dyn Any + Send + Sync> {
//!         Box::new(ctx.sim().create_lock("table"))
//!     }
//!
//!     fn release_store(&self, mapi: &Mapi, ctx: &Ctx, session: Session, store: StoreId)
//!         -> Result<WaitOutcome, Aborted> {
//!         let lock = *mapi.state::<LockId>();
//!         ctx.lock(lock)?;
//!         let outcome = mapi::release_store(mapi, ctx, session, store)?; // the default
//!         ctx.unlock(lock);
//!         Ok(outcome)
//!     }
//!
//!     fn poll(&self, mapi: &Mapi, ctx: &mut Ctx, me: PollerStart) -> Result<(), Aborted> {
//!         let lock = *mapi.state::<LockId>();
//!         let wake = mapi.table().wake_event(me.id());
//!         let mut state = PollState::new(ctx);
//!         for _ in 0..mapi.polls_max() {
//!             if mapi::see_stop(mapi, ctx, me) {
//!                 return Ok(());
//!             }
//!             ctx.lock(lock)?;
//!             let searched = mapi::search(mapi, ctx, me, &mut state);
//!             ctx.unlock(lock);
//!             if searched == Searched::Quit {
//!                 return Ok(());
//!             }
//!             ctx.try_wait(wake)?;
//!         }
//!         mapi.table().exhausted(ctx, me.id());
//!         Ok(())
//!     }
//! }
//!
//! // One user, no impersonation: the seed's safe setup, and still a deadlock on every schedule.
//! let ops = vec![Op::Logon, Op::OpenStore, Op::ReleaseStore, Op::Logoff];
//! let scenario = Scenario::new(Sid::local_system(), vec![ThreadSpec::new(ops)]);
//! let config = CheckConfig { strategy: Strategy::Dpor, schedules: 10_000, ..CheckConfig::default() };
//! let result = check(Arc::new(HoldLock), &scenario, &config);
//! assert!(result.complete);
//! assert_eq!(result.per_invariant[&Invariant::PollerSignals], result.traces);
//! ```
//!
//! `examples/one-poller` and `examples/one-step-stop` are fixes written so, each in its own
//! crate, run through `mapihang::main_with`; their tests use [`guard`] (the complete search,
//! seeded sampling and the one-variant matrix, each `Err` with one line when the fix is not
//! shown clean).
//!
//! # Limitations
//!
//! - **Simulated time.** The model has no clock: a timed wait times out only when nothing else
//!   can run, so a timeout is never "too short" and a fix that relies on a timeout being long
//!   enough is judged as if it always were. Real time exists only on the real-thread backend
//!   (`stress`).
//! - **No spurious wake-ups.** Under the controlled scheduler a blocked thread wakes only when
//!   its event is set (or the execution is aborted); code that would break on a spurious
//!   wake-up is not caught. (Real threads may wake spuriously; `sim` re-checks.)
//! - **The poll budget.** A poller polls at most `4 × ops + 16` times (`Mapi::polls_max`), and
//!   wakes only when the table changes (a list filed or removed, work queued, a stop request):
//!   that stands for "polls periodically" without spinning, and a poller that uses up its budget
//!   exits (`poller-exhausted`).
//! - **What the model leaves out of MAPI.** Connection lists, their keys, the pollers, store
//!   releases and logoffs are modelled; everything else is not: the mail itself, profiles,
//!   notifications, the 1 MB shared-memory limit (KB 269794), RPC to the server, and the exact
//!   hash MAPI applies to a SID (unpublished; CRC32 over the binary SID stands in for it). A
//!   store open only names a store. `pre-8244` is a reconstruction from a release note, not a
//!   known mechanism.
//! - **What code can do.** Code reaches shared memory only through the table or its own
//!   [`sim::Shm`] (a section that declares nothing counts as writing all of it: sound, but it
//!   makes the complete search slower); it must hold no guard across a wait or a lock, return
//!   `Err(Aborted)` up from a wait, and bound its loops. A cut-off execution under code of a
//!   variant's own never counts a hang as certain (code may start pollers anywhere).

#![warn(missing_docs)]

pub mod advise;
mod canon;
pub mod command;
pub mod corpus;
pub mod engine;
pub mod exhaustive;
pub mod explain;
pub mod family;
pub mod fuzz;
pub mod gen;
pub mod guard;
mod hash;
pub mod hunt;
pub mod ids;
pub mod input;
pub mod mapi;
pub mod matrix;
pub mod monitor;
pub mod os;
mod phrase;
pub mod render;
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
