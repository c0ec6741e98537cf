//! Record lines: what the harness measured in one bench process, one line of JSON per benchmark,
//! appended to the file named by [`crate::env::RECORDS`].
//!
//! A *window* is one `start()`..`end()` pair of criterion's measurement; a *sample* is the windows
//! between two `to_f64()` calls, which is one entry of criterion's `sample.json`. A record keeps
//! each sample's time value exactly as criterion saved it, so that the subcommand joins records to
//! `sample.json` by that value and learns each sample's iteration count from criterion itself.
//!
//! ```
//! use allocbench_formats::record::{RecordLine, RECORD_VERSION};
//!
//! let line = r#"{"version":1,"id":"vec/iter","counting":true,"samples":[]}"#;
//! let record: RecordLine = serde_json::from_str(line).unwrap();
//! assert_eq!((record.version, record.id.as_str()), (RECORD_VERSION, "vec/iter"));
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::metric::{Metric, METRICS};
use crate::signals::ThreadsLeft;

/// Version of the record line format; the subcommand refuses versions it does not know.
pub const RECORD_VERSION: u32 = 1;

/// One benchmark's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordLine {
    /// [`RECORD_VERSION`] of the harness that wrote it.
    pub version: u32,
    /// Criterion's full id: `group/function/parameter`.
    pub id: String,
    /// False when the process never counted an allocation: its global allocator is not
    /// allocbench's.
    pub counting: bool,
    /// Every saved sample, in the order criterion saved them.
    pub samples: Vec<RecordSample>,
    /// The allocation-site pass: each allocating stack with its counts per sample.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteRecord>,
    /// The CPU pass: where the benchmark's profile is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_profile: Option<CpuProfileRecord>,
    /// The bench process's id: callgrind's dump files are named by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The type of the allocator that allocbench's `Alloc` wraps in this process
    /// (`std::alloc::System`, `tikv_jemallocator::Jemalloc`, ...); absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocator: Option<String>,
    /// The threads started while the benchmark ran and alive when it finished (the runtime
    /// signals' probe, Linux); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads_left: Option<ThreadsLeft>,
    /// The allocation-site pass: each stack inside the routine that made read- or write-family
    /// system calls through libc, with its counts per record sample, each
    /// `[read calls, read bytes, write calls, write bytes]` (the harness's interposers of libc's
    /// `read` and `write` families capture them, in that pass only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syscall_sites: Vec<SiteRecord>,
}

/// One saved sample: what the allocator counted over its windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecordSample {
    /// What `to_f64` returned, as criterion stores it in `sample.json`.
    pub time: f64,
    /// How many measured windows the sample had (more than one under `iter_batched`).
    pub windows: u64,
    /// True when criterion measured no window (`iter_custom`): the counts cover the whole
    /// routine.
    pub custom: bool,
    /// What the allocator counted over the sample's windows; a realloc counts as one block freed,
    /// one allocated and one realloc. Flattened: the line keeps the five fields of version 1, in
    /// their order.
    #[serde(flatten)]
    pub counts: Counts<u64>,
    /// The highest rise of live bytes in any one window of the sample.
    pub peak_space: u64,
    /// The instruction pass: the part number of the callgrind dump that holds this sample's
    /// instructions (`callgrind.out.<pid>.<part>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callgrind_part: Option<u32>,
    /// The allocation-site pass captured this sample's stacks (it captures a benchmark's first
    /// two measured samples only): the sites' counts of the other samples are zero, not
    /// measured.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sites: bool,
    /// What the harness's probes counted over the sample's windows, by metric (the runtime
    /// signals: Linux only, and none where the probe is off, [`crate::env::SIGNALS`]). Last,
    /// and absent when no probe counted, so that lines without them are the same byte for byte.
    #[serde(default, alias = "signals", skip_serializing_if = "ProbeCounts::is_empty")]
    pub probes: ProbeCounts<u64>,
}

/// Figures of the harness's probes keyed by the metric each fills: one slot per row of the
/// metric table, so that a probe's new count is a row of the table and nothing here. Written as
/// a JSON object of the metrics' keys in the table's order, e.g.
/// `{"threads_started":1,"write_syscalls":5}`; a key this build does not know is skipped on
/// reading (a baseline of a newer writer).
///
/// The record holds counts over a sample (`ProbeCounts<u64>`, wrapping: a difference such as
/// `threads_alive` may fall, read as signed); the report, figures per iteration
/// (`ProbeCounts<f64>`, [`crate::report::ProbeFigures`]).
///
/// ```
/// use allocbench_formats::metric::Metric;
/// use allocbench_formats::record::ProbeCounts;
///
/// let mut counts = ProbeCounts::NONE;
/// counts.set(Metric::WriteSyscalls, 5u64);
/// counts.set(Metric::ThreadsStarted, 1);
/// let json = serde_json::to_string(&counts).unwrap();
/// assert_eq!(json, r#"{"threads_started":1,"write_syscalls":5}"#, "in the table's order");
/// let back: ProbeCounts<u64> = serde_json::from_str(&json).unwrap();
/// assert_eq!((back.get(Metric::WriteSyscalls), back.get(Metric::ReadSyscalls)), (Some(5), None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeCounts<T>([Option<T>; METRICS.len()]);

impl<T: Copy> ProbeCounts<T> {
    /// No figure.
    pub const NONE: ProbeCounts<T> = ProbeCounts([None; METRICS.len()]);

    /// The figure of `metric`, if a probe measured it.
    pub fn get(&self, metric: Metric) -> Option<T> {
        self.0[metric as usize]
    }

    /// Sets the figure of `metric`.
    pub fn set(&mut self, metric: Metric, value: T) {
        self.0[metric as usize] = Some(value);
    }

    /// Whether no probe measured anything.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// Each measured figure with its metric, in the metric table's order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, T)> + '_ {
        METRICS.iter().filter_map(|m| Some((m.metric, self.get(m.metric)?)))
    }
}

impl<T: Copy> Default for ProbeCounts<T> {
    fn default() -> Self {
        ProbeCounts::NONE
    }
}

impl<T: Copy + Serialize> Serialize for ProbeCounts<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(m, v)| (m.name(), v)))
    }
}

impl<'de, T: Copy + Deserialize<'de>> Deserialize<'de> for ProbeCounts<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keyed<T>(std::marker::PhantomData<T>);
        impl<'de, T: Copy + Deserialize<'de>> serde::de::Visitor<'de> for Keyed<T> {
            type Value = ProbeCounts<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of figures keyed by metric")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut counts = ProbeCounts::NONE;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match Metric::from_name(&key) {
                        Some(metric) => counts.set(metric, map.next_value()?),
                        None => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(counts)
            }
        }
        deserializer.deserialize_map(Keyed(std::marker::PhantomData))
    }
}

/// The allocation-site pass: one allocating stack and its counts per record sample (in
/// [`RecordLine::syscall_sites`], one stack that made system calls, with its counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteRecord {
    /// Leaf first, the allocator's own frames already cut away.
    pub frames: Vec<FrameRecord>,
    /// Per record sample: `[alloc_objects, alloc_space, free_objects, free_space]`.
    pub samples: Vec<[u64; 4]>,
}

/// One frame of a symbolised stack (defined beside the rules for frames, which the runtime
/// signals' threads also use).
pub use crate::frames::FrameRecord;

/// The CPU pass's note that a benchmark's profile is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuProfileRecord {
    /// Criterion's `profile/` folder of the benchmark, holding `cpu.folded` and `cpu.pb.gz`.
    pub dir: PathBuf,
    /// The sampling frequency asked of pprof-rs, in Hz.
    pub frequency: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as the harness of record version 1 wrote it before this crate existed: the format
    /// is the same byte for byte.
    const V1: &str = r#"{"version":1,"id":"g/f","counting":true,"samples":[{"time":12.5,"windows":1,"custom":false,"alloc_objects":2,"alloc_space":32,"free_objects":2,"free_space":32,"reallocs":0,"peak_space":16}],"sites":[{"frames":[{"function":"a::b","file":"src/lib.rs","line":3},{"function":"c"}],"samples":[[1,16,1,16]]}]}"#;

    #[test]
    fn a_version_1_line_reads_and_writes_back_the_same() {
        let record: RecordLine = serde_json::from_str(V1).unwrap();
        assert_eq!(record.samples[0].counts.alloc_space, 32);
        assert_eq!(record.sites[0].frames[1].file, None);
        assert_eq!(serde_json::to_string(&record).unwrap(), V1);
    }

    /// The passes' own fields after the flattened counts keep their places too.
    #[test]
    fn a_sample_with_every_field_writes_back_the_same() {
        let line = r#"{"time":3.0,"windows":2,"custom":true,"alloc_objects":1,"alloc_space":2,"free_objects":3,"free_space":4,"reallocs":5,"peak_space":6,"callgrind_part":7,"sites":true}"#;
        let sample: RecordSample = serde_json::from_str(line).unwrap();
        assert_eq!(sample.counts, Counts::from_array([1, 2, 3, 4, 5]));
        assert_eq!((sample.peak_space, sample.callgrind_part, sample.sites), (6, Some(7), true));
        assert_eq!(serde_json::to_string(&sample).unwrap(), line);
    }

    /// The probes' counts come after every field of version 1, in the metric table's order; a
    /// wrapped `threads_alive` (a fall) reads back as written.
    #[test]
    fn a_sample_with_probe_counts_writes_back_the_same() {
        let line = r#"{"time":3.0,"windows":1,"custom":false,"alloc_objects":0,"alloc_space":0,"free_objects":0,"free_space":0,"reallocs":0,"peak_space":0,"probes":{"threads_started":1,"threads_alive":18446744073709551615,"voluntary_switches":3,"read_syscalls":4,"write_syscalls":5,"read_bytes":6,"write_bytes":7,"minor_faults":8}}"#;
        let sample: RecordSample = serde_json::from_str(line).unwrap();
        assert_eq!(sample.probes.get(Metric::ThreadsAlive).map(|c| c as i64), Some(-1));
        assert_eq!(serde_json::to_string(&sample).unwrap(), line);
        // A line of the harness before the counts were keyed (`"signals"`) reads the same.
        let old: RecordSample = serde_json::from_str(&line.replace("\"probes\"", "\"signals\"")).unwrap();
        assert_eq!(old, sample);
    }
}
