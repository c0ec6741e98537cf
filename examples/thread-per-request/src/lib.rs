//! A server that serves each connection on a thread of its own.
//!
//! # The problem
//!
//! [`Server::handle`] takes one request from a client, opens a [`Connection`] for it, and the
//! connection's thread answers every request that arrives on it until the client closes it: a
//! thread per connection, as many small servers are written. Here the client sends one request,
//! reads the status code, and is done with the connection.
//!
//! # The good version
//!
//! `handle` closes the connection once the answer is in, which ends the thread's loop, and joins
//! the thread before returning: no thread outlives its request.
//!
//! # The regression (`--features regress`)
//!
//! `handle` keeps the connection open "for the client's next request", which never comes, and
//! drops the thread's `JoinHandle` without joining it. The thread stays parked in its wait for
//! the next request: one more thread alive per request, each holding its stack and its
//! connection. The answers are the same; a heap profile sees a few small allocations retained,
//! and what grows is the thread count, the goroutine leak of a Go service.
//!
//! A real leak has no bound and takes the process down when it runs out of threads. This one
//! keeps at most [`MAX_KEPT_ALIVE`] connections open, closing the oldest beyond that, so that a
//! benchmark run cannot exhaust the machine; the bound is above the iterations of any one
//! benchmark sample, so every request a sample makes still has its thread at the sample's end.
//! [`close_kept_alive`] closes them all.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

/// How many connections the regression keeps open at most, with their threads; the oldest is
/// closed beyond that. Only the regression keeps any.
pub const MAX_KEPT_ALIVE: usize = 4096;

/// A connection's thread needs little stack: it routes requests. A small one keeps the
/// regression's parked threads cheap.
const CONNECTION_STACK: usize = 64 * 1024;

/// The status code the server answers `request` with: the request line, such as
/// `GET /orders/1042 HTTP/1.1`.
pub fn route(request: &str) -> u16 {
    let mut parts = request.split(' ');
    let (Some(method), Some(path), Some("HTTP/1.1" | "HTTP/1.0"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return 400;
    };
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (method, path.strip_prefix("/orders")) {
        (_, None) if path == "/health" => 200,
        ("GET", Some("")) => 200,
        ("POST", Some("")) => 201,
        ("GET", Some(id)) if id.strip_prefix('/').is_some_and(is_id) => 200,
        (_, Some(rest)) if rest.is_empty() || rest.strip_prefix('/').is_some_and(is_id) => 405,
        _ => 404,
    }
}

/// A client's connection, served by a thread of its own until the client closes it.
///
/// The request and its answer pass through a slot behind a `Mutex` and a `Condvar` rather than
/// channels: waiting on a channel allocates on a thread's first wait, which a fresh thread may
/// or may not reach depending on who gets there first, and this example's allocation figures
/// are meant to be exact.
#[derive(Debug)]
pub struct Connection {
    line: Arc<Line>,
    thread: JoinHandle<()>,
}

/// What the client and the connection's thread share.
#[derive(Debug, Default)]
struct Line {
    slot: Mutex<Slot>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Slot {
    request: Option<String>,
    status: Option<u16>,
    closed: bool,
}

impl Line {
    /// The slot, even if the other side panicked while holding it: it holds plain values.
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait<'a>(&self, slot: MutexGuard<'a, Slot>) -> MutexGuard<'a, Slot> {
        self.changed.wait(slot).unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn close(&self) {
        self.slot().closed = true;
        self.changed.notify_all();
    }

    /// The connection's thread: answers requests until the connection is closed.
    fn serve(&self) {
        let mut slot = self.slot();
        loop {
            if let Some(request) = slot.request.take() {
                slot.status = Some(route(&request));
                self.changed.notify_all();
            } else if slot.closed {
                return;
            } else {
                // Waits here for the next request until the client closes the connection.
                slot = self.wait(slot);
            }
        }
    }
}

impl Connection {
    /// Opens a connection and starts its thread.
    ///
    /// Fails when the system cannot start another thread.
    pub fn open() -> std::io::Result<Connection> {
        let line = Arc::new(Line::default());
        let theirs = Arc::clone(&line);
        let thread = thread::Builder::new()
            .name("connection".into())
            .stack_size(CONNECTION_STACK)
            .spawn(move || theirs.serve())?;
        Ok(Connection { line, thread })
    }

    /// Sends `request` and waits for its status code.
    pub fn send(&self, request: &str) -> u16 {
        let mut slot = self.line.slot();
        slot.request = Some(request.to_owned());
        self.line.changed.notify_all();
        loop {
            if let Some(status) = slot.status.take() {
                return status;
            }
            slot = self.line.wait(slot);
        }
    }

    /// Closes the connection and waits for its thread to end.
    pub fn close(self) {
        self.line.close();
        // The thread only routes, and `route` does not panic: nothing to report.
        let _ = self.thread.join();
    }
}

/// A server that opens a connection per request.
#[derive(Debug, Default)]
pub struct Server {}

impl Server {
    /// A server.
    pub fn new() -> Self {
        Server {}
    }

    /// Serves `request` (a request line) on a connection of its own and returns the status code:
    /// 503 when no thread could be started for it.
    ///
    /// Kept out of line so that profiles attribute the thread's start to this function.
    #[inline(never)]
    pub fn handle(&self, request: &str) -> u16 {
        let Ok(connection) = Connection::open() else {
            return 503;
        };
        let status = connection.send(request);
        #[cfg(not(feature = "regress"))]
        connection.close();
        // Regression: the connection stays open and its thread is never joined.
        #[cfg(feature = "regress")]
        keep_alive::keep(connection);
        status
    }
}

/// Closes every connection the regression kept open, letting their threads end; does nothing in
/// the good version. The threads end shortly after it returns, not before.
pub fn close_kept_alive() {
    #[cfg(feature = "regress")]
    keep_alive::close_all();
}

#[cfg(feature = "regress")]
mod keep_alive {
    //! The connections the regression leaves open, in a static so that every `Server` shares
    //! [`MAX_KEPT_ALIVE`](super::MAX_KEPT_ALIVE) and a test can close them.
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::{Connection, Line, MAX_KEPT_ALIVE};

    /// Only the line is kept, open: it is what keeps the thread waiting. The `JoinHandle` is
    /// dropped, which detaches the thread: that is the bug.
    static KEPT: Mutex<VecDeque<Arc<Line>>> = Mutex::new(VecDeque::new());

    pub(super) fn keep(connection: Connection) {
        let Connection { line, thread: _ } = connection;
        let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Room for all of them at once, on the first request: a queue growing by doubling
        // would blur the per-request figures with its reallocations.
        if kept.capacity() < MAX_KEPT_ALIVE {
            kept.reserve_exact(MAX_KEPT_ALIVE);
        }
        if kept.len() == MAX_KEPT_ALIVE {
            if let Some(oldest) = kept.pop_front() {
                oldest.close(); // its thread ends
            }
        }
        kept.push_back(line);
    }

    pub(super) fn close_all() {
        let kept = std::mem::take(&mut *KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        for line in kept {
            line.close();
        }
    }
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only the threads left differ.
    use super::*;

    #[test]
    fn requests_are_routed() {
        let server = Server::new();
        assert_eq!(server.handle("GET /orders/1042 HTTP/1.1"), 200);
        assert_eq!(server.handle("GET /orders HTTP/1.1"), 200);
        assert_eq!(server.handle("POST /orders HTTP/1.1"), 201);
        assert_eq!(server.handle("DELETE /orders/7 HTTP/1.1"), 405);
        assert_eq!(server.handle("GET /orders/abc HTTP/1.1"), 404);
        assert_eq!(server.handle("GET /health HTTP/1.0"), 200);
        assert_eq!(server.handle("GET /health HTTP/2"), 400);
        assert_eq!(server.handle("nonsense"), 400);
        close_kept_alive();
    }

    #[test]
    fn a_connection_answers_until_it_is_closed() {
        let connection = Connection::open().unwrap();
        assert_eq!(connection.send("GET /health HTTP/1.1"), 200);
        assert_eq!(connection.send("POST /orders HTTP/1.1"), 201);
        connection.close();
    }
}
