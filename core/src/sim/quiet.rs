//! The quiet panic hook: model panics inside the engine's executions are recorded, not printed.

use std::cell::Cell;
use std::sync::Once;

use shuttle::scheduler::DfsScheduler;
use shuttle::{Config, FailurePersistence, Runner};

thread_local! {
    /// Set while the engine runs executions on this OS thread: model panics are then recorded by
    /// the engine (as `model-panic`) instead of being printed.
    pub(crate) static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Whether model panics on the calling OS thread are recorded silently (the real-thread backend
/// sets it on each of its threads).
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.with(|q| q.set(quiet));
}

/// Install, once, a panic hook that stays silent for panics inside the engine's executions and
/// defers to the hook that was there before (normally the default one) for every other panic.
/// Shuttle installs a hook of its own at its first execution, which reports every panic as a
/// failing shuttle test; ours replaces it, since the engine reports model panics itself.
pub(crate) fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        // Let shuttle install its hook now, so that it cannot wrap ours later.
        let mut config = Config::new();
        config.failure_persistence = FailurePersistence::None;
        config.silence_warnings = true;
        Runner::new(DfsScheduler::new(Some(1), false), config).run(|| {});
        let _shuttle = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|quiet| quiet.get()) {
                previous(info);
            }
        }));
    });
}
