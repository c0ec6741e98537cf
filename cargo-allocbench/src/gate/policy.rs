//! The regression policy: which change of which figure fails the gate.
//!
//! Allocation figures are deterministic, so they get exact limits; time is noisy, so it gets a
//! statistical test and an effect-size floor and fails the gate only when asked to (see
//! `design.md`, "Regression policy"). A [`Policy`] is built from defaults, then the workspace's
//! and the package's `Cargo.toml` metadata, then `--limit` and `--fail-on-time` on the command
//! line, and answers one question per benchmark and metric: [`Policy::limit`].
//!
//! # Defaults
//!
//! Any increase of `alloc_objects`, `alloc_space` or `inuse_space` per iteration fails (limit
//! `0`). The other allocation metrics (`free_objects`, `free_space`, `inuse_objects`,
//! `reallocs`, `peak_space`) are reported with their change and not gated (limit `none`). Time
//! is compared with Welch's t-test (p < 0.05) and a floor of 2 % on the change of the mean,
//! reported, not gated.
//!
//! # Configuration
//!
//! In the workspace's `Cargo.toml` (`[workspace.metadata.allocbench]`) or a package's
//! (`[package.metadata.allocbench]`, which overrides the workspace's):
//!
//! ```toml
//! [workspace.metadata.allocbench]
//! fail-on-time = false        # gate on time too (same as --fail-on-time)
//! time-noise = "2%"           # the smallest change of mean time that counts
//!
//! [workspace.metadata.allocbench.limits]   # for every benchmark
//! alloc_space = "5%"          # relative: fails above base * 1.05
//! inuse_space = "+64"         # absolute: fails above base + 64 (bytes, or blocks for *_objects)
//! alloc_objects = "0"         # exact: any increase fails (the default)
//! peak_space = "10%"          # a metric that is not gated by default becomes gated
//! free_space = "none"         # not gated: reported only
//!
//! [[workspace.metadata.allocbench.overrides]]  # for benchmark ids matching a glob
//! benchmarks = "fanout/*"     # or a list: ["fanout/*", "parse/large"]
//! limits = { alloc_objects = "+1" }
//! time-noise = "5%"           # optional, as above
//! fail-on-time = true         # optional, as above
//! ```
//!
//! Metrics are named as in the report: `alloc_objects`, `alloc_space`, `free_objects`,
//! `free_space`, `inuse_objects`, `inuse_space`, `reallocs`, `peak_space`. A limit is the largest
//! increase allowed per iteration: `"5%"` relative to the baseline, `"+64"` absolute, `"0"`
//! exact, or `"none"` for no gate. A pattern is a glob over criterion's full benchmark id
//! (`group/function/parameter`); `*` matches any characters, `/` included.
//!
//! On the command line, `--limit METRIC=LIMIT` applies to every benchmark and
//! `--limit PATTERN:METRIC=LIMIT` to matching ones.
//!
//! # Precedence
//!
//! The last matching rule wins, in this order: defaults, the workspace's `limits`, the
//! package's `limits`, the workspace's `overrides` in file order, the package's `overrides` in
//! file order, then `--limit` and `--fail-on-time` in command-line order.
//!
//! Unknown keys and metric names are errors, not warnings: a typo must not silently turn a
//! gate off.

use std::fmt;

use serde_json::Value;

use crate::report::Metric;

/// The allocation metrics a limit can name, in the report's order.
const LIMIT_METRICS: [Metric; 8] = [
    Metric::AllocObjects,
    Metric::AllocSpace,
    Metric::FreeObjects,
    Metric::FreeSpace,
    Metric::InuseObjects,
    Metric::InuseSpace,
    Metric::Reallocs,
    Metric::PeakSpace,
];

/// Metrics gated by default with limit `0`.
const DEFAULT_GATED: [Metric; 3] = [Metric::AllocObjects, Metric::AllocSpace, Metric::InuseSpace];

/// The default effect-size floor for time: 2 %.
pub const DEFAULT_TIME_NOISE: f64 = 0.02;

/// The significance level of the time test: a change counts only when p < this.
pub const TIME_ALPHA: f64 = 0.05;

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

/// A policy that cannot be built: one line that names the key or flag and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A problem in `[workspace.metadata.allocbench]` or `[package.metadata.allocbench]`.
    /// `location` is the table and key in backticks.
    #[error("{location}: {reason}")]
    Config { location: String, reason: String },
    /// A problem in a `--limit` value.
    #[error("`--limit {spec}`: {reason}")]
    Cli { spec: String, reason: String },
}

/// Which benchmarks a rule applies to.
#[derive(Debug, Clone)]
enum Scope {
    All,
    Matching(Vec<glob::Pattern>),
}

impl Scope {
    fn matches(&self, id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Matching(patterns) => patterns.iter().any(|p| p.matches(id)),
        }
    }
}

/// One setting for the benchmarks in `scope`; later rules win.
#[derive(Debug, Clone)]
enum Rule {
    Limit { scope: Scope, metric: Metric, limit: Limit },
    FailOnTime { scope: Scope, yes: bool },
    TimeNoise { scope: Scope, fraction: f64 },
}

/// The regression policy: limits per metric and benchmark, and how time is treated.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Rule>,
}

impl Default for Policy {
    /// Any increase of `alloc_objects`, `alloc_space` or `inuse_space` fails; the other metrics
    /// are reported, not gated; time is reported, not gated, with a 2 % floor.
    fn default() -> Policy {
        let mut rules: Vec<Rule> = LIMIT_METRICS
            .into_iter()
            .map(|metric| Rule::Limit {
                scope: Scope::All,
                metric,
                limit: if DEFAULT_GATED.contains(&metric) { Limit::Exact } else { Limit::None },
            })
            .collect();
        rules.push(Rule::FailOnTime { scope: Scope::All, yes: false });
        rules.push(Rule::TimeNoise { scope: Scope::All, fraction: DEFAULT_TIME_NOISE });
        Policy { rules }
    }
}

impl Policy {
    /// The defaults, then the `allocbench` table of `workspace` (the JSON value of
    /// `[workspace.metadata]`, as cargo_metadata gives it; null when absent), then that of
    /// `package` (`[package.metadata]`), whose settings override the workspace's.
    pub fn from_metadata(workspace: &Value, package: Option<&Value>) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        let sources = [Some(("workspace", workspace)), package.map(|p| ("package", p))];
        let tables: Vec<(&str, &serde_json::Map<String, Value>)> = sources
            .into_iter()
            .flatten()
            .filter_map(|(kind, metadata)| metadata.get("allocbench").map(|t| (kind, t)))
            .map(|(kind, table)| {
                table.as_object().map(|t| (kind, t)).ok_or_else(|| PolicyError::Config {
                    location: format!("`[{kind}.metadata.allocbench]`"),
                    reason: format!("expected a table, found {}", describe(table)),
                })
            })
            .collect::<Result<_, _>>()?;
        // Global settings first (workspace, then package), then overrides, so that a pattern
        // in the workspace still beats the package's global limits.
        for (kind, table) in &tables {
            policy.read_globals(kind, table)?;
        }
        for (kind, table) in &tables {
            policy.read_overrides(kind, table)?;
        }
        Ok(policy)
    }

    fn read_globals(&mut self, kind: &str, table: &serde_json::Map<String, Value>) -> Result<(), PolicyError> {
        let section = format!("[{kind}.metadata.allocbench]");
        for (key, value) in table {
            let location = || format!("`{section} {key}`");
            match key.as_str() {
                "fail-on-time" => {
                    let yes = value.as_bool().ok_or_else(|| PolicyError::Config {
                        location: location(),
                        reason: format!("expected true or false, found {}", describe(value)),
                    })?;
                    self.rules.push(Rule::FailOnTime { scope: Scope::All, yes });
                }
                "time-noise" => {
                    let fraction = parse_time_noise(value)
                        .map_err(|reason| PolicyError::Config { location: location(), reason })?;
                    self.rules.push(Rule::TimeNoise { scope: Scope::All, fraction });
                }
                "limits" => {
                    let limits_section = format!("[{kind}.metadata.allocbench.limits]");
                    let rules = parse_limits(value, &Scope::All, |metric| format!("`{limits_section} {metric}`"))
                        .map_err(|(location, reason)| PolicyError::Config {
                            location: location.unwrap_or_else(|| format!("`{limits_section}`")),
                            reason,
                        })?;
                    self.rules.extend(rules);
                }
                "overrides" => {
                    if !value.is_array() {
                        return Err(PolicyError::Config {
                            location: location(),
                            reason: format!(
                                "expected an array of tables (`[[{kind}.metadata.allocbench.overrides]]`), found {}",
                                describe(value)
                            ),
                        });
                    }
                }
                _ => {
                    return Err(PolicyError::Config {
                        location: location(),
                        reason: "unknown key; expected one of fail-on-time, time-noise, limits, overrides".into(),
                    })
                }
            }
        }
        Ok(())
    }

    fn read_overrides(&mut self, kind: &str, table: &serde_json::Map<String, Value>) -> Result<(), PolicyError> {
        let Some(overrides) = table.get("overrides").and_then(Value::as_array) else {
            return Ok(());
        };
        for (index, entry) in overrides.iter().enumerate() {
            let section = format!("`[[{kind}.metadata.allocbench.overrides]]` #{}", index + 1);
            let config = |location: String, reason: String| PolicyError::Config { location, reason };
            let entry = entry
                .as_object()
                .ok_or_else(|| config(section.clone(), format!("expected a table, found {}", describe(entry))))?;
            let scope = match entry.get("benchmarks") {
                None => {
                    return Err(config(
                        section.clone(),
                        "missing `benchmarks`; add `benchmarks = \"group/*\"` (a glob over benchmark ids)".into(),
                    ))
                }
                Some(value) => {
                    parse_patterns(value).map_err(|reason| config(format!("{section} `benchmarks`"), reason))?
                }
            };
            for (key, value) in entry {
                let location = || format!("{section} `{key}`");
                match key.as_str() {
                    "benchmarks" => {}
                    "fail-on-time" => {
                        let yes = value.as_bool().ok_or_else(|| {
                            config(location(), format!("expected true or false, found {}", describe(value)))
                        })?;
                        self.rules.push(Rule::FailOnTime { scope: scope.clone(), yes });
                    }
                    "time-noise" => {
                        let fraction = parse_time_noise(value).map_err(|reason| config(location(), reason))?;
                        self.rules.push(Rule::TimeNoise { scope: scope.clone(), fraction });
                    }
                    "limits" => {
                        let rules = parse_limits(value, &scope, |metric| format!("{section} `limits.{metric}`"))
                            .map_err(|(loc, reason)| config(loc.unwrap_or_else(location), reason))?;
                        self.rules.extend(rules);
                    }
                    _ => {
                        return Err(config(
                            location(),
                            "unknown key; expected one of benchmarks, limits, time-noise, fail-on-time".into(),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds a command-line limit: `METRIC=LIMIT` for every benchmark or `PATTERN:METRIC=LIMIT`
    /// for benchmark ids matching a glob; LIMIT is `5%` (relative), `+64` (absolute), `0`
    /// (exact) or `none`. It wins over every limit read from `Cargo.toml`.
    pub fn add_limit(&mut self, spec: &str) -> Result<(), PolicyError> {
        let error = |reason: String| PolicyError::Cli { spec: spec.to_string(), reason };
        let Some((target, limit)) = spec.split_once('=') else {
            return Err(error(
                "expected METRIC=LIMIT or PATTERN:METRIC=LIMIT, e.g. alloc_space=5% or 'fanout/*:alloc_objects=+1'"
                    .into(),
            ));
        };
        // Metric names hold no `:`, so the last one separates the pattern (which may hold `:`).
        let (scope, metric) = match target.rsplit_once(':') {
            Some((pattern, metric)) => {
                let pattern =
                    glob::Pattern::new(pattern).map_err(|e| error(format!("invalid pattern \"{pattern}\": {e}")))?;
                (Scope::Matching(vec![pattern]), metric)
            }
            None => (Scope::All, target),
        };
        let metric = parse_metric(metric.trim()).map_err(error)?;
        let limit = Limit::parse(limit).map_err(error)?;
        self.rules.push(Rule::Limit { scope, metric, limit });
        Ok(())
    }

    /// `--fail-on-time`: a significant slowdown beyond the noise floor fails the gate, for
    /// every benchmark. It wins over `fail-on-time` in `Cargo.toml`.
    pub fn set_fail_on_time(&mut self, yes: bool) {
        self.rules.push(Rule::FailOnTime { scope: Scope::All, yes });
    }

    /// The limit for `metric` of benchmark `id`. [`Metric::Time`] has no limit of this kind
    /// (see [`Policy::time_noise`]) and gives [`Limit::None`].
    pub fn limit(&self, id: &str, metric: Metric) -> Limit {
        self.rules
            .iter()
            .rev()
            .find_map(|rule| match rule {
                Rule::Limit { scope, metric: m, limit } if *m == metric && scope.matches(id) => Some(*limit),
                _ => None,
            })
            .unwrap_or(Limit::None)
    }

    /// Whether a time regression of benchmark `id` fails the gate.
    pub fn fail_on_time(&self, id: &str) -> bool {
        self.rules
            .iter()
            .rev()
            .find_map(|rule| match rule {
                Rule::FailOnTime { scope, yes } if scope.matches(id) => Some(*yes),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// The smallest relative change of mean time that counts for benchmark `id` (0.02 = 2 %).
    pub fn time_noise(&self, id: &str) -> f64 {
        self.rules
            .iter()
            .rev()
            .find_map(|rule| match rule {
                Rule::TimeNoise { scope, fraction } if scope.matches(id) => Some(*fraction),
                _ => None,
            })
            .unwrap_or(DEFAULT_TIME_NOISE)
    }
}

fn parse_metric(name: &str) -> Result<Metric, String> {
    if name == "time" {
        return Err("time is not limited by a threshold; set `time-noise` (the smallest change that counts, e.g. \"2%\") and `fail-on-time = true` (or `--fail-on-time`) to gate it".into());
    }
    match Metric::from_name(name) {
        Some(metric) if LIMIT_METRICS.contains(&metric) => Ok(metric),
        _ => {
            let names: Vec<&str> = LIMIT_METRICS.iter().map(|m| m.name()).collect();
            let hint = if name.contains('-') && Metric::from_name(&name.replace('-', "_")).is_some() {
                format!(" (did you mean `{}`?)", name.replace('-', "_"))
            } else {
                String::new()
            };
            Err(format!("unknown metric{hint}; expected one of {}", names.join(", ")))
        }
    }
}

/// Parses a `limits` table; on error gives the key's location (None: the table itself).
fn parse_limits(
    value: &Value,
    scope: &Scope,
    location: impl Fn(&str) -> String,
) -> Result<Vec<Rule>, (Option<String>, String)> {
    let table = value
        .as_object()
        .ok_or_else(|| (None, format!("expected a table of METRIC = \"LIMIT\", found {}", describe(value))))?;
    let mut rules = Vec::new();
    for (name, limit) in table {
        let at = |reason: String| (Some(location(name)), reason);
        let metric = parse_metric(name).map_err(at)?;
        let limit = match limit {
            Value::String(text) => Limit::parse(text).map_err(at)?,
            Value::Number(n) if n.as_f64() == Some(0.0) => Limit::Exact,
            Value::Number(n) => {
                return Err(at(format!("a bare number is ambiguous; write \"+{n}\" (absolute) or \"{n}%\" (relative)")))
            }
            other => {
                return Err(at(format!(
                    "expected a string such as \"5%\", \"+64\", \"0\" or \"none\", found {}",
                    describe(other)
                )))
            }
        };
        rules.push(Rule::Limit { scope: scope.clone(), metric, limit });
    }
    Ok(rules)
}

fn parse_time_noise(value: &Value) -> Result<f64, String> {
    let expected = |found: String| format!("expected a relative change such as \"2%\", found {found}");
    let Value::String(text) = value else {
        return Err(expected(describe(value)));
    };
    let fraction = text
        .trim()
        .strip_suffix('%')
        .and_then(|p| p.parse::<f64>().ok())
        .filter(|p| p.is_finite() && *p >= 0.0)
        .ok_or_else(|| expected(format!("\"{text}\"")))?;
    Ok(fraction / 100.0)
}

fn parse_patterns(value: &Value) -> Result<Scope, String> {
    let texts: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| format!("expected a glob string, found {}", describe(item))))
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "expected a glob such as \"fanout/*\" or a non-empty list of them, found {}",
                describe(other)
            ))
        }
    };
    let patterns = texts
        .into_iter()
        .map(|text| glob::Pattern::new(text).map_err(|e| format!("invalid pattern \"{text}\": {e}")))
        .collect::<Result<_, _>>()?;
    Ok(Scope::Matching(patterns))
}

/// A short description of a JSON value for error messages: `a string ("yes")`, `a number (3)`.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string (\"{s}\")"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "a table".into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ws(allocbench: Value) -> Value {
        json!({ "allocbench": allocbench })
    }

    fn err(workspace: Value) -> String {
        Policy::from_metadata(&ws(workspace), None).unwrap_err().to_string()
    }

    fn cli_err(spec: &str) -> String {
        Policy::default().add_limit(spec).unwrap_err().to_string()
    }

    #[test]
    fn defaults_gate_three_metrics_exactly() {
        let p = Policy::default();
        for metric in LIMIT_METRICS {
            let expected = if DEFAULT_GATED.contains(&metric) { Limit::Exact } else { Limit::None };
            assert_eq!(p.limit("a/b", metric), expected, "{metric:?}");
        }
        assert_eq!(p.limit("a/b", Metric::Time), Limit::None);
        assert!(!p.fail_on_time("a/b"));
        assert_eq!(p.time_noise("a/b"), 0.02);
    }

    #[test]
    fn missing_metadata_gives_defaults() {
        let p = Policy::from_metadata(&Value::Null, Some(&Value::Null)).unwrap();
        assert_eq!(p.limit("x", Metric::AllocSpace), Limit::Exact);
        let p = Policy::from_metadata(&json!({ "other-tool": { "x": 1 } }), None).unwrap();
        assert_eq!(p.limit("x", Metric::PeakSpace), Limit::None);
    }

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

    #[test]
    fn config_limits_and_overrides() {
        let workspace = ws(json!({
            "fail-on-time": false,
            "time-noise": "3%",
            "limits": { "alloc_space": "5%", "inuse_space": "+64", "peak_space": "10%" },
            "overrides": [
                { "benchmarks": "fanout/*", "limits": { "alloc_objects": "+1" }, "time-noise": "10%" },
                { "benchmarks": ["parse/large", "parse/huge"], "fail-on-time": true, "limits": { "alloc_space": 0 } }
            ]
        }));
        let p = Policy::from_metadata(&workspace, None).unwrap();
        assert_eq!(p.limit("x", Metric::AllocSpace), Limit::Relative(0.05));
        assert_eq!(p.limit("x", Metric::InuseSpace), Limit::Absolute(64.0));
        assert_eq!(p.limit("x", Metric::PeakSpace), Limit::Relative(0.1));
        assert_eq!(p.limit("x", Metric::AllocObjects), Limit::Exact);
        assert_eq!(p.limit("fanout/clients/100", Metric::AllocObjects), Limit::Absolute(1.0));
        assert_eq!(p.limit("fanout/clients/100", Metric::AllocSpace), Limit::Relative(0.05));
        assert_eq!(p.limit("parse/large", Metric::AllocSpace), Limit::Exact);
        assert_eq!(p.time_noise("x"), 0.03);
        assert_eq!(p.time_noise("fanout/a"), 0.1);
        assert!(p.fail_on_time("parse/huge"));
        assert!(!p.fail_on_time("parse/small"));
    }

    #[test]
    fn package_overrides_workspace() {
        let workspace = ws(json!({
            "limits": { "alloc_space": "5%", "inuse_space": "+64" },
            "overrides": [{ "benchmarks": "fanout/*", "limits": { "alloc_space": "20%" } }]
        }));
        let package = ws(json!({ "fail-on-time": true, "limits": { "alloc_space": "1%" } }));
        let p = Policy::from_metadata(&workspace, Some(&package)).unwrap();
        assert_eq!(p.limit("x", Metric::AllocSpace), Limit::Relative(0.01));
        assert_eq!(p.limit("x", Metric::InuseSpace), Limit::Absolute(64.0));
        // A pattern is more specific than the package's global limit.
        assert_eq!(p.limit("fanout/x", Metric::AllocSpace), Limit::Relative(0.2));
        assert!(p.fail_on_time("x"));
    }

    #[test]
    fn cli_limits_win_last() {
        let workspace = ws(json!({
            "overrides": [{ "benchmarks": "fanout/*", "limits": { "alloc_objects": "+1" } }]
        }));
        let mut p = Policy::from_metadata(&workspace, None).unwrap();
        p.add_limit("alloc_objects=+2").unwrap();
        assert_eq!(p.limit("fanout/x", Metric::AllocObjects), Limit::Absolute(2.0));
        p.add_limit("fanout/*:alloc_objects=0").unwrap();
        assert_eq!(p.limit("fanout/x", Metric::AllocObjects), Limit::Exact);
        assert_eq!(p.limit("other", Metric::AllocObjects), Limit::Absolute(2.0));
        p.add_limit("a::b/*:reallocs=none").unwrap();
        assert_eq!(p.limit("a::b/c", Metric::Reallocs), Limit::None);
        p.set_fail_on_time(true);
        assert!(p.fail_on_time("anything"));
    }

    #[test]
    fn glob_star_crosses_slashes() {
        let mut p = Policy::default();
        p.add_limit("fanout/*:alloc_space=5%").unwrap();
        assert_eq!(p.limit("fanout/clients/100", Metric::AllocSpace), Limit::Relative(0.05));
        assert_eq!(p.limit("fan/out", Metric::AllocSpace), Limit::Exact);
    }

    #[test]
    fn config_errors_name_the_key_and_the_fix() {
        let cases = [
            (
                json!({ "limits": { "alloc_spce": "5%" } }),
                "`[workspace.metadata.allocbench.limits] alloc_spce`: unknown metric; expected one of alloc_objects, alloc_space, free_objects, free_space, inuse_objects, inuse_space, reallocs, peak_space",
            ),
            (
                json!({ "limits": { "alloc-space": "5%" } }),
                "`[workspace.metadata.allocbench.limits] alloc-space`: unknown metric (did you mean `alloc_space`?); expected one of alloc_objects, alloc_space, free_objects, free_space, inuse_objects, inuse_space, reallocs, peak_space",
            ),
            (
                json!({ "limits": { "alloc_space": "5 %" } }),
                "`[workspace.metadata.allocbench.limits] alloc_space`: invalid limit \"5 %\"; expected \"5%\" (relative), \"+64\" (absolute), \"0\" (exact) or \"none\" (not gated)",
            ),
            (
                json!({ "limits": { "inuse_space": 64 } }),
                "`[workspace.metadata.allocbench.limits] inuse_space`: a bare number is ambiguous; write \"+64\" (absolute) or \"64%\" (relative)",
            ),
            (
                json!({ "limits": { "inuse_space": true } }),
                "`[workspace.metadata.allocbench.limits] inuse_space`: expected a string such as \"5%\", \"+64\", \"0\" or \"none\", found a boolean (true)",
            ),
            (
                json!({ "limits": { "time": "5%" } }),
                "`[workspace.metadata.allocbench.limits] time`: time is not limited by a threshold; set `time-noise` (the smallest change that counts, e.g. \"2%\") and `fail-on-time = true` (or `--fail-on-time`) to gate it",
            ),
            (
                json!({ "limits": "5%" }),
                "`[workspace.metadata.allocbench.limits]`: expected a table of METRIC = \"LIMIT\", found a string (\"5%\")",
            ),
            (
                json!({ "fail_on_time": true }),
                "`[workspace.metadata.allocbench] fail_on_time`: unknown key; expected one of fail-on-time, time-noise, limits, overrides",
            ),
            (
                json!({ "fail-on-time": "yes" }),
                "`[workspace.metadata.allocbench] fail-on-time`: expected true or false, found a string (\"yes\")",
            ),
            (
                json!({ "time-noise": 2 }),
                "`[workspace.metadata.allocbench] time-noise`: expected a relative change such as \"2%\", found a number (2)",
            ),
            (
                json!({ "time-noise": "2" }),
                "`[workspace.metadata.allocbench] time-noise`: expected a relative change such as \"2%\", found \"2\"",
            ),
            (
                json!({ "overrides": { "benchmarks": "x" } }),
                "`[workspace.metadata.allocbench] overrides`: expected an array of tables (`[[workspace.metadata.allocbench.overrides]]`), found a table",
            ),
            (
                json!({ "overrides": [{ "limits": { "alloc_space": "5%" } }] }),
                "`[[workspace.metadata.allocbench.overrides]]` #1: missing `benchmarks`; add `benchmarks = \"group/*\"` (a glob over benchmark ids)",
            ),
            (
                json!({ "overrides": [{ "benchmarks": "a" }, { "benchmarks": "fan[out" }] }),
                "`[[workspace.metadata.allocbench.overrides]]` #2 `benchmarks`: invalid pattern \"fan[out\": Pattern syntax error near position 3: invalid range pattern",
            ),
            (
                json!({ "overrides": [{ "benchmarks": [] }] }),
                "`[[workspace.metadata.allocbench.overrides]]` #1 `benchmarks`: expected a glob such as \"fanout/*\" or a non-empty list of them, found an array",
            ),
            (
                json!({ "overrides": [{ "benchmarks": "a", "limit": {} }] }),
                "`[[workspace.metadata.allocbench.overrides]]` #1 `limit`: unknown key; expected one of benchmarks, limits, time-noise, fail-on-time",
            ),
            (
                json!({ "overrides": [{ "benchmarks": "a", "limits": { "peak": "+1" } }] }),
                "`[[workspace.metadata.allocbench.overrides]]` #1 `limits.peak`: unknown metric; expected one of alloc_objects, alloc_space, free_objects, free_space, inuse_objects, inuse_space, reallocs, peak_space",
            ),
            (
                json!({ "overrides": ["fanout/*"] }),
                "`[[workspace.metadata.allocbench.overrides]]` #1: expected a table, found a string (\"fanout/*\")",
            ),
            (
                json!("strict"),
                "`[workspace.metadata.allocbench]`: expected a table, found a string (\"strict\")",
            ),
        ];
        for (config, message) in cases {
            assert_eq!(err(config.clone()), message, "for {config}");
        }
    }

    #[test]
    fn package_errors_name_the_package_table() {
        let package = ws(json!({ "limits": { "alloc_spce": "5%" } }));
        let message = Policy::from_metadata(&Value::Null, Some(&package)).unwrap_err().to_string();
        assert!(message.starts_with("`[package.metadata.allocbench.limits] alloc_spce`: unknown metric;"), "{message}");
    }

    #[test]
    fn cli_errors_name_the_flag_and_the_fix() {
        assert_eq!(
            cli_err("alloc_space"),
            "`--limit alloc_space`: expected METRIC=LIMIT or PATTERN:METRIC=LIMIT, e.g. alloc_space=5% or 'fanout/*:alloc_objects=+1'"
        );
        assert_eq!(
            cli_err("alloc_spce=5%"),
            "`--limit alloc_spce=5%`: unknown metric; expected one of alloc_objects, alloc_space, free_objects, free_space, inuse_objects, inuse_space, reallocs, peak_space"
        );
        assert_eq!(
            cli_err("alloc_space=5"),
            "`--limit alloc_space=5`: invalid limit \"5\": a bare number is ambiguous; write \"+5\" (absolute) or \"5%\" (relative)"
        );
        assert_eq!(
            cli_err("fan[out:alloc_space=5%"),
            "`--limit fan[out:alloc_space=5%`: invalid pattern \"fan[out\": Pattern syntax error near position 3: invalid range pattern"
        );
        assert_eq!(
            cli_err("time=5%"),
            "`--limit time=5%`: time is not limited by a threshold; set `time-noise` (the smallest change that counts, e.g. \"2%\") and `fail-on-time = true` (or `--fail-on-time`) to gate it"
        );
    }
}
