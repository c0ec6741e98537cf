//! The allocation-site pass: the call stack of every allocation made inside criterion's measured
//! windows of a benchmark's first two measured samples, counted per stack and per sample; in the
//! same windows, the stacks of the routine's read- and write-family system calls made through
//! libc (module `syscalls`), and the stacks that start threads ([`threads`]).
//!
//! Only `cargo allocbench`'s allocation-site pass turns this on
//! ([`Mode::Heap`](crate::record::Mode)); in every other pass the owner's path of the allocator's
//! hook never looks at it, and only the overflow shard's cold path loads the flag.
//! Capturing a stack costs microseconds and takes a lock, which is why this pass is a process of
//! its own and its times are never reported.
//!
//! Each allocation inside a captured window is attributed to its stack. A block freed inside a
//! window is attributed to the stack that allocated it, if that allocation was also made inside a
//! window of the same sample; frees of older blocks are not attributed to any stack (Go's heap
//! profiles do the same: `inuse` is what the site's own allocations keep).
//!
//! What a capture costs is mostly unwinding (libgcc's `_Unwind_Backtrace` reads the unwind
//! tables anew for every frame of every stack; symbolising happens once per stack, when the
//! benchmark ends). A routine of 440,762 allocations per iteration once ran at 5–7 s per
//! iteration for the whole of criterion's warm-up and samples. So the pass does as little of it
//! as the figures need:
//! - Only the first [`CAPTURED_SAMPLES`] measured samples of a benchmark are captured: a slope
//!   needs two iteration counts, and criterion's linear sampling gives them there (`d` and `2d`
//!   iterations). The warm-up and the later samples run at the pace of the counting allocator
//!   alone, and each sample's record says whether it was captured. Criterion makes one `Bencher`
//!   for its warm-up and one for its samples, each with `Measurement::zero()` outside the
//!   routine: the second of these starts the measured samples.
//! - A stack is unwound up to the frame of the harness's wrapper around the benchmark's closure
//!   ([`in_routine`]), not to `main`: the frames above it are criterion's, which the subcommand
//!   cuts away anyway.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// Deepest stack kept, leaf first. Deeper stacks lose their root-most frames.
const DEPTH: usize = 64;

/// Measured samples of each benchmark whose stacks are captured: the two first, the fewest that
/// give a slope.
pub(crate) const CAPTURED_SAMPLES: u32 = 2;

/// The allocation-site pass is on for this process: the allocator's hook calls into this module
/// (the allocator keeps its own flag, read only on the overflow shard's cold path).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// A captured window is open: allocations are attributed.
static CAPTURE: AtomicBool = AtomicBool::new(false);
/// `Bencher`s criterion made for the running benchmark outside its routine: the first is the
/// warm-up's, the second the measured samples'.
static BENCHERS: AtomicU32 = AtomicU32::new(0);
/// Measured samples of the running benchmark closed so far.
static CLOSED: AtomicU32 = AtomicU32::new(0);
/// A window of the open sample was captured.
static OPEN_CAPTURED: AtomicBool = AtomicBool::new(false);
/// Blocks in [`State::live`]: a free looks them up only when there are any, so that the samples
/// not captured take no lock.
static LIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread is inside this module already: its own allocations are not tracked.
    static BUSY: Cell<bool> = const { Cell::new(false) };
    /// The address of a local in the frame of the harness's wrapper around the benchmark's
    /// closure, on this thread; 0 outside it. Unwinding stops at that frame.
    static ROUTINE_FRAME: Cell<usize> = const { Cell::new(0) };
}

/// FxHash's mixing, for keys that are addresses: SipHash (std's default) over a 64-frame stack
/// was a tenth of a capture's cost.
#[derive(Default)]
struct AddrHasher(u64);

impl AddrHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        // The multiplication leaves an aligned address's low bits zero, and hashbrown picks
        // buckets by the low bits: bring high bits down (as rustc-hash does).
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_ne_bytes(b));
        }
        for &b in words.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
}

type Fast = BuildHasherDefault<AddrHasher>;

#[derive(Default)]
struct State {
    stacks: Vec<Box<[usize]>>,
    index: HashMap<Box<[usize]>, u32, Fast>,
    /// Blocks allocated in a window of the open sample and not yet freed: address → (stack, size).
    live: HashMap<usize, (u32, u64), Fast>,
    /// Counts of the open sample per stack: alloc objects, alloc bytes, free objects, free bytes.
    open: HashMap<u32, [u64; 4]>,
    /// Closed samples of the benchmark running now.
    samples: Vec<HashMap<u32, [u64; 4]>>,
    /// Threads the benchmark's routine started and that have not ended: thread id → the stack
    /// that started it (a `pthread_create` inside the routine, `threads::spawn_site`).
    #[cfg_attr(
        not(all(target_os = "linux", target_env = "gnu", not(miri), not(target_feature = "crt-static"))),
        allow(dead_code)
    )]
    spawned: HashMap<u64, u32, Fast>,
    /// Counts of the open sample per stack that made read- or write-family system calls inside
    /// the routine ([`syscalls`]): read calls, read bytes, write calls, write bytes.
    #[cfg_attr(
        not(all(target_os = "linux", target_env = "gnu", not(miri), not(target_feature = "crt-static"))),
        allow(dead_code)
    )]
    syscalls_open: HashMap<u32, [u64; 4]>,
    /// Closed samples' system-call counts per stack, beside [`State::samples`].
    syscalls_samples: Vec<HashMap<u32, [u64; 4]>>,
}

impl State {
    fn forget_live(&mut self) {
        self.live.clear();
        LIVE.store(0, Relaxed);
    }
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Runs `f` with the state locked and this thread marked busy, so that `f`'s own allocations
/// (and a stack trace's) pass through untracked instead of coming back here. Returns `None`
/// when this thread is in here already.
fn busy<R>(f: impl FnOnce() -> R) -> Option<R> {
    let entered = BUSY.try_with(|b| !b.replace(true)).unwrap_or(false);
    if !entered {
        return None;
    }
    let result = f();
    let _ = BUSY.try_with(|b| b.set(false));
    Some(result)
}

fn locked<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    STATE.lock().ok().map(|mut guard| f(guard.get_or_insert_with(State::default)))
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    busy(|| locked(f)).flatten()
}

/// Turns the pass on for this process.
pub(crate) fn enable() {
    ACTIVE.store(true, Relaxed);
    crate::alloc::enable_heap_hooks();
}

/// The harness's wrapper around one call of the benchmark's closure runs `f`: stacks captured
/// inside it are unwound up to this frame and no further.
#[inline(always)]
pub(crate) fn in_routine(f: impl FnOnce()) {
    if !ACTIVE.load(Relaxed) || ROUTINE_FRAME.try_with(Cell::get).unwrap_or(1) != 0 {
        return f();
    }
    // A local of this frame: every frame `f` calls has its canonical frame address (the stack
    // pointer in its caller at the call) at or below it, and this frame's own is above it.
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let _ = ROUTINE_FRAME.try_with(|r| r.set(here));
    f();
    let _ = ROUTINE_FRAME.try_with(|r| r.set(0));
}

/// Whether this thread is inside the benchmark's closure.
fn in_routine_now() -> bool {
    ROUTINE_FRAME.try_with(Cell::get).unwrap_or(0) != 0
}

/// A window opens or closes. Only windows of the benchmark's first [`CAPTURED_SAMPLES`]
/// measured samples are captured.
pub(crate) fn set_capture(on: bool) {
    if ACTIVE.load(Relaxed) {
        let capture = on && BENCHERS.load(Relaxed) >= 2 && CLOSED.load(Relaxed) < CAPTURED_SAMPLES;
        if capture {
            OPEN_CAPTURED.store(true, Relaxed);
        }
        CAPTURE.store(capture, Relaxed);
    }
}

/// The stack of the caller, leaf first, up to the frame of the harness's wrapper around the
/// benchmark's closure: into `frames`, returning how many.
#[inline(always)]
fn capture(frames: &mut [usize; DEPTH]) -> usize {
    let boundary = ROUTINE_FRAME.try_with(Cell::get).unwrap_or(0);
    let mut depth = 0;
    backtrace::trace(|frame| {
        frames[depth] = frame.ip() as usize;
        depth += 1;
        // The wrapper's frame is the last one kept: above it, criterion's. A platform whose
        // unwinder gives no stack pointer (0) unwinds to the depth limit, as on other
        // threads than the routine's.
        let past_routine = boundary != 0 && frame.sp() as usize > boundary;
        depth < DEPTH && !past_routine
    });
    depth
}

/// The id of `stack` among the pass's stacks, added when new.
fn intern(s: &mut State, stack: &[usize]) -> u32 {
    match s.index.get(stack) {
        Some(&id) => id,
        None => {
            let id = s.stacks.len() as u32;
            s.stacks.push(stack.into());
            s.index.insert(stack.into(), id);
            id
        }
    }
}

/// Called by the allocator for every block allocated while the pass is on.
#[inline(never)]
pub(crate) fn on_alloc(ptr: *mut u8, size: u64) {
    if !CAPTURE.load(Relaxed) {
        return;
    }
    busy(|| {
        let mut frames = [0usize; DEPTH];
        let depth = capture(&mut frames);
        let stack = &frames[..depth];
        locked(|s| {
            let id = intern(s, stack);
            let c = s.open.entry(id).or_default();
            c[0] += 1;
            c[1] += size;
            s.live.insert(ptr as usize, (id, size));
            LIVE.store(s.live.len(), Relaxed);
        });
    });
}

/// The stacks that start threads, for the threads a benchmark leaves running (the runtime
/// signals' `pthread_create` calls in here: Linux with glibc, dynamically linked).
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri), not(target_feature = "crt-static")))]
pub(crate) mod threads {
    use super::*;

    /// The harness's `pthread_create` starts a thread: in the pass's process and inside the
    /// benchmark's routine, the id of the stack that starts it (a capture, as for an allocation:
    /// never outside this pass). `None` elsewhere.
    #[inline(never)]
    pub(crate) fn spawn_site() -> Option<u32> {
        if !ACTIVE.load(Relaxed) || !in_routine_now() {
            return None;
        }
        busy(|| {
            let mut frames = [0usize; DEPTH];
            let depth = capture(&mut frames);
            locked(|s| intern(s, &frames[..depth]))
        })
        .flatten()
    }

    /// This thread's id, as `/proc/self/task/` names it.
    fn thread_id() -> u64 {
        // SAFETY: `gettid` takes no argument and cannot fail.
        unsafe { libc::syscall(libc::SYS_gettid) as u64 }
    }

    /// A thread started at the stack `site` ([`spawn_site`]) begins: on the new thread.
    pub(crate) fn thread_started(site: u32) {
        let tid = thread_id();
        with_state(|s| s.spawned.insert(tid, site));
    }

    /// A thread started at a captured stack ends: on that thread, from its key's destructor.
    pub(crate) fn thread_ended() {
        if !ACTIVE.load(Relaxed) {
            return;
        }
        let tid = thread_id();
        with_state(|s| s.spawned.remove(&tid));
    }

    /// The stack that started the thread `tid`, symbolised, the thread machinery's frames (std's,
    /// the harness's `pthread_create`) cut away; empty when it was not captured. Outside every
    /// window.
    pub(crate) fn spawn_stack(tid: u64) -> Vec<Frame> {
        if !ACTIVE.load(Relaxed) {
            return Vec::new();
        }
        busy(|| {
            let stack = locked(|s| s.spawned.get(&tid).map(|&id| s.stacks[id as usize].clone())).flatten();
            stack.map(|ips| {
                let mut frames = symbolize(&ips);
                let plumbing = frames.iter().take_while(|f| is_thread_start_frame(&f.function)).count();
                frames.drain(..plumbing);
                frames
            })
        })
        .flatten()
        .unwrap_or_default()
    }

    /// Frames of starting a thread: std's (`std::thread::spawn`, its builder and `sys`) and the
    /// `pthread_create` the harness defines.
    fn is_thread_start_frame(name: &str) -> bool {
        let name = name.trim_start_matches('<');
        ["std::thread::", "std::sys::", "pthread_create", "core::ops::function::"].iter().any(|p| name.starts_with(p))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn thread_start_frames() {
            assert!(is_thread_start_frame("std::thread::Builder::spawn_unchecked_"));
            assert!(is_thread_start_frame("std::sys::pal::unix::thread::Thread::new"));
            assert!(is_thread_start_frame("pthread_create"));
            assert!(!is_thread_start_frame("thread_per_request::serve"));
        }
    }
}

/// The stacks that make read- and write-family system calls inside the routine: the harness's
/// interposers of libc's functions (Linux with glibc, dynamically linked).
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri), not(target_feature = "crt-static")))]
mod syscalls;

/// Looks up glibc's `read` and `write` families for the harness's interposers ([`syscalls`]), in
/// every pass, at the process's start: outside every window. Nothing where none is interposed.
pub(crate) fn prepare_syscalls() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(miri), not(target_feature = "crt-static")))]
    syscalls::prepare();
}

/// The benchmark finished: the stacks that made system calls inside its routine, symbolised,
/// with their counts per sample (`[read calls, read bytes, write calls, write bytes]`). Before
/// [`take_sites`], which resets the state.
pub(crate) fn take_syscall_sites() -> Vec<Site> {
    if !ACTIVE.load(Relaxed) {
        return Vec::new();
    }
    busy(|| {
        let (samples, stacks) =
            locked(|s| (std::mem::take(&mut s.syscalls_samples), s.stacks.clone())).unwrap_or_default();
        let mut sites = symbolize_sites(samples, &stacks);
        for site in &mut sites {
            // The interposer's own frame (`write`, `read`, ...) under the capture's.
            let own = site.frames.iter().take_while(|f| is_interposer_frame(&f.function)).count();
            site.frames.drain(..own);
        }
        sites
    })
    .unwrap_or_default()
}

/// The harness's interposers of libc's `read` and `write` families, by name.
fn is_interposer_frame(name: &str) -> bool {
    const NAMES: [&str; 6] = ["read", "readv", "pread64", "write", "writev", "pwrite64"];
    NAMES.iter().any(|n| name == *n || name.strip_suffix(n).is_some_and(|p| p.ends_with("::syscalls::")))
}

/// Called by the allocator for every block freed while the pass is on.
#[inline(never)]
pub(crate) fn on_free(ptr: *mut u8) {
    // A block handed to another thread was handed over with some synchronisation, after the
    // store that counted it: this load sees it.
    if LIVE.load(Relaxed) == 0 {
        return;
    }
    with_state(|s| {
        if let Some((id, size)) = s.live.remove(&(ptr as usize)) {
            LIVE.store(s.live.len(), Relaxed);
            if CAPTURE.load(Relaxed) {
                let c = s.open.entry(id).or_default();
                c[2] += 1;
                c[3] += size;
            }
        }
    });
}

/// Criterion saved a sample: its counts become the benchmark's next sample. Returns whether its
/// stacks were captured.
pub(crate) fn close_sample() -> bool {
    if !ACTIVE.load(Relaxed) {
        return false;
    }
    CLOSED.fetch_add(1, Relaxed);
    let captured = OPEN_CAPTURED.swap(false, Relaxed);
    with_state(|s| {
        let open = std::mem::take(&mut s.open);
        s.forget_live();
        s.samples.push(open);
        let syscalls = std::mem::take(&mut s.syscalls_open);
        s.syscalls_samples.push(syscalls);
    });
    captured
}

/// Criterion made a `Bencher` (its warm-up's, or its samples'), or starts a sample of
/// `iter_batched`: forget the open counts.
pub(crate) fn discard_open_sample() {
    if !ACTIVE.load(Relaxed) {
        return;
    }
    // Inside the routine, `iter_batched` zeroes its value for each sample: not a new `Bencher`.
    if !in_routine_now() {
        BENCHERS.fetch_add(1, Relaxed);
    }
    OPEN_CAPTURED.store(false, Relaxed);
    with_state(|s| {
        s.open.clear();
        s.syscalls_open.clear();
        s.forget_live();
    });
}

/// One frame of a symbolised stack, as the record line carries it.
pub(crate) type Frame = allocbench_formats::record::FrameRecord;

/// One stack and its counts per sample, in the order of the record's samples.
pub(crate) type Site = allocbench_formats::record::SiteRecord;

/// The benchmark finished: its stacks, symbolised, with their counts per sample; the state is
/// reset for the next benchmark.
pub(crate) fn take_sites() -> Vec<Site> {
    if !ACTIVE.load(Relaxed) {
        return Vec::new();
    }
    BENCHERS.store(0, Relaxed);
    CLOSED.store(0, Relaxed);
    OPEN_CAPTURED.store(false, Relaxed);
    CAPTURE.store(false, Relaxed);
    busy(|| {
        let (samples, stacks) = locked(|s| (std::mem::take(&mut s.samples), s.stacks.clone())).unwrap_or_default();
        symbolize_sites(samples, &stacks)
    })
    .unwrap_or_default()
}

fn symbolize_sites(samples: Vec<HashMap<u32, [u64; 4]>>, stacks: &[Box<[usize]>]) -> Vec<Site> {
    let mut used: Vec<u32> = samples.iter().flat_map(|m| m.keys().copied()).collect();
    used.sort_unstable();
    used.dedup();
    let mut sites = Vec::with_capacity(used.len());
    for id in used {
        let frames = symbolize(&stacks[id as usize]);
        let per_sample = samples.iter().map(|m| m.get(&id).copied().unwrap_or_default()).collect();
        sites.push(Site { frames, samples: per_sample });
    }
    sites
}

/// Names for a stack, leaf first, inlined frames expanded, the allocator's frames dropped.
fn symbolize(ips: &[usize]) -> Vec<Frame> {
    let mut frames = Vec::new();
    for &ip in ips {
        let before = frames.len();
        backtrace::resolve(ip as *mut std::ffi::c_void, |symbol| {
            let function = symbol.name().map(|n| format!("{n:#}")).unwrap_or_else(|| format!("{ip:#x}"));
            frames.push(Frame {
                function: crate::profile::clean_name(&function),
                file: symbol.filename().map(|f| f.display().to_string()),
                line: symbol.lineno(),
            });
        });
        if frames.len() == before {
            frames.push(Frame { function: format!("{ip:#x}"), file: None, line: None });
        }
    }
    // Leaf first: drop the capture machinery and the allocator, up to the first frame that asked
    // for memory. (Further up, allocbench's wrappers around the benchmark's closure stay: the
    // subcommand cuts the stack there.)
    let plumbing = frames.iter().take_while(|f| is_allocator_frame(&f.function)).count();
    frames.drain(..plumbing);
    frames
}

/// Frames of the allocation machinery: backtrace capture, this crate's allocator, Rust's
/// allocation shims.
fn is_allocator_frame(name: &str) -> bool {
    const PREFIXES: [&str; 10] = [
        "backtrace::",
        "__rustc::",
        "allocbench::",
        "core::alloc::",
        "__rust_alloc",
        "__rust_dealloc",
        "__rust_realloc",
        "__rdl_",
        "alloc::alloc::",
        "std::alloc::",
    ];
    let name = name.trim_start_matches('<');
    PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_frames() {
        assert!(is_allocator_frame("allocbench::heap::on_alloc"));
        assert!(is_allocator_frame("<allocbench::alloc::Alloc<A> as core::alloc::global::GlobalAlloc>::alloc"));
        assert!(is_allocator_frame("alloc::alloc::exchange_malloc"));
        assert!(is_allocator_frame("<alloc::alloc::Global as core::alloc::Allocator>::allocate"));
        assert!(is_allocator_frame("__rust_alloc"));
        assert!(!is_allocator_frame("alloc::raw_vec::RawVec<T>::allocate_in"));
        assert!(!is_allocator_frame("serde_json::ser::to_vec"));
    }
}
