//! The instruction pass's counting: instructions executed per iteration, counted by valgrind's
//! callgrind, which does not drift with the machine's load as time does.
//!
//! The bench process runs under `valgrind --tool=callgrind --collect-atstart=no`; the harness
//! turns collection on and off at exactly the points where it reads the allocator, zeroes what
//! criterion's warm-up collected, and dumps each counted sample's count to a file of its own
//! (`callgrind.out.<pid>.<part>`), naming the part in the sample's record (see the harness's
//! `callgrind` module: it counts the first four samples of a benchmark, and runs an empty loop
//! for the others). Here each counted sample's count is read back from its dump and the
//! per-iteration figure is the slope across samples of different iteration counts, as for the
//! allocation figures, so one-off work and the window's own few instructions drop out.
//!
//! Where the instructions went comes from the same dumps: each function's *self* instructions
//! (those of its own code, not of what it calls), added over the samples and divided by their
//! iterations.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use allocbench_formats::frames::routine_start;
use allocbench_formats::report::{InstructionFigures, InstructionFunction};

use crate::passes::figures::slope;
use crate::passes::records::{Joined, Recorded};

/// Valgrind's program name.
pub const VALGRIND: &str = "valgrind";

/// Functions listed per benchmark, by self instructions.
pub const TOP_FUNCTIONS: usize = 10;

/// How many callers callgrind keeps per function context: criterion's and allocbench's frames
/// above the routine are about fifteen, the rest is the benchmark's own depth.
pub const CALL_CHAIN_DEPTH: u32 = 24;

/// How many times longer a benchmark takes under callgrind than natively, about: the pass's
/// timeout is the run's `--timeout` times this.
pub const SLOWDOWN: u32 = 50;

/// What went wrong reading callgrind's output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstructionsError {
    #[error("`--instructions` runs the benchmarks under valgrind's callgrind, and `{VALGRIND}` cannot be started ({error}): install valgrind (Debian and Ubuntu: `apt-get install valgrind`; Fedora: `dnf install valgrind`), or leave `--instructions` out")]
    NoValgrind { error: std::io::Error },
    #[error("cannot read callgrind's dump `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("callgrind's dump `{path}` has no `summary:` or `totals:` line: is it callgrind's output?")]
    NoTotal { path: PathBuf },
}

/// Checks that valgrind can be started, before anything is built.
pub fn check_valgrind() -> Result<(), InstructionsError> {
    std::process::Command::new(VALGRIND)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|_| ())
        .map_err(|error| InstructionsError::NoValgrind { error })
}

/// The program and arguments a bench executable runs under in this pass, writing its dumps in
/// `dir`; with `call_chains`, costs per call chain, for the flame graphs (they take the pass
/// from about 8 to about 10 times the run time of `--allocs-only`: docs/performance.md §8).
pub fn wrapper(dir: &Path, call_chains: bool) -> Vec<OsString> {
    let mut out_file = OsString::from("--callgrind-out-file=");
    out_file.push(dir.join("callgrind.out.%p"));
    let mut args: Vec<OsString> = vec![
        VALGRIND.into(),
        "--tool=callgrind".into(),
        // Nothing is counted until the harness opens a window.
        "--collect-atstart=no".into(),
        // Only totals per function are read: no per-line costs, smaller dumps.
        "--dump-line=no".into(),
        // Compressed names are defined once per process, in whichever dump first has them: each
        // dump must name its functions itself.
        "--compress-strings=no".into(),
        "--quiet".into(),
        out_file,
    ];
    if call_chains {
        // Costs per call chain (`leaf'caller'caller…`), not per function alone: the chains are
        // the flame graph's stacks, deep enough to reach from criterion's loop to the leaf.
        args.push(format!("--separate-callers={CALL_CHAIN_DEPTH}").into());
    }
    args
}

/// The program that copies an executable without its debug information (binutils).
pub const OBJCOPY: &str = "objcopy";

/// A copy of `exe` without its debug information, in `dir`, or `None` when it cannot be made
/// (no `objcopy`: valgrind then runs `exe` itself, and the figures are the same).
///
/// Valgrind reads an executable's debug information at every start, though callgrind takes
/// function names from the symbol table, which the copy keeps: for the examples' bench targets
/// (81 MB, nearly all of it DWARF from `debug = true`) that was about half a second per
/// process, a quarter of a bench target's run in this pass (docs/performance.md §15).
pub fn without_debug_info(exe: &Path, dir: &Path) -> Option<PathBuf> {
    let copy = dir.join(exe.file_name()?);
    let made = std::process::Command::new(OBJCOPY)
        .arg("--strip-debug")
        .arg(exe)
        .arg(&copy)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match made {
        Ok(status) if status.success() => Some(copy),
        _ => {
            let _ = fs::remove_file(&copy);
            None
        }
    }
}

/// The dump of part `part` of process `pid` in `dir`.
pub fn dump_path(dir: &Path, pid: u32, part: u32) -> PathBuf {
    dir.join(format!("callgrind.out.{pid}.{part}"))
}

/// One dump: its instructions in all, and per function its self instructions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dump {
    pub total: u64,
    pub functions: BTreeMap<String, u64>,
}

/// Reads one dump (callgrind's format, with or without name compression).
pub fn read_dump(path: &Path) -> Result<Dump, InstructionsError> {
    let text = fs::read_to_string(path).map_err(|source| InstructionsError::Read { path: path.to_owned(), source })?;
    parse_dump(&text).ok_or_else(|| InstructionsError::NoTotal { path: path.to_owned() })
}

/// Parses callgrind's format: `fn=` starts a function's cost lines; `calls=` announces that the
/// next cost line is a call's inclusive cost, which is the callee's, not the caller's own.
fn parse_dump(text: &str) -> Option<Dump> {
    let mut total = None;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut functions: BTreeMap<String, u64> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut next_is_call = false;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")) {
            total = v.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).or(total);
            continue;
        }
        if let Some(name) = line.strip_prefix("fn=") {
            current = Some(resolve(&mut names, name));
            continue;
        }
        if line.starts_with("calls=") {
            next_is_call = true;
            continue;
        }
        let first = line.bytes().next();
        let is_cost = matches!(first, Some(b'0'..=b'9' | b'+' | b'-' | b'*'));
        if !is_cost {
            continue;
        }
        if std::mem::take(&mut next_is_call) {
            continue;
        }
        // `position cost`: with `--dump-line=no` the position is absent and the line is the cost.
        let mut fields = line.split_whitespace();
        let (a, b) = (fields.next(), fields.next());
        let cost = b.or(a).and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
        if let Some(f) = &current {
            *functions.entry(f.clone()).or_insert(0) += cost;
        }
    }
    Some(Dump { total: total?, functions })
}

/// A compressed name `(id) name` defines `id`; a later `(id)` refers to it.
fn resolve(names: &mut BTreeMap<String, String>, field: &str) -> String {
    let field = field.trim();
    if let Some(rest) = field.strip_prefix('(') {
        if let Some((id, name)) = rest.split_once(')') {
            let name = name.trim();
            if name.is_empty() {
                return names.get(id).cloned().unwrap_or_else(|| format!("({id})"));
            }
            names.insert(id.to_owned(), name.to_owned());
            return name.to_owned();
        }
    }
    field.to_owned()
}

/// What the instruction pass found for one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    /// The figures of the report.
    pub figures: InstructionFigures,
    /// Self instructions per iteration by call chain, folded as inferno reads them
    /// (`root;...;leaf COUNT`, one line per stack: chains that fold alike are added up),
    /// criterion's and allocbench's frames cut away.
    pub folded: String,
}

/// The figures of `rec`, joined with criterion's samples, from the dumps in `dir`; `None` when
/// the record names no dumps (not the instruction pass, or not under valgrind) or its counted
/// samples ran one iteration count only. The harness counts the first few samples only (its
/// `callgrind::COUNTED_SAMPLES`): the others name no dump and are left out.
pub fn measure(rec: &Recorded, joined: &Joined, dir: &Path) -> Result<Option<Counted>, InstructionsError> {
    let Some(pid) = rec.pid else { return Ok(None) };
    let mut points = Vec::with_capacity(joined.samples.len());
    let mut dumps = Vec::with_capacity(joined.samples.len());
    for (sample, record) in joined.samples.iter().zip(&joined.records) {
        let Some(part) = record.callgrind_part else { continue };
        let dump = read_dump(&dump_path(dir, pid, part))?;
        points.push((sample.iters, dump.total));
        dumps.push((sample.iters, dump.functions));
    }
    let Some((instructions, exact)) = slope(&points) else { return Ok(None) };
    // Per call chain, then per function: each by the same slope as the total, so that what a
    // sample does once (a first call's lazy work) is not spread over its iterations.
    let chains: std::collections::BTreeSet<&String> = dumps.iter().flat_map(|(_, f)| f.keys()).collect();
    let mut by_function: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    let mut stacks: BTreeMap<String, u64> = BTreeMap::new();
    for chain in chains {
        let points: Vec<(u64, u64)> =
            dumps.iter().map(|(iters, f)| (*iters, f.get(chain).copied().unwrap_or(0))).collect();
        let leaf = chain.split('\'').next().unwrap_or(chain);
        let summed = by_function.entry(leaf).or_insert_with(|| points.iter().map(|(n, _)| (*n, 0)).collect());
        for (s, (_, c)) in summed.iter_mut().zip(&points) {
            s.1 += c;
        }
        if let Some((per_iteration, _)) = slope(&points) {
            let rounded = per_iteration.round();
            if rounded >= 1.0 {
                *stacks.entry(fold(chain)).or_insert(0) += rounded as u64;
            }
        }
    }
    let mut functions: Vec<InstructionFunction> = by_function
        .into_iter()
        .filter_map(|(name, points)| {
            let (per_iteration, _) = slope(&points)?;
            (per_iteration >= 0.5)
                .then(|| InstructionFunction { function: name.to_owned(), self_instructions: per_iteration })
        })
        .collect();
    functions
        .sort_by(|a, b| b.self_instructions.total_cmp(&a.self_instructions).then_with(|| a.function.cmp(&b.function)));
    functions.truncate(TOP_FUNCTIONS);
    let folded = stacks.iter().map(|(s, c)| format!("{s} {c}\n")).collect();
    Ok(Some(Counted { figures: InstructionFigures { instructions, exact, functions }, folded }))
}

/// A callgrind context `leaf'caller'...'root` as a folded stack `root;...;leaf`, with the
/// frames from the root down to the last of criterion's or allocbench's above the routine cut
/// away ([`routine_start`]: never at allocbench's allocator), so that the benchmark's routine is
/// the root, as in the CPU flame graph.
pub fn fold(chain: &str) -> String {
    let root_first: Vec<String> = chain.rsplit('\'').map(allocbench_formats::frames::clean_name).collect();
    let cut = routine_start(&root_first).unwrap_or(0);
    let kept =
        if cut < root_first.len() { &root_first[cut..] } else { &root_first[root_first.len().saturating_sub(1)..] };
    kept.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump as callgrind 3.19 writes it with `--dump-line=no` and name compression.
    const DUMP: &str = "# callgrind format\nversion: 1\npart: 3\n\nevents: Ir\nsummary: 582\n\n\
ob=(3) /usr/lib/x86_64-linux-gnu/libc.so.6\nfl=(183) ./malloc/malloc.c\nfn=(1030) _int_free\n9\n\n\
ob=(7) /bench\nfl=(253) src/lib.rs\nfn=(1206) exact::main\ncfn=(3498) criterion::Bencher<M>::iter\ncalls=1 0\n500\n40\n\n\
fn=(1030)\n33\ntotals: 582\n";

    #[test]
    fn self_costs_leave_calls_out() {
        let d = parse_dump(DUMP).unwrap();
        assert_eq!(d.total, 582);
        assert_eq!(d.functions["_int_free"], 9 + 33);
        // 500 is the call's inclusive cost, the callee's: only the 40 are main's own.
        assert_eq!(d.functions["exact::main"], 40);
        assert!(parse_dump("events: Ir\n").is_none());
    }

    #[test]
    fn the_copy_without_debug_info_keeps_the_symbols() {
        let exe = std::env::current_exe().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let Some(copy) = without_debug_info(&exe, dir.path()) else {
            // No objcopy here: valgrind runs the executable itself.
            assert!(std::process::Command::new(OBJCOPY).arg("--version").output().is_err());
            return;
        };
        assert_eq!(copy.file_name(), exe.file_name());
        let (size, copied) = (fs::metadata(&exe).unwrap().len(), fs::metadata(&copy).unwrap().len());
        assert!(copied > 0 && copied <= size, "{copied} of {size} bytes");
        // The symbol table stays: this test's own function is named in it.
        let bytes = fs::read(&copy).unwrap();
        let name = b"the_copy_without_debug_info_keeps_the_symbols";
        assert!(bytes.windows(name.len()).any(|w| w == name));
        assert!(without_debug_info(Path::new("/nonexistent/allocbench-bench"), dir.path()).is_none());
    }

    #[test]
    fn chains_fold_with_the_harness_cut_away() {
        let chain = "checksum'criterion::bencher::Bencher<M>::iter'allocbench::record::around_routine'hot::main'main";
        assert_eq!(fold(chain), "checksum");
        assert_eq!(fold("leaf'user::f'criterion::bencher::Bencher<M>::iter'main"), "user::f;leaf");
        assert_eq!(fold("hot::main'main"), "main;hot::main");
        assert_eq!(fold("criterion::x'main"), "criterion::x");
    }
}
