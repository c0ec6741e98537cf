//! Instructions the counting hook adds per alloc/free pair, for callgrind: runs `N` alloc/free
//! pairs through `System` (`plain`) or `allocbench::Alloc<System>` (`counted`) and nothing else,
//! so that the difference between a run of `2N` and one of `N` pairs is the pairs' own cost, with
//! the process's start-up cancelled; counted minus plain is the hook's.
//!
//! Usage: allocbench-perf-pairs plain|counted|divan N [SIZE=64] (`divan`: divan's
//! `AllocProfiler<System>`, the tally issue 24 compares the hook with); `scripts/perf/hook-instructions.sh` runs it.
//!
//! The allocators are called through `&dyn GlobalAlloc`, as in `../main.rs`: every pair pays a
//! call, as `__rust_alloc` does. The first pair runs before the loop, so that the thread's claim of
//! a shard (once per thread) is in both runs and cancels too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

static SYSTEM: System = System;
static COUNTED: allocbench::Alloc<System> = allocbench::Alloc::system();
static DIVAN: divan::AllocProfiler<System> = divan::AllocProfiler::system();

#[inline(never)]
fn pairs(a: &dyn GlobalAlloc, layout: Layout, n: usize) {
    for _ in 0..n {
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            a.dealloc(black_box(p), layout);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: &dyn GlobalAlloc = match args.first().map(String::as_str) {
        Some("plain") => &SYSTEM,
        Some("counted") => &COUNTED,
        Some("divan") => &DIVAN,
        _ => panic!("usage: allocbench-perf-pairs plain|counted|divan N [SIZE]"),
    };
    let n: usize = args.get(1).and_then(|v| v.parse().ok()).expect("N");
    let size: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(64);
    let layout = Layout::from_size_align(size, 8).unwrap();
    pairs(black_box(a), layout, 1);
    pairs(black_box(a), layout, black_box(n));
}
