//! The bundled examples: every allocation problem fails the gate with `--features regress` and
//! passes without; the CPU example's hot function shows in its flame graph.

use std::path::PathBuf;

use libtest_mimic::Trial;

use crate::common::report::{comparisons, report, report_in, Metric, Status};
use crate::common::{allocbench, out_dir, repo, run};

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(every_allocation_example_fails_the_gate_with_regress_only),
        trial!(the_cpu_examples_hot_function_is_in_its_flame_graph),
    ]
}

fn examples() -> PathBuf {
    repo().join("examples/Cargo.toml")
}

fn gate(package: &str, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let manifest = examples();
    let mut args = vec!["--manifest-path", manifest.to_str().unwrap(), "-p", package, "--allocs-only"];
    args.extend([
        "--out-dir",
        out.to_str().unwrap(),
        "--baseline-dir",
        out.to_str().unwrap(),
        "--heap-profile",
        "none",
    ]);
    args.extend(extra);
    run(allocbench(&args))
}

fn every_allocation_example_fails_the_gate_with_regress_only() {
    for (package, metric) in [
        ("json-fanout", Metric::AllocObjects),
        ("buffer-churn", Metric::AllocObjects),
        ("unbounded-history", Metric::InuseSpace),
    ] {
        let out = out_dir(&format!("gate-{package}"));
        assert_eq!(gate(package, &out, &["--save-baseline", "main"]).status.code(), Some(0), "{package}: save");
        assert_eq!(gate(package, &out, &["--baseline", "main"]).status.code(), Some(0), "{package}: A/A passes");

        let o = gate(package, &out, &["--baseline", "main", "--features", "regress"]);
        assert_eq!(o.status.code(), Some(1), "{package}: regress fails the gate");
        let report = report_in(&out);
        let regressed: Vec<_> = comparisons(&report).iter().filter(|b| b.status == Status::Regressed).collect();
        assert!(!regressed.is_empty(), "{package}: {report:#?}");
        for b in regressed {
            let m = b.metrics.iter().find(|m| m.metric == metric).unwrap();
            let name = metric.name();
            assert_eq!(m.status, Status::Regressed, "{package} {}: {name} is what moves: {b:#?}", b.id);
        }
    }
}

fn the_cpu_examples_hot_function_is_in_its_flame_graph() {
    let manifest = examples();
    for (features, expect) in
        [(None, "regex_hotpath::parse_line"), (Some("regress"), "regex::regex::string::Regex::new")]
    {
        let out = out_dir(&format!("gate-regex-{}", features.unwrap_or("good")));
        let mut args =
            vec!["--manifest-path", manifest.to_str().unwrap(), "-p", "regex-hotpath", "--heap-profile", "none"];
        args.extend([
            "--out-dir",
            out.to_str().unwrap(),
            "--profile-time",
            "2",
            "--format",
            "json",
            "logscan/parse_line",
        ]);
        if let Some(f) = features {
            args.extend(["--features", f]);
        }
        args.extend(["--", "--warm-up-time", "0.2", "--measurement-time", "0.5"]);
        let o = run(allocbench(&args));
        assert_eq!(o.status.code(), Some(0));
        let report = report(&o);
        let b = &report.benchmarks[0];
        let svg = std::fs::read_to_string(out.join(b.artifacts.flamegraph.as_deref().unwrap())).unwrap();
        let top = b.cpu.as_ref().map(|c| &c.top);
        assert!(svg.contains(expect), "{features:?}: `{expect}` in the flame graph; top: {top:#?}");
    }
}
