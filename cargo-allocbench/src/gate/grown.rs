//! What grew: the code behind a regression, named from the two runs' stacks, sites and functions.
//!
//! The comparison ([`compare`](crate::gate::compare)) says which benchmarks regressed; this names
//! where, in each benchmark's comparison: where `instructions` regressed, the functions whose own
//! instructions grew (`instructions_grew`); wherever both runs have CPU stacks, the functions
//! whose share of the samples grew (`cpu_grew`); in a benchmark that regressed, the allocation
//! sites that grew (`sites_grew`). It runs once every pass has attached what it found: the
//! allocation-site pass runs after the comparison, so that `--heap-profile regressed` knows what
//! regressed, and the sites are only known after it. The stacks are read as the passes write them ([`crate::folded`]).

use std::collections::BTreeMap;

use allocbench_formats::comparison::{Comparison, InstructionChange, ShareChange, SiteChange};
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::report::{AllocSite, InstructionFigures};

use crate::folded::{self, top_functions, TOP};
use crate::gate::baseline::Baseline;
use crate::gate::compare::Status;
use crate::gate::policy::{Limit, Policy};
use crate::report::Metric;

/// Growth in share, in points (0.02 = two percentage points), below which a function is noise.
pub const SHARE_NOISE: f64 = 0.02;

/// Where `metric` (the instruction pass's) regressed: the functions whose own instructions grew
/// beyond its limit.
pub fn instructions_grew(
    metric: Metric,
    base: &Baseline,
    benchmarks: &[MeasuredBenchmark],
    comparison: &mut Comparison,
    policy: &Policy,
) {
    for c in &mut comparison.benchmarks {
        let regressed = c.metric(metric).is_some_and(|m| m.status == Status::Regressed);
        let key = c.key();
        let (Some(old), Some(new), true) = (
            base.benchmarks.iter().find(|b| b.is(&key)).and_then(|b| b.instructions.as_ref()),
            benchmarks.iter().find(|b| b.is(&key)).and_then(|b| b.instructions.as_ref()),
            regressed,
        ) else {
            continue;
        };
        let noise = match policy.limit(&c.id, metric) {
            Limit::Relative(f) => f,
            _ => 0.0,
        };
        c.grew.instructions = instructions(old, new, noise);
    }
}

/// Where `threads_alive` regressed: the threads the benchmark left running, as the figures' run
/// names them (with the stacks that started them, when the allocation-site pass ran).
pub fn threads_left(benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison) {
    for c in &mut comparison.benchmarks {
        if c.metric(Metric::ThreadsAlive).is_none_or(|m| m.status != Status::Regressed) {
            continue;
        }
        let key = c.key();
        c.grew.left_running =
            benchmarks.iter().find(|b| b.is(&key)).and_then(|b| b.probes.as_ref()).and_then(|s| s.left_running.clone());
    }
}

/// How many sites a family's entry in `syscalls_grew` lists at most.
pub const MAX_SYSCALL_SITES: usize = 5;

/// Where `read_syscalls` or `write_syscalls` regressed and the allocation-site pass ran: the
/// code that makes that family's calls in this run, most calls first, each with the same
/// function's calls in the baseline when the baseline's allocation-site pass ran. Where it ran,
/// only the sites that make more calls than there.
pub fn syscalls_grew(base: &Baseline, benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison) {
    use allocbench_formats::comparison::SyscallChange;
    use allocbench_formats::signals::SyscallFamily;
    for c in &mut comparison.benchmarks {
        let key = c.key();
        let Some(new) = benchmarks.iter().find(|b| b.is(&key)) else { continue };
        // The baseline's sites, when its allocation-site pass ran (it wrote a heap profile, or
        // found system calls): a function it does not list made none there.
        let old = base
            .benchmarks
            .iter()
            .find(|b| b.is(&key))
            .filter(|b| b.artifacts.heap_profile.is_some() || !b.syscall_sites.is_empty())
            .map(|b| &b.syscall_sites);
        let mut grew = Vec::new();
        for family in SyscallFamily::ALL {
            let metric = match family {
                SyscallFamily::Read => Metric::ReadSyscalls,
                SyscallFamily::Write => Metric::WriteSyscalls,
            };
            if c.metric(metric).is_none_or(|m| m.status != Status::Regressed) {
                continue;
            }
            let changes = new
                .syscall_sites
                .iter()
                .filter(|s| s.family == family)
                .map(|s| SyscallChange {
                    site: s.clone(),
                    base_calls: old.map(|old| {
                        old.iter()
                            .filter(|o| o.family == family && o.function == s.function && o.caller == s.caller)
                            .fold(0.0, |sum, o| sum + o.calls)
                    }),
                })
                .filter(|c| c.base_calls.is_none_or(|b| c.site.calls > b))
                .take(MAX_SYSCALL_SITES);
            grew.extend(changes);
        }
        c.grew.syscalls = grew;
    }
}

/// Where both runs have CPU stacks: the functions whose share grew.
pub fn cpu_grew(base: &Baseline, benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison, _: &Policy) {
    for b in benchmarks {
        let key = b.key();
        let Some(old) = base.benchmarks.iter().find(|o| o.is(&key) && !o.kept.cpu_folded.is_empty()) else { continue };
        if b.kept.cpu_folded.is_empty() {
            continue;
        }
        if let Some(c) = comparison.benchmarks.iter_mut().find(|c| c.is(&key)) {
            c.grew.cpu = cpu_shares(&old.kept.cpu_folded, &b.kept.cpu_folded);
        }
    }
}

/// Where a benchmark regressed and both runs have sites: the sites that grew. The
/// allocation-site pass says itself when the baseline has none.
pub fn sites_grew(base: &Baseline, benchmarks: &[MeasuredBenchmark], comparison: &mut Comparison, _: &Policy) {
    for b in benchmarks.iter().filter(|b| !b.sites.is_empty()) {
        let key = b.key();
        let Some(old) = base.benchmarks.iter().find(|o| o.is(&key)) else { continue };
        let Some(c) = comparison.benchmarks.iter_mut().find(|c| c.is(&key)) else { continue };
        if c.status == Status::Regressed && !old.sites.is_empty() {
            c.grew.sites = sites(&old.sites, &b.sites);
        }
    }
}

/// The functions of `new` whose own instructions per iteration grew against `base` by more than
/// `noise` (relative) and by at least one instruction, most grown first.
fn instructions(base: &InstructionFigures, new: &InstructionFigures, noise: f64) -> Vec<InstructionChange> {
    let mut out: Vec<InstructionChange> = new
        .functions
        .iter()
        .filter_map(|f| {
            let old = base.functions.iter().find(|o| o.function == f.function).map_or(0.0, |o| o.self_instructions);
            let grew = f.self_instructions - old;
            (grew >= 1.0 && f.self_instructions > old * (1.0 + noise)).then(|| InstructionChange {
                function: f.function.clone(),
                base: old,
                new: f.self_instructions,
            })
        })
        .collect();
    out.sort_by(|a, b| (b.new - b.base).total_cmp(&(a.new - a.base)).then_with(|| a.function.cmp(&b.function)));
    out
}

/// Self-time share of every function.
fn shares(stacks: &BTreeMap<String, u64>) -> BTreeMap<String, f64> {
    let (_, all) = top_functions(stacks, usize::MAX);
    all.into_iter().map(|f| (f.function, f.self_fraction)).collect()
}

/// Functions whose self-time share grew by more than [`SHARE_NOISE`], most growth first.
fn cpu_shares(base_folded: &str, new_folded: &str) -> Vec<ShareChange> {
    let base = shares(&folded::parse(base_folded));
    let new = shares(&folded::parse(new_folded));
    let mut grew: Vec<ShareChange> = new
        .iter()
        .map(|(f, &n)| ShareChange {
            function: f.clone(),
            base_share: base.get(f).copied().unwrap_or(0.0),
            new_share: n,
        })
        .filter(|c| c.new_share - c.base_share > SHARE_NOISE)
        .collect();
    grew.sort_by(|a, b| (b.new_share - b.base_share).total_cmp(&(a.new_share - a.base_share)));
    grew.truncate(TOP);
    grew
}

/// Sites whose allocations per iteration grew against the baseline's, most bytes first.
fn sites(base: &[AllocSite], new: &[AllocSite]) -> Vec<SiteChange> {
    let mut out: Vec<SiteChange> = new
        .iter()
        .filter_map(|n| {
            let b = base.iter().find(|b| b.key() == n.key());
            let (bo, bs) = b.map_or((0.0, 0.0), |b| (b.alloc_objects, b.alloc_space));
            let grew = n.alloc_objects > bo + 1e-9 || n.alloc_space > bs + 1e-9;
            grew.then(|| SiteChange {
                function: n.function.clone(),
                file: n.file.clone(),
                line: n.line,
                caller: n.caller.clone(),
                base_alloc_objects: bo,
                new_alloc_objects: n.alloc_objects,
                base_alloc_space: bs,
                new_alloc_space: n.alloc_space,
            })
        })
        .collect();
    out.sort_by(|a, b| (b.new_alloc_space - b.base_alloc_space).total_cmp(&(a.new_alloc_space - a.base_alloc_space)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use allocbench_formats::report::InstructionFunction;

    #[test]
    fn grown_functions_beyond_the_noise() {
        let f = |name: &str, n: f64| InstructionFunction { function: name.into(), self_instructions: n };
        let base =
            InstructionFigures { instructions: 0.0, exact: true, functions: vec![f("hot", 1000.0), f("warm", 100.0)] };
        let new = InstructionFigures {
            instructions: 0.0,
            exact: true,
            functions: vec![f("hot", 1050.0), f("warm", 100.5), f("cold", 40.0)],
        };
        let changes = instructions(&base, &new, 0.01);
        let grew: Vec<(&str, f64, f64)> = changes.iter().map(|c| (c.function.as_str(), c.base, c.new)).collect();
        assert_eq!(grew, [("hot", 1000.0, 1050.0), ("cold", 0.0, 40.0)]);
    }

    /// The differential flame graph of the same profiles is the CPU pass's test.
    #[test]
    fn grown_shares() {
        let base = "main;encode 50\nmain;sort 50\n";
        let new = "main;encode 80\nmain;sort 20\n";
        let grew = cpu_shares(base, new);
        assert_eq!(grew.len(), 1);
        assert_eq!(grew[0].function, "encode");
        assert!((grew[0].base_share - 0.5).abs() < 1e-12 && (grew[0].new_share - 0.8).abs() < 1e-12);
        assert!(cpu_shares(base, base).is_empty());
    }

    /// The sites `passes::heap::profile`'s test finds in two stacks, `serde_json`'s through
    /// `notify_clients` and `flush`'s own, against a baseline of the second alone.
    #[test]
    fn grown_sites() {
        let site = |function: &str, caller: Option<&str>, objects: f64, space: f64| AllocSite {
            function: function.into(),
            file: Some("src/lib.rs".into()),
            line: Some(7),
            caller: caller.map(String::from),
            alloc_objects: objects,
            alloc_space: space,
            inuse_objects: 0.0,
            inuse_space: 0.0,
        };
        let s = vec![
            site("serde_json::ser::to_vec", Some("json_fanout::Hub::notify_clients"), 3.0, 384.0),
            site("json_fanout::Hub::flush", None, 1.0, 64.0),
        ];
        let base = vec![site("json_fanout::Hub::flush", None, 1.0, 64.0)];
        let grew = sites(&base, &s);
        assert_eq!(grew.len(), 1);
        assert_eq!(grew[0].function, "serde_json::ser::to_vec");
        assert_eq!((grew[0].base_alloc_objects, grew[0].new_alloc_objects), (0.0, 3.0));
    }

    /// The sites of the second package's `parse` are compared with its own baseline's, not with
    /// those of the first package's `parse`.
    #[test]
    fn sites_grow_against_the_same_packages_benchmark() {
        use crate::measurements::Measurements;
        use crate::report::{AllocFigures, Benchmark, Environment};
        let parse = |package: &str, objects: f64| {
            MeasuredBenchmark::new(Benchmark {
                alloc: Some(AllocFigures { alloc_objects: objects, exact: true, ..AllocFigures::default() }),
                sites: vec![AllocSite {
                    function: "parse".into(),
                    file: None,
                    line: None,
                    caller: None,
                    alloc_objects: objects,
                    alloc_space: 0.0,
                    inuse_objects: 0.0,
                    inuse_space: 0.0,
                }],
                ..Benchmark::new("parse", package, "t")
            })
        };
        let base = Baseline {
            schema_version: 1,
            name: "main".into(),
            environment: Environment::default(),
            benchmarks: vec![parse("json", 2.0), parse("toml", 1.0)],
            partition: None,
            warnings: Vec::new(),
        };
        let run = Measurements {
            environment: Environment::default(),
            benchmarks: vec![parse("json", 2.0), parse("toml", 2.0)],
            partition: None,
        };
        let policy = Policy::default();
        let mut comparison = crate::gate::compare::compare(&base, &run, &policy);
        sites_grew(&base, &run.benchmarks, &mut comparison, &policy);
        let grew: Vec<(&str, Vec<(f64, f64)>)> = comparison
            .benchmarks
            .iter()
            .map(|c| {
                (c.package.as_str(), c.grew.sites.iter().map(|g| (g.base_alloc_objects, g.new_alloc_objects)).collect())
            })
            .collect();
        assert_eq!(grew, [("json", vec![]), ("toml", vec![(1.0, 2.0)])]);
    }

    /// Where `write_syscalls` regressed (1 → 100) and `read_syscalls` did not: the write sites of
    /// this run that make more calls than the same function did in the baseline (its closure's
    /// one flush does not), none of the read sites; against a baseline whose site pass did not
    /// run, every write site, without a base.
    #[test]
    fn write_sites_of_a_regressed_write_count() {
        use crate::measurements::Measurements;
        use crate::report::{AllocFigures, Benchmark, Environment};
        use allocbench_formats::record::ProbeCounts;
        use allocbench_formats::report::ProbeFigures;
        use allocbench_formats::signals::{SyscallFamily, SyscallSite};
        let site = |family, function: &str, calls: f64| SyscallSite {
            family,
            function: function.into(),
            file: None,
            line: None,
            caller: None,
            calls,
            bytes: calls * 79.0,
        };
        let log = |writes: f64, sites: Vec<SyscallSite>, site_pass: bool| {
            let mut per_iteration = ProbeCounts::NONE;
            per_iteration.set(Metric::WriteSyscalls, writes);
            per_iteration.set(Metric::ReadSyscalls, 1.0);
            let mut b = MeasuredBenchmark::new(Benchmark {
                alloc: Some(AllocFigures { exact: true, ..AllocFigures::default() }),
                probes: Some(ProbeFigures { per_iteration, ..ProbeFigures::default() }),
                syscall_sites: sites,
                ..Benchmark::new("log", "unbuffered-log", "log")
            });
            if site_pass {
                b.artifacts.heap_profile = Some("log/heap.pb.gz".into());
            }
            b
        };
        let baseline = |b: MeasuredBenchmark| Baseline {
            schema_version: 1,
            name: "main".into(),
            environment: Environment::default(),
            benchmarks: vec![b],
            partition: None,
            warnings: Vec::new(),
        };
        let run = Measurements {
            environment: Environment::default(),
            benchmarks: vec![log(
                100.0,
                vec![
                    site(SyscallFamily::Read, "log::open", 1.0),
                    site(SyscallFamily::Write, "log::Logger::log", 100.0),
                    site(SyscallFamily::Write, "bench::{{closure}}", 1.0),
                ],
                true,
            )],
            partition: None,
        };
        let policy = Policy::default();
        let grew = |base: &Baseline| {
            let mut comparison = crate::gate::compare::compare(base, &run, &policy);
            syscalls_grew(base, &run.benchmarks, &mut comparison);
            comparison.benchmarks[0]
                .grew
                .syscalls
                .iter()
                .map(|g| (g.site.function.clone(), g.base_calls, g.site.calls))
                .collect::<Vec<_>>()
        };
        let with_sites = baseline(log(1.0, vec![site(SyscallFamily::Write, "bench::{{closure}}", 1.0)], true));
        assert_eq!(grew(&with_sites), [("log::Logger::log".to_owned(), Some(0.0), 100.0)]);
        let without = baseline(log(1.0, Vec::new(), false));
        assert_eq!(
            grew(&without),
            [("log::Logger::log".to_owned(), None, 100.0), ("bench::{{closure}}".to_owned(), None, 1.0)]
        );
        let unchanged = baseline(log(100.0, Vec::new(), false));
        assert_eq!(grew(&unchanged), [], "write_syscalls did not regress");
    }
}
