//! The judge: the run's measurements against the baseline, under the policy, give the comparison
//! and the verdict. A run in which a benchmark failed is an error whatever the comparison says.

use allocbench_formats::comparison::Comparison;
use allocbench_formats::key::BenchmarkKey;

use crate::gate::baseline::{self, Baseline};
use crate::gate::compare;
use crate::gate::merge::{self, MergeError};
use crate::gate::policy::Policy;
use crate::measurements::Measurements;
use crate::report::Verdict;

/// What the judge decided of a run.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// The comparison with the baseline; `None` without one.
    pub comparison: Option<Comparison>,
    /// The outcome.
    pub verdict: Verdict,
}

/// Compares `run` with `base` (when there is one) under `policy`. The baseline is first matched
/// to the run: a baseline saved without keys gets the run's ([`baseline::place_unplaced`]), and
/// a shard is compared with its share of it ([`merge::share_of_baseline`]).
pub fn judge(base: Option<&mut Baseline>, run: &Measurements, policy: &Policy) -> Result<Judgement, MergeError> {
    let comparison = match base {
        Some(base) => {
            // A baseline saved without keys is matched by id against the whole run: a shard's
            // listing names the benchmarks of every shard.
            let mut keys: Vec<BenchmarkKey> = run.benchmarks.iter().map(|b| b.key()).collect();
            keys.extend(run.partition.iter().flat_map(|p| p.listed.iter().map(|l| l.key())));
            baseline::place_unplaced(base, &keys);
            merge::share_of_baseline(base, run.partition.as_ref())?;
            Some(compare::compare(base, run, policy))
        }
        None => None,
    };
    let verdict = match &comparison {
        _ if run.failed() => Verdict::Error,
        Some(c) => c.verdict(),
        None => Verdict::Pass,
    };
    Ok(Judgement { comparison, verdict })
}
