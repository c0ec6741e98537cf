//! The report: what one run of `cargo allocbench` measured, in the schema of `report.json` (version
//! [`SCHEMA_VERSION`]), also printed by `--format json`. Field names are part of the public
//! contract (the README's "What every column means" lists them); the comparison with a baseline is
//! in [`crate::comparison`].
//!
//! The allocation figures a benchmark holds are in [`crate::figures`], the run's outcome in
//! [`crate::verdict`].
//!
//! ```
//! use allocbench_formats::figures::AllocFigures;
//! use allocbench_formats::metric::Metric;
//! use allocbench_formats::report::Benchmark;
//!
//! let figures = AllocFigures { alloc_objects: 2.0, alloc_space: 64.0, exact: true, ..AllocFigures::default() };
//! let b = Benchmark { alloc: Some(figures), ..Benchmark::new("vec/push", "p", "t") };
//! assert_eq!((b.figure(Metric::AllocSpace), b.figure(Metric::Time)), (Some(64.0), None));
//! ```

use serde::{Deserialize, Serialize};

use crate::comparison::Comparison;
use crate::figures::{AllocFigures, AllocSample, MARK_CUSTOM, MARK_VARIED};
use crate::key::BenchmarkKey;
use crate::metric::Metric;
use crate::partition::Partition;
use crate::record::{FrameRecord, ProbeCounts};
use crate::signals::ThreadsLeft;
use crate::verdict::Verdict;

/// Version of `report.json` this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one run measured and decided: the document `report.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Where and with what the figures were measured.
    pub environment: Environment,
    /// Every benchmark of the run, in the order they ran.
    pub benchmarks: Vec<Benchmark>,
    /// The comparison with the baseline; null without a baseline.
    pub comparison: Option<Comparison>,
    /// The outcome of the run.
    pub verdict: Verdict,
    /// The shard this run measured (`--partition`); absent when it measured every benchmark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// What the run warned about on stderr (a pass that failed for a benchmark, a profile it
    /// could not write, figures it left out), in order; absent when there was nothing. The
    /// comparison's own warnings are in [`Comparison::warnings`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Where and with what the figures were measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    /// The toolchain, `rustc RELEASE` as `rustc -vV` names it; empty when it could not be asked.
    pub rustc: String,
    /// The host target triple the benchmarks were built for and ran on.
    pub target: String,
    /// The cargo profile they were built with (`bench`).
    pub profile: String,
    /// The counting allocator and the allocator it wrapped, e.g.
    /// `allocbench::Alloc<std::alloc::System>`; one per inner allocator the bench targets used.
    pub allocator: String,
    /// The commit of the measured work tree, when it is a git repository.
    pub git_commit: Option<String>,
    /// The CPU's model name; time compares only on the same CPU.
    pub cpu: String,
    /// When the run started: RFC 3339, UTC.
    pub created: String,
    /// FNV-1a 64 of `Cargo.lock`, hex; absent when there is no lock file.
    #[serde(default)]
    pub cargo_lock_hash: Option<String>,
}

/// One benchmark's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Benchmark {
    /// Criterion's full id: `group/function/parameter`.
    pub id: String,
    /// The package whose bench target holds it; with `target` and `id`, the benchmark's key
    /// ([`Benchmark::key`]). Empty in a baseline saved before it was stored.
    #[serde(default)]
    pub package: String,
    /// The bench target (`[[bench]] name`); empty in a baseline saved before it was stored.
    #[serde(default)]
    pub target: String,
    /// Null when the benchmark failed before it was measured.
    pub alloc: Option<AllocFigures>,
    /// Null under `--allocs-only`.
    pub time: Option<TimeFigures>,
    /// The files written for it.
    pub artifacts: Artifacts,
    /// What the CPU pass found; null when it did not run.
    #[serde(default)]
    pub cpu: Option<CpuSummary>,
    /// Why this benchmark has no figures (a crash, a timeout); absent when it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `--runs N` above one: each run's typical time per iteration (ns), the first run's
    /// first; time is then compared across runs. Absent with one run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_runs_ns: Vec<f64>,
    /// When the allocation figures are not exact because the samples disagreed: each sample's
    /// iterations and counts, so that a later run is compared with this one at like iteration
    /// counts (a routine that grows a buffer of each sample allocates per iteration as the
    /// sample's length decides). Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alloc_samples: Vec<AllocSample>,
    /// Where the allocations come from (the allocation-site pass), most bytes first; empty when the
    /// pass did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<AllocSite>,
    /// The code that makes read- and write-family system calls (the allocation-site pass), each
    /// family most calls first; empty when the pass did not run or the routine made none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syscall_sites: Vec<crate::signals::SyscallSite>,
    /// Instructions per iteration (the instruction pass, `--instructions`); absent when it did
    /// not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<InstructionFigures>,
    /// The figures of the harness's probes per iteration, keyed by metric: the runtime signals
    /// (threads, system calls, switches, faults), measured with the allocation figures; absent
    /// where the harness measured none (not Linux, or `ALLOCBENCH_SIGNALS=0`). `report.json`
    /// calls them `signals`.
    #[serde(default, rename = "signals", skip_serializing_if = "Option::is_none")]
    pub probes: Option<ProbeFigures>,
}

/// The figures of the harness's probes per iteration of a benchmark, keyed by metric (the rows
/// of the metric table with [`crate::metric::MetricInfo::probe`]), taken from its samples as
/// the allocation figures are (the slope across samples; where they disagree, all they counted
/// over all their iterations).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProbeFigures {
    /// The figures, flattened: `report.json`'s keys are the metrics' own, in the table's order.
    #[serde(flatten)]
    pub per_iteration: ProbeCounts<f64>,
    /// The keys of the figures the samples disagreed on (shown `≈`); absent when every figure
    /// is exact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub varied: Vec<String>,
    /// For each figure in `varied`, the `[low, high]` of the samples' own figures (a sample's
    /// count over its iterations): the spread the gate allows it, as for allocation figures.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sample_range: std::collections::BTreeMap<String, [f64; 2]>,
    /// Where: the threads the benchmark left running, named; absent when it left none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_running: Option<ThreadsLeft>,
}

impl ProbeFigures {
    /// Whether the samples disagreed on the figure named `key`.
    pub fn is_varied(&self, key: &str) -> bool {
        self.varied.iter().any(|v| v == key)
    }

    /// The `[low, high]` of the samples' figures of `key` when they differ; `None` for an
    /// exact figure.
    pub fn spread(&self, key: &str) -> Option<[f64; 2]> {
        self.sample_range.get(key).copied().filter(|[low, high]| high > low)
    }
}

impl AsRef<Benchmark> for Benchmark {
    fn as_ref(&self) -> &Benchmark {
        self
    }
}

impl Benchmark {
    /// Benchmark `id` of `package`'s bench target `target`, with nothing measured yet: each pass
    /// attaches what it found.
    ///
    /// ```
    /// use allocbench_formats::report::Benchmark;
    ///
    /// let b = Benchmark::new("vec/iter", "exact-fixture", "exact");
    /// assert_eq!((b.id.as_str(), b.alloc, b.error), ("vec/iter", None, None));
    /// ```
    pub fn new(id: impl Into<String>, package: impl Into<String>, target: impl Into<String>) -> Benchmark {
        Benchmark { id: id.into(), package: package.into(), target: target.into(), ..Benchmark::default() }
    }

    /// Its identity: package, bench target and id.
    pub fn key(&self) -> BenchmarkKey {
        BenchmarkKey::new(&self.package, &self.target, &self.id)
    }

    /// Whether it is the benchmark `key`.
    pub fn is(&self, key: &BenchmarkKey) -> bool {
        self.id == key.id && self.package == key.package && self.target == key.target
    }

    /// The figure of `metric` per iteration: criterion's typical time for [`Metric::Time`], the
    /// instruction count for [`Metric::Instructions`], else the allocation figure; `None` when the
    /// benchmark has no such figure.
    pub fn figure(&self, metric: Metric) -> Option<f64> {
        let info = metric.info();
        match (info.alloc, info.probe, metric) {
            (Some(_), _, _) => self.alloc.and_then(|a| a.get(metric)),
            (None, true, _) => self.probes.as_ref().and_then(|p| p.per_iteration.get(metric)),
            (None, false, Metric::Instructions) => self.instructions.as_ref().map(|i| i.instructions),
            (None, false, _) => self.time.map(|t| t.typical_ns),
        }
    }

    /// The `[low, high]` range of the samples' own figures of `metric` when its figure is not
    /// exact and they differ: the spread the gate allows a `≈` figure; `None` otherwise.
    pub fn spread(&self, metric: Metric) -> Option<[f64; 2]> {
        let info = metric.info();
        match (info.alloc, info.probe) {
            (Some(_), _) => self.alloc.and_then(|a| a.spread(metric)),
            (None, true) => self.probes.as_ref().and_then(|p| p.spread(info.key)),
            (None, false) => None,
        }
    }

    /// The mark shown before this benchmark's figure of `metric`, saying how far to trust it:
    /// [`AllocFigures::mark`] for an allocation figure, `≈` for instructions the samples
    /// disagreed on; nothing for time (criterion gives its own interval), for exact figures and
    /// for a figure the benchmark does not have. It sits beside [`Benchmark::figure`] because
    /// it depends on where the figure is read from.
    pub fn mark(&self, metric: Metric) -> &'static str {
        let info = metric.info();
        match (info.alloc, info.probe, metric) {
            (Some(_), _, _) => self.alloc.map_or("", |a| a.mark()),
            (None, true, _) => match &self.probes {
                Some(p) if p.is_varied(info.key) => MARK_VARIED,
                Some(_) if self.alloc.is_some_and(|a| a.approximate) => MARK_CUSTOM,
                _ => "",
            },
            (None, false, Metric::Instructions) => match &self.instructions {
                Some(i) if !i.exact => MARK_VARIED,
                _ => "",
            },
            (None, false, _) => "",
        }
    }
}

/// Instructions executed per iteration, as valgrind's callgrind counts them (its `Ir`), inside
/// criterion's timed windows only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InstructionFigures {
    /// Instructions per iteration: the slope across samples of different iteration counts.
    pub instructions: f64,
    /// Every pair of consecutive samples gave the same slope.
    pub exact: bool,
    /// The functions that executed the most instructions of their own per iteration (not
    /// counting what they call), most first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<InstructionFunction>,
}

/// One function's own instructions per iteration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InstructionFunction {
    /// The function, as callgrind names it (demangled).
    pub function: String,
    /// Instructions of its own code per iteration.
    pub self_instructions: f64,
}

/// Criterion's time estimates per iteration, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct TimeFigures {
    /// What criterion prints: the slope when it sampled linearly, else the mean.
    pub typical_ns: f64,
    /// The mean of the per-iteration sample times.
    pub mean_ns: f64,
    /// The median of the per-iteration sample times.
    pub median_ns: f64,
    /// The lower bound of criterion's confidence interval of the typical time.
    pub ci_low_ns: f64,
    /// The upper bound of criterion's confidence interval of the typical time.
    pub ci_high_ns: f64,
}

/// Files written for a benchmark, relative to the output folder; null when a pass did not run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Artifacts {
    /// The CPU flame graph (`flamegraph.svg`, inferno).
    pub flamegraph: Option<String>,
    /// The CPU profile in pprof's format (`cpu.pb.gz`).
    pub cpu_profile: Option<String>,
    /// The heap profile in pprof's format (`heap.pb.gz`), Go's four sample types.
    pub heap_profile: Option<String>,
    /// The flame graph of bytes allocated (`alloc-flamegraph.svg`).
    pub alloc_flamegraph: Option<String>,
    /// Differential CPU flame graph against the baseline's stacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_diff_flamegraph: Option<String>,
    /// The flame graph of instructions per iteration (`instructions-flamegraph.svg`), from
    /// callgrind's call chains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_flamegraph: Option<String>,
    /// Differential instruction flame graph against the baseline's stacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_diff_flamegraph: Option<String>,
    /// The baseline's heap profile of the benchmark (`heap-base.pb.gz`), for
    /// `go tool pprof -diff_base heap-base.pb.gz heap.pb.gz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap_base_profile: Option<String>,
}

/// The kinds of file written for a benchmark, in the order a page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// [`Artifacts::flamegraph`].
    Flamegraph,
    /// [`Artifacts::cpu_diff_flamegraph`].
    CpuDiffFlamegraph,
    /// [`Artifacts::alloc_flamegraph`].
    AllocFlamegraph,
    /// [`Artifacts::instructions_flamegraph`].
    InstructionsFlamegraph,
    /// [`Artifacts::instructions_diff_flamegraph`].
    InstructionsDiffFlamegraph,
    /// [`Artifacts::cpu_profile`].
    CpuProfile,
    /// [`Artifacts::heap_profile`].
    HeapProfile,
    /// [`Artifacts::heap_base_profile`].
    HeapBaseProfile,
}

impl ArtifactKind {
    /// Every kind, in the order a page lists them.
    pub const ALL: [ArtifactKind; 8] = [
        ArtifactKind::Flamegraph,
        ArtifactKind::CpuDiffFlamegraph,
        ArtifactKind::AllocFlamegraph,
        ArtifactKind::InstructionsFlamegraph,
        ArtifactKind::InstructionsDiffFlamegraph,
        ArtifactKind::CpuProfile,
        ArtifactKind::HeapProfile,
        ArtifactKind::HeapBaseProfile,
    ];

    /// A short label for a link.
    pub const fn label(self) -> &'static str {
        match self {
            ArtifactKind::Flamegraph => "flame graph",
            ArtifactKind::CpuDiffFlamegraph => "CPU diff",
            ArtifactKind::AllocFlamegraph => "alloc flame graph",
            ArtifactKind::InstructionsFlamegraph => "instr flame graph",
            ArtifactKind::InstructionsDiffFlamegraph => "instr diff",
            ArtifactKind::CpuProfile => "cpu.pb.gz",
            ArtifactKind::HeapProfile => "heap.pb.gz",
            ArtifactKind::HeapBaseProfile => "heap-base.pb.gz",
        }
    }

    /// What the file is and how to open it.
    pub const fn help(self) -> &'static str {
        match self {
            ArtifactKind::Flamegraph => "CPU flame graph (SVG, opens in a browser)",
            ArtifactKind::CpuDiffFlamegraph => "differential CPU flame graph against the baseline (SVG)",
            ArtifactKind::AllocFlamegraph => "allocation sites by bytes per iteration (SVG)",
            ArtifactKind::InstructionsFlamegraph => "instructions per iteration by stack (SVG)",
            ArtifactKind::InstructionsDiffFlamegraph => {
                "differential instruction flame graph against the baseline (SVG)"
            }
            ArtifactKind::CpuProfile => "CPU profile: go tool pprof -http=: cpu.pb.gz",
            ArtifactKind::HeapProfile => "heap profile: go tool pprof -http=: heap.pb.gz",
            ArtifactKind::HeapBaseProfile => {
                "the baseline's heap profile: go tool pprof -http=: -diff_base heap-base.pb.gz heap.pb.gz"
            }
        }
    }
}

impl Artifacts {
    /// Every file written for the benchmark, with its kind, in [`ArtifactKind`]'s order.
    ///
    /// ```
    /// use allocbench_formats::report::{ArtifactKind, Artifacts};
    ///
    /// let a = Artifacts { heap_profile: Some("b/heap.pb.gz".into()), ..Artifacts::default() };
    /// assert_eq!(a.each().collect::<Vec<_>>(), [(ArtifactKind::HeapProfile, "b/heap.pb.gz")]);
    /// ```
    pub fn each(&self) -> impl Iterator<Item = (ArtifactKind, &str)> {
        [
            (ArtifactKind::Flamegraph, &self.flamegraph),
            (ArtifactKind::CpuDiffFlamegraph, &self.cpu_diff_flamegraph),
            (ArtifactKind::AllocFlamegraph, &self.alloc_flamegraph),
            (ArtifactKind::InstructionsFlamegraph, &self.instructions_flamegraph),
            (ArtifactKind::InstructionsDiffFlamegraph, &self.instructions_diff_flamegraph),
            (ArtifactKind::CpuProfile, &self.cpu_profile),
            (ArtifactKind::HeapProfile, &self.heap_profile),
            (ArtifactKind::HeapBaseProfile, &self.heap_base_profile),
        ]
        .into_iter()
        .filter_map(|(kind, path)| Some((kind, path.as_deref()?)))
    }

    /// The path of the file of `kind`, to set or clear.
    pub fn slot_mut(&mut self, kind: ArtifactKind) -> &mut Option<String> {
        match kind {
            ArtifactKind::Flamegraph => &mut self.flamegraph,
            ArtifactKind::CpuDiffFlamegraph => &mut self.cpu_diff_flamegraph,
            ArtifactKind::AllocFlamegraph => &mut self.alloc_flamegraph,
            ArtifactKind::InstructionsFlamegraph => &mut self.instructions_flamegraph,
            ArtifactKind::InstructionsDiffFlamegraph => &mut self.instructions_diff_flamegraph,
            ArtifactKind::CpuProfile => &mut self.cpu_profile,
            ArtifactKind::HeapProfile => &mut self.heap_profile,
            ArtifactKind::HeapBaseProfile => &mut self.heap_base_profile,
        }
    }

    /// Every path, to change in place, in [`ArtifactKind`]'s order as [`Artifacts::each`] gives
    /// them (a merged report makes each shard's paths relative to its own folder).
    pub fn paths_mut(&mut self) -> impl Iterator<Item = &mut String> {
        [
            &mut self.flamegraph,
            &mut self.cpu_diff_flamegraph,
            &mut self.alloc_flamegraph,
            &mut self.instructions_flamegraph,
            &mut self.instructions_diff_flamegraph,
            &mut self.cpu_profile,
            &mut self.heap_profile,
            &mut self.heap_base_profile,
        ]
        .into_iter()
        .flatten()
    }
}

/// What the CPU profile of one benchmark says.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CpuSummary {
    /// Samples taken while the benchmark ran.
    pub samples: u64,
    /// The sampling frequency asked for (Hz).
    pub frequency_hz: u32,
    /// Functions by self time, most first, as `(pprof) top` lists them.
    pub top: Vec<TopFunction>,
}

/// One function's self time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TopFunction {
    /// The demangled function name.
    pub function: String,
    /// CPU samples whose leaf is this function.
    pub self_samples: u64,
    /// Share of all samples, 0 to 1.
    pub self_fraction: f64,
}

/// A place in the code that allocates: a function, and the function of the benchmarked package
/// that led there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AllocSite {
    /// The innermost function outside the standard library (`alloc`, `core`, `std`).
    pub function: String,
    /// Its source file, when debug info says.
    pub file: Option<String>,
    /// Its source line, when debug info says.
    pub line: Option<u32>,
    /// The innermost function of the benchmarked package on the way, when it is not `function`.
    pub caller: Option<String>,
    /// Blocks allocated per iteration from this site (pprof's `alloc_objects`).
    pub alloc_objects: f64,
    /// Bytes allocated per iteration from this site (pprof's `alloc_space`).
    pub alloc_space: f64,
    /// Blocks allocated here and not freed per iteration (pprof's `inuse_objects`).
    pub inuse_objects: f64,
    /// Bytes allocated here and not freed per iteration (pprof's `inuse_space`).
    pub inuse_space: f64,
}

impl AllocSite {
    /// What identifies a site across builds: line numbers move when code is edited.
    pub fn key(&self) -> (&str, Option<&str>) {
        (&self.function, self.caller.as_deref())
    }
}

/// One allocating stack with its figures per iteration, as the allocation-site pass found it and a
/// baseline keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeapStack {
    /// Leaf first, allocator and criterion frames cut away.
    pub frames: Vec<Frame>,
    /// Blocks allocated per iteration by this stack (pprof's `alloc_objects`).
    pub alloc_objects: f64,
    /// Bytes allocated per iteration by this stack (pprof's `alloc_space`).
    pub alloc_space: f64,
    /// Blocks allocated by this stack and not freed per iteration (pprof's `inuse_objects`).
    pub inuse_objects: f64,
    /// Bytes allocated by this stack and not freed per iteration (pprof's `inuse_space`).
    pub inuse_space: f64,
}

/// One frame of a [`HeapStack`]: the stored shape, written as the harness's
/// [`FrameRecord`] is but owned by the baseline format, so that the record protocol can change
/// without changing baselines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Frame {
    /// The demangled function name, without its hash.
    pub function: String,
    /// The source file, when debug info says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The source line, when debug info says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl From<&FrameRecord> for Frame {
    fn from(frame: &FrameRecord) -> Frame {
        Frame { function: frame.function.clone(), file: frame.file.clone(), line: frame.line }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_stored_as_the_record_writes_it() {
        let record = FrameRecord { function: "a::b".into(), file: None, line: Some(3) };
        let frame = Frame::from(&record);
        assert_eq!(serde_json::to_string(&frame).unwrap(), serde_json::to_string(&record).unwrap());
        assert_eq!(serde_json::to_string(&frame).unwrap(), r#"{"function":"a::b","line":3}"#);
    }

    #[test]
    fn marks_follow_where_the_figure_comes_from() {
        let figures = |approximate, exact| AllocFigures { approximate, exact, ..AllocFigures::default() };
        let mut b = Benchmark {
            alloc: Some(figures(false, true)),
            time: Some(TimeFigures::default()),
            instructions: Some(InstructionFigures { instructions: 1.0, exact: false, functions: Vec::new() }),
            ..Benchmark::new("b", "p", "t")
        };
        assert_eq!((b.mark(Metric::AllocSpace), b.mark(Metric::Instructions), b.mark(Metric::Time)), ("", "≈", ""));
        b.alloc = Some(figures(true, false));
        assert_eq!(b.mark(Metric::PeakSpace), "~");
        b.alloc = Some(figures(false, false));
        b.instructions = None;
        assert_eq!((b.mark(Metric::AllocObjects), b.mark(Metric::Instructions)), ("≈", ""));
    }
}
