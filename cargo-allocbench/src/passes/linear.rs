//! A second measurement, with linear sampling, for the benchmarks criterion sampled flat.
//!
//! Per-iteration figures are a slope across samples of different iteration counts
//! ([`crate::passes::figures`]): with every sample at one count, a buffer grown on the first call of each
//! sample reads as growing on every call. The counting passes make the harness force linear
//! sampling on every benchmark group, but criterion 0.8 gives no way to set the sampling mode of
//! a benchmark defined with `Criterion::bench_function`, and a full run keeps the bench code's
//! settings (`SamplingMode::Flat`, or the auto mode choosing flat for a slow routine).
//!
//! Criterion's auto mode samples linearly when its ten linear samples (1 + 2 + … + 10 = 55
//! iterations) take at most twice the measurement time, by the time per iteration it estimates
//! in the warm-up (criterion 0.8.2, `SamplingMode::choose_sampling_mode`). So each such benchmark
//! is run again, alone, in a counting pass whose warm-up and measurement times are each
//! [`ITERATIONS_OF_TIME`] iterations of its routine: the warm-up's estimate may come out 80 %
//! slower than the first run's and criterion still samples linearly, and the 55 iterations cost
//! about what the benchmark's own flat samples cost. A routine whose estimate still misleads
//! criterion gets up to [`TRIES`] tries, each measuring four times longer.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::cargo::discover::BenchTarget;
use crate::events::Sink;
use crate::exec::run::{self, CountingTimes, Failure, Mode, RunError, RunFiles, RunSpec};
use crate::passes::figures;
use crate::passes::records::{self, CriterionBenchmark, Recorded, RecordsError};

/// The measurement time of a benchmark measured again, in iterations of its routine.
pub const ITERATIONS_OF_TIME: f64 = 50.0;

/// The warm-up of a benchmark measured again, in iterations of its routine: as long as the
/// measurement, so that criterion's estimate of the routine's pace comes from tens of calls, not
/// from a first one that is slow (a thread's first spawn in the process, a buffer grown, unwind
/// tables read by the allocation-site pass): the auto mode chooses by that estimate.
pub const ITERATIONS_OF_WARM_UP: f64 = ITERATIONS_OF_TIME;

/// Tries per benchmark: each gives four times the measurement time of the one before, for a
/// routine whose warm-up still came out much slower than its samples.
pub const TRIES: u32 = 3;

/// How much longer each try measures than the one before.
const TRY_SCALE: f64 = 4.0;

/// What one run of a bench process left: the harness's records and criterion's files, by id.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub records: Vec<Recorded>,
    pub criterion: BTreeMap<String, CriterionBenchmark>,
}

impl Measured {
    /// Reads what the run of `files` left.
    pub fn read(files: &RunFiles) -> Result<Measured, RecordsError> {
        Ok(Measured {
            records: records::read_records(&files.records)?,
            criterion: records::read_criterion(&files.criterion_home)?,
        })
    }

    /// The record of `id` and criterion's files of it.
    pub fn get(&self, id: &str) -> Option<(&Recorded, &CriterionBenchmark)> {
        let rec = self.records.iter().find(|r| r.id == id)?;
        Some((rec, self.criterion.get(id)?))
    }

    /// Puts `other`'s benchmarks in place of these of the same id.
    pub fn replace_with(&mut self, other: Measured) {
        for rec in other.records {
            let Some(crit) = other.criterion.get(&rec.id) else { continue };
            self.criterion.insert(rec.id.clone(), crit.clone());
            match self.records.iter_mut().find(|r| r.id == rec.id) {
                Some(old) => *old = rec,
                None => self.records.push(rec),
            }
        }
    }

    /// Takes the benchmarks of `again` in place of their flat samples, and leaves out those that
    /// could not be measured again: their figures would come from flat samples. Returns these,
    /// each with why, for the pass to say what it lost.
    pub fn take_again(&mut self, again: Resampled) -> Vec<(String, Failure)> {
        let lost: Vec<&String> = again.failures.iter().map(|(id, _)| id).collect();
        self.records.retain(|r| !lost.contains(&&r.id));
        self.replace_with(again.measured);
        again.failures
    }

    /// The benchmarks criterion sampled flat, each with its time per iteration (ns).
    pub fn flat(&self) -> Vec<(String, f64)> {
        self.paces().into_iter().filter(|(_, _, flat)| *flat).map(|(id, ns, _)| (id, ns)).collect()
    }

    /// Each benchmark that can be measured again alone, with its time per iteration (ns) and
    /// whether criterion sampled it flat.
    pub fn paces(&self) -> Vec<(String, f64, bool)> {
        let mut out = Vec::new();
        for rec in &self.records {
            let Some(crit) = self.criterion.get(&rec.id) else { continue };
            let Some(joined) = records::join(rec, crit) else { continue };
            if joined.samples.is_empty() {
                continue;
            }
            // Criterion titles a second benchmark of the same id `ID #2`, and a filter selects
            // both: such a pair cannot be measured again one at a time.
            if run::without_counter(&rec.id) != rec.id || self.records.iter().filter(|r| r.id == rec.id).count() > 1 {
                continue;
            }
            // The pace of the routine as the counting passes run it: without the samples whose
            // stacks the allocation-site pass captured, which run many times slower, nor those
            // the instruction pass did not count (the harness ran an empty loop in their place:
            // a record under callgrind that names no dump). Criterion's warm-up runs at that
            // pace too, and the times below are for it.
            let unpaced = |r: &allocbench_formats::record::RecordSample| {
                r.sites || (rec.pid.is_some() && r.callgrind_part.is_none())
            };
            let samples: Vec<(f64, f64, bool)> = crit
                .iters
                .iter()
                .zip(&crit.times)
                .enumerate()
                .map(|(k, (&n, &t))| (n, t, joined.records.get(k).is_some_and(unpaced)))
                .collect();
            let any_paced = samples.iter().any(|s| !s.2);
            let paced = samples.iter().filter(|s| !s.2 || !any_paced);
            let (iters, time) = paced.fold((0.0, 0.0), |(n, t), s| (n + s.0, t + s.1));
            let ns = if iters > 0.0 { time / iters } else { 0.0 };
            out.push((rec.id.clone(), ns, !figures::has_slope(&joined.samples)));
        }
        out
    }
}

/// Whether criterion's auto mode samples a routine of `ns_per_iter` flat with measurement time
/// `times.measurement`, had its warm-up estimated that pace: its rule in criterion 0.8.2
/// (`SamplingMode::choose_sampling_mode`), for the ten samples the counting passes ask for.
pub fn sampled_flat(ns_per_iter: f64, times: CountingTimes) -> bool {
    const TOTAL_RUNS: f64 = 55.0; // 1 + 2 + … + 10
    let target = times.measurement.as_nanos() as f64;
    if !(ns_per_iter.is_finite() && ns_per_iter > 0.0) {
        return false;
    }
    let d = (target / ns_per_iter / TOTAL_RUNS).ceil();
    TOTAL_RUNS * d * ns_per_iter > 2.0 * target
}

/// Criterion's times that make its auto mode sample a routine of `ns_per_iter` linearly, on the
/// `try_number`-th try (from 1); never below the counting passes' own.
///
/// Each try warms up longer as well as measuring longer. Criterion estimates the pace from its
/// warm-up's total time over its iterations, and a first call much slower than the rest
/// (valgrind translating the routine's code, the allocation-site pass reading unwind tables) can
/// fill a warm-up of 50 iterations' time by itself: on a loaded machine the instruction pass's
/// first call of a 0.28 ms routine took about 35 ms, criterion estimated 35 ms per iteration, and
/// sampled flat on every try while only the measurement grew.
pub fn counting_times(ns_per_iter: f64, try_number: u32) -> CountingTimes {
    let at_least = |d: Duration, iterations: f64| {
        let secs = ns_per_iter * iterations / 1e9;
        if secs.is_finite() && secs > d.as_secs_f64() {
            Duration::from_secs_f64(secs)
        } else {
            d
        }
    };
    let scale = TRY_SCALE.powi(try_number.clamp(1, 16) as i32 - 1);
    CountingTimes {
        warm_up: at_least(CountingTimes::SHORTEST.warm_up, ITERATIONS_OF_WARM_UP * scale),
        measurement: at_least(CountingTimes::SHORTEST.measurement, ITERATIONS_OF_TIME * scale),
    }
}

/// The benchmarks measured again, and those that failed when measured again.
#[derive(Debug, Default)]
pub struct Resampled {
    pub measured: Measured,
    pub failures: Vec<(String, Failure)>,
}

/// Measures each benchmark in `flat` (from [`Measured::flat`]) again, alone, in the counting
/// pass `pass` (`AllocsOnly` or `Heap`), with a measurement time long enough for linear sampling.
/// `spec` gives the timeout and the environment; `files` the run
/// whose folder the new runs go below. Each benchmark's turn is said to `events`, in the words
/// `progress` gives it.
#[allow(clippy::too_many_arguments)]
pub fn resample(
    exe: &Path,
    target: &BenchTarget,
    pass: Mode,
    spec: &RunSpec,
    files: &RunFiles,
    flat: &[(String, f64)],
    events: &dyn Sink,
    progress: impl Fn(&str) -> String,
) -> Result<Resampled, RunError> {
    debug_assert!(pass.counts_only());
    let mut out = Resampled::default();
    let mut n = 0;
    for (id, ns_per_iter) in flat {
        events.progress(&progress(id));
        let mut outcome = Err("the bench process recorded nothing for it".to_owned());
        // The allocation-site pass tries again at a slower pace, not with longer times (which
        // mean more captured iterations per sample): criterion samples flat when its warm-up
        // came out more than 1.45 times slower than the pace the times were made for. The pace
        // the last try's samples saw (a loaded machine), or half as slow again (a slow warm-up).
        let mut pace = *ns_per_iter;
        for try_number in 1..=TRIES {
            n += 1;
            let again = files.again(n);
            let times = match pass {
                Mode::Heap => {
                    CountingTimes { warm_up: counting_times(pace, try_number).warm_up, ..counting_times(pace, 1) }
                }
                _ => counting_times(*ns_per_iter, try_number),
            };
            let spec = RunSpec {
                pass,
                filter: Some(format!("^(?:{})$", regex::escape(id))),
                counting_times: Some(times),
                // The pass's own settings decide the sampling; the user's criterion arguments
                // were for the run whose samples came out flat, and criterion rejects a setting
                // given twice.
                criterion_args: Vec::new(),
                // The timeout is on progress, and this one benchmark must finish within it.
                timeout: spec.timeout + (times.warm_up + times.measurement) * 2,
                ..spec.clone()
            };
            let failures = run::run(exe, target, &spec, &again, events, |_| {})?;
            let measured = Measured::read(&again).map_err(|e| e.to_string());
            outcome = match measured.as_ref().map(|m| (m.get(id), m.flat().is_empty())) {
                Ok((Some((rec, crit)), true)) => Ok((rec.clone(), crit.clone())),
                Ok((Some(_), false)) => Err(format!("criterion sampled it flat again, in {TRIES} tries")),
                Ok((None, _)) => Err(failures
                    .into_iter()
                    .next()
                    .map(|f| f.reason)
                    .unwrap_or_else(|| "the bench process recorded nothing for it".to_owned())),
                Err(e) => Err(e.clone()),
            };
            // Only flat samples are worth another try: a crash would crash again.
            if !(outcome.is_err() && measured.as_ref().is_ok_and(|m| m.get(id).is_some())) {
                break;
            }
            if let Some((_, seen)) = measured.iter().flat_map(Measured::flat).find(|(i, _)| i == id) {
                pace = seen.max(1.5 * pace);
            }
        }
        match outcome {
            Ok((rec, crit)) => out
                .measured
                .replace_with(Measured { records: vec![rec], criterion: BTreeMap::from([(id.clone(), crit)]) }),
            Err(reason) => out.failures.push((id.clone(), Failure { title: Some(id.clone()), reason })),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criterions_rule_for_flat_sampling() {
        // 10 ms over 55 iterations: linear up to twice that (d = 1), flat beyond.
        assert!(!sampled_flat(1_000.0, CountingTimes::SHORTEST));
        assert!(!sampled_flat(360_000.0, CountingTimes::SHORTEST));
        assert!(sampled_flat(370_000.0, CountingTimes::SHORTEST));
        assert!(!sampled_flat(f64::NAN, CountingTimes::SHORTEST));
        assert!(!sampled_flat(0.0, CountingTimes::SHORTEST));
    }

    /// The allocation-site pass captures the first two samples, `d` and `2d` iterations: the
    /// times give `d = 1` for a warm-up estimate from 0.91 to 1.82 times the pace they were made
    /// for (the pass's own process allocates at up to 1.5 times the timing pass's pace).
    #[test]
    fn times_sample_one_iteration_first() {
        for ns in [5e5, 1e6, 3e7, 1e9] {
            let t = counting_times(ns, 1);
            for met in [0.92 * ns, ns, 1.5 * ns, 1.8 * ns] {
                assert!(!sampled_flat(met, t), "{ns} ns, estimated {met}");
                assert_eq!((t.measurement.as_nanos() as f64 / met / 55.0).ceil(), 1.0, "{ns} ns, estimated {met}: d");
            }
        }
    }

    /// Criterion 0.8's warm-up (`Routine::warm_up`): 1, 2, 4, ... iterations until the time is
    /// past `warm_up_ns`; its estimate of the pace is the time over the iterations. The first
    /// call takes `first_ns`, every other `ns`.
    fn warm_up_estimate(first_ns: f64, ns: f64, warm_up_ns: f64) -> f64 {
        let (mut iters, mut total, mut elapsed) = (1.0, 0.0, 0.0);
        loop {
            elapsed += if total == 0.0 { first_ns + (iters - 1.0) * ns } else { iters * ns };
            total += iters;
            if elapsed > warm_up_ns {
                return elapsed / total;
            }
            iters *= 2.0;
        }
    }

    /// The case a loaded CI machine gave (`instructions::`, `top/checksum` under callgrind): a
    /// 0.28 ms routine whose first call took 35 ms, 125 times the rest. The first try samples
    /// flat; the second must not, nor any later one, up to a first call 700 times the rest.
    #[test]
    fn a_slow_first_call_is_warmed_up_past() {
        for ns in [2.8e5, 1e6, 3e7] {
            let warm = |first: f64, k: u32| {
                let t = counting_times(ns, k);
                sampled_flat(warm_up_estimate(first, ns, t.warm_up.as_nanos() as f64), t)
            };
            assert!(warm(125.0 * ns, 1), "{ns} ns: the first try is too short for it");
            assert!(!warm(125.0 * ns, 2), "{ns} ns: the second try");
            assert!(!warm(125.0 * ns, 3), "{ns} ns: the third try");
            assert!(!warm(700.0 * ns, 3), "{ns} ns: a first call 700 times slower, the third try");
        }
    }

    #[test]
    fn times_fit_ten_linear_samples() {
        // Criterion's auto mode: linear when 55 iterations at the pace it estimates in the
        // warm-up take at most twice the measurement time.
        for ns in [2e5, 1e6, 3.3e6, 1e9] {
            let times = counting_times(ns, 1);
            let time = times.measurement.as_secs_f64() * 1e9;
            assert!(55.0 * ns <= 2.0 * time, "{ns} ns per iteration: {time} ns");
            // ... and still when the warm-up's estimate is 80 % slower.
            assert!(55.0 * ns * 1.8 <= 2.0 * time, "{ns} ns per iteration: {time} ns");
            assert_eq!(counting_times(ns, 2).measurement, times.measurement * 4);
            assert_eq!(counting_times(ns, 2).warm_up, times.warm_up * 4);
            assert_eq!(times.warm_up, times.measurement);
        }
        assert_eq!(counting_times(10.0, 1), CountingTimes::SHORTEST);
        // What they are for: criterion's rule says linear at the pace they were made for.
        for ns in [1e6, 3.3e6, 1e9] {
            assert!(sampled_flat(ns, CountingTimes::SHORTEST), "{ns} ns per iteration");
            assert!(!sampled_flat(ns, counting_times(ns, 1)), "{ns} ns per iteration");
        }
        assert_eq!(counting_times(f64::NAN, 1), CountingTimes::SHORTEST);
    }
}
