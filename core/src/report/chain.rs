//! The wait-for chain of an application-level wait, and the advice of a violation: what a
//! report says beyond the violation itself.

use serde::{Deserialize, Serialize};

use super::Names;
use crate::monitor::{ChainEnd, Finding, Invariant, Link};
use crate::phrase::Names as _;
use crate::sim::Actor;
use crate::trace::WaitOn;

/// One link of a wait-for chain, as JSON: who waits for what, and the same in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// The waiting thread.
    pub thread: String,
    /// What it waits for.
    pub waits: ChainWait,
    /// The thread, event, lock or poller waited for (for `nothing`: the last wait's object).
    pub on: String,
    /// The link in words.
    pub text: String,
}

/// What a link of a wait-for chain waits for (stable kebab-case names).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainWait {
    /// A join: another thread to finish.
    Join,
    /// An application event to be set.
    Event,
    /// A lock another thread holds.
    Lock,
    /// Another thread's release of a store to return.
    Release,
    /// A thread that never started: the thread that would spawn it (itself blocked).
    Spawn,
    /// The thread that would set the awaited event (itself blocked).
    Signal,
    /// A poller's signal (a store release): the chain ends in MAPI.
    Poller,
    /// A thread already in the chain: the threads wait for each other.
    Cycle,
    /// Nothing left can satisfy the last wait.
    Nothing,
}

/// Advice: what to do next about a violation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// What to do, in one or two sentences.
    pub text: String,
    /// `mapihang advise` checks the remedy on this scenario (then `command` says how).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advise: bool,
    /// The command that checks the seed's workarounds and the fixes on this scenario
    /// (`mapihang advise SCENARIO.json`), when the file is known (set by the CLI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Names<'_> {
    fn link(&self, link: &Link) -> ChainLink {
        let thread = |t: u8| self.thread(t);
        let (who, waits, on, text) = match *link {
            Link::Waits {
                thread: t,
                on: WaitOn::Thread(w),
            } => (
                t,
                ChainWait::Join,
                thread(w),
                format!("{} joins {}", thread(t), thread(w)),
            ),
            Link::Waits {
                thread: t,
                on: WaitOn::Event(e),
            } => {
                let name = self.app_event(e);
                (
                    t,
                    ChainWait::Event,
                    name.clone(),
                    format!("{} waits for event `{name}`", thread(t)),
                )
            }
            Link::Waits {
                thread: t,
                on: WaitOn::Release { store, thread: x },
            } => (
                t,
                ChainWait::Release,
                thread(x),
                format!("{} waits for {}'s release of {store}", thread(t), thread(x)),
            ),
            Link::Lock {
                thread: t,
                lock,
                holder,
            } => {
                let name = self.lock(lock);
                (
                    t,
                    ChainWait::Lock,
                    name.clone(),
                    format!(
                        "{} waits for lock `{name}` held by {}",
                        thread(t),
                        self.actor(holder)
                    ),
                )
            }
            Link::NotStarted { thread: t, spawner } => (
                spawner,
                ChainWait::Spawn,
                thread(t),
                format!(
                    "{} never started: {} would spawn it",
                    thread(t),
                    thread(spawner)
                ),
            ),
            Link::WouldSignal { thread: t, event } => (
                t,
                ChainWait::Signal,
                self.app_event(event),
                format!("only {} would set `{}`", thread(t), self.app_event(event)),
            ),
        };
        ChainLink {
            thread: thread(who),
            waits,
            on,
            text,
        }
    }

    /// The chain of a finding, links and end, as JSON (empty for a finding without one).
    pub(super) fn chain(&self, finding: &Finding) -> Vec<ChainLink> {
        match finding {
            Finding::Hang { chain, .. } if chain.is_empty() => Vec::new(),
            Finding::Hang {
                chain,
                poller,
                store,
                list,
                end,
                ..
            } => {
                let mut links: Vec<ChainLink> = chain.iter().map(|l| self.link(l)).collect();
                let last = self.blocked_in_release(chain);
                links.push(ChainLink {
                    thread: last.clone(),
                    waits: ChainWait::Poller,
                    on: poller.to_string(),
                    text: format!(
                        "{last} is blocked in release_store of {store} on {list}, waiting for poller {poller}; {poller} {}",
                        self.poller_end(*end)
                    ),
                });
                links
            }
            Finding::Deadlock { chain, .. } => {
                let mut links: Vec<ChainLink> = chain.links.iter().map(|l| self.link(l)).collect();
                let last = links.last().map(|l| (l.thread.clone(), l.on.clone()));
                let (thread, on) = last.unwrap_or_default();
                links.push(match chain.end {
                    ChainEnd::Cycle { thread: t } => ChainLink {
                        thread: self.thread(t),
                        waits: ChainWait::Cycle,
                        on: self.thread(t),
                        text: format!(
                            "{} is already in the chain: they wait for each other",
                            self.thread(t)
                        ),
                    },
                    ChainEnd::Nobody | ChainEnd::Poller { .. } => ChainLink {
                        thread,
                        waits: ChainWait::Nothing,
                        on: on.clone(),
                        text: "nothing left can satisfy that wait".into(),
                    },
                });
                links
            }
            _ => Vec::new(),
        }
    }

    /// The thread at the end of a chain that leads to a store release.
    fn blocked_in_release(&self, chain: &[Link]) -> String {
        match chain.last() {
            Some(Link::Waits {
                on: WaitOn::Thread(t) | WaitOn::Release { thread: t, .. },
                ..
            })
            | Some(Link::NotStarted { spawner: t, .. })
            | Some(Link::WouldSignal { thread: t, .. }) => self.thread(*t),
            Some(Link::Lock { holder, .. }) => self.actor(*holder),
            Some(Link::Waits {
                thread: t,
                on: WaitOn::Event(_),
            }) => self.thread(*t),
            None => String::new(),
        }
    }

    /// The message of a finding with a chain: `main (S-1-5-18) waits: main joins W1; W1 is
    /// blocked in ...`.
    pub(super) fn chain_message(&self, thread: u8, links: &[ChainLink]) -> String {
        let texts: Vec<&str> = links.iter().map(|l| l.text.as_str()).collect();
        format!(
            "{} ({}) waits forever: {}",
            self.thread(thread),
            self.final_user(Actor::Thread(thread)),
            texts.join("; ")
        )
    }
}

/// What to do next about a violation of `invariant` found under `variant` (its name and, for a
/// built-in, its declaration).
pub fn advice(variant: &str, invariant: Invariant) -> Advice {
    let advise = variant == "original"
        && !matches!(invariant, Invariant::NoDeadlock | Invariant::ModelPanic);
    let text = match (variant, invariant) {
        (_, Invariant::NoDeadlock) => {
            "An application-level deadlock, not MAPI's: the wait-for chain shows \
            which waits close the cycle or wait for what no thread will do; take locks in one \
            order, or signal the event on every path."
                .to_string()
        }
        (_, Invariant::ModelPanic) => {
            "The variant's code panicked: fix the variant (its message says where).".to_string()
        }
        ("original", Invariant::PollerSignals) => {
            "The seed's remedy: run the application's MAPI work \
            under one service account, with little or no thread-level impersonation (or \
            impersonate one and the same user on every thread); `mapihang advise` checks that \
            workaround and the others, and the code fixes, on this scenario."
                .to_string()
        }
        ("original", _) => format!(
            "{invariant} has the hang's root cause (pollers run as the process user and match \
             lists by a CRC32 key); the seed's remedy (one service account, no impersonation) \
             avoids it: `mapihang advise` checks it on this scenario."
        ),
        (name, invariant) => match crate::variant::by_name(name) {
            Ok(v) => format!(
                "{name} fails {invariant}: {}",
                sentence_naming(v.description(), invariant)
            ),
            Err(_) => format!(
                "The candidate fix {name} fails {invariant}: compare its hooks with fixed's \
                 (`mapihang variants`)."
            ),
        },
    };
    Advice {
        text,
        advise,
        command: None,
    }
}

/// The first sentence of a variant's description that names `invariant` (for
/// `poller-signals`, else one that speaks of the hang), else its last sentence (where the
/// descriptions say what still goes wrong).
fn sentence_naming(text: &str, invariant: Invariant) -> &str {
    let sentences: Vec<&str> = text
        .split_inclusive(". ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let naming = |word: &str| sentences.iter().find(|s| s.contains(word)).copied();
    naming(invariant.name())
        .or_else(|| {
            (invariant == Invariant::PollerSignals)
                .then(|| naming("hang"))
                .flatten()
        })
        .or(sentences.last().copied())
        .unwrap_or(text)
}
