//! The statistical tests behind time comparisons: Welch's t-test on one run's samples against
//! another's, and an exact permutation test on per-run typical times (`--runs`), with the Student
//! t distribution they need.

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

/// The result of an exact two-sample permutation test on the difference of means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Permutation {
    pub base_mean: f64,
    pub new_mean: f64,
    /// Two-tailed: the share of all ways to split the pooled values into groups of the two
    /// sizes whose difference of means is at least as far from zero as the observed one.
    pub p: f64,
}

/// The most values [`permutation`] takes in all: 2^20 splits to enumerate.
pub const PERMUTATION_MAX: usize = 20;

/// Exact two-tailed permutation test of `new` against `base` on the difference of means; `None`
/// with fewer than two values on a side or more than [`PERMUTATION_MAX`] in all. It assumes
/// only that, without a change, every split of the pooled values was as likely: true of whole
/// runs, whose speed drifts together, where Welch's test on one run's samples is not valid. The
/// smallest p it can give is 2 / C(n + m, n): 0.1 with 3 values a side, 0.008 with 5.
pub fn permutation(base: &[f64], new: &[f64]) -> Option<Permutation> {
    let (n, m) = (base.len(), new.len());
    if n < 2 || m < 2 || n + m > PERMUTATION_MAX {
        return None;
    }
    let pooled: Vec<f64> = base.iter().chain(new).copied().collect();
    let total: f64 = pooled.iter().sum();
    let mean_gap = |new_sum: f64| new_sum / m as f64 - (total - new_sum) / n as f64;
    let observed = mean_gap(new.iter().sum()).abs();
    // Ties in floating point: a split as extreme as the observed one up to rounding counts.
    let tolerance = 1e-9 * observed.max(f64::MIN_POSITIVE);
    let (mut splits, mut extreme) = (0u64, 0u64);
    for mask in 0u32..(1 << (n + m)) {
        if mask.count_ones() as usize != m {
            continue;
        }
        splits += 1;
        let new_sum: f64 = (0..n + m).filter(|i| mask & (1 << i) != 0).map(|i| pooled[i]).sum();
        if mean_gap(new_sum).abs() >= observed - tolerance {
            extreme += 1;
        }
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    Some(Permutation { base_mean: mean(base), new_mean: mean(new), p: extreme as f64 / splits as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn permutation_exact_p_values() {
        // Fully separated groups: only the observed split and its mirror are as extreme.
        let p = permutation(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert!(close(p.p, 2.0 / 20.0, 1e-12), "{p:?}");
        assert_eq!((p.base_mean, p.new_mean), (2.0, 5.0));
        let p = permutation(&[10.0, 11.0, 12.0, 13.0, 14.0], &[15.0, 16.0, 17.0, 18.0, 19.0]).unwrap();
        assert!(close(p.p, 2.0 / 252.0, 1e-12), "{p:?}");
        // Unequal sizes: C(6, 2) = 15 splits. With S the sum of the pair called new, the gap is
        // (3S - 25) / 4 and the observed one 5: only S = 15 ({7, 8}) reaches it; the mirror
        // ({1, 2}: -4.75) does not.
        let p = permutation(&[1.0, 2.0, 3.0, 4.0], &[7.0, 8.0]).unwrap();
        assert!(close(p.p, 1.0 / 15.0, 1e-12), "{p:?}");
        // The same values on both sides: every split is at least as extreme as a gap of zero.
        assert_eq!(permutation(&[5.0, 5.0, 5.0], &[5.0, 5.0, 5.0]).unwrap().p, 1.0);
        // Interleaved values: no evidence of a change.
        assert!(permutation(&[1.0, 3.0, 5.0, 7.0], &[2.0, 4.0, 6.0, 8.0]).unwrap().p > 0.5);
    }

    #[test]
    fn permutation_refuses_too_few_or_too_many() {
        assert_eq!(permutation(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(permutation(&[1.0, 2.0], &[]), None);
        assert_eq!(permutation(&[1.0; 11], &[2.0; 10]), None);
        assert!(permutation(&[1.0; 10], &[2.0; 10]).is_some());
    }
}
