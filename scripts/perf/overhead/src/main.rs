//! Cost of one alloc/free pair through System, allocbench::Alloc<System>, divan's
//! AllocProfiler<System> (a thread-local tally: the cost issue 24 asks to reach) and
//! stats_alloc::StatsAlloc<System>, measured in short interleaved blocks so that a busy moment on
//! a shared machine hits every allocator alike: per round, each allocator runs one block of
//! `PAIRS` pairs (the order rotates every round); the figure is the median over rounds, and the
//! overhead is the median over rounds of (allocator − System) within the same round.
//!
//! Usage: allocbench-perf-overhead [THREADS=1|2] [SIZE=64] [ROUNDS=400] [PAIRS=20000] [HELPER=0|1]
//!
//! With 2 threads, a helper thread runs the same block on the same allocator at the same time;
//! the time is the measuring thread's own block, as in harness/benches/alloc_overhead.rs.
//! HELPER=1: the helper always runs System, whatever the measuring thread runs. Then nothing of
//! the counting allocator is shared between the threads: what is left of a second thread's cost
//! is the machine's (two vCPUs sharing a core's resources, memory bandwidth), not the allocator's.
//! Allocators are called through `&dyn GlobalAlloc`, so nothing is hoisted out of the loop: every
//! pair pays a call, as `__rust_alloc` does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::time::Instant;

/// Keeps a static on cache lines of its own (128 bytes: the adjacent-line prefetcher pairs lines),
/// so that no other static of this program shares them: stats_alloc keeps its counters inline.
#[repr(align(128))]
struct Aligned<T>(T);

static SYSTEM: System = System;
static ALLOCBENCH: allocbench::Alloc<System> = allocbench::Alloc::system();
static STATS_ALLOC: Aligned<stats_alloc::StatsAlloc<System>> = Aligned(stats_alloc::StatsAlloc::system());
static DIVAN: divan::AllocProfiler<System> = divan::AllocProfiler::system();

fn allocators() -> [(&'static str, &'static (dyn GlobalAlloc + Sync)); 4] {
    [("System", &SYSTEM), ("allocbench", &ALLOCBENCH), ("divan", &DIVAN), ("stats_alloc", &STATS_ALLOC.0)]
}

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

// The threads' hand-shake, each on lines of its own: a thread spinning on one must not slow the
// other's counters down.
static GENERATION: Aligned<AtomicUsize> = Aligned(AtomicUsize::new(0));
static WHICH: Aligned<AtomicUsize> = Aligned(AtomicUsize::new(0));
static DONE: Aligned<AtomicUsize> = Aligned(AtomicUsize::new(0));

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let threads = *args.first().unwrap_or(&1);
    let size = *args.get(1).unwrap_or(&64);
    let rounds = *args.get(2).unwrap_or(&400);
    let n = *args.get(3).unwrap_or(&20000);
    let helper_system = *args.get(4).unwrap_or(&0) == 1;
    let layout = Layout::from_size_align(size, 8).unwrap();
    let allocs = allocators();
    let k = allocs.len();

    if threads == 2 {
        std::thread::spawn(move || {
            let mut seen = 0;
            loop {
                let g = loop {
                    let g = GENERATION.0.load(Acquire);
                    if g != seen {
                        break g;
                    }
                    std::hint::spin_loop();
                };
                seen = g;
                if g == usize::MAX {
                    return;
                }
                let which = if helper_system { 0 } else { WHICH.0.load(Acquire) };
                pairs(allocs[which].1, layout, n);
                DONE.0.fetch_add(1, Release);
            }
        });
    }

    // Warm-up: every allocator once, a few rounds.
    for _ in 0..5 {
        for (_, a) in allocs {
            pairs(a, layout, n);
        }
    }

    let mut times = vec![Vec::with_capacity(rounds); k];
    let mut generation = 0;
    for r in 0..rounds {
        for j in 0..k {
            let i = (r + j) % k;
            let a = allocs[i].1;
            if threads == 2 {
                WHICH.0.store(i, Release);
                generation += 1;
                GENERATION.0.store(generation, Release);
            }
            let t = Instant::now();
            pairs(a, layout, n);
            let ns = t.elapsed().as_nanos() as f64 / n as f64;
            if threads == 2 {
                while DONE.0.load(Acquire) != generation {
                    std::hint::spin_loop();
                }
            }
            times[i].push(ns);
        }
    }
    if threads == 2 {
        GENERATION.0.store(usize::MAX, Release);
    }

    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        (q(0.5), q(0.25), q(0.75), q(0.05))
    };
    let helper = if threads < 2 { "" } else if helper_system { " helper=System" } else { " helper=same allocator" };
    println!("threads={threads} size={size} rounds={rounds} pairs/block={n}{helper}");
    // The 5th percentile beside the median: interference from other work on a shared machine only
    // adds time, so the fastest blocks are the nearest to an idle machine's figure, and their
    // ratio to System's is the one to read when the load is high.
    println!(
        "{:<12} {:>10} {:>18} {:>14} {:>18} {:>10} {:>12}",
        "allocator", "ns/pair", "IQR", "- System", "IQR of diff", "p5", "p5/System"
    );
    let (_, _, _, system_p5) = median(&mut times[0].clone());
    for i in 0..k {
        let (m, lo, hi, p5) = median(&mut times[i].clone());
        let mut d: Vec<f64> = times[i].iter().zip(&times[0]).map(|(a, s)| a - s).collect();
        let (dm, dlo, dhi, _) = median(&mut d);
        println!(
            "{:<12} {:>10.2} {:>8.2}..{:<8.2} {:>+14.2} {:>+8.2}..{:<+8.2} {:>10.2} {:>12.3}",
            allocs[i].0,
            m,
            lo,
            hi,
            dm,
            dlo,
            dhi,
            p5,
            p5 / system_p5
        );
    }
}
