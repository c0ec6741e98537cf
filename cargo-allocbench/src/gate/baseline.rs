//! Baselines: a run's figures stored under a name, to compare later runs against.
//!
//! A baseline is one JSON document per name, `DIR/NAME.json` (by default
//! `<target-dir>/allocbench/baselines/`). It holds the environment the figures were measured in
//! and, per benchmark, every figure of the report plus criterion's time samples
//! (`time_samples_ns`), which the statistical comparison of time needs and `report.json` leaves
//! out. The format is versioned ([`BASELINE_SCHEMA_VERSION`]); readers ignore fields they do not
//! know, so later versions can add (per-site figures, folded stacks) without breaking older
//! readers, and a document of a newer version is refused with a clear message. The document's
//! shape is [`allocbench_formats::baseline`]; this module names, reads and writes it.
//!
//! A baseline is written atomically: a temporary file in the same folder, flushed to disk, then
//! renamed over the old one. A crash or a kill at any point leaves either the old baseline or
//! the new one, never a mix; at worst a stray `.NAME.*.tmp` file that [`list`] ignores. A run in
//! which a benchmark failed is never saved ([`BaselineError::RunFailed`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use allocbench_formats::baseline::BaselineDocument;
pub use allocbench_formats::baseline::BASELINE_SCHEMA_VERSION;
use allocbench_formats::key::BenchmarkKey;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::partition::PartitionSpec;
use allocbench_formats::title::matches_title;

use crate::atomic::write_atomic;
use crate::measurements::Measurements;
use crate::render::units::printable;
use crate::report::Environment;

/// A stored run, as loaded from `NAME.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The version of the baseline format it was written in; an older one is read as this one.
    pub schema_version: u32,
    /// The name it was loaded under (the file's stem).
    pub name: String,
    /// Where the figures were measured.
    pub environment: Environment,
    /// Every benchmark as measured, what only a comparison reads included.
    pub benchmarks: Vec<MeasuredBenchmark>,
    /// The shard the saved run measured (`--partition`); `None` when it measured them all.
    pub partition: Option<PartitionSpec>,
    /// What the comparison must say of this baseline before its figures, one line each: the
    /// benchmarks of an older baseline that could not be matched ([`place_unplaced`]).
    pub warnings: Vec<String>,
}

/// A baseline that cannot be named, read or written. Each message is one line that names the
/// file and the fix. [`BaselineError::Io`] carries the I/O error's text in its message rather
/// than as a `source()`, so that a chain printer does not repeat it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    #[error(
        "baseline `{name}` not found in `{}` ({}); create it with `cargo allocbench --save-baseline {name}`",
        dir.display(),
        available_text(available)
    )]
    /// No baseline of that name in the baseline folder.
    Missing {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
        /// The baseline folder.
        dir: PathBuf,
        /// The names saved there, to choose from.
        available: Vec<String>,
    },

    /// The file is empty (or only white space): a save that never finished with an older
    /// version, or a file emptied by hand.
    #[error("baseline `{}` is empty; save it again with `cargo allocbench --save-baseline {name}`", path.display())]
    Empty {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
        /// Its file.
        path: PathBuf,
    },

    /// The file is not a baseline: broken JSON, or a document of another shape.
    #[error(
        "baseline `{}` is invalid: {detail}; save it again with `cargo allocbench --save-baseline {name}`",
        path.display()
    )]
    Invalid {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
        /// Its file.
        path: PathBuf,
        /// What is wrong: where the JSON breaks, or which field does not fit.
        detail: String,
    },

    /// The file was written by a newer cargo-allocbench, in a format this one does not know.
    #[error(
        "baseline `{}` has schema version {found}, written by a newer cargo-allocbench (this one reads up to {supported}); upgrade cargo-allocbench or save the baseline again with `cargo allocbench --save-baseline {name}`",
        path.display()
    )]
    FutureVersion {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
        /// Its file.
        path: PathBuf,
        /// The version the file says it is written in.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },

    /// A name that cannot be a file in the baseline folder: empty, a path, hidden (`.`, the
    /// writer's temporary files) or with control characters.
    #[error(
        "invalid baseline name `{}`: {reason}; use a plain name such as `main` or `pr-123`",
        name.escape_debug()
    )]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it cannot name a file in the baseline folder.
        reason: &'static str,
    },

    /// A baseline could not be read, or a run could not be serialized into one.
    #[error("{action} `{}`: {error}", path.display())]
    Io {
        /// What was being done, as the message begins (`cannot read baseline`).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error, in the message rather than as its source.
        error: io::Error,
    },

    /// Saving failed; the old baseline, if any, is left as it was.
    #[error(
        "cannot save baseline `{name}`: {action} `{}`: {error}; the old baseline, if any, is kept; pass a writable `--baseline-dir`",
        path.display()
    )]
    Unwritable {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
        /// What was being done, as the atomic write says it ([`crate::atomic`]).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error, in the message rather than as its source.
        error: io::Error,
    },

    /// Not saved: some benchmarks failed, and a baseline without them would let them regress
    /// unseen.
    #[error(
        "not saving baseline `{name}`: {} ({}); the old baseline, if any, is kept; fix {} or leave {} out with a benchmark filter",
        failed_count(benchmarks),
        benchmarks.join(", "),
        if benchmarks.len() == 1 { "it" } else { "them" },
        if benchmarks.len() == 1 { "it" } else { "them" }
    )]
    RunFailed {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
        /// The ids of the benchmarks that failed or have no allocation figures.
        benchmarks: Vec<String>,
    },

    /// Not saved: the run measured nothing, and an empty baseline would compare with nothing.
    #[error("not saving baseline `{name}`: the run measured no benchmarks; check the benchmark filter and `--bench`")]
    NoBenchmarks {
        /// The baseline's name, as `--baseline` gave it.
        name: String,
    },
}

fn available_text(available: &[String]) -> String {
    if available.is_empty() {
        "no baselines saved there yet".to_string()
    } else {
        format!("available: {}", available.join(", "))
    }
}

fn failed_count(benchmarks: &[String]) -> String {
    match benchmarks.len() {
        1 => "1 benchmark failed".to_string(),
        n => format!("{n} benchmarks failed"),
    }
}

/// Checks a baseline name: not empty, no path separator, no `..`, no control character, not
/// starting with `.` (hidden files are the writer's temporary files).
pub fn validate_name(name: &str) -> Result<(), BaselineError> {
    let reason = if name.is_empty() {
        Some("a name cannot be empty")
    } else if name.contains('/') || name.contains('\\') {
        Some("a name cannot contain `/` or `\\`")
    } else if name.contains("..") {
        Some("a name cannot contain `..`")
    } else if name.starts_with('.') {
        Some("a name cannot start with `.`")
    } else if name.chars().any(char::is_control) {
        Some("a name cannot contain control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(BaselineError::InvalidName { name: name.to_string(), reason }),
        None => Ok(()),
    }
}

/// `DIR/NAME.json`. Call [`validate_name`] first for a name users typed; [`save`] and [`load`]
/// do.
pub fn baseline_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Stores what `run` measured as baseline `name` in `dir`, atomically, and returns the file's
/// path. Refuses a run in which any benchmark failed or has no allocation figures, and a run
/// with no benchmarks; the old baseline is then untouched. Creates `dir` when needed.
pub fn save(dir: &Path, name: &str, run: &Measurements) -> Result<PathBuf, BaselineError> {
    validate_name(name)?;
    let failed: Vec<String> =
        run.benchmarks.iter().filter(|b| b.error.is_some() || b.alloc.is_none()).map(|b| b.id.clone()).collect();
    if !failed.is_empty() {
        return Err(BaselineError::RunFailed { name: name.to_string(), benchmarks: failed });
    }
    if run.benchmarks.is_empty() {
        return Err(BaselineError::NoBenchmarks { name: name.to_string() });
    }
    let document = BaselineDocument {
        schema_version: BASELINE_SCHEMA_VERSION,
        name: name.to_string(),
        writer: concat!("cargo-allocbench ", env!("CARGO_PKG_VERSION")).to_string(),
        environment: run.environment.clone(),
        benchmarks: run.benchmarks.iter().map(MeasuredBenchmark::for_storage).collect(),
        partition: run.partition.as_ref().map(|p| p.spec),
    };
    let mut json = serde_json::to_vec_pretty(&document).map_err(|e| BaselineError::Io {
        action: "cannot serialize baseline",
        path: baseline_path(dir, name),
        error: io::Error::other(e),
    })?;
    json.push(b'\n');
    let path = baseline_path(dir, name);
    write_atomic(&path, &json).map_err(|e| BaselineError::Unwritable {
        name: name.to_string(),
        action: e.action,
        path: e.path,
        error: e.error,
    })?;
    Ok(path)
}

/// Loads baseline `name` from `dir`. Never writes.
pub fn load(dir: &Path, name: &str) -> Result<Baseline, BaselineError> {
    validate_name(name)?;
    let path = baseline_path(dir, name);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BaselineError::Missing { name: name.to_string(), dir: dir.to_path_buf(), available: list(dir) })
        }
        Err(e) => return Err(BaselineError::Io { action: "cannot read baseline", path, error: e }),
    };
    parse(name, &path, &bytes)
}

/// Parses a baseline document read from `path`.
pub fn parse(name: &str, path: &Path, bytes: &[u8]) -> Result<Baseline, BaselineError> {
    let invalid = |detail: String| BaselineError::Invalid { name: name.to_string(), path: path.to_path_buf(), detail };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BaselineError::Empty { name: name.to_string(), path: path.to_path_buf() });
    }
    // First as any JSON, to tell a broken file from a newer format.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| invalid(describe_json_error(&e)))?;
    let version = match value.get("schema_version") {
        Some(v) => {
            v.as_u64().ok_or_else(|| invalid(format!("`schema_version` is {v}, expected a positive integer")))?
        }
        None if value.is_object() => return Err(invalid("no `schema_version`: not a baseline file".into())),
        None => return Err(invalid("expected a JSON object: not a baseline file".into())),
    };
    if version > u64::from(BASELINE_SCHEMA_VERSION) {
        return Err(BaselineError::FutureVersion {
            name: name.to_string(),
            path: path.to_path_buf(),
            found: version,
            supported: BASELINE_SCHEMA_VERSION,
        });
    }
    if version == 0 {
        return Err(invalid("`schema_version` is 0, expected 1".into()));
    }
    // Again from the bytes, so that errors carry serde_json's line and column.
    let document: BaselineDocument = serde_json::from_slice(bytes).map_err(|e| invalid(describe_json_error(&e)))?;
    Ok(Baseline {
        schema_version: document.schema_version,
        name: name.to_string(),
        environment: document.environment,
        benchmarks: document.benchmarks,
        partition: document.partition,
        warnings: Vec::new(),
    })
}

/// Gives the benchmarks of a baseline saved without their package and bench target (by an older
/// cargo-allocbench) the key of the run's benchmark with their id, where exactly one benchmark of
/// the run and one of the baseline have that id. Where several do, which figures belong to which
/// benchmark cannot be told: the baseline's are left out of the comparison (the run's are then
/// new), and one warning per id says so. `run` is every benchmark of the run, or of the whole
/// listing for a shard, whose ids may be criterion's cut titles.
pub fn place_unplaced(base: &mut Baseline, run: &[BenchmarkKey]) {
    if base.benchmarks.iter().all(|b| b.key().is_placed()) {
        return;
    }
    let places = |id: &str| -> BTreeSet<(&str, &str)> {
        run.iter()
            .filter(|k| k.id == id || matches_title(id, &k.id))
            .map(|k| (k.package.as_str(), k.target.as_str()))
            .collect()
    };
    let mut in_base: BTreeMap<String, usize> = BTreeMap::new();
    for b in base.benchmarks.iter().filter(|b| !b.key().is_placed()) {
        *in_base.entry(b.id.clone()).or_default() += 1;
    }
    let name = base.name.clone();
    let mut warned = BTreeSet::new();
    let mut kept = Vec::with_capacity(base.benchmarks.len());
    for mut b in std::mem::take(&mut base.benchmarks) {
        if b.key().is_placed() {
            kept.push(b);
            continue;
        }
        let places = places(&b.id);
        let copies = in_base.get(&b.id).copied().unwrap_or(1);
        match places.iter().next() {
            // Not in the run: missing, under its id.
            None => kept.push(b),
            Some(&(package, target)) if places.len() == 1 && copies == 1 => {
                (b.package, b.target) = (package.to_owned(), target.to_owned());
                kept.push(b);
            }
            Some(_) => {
                if !warned.insert(b.id.clone()) {
                    continue;
                }
                let why = if places.len() > 1 {
                    let list: Vec<String> = places.iter().map(|(p, t)| format!("{p}/{t}")).collect();
                    format!("this run has it in {} bench targets ({})", places.len(), list.join(", "))
                } else {
                    format!("the baseline holds it {copies} times")
                };
                base.warnings.push(format!(
                    "baseline `{name}` does not say which package `{}` is from (saved by an older cargo-allocbench), and {why}: not compared; save the baseline again to compare it",
                    printable(&b.id)
                ));
            }
        }
    }
    base.benchmarks = kept;
}

fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => format!("truncated ({error})"),
        Category::Syntax => format!("not JSON ({error})"),
        Category::Data => format!("unexpected content ({error})"),
        Category::Io => error.to_string(),
    }
}

/// The names of the baselines in `dir`, sorted; empty when `dir` does not exist.
pub fn list(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| {
            let file_name = e.file_name().into_string().ok()?;
            let name = file_name.strip_suffix(".json")?;
            validate_name(name).ok()?;
            Some(name.to_string())
        })
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AllocFigures, Benchmark, TimeFigures};

    pub(crate) fn report() -> Measurements {
        let bench = |id: &str, objects: f64| {
            let mut b = MeasuredBenchmark::new(Benchmark {
                alloc: Some(AllocFigures {
                    alloc_objects: objects,
                    alloc_space: objects * 64.0,
                    free_objects: objects,
                    free_space: objects * 64.0,
                    peak_space: 64.0,
                    exact: true,
                    ..AllocFigures::default()
                }),
                time: Some(TimeFigures {
                    typical_ns: 100.0,
                    mean_ns: 100.5,
                    median_ns: 100.0,
                    ci_low_ns: 99.0,
                    ci_high_ns: 101.0,
                }),
                ..Benchmark::new(id, "fixture", "exact")
            });
            b.kept.time_samples_ns = vec![100.0, 101.5, 99.25, 1.0 / 3.0];
            b
        };
        Measurements {
            environment: Environment {
                rustc: "rustc 1.95.0".into(),
                target: "x86_64-unknown-linux-gnu".into(),
                profile: "bench".into(),
                allocator: "System".into(),
                git_commit: Some("abc123".into()),
                cpu: "Test CPU".into(),
                created: "2026-01-01T00:00:00Z".into(),
                cargo_lock_hash: Some("0123456789abcdef".into()),
            },
            benchmarks: vec![bench("vec/push", 1.0), bench("map/insert", 1.0 / 3.0)],
            partition: None,
        }
    }

    fn message(error: BaselineError) -> String {
        error.to_string()
    }

    #[test]
    fn save_load_round_trip_keeps_time_samples() {
        let dir = tempfile::tempdir().unwrap();
        let report = report();
        let path = save(dir.path(), "main", &report).unwrap();
        assert_eq!(path, dir.path().join("main.json"));
        let loaded = load(dir.path(), "main").unwrap();
        assert_eq!(loaded.schema_version, BASELINE_SCHEMA_VERSION);
        assert_eq!(loaded.name, "main");
        assert_eq!(loaded.environment, report.environment);
        assert_eq!(loaded.benchmarks, report.benchmarks);
        assert_eq!(loaded.benchmarks[0].kept.time_samples_ns, vec![100.0, 101.5, 99.25, 1.0 / 3.0]);
        // The file itself carries the samples, beside the report's fields.
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"time_samples_ns\""), "{text}");
        assert!(text.ends_with("}\n"));
        assert_eq!(list(dir.path()), vec!["main".to_string()]);
    }

    #[test]
    fn save_is_deterministic_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = report();
        save(dir.path(), "main", &report).unwrap();
        let first = fs::read(dir.path().join("main.json")).unwrap();
        save(dir.path(), "main", &report).unwrap();
        assert_eq!(fs::read(dir.path().join("main.json")).unwrap(), first);
        report.benchmarks.pop();
        save(dir.path(), "main", &report).unwrap();
        assert_eq!(load(dir.path(), "main").unwrap().benchmarks.len(), 1);
        // No temporary file is left behind.
        let entries: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("main.json")]);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "main", &report()).unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        value["future_top_level"] = serde_json::json!({ "x": 1 });
        value["benchmarks"][0]["future_field"] = serde_json::json!([{ "frame": "main" }]);
        value["benchmarks"][0]["alloc"]["future_metric"] = serde_json::json!(3.0);
        fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        let loaded = load(dir.path(), "main").unwrap();
        assert_eq!(loaded.benchmarks, report().benchmarks);
    }

    #[test]
    fn missing_baseline_lists_available_ones() {
        let dir = tempfile::tempdir().unwrap();
        let report = report();
        save(dir.path(), "main", &report).unwrap();
        save(dir.path(), "v1.2", &report).unwrap();
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        fs::write(dir.path().join(".main.json.abc.tmp"), "{").unwrap();
        let error = load(dir.path(), "mian").unwrap_err();
        assert_eq!(
            message(error),
            format!(
                "baseline `mian` not found in `{}` (available: main, v1.2); create it with `cargo allocbench --save-baseline mian`",
                dir.path().display()
            )
        );
        let nowhere = dir.path().join("nowhere");
        assert_eq!(
            message(load(&nowhere, "main").unwrap_err()),
            format!(
                "baseline `main` not found in `{}` (no baselines saved there yet); create it with `cargo allocbench --save-baseline main`",
                nowhere.display()
            )
        );
    }

    /// Loads `text` as baseline `main`; gives the file's path and the error message.
    fn load_text(text: &[u8]) -> (PathBuf, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.json");
        fs::write(&path, text).unwrap();
        let error = load(dir.path(), "main").unwrap_err();
        // Loading never touches the file.
        assert_eq!(fs::read(&path).unwrap(), text);
        (path, message(error))
    }

    #[test]
    fn empty_file() {
        for text in [&b""[..], b"\n  \n"] {
            let (path, message) = load_text(text);
            assert_eq!(
                message,
                format!(
                    "baseline `{}` is empty; save it again with `cargo allocbench --save-baseline main`",
                    path.display()
                )
            );
        }
    }

    #[test]
    fn truncated_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "main", &report()).unwrap();
        let bytes = fs::read(&path).unwrap();
        let half = &bytes[..bytes.len() / 2];
        let (path, message) = load_text(half);
        let lines = half.iter().filter(|&&b| b == b'\n').count() + 1;
        let prefix = format!("baseline `{}` is invalid: truncated (EOF while parsing", path.display());
        assert!(message.starts_with(&prefix), "{message}");
        assert!(message.contains(&format!("at line {lines} column")), "{message}");
        assert!(message.ends_with("); save it again with `cargo allocbench --save-baseline main`"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn invalid_json() {
        let (path, message) = load_text(b"{\"schema_version\": 1,\n \"name\": main}\n");
        assert_eq!(
            message,
            format!(
                "baseline `{}` is invalid: not JSON (expected value at line 2 column 10); save it again with `cargo allocbench --save-baseline main`",
                path.display()
            )
        );
    }

    #[test]
    fn wrong_types() {
        let mut value = serde_json::to_value(BaselineDocument {
            schema_version: 1,
            name: "main".into(),
            writer: String::new(),
            environment: Environment::default(),
            benchmarks: vec![],
            partition: None,
        })
        .unwrap();
        value["benchmarks"] = serde_json::json!("none");
        let text = serde_json::to_vec_pretty(&value).unwrap();
        let (path, message) = load_text(&text);
        let line = String::from_utf8_lossy(&text).lines().position(|l| l.contains("\"benchmarks\"")).unwrap() + 1;
        assert_eq!(
            message,
            format!(
                "baseline `{}` is invalid: unexpected content (invalid type: string \"none\", expected a sequence at line {line} column 22); save it again with `cargo allocbench --save-baseline main`",
                path.display()
            )
        );
        let (path, message) = load_text(b"[1, 2]");
        assert_eq!(
            message,
            format!(
                "baseline `{}` is invalid: expected a JSON object: not a baseline file; save it again with `cargo allocbench --save-baseline main`",
                path.display()
            )
        );
        let (_, message) = load_text(b"{\"benchmarks\": []}");
        assert!(message.contains("is invalid: no `schema_version`: not a baseline file;"), "{message}");
        let (_, message) = load_text(b"{\"schema_version\": \"1\"}");
        assert!(message.contains("is invalid: `schema_version` is \"1\", expected a positive integer;"), "{message}");
    }

    #[test]
    fn wrong_type_inside_a_benchmark() {
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "main", &report()).unwrap();
        let text =
            fs::read_to_string(&path).unwrap().replacen("\"alloc_objects\": 1.0", "\"alloc_objects\": \"one\"", 1);
        let (_, message) = load_text(text.as_bytes());
        assert!(
            message.contains("is invalid: unexpected content (invalid type: string \"one\", expected f64 at line "),
            "{message}"
        );
    }

    #[test]
    fn future_version() {
        let (path, message) = load_text(b"{\"schema_version\": 2, \"whatever\": [\"new\"]}");
        assert_eq!(
            message,
            format!(
                "baseline `{}` has schema version 2, written by a newer cargo-allocbench (this one reads up to 1); upgrade cargo-allocbench or save the baseline again with `cargo allocbench --save-baseline main`",
                path.display()
            )
        );
    }

    #[test]
    fn invalid_names() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("", "invalid baseline name ``: a name cannot be empty; use a plain name such as `main` or `pr-123`"),
            (
                "../main",
                "invalid baseline name `../main`: a name cannot contain `/` or `\\`; use a plain name such as `main` or `pr-123`",
            ),
            ("a..b", "invalid baseline name `a..b`: a name cannot contain `..`; use a plain name such as `main` or `pr-123`"),
            (".hidden", "invalid baseline name `.hidden`: a name cannot start with `.`; use a plain name such as `main` or `pr-123`"),
            (
                "a\nb",
                "invalid baseline name `a\\nb`: a name cannot contain control characters; use a plain name such as `main` or `pr-123`",
            ),
        ];
        for (name, expected) in cases {
            assert_eq!(message(load(dir.path(), name).unwrap_err()), expected);
            assert_eq!(message(save(dir.path(), name, &report()).unwrap_err()), expected);
        }
        assert!(validate_name("release-1.2_x").is_ok());
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn a_failed_run_is_refused_and_the_old_baseline_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "main", &report()).unwrap();
        let before = fs::read(&path).unwrap();
        let mut failed = report();
        failed.benchmarks[0].error = Some("process killed by SIGSEGV".into());
        failed.benchmarks[0].alloc = None;
        assert_eq!(
            message(save(dir.path(), "main", &failed).unwrap_err()),
            "not saving baseline `main`: 1 benchmark failed (vec/push); the old baseline, if any, is kept; fix it or leave it out with a benchmark filter"
        );
        failed.benchmarks[1].alloc = None;
        assert_eq!(
            message(save(dir.path(), "main", &failed).unwrap_err()),
            "not saving baseline `main`: 2 benchmarks failed (vec/push, map/insert); the old baseline, if any, is kept; fix them or leave them out with a benchmark filter"
        );
        failed.benchmarks.clear();
        assert_eq!(
            message(save(dir.path(), "main", &failed).unwrap_err()),
            "not saving baseline `main`: the run measured no benchmarks; check the benchmark filter and `--bench`"
        );
        assert_eq!(fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_failed_write_leaves_the_old_baseline_unchanged() {
        let root = tempfile::tempdir().unwrap();
        let path = save(root.path(), "main", &report()).unwrap();
        let before = fs::read(&path).unwrap();
        // The baseline folder is a file: nothing can be created in it.
        let not_a_dir = root.path().join("main.json");
        let error = save(&not_a_dir, "main", &report()).unwrap_err();
        let text = message(error);
        assert!(
            text.starts_with(&format!("cannot save baseline `main`: cannot create folder `{}`: ", not_a_dir.display())),
            "{text}"
        );
        assert!(text.ends_with("; the old baseline, if any, is kept; pass a writable `--baseline-dir`"), "{text}");
        assert_eq!(fs::read(&path).unwrap(), before);

        // The target is a folder: the rename fails after the temporary file was written; the
        // temporary file is removed and the folder's content kept.
        let target_dir = root.path().join("other.json");
        fs::create_dir(&target_dir).unwrap();
        fs::write(target_dir.join("keep"), "x").unwrap();
        let text = message(save(root.path(), "other", &report()).unwrap_err());
        assert!(
            text.starts_with(&format!("cannot save baseline `other`: cannot replace `{}`: ", target_dir.display())),
            "{text}"
        );
        assert_eq!(fs::read(target_dir.join("keep")).unwrap(), b"x");
        let mut names: Vec<_> = fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, vec![std::ffi::OsString::from("main.json"), "other.json".into()]);
        assert_eq!(fs::read(&path).unwrap(), before);
    }

    const SAVE_FOREVER_DIR: &str = "ALLOCBENCH_TEST_SAVE_FOREVER_DIR";
    const SAVE_FOREVER_OTHER: &str = "ALLOCBENCH_TEST_SAVE_FOREVER_OTHER";

    /// Two different runs whose baselines take a while to write (about 400 kB).
    fn two_reports() -> [Measurements; 2] {
        let mut report = report();
        let template = report.benchmarks[0].clone();
        report.benchmarks = (0..200)
            .map(|i| {
                let mut b = template.clone();
                b.id = format!("group/bench/{i}");
                b.time_runs_ns = Vec::new();
                b.kept.time_samples_ns = (0..100).map(|s| 1000.0 + f64::from(s) / 8.0).collect();
                b
            })
            .collect();
        let mut other = report.clone();
        other.benchmarks.truncate(150);
        other.benchmarks[0].alloc.as_mut().unwrap().alloc_objects = 2.0;
        [report, other]
    }

    /// Not a test: the child process of `sigkill_during_save_never_leaves_a_partial_baseline`.
    /// Replaces the baseline with one version (`save`), then the other (`write_atomic` of its
    /// saved bytes, so that most of the time goes to writing), until it is killed.
    #[test]
    #[ignore = "run as a child process by sigkill_during_save_never_leaves_a_partial_baseline"]
    fn save_forever() {
        let (Some(dir), Some(other)) = (std::env::var_os(SAVE_FOREVER_DIR), std::env::var_os(SAVE_FOREVER_OTHER))
        else {
            return;
        };
        let [a, _] = two_reports();
        let b_bytes = fs::read(other).unwrap();
        let path = baseline_path(Path::new(&dir), "main");
        loop {
            save(Path::new(&dir), "main", &a).unwrap();
            write_atomic(&path, &b_bytes).unwrap();
        }
    }

    #[test]
    fn sigkill_during_save_never_leaves_a_partial_baseline() {
        let [a, b] = two_reports();
        let other = tempfile::tempdir().unwrap();
        let b_path = save(other.path(), "main", &b).unwrap();
        let b_bytes = fs::read(&b_path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "main", &a).unwrap();
        let a_bytes = fs::read(&path).unwrap();
        let exe = std::env::current_exe().unwrap();
        let mut seen = [false; 2];
        for round in 0..20u64 {
            let mut child = std::process::Command::new(&exe)
                .args(["--exact", "gate::baseline::tests::save_forever", "--ignored", "--test-threads=1"])
                .env(SAVE_FOREVER_DIR, dir.path())
                .env(SAVE_FOREVER_OTHER, &b_path)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // Kill at a different point each round: before, during and between writes.
            std::thread::sleep(std::time::Duration::from_millis(20 + round * 53 % 300));
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            let bytes = fs::read(&path).unwrap();
            assert!(bytes == a_bytes || bytes == b_bytes, "round {round}: the baseline is neither version");
            seen[usize::from(bytes == b_bytes)] = true;
            load(dir.path(), "main").unwrap_or_else(|e| panic!("round {round}: {e}"));
            // Stray temporary files are not baselines.
            assert_eq!(list(dir.path()), vec!["main".to_string()]);
        }
        assert_eq!(seen, [true, true], "the child never replaced the baseline: the test tested nothing");
    }

    /// A baseline saved before benchmarks had keys: `package` and `target` left out of the file.
    fn without_keys(dir: &Path, report: &Measurements) -> Baseline {
        let path = save(dir, "main", report).unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        for b in value["benchmarks"].as_array_mut().unwrap() {
            let b = b.as_object_mut().unwrap();
            assert!(b.remove("package").is_some() && b.remove("target").is_some());
        }
        fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
        load(dir, "main").unwrap()
    }

    #[test]
    fn an_old_baseline_is_matched_by_id_where_one_benchmark_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = report();
        let mut gone = report.benchmarks[0].clone();
        gone.id = "gone".into();
        report.benchmarks.push(gone);
        let mut base = without_keys(dir.path(), &report);
        assert!(base.benchmarks.iter().all(|b| !b.key().is_placed()));
        // `vec/push` is one benchmark of the run; `map/insert` is in two packages' bench targets.
        let run = [
            BenchmarkKey::new("fixture", "exact", "vec/push"),
            BenchmarkKey::new("json", "parsing", "map/insert"),
            BenchmarkKey::new("toml", "parsing", "map/insert"),
        ];
        place_unplaced(&mut base, &run);
        let keys: Vec<BenchmarkKey> = base.benchmarks.iter().map(|b| b.key()).collect();
        assert_eq!(keys, [run[0].clone(), BenchmarkKey::new("", "", "gone")]);
        assert_eq!(base.benchmarks[0], report.benchmarks[0], "placed, with every figure");
        assert_eq!(
            base.warnings,
            ["baseline `main` does not say which package `map/insert` is from (saved by an older cargo-allocbench), and this run has it in 2 bench targets (json/parsing, toml/parsing): not compared; save the baseline again to compare it"]
        );

        // A baseline that holds one id twice cannot say which is the run's.
        report.benchmarks[1].id = "vec/push".into();
        let mut base = without_keys(dir.path(), &report);
        place_unplaced(&mut base, &run[..1]);
        assert_eq!(base.benchmarks.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["gone"]);
        assert_eq!(
            base.warnings,
            ["baseline `main` does not say which package `vec/push` is from (saved by an older cargo-allocbench), and the baseline holds it 2 times: not compared; save the baseline again to compare it"]
        );

        // A baseline with keys is left as it is.
        save(dir.path(), "main", &report).unwrap();
        let mut keyed = load(dir.path(), "main").unwrap();
        place_unplaced(&mut keyed, &run);
        assert_eq!((keyed.benchmarks, keyed.warnings), (report.benchmarks, Vec::<String>::new()));
    }

    #[test]
    fn non_finite_samples_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = report();
        report.benchmarks[0].kept.time_samples_ns = vec![1.0, f64::NAN, 2.0, f64::INFINITY];
        save(dir.path(), "main", &report).unwrap();
        assert_eq!(load(dir.path(), "main").unwrap().benchmarks[0].kept.time_samples_ns, vec![1.0, 2.0]);
    }
}
