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

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Once;

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

/// The key's destructor: the thread that set it ends.
extern "C" fn on_exit(_: *mut c_void) {
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
/// allocation-site pass the stack that started the thread.
#[repr(C)]
struct Launch {
    start: StartRoutine,
    arg: *mut c_void,
    site: Option<u32>,
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

/// A new thread's start routine: arms the key that counts its end, then runs the caller's.
extern "C-unwind" fn trampoline(launch: *mut c_void) -> *mut c_void {
    // SAFETY: `pthread_create` handed this thread the `Launch` it wrote into a block of
    // `malloc`, which nothing else reads or frees.
    let Launch { start, arg, site } = unsafe { launch.cast::<Launch>().read() };
    // SAFETY: the block of `malloc` read above, freed once.
    unsafe { libc::free(launch) };
    #[cfg(feature = "heap-profile")]
    if let Some(site) = site {
        crate::heap::threads::thread_started(site);
    }
    #[cfg(not(feature = "heap-profile"))]
    let _ = site;
    // SAFETY: a key made by `pthread_key_create`; the value is a non-null marker, never read.
    let armed = key().is_some_and(|k| unsafe { libc::pthread_setspecific(k, std::ptr::dangling::<c_void>()) } == 0);
    let result = start(arg);
    if !armed {
        // No key: the end counted here, which misses a `pthread_exit` (glibc has 1024 keys; a
        // program that took them all is the only way here).
        EXITED.fetch_add(1, Release);
    }
    result
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
    // SAFETY: `launch` is a fresh block of `malloc`, aligned for any type and large enough.
    unsafe { launch.write(Launch { start, arg, site }) };
    STARTED.fetch_add(1, Relaxed);
    // SAFETY: the caller's `thread` and `attr`, as glibc's `pthread_create` takes them; the
    // trampoline takes the `Launch` it is given.
    let result = unsafe { real(thread, attr, trampoline, launch.cast::<c_void>()) };
    if result != 0 {
        STARTED.fetch_sub(1, Relaxed);
        // SAFETY: no thread started to take the block: it is still ours, freed once.
        unsafe { libc::free(launch.cast::<c_void>()) };
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
