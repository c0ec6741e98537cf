//! `--partition`: which benchmarks this job measures. Every bench target lists its benchmarks
//! (criterion's `--list`, with the user's filter) before anything is measured; the listing, in
//! target order, is dealt to the shards ([`PartitionSpec`]), and each target runs with a filter
//! that selects exactly its share, or not at all when its share is empty.

use std::path::{Path, PathBuf};

use allocbench_formats::partition::{ListedBenchmark, Partition, PartitionSpec};
use allocbench_formats::Mode;

use crate::cargo::discover::BenchTarget;
use crate::exec::run::{self, RunError, RunFiles, RunSpec};

/// This job's share: the partition for the report, and per bench target the criterion filter
/// that selects its benchmarks of the share (`None`: the target has none, and is not run).
#[derive(Debug, Clone)]
pub struct Share {
    pub partition: Partition,
    pub filters: Vec<Option<String>>,
}

/// Lists every target's benchmarks and picks shard `spec`'s. `spec_for_list` carries the
/// user's filter and the timeout; `executables` are the targets' bench binaries, in order.
pub fn share(
    spec: PartitionSpec,
    targets: &[BenchTarget],
    executables: &[PathBuf],
    list_spec: &RunSpec,
    out_dir: &Path,
) -> Result<Share, RunError> {
    let mut listed = Vec::new();
    let mut per_target = Vec::new();
    for (target, exe) in targets.iter().zip(executables) {
        let files = RunFiles::new(out_dir, Mode::AllocsOnly, target);
        if let Some(folder) = files.log.parent() {
            std::fs::create_dir_all(folder).map_err(|source| RunError::Io { path: folder.to_owned(), source })?;
        }
        let titles = run::list(exe, target, list_spec, &files)?;
        per_target.push(listed.len()..listed.len() + titles.len());
        listed.extend(titles.into_iter().map(|id| ListedBenchmark {
            package: target.package.clone(),
            target: target.target.clone(),
            id,
        }));
    }
    let filters = per_target
        .into_iter()
        .map(|range| {
            let mine: Vec<&str> = range.filter(|&i| spec.contains(&listed, i)).map(|i| listed[i].id.as_str()).collect();
            (!mine.is_empty()).then(|| run::exact_filter(mine.into_iter()))
        })
        .collect();
    Ok(Share { partition: Partition { spec, listed }, filters })
}
