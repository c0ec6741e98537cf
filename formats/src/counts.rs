//! The five counts of the allocator, once, generic over where they are kept.
//!
//! Blocks and bytes allocated, blocks and bytes freed, and reallocs: the harness keeps them in
//! atomic shards (`Counts<AtomicU64>`), hands process totals to its users (`Counts<u64>`, the
//! harness's `alloc::Stats`), writes them per sample into the record line ([`RecordSample`]
//! flattens a `Counts<u64>`, so the line's fields are the same, byte for byte), and the subcommand
//! takes per-iteration figures from them (`Counts<f64>`, and how each was taken). This follows
//! divan's `AllocOpMap<T>` (`src/alloc.rs`), one map over allocation operations that serves a
//! thread's tallies, the totals and the statistics alike: a sixth count, or a new storage, is one
//! change here rather than one per layer.
//!
//! [`RecordSample`]: crate::record::RecordSample
//!
//! ```
//! use allocbench_formats::counts::Counts;
//!
//! let before = Counts { alloc_objects: 1, alloc_space: 16, ..Counts::ZERO };
//! let after = Counts { alloc_objects: 3, alloc_space: 48, free_objects: 1, free_space: 16, reallocs: 0 };
//! let window = after.since(&before);
//! assert_eq!((window.alloc_objects, window.inuse_space()), (2, 16));
//! let per_iteration = window.map(|c| c as f64 / 2.0);
//! assert_eq!(per_iteration.alloc_space, 16.0);
//! ```

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

/// Blocks and bytes allocated and freed, and reallocs, each a `T`. A realloc counts as one block
/// freed at its old size, one block allocated at its new size, and one realloc (the convention of
/// valgrind's DHAT and dhat-rs).
///
/// The field order is the order of the record line's fields, which serde keeps.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts<T> {
    /// Blocks allocated, reallocs included (pprof's `alloc_objects`).
    pub alloc_objects: T,
    /// Bytes allocated, reallocs' new sizes included (pprof's `alloc_space`).
    pub alloc_space: T,
    /// Blocks freed, reallocs included.
    pub free_objects: T,
    /// Bytes freed, reallocs' old sizes included.
    pub free_space: T,
    /// Successful reallocs, also counted in the four counts above.
    pub reallocs: T,
}

impl<T> Counts<T> {
    /// The five counts as an array, in field order.
    pub fn into_array(self) -> [T; 5] {
        [self.alloc_objects, self.alloc_space, self.free_objects, self.free_space, self.reallocs]
    }

    /// The counts of an array in field order ([`Counts::into_array`]).
    pub fn from_array([alloc_objects, alloc_space, free_objects, free_space, reallocs]: [T; 5]) -> Self {
        Counts { alloc_objects, alloc_space, free_objects, free_space, reallocs }
    }

    /// Each count by reference.
    pub fn as_ref(&self) -> Counts<&T> {
        Counts {
            alloc_objects: &self.alloc_objects,
            alloc_space: &self.alloc_space,
            free_objects: &self.free_objects,
            free_space: &self.free_space,
            reallocs: &self.reallocs,
        }
    }

    /// `f` of each count, in field order.
    #[inline]
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Counts<U> {
        Counts {
            alloc_objects: f(self.alloc_objects),
            alloc_space: f(self.alloc_space),
            free_objects: f(self.free_objects),
            free_space: f(self.free_space),
            reallocs: f(self.reallocs),
        }
    }

    /// Each count paired with `other`'s.
    #[inline]
    pub fn zip<U>(self, other: Counts<U>) -> Counts<(T, U)> {
        Counts {
            alloc_objects: (self.alloc_objects, other.alloc_objects),
            alloc_space: (self.alloc_space, other.alloc_space),
            free_objects: (self.free_objects, other.free_objects),
            free_space: (self.free_space, other.free_space),
            reallocs: (self.reallocs, other.reallocs),
        }
    }
}

impl<T: Copy> Counts<T> {
    /// Every count `value`.
    pub const fn splat(value: T) -> Self {
        Counts { alloc_objects: value, alloc_space: value, free_objects: value, free_space: value, reallocs: value }
    }
}

impl Counts<u64> {
    /// All counts zero.
    pub const ZERO: Counts<u64> = Counts::splat(0);

    /// Bytes allocated and not freed: pprof's `inuse_space`, the report's `retained/iter` when the
    /// counts are one iteration's.
    pub fn inuse_space(&self) -> i64 {
        self.alloc_space.wrapping_sub(self.free_space) as i64
    }

    /// The counts of `self` and `other` together (wrapping, as the counters do).
    #[inline]
    pub fn plus(&self, other: &Counts<u64>) -> Counts<u64> {
        self.zip(*other).map(|(a, b)| a.wrapping_add(b))
    }

    /// The counts from `earlier` to `self` (wrapping, as the counters do).
    #[inline]
    pub fn since(&self, earlier: &Counts<u64>) -> Counts<u64> {
        self.zip(*earlier).map(|(a, b)| a.wrapping_sub(b))
    }
}

impl Counts<AtomicU64> {
    /// Counters at zero, for a `static`.
    pub const fn new() -> Self {
        Counts {
            alloc_objects: AtomicU64::new(0),
            alloc_space: AtomicU64::new(0),
            free_objects: AtomicU64::new(0),
            free_space: AtomicU64::new(0),
            reallocs: AtomicU64::new(0),
        }
    }

    /// The counters' values, each read with a relaxed load: a writer on another thread may be
    /// seen a few operations late.
    #[inline]
    pub fn load(&self) -> Counts<u64> {
        self.as_ref().map(|c| c.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_and_plus_wrap() {
        let a = Counts { alloc_objects: 3, alloc_space: 10, free_objects: 1, free_space: 4, reallocs: 0 };
        let b = Counts { alloc_objects: 5, alloc_space: 30, free_objects: 4, free_space: 30, reallocs: 2 };
        let d = b.since(&a);
        assert_eq!(d, Counts { alloc_objects: 2, alloc_space: 20, free_objects: 3, free_space: 26, reallocs: 2 });
        assert_eq!(d.inuse_space(), -6);
        assert_eq!(a.plus(&d), b);
        assert_eq!(Counts::ZERO.since(&Counts::splat(1)), Counts::splat(u64::MAX));
    }

    #[test]
    fn arrays_keep_field_order() {
        let c = Counts::from_array([1, 2, 3, 4, 5]);
        assert_eq!((c.alloc_space, c.reallocs), (2, 5));
        assert_eq!(c.into_array(), [1, 2, 3, 4, 5]);
        let atomic = Counts::<AtomicU64>::new();
        atomic.free_space.store(7, Relaxed);
        assert_eq!(atomic.load(), Counts { free_space: 7, ..Counts::ZERO });
    }
}
