//! How well a score made before an election predicts what happened at it: the measures of the
//! back-test (score from 2017, truth from 2022).

use serde::Serialize;

/// Pearson correlation (NaN when either side is constant or the lengths differ).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    if n != y.len() || n < 2 {
        return f64::NAN;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b) = (x[i] - mx, y[i] - my);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

/// Ranks from 1, ties sharing their average rank.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[idx[k]] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// The indices of the top `share` of `x` (at least one), highest first, ties by index.
pub fn top(x: &[f64], share: f64) -> Vec<usize> {
    let k = ((x.len() as f64 * share).round() as usize).clamp(1, x.len().max(1));
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[b].total_cmp(&x[a]).then(a.cmp(&b)));
    idx.truncate(k.min(x.len()));
    idx
}

/// Share of the predicted top `share` that is in the true top `share` (top-decile precision
/// for `share` = 0.1).
pub fn top_precision(predicted: &[f64], truth: &[f64], share: f64) -> f64 {
    if predicted.is_empty() || predicted.len() != truth.len() {
        return f64::NAN;
    }
    let p = top(predicted, share);
    let t: std::collections::HashSet<usize> = top(truth, share).into_iter().collect();
    p.iter().filter(|i| t.contains(i)).count() as f64 / p.len() as f64
}

/// Budget capture: bureaux are taken in decreasing predicted rate until `budget_share` of all
/// doors is spent; returns the true counts they hold divided by what the best possible plan
/// of the same budget (taking bureaux by their true rate) holds.
pub fn capture(predicted_rate: &[f64], true_rate: &[f64], doors: &[f64], budget_share: f64) -> f64 {
    let n = predicted_rate.len();
    if n == 0 || true_rate.len() != n || doors.len() != n {
        return f64::NAN;
    }
    let budget = budget_share * doors.iter().sum::<f64>();
    let take = |by: &[f64]| {
        let mut idx: Vec<usize> = (0..n).collect();
        idx.sort_by(|&a, &b| by[b].total_cmp(&by[a]).then(a.cmp(&b)));
        let (mut spent, mut got) = (0.0, 0.0);
        for i in idx {
            if spent + doors[i] > budget {
                break;
            }
            spent += doors[i];
            got += true_rate[i] * doors[i];
        }
        got
    };
    let best = take(true_rate);
    if best > 0.0 {
        take(predicted_rate) / best
    } else {
        f64::NAN
    }
}

/// The measures of one score against one truth.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestScores {
    pub bureaux: usize,
    pub pearson: f64,
    pub spearman: f64,
    pub top_decile_precision: f64,
    /// Budget capture with 10 % of the doors.
    pub capture_10: f64,
    /// Budget capture with 25 % of the doors.
    pub capture_25: f64,
}

/// All measures at once.
pub fn backtest(predicted: &[f64], truth: &[f64], doors: &[f64]) -> BacktestScores {
    BacktestScores {
        bureaux: predicted.len(),
        pearson: pearson(predicted, truth),
        spearman: spearman(predicted, truth),
        top_decile_precision: top_precision(predicted, truth, 0.1),
        capture_10: capture(predicted, truth, doors, 0.10),
        capture_25: capture(predicted, truth, doors, 0.25),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_measures() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 6.0, 8.0];
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-12);
        assert!((pearson(&x, &[8.0, 6.0, 4.0, 2.0]) + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
        assert!(pearson(&x, &[1.0; 4]).is_nan());
        // Top 50 %: predicted {3, 2}, truth {3, 0} → 1 of 2.
        assert_eq!(top_precision(&x, &[5.0, 0.0, 1.0, 9.0], 0.5), 0.5);
        // Capture: doors 1 each, budget 50 % = 2 doors. Truth rates [.5, 0, .1, .9]; the best
        // plan takes 3 and 0 (1.4); the predicted order takes 3 and 2 (1.0).
        let c = capture(&x, &[0.5, 0.0, 0.1, 0.9], &[1.0; 4], 0.5);
        assert!((c - 1.0 / 1.4).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn measures_stay_in_their_ranges(v in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0, 1.0f64..500.0), 3..80)) {
            let (p, t, d): (Vec<f64>, Vec<f64>, Vec<f64>) = (v.iter().map(|x| x.0).collect(), v.iter().map(|x| x.1).collect(), v.iter().map(|x| x.2).collect());
            let s = backtest(&p, &t, &d);
            for r in [s.pearson, s.spearman] {
                prop_assert!(r.is_nan() || (-1.0 - 1e-9..=1.0 + 1e-9).contains(&r));
            }
            prop_assert!((0.0..=1.0).contains(&s.top_decile_precision));
            // A perfect prediction captures everything.
            let perfect = capture(&t, &t, &d, 0.25);
            prop_assert!(perfect.is_nan() || (perfect - 1.0).abs() < 1e-12);
        }
    }
}
