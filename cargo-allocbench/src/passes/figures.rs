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

use allocbench_formats::record::RecordSample;

use crate::report::{AllocFigures, Inexact};

/// One sample: counts over `iters` iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub iters: u64,
    /// Measured windows in the sample: one under `iter`, one per batch under `iter_batched`.
    pub windows: u64,
    /// The routine timed itself (`iter_custom`): the counts cover it whole.
    pub custom: bool,
    pub alloc_objects: u64,
    pub alloc_space: u64,
    pub free_objects: u64,
    pub free_space: u64,
    pub reallocs: u64,
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
            alloc_objects: record.alloc_objects,
            alloc_space: record.alloc_space,
            free_objects: record.free_objects,
            free_space: record.free_space,
            reallocs: record.reallocs,
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
    let mut estimates: Vec<f64> = Vec::with_capacity(samples.len());
    if has_slope(samples) {
        // Slopes between consecutive samples: per-sample one-off work cancels.
        let mut previous: Option<&Sample> = None;
        for s in samples {
            if let Some(p) = previous {
                if s.iters != p.iters {
                    let rise = count(s) as f64 - count(p) as f64;
                    estimates.push(rise / (s.iters - p.iters) as f64);
                } else if count(s) != count(p) {
                    // Same iterations, different counts: no slope says that, but it is not exact.
                    estimates.push(f64::NAN);
                }
            }
            previous = Some(s);
        }
    } else {
        estimates.extend(samples.iter().map(|s| count(s) as f64 / s.iters.max(1) as f64));
    }
    mode(&estimates)
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

/// Per-iteration figures from a benchmark's samples (any order).
///
/// `peak_space` is the rise within one iteration: from the sample with the fewest iterations,
/// its highest window, less what the earlier iterations of that window kept.
pub fn per_iteration_figures(samples: &[Sample]) -> Option<AllocFigures> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by_key(|s| s.iters);
    let (alloc_objects, e1) = per_iteration(&sorted, |s| s.alloc_objects);
    let (alloc_space, e2) = per_iteration(&sorted, |s| s.alloc_space);
    let (free_objects, e3) = per_iteration(&sorted, |s| s.free_objects);
    let (free_space, e4) = per_iteration(&sorted, |s| s.free_space);
    let (reallocs, e5) = per_iteration(&sorted, |s| s.reallocs);
    let inuse_space = alloc_space - free_space;
    let inexact = if !has_slope(&sorted) {
        Some(Inexact::FlatSampling)
    } else if !(e1 && e2 && e3 && e4 && e5) {
        Some(Inexact::SamplesDisagree)
    } else {
        None
    };

    let smallest = &sorted[0];
    let window_iters = smallest.iters.div_ceil(smallest.windows.max(1)).max(1);
    let kept_before_last = inuse_space.max(0.0) * (window_iters - 1) as f64;
    let peak_space = (smallest.peak_space as f64 - kept_before_last).max(0.0);

    Some(AllocFigures {
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
        approximate: samples.iter().any(|s| s.custom),
    })
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
                    alloc_objects: n * per + extra,
                    alloc_space: n * per * 16 + extra * 100,
                    free_objects: n * per,
                    free_space: n * per * 16,
                    reallocs: 0,
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
    fn one_off_work_in_a_middle_sample_is_outvoted_and_flagged() {
        let mut s = linear(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, 0);
        s[4].alloc_objects += 1;
        let f = per_iteration_figures(&s).unwrap();
        assert_eq!(f.alloc_objects, 3.0);
        assert!(!f.exact);
        assert_eq!(f.inexact, Some(Inexact::SamplesDisagree));
    }

    #[test]
    fn intercept_of_every_sample_drops_out() {
        let mut s = linear(&[10, 20, 30, 40], 1, 0);
        for x in &mut s {
            x.free_objects += 1; // e.g. one free per sample by the harness around the routine
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
                alloc_objects: 6,
                alloc_space: 40,
                free_objects: 2,
                free_space: 8,
                reallocs: 2,
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
                alloc_objects: n / 3,
                alloc_space: n / 3 * 7,
                free_objects: 0,
                free_space: 0,
                reallocs: 0,
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
