//! What the passes measured of one benchmark: the figures `report.json` shows and, beside them,
//! what only a later comparison reads (criterion's samples, folded stacks, the sites' stacks).
//!
//! The run's measurements are the product of the measuring phase; a baseline stores them whole
//! ([`crate::baseline`]), and `report.json` is their projection: each [`MeasuredBenchmark`]'s
//! [`Benchmark`]. The report type therefore carries no field that it must hide.
//!
//! ```
//! use allocbench_formats::measured::MeasuredBenchmark;
//! use allocbench_formats::report::Benchmark;
//!
//! let mut m = MeasuredBenchmark::new(Benchmark::new("vec/iter", "exact-fixture", "exact"));
//! m.kept.time_samples_ns = vec![10.0, 11.0];
//! // The benchmark's own fields read through it.
//! assert_eq!(m.key().id, "vec/iter");
//! assert!(!serde_json::to_string(&m.benchmark).unwrap().contains("time_samples_ns"));
//! ```

use serde::{Deserialize, Serialize};

use crate::report::{Benchmark, HeapStack};

/// One benchmark as measured: [`MeasuredBenchmark::benchmark`] is what `report.json` shows, and
/// [`MeasuredBenchmark::kept`] what a baseline keeps besides. Stored with both flattened into one object,
/// so a baseline's benchmark reads as the report's with more fields.
///
/// It reads as its benchmark ([`std::ops::Deref`]): the figures, the key and the artifacts are
/// the report's, and only what a comparison needs is reached through `kept`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeasuredBenchmark {
    /// The benchmark as `report.json` has it.
    #[serde(flatten)]
    pub benchmark: Benchmark,
    /// What only a later comparison reads.
    #[serde(flatten)]
    pub kept: ForComparison,
}

/// What a later run is compared with beside the figures; `report.json` leaves it out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForComparison {
    /// Criterion's per-iteration sample times (ns), for a statistical test against a later run.
    #[serde(default)]
    pub time_samples_ns: Vec<f64>,
    /// The CPU pass's folded stacks (`cpu.folded`), for a differential flame graph.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu_folded: String,
    /// The allocation-site pass's stacks, to write the baseline's heap profile for `-diff_base`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heap_stacks: Vec<HeapStack>,
    /// The instruction pass's stacks, folded as inferno reads them (`root;...;leaf COUNT`, in
    /// instructions per iteration), for a differential flame graph.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instructions_folded: String,
}

impl MeasuredBenchmark {
    /// `benchmark`, with nothing kept for comparison yet.
    pub fn new(benchmark: Benchmark) -> MeasuredBenchmark {
        MeasuredBenchmark { benchmark, kept: ForComparison::default() }
    }

    /// As a baseline stores it: sample times that are not finite are left out, since JSON has no
    /// NaN or infinity and a `null` would not load again.
    pub fn for_storage(&self) -> MeasuredBenchmark {
        let mut stored = self.clone();
        stored.kept.time_samples_ns.retain(|v| v.is_finite());
        stored
    }
}

impl From<Benchmark> for MeasuredBenchmark {
    fn from(benchmark: Benchmark) -> MeasuredBenchmark {
        MeasuredBenchmark::new(benchmark)
    }
}

impl AsRef<Benchmark> for MeasuredBenchmark {
    fn as_ref(&self) -> &Benchmark {
        &self.benchmark
    }
}

impl std::ops::Deref for MeasuredBenchmark {
    type Target = Benchmark;

    fn deref(&self) -> &Benchmark {
        &self.benchmark
    }
}

impl std::ops::DerefMut for MeasuredBenchmark {
    fn deref_mut(&mut self) -> &mut Benchmark {
        &mut self.benchmark
    }
}
