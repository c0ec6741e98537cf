//! A limit: the largest increase of one allocation metric per iteration that passes the gate,
//! `"5%"` relative to the baseline, `"+64"` absolute, `"0"` exact or `"none"` for no gate. Parsed
//! from `Cargo.toml` and `--limit`, shown in the comparison's `limit` field, and checked against
//! a base and a new figure.

use std::fmt;

/// Relative tolerance when comparing allocation figures: per-iteration figures are ratios of
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

impl Limit {
    /// Parses `5%`, `+64`, `0` or `none`. The error says what was expected.
    pub fn parse(text: &str) -> Result<Limit, String> {
        let expected = "expected \"5%\" (relative), \"+64\" (absolute), \"0\" (exact) or \"none\" (not gated)";
        let text = text.trim();
        let invalid = || format!("invalid limit \"{text}\"; {expected}");
        if text == "none" {
            return Ok(Limit::None);
        }
        let number = |s: &str| -> Result<f64, String> {
            let v: f64 = s.parse().map_err(|_| invalid())?;
            if !v.is_finite() {
                return Err(invalid());
            }
            if v < 0.0 {
                return Err(format!(
                    "invalid limit \"{text}\": a limit is the largest increase allowed, it cannot be negative"
                ));
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
            Some(_) => Err(format!(
                "invalid limit \"{text}\": a bare number is ambiguous; write \"+{text}\" (absolute) or \"{text}%\" (relative)"
            )),
            None => Err(invalid()),
        }
    }

    /// Whether this limit can fail the gate.
    pub fn is_gated(self) -> bool {
        self != Limit::None
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
            Limit::parse("64").unwrap_err(),
            "invalid limit \"64\": a bare number is ambiguous; write \"+64\" (absolute) or \"64%\" (relative)"
        );
        assert_eq!(
            Limit::parse("-5%").unwrap_err(),
            "invalid limit \"-5%\": a limit is the largest increase allowed, it cannot be negative"
        );
        assert_eq!(
            Limit::parse("-5").unwrap_err(),
            "invalid limit \"-5\": a limit is the largest increase allowed, it cannot be negative"
        );
        for bad in ["5 %", "+5%", "five", "", "%", "+", "inf%", "NaN%", "NaN", "inf"] {
            assert_eq!(
                Limit::parse(bad).unwrap_err(),
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
