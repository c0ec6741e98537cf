//! The CPU pass: a flame graph and a pprof profile per benchmark, read back by `go tool pprof`,
//! and figures that survive a CPU pass that crashes or hangs.

use libtest_mimic::Trial;

use crate::common::pprof::{go_pprof, top_names};
use crate::common::report::{alloc, bench, compared, report, Report};
use crate::common::tools::{Needs, Tool};
use crate::common::{allocbench, fixture, out_dir, run};

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(hot_function_leads_the_flame_graph_and_pprof_top).needs(Tool::Go),
        trial!(samples_in_the_allocator_stay_under_the_code_that_allocated),
        trial!(a_crash_in_the_cpu_pass_keeps_the_figures),
        trial!(a_hang_in_the_cpu_pass_keeps_the_figures),
        trial!(cpu_share_that_grew_against_a_baseline),
    ]
}

/// Criterion settings that keep the timing pass short; the CPU pass profiles for 2 s.
const SHORT: [&str; 5] = ["--profile-time", "2", "--", "--warm-up-time", "0.2"];

fn hot_function_leads_the_flame_graph_and_pprof_top() {
    let out = out_dir("cpu-hot");
    let manifest = fixture("cpu");
    let mut args = vec!["--manifest-path", manifest.to_str().unwrap(), "--bench", "hot"];
    args.extend(["--out-dir", out.to_str().unwrap(), "--format", "json"]);
    args.extend(SHORT);
    args.extend(["--measurement-time", "0.5"]);
    let o = run(allocbench(&args));
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);
    let b = bench(&r, "cpu/hot");

    let top = &b.cpu.as_ref().unwrap_or_else(|| panic!("a CPU summary: {b:#?}")).top[0];
    assert_eq!(top.function, "cpu_fixture::spin_hot", "{b:#?}");
    assert!(top.self_fraction > 0.5, "{b:#?}");

    let svg_path = out.join(b.artifacts.flamegraph.as_deref().expect("a flame graph path"));
    let svg = std::fs::read_to_string(&svg_path).expect("flamegraph.svg exists where the report says");
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "an SVG");
    assert!(svg.contains("cpu/hot: CPU time"), "titled with the benchmark id");
    assert!(svg.contains("cpu_fixture::spin_hot"), "the hot function is drawn");
    assert!(!svg.contains("criterion::bencher"), "criterion's frames are cut away");
    assert!(svg.contains("search"), "inferno's interactive SVG (search, zoom)");

    let pb = out.join(b.artifacts.cpu_profile.as_deref().expect("a cpu profile path"));
    let top = go_pprof(&["-top"], &pb);
    // The first row after the header is the function with the most flat (self) samples.
    let header = top.lines().position(|l| l.trim_start().starts_with("flat")).expect("pprof's table header");
    let first = top.lines().nth(header + 1).expect("a first row");
    assert!(first.ends_with("cpu_fixture::spin_hot"), "go tool pprof -top:\n{top}");
    let flat_pct: f64 = first.split_whitespace().nth(1).unwrap().trim_end_matches('%').parse().unwrap();
    assert!(flat_pct > 50.0, "go tool pprof -top:\n{top}");
    // At pprof's default options a trait impl keeps its type: pprof cuts `<…>` out of any name
    // it demangles itself, which would leave `::next`.
    let names = top_names(&top);
    assert!(
        names.iter().any(|n| n.starts_with("<cpu_fixture::Spinner as core::") && n.ends_with("Iterator>::next")),
        "go tool pprof -top:\n{top}"
    );
}

/// `cpu/churn` spends much of its time in the global allocator, allocbench's counting one. Those
/// samples belong to the routine's tower, under the code that allocated: no stack of the flame
/// graph is rooted in the allocator or the standard library (a user saw 20 % of a benchmark's
/// samples as roots `LocalKey::try_with`, `AtomicU64::store`, `System::realloc`).
fn samples_in_the_allocator_stay_under_the_code_that_allocated() {
    let out = out_dir("cpu-churn");
    let manifest = fixture("cpu");
    let mut args = vec!["--manifest-path", manifest.to_str().unwrap(), "--bench", "churn"];
    args.extend(["--out-dir", out.to_str().unwrap(), "--format", "json", "--heap-profile", "none"]);
    args.extend(SHORT);
    args.extend(["--measurement-time", "0.3"]);
    let o = run(allocbench(&args));
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);
    let b = bench(&r, "cpu/churn");
    let svg = out.join(b.artifacts.flamegraph.as_deref().unwrap_or_else(|| panic!("a flame graph: {b:#?}")));
    let folded = std::fs::read_to_string(svg.with_file_name("cpu.folded")).expect("cpu.folded beside the graph");

    let (mut total, mut in_allocator, mut criterions) = (0u64, 0u64, 0u64);
    for line in folded.lines() {
        let (stack, count) = line.rsplit_once(' ').expect("`stack count`");
        let count: u64 = count.parse().expect("a sample count");
        let root = stack.split(';').next().unwrap_or_default();
        total += count;
        if root == "[criterion]" {
            criterions += count;
            continue;
        }
        assert_eq!(root, "cpu_fixture::churn", "a stack rooted outside the routine: {line}");
        if stack.contains(";__rustc::__rust_") || stack.contains(";__rust_") {
            in_allocator += count;
        }
    }
    // Not a vacuous pass: the allocator took a good part of the samples, and they are the routine's.
    assert!(in_allocator * 10 >= total, "{in_allocator} of {total} samples in the allocator:\n{folded}");
    assert!(criterions * 10 < total, "{criterions} of {total} samples left to criterion:\n{folded}");
}

fn faulty_run(fault: &str) -> Report {
    let out = out_dir(&format!("cpu-faulty-{fault}"));
    let manifest = fixture("cpu");
    // The timeout covers the timing pass too: long enough for it on a loaded machine (criterion's
    // analysis alone can take seconds there), short enough that the hanging CPU pass is cut soon.
    let mut args = vec!["--manifest-path", manifest.to_str().unwrap(), "--bench", "faulty", "--timeout", "8"];
    args.extend(["--out-dir", out.to_str().unwrap(), "--format", "json"]);
    args.extend(SHORT);
    args.extend(["--measurement-time", "0.3"]);
    let mut cmd = allocbench(&args);
    cmd.env("CPU_FIXTURE_FAULT", fault);
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(0), "a failing CPU pass costs flame graphs, not the run");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("CPU pass of `cpu-fixture/faulty`"), "the failure is reported: {stderr}");
    report(&o)
}

fn a_crash_in_the_cpu_pass_keeps_the_figures() {
    let r = faulty_run("abort");
    let b = bench(&r, "faulty/boxed");
    let a = alloc(&r, "faulty/boxed");
    assert_eq!(a.alloc_objects, 1.0);
    assert_eq!(a.alloc_space, 8.0);
    assert!(b.time.unwrap().typical_ns > 0.0);
    assert!(b.artifacts.flamegraph.is_none());
}

fn a_hang_in_the_cpu_pass_keeps_the_figures() {
    let r = faulty_run("hang");
    let b = bench(&r, "faulty/boxed");
    assert_eq!(alloc(&r, "faulty/boxed").alloc_objects, 1.0);
    assert!(b.time.unwrap().typical_ns > 0.0);
    assert!(b.artifacts.flamegraph.is_none());
}

fn cpu_share_that_grew_against_a_baseline() {
    let out = out_dir("cpu-diff");
    let baselines = out.join("baselines");
    let manifest = fixture("cpu");
    let base_args = |extra: &[&'static str]| {
        let mut args: Vec<String> =
            ["--manifest-path", manifest.to_str().unwrap(), "--bench", "hot"].map(String::from).to_vec();
        args.extend(
            ["--out-dir", out.to_str().unwrap(), "--baseline-dir", baselines.to_str().unwrap()].map(String::from),
        );
        args.extend(["--format", "json"].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(SHORT.map(String::from));
        args.extend(["--measurement-time", "0.3"].map(String::from));
        args
    };
    let save = base_args(&["--save-baseline", "main"]);
    let o = run(allocbench(&save.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(o.status.code(), Some(0));

    let compare = base_args(&["--baseline", "main", "--features", "regress"]);
    let o = run(allocbench(&compare.iter().map(String::as_str).collect::<Vec<_>>()));
    // Time is reported, not gated: the slower code still passes.
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);
    let c = compared(&r, "cpu/hot");
    let grew = c.grew.cpu.first().unwrap_or_else(|| panic!("a function whose share grew: {c:#?}"));
    assert_eq!(grew.function, "cpu_fixture::spin_cold", "{c:#?}");
    assert_eq!(grew.base_share, 0.0);
    assert!(grew.new_share > 0.2, "{c:#?}");
    let diff = bench(&r, "cpu/hot").artifacts.cpu_diff_flamegraph.as_deref().expect("a differential flame graph");
    let svg = std::fs::read_to_string(out.join(diff)).unwrap();
    assert!(svg.contains("spin_cold") && svg.contains("against baseline `main`"));
}
