//! The counting allocator as the global allocator of this test binary (installed by the default
//! feature `global-allocator`): exact counts from many threads at once, reallocs, zero-sized
//! types, large alignments, failed allocations, the peak above a mark, shards given back by
//! threads that exit, and a hook that never allocates.
//!
//! Counts are process-wide, so every check runs in turn inside the one `#[test]` below: while it
//! runs, libtest's main thread only waits for it, and no other test can allocate inside a check's
//! window. A window is [`alloc::stats`] before and after code whose every allocation the check
//! knows; the expected figures come from an [`Oracle`] fed with the `Layout`s that code uses.
//! Spawning and joining a thread allocate, so threads are spawned before a window opens and joined
//! after it closes, and [`Barrier`]s (which never allocate) line them up in between. Every thread is
//! joined by hand: `thread::scope` returns once its threads' closures have returned, while their
//! thread-local destructors may still be freeing memory (seen on a loaded CI machine: a straggler's
//! 544-byte free inside a later check's window); `join` waits until the thread is gone.
//!
//! ```text
//! cargo test -p allocbench --test alloc
//! cargo +nightly miri test -p allocbench --test alloc
//! ```
//!
//! Under Miri the thread counts and rounds are smaller; the shard table is still overrun.
#![cfg(feature = "global-allocator")]

use std::alloc::{self as heap, GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::panic;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use allocbench::alloc::{self, Stats, SHARDS};
use allocbench::Alloc;

/// `native` normally, `miri` under Miri, where a thread runs thousands of times slower.
const fn scaled(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

#[test]
fn counting_allocator() {
    let checks: [(&str, fn()); 10] = [
        ("is_installed", is_installed),
        ("hook_never_allocates", hook_never_allocates),
        ("realloc_is_one_free_one_alloc_one_realloc", realloc_is_one_free_one_alloc_one_realloc),
        ("zero_sized_types_and_large_alignment", zero_sized_types_and_large_alignment),
        ("failed_allocations_are_not_counted", failed_allocations_are_not_counted),
        ("peak_above_mark", peak_above_mark),
        ("freed_by_another_thread", freed_by_another_thread),
        ("few_threads_at_once", few_threads_at_once),
        ("more_threads_than_shards_at_once", more_threads_than_shards_at_once),
        ("exiting_threads_give_their_shard_back", exiting_threads_give_their_shard_back),
    ];
    settle();
    // Every check runs, so that one failure does not hide another.
    let failed: Vec<&str> =
        checks.into_iter().filter(|&(_, check)| panic::catch_unwind(check).is_err()).map(|(name, _)| name).collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}");
}

/// Waits until libtest's main thread is done allocating, and has this thread see its counts.
///
/// Right after spawning this test's thread, libtest's main thread still records it (its map of
/// running tests allocates), then only waits. Nothing orders those counts before this thread's
/// relaxed loads, so `stats` may see them a few operations late, natively for a moment after they
/// happen, and under Miri's weak-memory emulation at any time later, until this thread has read
/// the newest value once (after that, coherence forbids reading an older one). Without this, the
/// first window can count a few of libtest's bytes (seen under Miri: 96 bytes too many).
fn settle() {
    thread::sleep(Duration::from_millis(50));
    for _ in 0..64 {
        black_box(alloc::stats());
    }
}

// ---------------------------------------------------------------------------------------------
// The checks

fn is_installed() {
    assert!(alloc::is_counting(), "the global allocator of this test binary is not counting");
}

/// The hook allocates nothing of its own: a window with one `Box::new(u64)` counts one block of
/// `size_of::<u64>()` bytes, also on a fresh thread whose first allocation claims a shard.
fn hook_never_allocates() {
    let word = Layout::new::<u64>();

    let mut boxed = None;
    let made = window(|| boxed = Some(black_box(Box::new(7u64))));
    let dropped = window(|| drop(boxed.take()));
    assert_eq!(made, Oracle::new().alloc(word).stats(), "one Box::new(u64)");
    assert_eq!(dropped, Oracle::new().free(word).stats(), "dropping it");

    let mut boxes = Vec::with_capacity(1000);
    let made = window(|| boxes.extend((0..1000u64).map(|i| black_box(Box::new(i)))));
    let dropped = window(|| boxes.clear());
    assert_eq!(made, Oracle::new().repeat(1000, |o| o.alloc(word)).stats(), "1000 boxes");
    assert_eq!(dropped, Oracle::new().repeat(1000, |o| o.free(word)).stats(), "dropping them");

    let gate = Barrier::new(2);
    let first = thread::scope(|s| {
        let thread = s.spawn(|| {
            gate.wait();
            window(|| drop(black_box(Box::new(7u64))))
        });
        gate.wait();
        thread.join().expect("the thread does not panic")
    });
    let expected = Oracle::new().alloc(word).free(word).stats();
    assert_eq!(first, expected, "a new thread's first Box::new(u64)");
}

/// A realloc counts as one block of the old size freed, one block of the new size allocated, and
/// one realloc, whether it grows or shrinks the block, called directly or by a `Vec`.
fn realloc_is_one_free_one_alloc_one_realloc() {
    let small = layout(100, 8);
    let block = global_alloc(small);
    let mut grown = ptr::null_mut();
    let up = window(|| grown = global_realloc(block, small, 300));
    assert_eq!(up, Oracle::new().realloc(small, 300).stats(), "realloc from 100 to 300 bytes");

    let mut shrunk = ptr::null_mut();
    let down = window(|| shrunk = global_realloc(grown, layout(300, 8), 40));
    assert_eq!(down, Oracle::new().realloc(layout(300, 8), 40).stats(), "from 300 to 40 bytes");
    global_free(shrunk, layout(40, 8));

    let mut numbers: Vec<u64> = Vec::with_capacity(4);
    numbers.extend([1, 2, 3, 4]);
    let full = array_u64(numbers.capacity());
    let grow = window(|| black_box(&mut numbers).push(5));
    let after_grow = array_u64(numbers.capacity());
    let expected = Oracle::new().realloc(full, after_grow.size()).stats();
    assert_eq!(grow, expected, "a Vec<u64> growing from {full:?} to {after_grow:?}");

    let shrink = window(|| black_box(&mut numbers).shrink_to_fit());
    let fitted = array_u64(numbers.capacity());
    let expected = Oracle::new().realloc(after_grow, fitted.size()).stats();
    assert_eq!(shrink, expected, "shrink_to_fit from {after_grow:?} to {fitted:?}");
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

/// Zero-sized values never reach the allocator; a block of a large alignment is counted with
/// its size (not the alignment's padding), and comes back aligned.
fn zero_sized_types_and_large_alignment() {
    let nothing = window(|| {
        let mut units: Vec<()> = Vec::with_capacity(1000);
        units.extend((0..1000).map(|_| ()));
        black_box(&units);
        black_box(Box::new(()));
        black_box(vec![(); 10].into_boxed_slice());
        black_box(Vec::<u64>::new());
        black_box(String::new());
    });
    assert_eq!(nothing, Stats::ZERO, "zero-sized types and empty collections");

    let page = layout(100, 4096);
    let mut block = ptr::null_mut();
    let made = window(|| block = global_alloc(page));
    assert_eq!(made, Oracle::new().alloc(page).stats(), "100 bytes aligned to 4096");
    assert_eq!(block as usize % page.align(), 0, "the block is aligned to 4096");

    let moved = window(|| block = global_realloc(block, page, 5000));
    assert_eq!(moved, Oracle::new().realloc(page, 5000).stats(), "realloc to 5000 bytes");
    assert_eq!(block as usize % page.align(), 0, "the reallocated block is aligned to 4096");
    let freed = window(|| global_free(block, layout(5000, 4096)));
    assert_eq!(freed, Oracle::new().free(layout(5000, 4096)).stats(), "dealloc");

    let pages = layout(3 * 4096, 4096);
    let mut zeroed = ptr::null_mut();
    let made = window(|| zeroed = global_alloc_zeroed(pages));
    assert_eq!(made, Oracle::new().alloc(pages).stats(), "alloc_zeroed of three pages");
    // SAFETY: `zeroed` is a live block of `pages.size()` bytes, initialised to zero.
    let bytes = unsafe { std::slice::from_raw_parts(zeroed, pages.size()) };
    assert!(bytes.iter().all(|&b| b == 0), "alloc_zeroed returns zeroes");
    global_free(zeroed, pages);

    #[repr(C, align(4096))]
    struct Page([u8; 64]);
    let mut boxed = None;
    let made = window(|| boxed = Some(black_box(Box::new(Page([1; 64])))));
    let page_layout = Layout::new::<Page>();
    assert_eq!(made, Oracle::new().alloc(page_layout).stats(), "Box<Page>, {page_layout:?}");
    let page_box = boxed.expect("boxed");
    assert_eq!(&*page_box as *const Page as usize % 4096, 0, "the box is aligned to 4096");
    assert_eq!(page_box.0, [1; 64]);
}

/// An allocation, zeroed allocation or realloc that fails returns null unchanged and is not
/// counted; after a failed realloc the old block is still there, counted once.
fn failed_allocations_are_not_counted() {
    let huge = layout(FailingAlloc::LIMIT + 1, 8);
    let (mut plain, mut zeroed) = (ptr::null_mut(), ptr::null_mut());
    let nothing = window(|| {
        // SAFETY: `huge` has a non-zero size; a null result is never used as a block.
        unsafe {
            plain = FAILING.alloc(huge);
            zeroed = FAILING.alloc_zeroed(huge);
        }
    });
    assert!(plain.is_null() && zeroed.is_null(), "the inner allocator's null is passed through");
    assert_eq!(nothing, Stats::ZERO, "failed alloc and alloc_zeroed");

    let small = layout(48, 8);
    let mut block = ptr::null_mut();
    // SAFETY: `small` has a non-zero size.
    let made = window(|| block = unsafe { FAILING.alloc(small) });
    assert!(!block.is_null());
    assert_eq!(made, Oracle::new().alloc(small).stats(), "a successful alloc through it");
    // SAFETY: `block` is a live block of `small.size()` bytes.
    unsafe { block.write_bytes(0xAB, small.size()) };

    let mut moved = block;
    // SAFETY: `block` was allocated by `FAILING` with `small`; the new size is non-zero and does
    // not overflow `isize` once rounded up to the alignment.
    let nothing = window(|| moved = unsafe { FAILING.realloc(block, small, huge.size()) });
    assert!(moved.is_null(), "the failed realloc's null is passed through");
    assert_eq!(nothing, Stats::ZERO, "a failed realloc");
    // SAFETY: a failed realloc leaves `block` live and unchanged.
    let kept = unsafe { std::slice::from_raw_parts(block, small.size()) };
    assert!(kept.iter().all(|&b| b == 0xAB), "the old block is untouched");

    // SAFETY: as above, with a size the inner allocator grants.
    let grew = window(|| moved = unsafe { FAILING.realloc(block, small, 96) });
    assert!(!moved.is_null());
    assert_eq!(grew, Oracle::new().realloc(small, 96).stats(), "a successful realloc");
    // SAFETY: `moved` was allocated by `FAILING` with size 96 and `small`'s alignment.
    let freed = window(|| unsafe { FAILING.dealloc(moved, layout(96, 8)) });
    assert_eq!(freed, Oracle::new().free(layout(96, 8)).stats(), "its dealloc");

    // The same through the global allocator and the standard collections. Miri reports a request
    // beyond its address space as an error rather than returning null, so it skips these.
    if cfg!(not(miri)) {
        let mut empty: Vec<u8> = Vec::new();
        let mut result = Ok(());
        let nothing = window(|| result = empty.try_reserve_exact(isize::MAX as usize));
        assert!(result.is_err(), "System cannot allocate isize::MAX bytes");
        assert_eq!(nothing, Stats::ZERO, "a failed allocation through the global allocator");

        let mut bytes: Vec<u8> = Vec::with_capacity(16);
        bytes.push(1);
        let additional = isize::MAX as usize - bytes.capacity();
        let nothing = window(|| result = bytes.try_reserve_exact(additional));
        assert!(result.is_err(), "System cannot grow a block to isize::MAX bytes");
        assert_eq!(nothing, Stats::ZERO, "a failed realloc through the global allocator");
        assert_eq!(bytes, [1], "the Vec keeps its block");
    }
}

/// The most bytes live above the mark, exact on one thread: 1000 + 500 live, 1000 freed, 200
/// allocated gives 1500; a realloc's peak is the larger of its two sizes.
fn peak_above_mark() {
    let (kb, half, fifth) = (bytes(1000), bytes(500), bytes(200));
    let mark = alloc::mark();
    let a = global_alloc(kb);
    let b = global_alloc(half);
    global_free(a, kb);
    let c = global_alloc(fifth);
    let peak = mark.peak().expect("the newest mark measures");
    global_free(b, half);
    global_free(c, fifth);
    let peak_after_frees = mark.peak().expect("the newest mark measures");
    let expected = (kb.size() + half.size()) as u64;
    assert_eq!(peak, expected, "allocate 1000, allocate 500, free 1000, allocate 200");
    assert_eq!(peak_after_frees, expected, "freeing everything does not lower the peak");

    // Bytes live at the mark are not part of the peak.
    let (held, more) = (bytes(700), bytes(300));
    let old = global_alloc(held);
    let mark = alloc::mark();
    let new = global_alloc(more);
    global_free(old, held);
    let peak = mark.peak().expect("the newest mark measures");
    global_free(new, more);
    assert_eq!(peak, more.size() as u64, "700 live at the mark, then 300 allocated");

    let old = global_alloc(held);
    let mark = alloc::mark();
    global_free(old, held);
    assert_eq!(mark.peak().expect("the newest mark measures"), 0, "a window that only frees");
    assert_eq!(alloc::mark().peak().expect("the newest mark measures"), 0, "an empty window");

    let (start, grown, shrunk) = (bytes(100), 400, 50);
    let mark = alloc::mark();
    let block = global_alloc(start);
    let block = global_realloc(block, start, grown);
    let block = global_realloc(block, bytes(grown), shrunk);
    global_free(block, bytes(shrunk));
    assert_eq!(
        mark.peak().expect("the newest mark measures"),
        grown as u64,
        "alloc 100, realloc to 400, realloc to 50, free"
    );

    // Only the newest mark measures: an older one says so instead of reading a restarted peak.
    let outer = alloc::mark();
    let a = global_alloc(kb);
    let inner = alloc::mark();
    let b = global_alloc(fifth);
    assert_eq!(inner.peak(), Some(fifth.size() as u64), "the inner window");
    assert_eq!(outer.peak(), None, "the outer window after a newer mark");
    global_free(a, kb);
    global_free(b, fifth);
}

/// A block allocated on one thread and freed on another: each side counted once, nothing live.
fn freed_by_another_thread() {
    let block_layout = layout(640, 16);
    let handed = AtomicPtr::new(ptr::null_mut());
    let [ready, given, freed, exit] = [(); 4].map(|()| Barrier::new(2));
    let (counts, peak) = thread::scope(|s| {
        let thread = s.spawn(|| {
            ready.wait();
            given.wait();
            global_free(handed.load(Ordering::Acquire), block_layout);
            freed.wait();
            exit.wait();
        });
        ready.wait();
        let before = alloc::stats();
        let mark = alloc::mark();
        handed.store(global_alloc(block_layout), Ordering::Release);
        given.wait();
        freed.wait();
        let seen = (alloc::stats().since(&before), mark.peak().expect("the newest mark measures"));
        exit.wait();
        thread.join().expect("the thread does not panic");
        seen
    });
    let expected = Oracle::new().alloc(block_layout).free(block_layout).stats();
    assert_eq!(counts, expected, "allocated here, freed there");
    assert_eq!(counts.inuse_space(), 0);
    assert_eq!(peak, block_layout.size() as u64, "the allocating thread's shard rose");
}

fn few_threads_at_once() {
    threads_at_once(scaled(8, 4), scaled(1000, 3));
}

/// More threads alive at once than there are shards: the rest share the overflow shard, whose
/// counts are as exact as an owned shard's.
fn more_threads_than_shards_at_once() {
    let threads = scaled(100, SHARDS + 6);
    assert!(threads > SHARDS);
    threads_at_once(threads, scaled(2000, 1));
    // The threads own every shard that neither this thread nor libtest's main thread holds (the
    // only other threads alive), and the rest share the overflow shard: one or two fewer than
    // `SHARDS`, plus one.
    let shards = shards_written(threads);
    let expected = SHARDS as u64 - 2 + 1..=SHARDS as u64 - 1 + 1;
    assert!(expected.contains(&shards), "{threads} threads wrote {shards} shards, not {expected:?}");
}

/// Threads that exit give their shard back: after a few times `SHARDS` threads, one after the
/// other, each allocating and exiting, the totals are exact and new threads still get shards of
/// their own (had the shards leaked, every new thread would share the overflow shard).
fn exiting_threads_give_their_shard_back() {
    let threads = scaled(200, SHARDS + 6);
    let mut expected = Stats::ZERO;
    let mut counted = Stats::ZERO;
    for i in 0..threads {
        let work = Work::new(i);
        expected = expected.plus(&work.oracle(1).free(work.kept).stats());
        let gate = Barrier::new(2);
        let seen = thread::scope(|s| {
            let thread = s.spawn(|| {
                gate.wait();
                window(|| global_free(work.run(1), work.kept))
            });
            gate.wait();
            thread.join().expect("the thread does not panic")
        });
        counted = counted.plus(&seen);
    }
    assert_eq!(counted, expected, "{threads} threads one after the other");
    let concurrent = scaled(32, 8);
    assert_eq!(shards_written(concurrent), concurrent as u64, "each new thread owns a shard");
}

// ---------------------------------------------------------------------------------------------
// Threads

/// `threads` threads, all alive, allocating, reallocating up and down, allocating zeroed and
/// freeing at the same time, `rounds` times each; each keeps one block past the window.
fn threads_at_once(threads: usize, rounds: usize) {
    let expected = (0..threads).fold(Stats::ZERO, |sum, i| sum.plus(&Work::new(i).oracle(rounds).stats()));
    let kept: u64 = (0..threads).map(|i| Work::new(i).kept.size() as u64).sum();
    let [ready, go, done, exit] = [(); 4].map(|()| Barrier::new(threads + 1));
    let counts = thread::scope(|s| {
        let mut spawned = Vec::with_capacity(threads);
        for i in 0..threads {
            let (ready, go, done, exit) = (&ready, &go, &done, &exit);
            spawned.push(s.spawn(move || {
                let work = Work::new(i);
                ready.wait();
                go.wait();
                let block = work.run(rounds);
                done.wait();
                exit.wait();
                global_free(block, work.kept);
            }));
        }
        ready.wait();
        let before = alloc::stats();
        go.wait();
        done.wait();
        let counts = alloc::stats().since(&before);
        exit.wait();
        join_all(spawned);
        counts
    });
    assert_eq!(counts, expected, "{threads} threads at once, {rounds} rounds each");
    assert_eq!(counts.inuse_space(), kept as i64, "the blocks the threads kept");
}

/// How many shards `threads` threads, all alive, write when they allocate and free a block one
/// after the other: the peak above a mark is the sum of each shard's rise, and each thread's
/// block rises its shard by `SIZE` once, so the peak is `SIZE` times the shards written.
fn shards_written(threads: usize) -> u64 {
    const SIZE: usize = 256;
    let block_layout = bytes(SIZE);
    let turn = AtomicUsize::new(0);
    let [ready, go, done, exit] = [(); 4].map(|()| Barrier::new(threads + 1));
    let peak = thread::scope(|s| {
        let mut spawned = Vec::with_capacity(threads);
        for i in 0..threads {
            let (ready, go, done, exit, turn) = (&ready, &go, &done, &exit, &turn);
            spawned.push(s.spawn(move || {
                ready.wait();
                go.wait();
                while turn.load(Ordering::Acquire) != i {
                    thread::yield_now();
                }
                global_free(global_alloc(block_layout), block_layout);
                turn.store(i + 1, Ordering::Release);
                done.wait();
                exit.wait();
            }));
        }
        ready.wait();
        let mark = alloc::mark();
        go.wait();
        done.wait();
        let peak = mark.peak().expect("the newest mark measures");
        exit.wait();
        join_all(spawned);
        peak
    });
    assert_eq!(peak % SIZE as u64, 0, "a peak of {peak} bytes");
    peak / SIZE as u64
}

/// What thread `i` allocates: sizes that differ from thread to thread, so that a count landing
/// in the wrong place changes the sums.
struct Work {
    small: Layout,
    grown: usize,
    shrunk: usize,
    zeroed: Layout,
    kept: Layout,
}

impl Work {
    fn new(i: usize) -> Self {
        Work {
            small: layout(24 + i, 8),
            grown: 4096 + 16 * i,
            shrunk: 8 + i % 13,
            zeroed: layout(32 + 3 * i, 16),
            kept: layout(64 + i, 8),
        }
    }

    /// `rounds` times: alloc, realloc up, realloc down, free, alloc zeroed, free. Then allocates
    /// the block to keep, and returns it.
    fn run(&self, rounds: usize) -> *mut u8 {
        let grown = layout(self.grown, self.small.align());
        let shrunk = layout(self.shrunk, self.small.align());
        for _ in 0..rounds {
            let block = global_alloc(self.small);
            let block = global_realloc(block, self.small, grown.size());
            let block = global_realloc(block, grown, shrunk.size());
            global_free(black_box(block), shrunk);
            global_free(black_box(global_alloc_zeroed(self.zeroed)), self.zeroed);
        }
        global_alloc(self.kept)
    }

    /// What [`Work::run`] counts.
    fn oracle(&self, rounds: usize) -> Oracle {
        let grown = layout(self.grown, self.small.align());
        let shrunk = layout(self.shrunk, self.small.align());
        Oracle::new()
            .repeat(rounds, |o| {
                o.alloc(self.small)
                    .realloc(self.small, grown.size())
                    .realloc(grown, shrunk.size())
                    .free(shrunk)
                    .alloc(self.zeroed)
                    .free(self.zeroed)
            })
            .alloc(self.kept)
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle, and the allocator under test called by hand

/// The figures the documented convention gives for a sequence of operations, counted
/// independently of the allocator: the tests' expected values.
#[derive(Clone, Copy)]
struct Oracle(Stats);

impl Oracle {
    fn new() -> Self {
        Oracle(Stats::ZERO)
    }

    fn alloc(mut self, layout: Layout) -> Self {
        self.0.alloc_objects += 1;
        self.0.alloc_space += layout.size() as u64;
        self
    }

    fn free(mut self, layout: Layout) -> Self {
        self.0.free_objects += 1;
        self.0.free_space += layout.size() as u64;
        self
    }

    /// One block of `old` freed, one of `new_size` allocated, one realloc.
    fn realloc(self, old: Layout, new_size: usize) -> Self {
        let mut next = self.free(old).alloc(layout(new_size, old.align()));
        next.0.reallocs += 1;
        next
    }

    fn repeat(self, times: usize, step: impl Fn(Self) -> Self) -> Self {
        (0..times).fold(self, |o, _| step(o))
    }

    fn stats(self) -> Stats {
        self.0
    }
}

/// What the allocator counted while `f` ran (process-wide).
/// Waits until every thread has exited, its thread-local destructors run.
fn join_all(threads: Vec<thread::ScopedJoinHandle<'_, ()>>) {
    for thread in threads {
        thread.join().expect("the thread does not panic");
    }
}

fn window(f: impl FnOnce()) -> Stats {
    let before = alloc::stats();
    f();
    alloc::stats().since(&before)
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("a valid layout")
}

fn bytes(size: usize) -> Layout {
    Layout::array::<u8>(size).expect("a valid layout")
}

fn array_u64(len: usize) -> Layout {
    Layout::array::<u64>(len).expect("a valid layout")
}

/// A block from the global allocator; `layout` must have a non-zero size.
fn global_alloc(layout: Layout) -> *mut u8 {
    assert_ne!(layout.size(), 0);
    // SAFETY: the size is non-zero.
    let block = unsafe { heap::alloc(layout) };
    if block.is_null() {
        heap::handle_alloc_error(layout);
    }
    // Escapes, so that the compiler cannot remove the allocation (Rust lets it).
    black_box(block)
}

/// A zeroed block from the global allocator; `layout` must have a non-zero size.
fn global_alloc_zeroed(layout: Layout) -> *mut u8 {
    assert_ne!(layout.size(), 0);
    // SAFETY: the size is non-zero.
    let block = unsafe { heap::alloc_zeroed(layout) };
    if block.is_null() {
        heap::handle_alloc_error(layout);
    }
    // Escapes, so that the compiler cannot remove the allocation (Rust lets it).
    black_box(block)
}

/// `block`, allocated by [`global_alloc`] or [`global_realloc`] with `layout`, moved to a block of
/// `new_size` bytes (non-zero).
fn global_realloc(block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    let new_layout = self::layout(new_size, layout.align());
    assert_ne!(new_size, 0);
    // SAFETY: the caller hands a live block of the global allocator with its layout; the new size
    // is non-zero and, as `new_layout` shows, does not overflow `isize` once rounded up.
    let moved = unsafe { heap::realloc(block, layout, new_size) };
    if moved.is_null() {
        heap::handle_alloc_error(new_layout);
    }
    black_box(moved)
}

/// Frees `block`, allocated by the global allocator with `layout`.
fn global_free(block: *mut u8, layout: Layout) {
    // SAFETY: the caller hands a live block of the global allocator with its layout.
    unsafe { heap::dealloc(black_box(block), layout) }
}

/// The counting allocator over one that fails every request above [`FailingAlloc::LIMIT`] bytes.
static FAILING: Alloc<FailingAlloc> = Alloc::new(FailingAlloc);

/// `System`, except that every request for more than `LIMIT` bytes fails.
struct FailingAlloc;

impl FailingAlloc {
    const LIMIT: usize = 1 << 20;
}

// SAFETY: every call is `System`'s with the caller's arguments, or a null result, which
// `GlobalAlloc` allows for any request; `System`'s blocks are only ever returned to `System`.
unsafe impl GlobalAlloc for FailingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > Self::LIMIT {
            return ptr::null_mut();
        }
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > Self::LIMIT {
            return ptr::null_mut();
        }
        // SAFETY: the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: every block of this allocator is `System`'s.
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > Self::LIMIT {
            return ptr::null_mut();
        }
        // SAFETY: every block of this allocator is `System`'s; the caller upholds the rest.
        unsafe { System.realloc(block, layout, new_size) }
    }
}
