//! The real `pprof` crate's criterion profiler behind `with_profiler`, the pattern of many public
//! suites (`fixtures/pprof-profiler`: pprof 0.15, which implements criterion 0.5's `Profiler`,
//! and pprof 0.11, criterion 0.4's): it compiles with the one-line switch, `cargo allocbench`
//! counts exactly what an independent count gives and draws its own flame graph in pprof's place,
//! and plain `cargo bench -- --profile-time N` still calls pprof's profiler as criterion does.
//!
//! As in `compat.rs`, [`oracle`] calls the fixture's routine the way criterion's window holds it
//! and counts with the binary's counting allocator, before the harness starts a thread.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use cargo_allocbench::targets;
use libtest_mimic::Trial;
use pprof_profiler_fixture as fx;

use crate::common::counter::{sink, Expected};
use crate::common::pprof::{go_pprof, top_rows};
use crate::common::report::{alloc, bench, report};
use crate::common::tools::{Needs, Tool};
use crate::common::{allocbench, files_below, fixture, out_dir, run, shared_target};

/// The bench crates of the fixture: (package, bench target, benchmark id). Each is built alone:
/// the pprof 0.11 one asks allocbench for features the other cannot link with.
const SUITES: [(&str, &str, &str); 2] =
    [("pprof15-benches", "flame15", "pprof15/render"), ("pprof11-benches", "flame11", "pprof11/render")];

/// What one iteration of `render` allocates, counted by this binary's allocator.
#[derive(Clone, Copy)]
pub struct Oracle(Expected);

/// Counts the routine. Only while no other thread runs: `main` calls it first.
pub fn oracle() -> Oracle {
    Oracle(Expected::of(|| sink(fx::render(black_box(fx::ITEMS)))))
}

pub fn trials(oracle: Oracle) -> Vec<Trial> {
    vec![
        trial!(pprof_suites_are_counted_exactly, move || pprof_suites_are_counted_exactly(oracle.0)).needs(Tool::Go),
        trial!(a_full_run_draws_allocbenchs_flame_graph_in_pprofs_place),
        trial!(cargo_bench_profile_time_calls_pprofs_profiler),
    ]
}

/// `cargo allocbench --allocs-only` on each suite: every figure equals the independent count, and
/// the heap profile's `flat` column names the code that allocated, not the allocator's growth.
fn pprof_suites_are_counted_exactly(e: Expected) {
    assert!(e.alloc_objects > fx::ITEMS as f64 && e.reallocs > 0.0 && e.free_objects > 0.0, "{e:?}");
    for (package, target, id) in SUITES {
        let out = out_dir(&format!("pprof-profiler-allocs-{package}"));
        let o = run(allocbench(&[
            "--manifest-path",
            fixture("pprof-profiler").to_str().expect("a UTF-8 path"),
            "-p",
            package,
            "--allocs-only",
            "--heap-profile",
            "all",
            "--out-dir",
            out.to_str().expect("a UTF-8 path"),
            "--format",
            "json",
        ]));
        assert_eq!(o.status.code(), Some(0), "{package}");
        let r = report(&o);
        let b = bench(&r, id);
        assert_eq!((b.package.as_str(), b.target.as_str()), (package, target));
        let a = alloc(&r, id);
        e.assert_counted(&a, id);
        assert_eq!(a.peak_space, e.peak_space, "{id}: {a:?}");
        assert!(a.exact, "{id}: {a:?}");

        // `go tool pprof -top`: the functions with bytes of their own are the code that asked
        // for memory (`Vec::reserve` under `String::push_str`, the `String` of `to_string`),
        // never `RawVec`'s growth or the allocator, as Go's own heap profiles hide `runtime.`.
        let pb = out.join(b.artifacts.heap_profile.as_deref().expect("a heap profile"));
        let top = go_pprof(&["-top", "-sample_index=alloc_space"], &pb);
        let flat: Vec<&str> = top_rows(&top).into_iter().filter(|row| !row.trim_start().starts_with("0 ")).collect();
        assert!(!flat.is_empty(), "{top}");
        for row in &flat {
            let internal = ["raw_vec", "alloc::alloc::", "__rust", "allocbench::", "GlobalAlloc"];
            assert!(!internal.iter().any(|i| row.contains(i)), "allocation machinery in `flat`:\n{top}");
        }
        let cum = go_pprof(&["-top", "-cum", "-sample_index=alloc_space"], &pb);
        assert!(cum.contains("pprof_profiler_fixture::render"), "{cum}");
    }
}

/// A full run: allocbench's CPU pass puts its own profiler in pprof's place (two pprof-rs
/// profilers cannot run in one process) and draws `flamegraph.svg`; pprof's profiler never ran.
/// The routine allocates on every line, and no stack of the flame graph is rooted in the
/// allocator or the standard library.
fn a_full_run_draws_allocbenchs_flame_graph_in_pprofs_place() {
    for (package, _, id) in SUITES {
        let out = out_dir(&format!("pprof-profiler-full-{package}"));
        let o = run(allocbench(&[
            "--manifest-path",
            fixture("pprof-profiler").to_str().expect("a UTF-8 path"),
            "-p",
            package,
            "--heap-profile",
            "none",
            "--profile-time",
            "2",
            "--out-dir",
            out.to_str().expect("a UTF-8 path"),
            "--format",
            "json",
            "--",
            "--warm-up-time",
            "0.2",
            "--measurement-time",
            "0.3",
        ]));
        assert_eq!(o.status.code(), Some(0), "{package}");
        let r = report(&o);
        let b = bench(&r, id);
        let svg_path = out.join(b.artifacts.flamegraph.as_deref().unwrap_or_else(|| panic!("a flame graph: {b:?}")));
        let svg = std::fs::read_to_string(&svg_path).expect("flamegraph.svg where the report says");
        assert!(svg.contains(&format!("{id}: CPU time")), "allocbench's flame graph, titled with the id");
        assert!(svg.contains("pprof_profiler_fixture::render"), "the routine is drawn");
        let below = files_below(&out);
        let pprofs = below.iter().filter(|p| p.file_name().is_some_and(|n| n == "flamegraph.svg"));
        assert_eq!(pprofs.count(), 1, "only allocbench's flame graph, not pprof's as well: {below:#?}");

        let folded = std::fs::read_to_string(svg_path.with_file_name("cpu.folded")).expect("cpu.folded beside it");
        assert!(!folded.is_empty(), "{b:?}");
        for line in folded.lines() {
            let root = line.split(';').next().unwrap_or_default();
            let root = root.rsplit_once(' ').map_or(root, |(stack, _)| stack);
            assert!(
                root.starts_with("flame") || root.starts_with("pprof_profiler_fixture::") || root.starts_with('['),
                "a stack rooted outside the benchmark's code: {line}"
            );
        }
    }
}

/// Plain `cargo bench -- --profile-time 2`: criterion calls pprof's profiler, which writes its
/// `flamegraph.svg` in criterion's `profile/` folder of the benchmark.
fn cargo_bench_profile_time_calls_pprofs_profiler() {
    for (package, target, id) in SUITES {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pprof-profiler-home-{package}"));
        let _ = std::fs::remove_dir_all(&home);
        let o = Command::new(targets::cargo())
            .args(["bench", "--quiet", "--manifest-path"])
            .arg(fixture("pprof-profiler"))
            .args(["-p", package, "--bench", target, "--target-dir"])
            .arg(shared_target())
            .args(["--", "--profile-time", "2"])
            .env("CRITERION_HOME", &home)
            .output()
            .expect("run cargo bench");
        assert!(o.status.success(), "{package}: {}", String::from_utf8_lossy(&o.stderr));
        let svg = home.join(id.replace('/', "_")).join("profile").join("flamegraph.svg");
        let svg = std::fs::read_to_string(&svg).unwrap_or_else(|e| panic!("pprof's {}: {e}", svg.display()));
        // pprof's own graph (inferno's, titled "Flame Graph"), with the routine in it.
        assert!(svg.contains("<svg") && svg.contains("Flame Graph"), "{package}: not pprof's flame graph");
        assert!(svg.contains("pprof_profiler_fixture::render"), "{package}: the routine is drawn");
        let ours = ["cpu.folded", "cpu.pb.gz"].map(|f| home.join(id.replace('/', "_")).join("profile").join(f));
        assert!(ours.iter().all(|p| !p.exists()), "allocbench's profiler ran under plain cargo bench");
    }
}
