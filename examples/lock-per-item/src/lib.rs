//! A worker pool that checks a batch of uploaded records and adds up what it found.
//!
//! # The problem
//!
//! [`Pool::run`] hands a batch of [`Item`]s to worker threads through the pool's queue: a
//! `Mutex` over the items handed over and not yet taken and the totals counted so far, with two
//! condition variables, one the workers wait on for work and one the caller waits on until the
//! work it handed over has been checked. Each item is checked (its payload's checksum against the
//! one it arrived with) and counted in [`Totals`]: how many items and bytes, how many were
//! corrupt, and a histogram of payload sizes.
//!
//! # The good version
//!
//! The batch is handed over once: the whole batch, split into one chunk per worker, goes into
//! the queue under one lock before the workers start, and the caller waits once, for all of them
//! (it joins them). Each worker takes a chunk, counts it into totals of its own, and takes the
//! lock once more to add them in. No worker ever waits for work; the only thread that blocks is
//! the caller, waiting for the workers it joins: about 2 voluntary switches per batch.
//!
//! # The regression (`--features regress`)
//!
//! The batch is handed over one item at a time, as a request and its reply: the caller takes
//! the pool's lock, puts one item in the queue, wakes a worker, and waits on the condition
//! variable until the worker has checked it; then the next. The workers take the lock for every
//! item, to take it and to add its counts. Each item now blocks two threads, whatever the
//! scheduler does: the caller, because the worker it woke cannot have been woken, checked the
//! item and answered by the time the caller starts waiting (a wake-up takes microseconds, the
//! caller's next step a few nanoseconds, and std's `Condvar::wait` on Linux goes straight to a
//! futex wait, without spinning), and that worker, which asks for the next item before the
//! caller, woken in turn, can have handed it over. On one core or many, about 2 voluntary
//! switches per item, some 2,000 per batch. The totals are the same, and nothing is allocated
//! either way (no per-item channel or message: the queue is a slice of the batch). What rises is
//! the number of times the process's threads block (voluntary context switches), the mutex and
//! block profiles of a Go service, and the time: four workers, and one at a time checks an item
//! while the others and the caller sleep.

use std::sync::{Condvar, Mutex, MutexGuard};
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

/// A pool of worker threads that check the batches handed to them.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    workers: usize,
}

impl Pool {
    /// A pool of `workers` threads, at least one.
    pub fn new(workers: usize) -> Pool {
        Pool { workers: workers.max(1) }
    }

    /// Checks and counts `batch` on the pool's workers.
    ///
    /// The workers are scoped threads started for the batch (no more than it has items) and
    /// joined before it returns, in both versions, as is the queue they take their work from:
    /// only how the batch is handed over differs. Kept out of line so that profiles attribute
    /// the work to this function.
    #[inline(never)]
    pub fn run(&self, batch: &[Item]) -> Totals {
        let workers = self.workers.min(batch.len());
        let queue = Queue::new(batch.len().div_ceil(workers.max(1)));
        #[cfg(not(feature = "regress"))]
        // The whole batch at once, before the workers start: they never wait for work.
        queue.hand_over_all(batch);
        thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(|| queue.work())).collect();
            #[cfg(feature = "regress")]
            {
                for item in batch {
                    // Regression: one item at a time, and a wait until it has been checked.
                    queue.hand_over(std::slice::from_ref(item));
                    queue.wait_until_checked();
                }
                queue.close();
            }
            // Joined one by one rather than left to the scope: the scope returns as soon as the
            // workers' closures are done, while a worker's own frees (its thread handle, its
            // thread-locals) may still be under way, and would land in the next call's figures.
            for handle in handles {
                // `work` only counts, and does not panic: nothing to report.
                let _ = handle.join();
            }
        });
        queue.into_totals()
    }
}

/// The pool's queue for one batch, shared by the caller and the workers.
struct Queue<'a> {
    state: Mutex<State<'a>>,
    /// Signalled when items are handed over, or when no more will be.
    work_ready: Condvar,
    /// Signalled when every item handed over has been checked and counted.
    checked: Condvar,
}

/// What the queue's lock guards.
struct State<'a> {
    /// Items handed over and not yet taken by a worker.
    waiting: &'a [Item],
    /// How many items a worker takes at a time.
    chunk: usize,
    /// Items taken by a worker and not yet counted in `totals`.
    in_hand: usize,
    /// No more items will be handed over: a worker that finds none returns.
    closed: bool,
    /// The counts of every item checked so far.
    totals: Totals,
}

impl<'a> Queue<'a> {
    /// An empty, open queue whose workers take up to `chunk` items at a time.
    fn new(chunk: usize) -> Queue<'a> {
        Queue {
            state: Mutex::new(State {
                waiting: &[],
                chunk: chunk.max(1),
                in_hand: 0,
                closed: false,
                totals: Totals::default(),
            }),
            work_ready: Condvar::new(),
            checked: Condvar::new(),
        }
    }

    /// The state, even if a thread panicked while holding it: plain counters and a slice.
    fn lock(&self) -> MutexGuard<'_, State<'a>> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands over the whole batch, and says no more will come.
    #[cfg(not(feature = "regress"))]
    fn hand_over_all(&self, batch: &'a [Item]) {
        let mut state = self.lock();
        state.waiting = batch;
        state.closed = true;
        drop(state);
        self.work_ready.notify_all();
    }

    /// Hands over `items`, taken whole by one worker; the ones before must have been checked.
    #[cfg(feature = "regress")]
    fn hand_over(&self, items: &'a [Item]) {
        let mut state = self.lock();
        debug_assert!(state.waiting.is_empty(), "handed over before the previous items were taken");
        state.waiting = items;
        state.chunk = items.len().max(1);
        drop(state);
        self.work_ready.notify_one();
    }

    /// Waits until every item handed over has been checked and counted.
    #[cfg(feature = "regress")]
    fn wait_until_checked(&self) {
        let mut state = self.lock();
        while !state.waiting.is_empty() || state.in_hand > 0 {
            state = self.checked.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Says no more items will be handed over, so that idle workers return.
    #[cfg(feature = "regress")]
    fn close(&self) {
        self.lock().closed = true;
        self.work_ready.notify_all();
    }

    /// A worker: takes items until the queue is closed and empty, counting each piece it took
    /// into totals of its own and then, under the lock, into the queue's.
    fn work(&self) {
        let mut state = self.lock();
        loop {
            while state.waiting.is_empty() && !state.closed {
                state = self.work_ready.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.waiting.is_empty() {
                return;
            }
            let (piece, rest) = state.waiting.split_at(state.chunk.min(state.waiting.len()));
            state.waiting = rest;
            state.in_hand += piece.len();
            drop(state);

            let mut mine = Totals::default();
            for item in piece {
                mine.record(item);
            }

            state = self.lock();
            state.totals.add(&mine);
            state.in_hand -= piece.len();
            if state.waiting.is_empty() && state.in_hand == 0 {
                self.checked.notify_all();
            }
        }
    }

    /// The counts, once every worker has returned.
    fn into_totals(self) -> Totals {
        self.state.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).totals
    }
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
