//! `criterion_group!` and `criterion_main!` with criterion's syntax, building allocbench's
//! [`Criterion`](crate::Criterion).

/// Defines a function that runs a group of benchmarks, as criterion's `criterion_group!`.
///
/// ```no_run
/// # use allocbench::{criterion_group, Criterion};
/// # use std::time::Duration;
/// fn bench(c: &mut Criterion) {}
/// criterion_group!(short, bench);
/// criterion_group! {
///     name = configured;
///     config = Criterion::default().measurement_time(Duration::from_secs(2));
///     targets = bench
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! criterion_group {
    (name = $name:ident; config = $config:expr; targets = $( $target:path ),+ $(,)*) => {
        #[doc = "The function which runs the benchmarks."]
        pub fn $name() {
            let mut criterion: $crate::Criterion<_> = $config.configure_from_args();
            $(
                $target(&mut criterion);
            )+
        }
    };
    ($name:ident, $( $target:path ),+ $(,)*) => {
        $crate::criterion_group! {
            name = $name;
            config = $crate::Criterion::default();
            targets = $( $target ),+
        }
    };
}

/// Defines `main` to run the given groups, as criterion's `criterion_main!`.
#[macro_export]
macro_rules! criterion_main {
    ( $( $group:path ),+ $(,)* ) => {
        fn main() {
            $(
                $group();
            )+
            $crate::Criterion::default().configure_from_args().final_summary();
        }
    };
}
