//! The passes a bench process is run for, and what each gives the report.
//!
//! Every pass runs the same bench executables in a [`Mode`](allocbench_formats::Mode) of their
//! own, reads the record lines the harness wrote ([`records`]), and attaches what it found to the
//! report's benchmarks: the counting pass (`--allocs-only`, or a full run with criterion's
//! timing) the allocation figures ([`figures`], with [`linear`] for benchmarks criterion sampled
//! flat) and the time; the CPU pass flame graphs and profiles ([`cpu`]); the allocation-site pass
//! the sites and heap profiles ([`heap`]); the instruction pass, under valgrind's callgrind,
//! instructions per iteration ([`instructions`]). Profiles are written so that pprof reads them whole
//! ([`pprof_names`]).

pub mod cpu;
pub mod figures;
pub mod heap;
pub mod instructions;
pub mod linear;
pub mod pprof_names;
pub mod records;
