//! The baseline document: a run's figures stored under a name (`NAME.json`), to compare later
//! runs against. `cargo allocbench --save-baseline NAME` writes it, `--baseline NAME` reads it.
//!
//! It holds the environment the figures were measured in and, per benchmark, every figure of the
//! report plus what `report.json` leaves out: criterion's per-iteration sample times for the
//! statistical comparison of time, the CPU pass's folded stacks and the allocation-site pass's
//! stacks. The format is versioned ([`BASELINE_SCHEMA_VERSION`]); readers ignore fields they do not
//! know (no `deny_unknown_fields`), so that newer writers may add fields within a schema version.
//!
//! ```
//! use allocbench_formats::baseline::{BaselineDocument, BASELINE_SCHEMA_VERSION};
//!
//! let text = r#"{"schema_version": 1, "name": "main", "environment": {"rustc": "", "target": "",
//!     "profile": "bench", "allocator": "", "git_commit": null, "cpu": "", "created": ""},
//!     "benchmarks": []}"#;
//! let document: BaselineDocument = serde_json::from_str(text).unwrap();
//! assert_eq!((document.schema_version, document.name.as_str()), (BASELINE_SCHEMA_VERSION, "main"));
//! ```

use serde::{Deserialize, Serialize};

use crate::partition::PartitionSpec;
use crate::report::{Benchmark, Environment, HeapStack};

/// Version of the baseline format this build writes and the newest it reads.
pub const BASELINE_SCHEMA_VERSION: u32 = 1;

/// The document on disk, `NAME.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineDocument {
    /// [`BASELINE_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The name it was saved under.
    pub name: String,
    /// The writer, e.g. `cargo-allocbench 0.1.0`; for people reading the file.
    #[serde(default)]
    pub writer: String,
    /// Where the figures were measured.
    pub environment: Environment,
    /// Every benchmark of the saved run.
    pub benchmarks: Vec<StoredBenchmark>,
    /// The shard the saved run measured (`--partition`); absent when it measured them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionSpec>,
}

/// A benchmark as stored: the report's fields plus what the report leaves out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredBenchmark {
    /// The benchmark as `report.json` has it (its fields flattened into this object).
    #[serde(flatten)]
    pub benchmark: Benchmark,
    /// Criterion's per-iteration sample times (ns), for a statistical test against a later run.
    #[serde(default)]
    pub time_samples_ns: Vec<f64>,
    /// The CPU pass's folded stacks, for a differential flame graph against a later run.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu_folded: String,
    /// The allocation-site pass's stacks, to write the baseline's heap profile for `-diff_base`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heap_stacks: Vec<HeapStack>,
    /// The instruction pass's folded stacks, for a differential flame graph against a later run.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instructions_folded: String,
}

impl StoredBenchmark {
    /// `benchmark` as stored, with the parts `report.json` leaves out. Sample times that are
    /// not finite are left out: JSON has no NaN or infinity, and a `null` would not load again.
    pub fn new(benchmark: &Benchmark) -> StoredBenchmark {
        StoredBenchmark {
            benchmark: benchmark.clone(),
            time_samples_ns: benchmark.time_samples_ns.iter().copied().filter(|v| v.is_finite()).collect(),
            cpu_folded: benchmark.cpu_folded.clone(),
            heap_stacks: benchmark.heap_stacks.clone(),
            instructions_folded: benchmark.instructions_folded.clone(),
        }
    }

    /// The benchmark with the stored parts put back in place.
    pub fn into_benchmark(self) -> Benchmark {
        Benchmark {
            time_samples_ns: self.time_samples_ns,
            cpu_folded: self.cpu_folded,
            heap_stacks: self.heap_stacks,
            instructions_folded: self.instructions_folded,
            ..self.benchmark
        }
    }
}
