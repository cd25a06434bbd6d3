//! The seed repro's workload written by hand, without mapihang: a minimal shuttle model and a
//! real-thread harness (see `baselines.rs`). Shared by the `baselines` and `callgrind` benches.

#![allow(dead_code)]

/// A minimal shuttle model of the seed repro under the fix.
pub mod minimal {
    use std::sync::Arc;

    use shuttle::scheduler::RandomScheduler;
    use shuttle::sync::{Condvar, Mutex};
    use shuttle::thread::{self, JoinHandle};
    use shuttle::{Config, FailurePersistence, Runner};

    /// A Win32 auto-reset event.
    #[derive(Default)]
    struct Event {
        set: Mutex<bool>,
        cv: Condvar,
    }

    impl Event {
        fn set(&self) {
            *self.set.lock().unwrap() = true;
            self.cv.notify_all();
        }

        fn wait(&self) {
            let mut set = self.set.lock().unwrap();
            while !*set {
                set = self.cv.wait(set).unwrap();
            }
            *set = false;
        }
    }

    struct List {
        id: u32,
        user: u32,
        connections: u32,
        work: Vec<Arc<Event>>,
        wake: Arc<Event>,
    }

    #[derive(Default)]
    struct Mapi {
        lists: Mutex<(Vec<List>, u32)>,
        pollers: Mutex<Vec<JoinHandle<()>>>,
    }

    impl Mapi {
        fn logon(self: &Arc<Self>, user: u32) -> u32 {
            let mut table = self.lists.lock().unwrap();
            if let Some(list) = table.0.iter_mut().find(|l| l.user == user) {
                list.connections += 1;
                return list.id;
            }
            table.1 += 1;
            let id = table.1;
            let wake = Arc::new(Event::default());
            table.0.push(List {
                id,
                user,
                connections: 1,
                work: Vec::new(),
                wake: wake.clone(),
            });
            drop(table);
            let mapi = self.clone();
            let poller = thread::spawn(move || mapi.poll(id, &wake));
            self.pollers.lock().unwrap().push(poller);
            id
        }

        fn release_store(&self, list: u32) {
            let done = Arc::new(Event::default());
            let mut table = self.lists.lock().unwrap();
            let list = table.0.iter_mut().find(|l| l.id == list).unwrap();
            list.work.push(done.clone());
            let wake = list.wake.clone();
            drop(table);
            wake.set();
            done.wait();
        }

        fn logoff(&self, list: u32) {
            let mut table = self.lists.lock().unwrap();
            let index = table.0.iter().position(|l| l.id == list).unwrap();
            table.0[index].connections -= 1;
            if table.0[index].connections == 0 {
                let list = table.0.remove(index);
                drop(table);
                list.wake.set();
            }
        }

        /// The fixed poller: serves the list it was created for until that list is gone.
        fn poll(&self, list: u32, wake: &Event) {
            loop {
                let mut table = self.lists.lock().unwrap();
                let Some(list) = table.0.iter_mut().find(|l| l.id == list) else {
                    return;
                };
                let work = std::mem::take(&mut list.work);
                drop(table);
                for done in work {
                    done.set();
                }
                wake.wait();
            }
        }
    }

    /// Run `schedules` random schedules of the seed repro's workload.
    pub fn run(schedules: usize, seed: u64) {
        let mut config = Config::new();
        config.failure_persistence = FailurePersistence::None;
        config.silence_warnings = true;
        let scheduler = RandomScheduler::new_from_seed(seed, schedules);
        Runner::new(scheduler, config).run(|| {
            let mapi = Arc::new(Mapi::default());
            let threads: Vec<_> = [1001, 1002]
                .into_iter()
                .map(|user| {
                    let mapi = mapi.clone();
                    thread::spawn(move || {
                        // impersonate `user`, logon, open_store, release_store, logoff, revert
                        let list = mapi.logon(user);
                        mapi.release_store(list);
                        mapi.logoff(list);
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            let pollers = std::mem::take(&mut *mapi.pollers.lock().unwrap());
            for poller in pollers {
                poller.join().unwrap();
            }
        });
    }
}

/// The seed repro's workload under `original` on real OS threads, with a watchdog.
pub mod real {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Condvar, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    /// How often a poller polls when nothing wakes it.
    const POLL_INTERVAL: Duration = Duration::from_millis(1);

    const PROCESS_USER: [u32; 1] = [18];

    /// CRC32 of a SID's binary form (revision 1, authority 5: `S-1-5-...`).
    fn sid_crc(subs: &[u32]) -> u32 {
        let mut bytes = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, 5];
        for sub in subs {
            bytes.extend(sub.to_le_bytes());
        }
        crc32fast::hash(&bytes)
    }

    /// A Win32 auto-reset event.
    #[derive(Default)]
    struct Event {
        set: Mutex<bool>,
        cv: Condvar,
    }

    impl Event {
        fn set(&self) {
            *self.set.lock().unwrap() = true;
            self.cv.notify_all();
        }

        /// False when `timeout` ran out first.
        fn wait_timeout(&self, timeout: Duration) -> bool {
            let set = self.set.lock().unwrap();
            let (mut set, result) = self.cv.wait_timeout_while(set, timeout, |s| !*s).unwrap();
            if result.timed_out() {
                return false;
            }
            *set = false;
            true
        }
    }

    struct Poller {
        wake: Event,
        stop: AtomicBool,
    }

    struct List {
        id: u32,
        key: u32,
        connections: u32,
        work: Vec<Arc<Event>>,
        poller: Arc<Poller>,
    }

    #[derive(Default)]
    struct Mapi {
        lists: Mutex<(Vec<List>, u32)>,
        pollers: Mutex<Vec<JoinHandle<()>>>,
    }

    impl Mapi {
        /// `MAPILogonEx` as `user` (the thread's impersonation token).
        fn logon(self: &Arc<Self>, user: &[u32]) -> u32 {
            let key = sid_crc(user);
            let mut table = self.lists.lock().unwrap();
            if let Some(list) = table.0.iter_mut().find(|l| l.key == key) {
                list.connections += 1;
                return list.id;
            }
            table.1 += 1;
            let id = table.1;
            let poller = Arc::new(Poller {
                wake: Event::default(),
                stop: AtomicBool::new(false),
            });
            table.0.push(List {
                id,
                key,
                connections: 1,
                work: Vec::new(),
                poller: poller.clone(),
            });
            drop(table);
            // CreateThread: the poller runs with the process token, whoever created it.
            let mapi = self.clone();
            let handle = thread::spawn(move || mapi.poll(&PROCESS_USER, &poller));
            self.pollers.lock().unwrap().push(handle);
            id
        }

        /// False when the watchdog fired: the release hung.
        fn release_store(&self, list: u32, watchdog: Duration) -> bool {
            let done = Arc::new(Event::default());
            let mut table = self.lists.lock().unwrap();
            let list = table.0.iter_mut().find(|l| l.id == list).unwrap();
            list.work.push(done.clone());
            let poller = list.poller.clone();
            drop(table);
            poller.wake.set();
            done.wait_timeout(watchdog)
        }

        fn logoff(&self, list: u32) {
            let mut table = self.lists.lock().unwrap();
            let index = table.0.iter().position(|l| l.id == list).unwrap();
            table.0[index].connections -= 1;
            if table.0[index].connections == 0 {
                let list = table.0.remove(index);
                drop(table);
                list.poller.stop.store(true, Ordering::SeqCst);
                list.poller.wake.set();
            }
        }

        /// The seed's poller: takes the only list, else the one keyed by its own token's user;
        /// quits without signalling when there is none.
        fn poll(&self, token: &[u32], me: &Poller) {
            let key = sid_crc(token);
            loop {
                if me.stop.load(Ordering::SeqCst) {
                    return;
                }
                let mut table = self.lists.lock().unwrap();
                let index = if table.0.len() == 1 {
                    Some(0)
                } else {
                    table.0.iter().position(|l| l.key == key)
                };
                let Some(index) = index else {
                    return; // quit silently
                };
                let work = std::mem::take(&mut table.0[index].work);
                drop(table);
                for done in work {
                    done.set();
                }
                me.wake.wait_timeout(POLL_INTERVAL);
            }
        }
    }

    /// One execution; true when some release hung (its watchdog fired).
    pub fn run(watchdog: Duration) -> bool {
        let mapi = Arc::new(Mapi::default());
        let hung = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = [1001, 1002]
            .into_iter()
            .map(|rid| {
                let (mapi, hung) = (mapi.clone(), hung.clone());
                thread::spawn(move || {
                    let user = [21, 7, 8, 9, rid]; // impersonate
                    let list = mapi.logon(&user);
                    // open_store, release_store
                    if !mapi.release_store(list, watchdog) {
                        hung.store(true, Ordering::SeqCst);
                    }
                    mapi.logoff(list); // then revert
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let pollers = std::mem::take(&mut *mapi.pollers.lock().unwrap());
        for poller in pollers {
            poller.join().unwrap();
        }
        hung.load(Ordering::SeqCst)
    }
}
