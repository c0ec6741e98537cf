//! An independent count of the threads a request leaves running, N and 2N requests at a time,
//! from the kernel's list of this process's threads (`/proc/self/task`).
//!
//! One `#[test]` only: the count is the whole process's, so a second test running on another
//! thread would show in the figures.

use std::time::{Duration, Instant};

use thread_per_request::{close_kept_alive, Server};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").expect("read /proc/self/task").count()
}

/// The thread count once it reaches `expected`, or whatever it is after 10 s. A joined thread
/// can still be listed for a moment after `join` returns: the kernel wakes the joiner as the
/// thread exits, before it removes the thread from the list.
fn settled_threads(expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = threads();
        if now == expected || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_request_leaves_no_thread_or_one() {
    let server = Server::new();
    let before = threads();
    for requests in [50, 100] {
        let started = Instant::now();
        for _ in 0..requests {
            assert_eq!(server.handle("GET /orders/1042 HTTP/1.1"), 200);
        }
        let left = if cfg!(feature = "regress") { requests } else { 0 };
        let after = settled_threads(before + left);
        println!("{requests} requests: {before} threads before, {after} after (in {:?})", started.elapsed());
        assert_eq!(after - before, left, "threads left running by {requests} requests");

        close_kept_alive();
        assert_eq!(settled_threads(before), before, "threads once the connections are closed");
    }
}
