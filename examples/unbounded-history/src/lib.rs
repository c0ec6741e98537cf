//! A web server that remembers its most recent requests for a `/debug/requests` page.
//!
//! # The problem
//!
//! [`Server::handle`] parses a request head, routes it, and records what it did in a
//! [`RequestHistory`]: the method, the path and the status. The debug page shows the last
//! [`RequestHistory::limit`] requests. The server runs for weeks and handles millions of
//! requests, so what the history keeps must not grow with the number of requests.
//!
//! # The good version
//!
//! The history is a ring: a `VecDeque` sized for `limit` entries up front. Once it is full,
//! recording a request evicts the oldest one. Each request allocates its path and frees the
//! evicted entry's path, so a full history keeps the same number of bytes from one request to
//! the next: `inuse_space` per request is 0.
//!
//! # The regression (`--features regress`)
//!
//! Eviction is gone; the bound is applied only when the history is read, so the debug page looks
//! the same and the tests still pass. Every request is kept: `inuse_space` and `inuse_objects`
//! per request rise from 0 to the entry's path (plus, every time the deque doubles, its new
//! buffer). A heap profile taken an hour apart shows `RequestHistory::record` holding more each
//! time: the signature of a leak in a program that frees everything it no longer reaches.

use std::collections::VecDeque;

/// An HTTP request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// Any other method, or a request too malformed to have one.
    Other,
}

impl Method {
    fn parse(s: &str) -> Method {
        match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

/// What the history remembers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The request's method.
    pub method: Method,
    /// The path, without the query string; empty for a malformed request.
    pub path: Box<str>,
    /// The status code the server answered with.
    pub status: u16,
}

/// The most recent requests, at most [`limit`](RequestHistory::limit) of them.
#[derive(Debug)]
pub struct RequestHistory {
    entries: VecDeque<Entry>,
    limit: usize,
}

impl RequestHistory {
    /// An empty history that shows the last `limit` requests.
    ///
    /// # Panics
    ///
    /// When `limit` is 0.
    pub fn new(limit: usize) -> Self {
        assert!(limit > 0, "a request history needs room for one request");
        // Sized up front: a full history never reallocates.
        RequestHistory { entries: VecDeque::with_capacity(limit), limit }
    }

    /// How many requests the history shows.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Records a request, evicting the oldest one when the history is full.
    #[inline(never)]
    pub fn record(&mut self, entry: Entry) {
        // Regression: without this eviction every request stays in memory for good.
        #[cfg(not(feature = "regress"))]
        if self.entries.len() == self.limit {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The requests the history shows, oldest first: the last `limit` recorded.
    pub fn recent(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        // Nothing to skip while eviction keeps `entries` within the limit.
        let skip = self.entries.len().saturating_sub(self.limit);
        self.entries.range(skip..)
    }

    /// How many requests the history shows.
    pub fn len(&self) -> usize {
        self.entries.len().min(self.limit)
    }

    /// Whether no request has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A request head, borrowed from the connection's read buffer.
struct Request<'a> {
    method: Method,
    path: &'a str,
    http_1_0: bool,
    host: Option<&'a str>,
}

/// Parses a request line and its header lines, separated by CRLF, up to the blank line.
fn parse(head: &str) -> Option<Request<'_>> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target, version) = (request_line.next()?, request_line.next()?, request_line.next()?);
    if request_line.next().is_some() || !target.starts_with('/') {
        return None;
    }
    let http_1_0 = match version {
        "HTTP/1.0" => true,
        "HTTP/1.1" => false,
        _ => return None,
    };
    let path = target.split_once('?').map_or(target, |(path, _query)| path);
    let mut host = None;
    for line in lines.take_while(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':')?;
        if name.is_empty() || name.contains(' ') {
            return None;
        }
        if name.eq_ignore_ascii_case("host") {
            host = Some(value.trim());
        }
    }
    Some(Request { method: Method::parse(method), path, http_1_0, host })
}

/// The status code for a well-formed request.
fn route(request: &Request<'_>) -> u16 {
    if !request.http_1_0 && request.host.is_none_or(str::is_empty) {
        return 400; // HTTP/1.1 requires a Host header
    }
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let segments = request.path.strip_prefix('/').unwrap_or_default();
    match (request.method, segments.split_once('/')) {
        (Method::Get | Method::Head, None) if segments == "health" => 200,
        (Method::Get, None) if segments == "orders" => 200,
        (Method::Post, None) if segments == "orders" => 201,
        (Method::Get | Method::Head, Some(("orders", id))) if is_id(id) => 200,
        (Method::Delete, Some(("orders", id))) if is_id(id) => 204,
        (_, Some(("orders", id))) if is_id(id) => 405,
        (_, None) if segments == "orders" || segments == "health" => 405,
        _ => 404,
    }
}

/// A server that answers requests and remembers the recent ones.
#[derive(Debug)]
pub struct Server {
    history: RequestHistory,
}

impl Server {
    /// A server whose history shows the last `history_limit` requests.
    pub fn new(history_limit: usize) -> Self {
        Server { history: RequestHistory::new(history_limit) }
    }

    /// Handles one request head (request line and headers, CRLF-separated), records it in the
    /// history and returns the status code of the answer: 400 for a malformed request.
    pub fn handle(&mut self, head: &str) -> u16 {
        let (method, path, status) = match parse(head) {
            Some(request) => (request.method, request.path, route(&request)),
            None => (Method::Other, "", 400),
        };
        self.history.record(Entry { method, path: path.into(), status });
        status
    }

    /// The recent requests, as the debug page shows them.
    pub fn history(&self) -> &RequestHistory {
        &self.history
    }
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only what is kept differs.
    use super::*;

    fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: shop.example\r\nAccept: */*\r\n\r\n")
    }

    fn shown(history: &RequestHistory) -> Vec<(Method, &str, u16)> {
        history.recent().map(|e| (e.method, &*e.path, e.status)).collect()
    }

    #[test]
    fn requests_are_routed() {
        let mut server = Server::new(8);
        assert_eq!(server.handle(&get("/orders/1042?expand=items")), 200);
        assert_eq!(server.handle(&get("/orders/abc")), 404);
        assert_eq!(server.handle("DELETE /orders/7 HTTP/1.1\r\nhost: a\r\n\r\n"), 204);
        assert_eq!(server.handle("PUT /orders HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
        assert_eq!(server.handle("GET /health HTTP/1.0\r\n\r\n"), 200);
        assert_eq!(server.handle("GET /health HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(server.handle("GET /health HTTP/2\r\n\r\n"), 400);
        assert_eq!(server.handle("nonsense"), 400);
        assert_eq!(
            shown(server.history()),
            [
                (Method::Get, "/orders/1042", 200),
                (Method::Get, "/orders/abc", 404),
                (Method::Delete, "/orders/7", 204),
                (Method::Put, "/orders", 405),
                (Method::Get, "/health", 200),
                (Method::Get, "/health", 400),
                (Method::Other, "", 400),
                (Method::Other, "", 400),
            ]
        );
    }

    #[test]
    fn the_history_shows_the_last_requests_oldest_first() {
        let mut server = Server::new(3);
        assert!(server.history().is_empty());
        for id in 1..=5 {
            server.handle(&get(&format!("/orders/{id}")));
        }
        assert_eq!(server.history().len(), 3);
        assert_eq!(server.history().recent().len(), 3);
        let paths: Vec<&str> = server.history().recent().map(|e| &*e.path).collect();
        assert_eq!(paths, ["/orders/3", "/orders/4", "/orders/5"]);
        let newest = server.history().recent().next_back().unwrap();
        assert_eq!(&*newest.path, "/orders/5");
    }

    #[test]
    #[should_panic(expected = "room for one request")]
    fn a_history_needs_a_limit() {
        RequestHistory::new(0);
    }
}
