//! # allocbench
//!
//! A drop-in front for [criterion](https://docs.rs/criterion/0.8) 0.8 that also counts what every
//! benchmark allocates. Switch a bench crate to it with one line in `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! criterion = { package = "allocbench", version = "0.1" }
//! ```
//!
//! The benchmark sources stay as they are, and `cargo bench` prints what criterion prints. Run
//! `cargo allocbench` to get, per benchmark, the allocations and bytes of one iteration, the bytes
//! it retains (`inuse_space`) and its peak, and to compare them with a stored baseline.
//!
//! ```no_run
//! use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
//! # extern crate allocbench as criterion;
//!
//! fn bench(c: &mut Criterion) {
//!     let mut group = c.benchmark_group("format");
//!     for n in [1u64, 1000] {
//!         group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, n| {
//!             b.iter(|| n.to_string())
//!         });
//!     }
//!     group.finish();
//! }
//!
//! criterion_group!(benches, bench);
//! criterion_main!(benches);
//! ```
//!
//! ## What is counted
//!
//! The counting allocator, [`Alloc`], is installed as the global allocator by the default feature
//! `global-allocator`; a bench target with an allocator of its own turns the feature off and wraps
//! it (see [`Alloc`]). Counts cover every thread of the process, inside the windows where
//! criterion runs its timer: setup of `iter_batched` is outside, as are outputs dropped after the
//! timer stops. With a batch size above one, criterion frees its vector of inputs inside the
//! window, which shows as `free_space` of `size_of::<Input>()` per iteration. For `iter_custom`,
//! which times itself, the counts cover the whole routine and are marked approximate.

#![warn(missing_docs)]

pub mod alloc;
mod callgrind;
mod criterion;
mod group;
#[cfg(feature = "heap-profile")]
mod heap;
mod macros;
pub mod measurement;
mod probe;
mod profile;
pub mod profiler;
pub mod record;

pub use crate::alloc::Alloc;
pub use crate::criterion::Criterion;
pub use crate::group::{BenchmarkGroup, BenchmarkId, IntoBenchmarkId};

/// Hides `dummy` from the optimizer, as criterion's `black_box`: it is [`std::hint::black_box`].
///
/// Criterion 0.8 deprecates its own `black_box` (`use std::hint::black_box() instead`). Rustc
/// would name the re-exported function by its crate, `allocbench::black_box`, in every warning
/// about code that says `criterion::black_box`, a name the user never wrote; so allocbench keeps
/// the function without the deprecation, and code written for criterion 0.4 or 0.5 builds as
/// quietly as it did. New code can call [`std::hint::black_box`].
#[inline(always)]
pub fn black_box<T>(dummy: T) -> T {
    std::hint::black_box(dummy)
}
#[cfg(feature = "async")]
pub use ::criterion::AsyncBencher;
pub use ::criterion::{
    async_executor, AxisScale, Baseline, BatchSize, BenchmarkFilter, PlotConfiguration, PlottingBackend, SamplingMode,
    Throughput,
};

/// Criterion's `Bencher`, measuring with allocation counting. Every `iter*` method is criterion's.
pub type Bencher<'a, M = measurement::WallTime> = ::criterion::Bencher<'a, measurement::Counting<M>>;

#[cfg(feature = "global-allocator")]
#[global_allocator]
static GLOBAL: Alloc = Alloc::system();

#[cfg(test)]
mod tests {
    /// Compiles only while `black_box` warns nobody: a deprecation would be an error here.
    #[test]
    #[deny(deprecated)]
    fn black_box_is_not_deprecated() {
        assert_eq!(crate::black_box(3), 3);
    }
}
