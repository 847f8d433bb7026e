//! Weighted estimates for closed questions: means and category shares with 95 % confidence
//! intervals that account for the weights, the clustering of respondents by area and, when
//! the weights were calibrated, the calibration (Taylor linearisation with the residuals of
//! the estimating function on the calibration variables — what R `survey::svymean` does on a
//! calibrated `svydesign(ids = ~area, weights = ~d)`), with unweighted counts beside them and
//! small cells suppressed.

use serde::Serialize;

use crate::calibration::CalibrationModel;
use crate::error::{Result, StatsError};
use crate::linalg::solve_psd;

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A survey design for estimation: final weights, the area (primary sampling unit) of each
/// respondent, optional strata of areas, and the calibration model when the weights were
/// calibrated.
#[derive(Debug, Clone, Copy)]
pub struct Design<'a> {
    /// Final weight of each respondent.
    pub weights: &'a [f64],
    /// Cluster (area) index of each respondent; `None` = each respondent is its own cluster.
    pub clusters: Option<&'a [u32]>,
    /// Stratum index of each respondent (constant within a cluster); `None` = one stratum.
    pub strata: Option<&'a [u32]>,
    /// The calibration behind the weights, if any.
    pub calibration: Option<&'a CalibrationModel>,
}

/// One estimated mean or share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// The answer category (frequencies) or the variable (means).
    pub label: String,
    /// Respondents counted (unweighted).
    pub respondents: usize,
    /// Sum of their weights.
    pub weighted: f64,
    /// The weighted mean or share; `None` when suppressed.
    pub estimate: Option<f64>,
    /// Its linearised standard error.
    pub standard_error: Option<f64>,
    /// Lower end of the 95 % interval (shares are kept within [0, 1]).
    pub lower: Option<f64>,
    /// Upper end.
    pub upper: Option<f64>,
    /// Whether the cell was hidden because fewer than the minimum of respondents are in it.
    pub suppressed: bool,
}

impl<'a> Design<'a> {
    fn check(&self) -> Result<()> {
        let n = self.weights.len();
        for (what, v) in [("clusters", self.clusters), ("strata", self.strata)] {
            if let Some(v) = v
                && v.len() != n
            {
                return Err(StatsError::LengthMismatch {
                    what,
                    expected: n,
                    got: v.len(),
                });
            }
        }
        if let Some(c) = self.calibration
            && c.profile_of.len() != n
        {
            return Err(StatsError::LengthMismatch {
                what: "calibration model respondents",
                expected: n,
                got: c.profile_of.len(),
            });
        }
        for (index, &w) in self.weights.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                return Err(StatsError::InvalidValue {
                    what: "weight",
                    index,
                    value: w,
                });
            }
        }
        Ok(())
    }

    /// Variance of Σ x_i, where `x` are the linearised values (weight × influence), after
    /// removing their projection on the calibration variables.
    fn variance(&self, x: &mut [f64]) -> f64 {
        if let Some(model) = self.calibration {
            residualise(model, self.weights, x);
        }
        let n = x.len();
        // Cluster totals, grouped by stratum.
        let mut totals: std::collections::BTreeMap<(u32, u32), f64> = Default::default();
        for i in 0..n {
            let c = self.clusters.map_or(i as u32, |c| c[i]);
            let h = self.strata.map_or(0, |s| s[i]);
            *totals.entry((h, c)).or_insert(0.0) += x[i];
        }
        let mut var = 0.0;
        let mut iter = totals.into_iter().peekable();
        while let Some(((h, _), t)) = iter.next() {
            let mut zs = vec![t];
            while let Some(&((h2, _), t2)) = iter.peek() {
                if h2 != h {
                    break;
                }
                zs.push(t2);
                iter.next();
            }
            let m = zs.len() as f64;
            if zs.len() < 2 {
                continue; // A lonely area contributes nothing (R's "certainty" rule).
            }
            let mean = zs.iter().sum::<f64>() / m;
            var += m / (m - 1.0) * zs.iter().map(|z| (z - mean).powi(2)).sum::<f64>();
        }
        var
    }
}

/// Replaces `x` by `w ⊙ (x/w − M β)`, β the design-weighted least-squares fit of `x/w` on the
/// calibration model matrix `M` (R's `qr.resid(qr(M√d), x/(g√d))·g√d`).
fn residualise(model: &CalibrationModel, weights: &[f64], x: &mut [f64]) {
    let p = model.columns;
    let nv = model.vars;
    let d = &model.design_weights;
    let groups = model.profile_columns.len() / nv.max(1);
    // M'DM on profiles, M'D v per respondent (v = x / w).
    let mut gd = vec![0.0; groups];
    let mut rhs = vec![0.0; p];
    for i in 0..x.len() {
        let g = model.profile_of[i] as usize;
        gd[g] += d[i];
        if weights[i] > 0.0 {
            let v = x[i] / weights[i];
            for &c in &model.profile_columns[g * nv..(g + 1) * nv] {
                if c != u32::MAX {
                    rhs[c as usize] += d[i] * v;
                }
            }
        }
    }
    let mut mtm = vec![0.0; p * p];
    for g in 0..groups {
        let cols = &model.profile_columns[g * nv..(g + 1) * nv];
        for &a in cols {
            for &b in cols {
                if a != u32::MAX && b != u32::MAX {
                    mtm[a as usize * p + b as usize] += gd[g];
                }
            }
        }
    }
    solve_psd(&mut mtm, p, &mut rhs);
    for i in 0..x.len() {
        let g = model.profile_of[i] as usize;
        let mut fit = 0.0;
        for &c in &model.profile_columns[g * nv..(g + 1) * nv] {
            if c != u32::MAX {
                fit += rhs[c as usize];
            }
        }
        x[i] -= weights[i] * fit;
    }
}

/// The weighted mean of `y` over respondents with a value (`Some`) and inside `domain`,
/// with its standard error (domain estimation: the other respondents stay in the design
/// with a zero contribution). `min_respondents` suppresses the estimate when fewer answered.
pub fn weighted_mean(
    design: &Design<'_>,
    label: &str,
    y: &[Option<f64>],
    domain: Option<&[bool]>,
    min_respondents: usize,
) -> Result<Estimate> {
    design.check()?;
    let n = design.weights.len();
    if y.len() != n {
        return Err(StatsError::LengthMismatch {
            what: "answers",
            expected: n,
            got: y.len(),
        });
    }
    let inside = |i: usize| y[i].is_some() && domain.is_none_or(|d| d[i]);
    let (mut sw, mut swy, mut count) = (0.0, 0.0, 0usize);
    for i in 0..n {
        if let (true, Some(v)) = (inside(i), y[i]) {
            sw += design.weights[i];
            swy += design.weights[i] * v;
            count += 1;
        }
    }
    finish(design, label, count, sw, swy, false, min_respondents, |i| {
        if inside(i) { y[i] } else { None }
    })
}

#[allow(clippy::too_many_arguments)]
fn finish(
    design: &Design<'_>,
    label: &str,
    count: usize,
    sw: f64,
    swy: f64,
    share: bool,
    min_respondents: usize,
    value: impl Fn(usize) -> Option<f64>,
) -> Result<Estimate> {
    if count < min_respondents.max(1) || sw <= 0.0 {
        return Ok(Estimate {
            label: label.to_string(),
            respondents: count,
            weighted: sw,
            estimate: None,
            standard_error: None,
            lower: None,
            upper: None,
            suppressed: true,
        });
    }
    let mean = swy / sw;
    let mut x: Vec<f64> = (0..design.weights.len())
        .map(|i| value(i).map_or(0.0, |v| design.weights[i] * (v - mean) / sw))
        .collect();
    let se = design.variance(&mut x).max(0.0).sqrt();
    let (mut lower, mut upper) = (mean - Z95 * se, mean + Z95 * se);
    if share {
        lower = lower.max(0.0);
        upper = upper.min(1.0);
    }
    Ok(Estimate {
        label: label.to_string(),
        respondents: count,
        weighted: sw,
        estimate: Some(mean),
        standard_error: Some(se),
        lower: Some(lower),
        upper: Some(upper),
        suppressed: false,
    })
}

/// Weighted shares of each answer category among respondents who answered (`Some`) and are
/// inside `domain`. `categories` lists the labels of the codes in `answers`. A category with
/// fewer than `min_respondents` respondents is suppressed; so is every category when fewer
/// than `min_respondents` answered at all.
pub fn weighted_frequencies(
    design: &Design<'_>,
    categories: &[String],
    answers: &[Option<u32>],
    domain: Option<&[bool]>,
    min_respondents: usize,
) -> Result<Vec<Estimate>> {
    design.check()?;
    let n = design.weights.len();
    if answers.len() != n {
        return Err(StatsError::LengthMismatch {
            what: "answers",
            expected: n,
            got: answers.len(),
        });
    }
    let inside = |i: usize| answers[i].is_some() && domain.is_none_or(|d| d[i]);
    let mut sw = 0.0;
    let mut total = 0usize;
    let mut cat_w = vec![0.0; categories.len()];
    let mut cat_n = vec![0usize; categories.len()];
    for i in 0..n {
        if let (true, Some(a)) = (inside(i), answers[i]) {
            let a = a as usize;
            if a >= categories.len() {
                return Err(StatsError::UnknownCategory {
                    row: i,
                    variable: "answer".into(),
                    category: format!("#{a}"),
                });
            }
            sw += design.weights[i];
            total += 1;
            cat_w[a] += design.weights[i];
            cat_n[a] += 1;
        }
    }
    let mut out = Vec::with_capacity(categories.len());
    for (k, label) in categories.iter().enumerate() {
        let min = if total < min_respondents {
            usize::MAX
        } else {
            min_respondents
        };
        let mut e = finish(design, label, cat_n[k], sw, cat_w[k], true, min, |i| {
            if inside(i) {
                answers[i].map(|a| if a as usize == k { 1.0 } else { 0.0 })
            } else {
                None
            }
        })?;
        e.weighted = cat_w[k];
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::{
        CalibrationOptions, Method, calibrate, encode_profiles, margins_from_long,
    };

    fn testdata(name: &str) -> String {
        std::fs::read_to_string(format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn rows(name: &str) -> Vec<Vec<String>> {
        testdata(name)
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    /// The R reference data: respondents, margins, weights and svymean results.
    struct Reference {
        resp: Vec<Vec<String>>,
        vars: Vec<crate::calibration::MarginVariable>,
        codes: Vec<u32>,
        d: Vec<f64>,
        clusters: Vec<u32>,
    }

    fn reference() -> Reference {
        let resp = rows("calib-respondents.csv");
        let vars = margins_from_long(
            rows("calib-margins.csv")
                .into_iter()
                .map(|r| (r[0].clone(), r[1].clone(), r[2].parse().unwrap())),
        )
        .unwrap();
        let values: Vec<Vec<&str>> = resp
            .iter()
            .map(|r| vec![r[3].as_str(), r[4].as_str(), r[5].as_str()])
            .collect();
        let codes = encode_profiles(&vars, &values).unwrap();
        let d = resp.iter().map(|r| r[2].parse().unwrap()).collect();
        let mut areas: Vec<&str> = resp.iter().map(|r| r[1].as_str()).collect();
        areas.sort_unstable();
        areas.dedup();
        let clusters = resp
            .iter()
            .map(|r| areas.binary_search(&r[1].as_str()).unwrap() as u32)
            .collect();
        Reference {
            resp,
            vars,
            codes,
            d,
            clusters,
        }
    }

    fn options(name: &str) -> CalibrationOptions {
        match name {
            "raking" => CalibrationOptions {
                method: Method::Raking,
                ..Default::default()
            },
            "linear" => CalibrationOptions {
                method: Method::Linear,
                ..Default::default()
            },
            "logit" => CalibrationOptions {
                method: Method::Logit,
                bounds: Some((0.4, 3.0)),
                ..Default::default()
            },
            "linear_bounded" => CalibrationOptions {
                method: Method::Linear,
                bounds: Some((0.3, 2.5)),
                ..Default::default()
            },
            other => panic!("{other}"),
        }
    }

    #[test]
    fn weights_equal_r_survey_calibrate() {
        let r = reference();
        let expected = rows("calib-weights-reference.csv");
        for (col, name) in ["raking", "linear", "logit", "linear_bounded"]
            .iter()
            .enumerate()
        {
            let cal = calibrate(&r.vars, &r.codes, &r.d, &options(name)).unwrap();
            assert!(cal.converged);
            let mut worst: f64 = 0.0;
            for (i, row) in expected.iter().enumerate() {
                let want: f64 = row[col + 1].parse().unwrap();
                worst = worst.max((cal.weights[i] - want).abs() / want.abs());
            }
            assert!(worst < 1e-9, "{name}: worst relative difference {worst:e}");
        }
    }

    #[test]
    fn svymean_matches_r_survey_on_calibrated_designs() {
        let r = reference();
        let reference = rows("svymean-reference.csv");
        let q_levels: Vec<String> = vec!["non".into(), "nsp".into(), "oui".into()];
        let q: Vec<Option<u32>> = r
            .resp
            .iter()
            .map(|row| q_levels.iter().position(|l| *l == row[6]).map(|p| p as u32))
            .collect();
        let score: Vec<Option<f64>> = r.resp.iter().map(|row| row[7].parse().ok()).collect();
        let women: Vec<bool> = r.resp.iter().map(|row| row[3] == "F").collect();
        let men: Vec<bool> = women.iter().map(|w| !w).collect();
        let mut checked = 0;
        for name in ["design", "raking", "linear", "logit", "linear_bounded"] {
            let cal = (name != "design")
                .then(|| calibrate(&r.vars, &r.codes, &r.d, &options(name)).unwrap());
            let weights = cal.as_ref().map_or(r.d.clone(), |c| c.weights.clone());
            let design = Design {
                weights: &weights,
                clusters: Some(&r.clusters),
                strata: None,
                calibration: cal.as_ref().map(|c| &c.model),
            };
            let freq = weighted_frequencies(&design, &q_levels, &q, None, 0).unwrap();
            let mean = weighted_mean(&design, "score", &score, None, 0).unwrap();
            let f = weighted_mean(&design, "score", &score, Some(&women), 0).unwrap();
            let h = weighted_mean(&design, "score", &score, Some(&men), 0).unwrap();
            for row in reference.iter().filter(|row| row[0] == name) {
                let got = match row[1].as_str() {
                    "score" => &mean,
                    "score|sex=F" => &f,
                    "score|sex=H" => &h,
                    t => &freq[q_levels.iter().position(|l| format!("q{l}") == t).unwrap()],
                };
                let (m, se): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
                let (gm, gse) = (got.estimate.unwrap(), got.standard_error.unwrap());
                assert!(
                    (gm - m).abs() < 1e-9 * m.abs(),
                    "{name} {}: mean {gm} vs {m}",
                    row[1]
                );
                assert!(
                    (gse - se).abs() < 1e-6 * se,
                    "{name} {}: se {gse} vs {se}",
                    row[1]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 30);
    }

    #[test]
    fn bounds_where_r_fails_to_converge_are_reported_as_infeasible() {
        // R survey 4.1.1 stops with "Calibration failed" (eps 0.087 after 200 iterations) on
        // this input with linear bounds (0.6, 1.6). The bounds are in fact infeasible: the 95
        // respondents aged 18-34 weigh 10,475 and cannot reach 17,492 with g ≤ 1.6. We say so
        // at once, naming the margin, for every method.
        let r = reference();
        for method in [Method::Linear, Method::Logit, Method::Raking] {
            let o = CalibrationOptions {
                method,
                bounds: Some((0.6, 1.6)),
                ..Default::default()
            };
            match calibrate(&r.vars, &r.codes, &r.d, &o) {
                Err(StatsError::InfeasibleBounds { detail, .. }) => {
                    assert!(detail.contains("age=18-34"), "{detail}")
                }
                other => panic!("{method:?}: {other:?}"),
            }
        }
        // Just wide enough for that margin: Newton either meets every margin within the
        // bounds or reports the bounds as infeasible, never weights that miss.
        for method in [Method::Linear, Method::Logit, Method::Raking] {
            let o = CalibrationOptions {
                method,
                bounds: Some((0.5, 1.75)),
                ..Default::default()
            };
            match calibrate(&r.vars, &r.codes, &r.d, &o) {
                Ok(cal) => {
                    assert!(cal.max_relative_deviation < 1e-9, "{method:?}");
                    let scale = cal.weights.iter().sum::<f64>() / r.d.iter().sum::<f64>();
                    for (w, d) in cal.weights.iter().zip(&r.d) {
                        let g = w / (d * scale);
                        assert!(
                            (0.5 - 1e-9..=1.75 + 1e-9).contains(&g),
                            "{method:?} g = {g}"
                        );
                    }
                }
                Err(e) => assert!(
                    matches!(e, StatsError::InfeasibleBounds { .. }),
                    "{method:?}: {e}"
                ),
            }
        }
    }

    #[test]
    fn small_cells_are_suppressed() {
        let w = vec![1.0; 6];
        let design = Design {
            weights: &w,
            clusters: None,
            strata: None,
            calibration: None,
        };
        let cats = vec!["a".to_string(), "b".to_string()];
        let answers = vec![Some(0), Some(0), Some(0), Some(0), Some(1), None];
        let f = weighted_frequencies(&design, &cats, &answers, None, 3).unwrap();
        assert!(!f[0].suppressed);
        assert!((f[0].estimate.unwrap() - 0.8).abs() < 1e-12);
        assert!(f[1].suppressed && f[1].estimate.is_none());
        assert_eq!(f[1].respondents, 1);
        // Too few answered at all: everything hidden.
        let f = weighted_frequencies(&design, &cats, &answers, None, 6).unwrap();
        assert!(f.iter().all(|e| e.suppressed));
    }

    #[test]
    fn simple_random_sample_standard_error_is_the_textbook_one() {
        // Equal weights, no clusters: SE of a mean = sqrt(n/(n-1)) · sd_pop / sqrt(n) = s/√n.
        let y = [1.0, 2.0, 3.0, 4.0, 10.0];
        let w = vec![2.0; 5];
        let design = Design {
            weights: &w,
            clusters: None,
            strata: None,
            calibration: None,
        };
        let vals: Vec<Option<f64>> = y.iter().map(|&v| Some(v)).collect();
        let e = weighted_mean(&design, "y", &vals, None, 0).unwrap();
        let mean = 4.0;
        let s2 = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 4.0;
        assert!((e.estimate.unwrap() - mean).abs() < 1e-12);
        assert!((e.standard_error.unwrap() - (s2 / 5.0).sqrt()).abs() < 1e-12);
    }
}
