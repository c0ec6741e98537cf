//! Partitions: one job's share of a workspace's benchmarks, so that a CI job matrix measures
//! them on several machines and `cargo allocbench merge` joins the shards' reports into one.
//!
//! The words and the arithmetic are nextest's (`--partition`): `count:K/N` deals each bench
//! target's benchmarks round-robin, its i-th (from 0, in the order the target lists them) to
//! shard `i mod N + 1`; `slice:K/N` deals the whole listing round-robin across targets, the i-th
//! of the run to shard `i mod N + 1`; `hash:K/N` puts each benchmark in shard
//! `hash(id) mod N + 1`, so that a benchmark stays in its shard when others are added or
//! removed, and a base revision's shard holds the same benchmarks as the head's. The hash is
//! FNV-1a 64 of the benchmark id's bytes: fixed here, since shards measured by different builds
//! must agree.
//!
//! ```
//! use allocbench_formats::partition::{ListedBenchmark, PartitionKind, PartitionSpec};
//!
//! let spec: PartitionSpec = "hash:2/3".parse().unwrap();
//! assert_eq!((spec.kind, spec.shard, spec.total), (PartitionKind::Hash, 2, 3));
//! assert_eq!(spec.to_string(), "hash:2/3");
//! // Two bench targets, `one` with a, b, c and `two` with d.
//! let listed: Vec<ListedBenchmark> = [("one", "a"), ("one", "b"), ("one", "c"), ("two", "d")]
//!     .map(|(target, id)| ListedBenchmark { package: "p".into(), target: target.into(), id: id.into() })
//!     .to_vec();
//! let mine = |spec: &str| {
//!     let spec: PartitionSpec = spec.parse().unwrap();
//!     (0..listed.len()).filter(|&i| spec.contains(&listed, i)).map(|i| listed[i].id.as_str()).collect::<Vec<_>>()
//! };
//! assert_eq!(mine("count:1/2"), ["a", "c", "d"]);
//! assert_eq!(mine("slice:1/2"), ["a", "c"]);
//! assert!("count:3/2".parse::<PartitionSpec>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::key::BenchmarkKey;
use crate::title::matches_title;

/// How benchmarks are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKind {
    /// Round-robin over each bench target's listing: even shards per target, but a benchmark
    /// added early moves the others of its target.
    Count,
    /// Round-robin over the whole run's listing, across targets: even shards for a workspace of
    /// many small targets.
    Slice,
    /// By a hash of the benchmark id: a benchmark's shard never depends on the others.
    Hash,
}

impl PartitionKind {
    /// `count`, `slice` or `hash`, as on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            PartitionKind::Count => "count",
            PartitionKind::Slice => "slice",
            PartitionKind::Hash => "hash",
        }
    }
}

/// One shard of a partition: `--partition KIND:SHARD/TOTAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartitionSpec {
    /// How benchmarks are dealt.
    pub kind: PartitionKind,
    /// This shard, from 1.
    pub shard: u32,
    /// How many shards there are.
    pub total: u32,
}

/// A `--partition` value that is not `count:K/N`, `slice:K/N` or `hash:K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSpecError(pub String);

impl fmt::Display for PartitionSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "partition `{}` is not `count:K/N`, `slice:K/N` or `hash:K/N` with 1 <= K <= N (e.g. `hash:1/3`)",
            self.0
        )
    }
}

impl std::error::Error for PartitionSpecError {}

impl FromStr for PartitionSpec {
    type Err = PartitionSpecError;

    fn from_str(s: &str) -> Result<PartitionSpec, PartitionSpecError> {
        let error = || PartitionSpecError(s.to_owned());
        let (kind, shares) = s.split_once(':').ok_or_else(error)?;
        let kind = match kind {
            "count" => PartitionKind::Count,
            "slice" => PartitionKind::Slice,
            "hash" => PartitionKind::Hash,
            _ => return Err(error()),
        };
        let (shard, total) = shares.split_once('/').ok_or_else(error)?;
        let (shard, total): (u32, u32) = (shard.parse().map_err(|_| error())?, total.parse().map_err(|_| error())?);
        if shard == 0 || shard > total {
            return Err(error());
        }
        Ok(PartitionSpec { kind, shard, total })
    }
}

impl fmt::Display for PartitionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind.name(), self.shard, self.total)
    }
}

impl PartitionSpec {
    /// Whether `listed[index]`, the `index`-th benchmark of the run's listing (from 0), is this
    /// shard's.
    pub fn contains(&self, listed: &[ListedBenchmark], index: usize) -> bool {
        self.shard_of(listed, index) == self.shard
    }

    /// The shard (from 1) that `listed[index]` belongs to.
    pub fn shard_of(&self, listed: &[ListedBenchmark], index: usize) -> u32 {
        let n = u64::from(self.total);
        let this = &listed[index];
        let slot = match self.kind {
            PartitionKind::Count => {
                let before = listed[..index].iter().filter(|l| l.package == this.package && l.target == this.target);
                before.count() as u64 % n
            }
            PartitionKind::Slice => index as u64 % n,
            PartitionKind::Hash => fnv1a(this.id.as_bytes()) % n,
        };
        // `slot < total <= u32::MAX`.
        slot as u32 + 1
    }
}

/// A benchmark as the run listed it, before measuring: which bench target holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedBenchmark {
    /// The package whose bench target holds it.
    pub package: String,
    /// The bench target.
    pub target: String,
    /// Its full id as the harness listed it (a duplicate's with ` #2`), or criterion's title of
    /// it (cut to 100 bytes) from a harness that does not list ids itself.
    pub id: String,
}

/// What a shard's report says of its partition (`report.json`'s `partition`), for the merge:
/// which shard it is, and every benchmark of the whole run in order, so that the merge can check
/// that the shards listed the same benchmarks (the same revision, the same filter) and put them
/// back in the order one unsplit run gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// This shard.
    pub spec: PartitionSpec,
    /// Every benchmark the run listed, in all shards, in the order an unsplit run measures them.
    pub listed: Vec<ListedBenchmark>,
}

impl ListedBenchmark {
    /// Its identity: package, bench target and title.
    pub fn key(&self) -> BenchmarkKey {
        BenchmarkKey::new(&self.package, &self.target, &self.id)
    }
}

/// Where benchmark `key` (a report's full id, in its package's bench target) is in a listing of
/// criterion's titles, which cut ids over 100 bytes ([`crate::title`]).
pub fn position(listed: &[ListedBenchmark], key: &BenchmarkKey) -> Option<usize> {
    let here = |l: &ListedBenchmark| l.package == key.package && l.target == key.target;
    listed
        .iter()
        .position(|l| here(l) && l.id == key.id)
        .or_else(|| listed.iter().position(|l| here(l) && matches_title(&key.id, &l.id)))
}

/// FNV-1a, 64 bits: the hash of `hash:` partitions, and of whatever else needs a hash that no
/// build or platform changes (folder names, fingerprints).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_nextest_takes_and_nothing_else() {
        for ok in ["count:1/1", "count:2/3", "slice:1/2", "hash:3/3", "hash:1/100"] {
            assert_eq!(ok.parse::<PartitionSpec>().map(|s| s.to_string()), Ok(ok.to_owned()));
        }
        for bad in ["", "count", "count:1", "count:0/3", "count:4/3", "hash:1/0", "slice:0/2", "hash:-1/2", "hash:a/b"]
        {
            assert!(bad.parse::<PartitionSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_benchmark_is_in_exactly_one_shard() {
        let listed = listing(&[("a", 120), ("b", 80)]);
        for kind in ["count", "slice", "hash"] {
            let mut seen = vec![0; listed.len()];
            for k in 1..=3 {
                let spec: PartitionSpec = format!("{kind}:{k}/3").parse().unwrap();
                for (i, n) in seen.iter_mut().enumerate() {
                    if spec.contains(&listed, i) {
                        *n += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{kind}");
        }
    }

    /// Bench targets named as given, each with so many benchmarks `f/0`, `f/1`, ...
    fn listing(targets: &[(&str, usize)]) -> Vec<ListedBenchmark> {
        let mut out = Vec::new();
        for (target, n) in targets {
            out.extend((0..*n).map(|i| ListedBenchmark {
                package: "p".into(),
                target: (*target).into(),
                id: format!("f/{i}"),
            }));
        }
        out
    }

    #[test]
    fn count_deals_each_target_round_robin_slice_the_run_and_hash_ignores_the_position() {
        // As nextest: `count` per test binary, `slice` across them.
        let listed = listing(&[("a", 4), ("b", 3)]);
        let mine = |spec: &str| {
            let spec: PartitionSpec = spec.parse().unwrap();
            (0..listed.len()).filter(|&i| spec.contains(&listed, i)).collect::<Vec<_>>()
        };
        assert_eq!(mine("count:2/3"), [1, 5]);
        assert_eq!(mine("slice:2/3"), [1, 4]);
        let spec: PartitionSpec = "hash:1/3".parse().unwrap();
        let moved = listing(&[("a", 1), ("c", 9)]);
        assert_eq!(spec.shard_of(&listed, 0), spec.shard_of(&moved, 0));
        assert_eq!(spec.shard_of(&listed, 4), spec.shard_of(&moved, 1), "b's f/0 and c's f/0: the id alone");
        // The published FNV-1a test vector: a change of hash would move every benchmark.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
