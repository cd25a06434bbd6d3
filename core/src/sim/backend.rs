//! The shuttle backend: the only place (with `runner`) that names shuttle.
//!
//! Everything here is a thin wrapper, so that a second backend on real OS threads can offer the
//! same functions without any variant or the MAPI machinery noticing.

use std::ops::{Deref, DerefMut};

use shuttle::sync::mpsc;

/// Wakes one blocked task (the sending half of its private wake-up channel).
#[derive(Clone)]
pub(crate) struct Waker(mpsc::Sender<()>);

/// Blocks its task until woken (the receiving half). Shuttle never wakes it spuriously, so a
/// blocked task is not a scheduling choice, which keeps DFS exhaustive and random walks short.
pub(crate) struct Parker(mpsc::Receiver<()>);

pub(crate) fn wake_pair() -> (Waker, Parker) {
    let (tx, rx) = mpsc::channel();
    (Waker(tx), Parker(rx))
}

impl Waker {
    pub(crate) fn wake(&self) {
        // The receiver lives as long as its task; a task that has finished needs no wake-up.
        let _ = self.0.send(());
    }
}

impl Parker {
    pub(crate) fn park(&self) {
        // Every sender is in the world, which outlives the task, so recv cannot fail while the
        // task runs; if it ever did, returning lets the caller re-check its condition.
        let _ = self.0.recv();
    }
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
    shuttle::thread::yield_now();
}

/// Memory shared between threads, behind a mutex; taking the lock is a scheduling point.
pub struct Shm<T>(shuttle::sync::Mutex<T>);

/// The lock on a [`Shm`]; the memory is released when it drops.
pub struct ShmGuard<'a, T>(shuttle::sync::MutexGuard<'a, T>);

impl<T> Shm<T> {
    /// Shared memory holding `value`.
    pub fn new(value: T) -> Shm<T> {
        Shm(shuttle::sync::Mutex::new(value))
    }

    /// Lock the memory. A panic of another thread while it held the lock does not poison it: the
    /// model records that panic as `model-panic` on its own.
    pub fn lock(&self) -> ShmGuard<'_, T> {
        ShmGuard(self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
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
