//! Partitions: one job's share of a workspace's benchmarks, so that a CI job matrix measures
//! them on several machines and `cargo allocbench merge` joins the shards' reports into one.
//!
//! The words and the arithmetic are nextest's (`--partition`): `count:K/N` deals the listed
//! benchmarks round-robin, the i-th (from 0, in the order the run lists them) to shard
//! `i mod N + 1`; `hash:K/N` puts each benchmark in shard `hash(id) mod N + 1`, so that a
//! benchmark stays in its shard when others are added or removed, and a base revision's shard
//! holds the same benchmarks as the head's. The hash is FNV-1a 64 of the benchmark id's bytes:
//! fixed here, since shards measured by different builds must agree.
//!
//! ```
//! use allocbench_formats::partition::{PartitionKind, PartitionSpec};
//!
//! let spec: PartitionSpec = "hash:2/3".parse().unwrap();
//! assert_eq!((spec.kind, spec.shard, spec.total), (PartitionKind::Hash, 2, 3));
//! assert_eq!(spec.to_string(), "hash:2/3");
//! let ids = ["a", "b", "c", "d"];
//! let count: PartitionSpec = "count:1/2".parse().unwrap();
//! let mine: Vec<&str> = ids.iter().enumerate().filter(|(i, id)| count.contains(*i, id)).map(|(_, id)| *id).collect();
//! assert_eq!(mine, ["a", "c"]);
//! assert!("count:3/2".parse::<PartitionSpec>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::title::matches_title;

/// How benchmarks are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKind {
    /// Round-robin over the listing: even shards, but a benchmark added early moves the others.
    Count,
    /// By a hash of the benchmark id: a benchmark's shard never depends on the others.
    Hash,
}

impl PartitionKind {
    /// `count` or `hash`, as on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            PartitionKind::Count => "count",
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

/// A `--partition` value that is not `count:K/N` or `hash:K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSpecError(pub String);

impl fmt::Display for PartitionSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "partition `{}` is not `count:K/N` or `hash:K/N` with 1 <= K <= N (e.g. `hash:1/3`)", self.0)
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
    /// Whether the benchmark `id`, the `index`-th of the run's listing (from 0), is this shard's.
    pub fn contains(&self, index: usize, id: &str) -> bool {
        self.shard_of(index, id) == self.shard
    }

    /// The shard (from 1) the benchmark `id`, the `index`-th of the listing, belongs to.
    pub fn shard_of(&self, index: usize, id: &str) -> u32 {
        let n = u64::from(self.total);
        let slot = match self.kind {
            PartitionKind::Count => index as u64 % n,
            PartitionKind::Hash => fnv1a(id.as_bytes()) % n,
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
    /// Criterion's title of it: its full id (a duplicate's with ` #2`).
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

/// Where benchmark `id` (a report's full id) is in a listing of criterion's titles, which cut
/// ids over 100 bytes ([`crate::title`]).
pub fn position(listed: &[ListedBenchmark], id: &str) -> Option<usize> {
    listed.iter().position(|l| l.id == id).or_else(|| listed.iter().position(|l| matches_title(id, &l.id)))
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
        for ok in ["count:1/1", "count:2/3", "hash:3/3", "hash:1/100"] {
            assert_eq!(ok.parse::<PartitionSpec>().map(|s| s.to_string()), Ok(ok.to_owned()));
        }
        for bad in ["", "count", "count:1", "count:0/3", "count:4/3", "hash:1/0", "slice:1/2", "hash:-1/2", "hash:a/b"]
        {
            assert!(bad.parse::<PartitionSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_benchmark_is_in_exactly_one_shard() {
        let ids: Vec<String> = (0..200).map(|i| format!("group/f/{i}")).collect();
        for kind in ["count", "hash"] {
            let mut seen = vec![0; ids.len()];
            for k in 1..=3 {
                let spec: PartitionSpec = format!("{kind}:{k}/3").parse().unwrap();
                for (i, id) in ids.iter().enumerate() {
                    if spec.contains(i, id) {
                        seen[i] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{kind}");
        }
    }

    #[test]
    fn count_deals_round_robin_and_hash_ignores_the_position() {
        let spec: PartitionSpec = "count:2/3".parse().unwrap();
        assert_eq!((0..7).filter(|&i| spec.contains(i, "x")).collect::<Vec<_>>(), vec![1, 4]);
        let spec: PartitionSpec = "hash:1/3".parse().unwrap();
        assert_eq!(spec.shard_of(0, "alloc/fresh_vec"), spec.shard_of(99, "alloc/fresh_vec"));
        // The published FNV-1a test vector: a change of hash would move every benchmark.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
