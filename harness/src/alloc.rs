//! The counting allocator.
//!
//! [`Alloc`] wraps any [`GlobalAlloc`] and counts, for the whole process, the blocks and bytes
//! allocated, freed and reallocated, the bytes live now, and the highest live value since a
//! [`mark`]. A realloc counts as one block freed and one block allocated at the new size (the
//! convention of valgrind's DHAT and dhat-rs), and also as one realloc.
//!
//! # How it stays cheap
//!
//! Every thread that allocates takes a *shard* of its own: a cache-line-aligned block of
//! counters that only that thread writes. Writing one's own shard needs no atomic
//! read-modify-write, only a relaxed load and store, so the hook costs a few plain memory
//! operations and two threads never write the same cache line. Readers add the shards up. A
//! thread gives its shard back when it exits; its counts stay in the shard, so totals never go
//! backwards. When more threads are alive than there are shards, the rest share one overflow
//! shard and pay for atomic read-modify-writes.
//!
//! A thread finds its shard with one load of a `const` thread local, which points at the thread's
//! own shard, at the overflow shard, or, before the thread's first allocation, at a placeholder;
//! the last two are flagged `shared`, so the owner's path tests one byte and goes on to the
//! counters. Whatever else can happen (claiming a shard, the overflow shard, the allocation-site
//! pass) is out of line and reached by a tail call: `dealloc` takes no stack frame. On x86-64
//! the hook adds 27 instructions to an alloc/free pair (docs/performance.md §16).
//!
//! The hook never allocates, never locks and never panics, except in the allocation-site pass (a
//! process of its own, see below), where the overflow shard's path calls into the pass.
//!
//! # Peak
//!
//! [`mark`] restarts every shard's peak from its live value, so that an allocation only compares
//! its shard's live value with its peak (a free never raises a peak, and does nothing more). The
//! peak above the mark is the sum over shards of each shard's peak above its value at the mark:
//! exact when one thread allocates, and an upper bound when several do (the threads' peaks need
//! not coincide in time). A mark made while another thread allocates can race with that thread's
//! own peak update, which then leaves a live value it had at about the time of the mark; criterion
//! marks on the thread that runs the benchmark, where there is no race.
//!
//! # The allocation-site pass
//!
//! In the allocation-site pass's process every thread counts through the overflow shard, whose cold
//! path also hands each block to the allocation-site pass (module `heap`): the owner's path never
//! looks at the pass.

use std::alloc::{GlobalAlloc, Layout, System};
use std::any::type_name;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed, Ordering::*};
use std::sync::OnceLock;

pub use allocbench_formats::counts::Counts;

/// How many threads can own a shard at once. More threads than this share the overflow shard.
pub const SHARDS: usize = 64;

/// A counting wrapper around a [`GlobalAlloc`].
///
/// The default feature `global-allocator` installs `Alloc<System>` as the global allocator of
/// every binary that links `allocbench`. A bench target that brings its own allocator turns the
/// default feature off and wraps it (`fixtures/own-allocator` does so, and is tested):
///
/// ```ignore
/// use std::alloc::System;
/// // With jemalloc this would be `allocbench::Alloc::new(tikv_jemallocator::Jemalloc)`.
/// #[global_allocator]
/// static GLOBAL: allocbench::Alloc<System> = allocbench::Alloc::new(System);
/// # fn main() {}
/// ```
///
/// Counts are kept per process, not per instance: there is only one global allocator.
#[derive(Debug, Default, Clone, Copy)]
pub struct Alloc<A = System> {
    inner: A,
}

impl<A> Alloc<A> {
    /// Wraps `inner` so that every allocation through it is counted.
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }
}

impl Alloc<System> {
    /// The counting allocator over the system allocator.
    pub const fn system() -> Self {
        Self::new(System)
    }
}

// SAFETY: every method forwards to `inner` with the caller's arguments unchanged and returns its
// result unchanged, so `inner`'s guarantees are ours. The counting beside it never allocates, never
// unwinds, and touches only this module's statics and a `const`-initialised thread local. The one
// exception is the allocation-site pass, enabled only in that pass's own process: there the
// overflow shard's path calls `heap::on_alloc` / `on_free`, which lock the pass's state and
// allocate for it. That is sound because the pass marks its thread busy first (`heap::busy` sets
// the `const` thread-local flag `heap::BUSY`): an allocation made by the pass's own bookkeeping
// re-enters this allocator and the pass again, which sees the flag and returns at once, so the lock
// is never taken twice on one thread and the recursion ends at depth one.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        let ptr = unsafe { self.inner.alloc(layout) };
        on_alloc(ptr, layout.size() as u64, type_name::<A>)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        on_alloc(ptr, layout.size() as u64, type_name::<A>)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let shard = current();
        if shard.shared {
            // SAFETY: the caller's guarantees for `dealloc`, passed on unchanged.
            return unsafe { self.dealloc_cold(ptr, layout) };
        }
        shard.owned_free(layout.size() as u64);
        // SAFETY: the caller guarantees `ptr` came from this allocator with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        // A failed realloc leaves the old block in place: nothing changed, nothing is counted.
        if !new.is_null() {
            on_realloc(ptr, new, layout.size() as u64, new_size as u64, type_name::<A>);
        }
        new
    }
}

// The owner's path is what `alloc` and `dealloc` inline: one thread-local load, one test of the
// shard's `shared` flag, the counters. Everything else (a thread's first allocation, the overflow
// shard, the allocation-site pass) is out of line, and reached by a tail call: the cold function
// also does what the hot one would have done after it (returns the block, or frees it), so the
// owner's path needs no stack frame and saves no register for it (issue 24, docs/performance.md).

impl<A: GlobalAlloc> Alloc<A> {
    /// `dealloc` for a thread without a shard of its own (yet).
    ///
    /// # Safety
    /// `GlobalAlloc::dealloc`'s contract.
    #[cold]
    #[inline(never)]
    unsafe fn dealloc_cold(&self, ptr: *mut u8, layout: Layout) {
        let size = layout.size() as u64;
        match writer_cold(type_name::<A>) {
            Writer::Owned(s) => s.owned_free(size),
            Writer::Shared => shared_free(ptr, size),
        }
        // SAFETY: the caller guarantees `ptr` came from this allocator with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }
}

/// The inner allocator's type name, for the report's environment: passed down as a function so
/// that only a thread's first allocation, on the cold path, calls it.
type Name = fn() -> &'static str;

/// Counts the block `ptr` of `size` bytes, unless the allocation failed (null), and returns it.
#[inline(always)]
fn on_alloc(ptr: *mut u8, size: u64, name: Name) -> *mut u8 {
    if ptr.is_null() {
        return ptr;
    }
    let shard = current();
    if shard.shared {
        return alloc_cold(ptr, size, name);
    }
    shard.owned_alloc(size);
    ptr
}

/// [`on_alloc`] for a thread without a shard of its own (yet).
#[cold]
#[inline(never)]
fn alloc_cold(ptr: *mut u8, size: u64, name: Name) -> *mut u8 {
    match writer_cold(name) {
        Writer::Owned(s) => s.owned_alloc(size),
        Writer::Shared => shared_alloc(ptr, size),
    }
    ptr
}

#[inline(always)]
fn on_realloc(old_ptr: *mut u8, new_ptr: *mut u8, old: u64, new: u64, name: Name) {
    let shard = current();
    let writer = if shard.shared { writer_cold(name) } else { Writer::Owned(shard) };
    match writer {
        Writer::Owned(s) => s.owned_realloc(old, new),
        Writer::Shared => shared_realloc(old_ptr, new_ptr, old, new),
    }
}

// The overflow shard's path, which the allocation-site pass's hooks share: out of line, so that the
// owner's path stays short.

#[cold]
#[inline(never)]
fn shared_alloc(_ptr: *mut u8, size: u64) {
    OVERFLOW.shared_alloc(size);
    #[cfg(feature = "heap-profile")]
    if HEAP_ACTIVE.load(Relaxed) {
        crate::heap::on_alloc(_ptr, size);
    }
}

#[cold]
#[inline(never)]
fn shared_free(_ptr: *mut u8, size: u64) {
    OVERFLOW.shared_free(size);
    #[cfg(feature = "heap-profile")]
    if HEAP_ACTIVE.load(Relaxed) {
        crate::heap::on_free(_ptr);
    }
}

#[cold]
#[inline(never)]
fn shared_realloc(_old_ptr: *mut u8, _new_ptr: *mut u8, old: u64, new: u64) {
    OVERFLOW.shared_realloc(old, new);
    #[cfg(feature = "heap-profile")]
    if HEAP_ACTIVE.load(Relaxed) {
        crate::heap::on_free(_old_ptr);
        crate::heap::on_alloc(_new_ptr, new);
    }
}

/// Counters of one shard. Aligned to two cache lines so that the adjacent-line prefetcher does not
/// make neighbours share.
#[repr(align(128))]
struct Shard {
    /// Not a thread's own: the overflow shard, or the placeholder of a thread that has not
    /// claimed one yet. Never changes: the owner's path tests it instead of comparing addresses.
    shared: bool,
    counts: Counts<AtomicU64>,
    /// Bytes allocated minus bytes freed through this shard, wrapping: a thread may free what
    /// another allocated, so one shard's value can be "negative"; the sum over shards is right.
    live: AtomicU64,
    /// Highest `live` (compared as signed) since the last [`mark`].
    peak: AtomicU64,
}

impl Shard {
    const fn new(shared: bool) -> Self {
        Self { shared, counts: Counts::<AtomicU64>::new(), live: AtomicU64::new(0), peak: AtomicU64::new(0) }
    }
}

/// Adds `n` to a counter that only this thread writes: a plain load and store, no atomic
/// read-modify-write. Returns the new value.
#[inline(always)]
fn bump(counter: &AtomicU64, n: u64) -> u64 {
    let v = counter.load(Relaxed).wrapping_add(n);
    counter.store(v, Relaxed);
    v
}

impl Shard {
    // The owner's path: every counter of the shard is written by this thread alone.

    #[inline(always)]
    fn owned_alloc(&self, size: u64) {
        bump(&self.counts.alloc_objects, 1);
        bump(&self.counts.alloc_space, size);
        let after = bump(&self.live, size);
        self.owned_raise_peak(after);
    }

    #[inline(always)]
    fn owned_free(&self, size: u64) {
        bump(&self.counts.free_objects, 1);
        bump(&self.counts.free_space, size);
        bump(&self.live, size.wrapping_neg());
    }

    #[inline(always)]
    fn owned_realloc(&self, old: u64, new: u64) {
        bump(&self.counts.reallocs, 1);
        bump(&self.counts.alloc_objects, 1);
        bump(&self.counts.free_objects, 1);
        bump(&self.counts.alloc_space, new);
        bump(&self.counts.free_space, old);
        let before = self.live.load(Relaxed);
        let after = before.wrapping_add(new).wrapping_sub(old);
        self.live.store(after, Relaxed);
        // DHAT and dhat-rs count a realloc's peak as the larger of the two sizes; so do we.
        if new > old {
            self.owned_raise_peak(after);
        }
    }

    #[inline(always)]
    fn owned_raise_peak(&self, live: u64) {
        if live as i64 > self.peak.load(Relaxed) as i64 {
            self.peak.store(live, Relaxed);
        }
    }

    /// Restarts the peak from the live value: see [`mark`].
    fn restart_peak(&self) -> u64 {
        let live = self.live.load(Relaxed);
        self.peak.store(live, Relaxed);
        live
    }

    // The shared overflow shard: atomic read-modify-writes. Its peak is approximate: a mark's
    // restart can race with another thread's raise.

    #[cold]
    fn shared_alloc(&self, size: u64) {
        self.counts.alloc_objects.fetch_add(1, Relaxed);
        self.counts.alloc_space.fetch_add(size, Relaxed);
        let after = self.live.fetch_add(size, Relaxed).wrapping_add(size);
        self.shared_raise_peak(after);
    }

    #[cold]
    fn shared_free(&self, size: u64) {
        self.counts.free_objects.fetch_add(1, Relaxed);
        self.counts.free_space.fetch_add(size, Relaxed);
        self.live.fetch_sub(size, Relaxed);
    }

    #[cold]
    fn shared_realloc(&self, old: u64, new: u64) {
        self.counts.reallocs.fetch_add(1, Relaxed);
        self.counts.alloc_objects.fetch_add(1, Relaxed);
        self.counts.free_objects.fetch_add(1, Relaxed);
        self.counts.alloc_space.fetch_add(new, Relaxed);
        self.counts.free_space.fetch_add(old, Relaxed);
        let delta = new.wrapping_sub(old);
        let after = self.live.fetch_add(delta, Relaxed).wrapping_add(delta);
        self.shared_raise_peak(after);
    }

    fn shared_raise_peak(&self, live: u64) {
        let mut cur = self.peak.load(Relaxed);
        while live as i64 > cur as i64 {
            match self.peak.compare_exchange_weak(cur, live, Relaxed, Relaxed) {
                Ok(_) => break,
                Err(seen) => cur = seen,
            }
        }
    }
}

/// Where the calling thread counts.
#[derive(Clone, Copy)]
enum Writer {
    /// Its own shard.
    Owned(&'static Shard),
    /// The overflow shard, shared.
    Shared,
}

/// Bumped by [`mark`], so that a [`Mark`] knows when a newer one has restarted the peaks.
static EPOCH: AtomicU64 = AtomicU64::new(0);

/// The allocation-site pass is on in this process: every thread counts through the overflow
/// shard, whose path calls the pass's hooks.
#[cfg(feature = "heap-profile")]
static HEAP_ACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the allocation-site hooks on for this process (the allocation-site pass only). The calling
/// thread gives its shard back; threads that claim one later get the overflow shard. Threads that
/// already own a shard keep it and are not seen: `Criterion::default()` calls this (through
/// `criterion_group!`) before any benchmark runs, when the main thread is the only one.
#[cfg(feature = "heap-profile")]
pub(crate) fn enable_heap_hooks() {
    HEAP_ACTIVE.store(true, Relaxed);
    let _ = SLOT.try_with(|slot| give_back(slot.replace(&OVERFLOW)));
}

static SHARD_TABLE: [Shard; SHARDS] = [const { Shard::new(false) }; SHARDS];
static OVERFLOW: Shard = Shard::new(true);
/// Where a thread that has not allocated yet points: `shared`, so its first allocation takes the
/// cold path, which claims a shard. Never written.
static UNCLAIMED: Shard = Shard::new(true);
/// Bit `i` set: shard `i` is owned by a live thread.
static OWNED: AtomicU64 = AtomicU64::new(0);
/// Highest shard index ever handed out, plus one: readers need not scan the rest.
static USED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// `&UNCLAIMED`: not yet assigned; the thread's own shard; or `&OVERFLOW`, shared.
    static SLOT: Cell<&'static Shard> = const { Cell::new(&UNCLAIMED) };
    /// Gives the shard back when the thread exits.
    static RELEASE: SlotRelease = const { SlotRelease };
}

struct SlotRelease;

impl Drop for SlotRelease {
    fn drop(&mut self) {
        // Later destructors of this thread may still allocate: they use the overflow shard.
        let _ = SLOT.try_with(|slot| give_back(slot.replace(&OVERFLOW)));
    }
}

/// Gives a thread's shard back, if it held one of its own.
fn give_back(held: &'static Shard) {
    if let Some(index) = SHARD_TABLE.iter().position(|t| std::ptr::eq(t, held)) {
        // Release: the next owner sees every count this thread wrote.
        OWNED.fetch_and(!(1u64 << index), Release);
    }
}

/// The calling thread's shard: its own, the overflow shard, or [`UNCLAIMED`]. The thread local
/// has a `const` initialiser and no destructor, so it is always there (the fallback is never
/// taken): one load.
#[inline(always)]
fn current() -> &'static Shard {
    SLOT.try_with(Cell::get).unwrap_or(&OVERFLOW)
}

/// Where a thread whose shard is `shared` counts: claims a shard on its first allocation.
#[inline(always)]
fn writer_cold(name: Name) -> Writer {
    let shard = current();
    if std::ptr::eq(shard, &UNCLAIMED) {
        claim(name)
    } else if shard.shared {
        Writer::Shared
    } else {
        Writer::Owned(shard)
    }
}

/// The type of the allocator that counts, once a thread has allocated through it.
static INNER: OnceLock<&'static str> = OnceLock::new();

/// The type name of the allocator `Alloc` wraps (`std::alloc::System`,
/// `tikv_jemallocator::Jemalloc`, ...), once anything was allocated through it; `None` when `Alloc`
/// is not the global allocator.
pub fn inner_allocator() -> Option<&'static str> {
    INNER.get().copied()
}

#[cold]
#[inline(never)]
fn claim(name: Name) -> Writer {
    // `OnceLock::set` never allocates: it takes a futex-based `Once`, never the allocator.
    let _ = INNER.set(name());
    let overflow = Writer::Shared;
    // Mark the thread first, so that an allocation made while registering the destructor below
    // (std does so on targets without native TLS destructors) does not come back here.
    if SLOT.try_with(|s| s.set(&OVERFLOW)).is_err() {
        return overflow;
    }
    // Without a destructor the shard could never be given back: take none.
    if RELEASE.try_with(|_| ()).is_err() {
        return overflow;
    }
    #[cfg(feature = "heap-profile")]
    if HEAP_ACTIVE.load(Relaxed) {
        return overflow;
    }
    let mut owned = OWNED.load(Relaxed);
    loop {
        if owned == u64::MAX {
            return overflow;
        }
        let index = (!owned).trailing_zeros();
        // Acquire: we see every count the previous owner of this shard wrote.
        match OWNED.compare_exchange_weak(owned, owned | (1 << index), Acquire, Relaxed) {
            Ok(_) => {
                USED.fetch_max(u64::from(index) + 1, Relaxed);
                let shard = &SHARD_TABLE[index as usize];
                let _ = SLOT.try_with(|s| s.set(shard));
                return Writer::Owned(shard);
            }
            Err(seen) => owned = seen,
        }
    }
}

fn shards() -> impl Iterator<Item = &'static Shard> {
    let used = USED.load(Acquire) as usize;
    SHARD_TABLE[..used].iter().chain(std::iter::once(&OVERFLOW))
}

/// Process-wide totals since the process started: the five counts of [`Counts`], as plain
/// numbers ([`Counts::since`] gives a window's, [`Counts::inuse_space`] the bytes it kept).
///
/// Counts from other threads are read with relaxed loads: a thread joined before the call is seen
/// in full; one still running may be seen a few operations late.
pub type Stats = Counts<u64>;

/// The process's totals now. Never allocates.
pub fn stats() -> Stats {
    shards().fold(Stats::ZERO, |total, s| total.plus(&s.counts.load()))
}

/// The start of a window in which [`Mark::peak`] measures the highest live bytes.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    epoch: u64,
    live: [u64; SHARDS + 1],
}

/// Starts a new peak window: restarts every shard's peak from its live value. Never allocates.
pub fn mark() -> Mark {
    let epoch = EPOCH.fetch_add(1, AcqRel) + 1;
    let mut live = [0u64; SHARDS + 1];
    // Shards beyond `used` have never been written: live and peak are still zero.
    let used = USED.load(Acquire) as usize;
    for (i, s) in SHARD_TABLE[..used].iter().enumerate() {
        live[i] = s.restart_peak();
    }
    live[SHARDS] = OVERFLOW.restart_peak();
    Mark { epoch, live }
}

impl Mark {
    /// The most bytes live at once since the mark, above the live bytes at the mark; `None` when
    /// a newer mark has restarted the peaks since (only the newest mark measures).
    ///
    /// Exact when one thread allocated in the window; with several threads, the sum of each
    /// thread's own peak, an upper bound (approximate for threads beyond the 64 shards, which
    /// share one). Never allocates.
    pub fn peak(&self) -> Option<u64> {
        if EPOCH.load(Acquire) != self.epoch {
            return None;
        }
        let used = USED.load(Acquire) as usize;
        let indexed = SHARD_TABLE[..used].iter().enumerate();
        let all = indexed.chain(std::iter::once((SHARDS, &OVERFLOW)));
        let mut total: u64 = 0;
        for (i, s) in all {
            let rise = (s.peak.load(Relaxed) as i64).wrapping_sub(self.live[i] as i64);
            total = total.wrapping_add(rise.max(0) as u64);
        }
        Some(total)
    }
}

/// Whether any allocation has been counted in this process: false means the global allocator is
/// not an [`Alloc`], and every figure would read zero.
pub fn is_counting() -> bool {
    stats().alloc_objects > 0
}
