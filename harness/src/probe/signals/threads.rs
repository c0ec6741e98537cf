//! Threads started and exited, counted by the harness's own `pthread_create` (the module doc of
//! [`super`], "Threads started and alive").
//!
//! Each thread starts in [`trampoline`], which sets [`KEY`] to a non-null value; glibc calls the
//! key's destructor, [`on_exit`], when the thread ends, however it ends (its start routine
//! returned, it called `pthread_exit`, or it was cancelled), before the end wakes a
//! `pthread_join`. The trampoline's own state, the start routine and its argument, is a block of
//! libc's `malloc`, not of the global allocator: the global allocator is the counting one, and a
//! block of it per thread would show in the benchmark's allocation figures (and in the
//! allocation-site pass, as the harness's) as an allocation the benchmark never made. A fixed
//! table of static slots would bound how many threads may be starting at once; `malloc` bounds
//! nothing, and glibc's own thread start allocates with it anyway.
//!
//! # The threads alive, by id
//!
//! The same block is the thread's entry in a registry of the threads alive, once the probe
//! [`register`]s them: [`pthread_create`] pushes it, before the thread can start, on a lock-free
//! stack ([`PENDING`]); the trampoline writes the thread's id (`gettid`) into it, and the key's
//! destructor marks it ended. Neither frees it, and neither takes a lock or calls the global
//! allocator: inside a measured window, starting and ending a thread costs the registry a
//! compare-and-swap, a `gettid` (not a read or write: no signal counts it) and two stores. [`left_since_last`], called between benchmarks, outside every
//! window, takes the stack whole, lists the entries not ended, and frees the ended ones (kept
//! in its own list until they end). So a thread is in the list exactly when it is counted in
//! `threads_alive` (started, key destructor not run), whatever the kernel still shows in
//! `/proc/self/task`; and a thread the interposer did not start (glibc's own helper threads, a
//! shared library's, a thread started before the probe) is never in it.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Mutex, Once};

/// Threads started through [`pthread_create`], in this process (counted before they start: a
/// thread's exit is never counted before its start).
static STARTED: AtomicU64 = AtomicU64::new(0);

/// Threads started through [`pthread_create`] that have ended.
static EXITED: AtomicU64 = AtomicU64::new(0);

/// glibc's `pthread_create`, once looked up; 0 before.
static REAL: AtomicUsize = AtomicUsize::new(0);

/// The pthread key whose destructor counts a thread's end, once made ([`HAS_KEY`]).
static KEY: AtomicU32 = AtomicU32::new(0);
static HAS_KEY: AtomicBool = AtomicBool::new(false);
static MAKE_KEY: Once = Once::new();

/// Whether [`pthread_create`] enters new threads in the registry ([`register`]).
static REGISTERING: AtomicBool = AtomicBool::new(false);

/// The registry's entries pushed since [`left_since_last`] last took them, newest first, linked
/// by [`Launch::next`]; null when none.
static PENDING: AtomicPtr<Launch> = AtomicPtr::new(std::ptr::null_mut());

/// Entries [`left_since_last`] took and found not ended: freed once they have ended.
static TAKEN: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// An entry of the registry, owned by [`left_since_last`] once taken from [`PENDING`].
struct Entry(*mut Launch);

// SAFETY: an entry is a block of `malloc` that only `left_since_last`, under the lock of
// `TAKEN`, reads after the thread has written it (atomically) or frees.
unsafe impl Send for Entry {}

/// Looks up glibc's `pthread_create` and makes the key: at the process's start, outside every
/// window (`dlsym` may allocate).
pub(crate) fn prepare() {
    real_pthread_create();
    key();
}

/// Threads started, and threads started and not yet ended, now.
#[inline(always)]
pub(crate) fn now() -> (u64, u64) {
    // The exits first: a thread's start was counted before it ran (`Release` by the thread
    // creation, which synchronizes with the thread), so every exit seen here has its start seen
    // by the next load, and the difference never falls below the threads truly alive.
    let exited = EXITED.load(Acquire);
    let started = STARTED.load(Relaxed);
    (started, started.wrapping_sub(exited))
}

/// The key, made on first use; `None` when glibc has none left to give.
fn key() -> Option<libc::pthread_key_t> {
    MAKE_KEY.call_once(|| {
        let mut key: libc::pthread_key_t = 0;
        // SAFETY: `key` is valid for a write; `on_exit` is a destructor of the type glibc calls.
        if unsafe { libc::pthread_key_create(&mut key, Some(on_exit)) } == 0 {
            KEY.store(key, Relaxed);
            HAS_KEY.store(true, Release);
        }
    });
    HAS_KEY.load(Acquire).then(|| KEY.load(Relaxed))
}

/// From now on, [`pthread_create`] enters each thread it starts in the registry that
/// [`left_since_last`] reads; the caller calls that after each benchmark (which frees the
/// entries of threads ended: without the calls, each thread started would keep its entry).
pub(crate) fn register() {
    REGISTERING.store(true, Relaxed);
}

/// How long [`left_since_last`] waits for a thread started to write its id.
const ID_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The threads [`pthread_create`] started since the previous call (since [`register`], the
/// first time) that have not ended now, by id (`gettid`), oldest first; 0 for one that has
/// not written its id within [`ID_WAIT`] (started, and not yet scheduled). Frees the entries of
/// threads ended. Allocates: outside every window.
pub(crate) fn left_since_last() -> Vec<u64> {
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    // The entries of threads started before the previous call: freed once ended.
    // SAFETY: entries taken from `PENDING`, freed only here, under this lock, once.
    taken.retain(|e| unsafe { !free_if_ended(e.0) });
    let mut fresh = Vec::new();
    let mut at = PENDING.swap(std::ptr::null_mut(), Acquire);
    while !at.is_null() {
        fresh.push(Entry(at));
        // SAFETY: an entry pushed by `pthread_create`, whose `Release` the `Acquire` above
        // pairs with: `next` was written before the push and is never written after it.
        at = unsafe { (*at).next };
    }
    fresh.reverse();
    let mut left = Vec::new();
    for entry in fresh {
        let id = wait_for_id(entry.0);
        // SAFETY: as above; the entry is ours now, freed once.
        if unsafe { !free_if_ended(entry.0) } {
            left.push(id);
            taken.push(entry);
        }
    }
    left
}

/// The id the thread of `entry` wrote, waiting (up to [`ID_WAIT`]) for a thread started and not
/// yet running; 0 when it ended first or did not write it in time.
fn wait_for_id(entry: *mut Launch) -> u64 {
    let waited = std::time::Instant::now();
    loop {
        // SAFETY: an entry taken from `PENDING`, not freed before the caller frees it.
        let (id, ended) = unsafe { ((*entry).tid.load(Acquire), (*entry).ended.load(Acquire)) };
        if id != 0 || ended || waited.elapsed() > ID_WAIT {
            return id;
        }
        std::thread::yield_now();
    }
}

/// Frees `entry` if its thread has ended (it no longer touches it); whether it did.
///
/// # Safety
///
/// `entry` is an entry taken from [`PENDING`], not yet freed.
unsafe fn free_if_ended(entry: *mut Launch) -> bool {
    // SAFETY: the caller's.
    let ended = unsafe { (*entry).ended.load(Acquire) };
    if ended {
        // SAFETY: a block of `malloc` whose thread has ended (or never started), freed once.
        unsafe { libc::free(entry.cast::<c_void>()) };
    }
    ended
}

/// The value of the key of a thread that has no registry entry: non-null (glibc calls the
/// destructor of non-null values only), never read.
fn marker() -> *mut c_void {
    std::ptr::dangling_mut::<c_void>()
}

/// The key's destructor: the thread that set it ends.
extern "C" fn on_exit(entry: *mut c_void) {
    if entry != marker() {
        // SAFETY: the thread's own registry entry, which only `left_since_last` frees, and only
        // after this store.
        unsafe { (*entry.cast::<Launch>()).ended.store(true, Release) };
    }
    EXITED.fetch_add(1, Release);
    #[cfg(feature = "heap-profile")]
    crate::heap::threads::thread_ended();
}

/// A thread's start routine. `C-unwind`: a thread that calls `pthread_exit` (or is cancelled)
/// ends by a forced unwind through its start routine and [`trampoline`], which glibc aborts on
/// when a frame refuses it, as a Rust `extern "C"` frame does; the trampoline holds nothing to
/// drop across the call, so the unwind passes through it untouched.
type StartRoutine = extern "C-unwind" fn(*mut c_void) -> *mut c_void;

type Create =
    unsafe extern "C" fn(*mut libc::pthread_t, *const libc::pthread_attr_t, StartRoutine, *mut c_void) -> c_int;

/// What [`trampoline`] needs: the caller's start routine and argument, and in the
/// allocation-site pass the stack that started the thread; and, when [`registered`](Self::registered),
/// the thread's entry in the registry of threads alive (the module doc).
#[repr(C)]
struct Launch {
    start: StartRoutine,
    arg: *mut c_void,
    site: Option<u32>,
    /// Whether the block is a registry entry, pushed on [`PENDING`] and freed by
    /// [`left_since_last`]; else the trampoline frees it.
    registered: bool,
    /// The thread's id, written by the thread first thing; 0 before.
    tid: AtomicU64,
    /// Set by the key's destructor as the thread ends (or by `pthread_create` when the thread
    /// could not start): the thread no longer touches the block.
    ended: AtomicBool,
    /// The entry pushed before this one on [`PENDING`].
    next: *mut Launch,
}

/// glibc's `pthread_create`, looked up on first use (the probe's start does it first, outside
/// every window, since `dlsym` may allocate).
fn real_pthread_create() -> Option<Create> {
    let mut real = REAL.load(Relaxed);
    if real == 0 {
        // SAFETY: a NUL-terminated name; `RTLD_NEXT` from the executable names the objects
        // loaded after it, of which glibc defines `pthread_create`.
        real = unsafe { libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr()) } as usize;
        REAL.store(real, Relaxed);
    }
    // SAFETY: `dlsym` returned glibc's `pthread_create`, whose type is `Create`; 0 is None.
    (real != 0).then(|| unsafe { std::mem::transmute::<usize, Create>(real) })
}

/// A new thread's start routine: enters the thread's id in its registry entry, arms the key
/// that counts its end, then runs the caller's.
extern "C-unwind" fn trampoline(launch: *mut c_void) -> *mut c_void {
    let entry = launch.cast::<Launch>();
    // SAFETY: `pthread_create` handed this thread the `Launch` it wrote into a block of
    // `malloc`; its plain fields are not written after, and the block is not freed before this
    // thread marks it ended (a registry entry) or frees it here (not one).
    let (start, arg, site, registered) = unsafe { ((*entry).start, (*entry).arg, (*entry).site, (*entry).registered) };
    let value = if registered {
        // SAFETY: `gettid` takes no argument and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
        // SAFETY: this thread's entry, as above.
        unsafe { (*entry).tid.store(tid, Release) };
        launch
    } else {
        // SAFETY: the block of `malloc` read above, which nothing else reads or frees; once.
        unsafe { libc::free(launch) };
        marker()
    };
    #[cfg(feature = "heap-profile")]
    if let Some(site) = site {
        crate::heap::threads::thread_started(site);
    }
    #[cfg(not(feature = "heap-profile"))]
    let _ = site;
    // SAFETY: a key made by `pthread_key_create`; the value is this thread's registry entry, or
    // a non-null marker, which only `on_exit` reads.
    let armed = key().is_some_and(|k| unsafe { libc::pthread_setspecific(k, value) } == 0);
    let result = start(arg);
    if !armed {
        // No key: the end counted here, which misses a `pthread_exit` (glibc has 1024 keys; a
        // program that took them all is the only way here).
        on_exit(value);
    }
    result
}

/// Pushes `entry` on [`PENDING`]: a lock-free push, with which [`left_since_last`]'s exchange of
/// the whole stack cannot conflict (entries are never popped one by one, so no ABA).
fn push(entry: *mut Launch) {
    let mut head = PENDING.load(Relaxed);
    loop {
        // SAFETY: a fresh entry, not yet reachable by any other thread.
        unsafe { (*entry).next = head };
        match PENDING.compare_exchange_weak(head, entry, Release, Relaxed) {
            Ok(_) => return,
            Err(now) => head = now,
        }
    }
}

/// Writes `message` to standard error and aborts: the interposer cannot start a thread.
fn abort_with(message: &str) -> ! {
    // SAFETY: `message` is valid for reads of its length; nothing here allocates.
    unsafe {
        libc::write(2, message.as_ptr().cast::<c_void>(), message.len());
        libc::abort()
    }
}

/// Counts a thread started, and starts it with glibc's `pthread_create`, in [`trampoline`].
///
/// # Safety
///
/// As glibc's `pthread_create`, to which it forwards its arguments.
#[no_mangle]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: StartRoutine,
    arg: *mut c_void,
) -> c_int {
    let Some(real) = real_pthread_create() else {
        // Failing the start (EAGAIN) would be an error the program does not expect and may
        // retry forever; starting the thread needs glibc's function, which is not there.
        abort_with(
            "allocbench: glibc's pthread_create not found (dlsym(RTLD_NEXT) returned null); the \
             harness's thread counting needs a dynamically linked executable\n",
        )
    };
    // SAFETY: a plain allocation of libc's, checked for null below.
    let launch = unsafe { libc::malloc(std::mem::size_of::<Launch>()) }.cast::<Launch>();
    if launch.is_null() {
        // No memory for the trampoline's state: start the thread unwrapped and count nothing,
        // neither its start nor its end, so that `threads_alive` stays right.
        // SAFETY: the caller's arguments, as glibc's `pthread_create` takes them.
        return unsafe { real(thread, attr, start, arg) };
    }
    // The allocation-site pass names the stack that started a thread left running; elsewhere
    // this is one load of a flag.
    #[cfg(feature = "heap-profile")]
    let site = crate::heap::threads::spawn_site();
    #[cfg(not(feature = "heap-profile"))]
    let site = None;
    let registered = REGISTERING.load(Relaxed);
    let entry = Launch {
        start,
        arg,
        site,
        registered,
        tid: AtomicU64::new(0),
        ended: AtomicBool::new(false),
        next: std::ptr::null_mut(),
    };
    // SAFETY: `launch` is a fresh block of `malloc`, aligned for any type and large enough.
    unsafe { launch.write(entry) };
    STARTED.fetch_add(1, Relaxed);
    if registered {
        // Before the thread exists: a thread is never running, and counted, unregistered.
        push(launch);
    }
    // SAFETY: the caller's `thread` and `attr`, as glibc's `pthread_create` takes them; the
    // trampoline takes the `Launch` it is given.
    let result = unsafe { real(thread, attr, trampoline, launch.cast::<c_void>()) };
    if result != 0 {
        STARTED.fetch_sub(1, Relaxed);
        if registered {
            // No thread started: the entry ends here, and `left_since_last` frees it.
            // SAFETY: the entry written above, not freed before it is marked ended.
            unsafe { (*launch).ended.store(true, Release) };
        } else {
            // SAFETY: no thread started to take the block: it is still ours, freed once.
            unsafe { libc::free(launch.cast::<c_void>()) };
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C-unwind" {
        // glibc's, declared `C-unwind`: it ends the thread by a forced unwind.
        #[link_name = "pthread_exit"]
        fn pthread_exit_unwinding(value: *mut c_void) -> !;
    }

    /// Starts a thread with `pthread_create` (the interposer: this test executable defines it)
    /// running `routine`, and joins it.
    fn pthread_run(routine: StartRoutine) {
        let mut thread: libc::pthread_t = 0;
        // SAFETY: a valid out-pointer, default attributes, a routine that ignores its argument.
        assert_eq!(unsafe { pthread_create(&mut thread, std::ptr::null(), routine, std::ptr::null_mut()) }, 0);
        // SAFETY: a thread just started and not detached, joined once.
        assert_eq!(unsafe { libc::pthread_join(thread, std::ptr::null_mut()) }, 0);
    }

    extern "C-unwind" fn returns(_: *mut c_void) -> *mut c_void {
        std::ptr::null_mut()
    }

    extern "C-unwind" fn exits(_: *mut c_void) -> *mut c_void {
        // SAFETY: ends this thread, whose frames are glibc's, the trampoline's and this one,
        // none of which holds anything to drop.
        unsafe { pthread_exit_unwinding(std::ptr::null_mut()) }
    }

    /// This thread's id.
    fn gettid() -> u64 {
        // SAFETY: `gettid` takes no argument and cannot fail.
        unsafe { libc::syscall(libc::SYS_gettid) as u64 }
    }

    /// A thread that sends its id, then waits until the sender of `go` hangs up.
    fn parked(ids: &std::sync::mpsc::Sender<u64>, go: std::sync::mpsc::Receiver<()>) -> std::thread::JoinHandle<()> {
        let ids = ids.clone();
        std::thread::Builder::new()
            .name("parked".into())
            .spawn(move || {
                ids.send(gettid()).unwrap();
                let _ = go.recv();
            })
            .unwrap()
    }

    extern "C-unwind" fn sends_id_then_waits(arg: *mut c_void) -> *mut c_void {
        // SAFETY: the test hands a `Box<(Sender, Receiver)>` it leaked for this thread alone.
        let (ids, go) =
            *unsafe { Box::from_raw(arg.cast::<(std::sync::mpsc::Sender<u64>, std::sync::mpsc::Receiver<()>)>()) };
        ids.send(gettid()).unwrap();
        let _ = go.recv();
        std::ptr::null_mut()
    }

    /// The registry lists exactly the threads the interposer started since the previous call
    /// and not ended: in each of many repetitions, of threads joined (returning, calling
    /// `pthread_exit`, through std) none, of threads parked all, a thread parked since an earlier
    /// call not again, and a thread started with glibc's own `pthread_create` (as a shared
    /// library's or glibc's own helper threads are) never, though `/proc/self/task` lists it
    /// (checked here: the diff of it that named threads before would have). The tests libtest
    /// runs beside it start threads of their own, which may be listed too: so each of the test's
    /// threads, known by the id it sent, is looked for in the list. This is the one test that
    /// calls `left_since_last` (two would take each other's entries).
    #[test]
    fn the_registry_lists_the_threads_alive_the_interposer_started() {
        use std::sync::mpsc::channel;
        prepare();
        register();
        left_since_last();
        let (ids, id_of) = channel::<u64>();
        let (hold_older, older_go) = channel::<()>();
        let older = parked(&ids, older_go);
        let older_id = id_of.recv().unwrap();
        left_since_last();
        // A thread glibc starts without the interposer, alive through every repetition.
        let (outside_hold, outside_go) = channel::<()>();
        let real = real_pthread_create().unwrap();
        let mut outside: libc::pthread_t = 0;
        let arg = Box::into_raw(Box::new((ids.clone(), outside_go))).cast::<c_void>();
        // SAFETY: a valid out-pointer, default attributes, a routine that takes the box it is given.
        assert_eq!(unsafe { real(&mut outside, std::ptr::null(), sends_id_then_waits, arg) }, 0);
        let outside_id = id_of.recv().unwrap();
        let tasks = || -> Vec<u64> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        };
        assert!(tasks().contains(&outside_id), "the kernel lists the thread the interposer did not start");
        for rep in 0..300 {
            let joined: Vec<u64> = (0..3)
                .map(|i| {
                    let ids = ids.clone();
                    match i {
                        0 => std::thread::spawn(move || ids.send(gettid()).unwrap()).join().unwrap(),
                        _ => {
                            let (hold, go) = channel::<()>();
                            drop(hold);
                            let arg = Box::into_raw(Box::new((ids, go))).cast::<c_void>();
                            let mut thread: libc::pthread_t = 0;
                            // SAFETY: as above, through the interposer.
                            let started =
                                unsafe { pthread_create(&mut thread, std::ptr::null(), sends_id_then_waits, arg) };
                            assert_eq!(started, 0);
                            // SAFETY: a thread just started and not detached, joined once.
                            assert_eq!(unsafe { libc::pthread_join(thread, std::ptr::null_mut()) }, 0);
                        }
                    }
                    id_of.recv().unwrap()
                })
                .collect();
            pthread_run(exits);
            let (hold, go) = (0..2).map(|_| channel::<()>()).unzip::<_, _, Vec<_>, Vec<_>>();
            let handles: Vec<_> = go.into_iter().map(|go| parked(&ids, go)).collect();
            let parked_ids = [id_of.recv().unwrap(), id_of.recv().unwrap()];
            let left = left_since_last();
            for id in parked_ids {
                assert!(left.contains(&id), "repetition {rep}: parked {id} not in {left:?}");
            }
            for id in joined {
                assert!(!left.contains(&id), "repetition {rep}: joined {id} in {left:?}");
            }
            assert!(!left.contains(&older_id), "repetition {rep}: started before the previous call");
            assert!(!left.contains(&outside_id), "repetition {rep}: not started by the interposer");
            assert!(!left.contains(&0), "repetition {rep}: every thread listed wrote its id: {left:?}");
            drop(hold);
            for h in handles {
                h.join().unwrap();
            }
        }
        drop((hold_older, outside_hold));
        older.join().unwrap();
        // SAFETY: the thread started above, not detached, joined once.
        assert_eq!(unsafe { libc::pthread_join(outside, std::ptr::null_mut()) }, 0);
    }

    /// Started and exited counts now.
    fn counts() -> (u64, u64) {
        let exited = EXITED.load(Acquire);
        (STARTED.load(Relaxed), exited)
    }

    /// The exits of threads joined are counted when the join returns: `3` threads started and
    /// joined (one returning, one calling `pthread_exit`, one through std), in each of many
    /// repetitions, have all counted their ends. (The thread count of `/proc/self/stat`, used
    /// before, still listed a thread just joined now and then.) libtest runs the other tests on
    /// threads of their own, which can only add to both counts: so `≥`; the fixture's benchmark
    /// `threads/join_many` checks `threads_alive` exactly 0 in a process without them
    /// (cargo-allocbench's integration test `signals::`).
    #[test]
    fn joined_threads_have_counted_their_end() {
        prepare();
        for rep in 0..2_000 {
            let (s0, e0) = counts();
            pthread_run(returns);
            pthread_run(exits);
            std::thread::spawn(|| {}).join().unwrap();
            let (s1, e1) = counts();
            assert!(s1 - s0 >= 3, "repetition {rep}: started {s0} → {s1}");
            assert!(e1 - e0 >= 3, "repetition {rep}: exited {e0} → {e1}");
        }
    }
}
