//! Per-iteration figures from samples.
//!
//! A sample is what the allocator counted over `iters` iterations. Allocation counts of
//! deterministic code are `a * iters + b`, where `b` is one-off work of the sample (a lazy static
//! initialised in the first sample, criterion's own bookkeeping). The per-iteration figure is the
//! slope `a`: the value that consecutive samples agree on. When criterion sampled with equal
//! iteration counts (its flat mode) there is no slope: the figure is the ratio, which counts `b`
//! as if every iteration did it, and is never called exact. A buffer that a routine grows on its
//! first call of each sample reads as growing on every call; the subcommand measures such
//! benchmarks again with linear sampling ([`crate::passes::linear`]).
//!
//! When the samples disagree (code that does not allocate the same on every iteration), no slope
//! is the figure: the counts they disagree on are amortized over all the iterations measured,
//! one choice for the whole benchmark ([`Estimate`]), so that the figures stay possible and
//! coherent and the benchmark's stacks add up to it.

use allocbench_formats::counts::Counts;
use allocbench_formats::metric::METRICS;
use allocbench_formats::record::RecordSample;
use allocbench_formats::report::ProbeFigures;

use crate::report::{AllocFigures, AllocSample, Inexact, SampleRange};

/// One sample: counts over `iters` iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub iters: u64,
    /// Measured windows in the sample: one under `iter`, one per batch under `iter_batched`.
    pub windows: u64,
    /// The routine timed itself (`iter_custom`): the counts cover it whole.
    pub custom: bool,
    /// What the allocator counted over the sample's windows.
    pub counts: Counts<u64>,
    /// The highest rise of live bytes within one window.
    pub peak_space: u64,
}

impl Sample {
    /// The sample of `iters` iterations whose counts the harness recorded in `record`.
    pub fn new(iters: u64, record: &RecordSample) -> Sample {
        Sample {
            iters,
            windows: record.windows,
            custom: record.custom,
            counts: record.counts,
            peak_space: record.peak_space,
        }
    }
}

/// Two per-iteration figures this close (relative) are the same ratio of integers.
const SAME: f64 = 1e-9;

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= SAME * a.abs().max(b.abs()).max(1.0)
}

/// Whether the samples ran at least two different iteration counts: a slope needs them.
pub fn has_slope(samples: &[Sample]) -> bool {
    samples.iter().any(|s| s.iters != samples[0].iters)
}

/// The per-iteration value of one count, and whether every sample agreed with it.
fn per_iteration(samples: &[Sample], count: impl Fn(&Sample) -> u64) -> (f64, bool) {
    let points: Vec<(u64, f64)> = samples.iter().map(|s| (s.iters, count(s) as f64)).collect();
    per_iteration_of(&points)
}

/// [`per_iteration`] of `(iterations, count)` points sorted by iterations: the rule every
/// per-sample count follows, allocations and runtime signals alike.
fn per_iteration_of(points: &[(u64, f64)]) -> (f64, bool) {
    let mut estimates: Vec<f64> = Vec::with_capacity(points.len());
    if points.iter().any(|p| p.0 != points[0].0) {
        // Slopes between consecutive samples: per-sample one-off work cancels.
        let mut previous: Option<&(u64, f64)> = None;
        for s in points {
            if let Some(p) = previous {
                if s.0 != p.0 {
                    let rise = s.1 - p.1;
                    estimates.push(rise / (s.0 - p.0) as f64);
                } else if s.1 != p.1 {
                    // Same iterations, different counts: no slope says that, but it is not exact.
                    estimates.push(f64::NAN);
                }
            }
            previous = Some(s);
        }
    } else {
        estimates.extend(points.iter().map(|s| s.1 / s.0.max(1) as f64));
    }
    mode(&estimates)
}

/// The figures of the harness's probes per iteration ([`ProbeFigures`]), from the samples and
/// the records they came from (same order), one loop over the metric table's probe rows, each
/// taken as the allocation figures are: its slope across samples where they agree on it
/// (one-off work of a sample drops out); else, as an amortized allocation count, all the samples
/// counted over all their iterations, and the metric is named in `varied`. A count is a
/// wrapping difference that may fall (`threads_alive`): it is read signed. A metric is figured
/// where every record holds it; `None` when the records hold none (not Linux, or the probes are
/// off).
pub fn probe_figures(samples: &[Sample], records: &[RecordSample]) -> Option<ProbeFigures> {
    if samples.is_empty() || samples.len() != records.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by_key(|&i| samples[i].iters);
    let iters: f64 = samples.iter().map(|s| s.iters.max(1) as f64).sum();
    let mut figures = ProbeFigures::default();
    for m in METRICS.iter().filter(|m| m.probe) {
        let Some(one) = order
            .iter()
            .map(|&i| Some((samples[i].iters, records[i].probes.get(m.metric)? as i64 as f64)))
            .collect::<Option<Vec<(u64, f64)>>>()
        else {
            continue;
        };
        let (v, agreed) = per_iteration_of(&one);
        let value = if agreed {
            v
        } else {
            figures.varied.push(m.key.to_owned());
            let ratios = one.iter().map(|p| p.1 / p.0.max(1) as f64);
            let low = ratios.clone().fold(f64::INFINITY, f64::min);
            figures.sample_range.insert(m.key.to_owned(), [low, ratios.fold(f64::NEG_INFINITY, f64::max)]);
            one.iter().map(|p| p.1).sum::<f64>() / iters
        };
        figures.per_iteration.set(m.metric, value);
    }
    (!figures.per_iteration.is_empty()).then_some(figures)
}

/// The value most estimates share (the smallest among equally common ones), and whether all do.
fn mode(estimates: &[f64]) -> (f64, bool) {
    let mut values: Vec<f64> = estimates.iter().copied().filter(|v| v.is_finite()).collect();
    if values.is_empty() {
        return (0.0, estimates.is_empty());
    }
    values.sort_by(f64::total_cmp);
    let mut best = (values[0], 0usize);
    let mut i = 0;
    while i < values.len() {
        let run = values[i..].iter().take_while(|v| same(**v, values[i])).count();
        if run > best.1 {
            // The middle of the run, so that float noise never picks an edge.
            best = (values[i + run / 2], run);
        }
        i += run;
    }
    let exact = best.1 == estimates.len();
    (best.0, exact)
}

/// The five counts a sample holds, in the order of [`Estimate`]'s kinds: `alloc_objects`,
/// `alloc_space`, `free_objects`, `free_space`, `reallocs`.
const COUNTS: [fn(&Sample) -> u64; 5] = [
    |s| s.counts.alloc_objects,
    |s| s.counts.alloc_space,
    |s| s.counts.free_objects,
    |s| s.counts.free_space,
    |s| s.counts.reallocs,
];

/// How one count's per-iteration figure is taken from the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Every sample agreed: the slope they share (under flat sampling, the ratio), in which the
    /// work every sample repeats once drops out.
    Agreed,
    /// The samples disagreed: all that the samples counted over all the iterations they ran.
    Amortized,
}

/// How a benchmark's figures were taken from its samples, count by count: the one choice that
/// the allocation-site pass applies to each stack of the benchmark too, so that the stacks add
/// up to the benchmark's figures.
///
/// When the samples disagree (the code does not allocate the same on every iteration, or one
/// sample did work the others did not), no slope is the figure: a buffer that doubles its
/// capacity now and then allocates in few samples, and the slopes between consecutive samples
/// are 0 or large, positive or negative, and differ from one count to the next. Each count the
/// samples disagree on is then *amortized*: its total over the samples divided by their
/// iterations, what the run did over the iterations it ran, one-off work included. A count
/// every sample agrees on keeps its slope, which is the same amortization less the work every
/// sample repeats once: for counts `a * iters + b` in every sample, `(Σ count - samples * b) /
/// Σ iters = a`. So one formula holds for every count, `inuse_* = alloc_* - free_*` holds,
/// and the figures are never negative and lie between the smallest and the largest figure any
/// one sample gave (that sample's counts over its iterations, less `b`): an amortized figure
/// is a weighted mean of the samples' own. The smallest sample ratio is no lower bound for a
/// count with one-off work in every sample (`b > 0`); less `b`, it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    kinds: [Kind; 5],
}

impl Estimate {
    /// How figures already taken were taken: a count with a spread (`sample_range`) was
    /// amortized; the others agreed. The allocation-site pass takes its stacks as the report's
    /// figures were taken, not as its own run's totals would be: recording stacks makes that
    /// run's samples disagree where the counting run's agreed.
    pub fn of(figures: &AllocFigures) -> Estimate {
        use crate::report::Metric;
        let metrics =
            [Metric::AllocObjects, Metric::AllocSpace, Metric::FreeObjects, Metric::FreeSpace, Metric::Reallocs];
        Estimate { kinds: metrics.map(|m| if figures.spread(m).is_some() { Kind::Amortized } else { Kind::Agreed }) }
    }

    /// Whether every count's samples agreed: the figures are those of the slope (or ratio) the
    /// samples share, as they always were.
    fn agreed(&self) -> bool {
        self.kinds.iter().all(|k| *k == Kind::Agreed)
    }

    /// The figures of a part of the benchmark (one allocating stack), whose counts per sample
    /// are `samples`, taken as the benchmark's were: where the benchmark's samples agreed on a
    /// count, the stack's slope between the samples of fewest and most iterations (a stack may
    /// trade counts with another from sample to sample while their sum stays linear); where
    /// they disagreed, the stack's amortized figure. Either is linear in the counts, so the
    /// stacks add up to the benchmark. When every count agreed, each stack's figures are taken
    /// on their own, as [`per_iteration_figures`] does.
    pub fn apply(&self, samples: &[Sample]) -> Option<AllocFigures> {
        if self.agreed() || samples.is_empty() {
            return per_iteration_figures(samples);
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by_key(|s| s.iters);
        let (first, last) = (sorted[0], sorted[sorted.len() - 1]);
        let mut values = [0.0; 5];
        for ((value, kind), count) in values.iter_mut().zip(self.kinds).zip(COUNTS) {
            *value = match kind {
                Kind::Agreed if last.iters != first.iters => {
                    let rise = count(&last) as f64 - count(&first) as f64;
                    (rise / (last.iters - first.iters) as f64).max(0.0)
                }
                _ => amortized(&sorted, count),
            };
        }
        Some(figures_of(&sorted, values, None, inexact_of(&sorted, self)))
    }
}

/// All that the samples counted over all the iterations they ran.
fn amortized(samples: &[Sample], count: fn(&Sample) -> u64) -> f64 {
    let total: u128 = samples.iter().map(|s| u128::from(count(s))).sum();
    let iters: u128 = samples.iter().map(|s| u128::from(s.iters.max(1))).sum();
    total as f64 / iters as f64
}

fn inexact_of(sorted: &[Sample], estimate: &Estimate) -> Option<Inexact> {
    if !has_slope(sorted) {
        Some(Inexact::FlatSampling)
    } else if !estimate.agreed() {
        Some(Inexact::SamplesDisagree)
    } else {
        None
    }
}

/// Per-iteration figures from a benchmark's samples (any order).
///
/// `peak_space` is the rise within one iteration: from the sample with the fewest iterations,
/// its highest window, less what the earlier iterations of that window kept.
pub fn per_iteration_figures(samples: &[Sample]) -> Option<AllocFigures> {
    estimate(samples).map(|(figures, _)| figures)
}

/// Per-iteration figures from a benchmark's samples (any order), and how they were taken
/// ([`Estimate`]), for the benchmark's stacks to be taken alike.
pub fn estimate(samples: &[Sample]) -> Option<(AllocFigures, Estimate)> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by_key(|s| s.iters);
    let slopes = COUNTS.map(|count| per_iteration(&sorted, count));
    let all_agree = slopes.iter().all(|(_, agreed)| *agreed);
    let mut values = [0.0; 5];
    let mut kinds = [Kind::Agreed; 5];
    for (((value, kind), count), (v, agreed)) in values.iter_mut().zip(kinds.iter_mut()).zip(COUNTS).zip(slopes) {
        // Figures whose samples all agree are exact, and stay what they are. Among figures that
        // cannot be exact, a count whose samples agree on a fall is no count of work; amortized,
        // it is possible.
        (*value, *kind) = if all_agree || agreed && v >= 0.0 {
            (v, Kind::Agreed)
        } else {
            (amortized(&sorted, count), Kind::Amortized)
        };
    }
    let estimate = Estimate { kinds };
    let range = (!estimate.agreed()).then(|| sample_range(&sorted, &values, &kinds));
    let inexact = inexact_of(&sorted, &estimate);
    Some((figures_of(&sorted, values, range, inexact), estimate))
}

/// The smallest and largest figure each sample gives on its own: an amortized count's ratio in
/// that sample, an agreed count's slope (which every sample gives).
fn sample_range(sorted: &[Sample], values: &[f64; 5], kinds: &[Kind; 5]) -> SampleRange {
    let per_sample = |s: &Sample| -> [f64; 5] {
        let mut out = *values;
        for ((v, kind), count) in out.iter_mut().zip(kinds).zip(COUNTS) {
            if *kind == Kind::Amortized {
                *v = count(s) as f64 / s.iters.max(1) as f64;
            }
        }
        out
    };
    let mut lows = [f64::INFINITY; 7];
    let mut highs = [f64::NEG_INFINITY; 7];
    for s in sorted {
        let [ao, as_, fo, fs, re] = per_sample(s);
        for (i, v) in [ao, as_, fo, fs, ao - fo, as_ - fs, re].into_iter().enumerate() {
            lows[i] = lows[i].min(v);
            highs[i] = highs[i].max(v);
        }
    }
    let r = |i: usize| [lows[i], highs[i]];
    SampleRange {
        alloc_objects: r(0),
        alloc_space: r(1),
        free_objects: r(2),
        free_space: r(3),
        inuse_objects: r(4),
        inuse_space: r(5),
        reallocs: r(6),
    }
}

/// The figures of the five counts' per-iteration `values`, with `inuse_*` and `peak_space`
/// derived from them.
fn figures_of(
    sorted: &[Sample],
    values: [f64; 5],
    sample_range: Option<SampleRange>,
    inexact: Option<Inexact>,
) -> AllocFigures {
    let [alloc_objects, alloc_space, free_objects, free_space, reallocs] = values;
    let inuse_space = alloc_space - free_space;
    let smallest = &sorted[0];
    let window_iters = smallest.iters.div_ceil(smallest.windows.max(1)).max(1);
    let kept_before_last = inuse_space.max(0.0) * (window_iters - 1) as f64;
    let peak_space = (smallest.peak_space as f64 - kept_before_last).max(0.0);
    AllocFigures {
        alloc_objects,
        alloc_space,
        free_objects,
        free_space,
        inuse_objects: alloc_objects - free_objects,
        inuse_space,
        reallocs,
        peak_space,
        exact: inexact.is_none(),
        inexact,
        approximate: sorted.iter().any(|s| s.custom),
        sample_range,
    }
}

/// The samples a benchmark keeps beside figures that are not exact because its samples
/// disagreed ([`crate::report::Benchmark::alloc_samples`]): none for exact figures, nor for
/// flat sampling, whose samples all ran one iteration count.
pub fn kept_samples(samples: &[Sample], figures: Option<&AllocFigures>) -> Vec<AllocSample> {
    if figures.is_none_or(|f| f.inexact != Some(Inexact::SamplesDisagree)) {
        return Vec::new();
    }
    samples
        .iter()
        .map(|s| AllocSample {
            iters: s.iters,
            alloc_objects: s.counts.alloc_objects,
            alloc_space: s.counts.alloc_space,
            free_objects: s.counts.free_objects,
            free_space: s.counts.free_space,
            reallocs: s.counts.reallocs,
        })
        .collect()
}

/// The per-iteration slope of `(iterations, count)` points, for a count that may vary a little
/// from one sample to the next (instructions, whose path through `malloc` varies): between
/// consecutive points of different iteration counts (in order of iterations); the value they all
/// give, or their median when they disagree. `None` without two iteration counts.
pub fn slope(points: &[(u64, u64)]) -> Option<(f64, bool)> {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|p| p.0);
    let mut slopes: Vec<f64> = sorted
        .windows(2)
        .filter(|w| w[1].0 != w[0].0)
        .map(|w| (w[1].1 as f64 - w[0].1 as f64) / (w[1].0 - w[0].0) as f64)
        .collect();
    if slopes.is_empty() {
        return None;
    }
    let exact = slopes.windows(2).all(|w| w[0] == w[1])
        && sorted.windows(2).filter(|w| w[1].0 == w[0].0).all(|w| w[1].1 == w[0].1);
    slopes.sort_by(f64::total_cmp);
    let n = slopes.len();
    let median = if n % 2 == 1 { slopes[n / 2] } else { (slopes[n / 2 - 1] + slopes[n / 2]) / 2.0 };
    Some((median, exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probes' counts follow the allocation figures' rule: a slope where the samples agree
    /// (a sample's one-off work drops out), amortized and named `varied` where they do not; a
    /// `threads_alive` that falls reads signed. No counts in the records: none in the report.
    #[test]
    fn probe_figures_are_slopes_and_amortized_where_samples_disagree() {
        use allocbench_formats::record::ProbeCounts;
        let record = |writes: u64, faults: u64, alive: i64| {
            let mut probes = ProbeCounts::NONE;
            probes.set(Metric::WriteSyscalls, writes);
            probes.set(Metric::MinorFaults, faults);
            probes.set(Metric::ThreadsAlive, alive as u64);
            RecordSample {
                time: 0.0,
                windows: 1,
                custom: false,
                counts: Counts::ZERO,
                peak_space: 0,
                callgrind_part: None,
                sites: false,
                probes,
            }
        };
        let samples: Vec<Sample> = [10u64, 20, 30].iter().map(|&n| Sample::new(n, &record(0, 0, 0))).collect();
        // 4 writes per iteration and one more per sample; faults 1, then 1, then 2 per iteration.
        let records = [record(41, 10, -1), record(81, 20, -1), record(121, 60, -1)];
        let f = probe_figures(&samples, &records).unwrap();
        assert_eq!(f.per_iteration.get(Metric::WriteSyscalls), Some(4.0));
        assert_eq!(f.per_iteration.get(Metric::ThreadsAlive), Some(0.0), "one-off -1 per sample drops out");
        assert_eq!(f.per_iteration.get(Metric::MinorFaults), Some(90.0 / 60.0));
        assert_eq!(f.per_iteration.get(Metric::ReadSyscalls), None, "no record holds it");
        assert_eq!(f.varied, ["minor_faults"]);
        assert_eq!(f.spread("minor_faults"), Some([1.0, 2.0]));
        assert_eq!(f.spread("write_syscalls"), None);
        let none = [RecordSample { probes: ProbeCounts::NONE, ..records[0] }, records[1], records[2]];
        assert_eq!(probe_figures(&samples, &none), None, "a metric one sample lacks has no figure");
        // Samples in any order: the slopes run by iterations.
        let shuffled = [records[2], records[0], records[1]];
        let order = [samples[2], samples[0], samples[1]];
        assert_eq!(probe_figures(&order, &shuffled), Some(f));
    }
    use crate::report::Metric;

    /// Samples of deterministic code: `per` per iteration plus `once` in the first sample.
    fn linear(iters: &[u64], per: u64, once: u64) -> Vec<Sample> {
        iters
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let extra = if k == 0 { once } else { 0 };
                Sample {
                    iters: n,
                    windows: 1,
                    custom: false,
                    counts: Counts {
                        alloc_objects: n * per + extra,
                        alloc_space: n * per * 16 + extra * 100,
                        free_objects: n * per,
                        free_space: n * per * 16,
                        reallocs: 0,
                    },
                    peak_space: 16,
                }
            })
            .collect()
    }

    #[test]
    fn slope_is_exact_for_linear_counts() {
        let f = per_iteration_figures(&linear(&[3, 6, 9, 12, 15], 2, 0)).unwrap();
        assert_eq!((f.alloc_objects, f.alloc_space, f.inuse_space), (2.0, 32.0, 0.0));
        assert!(f.exact);
        assert_eq!(f.peak_space, 16.0);
    }

    #[test]
    fn one_off_work_in_a_middle_sample_is_amortized_and_flagged() {
        let mut s = linear(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, 0);
        s[4].counts.alloc_objects += 1;
        let f = per_iteration_figures(&s).unwrap();
        // What the run allocated over the iterations it ran: 3 per iteration and 1 once.
        assert_eq!(f.alloc_objects, (3.0 * 55.0 + 1.0) / 55.0);
        assert!(!f.exact);
        assert_eq!(f.inexact, Some(Inexact::SamplesDisagree));
        // The counts the samples agree on keep their exact slope.
        assert_eq!((f.alloc_space, f.free_objects, f.free_space), (48.0, 3.0, 48.0));
        let range = f.sample_range.unwrap();
        assert_eq!(range.alloc_objects, [3.0, 3.2]);
        assert_eq!(range.alloc_space, [48.0, 48.0]);
        assert_eq!(f.spread(Metric::AllocSpace), None);
    }

    /// Samples of a routine that appends `bytes` to a `Vec<u8>` it keeps, `before` calls after
    /// it was created: the buffer grows as `RawVec` grows it (to twice its capacity, or what is
    /// needed if more), so a sample allocates only when a call crosses its capacity.
    fn appending(before: u64, iters: &[u64], bytes: u64) -> (Vec<Sample>, u64) {
        let (mut len, mut cap) = (0u64, 0u64);
        let mut call = |s: &mut Sample, cap: &mut u64| {
            let cap_now = *cap;
            len += bytes;
            if len > cap_now {
                let new = (2 * cap_now).max(len).max(8);
                s.counts.alloc_objects += 1;
                s.counts.alloc_space += new;
                if cap_now > 0 {
                    s.counts.reallocs += 1;
                    s.counts.free_objects += 1;
                    s.counts.free_space += cap_now;
                }
                s.peak_space = s.peak_space.max(new - cap_now);
                *cap = new;
            }
        };
        let mut warm_up = Sample { iters: before, ..empty() };
        (0..before).for_each(|_| call(&mut warm_up, &mut cap));
        let start = cap;
        let mut samples = Vec::new();
        for &n in iters {
            let mut s = Sample { iters: n, ..empty() };
            (0..n).for_each(|_| call(&mut s, &mut cap));
            samples.push(s);
        }
        (samples, cap - start)
    }

    fn empty() -> Sample {
        Sample {
            iters: 0,
            windows: 1,
            custom: false,
            counts: Counts { alloc_objects: 0, alloc_space: 0, free_objects: 0, free_space: 0, reallocs: 0 },
            peak_space: 0,
        }
    }

    /// Every figure is possible: none negative, each between the smallest and the largest figure
    /// of one sample, and `inuse_* = alloc_* - free_*`.
    fn assert_possible(f: &AllocFigures, what: &str) {
        let range = f.sample_range.unwrap_or_else(|| panic!("{what}: no sample range: {f:?}"));
        for (metric, value) in f.metrics().filter(|(m, _)| *m != Metric::PeakSpace) {
            let [low, high] = range.get(metric).unwrap();
            let slack = 1e-9 * high.abs().max(1.0);
            assert!(low - slack <= value && value <= high + slack, "{what}: {metric:?} {value} not in [{low}, {high}]");
            if !matches!(metric, Metric::InuseObjects | Metric::InuseSpace) {
                assert!(value >= 0.0, "{what}: {metric:?} {value}");
            }
        }
        assert_eq!(f.inuse_space, f.alloc_space - f.free_space, "{what}");
        assert_eq!(f.inuse_objects, f.alloc_objects - f.free_objects, "{what}");
        assert!(f.peak_space >= 0.0, "{what}");
    }

    /// The case: a buffer kept from sample to sample that grows by 1000 bytes a call
    /// allocates in one sample of ten; consecutive slopes read 0 or jump, and `inuse_space` read
    /// ≈ 0. It is what the run retained over the iterations it ran.
    #[test]
    fn a_kept_buffer_retains_its_amortized_growth() {
        for (before, step) in [(2047u64, 182u64), (1023, 500), (4095, 91), (100, 1000)] {
            let iters: Vec<u64> = (1..=10).map(|k| k * step).collect();
            let (samples, retained) = appending(before, &iters, 1000);
            let f = per_iteration_figures(&samples).unwrap();
            let what = format!("{before} calls before, step {step}: {f:?}");
            assert_eq!(f.inexact, Some(Inexact::SamplesDisagree), "{what}");
            assert_possible(&f, &what);
            let n: u64 = iters.iter().sum();
            assert_eq!(f.inuse_space, retained as f64 / n as f64, "{what}");
            assert!(f.inuse_space > 0.0 && f.alloc_space >= f.inuse_space, "{what}");
        }
    }

    /// A buffer the bench closure creates, so that each sample grows its own from empty: every
    /// sample retains its final capacity, between 1000 and 2000 bytes a call.
    #[test]
    fn a_buffer_of_each_sample_retains_1000_to_2000_bytes_a_call() {
        for step in [1u64, 3, 182, 1000, 4099] {
            let samples: Vec<Sample> = (1..=10).map(|k| appending(0, &[k * step], 1000).0[0]).collect();
            let f = per_iteration_figures(&samples).unwrap();
            let what = format!("step {step}: {f:?}");
            assert_possible(&f, &what);
            assert!((1000.0..2000.0).contains(&f.inuse_space), "{what}");
            // One allocation, then one realloc per doubling: at least the reallocs, and the
            // allocations are one more per sample.
            assert!(f.alloc_objects > f.reallocs && f.reallocs >= 0.0, "{what}");
        }
    }

    /// A history that keeps a 1000-byte block per call in a `Vec` that doubles: at least one
    /// allocation and 1000 bytes retained a call in every sample, so the figures are at least
    /// that; the slopes between samples went below it, and negative, where the history grew.
    #[test]
    fn a_history_never_reads_below_what_every_sample_shows() {
        let (pointers, _) = appending(2047 * 24, &(1..=10).map(|k| k * 182 * 24).collect::<Vec<_>>(), 24);
        let samples: Vec<Sample> = pointers
            .iter()
            .map(|p| Sample {
                iters: p.iters / 24,
                counts: Counts {
                    alloc_objects: p.counts.alloc_objects + p.iters / 24,
                    alloc_space: p.counts.alloc_space + p.iters / 24 * 1000,
                    ..p.counts
                },
                ..*p
            })
            .collect();
        let negative_slope = samples.windows(2).any(|w| w[1].counts.free_space < w[0].counts.free_space);
        assert!(negative_slope, "the case the slopes got wrong: {samples:?}");
        let f = per_iteration_figures(&samples).unwrap();
        assert_possible(&f, &format!("{f:?}"));
        let min_ratio = |count: fn(&Sample) -> u64| {
            samples.iter().map(|s| count(s) as f64 / s.iters as f64).fold(f64::INFINITY, f64::min)
        };
        assert!(f.alloc_objects >= min_ratio(|s| s.counts.alloc_objects) && f.alloc_objects >= 1.0, "{f:?}");
        assert!(f.inuse_space >= 1000.0, "{f:?}");
        assert!(f.alloc_space >= min_ratio(|s| s.counts.alloc_space), "{f:?}");
    }

    /// Consecutive slopes of counts that go up and down: the old figure (the most common
    /// slope, the smallest of equally common ones) was negative.
    #[test]
    fn disagreeing_samples_never_give_a_negative_figure() {
        let counts = [(10u64, 50u64), (20, 5), (30, 70), (40, 12), (50, 3)];
        let samples: Vec<Sample> = counts
            .iter()
            .map(|&(n, c)| Sample {
                iters: n,
                counts: Counts {
                    alloc_objects: c,
                    alloc_space: c * 16,
                    free_objects: c / 2,
                    free_space: c * 8,
                    reallocs: c / 3,
                },
                ..empty()
            })
            .collect();
        let (old, _) = per_iteration(&samples, |s| s.counts.alloc_objects);
        assert!(old < 0.0, "{old}");
        let f = per_iteration_figures(&samples).unwrap();
        assert_possible(&f, &format!("{f:?}"));
        assert_eq!(f.alloc_objects, 140.0 / 150.0);
    }

    /// A count every sample agrees on keeps its exact slope beside counts that are amortized
    /// (`iter_batched` with `NumIterations(8)`: one free per batch, `ceil(iters / 8)` a sample).
    #[test]
    fn agreed_counts_keep_their_slope_beside_amortized_ones() {
        let samples: Vec<Sample> = [5u64, 10, 15, 20, 25]
            .iter()
            .map(|&n| Sample {
                iters: n,
                counts: Counts {
                    alloc_objects: 2 * n + 1,
                    alloc_space: 64 * n + 32,
                    free_objects: 2 * n + n.div_ceil(8),
                    free_space: 64 * n,
                    ..Counts::ZERO
                },
                ..empty()
            })
            .collect();
        let f = per_iteration_figures(&samples).unwrap();
        assert_eq!((f.alloc_objects, f.alloc_space, f.free_space, f.inuse_space), (2.0, 64.0, 64.0, 0.0));
        assert_eq!(f.free_objects, (150.0 + 1.0 + 2.0 + 2.0 + 3.0 + 4.0) / 75.0);
        assert_eq!(f.inexact, Some(Inexact::SamplesDisagree));
        assert_possible(&f, &format!("{f:?}"));
    }

    /// The stacks of a benchmark whose samples disagree, taken as the benchmark was, add up to
    /// it; taken each on its own (the old way), they did not.
    #[test]
    fn stacks_add_up_to_the_benchmark() {
        let (buffer, _) = appending(300, &[40, 80, 120, 160, 200], 1000);
        let steady = linear(&[40, 80, 120, 160, 200], 2, 3);
        let total: Vec<Sample> = buffer
            .iter()
            .zip(&steady)
            .map(|(a, b)| Sample {
                counts: Counts {
                    alloc_objects: a.counts.alloc_objects + b.counts.alloc_objects,
                    alloc_space: a.counts.alloc_space + b.counts.alloc_space,
                    free_objects: a.counts.free_objects + b.counts.free_objects,
                    free_space: a.counts.free_space + b.counts.free_space,
                    reallocs: a.counts.reallocs + b.counts.reallocs,
                },
                ..*a
            })
            .collect();
        let (f, estimate) = estimate(&total).unwrap();
        let parts = [estimate.apply(&buffer).unwrap(), estimate.apply(&steady).unwrap()];
        for (metric, value) in f.metrics().filter(|(m, _)| *m != Metric::PeakSpace) {
            let sum: f64 = parts.iter().map(|p| p.get(metric).unwrap()).sum();
            assert!((sum - value).abs() <= 1e-9 * value.abs().max(1.0), "{metric:?}: {sum} vs {value}");
            assert!(parts.iter().all(|p| p.get(metric).unwrap() >= 0.0 || metric.name().starts_with("inuse")));
        }
        // An exact benchmark's stacks are taken on their own, as they always were.
        let steady = linear(&[40, 80, 120, 160, 200], 2, 0);
        let (exact, estimate) = super::estimate(&steady).unwrap();
        assert!(exact.exact && exact.sample_range.is_none());
        assert_eq!(estimate.apply(&steady), per_iteration_figures(&steady));
    }

    #[test]
    fn intercept_of_every_sample_drops_out() {
        let mut s = linear(&[10, 20, 30, 40], 1, 0);
        for x in &mut s {
            x.counts.free_objects += 1; // e.g. one free per sample by the harness around the routine
        }
        let f = per_iteration_figures(&s).unwrap();
        assert_eq!(f.free_objects, 1.0);
        assert!(f.exact);
    }

    #[test]
    fn flat_sampling_uses_ratios_and_is_never_exact() {
        let s: Vec<Sample> = (0..5)
            .map(|_| Sample {
                iters: 4,
                windows: 1,
                custom: false,
                counts: Counts { alloc_objects: 6, alloc_space: 40, free_objects: 2, free_space: 8, reallocs: 2 },
                peak_space: 40,
            })
            .collect();
        let f = per_iteration_figures(&s).unwrap();
        assert_eq!((f.alloc_objects, f.alloc_space, f.inuse_objects, f.inuse_space), (1.5, 10.0, 1.0, 8.0));
        // Every sample agreed, yet 6 allocations per sample could be 1.5 per iteration or 6 once.
        assert!(!f.exact);
        assert_eq!(f.inexact, Some(Inexact::FlatSampling));
        // 4 iterations keep 8 bytes each: the window's peak of 40 includes 3 × 8 kept before.
        assert_eq!(f.peak_space, 16.0);
    }

    #[test]
    fn fractions_of_integers_compare_equal() {
        // One allocation every third iteration.
        let s: Vec<Sample> = [3u64, 6, 9, 12]
            .iter()
            .map(|&n| Sample {
                iters: n,
                windows: 1,
                custom: false,
                counts: Counts {
                    alloc_objects: n / 3,
                    alloc_space: n / 3 * 7,
                    free_objects: 0,
                    free_space: 0,
                    reallocs: 0,
                },
                peak_space: 0,
            })
            .collect();
        let f = per_iteration_figures(&s).unwrap();
        assert!(same(f.alloc_objects, 1.0 / 3.0));
        assert!(f.exact);
    }

    #[test]
    fn no_samples_no_figures() {
        assert!(per_iteration_figures(&[]).is_none());
    }

    #[test]
    fn slope_of_exact_and_noisy_points() {
        // 13 instructions of the window itself, 214 per iteration, as measured on a plain loop.
        let exact: Vec<(u64, u64)> = (1..=10).map(|n| (n, 13 + 214 * n)).collect();
        assert_eq!(slope(&exact), Some((214.0, true)));
        let mut noisy = exact.clone();
        noisy[4].1 += 3;
        let (v, e) = slope(&noisy).unwrap();
        assert_eq!(v, 214.0);
        assert!(!e);
        assert_eq!(slope(&[(1, 10), (1, 10)]), None);
    }
}
