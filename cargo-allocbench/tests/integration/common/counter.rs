//! A plain counting allocator, the test binary's global allocator, for the tests that compare
//! allocbench's figures with an independent count: every allocation while `ON` is set, from any
//! thread, with atomics only. The counts are taken in `main` before the harness starts its
//! threads, whose work and output would allocate beside the count; outside [`Expected::of`] it
//! only forwards to the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::SeqCst};

use allocbench_formats::figures::AllocFigures;

/// Counts every allocation while `ON` is set, from any thread.
pub struct Counter;

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);
static FREE_BYTES: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

impl Counter {
    fn grew(by: i64) {
        let live = LIVE.fetch_add(by, SeqCst) + by;
        PEAK.fetch_max(live, SeqCst);
    }
}

// SAFETY: forwards to `System` unchanged; the counting uses only atomics.
unsafe impl GlobalAlloc for Counter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && ON.load(SeqCst) {
            ALLOCS.fetch_add(1, SeqCst);
            ALLOC_BYTES.fetch_add(layout.size() as u64, SeqCst);
            Counter::grew(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ON.load(SeqCst) {
            FREES.fetch_add(1, SeqCst);
            FREE_BYTES.fetch_add(layout.size() as u64, SeqCst);
            Counter::grew(-(layout.size() as i64));
        }
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && ON.load(SeqCst) {
            // As DHAT counts it: the old block freed, a new one allocated.
            REALLOCS.fetch_add(1, SeqCst);
            ALLOCS.fetch_add(1, SeqCst);
            FREES.fetch_add(1, SeqCst);
            ALLOC_BYTES.fetch_add(new_size as u64, SeqCst);
            FREE_BYTES.fetch_add(layout.size() as u64, SeqCst);
            Counter::grew(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// What one call allocated, in the report's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    pub alloc_objects: f64,
    pub alloc_space: f64,
    pub free_objects: f64,
    pub free_space: f64,
    pub reallocs: f64,
    pub peak_space: f64,
}

impl Expected {
    /// Allocations of `f`, which runs what criterion's window holds for one iteration.
    pub fn of(f: impl FnOnce()) -> Expected {
        for c in [&ALLOCS, &ALLOC_BYTES, &FREES, &FREE_BYTES, &REALLOCS] {
            c.store(0, SeqCst);
        }
        LIVE.store(0, SeqCst);
        PEAK.store(0, SeqCst);
        ON.store(true, SeqCst);
        f();
        ON.store(false, SeqCst);
        Expected {
            alloc_objects: ALLOCS.load(SeqCst) as f64,
            alloc_space: ALLOC_BYTES.load(SeqCst) as f64,
            free_objects: FREES.load(SeqCst) as f64,
            free_space: FREE_BYTES.load(SeqCst) as f64,
            reallocs: REALLOCS.load(SeqCst) as f64,
            peak_space: PEAK.load(SeqCst) as f64,
        }
    }

    /// Asserts that `figures` (a report's, per iteration) are these counts exactly: blocks and
    /// bytes allocated and freed, reallocs, and what is kept (`inuse_*`). `what` says which
    /// benchmark, for the message. The peak and the flags are the caller's to check: they depend
    /// on how the benchmark runs.
    pub fn assert_counted(&self, figures: &AllocFigures, what: &str) {
        let msg = format!("{what}: report {figures:?} vs independent count {self:?}");
        assert_eq!(figures.alloc_objects, self.alloc_objects, "{msg}");
        assert_eq!(figures.alloc_space, self.alloc_space, "{msg}");
        assert_eq!(figures.free_objects, self.free_objects, "{msg}");
        assert_eq!(figures.free_space, self.free_space, "{msg}");
        assert_eq!(figures.reallocs, self.reallocs, "{msg}");
        assert_eq!(figures.inuse_objects, self.alloc_objects - self.free_objects, "{msg}");
        assert_eq!(figures.inuse_space, self.alloc_space - self.free_space, "{msg}");
    }

    /// With a batch above one, criterion frees its vector of inputs inside the window:
    /// `size_of::<I>()` bytes per iteration, in one block per batch.
    pub fn with_inputs_vector<I>(mut self) -> Expected {
        self.free_space += std::mem::size_of::<I>() as f64;
        self
    }
}

/// What criterion's `iter` does with a routine's output inside the window.
pub fn sink<T>(output: T) {
    drop(black_box(output));
}

/// `iter_batched`: criterion drops the output after the window has closed.
pub fn kept<T>(f: impl FnOnce() -> T) -> Expected {
    let mut out = None;
    let e = Expected::of(|| out = Some(f()));
    drop(out);
    e
}
