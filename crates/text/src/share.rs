//! Weighted shares of respondents with 95 % intervals.
//!
//! The estimate is the weighted proportion p̂ = Σ wᵢyᵢ / Σ wᵢ. Its variance is the
//! linearised (Taylor) variance of a ratio under with-replacement sampling of respondents,
//! v = n/(n−1) · Σ wᵢ²(yᵢ − p̂)² / (Σ wᵢ)², which is what R's `survey::svymean` gives for a
//! design with weights only (no strata, no clusters). The interval is Wilson's score
//! interval on the effective sample size n* = p̂(1−p̂)/v (Kish's idea; it keeps the bounds
//! inside [0, 1] and behaves for shares near 0 or 1). Clustering by area is not known
//! here: the caller who has it should use `terrain-stats`.

use serde::Serialize;

use crate::error::TextError;

/// A weighted proportion with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// Weighted share, from 0 to 1.
    pub estimate: f64,
    /// Lower bound of the interval.
    pub lower: f64,
    /// Upper bound of the interval.
    pub upper: f64,
    /// Linearised standard error.
    pub std_error: f64,
    /// Respondents counted (unweighted).
    pub n: usize,
    /// Respondents with the property (unweighted).
    pub count: usize,
    /// Effective sample size used for the interval.
    pub n_effective: f64,
}

/// Normal quantile for a two-sided interval at `confidence` (0.90, 0.95 or 0.99 exactly;
/// others by Acklam's rational approximation, error below 1.2e-9).
#[must_use]
pub fn z_for(confidence: f64) -> f64 {
    let p = 1.0 - (1.0 - confidence) / 2.0;
    inverse_normal(p)
}

fn inverse_normal(p: f64) -> f64 {
    // Acklam's algorithm
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p_low = 0.02425;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -inverse_normal(1.0 - p)
    }
}

/// Weighted share of `flags` among respondents, with a Wilson interval at `confidence`.
///
/// # Errors
/// [`TextError::LengthMismatch`] when flags and weights differ in length;
/// [`TextError::InvalidOption`] for a negative or non-finite weight or a confidence
/// outside (0, 1).
pub fn weighted_share(
    flags: &[bool],
    weights: &[f64],
    confidence: f64,
) -> Result<Proportion, TextError> {
    if flags.len() != weights.len() {
        return Err(TextError::LengthMismatch {
            what: "weights".into(),
            expected: flags.len(),
            found: weights.len(),
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(TextError::InvalidOption {
            option: "confidence".into(),
            message: format!("{confidence} is not in (0, 1)"),
        });
    }
    if let Some(bad) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return Err(TextError::InvalidOption {
            option: "weights".into(),
            message: format!("weight #{bad} is {}", weights[bad]),
        });
    }
    let n = flags.len();
    let count = flags.iter().filter(|f| **f).count();
    let total: f64 = weights.iter().sum();
    if n == 0 || total <= 0.0 {
        return Ok(Proportion {
            estimate: 0.0,
            lower: 0.0,
            upper: 1.0,
            std_error: 0.0,
            n,
            count,
            n_effective: 0.0,
        });
    }
    let p: f64 = flags
        .iter()
        .zip(weights)
        .filter(|(f, _)| **f)
        .map(|(_, w)| w)
        .sum::<f64>()
        / total;
    let ss: f64 = flags
        .iter()
        .zip(weights)
        .map(|(f, w)| {
            let y = if *f { 1.0 } else { 0.0 };
            (w * (y - p)).powi(2)
        })
        .sum();
    let var = if n > 1 {
        n as f64 / (n as f64 - 1.0) * ss / (total * total)
    } else {
        0.0
    };
    let n_eff = if var > 0.0 {
        p * (1.0 - p) / var
    } else {
        // p is 0 or 1: use Kish's effective size of the weights
        total * total / weights.iter().map(|w| w * w).sum::<f64>()
    };
    let z = z_for(confidence);
    let z2 = z * z;
    let denom = 1.0 + z2 / n_eff;
    let centre = (p + z2 / (2.0 * n_eff)) / denom;
    let half = z * (p * (1.0 - p) / n_eff + z2 / (4.0 * n_eff * n_eff)).sqrt() / denom;
    Ok(Proportion {
        estimate: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
        std_error: var.sqrt(),
        n,
        count,
        n_effective: n_eff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn z_values() {
        assert!((z_for(0.95) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((z_for(0.99) - 2.575_829_303_548_901).abs() < 1e-8);
    }

    #[test]
    fn equal_weights_give_wilson_with_n_minus_one() {
        // 30 of 100: linearised var = p(1-p)/(n-1) -> n* = 99
        let flags: Vec<bool> = (0..100).map(|i| i < 30).collect();
        let s = weighted_share(&flags, &vec![2.5; 100], 0.95).expect("share");
        assert!((s.estimate - 0.3).abs() < 1e-12);
        assert!((s.n_effective - 99.0).abs() < 1e-9);
        assert!((s.std_error - (0.3f64 * 0.7 / 99.0).sqrt()).abs() < 1e-12);
        // Wilson bounds for p = 0.3, n = 99 computed by hand
        let z: f64 = 1.959_963_984_540_054;
        let n = 99.0;
        let c = (0.3 + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let h = z * (0.21 / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
        assert!((s.lower - (c - h)).abs() < 1e-9 && (s.upper - (c + h)).abs() < 1e-9);
    }

    #[test]
    fn weights_move_the_estimate() {
        let s = weighted_share(&[true, false, false], &[3.0, 1.0, 1.0], 0.95).expect("share");
        assert!((s.estimate - 0.6).abs() < 1e-12);
        assert_eq!((s.n, s.count), (3, 1));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            weighted_share(&[true], &[1.0, 2.0], 0.95),
            Err(TextError::LengthMismatch { .. })
        ));
        assert!(weighted_share(&[true], &[-1.0], 0.95).is_err());
        assert!(weighted_share(&[true], &[f64::NAN], 0.95).is_err());
        assert!(weighted_share(&[true], &[1.0], 1.5).is_err());
    }

    proptest! {
        #[test]
        fn interval_contains_estimate_and_stays_in_unit(
            rows in proptest::collection::vec((any::<bool>(), 0.01f64..10.0), 1..200)
        ) {
            let (flags, weights): (Vec<bool>, Vec<f64>) = rows.into_iter().unzip();
            let s = weighted_share(&flags, &weights, 0.95).expect("share");
            prop_assert!(0.0 <= s.lower && s.lower <= s.estimate + 1e-12);
            prop_assert!(s.estimate <= s.upper + 1e-12 && s.upper <= 1.0);
        }

        #[test]
        fn more_respondents_narrow_the_interval(k in 1usize..50) {
            let small: Vec<bool> = (0..100).map(|i| i < 2 * k).collect();
            let large: Vec<bool> = (0..400).map(|i| i < 8 * k).collect();
            let a = weighted_share(&small, &vec![1.0; 100], 0.95).expect("share");
            let b = weighted_share(&large, &vec![1.0; 400], 0.95).expect("share");
            prop_assert!(b.upper - b.lower < a.upper - a.lower);
        }
    }
}
