//! Shrinkage of noisy rates of small bureaux towards a prior predicted from covariates.
//!
//! Method: **empirical Bayes beta-binomial with a regression prior.** For a rate (abstentions
//! out of inscrits, or the bloc's votes out of exprimés) each bureau's true rate pᵢ is taken to
//! be drawn from Beta(M mᵢ, M (1 − mᵢ)) around a prior mean mᵢ = logistic(xᵢ·β) predicted from
//! the bureau's covariates (census variables aggregated to the bureau through its addresses,
//! [`crate::census`]). The observed count is binomial given pᵢ.
//!
//! - β is fitted by ridge-penalised weighted least squares on the empirical logits
//!   log((k + ½) / (n − k + ½)), with weights mᵢ(1 − mᵢ) / (ρ + (1 − ρ)/nᵢ) — the inverse of
//!   the logit's variance under the beta-binomial — refitted a few times;
//! - the intra-class correlation ρ = 1 / (M + 1) is estimated by the method of moments from the
//!   residuals: E[(k/n − m)²] = m(1 − m) (ρ + (1 − ρ)/n);
//! - each bureau's posterior mean is (k + M m) / (n + M): a bureau of n voters keeps the weight
//!   n / (n + M) on its own rate, so small bureaux move towards their prediction and large ones
//!   hardly move.
//!
//! Assumptions: the covariates' relation to the rate is logit-linear; the spread around it is
//! the same for all bureaux (one M); bureaux are exchangeable given their covariates (no
//! spatial correlation is modelled). Missing covariates are replaced by their mean, with an
//! indicator column.

use crate::error::TargetingError;
use crate::linalg::ridge_wls;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_model::BureauId;

/// Covariates per bureau: one value per name, `None` when unknown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Covariates {
    pub names: Vec<String>,
    pub values: HashMap<BureauId, Vec<Option<f64>>>,
}

impl Covariates {
    /// Adds the columns of `other` (bureaux missing from one side get `None`).
    pub fn join(&mut self, other: &Covariates) {
        let (n_self, n_other) = (self.names.len(), other.names.len());
        self.names.extend(other.names.iter().cloned());
        for (id, v) in &other.values {
            let row = self
                .values
                .entry(id.clone())
                .or_insert_with(|| vec![None; n_self]);
            row.extend(v.iter().copied());
        }
        for row in self.values.values_mut() {
            row.resize(n_self + n_other, None);
        }
    }
}

/// The regression design: an intercept, the standardised covariates and missing indicators.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    pub columns: Vec<String>,
    /// Row-major, one row per bureau in the order given to [`Design::new`].
    pub x: Vec<f64>,
    pub p: usize,
}

impl Design {
    /// Builds the design for `ids` (an intercept alone when there are no covariates). Constant
    /// columns are dropped.
    pub fn new(ids: &[BureauId], cov: Option<&Covariates>) -> Self {
        let n = ids.len();
        let mut columns = vec!["intercept".to_string()];
        let mut cols: Vec<Vec<f64>> = vec![vec![1.0; n]];
        if let Some(cov) = cov {
            for (j, name) in cov.names.iter().enumerate() {
                let raw: Vec<Option<f64>> = ids
                    .iter()
                    .map(|id| {
                        cov.values
                            .get(id)
                            .and_then(|r| r.get(j).copied().flatten())
                            .filter(|v| v.is_finite())
                    })
                    .collect();
                let known: Vec<f64> = raw.iter().filter_map(|v| *v).collect();
                if known.is_empty() {
                    continue;
                }
                let mean = known.iter().sum::<f64>() / known.len() as f64;
                let var =
                    known.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / known.len() as f64;
                if var > 1e-24 {
                    let sd = var.sqrt();
                    cols.push(
                        raw.iter()
                            .map(|v| v.map_or(0.0, |v| (v - mean) / sd))
                            .collect(),
                    );
                    columns.push(name.clone());
                }
                if known.len() < n {
                    cols.push(
                        raw.iter()
                            .map(|v| if v.is_none() { 1.0 } else { 0.0 })
                            .collect(),
                    );
                    columns.push(format!("{name} missing"));
                }
            }
        }
        let p = cols.len();
        let mut x = vec![0.0; n * p];
        for (j, c) in cols.iter().enumerate() {
            for (i, v) in c.iter().enumerate() {
                x[i * p + j] = *v;
            }
        }
        Self { columns, x, p }
    }

    /// The design restricted to some rows, in the order given.
    pub fn select_rows(&self, rows: &[usize]) -> Self {
        let mut x = Vec::with_capacity(rows.len() * self.p);
        for &r in rows {
            x.extend_from_slice(&self.x[r * self.p..(r + 1) * self.p]);
        }
        Self {
            columns: self.columns.clone(),
            x,
            p: self.p,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.x.len().checked_div(self.p).unwrap_or(0)
    }
}

/// Shrinkage options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShrinkOptions {
    /// Ridge penalty on the standardised coefficients, relative to the mean weight.
    pub ridge: f64,
    /// Refits of β with updated weights.
    pub iterations: usize,
}

impl Default for ShrinkOptions {
    fn default() -> Self {
        Self {
            ridge: 1.0,
            iterations: 3,
        }
    }
}

/// What the shrinkage fitted, for the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShrinkFit {
    pub columns: Vec<String>,
    /// β on the logit scale, per standardised column.
    pub coefficients: Vec<f64>,
    /// Intra-class correlation ρ = 1 / (M + 1).
    pub rho: f64,
    /// Prior strength M, in voters: a bureau of M voters is pulled half-way to its prediction.
    pub prior_strength: f64,
    /// Mean of M / (n + M) over bureaux: how far rates moved towards their prediction.
    pub mean_shrinkage: f64,
    /// Share of the between-bureau variance of the rates that the prior's mean explains.
    pub prior_r2: f64,
    pub bureaux: usize,
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Shrinks rates `successes / trials` (one per design row). Returns the posterior means.
pub fn shrink(
    successes: &[f64],
    trials: &[f64],
    design: &Design,
    options: &ShrinkOptions,
) -> Result<(Vec<f64>, ShrinkFit), TargetingError> {
    let n = successes.len();
    let p = design.p;
    if trials.len() != n || design.rows() != n {
        return Err(TargetingError::option(
            "shrinkage",
            format!(
                "{n} counts, {} totals and {} design rows: they must match",
                trials.len(),
                design.rows()
            ),
        ));
    }
    let usable = trials.iter().filter(|t| **t > 0.0).count();
    if usable < p + 2 {
        return Err(TargetingError::insufficient(
            "shrinkage",
            format!(
                "{usable} bureaux with voters for {p} prior columns: need at least {}",
                p + 2
            ),
        ));
    }
    let y: Vec<f64> = successes
        .iter()
        .zip(trials)
        .map(|(k, t)| ((k + 0.5) / (t - k + 0.5).max(0.5)).ln())
        .collect();
    let mut w: Vec<f64> = trials.iter().map(|t| t.max(0.0)).collect();
    let mean_w = |w: &[f64]| w.iter().sum::<f64>() / n as f64;
    let fit_beta = |w: &[f64]| {
        ridge_wls(&design.x, &y, w, p, options.ridge * mean_w(w)).ok_or_else(|| {
            TargetingError::insufficient("shrinkage", "the prior's covariates are collinear")
        })
    };
    let mut beta = fit_beta(&w)?;
    let mut m = vec![0.0; n];
    let mut rho = 0.0;
    for _ in 0..=options.iterations {
        for i in 0..n {
            let row = &design.x[i * p..(i + 1) * p];
            m[i] =
                logistic(row.iter().zip(&beta).map(|(a, b)| a * b).sum()).clamp(1e-6, 1.0 - 1e-6);
        }
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..n {
            let t = trials[i];
            if t <= 1.0 {
                continue;
            }
            let v = m[i] * (1.0 - m[i]);
            let r = successes[i] / t - m[i];
            num += r * r - v / t;
            den += v * (1.0 - 1.0 / t);
        }
        rho = if den > 0.0 {
            (num / den).clamp(1e-6, 0.999)
        } else {
            1e-6
        };
        for i in 0..n {
            let t = trials[i];
            w[i] = if t > 0.0 {
                m[i] * (1.0 - m[i]) / (rho + (1.0 - rho) / t)
            } else {
                0.0
            };
        }
        beta = fit_beta(&w)?;
    }
    for i in 0..n {
        let row = &design.x[i * p..(i + 1) * p];
        m[i] = logistic(row.iter().zip(&beta).map(|(a, b)| a * b).sum()).clamp(1e-6, 1.0 - 1e-6);
    }
    let strength = (1.0 - rho) / rho;
    let mut post = Vec::with_capacity(n);
    let mut shrinkage = 0.0;
    for i in 0..n {
        let t = trials[i].max(0.0);
        post.push((successes[i] + strength * m[i]) / (t + strength));
        shrinkage += strength / (t + strength);
    }
    // R² of the prior mean against the observed rates (bureaux with voters, weighted by n).
    let (mut sw, mut sy) = (0.0, 0.0);
    for i in 0..n {
        if trials[i] > 0.0 {
            sw += trials[i];
            sy += successes[i];
        }
    }
    let ybar = if sw > 0.0 { sy / sw } else { 0.0 };
    let (mut ss_tot, mut ss_res) = (0.0, 0.0);
    for i in 0..n {
        if trials[i] > 0.0 {
            let r = successes[i] / trials[i];
            ss_tot += trials[i] * (r - ybar).powi(2);
            ss_res += trials[i] * (r - m[i]).powi(2);
        }
    }
    let fit = ShrinkFit {
        columns: design.columns.clone(),
        coefficients: beta,
        rho,
        prior_strength: strength,
        mean_shrinkage: shrinkage / n as f64,
        prior_r2: if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            0.0
        },
        bureaux: n,
    };
    Ok((post, fit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Beta, Binomial, Distribution};

    fn ids(n: usize) -> Vec<BureauId> {
        (0..n)
            .map(|i| BureauId::parse(&format!("69{:03}_{:04}", i / 100 + 1, i % 100 + 1)).unwrap())
            .collect()
    }

    /// Simulated bureaux: true rates from a beta around a logit-linear mean of one covariate.
    fn simulate(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Covariates, Vec<BureauId>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let ids = ids(n);
        let mut cov = Covariates {
            names: vec!["income".into()],
            values: HashMap::new(),
        };
        let (mut k, mut t, mut truth) = (vec![], vec![], vec![]);
        let m_strength = 200.0;
        for id in &ids {
            let x: f64 = rng.random_range(-2.0..2.0);
            let m = logistic(-1.0 + 0.6 * x);
            let p = Beta::new(m * m_strength, (1.0 - m) * m_strength)
                .unwrap()
                .sample(&mut rng);
            let size = if rng.random_bool(0.3) {
                rng.random_range(30..150)
            } else {
                rng.random_range(300..1500)
            };
            let draw = Binomial::new(size, p).unwrap().sample(&mut rng) as f64;
            k.push(draw);
            t.push(size as f64);
            truth.push(p);
            cov.values.insert(id.clone(), vec![Some(x)]);
        }
        (k, t, truth, cov, ids)
    }

    #[test]
    fn shrinkage_beats_raw_rates_and_finds_the_prior_strength() {
        let (k, t, truth, cov, ids) = simulate(7, 2000);
        let design = Design::new(&ids, Some(&cov));
        assert_eq!(design.columns, vec!["intercept", "income"]);
        let (post, fit) = shrink(&k, &t, &design, &ShrinkOptions::default()).unwrap();
        let mse = |est: &[f64]| {
            est.iter()
                .zip(&truth)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                / truth.len() as f64
        };
        let raw: Vec<f64> = k.iter().zip(&t).map(|(a, b)| a / b).collect();
        assert!(
            mse(&post) < 0.8 * mse(&raw),
            "posterior {} raw {}",
            mse(&post),
            mse(&raw)
        );
        // M = 200 in the simulation.
        assert!((100.0..400.0).contains(&fit.prior_strength), "{fit:?}");
        assert!(fit.coefficients[1] > 0.0);
        // Small bureaux move more than large ones.
        let small = (0..k.len())
            .filter(|&i| t[i] < 150.0)
            .map(|i| (post[i] - raw[i]).abs())
            .sum::<f64>();
        let large = (0..k.len())
            .filter(|&i| t[i] >= 300.0)
            .map(|i| (post[i] - raw[i]).abs())
            .sum::<f64>();
        let ns = t.iter().filter(|v| **v < 150.0).count() as f64;
        let nl = t.iter().filter(|v| **v >= 300.0).count() as f64;
        assert!(small / ns > 2.0 * large / nl);
    }

    #[test]
    fn missing_covariates_get_an_indicator_and_constant_ones_are_dropped() {
        let ids = ids(4);
        let mut cov = Covariates {
            names: vec!["a".into(), "flat".into()],
            values: HashMap::new(),
        };
        cov.values
            .insert(ids[0].clone(), vec![Some(1.0), Some(5.0)]);
        cov.values
            .insert(ids[1].clone(), vec![Some(3.0), Some(5.0)]);
        cov.values.insert(ids[2].clone(), vec![None, Some(5.0)]);
        let d = Design::new(&ids, Some(&cov));
        assert_eq!(
            d.columns,
            vec!["intercept", "a", "a missing", "flat missing"]
        );
        // Mean-imputed standardised value 0 for the missing ones.
        assert_eq!(d.x[2 * d.p + 1], 0.0);
        assert_eq!(d.x[2 * d.p + 2], 1.0);
        assert_eq!(d.x[3 * d.p + 3], 1.0);
    }

    #[test]
    fn too_few_bureaux_is_an_error_not_a_guess() {
        let ids = ids(2);
        let d = Design::new(&ids, None);
        assert!(shrink(&[1.0, 2.0], &[10.0, 0.0], &d, &ShrinkOptions::default()).is_err());
    }

    #[test]
    fn joining_covariates_pads_missing_bureaux() {
        let ids = ids(2);
        let mut a = Covariates {
            names: vec!["x".into()],
            values: HashMap::new(),
        };
        a.values.insert(ids[0].clone(), vec![Some(1.0)]);
        let mut b = Covariates {
            names: vec!["y".into()],
            values: HashMap::new(),
        };
        b.values.insert(ids[1].clone(), vec![Some(2.0)]);
        a.join(&b);
        assert_eq!(a.values[&ids[0]], vec![Some(1.0), None]);
        assert_eq!(a.values[&ids[1]], vec![None, Some(2.0)]);
    }
}
