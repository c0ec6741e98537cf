//! Where a benchmark's files go: one folder per benchmark under `<out-dir>/benchmarks/`, named
//! from its id.
//!
//! Ids are the user's text: `/`, spaces, `..`, unicode, control characters, hundreds of bytes.
//! The folder name keeps what is readable of the id (ASCII letters, digits, `-`, `_`, `.`), cut to
//! 48 bytes, then a hash of the whole id: never a path separator, never `.` or `..`, never two
//! ids in one folder. `report.json` maps each id to its files.

use std::path::{Path, PathBuf};

use allocbench_formats::fnv1a;

/// The folder of `id`'s files, relative to the output folder.
pub fn folder_for(id: &str) -> PathBuf {
    let mut readable = String::new();
    for c in id.chars() {
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
    let hash = fnv1a(id.as_bytes());
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

/// Removes what an earlier run left in `<out_dir>/benchmarks/` that `report` does not link: a
/// flame graph of a benchmark since renamed, a differential one of a run with a baseline. What
/// is uploaded beside a report is then what the report says.
pub fn remove_stale(out_dir: &Path, report: &allocbench_formats::report::Report) -> std::io::Result<()> {
    let linked: std::collections::BTreeSet<PathBuf> =
        report.benchmarks.iter().flat_map(|b| b.artifacts.each().map(|(_, p)| out_dir.join(p))).collect();
    remove_unlinked(&out_dir.join("benchmarks"), &linked).map(|_| ())
}

/// Removes the files below `dir` that are not in `linked`, and the folders left empty; returns
/// whether `dir` is left empty (it is then removed too).
fn remove_unlinked(dir: &Path, linked: &std::collections::BTreeSet<PathBuf>) -> std::io::Result<bool> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(false) };
    let mut empty = true;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            empty &= remove_unlinked(&path, linked)?;
        } else if linked.contains(&path) {
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
        let kept = folder_for("kept").join("flamegraph.svg");
        let stale_diff = folder_for("kept").join("flamegraph-diff.svg");
        let gone = folder_for("renamed").join("flamegraph.svg");
        for f in [&kept, &stale_diff, &gone] {
            std::fs::create_dir_all(out.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(out.path().join(f), "svg").unwrap();
        }
        let mut b = Benchmark::new("kept", "p", "t");
        b.artifacts =
            Artifacts { flamegraph: Some(relative(&out.path().join(&kept), out.path())), ..Artifacts::default() };
        let report = Report {
            schema_version: 1,
            environment: Default::default(),
            benchmarks: vec![b],
            comparison: None,
            verdict: allocbench_formats::report::Verdict::Pass,
            partition: None,
        };
        remove_stale(out.path(), &report).unwrap();
        assert!(out.path().join(&kept).exists());
        assert!(!out.path().join(&stale_diff).exists());
        assert!(!out.path().join(folder_for("renamed")).exists(), "an emptied folder goes too");
        // Nothing to clean: no folder at all is fine.
        remove_stale(&out.path().join("nowhere"), &report).unwrap();
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
            let f = folder_for(id);
            let parts: Vec<Component> = f.components().collect();
            assert_eq!(parts.len(), 2, "{id:?} -> {f:?}");
            assert!(matches!(parts[1], Component::Normal(_)), "{id:?} -> {f:?}");
            let name = f.file_name().unwrap().to_str().unwrap();
            assert!(name.len() <= 48 + 17 && !name.starts_with('.'), "{id:?} -> {name}");
            assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{name}");
            assert!(seen.insert(f), "{id:?} collides");
        }
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
