//! The integration tests of `cargo allocbench`, in one binary: each file beside this one was a
//! test binary of its own, and is a module of tests here (`cargo test --test integration --
//! exact` runs `exact::*`, and `-- --list` lists them all).
//!
//! The binary's global allocator is a plain counting allocator (`common::counter`): `exact`,
//! `flat_sampling`, `compat`, `site_pass` and `pprof_profiler` compare allocbench's figures with
//! an independent count of what the fixtures' routines allocate. Those counts are taken first, in `main`, while this thread
//! is the only one: libtest-mimic (`common::harness`), which gives the tests libtest's names,
//! filtering, threads, output and closing line, starts its threads only after them, and every
//! thread's allocations would be counted.

#[macro_use]
mod common;

mod baseline_gate;
mod baseline_rev;
mod compat;
mod cpu_profile;
mod criterion_output;
mod exact;
mod examples_gate;
mod flat_sampling;
mod github;
mod hardening;
mod heap_sites;
mod instructions;
mod messages;
mod nonstationary;
mod partition;
mod pprof_profiler;
mod runs;
mod selection;
mod signals;
mod site_pass;
mod two_packages;

use std::process::ExitCode;

use common::counter::Counter;
use common::harness;
use libtest_mimic::{Arguments, Trial};

#[global_allocator]
static GLOBAL: Counter = Counter;

/// The tests that take longest, first: the pool's threads then finish at about the same time.
const LONGEST_FIRST: [&str; 10] = [
    "baseline_rev::baseline_rev_compares_with_the_previous_commit",
    "hardening::save_baseline_interrupted_100_times_leaves_the_old_or_the_new_baseline",
    "baseline_gate::sigkill_during_save_baseline_never_leaves_a_partial_baseline",
    "compat::every_pattern_is_measured",
    "criterion_output::bench_output_is_criterions",
    "examples_gate::every_allocation_example_fails_the_gate_with_regress_only",
    "baseline_gate::twenty_a_a_comparisons_in_a_row",
    "examples_gate::the_cpu_examples_hot_function_is_in_its_flame_graph",
    "exact::figures_equal_an_independent_count",
    "site_pass::three_hundred_thousand_allocations_take_a_few_captured_iterations",
];

fn main() -> ExitCode {
    // The independent counts, before anything else: no other thread may allocate meanwhile.
    assert!(threads().is_none_or(|n| n == 1), "the counts are taken while only the main thread runs");
    let exact = exact::oracle();
    let flat_sampling = flat_sampling::oracle();
    let compat = compat::oracle();
    let site_pass = site_pass::oracle();
    let two_packages = two_packages::oracle();
    let pprof_profiler = pprof_profiler::oracle();
    let signals = signals::oracle();
    assert!(threads().is_none_or(|n| n == 1), "the counted routines leave no thread running");

    let args = Arguments::from_args();
    harness::set_nocapture(args.nocapture);
    harness::install_panic_hook();
    let mut trials: Vec<Trial> = [
        exact::trials(exact),
        flat_sampling::trials(flat_sampling),
        compat::trials(compat),
        baseline_gate::trials(),
        baseline_rev::trials(),
        cpu_profile::trials(),
        criterion_output::trials(),
        examples_gate::trials(),
        github::trials(),
        hardening::trials(),
        heap_sites::trials(),
        instructions::trials(),
        messages::trials(),
        nonstationary::trials(),
        partition::trials(),
        pprof_profiler::trials(pprof_profiler),
        runs::trials(),
        signals::trials(signals),
        site_pass::trials(site_pass),
        selection::trials(),
        two_packages::trials(two_packages),
    ]
    .into_iter()
    .flatten()
    .collect();
    for name in LONGEST_FIRST {
        assert!(trials.iter().any(|t| t.name() == name), "no test `{name}`");
    }
    if args.list {
        trials.sort_by(|a, b| a.name().cmp(b.name()));
    } else {
        let rank = |t: &Trial| LONGEST_FIRST.iter().position(|n| *n == t.name()).unwrap_or(LONGEST_FIRST.len());
        trials.sort_by_key(rank);
    }
    let conclusion = libtest_mimic::run(&args, trials);
    for line in common::tools::skipped_summary(&args) {
        eprintln!("{line}");
    }
    conclusion.exit_code()
}

/// The threads of this process, where `/proc` tells.
fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}
