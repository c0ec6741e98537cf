//! The identity of the thing measured: a benchmark is its bench target's package, the bench
//! target, and criterion's id within it. Two packages of one workspace may both have a
//! benchmark `parse`; they are two benchmarks, with their own figures, folders and verdicts, so
//! every join of two reports (a baseline and a run, two runs, shards) and every map of
//! benchmarks is keyed by the whole [`BenchmarkKey`], as nextest keys tests by binary and name.
//!
//! People read the id alone wherever it names one benchmark of the run, and the key
//! ([`BenchmarkKey::qualified`]) where it does not ([`shared_ids`]).
//!
//! ```
//! use allocbench_formats::key::{shared_ids, BenchmarkKey};
//!
//! let a = BenchmarkKey::new("json", "parsing", "parse");
//! let b = BenchmarkKey::new("toml", "parsing", "parse");
//! assert_ne!(a, b);
//! assert_eq!(a.qualified(), "json/parsing: parse");
//! let run = [a.clone(), b, BenchmarkKey::new("json", "parsing", "serialize")];
//! assert_eq!(shared_ids(&run).into_iter().collect::<Vec<_>>(), ["parse"]);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One benchmark's identity: package, bench target and criterion's full id, ordered in that
/// order. Baselines saved before the key was stored give an empty package and target.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BenchmarkKey {
    /// The package whose bench target holds it; empty when a baseline did not say.
    pub package: String,
    /// The bench target (`[[bench]] name`); empty when a baseline did not say.
    pub target: String,
    /// Criterion's full id: `group/function/parameter`.
    pub id: String,
}

impl BenchmarkKey {
    /// The benchmark `id` of `package`'s bench target `target`.
    pub fn new(package: impl Into<String>, target: impl Into<String>, id: impl Into<String>) -> BenchmarkKey {
        BenchmarkKey { package: package.into(), target: target.into(), id: id.into() }
    }

    /// Whether the package and target are known: false for a benchmark of a baseline saved
    /// before they were stored.
    pub fn is_placed(&self) -> bool {
        !(self.package.is_empty() && self.target.is_empty())
    }

    /// `package/target: id`, the way a benchmark is named where its id alone names more than one;
    /// the bare id when the package and target are not known.
    pub fn qualified(&self) -> String {
        if self.is_placed() {
            format!("{}/{}: {}", self.package, self.target, self.id)
        } else {
            self.id.clone()
        }
    }

    /// The id alone when `shared` (the run's [`shared_ids`]) does not hold it, else
    /// [`BenchmarkKey::qualified`].
    pub fn shown(&self, shared: &BTreeSet<&str>) -> String {
        if shared.contains(self.id.as_str()) {
            self.qualified()
        } else {
            self.id.clone()
        }
    }
}

/// The ids that more than one benchmark of `keys` has: those that need the package and target
/// to name a benchmark.
pub fn shared_ids<'a>(keys: impl IntoIterator<Item = &'a BenchmarkKey>) -> BTreeSet<&'a str> {
    let mut by_id: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for k in keys {
        by_id.entry(k.id.as_str()).or_default().insert((k.package.as_str(), k.target.as_str()));
    }
    by_id.into_iter().filter(|(_, places)| places.len() > 1).map(|(id, _)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_by_package_then_target_then_id() {
        let mut keys =
            [BenchmarkKey::new("b", "t", "a"), BenchmarkKey::new("a", "u", "a"), BenchmarkKey::new("a", "t", "z")];
        keys.sort();
        let ids: Vec<String> = keys.iter().map(BenchmarkKey::qualified).collect();
        assert_eq!(ids, ["a/t: z", "a/u: a", "b/t: a"]);
    }

    #[test]
    fn only_ids_of_several_benchmarks_are_shared() {
        let one = BenchmarkKey::new("p", "t", "x");
        let keys = [one.clone(), one.clone(), BenchmarkKey::new("p", "u", "y"), BenchmarkKey::new("q", "u", "y")];
        assert_eq!(shared_ids(&keys), BTreeSet::from(["y"]));
        assert_eq!(one.shown(&shared_ids(&keys)), "x");
        assert_eq!(keys[3].shown(&shared_ids(&keys)), "q/u: y");
        // A baseline's benchmark without its place is named by its id.
        assert_eq!(BenchmarkKey::new("", "", "y").qualified(), "y");
    }
}
