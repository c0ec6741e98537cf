//! A limit: the largest increase of one counted metric per iteration that passes the gate,
//! `"5%"` relative to the baseline, `"+64"` absolute, `"0"` exact or `"none"` for no gate. Each
//! metric's default is in the metric table ([`crate::metric::MetricInfo::default_limit`]);
//! `cargo allocbench` parses others from `Cargo.toml` and `--limit`, shows them in the
//! comparison's `limit` field, and checks them against a base and a new figure.
//!
//! ```
//! use allocbench_formats::limit::Limit;
//!
//! let five = Limit::parse("5%").unwrap();
//! assert_eq!((five, five.to_string()), (Limit::Relative(0.05), "5%".to_owned()));
//! assert!(five.exceeded(100.0, 106.0) && !five.exceeded(100.0, 105.0));
//! assert_eq!(Limit::parse("64").unwrap_err().to_string(), "invalid limit \"64\": a bare number is ambiguous; write \"+64\" (absolute) or \"64%\" (relative)");
//! ```

use std::fmt;

/// Relative tolerance when comparing counted figures: per-iteration figures are ratios of
/// integers computed in `f64`, so `1/3` and `1/3` may differ in the last bit.
pub const EPSILON: f64 = 1e-9;

/// The largest increase allowed for one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Reported, never fails.
    None,
    /// Any increase fails (`0`).
    Exact,
    /// Fails when `new > base * (1 + fraction)` (`5%` is `Relative(0.05)`).
    Relative(f64),
    /// Fails when `new > base + amount` (`+64`).
    Absolute(f64),
}

/// A limit that cannot be parsed; its message names the text and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitError {
    /// Not one of the four forms.
    Invalid {
        /// The text given, trimmed.
        text: String,
    },
    /// A negative number: a limit is an increase.
    Negative {
        /// The text given, trimmed.
        text: String,
    },
    /// A number without `%` or `+`, which could mean either.
    BareNumber {
        /// The text given, trimmed.
        text: String,
    },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Invalid { text } => write!(
                f,
                "invalid limit \"{text}\"; expected \"5%\" (relative), \"+64\" (absolute), \"0\" (exact) or \"none\" (not gated)"
            ),
            LimitError::Negative { text } => {
                write!(f, "invalid limit \"{text}\": a limit is the largest increase allowed, it cannot be negative")
            }
            LimitError::BareNumber { text } => write!(
                f,
                "invalid limit \"{text}\": a bare number is ambiguous; write \"+{text}\" (absolute) or \"{text}%\" (relative)"
            ),
        }
    }
}

impl std::error::Error for LimitError {}

impl Limit {
    /// Parses `5%`, `+64`, `0` or `none`. The error says what was expected.
    pub fn parse(text: &str) -> Result<Limit, LimitError> {
        let text = text.trim();
        let invalid = || LimitError::Invalid { text: text.to_owned() };
        if text == "none" {
            return Ok(Limit::None);
        }
        let number = |s: &str| -> Result<f64, LimitError> {
            let v: f64 = s.parse().map_err(|_| invalid())?;
            if !v.is_finite() {
                return Err(invalid());
            }
            if v < 0.0 {
                return Err(LimitError::Negative { text: text.to_owned() });
            }
            Ok(v)
        };
        if let Some(percent) = text.strip_suffix('%') {
            // Reject "+5%" and "5 %": one way to write each limit.
            if percent.starts_with('+') || percent.ends_with(' ') {
                return Err(invalid());
            }
            let v = number(percent)?;
            return Ok(if v == 0.0 { Limit::Exact } else { Limit::Relative(v / 100.0) });
        }
        if let Some(amount) = text.strip_prefix('+') {
            let v = number(amount)?;
            return Ok(if v == 0.0 { Limit::Exact } else { Limit::Absolute(v) });
        }
        if text.starts_with('-') {
            // Give the dedicated message for "-5".
            number(text)?;
        }
        match text.parse::<f64>().ok().filter(|v| v.is_finite()) {
            Some(v) if v.abs() == 0.0 => Ok(Limit::Exact),
            Some(_) => Err(LimitError::BareNumber { text: text.to_owned() }),
            None => Err(invalid()),
        }
    }

    /// Whether this limit can fail the gate.
    pub const fn is_gated(self) -> bool {
        !matches!(self, Limit::None)
    }

    /// Whether going from `base` to `new` exceeds this limit.
    pub fn exceeded(self, base: f64, new: f64) -> bool {
        let tolerance = EPSILON * base.abs().max(new.abs()).max(1.0);
        match self {
            Limit::None => false,
            Limit::Exact => new - base > tolerance,
            Limit::Relative(fraction) => new - base * (1.0 + fraction) > tolerance,
            Limit::Absolute(amount) => new - (base + amount) > tolerance,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::None => f.write_str("none"),
            Limit::Exact => f.write_str("0"),
            Limit::Relative(fraction) => write!(f, "{}%", trim_float(fraction * 100.0)),
            Limit::Absolute(amount) => write!(f, "+{}", trim_float(*amount)),
        }
    }
}

/// `5.0` as `5`, `2.5` as `2.5`, without float noise such as `5.000000000000001`.
fn trim_float(v: f64) -> String {
    let s = format!("{:.6}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_parsing() {
        assert_eq!(Limit::parse("0"), Ok(Limit::Exact));
        assert_eq!(Limit::parse("0%"), Ok(Limit::Exact));
        assert_eq!(Limit::parse("+0"), Ok(Limit::Exact));
        assert_eq!(Limit::parse("5%"), Ok(Limit::Relative(0.05)));
        assert_eq!(Limit::parse("2.5%"), Ok(Limit::Relative(0.025)));
        assert_eq!(Limit::parse("+64"), Ok(Limit::Absolute(64.0)));
        assert_eq!(Limit::parse("+0.5"), Ok(Limit::Absolute(0.5)));
        assert_eq!(Limit::parse("none"), Ok(Limit::None));
        assert_eq!(
            Limit::parse("64").unwrap_err().to_string(),
            "invalid limit \"64\": a bare number is ambiguous; write \"+64\" (absolute) or \"64%\" (relative)"
        );
        assert_eq!(
            Limit::parse("-5%").unwrap_err().to_string(),
            "invalid limit \"-5%\": a limit is the largest increase allowed, it cannot be negative"
        );
        assert_eq!(
            Limit::parse("-5").unwrap_err().to_string(),
            "invalid limit \"-5\": a limit is the largest increase allowed, it cannot be negative"
        );
        for bad in ["5 %", "+5%", "five", "", "%", "+", "inf%", "NaN%", "NaN", "inf"] {
            assert_eq!(
                Limit::parse(bad).unwrap_err().to_string(),
                format!("invalid limit \"{bad}\"; expected \"5%\" (relative), \"+64\" (absolute), \"0\" (exact) or \"none\" (not gated)")
            );
        }
    }

    #[test]
    fn limit_display_round_trips() {
        for text in ["0", "5%", "2.5%", "+64", "+0.5", "none"] {
            assert_eq!(Limit::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn exact_limit_compares_with_epsilon() {
        assert!(!Limit::Exact.exceeded(1.0 / 3.0, 1.0 / 3.0));
        assert!(!Limit::Exact.exceeded(1.0 / 3.0, (1.0 / 3.0) * (1.0 + 1e-12)));
        assert!(!Limit::Exact.exceeded(0.1 + 0.2, 0.3));
        assert!(Limit::Exact.exceeded(1.0, 2.0));
        assert!(Limit::Exact.exceeded(1000.0, 1000.5));
        assert!(Limit::Exact.exceeded(0.0, 1.0 / 1000.0));
        assert!(!Limit::Exact.exceeded(2.0, 1.0));
    }

    #[test]
    fn relative_and_absolute_limits() {
        let five = Limit::Relative(0.05);
        assert!(!five.exceeded(100.0, 105.0));
        assert!(five.exceeded(100.0, 105.01));
        assert!(five.exceeded(0.0, 1.0), "from zero, any increase is beyond a relative limit");
        let plus64 = Limit::Absolute(64.0);
        assert!(!plus64.exceeded(1000.0, 1064.0));
        assert!(plus64.exceeded(1000.0, 1065.0));
        assert!(!Limit::None.exceeded(1.0, 1e12));
    }
}
