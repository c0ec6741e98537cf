//! Reading the policy from `Cargo.toml`: the `allocbench` table of `[workspace.metadata]` and
//! `[package.metadata]`, as cargo_metadata gives them (JSON values). Hand-written rather than a
//! serde `Deserialize`, so that every error names the table and key in backticks and says what
//! was expected, and an unknown key or metric is an error, not a gate silently off.

use serde_json::Value;

use super::rules::{parse_metric, Rule, Scope};
use super::{Limit, Policy, PolicyError};

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
            Value::String(text) => Limit::parse(text).map_err(|e| at(e.to_string()))?,
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
    use crate::report::Metric;

    fn ws(allocbench: Value) -> Value {
        json!({ "allocbench": allocbench })
    }

    fn err(workspace: Value) -> String {
        Policy::from_metadata(&ws(workspace), None).unwrap_err().to_string()
    }

    #[test]
    fn missing_metadata_gives_defaults() {
        let p = Policy::from_metadata(&Value::Null, Some(&Value::Null)).unwrap();
        assert_eq!(p.limit("x", Metric::AllocSpace), Limit::Exact);
        let p = Policy::from_metadata(&json!({ "other-tool": { "x": 1 } }), None).unwrap();
        assert_eq!(p.limit("x", Metric::PeakSpace), Limit::None);
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
    fn config_errors_name_the_key_and_the_fix() {
        let cases = [
            (
                json!({ "limits": { "alloc_spce": "5%" } }),
                "`[workspace.metadata.allocbench.limits] alloc_spce`: unknown metric; expected one of {metrics}",
            ),
            (
                json!({ "limits": { "alloc-space": "5%" } }),
                "`[workspace.metadata.allocbench.limits] alloc-space`: unknown metric (did you mean `alloc_space`?); expected one of {metrics}",
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
                "`[[workspace.metadata.allocbench.overrides]]` #1 `limits.peak`: unknown metric; expected one of {metrics}",
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
        // `{metrics}`: the counted metrics of the table, in its order (the messages snapshots
        // spell them out).
        let metrics: Vec<&str> = crate::report::Metric::counted().map(crate::report::Metric::name).collect();
        assert!(metrics.starts_with(&["alloc_objects", "alloc_space"]) && !metrics.contains(&"time"));
        for (config, message) in cases {
            assert_eq!(err(config.clone()), message.replace("{metrics}", &metrics.join(", ")), "for {config}");
        }
    }

    #[test]
    fn package_errors_name_the_package_table() {
        let package = ws(json!({ "limits": { "alloc_spce": "5%" } }));
        let message = Policy::from_metadata(&Value::Null, Some(&package)).unwrap_err().to_string();
        assert!(message.starts_with("`[package.metadata.allocbench.limits] alloc_spce`: unknown metric;"), "{message}");
    }
}
