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

use crate::measured::MeasuredBenchmark;
use crate::partition::PartitionSpec;
use crate::report::Environment;

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
    pub benchmarks: Vec<MeasuredBenchmark>,
    /// The shard the saved run measured (`--partition`); absent when it measured them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionSpec>,
}
