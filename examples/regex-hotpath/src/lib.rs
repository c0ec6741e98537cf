//! A log tailer that summarises web-server access logs, line by line, with a regex.
//!
//! # The problem
//!
//! [`summarize`] reads a chunk of an nginx-style access log and counts requests, server errors
//! and bytes sent, and finds the slowest request. Every line goes through [`parse_line`], which
//! matches it against one regular expression. The tailer runs all day over every line every
//! server writes: `parse_line` is the hot path.
//!
//! # The good version
//!
//! The regex is compiled once, the first time it is needed, into a `static`
//! [`LazyLock`](std::sync::LazyLock). Each call only runs the match: around a microsecond per
//! line, and one small allocation for the capture positions.
//!
//! # The regression (`--features regress`)
//!
//! `parse_line` calls `Regex::new` itself, so the pattern is parsed, translated and compiled to
//! an automaton for every line, and thrown away after it. The results are the same; each line
//! now costs hundreds of microseconds and over a thousand allocations. Time per iteration is where it
//! shows first; in the CPU flame graph, most of `parse_line`'s width is `regex::Regex::new` and
//! the `regex_automata` builders beneath it, and the match itself is a sliver.

use regex::Regex;

/// One line of the access log: `$remote_addr - $remote_user [$time_local] "$request" $status
/// $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`.
const ACCESS_LINE: &str = concat!(
    r#"^(?<client>\S+) \S+ \S+ \[[^\]]+\] "#,
    r#""(?<method>[A-Z]+) (?<path>[^ "?]+)(?:\?[^ "]*)? HTTP/[0-9.]+" "#,
    r#"(?<status>[1-5][0-9]{2}) (?<bytes>[0-9]+|-) "[^"]*" "[^"]*" "#,
    r#"(?<secs>[0-9]+)\.(?<millis>[0-9]{3})$"#,
);

#[cfg(not(feature = "regress"))]
static ACCESS_LINE_REGEX: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new(ACCESS_LINE).expect("the access-line pattern is valid"));

/// What the tailer reads from one access-log line, borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLine<'a> {
    /// The client's address.
    pub client: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The request path, without the query string.
    pub path: &'a str,
    /// The response status.
    pub status: u16,
    /// Bytes of response body sent; 0 for `-`.
    pub bytes: u64,
    /// How long the request took, in milliseconds.
    pub millis: u64,
}

/// Parses one access-log line; `None` when it is not one.
///
/// Kept out of line so that profiles show it as the hot function it is.
#[inline(never)]
pub fn parse_line(line: &str) -> Option<AccessLine<'_>> {
    #[cfg(not(feature = "regress"))]
    let regex = &*ACCESS_LINE_REGEX;
    // Regression: the pattern is compiled again for every line.
    #[cfg(feature = "regress")]
    let regex = &Regex::new(ACCESS_LINE).expect("the access-line pattern is valid");

    let caps = regex.captures(line)?;
    let number = |name: &str| caps[name].parse::<u64>().ok();
    Some(AccessLine {
        client: caps.name("client")?.as_str(),
        method: caps.name("method")?.as_str(),
        path: caps.name("path")?.as_str(),
        status: caps["status"].parse().ok()?,
        bytes: match &caps["bytes"] {
            "-" => 0,
            _ => number("bytes")?,
        },
        millis: number("secs")?.checked_mul(1000)? + number("millis")?,
    })
}

/// What a chunk of access log says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary<'a> {
    /// Lines that parsed as requests.
    pub requests: u64,
    /// Lines that did not.
    pub malformed: u64,
    /// Requests answered with a 5xx status.
    pub server_errors: u64,
    /// Response bytes sent, over all requests.
    pub bytes: u64,
    /// The slowest request (the first of equals), if any.
    pub slowest: Option<AccessLine<'a>>,
}

/// Summarises `log`, one access-log line per line.
pub fn summarize(log: &str) -> Summary<'_> {
    let mut summary = Summary::default();
    for line in log.lines() {
        let Some(access) = parse_line(line) else {
            summary.malformed += 1;
            continue;
        };
        summary.requests += 1;
        summary.server_errors += u64::from(access.status >= 500);
        summary.bytes += access.bytes;
        if summary.slowest.is_none_or(|s| access.millis > s.millis) {
            summary.slowest = Some(access);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only the cost differs.
    use super::*;

    const LOG: &str = concat!(
        r#"203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET /orders/1042?expand=items HTTP/1.1" 200 2326 "-" "curl/8.4.0" 0.087"#,
        "\n",
        r#"198.51.100.7 - alice [10/Oct/2024:13:55:37 +0000] "POST /orders HTTP/1.1" 503 - "https://shop.example/" "Mozilla/5.0" 1.250"#,
        "\n",
        "2024/10/10 13:55:38 [error] 31#31: upstream timed out\n",
        r#"203.0.113.9 - - [10/Oct/2024:13:55:39 +0000] "HEAD /health HTTP/1.0" 204 0 "-" "kube-probe/1.30" 0.001"#,
        "\n",
    );

    #[test]
    fn a_line_is_parsed_into_its_fields() {
        let first = LOG.lines().next().unwrap();
        assert_eq!(
            parse_line(first),
            Some(AccessLine {
                client: "203.0.113.9",
                method: "GET",
                path: "/orders/1042",
                status: 200,
                bytes: 2326,
                millis: 87,
            })
        );
    }

    #[test]
    fn lines_that_are_not_requests_are_rejected() {
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line(LOG.lines().nth(2).unwrap()), None);
        let no_time = r#"203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#;
        assert_eq!(parse_line(no_time), None);
        let huge = r#"1 - - [t] "GET / HTTP/1.1" 200 99999999999999999999 "-" "-" 0.001"#;
        assert_eq!(parse_line(huge), None);
    }

    #[test]
    fn a_log_is_summarised() {
        let summary = summarize(LOG);
        assert_eq!(summary.requests, 3);
        assert_eq!(summary.malformed, 1);
        assert_eq!(summary.server_errors, 1);
        assert_eq!(summary.bytes, 2326);
        let slowest = summary.slowest.unwrap();
        assert_eq!((slowest.method, slowest.path, slowest.status), ("POST", "/orders", 503));
        assert_eq!(slowest.millis, 1250);
        assert_eq!(summarize(""), Summary::default());
    }
}
