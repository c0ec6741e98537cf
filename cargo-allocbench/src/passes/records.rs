//! Reading what a bench process left behind: the harness's record lines, and criterion's own
//! `benchmark.json`, `sample.json` and `estimates.json`, joined into samples per benchmark.
//!
//! The harness records each sample's time value exactly as criterion saved it in `sample.json`,
//! so a record's sample is joined to criterion's by that value: criterion says how many
//! iterations the sample ran, the harness says what they allocated.
//!
//! Two benchmarks can share an id (`a` + `b/c` and `a/b` + `c`). Criterion runs both and titles
//! the second `a/b/c #2`; both sides here name it so too: the second record of an id becomes
//! `ID #2`, and criterion's benchmark whose title carries the counter is keyed `ID #2`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::passes::figures::Sample;
use crate::report::TimeFigures;

pub use allocbench_formats::record::{CpuProfileRecord, SiteRecord, RECORD_VERSION};
use allocbench_formats::record::{RecordLine, RecordSample};

/// What a bench process left behind that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// The file exists but cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The record file or criterion's JSON file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// A record line this version does not read: the harness in the bench binary is of another
    /// version, or the line is not a record.
    #[error("`{path}` line {line}: {detail}; the bench binary's allocbench and this cargo-allocbench disagree on the record format: use the same version of both")]
    Malformed {
        /// The record file.
        path: PathBuf,
        /// The line's number, from 1.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// One of criterion's files for a benchmark is not what criterion writes.
    #[error("`{path}` is not criterion's JSON: {detail}")]
    Criterion {
        /// Criterion's file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
}

/// What the harness recorded for one benchmark.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The benchmark's id as criterion titles it (`group/function/parameter`), with ` #2` for
    /// the second benchmark of the same id.
    pub id: String,
    /// False when the bench binary's global allocator is not allocbench's.
    pub counting: bool,
    samples: Vec<(f64, RecordSample)>,
    /// Set by the CPU pass.
    pub cpu_profile: Option<CpuProfileRecord>,
    /// Set by the allocation-site pass.
    pub sites: Vec<SiteRecord>,
    /// The type `allocbench::Alloc` wraps in the bench process, when the harness said.
    pub allocator: Option<String>,
    /// The instruction pass: the bench process's id, which names callgrind's dumps.
    pub pid: Option<u32>,
    /// The threads the benchmark left running (the runtime signals' probe).
    pub threads_left: Option<allocbench_formats::signals::ThreadsLeft>,
    /// Set by the allocation-site pass: the stacks that made read- and write-family system
    /// calls, with `[read calls, read bytes, write calls, write bytes]` per sample.
    pub syscall_sites: Vec<SiteRecord>,
}

/// Reads a record file. A missing file means the process recorded nothing.
pub fn read_records(path: &Path) -> Result<Vec<Recorded>, RecordsError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(RecordsError::Io { path: path.to_owned(), source }),
    };
    let mut out: Vec<Recorded> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |detail: String| RecordsError::Malformed { path: path.to_owned(), line: n + 1, detail };
        let rec: RecordLine = serde_json::from_str(line).map_err(|e| malformed(e.to_string()))?;
        if rec.version != RECORD_VERSION {
            return Err(malformed(format!("record version {} (this build reads {RECORD_VERSION})", rec.version)));
        }
        let count = seen.entry(rec.id.clone()).or_insert(0);
        *count += 1;
        let id = if *count == 1 { rec.id } else { format!("{} #{count}", rec.id) };
        out.push(Recorded {
            id,
            counting: rec.counting,
            samples: rec.samples.into_iter().map(|s| (s.time, s)).collect(),
            cpu_profile: rec.cpu_profile,
            sites: rec.sites,
            allocator: rec.allocator,
            pid: rec.pid,
            threads_left: rec.threads_left,
            syscall_sites: rec.syscall_sites,
        });
    }
    Ok(out)
}

/// Criterion's files for one benchmark.
#[derive(Debug, Clone)]
pub struct CriterionBenchmark {
    /// Iterations per saved sample, in `sample.json` order.
    pub iters: Vec<f64>,
    /// Total time per saved sample (ns), in `sample.json` order.
    pub times: Vec<f64>,
    pub time: Option<TimeFigures>,
}

#[derive(Deserialize)]
struct BenchmarkJson {
    full_id: String,
    #[serde(default)]
    title: Option<String>,
}

/// Criterion's longest title, in bytes: longer ids are cut and get `...`.
const MAX_TITLE_LEN: usize = 100;

impl BenchmarkJson {
    /// The id the record of this benchmark has: the full id, with criterion's ` #2` when the
    /// title has one (the second benchmark of the same id in the process).
    fn key(self) -> String {
        let Some(title) = self.title else { return self.full_id };
        let mut end = MAX_TITLE_LEN.min(self.full_id.len());
        while !self.full_id.is_char_boundary(end) {
            end -= 1;
        }
        let plain =
            if end < self.full_id.len() { format!("{}...", &self.full_id[..end]) } else { self.full_id.clone() };
        match title.strip_prefix(&plain).and_then(|rest| rest.strip_prefix(" #")) {
            Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => format!("{} #{n}", self.full_id),
            _ => self.full_id,
        }
    }
}

#[derive(Deserialize)]
struct SampleJson {
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[derive(Deserialize)]
struct EstimateJson {
    confidence_interval: IntervalJson,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct IntervalJson {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct EstimatesJson {
    mean: EstimateJson,
    median: EstimateJson,
    slope: Option<EstimateJson>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RecordsError> {
    let bytes = fs::read(path).map_err(|source| RecordsError::Io { path: path.to_owned(), source })?;
    serde_json::from_slice(&bytes).map_err(|e| RecordsError::Criterion { path: path.to_owned(), detail: e.to_string() })
}

/// Every benchmark criterion saved under `home`, by full id (see the module's note on ids
/// used twice). `home` itself is searched too: criterion keeps an id `.` or `..` as a folder
/// name, so its files may lie in any folder below `home` (see [`crate::exec::run::RunFiles`]).
pub fn read_criterion(home: &Path) -> Result<BTreeMap<String, CriterionBenchmark>, RecordsError> {
    let mut found = BTreeMap::new();
    let mut stack = vec![home.to_owned()];
    while let Some(dir) = stack.pop() {
        let new = dir.join("new");
        // A benchmark's folder holds `new/benchmark.json`; its `new` folder never holds a `new`.
        if new.join("benchmark.json").is_file() {
            let bench: BenchmarkJson = read_json(&new.join("benchmark.json"))?;
            let sample: SampleJson = read_json(&new.join("sample.json"))?;
            let time = match read_json::<EstimatesJson>(&new.join("estimates.json")) {
                Ok(e) => {
                    let typical = e.slope.as_ref().unwrap_or(&e.mean);
                    Some(TimeFigures {
                        typical_ns: typical.point_estimate,
                        mean_ns: e.mean.point_estimate,
                        median_ns: e.median.point_estimate,
                        ci_low_ns: typical.confidence_interval.lower_bound,
                        ci_high_ns: typical.confidence_interval.upper_bound,
                    })
                }
                Err(_) => None,
            };
            found.insert(bench.key(), CriterionBenchmark { iters: sample.iters, times: sample.times, time });
        }
        // A group folder can hold benchmarks below it too. Symbolic links are not followed.
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    Ok(found)
}

/// A benchmark's samples joined across the two sources.
#[derive(Debug, Clone)]
pub struct Joined {
    pub samples: Vec<Sample>,
    /// For each of `samples`, the index of the record's sample it came from.
    pub record_index: Vec<usize>,
    /// Criterion's per-iteration time of each sample (ns), for baselines.
    pub time_samples_ns: Vec<f64>,
    /// For each of `samples`, the record's sample it came from, whole: what a pass recorded of
    /// its own (the instruction pass's callgrind dump, `callgrind_part`) is read from here.
    pub records: Vec<RecordSample>,
}

/// Joins a record with criterion's samples by time value. Samples criterion did not save (the
/// `--quick` mode keeps two) are dropped; a saved sample without a record is an error of the
/// caller's to report, returned as `None`.
pub fn join(record: &Recorded, crit: &CriterionBenchmark) -> Option<Joined> {
    let mut samples = Vec::with_capacity(crit.times.len());
    let mut record_index = Vec::with_capacity(crit.times.len());
    let mut records = Vec::with_capacity(crit.times.len());
    // Criterion saves samples in the order it closed them, so record k is sample k, unless it
    // kept some only (`--quick` keeps two); then a sample's record is found by its time. Two
    // samples can share a time value (a coarse clock, or valgrind's), so order comes first.
    let in_order = record.samples.len() == crit.times.len()
        && record.samples.iter().zip(&crit.times).all(|((t, _), time)| t.to_bits() == time.to_bits());
    for (n, (&iters, &time)) in crit.iters.iter().zip(&crit.times).enumerate() {
        // Equal bits: serde_json writes the shortest representation that reads back the same f64.
        let k = if in_order { n } else { record.samples.iter().position(|(t, _)| t.to_bits() == time.to_bits())? };
        record_index.push(k);
        let r = record.samples[k].1;
        samples.push(Sample::new(iters as u64, &r));
        records.push(r);
    }
    let time_samples_ns = crit.iters.iter().zip(&crit.times).map(|(n, t)| t / n.max(1.0)).collect();
    Some(Joined { samples, record_index, time_samples_ns, records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_parse_and_bad_lines_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let good = r#"{"version":1,"id":"g/f","counting":true,"samples":[{"time":12.5,"windows":1,"custom":false,"alloc_objects":2,"alloc_space":32,"free_objects":2,"free_space":32,"reallocs":0,"peak_space":16}]}"#;
        fs::write(&path, format!("{good}\n{{\"version\":1\n")).unwrap();
        let err = read_records(&path).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        fs::write(&path, format!("{good}\n")).unwrap();
        let recs = read_records(&path).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].id, "g/f");
        let crit = CriterionBenchmark { iters: vec![4.0], times: vec![12.5], time: None };
        let joined = join(&recs[0], &crit).unwrap();
        assert_eq!(joined.samples[0].iters, 4);
        assert_eq!(joined.samples[0].counts.alloc_space, 32);
        assert_eq!(joined.time_samples_ns, vec![12.5 / 4.0]);
        let other = CriterionBenchmark { times: vec![13.0], ..crit };
        assert!(join(&recs[0], &other).is_none());
    }

    #[test]
    fn missing_record_file_is_empty() {
        assert!(read_records(Path::new("/nonexistent/allocbench/records.jsonl")).unwrap().is_empty());
    }
}
