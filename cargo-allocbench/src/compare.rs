//! Comparison of a run with a baseline: per benchmark and metric, the base and new figures, the
//! change, the limit that applied and a status.
//!
//! Allocation figures are deterministic and compared as exact numbers against the
//! [`Policy`]'s limit (with a relative tolerance of 1e-9 for float noise: per-iteration figures
//! are ratios of integers). Time is compared with Welch's two-tailed t-test on criterion's
//! per-iteration samples: a change counts when p < 0.05 *and* the mean moved beyond the
//! policy's noise floor (2 % by default); it fails the gate only with `fail-on-time`. New and
//! missing benchmarks are listed with their own status and never fail the gate by themselves.
//!
//! The Student t distribution is computed here through the regularized incomplete beta
//! function (continued fraction, modified Lentz; see the [`stats`] module), tested against
//! closed forms and published values, to avoid a statistics dependency for one function.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cpu::ShareChange;
use crate::heap::SiteChange;

use crate::baseline::Baseline;
use crate::policy::{Limit, Policy, EPSILON, TIME_ALPHA};
use crate::report::{Benchmark, Metric, Report, Verdict, ALL_METRICS};

/// The comparison of a run with a baseline, as `report.json`'s `comparison`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// The baseline's name.
    pub baseline: String,
    /// What the reader should know before trusting the figures, e.g. a baseline measured with
    /// another toolchain. One line each.
    pub warnings: Vec<String>,
    /// The run's benchmarks in the run's order, then those only the baseline has.
    pub benchmarks: Vec<BenchmarkComparison>,
}

/// One benchmark against its baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BenchmarkComparison {
    pub id: String,
    /// `regressed` when a gated metric regressed; `improved` when a metric improved and none
    /// regressed; `new` / `missing` when only one side has it; else `pass`.
    pub status: Status,
    /// Every metric of the report, in the report's order, time last.
    pub metrics: Vec<MetricComparison>,
    /// Functions whose share of CPU samples grew, when both runs had a CPU pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_grew: Vec<ShareChange>,
    /// Allocation sites whose allocations per iteration grew, when both runs had a heap pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites_grew: Vec<SiteChange>,
}

/// One metric of one benchmark against its baseline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricComparison {
    pub metric: Metric,
    /// Per iteration; for time, the mean of the samples in ns (criterion's typical time when
    /// time was not compared).
    pub base: Option<f64>,
    pub new: Option<f64>,
    /// Relative change, `0.25` = +25 %; null when a side is missing, when time was not
    /// compared, or when the base is 0 and the new value is not.
    pub change: Option<f64>,
    /// The limit in its human form: `0`, `5%`, `+64`, `none`, `p<0.05 & >2%`, `not measured`.
    pub limit: String,
    /// Whether this metric can fail the gate (its limit is not `none`; for time,
    /// `fail-on-time`).
    pub gated: bool,
    pub status: Status,
    /// Welch's two-tailed p-value, for time only.
    pub p_value: Option<f64>,
}

/// The outcome for one benchmark or metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Regressed,
    Improved,
    /// In the run, not in the baseline.
    New,
    /// In the baseline, not in the run (or the run has no figures for it).
    Missing,
}

impl Status {
    pub const fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Regressed => "regressed",
            Status::Improved => "improved",
            Status::New => "new",
            Status::Missing => "missing",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many benchmarks have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub regressed: usize,
    pub improved: usize,
    pub pass: usize,
    pub new: usize,
    pub missing: usize,
    /// Benchmarks whose time regressed without failing the gate (time not gated).
    pub slower_not_gated: usize,
}

impl Comparison {
    /// [`Verdict::Regressed`] if any benchmark regressed (a gated metric beyond its limit),
    /// else [`Verdict::Pass`]. A failed run is the caller's to report as [`Verdict::Error`].
    pub fn verdict(&self) -> Verdict {
        if self.benchmarks.iter().any(|b| b.status == Status::Regressed) {
            Verdict::Regressed
        } else {
            Verdict::Pass
        }
    }

    /// Benchmarks by status.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for b in &self.benchmarks {
            match b.status {
                Status::Regressed => counts.regressed += 1,
                Status::Improved => counts.improved += 1,
                Status::Pass => counts.pass += 1,
                Status::New => counts.new += 1,
                Status::Missing => counts.missing += 1,
            }
            if b.metrics.iter().any(|m| m.metric == Metric::Time && m.status == Status::Regressed && !m.gated) {
                counts.slower_not_gated += 1;
            }
        }
        counts
    }

    /// One line, e.g. "2 regressed, 1 improved, 10 passed, 1 new, 0 missing against baseline
    /// `main`", with "; 1 slower in time (not gated)" when time regressed without gating.
    pub fn summary_line(&self) -> String {
        let c = self.counts();
        let mut line = format!(
            "{} regressed, {} improved, {} passed, {} new, {} missing against baseline `{}`",
            c.regressed, c.improved, c.pass, c.new, c.missing, self.baseline
        );
        if c.slower_not_gated > 0 {
            line.push_str(&format!("; {} slower in time (not gated)", c.slower_not_gated));
        }
        line
    }

    /// The comparison of benchmark `id`.
    pub fn get(&self, id: &str) -> Option<&BenchmarkComparison> {
        self.benchmarks.iter().find(|b| b.id == id)
    }
}

impl BenchmarkComparison {
    /// The comparison of one metric.
    pub fn metric(&self, metric: Metric) -> Option<&MetricComparison> {
        self.metrics.iter().find(|m| m.metric == metric)
    }
}

/// Compares run `new` with baseline `base` under `policy`.
pub fn compare(base: &Baseline, new: &Report, policy: &Policy) -> Comparison {
    let base_by_id: BTreeMap<&str, &Benchmark> = base.benchmarks.iter().map(|b| (b.id.as_str(), b)).collect();
    let new_ids: std::collections::BTreeSet<&str> = new.benchmarks.iter().map(|b| b.id.as_str()).collect();
    let mut warnings = environment_warnings(base, new);
    let mut benchmarks = Vec::new();
    for n in &new.benchmarks {
        let comparison = compare_benchmark(&n.id, base_by_id.get(n.id.as_str()).copied(), Some(n), policy);
        if let Some(b) = base_by_id.get(n.id.as_str()) {
            warnings.extend(inexact_warning(&comparison, b, n));
        }
        benchmarks.push(comparison);
    }
    for b in base.benchmarks.iter().filter(|b| !new_ids.contains(b.id.as_str())) {
        benchmarks.push(compare_benchmark(&b.id, Some(b), None, policy));
    }
    Comparison { baseline: base.name.clone(), warnings, benchmarks }
}

fn environment_warnings(base: &Baseline, new: &Report) -> Vec<String> {
    let (b, n) = (&base.environment, &new.environment);
    let name = &base.name;
    let mut warnings = Vec::new();
    for (what, old, new) in [
        ("toolchain", &b.rustc, &n.rustc),
        ("target", &b.target, &n.target),
        ("profile", &b.profile, &n.profile),
        ("allocator", &b.allocator, &n.allocator),
    ] {
        if !old.is_empty() && !new.is_empty() && old != new {
            warnings.push(format!(
                "baseline `{name}` was measured with {what} `{old}`, this run with `{new}`: allocations still compare, time may not"
            ));
        }
    }
    if !b.cpu.is_empty() && !n.cpu.is_empty() && b.cpu != n.cpu {
        warnings.push(format!(
            "baseline `{name}` was measured on CPU `{}`, this run on `{}`: time may not compare",
            b.cpu, n.cpu
        ));
    }
    warnings
}

/// A regression in figures that varied between samples may be noise: say how to allow it.
fn inexact_warning(comparison: &BenchmarkComparison, base: &Benchmark, new: &Benchmark) -> Option<String> {
    let exact = |b: &Benchmark| b.alloc.map(|a| a.exact).unwrap_or(true);
    if exact(base) && exact(new) {
        return None;
    }
    let metric = comparison.metrics.iter().find(|m| m.metric != Metric::Time && m.status == Status::Regressed)?;
    Some(format!(
        "`{}`: allocation figures varied between samples, so its {} regression may be noise; allow it with a limit such as `--limit '{}:{}=5%'`",
        comparison.id,
        metric.metric.name(),
        glob::Pattern::escape(&comparison.id),
        metric.metric.name()
    ))
}

fn compare_benchmark(
    id: &str,
    base: Option<&Benchmark>,
    new: Option<&Benchmark>,
    policy: &Policy,
) -> BenchmarkComparison {
    let base_alloc = base.and_then(|b| b.alloc);
    let new_alloc = new.and_then(|b| b.alloc);
    let mut metrics: Vec<MetricComparison> = ALL_METRICS
        .into_iter()
        .filter(|m| *m != Metric::Time)
        .map(|metric| {
            compare_alloc(
                metric,
                base_alloc.and_then(|a| a.get(metric)),
                new_alloc.and_then(|a| a.get(metric)),
                policy.limit(id, metric),
            )
        })
        .collect();
    metrics.push(compare_time(id, base, new, policy));

    let status = if new_alloc.is_none() && base_alloc.is_some() {
        Status::Missing
    } else if base_alloc.is_none() {
        Status::New
    } else if metrics.iter().any(|m| m.status == Status::Regressed && m.gated) {
        Status::Regressed
    } else if metrics.iter().any(|m| m.status == Status::Improved && m.gated) {
        // Only gated metrics decide, both ways: an ungated figure that varies between runs
        // (the peak of two racing threads) never marks a benchmark improved or regressed. Each
        // metric keeps its own status for the table.
        Status::Improved
    } else {
        Status::Pass
    };
    BenchmarkComparison { id: id.to_string(), status, metrics, cpu_grew: Vec::new(), sites_grew: Vec::new() }
}

/// Whether two figures are equal up to float noise.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPSILON * a.abs().max(b.abs()).max(1.0)
}

fn relative_change(base: f64, new: f64) -> Option<f64> {
    if same(base, new) {
        Some(0.0)
    } else if base == 0.0 {
        None
    } else {
        Some((new - base) / base.abs())
    }
}

fn compare_alloc(metric: Metric, base: Option<f64>, new: Option<f64>, limit: Limit) -> MetricComparison {
    let (change, status) = match (base, new) {
        (Some(b), Some(n)) => {
            // An ungated figure that rose is `regressed` with `gated: false`, as time is: the
            // metric says it moved; only gated metrics decide the benchmark.
            let rose = n > b && !same(b, n);
            let status = if limit.exceeded(b, n) || (!limit.is_gated() && rose) {
                Status::Regressed
            } else if n < b && !same(b, n) {
                Status::Improved
            } else {
                Status::Pass
            };
            (relative_change(b, n), status)
        }
        (None, Some(_)) => (None, Status::New),
        (_, None) => (None, Status::Missing),
    };
    MetricComparison {
        metric,
        base,
        new,
        change,
        limit: limit.to_string(),
        gated: limit.is_gated(),
        status,
        p_value: None,
    }
}

fn compare_time(id: &str, base: Option<&Benchmark>, new: Option<&Benchmark>, policy: &Policy) -> MetricComparison {
    let noise = policy.time_noise(id);
    let gated = policy.fail_on_time(id);
    let typical = |b: Option<&Benchmark>| b.and_then(|b| b.time).map(|t| t.typical_ns);
    let not_compared = |status: Status| MetricComparison {
        metric: Metric::Time,
        base: typical(base),
        new: typical(new),
        change: None,
        limit: "not measured".into(),
        gated: false,
        status,
        p_value: None,
    };
    let (Some(b), Some(n)) = (base, new.filter(|n| n.alloc.is_some())) else {
        return not_compared(if base.is_none() { Status::New } else { Status::Missing });
    };
    let Some(test) = stats::welch(&b.time_samples_ns, &n.time_samples_ns) else {
        return not_compared(Status::Pass);
    };
    let change = relative_change(test.base_mean, test.new_mean);
    let significant = test.p < TIME_ALPHA;
    let status = match change {
        Some(c) if significant && c > noise => Status::Regressed,
        Some(c) if significant && c < -noise => Status::Improved,
        _ => Status::Pass,
    };
    MetricComparison {
        metric: Metric::Time,
        base: Some(test.base_mean),
        new: Some(test.new_mean),
        change,
        limit: format!("p<{TIME_ALPHA} & >{}", Limit::Relative(noise)),
        gated,
        status,
        p_value: Some(test.p),
    }
}

/// Welch's t-test and the Student t distribution.
pub mod stats {
    /// The result of Welch's two-sample t-test.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Welch {
        pub base_mean: f64,
        pub new_mean: f64,
        /// Positive when the new mean is larger.
        pub t: f64,
        /// Welch–Satterthwaite degrees of freedom.
        pub df: f64,
        /// Two-tailed p-value.
        pub p: f64,
    }

    fn mean_and_variance(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let variance = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, variance)
    }

    /// Welch's two-tailed t-test of `new` against `base`; `None` with fewer than two samples
    /// on a side. Two constant samples give p = 1 when their values are equal, else p = 0.
    pub fn welch(base: &[f64], new: &[f64]) -> Option<Welch> {
        if base.len() < 2 || new.len() < 2 {
            return None;
        }
        let (base_mean, base_var) = mean_and_variance(base);
        let (new_mean, new_var) = mean_and_variance(new);
        let (se_base, se_new) = (base_var / base.len() as f64, new_var / new.len() as f64);
        let se2 = se_base + se_new;
        let diff = new_mean - base_mean;
        if se2 == 0.0 {
            let df = (base.len() + new.len() - 2) as f64;
            return Some(if diff == 0.0 {
                Welch { base_mean, new_mean, t: 0.0, df, p: 1.0 }
            } else {
                Welch { base_mean, new_mean, t: diff.signum() * f64::INFINITY, df, p: 0.0 }
            });
        }
        let t = diff / se2.sqrt();
        let df = se2 * se2 / (se_base * se_base / (base.len() - 1) as f64 + se_new * se_new / (new.len() - 1) as f64);
        Some(Welch { base_mean, new_mean, t, df, p: student_t_two_tailed(t, df) })
    }

    /// P(|T| >= |t|) for Student's t with `df` degrees of freedom:
    /// `I_{df/(df+t²)}(df/2, 1/2)`.
    pub fn student_t_two_tailed(t: f64, df: f64) -> f64 {
        if t.is_nan() || df.is_nan() || df <= 0.0 {
            return f64::NAN;
        }
        if t.is_infinite() {
            return 0.0;
        }
        regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    }

    /// The regularized incomplete beta function `I_x(a, b)`, for `a, b > 0` and `0 <= x <= 1`,
    /// by its continued fraction (Numerical Recipes, 3rd ed., §6.4), evaluated with the
    /// modified Lentz method; accurate to about 1e-14 for the arguments used here.
    pub fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        if x >= 1.0 {
            return 1.0;
        }
        let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p();
        let front = ln_front.exp();
        // The continued fraction converges fast for x < (a+1)/(a+b+2); else use the symmetry
        // I_x(a, b) = 1 - I_{1-x}(b, a).
        if x < (a + 1.0) / (a + b + 2.0) {
            front * beta_continued_fraction(a, b, x) / a
        } else {
            1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
        }
    }

    fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
        const TINY: f64 = 1e-300;
        const EPS: f64 = 1e-16;
        let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
        let mut c = 1.0;
        let mut d = 1.0 - qab * x / qap;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        let mut h = d;
        for m in 1..=1000 {
            let m = f64::from(m);
            let m2 = 2.0 * m;
            // Even step.
            let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
            // Odd step.
            let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < EPS {
                break;
            }
        }
        h
    }

    /// `ln Γ(x)` for `x > 0`, by the Lanczos approximation (g = 7, 9 terms; relative error
    /// about 1e-15), with the reflection formula below 0.5.
    pub fn ln_gamma(x: f64) -> f64 {
        const G: f64 = 7.0;
        const COEFFICIENTS: [f64; 9] = [
            0.999_999_999_999_809_9,
            676.520_368_121_885_1,
            -1_259.139_216_722_402_8,
            771.323_428_777_653_1,
            -176.615_029_162_140_6,
            12.507_343_278_686_905,
            -0.138_571_095_265_720_12,
            9.984_369_578_019_572e-6,
            1.505_632_735_149_311_6e-7,
        ];
        if x < 0.5 {
            // Γ(x) Γ(1-x) = π / sin(πx)
            let pi = std::f64::consts::PI;
            return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
        }
        let x = x - 1.0;
        let mut sum = COEFFICIENTS[0];
        for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
            sum += c / (x + i as f64);
        }
        let t = x + G + 0.5;
        0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::stats::*;
    use super::*;
    use crate::report::{AllocFigures, Artifacts, Environment, TimeFigures};

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn ln_gamma_known_values() {
        let pi = std::f64::consts::PI;
        assert!(close(ln_gamma(0.5), pi.sqrt().ln(), 1e-14));
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        // Γ(10.5) = 654729075 √π / 1024
        assert!(close(ln_gamma(10.5), (654_729_075.0 * pi.sqrt() / 1024.0).ln(), 1e-12));
        assert!(close(ln_gamma(171.0), 706.573_062_245_787_4, 1e-9));
        // Γ(0.25) = 3.625609908221908...
        assert!(close(ln_gamma(0.25), 3.625_609_908_221_908f64.ln(), 1e-13));
    }

    #[test]
    fn incomplete_beta_closed_forms() {
        for &x in &[0.001, 0.1, 0.37, 0.5, 0.9, 0.999] {
            for &a in &[0.5, 1.0, 2.5, 10.0, 50.0] {
                // I_x(a, 1) = x^a; I_x(1, b) = 1 - (1-x)^b
                assert!(close(regularized_incomplete_beta(a, 1.0, x), x.powf(a), 1e-13), "a={a} x={x}");
                assert!(close(regularized_incomplete_beta(1.0, a, x), 1.0 - (1.0 - x).powf(a), 1e-13), "b={a} x={x}");
            }
        }
        for &a in &[0.5, 3.0, 40.0] {
            assert!(close(regularized_incomplete_beta(a, a, 0.5), 0.5, 1e-13));
        }
        assert_eq!(regularized_incomplete_beta(2.0, 3.0, 0.0), 0.0);
        assert_eq!(regularized_incomplete_beta(2.0, 3.0, 1.0), 1.0);
    }

    #[test]
    fn student_t_closed_forms() {
        let pi = std::f64::consts::PI;
        for &t in &[0.0, 0.1, 1.0, 2.5, 10.0, 100.0] {
            // df = 1 is Cauchy: p = 1 - (2/π) atan|t|; df = 2: p = 1 - |t| / sqrt(2 + t²)
            assert!(close(student_t_two_tailed(t, 1.0), 1.0 - 2.0 / pi * f64::atan(t), 1e-13), "t={t}");
            assert!(close(student_t_two_tailed(-t, 2.0), 1.0 - t / (2.0 + t * t).sqrt(), 1e-13), "t={t}");
        }
        assert_eq!(student_t_two_tailed(f64::INFINITY, 3.0), 0.0);
    }

    #[test]
    fn student_t_table_values() {
        // Critical values from the Student t table: P(|T| > t) = 0.05 or 0.01.
        for (t, df, p) in [
            (12.706_204_736, 1.0, 0.05),
            (2.228_138_852, 10.0, 0.05),
            (2.042_272_456, 30.0, 0.05),
            (4.032_142_984, 5.0, 0.01),
        ] {
            assert!(close(student_t_two_tailed(t, df), p, 1e-9), "t={t} df={df}");
        }
        // Non-integer degrees of freedom, as Welch's test gives; reference values by numerical
        // integration of the t density (Simpson, 2e6 steps, in Python).
        assert!(close(student_t_two_tailed(1.5, 3.7), 0.213_598_169_202, 1e-9));
        assert!(close(student_t_two_tailed(0.3, 7.25), 0.772_596_833_764, 1e-9));
    }

    #[test]
    fn welch_textbook_examples() {
        // The two examples of Wikipedia's "Welch's t-test" article (t, ν, p = -2.46, 24.99,
        // 0.021 and -1.57, 9.90, 0.149); the digits beyond those are from an independent
        // computation (Python: the statistic by hand, p by numerical integration).
        let a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        let a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        let w = welch(&a2, &a1).unwrap();
        assert!(close(w.t, -2.455_356_398_286, 1e-9), "{w:?}");
        assert!(close(w.df, 24.988_529_290_231, 1e-9), "{w:?}");
        assert!(close(w.p, 0.021_378_001_463, 1e-9), "{w:?}");

        let b1 = [17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8];
        let b2 = [
            21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5, 23.6, 21.5, 22.5, 23.5,
            21.5, 21.8,
        ];
        let w = welch(&b2, &b1).unwrap();
        assert!(close(w.t, -1.565_433_523_599, 1e-9), "{w:?}");
        assert!(close(w.df, 9.904_741_248_651, 1e-9), "{w:?}");
        assert!(close(w.p, 0.148_841_696_605, 1e-9), "{w:?}");
    }

    #[test]
    fn welch_edge_cases() {
        assert_eq!(welch(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(welch(&[1.0, 2.0], &[]), None);
        assert_eq!(welch(&[5.0, 5.0], &[5.0, 5.0, 5.0]).unwrap().p, 1.0);
        assert_eq!(welch(&[5.0, 5.0], &[6.0, 6.0]).unwrap().p, 0.0);
    }

    /// Deterministic samples around `mean` with relative spread `noise` (xorshift).
    fn samples(seed: u64, n: usize, mean: f64, noise: f64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
                mean * (1.0 + noise * (2.0 * unit - 1.0))
            })
            .collect()
    }

    fn figures(objects: f64, space: f64) -> AllocFigures {
        AllocFigures {
            alloc_objects: objects,
            alloc_space: space,
            free_objects: objects,
            free_space: space,
            inuse_objects: 0.0,
            inuse_space: 0.0,
            reallocs: 0.0,
            peak_space: space,
            exact: true,
            approximate: false,
        }
    }

    fn bench(id: &str, alloc: AllocFigures, time: Vec<f64>) -> Benchmark {
        Benchmark {
            id: id.into(),
            package: "p".into(),
            target: "t".into(),
            alloc: Some(alloc),
            time: (!time.is_empty()).then(|| TimeFigures {
                typical_ns: time.iter().sum::<f64>() / time.len() as f64,
                ..TimeFigures::default()
            }),
            artifacts: Artifacts::default(),
            cpu: None,
            error: None,
            time_samples_ns: time,
            cpu_folded: String::new(),
            sites: Vec::new(),
            heap_stacks: Vec::new(),
        }
    }

    fn env() -> Environment {
        Environment {
            rustc: "rustc 1.95.0".into(),
            target: "x86_64-unknown-linux-gnu".into(),
            profile: "bench".into(),
            allocator: "System".into(),
            cpu: "cpu".into(),
            ..Environment::default()
        }
    }

    fn baseline(benchmarks: Vec<Benchmark>) -> Baseline {
        Baseline { schema_version: 1, name: "main".into(), environment: env(), benchmarks }
    }

    fn run(benchmarks: Vec<Benchmark>) -> Report {
        Report { schema_version: 1, environment: env(), benchmarks, comparison: None, verdict: Verdict::Pass }
    }

    #[test]
    fn a_a_passes() {
        let benches = vec![
            bench("a", figures(3.0, 256.0), samples(1, 100, 1000.0, 0.01)),
            bench("b", figures(1.0 / 3.0, 1000.0 / 3.0), vec![]),
        ];
        let c = compare(&baseline(benches.clone()), &run(benches), &Policy::default());
        assert_eq!(c.verdict(), Verdict::Pass);
        assert!(c.benchmarks.iter().all(|b| b.status == Status::Pass), "{c:#?}");
        assert!(c.warnings.is_empty());
        assert_eq!(c.summary_line(), "0 regressed, 0 improved, 2 passed, 0 new, 0 missing against baseline `main`");
        let a = c.get("a").unwrap().metric(Metric::AllocSpace).unwrap();
        assert_eq!(
            (a.base, a.new, a.change, a.limit.as_str(), a.gated),
            (Some(256.0), Some(256.0), Some(0.0), "0", true)
        );
        let time = c.get("a").unwrap().metric(Metric::Time).unwrap();
        assert_eq!(time.p_value, Some(1.0));
        assert_eq!(time.limit, "p<0.05 & >2%");
        let time = c.get("b").unwrap().metric(Metric::Time).unwrap();
        assert_eq!((time.limit.as_str(), time.status, time.change), ("not measured", Status::Pass, None));
    }

    #[test]
    fn fractions_compare_equal_despite_float_noise() {
        // 1/3 computed two ways differs in the last bit.
        let one_third = 1.0 / 3.0;
        let also_one_third = 1000.0 / 3000.0 * (1.0 + f64::EPSILON);
        assert_ne!(one_third, also_one_third);
        let c = compare(
            &baseline(vec![bench("a", figures(one_third, 0.1 + 0.2), vec![])]),
            &run(vec![bench("a", figures(also_one_third, 0.3), vec![])]),
            &Policy::default(),
        );
        assert_eq!(c.benchmarks[0].status, Status::Pass, "{c:#?}");
        assert_eq!(c.benchmarks[0].metric(Metric::AllocObjects).unwrap().change, Some(0.0));
    }

    #[test]
    fn one_more_allocation_regresses() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(3.0, 192.0), vec![])]),
            &Policy::default(),
        );
        assert_eq!(c.verdict(), Verdict::Regressed);
        let b = &c.benchmarks[0];
        assert_eq!(b.status, Status::Regressed);
        let objects = b.metric(Metric::AllocObjects).unwrap();
        assert_eq!((objects.base, objects.new, objects.change), (Some(2.0), Some(3.0), Some(0.5)));
        assert_eq!(objects.status, Status::Regressed);
        // Not gated by default: reported as moved, with its change, and it decides nothing.
        let free = b.metric(Metric::FreeObjects).unwrap();
        assert_eq!(
            (free.status, free.gated, free.limit.as_str(), free.change),
            (Status::Regressed, false, "none", Some(0.5))
        );
        assert_eq!(c.summary_line(), "1 regressed, 0 improved, 0 passed, 0 new, 0 missing against baseline `main`");
    }

    #[test]
    fn one_fewer_allocation_improves() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(1.0, 64.0), vec![])]),
            &Policy::default(),
        );
        assert_eq!(c.verdict(), Verdict::Pass);
        assert_eq!(c.benchmarks[0].status, Status::Improved);
        let m = c.benchmarks[0].metric(Metric::AllocObjects).unwrap();
        assert_eq!((m.status, m.change), (Status::Improved, Some(-0.5)));
        assert_eq!(c.summary_line(), "0 regressed, 1 improved, 0 passed, 0 new, 0 missing against baseline `main`");
    }

    #[test]
    fn limits_apply_per_benchmark() {
        let mut policy = Policy::default();
        policy.add_limit("fanout/*:alloc_objects=+1").unwrap();
        policy.add_limit("alloc_space=50%").unwrap();
        let c = compare(
            &baseline(vec![
                bench("fanout/10", figures(2.0, 128.0), vec![]),
                bench("other", figures(2.0, 128.0), vec![]),
            ]),
            &run(vec![bench("fanout/10", figures(3.0, 192.0), vec![]), bench("other", figures(3.0, 192.0), vec![])]),
            &policy,
        );
        let fanout = c.get("fanout/10").unwrap();
        assert_eq!(fanout.status, Status::Pass, "{fanout:#?}");
        assert_eq!(fanout.metric(Metric::AllocObjects).unwrap().limit, "+1");
        assert_eq!(fanout.metric(Metric::AllocSpace).unwrap().limit, "50%");
        let other = c.get("other").unwrap();
        assert_eq!(other.status, Status::Regressed);
        assert_eq!(other.metric(Metric::AllocObjects).unwrap().status, Status::Regressed);
        assert_eq!(other.metric(Metric::AllocSpace).unwrap().status, Status::Pass);
    }

    #[test]
    fn from_zero_any_increase_regresses_and_change_is_null() {
        let mut policy = Policy::default();
        policy.add_limit("alloc_objects=10%").unwrap();
        let c = compare(
            &baseline(vec![bench("a", figures(0.0, 0.0), vec![])]),
            &run(vec![bench("a", figures(1.0, 0.0), vec![])]),
            &policy,
        );
        let m = c.benchmarks[0].metric(Metric::AllocObjects).unwrap();
        assert_eq!((m.status, m.change), (Status::Regressed, None));
    }

    #[test]
    fn new_and_missing_are_listed_and_do_not_fail() {
        let c = compare(
            &baseline(vec![bench("kept", figures(1.0, 8.0), vec![]), bench("gone", figures(1.0, 8.0), vec![])]),
            &run(vec![bench("added", figures(5.0, 80.0), vec![]), bench("kept", figures(1.0, 8.0), vec![])]),
            &Policy::default(),
        );
        let ids: Vec<(&str, Status)> = c.benchmarks.iter().map(|b| (b.id.as_str(), b.status)).collect();
        assert_eq!(ids, vec![("added", Status::New), ("kept", Status::Pass), ("gone", Status::Missing)]);
        assert_eq!(c.verdict(), Verdict::Pass);
        let added = c.get("added").unwrap().metric(Metric::AllocObjects).unwrap();
        assert_eq!((added.base, added.new, added.status), (None, Some(5.0), Status::New));
        let gone = c.get("gone").unwrap().metric(Metric::AllocObjects).unwrap();
        assert_eq!((gone.base, gone.new, gone.status), (Some(1.0), None, Status::Missing));
        assert_eq!(c.summary_line(), "0 regressed, 0 improved, 1 passed, 1 new, 1 missing against baseline `main`");
    }

    #[test]
    fn a_benchmark_without_figures_in_the_run_is_missing() {
        let mut failed = bench("a", figures(1.0, 8.0), vec![]);
        failed.alloc = None;
        failed.error = Some("timed out".into());
        let c = compare(&baseline(vec![bench("a", figures(1.0, 8.0), vec![])]), &run(vec![failed]), &Policy::default());
        assert_eq!(c.benchmarks.len(), 1);
        assert_eq!(c.benchmarks[0].status, Status::Missing);
    }

    #[test]
    fn identical_time_distributions_pass() {
        // 20 A/A comparisons with independent noise: none may flag time.
        for seed in 0..20 {
            let base = bench("a", figures(1.0, 8.0), samples(seed, 100, 1000.0, 0.05));
            let new = bench("a", figures(1.0, 8.0), samples(seed + 100, 100, 1000.0, 0.05));
            let mut policy = Policy::default();
            policy.set_fail_on_time(true);
            let c = compare(&baseline(vec![base]), &run(vec![new]), &policy);
            let time = c.benchmarks[0].metric(Metric::Time).unwrap();
            assert_eq!(time.status, Status::Pass, "seed {seed}: {time:?}");
            assert_eq!(c.verdict(), Verdict::Pass);
        }
    }

    #[test]
    fn a_ten_percent_slowdown_is_reported_and_gated_only_on_request() {
        let base = bench("a", figures(1.0, 8.0), samples(1, 100, 1000.0, 0.01));
        let new = bench("a", figures(1.0, 8.0), samples(2, 100, 1100.0, 0.01));
        let c = compare(&baseline(vec![base.clone()]), &run(vec![new.clone()]), &Policy::default());
        let time = c.benchmarks[0].metric(Metric::Time).unwrap();
        assert_eq!((time.status, time.gated), (Status::Regressed, false));
        assert!(time.p_value.unwrap() < 1e-10);
        assert!(close(time.change.unwrap(), 0.1, 0.005), "{time:?}");
        assert_eq!(c.benchmarks[0].status, Status::Pass);
        assert_eq!(c.verdict(), Verdict::Pass);
        assert_eq!(
            c.summary_line(),
            "0 regressed, 0 improved, 1 passed, 0 new, 0 missing against baseline `main`; 1 slower in time (not gated)"
        );

        let mut policy = Policy::default();
        policy.set_fail_on_time(true);
        let c = compare(&baseline(vec![base.clone()]), &run(vec![new.clone()]), &policy);
        assert_eq!(c.benchmarks[0].status, Status::Regressed);
        assert_eq!(c.verdict(), Verdict::Regressed);

        // Faster is an improvement of the time metric; of the benchmark only when time is gated.
        let c = compare(&baseline(vec![new.clone()]), &run(vec![base.clone()]), &Policy::default());
        assert_eq!(c.benchmarks[0].metric(Metric::Time).unwrap().status, Status::Improved);
        assert_eq!(c.benchmarks[0].status, Status::Pass);
        let c = compare(&baseline(vec![new]), &run(vec![base]), &policy);
        assert_eq!(c.benchmarks[0].status, Status::Improved);
    }

    #[test]
    fn a_significant_change_below_the_noise_floor_passes() {
        // 1 % slower with very little noise: significant, but under the 2 % floor.
        let base = bench("a", figures(1.0, 8.0), samples(1, 100, 1000.0, 0.001));
        let new = bench("a", figures(1.0, 8.0), samples(2, 100, 1010.0, 0.001));
        let mut policy = Policy::default();
        policy.set_fail_on_time(true);
        let c = compare(&baseline(vec![base]), &run(vec![new]), &policy);
        let time = c.benchmarks[0].metric(Metric::Time).unwrap();
        assert!(time.p_value.unwrap() < 0.05);
        assert_eq!(time.status, Status::Pass);
    }

    #[test]
    fn another_toolchain_or_target_warns() {
        let benches = vec![bench("a", figures(1.0, 8.0), vec![])];
        let mut report = run(benches.clone());
        report.environment.rustc = "rustc 1.96.0".into();
        report.environment.target = "aarch64-apple-darwin".into();
        report.environment.cpu = "other cpu".into();
        let c = compare(&baseline(benches), &report, &Policy::default());
        assert_eq!(
            c.warnings,
            vec![
                "baseline `main` was measured with toolchain `rustc 1.95.0`, this run with `rustc 1.96.0`: allocations still compare, time may not",
                "baseline `main` was measured with target `x86_64-unknown-linux-gnu`, this run with `aarch64-apple-darwin`: allocations still compare, time may not",
                "baseline `main` was measured on CPU `cpu`, this run on `other cpu`: time may not compare",
            ]
        );
        assert_eq!(c.verdict(), Verdict::Pass);
    }

    #[test]
    fn an_inexact_regression_warns_with_a_limit_to_allow_it() {
        let mut varied = figures(2.0, 100.0);
        varied.exact = false;
        let c = compare(
            &baseline(vec![bench("map/[big]", figures(2.0, 100.0), vec![])]),
            &run(vec![bench("map/[big]", varied, vec![])]),
            &{
                let mut p = Policy::default();
                p.add_limit("alloc_objects=none").unwrap();
                p
            },
        );
        assert_eq!(c.benchmarks[0].status, Status::Pass);
        assert!(c.warnings.is_empty());
        let mut more = varied;
        more.alloc_space = 101.0;
        let c = compare(
            &baseline(vec![bench("map/[big]", figures(2.0, 100.0), vec![])]),
            &run(vec![bench("map/[big]", more, vec![])]),
            &Policy::default(),
        );
        assert_eq!(
            c.warnings,
            vec!["`map/[big]`: allocation figures varied between samples, so its alloc_space regression may be noise; allow it with a limit such as `--limit 'map/[[]big[]]:alloc_space=5%'`"]
        );
    }

    #[test]
    fn serializes_in_the_report_vocabulary() {
        let c = compare(
            &baseline(vec![bench("a", figures(2.0, 128.0), vec![])]),
            &run(vec![bench("a", figures(3.0, 128.0), vec![])]),
            &Policy::default(),
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["baseline"], "main");
        assert_eq!(json["benchmarks"][0]["status"], "regressed");
        let objects = &json["benchmarks"][0]["metrics"][0];
        assert_eq!(
            objects,
            &serde_json::json!({
                "metric": "alloc_objects", "base": 2.0, "new": 3.0, "change": 0.5, "limit": "0",
                "gated": true, "status": "regressed", "p_value": null
            })
        );
        let back: Comparison = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
