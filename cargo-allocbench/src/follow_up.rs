//! The follow-up phase's product: what the passes add once the judge has decided (the
//! allocation-site pass of the benchmarks that regressed, the differential flame graphs a
//! baseline makes possible) and what grew, per benchmark. It is a value of its own: the
//! measuring phase's [`Measurements`](crate::measurements::Measurements) and the judge's
//! comparison stay as they were made, and the report and the saved baseline are assembled from
//! the three ([`Measurements::followed_up`](crate::measurements::Measurements::followed_up),
//! [`FollowUp::name_growth`]).

use std::collections::BTreeMap;

use allocbench_formats::comparison::{Comparison, Growth};
use allocbench_formats::key::BenchmarkKey;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::report::{AllocSite, Artifacts, HeapStack};
use allocbench_formats::signals::{SyscallSite, ThreadsLeft};

/// What the follow-up passes found for one benchmark.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Addition {
    /// The files written for it; only the kinds the follow-up wrote are set.
    pub artifacts: Artifacts,
    /// What the allocation-site pass found, when it ran for the benchmark: the sites that
    /// allocate most, and every allocating stack (which a baseline keeps for the next run's
    /// `-diff_base` profile).
    pub sites: Option<(Vec<AllocSite>, Vec<HeapStack>)>,
    /// The threads the figures' run left running, each with the stack that started it as the
    /// allocation-site pass's run captured it.
    pub left_running: Option<ThreadsLeft>,
    /// The code that makes read- and write-family system calls, when the allocation-site pass
    /// ran for the benchmark.
    pub syscall_sites: Option<Vec<SyscallSite>>,
}

impl Addition {
    /// `later` added on top of this: its files beside these, its sites in place of these.
    fn and(&mut self, later: Addition) {
        for (kind, path) in later.artifacts.each() {
            *self.artifacts.slot_mut(kind) = Some(path.to_owned());
        }
        if later.sites.is_some() {
            self.sites = later.sites;
        }
        if later.left_running.is_some() {
            self.left_running = later.left_running;
        }
        if later.syscall_sites.is_some() {
            self.syscall_sites = later.syscall_sites;
        }
    }

    /// `benchmark` with this added.
    fn apply(&self, benchmark: &mut MeasuredBenchmark) {
        for (kind, path) in self.artifacts.each() {
            *benchmark.artifacts.slot_mut(kind) = Some(path.to_owned());
        }
        if let Some((sites, stacks)) = &self.sites {
            benchmark.benchmark.sites = sites.clone();
            benchmark.kept.heap_stacks = stacks.clone();
        }
        if let (Some(left), Some(probes)) = (&self.left_running, benchmark.benchmark.probes.as_mut()) {
            probes.left_running = Some(left.clone());
        }
        if let Some(syscall_sites) = &self.syscall_sites {
            benchmark.benchmark.syscall_sites = syscall_sites.clone();
        }
    }
}

/// The additions of one pass, by benchmark.
pub type Additions = BTreeMap<BenchmarkKey, Addition>;

/// The follow-up phase's product.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowUp {
    /// What the passes added, by benchmark.
    pub added: Additions,
    /// What grew, by benchmark; empty without a baseline.
    pub grew: BTreeMap<BenchmarkKey, Growth>,
}

impl FollowUp {
    /// Takes in one pass's additions, made after those already in.
    pub fn add(&mut self, additions: Additions) {
        for (key, addition) in additions {
            self.added.entry(key).or_default().and(addition);
        }
    }

    /// `benchmarks` with what the follow-up added to each.
    pub fn apply(&self, benchmarks: &[MeasuredBenchmark]) -> Vec<MeasuredBenchmark> {
        let mut benchmarks = benchmarks.to_vec();
        for b in &mut benchmarks {
            if let Some(addition) = self.added.get(&b.key()) {
                addition.apply(b);
            }
        }
        benchmarks
    }

    /// Takes what grew from `named`, a comparison in which the passes named it
    /// ([`crate::passes::plugin::Plugin::grew`]).
    pub fn take_growth(&mut self, named: Comparison) {
        self.grew = named
            .benchmarks
            .into_iter()
            .map(|mut c| (c.key(), std::mem::take(&mut c.grew)))
            .filter(|(_, g)| !g.is_empty())
            .collect();
    }

    /// The judge's `comparison`, with what grew in each benchmark, for the report.
    pub fn name_growth(&self, mut comparison: Comparison) -> Comparison {
        for c in &mut comparison.benchmarks {
            if let Some(grew) = self.grew.get(&c.key()) {
                c.grew.clone_from(grew);
            }
        }
        comparison
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{bench, marked_report, measure};
    use allocbench_formats::report::Frame;

    fn site(function: &str) -> AllocSite {
        AllocSite {
            function: function.into(),
            file: None,
            line: None,
            caller: None,
            alloc_objects: 1.0,
            alloc_space: 8.0,
            inuse_objects: 0.0,
            inuse_space: 0.0,
        }
    }

    fn stack(function: &str) -> HeapStack {
        HeapStack {
            frames: vec![Frame { function: function.into(), file: None, line: None }],
            alloc_objects: 1.0,
            alloc_space: 8.0,
            inuse_objects: 0.0,
            inuse_space: 0.0,
        }
    }

    /// Two passes' additions to one benchmark land beside each other on a copy of the run; the
    /// run itself and the benchmarks nothing was found for stay as measured.
    #[test]
    fn additions_land_on_a_copy_of_the_run() {
        let run = vec![measure(bench("a", 1.0, 8.0, 0.0, None)), measure(bench("b", 2.0, 16.0, 0.0, None))];
        let key = run[0].key();
        let mut diff = Additions::new();
        diff.entry(key.clone()).or_default().artifacts.cpu_diff_flamegraph = Some("a/flamegraph-diff.svg".into());
        let mut sites = Additions::new();
        let found = sites.entry(key).or_default();
        found.artifacts.heap_profile = Some("a/heap.pb.gz".into());
        found.sites = Some((vec![site("a::alloc")], vec![stack("a::alloc")]));
        let mut follow_up = FollowUp::default();
        follow_up.add(diff);
        follow_up.add(sites);

        let before = run.clone();
        let after = follow_up.apply(&run);
        assert_eq!(run, before);
        assert_eq!(after[0].artifacts.cpu_diff_flamegraph.as_deref(), Some("a/flamegraph-diff.svg"));
        assert_eq!(after[0].artifacts.heap_profile.as_deref(), Some("a/heap.pb.gz"));
        assert_eq!(after[0].sites, [site("a::alloc")]);
        assert_eq!(after[0].kept.heap_stacks, [stack("a::alloc")]);
        assert_eq!(after[1], run[1]);
    }

    /// What the passes named in a copy of the judge's comparison, taken out and put back into
    /// the judge's, gives the named comparison again.
    #[test]
    fn growth_named_in_a_copy_returns_into_the_judges_comparison() {
        let named = marked_report().comparison.expect("the fixture is compared");
        let mut judged = named.clone();
        for c in &mut judged.benchmarks {
            c.grew = Growth::default();
        }
        assert_ne!(judged, named, "the fixture names something that grew");
        let mut follow_up = FollowUp::default();
        follow_up.take_growth(named.clone());
        assert_eq!(follow_up.name_growth(judged), named);
    }
}
