//! The rule engine: an ordered list of settings, each for the benchmarks whose id matches a
//! scope (all, or glob patterns over criterion's full id), of which the last matching one wins.
//! Per-metric limits, `fail-on-time` and `time-noise` are rules; the defaults come from the
//! metric table ([`crate::report::METRICS`]: which metrics a limit can name, each one's default
//! limit; for the one judged by a statistical test, time, whether it is gated and its noise
//! floor); `--limit` and `--fail-on-time` add rules last.

use allocbench_formats::metric::ComparisonRule;

use crate::report::{Metric, METRICS};

use super::{Limit, Policy, PolicyError};

/// Which benchmarks a rule applies to.
#[derive(Debug, Clone)]
pub(super) enum Scope {
    All,
    Matching(Vec<glob::Pattern>),
}

impl Scope {
    pub(super) fn matches(&self, id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Matching(patterns) => patterns.iter().any(|p| p.matches(id)),
        }
    }
}

/// One setting for the benchmarks in `scope`; later rules win.
#[derive(Debug, Clone)]
pub(super) enum Rule {
    Limit { scope: Scope, metric: Metric, limit: Limit },
    FailOnTime { scope: Scope, yes: bool },
    TimeNoise { scope: Scope, fraction: f64 },
}

/// The default noise floor of the statistically compared metric (time), from its row of the
/// metric table; 0 if it had none.
fn default_time_noise() -> f64 {
    METRICS
        .iter()
        .find_map(|m| match m.rule {
            ComparisonRule::Statistical { noise, .. } => Some(noise),
            _ => None,
        })
        .unwrap_or(0.0)
}

impl Default for Policy {
    /// Each metric's default from the metric table: any increase of `alloc_objects`,
    /// `alloc_space` or `inuse_space` fails, and one of `instructions` beyond 1 %; the other
    /// metrics are reported, not gated; time is reported, not gated, with a 2 % floor.
    fn default() -> Policy {
        let mut rules = Vec::new();
        for m in &METRICS {
            match m.rule {
                ComparisonRule::Statistical { noise, .. } => {
                    rules.push(Rule::FailOnTime { scope: Scope::All, yes: m.gated_by_default() });
                    rules.push(Rule::TimeNoise { scope: Scope::All, fraction: noise });
                }
                ComparisonRule::Exact | ComparisonRule::RelativeWithNoise => {
                    rules.push(Rule::Limit { scope: Scope::All, metric: m.metric, limit: m.default_limit });
                }
            }
        }
        Policy { rules }
    }
}

impl Policy {
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
        let limit = Limit::parse(limit).map_err(|e| error(e.to_string()))?;
        self.rules.push(Rule::Limit { scope, metric, limit });
        Ok(())
    }

    /// `--fail-on-time`: a significant slowdown beyond the noise floor fails the gate, for
    /// every benchmark. It wins over `fail-on-time` in `Cargo.toml`.
    pub fn set_fail_on_time(&mut self, yes: bool) {
        self.rules.push(Rule::FailOnTime { scope: Scope::All, yes });
    }

    /// The limit for `metric` of benchmark `id`. A metric compared by a statistical test (time)
    /// has no limit of this kind (see [`Policy::time_noise`]) and gives [`Limit::None`].
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
            .unwrap_or_else(default_time_noise)
    }
}

pub(super) fn parse_metric(name: &str) -> Result<Metric, String> {
    match Metric::from_name(name) {
        Some(metric) if metric.info().is_counted() => Ok(metric),
        Some(metric) => Err(format!(
            "{} is not limited by a threshold; set `time-noise` (the smallest change that counts, e.g. \"2%\") and `fail-on-time = true` (or `--fail-on-time`) to gate it",
            metric.name()
        )),
        None => {
            let names: Vec<&str> = Metric::counted().map(Metric::name).collect();
            let hint = if name.contains('-') && Metric::from_name(&name.replace('-', "_")).is_some() {
                format!(" (did you mean `{}`?)", name.replace('-', "_"))
            } else {
                String::new()
            };
            Err(format!("unknown metric{hint}; expected one of {}", names.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli_err(spec: &str) -> String {
        Policy::default().add_limit(spec).unwrap_err().to_string()
    }

    #[test]
    fn defaults_gate_three_metrics_exactly_and_instructions_within_one_percent() {
        let p = Policy::default();
        let gated = [
            Metric::AllocObjects,
            Metric::AllocSpace,
            Metric::InuseSpace,
            Metric::ThreadsStarted,
            Metric::ThreadsAlive,
            Metric::ReadSyscalls,
            Metric::WriteSyscalls,
        ];
        for metric in Metric::counted() {
            let expected = match metric {
                Metric::Instructions => Limit::Relative(0.01),
                m if gated.contains(&m) => Limit::Exact,
                _ => Limit::None,
            };
            assert_eq!(p.limit("a/b", metric), expected, "{metric:?}");
        }
        assert_eq!(p.limit("a/b", Metric::Time), Limit::None);
        assert!(!p.fail_on_time("a/b"));
        assert_eq!(p.time_noise("a/b"), 0.02);
    }

    #[test]
    fn glob_star_crosses_slashes() {
        let mut p = Policy::default();
        p.add_limit("fanout/*:alloc_space=5%").unwrap();
        assert_eq!(p.limit("fanout/clients/100", Metric::AllocSpace), Limit::Relative(0.05));
        assert_eq!(p.limit("fan/out", Metric::AllocSpace), Limit::Exact);
    }

    #[test]
    fn cli_errors_name_the_flag_and_the_fix() {
        assert_eq!(
            cli_err("alloc_space"),
            "`--limit alloc_space`: expected METRIC=LIMIT or PATTERN:METRIC=LIMIT, e.g. alloc_space=5% or 'fanout/*:alloc_objects=+1'"
        );
        assert_eq!(
            cli_err("alloc_spce=5%"),
            format!(
                "`--limit alloc_spce=5%`: unknown metric; expected one of {}",
                Metric::counted().map(Metric::name).collect::<Vec<_>>().join(", ")
            )
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
