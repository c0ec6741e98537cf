//! The report: what one run of `cargo allocbench` measured, in the schema of `report.json`
//! (version 1). Field names are part of the public contract; see `design.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::gate::compare::Comparison;
use crate::passes::cpu::CpuSummary;
use crate::passes::heap::{AllocSite, HeapStack};

/// Version of `report.json` this build writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one run measured and decided.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub environment: Environment,
    pub benchmarks: Vec<Benchmark>,
    /// Null without a baseline.
    pub comparison: Option<Comparison>,
    pub verdict: Verdict,
}

/// Where and with what the figures were measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub rustc: String,
    pub target: String,
    pub profile: String,
    pub allocator: String,
    pub git_commit: Option<String>,
    pub cpu: String,
    /// RFC 3339, UTC.
    pub created: String,
    /// FNV-1a 64 of `Cargo.lock`, hex; absent when there is no lock file.
    #[serde(default)]
    pub cargo_lock_hash: Option<String>,
}

/// The footnotes for the marks of [`AllocFigures::mark`] that `benchmarks` show, in a fixed order.
pub fn mark_footnotes(benchmarks: &[Benchmark]) -> Vec<String> {
    let figures = || benchmarks.iter().filter_map(|b| b.alloc);
    let mut notes = Vec::new();
    for reason in [Inexact::SamplesDisagree, Inexact::FlatSampling] {
        if figures().any(|a| !a.approximate && !a.exact && a.inexact.unwrap_or(Inexact::SamplesDisagree) == reason) {
            notes.push(format!("≈ {}", reason.explanation()));
        }
    }
    if figures().any(|a| a.approximate) {
        notes.push("~ iter_custom: figures cover the whole routine, not criterion's timed window".to_owned());
    }
    notes
}

/// One benchmark's figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Benchmark {
    /// Criterion's full id: `group/function/parameter`.
    pub id: String,
    pub package: String,
    /// The bench target (`[[bench]] name`).
    pub target: String,
    /// Null when the benchmark failed before it was measured.
    pub alloc: Option<AllocFigures>,
    /// Null under `--allocs-only`.
    pub time: Option<TimeFigures>,
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
    /// Criterion's samples as time per iteration (ns), for a later statistical comparison. Kept
    /// in baselines, not in `report.json`.
    #[serde(skip)]
    pub time_samples_ns: Vec<f64>,
    /// The CPU pass's folded stacks (`cpu.folded`), for a differential flame graph against a
    /// later run. Kept in baselines, not in `report.json`.
    #[serde(skip)]
    pub cpu_folded: String,
    /// Where the allocations come from (the heap pass), most bytes first; empty when the pass
    /// did not run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<AllocSite>,
    /// The heap pass's stacks, for `go tool pprof -diff_base` against a later run. Kept in
    /// baselines, not in `report.json`.
    #[serde(skip)]
    pub heap_stacks: Vec<HeapStack>,
}

/// Allocation figures per iteration, named as Go's pprof names them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct AllocFigures {
    pub alloc_objects: f64,
    pub alloc_space: f64,
    pub free_objects: f64,
    pub free_space: f64,
    /// `alloc_objects - free_objects`: blocks one iteration keeps.
    pub inuse_objects: f64,
    /// `alloc_space - free_space`: bytes one iteration keeps.
    pub inuse_space: f64,
    pub reallocs: f64,
    /// The most bytes live at once during one iteration, above the level at its start.
    pub peak_space: f64,
    /// Every sample gave the same per-iteration figures.
    pub exact: bool,
    /// Why `exact` is false: absent when it is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inexact: Option<Inexact>,
    /// The benchmark used `iter_custom`: the figures cover its whole routine, not a timed window.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximate: bool,
}

/// Why a benchmark's allocation figures are not exact per-iteration figures.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Inexact {
    /// The samples gave different per-iteration figures: the code does not allocate the same on
    /// every iteration.
    SamplesDisagree,
    /// Every sample ran the same number of iterations (criterion's flat sampling), so what a
    /// sample does once cannot be told from what each iteration does; the figures are a
    /// sample's counts divided by its iterations.
    FlatSampling,
}

impl Inexact {
    /// One line for people: the `≈` footnote of the table and the Markdown summary.
    pub fn explanation(self) -> &'static str {
        match self {
            Inexact::SamplesDisagree => "samples disagreed: the code allocates differently from one iteration to the next",
            Inexact::FlatSampling => {
                "flat sampling: every sample ran the same number of iterations, so one-off work is counted as per-iteration work"
            }
        }
    }
}

impl AllocFigures {
    /// The mark shown before the figures in the table and the Markdown summary: `~` for
    /// `iter_custom`, `≈` for figures that are not exact, nothing for exact ones.
    pub fn mark(&self) -> &'static str {
        if self.approximate {
            "~"
        } else if self.exact {
            ""
        } else {
            "≈"
        }
    }

    /// The figures by metric name, in the report's order.
    pub fn metrics(&self) -> [(Metric, f64); 8] {
        [
            (Metric::AllocObjects, self.alloc_objects),
            (Metric::AllocSpace, self.alloc_space),
            (Metric::FreeObjects, self.free_objects),
            (Metric::FreeSpace, self.free_space),
            (Metric::InuseObjects, self.inuse_objects),
            (Metric::InuseSpace, self.inuse_space),
            (Metric::Reallocs, self.reallocs),
            (Metric::PeakSpace, self.peak_space),
        ]
    }

    pub fn get(&self, metric: Metric) -> Option<f64> {
        self.metrics().into_iter().find(|(m, _)| *m == metric).map(|(_, v)| v)
    }
}

/// A figure the report carries and a baseline compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    AllocObjects,
    AllocSpace,
    FreeObjects,
    FreeSpace,
    InuseObjects,
    InuseSpace,
    Reallocs,
    PeakSpace,
    /// Criterion's typical time per iteration.
    Time,
}

impl Metric {
    pub const fn name(self) -> &'static str {
        match self {
            Metric::AllocObjects => "alloc_objects",
            Metric::AllocSpace => "alloc_space",
            Metric::FreeObjects => "free_objects",
            Metric::FreeSpace => "free_space",
            Metric::InuseObjects => "inuse_objects",
            Metric::InuseSpace => "inuse_space",
            Metric::Reallocs => "reallocs",
            Metric::PeakSpace => "peak_space",
            Metric::Time => "time",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        ALL_METRICS.into_iter().find(|m| m.name() == name)
    }
}

pub const ALL_METRICS: [Metric; 9] = [
    Metric::AllocObjects,
    Metric::AllocSpace,
    Metric::FreeObjects,
    Metric::FreeSpace,
    Metric::InuseObjects,
    Metric::InuseSpace,
    Metric::Reallocs,
    Metric::PeakSpace,
    Metric::Time,
];

/// Criterion's time estimates per iteration, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct TimeFigures {
    /// What criterion prints: the slope when it sampled linearly, else the mean.
    pub typical_ns: f64,
    pub mean_ns: f64,
    pub median_ns: f64,
    pub ci_low_ns: f64,
    pub ci_high_ns: f64,
}

/// Files written for a benchmark, relative to the output folder; null when a pass did not run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Artifacts {
    pub flamegraph: Option<String>,
    pub cpu_profile: Option<String>,
    pub heap_profile: Option<String>,
    pub alloc_flamegraph: Option<String>,
    /// Differential CPU flame graph against the baseline's stacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_diff_flamegraph: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing regressed (or there was nothing to compare with).
    Pass,
    /// A figure exceeded its limit.
    Regressed,
    /// The run itself failed: a benchmark crashed, hung or could not be measured.
    Error,
}

/// Benchmarks by id, for joining two reports.
pub fn by_id(benchmarks: &[Benchmark]) -> BTreeMap<&str, &Benchmark> {
    benchmarks.iter().map(|b| (b.id.as_str(), b)).collect()
}
