//! The real-thread driver: one execution on OS threads, judged by a watchdog.
//!
//! The execution's main thread (which starts the application threads, joins them, then joins the
//! pollers) runs on the real-thread backend, so every model thread does too. The calling thread is
//! the watchdog: it sleeps until the oldest wait would outlive the timeout, and if one does, it
//! records the threads blocked at that moment as a stall and aborts the execution, exactly as the
//! stall detection of the controlled scheduler does. The monitors then judge the world as usual.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{backend, Sim, Watch};

/// How one real-thread execution ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct RealRun {
    /// The watchdog fired: some wait outlived the timeout.
    pub hung: bool,
    /// When it fired, no thread was running and none was in a timed wait: every live thread
    /// waited for an event only another could set (a deadlock beyond doubt). When the watchdog
    /// fired without it, the run is inconclusive: a slow thread is no hang.
    pub all_blocked: bool,
}

/// Run `body` (one execution over `sim`, a world made by [`Sim::with_users_real`]) on real
/// threads under a watchdog with `timeout`.
pub(crate) fn run(sim: &Sim, timeout: Duration, body: impl FnOnce() + Send + 'static) -> RealRun {
    super::quiet::install_quiet_panic_hook();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = std::thread::current();
    let finished = done.clone();
    let main = backend::spawn_real(move || {
        body();
        finished.store(true, Ordering::Release);
        watcher.unpark();
    });
    // `Some(all_blocked)` once the watchdog fired.
    let mut fired = None;
    while !done.load(Ordering::Acquire) {
        let now = Instant::now();
        match sim.watchdog(now, timeout) {
            Watch::Hung { all_blocked } => {
                fired = Some(all_blocked);
                break;
            }
            // Wakes early when the execution ends (unpark), else when the oldest wait would
            // outlive the timeout; a spurious wake-up just looks again.
            Watch::Waiting(Some(oldest)) => {
                std::thread::park_timeout((oldest + timeout).saturating_duration_since(now))
            }
            Watch::Waiting(None) => std::thread::park_timeout(timeout),
        }
    }
    // After an abort every blocked thread wakes and ends, so the main thread's joins finish.
    let _ = main.join();
    RealRun {
        hung: fired.is_some(),
        all_blocked: fired == Some(true),
    }
}
