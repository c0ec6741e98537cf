//! Two packages of one workspace with one benchmark id, end to end: `fixtures/two-packages`,
//! whose packages tp-alpha and tp-beta both have a bench target `parsing` with a benchmark
//! `parse`, allocating different amounts. They are two benchmarks: each has its own figures
//! (equal to an independent count of its own routine), its own artifact folder, its own
//! baseline figures and verdict; the table names them `package/target: id`. A baseline saved
//! before benchmarks had keys is matched by id where the id names one benchmark, and says in a
//! warning which ids it could not match.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use allocbench_formats::fnv1a;
use libtest_mimic::Trial;
use serde_json::Value;

use crate::common::counter::{sink, Expected};
use crate::common::pprof::go_pprof;
use crate::common::report::{comparisons, report, report_in, Benchmark, Report, Status, Verdict};
use crate::common::tools::{Needs, Tool};
use crate::common::{allocbench, assert_exit, fixture, out_dir, run, stdout};

// The fixture's routines, compiled into this binary to be counted under its allocator.
#[path = "../../../fixtures/two-packages/alpha/src/lib.rs"]
mod tp_alpha;
#[path = "../../../fixtures/two-packages/beta/src/lib.rs"]
mod tp_beta;

/// What one iteration of each benchmark allocates, counted by this binary's allocator on the
/// routines the bench targets call, with their inputs.
pub struct Oracle {
    alpha_parse: Expected,
    alpha_parse_large: Expected,
    beta_parse: Expected,
}

/// Counts the fixture's routines. Only while no other thread runs: `main` calls it first.
pub fn oracle() -> Oracle {
    use std::hint::black_box;
    Oracle {
        alpha_parse: Expected::of(|| sink(tp_alpha::parse(black_box(&[7; 64])))),
        alpha_parse_large: Expected::of(|| sink(tp_alpha::parse(black_box(&[7; 4096])))),
        beta_parse: Expected::of(|| sink(tp_beta::parse(black_box("a bb ccc")))),
    }
}

pub fn trials(oracle: Oracle) -> Vec<Trial> {
    let oracle = Arc::new(oracle);
    vec![
        trial!(each_package_keeps_its_figures_folder_and_verdict, move || {
            each_package_keeps_its_figures_folder_and_verdict(&oracle)
        })
        .needs(Tool::Go),
        trial!(an_old_baseline_is_matched_by_id_where_one_benchmark_has_it),
    ]
}

/// `cargo allocbench` on the fixture, allocations only, with its report in `out` and its
/// baselines in `out/baselines`, then `args`.
fn allocbench_on(out: &Path, args: &[&str]) -> Command {
    let manifest = fixture("two-packages");
    let baselines = out.join("baselines");
    let mut all = vec![
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--baseline-dir",
        baselines.to_str().unwrap(),
        "--allocs-only",
    ];
    all.extend_from_slice(args);
    allocbench(&all)
}

/// Benchmark `id` of `package`.
fn of<'a>(report: &'a Report, package: &str, id: &str) -> &'a Benchmark {
    let found: Vec<&Benchmark> = report.benchmarks.iter().filter(|b| b.package == package && b.id == id).collect();
    assert_eq!(found.len(), 1, "one benchmark `{id}` of `{package}` expected in {report:#?}");
    found[0]
}

fn each_package_keeps_its_figures_folder_and_verdict(oracle: &Oracle) {
    // The two `parse` differ: a mix-up of the two would show.
    assert_ne!(oracle.alpha_parse.alloc_objects, oracle.beta_parse.alloc_objects);
    assert!(oracle.alpha_parse.alloc_objects >= 1.0 && oracle.beta_parse.alloc_objects >= 1.0);

    let out = out_dir("two-packages");
    let saved = run(allocbench_on(&out, &["--heap-profile", "all", "--save-baseline", "main", "--format", "json"]));
    assert_exit(&saved, 0, "the run that saves the baseline");
    let r = report(&saved);
    assert_eq!(r.benchmarks.len(), 3, "{r:#?}");
    let alpha = of(&r, "tp-alpha", "parse");
    let beta = of(&r, "tp-beta", "parse");
    let large = of(&r, "tp-alpha", "parse/large");
    for (b, expected) in [(alpha, &oracle.alpha_parse), (beta, &oracle.beta_parse), (large, &oracle.alpha_parse_large)]
    {
        assert_eq!(b.target, "parsing");
        let figures = b.alloc.unwrap_or_else(|| panic!("no figures: {b:#?}"));
        assert!(figures.exact, "{b:#?}");
        expected.assert_counted(&figures, &format!("{}/{}: {}", b.package, b.target, b.id));
    }

    // Each `parse` has a folder of its own, with its own heap profile; an id of one benchmark
    // keeps the folder its id names, as before benchmarks had keys.
    let folder = |b: &Benchmark| {
        let profile = b.artifacts.heap_profile.as_deref().unwrap_or_else(|| panic!("no heap profile: {b:#?}"));
        assert!(out.join(profile).is_file(), "{profile} is not written");
        Path::new(profile).parent().unwrap().to_owned()
    };
    assert_ne!(folder(alpha), folder(beta));
    // Each profile names its benchmark with its package, as the table does; `go tool pprof` says.
    for b in [alpha, beta] {
        let top = go_pprof(&["-top"], &out.join(b.artifacts.heap_profile.as_deref().unwrap()));
        assert!(top.contains(&format!("allocbench: {}/parsing: parse: ", b.package)), "{top}");
    }
    assert_eq!(folder(large), Path::new("benchmarks").join(format!("parse_large-{:016x}", fnv1a(b"parse/large"))));
    // Each one's sites are its own package's.
    let names = |b: &Benchmark| -> String {
        b.sites.iter().map(|s| format!("{} {}", s.function, s.caller.as_deref().unwrap_or(""))).collect()
    };
    assert!(names(alpha).contains("tp_alpha::") && !names(alpha).contains("tp_beta::"), "{:#?}", alpha.sites);
    assert!(names(beta).contains("tp_beta::") && !names(beta).contains("tp_alpha::"), "{:#?}", beta.sites);

    // Unchanged code against its own baseline: every benchmark passes, none improved.
    let compared = run(allocbench_on(&out, &["--baseline", "main"]));
    assert_exit(&compared, 0, "the comparison with the baseline");
    let r = report_in(&out);
    assert_eq!(r.verdict, Verdict::Pass);
    let outcome: Vec<(&str, &str, &str, Status)> =
        comparisons(&r).iter().map(|c| (c.package.as_str(), c.target.as_str(), c.id.as_str(), c.status)).collect();
    assert_eq!(
        outcome,
        [
            ("tp-alpha", "parsing", "parse", Status::Pass),
            ("tp-alpha", "parsing", "parse/large", Status::Pass),
            ("tp-beta", "parsing", "parse", Status::Pass),
        ]
    );
    for c in comparisons(&r) {
        assert!(c.metrics.iter().all(|m| m.status == Status::Pass), "{c:#?}");
    }
    // The table names the two `parse` by package and target, the id of one benchmark by itself.
    let table = stdout(&compared);
    let starts = |prefix: &str| table.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(
        (starts("tp-alpha/parsing: parse "), starts("tp-beta/parsing: parse "), starts("parse/large ")),
        (1, 1, 1),
        "{table}"
    );
}

fn an_old_baseline_is_matched_by_id_where_one_benchmark_has_it() {
    let out = out_dir("two-packages-old-baseline");
    let saved = run(allocbench_on(&out, &["--save-baseline", "main"]));
    assert_exit(&saved, 0, "the run that saves the baseline");
    // The baseline as a cargo-allocbench that did not store keys wrote it.
    let path = out.join("baselines").join("main.json");
    let mut value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for b in value["benchmarks"].as_array_mut().unwrap() {
        let b = b.as_object_mut().unwrap();
        assert!(b.remove("package").is_some() && b.remove("target").is_some(), "{b:?}");
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();

    let compared = run(allocbench_on(&out, &["--baseline", "main", "--format", "json"]));
    assert_exit(&compared, 0, "the comparison with the old baseline");
    let r = report(&compared);
    let c = r.comparison.as_ref().unwrap();
    assert_eq!(
        c.warnings,
        ["baseline `main` does not say which package `parse` is from (saved by an older cargo-allocbench), and this run has it in 2 bench targets (tp-alpha/parsing, tp-beta/parsing): not compared; save the baseline again to compare it"]
    );
    let outcome: Vec<(&str, &str, Status)> =
        c.benchmarks.iter().map(|b| (b.package.as_str(), b.id.as_str(), b.status)).collect();
    assert_eq!(
        outcome,
        [
            ("tp-alpha", "parse", Status::New),
            ("tp-alpha", "parse/large", Status::Pass),
            ("tp-beta", "parse", Status::New)
        ]
    );
    let large = c.benchmarks.iter().find(|b| b.id == "parse/large").unwrap();
    assert!(large.metrics.iter().all(|m| m.status == Status::Pass && m.base == m.new), "{large:#?}");
    assert_eq!(r.verdict, Verdict::Pass);
}
