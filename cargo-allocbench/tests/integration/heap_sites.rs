//! The allocation-site pass: sites that add up to the figures, heap profiles that `go tool
//! pprof` reads (all four sample types, and `-diff_base`), and the site that grew named when a
//! change marshals JSON once per client.

use std::path::Path;

use libtest_mimic::Trial;

use crate::common::pprof::{go_pprof, top_names};
use crate::common::report::{bench, compared, report, report_in, Status};
use crate::common::tools::{Needs, Tool};
use crate::common::{allocbench, fixture, out_dir, repo, run};

pub fn trials() -> Vec<Trial> {
    vec![
        trial!(sites_add_up_and_pprof_reads_every_profile).needs(Tool::Go),
        trial!(the_site_that_grew_is_named).needs(Tool::Go),
    ]
}

/// Sums of each sample type over `go tool pprof -raw`'s samples.
fn raw_totals(profile: &Path) -> [i64; 4] {
    let raw = go_pprof(&["-raw"], profile);
    let mut totals = [0i64; 4];
    let samples = raw.lines().skip_while(|l| !l.starts_with("Samples:")).skip(2);
    for line in samples.take_while(|l| l.contains(':') && !l.starts_with("Locations")) {
        let values = line.split(':').next().unwrap_or_default();
        for (t, v) in totals.iter_mut().zip(values.split_whitespace()) {
            *t += v.parse::<i64>().unwrap();
        }
    }
    totals
}

fn sites_add_up_and_pprof_reads_every_profile() {
    let out = out_dir("heap-exact");
    let baselines = out.join("baselines");
    let manifest = fixture("exact");
    let args = |extra: &[&str]| {
        let mut a: Vec<String> =
            ["--manifest-path", manifest.to_str().unwrap(), "--allocs-only"].map(String::from).to_vec();
        a.extend(["--out-dir", out.to_str().unwrap(), "--baseline-dir", baselines.to_str().unwrap()].map(String::from));
        a.extend(["--heap-profile", "all", "--format", "json"].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let save = args(&["--save-baseline", "base"]);
    let o = run(allocbench(&save.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(o.status.code(), Some(0));
    let compare = args(&["--baseline", "base"]);
    let o = run(allocbench(&compare.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(o.status.code(), Some(0));
    let r = report(&o);

    let mut checked = 0;
    for b in &r.benchmarks {
        let id = &b.id;
        let a = b.alloc.unwrap_or_else(|| panic!("{id}: no figures"));
        if a.approximate || a.alloc_objects == 0.0 {
            continue;
        }
        let sites = &b.sites;
        assert!(!sites.is_empty(), "{id}: no sites");
        assert_eq!(sites.iter().map(|s| s.alloc_objects).sum::<f64>(), a.alloc_objects, "{id}: sites {sites:#?}");
        assert_eq!(sites.iter().map(|s| s.alloc_space).sum::<f64>(), a.alloc_space, "{id}: sites {sites:#?}");

        let pb = out.join(b.artifacts.heap_profile.as_deref().unwrap());
        let totals = raw_totals(&pb);
        assert_eq!(totals[0] as f64, a.alloc_objects, "{id}: pprof's alloc_objects");
        assert_eq!(totals[1] as f64, a.alloc_space, "{id}: pprof's alloc_space");
        for t in ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"] {
            let top = go_pprof(&["-top", &format!("-sample_index={t}")], &pb);
            assert!(top.contains(&format!("Type: {t}")), "{id}: {top}");
            // pprof's default demangling cuts `<…>` out of names it takes for C++: a trait impl
            // `<Vec<T,A> as SpecExtend<..>>::spec_extend` would be left as `::spec_extend`.
            let cut: Vec<String> = top_names(&top).into_iter().filter(|n| n.starts_with("::")).collect();
            assert!(cut.is_empty(), "{id}: names lost their type: {cut:?}\n{top}");
        }
        // Every benchmark's baseline has stacks, so every one has a base profile to diff.
        let base = pb.with_file_name("heap-base.pb.gz");
        assert!(base.exists(), "{id}: no heap-base.pb.gz");
        let diff = go_pprof(&["-top", "-diff_base", base.to_str().unwrap()], &pb);
        assert!(diff.contains("Type: alloc_space"), "{id}: {diff}");
        checked += 1;
    }
    assert!(checked >= 10, "every allocating benchmark checked ({checked})");

    let site = &bench(&r, "vec/iter").sites[0];
    assert_eq!(site.function, "exact_fixture::vec_sum");
    assert!(site.file.as_deref().unwrap().ends_with("fixtures/exact/src/lib.rs"));
}

fn the_site_that_grew_is_named() {
    let out = out_dir("heap-fanout");
    let baselines = out.join("baselines");
    let manifest = repo().join("examples/Cargo.toml");
    let args = |extra: &[&str]| {
        let mut a: Vec<String> = ["--manifest-path", manifest.to_str().unwrap(), "-p", "json-fanout", "--allocs-only"]
            .map(String::from)
            .to_vec();
        a.extend(["--out-dir", out.to_str().unwrap(), "--baseline-dir", baselines.to_str().unwrap()].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("fanout/push/16".into());
        a
    };
    let save = args(&["--save-baseline", "main", "--heap-profile", "all"]);
    assert_eq!(run(allocbench(&save.iter().map(String::as_str).collect::<Vec<_>>())).status.code(), Some(0));

    // Under --allocs-only the allocation-site pass runs for the regressed benchmarks only.
    let mut compare = args(&["--baseline", "main", "--features", "regress", "--format", "json"]);
    compare.retain(|a| a != "--format" && a != "json");
    let o = run(allocbench(&compare.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(o.status.code(), Some(1));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("allocates more: serde_json::"), "{table}");
    assert!(table.contains("called from json_fanout::Hub::notify_clients"), "{table}");

    let r = report_in(&out);
    let c = compared(&r, "fanout/push/16");
    assert_eq!(c.status, Status::Regressed);
    let grew = c.grew.sites.first().unwrap_or_else(|| panic!("a site that grew: {c:#?}"));
    assert!(grew.function.starts_with("serde_json::"), "{c:#?}");
    assert_eq!(grew.caller.as_deref(), Some("json_fanout::Hub::notify_clients"), "{c:#?}");
    assert!(grew.new_alloc_objects > grew.base_alloc_objects);

    // At pprof's default options, serde_json's trait impls keep the type that names the library.
    let b = bench(&r, "fanout/push/16");
    let pb = out.join(b.artifacts.heap_profile.as_deref().expect("a heap profile"));
    let top = go_pprof(&["-top", "-sample_index=alloc_space"], &pb);
    let names = top_names(&top);
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("<&mut serde_json::ser::Serializer<W,F> as ") && n.ends_with(">::serialize_str")),
        "go tool pprof -top:\n{top}"
    );
}
