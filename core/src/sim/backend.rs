//! The shuttle backend: the only place (with `runner`) that names shuttle.
//!
//! Everything here is a thin wrapper, so that a second backend on real OS threads can offer the
//! same functions without any variant or the MAPI machinery noticing.
//!
//! Scheduling points are taken only where the model needs them, because every needless one
//! multiplies the schedules DFS must enumerate and lengthens every random walk:
//! - [`Shm::lock`] is one scheduling point, then a critical section that runs atomically (the
//!   scheduler is cooperative, and no code inside a critical section reaches a scheduling point,
//!   which `Shm` checks). That is a mutex whose holder never blocks, without the second
//!   scheduling point a real unlock would add.
//! - [`park`] blocks the current thread with no spurious wake-ups (so a blocked thread is never a
//!   scheduling choice), and [`Waker::wake`] makes it runnable again without a scheduling point:
//!   the woken thread runs at the next scheduling point the scheduler gives it.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard};

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::thread::switch;
use shuttle_engine::scheduler::TaskId;

/// Makes one blocked thread runnable again.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Waker(TaskId);

/// The waker of the calling thread.
pub(crate) fn current_waker() -> Waker {
    Waker(ExecutionState::me())
}

impl Waker {
    pub(crate) fn wake(self) {
        ExecutionState::with(|state| state.get_mut(self.0).unblock());
    }
}

/// Block the calling thread until a [`Waker::wake`].
pub(crate) fn park() {
    debug_assert!(
        !in_critical_section(),
        "no blocking inside a critical section"
    );
    ExecutionState::with(|state| state.current_mut().block(false));
    switch();
}

/// A task's handle, for the main task to join.
pub(crate) struct TaskHandle(shuttle::thread::JoinHandle<()>);

impl TaskHandle {
    pub(crate) fn join(self) {
        // Tasks catch their own panics (see `Sim::spawn`), so join cannot report one.
        let _ = self.0.join();
    }
}

pub(crate) fn spawn(f: impl FnOnce() + Send + 'static) -> TaskHandle {
    TaskHandle(shuttle::thread::spawn(f))
}

/// A scheduling point with no other effect.
pub(crate) fn yield_now() {
    switch();
}

thread_local! {
    /// Set while a thread takes the scheduling point of a `Shm` lock: a point where the next
    /// step touches shared memory, so where the order of threads matters (see `runner::Dfs`).
    static MODEL_POINT: Cell<bool> = const { Cell::new(false) };
    /// How many `Shm` critical sections are open on this OS thread (all model threads share it).
    static CRITICAL: Cell<u32> = const { Cell::new(0) };
}

/// Whether the scheduling point being taken is one before a shared-memory access; reading it
/// clears it, so that the scheduler reads it exactly once per point.
pub(crate) fn take_model_point() -> bool {
    MODEL_POINT.with(|m| m.replace(false))
}

/// Whether a critical section is open: then no scheduling point may be taken.
pub(crate) fn in_critical_section() -> bool {
    CRITICAL.with(|c| c.get() > 0)
}

/// Memory shared between threads, behind a lock; taking the lock is a scheduling point.
pub struct Shm<T>(Mutex<T>);

/// The lock on a [`Shm`]; the memory is released when it drops.
pub struct ShmGuard<'a, T>(MutexGuard<'a, T>);

impl<T> Shm<T> {
    /// Shared memory holding `value`.
    pub fn new(value: T) -> Shm<T> {
        Shm(Mutex::new(value))
    }

    /// Lock the memory: a scheduling point, then exclusive access until the guard drops. A
    /// panic of another thread inside its critical section does not poison the memory: the model
    /// records that panic as `model-panic` on its own.
    pub fn lock(&self) -> ShmGuard<'_, T> {
        assert!(
            !in_critical_section(),
            "a critical section must not lock shared memory again"
        );
        MODEL_POINT.with(|m| m.set(true));
        switch();
        MODEL_POINT.with(|m| m.set(false));
        CRITICAL.with(|c| c.set(c.get() + 1));
        // Never contended: only one model thread runs at a time, and none holds a guard across a
        // scheduling point.
        ShmGuard(
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl<T> Drop for ShmGuard<'_, T> {
    fn drop(&mut self) {
        CRITICAL.with(|c| c.set(c.get() - 1));
    }
}

impl<T> Deref for ShmGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for ShmGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
