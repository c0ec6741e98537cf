//! The comparison of a run with a baseline, as `report.json`'s `comparison`: per benchmark and
//! metric, the base and new figures, the change, the limit that applied and a status, plus the CPU
//! functions, allocation sites and functions executing more instructions that grew. `cargo
//! allocbench` computes it; the types and the small questions asked of them (the verdict, the
//! one-line summary) are here.
//!
//! ```
//! use allocbench_formats::comparison::{Comparison, Status};
//! use allocbench_formats::verdict::Verdict;
//!
//! let empty = Comparison { baseline: "main".into(), warnings: vec![], benchmarks: vec![] };
//! assert_eq!(empty.verdict(), Verdict::Pass);
//! assert_eq!(empty.summary_line(), "0 regressed, 0 improved, 0 passed, 0 new, 0 missing against baseline `main`");
//! assert_eq!(Status::Regressed.to_string(), "regressed");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::key::BenchmarkKey;
use crate::metric::Metric;
use crate::verdict::Verdict;

/// The comparison of a run with a baseline, as `report.json`'s `comparison`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// The baseline's name.
    pub baseline: String,
    /// What the reader should know before trusting the figures, e.g. a baseline measured with
    /// another toolchain. One line each.
    pub warnings: Vec<String>,
    /// The run's benchmarks in the run's order, then those only the baseline has.
    pub benchmarks: Vec<BenchmarkComparison>,
}

/// One benchmark against its baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BenchmarkComparison {
    /// Criterion's full id: `group/function/parameter`.
    pub id: String,
    /// The package whose bench target holds it; with `target` and `id`, the benchmark's key
    /// ([`BenchmarkComparison::key`]). Empty for a benchmark of a baseline saved without it that
    /// the run does not have.
    #[serde(default)]
    pub package: String,
    /// The bench target; empty where `package` is.
    #[serde(default)]
    pub target: String,
    /// `regressed` when a gated metric regressed; `improved` when a gated metric improved and none
    /// regressed; `new` / `missing` when only one side has it; else `pass`.
    pub status: Status,
    /// Every metric of the report, in the report's order, time last.
    pub metrics: Vec<MetricComparison>,
    /// What grew against the baseline, as the passes named it. Its fields are this object's own
    /// in `report.json` (`cpu_grew`, `sites_grew`, ...), after `metrics`, each absent when empty.
    #[serde(flatten, default)]
    pub grew: Growth,
}

/// What grew in one benchmark against the baseline: the one definition of each kind of growth
/// (the gate fills it, the follow-up phase carries it, the renderers list it). Flattened into
/// [`BenchmarkComparison`], so that each kind is a key of the benchmark's comparison.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Growth {
    /// Functions whose share of CPU samples grew, when both runs had a CPU pass.
    #[serde(rename = "cpu_grew", default, skip_serializing_if = "Vec::is_empty")]
    pub cpu: Vec<ShareChange>,
    /// Allocation sites whose allocations per iteration grew, when both runs had an allocation-site
    /// pass.
    #[serde(rename = "sites_grew", default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteChange>,
    /// Functions whose own instructions per iteration grew beyond the noise, when both runs had
    /// the instruction pass and `instructions` regressed.
    #[serde(rename = "instructions_grew", default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<InstructionChange>,
    /// Where `threads_alive` regressed: the threads the benchmark left running, each with the
    /// stack that started it when the allocation-site pass ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_running: Option<crate::signals::ThreadsLeft>,
    /// Where `write_syscalls` or `read_syscalls` regressed: the code that makes that family's
    /// system calls in this run, most calls first, when the allocation-site pass ran.
    #[serde(rename = "syscalls_grew", default, skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<SyscallChange>,
}

impl Growth {
    /// Whether nothing grew.
    pub fn is_empty(&self) -> bool {
        *self == Growth::default()
    }
}

/// Code that makes system calls of a family whose count regressed: its calls per iteration in
/// this run, and in the baseline when the baseline has the allocation-site pass's sites.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SyscallChange {
    /// The site, as this run's allocation-site pass found it.
    pub site: crate::signals::SyscallSite,
    /// The same function's calls per iteration in the baseline: 0 when the baseline's sites do
    /// not have it; absent when the baseline has no system-call sites to compare with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_calls: Option<f64>,
}

/// A function that executes more instructions of its own per iteration than in the baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstructionChange {
    /// The function, as callgrind names it.
    pub function: String,
    /// Its own instructions per iteration in the baseline (0 when it was not among the top).
    pub base: f64,
    /// Its own instructions per iteration in this run.
    pub new: f64,
}

/// One metric of one benchmark against its baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricComparison {
    /// The metric compared.
    pub metric: Metric,
    /// The baseline's figure per iteration; for time, the mean of the samples in ns
    /// (criterion's typical time when time was not compared).
    pub base: Option<f64>,
    /// This run's figure, as `base`.
    pub new: Option<f64>,
    /// Relative change, `0.25` = +25 %; null when a side is missing, when time was not
    /// compared, or when the base is 0 and the new value is not.
    pub change: Option<f64>,
    /// The limit in its human form: `0`, `5%`, `+64`, `none`, `p<0.05 & >2%`, `not measured`;
    /// for a `≈` figure with its tolerance, `0 + ≈512 B (samples' spread)`.
    pub limit: String,
    /// Whether this metric can fail the gate (its limit is not `none`; for time,
    /// `fail-on-time`).
    pub gated: bool,
    /// The outcome for this metric.
    pub status: Status,
    /// The time test's p-value (Welch's two-tailed t-test on one run's samples, or the
    /// permutation test across `--runs`), for time only.
    pub p_value: Option<f64>,
    /// For a `≈` figure (its samples disagreed): how far above the baseline's figure the new
    /// one may go before the limit applies, in the metric's unit, taken from the samples' own
    /// spread: the larger of the baseline's highest sample less its figure and this run's
    /// figure less its lowest sample (`alloc.sample_range`). `limit` says it too. Absent for
    /// exact figures, which are judged as exact numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
}

/// The outcome for one benchmark or metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within its limit, or unchanged.
    Pass,
    /// Beyond its limit (or, for a figure that is not gated, higher).
    Regressed,
    /// Lower than the baseline's.
    Improved,
    /// In the run, not in the baseline.
    New,
    /// In the baseline, not in the run (or the run has no figures for it).
    Missing,
}

impl Status {
    /// The name in `report.json` and in the table: `pass`, `regressed`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Regressed => "regressed",
            Status::Improved => "improved",
            Status::New => "new",
            Status::Missing => "missing",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A function whose share of the CPU samples grew against the baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShareChange {
    /// The demangled function name.
    pub function: String,
    /// Share of self samples in the baseline's profile, 0 to 1.
    pub base_share: f64,
    /// Share of self samples now, 0 to 1.
    pub new_share: f64,
}

/// An allocation site whose allocations per iteration grew against the baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SiteChange {
    /// The site's function, as [`crate::report::AllocSite::function`].
    pub function: String,
    /// Its source file, when debug info says.
    pub file: Option<String>,
    /// Its source line, when debug info says.
    pub line: Option<u32>,
    /// The benchmarked package's function on the way, as [`crate::report::AllocSite::caller`].
    pub caller: Option<String>,
    /// `alloc_objects` per iteration in the baseline (0 for a new site).
    pub base_alloc_objects: f64,
    /// `alloc_objects` per iteration now.
    pub new_alloc_objects: f64,
    /// `alloc_space` per iteration in the baseline (0 for a new site).
    pub base_alloc_space: f64,
    /// `alloc_space` per iteration now.
    pub new_alloc_space: f64,
}

/// How many benchmarks have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Benchmarks with status `regressed`.
    pub regressed: usize,
    /// Benchmarks with status `improved`.
    pub improved: usize,
    /// Benchmarks with status `pass`.
    pub pass: usize,
    /// Benchmarks with status `new`.
    pub new: usize,
    /// Benchmarks with status `missing`.
    pub missing: usize,
    /// Benchmarks whose time regressed without failing the gate (time not gated).
    pub slower_not_gated: usize,
}

impl Comparison {
    /// [`Verdict::Regressed`] if any benchmark regressed (a gated metric beyond its limit),
    /// else [`Verdict::Pass`]. A failed run is the caller's to report as [`Verdict::Error`].
    pub fn verdict(&self) -> Verdict {
        if self.benchmarks.iter().any(|b| b.status == Status::Regressed) {
            Verdict::Regressed
        } else {
            Verdict::Pass
        }
    }

    /// Benchmarks by status.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for b in &self.benchmarks {
            match b.status {
                Status::Regressed => counts.regressed += 1,
                Status::Improved => counts.improved += 1,
                Status::Pass => counts.pass += 1,
                Status::New => counts.new += 1,
                Status::Missing => counts.missing += 1,
            }
            // A figure judged by a statistical test (time) that moved without failing the gate.
            let statistical = |m: &MetricComparison| !m.metric.info().is_counted();
            if b.metrics.iter().any(|m| statistical(m) && m.status == Status::Regressed && !m.gated) {
                counts.slower_not_gated += 1;
            }
        }
        counts
    }

    /// One line, e.g. "2 regressed, 1 improved, 10 passed, 1 new, 0 missing against baseline
    /// `main`", with "; 1 slower in time (not gated)" when time regressed without gating.
    pub fn summary_line(&self) -> String {
        let c = self.counts();
        let mut line = format!(
            "{} regressed, {} improved, {} passed, {} new, {} missing against baseline `{}`",
            c.regressed, c.improved, c.pass, c.new, c.missing, self.baseline
        );
        if c.slower_not_gated > 0 {
            line.push_str(&format!("; {} slower in time (not gated)", c.slower_not_gated));
        }
        line
    }

    /// The comparison of the first benchmark with id `id`, whatever its package: for a run
    /// whose ids are its own. Where a benchmark is known, [`Comparison::benchmark`] finds it.
    pub fn get(&self, id: &str) -> Option<&BenchmarkComparison> {
        self.benchmarks.iter().find(|b| b.id == id)
    }

    /// The comparison of benchmark `key`.
    pub fn benchmark(&self, key: &BenchmarkKey) -> Option<&BenchmarkComparison> {
        self.benchmarks.iter().find(|b| b.is(key))
    }
}

impl BenchmarkComparison {
    /// Its benchmark's identity: package, bench target and id.
    pub fn key(&self) -> BenchmarkKey {
        BenchmarkKey::new(&self.package, &self.target, &self.id)
    }

    /// Whether it is the comparison of benchmark `key`.
    pub fn is(&self, key: &BenchmarkKey) -> bool {
        self.id == key.id && self.package == key.package && self.target == key.target
    }

    /// The comparison of one metric.
    pub fn metric(&self, metric: Metric) -> Option<&MetricComparison> {
        self.metrics.iter().find(|m| m.metric == metric)
    }
}
