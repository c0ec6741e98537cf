//! [`Criterion`]: criterion 0.8's runner with the [`Counting`] measurement inside, so that every
//! benchmark is timed by criterion as before and counted by allocbench in the same windows.
//!
//! Each method forwards to criterion's own. The wrapper exists because a benchmark function
//! written as `fn bench(c: &mut Criterion)` must name a type whose default measurement is ours,
//! and because allocbench needs to know each benchmark's id when it finishes.

use std::path::Path;
use std::time::Duration;

use criterion::measurement::{Measurement, WallTime};
use criterion::{BenchmarkFilter, PlottingBackend, SamplingMode};

use crate::group::{BenchmarkGroup, BenchmarkId};
use crate::measurement::Counting;
use crate::profiler::{Boxed, IntoProfiler};
use crate::record::{self, Mode};
use crate::{profile, Bencher};

/// The benchmark manager, as criterion's [`criterion::Criterion`], with allocation counting.
///
/// ```no_run
/// use allocbench::{criterion_group, criterion_main, Criterion};
///
/// fn bench(c: &mut Criterion) {
///     c.bench_function("collect", |b| b.iter(|| (0..64u32).collect::<Vec<_>>()));
/// }
///
/// criterion_group!(benches, bench);
/// criterion_main!(benches);
/// ```
pub struct Criterion<M: Measurement = WallTime> {
    inner: criterion::Criterion<Counting<M>>,
}

impl Default for Criterion {
    /// Criterion's defaults; under `cargo allocbench`, what the pass it runs needs.
    fn default() -> Criterion {
        record::start_mode();
        let inner = criterion::Criterion::default().with_measurement(Counting::new(WallTime));
        Criterion { inner: profile::install(inner) }
    }
}

/// In every counting pass (`--allocs-only`, the allocation-site pass, the instruction pass),
/// timing settings from the bench code are ignored: the subcommand asks criterion for the smallest run that still gives exact allocation
/// figures, and that needs linear sampling (see [`counting_sampling`]).
pub(crate) fn timing_settings_apply() -> bool {
    !record::mode().is_some_and(Mode::counts_only)
}

/// The sampling mode the counting passes force on every group, whatever the bench code or
/// criterion's auto mode would choose: per-iteration figures are the slope across samples, and a
/// slope needs samples of at least two iteration counts. Flat sampling gives every sample the
/// same count, so a buffer grown once per sample would read as growing on every iteration.
pub(crate) fn counting_sampling() -> Option<SamplingMode> {
    (!timing_settings_apply()).then_some(SamplingMode::Linear)
}

macro_rules! forward_setters {
    ($( $(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) if $cond:expr; )*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(self, $arg: $ty) -> Self {
                if $cond {
                    Criterion { inner: self.inner.$name($arg) }
                } else {
                    self
                }
            }
        )*
    };
}

impl<M: Measurement + 'static> Criterion<M> {
    /// Changes the measurement, as [`criterion::Criterion::with_measurement`]; allocations are
    /// still counted around it.
    pub fn with_measurement<M2: Measurement + 'static>(self, m: M2) -> Criterion<M2> {
        Criterion { inner: profile::install(self.inner.with_measurement(Counting::new(m))) }
    }

    /// Sets the profiler, as [`criterion::Criterion::with_profiler`]: criterion calls it around
    /// each benchmark of `--profile-time` mode. It takes criterion 0.8's
    /// [`Profiler`](crate::profiler::Profiler) and the older releases' (`pprof::criterion::PProfProfiler`
    /// of pprof 0.12 to 0.15 implements criterion 0.5's), see [`IntoProfiler`]. In the CPU pass of
    /// `cargo allocbench`, allocbench's own profiler stays in place: two pprof-rs profilers
    /// cannot run in one process.
    #[must_use]
    pub fn with_profiler<P: IntoProfiler<Version>, Version>(self, p: P) -> Self {
        if profile::active() {
            return self;
        }
        Criterion { inner: self.inner.with_profiler(Boxed(p.into_profiler())) }
    }

    forward_setters! {
        /// As [`criterion::Criterion::plotting_backend`].
        plotting_backend(backend: PlottingBackend) if true;
        /// As [`criterion::Criterion::sample_size`].
        sample_size(n: usize) if timing_settings_apply();
        /// As [`criterion::Criterion::warm_up_time`].
        warm_up_time(dur: Duration) if timing_settings_apply();
        /// As [`criterion::Criterion::measurement_time`].
        measurement_time(dur: Duration) if timing_settings_apply();
        /// As [`criterion::Criterion::nresamples`].
        nresamples(n: usize) if timing_settings_apply();
        /// As [`criterion::Criterion::noise_threshold`].
        noise_threshold(threshold: f64) if true;
        /// As [`criterion::Criterion::confidence_level`].
        confidence_level(cl: f64) if true;
        /// As [`criterion::Criterion::significance_level`].
        significance_level(sl: f64) if true;
        /// As [`criterion::Criterion::save_baseline`].
        save_baseline(baseline: String) if true;
        /// As [`criterion::Criterion::with_benchmark_filter`].
        with_benchmark_filter(filter: BenchmarkFilter) if true;
        /// As [`criterion::Criterion::with_output_color`].
        with_output_color(enabled: bool) if true;
        /// As [`criterion::Criterion::profile_time`].
        profile_time(profile_time: Option<Duration>) if true;
    }

    /// As [`criterion::Criterion::with_plots`].
    #[must_use]
    pub fn with_plots(self) -> Self {
        Criterion { inner: self.inner.with_plots() }
    }

    /// As [`criterion::Criterion::without_plots`].
    #[must_use]
    pub fn without_plots(self) -> Self {
        Criterion { inner: self.inner.without_plots() }
    }

    /// As [`criterion::Criterion::retain_baseline`].
    #[must_use]
    pub fn retain_baseline(self, baseline: String, strict: bool) -> Self {
        Criterion { inner: self.inner.retain_baseline(baseline, strict) }
    }

    /// As [`criterion::Criterion::with_filter`].
    #[must_use]
    pub fn with_filter<S: Into<String>>(self, filter: S) -> Self {
        Criterion { inner: self.inner.with_filter(filter) }
    }

    /// As [`criterion::Criterion::output_directory`].
    #[must_use]
    pub fn output_directory(self, path: &Path) -> Self {
        Criterion { inner: self.inner.output_directory(path) }
    }

    /// As [`criterion::Criterion::configure_from_args`].
    #[must_use]
    pub fn configure_from_args(self) -> Self {
        Criterion { inner: self.inner.configure_from_args() }
    }

    /// As [`criterion::Criterion::final_summary`].
    pub fn final_summary(&self) {
        self.inner.final_summary();
    }

    /// Starts a group of related benchmarks, as [`criterion::Criterion::benchmark_group`].
    pub fn benchmark_group<S: Into<String>>(&mut self, group_name: S) -> BenchmarkGroup<'_, M> {
        let name = group_name.into();
        BenchmarkGroup::new(self.inner.benchmark_group(name.clone()), name)
    }

    /// Benchmarks one function, as [`criterion::Criterion::bench_function`].
    ///
    /// Criterion gives no way to set this benchmark's sampling mode from outside, so a slow one may
    /// be sampled flat even under `cargo allocbench --allocs-only`; the subcommand then measures
    /// it again with a measurement time that makes criterion's auto mode choose linear sampling.
    pub fn bench_function<F>(&mut self, id: &str, mut f: F) -> &mut Self
    where
        F: FnMut(&mut Bencher<'_, M>),
    {
        record::begin(id);
        self.inner.bench_function(id, |b| crate::callgrind::sample(b, |b| record::around_routine(|| f(b))));
        record::finish(id);
        self
    }

    /// Benchmarks one function with an input, as [`criterion::Criterion::bench_with_input`]:
    /// the id's function name becomes the group.
    pub fn bench_with_input<F, I>(&mut self, id: BenchmarkId, input: &I, mut f: F) -> &mut Self
    where
        F: FnMut(&mut Bencher<'_, M>, &I),
    {
        let (group, parameter) = id.into_group_and_parameter();
        // What criterion's own `bench_with_input` does, through a group whose sampling mode the
        // counting passes can set.
        let full_id = format!("{group}/{parameter}");
        record::begin(&full_id);
        let mut g = self.inner.benchmark_group(group);
        if let Some(mode) = counting_sampling() {
            g.sampling_mode(mode);
        }
        g.bench_with_input(criterion::BenchmarkId::from_parameter(parameter), input, |b, i| {
            crate::callgrind::sample(b, |b| record::around_routine(|| f(b, i)))
        });
        g.finish();
        record::finish(&full_id);
        self
    }
}
