//! An independent count of what handling a request keeps, from allocbench's counting allocator
//! (the dev-dependency, renamed `criterion`, installs it in this test binary too).
//!
//! One `#[test]` only: the allocator counts for the whole process, so a second test running on
//! another thread would show in the figures.

use criterion::alloc::{self, Stats};
use unbounded_history::{Entry, Server};

fn count(f: impl FnOnce()) -> Stats {
    let before = alloc::stats();
    f();
    alloc::stats().since(&before)
}

#[test]
fn a_full_history_keeps_nothing_more_per_request() {
    assert!(alloc::is_counting(), "allocbench's allocator is not installed");
    let path = "/orders/1042";
    let request = format!("GET {path}?expand=items HTTP/1.1\r\nHost: shop.example\r\n\r\n");
    let limit = 64;
    let mut server = Server::new(limit);
    for _ in 0..limit {
        server.handle(&request);
    }

    // Fewer requests than the limit, so that the regressed history's deque (full at `limit`)
    // grows exactly once, on the first one.
    let mut per_request = Vec::new();
    for _ in 0..limit - 1 {
        per_request.push(count(|| {
            server.handle(&request);
        }));
    }
    let entry_path = path.len() as u64;
    let steady = if cfg!(feature = "regress") {
        // Only the new entry's path is allocated, and nothing is freed.
        Stats { alloc_objects: 1, alloc_space: entry_path, ..Stats::ZERO }
    } else {
        // The new entry's path is allocated, the evicted entry's path (same length) is freed.
        Stats { alloc_objects: 1, alloc_space: entry_path, free_objects: 1, free_space: entry_path, reallocs: 0 }
    };
    for (i, counts) in per_request.iter().enumerate().skip(1) {
        assert_eq!(*counts, steady, "request {i}");
    }
    let entry = std::mem::size_of::<Entry>() as u64;
    let first = if cfg!(feature = "regress") {
        // The first request after the history filled up also doubled the deque, from `limit`
        // entries to twice as many: a realloc, counted as one block freed and one allocated.
        Stats {
            alloc_objects: 2,
            alloc_space: entry_path + 2 * limit as u64 * entry,
            free_objects: 1,
            free_space: limit as u64 * entry,
            reallocs: 1,
        }
    } else {
        steady
    };
    assert_eq!(per_request[0], first);
    assert_eq!(server.history().len(), limit);
}
