//! Criterion's profiler hook, as [`criterion::profiler`](https://docs.rs/criterion/0.8/criterion/profiler/),
//! and [`IntoProfiler`]: what [`Criterion::with_profiler`](crate::Criterion::with_profiler)
//! accepts.
//!
//! Profilers written for older criterion releases implement *their* criterion's `Profiler`
//! trait, a different trait to the compiler though it has the same two methods: pprof 0.12 to 0.15
//! implement criterion 0.5's (`pprof::criterion::PProfProfiler`), pprof 0.11 criterion 0.4's.
//! `with_profiler` takes any of them, so that a suite written for criterion 0.5 compiles with the
//! one-line switch, and criterion 0.8 calls the profiler exactly as its own release would.
//! Criterion 0.5's trait comes with the default feature `criterion-0-5`, criterion 0.4's with the
//! `criterion-0-4` feature (it costs a build of clap 3).
//!
//! Implement [`Profiler`] (criterion 0.8's trait) for a profiler of your own, as with criterion.

use std::path::Path;

pub use ::criterion::profiler::{ExternalProfiler, Profiler};

/// A profiler [`Criterion::with_profiler`](crate::Criterion::with_profiler) accepts: one that
/// implements criterion 0.8's [`Profiler`], criterion 0.5's (default feature `criterion-0-5`), or
/// criterion 0.4's (feature `criterion-0-4`). `Version` is one of [`Criterion08`], [`Criterion05`], [`Criterion04`] and is
/// inferred: each trait has its own marker, so the three blanket implementations never overlap.
///
/// Implemented for every such profiler; not to be implemented elsewhere.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a criterion profiler that allocbench accepts",
    label = "not a `Profiler` of criterion 0.8 or 0.5",
    note = "`with_profiler` takes criterion 0.8's `criterion::profiler::Profiler`, and criterion 0.5's \
            (pprof 0.12 to 0.15) with allocbench's default feature `criterion-0-5`",
    note = "pprof 0.11 implements criterion 0.4's: give allocbench `default-features = false, features = \
            [\"global-allocator\", \"heap-profile\", \"cpu-profile-pprof-0-11\"]`, which takes it and profiles \
            with pprof 0.11 (another criterion 0.4 profiler: the `criterion-0-4` feature)"
)]
pub trait IntoProfiler<Version>: sealed::Sealed<Version> {
    /// The profiler, behind criterion 0.8's trait.
    fn into_profiler(self) -> Box<dyn Profiler>;
}

/// [`IntoProfiler`]'s marker for criterion 0.8's [`Profiler`] (and profilers of your own).
#[derive(Debug)]
pub enum Criterion08 {}

/// [`IntoProfiler`]'s marker for criterion 0.5's `Profiler` (pprof 0.12 to 0.15).
#[derive(Debug)]
pub enum Criterion05 {}

/// [`IntoProfiler`]'s marker for criterion 0.4's `Profiler` (pprof 0.11), with the `criterion-0-4`
/// feature.
#[derive(Debug)]
pub enum Criterion04 {}

mod sealed {
    /// Keeps [`IntoProfiler`](super::IntoProfiler) to the implementations below: a new criterion
    /// release can then get a marker of its own without breaking anyone.
    pub trait Sealed<Version> {}
}

impl<P: Profiler + 'static> sealed::Sealed<Criterion08> for P {}
impl<P: Profiler + 'static> IntoProfiler<Criterion08> for P {
    fn into_profiler(self) -> Box<dyn Profiler> {
        Box::new(self)
    }
}

#[cfg(feature = "criterion-0-5")]
mod criterion05 {
    use super::*;

    /// Calls criterion 0.5's profiler through criterion 0.8's trait: the same calls, the same
    /// arguments, in the same order.
    struct Older05<P>(P);

    impl<P: ::criterion05::profiler::Profiler + 'static> sealed::Sealed<Criterion05> for P {}
    impl<P: ::criterion05::profiler::Profiler + 'static> IntoProfiler<Criterion05> for P {
        fn into_profiler(self) -> Box<dyn Profiler> {
            Box::new(Older05(self))
        }
    }

    impl<P: ::criterion05::profiler::Profiler> Profiler for Older05<P> {
        fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.start_profiling(benchmark_id, benchmark_dir);
        }

        fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.stop_profiling(benchmark_id, benchmark_dir);
        }
    }
}

#[cfg(feature = "criterion-0-4")]
mod criterion04 {
    use super::*;

    /// Criterion 0.4's profiler behind criterion 0.8's trait. A type of its own: one adapter with
    /// two `Profiler` implementations would overlap for a `P` that implemented both traits.
    struct Older04<P>(P);

    impl<P: ::criterion04::profiler::Profiler + 'static> sealed::Sealed<Criterion04> for P {}
    impl<P: ::criterion04::profiler::Profiler + 'static> IntoProfiler<Criterion04> for P {
        fn into_profiler(self) -> Box<dyn Profiler> {
            Box::new(Older04(self))
        }
    }

    impl<P: ::criterion04::profiler::Profiler> Profiler for Older04<P> {
        fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.start_profiling(benchmark_id, benchmark_dir);
        }

        fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.stop_profiling(benchmark_id, benchmark_dir);
        }
    }
}

/// A boxed profiler, for criterion 0.8's `with_profiler`, which takes a type that implements the
/// trait (criterion implements it for no `Box`).
pub(crate) struct Boxed(pub(crate) Box<dyn Profiler>);

impl Profiler for Boxed {
    fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        self.0.start_profiling(benchmark_id, benchmark_dir);
    }

    fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
        self.0.stop_profiling(benchmark_id, benchmark_dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::path::PathBuf;
    use std::rc::Rc;

    type Calls = Rc<RefCell<Vec<(String, String, PathBuf)>>>;

    /// Logs each call, as criterion 0.5's profiler trait sees it.
    #[cfg(feature = "criterion-0-5")]
    struct Logged05(Calls);

    #[cfg(feature = "criterion-0-5")]
    impl ::criterion05::profiler::Profiler for Logged05 {
        fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.borrow_mut().push(("start".into(), benchmark_id.into(), benchmark_dir.into()));
        }
        fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.borrow_mut().push(("stop".into(), benchmark_id.into(), benchmark_dir.into()));
        }
    }

    /// The same, on criterion 0.8's trait.
    struct Logged08(Calls);

    impl Profiler for Logged08 {
        fn start_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.borrow_mut().push(("start".into(), benchmark_id.into(), benchmark_dir.into()));
        }
        fn stop_profiling(&mut self, benchmark_id: &str, benchmark_dir: &Path) {
            self.0.borrow_mut().push(("stop".into(), benchmark_id.into(), benchmark_dir.into()));
        }
    }

    fn drive<V, P: IntoProfiler<V>>(p: P) {
        let mut p = Boxed(p.into_profiler());
        p.start_profiling("group/id", Path::new("/tmp/group/id/profile"));
        p.stop_profiling("group/id", Path::new("/tmp/group/id/profile"));
    }

    #[test]
    fn every_trait_gets_criterions_calls_unchanged() {
        let expected = |calls: &Calls| {
            let dir = PathBuf::from("/tmp/group/id/profile");
            assert_eq!(
                *calls.borrow(),
                [("start".into(), "group/id".into(), dir.clone()), ("stop".into(), "group/id".into(), dir)]
            );
        };
        #[cfg(feature = "criterion-0-5")]
        {
            let calls = Calls::default();
            drive(Logged05(Rc::clone(&calls)));
            expected(&calls);
        }
        let calls = Calls::default();
        drive(Logged08(Rc::clone(&calls)));
        expected(&calls);
    }
}
