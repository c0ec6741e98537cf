//! Records: what the allocator saw inside criterion's measured windows, one line of JSON per
//! benchmark, for `cargo allocbench` to read.
//!
//! A *window* is one `start()`..`end()` pair of the measurement; a *sample* is the windows
//! between two `to_f64()` calls, which is one entry of criterion's `sample.json`. The record keeps
//! each sample's time value as criterion saved it, so the subcommand joins records to
//! `sample.json` by that value and learns each sample's iteration count from criterion itself.
//!
//! Nothing is written unless the subcommand names the file in [`RECORDS_ENV`]: under plain
//! `cargo bench` the harness prints and writes exactly what criterion does.

use std::cell::{Cell, RefCell};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use crate::alloc::{self, Stats};

/// The file the harness appends its records to. Set by `cargo allocbench`.
pub const RECORDS_ENV: &str = "ALLOCBENCH_RECORDS";

/// The pass `cargo allocbench` runs this process for: `allocs-only`, `full`, `cpu` or `heap`.
pub const MODE_ENV: &str = "ALLOCBENCH_MODE";

/// Version of the record line format; the subcommand refuses versions it does not know.
pub const RECORD_VERSION: u32 = 1;

/// What `cargo allocbench` asked of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not run by `cargo allocbench`: behave as criterion.
    Plain,
    /// Allocation figures only: timing settings from the bench code are ignored.
    AllocsOnly,
    /// Allocations and criterion's timing, as configured.
    Full,
    /// The CPU profiling pass.
    Cpu,
    /// The allocation-site pass.
    Heap,
}

/// The mode this process runs in, from [`MODE_ENV`].
pub fn mode() -> Mode {
    match std::env::var(MODE_ENV).as_deref() {
        Ok("allocs-only") => Mode::AllocsOnly,
        Ok("full") => Mode::Full,
        Ok("cpu") => Mode::Cpu,
        Ok("heap") => Mode::Heap,
        _ => Mode::Plain,
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    windows: u64,
    counts: Stats,
    peak: u64,
}

const CLOSED: Open = Open { windows: 0, counts: Stats::ZERO, peak: 0 };

/// One saved sample.
#[derive(Debug, Clone, Serialize)]
struct Sample {
    /// What `to_f64` returned, as criterion stores it in `sample.json`.
    time: f64,
    /// How many measured windows the sample had (more than one under `iter_batched`).
    windows: u64,
    /// True when criterion measured no window (`iter_custom`): the counts cover the whole routine.
    custom: bool,
    alloc_objects: u64,
    alloc_space: u64,
    free_objects: u64,
    free_space: u64,
    reallocs: u64,
    /// The highest rise of live bytes in any one window of the sample.
    peak_space: u64,
}

#[derive(Serialize)]
struct Record<'a> {
    version: u32,
    id: &'a str,
    /// False when the process never counted an allocation: its global allocator is not ours.
    counting: bool,
    samples: &'a [Sample],
    /// The heap pass: each allocating stack with its counts per sample.
    #[cfg(feature = "heap-profile")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sites: Vec<crate::heap::Site>,
    /// The CPU pass: the folder holding the benchmark's `cpu.folded` and `cpu.pb.gz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu_profile: Option<CpuProfile<'a>>,
}

#[derive(Serialize)]
struct CpuProfile<'a> {
    dir: &'a std::path::Path,
    frequency: i32,
}

/// Windows ever closed in this process, to tell whether a routine had any.
static WINDOWS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // `const`, `Copy`, no destructor: the window hooks touch it without allocating.
    static OPEN: Cell<Open> = const { Cell::new(CLOSED) };
    static SAMPLES: RefCell<Vec<Sample>> = const { RefCell::new(Vec::new()) };
    static CUSTOM: Cell<bool> = const { Cell::new(false) };
}

/// Adds one measured window to the open sample. Never allocates.
pub(crate) fn add_window(counts: Stats, peak: u64) {
    WINDOWS.fetch_add(1, Relaxed);
    let _ = OPEN.try_with(|open| {
        let mut o = open.get();
        o.windows += 1;
        o.counts = o.counts.plus(&counts);
        o.peak = o.peak.max(peak);
        open.set(o);
    });
}

/// Criterion started a new sample (or a warm-up): forget what the previous one left.
pub(crate) fn discard_open_sample() {
    let _ = OPEN.try_with(|open| open.set(CLOSED));
    #[cfg(feature = "heap-profile")]
    crate::heap::discard_open_sample();
}

/// A measured window opens or closes: the heap pass attributes allocations inside it.
#[inline(always)]
pub(crate) fn set_capture(_on: bool) {
    #[cfg(feature = "heap-profile")]
    crate::heap::set_capture(_on);
}

/// Turns on the passes this process was started for.
pub(crate) fn start_mode() {
    #[cfg(feature = "heap-profile")]
    if mode() == Mode::Heap {
        crate::heap::enable();
    }
}

/// Criterion saved a sample with this time value.
pub(crate) fn close_sample(time: f64) {
    #[cfg(feature = "heap-profile")]
    crate::heap::close_sample();
    let o = OPEN.with(|open| open.replace(CLOSED));
    let custom = CUSTOM.with(|c| c.replace(false));
    let c = o.counts;
    SAMPLES.with(|s| {
        s.borrow_mut().push(Sample {
            time,
            windows: o.windows,
            custom,
            alloc_objects: c.alloc_objects,
            alloc_space: c.alloc_space,
            free_objects: c.free_objects,
            free_space: c.free_space,
            reallocs: c.reallocs,
            peak_space: o.peak,
        })
    });
}

/// Runs one call of a benchmark's closure. When criterion measured no window inside it (the
/// closure used `iter_custom`, which times itself), the whole call becomes the window, and the
/// sample is marked as such.
pub(crate) fn around_routine(f: impl FnOnce()) {
    let before = WINDOWS.load(Relaxed);
    let stats = alloc::stats();
    let mark = alloc::mark();
    f();
    if WINDOWS.load(Relaxed) == before {
        let counts = alloc::stats().since(&stats);
        add_window(counts, mark.peak().unwrap_or(0));
        let _ = CUSTOM.try_with(|c| c.set(true));
    }
}

/// The benchmark `id` has finished: write its samples, if `cargo allocbench` asked for them.
pub(crate) fn finish(id: &str) {
    discard_open_sample();
    let samples = SAMPLES.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if samples.is_empty() {
        return; // filtered out, listed, test mode or profiling: nothing was measured
    }
    append(&Record {
        version: RECORD_VERSION,
        id,
        counting: alloc::is_counting(),
        samples: &samples,
        #[cfg(feature = "heap-profile")]
        sites: crate::heap::take_sites(),
        cpu_profile: None,
    });
}

/// The CPU profile of `id` is written in `dir`.
#[cfg_attr(not(all(unix, feature = "cpu-profile")), allow(dead_code))]
pub(crate) fn finish_profile(id: &str, dir: &std::path::Path, frequency: i32) {
    let cpu_profile = Some(CpuProfile { dir, frequency });
    append(&Record {
        version: RECORD_VERSION,
        id,
        counting: alloc::is_counting(),
        samples: &[],
        #[cfg(feature = "heap-profile")]
        sites: Vec::new(),
        cpu_profile,
    });
}

fn append(record: &Record<'_>) {
    let Some(path) = std::env::var_os(RECORDS_ENV).map(PathBuf::from) else {
        return;
    };
    let result = serde_json::to_string(record).map_err(std::io::Error::from).and_then(|mut line| {
        line.push('\n');
        // One `write_all` of a whole line to a file opened for appending: a crash later in the
        // process never leaves a torn line behind.
        OpenOptions::new().create(true).append(true).open(&path)?.write_all(line.as_bytes())
    });
    if let Err(e) = result {
        eprintln!("allocbench: cannot write records to `{}`: {e}", path.display());
    }
}
