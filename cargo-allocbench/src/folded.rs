//! Folded stacks, inferno's text form of a profile (`main;encode;write 12`, a stack and its
//! count per line): read, summed by function, and drawn as flame graphs and differential flame
//! graphs. The CPU pass's samples, the instruction pass's call chains and the allocation-site
//! pass's bytes are all folded stacks; the gate reads them to name what grew.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use allocbench_formats::report::TopFunction;

/// How many functions the report lists per benchmark.
pub const TOP: usize = 10;

/// A flame graph that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{path}`: {source}")]
pub struct DrawError {
    /// The SVG's path.
    pub path: PathBuf,
    /// What inferno or the file system said.
    pub source: std::io::Error,
}

/// Parses folded stacks (`a;b;c 12` per line) into stacks and counts.
pub fn parse(text: &str) -> BTreeMap<String, u64> {
    let mut stacks = BTreeMap::new();
    for line in text.lines() {
        if let Some((stack, count)) = line.rsplit_once(' ') {
            if let Ok(n) = count.trim().parse::<u64>() {
                *stacks.entry(stack.to_owned()).or_insert(0) += n;
            }
        }
    }
    stacks
}

/// Functions by self time: the leaf of each stack.
pub fn top_functions(stacks: &BTreeMap<String, u64>, n: usize) -> (u64, Vec<TopFunction>) {
    let total: u64 = stacks.values().sum();
    let mut by_leaf: BTreeMap<&str, u64> = BTreeMap::new();
    for (stack, count) in stacks {
        let leaf = stack.rsplit(';').next().unwrap_or(stack);
        *by_leaf.entry(leaf).or_insert(0) += count;
    }
    let mut top: Vec<TopFunction> = by_leaf
        .into_iter()
        .map(|(f, c)| TopFunction {
            function: f.to_owned(),
            self_samples: c,
            self_fraction: c as f64 / total.max(1) as f64,
        })
        .collect();
    top.sort_by(|a, b| b.self_samples.cmp(&a.self_samples).then_with(|| a.function.cmp(&b.function)));
    top.truncate(n);
    (total, top)
}

/// Draws an inferno flame graph of `stacks` into `path`.
pub fn draw(
    stacks: &BTreeMap<String, u64>,
    title: &str,
    subtitle: &str,
    count_name: &str,
    path: &Path,
) -> Result<(), DrawError> {
    let lines: Vec<String> = stacks.iter().map(|(s, c)| format!("{s} {c}")).collect();
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_owned();
    options.subtitle = Some(subtitle.to_owned());
    options.count_name = count_name.to_owned();
    let mut svg = Vec::new();
    let lines = if lines.is_empty() { vec!["[no samples] 0".to_owned()] } else { lines };
    inferno::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut svg)
        .map_err(|source| DrawError { path: path.to_owned(), source })?;
    fs::write(path, svg).map_err(|source| DrawError { path: path.to_owned(), source })
}

/// A differential flame graph of instruction stacks: counts are per iteration and exact, so the
/// baseline is not scaled (as CPU samples of runs of different lengths must be).
pub fn draw_instructions_diff(base_folded: &str, new_folded: &str, title: &str, path: &Path) -> Result<(), DrawError> {
    let subtitle = "red: more instructions per iteration than the baseline; blue: fewer";
    draw_differential(base_folded, new_folded, title, subtitle, "instructions", false, path)
}

/// A differential flame graph of CPU samples: the baseline scaled to this run's samples.
pub fn draw_diff(base_folded: &str, new_folded: &str, title: &str, path: &Path) -> Result<(), DrawError> {
    let subtitle = "red: more samples than the baseline; blue: fewer (baseline scaled to this run)";
    draw_differential(base_folded, new_folded, title, subtitle, "samples", true, path)
}

/// Draws a differential flame graph: the new profile's shape, red where a stack grew against the
/// baseline, blue where it shrank (with `normalize`, the baseline is first scaled to the new
/// count).
fn draw_differential(
    base_folded: &str,
    new_folded: &str,
    title: &str,
    subtitle: &str,
    count_name: &str,
    normalize: bool,
    path: &Path,
) -> Result<(), DrawError> {
    let write_err = |source| DrawError { path: path.to_owned(), source };
    let mut diff = Vec::new();
    let options = inferno::differential::Options { normalize, ..Default::default() };
    inferno::differential::from_readers(options, base_folded.as_bytes(), new_folded.as_bytes(), &mut diff)
        .map_err(write_err)?;
    let diff = String::from_utf8_lossy(&diff).into_owned();
    let mut flame = inferno::flamegraph::Options::default();
    flame.title = title.to_owned();
    flame.subtitle = Some(subtitle.to_owned());
    flame.count_name = count_name.to_owned();
    let mut svg = Vec::new();
    let lines: Vec<&str> = if diff.trim().is_empty() { vec!["[no samples] 0 0"] } else { diff.lines().collect() };
    inferno::flamegraph::from_lines(&mut flame, lines, &mut svg).map_err(write_err)?;
    fs::write(path, svg).map_err(write_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shares that grew, of the same profiles, are `gate::grown`'s test.
    #[test]
    fn a_differential_graph() {
        let base = "main;encode 50\nmain;sort 50\n";
        let new = "main;encode 80\nmain;sort 20\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.svg");
        draw_diff(base, new, "t", &path).unwrap();
        assert!(fs::read_to_string(&path).unwrap().contains("encode"));
    }

    #[test]
    fn top_counts_leaves() {
        let stacks = parse("a;b;hot 30\na;hot 10\na;b 5\nbad line\nc;d x\n");
        let (total, top) = top_functions(&stacks, 2);
        assert_eq!(total, 45);
        assert_eq!(top[0].function, "hot");
        assert_eq!(top[0].self_samples, 40);
        assert!((top[0].self_fraction - 40.0 / 45.0).abs() < 1e-12);
        assert_eq!(top[1].function, "b");
        assert_eq!(top.len(), 2);
    }

    #[test]
    fn draws_an_svg() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.svg");
        draw(&parse("main;work;hot 7\n"), "t", "s", "samples", &path).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(svg.contains("<svg") && svg.contains("hot"));
    }
}
