//! The core promise: per-iteration figures equal an independent count, exactly.
//!
//! This test binary installs a plain counting allocator of its own, calls each routine of the
//! fixture crate `exact-fixture` once, the way its bench target calls it inside criterion's
//! measured window, and counts. Then it runs the real `cargo allocbench` on the fixture, with
//! `--allocs-only` and with a full (shortened) criterion run, and compares every figure.
//!
//! The binary has no test harness (`harness = false`): libtest's threads and output capture would
//! allocate beside the count, and a spawned thread under capture allocates more than it does in a
//! bench binary.

mod common;

use std::hint::black_box;

use common::counter::{Counter, Expected};
use common::{allocbench, bench, fixture, out_dir, report, run};
use exact_fixture as fx;

#[global_allocator]
static GLOBAL: Counter = Counter;

/// What criterion's `iter` does with a routine's output inside the window.
fn sink<T>(output: T) {
    drop(black_box(output));
}

/// Each benchmark of `fixtures/exact/benches/exact.rs`, with what its window holds, and whether
/// its peak is exact (one thread).
fn oracle() -> Vec<(String, Expected, bool)> {
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
    out
}

fn check(report: &serde_json::Value, expected: &[(String, Expected, bool)]) {
    let ids: Vec<&str> = report["benchmarks"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        expected.iter().map(|(id, ..)| id.as_str()).collect::<Vec<_>>(),
        "the report lists the fixture's benchmarks in order"
    );
    for (id, e, peak_exact) in expected {
        let a = &bench(report, id)["alloc"];
        let got = |k: &str| a[k].as_f64().unwrap_or_else(|| panic!("{id}: no {k} in {a}"));
        let what = format!("{id}: report {a} vs independent count {e:?}");
        assert_eq!(got("alloc_objects"), e.alloc_objects, "{what}");
        assert_eq!(got("alloc_space"), e.alloc_space, "{what}");
        assert_eq!(got("free_objects"), e.free_objects, "{what}");
        assert_eq!(got("free_space"), e.free_space, "{what}");
        assert_eq!(got("reallocs"), e.reallocs, "{what}");
        assert_eq!(got("inuse_objects"), e.alloc_objects - e.free_objects, "{what}");
        assert_eq!(got("inuse_space"), e.alloc_space - e.free_space, "{what}");
        if *peak_exact {
            assert_eq!(got("peak_space"), e.peak_space, "{what}");
        }
        assert_eq!(a["exact"], true, "{what}");
        assert_eq!(a["approximate"].as_bool().unwrap_or(false), id == "custom", "{what}");
    }
}

fn main() {
    figures_equal_an_independent_count();
    println!("exact: 1 passed, 0 failed");
}

fn figures_equal_an_independent_count() {
    let expected = oracle();
    let own = Expected::of(|| sink(own_allocator_fixture::join_words(black_box("hello"), black_box("world"))));
    // The counts the test relies on are not trivial: allocation, freeing, reallocs, keeping.
    let by_id = |id: &str| expected.iter().find(|(i, ..)| i == id).unwrap().1;
    assert_eq!(by_id("zero").alloc_objects, 0.0);
    assert!(by_id("realloc").reallocs > 0.0);
    assert!(by_id("large_drop").alloc_space > by_id("large_drop").free_space);
    assert!(by_id("threads").alloc_objects >= 2.0);

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
    check(&r, &expected);
    assert!(r["benchmarks"].as_array().unwrap().iter().all(|b| b["time"].is_null()), "--allocs-only reports no time");
    let on_disk: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(on_disk, r, "report.json holds what --format json printed");

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
    check(&r, &expected);
    for b in r["benchmarks"].as_array().unwrap() {
        assert!(b["time"]["typical_ns"].as_f64().unwrap() > 0.0, "a full run reports time: {b}");
    }

    own_global_allocator_wrapped_in_alloc(own);
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
    let r = report(&o);
    let a = &bench(&r, "own/join")["alloc"];
    assert_eq!(a["alloc_objects"].as_f64(), Some(e.alloc_objects), "{a}");
    assert_eq!(a["alloc_space"].as_f64(), Some(e.alloc_space), "{a}");
    assert_eq!(a["free_space"].as_f64(), Some(e.free_space), "{a}");
    assert_eq!(a["exact"], true);
}
