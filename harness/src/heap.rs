//! The allocation-site pass: the call stack of every allocation made inside criterion's measured
//! windows, counted per stack and per sample.
//!
//! Only `cargo allocbench`'s allocation-site pass turns this on
//! ([`Mode::Heap`](crate::record::Mode)); in every other pass the owner's path of the allocator's
//! hook never looks at it, and only the overflow shard's cold path loads the flag.
//! Capturing a stack costs microseconds and takes a lock, which is why this pass is a process of
//! its own and its times are never reported.
//!
//! Each allocation inside a window is attributed to its stack. A block freed inside a window is
//! attributed to the stack that allocated it, if that allocation was also made inside a window of
//! the same sample; frees of older blocks are not attributed to any stack (Go's heap profiles do
//! the same: `inuse` is what the site's own allocations keep).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;

/// Deepest stack kept, leaf first. Deeper stacks lose their root-most frames.
const DEPTH: usize = 64;

/// The allocation-site pass is on for this process: the allocator's hook calls into this module
/// (the allocator keeps its own flag, read only on the overflow shard's cold path).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// A measured window is open: allocations are attributed.
static CAPTURE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread is inside this module already: its own allocations are not tracked.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

type Stack = Vec<usize>;

#[derive(Default)]
struct State {
    stacks: Vec<Stack>,
    index: HashMap<Stack, u32>,
    /// Blocks allocated in a window of the open sample and not yet freed: address → (stack, size).
    live: HashMap<usize, (u32, u64)>,
    /// Counts of the open sample per stack: alloc objects, alloc bytes, free objects, free bytes.
    open: HashMap<u32, [u64; 4]>,
    /// Closed samples of the benchmark running now.
    samples: Vec<HashMap<u32, [u64; 4]>>,
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

/// A window opens or closes.
pub(crate) fn set_capture(on: bool) {
    if ACTIVE.load(Relaxed) {
        CAPTURE.store(on, Relaxed);
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
        let mut depth = 0;
        backtrace::trace(|frame| {
            frames[depth] = frame.ip() as usize;
            depth += 1;
            depth < DEPTH
        });
        let stack = frames[..depth].to_vec();
        locked(|s| {
            let id = match s.index.get(&stack) {
                Some(&id) => id,
                None => {
                    let id = s.stacks.len() as u32;
                    s.stacks.push(stack.clone());
                    s.index.insert(stack, id);
                    id
                }
            };
            let c = s.open.entry(id).or_default();
            c[0] += 1;
            c[1] += size;
            s.live.insert(ptr as usize, (id, size));
        });
    });
}

/// Called by the allocator for every block freed while the pass is on.
#[inline(never)]
pub(crate) fn on_free(ptr: *mut u8) {
    with_state(|s| {
        if let Some((id, size)) = s.live.remove(&(ptr as usize)) {
            if CAPTURE.load(Relaxed) {
                let c = s.open.entry(id).or_default();
                c[2] += 1;
                c[3] += size;
            }
        }
    });
}

/// Criterion saved a sample: its counts become the benchmark's next sample.
pub(crate) fn close_sample() {
    if !ACTIVE.load(Relaxed) {
        return;
    }
    with_state(|s| {
        let open = std::mem::take(&mut s.open);
        s.live.clear();
        s.samples.push(open);
    });
}

/// A new sample or a warm-up starts: forget the open counts.
pub(crate) fn discard_open_sample() {
    if !ACTIVE.load(Relaxed) {
        return;
    }
    with_state(|s| {
        s.open.clear();
        s.live.clear();
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
    busy(|| {
        let (samples, stacks) = locked(|s| (std::mem::take(&mut s.samples), s.stacks.clone())).unwrap_or_default();
        symbolize_sites(samples, &stacks)
    })
    .unwrap_or_default()
}

fn symbolize_sites(samples: Vec<HashMap<u32, [u64; 4]>>, stacks: &[Stack]) -> Vec<Site> {
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
