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
//!
//! Beside the records, and only when the subcommand asks (see [`allocbench_formats::probe`]):
//! the harness answers the probe that tells allocbench's bench executables from the others,
//! names each benchmark it starts, and lists the benchmarks the bench functions define, each id
//! as a JSON string, so that an id holding newlines or anything else reaches the subcommand
//! byte for byte, which criterion's printed text cannot promise.

use std::cell::{Cell, RefCell};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use allocbench_formats::counts::Counts;
use allocbench_formats::probe::ProbeAnswer;
pub use allocbench_formats::record::RECORD_VERSION;
use allocbench_formats::record::{CpuProfileRecord, ProbeCounts, RecordLine, RecordSample};
pub use allocbench_formats::Mode;

use crate::alloc;
use crate::probe::{All, Probes};

/// The file the harness appends its records to. Set by `cargo allocbench`.
pub const RECORDS_ENV: &str = allocbench_formats::env::RECORDS;

/// The pass `cargo allocbench` runs this process for (see [`Mode`]).
pub const MODE_ENV: &str = allocbench_formats::env::MODE;

/// The pass this process runs for, from [`MODE_ENV`]; `None` when not run by `cargo allocbench`
/// (or by one whose modes this harness does not know): the harness then behaves as criterion.
pub fn mode() -> Option<Mode> {
    std::env::var(MODE_ENV).ok().and_then(|v| Mode::from_env_value(&v))
}

/// Windows ever closed in this process, to tell whether a routine had any.
static WINDOWS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Windows of the open sample. `const`, `Copy`, no destructor: the window hooks touch it
    /// without allocating.
    static OPEN_WINDOWS: Cell<u64> = const { Cell::new(0) };
    static SAMPLES: RefCell<Vec<RecordSample>> = const { RefCell::new(Vec::new()) };
    static CUSTOM: Cell<bool> = const { Cell::new(false) };
    /// The benchmark criterion is about to run, until its routine is first called.
    static PENDING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// One measured window ended (the probes have added it to their open samples). Never allocates.
#[inline(always)]
pub(crate) fn add_window() {
    WINDOWS.fetch_add(1, Relaxed);
    let _ = OPEN_WINDOWS.try_with(|open| open.set(open.get() + 1));
}

/// Criterion started a new sample (or a warm-up): forget what the previous one left.
pub(crate) fn discard_open_sample() {
    let _ = OPEN_WINDOWS.try_with(|open| open.set(0));
    All::discard();
}

/// Turns on the passes this process was started for. Called by every `Criterion::default()`,
/// which is the first thing a bench's `main` does with allocbench (through `criterion_group!`),
/// before any benchmark's setup.
pub(crate) fn start_mode() {
    answer_probe();
    if let Some(path) = std::env::var_os(allocbench_formats::env::STARTED) {
        // Present, even empty, says that this harness names what it starts: the subcommand then
        // reads this file rather than criterion's text.
        let _ = OpenOptions::new().create(true).append(true).open(path);
    }
    All::start_mode(mode());
}

/// `cargo allocbench`'s probe: says that this is allocbench's harness, then exits with success
/// before any benchmark's setup runs, which keeps the probe as cheap as starting the process.
fn answer_probe() {
    let Some(path) = std::env::var_os(allocbench_formats::env::PROBE) else { return };
    let answer = ProbeAnswer { harness: env!("CARGO_PKG_VERSION").to_owned(), record_version: RECORD_VERSION };
    let result = serde_json::to_string(&answer)
        .map_err(std::io::Error::from)
        .and_then(|line| std::fs::write(&path, line + "\n"));
    if let Err(e) = result {
        eprintln!("allocbench: cannot answer the probe in `{}`: {e}", PathBuf::from(path).display());
        std::process::exit(2);
    }
    std::process::exit(0);
}

/// Criterion is about to run (or list, or skip) the benchmark `id`: its routine's first call
/// says that it started.
pub(crate) fn begin(id: &str) {
    if std::env::var_os(allocbench_formats::env::STARTED).is_some() {
        PENDING.with(|p| *p.borrow_mut() = Some(id.to_owned()));
    }
}

/// The first call of the routine of the benchmark [`begin`] named: appends its id to the file
/// named by [`allocbench_formats::env::STARTED`]. Outside every measured window.
fn note_started() {
    let Some(id) = PENDING.with(|p| p.borrow_mut().take()) else { return };
    if let Some(path) = std::env::var_os(allocbench_formats::env::STARTED) {
        append_id(&PathBuf::from(path), &id);
    }
}

/// Appends `id` as a line of JSON to `path`, in one write.
fn append_id(path: &std::path::Path, id: &str) {
    let result = serde_json::to_string(id).map_err(std::io::Error::from).and_then(|mut line| {
        line.push('\n');
        OpenOptions::new().create(true).append(true).open(path)?.write_all(line.as_bytes())
    });
    if let Err(e) = result {
        eprintln!("allocbench: cannot write `{}`: {e}", path.display());
    }
}

/// Criterion saved a sample with this time value.
pub(crate) fn close_sample(time: f64) {
    let mut sample = RecordSample {
        time,
        windows: OPEN_WINDOWS.with(|open| open.replace(0)),
        custom: CUSTOM.with(|c| c.replace(false)),
        counts: Counts::ZERO,
        peak_space: 0,
        callgrind_part: None,
        sites: false,
        probes: ProbeCounts::NONE,
    };
    All::close(&mut sample);
    SAMPLES.with(|s| s.borrow_mut().push(sample));
}

/// Runs one call of a benchmark's closure. When criterion measured no window inside it (the
/// closure used `iter_custom`, which times itself), the whole call becomes the window, and the
/// sample is marked as such.
pub(crate) fn around_routine(f: impl FnOnce()) {
    note_started();
    let before = WINDOWS.load(Relaxed);
    let whole = All::routine_start();
    All::routine(f);
    if WINDOWS.load(Relaxed) == before {
        All::routine_end(whole);
        add_window();
        let _ = CUSTOM.try_with(|c| c.set(true));
    }
}

/// The benchmark `id` has finished (or was listed, or left out by criterion's filter): write its
/// samples, if `cargo allocbench` asked for them, and list it, if asked.
pub(crate) fn finish(id: &str) {
    PENDING.with(|p| p.borrow_mut().take());
    if let Some(path) = std::env::var_os(allocbench_formats::env::LISTED) {
        append_id(&PathBuf::from(path), id);
    }
    discard_open_sample();
    let mut line = RecordLine {
        version: RECORD_VERSION,
        id: id.to_owned(),
        counting: false,
        samples: SAMPLES.with(|s| std::mem::take(&mut *s.borrow_mut())),
        sites: Vec::new(),
        cpu_profile: None,
        pid: None,
        allocator: None,
        threads_left: None,
        syscall_sites: Vec::new(),
    };
    // Always, also without samples: the probes reset what they keep per benchmark.
    All::finish(&mut line);
    if line.samples.is_empty() {
        return; // filtered out, listed, test mode or profiling: nothing was measured
    }
    append(&line);
}

/// The CPU profile of `id` is written in `dir`.
#[cfg_attr(not(all(unix, feature = "_pprof")), allow(dead_code))]
pub(crate) fn finish_profile(id: &str, dir: &std::path::Path, frequency: u32) {
    append(&RecordLine {
        version: RECORD_VERSION,
        id: id.to_owned(),
        counting: alloc::is_counting(),
        samples: Vec::new(),
        sites: Vec::new(),
        cpu_profile: Some(CpuProfileRecord { dir: dir.to_owned(), frequency }),
        pid: None,
        allocator: alloc::inner_allocator().map(str::to_owned),
        threads_left: None,
        syscall_sites: Vec::new(),
    });
}

fn append(record: &RecordLine) {
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
