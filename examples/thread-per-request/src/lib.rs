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

use std::sync::mpsc::{self, Receiver, Sender};
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
#[derive(Debug)]
pub struct Connection {
    requests: Sender<String>,
    statuses: Receiver<u16>,
    thread: JoinHandle<()>,
}

impl Connection {
    /// Opens a connection and starts its thread.
    ///
    /// Fails when the system cannot start another thread.
    pub fn open() -> std::io::Result<Connection> {
        let (requests, incoming) = mpsc::channel::<String>();
        let (answers, statuses) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("connection".into())
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                // Waits here for the next request until the client closes the connection.
                for request in incoming {
                    if answers.send(route(&request)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Connection { requests, statuses, thread })
    }

    /// Sends `request` and waits for its status code; `None` when the connection's thread is
    /// gone.
    pub fn send(&self, request: &str) -> Option<u16> {
        self.requests.send(request.to_owned()).ok()?;
        self.statuses.recv().ok()
    }

    /// Closes the connection and waits for its thread to end.
    pub fn close(self) {
        drop(self.requests);
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
        let status = connection.send(request).unwrap_or(500);
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
    use std::sync::Mutex;

    use super::{Connection, MAX_KEPT_ALIVE};

    /// Only the sending half is kept: it is what keeps the thread waiting. The `JoinHandle` is
    /// dropped, which detaches the thread: that is the bug.
    static KEPT: Mutex<VecDeque<std::sync::mpsc::Sender<String>>> = Mutex::new(VecDeque::new());

    pub(super) fn keep(connection: Connection) {
        let Connection { requests, statuses: _, thread: _ } = connection;
        let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() == MAX_KEPT_ALIVE {
            kept.pop_front(); // closes the oldest: its thread ends
        }
        kept.push_back(requests);
    }

    pub(super) fn close_all() {
        let closed = std::mem::take(&mut *KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        drop(closed);
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
        assert_eq!(connection.send("GET /health HTTP/1.1"), Some(200));
        assert_eq!(connection.send("POST /orders HTTP/1.1"), Some(201));
        connection.close();
    }
}
