//! The two backends of `sim`: shuttle's controlled scheduler (the only place, with `runner`,
//! that names shuttle) and real OS threads (for `stress`), chosen at run time.
//!
//! Everything here is a thin wrapper, so that the variants and the MAPI machinery run unchanged
//! on either. Which backend a thread uses is a property of the thread: a thread started by the
//! real-thread driver ([`spawn_real`]) and every thread it spawns run on real threads; every
//! other thread (shuttle's tasks) runs under the controlled scheduler.
//!
//! On real threads: [`spawn`] is `std::thread::spawn`, [`park`] is `std::thread::park` (which may
//! wake spuriously: every caller re-checks its condition in a loop), [`Waker::wake`] is `unpark`,
//! [`Shm::lock`] is a plain (contended) mutex with no scheduling point, and [`yield_now`] is
//! `std::thread::yield_now`.
//!
//! Under shuttle:
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
use std::thread::Thread;
use std::time::Duration;

use shuttle_engine::runtime::execution::ExecutionState;
use shuttle_engine::runtime::thread::switch;
use shuttle_engine::scheduler::TaskId;

/// Makes one blocked thread runnable again.
#[derive(Clone, Debug)]
pub(crate) enum Waker {
    /// A shuttle task.
    Task(TaskId),
    /// A real OS thread.
    Thread(Thread),
}

/// The waker of the calling thread.
pub(crate) fn current_waker() -> Waker {
    if on_real_threads() {
        Waker::Thread(std::thread::current())
    } else {
        Waker::Task(ExecutionState::me())
    }
}

impl Waker {
    pub(crate) fn wake(&self) {
        match self {
            Waker::Task(task) => {
                super::footprint::woke(usize::from(*task));
                ExecutionState::with(|state| state.get_mut(*task).unblock())
            }
            // If the thread is not parked yet, its next `park` returns at once.
            Waker::Thread(thread) => thread.unpark(),
        }
    }
}

/// Block the calling thread until a [`Waker::wake`]. Under shuttle there are no spurious
/// wake-ups; on real threads there may be, so callers re-check their condition.
pub(crate) fn park() {
    debug_assert!(
        !in_critical_section(),
        "no blocking inside a critical section"
    );
    if on_real_threads() {
        std::thread::park();
        return;
    }
    ExecutionState::with(|state| state.current_mut().block(false));
    switch();
}

/// Real threads only: block for at most `timeout` (or until a wake-up, maybe spurious).
pub(crate) fn park_timeout(timeout: Duration) {
    debug_assert!(on_real_threads(), "simulated time has no clock");
    std::thread::park_timeout(timeout);
}

/// A thread's handle, for the execution's main thread to join.
pub(crate) enum TaskHandle {
    /// A shuttle task.
    Task(shuttle::thread::JoinHandle<()>),
    /// A real OS thread.
    Thread(std::thread::JoinHandle<()>),
}

impl TaskHandle {
    pub(crate) fn join(self) {
        // Threads catch their own panics (see `Sim::spawn`), so join cannot report one.
        match self {
            TaskHandle::Task(handle) => {
                let _ = handle.join();
            }
            TaskHandle::Thread(handle) => {
                let _ = handle.join();
            }
        }
    }
}

/// Start a model thread on the calling thread's backend.
pub(crate) fn spawn(f: impl FnOnce() + Send + 'static) -> TaskHandle {
    if on_real_threads() {
        TaskHandle::Thread(spawn_real(f))
    } else {
        TaskHandle::Task(shuttle::thread::spawn(f))
    }
}

/// Start a real OS thread on the real-thread backend: it, and every model thread it spawns, run
/// on real threads.
pub(crate) fn spawn_real(f: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("mapihang-real".into())
        .stack_size(REAL_STACK_BYTES)
        .spawn(move || {
            REAL.with(|real| real.set(true));
            super::quiet::set_quiet(true);
            f()
        })
        .expect("the OS starts a thread")
}

/// A model thread needs little stack (no recursion, small frames).
const REAL_STACK_BYTES: usize = 256 * 1024;

/// Whether the calling thread runs on the real-thread backend.
pub(crate) fn on_real_threads() -> bool {
    REAL.with(|real| real.get())
}

/// The calling shuttle task's id (controlled scheduler only).
pub(crate) fn current_task() -> TaskId {
    ExecutionState::me()
}

/// A scheduling point with no other effect (on real threads: a hint to the OS).
pub(crate) fn yield_now() {
    if on_real_threads() {
        std::thread::yield_now();
    } else {
        switch();
    }
}

thread_local! {
    /// Set on every thread of the real-thread backend.
    static REAL: Cell<bool> = const { Cell::new(false) };
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

/// A scheduling point before a step whose order matters (a shared-memory access, a lock
/// acquire): the bounded DFS branches here. Controlled scheduler only.
pub(crate) fn model_point() {
    MODEL_POINT.with(|m| m.set(true));
    switch();
    MODEL_POINT.with(|m| m.set(false));
}

/// Whether a critical section is open: then no scheduling point may be taken.
pub(crate) fn in_critical_section() -> bool {
    CRITICAL.with(|c| c.get() > 0)
}

/// Memory shared between threads, behind a lock; taking the lock is a scheduling point.
pub struct Shm<T> {
    /// Its id for partial-order reduction (creation order within the execution).
    id: u32,
    memory: Mutex<T>,
}

/// The lock on a [`Shm`]; the memory is released when it drops.
pub struct ShmGuard<'a, T>(MutexGuard<'a, T>);

impl<T> Shm<T> {
    /// Shared memory holding `value`.
    pub fn new(value: T) -> Shm<T> {
        Shm {
            id: super::footprint::next_shm_id(),
            memory: Mutex::new(value),
        }
    }

    /// Look at the memory outside the model: no scheduling point and no footprint, for the
    /// stateful search's fingerprint, taken while every model thread is suspended (none holds
    /// the lock across a scheduling point, so it is free).
    pub(crate) fn peek<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Lock the memory: a scheduling point, then exclusive access until the guard drops. A
    /// panic of another thread inside its critical section does not poison the memory: the model
    /// records that panic as `model-panic` on its own. On real threads it is a plain mutex.
    pub fn lock(&self) -> ShmGuard<'_, T> {
        assert!(
            !in_critical_section(),
            "a critical section must not lock shared memory again"
        );
        if !on_real_threads() {
            model_point();
            // Unless it declares what it touches, a critical section may read and change
            // anything in the memory (the coarse footprint, sound for any code).
            super::footprint::open_section(self.id);
        }
        CRITICAL.with(|c| c.set(c.get() + 1));
        // Under shuttle never contended: only one model thread runs at a time, and none holds a
        // guard across a scheduling point.
        ShmGuard(
            self.memory
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl<T> Drop for ShmGuard<'_, T> {
    fn drop(&mut self) {
        CRITICAL.with(|c| c.set(c.get() - 1));
        super::footprint::close_section();
    }
}

impl<T> ShmGuard<'_, T> {
    /// Declare, for partial-order reduction, that this critical section touches `part` of the
    /// memory (a key the memory's owner defines) as `kind`. A section that declares nothing
    /// counts as writing the whole memory. A section that declares must declare every part it
    /// reads or writes: `mapi`'s table does it in its accessors, so it cannot forget one.
    pub(crate) fn declare(&self, part: u32, kind: super::footprint::Kind) {
        super::footprint::declare(part, kind);
    }

    /// Declare that this critical section reads only what no other thread changes.
    pub(crate) fn declare_nothing(&self) {
        super::footprint::declare_nothing();
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
