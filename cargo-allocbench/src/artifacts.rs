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
    let a = artifacts;
    for path in [
        &mut a.flamegraph,
        &mut a.cpu_profile,
        &mut a.heap_profile,
        &mut a.alloc_flamegraph,
        &mut a.cpu_diff_flamegraph,
        &mut a.instructions_flamegraph,
        &mut a.instructions_diff_flamegraph,
    ]
    .into_iter()
    .flatten()
    {
        *path = relative_between(&from.join(&*path), to);
    }
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
