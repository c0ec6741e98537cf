//! What a bench process tells `cargo allocbench` about itself, beside its records: whether it
//! is allocbench's harness at all, which benchmarks it defines, and which one it has started.
//!
//! Cargo makes every file under `benches/` a bench target (autobenches), helper modules such as
//! `benches/utils.rs` included, and builds those with libtest's harness. The subcommand asks each
//! bench executable once, before any pass, with `--bench --list` and [`crate::env::PROBE`] naming
//! a file: allocbench's harness writes a [`ProbeAnswer`] there and exits 0 before any benchmark's
//! setup runs; libtest lists its tests and writes nothing. What answered is measured; what did
//! not is left alone, as `cargo bench` would leave it to its own harness.
//!
//! Benchmark ids are the user's strings, byte for byte: newlines, tabs and any Unicode included,
//! and criterion prints them as they are. So the harness names benchmarks to the subcommand in
//! files of its own rather than through criterion's text: one line per benchmark, the id as a
//! JSON string ([`crate::env::STARTED`], [`crate::env::LISTED`]).
//!
//! ```
//! use allocbench_formats::probe::{read_id_lines, ProbeAnswer};
//!
//! let answer: ProbeAnswer = serde_json::from_str(r#"{"harness":"0.1.0","record_version":1}"#).unwrap();
//! assert_eq!(answer.record_version, 1);
//! let lines = format!("{}\n{}\n", serde_json::to_string("a\nb/c").unwrap(), serde_json::to_string("d").unwrap());
//! assert_eq!(read_id_lines(&lines, |l| serde_json::from_str(l).ok()), ["a\nb/c", "d"]);
//! ```

use serde::{Deserialize, Serialize};

/// What allocbench's harness writes to the file named by [`crate::env::PROBE`]: one line of
/// JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeAnswer {
    /// The version of the `allocbench` crate linked into the bench executable.
    pub harness: String,
    /// The [`crate::record::RECORD_VERSION`] it writes.
    pub record_version: u32,
}

/// The ids of a file of id lines ([`crate::env::STARTED`], [`crate::env::LISTED`]), in order,
/// each line read by `parse` (a JSON string reader). A line that does not read (a process killed
/// in the middle of writing it) is skipped.
pub fn read_id_lines(text: &str, parse: impl Fn(&str) -> Option<String>) -> Vec<String> {
    text.lines().filter(|l| !l.trim().is_empty()).filter_map(parse).collect()
}
