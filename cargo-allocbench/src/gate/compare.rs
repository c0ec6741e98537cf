//! Comparison of a run with a baseline: per benchmark and metric, the base and new figures, the
//! change, the limit that applied and a status.
//!
//! Each metric is judged by the rule its row of the metric table gives ([`ComparisonRule`]), and
//! a change of environment is warned of as its caveats say ([`Compares`]); no metric is named
//! here. Allocation figures are deterministic and compared as exact numbers against the
//! [`Policy`]'s limit (with a relative tolerance of 1e-9 for float noise: per-iteration figures
//! are ratios of integers). Figures that cannot be exact (`≈`: the samples disagreed, and the
//! figure is what the run did over the iterations it ran) are compared against the limit above
//! the baseline's figure plus a tolerance from the samples' own spread (`Spreads`), which the
//! metric's comparison states. Time is compared with an exact permutation test on each run's typical
//! time when both sides ran several times (`--runs`), else with Welch's two-tailed t-test on
//! criterion's per-iteration samples of one run: a change counts when p < 0.05 *and* the mean
//! moved beyond the policy's noise floor (2 % by default); it fails the gate only with
//! `fail-on-time`. New and
//! missing benchmarks are listed with their own status and never fail the gate by themselves.
//!
//! The tests themselves are in [`stats`]. The comparison's types, as `report.json` holds them,
//! are in [`allocbench_formats::comparison`], re-exported here.

use std::collections::{BTreeMap, BTreeSet};

use allocbench_formats::key::BenchmarkKey;
use allocbench_formats::measured::MeasuredBenchmark;
use allocbench_formats::metric::{Compares, ComparisonRule, MetricInfo};

pub use allocbench_formats::comparison::{BenchmarkComparison, Comparison, Growth, MetricComparison, Status};

use crate::gate::baseline::Baseline;
use crate::gate::policy::{Limit, Policy, EPSILON};
use crate::gate::stats;
use crate::measurements::Measurements;
use crate::render::units::format_metric;
use crate::report::{AllocSample, Benchmark, Metric, METRICS};

/// Compares run `new` with baseline `base` under `policy`.
///
/// A benchmark of the run is compared with the baseline's benchmark of the same key (package,
/// bench target, id): two packages' `parse` are two benchmarks. A baseline saved without the key
/// has had it given where the run allows ([`crate::gate::baseline::place_unplaced`]), and what
/// could not be matched is in its warnings, which come first.
pub fn compare(base: &Baseline, new: &Measurements, policy: &Policy) -> Comparison {
    let base_by_key: BTreeMap<BenchmarkKey, &MeasuredBenchmark> =
        base.benchmarks.iter().map(|b| (b.key(), b)).collect();
    let new_keys: BTreeSet<BenchmarkKey> = new.benchmarks.iter().map(|b| b.key()).collect();
    let mut warnings = base.warnings.clone();
    warnings.extend(environment_warnings(base, new));
    let mut benchmarks = Vec::new();
    for n in &new.benchmarks {
        let key = n.key();
        let old = base_by_key.get(&key).copied();
        let comparison = compare_benchmark(&key, old, Some(n), policy);
        if let Some(b) = old {
            warnings.extend(inexact_warning(&comparison, b, n));
        }
        benchmarks.push(comparison);
    }
    for b in base.benchmarks.iter().filter(|b| !new_keys.contains(&b.key())) {
        benchmarks.push(compare_benchmark(&b.key(), Some(b), None, policy));
    }
    Comparison { baseline: base.name.clone(), warnings, benchmarks }
}

fn environment_warnings(base: &Baseline, new: &Measurements) -> Vec<String> {
    let (b, n) = (&base.environment, &new.environment);
    let name = &base.name;
    // A runtime signal is named only where either side measured it non-zero, as its column.
    let measured = |metric: Metric| {
        base.benchmarks.iter().chain(&new.benchmarks).any(|b| b.figure(metric).is_some_and(|v| v != 0.0))
    };
    let mut warnings = Vec::new();
    for (what, old, new) in [
        ("toolchain", &b.rustc, &n.rustc),
        ("target", &b.target, &n.target),
        ("profile", &b.profile, &n.profile),
        ("allocator", &b.allocator, &n.allocator),
    ] {
        // A bare `allocbench::Alloc` is a baseline saved before records named the inner allocator:
        // unknown, not another one.
        let known = |v: &str| !(v.is_empty() || what == "allocator" && v == "allocbench::Alloc");
        if known(old) && known(new) && old != new {
            warnings.push(format!(
                "baseline `{name}` was measured with {what} `{old}`, this run with `{new}`: allocation figures still compare; {} may not",
                bound_to(Compares::SameBuild, &measured)
            ));
        }
    }
    if !b.cpu.is_empty() && !n.cpu.is_empty() && b.cpu != n.cpu {
        warnings.push(format!(
            "baseline `{name}` was measured on CPU `{}`, this run on `{}`: {} may not compare",
            b.cpu,
            n.cpu,
            bound_to(Compares::SameCpu, &measured)
        ));
    }
    warnings
}

/// The metrics whose caveats bind their comparison to `at_least` the same build, or CPU, most
/// bound first: `time and instructions`.
fn bound_to(at_least: Compares, measured: &dyn Fn(Metric) -> bool) -> String {
    let mut bound: Vec<&MetricInfo> =
        METRICS.iter().filter(|m| m.caveats.compares >= at_least && (!m.probe || measured(m.metric))).collect();
    bound.sort_by_key(|m| std::cmp::Reverse(m.caveats.compares));
    let names: Vec<&str> = bound.iter().map(|m| m.key).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "no figure".to_owned(),
    }
}

/// A regression in figures that varied between samples, judged without a tolerance (neither
/// side kept its samples' spread: a baseline saved before it was kept), may be noise: say how
/// to allow it. A metric that is not gated fails nothing and needs no limit.
fn inexact_warning(comparison: &BenchmarkComparison, base: &Benchmark, new: &Benchmark) -> Option<String> {
    let exact = |b: &Benchmark| b.alloc.map(|a| a.exact).unwrap_or(true);
    if exact(base) && exact(new) {
        return None;
    }
    let metric = comparison.metrics.iter().find(|m| {
        let info = m.metric.info();
        // A runtime signal is exact or `≈` on its own, whatever the allocation figures are.
        let varied = !info.probe || [base, new].iter().any(|b| b.spread(m.metric).is_some());
        info.is_counted() && varied && m.status == Status::Regressed && m.gated && m.tolerance.is_none()
    })?;
    Some(format!(
        "`{}`: allocation figures varied between samples, so its {} regression may be noise; allow it with a limit such as `--limit '{}:{}=5%'`",
        comparison.id,
        metric.metric.name(),
        glob::Pattern::escape(&comparison.id),
        metric.metric.name()
    ))
}

fn compare_benchmark<'a>(
    key: &BenchmarkKey,
    base: Option<&'a MeasuredBenchmark>,
    new: Option<&'a MeasuredBenchmark>,
    policy: &Policy,
) -> BenchmarkComparison {
    let id = key.id.as_str();
    let base_alloc = base.and_then(|b| b.alloc);
    let new_alloc = new.and_then(|b| b.alloc);
    // A figure that only a pass run on request measures (`--instructions`), or a runtime
    // signal (its column does not always stand), is compared where either side measured it
    // non-zero: a run without the pass, or code that makes no system call, compares as it
    // always did.
    let measured = |metric: Metric| [base, new].iter().flatten().any(|b| b.figure(metric).is_some_and(|v| v != 0.0));
    // In the table's order, which is the report's: the counted metrics, time last.
    let metrics: Vec<MetricComparison> = METRICS
        .iter()
        .filter(|m| m.column.is_none_or(|c| c.always) || measured(m.metric))
        .map(|m| match m.rule {
            ComparisonRule::Statistical { alpha, .. } => compare_statistical(m, alpha, id, base, new, policy),
            ComparisonRule::Exact | ComparisonRule::RelativeWithNoise => {
                let metric = m.metric;
                let spread = |b: Option<&MeasuredBenchmark>| b.and_then(|b| b.spread(metric));
                let samples = |b: Option<&'a MeasuredBenchmark>| b.map_or(&[][..], |b| b.alloc_samples.as_slice());
                compare_counted(
                    m,
                    base.and_then(|b| b.figure(metric)),
                    new.and_then(|b| b.figure(metric)),
                    Spreads {
                        base: spread(base),
                        new: spread(new),
                        base_samples: samples(base),
                        new_samples: samples(new),
                    },
                    policy.limit(id, metric),
                )
            }
        })
        .collect();

    let status = if new_alloc.is_none() && base_alloc.is_some() {
        Status::Missing
    } else if base_alloc.is_none() {
        Status::New
    } else if metrics.iter().any(|m| m.status == Status::Regressed && m.gated) {
        Status::Regressed
    } else if metrics.iter().any(|m| m.status == Status::Improved && m.gated) {
        // Only gated metrics decide, both ways: an ungated figure that varies between runs
        // (the peak of two racing threads) never marks a benchmark improved or regressed. Each
        // metric keeps its own status for the table.
        Status::Improved
    } else {
        Status::Pass
    };
    BenchmarkComparison {
        id: id.to_string(),
        package: key.package.clone(),
        target: key.target.clone(),
        status,
        metrics,
        grew: Growth::default(),
    }
}

/// Whether two figures are equal up to float noise.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPSILON * a.abs().max(b.abs()).max(1.0)
}

fn relative_change(base: f64, new: f64) -> Option<f64> {
    if same(base, new) {
        Some(0.0)
    } else if base == 0.0 {
        None
    } else {
        Some((new - base) / base.abs())
    }
}

/// The `[low, high]` range of a `≈` figure's per-sample figures on each side
/// ([`crate::report::AllocFigures::spread`]); none for an exact figure.
/// With each side's samples, when it kept them ([`Benchmark::alloc_samples`]).
#[derive(Debug, Clone, Copy, Default)]
struct Spreads<'a> {
    base: Option<[f64; 2]>,
    new: Option<[f64; 2]>,
    base_samples: &'a [AllocSample],
    new_samples: &'a [AllocSample],
}

impl Spreads<'_> {
    /// How far the new figure may rise above the base, and fall below it, before it counts: for
    /// a `≈` figure, the samples' own spread. A figure that cannot be exact is a mean of its
    /// samples' figures, and a run of the same code with other iteration counts gives another
    /// such mean: it counts as a rise only when it is above every sample of the baseline *and*
    /// every sample of this run is above the baseline's figure, so the tolerance is the larger
    /// of the baseline's spread above its figure (highest sample less figure) and this run's
    /// below its own (figure less lowest sample); a fall the other way round. A side without
    /// a spread (an exact figure, a baseline saved before spreads were kept) adds nothing.
    /// `None` when neither side has one: exact figures compare as exact numbers.
    fn tolerance(self, base: f64, new: f64) -> Option<(f64, f64)> {
        if self.base.is_none() && self.new.is_none() {
            return None;
        }
        let [base_low, base_high] = self.base.unwrap_or([base, base]);
        let [new_low, new_high] = self.new.unwrap_or([new, new]);
        let above = (base_high - base).max(new - new_low).max(0.0);
        let below = (base - base_low).max(new_high - new).max(0.0);
        Some((above, below))
    }

    /// Whether a sample of this run counted more of `metric`, beyond `limit`, than the
    /// baseline's code can have at its iteration count: more than the fewest that any baseline
    /// sample of as many iterations or more counted (a count does not fall as a sample gets
    /// longer), or, longer than every baseline sample or where the baseline's samples count in
    /// proportion to their iterations, more per iteration than any of them. A
    /// figure that depends on the samples' lengths (a buffer each sample grows from empty
    /// allocates `log2(n)` times in `n` calls) is so judged at like lengths: two runs of the
    /// same code whose criterion chose other iteration counts are not a rise. `None` when
    /// either side kept no samples (exact figures, a baseline saved before samples were kept).
    fn a_sample_rose(self, metric: Metric, limit: Limit) -> Option<bool> {
        // The samples kept are the allocator's: a runtime signal has no count in them, and is
        // judged by its own spread alone, as where no samples were kept.
        let counted = |samples: &[AllocSample]| samples.first().is_some_and(|s| s.count(metric).is_some());
        if !counted(self.base_samples) || !counted(self.new_samples) {
            return None;
        }
        let per_iteration = |s: &AllocSample| s.count(metric).map(|c| c / s.iters.max(1) as f64);
        let highest = self.base_samples.iter().filter_map(per_iteration).fold(f64::NEG_INFINITY, f64::max);
        let lowest = self.base_samples.iter().filter_map(per_iteration).fold(f64::INFINITY, f64::min);
        // Samples whose figures stay within a factor of two of each other (what a `Vec` that
        // doubles keeps) count in proportion to their iterations: their highest figure bounds
        // a sample of any length. Others (`log2(n) / n`) only bound samples as short or shorter.
        let proportional = lowest > 0.0 && highest <= 2.0 * lowest;
        Some(self.new_samples.iter().any(|s| {
            let as_long = self.base_samples.iter().filter(|b| b.iters >= s.iters).filter_map(|b| b.count(metric));
            let bound = match as_long.fold(None, |min: Option<f64>, c| Some(min.map_or(c, |m| m.min(c)))) {
                Some(count) if proportional => (count / s.iters.max(1) as f64).min(highest),
                Some(count) => count / s.iters.max(1) as f64,
                None => highest,
            };
            per_iteration(s).is_some_and(|v| bound.is_finite() && limit.exceeded(bound, v))
        }))
    }
}

/// One counted figure (an allocation figure or `instructions`) against its limit, as exact
/// numbers; a `≈` figure against its limit above the baseline's figure plus the samples' spread.
/// Under [`ComparisonRule::RelativeWithNoise`] a relative limit is noise below the baseline's
/// figure too.
fn compare_counted(
    info: &MetricInfo,
    base: Option<f64>,
    new: Option<f64>,
    spreads: Spreads<'_>,
    limit: Limit,
) -> MetricComparison {
    let metric = info.metric;
    let mut tolerance = None;
    let (change, status) = match (base, new) {
        (Some(b), Some(n)) => {
            let judged = spreads.tolerance(b, n);
            let (above, below) = judged.unwrap_or((0.0, 0.0));
            tolerance = judged.map(|(above, _)| above);
            // Exact figures compare with no tolerance: `b + 0.0` and `b - 0.0` are `b`.
            let (high, low) = (b + above, b - below);
            // An ungated figure that rose is `regressed` with `gated: false`, as time is: the
            // metric says it moved; only gated metrics decide the benchmark.
            let rose = n > high && !same(high, n);
            // A figure that varies a little from run to run (instructions): a fall within its
            // limit is noise, as a rise within it is.
            let fell = match limit {
                Limit::Relative(fraction) if info.rule.symmetric_noise() => n < b * (1.0 - fraction),
                _ => n < low && !same(low, n),
            };
            // A `≈` figure with samples on both sides rises only if a sample rose too; a figure
            // every sample agreed on is exact, whatever the benchmark's others.
            let sample_limit = if limit.is_gated() { limit } else { Limit::Exact };
            let confirmed = judged.is_none() || spreads.a_sample_rose(metric, sample_limit).unwrap_or(true);
            let rose = rose && confirmed;
            let status = if (limit.exceeded(high, n) && confirmed) || (!limit.is_gated() && rose) {
                Status::Regressed
            } else if fell {
                Status::Improved
            } else {
                Status::Pass
            };
            (relative_change(b, n), status)
        }
        (None, Some(_)) => (None, Status::New),
        (_, None) => (None, Status::Missing),
    };
    let limit_text = match tolerance {
        Some(t) if limit.is_gated() => format!("{limit} + ≈{} (samples' spread)", format_metric(metric, t)),
        _ => limit.to_string(),
    };
    MetricComparison {
        metric,
        base,
        new,
        change,
        limit: limit_text,
        gated: limit.is_gated(),
        status,
        p_value: None,
        tolerance,
    }
}

/// A figure of the machine's speed (time) by a significance test at `alpha` and the policy's
/// effect-size floor, on the samples the benchmark keeps of it: each run's typical time with
/// `--runs`, else criterion's per-iteration samples.
fn compare_statistical(
    info: &MetricInfo,
    alpha: f64,
    id: &str,
    base: Option<&MeasuredBenchmark>,
    new: Option<&MeasuredBenchmark>,
    policy: &Policy,
) -> MetricComparison {
    let noise = policy.time_noise(id);
    let gated = policy.fail_on_time(id);
    let typical = |b: Option<&MeasuredBenchmark>| b.and_then(|b| b.figure(info.metric));
    let not_compared = |status: Status| MetricComparison {
        metric: info.metric,
        base: typical(base),
        new: typical(new),
        change: None,
        limit: "not measured".into(),
        gated: false,
        status,
        p_value: None,
        tolerance: None,
    };
    let (Some(b), Some(n)) = (base, new.filter(|n| n.alloc.is_some())) else {
        return not_compared(if base.is_none() { Status::New } else { Status::Missing });
    };
    // Across runs when both sides have several (`--runs`): valid where the machine's speed drifts
    // between runs. Otherwise within one run's samples, which sees only that run's noise.
    let (base_mean, new_mean, p, test) = match stats::permutation(&b.time_runs_ns, &n.time_runs_ns) {
        Some(t) => (t.base_mean, t.new_mean, t.p, format!("{} vs {} runs", b.time_runs_ns.len(), n.time_runs_ns.len())),
        None => match stats::welch(&b.kept.time_samples_ns, &n.kept.time_samples_ns) {
            Some(t) => (t.base_mean, t.new_mean, t.p, "one run's samples".to_owned()),
            None => return not_compared(Status::Pass),
        },
    };
    let change = relative_change(base_mean, new_mean);
    let significant = p < alpha;
    let status = match change {
        Some(c) if significant && c > noise => Status::Regressed,
        Some(c) if significant && c < -noise => Status::Improved,
        _ => Status::Pass,
    };
    MetricComparison {
        metric: info.metric,
        base: Some(base_mean),
        new: Some(new_mean),
        change,
        limit: format!("p<{alpha} & >{} ({test})", Limit::Relative(noise)),
        gated,
        status,
        p_value: Some(p),
        tolerance: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AllocFigures, Environment, TimeFigures, Verdict};

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// Deterministic samples around `mean` with relative spread `noise` (xorshift).
    fn samples(seed: u64, n: usize, mean: f64, noise: f64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
                mean * (1.0 + noise * (2.0 * unit - 1.0))
            })
            .collect()
    }

    fn figures(objects: f64, space: f64) -> AllocFigures {
        AllocFigures {
            alloc_objects: objects,
            alloc_space: space,
            free_objects: objects,
            free_space: space,
            inuse_objects: 0.0,
            inuse_space: 0.0,
            reallocs: 0.0,
            peak_space: space,
            exact: true,
            inexact: None,
            approximate: false,
            sample_range: None,
        }
    }

    fn bench(id: &str, alloc: AllocFigures, time: Vec<f64>) -> MeasuredBenchmark {
        let mut b = MeasuredBenchmark::new(Benchmark {
            alloc: Some(alloc),
            time: (!time.is_empty()).then(|| TimeFigures {
                typical_ns: time.iter().sum::<f64>() / time.len() as f64,
                ..TimeFigures::default()
            }),
            ..Benchmark::new(id, "p", "t")
        });
        b.kept.time_samples_ns = time;
        b
    }

    fn env() -> Environment {
        Environment {
            rustc: "rustc 1.95.0".into(),
            target: "x86_64-unknown-linux-gnu".into(),
            profile: "bench".into(),
            allocator: "System".into(),
            cpu: "cpu".into(),
            ..Environment::default()
        }
    }

    fn baseline<B: Into<MeasuredBenchmark>>(benchmarks: Vec<B>) -> Baseline {
        Baseline {
            schema_version: 1,
            name: "main".into(),
            environment: env(),
            benchmarks: benchmarks.into_iter().map(Into::into).collect(),
            partition: None,
            warnings: Vec::new(),
        }
    }

    fn run<B: Into<MeasuredBenchmark>>(benchmarks: Vec<B>) -> Measurements {
        Measurements {
            environment: env(),
            benchmarks: benchmarks.into_iter().map(Into::into).collect(),
            partition: None,
        }
    }

    #[test]
    fn a_a_passes() {
        let benches = vec![
            bench("a", figures(3.0, 256.0), samples(1, 100, 1000.0, 0.01)),
            bench("b", figures(1.0 / 3.0, 1000.0 / 3.0), vec![]),
        ];
        let c = compare(&baseline(benches.clone()), &run(benches), &Policy::default());
        assert_eq!(c.verdict(), Verdict::Pass);
        assert!(c.benchmarks.iter().all(|b| b.status == Status::Pass), "{c:#?}");
        assert!(c.warnings.is_empty());
        assert_eq!(c.summary_line(), "0 regressed, 0 improved, 2 passed, 0 new, 0 missing against baseline `main`");
        let a = c.get("a").unwrap().metric(Metric::AllocSpace).unwrap();
        assert_eq!(
            (a.base, a.new, a.change, a.limit.as_str(), a.gated),
            (Some(256.0), Some(256.0), Some(0.0), "0", true)
        );
        let time = c.get("a").unwrap().metric(Metric::Time).unwrap();
        assert_eq!(time.p_value, Some(1.0));
        assert_eq!(time.limit, "p<0.05 & >2% (one run's samples)");
        let time = c.get("b").unwrap().metric(Metric::Time).unwrap();
        assert_eq!((time.limit.as_str(), time.status, time.change), ("not measured", Status::Pass, None));
    }

    /// With several runs a side, time is judged on the runs: one run's samples may be as tight as
    /// they like, a drift between runs is not a change, and a shift that every run shows is.
    #[test]
    fn runs_decide_time_when_both_sides_have_them() {
        let with_runs = |samples: Vec<f64>, runs: &[f64]| {
            let mut b = bench("a", figures(1.0, 8.0), samples);
            b.time_runs_ns = runs.to_vec();
            b
        };
        // Tight samples 10 % apart, which Welch's test calls a change, but runs that overlap.
        let base = with_runs(samples(1, 100, 1000.0, 0.001), &[1000.0, 1130.0, 905.0, 1080.0, 990.0]);
        let drift = with_runs(samples(2, 100, 1100.0, 0.001), &[1100.0, 950.0, 1040.0, 1010.0, 1120.0]);
        let c = compare(&baseline(vec![base.clone()]), &run(vec![drift]), &Policy::default());
        let time = c.get("a").unwrap().metric(Metric::Time).unwrap();
        assert_eq!(time.status, Status::Pass, "{time:?}");
        assert_eq!(time.limit, "p<0.05 & >2% (5 vs 5 runs)");
        assert!(time.p_value.unwrap() > 0.05, "{time:?}");

        // Runs within 2 % of each other, then every one 10 % slower: the smallest p that five
        // runs a side can give, 2/252.
        let steady = [1000.0, 1010.0, 995.0, 1005.0, 990.0];
        let steady_base = with_runs(samples(1, 100, 1000.0, 0.001), &steady);
        let slower = with_runs(samples(3, 100, 1100.0, 0.001), &steady.map(|t| t * 1.1));
        let c = compare(&baseline(vec![steady_base]), &run(vec![slower]), &Policy::default());
        let time = c.get("a").unwrap().metric(Metric::Time).unwrap();
        assert_eq!(time.status, Status::Regressed, "{time:?}");
        assert!(close(time.p_value.unwrap(), 2.0 / 252.0, 1e-12), "{time:?}");
        assert!(close(time.change.unwrap(), 0.1, 1e-9), "{time:?}");

        // Runs on one side only: one run's samples decide, as without `--runs`.
        let one_run = bench("a", figures(1.0, 8.0), samples(2, 100, 1100.0, 0.001));
        let c = compare(&baseline(vec![base]), &run(vec![one_run]), &Policy::default());
        let time = c.get("a").unwrap().metric(Metric::Time).unwrap();
        assert_eq!((time.status, time.limit.as_str()), (Status::Regressed, "p<0.05 & >2% (one run's samples)"));
    }

    #[test]
    fn fractions_compare_equal_despite_float_noise() {
        // 1/3 computed two ways differs in the last bit.
        let one_third = 1.0 / 3.0;
        let also_one_third = 1000.0 / 3000.0 * (1.0 + f64::EPSILON);
        assert_ne!(one_third, also_one_third);
        let c = compare(
            &baseline(vec![bench("a", figures(one_third, 0.1 + 0.2), vec![])]),
            &run(vec![bench("a", figures(also_one_third, 0.3), vec![])]),
            &Policy::default(),
        );
        assert_eq!(c.benchmarks[0].status, Status::Pass, "{c:#?}");
        assert_eq!(c.benchmarks[0].metric(Metric::AllocObjects).unwrap().change, Some(0.0));
    }

    #[test]
    fn one_more_allocation_regresses() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(3.0, 192.0), vec![])]),
            &Policy::default(),
        );
        assert_eq!(c.verdict(), Verdict::Regressed);
        let b = &c.benchmarks[0];
        assert_eq!(b.status, Status::Regressed);
        let objects = b.metric(Metric::AllocObjects).unwrap();
        assert_eq!((objects.base, objects.new, objects.change), (Some(2.0), Some(3.0), Some(0.5)));
        assert_eq!(objects.status, Status::Regressed);
        // Not gated by default: reported as moved, with its change, and it decides nothing.
        let free = b.metric(Metric::FreeObjects).unwrap();
        assert_eq!(
            (free.status, free.gated, free.limit.as_str(), free.change),
            (Status::Regressed, false, "none", Some(0.5))
        );
        assert_eq!(c.summary_line(), "1 regressed, 0 improved, 0 passed, 0 new, 0 missing against baseline `main`");
    }

    #[test]
    fn one_fewer_allocation_improves() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(1.0, 64.0), vec![])]),
            &Policy::default(),
        );
        assert_eq!(c.verdict(), Verdict::Pass);
        assert_eq!(c.benchmarks[0].status, Status::Improved);
        let m = c.benchmarks[0].metric(Metric::AllocObjects).unwrap();
        assert_eq!((m.status, m.change), (Status::Improved, Some(-0.5)));
        assert_eq!(c.summary_line(), "0 regressed, 1 improved, 0 passed, 0 new, 0 missing against baseline `main`");
    }

    #[test]
    fn limits_apply_per_benchmark() {
        let mut policy = Policy::default();
        policy.add_limit("fanout/*:alloc_objects=+1").unwrap();
        policy.add_limit("alloc_space=50%").unwrap();
        let c = compare(
            &baseline(vec![
                bench("fanout/10", figures(2.0, 128.0), vec![]),
                bench("other", figures(2.0, 128.0), vec![]),
            ]),
            &run(vec![bench("fanout/10", figures(3.0, 192.0), vec![]), bench("other", figures(3.0, 192.0), vec![])]),
            &policy,
        );
        let fanout = c.get("fanout/10").unwrap();
        assert_eq!(fanout.status, Status::Pass, "{fanout:#?}");
        assert_eq!(fanout.metric(Metric::AllocObjects).unwrap().limit, "+1");
        assert_eq!(fanout.metric(Metric::AllocSpace).unwrap().limit, "50%");
        let other = c.get("other").unwrap();
        assert_eq!(other.status, Status::Regressed);
        assert_eq!(other.metric(Metric::AllocObjects).unwrap().status, Status::Regressed);
        assert_eq!(other.metric(Metric::AllocSpace).unwrap().status, Status::Pass);
    }

    #[test]
    fn from_zero_any_increase_regresses_and_change_is_null() {
        let mut policy = Policy::default();
        policy.add_limit("alloc_objects=10%").unwrap();
        let c = compare(
            &baseline(vec![bench("a", figures(0.0, 0.0), vec![])]),
            &run(vec![bench("a", figures(1.0, 0.0), vec![])]),
            &policy,
        );
        let m = c.benchmarks[0].metric(Metric::AllocObjects).unwrap();
        assert_eq!((m.status, m.change), (Status::Regressed, None));
    }

    #[test]
    fn new_and_missing_are_listed_and_do_not_fail() {
        let c = compare(
            &baseline(vec![bench("kept", figures(1.0, 8.0), vec![]), bench("gone", figures(1.0, 8.0), vec![])]),
            &run(vec![bench("added", figures(5.0, 80.0), vec![]), bench("kept", figures(1.0, 8.0), vec![])]),
            &Policy::default(),
        );
        let ids: Vec<(&str, Status)> = c.benchmarks.iter().map(|b| (b.id.as_str(), b.status)).collect();
        assert_eq!(ids, vec![("added", Status::New), ("kept", Status::Pass), ("gone", Status::Missing)]);
        assert_eq!(c.verdict(), Verdict::Pass);
        let added = c.get("added").unwrap().metric(Metric::AllocObjects).unwrap();
        assert_eq!((added.base, added.new, added.status), (None, Some(5.0), Status::New));
        let gone = c.get("gone").unwrap().metric(Metric::AllocObjects).unwrap();
        assert_eq!((gone.base, gone.new, gone.status), (Some(1.0), None, Status::Missing));
        assert_eq!(c.summary_line(), "0 regressed, 0 improved, 1 passed, 1 new, 1 missing against baseline `main`");
    }

    #[test]
    fn a_benchmark_without_figures_in_the_run_is_missing() {
        let mut failed = bench("a", figures(1.0, 8.0), vec![]);
        failed.alloc = None;
        failed.error = Some("timed out".into());
        let c = compare(&baseline(vec![bench("a", figures(1.0, 8.0), vec![])]), &run(vec![failed]), &Policy::default());
        assert_eq!(c.benchmarks.len(), 1);
        assert_eq!(c.benchmarks[0].status, Status::Missing);
    }

    #[test]
    fn identical_time_distributions_pass() {
        // 20 A/A comparisons with independent noise: none may flag time.
        for seed in 0..20 {
            let base = bench("a", figures(1.0, 8.0), samples(seed, 100, 1000.0, 0.05));
            let new = bench("a", figures(1.0, 8.0), samples(seed + 100, 100, 1000.0, 0.05));
            let mut policy = Policy::default();
            policy.set_fail_on_time(true);
            let c = compare(&baseline(vec![base]), &run(vec![new]), &policy);
            let time = c.benchmarks[0].metric(Metric::Time).unwrap();
            assert_eq!(time.status, Status::Pass, "seed {seed}: {time:?}");
            assert_eq!(c.verdict(), Verdict::Pass);
        }
    }

    #[test]
    fn a_ten_percent_slowdown_is_reported_and_gated_only_on_request() {
        let base = bench("a", figures(1.0, 8.0), samples(1, 100, 1000.0, 0.01));
        let new = bench("a", figures(1.0, 8.0), samples(2, 100, 1100.0, 0.01));
        let c = compare(&baseline(vec![base.clone()]), &run(vec![new.clone()]), &Policy::default());
        let time = c.benchmarks[0].metric(Metric::Time).unwrap();
        assert_eq!((time.status, time.gated), (Status::Regressed, false));
        assert!(time.p_value.unwrap() < 1e-10);
        assert!(close(time.change.unwrap(), 0.1, 0.005), "{time:?}");
        assert_eq!(c.benchmarks[0].status, Status::Pass);
        assert_eq!(c.verdict(), Verdict::Pass);
        assert_eq!(
            c.summary_line(),
            "0 regressed, 0 improved, 1 passed, 0 new, 0 missing against baseline `main`; 1 slower in time (not gated)"
        );

        let mut policy = Policy::default();
        policy.set_fail_on_time(true);
        let c = compare(&baseline(vec![base.clone()]), &run(vec![new.clone()]), &policy);
        assert_eq!(c.benchmarks[0].status, Status::Regressed);
        assert_eq!(c.verdict(), Verdict::Regressed);

        // Faster is an improvement of the time metric; of the benchmark only when time is gated.
        let c = compare(&baseline(vec![new.clone()]), &run(vec![base.clone()]), &Policy::default());
        assert_eq!(c.benchmarks[0].metric(Metric::Time).unwrap().status, Status::Improved);
        assert_eq!(c.benchmarks[0].status, Status::Pass);
        let c = compare(&baseline(vec![new]), &run(vec![base]), &policy);
        assert_eq!(c.benchmarks[0].status, Status::Improved);
    }

    #[test]
    fn a_significant_change_below_the_noise_floor_passes() {
        // 1 % slower with very little noise: significant, but under the 2 % floor.
        let base = bench("a", figures(1.0, 8.0), samples(1, 100, 1000.0, 0.001));
        let new = bench("a", figures(1.0, 8.0), samples(2, 100, 1010.0, 0.001));
        let mut policy = Policy::default();
        policy.set_fail_on_time(true);
        let c = compare(&baseline(vec![base]), &run(vec![new]), &policy);
        let time = c.benchmarks[0].metric(Metric::Time).unwrap();
        assert!(time.p_value.unwrap() < 0.05);
        assert_eq!(time.status, Status::Pass);
    }

    #[test]
    fn a_baseline_that_did_not_name_its_allocator_does_not_warn() {
        let mut base = baseline(vec![bench("a", figures(1.0, 8.0), vec![])]);
        base.environment.allocator = "allocbench::Alloc".into();
        let mut new = run(vec![bench("a", figures(1.0, 8.0), vec![])]);
        new.environment.allocator = "allocbench::Alloc<std::alloc::System>".into();
        assert_eq!(compare(&base, &new, &Policy::default()).warnings, Vec::<String>::new());
        base.environment.allocator = "allocbench::Alloc<tikv_jemallocator::Jemalloc>".into();
        assert_eq!(compare(&base, &new, &Policy::default()).warnings.len(), 1);
    }

    #[test]
    fn another_toolchain_or_target_warns() {
        let benches = vec![bench("a", figures(1.0, 8.0), vec![])];
        let mut report = run(benches.clone());
        report.environment.rustc = "rustc 1.96.0".into();
        report.environment.target = "aarch64-apple-darwin".into();
        report.environment.cpu = "other cpu".into();
        let c = compare(&baseline(benches), &report, &Policy::default());
        assert_eq!(
            c.warnings,
            vec![
                "baseline `main` was measured with toolchain `rustc 1.95.0`, this run with `rustc 1.96.0`: allocation figures still compare; time and instructions may not",
                "baseline `main` was measured with target `x86_64-unknown-linux-gnu`, this run with `aarch64-apple-darwin`: allocation figures still compare; time and instructions may not",
                "baseline `main` was measured on CPU `cpu`, this run on `other cpu`: time may not compare",
            ]
        );
        assert_eq!(c.verdict(), Verdict::Pass);
    }

    #[test]
    fn an_inexact_regression_warns_with_a_limit_to_allow_it() {
        let mut varied = figures(2.0, 100.0);
        varied.exact = false;
        let c = compare(
            &baseline(vec![bench("map/[big]", figures(2.0, 100.0), vec![])]),
            &run(vec![bench("map/[big]", varied, vec![])]),
            &{
                let mut p = Policy::default();
                p.add_limit("alloc_objects=none").unwrap();
                p
            },
        );
        assert_eq!(c.benchmarks[0].status, Status::Pass);
        assert!(c.warnings.is_empty());
        let mut more = varied;
        more.alloc_space = 101.0;
        let c = compare(
            &baseline(vec![bench("map/[big]", figures(2.0, 100.0), vec![])]),
            &run(vec![bench("map/[big]", more, vec![])]),
            &Policy::default(),
        );
        assert_eq!(
            c.warnings,
            vec!["`map/[big]`: allocation figures varied between samples, so its alloc_space regression may be noise; allow it with a limit such as `--limit 'map/[[]big[]]:alloc_space=5%'`"]
        );
    }

    /// Two packages' `parse`, each compared with its own baseline: unchanged code passes, though
    /// one allocates twice what the other does.
    #[test]
    fn two_packages_of_one_id_are_two_benchmarks() {
        let parse = |package: &str, objects: f64| Benchmark {
            package: package.into(),
            ..bench("parse", figures(objects, objects * 8.0), vec![]).benchmark
        };
        let benches = vec![parse("json", 2.0), parse("toml", 1.0)];
        let c = compare(&baseline(benches.clone()), &run(benches.clone()), &Policy::default());
        let outcome: Vec<(&str, &str, Status)> =
            c.benchmarks.iter().map(|b| (b.package.as_str(), b.id.as_str(), b.status)).collect();
        assert_eq!(outcome, [("json", "parse", Status::Pass), ("toml", "parse", Status::Pass)]);
        let toml = c.benchmark(&benches[1].key()).unwrap().metric(Metric::AllocObjects).unwrap();
        assert_eq!((toml.base, toml.new), (Some(1.0), Some(1.0)));

        // One package's regression is that package's.
        let worse = vec![parse("json", 2.0), parse("toml", 2.0)];
        let c = compare(&baseline(benches), &run(worse), &Policy::default());
        let statuses: Vec<(&str, Status)> = c.benchmarks.iter().map(|b| (b.package.as_str(), b.status)).collect();
        assert_eq!(statuses, [("json", Status::Pass), ("toml", Status::Regressed)]);
        let json = serde_json::to_value(&c.benchmarks[1]).unwrap();
        assert_eq!((&json["id"], &json["package"], &json["target"]), (&"parse".into(), &"toml".into(), &"t".into()));
    }

    /// Figures of a routine whose samples disagree: `figure` per iteration, each sample's own
    /// between `low` and `high`, for the three gated metrics.
    fn varied(figure: f64, low: f64, high: f64) -> AllocFigures {
        let mut a = figures(figure / 1000.0, figure);
        a.free_objects = 0.0;
        a.free_space = 0.0;
        a.inuse_objects = a.alloc_objects;
        a.inuse_space = figure;
        a.exact = false;
        a.inexact = Some(crate::report::Inexact::SamplesDisagree);
        a.sample_range = Some(crate::report::SampleRange {
            alloc_objects: [low / 1000.0, high / 1000.0],
            alloc_space: [low, high],
            inuse_objects: [low / 1000.0, high / 1000.0],
            inuse_space: [low, high],
            ..Default::default()
        });
        a
    }

    /// A `≈` figure is judged against the baseline's figure plus its samples' spread: the same
    /// code, whose figure is another mean of such samples, passes; twice the allocations fail.
    #[test]
    fn a_varied_figure_is_judged_with_its_samples_spread() {
        let base = baseline(vec![bench("buf", varied(1400.0, 1000.0, 1900.0), vec![])]);
        let same_code = run(vec![bench("buf", varied(1650.0, 1100.0, 1800.0), vec![])]);
        let c = compare(&base, &same_code, &Policy::default());
        assert_eq!(c.verdict(), Verdict::Pass, "{c:#?}");
        // The larger of the baseline's spread above its figure and this run's below its own.
        let m = c.get("buf").unwrap().metric(Metric::InuseSpace).unwrap();
        assert_eq!(
            (m.status, m.tolerance, m.limit.as_str()),
            (Status::Pass, Some(550.0), "0 + ≈550 B (samples' spread)")
        );
        // Above every baseline sample, but not every sample of this run above the baseline's
        // figure: another mean of the same samples.
        let wide = run(vec![bench("buf", varied(1950.0, 1300.0, 2600.0), vec![])]);
        assert_eq!(compare(&base, &wide, &Policy::default()).verdict(), Verdict::Pass);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        // Below the baseline's lowest sample is an improvement; within its spread is not.
        let lower = run(vec![bench("buf", varied(1050.0, 1000.0, 1100.0), vec![])]);
        assert_eq!(compare(&base, &lower, &Policy::default()).get("buf").unwrap().status, Status::Pass);
        let lowest = run(vec![bench("buf", varied(900.0, 800.0, 1000.0), vec![])]);
        assert_eq!(compare(&base, &lowest, &Policy::default()).get("buf").unwrap().status, Status::Improved);

        let doubled = run(vec![bench("buf", varied(2800.0, 2000.0, 3800.0), vec![])]);
        let c = compare(&base, &doubled, &Policy::default());
        assert_eq!(c.verdict(), Verdict::Regressed);
        let m = c.get("buf").unwrap().metric(Metric::AllocSpace).unwrap();
        assert_eq!((m.status, m.tolerance, m.change), (Status::Regressed, Some(800.0), Some(1.0)));
        // A limit applies on top of the tolerance.
        let mut policy = Policy::default();
        policy.add_limit("inuse_space=50%").unwrap();
        let c = compare(&base, &doubled, &policy);
        let m = c.get("buf").unwrap().metric(Metric::InuseSpace).unwrap();
        assert_eq!((m.status, m.limit.as_str()), (Status::Pass, "50% + ≈800 B (samples' spread)"));
        // Not gated: reported as moved beyond the spread, deciding nothing.
        let free = c.get("buf").unwrap().metric(Metric::FreeSpace).unwrap();
        assert_eq!((free.tolerance, free.limit.as_str()), (None, "none"));
    }

    /// Exact on one side, `≈` on the other: the `≈` side's spread is the tolerance, so a rise
    /// counts when even this run's lowest sample rose.
    #[test]
    fn only_this_runs_spread_judges_against_an_exact_baseline() {
        let mut exact = figures(1.4, 1400.0);
        exact.inuse_space = 1400.0;
        let base = baseline(vec![bench("buf", exact, vec![])]);
        let c = compare(&base, &run(vec![bench("buf", varied(1600.0, 1300.0, 1900.0), vec![])]), &Policy::default());
        let m = c.get("buf").unwrap().metric(Metric::AllocSpace).unwrap();
        assert_eq!((m.status, m.tolerance), (Status::Pass, Some(300.0)));
        let c = compare(&base, &run(vec![bench("buf", varied(1600.0, 1450.0, 1900.0), vec![])]), &Policy::default());
        assert_eq!(c.get("buf").unwrap().metric(Metric::AllocSpace).unwrap().status, Status::Regressed);
        assert!(c.warnings.is_empty(), "judged with a tolerance, so no warning: {:?}", c.warnings);
    }

    /// A buffer each sample grows from empty, 1000 bytes a call (`copies` times): samples of
    /// `step`, `2 * step`, ... `10 * step` iterations, as the figures pass reads them.
    fn grown_each_sample(step: u64, copies: u64) -> Benchmark {
        use crate::passes::figures::{self, Sample};
        let samples: Vec<Sample> = (1..=10u64)
            .map(|k| {
                let n = k * step;
                let doublings = u64::from(n.next_power_of_two().trailing_zeros());
                let top = n.next_power_of_two();
                Sample {
                    iters: n,
                    windows: 1,
                    custom: false,
                    counts: allocbench_formats::counts::Counts {
                        alloc_objects: copies * (1 + doublings),
                        alloc_space: copies * 1000 * (2 * top - 1),
                        free_objects: copies * doublings,
                        free_space: copies * 1000 * (top - 1),
                        reallocs: copies * doublings,
                    },
                    peak_space: 0,
                }
            })
            .collect();
        let alloc = figures::per_iteration_figures(&samples).unwrap();
        assert_eq!(alloc.inexact, Some(crate::report::Inexact::SamplesDisagree));
        Benchmark {
            alloc_samples: figures::kept_samples(&samples, Some(&alloc)),
            alloc: Some(alloc),
            ..Benchmark::new("buf", "p", "t")
        }
    }

    /// Allocations per iteration of a buffer each sample grows depend on the samples' lengths
    /// (`log2(n) / n`): a run whose criterion chose samples of 1 to 10 iterations against a
    /// baseline of 80 to 800 reads 30 times the allocations, and no sample of it counted more
    /// than a baseline sample as long or longer. Twice the work does, wherever a sample of this
    /// run is as long as one of the baseline's.
    #[test]
    fn a_varied_figure_is_judged_at_like_sample_lengths() {
        for (base_step, new_step) in [(80, 1), (80, 10), (1, 80), (7, 13), (100, 100)] {
            let base = baseline(vec![grown_each_sample(base_step, 1)]);
            let c = compare(&base, &run(vec![grown_each_sample(new_step, 1)]), &Policy::default());
            assert_eq!(c.verdict(), Verdict::Pass, "steps {base_step} and {new_step}: {c:#?}");
            let c = compare(&base, &run(vec![grown_each_sample(new_step, 2)]), &Policy::default());
            let b = c.get("buf").unwrap();
            // Samples of this run as long as the baseline's shortest, or longer.
            if new_step * 10 >= base_step {
                assert_eq!(b.status, Status::Regressed, "steps {base_step} and {new_step}, twice: {b:#?}");
                assert_eq!(b.metric(Metric::InuseSpace).unwrap().status, Status::Regressed);
            }
        }
    }

    /// In a benchmark whose samples disagree on some counts, a count they all agree on is
    /// exact and judged as exact: one more allocation a call fails, whatever lengths the
    /// samples had.
    #[test]
    fn an_agreed_count_beside_varied_ones_stays_exact() {
        use crate::passes::figures::{self, Sample};
        let batched = |step: u64, per: u64| {
            let samples: Vec<Sample> = (1..=10u64)
                .map(|k| {
                    let n = k * step;
                    Sample {
                        iters: n,
                        windows: 1,
                        custom: false,
                        counts: allocbench_formats::counts::Counts {
                            alloc_objects: per * n + 5,
                            alloc_space: 64 * per * n,
                            free_objects: per * n + n.div_ceil(8),
                            free_space: 64 * per * n,
                            reallocs: 0,
                        },
                        peak_space: 0,
                    }
                })
                .collect();
            let alloc = figures::per_iteration_figures(&samples).unwrap();
            assert!(alloc.spread(Metric::FreeObjects).is_some() && alloc.spread(Metric::AllocObjects).is_none());
            Benchmark {
                alloc_samples: figures::kept_samples(&samples, Some(&alloc)),
                alloc: Some(alloc),
                ..Benchmark::new("batched", "p", "t")
            }
        };
        let c = compare(&baseline(vec![batched(100, 2)]), &run(vec![batched(3, 3)]), &Policy::default());
        let m = c.get("batched").unwrap().metric(Metric::AllocObjects).unwrap();
        assert_eq!((m.status, m.tolerance, m.limit.as_str()), (Status::Regressed, None, "0"), "{m:?}");
    }

    /// A `≈` runtime signal beside `≈` allocation figures (whose samples both sides keep) is
    /// judged by its own spread: a hundred times the blocking regresses, the same figures pass.
    /// The allocation samples hold no count of it, which once read as "no sample rose".
    #[test]
    fn a_varied_signal_beside_varied_allocations_can_regress() {
        use crate::passes::figures::{self, Sample};
        use allocbench_formats::record::ProbeCounts;
        use allocbench_formats::report::ProbeFigures;
        let bench = |blocked: f64| {
            let samples: Vec<Sample> = (1..=10u64)
                .map(|k| Sample {
                    iters: 10 * k,
                    windows: 1,
                    custom: false,
                    counts: allocbench_formats::counts::Counts {
                        alloc_objects: 10 * k + k % 3,
                        alloc_space: 640 * k,
                        free_objects: 10 * k,
                        free_space: 640 * k,
                        reallocs: 0,
                    },
                    peak_space: 0,
                })
                .collect();
            let alloc = figures::per_iteration_figures(&samples).unwrap();
            assert!(alloc.spread(Metric::AllocObjects).is_some(), "the allocation figures are ≈");
            let mut per_iteration = ProbeCounts::NONE;
            per_iteration.set(Metric::VoluntarySwitches, blocked);
            let probes = ProbeFigures {
                per_iteration,
                varied: vec!["voluntary_switches".into()],
                sample_range: [("voluntary_switches".to_owned(), [blocked * 0.8, blocked * 1.2])].into(),
                left_running: None,
            };
            Benchmark {
                alloc_samples: figures::kept_samples(&samples, Some(&alloc)),
                alloc: Some(alloc),
                probes: Some(probes),
                ..Benchmark::new("pool", "p", "t")
            }
        };
        let base = baseline(vec![bench(2.0)]);
        assert!(!base.benchmarks[0].alloc_samples.is_empty(), "the baseline keeps its samples");
        let c = compare(&base, &run(vec![bench(200.0)]), &Policy::default());
        let m = c.get("pool").unwrap().metric(Metric::VoluntarySwitches).unwrap();
        assert_eq!(m.status, Status::Regressed, "{m:?}");
        let c = compare(&base, &run(vec![bench(2.0)]), &Policy::default());
        let m = c.get("pool").unwrap().metric(Metric::VoluntarySwitches).unwrap();
        assert_eq!(m.status, Status::Pass, "{m:?}");
    }

    /// A history keeps a block a call in a `Vec` that doubles: its samples count in proportion
    /// to their iterations, so twice the blocks is caught whatever lengths criterion chose; the
    /// same code passes.
    #[test]
    fn a_history_is_judged_per_iteration_at_any_length() {
        use crate::passes::figures::{self, Sample};
        let history = |step: u64, copies: u64| {
            let mut kept = 1000u64; // entries before the first sample
            let samples: Vec<Sample> = (1..=10u64)
                .map(|k| {
                    let n = k * step;
                    let (before, after) = (kept.next_power_of_two(), (kept + n).next_power_of_two());
                    let grew = u64::from(after != before);
                    kept += n;
                    Sample {
                        iters: n,
                        windows: 1,
                        custom: false,
                        counts: allocbench_formats::counts::Counts {
                            alloc_objects: copies * (n + grew),
                            alloc_space: copies * (1000 * n + grew * 24 * after),
                            free_objects: copies * grew,
                            free_space: copies * grew * 24 * before,
                            reallocs: copies * grew,
                        },
                        peak_space: 0,
                    }
                })
                .collect();
            let alloc = figures::per_iteration_figures(&samples).unwrap();
            Benchmark {
                alloc_samples: figures::kept_samples(&samples, Some(&alloc)),
                alloc: Some(alloc),
                ..Benchmark::new("history", "p", "t")
            }
        };
        for (base_step, new_step) in [(123, 2), (2, 123), (50, 60)] {
            let base = baseline(vec![history(base_step, 1)]);
            let c = compare(&base, &run(vec![history(new_step, 1)]), &Policy::default());
            assert_eq!(c.verdict(), Verdict::Pass, "steps {base_step} and {new_step}: {c:#?}");
            let c = compare(&base, &run(vec![history(new_step, 2)]), &Policy::default());
            assert_eq!(c.get("history").unwrap().status, Status::Regressed, "steps {base_step} and {new_step}: {c:#?}");
        }
    }

    /// Exact figures keep limit 0 and no tolerance: the comparison reads as it always did.
    #[test]
    fn exact_figures_have_no_tolerance() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &Policy::default(),
        );
        assert!(c.benchmarks[0].metrics.iter().all(|m| m.tolerance.is_none()), "{c:#?}");
        let json = serde_json::to_value(&c).unwrap();
        assert!(json["benchmarks"][0]["metrics"][0].get("tolerance").is_none(), "{json}");
    }

    #[test]
    fn serializes_in_the_report_vocabulary() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(3.0, 128.0), vec![])]),
            &Policy::default(),
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["baseline"], "main");
        assert_eq!(json["benchmarks"][0]["status"], "regressed");
        let objects = &json["benchmarks"][0]["metrics"][0];
        assert_eq!(
            objects,
            &serde_json::json!({
                "metric": "alloc_objects", "base": 2.0, "new": 3.0, "change": 0.5, "limit": "0",
                "gated": true, "status": "regressed", "p_value": null
            })
        );
        let back: Comparison = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }

    /// `instructions` (the table's `RelativeWithNoise` rule, default limit 1 %): a change within
    /// the limit is noise both ways; beyond it, a regression or an improvement. An allocation
    /// figure (`Exact`) under a relative limit still improves by any fall. As the gate judged
    /// them when these rules were special cases naming the metrics.
    #[test]
    fn the_tables_rules_judge_as_the_special_cases_did() {
        use allocbench_formats::report::InstructionFigures;
        let with = |instructions: Option<f64>, space: f64| Benchmark {
            instructions: instructions.map(|i| InstructionFigures {
                instructions: i,
                exact: true,
                functions: Vec::new(),
            }),
            ..bench("a", figures(2.0, space), vec![]).benchmark
        };
        let judge = |base: Benchmark, new: Benchmark, policy: &Policy| {
            let c = compare(&baseline(vec![base]), &run(vec![new]), policy);
            c.benchmarks[0].clone()
        };
        let instructions = |b: &BenchmarkComparison| {
            let m = b.metric(Metric::Instructions).unwrap();
            (m.status, m.limit.clone(), m.gated)
        };
        let default = Policy::default();
        let base = with(Some(10_000.0), 128.0);
        for (new, status) in [
            (10_050.0, Status::Pass),
            (10_200.0, Status::Regressed),
            (9_950.0, Status::Pass),
            (9_800.0, Status::Improved),
        ] {
            let b = judge(base.clone(), with(Some(new), 128.0), &default);
            assert_eq!(instructions(&b), (status, "1%".to_owned(), true), "{new}");
            assert_eq!(b.status, status, "{new}");
        }
        // An absolute limit is no band below: any fall improves, as for the exact figures.
        let mut absolute = Policy::default();
        absolute.add_limit("instructions=+100").unwrap();
        let b = judge(base.clone(), with(Some(9_950.0), 128.0), &absolute);
        assert_eq!(instructions(&b), (Status::Improved, "+100".to_owned(), true));
        // An allocation figure under a relative limit: a rise within it passes, any fall improves.
        let mut relative = Policy::default();
        relative.add_limit("alloc_space=5%").unwrap();
        let space = |b: &BenchmarkComparison| b.metric(Metric::AllocSpace).unwrap().status;
        assert_eq!(space(&judge(base.clone(), with(Some(10_000.0), 130.0), &relative)), Status::Pass);
        assert_eq!(space(&judge(base.clone(), with(Some(10_000.0), 127.0), &relative)), Status::Improved);
        // Compared where either side counted them; left out where neither did.
        let b = judge(base.clone(), with(None, 128.0), &default);
        assert_eq!(instructions(&b).0, Status::Missing);
        let b = judge(with(None, 128.0), with(Some(10_000.0), 128.0), &default);
        assert_eq!(instructions(&b).0, Status::New);
        let b = judge(with(None, 128.0), with(None, 128.0), &default);
        let keys: Vec<&str> = b.metrics.iter().map(|m| m.metric.name()).collect();
        assert_eq!(
            keys,
            [
                "alloc_objects",
                "alloc_space",
                "free_objects",
                "free_space",
                "inuse_objects",
                "inuse_space",
                "reallocs",
                "peak_space",
                "time"
            ]
        );
    }
}
