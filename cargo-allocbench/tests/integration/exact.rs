//! The core promise: per-iteration figures equal an independent count, exactly.
//!
//! [`oracle`] calls each routine of the fixture crate `exact-fixture` once, the way its bench
//! target calls it inside criterion's measured window, and counts with the binary's plain
//! counting allocator (`common::counter`). `main` calls it before the harness starts a thread:
//! libtest's threads and output would allocate beside the count, and a spawned thread allocates
//! more under a test harness than in a bench binary. The trials then run the real
//! `cargo allocbench` on the fixture, with `--allocs-only` and with a full (shortened) criterion
//! run, and compare every figure.

use std::hint::black_box;
use std::sync::Arc;

use exact_fixture as fx;
use libtest_mimic::Trial;

use crate::common::counter::{sink, Expected};
use crate::common::report::{alloc, ids, report, report_json, Report};
use crate::common::{allocbench, fixture, out_dir, run};

/// The independent counts: each benchmark of `fixtures/exact/benches/exact.rs` with what its
/// window holds and whether its peak is exact (one thread), and `fixtures/own-allocator`'s.
pub struct Oracle {
    benchmarks: Vec<(String, Expected, bool)>,
    own: Expected,
}

/// Counts the fixtures' routines. Only while no other thread runs: `main` calls it first.
pub fn oracle() -> Oracle {
    // Warm up lazy state (thread spawning, formatting) outside any count, as criterion's warm-up
    // does for the benchmarks.
    fx::two_threads();
    let mut out: Vec<(String, Expected, bool)> = vec![
        ("vec/iter".into(), Expected::of(|| sink(fx::vec_sum(black_box(32)))), true),
        ("zero".into(), Expected::of(|| sink(fx::arithmetic(black_box(5)))), true),
        ("realloc".into(), Expected::of(|| sink(fx::grow_and_shrink())), true),
    ];
    // `iter_with_large_drop`: the output is dropped after the window closes.
    let mut kept = None;
    out.push(("large_drop".into(), Expected::of(|| kept = Some(fx::buffer(black_box(2000)))), true));
    drop(kept);
    // `iter_batched`: setup runs outside the window; the routine consumes its input inside.
    let input = fx::make_input();
    out.push(("batched/per_iteration".into(), Expected::of(|| sink(fx::consume(input))), true));
    let input = fx::make_input();
    let mut small = Expected::of(|| sink(fx::consume(input)));
    // With a batch above one, criterion frees its vector of inputs inside the window: one block
    // of `batch × size_of::<String>()` bytes per batch. Over the fixed ten batches of
    // `SmallInput` the block count is the same in every sample (no slope), the bytes grow with
    // the iterations.
    small.free_space += std::mem::size_of::<String>() as f64;
    out.push(("batched/small_input".into(), small, false));
    let mut v = fx::make_vec();
    out.push(("batched_ref/keeps".into(), Expected::of(|| fx::append(&mut v)), true));
    drop(v);
    out.push(("threads".into(), Expected::of(|| sink(fx::two_threads())), false));
    out.push(("peak".into(), Expected::of(|| sink(fx::peaky())), true));
    out.push(("custom".into(), Expected::of(|| sink(fx::vec_sum(black_box(16)))), true));
    for n in [16usize, 256, 4096] {
        out.push((format!("param/buffer/{n}"), Expected::of(|| sink(fx::buffer(n))), true));
    }
    let own = Expected::of(|| sink(own_allocator_fixture::join_words(black_box("hello"), black_box("world"))));
    Oracle { benchmarks: out, own }
}

pub fn trials(oracle: Oracle) -> Vec<Trial> {
    let oracle = Arc::new(oracle);
    let o = || Arc::clone(&oracle);
    vec![
        trial!(the_independent_counts_are_not_trivial, {
            let o = o();
            move || the_independent_counts_are_not_trivial(&o)
        }),
        trial!(figures_equal_an_independent_count, {
            let o = o();
            move || figures_equal_an_independent_count(&o)
        }),
        trial!(own_global_allocator_wrapped_in_alloc, {
            let o = o();
            move || own_global_allocator_wrapped_in_alloc(o.own)
        }),
    ]
}

/// The counts the test relies on are not trivial: allocation, freeing, reallocs, keeping.
fn the_independent_counts_are_not_trivial(oracle: &Oracle) {
    let by_id = |id: &str| oracle.benchmarks.iter().find(|(i, ..)| i == id).unwrap().1;
    assert_eq!(by_id("zero").alloc_objects, 0.0);
    assert!(by_id("realloc").reallocs > 0.0);
    assert!(by_id("large_drop").alloc_space > by_id("large_drop").free_space);
    assert!(by_id("threads").alloc_objects >= 2.0);
}

fn check(report: &Report, expected: &[(String, Expected, bool)]) {
    assert_eq!(
        ids(report),
        expected.iter().map(|(id, ..)| id.as_str()).collect::<Vec<_>>(),
        "the report lists the fixture's benchmarks in order"
    );
    for (id, e, peak_exact) in expected {
        let a = alloc(report, id);
        e.assert_counted(&a, id);
        let what = format!("{id}: report {a:?} vs independent count {e:?}");
        if *peak_exact {
            assert_eq!(a.peak_space, e.peak_space, "{what}");
        }
        assert!(a.exact, "{what}");
        assert_eq!(a.approximate, id == "custom", "{what}");
    }
}

fn figures_equal_an_independent_count(oracle: &Oracle) {
    let expected = &oracle.benchmarks;
    let out = out_dir("exact-allocs-only");
    let allocs_only = run(allocbench(&[
        "--manifest-path",
        fixture("exact").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--allocs-only",
        "--format",
        "json",
    ]));
    assert_eq!(allocs_only.status.code(), Some(0));
    let r = report(&allocs_only);
    check(&r, expected);
    assert!(r.benchmarks.iter().all(|b| b.time.is_none()), "--allocs-only reports no time");
    let on_disk: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(on_disk, report_json(&allocs_only), "report.json holds what --format json printed");

    let out = out_dir("exact-full");
    let full = run(allocbench(&[
        "--manifest-path",
        fixture("exact").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--no-cpu-profile",
        "--",
        "--warm-up-time",
        "0.2",
        "--measurement-time",
        "0.5",
    ]));
    assert_eq!(full.status.code(), Some(0));
    let r = report(&full);
    check(&r, expected);
    for b in &r.benchmarks {
        assert!(b.time.is_some_and(|t| t.typical_ns > 0.0), "a full run reports time: {b:?}");
    }
}

/// A bench target with its own `#[global_allocator]`, wrapped in `allocbench::Alloc`, with the
/// harness's default feature off.
fn own_global_allocator_wrapped_in_alloc(e: Expected) {
    let out = out_dir("own-allocator");
    let o = run(allocbench(&[
        "--manifest-path",
        fixture("own-allocator").to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--allocs-only",
        "--format",
        "json",
    ]));
    assert_eq!(o.status.code(), Some(0));
    let a = alloc(&report(&o), "own/join");
    assert_eq!(a.alloc_objects, e.alloc_objects, "{a:?}");
    assert_eq!(a.alloc_space, e.alloc_space, "{a:?}");
    assert_eq!(a.free_space, e.free_space, "{a:?}");
    assert!(a.exact);
}
