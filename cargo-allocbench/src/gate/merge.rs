//! Shards (`--partition`) against one baseline, and back into one report: the share of a
//! baseline a shard compares with, and `cargo allocbench merge`, which joins the shards' reports
//! into the report, comparison and verdict one unsplit run gives.
//!
//! A shard compares its benchmarks with the same benchmarks of the baseline. A benchmark only a
//! whole baseline has (removed since) is shard 1's to report missing: it costs no measuring, and
//! so the missing ones keep the baseline's order. The merge orders the benchmarks as the listing
//! does, which is the order an unsplit run measures them in, and the missing ones after them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use allocbench_formats::comparison::Comparison;
use allocbench_formats::key::BenchmarkKey;
use allocbench_formats::partition::{position, Partition, PartitionSpec};

use crate::gate::baseline::Baseline;
use crate::report::{Report, Verdict, SCHEMA_VERSION};

/// Why shards cannot be compared or joined. One line each, naming the file and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    #[error("cannot read shard report `{}`: {detail}", path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("`{}` is report.json schema version {found}, this cargo-allocbench reads {SCHEMA_VERSION}: merge reports written by one version", path.display())]
    Schema { path: PathBuf, found: u32 },
    #[error("`{}` is not a shard's report: measure each shard with `--partition hash:K/N` (or count:K/N)", path.display())]
    NotAShard { path: PathBuf },
    #[error("`{}` and `{}` are both shard {spec}: give each shard's report once", first.display(), second.display())]
    Duplicate { spec: PartitionSpec, first: PathBuf, second: PathBuf },
    #[error("`{}` is shard {found}, `{}` shard {expected}: every shard of one merge is of the same partition", path.display(), first.display())]
    OtherPartition { path: PathBuf, found: PartitionSpec, first: PathBuf, expected: PartitionSpec },
    #[error("shard {missing} is missing: give the reports of all {total} shards (found {found})")]
    Missing { missing: String, total: u32, found: String },
    #[error("`{}` {what}, `{}` {other}: merge shards of one revision and one command", path.display(), first.display())]
    Mismatch { path: PathBuf, what: String, first: PathBuf, other: String },
    #[error("no shard reports given: `cargo allocbench merge DIR/report.json...`")]
    NoReports,
    #[error(
        "baseline `{name}` holds {held} of the benchmarks, and this run measures {run}: compare each shard with the baseline that shard saved, or with a whole one"
    )]
    BaselineShard { name: String, held: String, run: String },
}

/// Reads a shard's `report.json`.
pub fn read_report(path: &Path) -> Result<Report, MergeError> {
    let unreadable = |detail: String| MergeError::Unreadable { path: path.to_owned(), detail };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| unreadable(format!("not JSON ({e})")))?;
    match value.get("schema_version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(MergeError::Schema { path: path.to_owned(), found: u32::try_from(v).unwrap_or(u32::MAX) })
        }
        None => return Err(unreadable("no `schema_version`: not a report.json".into())),
    }
    serde_json::from_value(value).map_err(|e| unreadable(format!("not a report.json ({e})")))
}

/// The part of `base` that this run's shard (`partition`, `None` for an unsplit run) compares
/// with. Refuses a baseline saved by another shard: its benchmarks would all be "new".
pub fn share_of_baseline(base: &mut Baseline, partition: Option<&Partition>) -> Result<(), MergeError> {
    let spec = partition.map(|p| p.spec);
    let shard_text = |s: Option<PartitionSpec>| s.map_or("every one".to_owned(), |s| format!("shard {s}"));
    if base.partition.is_some() && base.partition != spec {
        return Err(MergeError::BaselineShard {
            name: base.name.clone(),
            held: shard_text(base.partition),
            run: shard_text(spec),
        });
    }
    let Some(partition) = partition else { return Ok(()) };
    let spec = partition.spec;
    base.benchmarks.retain(|b| match position(&partition.listed, &b.key()) {
        Some(i) => spec.contains(&partition.listed, i),
        None if base.partition.is_some() => true,
        None => spec.shard == 1,
    });
    Ok(())
}

/// Joins shard reports (each with its path, for messages) into the report of one unsplit run.
pub fn merge(shards: Vec<(PathBuf, Report)>) -> Result<Report, MergeError> {
    let Some((first_path, first)) = shards.first() else { return Err(MergeError::NoReports) };
    let first_partition = first.partition.as_ref().ok_or_else(|| MergeError::NotAShard { path: first_path.clone() })?;
    let expected = first_partition.spec;
    let mut by_shard: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for (path, report) in &shards {
        let partition = report.partition.as_ref().ok_or_else(|| MergeError::NotAShard { path: path.clone() })?;
        let spec = partition.spec;
        if (spec.kind, spec.total) != (expected.kind, expected.total) {
            return Err(MergeError::OtherPartition {
                path: path.clone(),
                found: spec,
                first: first_path.clone(),
                expected,
            });
        }
        if let Some(previous) = by_shard.insert(spec.shard, path) {
            return Err(MergeError::Duplicate { spec, first: previous.clone(), second: path.clone() });
        }
        let mismatch = |what: String, other: String| MergeError::Mismatch {
            path: path.clone(),
            what,
            first: first_path.clone(),
            other,
        };
        if partition.listed != first_partition.listed {
            return Err(mismatch(
                format!("lists {}", crate::render::units::count_of(partition.listed.len(), "benchmark")),
                format!("lists {} or others", first_partition.listed.len()),
            ));
        }
        let commit = |r: &Report| r.environment.git_commit.clone().unwrap_or_else(|| "no commit".to_owned());
        if commit(report) != commit(first) {
            return Err(mismatch(format!("was measured at {}", commit(report)), format!("at {}", commit(first))));
        }
        let baseline = |r: &Report| r.comparison.as_ref().map(|c| format!("compared with baseline `{}`", c.baseline));
        if baseline(report) != baseline(first) {
            let text = |b: Option<String>| b.unwrap_or_else(|| "compared with no baseline".to_owned());
            return Err(mismatch(text(baseline(report)), text(baseline(first))));
        }
    }
    let missing: Vec<String> = (1..=expected.total)
        .filter(|k| !by_shard.contains_key(k))
        .map(|k| format!("{}:{k}/{}", expected.kind.name(), expected.total))
        .collect();
    if !missing.is_empty() {
        let found = by_shard.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
        return Err(MergeError::Missing { missing: missing.join(", "), total: expected.total, found });
    }

    // The listing's order is the order one unsplit run measures in; a benchmark outside it (a
    // whole target that failed) keeps its place after its target's listed ones.
    let listed = first_partition.listed.clone();
    let listed = &listed;
    let target_rank: BTreeMap<(&str, &str), usize> =
        listed.iter().enumerate().rev().map(|(i, l)| ((l.package.as_str(), l.target.as_str()), i)).collect();
    let mut shards = shards;
    shards.sort_by_key(|(_, r)| r.partition.as_ref().map_or(0, |p| p.spec.shard));
    let environment = shards[0].1.environment.clone();
    let mut benchmarks = Vec::new();
    let mut comparisons = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    for (_, report) in &shards {
        benchmarks.extend(report.benchmarks.iter().cloned());
        if let Some(c) = &report.comparison {
            comparisons.push(c.clone());
        }
        // Shards share their build and environment, so the same warning may come from each.
        for w in &report.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
    }
    let rank = |b: &crate::report::Benchmark| {
        let target = target_rank.get(&(b.package.as_str(), b.target.as_str())).copied().unwrap_or(usize::MAX);
        (target, position(listed, &b.key()).unwrap_or(usize::MAX))
    };
    benchmarks.sort_by_key(rank);
    let comparison = (!comparisons.is_empty()).then(|| merge_comparisons(&benchmarks, comparisons));

    let failed = benchmarks.iter().any(|b| b.error.is_some());
    let mut verdict = comparison.as_ref().map_or(Verdict::Pass, Comparison::verdict);
    if failed {
        verdict = Verdict::Error;
    }
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        environment,
        benchmarks,
        comparison,
        verdict,
        partition: None,
        warnings,
    })
}

/// One comparison from the shards': the run's benchmarks in the run's order, then the missing
/// ones; the warnings once each, those about one benchmark in that benchmark's place.
fn merge_comparisons(benchmarks: &[crate::report::Benchmark], comparisons: Vec<Comparison>) -> Comparison {
    let baseline = comparisons[0].baseline.clone();
    let order: BTreeMap<BenchmarkKey, usize> = benchmarks.iter().enumerate().rev().map(|(i, b)| (b.key(), i)).collect();
    // A warning names its benchmark by id: it goes with the first benchmark of that id.
    let first_of_id: BTreeMap<&str, usize> =
        benchmarks.iter().enumerate().rev().map(|(i, b)| (b.id.as_str(), i)).collect();
    let mut present = Vec::new();
    let mut missing = Vec::new();
    let mut general = Vec::new();
    let mut about: Vec<(usize, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for c in comparisons {
        for b in c.benchmarks {
            match order.get(&b.key()) {
                Some(&i) => present.push((i, b)),
                None => missing.push(b),
            }
        }
        for w in c.warnings {
            if !seen.insert(w.clone()) {
                continue;
            }
            // A warning about one benchmark starts with its id in backticks.
            let subject = w.strip_prefix('`').and_then(|rest| rest.split_once("`:")).map(|(id, _)| id);
            match subject.and_then(|id| first_of_id.get(id)) {
                Some(&i) => about.push((i, w)),
                None => general.push(w),
            }
        }
    }
    present.sort_by_key(|(i, _)| *i);
    about.sort_by_key(|(i, _)| *i);
    let mut warnings = general;
    warnings.extend(about.into_iter().map(|(_, w)| w));
    let mut merged: Vec<_> = present.into_iter().map(|(_, b)| b).collect();
    merged.extend(missing);
    Comparison { baseline, warnings, benchmarks: merged }
}

#[cfg(test)]
mod tests {
    use allocbench_formats::partition::ListedBenchmark;

    use super::*;
    use crate::report::{AllocFigures, Benchmark, Environment};

    fn bench(id: &str) -> Benchmark {
        Benchmark {
            alloc: Some(AllocFigures { alloc_objects: 1.0, exact: true, ..AllocFigures::default() }),
            ..Benchmark::new(id, "p", "t")
        }
    }

    fn partition(spec: &str, ids: &[&str]) -> Partition {
        let listed = ids
            .iter()
            .map(|id| ListedBenchmark { package: "p".into(), target: "t".into(), id: (*id).into() })
            .collect();
        Partition { spec: spec.parse().unwrap(), listed }
    }

    fn baseline(ids: &[&str], partition: Option<&str>) -> Baseline {
        Baseline {
            schema_version: 1,
            name: "main".into(),
            environment: Environment::default(),
            benchmarks: ids.iter().map(|id| bench(id).into()).collect(),
            partition: partition.map(|p| p.parse().unwrap()),
            warnings: Vec::new(),
        }
    }

    fn ids(base: &Baseline) -> Vec<&str> {
        base.benchmarks.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn a_shard_compares_with_its_share_and_shard_1_with_the_removed_ones() {
        let listed = ["a", "b", "c", "d", "e"];
        let whole = ["a", "b", "c", "d", "e", "removed"];
        let mut seen = Vec::new();
        for k in 1..=2 {
            let p = partition(&format!("count:{k}/2"), &listed);
            let mut base = baseline(&whole, None);
            share_of_baseline(&mut base, Some(&p)).unwrap();
            seen.push(ids(&base).join(","));
        }
        assert_eq!(seen, ["a,c,e,removed", "b,d"]);
    }

    #[test]
    fn a_baseline_of_another_shard_is_refused() {
        let p = partition("hash:1/3", &["a"]);
        let mut base = baseline(&["a"], Some("hash:2/3"));
        let e = share_of_baseline(&mut base, Some(&p)).unwrap_err().to_string();
        assert_eq!(
            e,
            "baseline `main` holds shard hash:2/3 of the benchmarks, and this run measures shard hash:1/3: compare each shard with the baseline that shard saved, or with a whole one"
        );
        let e = share_of_baseline(&mut base, None).unwrap_err().to_string();
        assert!(e.contains("this run measures every one"), "{e}");
        let p = partition("count:1/3", &["a"]);
        let mut own = baseline(&["a", "gone"], Some("count:1/3"));
        share_of_baseline(&mut own, Some(&p)).unwrap();
        assert_eq!(ids(&own), ["a", "gone"], "its own shard's baseline, whole");
    }

    #[test]
    fn the_merge_puts_the_benchmarks_back_in_the_listings_order() {
        let listed = ["a", "b", "c", "d"];
        let shard = |k: u32, ids: &[&str]| {
            let report = Report {
                schema_version: SCHEMA_VERSION,
                environment: Environment::default(),
                benchmarks: ids.iter().map(|id| bench(id)).collect(),
                comparison: None,
                verdict: Verdict::Pass,
                warnings: vec![format!("shard {k}"), "both".to_owned()],
                partition: Some(partition(&format!("count:{k}/2"), &listed)),
            };
            (PathBuf::from(format!("s{k}/report.json")), report)
        };
        let merged = merge(vec![shard(2, &["b", "d"]), shard(1, &["a", "c"])]).unwrap();
        let order: Vec<&str> = merged.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(order, listed);
        assert_eq!((merged.partition, merged.verdict), (None, Verdict::Pass));
        assert_eq!(merged.warnings, ["shard 1", "both", "shard 2"], "the shards' warnings, each once");
    }

    /// Two packages' `a`: each is dealt, compared and merged as the benchmark it is.
    #[test]
    fn two_packages_of_one_id_keep_their_shard_and_their_comparison() {
        let in_package = |package: &str, id: &str| Benchmark { package: package.into(), ..bench(id) };
        let listed: Vec<ListedBenchmark> = [("p", "a"), ("q", "a"), ("p", "b")]
            .iter()
            .map(|(package, id)| ListedBenchmark { package: (*package).into(), target: "t".into(), id: (*id).into() })
            .collect();
        let partition = |k: u32| Partition { spec: format!("slice:{k}/2").parse().unwrap(), listed: listed.clone() };
        let whole = || Baseline {
            benchmarks: vec![in_package("p", "a").into(), in_package("q", "a").into(), in_package("p", "b").into()],
            ..baseline(&[], None)
        };
        let mut shares = Vec::new();
        for k in 1..=2 {
            let mut base = whole();
            share_of_baseline(&mut base, Some(&partition(k))).unwrap();
            shares.push(base.benchmarks.iter().map(|b| format!("{}:{}", b.package, b.id)).collect::<Vec<_>>());
        }
        assert_eq!(shares, [vec!["p:a", "p:b"], vec!["q:a"]]);

        let shard = |k: u32, benchmarks: Vec<Benchmark>| {
            let mut base = whole();
            share_of_baseline(&mut base, Some(&partition(k))).unwrap();
            let mut report = Report {
                schema_version: SCHEMA_VERSION,
                environment: Environment::default(),
                benchmarks,
                comparison: None,
                verdict: Verdict::Pass,
                warnings: Vec::new(),
                partition: Some(partition(k)),
            };
            let policy = crate::gate::policy::Policy::default();
            report.comparison =
                Some(crate::gate::compare::compare(&base, &crate::render::fixtures::measured(&report), &policy));
            (PathBuf::from(format!("s{k}/report.json")), report)
        };
        let merged = merge(vec![
            shard(2, vec![in_package("q", "a")]),
            shard(1, vec![in_package("p", "a"), in_package("p", "b")]),
        ])
        .unwrap();
        let order: Vec<String> = merged.benchmarks.iter().map(|b| format!("{}:{}", b.package, b.id)).collect();
        assert_eq!(order, ["p:a", "p:b", "q:a"]);
        let compared: Vec<String> = merged
            .comparison
            .unwrap()
            .benchmarks
            .iter()
            .map(|c| format!("{}:{} {}", c.package, c.id, c.status))
            .collect();
        assert_eq!(compared, ["p:a pass", "p:b pass", "q:a pass"]);
    }
}
