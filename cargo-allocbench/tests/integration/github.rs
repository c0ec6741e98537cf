//! Under GitHub Actions: the Markdown summary goes to `$GITHUB_STEP_SUMMARY`, regressions become
//! `::error` annotations, and `report.html` is written beside `report.json`.

use libtest_mimic::Trial;

use crate::common::{allocbench, fixture, out_dir, run};

pub fn trials() -> Vec<Trial> {
    vec![trial!(step_summary_annotations_and_html_report)]
}

fn step_summary_annotations_and_html_report() {
    let out = out_dir("github");
    let manifest = fixture("exact");
    let summary = out.join("step-summary.md");
    let args = |extra: &[&str]| {
        let mut a = vec!["--manifest-path".to_owned(), manifest.to_str().unwrap().to_owned(), "--allocs-only".into()];
        a.extend(
            ["--out-dir", out.to_str().unwrap(), "--baseline-dir", out.to_str().unwrap(), "vec/iter"].map(String::from),
        );
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let save = args(&["--save-baseline", "main"]);
    assert_eq!(run(allocbench(&save.iter().map(String::as_str).collect::<Vec<_>>())).status.code(), Some(0));

    let compare = args(&["--baseline", "main", "--features", "regress"]);
    let mut cmd = allocbench(&compare.iter().map(String::as_str).collect::<Vec<_>>());
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", &summary);
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let annotation = stderr.lines().find(|l| l.starts_with("::error ")).expect("an ::error annotation");
    assert!(annotation.contains("vec/iter") && annotation.contains("alloc_objects"), "{annotation}");
    let md = std::fs::read_to_string(&summary).expect("the step summary is written");
    assert!(md.contains("allocbench: regressed") && md.contains("vec/iter"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html beside report.json");
    assert!(html.contains("vec/iter") && html.contains("regressed"));

    // Outside Actions: no annotations.
    let o = run(allocbench(&compare.iter().map(String::as_str).collect::<Vec<_>>()));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("::error"));
}
