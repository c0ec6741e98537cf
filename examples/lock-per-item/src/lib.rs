//! A worker pool that checks a batch of uploaded records and adds up what it found.
//!
//! # The problem
//!
//! [`Pool::run`] splits a batch of [`Item`]s among its worker threads. Each item is checked
//! (its payload's checksum against the one it arrived with) and counted in [`Totals`]: how many
//! items and bytes, how many were corrupt, and a histogram of payload sizes. The totals of the
//! batch are shared by the workers, behind a `Mutex`.
//!
//! # The good version
//!
//! Each worker counts its chunk into totals of its own and takes the shared lock once, at the
//! end, to add them in: four lock acquisitions per batch with four workers, and the workers
//! never wait for each other.
//!
//! # The regression (`--features regress`)
//!
//! Each worker takes the shared lock for every item, and checks the item while holding it, as
//! `totals.lock().record(item)` invites. The workers now take turns: while one holds the lock,
//! the others spin briefly and then sleep in the kernel (a futex wait) until it is released.
//! The totals are the same, and nothing is allocated either way; an instruction count barely
//! moves. What rises is the number of times the process's threads block (voluntary context
//! switches), the mutex and block profiles of a Go service, and the time, as the workers run
//! one at a time.

use std::sync::Mutex;
use std::thread;

/// One uploaded record: its payload and the checksum it arrived with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The record's bytes.
    pub payload: Vec<u8>,
    /// The payload's [`checksum`], as the uploader computed it.
    pub checksum: u32,
}

impl Item {
    /// An item whose checksum matches its payload.
    pub fn new(payload: Vec<u8>) -> Item {
        let checksum = checksum(&payload);
        Item { payload, checksum }
    }
}

/// The checksum the uploader sends with each payload (FNV-1a, 32 bits).
pub fn checksum(payload: &[u8]) -> u32 {
    payload.iter().fold(0x811c_9dc5, |hash, &byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// What a batch contained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Items checked.
    pub items: u64,
    /// Payload bytes checked.
    pub bytes: u64,
    /// Items whose checksum did not match.
    pub corrupt: u64,
    /// Items by payload size: bucket `i` counts payloads of `64 * i` to `64 * (i + 1) - 1`
    /// bytes, the last bucket everything larger.
    pub sizes: [u64; 16],
}

impl Totals {
    /// Checks `item` and counts it.
    pub fn record(&mut self, item: &Item) {
        self.items += 1;
        self.bytes += item.payload.len() as u64;
        self.corrupt += u64::from(checksum(&item.payload) != item.checksum);
        self.sizes[(item.payload.len() / 64).min(self.sizes.len() - 1)] += 1;
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Totals) {
        self.items += other.items;
        self.bytes += other.bytes;
        self.corrupt += other.corrupt;
        for (mine, theirs) in self.sizes.iter_mut().zip(other.sizes) {
            *mine += theirs;
        }
    }
}

/// A pool of worker threads that share each batch between them.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    workers: usize,
}

impl Pool {
    /// A pool of `workers` threads, at least one.
    pub fn new(workers: usize) -> Pool {
        Pool { workers: workers.max(1) }
    }

    /// Checks and counts `batch`, its items split among the workers in contiguous chunks.
    ///
    /// The workers are scoped threads started for the batch and joined before it returns, in
    /// both versions, as is the lock: one `Mutex` for the batch's totals. Kept out of line so that profiles attribute the work to this function.
    #[inline(never)]
    pub fn run(&self, batch: &[Item]) -> Totals {
        let shared = Mutex::new(Totals::default());
        let chunk = batch.len().div_ceil(self.workers).max(1);
        thread::scope(|scope| {
            let workers: Vec<_> = batch
                .chunks(chunk)
                .map(|items| {
                    let shared = &shared;
                    scope.spawn(move || work(items, shared))
                })
                .collect();
            // Joined one by one rather than left to the scope: the scope returns as soon as the
            // workers' closures are done, while a worker's own frees (its thread handle, its
            // thread-locals) may still be under way, and would land in the next call's figures.
            for worker in workers {
                // `work` only counts, and does not panic: nothing to report.
                let _ = worker.join();
            }
        });
        shared.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One worker's share of a batch.
fn work(items: &[Item], shared: &Mutex<Totals>) {
    #[cfg(not(feature = "regress"))]
    {
        let mut mine = Totals::default();
        for item in items {
            mine.record(item);
        }
        // One lock per worker, to publish its chunk's counts.
        lock(shared).add(&mine);
    }
    #[cfg(feature = "regress")]
    for item in items {
        // Regression: the lock for every item, held while the item is checked.
        lock(shared).record(item);
    }
}

/// The totals, even if another worker panicked while holding them: they are plain counters.
fn lock(shared: &Mutex<Totals>) -> std::sync::MutexGuard<'_, Totals> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only the waiting differs.
    use super::*;

    #[test]
    fn a_batch_is_counted_once_whatever_the_workers() {
        let mut batch: Vec<Item> = (0..1000).map(|i| Item::new(vec![i as u8; i % 300])).collect();
        batch[10].checksum ^= 1;
        batch[999].payload[0] ^= 1;
        let mut expected = Totals::default();
        batch.iter().for_each(|item| expected.record(item));
        assert_eq!(expected.items, 1000);
        assert_eq!(expected.corrupt, 2);
        assert_eq!(expected.bytes, (0..1000).map(|i| i % 300).sum::<usize>() as u64);
        for workers in [0, 1, 3, 4, 2000] {
            assert_eq!(Pool::new(workers).run(&batch), expected, "{workers} workers");
        }
        assert_eq!(Pool::new(4).run(&[]), Totals::default());
    }

    #[test]
    fn sizes_fall_in_buckets_of_64_bytes() {
        let mut totals = Totals::default();
        for len in [0, 63, 64, 1000, 5000] {
            totals.record(&Item::new(vec![0; len]));
        }
        let mut expected = [0; 16];
        expected[0] = 2;
        expected[1] = 1;
        expected[15] = 2;
        assert_eq!(totals.sizes, expected);
    }
}
