//! Where a benchmark's files go: one folder per benchmark under `<out-dir>/benchmarks/`, named
//! from its id.
//!
//! Ids are the user's text: `/`, spaces, `..`, unicode, control characters, hundreds of bytes.
//! The folder name keeps what is readable of the id (ASCII letters, digits, `-`, `_`, `.`), cut to
//! 48 bytes, then a hash of the whole id: never a path separator, never `.` or `..`, never two
//! ids in one folder. Where two packages (or bench targets) of the run have a benchmark of one id,
//! each one's folder is named from its whole key, `package/target/id`, read and hashed alike, so
//! that neither overwrites the other's files; an id of one benchmark keeps the folder it always
//! had. `report.json` maps each benchmark to its files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use allocbench_formats::fnv1a;
use allocbench_formats::key::{shared_ids, BenchmarkKey};

use crate::report::Benchmark;

/// The folders of a run's benchmarks: knows which ids several benchmarks of the run share.
#[derive(Debug, Clone, Default)]
pub struct Folders {
    shared: BTreeSet<String>,
}

impl Folders {
    /// The folders of the benchmarks of `run` (every benchmark the run measured).
    pub fn new<B: AsRef<Benchmark>>(run: &[B]) -> Folders {
        let keys: Vec<BenchmarkKey> = run.iter().map(|b| b.as_ref().key()).collect();
        Folders { shared: shared_ids(&keys).into_iter().map(str::to_owned).collect() }
    }

    /// The folder of benchmark `key`'s files, relative to the output folder.
    pub fn of(&self, key: &BenchmarkKey) -> PathBuf {
        folder_for(key, self.shared.contains(&key.id))
    }

    /// How the files (flame graph titles, profile comments) name benchmark `key`: as the tables
    /// do, its id, or `package/target: id` where the run has another benchmark of that id.
    pub fn name(&self, key: &BenchmarkKey) -> String {
        if self.shared.contains(&key.id) {
            key.qualified()
        } else {
            key.id.clone()
        }
    }
}

/// The folder of `key`'s files, relative to the output folder: named from its id, or from its
/// whole key when another benchmark of the run has the same id (`shared`).
pub fn folder_for(key: &BenchmarkKey, shared: bool) -> PathBuf {
    let named = if shared { format!("{}/{}/{}", key.package, key.target, key.id) } else { key.id.clone() };
    let mut readable = String::new();
    for c in named.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let c = if keep { c } else { '_' };
        if !(c == '_' && readable.ends_with('_')) {
            readable.push(c);
        }
        if readable.len() >= 48 {
            break;
        }
    }
    let readable = readable.trim_matches(|c| c == '_' || c == '.');
    let hash = fnv1a(named.as_bytes());
    let name = if readable.is_empty() { format!("{hash:016x}") } else { format!("{readable}-{hash:016x}") };
    Path::new("benchmarks").join(name)
}

/// `path` relative to `base`, with `/` separators, as the report stores it.
pub fn relative(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Makes the paths of `artifacts`, relative to folder `from`, relative to folder `to` (both
/// absolute): a merged report links to the files each shard wrote in its own folder.
pub fn rebase(artifacts: &mut allocbench_formats::report::Artifacts, from: &Path, to: &Path) {
    for path in artifacts.paths_mut() {
        *path = relative_between(&from.join(&*path), to);
    }
}

/// Removes what an earlier run left in `<out_dir>/benchmarks/`: the files written before
/// `started` (this run's start) that `report` does not link, such as a flame graph of a
/// benchmark since renamed, or a differential one of a run with a baseline. What this run wrote
/// beside its artifacts (`cpu.folded`) stays. What is uploaded beside a report is then what the
/// report says.
pub fn remove_stale(
    out_dir: &Path,
    report: &allocbench_formats::report::Report,
    started: std::time::SystemTime,
) -> std::io::Result<()> {
    let linked: std::collections::BTreeSet<PathBuf> =
        report.benchmarks.iter().flat_map(|b| b.artifacts.each().map(|(_, p)| out_dir.join(p))).collect();
    // A file system that keeps modification times to the second or two must not make this
    // run's first files look older than the run.
    let before = started - std::time::Duration::from_secs(2);
    remove_unlinked(&out_dir.join("benchmarks"), &linked, before).map(|_| ())
}

/// Removes the files below `dir` last written before `before` and not in `linked`, and the
/// folders left empty; returns whether `dir` is left empty (it is then removed too).
fn remove_unlinked(
    dir: &Path,
    linked: &std::collections::BTreeSet<PathBuf>,
    before: std::time::SystemTime,
) -> std::io::Result<bool> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(false) };
    let mut empty = true;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if path.is_dir() {
            empty &= remove_unlinked(&path, linked, before)?;
        } else if linked.contains(&path) || entry.metadata()?.modified()? >= before {
            empty = false;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    if empty {
        std::fs::remove_dir(dir)?;
    }
    Ok(empty)
}

/// `path` relative to `base`, climbing with `..` where `path` is not below it.
fn relative_between(path: &Path, base: &Path) -> String {
    let (path, base): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let up = base.len() - common;
    let parts = std::iter::repeat_n("..".to_owned(), up)
        .chain(path[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::Component;

    #[test]
    fn an_earlier_runs_files_go_and_the_reports_stay() {
        use allocbench_formats::report::{Artifacts, Benchmark, Report};
        let out = tempfile::tempdir().unwrap();
        let kept = folder_for(&BenchmarkKey::new("p", "t", "kept"), false).join("flamegraph.svg");
        let stale_diff = folder_for(&BenchmarkKey::new("p", "t", "kept"), false).join("flamegraph-diff.svg");
        let gone = folder_for(&BenchmarkKey::new("p", "t", "renamed"), false).join("flamegraph.svg");
        // An earlier run's files, an hour old; this run's folded stacks, not linked, just written.
        let folded = folder_for(&BenchmarkKey::new("p", "t", "kept"), false).join("cpu.folded");
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for f in [&kept, &stale_diff, &gone, &folded] {
            std::fs::create_dir_all(out.path().join(f).parent().unwrap()).unwrap();
            let file = std::fs::File::create(out.path().join(f)).unwrap();
            if f != &folded {
                file.set_modified(an_hour_ago).unwrap();
            }
        }
        let started = std::time::SystemTime::now();
        let mut b = Benchmark::new("kept", "p", "t");
        b.artifacts =
            Artifacts { flamegraph: Some(relative(&out.path().join(&kept), out.path())), ..Artifacts::default() };
        let report = Report {
            schema_version: 1,
            environment: Default::default(),
            benchmarks: vec![b],
            comparison: None,
            verdict: allocbench_formats::verdict::Verdict::Pass,
            warnings: Vec::new(),
            partition: None,
        };
        remove_stale(out.path(), &report, started).unwrap();
        assert!(out.path().join(&kept).exists(), "linked, though old");
        assert!(out.path().join(&folded).exists(), "written by this run");
        assert!(!out.path().join(&stale_diff).exists());
        assert!(
            !out.path().join(folder_for(&BenchmarkKey::new("p", "t", "renamed"), false)).exists(),
            "an emptied folder goes too"
        );
        // Nothing to clean: no folder at all is fine.
        remove_stale(&out.path().join("nowhere"), &report, started).unwrap();
    }

    #[test]
    fn folders_stay_inside_and_never_collide() {
        let long = "x".repeat(500);
        let ids = [
            "group/function/1",
            "group_function_1",
            "../../x",
            "/etc/passwd",
            "..",
            ".",
            "",
            " ",
            "a b",
            "ünïcödé/ベンチ",
            "tab\there",
            "esc\x1b[31m",
            &long,
            "g/f/..",
            "C:\\windows",
        ];
        let mut seen = HashSet::new();
        for id in ids {
            let f = folder_for(&BenchmarkKey::new("p", "t", id), false);
            let parts: Vec<Component> = f.components().collect();
            assert_eq!(parts.len(), 2, "{id:?} -> {f:?}");
            assert!(matches!(parts[1], Component::Normal(_)), "{id:?} -> {f:?}");
            let name = f.file_name().unwrap().to_str().unwrap();
            assert!(name.len() <= 48 + 17 && !name.starts_with('.'), "{id:?} -> {name}");
            assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{name}");
            assert!(seen.insert(f), "{id:?} collides");
        }
    }

    /// Two packages' `parse` get a folder each; a benchmark whose id is its own keeps the folder
    /// its id alone names, whatever its package, as before benchmarks had keys.
    #[test]
    fn two_packages_of_one_id_get_two_folders() {
        let run = [
            Benchmark::new("parse", "json", "parsing"),
            Benchmark::new("parse", "toml", "parsing"),
            Benchmark::new("serialize", "json", "parsing"),
        ];
        let folders = Folders::new(&run);
        let [json, toml, own] = run.each_ref().map(|b| folders.of(&b.key()));
        assert_ne!(json, toml);
        let name = |p: &PathBuf| p.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name(&json).starts_with("json_parsing_parse-"), "{json:?}");
        assert!(name(&toml).starts_with("toml_parsing_parse-"), "{toml:?}");
        // The folder of an id of one benchmark is the id's: `serialize-` and FNV-1a of the id.
        let hash = fnv1a(b"serialize");
        assert_eq!(own, Path::new("benchmarks").join(format!("serialize-{hash:016x}")));
        assert_eq!(Folders::new(&run[..1]).of(&run[0].key()), folder_for(&BenchmarkKey::new("x", "y", "parse"), false));
    }

    #[test]
    fn a_shards_files_are_linked_from_the_merge_folder() {
        let rel = |p: &str, b: &str| relative_between(Path::new(p), Path::new(b));
        assert_eq!(
            rel("/ci/shards/s1/benchmarks/x/flamegraph.svg", "/ci/merged"),
            "../shards/s1/benchmarks/x/flamegraph.svg"
        );
        assert_eq!(rel("/ci/out/shard-1/benchmarks/x/a.svg", "/ci/out"), "shard-1/benchmarks/x/a.svg");
        assert_eq!(rel("/ci/out/benchmarks/x/a.svg", "/ci/out"), "benchmarks/x/a.svg");
    }
}
