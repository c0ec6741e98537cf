//! Numbers for people: bytes, counts and times per iteration, as every renderer prints them.
//! [`format_metric`] picks the format from the metric table's unit, so that a new metric is
//! printed in its unit without a word here.

use crate::report::{Metric, Unit};

/// A figure in its metric's unit ([`allocbench_formats::metric::MetricInfo::unit`]): bytes, a count or a
/// duration.
pub fn format_metric(metric: Metric, value: f64) -> String {
    match metric.info().unit {
        Unit::Bytes => format_bytes(value),
        Unit::Count => format_count(value),
        Unit::Nanoseconds => format_ns(value),
    }
}

/// `n` things as a person counts them: `1 benchmark`, `2 benchmarks`, `0 benchmarks`.
pub fn count_of(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// Bytes for humans: `512 B`, `0.5 B`, `1.50 KiB`, `12.25 MiB`, `512.0 KiB` (binary units; two
/// decimals below 100, one above).
pub fn format_bytes(bytes: f64) -> String {
    if !bytes.is_finite() {
        return bytes.to_string();
    }
    let sign = if bytes < 0.0 { "-" } else { "" };
    let mut value = bytes.abs();
    if value < 1024.0 {
        return format!("{sign}{} B", format_count(value));
    }
    let mut unit = "B";
    for next in ["KiB", "MiB", "GiB", "TiB"] {
        if value < 1024.0 && unit != "B" {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    if value < 100.0 {
        format!("{sign}{value:.2} {unit}")
    } else {
        format!("{sign}{value:.1} {unit}")
    }
}

/// A count for humans: `3`, `0.33`, `2.5`, `0.001` (whole numbers as such; fractions with up to
/// two decimals, or two significant digits below 0.01).
pub fn format_count(count: f64) -> String {
    if !count.is_finite() {
        return count.to_string();
    }
    let rounded = count.round();
    if (count - rounded).abs() <= 1e-9 * count.abs().max(1.0) {
        // `-0` as `0`.
        return format!("{}", rounded + 0.0);
    }
    let magnitude = count.abs();
    let decimals = if magnitude >= 0.01 { 2 } else { (1.0 - magnitude.log10().floor()) as usize };
    let text = format!("{count:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A duration in nanoseconds for humans, about four significant digits: `512.3 ns`,
/// `1.234 µs`, `12.35 ms`, `2.000 s`.
pub fn format_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return ns.to_string();
    }
    let (value, unit) = match ns.abs() {
        a if a < 1e3 => (ns, "ns"),
        a if a < 1e6 => (ns / 1e3, "µs"),
        a if a < 1e9 => (ns / 1e6, "ms"),
        _ => (ns / 1e9, "s"),
    };
    let decimals = match value.abs() {
        a if a < 10.0 => 3,
        a if a < 100.0 => 2,
        _ => 1,
    };
    format!("{value:.decimals$} {unit}")
}

/// A relative change for humans: `+25.0%`, `-3.2%`, `+0.25%`, `+<0.01%`, `0%`.
pub fn format_change(change: f64) -> String {
    if !change.is_finite() {
        return change.to_string();
    }
    let percent = change * 100.0;
    let sign = if percent < 0.0 { "-" } else { "+" };
    match percent.abs() {
        0.0 => "0%".to_string(),
        a if a >= 1.0 => format!("{sign}{a:.1}%"),
        a if a >= 0.01 => format!("{sign}{a:.2}%"),
        _ => format!("{sign}<0.01%"),
    }
}

/// A share of the whole for humans: `25.0%`, `0.25%`, `0%` (a function's share of the CPU
/// samples).
pub fn format_share(share: f64) -> String {
    format_change(share).trim_start_matches('+').to_owned()
}

/// Text from a benchmark id or a child's output, safe to print: control characters (escape
/// sequences among them) and the invisible characters that reorder text on screen (Unicode's
/// bidirectional overrides and isolates, as in "Trojan Source") are shown escaped, never passed
/// to the terminal.
pub fn printable(s: &str) -> String {
    s.chars().flat_map(|c| if unsafe_to_show(c) { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

/// Control characters, and the format characters that change the order text is shown in.
fn unsafe_to_show(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(format_bytes(0.0), "0 B");
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(1023.0), "1023 B");
        assert_eq!(format_bytes(10.5), "10.5 B");
        assert_eq!(format_bytes(1.0 / 3.0), "0.33 B");
        assert_eq!(format_bytes(1024.0), "1.00 KiB");
        assert_eq!(format_bytes(1536.0), "1.50 KiB");
        assert_eq!(format_bytes(512.0 * 1024.0), "512.0 KiB");
        assert_eq!(format_bytes(12.25 * 1024.0 * 1024.0), "12.25 MiB");
        assert_eq!(format_bytes(3.0 * 1024.0 * 1024.0 * 1024.0), "3.00 GiB");
        assert_eq!(format_bytes(-2048.0), "-2.00 KiB");
        assert_eq!(format_bytes(-64.0), "-64 B");
    }

    #[test]
    fn counts() {
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(-0.0), "0");
        assert_eq!(format_count(3.0), "3");
        assert_eq!(format_count(1_000_000.0), "1000000");
        assert_eq!(format_count(1.0 / 3.0), "0.33");
        assert_eq!(format_count(2.5), "2.5");
        assert_eq!(format_count(2.0 + 1e-12), "2");
        assert_eq!(format_count(0.001), "0.001");
        assert_eq!(format_count(0.00125), "0.0013");
        assert_eq!(format_count(-1.5), "-1.5");
    }

    #[test]
    fn durations() {
        assert_eq!(format_ns(0.5), "0.500 ns");
        assert_eq!(format_ns(3.25), "3.250 ns");
        assert_eq!(format_ns(512.34), "512.3 ns");
        assert_eq!(format_ns(1234.0), "1.234 µs");
        assert_eq!(format_ns(12_345.0), "12.35 µs");
        assert_eq!(format_ns(12_350_000.0), "12.35 ms");
        assert_eq!(format_ns(2e9), "2.000 s");
    }

    #[test]
    fn metrics_in_their_units() {
        assert_eq!(format_metric(Metric::InuseSpace, 1536.0), "1.50 KiB");
        assert_eq!(format_metric(Metric::Reallocs, 2.5), "2.5");
        assert_eq!(format_metric(Metric::Instructions, 10_500.0), "10500");
        assert_eq!(format_metric(Metric::Time, 1234.0), "1.234 µs");
    }

    #[test]
    fn changes() {
        assert_eq!(format_change(0.0), "0%");
        assert_eq!(format_change(0.25), "+25.0%");
        assert_eq!(format_change(-0.032), "-3.2%");
        assert_eq!(format_change(0.0025), "+0.25%");
        assert_eq!(format_change(0.000_001), "+<0.01%");
        assert_eq!(format_change(-0.000_001), "-<0.01%");
    }

    #[test]
    fn shares() {
        assert_eq!(format_share(0.25), "25.0%");
        assert_eq!(format_share(0.0025), "0.25%");
        assert_eq!(format_share(0.0), "0%");
    }

    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(printable("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(printable("ünï/ベンチ"), "ünï/ベンチ");
        assert_eq!(printable("\u{202e}rtl\u{2066}x\u{7f}"), "\\u{202e}rtl\\u{2066}x\\u{7f}");
    }
}
