//! [`BenchmarkGroup`] and [`BenchmarkId`]: criterion's, wrapped so that allocbench knows the full
//! id (`group/function/parameter`) of every benchmark it records.

use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{PlotConfiguration, SamplingMode, Throughput};

use crate::criterion::{counting_sampling, timing_settings_apply};
use crate::measurement::Counting;
use crate::{record, Bencher};

/// The id of a benchmark inside a group, as [`criterion::BenchmarkId`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BenchmarkId {
    function_name: Option<String>,
    parameter: Option<String>,
}

impl BenchmarkId {
    /// A function name and a parameter value, as [`criterion::BenchmarkId::new`].
    pub fn new<S: Into<String>, P: std::fmt::Display>(function_name: S, parameter: P) -> Self {
        Self { function_name: Some(function_name.into()), parameter: Some(parameter.to_string()) }
    }

    /// A parameter value alone, as [`criterion::BenchmarkId::from_parameter`].
    pub fn from_parameter<P: std::fmt::Display>(parameter: P) -> Self {
        Self { function_name: None, parameter: Some(parameter.to_string()) }
    }

    /// `Criterion::bench_with_input` makes the function name the group and the parameter the id.
    pub(crate) fn into_group_and_parameter(self) -> (String, String) {
        let group = self.function_name.expect(
            "Cannot use BenchmarkId::from_parameter with Criterion::bench_with_input. \
             Consider using a BenchmarkGroup or BenchmarkId::new instead.",
        );
        (group, self.parameter.unwrap_or_default())
    }

    /// The full id criterion gives this benchmark in `group`: `group/function/parameter`, with
    /// the parts that are absent left out.
    fn full_id(&self, group: &str) -> String {
        [Some(group), self.function_name.as_deref(), self.parameter.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/")
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::BenchmarkId {}
    impl<S: Into<String>> Sealed for S {}
}

/// Anything a group accepts as a benchmark id: a [`BenchmarkId`] or a string, as in criterion.
pub trait IntoBenchmarkId: sealed::Sealed {
    /// The id.
    fn into_benchmark_id(self) -> BenchmarkId;
}

impl IntoBenchmarkId for BenchmarkId {
    fn into_benchmark_id(self) -> BenchmarkId {
        self
    }
}

impl<S: Into<String>> IntoBenchmarkId for S {
    fn into_benchmark_id(self) -> BenchmarkId {
        let function_name = self.into();
        assert!(!function_name.is_empty(), "Function name must not be empty.");
        BenchmarkId { function_name: Some(function_name), parameter: None }
    }
}

/// A group of related benchmarks, as [`criterion::BenchmarkGroup`].
pub struct BenchmarkGroup<'a, M: Measurement> {
    inner: criterion::BenchmarkGroup<'a, Counting<M>>,
    name: String,
}

macro_rules! forward_group_setters {
    ($( $(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) if $cond:expr; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&mut self, $arg: $ty) -> &mut Self {
                if $cond {
                    self.inner.$name($arg);
                }
                self
            }
        )*
    };
}

impl<'a, M: Measurement> BenchmarkGroup<'a, M> {
    pub(crate) fn new(mut inner: criterion::BenchmarkGroup<'a, Counting<M>>, name: String) -> Self {
        if let Some(mode) = counting_sampling() {
            inner.sampling_mode(mode);
        }
        Self { inner, name }
    }

    forward_group_setters! {
        /// As [`criterion::BenchmarkGroup::sample_size`].
        sample_size(n: usize) if timing_settings_apply();
        /// As [`criterion::BenchmarkGroup::warm_up_time`].
        warm_up_time(dur: Duration) if timing_settings_apply();
        /// As [`criterion::BenchmarkGroup::measurement_time`].
        measurement_time(dur: Duration) if timing_settings_apply();
        /// As [`criterion::BenchmarkGroup::nresamples`].
        nresamples(n: usize) if timing_settings_apply();
        /// As [`criterion::BenchmarkGroup::sampling_mode`].
        sampling_mode(new_mode: SamplingMode) if timing_settings_apply();
        /// As [`criterion::BenchmarkGroup::noise_threshold`].
        noise_threshold(threshold: f64) if true;
        /// As [`criterion::BenchmarkGroup::confidence_level`].
        confidence_level(cl: f64) if true;
        /// As [`criterion::BenchmarkGroup::significance_level`].
        significance_level(sl: f64) if true;
        /// As [`criterion::BenchmarkGroup::plot_config`].
        plot_config(new_config: PlotConfiguration) if true;
        /// As [`criterion::BenchmarkGroup::throughput`].
        throughput(throughput: Throughput) if true;
    }

    /// Benchmarks a function without input, as [`criterion::BenchmarkGroup::bench_function`].
    pub fn bench_function<ID: IntoBenchmarkId, F>(&mut self, id: ID, mut f: F) -> &mut Self
    where
        F: FnMut(&mut Bencher<'_, M>),
    {
        self.bench_with_input(id, &(), move |b, _| f(b))
    }

    /// Benchmarks a function with an input, as [`criterion::BenchmarkGroup::bench_with_input`].
    pub fn bench_with_input<ID: IntoBenchmarkId, F, I>(&mut self, id: ID, input: &I, mut f: F) -> &mut Self
    where
        F: FnMut(&mut Bencher<'_, M>, &I),
        I: ?Sized,
    {
        let id = id.into_benchmark_id();
        let full_id = id.full_id(&self.name);
        let routine =
            move |b: &mut Bencher<'_, M>, i: &I| crate::callgrind::sample(b, |b| record::around_routine(|| f(b, i)));
        record::begin(&full_id);
        match (id.function_name, id.parameter) {
            (Some(f), Some(p)) => self.inner.bench_with_input(criterion::BenchmarkId::new(f, p), input, routine),
            (None, Some(p)) => self.inner.bench_with_input(criterion::BenchmarkId::from_parameter(p), input, routine),
            (Some(f), None) => self.inner.bench_with_input(f, input, routine),
            (None, None) => unreachable!("a group's benchmark id always has a function name or a parameter"),
        };
        record::finish(&full_id);
        self
    }

    /// Ends the group, as [`criterion::BenchmarkGroup::finish`].
    pub fn finish(self) {
        self.inner.finish();
    }
}
