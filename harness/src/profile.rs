#![cfg_attr(not(all(unix, feature = "_pprof")), allow(dead_code))]
//! The CPU pass: criterion's `--profile-time` mode with a [`Profiler`] on pprof-rs.
//!
//! Criterion calls the hook around its warm-up and one long batch of the routine, per benchmark.
//! The hook samples the process with pprof-rs and leaves, in criterion's `profile/` folder of the
//! benchmark, `cpu.pb.gz` (pprof's format, every frame) and `cpu.folded` (stacks folded as
//! inferno reads them, with criterion's and allocbench's frames above the routine cut away, so
//! that the benchmark's closure is the root, and samples in the counting allocator under the code
//! that allocated). `cargo allocbench` draws the flame graph from the folded
//! stacks. pprof-rs is not async-signal-safe in every unwinder path, so the subcommand runs this
//! pass in a process of its own, with a timeout.

use std::path::Path;

use criterion::profiler::Profiler;

// The pprof-rs release the CPU pass samples with: 0.15 (`cpu-profile`), or the one a suite links
// itself (`cpu-profile-pprof-0-1x`). Their API is the same for what this module uses.
#[cfg(all(
    feature = "cpu-profile",
    any(
        feature = "cpu-profile-pprof-0-14",
        feature = "cpu-profile-pprof-0-13",
        feature = "cpu-profile-pprof-0-12",
        feature = "cpu-profile-pprof-0-11"
    )
))]
compile_error!(
    "allocbench: `cpu-profile` (pprof 0.15) and a `cpu-profile-pprof-0-1x` feature are both on, and two pprof \
     releases cannot link into one binary: give allocbench `default-features = false` with \
     `features = [\"global-allocator\", \"heap-profile\", \"cpu-profile-pprof-0-1x\"]`"
);
#[cfg(all(unix, feature = "cpu-profile"))]
use ::pprof as pprof_rs;
#[cfg(all(unix, not(feature = "cpu-profile"), feature = "cpu-profile-pprof-0-11"))]
use ::pprof011 as pprof_rs;
#[cfg(all(unix, not(feature = "cpu-profile"), feature = "cpu-profile-pprof-0-12"))]
use ::pprof012 as pprof_rs;
#[cfg(all(unix, not(feature = "cpu-profile"), feature = "cpu-profile-pprof-0-13"))]
use ::pprof013 as pprof_rs;
#[cfg(all(unix, not(feature = "cpu-profile"), feature = "cpu-profile-pprof-0-14"))]
use ::pprof014 as pprof_rs;

#[cfg(any(feature = "heap-profile", all(unix, feature = "_pprof")))]
pub use allocbench_formats::frames::clean_name;
#[cfg(all(unix, feature = "_pprof"))]
use allocbench_formats::frames::CPU_UNWIND_BLOCKLIST as BLOCKLIST;

/// Sampling frequency, from `ALLOCBENCH_CPU_FREQUENCY` (Hz).
pub const FREQUENCY_ENV: &str = allocbench_formats::env::CPU_FREQUENCY;

/// `1` to keep samples whose leaf is in libc, libgcc, pthread or the vDSO (see
/// `allocbench_formats::frames::CPU_UNWIND_BLOCKLIST`).
pub const COMPLETE_ENV: &str = allocbench_formats::env::CPU_COMPLETE;

/// Installs the CPU profiler when `cargo allocbench` runs its CPU pass.
pub(crate) fn install<M: criterion::measurement::Measurement + 'static>(
    c: criterion::Criterion<M>,
) -> criterion::Criterion<M> {
    if crate::record::mode() == Some(crate::record::Mode::Cpu) {
        c.with_profiler(CpuProfiler::from_env())
    } else {
        c
    }
}

/// Whether allocbench's profiler replaces any the bench code sets.
pub(crate) fn active() -> bool {
    crate::record::mode() == Some(crate::record::Mode::Cpu)
}

/// pprof-rs behind criterion's profiler hook.
pub struct CpuProfiler {
    frequency: i32,
    complete: bool,
    #[cfg(all(unix, feature = "_pprof"))]
    guard: Option<pprof_rs::ProfilerGuard<'static>>,
}

impl CpuProfiler {
    /// Settings from the environment `cargo allocbench` sets.
    pub fn from_env() -> Self {
        let frequency = std::env::var(FREQUENCY_ENV).ok().and_then(|f| f.parse().ok()).unwrap_or(997);
        let complete = std::env::var(COMPLETE_ENV).is_ok_and(|v| v == "1");
        CpuProfiler {
            frequency,
            complete,
            #[cfg(all(unix, feature = "_pprof"))]
            guard: None,
        }
    }
}

impl Profiler for CpuProfiler {
    #[cfg(all(unix, feature = "_pprof"))]
    fn start_profiling(&mut self, _benchmark_id: &str, _benchmark_dir: &Path) {
        let builder = pprof_rs::ProfilerGuardBuilder::default().frequency(self.frequency);
        let builder = if self.complete { builder } else { builder.blocklist(&BLOCKLIST) };
        match builder.build() {
            Ok(guard) => self.guard = Some(guard),
            Err(e) => eprintln!("allocbench: cannot start the CPU profiler: {e}"),
        }
    }

    #[cfg(all(unix, feature = "_pprof"))]
    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        let Some(guard) = self.guard.take() else { return };
        let report = guard.report().build();
        // Stop the timer before the allocation-heavy work of writing files.
        drop(guard);
        let result =
            report.map_err(|e| e.to_string()).and_then(|r| write(&r, benchmark_dir).map_err(|e| e.to_string()));
        match result {
            Ok(()) => crate::record::finish_profile(benchmark_id, benchmark_dir, self.frequency.unsigned_abs()),
            Err(e) => eprintln!("allocbench: cannot write the CPU profile of `{benchmark_id}`: {e}"),
        }
    }

    #[cfg(not(all(unix, feature = "_pprof")))]
    fn start_profiling(&mut self, _benchmark_id: &str, _benchmark_dir: &Path) {
        eprintln!("allocbench: CPU profiling needs the `cpu-profile` feature (or a `cpu-profile-pprof-*`) on Unix");
    }

    #[cfg(not(all(unix, feature = "_pprof")))]
    fn stop_profiling(&mut self, _benchmark_id: &str, _benchmark_dir: &Path) {}
}

#[cfg(all(unix, feature = "_pprof"))]
fn write(report: &pprof_rs::Report, dir: &Path) -> std::io::Result<()> {
    use pprof_rs::protos::Message;
    use std::io::Write;

    std::fs::create_dir_all(dir)?;
    let profile = report.pprof().map_err(std::io::Error::other)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())?;
    std::fs::write(dir.join("cpu.pb.gz"), gz.finish()?)?;

    // Stacks that differ only in the frames cut away (criterion's warm-up and its long batch)
    // become one line.
    let mut stacks: std::collections::BTreeMap<String, isize> = std::collections::BTreeMap::new();
    for (frames, &count) in &report.data {
        *stacks.entry(fold(frames)).or_insert(0) += count;
    }
    let mut folded = String::new();
    for (stack, count) in stacks {
        folded.push_str(&format!("{stack} {count}\n"));
    }
    std::fs::write(dir.join("cpu.folded"), folded)
}

/// One stack, root first, names demangled without their hash, as
/// [`cpu_stack`](allocbench_formats::frames::cpu_stack) keeps it: criterion's and allocbench's
/// frames above the benchmark's code cut away, samples in the counting allocator under the code
/// that allocated. Stacks that never entered the routine (other threads, criterion's loop
/// itself) keep their thread's name as root.
#[cfg(all(unix, feature = "_pprof"))]
fn fold(frames: &pprof_rs::Frames) -> String {
    let names: Vec<String> = frames
        .frames
        .iter()
        .rev()
        .flat_map(|inlined| inlined.iter().rev())
        .map(|symbol| clean_name(&symbol.name()))
        .collect();
    match allocbench_formats::frames::cpu_stack(&names) {
        Some(kept) => kept.join(";"),
        None => {
            let mut stack = vec![format!("[thread {}]", frames.thread_name_or_id())];
            stack.extend(names);
            stack.join(";")
        }
    }
}
