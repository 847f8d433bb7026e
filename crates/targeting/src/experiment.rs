//! The randomised evaluation of a plan, as LMP ran it in 2012: bureaux sorted by score within
//! their territory, cut into strata of k, m of each stratum sent canvassers and the others kept
//! as controls; after the election, the effect on turnout and on the bloc's share.
//!
//! **Design.** Within each territory, bureaux are sorted by decreasing score (ties by id) and
//! cut into consecutive strata of `k`. In each full stratum `m` bureaux are drawn for treatment
//! with a ChaCha8 generator seeded by the caller; a last, incomplete stratum of r ≥ 2 bureaux
//! gets round(m r / k) treated (kept between 1 and r − 1); a lone leftover bureau is its own
//! stratum and tells nothing. The design records its options, seed and a SHA-256 digest of the
//! assignment, so that it can be registered before the campaign and checked afterwards.
//!
//! **Estimator.** Outcomes per bureau (turnout = votants / inscrits, bloc share = bloc /
//! exprimés) are regressed on treatment with stratum fixed effects (within-stratum
//! demeaning), optionally adjusting for the outcome's value at a reference election (which
//! the randomisation makes a free precision gain); weights are per bureau or inscrits.
//! Standard errors are cluster-robust by stratum (CR1: S/(S − 1) · (N − 1)/(N − K)), with
//! S − 1 degrees of freedom — robust to heteroskedasticity and to the correlation the fixed
//! effects create within small strata. The intention-to-treat effect (ITT) is the treatment
//! coefficient. With coverage (doors knocked / doors, from the field data), the effect of
//! treatment on the treated — of covering a whole bureau — is the instrumental-variable (Wald)
//! estimate: coverage instrumented by assignment, with the same fixed effects, controls and
//! clustered standard error; the first stage is reported with its F statistic.

use crate::dist::t_quantile;
use crate::error::TargetingError;
use crate::linalg::inverse_spd;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use terrain_model::BureauId;

/// How the experiment is drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DesignOptions {
    /// Bureaux per stratum (LMP: 5).
    pub strata_size: usize,
    /// Treated bureaux per stratum (LMP: 4).
    pub treated_per_stratum: usize,
    pub seed: u64,
    /// Strata within each territory (true, LMP) or over every bureau.
    pub within_territory: bool,
}

impl Default for DesignOptions {
    fn default() -> Self {
        Self {
            strata_size: 5,
            treated_per_stratum: 4,
            seed: 0,
            within_territory: true,
        }
    }
}

/// A bureau entering the experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentUnit {
    pub bureau: BureauId,
    pub territory: String,
    pub score: f64,
}

/// One bureau's assignment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub bureau: BureauId,
    pub territory: String,
    /// Stratum number, from 1, unique over the whole experiment.
    pub stratum: usize,
    pub treated: bool,
    pub score: f64,
}

/// A drawn experiment, to record before the campaign starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentDesign {
    pub options: DesignOptions,
    pub assignments: Vec<Assignment>,
    pub strata: usize,
    pub treated: usize,
    pub control: usize,
    /// SHA-256 of the options and assignments: publish it to show the draw was not redone.
    pub digest: String,
}

impl ExperimentDesign {
    /// Recomputes the digest and compares it with the recorded one.
    pub fn verify(&self) -> bool {
        digest(&self.options, &self.assignments) == self.digest
    }
}

fn digest(o: &DesignOptions, a: &[Assignment]) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "terrain-experiment-v1;k={};m={};seed={};within={}\n",
        o.strata_size, o.treated_per_stratum, o.seed, o.within_territory
    ));
    for x in a {
        h.update(format!(
            "{};{};{};{}\n",
            x.bureau,
            x.territory,
            x.stratum,
            u8::from(x.treated)
        ));
    }
    hex::encode(h.finalize())
}

/// Draws the experiment.
pub fn design_experiment(
    units: &[ExperimentUnit],
    options: &DesignOptions,
) -> Result<ExperimentDesign, TargetingError> {
    let (k, m) = (options.strata_size, options.treated_per_stratum);
    if k < 2 || m == 0 || m >= k {
        return Err(TargetingError::option(
            "experiment",
            format!("need strata of k ≥ 2 bureaux with 1 ≤ m < k treated, got k = {k}, m = {m}"),
        ));
    }
    if let Some(u) = units.iter().find(|u| !u.score.is_finite()) {
        return Err(TargetingError::option(
            "experiment",
            format!("bureau {} has a score that is not a number", u.bureau),
        ));
    }
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        let key = if options.within_territory {
            u.territory.as_str()
        } else {
            ""
        };
        groups.entry(key).or_default().push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut assignments = Vec::with_capacity(units.len());
    let mut stratum = 0;
    for ix in groups.values_mut() {
        ix.sort_by(|&a, &b| {
            units[b]
                .score
                .total_cmp(&units[a].score)
                .then_with(|| units[a].bureau.cmp(&units[b].bureau))
        });
        for chunk in ix.chunks(k) {
            stratum += 1;
            let r = chunk.len();
            let treat = if r == k {
                m
            } else if r == 1 {
                usize::from(rng.random_bool(m as f64 / k as f64))
            } else {
                ((m * r) as f64 / k as f64)
                    .round()
                    .clamp(1.0, (r - 1) as f64) as usize
            };
            // Partial Fisher-Yates: the first `treat` positions of a shuffled order.
            let mut order: Vec<usize> = (0..r).collect();
            for i in 0..treat.min(r) {
                let j = rng.random_range(i..r);
                order.swap(i, j);
            }
            let mut treated = vec![false; r];
            for &p in &order[..treat.min(r)] {
                treated[p] = true;
            }
            for (p, &i) in chunk.iter().enumerate() {
                let u = &units[i];
                assignments.push(Assignment {
                    bureau: u.bureau.clone(),
                    territory: u.territory.clone(),
                    stratum,
                    treated: treated[p],
                    score: u.score,
                });
            }
        }
    }
    let treated = assignments.iter().filter(|a| a.treated).count();
    let d = digest(options, &assignments);
    Ok(ExperimentDesign {
        options: options.clone(),
        strata: stratum,
        treated,
        control: assignments.len() - treated,
        assignments,
        digest: d,
    })
}

/// A bureau's results after the election, and what the field did there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservedBureau {
    pub bureau: BureauId,
    pub inscrits: f64,
    pub votants: f64,
    pub exprimes: f64,
    pub bloc: f64,
    /// Doors knocked (from the field app), when coverage is tracked.
    pub doors_knocked: Option<f64>,
    /// Doors of the bureau, to turn knocks into coverage.
    pub doors: Option<f64>,
    /// Turnout at a reference election, for the adjustment.
    pub baseline_turnout: Option<f64>,
    /// The bloc's share at a reference election, for the adjustment.
    pub baseline_share: Option<f64>,
}

impl ObservedBureau {
    /// Doors knocked / doors, capped at 1.
    pub fn coverage(&self) -> Option<f64> {
        match (self.doors_knocked, self.doors) {
            (Some(k), Some(d)) if d > 0.0 => Some((k / d).clamp(0.0, 1.0)),
            _ => None,
        }
    }
}

/// How bureaux are weighted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// Every bureau counts once (the effect on the average bureau).
    #[default]
    Bureau,
    /// By inscrits (the effect on the average voter).
    Inscrits,
}

/// Analysis options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisOptions {
    pub weighting: Weighting,
    /// Adjust for the outcome at the reference election when given for every bureau.
    pub adjust_for_baseline: bool,
    /// Confidence level of the intervals.
    pub level: f64,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            weighting: Weighting::Bureau,
            adjust_for_baseline: true,
            level: 0.95,
        }
    }
}

/// A coefficient with its interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub estimate: f64,
    pub std_error: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided p-value against 0.
    pub p_value: f64,
    pub df: f64,
}

impl Estimate {
    fn new(estimate: f64, std_error: f64, df: f64, level: f64) -> Self {
        let q = t_quantile(0.5 + level / 2.0, df);
        let t = if std_error > 0.0 {
            estimate / std_error
        } else {
            0.0
        };
        Self {
            estimate,
            std_error,
            ci_low: estimate - q * std_error,
            ci_high: estimate + q * std_error,
            p_value: 2.0 * (1.0 - crate::dist::t_cdf(t.abs(), df)),
            df,
        }
    }
}

/// The effect on one outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeEffect {
    /// `turnout` or `bloc_share`.
    pub outcome: String,
    pub control_mean: f64,
    pub treated_mean: f64,
    /// Intention to treat: the effect of being assigned canvassers.
    pub itt: Estimate,
    /// Effect of covering a whole bureau (IV), when coverage was tracked.
    pub tot: Option<Estimate>,
    /// Whether the baseline adjustment was used.
    pub adjusted: bool,
}

/// The experiment's result, for the one-page report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentReport {
    pub bureaux: usize,
    pub strata: usize,
    pub treated: usize,
    pub control: usize,
    /// Bureaux of the design without results (left out).
    pub missing_results: usize,
    /// The coverage first stage: coverage gained by assignment, and its F statistic.
    pub first_stage: Option<Estimate>,
    pub first_stage_f: Option<f64>,
    pub mean_coverage_treated: Option<f64>,
    pub mean_coverage_control: Option<f64>,
    pub effects: Vec<OutcomeEffect>,
    /// Plain sentences a campaign director can read.
    pub summary: Vec<String>,
    pub design_verified: bool,
}

/// A unit of the analysis after joining the design and the results.
struct Row {
    stratum: usize,
    treated: f64,
    weight: f64,
    coverage: Option<f64>,
    turnout: f64,
    share: f64,
    base_turnout: Option<f64>,
    base_share: Option<f64>,
}

/// Demeans columns within strata (weighted). `cols[j][i]`.
fn demean(strata: &[usize], w: &[f64], cols: &mut [Vec<f64>]) {
    let mut sums: HashMap<usize, (f64, Vec<f64>)> = HashMap::new();
    for (i, s) in strata.iter().enumerate() {
        let e = sums
            .entry(*s)
            .or_insert_with(|| (0.0, vec![0.0; cols.len()]));
        e.0 += w[i];
        for (j, c) in cols.iter().enumerate() {
            e.1[j] += w[i] * c[i];
        }
    }
    for (i, s) in strata.iter().enumerate() {
        let (ws, m) = &sums[s];
        for (j, c) in cols.iter_mut().enumerate() {
            c[i] -= m[j] / ws;
        }
    }
}

/// Weighted OLS of y on the columns of x (already demeaned), with stratum-clustered CR1
/// standard errors. Returns (coefficients, standard errors).
fn ols_clustered(
    y: &[f64],
    x: &[Vec<f64>],
    w: &[f64],
    strata: &[usize],
    clusters: usize,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let (n, k) = (y.len(), x.len());
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for i in 0..n {
        for a in 0..k {
            xty[a] += w[i] * x[a][i] * y[i];
            for b in 0..k {
                xtx[a * k + b] += w[i] * x[a][i] * x[b][i];
            }
        }
    }
    let inv = inverse_spd(&xtx, k)?;
    let beta: Vec<f64> = (0..k)
        .map(|a| (0..k).map(|b| inv[a * k + b] * xty[b]).sum())
        .collect();
    let mut scores: HashMap<usize, Vec<f64>> = HashMap::new();
    for i in 0..n {
        let u = y[i] - (0..k).map(|a| x[a][i] * beta[a]).sum::<f64>();
        let e = scores.entry(strata[i]).or_insert_with(|| vec![0.0; k]);
        for a in 0..k {
            e[a] += w[i] * x[a][i] * u;
        }
    }
    let mut meat = vec![0.0; k * k];
    for s in scores.values() {
        for a in 0..k {
            for b in 0..k {
                meat[a * k + b] += s[a] * s[b];
            }
        }
    }
    let g = clusters as f64;
    let factor = g / (g - 1.0) * (n as f64 - 1.0) / (n as f64 - k as f64);
    let mut se = vec![0.0; k];
    for a in 0..k {
        let mut v = 0.0;
        for b in 0..k {
            for c in 0..k {
                v += inv[a * k + b] * meat[b * k + c] * inv[c * k + a];
            }
        }
        se[a] = (v * factor).max(0.0).sqrt();
    }
    Some((beta, se))
}

/// Residualises `v` on the columns `x` (weighted), in place.
fn partial_out(v: &mut [f64], x: &[Vec<f64>], w: &[f64]) {
    if x.is_empty() {
        return;
    }
    let k = x.len();
    let mut xtx = vec![0.0; k * k];
    let mut xtv = vec![0.0; k];
    for i in 0..v.len() {
        for a in 0..k {
            xtv[a] += w[i] * x[a][i] * v[i];
            for b in 0..k {
                xtx[a * k + b] += w[i] * x[a][i] * x[b][i];
            }
        }
    }
    if let Some(b) = crate::linalg::solve_spd(&xtx, &xtv, k) {
        for (i, vi) in v.iter_mut().enumerate() {
            *vi -= (0..k).map(|a| x[a][i] * b[a]).sum::<f64>();
        }
    }
}

/// Estimates the effects of a design from the election's results.
pub fn analyse(
    design: &ExperimentDesign,
    observed: &[ObservedBureau],
    options: &AnalysisOptions,
) -> Result<ExperimentReport, TargetingError> {
    if !(options.level > 0.0 && options.level < 1.0) {
        return Err(TargetingError::option(
            "level",
            format!("{} must be in (0, 1)", options.level),
        ));
    }
    let obs: HashMap<&BureauId, &ObservedBureau> =
        observed.iter().map(|o| (&o.bureau, o)).collect();
    let mut rows = Vec::new();
    let mut missing = 0;
    for a in &design.assignments {
        let Some(o) = obs.get(&a.bureau) else {
            missing += 1;
            continue;
        };
        if o.inscrits <= 0.0 || o.exprimes <= 0.0 {
            missing += 1;
            continue;
        }
        rows.push(Row {
            stratum: a.stratum,
            treated: if a.treated { 1.0 } else { 0.0 },
            weight: match options.weighting {
                Weighting::Bureau => 1.0,
                Weighting::Inscrits => o.inscrits,
            },
            coverage: o.coverage(),
            turnout: o.votants / o.inscrits,
            share: o.bloc / o.exprimes,
            base_turnout: o.baseline_turnout.filter(|v| v.is_finite()),
            base_share: o.baseline_share.filter(|v| v.is_finite()),
        });
    }
    // Keep strata with both arms.
    let mut arms: HashMap<usize, (usize, usize)> = HashMap::new();
    for r in &rows {
        let e = arms.entry(r.stratum).or_default();
        if r.treated > 0.0 { e.0 += 1 } else { e.1 += 1 }
    }
    rows.retain(|r| arms.get(&r.stratum).is_some_and(|(t, c)| *t > 0 && *c > 0));
    let strata_used = rows
        .iter()
        .map(|r| r.stratum)
        .collect::<std::collections::HashSet<_>>()
        .len();
    if strata_used < 3 {
        return Err(TargetingError::insufficient(
            "experiment",
            format!(
                "{strata_used} strata with both treated and control bureaux with results: need at least 3"
            ),
        ));
    }
    let strata: Vec<usize> = rows.iter().map(|r| r.stratum).collect();
    let w: Vec<f64> = rows.iter().map(|r| r.weight).collect();
    let n = rows.len();
    let treated_n = rows.iter().filter(|r| r.treated > 0.0).count();
    let with_coverage = rows.iter().all(|r| r.coverage.is_some());
    let wmean = |f: &dyn Fn(&Row) -> f64, arm: f64| {
        let (mut s, mut sw) = (0.0, 0.0);
        for r in rows.iter().filter(|r| r.treated == arm) {
            s += r.weight * f(r);
            sw += r.weight;
        }
        if sw > 0.0 { s / sw } else { f64::NAN }
    };
    let df = (strata_used - 1) as f64;
    // First stage.
    let (mut first_stage, mut first_stage_f) = (None, None);
    if with_coverage {
        let mut cols = vec![
            rows.iter()
                .map(|r| r.coverage.unwrap_or(0.0))
                .collect::<Vec<f64>>(),
            rows.iter().map(|r| r.treated).collect(),
        ];
        demean(&strata, &w, &mut cols);
        let (d, z) = (cols[0].clone(), cols[1].clone());
        if let Some((b, se)) = ols_clustered(&d, &[z], &w, &strata, strata_used) {
            first_stage_f = (se[0] > 0.0).then(|| (b[0] / se[0]).powi(2));
            first_stage = Some(Estimate::new(b[0], se[0], df, options.level));
        }
    }
    let mut effects = Vec::new();
    for outcome in ["turnout", "bloc_share"] {
        let y_of = |r: &Row| {
            if outcome == "turnout" {
                r.turnout
            } else {
                r.share
            }
        };
        let base_of = |r: &Row| {
            if outcome == "turnout" {
                r.base_turnout
            } else {
                r.base_share
            }
        };
        let adjusted = options.adjust_for_baseline && rows.iter().all(|r| base_of(r).is_some());
        let mut cols = vec![
            rows.iter().map(y_of).collect::<Vec<f64>>(),
            rows.iter().map(|r| r.treated).collect(),
        ];
        if adjusted {
            cols.push(rows.iter().map(|r| base_of(r).unwrap_or(0.0)).collect());
        }
        if with_coverage {
            cols.push(rows.iter().map(|r| r.coverage.unwrap_or(0.0)).collect());
        }
        demean(&strata, &w, &mut cols);
        let y = cols[0].clone();
        let z = cols[1].clone();
        let controls: Vec<Vec<f64>> = if adjusted {
            vec![cols[2].clone()]
        } else {
            vec![]
        };
        let mut x = vec![z.clone()];
        x.extend(controls.iter().cloned());
        let (b, se) = ols_clustered(&y, &x, &w, &strata, strata_used).ok_or_else(|| {
            TargetingError::insufficient("experiment", "treatment does not vary within strata")
        })?;
        let itt = Estimate::new(b[0], se[0], df, options.level);
        let tot = if with_coverage {
            let mut d = cols[cols.len() - 1].clone();
            let (mut yy, mut zz) = (y.clone(), z.clone());
            partial_out(&mut d, &controls, &w);
            partial_out(&mut yy, &controls, &w);
            partial_out(&mut zz, &controls, &w);
            let zd: f64 = (0..n).map(|i| w[i] * zz[i] * d[i]).sum();
            if zd.abs() > 1e-12 {
                let zy: f64 = (0..n).map(|i| w[i] * zz[i] * yy[i]).sum();
                let beta = zy / zd;
                let mut scores: HashMap<usize, f64> = HashMap::new();
                for i in 0..n {
                    *scores.entry(strata[i]).or_default() += w[i] * zz[i] * (yy[i] - beta * d[i]);
                }
                let g = strata_used as f64;
                let k = 1.0 + controls.len() as f64;
                let factor = g / (g - 1.0) * (n as f64 - 1.0) / (n as f64 - k);
                let var = scores.values().map(|s| s * s).sum::<f64>() / (zd * zd) * factor;
                Some(Estimate::new(beta, var.sqrt(), df, options.level))
            } else {
                None
            }
        } else {
            None
        };
        effects.push(OutcomeEffect {
            outcome: outcome.to_string(),
            control_mean: wmean(&y_of, 0.0),
            treated_mean: wmean(&y_of, 1.0),
            itt,
            tot,
            adjusted,
        });
    }
    let cov_mean = |arm: f64| {
        with_coverage.then(|| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.treated == arm)
                .filter_map(|r| r.coverage)
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        })
    };
    let mut summary = Vec::new();
    let pct = |v: f64| format!("{:+.1}", 100.0 * v);
    for e in &effects {
        let what = if e.outcome == "turnout" {
            "Turnout"
        } else {
            "The bloc's share of valid votes"
        };
        summary.push(format!(
            "{what}: {} points in bureaux assigned canvassers compared with control bureaux of the same strata \
             ({:.0} % interval {} to {}; p = {:.3}).",
            pct(e.itt.estimate),
            100.0 * options.level,
            pct(e.itt.ci_low),
            pct(e.itt.ci_high),
            e.itt.p_value
        ));
        if let Some(t) = &e.tot {
            summary.push(format!(
                "  Per bureau fully covered: {} points ({} to {}).",
                pct(t.estimate),
                pct(t.ci_low),
                pct(t.ci_high)
            ));
        }
    }
    summary.push(format!(
        "Based on {n} bureaux ({treated_n} assigned, {} control) in {strata_used} strata; {missing} bureaux of the design had no results.",
        n - treated_n
    ));
    Ok(ExperimentReport {
        bureaux: n,
        strata: strata_used,
        treated: treated_n,
        control: n - treated_n,
        missing_results: missing,
        first_stage,
        first_stage_f,
        mean_coverage_treated: cov_mean(1.0),
        mean_coverage_control: cov_mean(0.0),
        effects,
        summary,
        design_verified: design.verify(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Binomial, Distribution};

    fn units(n: usize, territories: usize) -> Vec<ExperimentUnit> {
        (0..n)
            .map(|i| ExperimentUnit {
                bureau: BureauId::parse(&format!(
                    "{:02}{:03}_{:04}",
                    i % territories + 1,
                    1,
                    i / territories + 1
                ))
                .unwrap(),
                territory: format!("{:02}", i % territories + 1),
                score: ((i * 7919) % 1000) as f64 / 1000.0,
            })
            .collect()
    }

    #[test]
    fn strata_of_five_four_treated_seeded_and_recorded() {
        let u = units(53, 2); // 27 and 26 bureaux: 5 full strata + 2 and 1 left over.
        let d = design_experiment(
            &u,
            &DesignOptions {
                seed: 42,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(d.assignments.len(), 53);
        let mut per: BTreeMap<usize, Vec<&Assignment>> = BTreeMap::new();
        for a in &d.assignments {
            per.entry(a.stratum).or_default().push(a);
        }
        for s in per.values() {
            let t = s.iter().filter(|a| a.treated).count();
            match s.len() {
                5 => assert_eq!(t, 4),
                2 => assert_eq!(t, 1),
                1 => {}
                n => panic!("stratum of {n}"),
            }
            // A stratum is one territory and consecutive scores.
            assert!(s.iter().all(|a| a.territory == s[0].territory));
        }
        // Strata follow decreasing score within a territory.
        let t1: Vec<&Assignment> = d
            .assignments
            .iter()
            .filter(|a| a.territory == "01")
            .collect();
        assert!(t1.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(d.verify());
        let again = design_experiment(
            &u,
            &DesignOptions {
                seed: 42,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(again, d);
        let other = design_experiment(
            &u,
            &DesignOptions {
                seed: 43,
                ..Default::default()
            },
        )
        .unwrap();
        assert_ne!(other.digest, d.digest);
        let mut tampered = d.clone();
        tampered.assignments[0].treated = !tampered.assignments[0].treated;
        assert!(!tampered.verify());
        assert!(
            design_experiment(
                &u,
                &DesignOptions {
                    treated_per_stratum: 5,
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    /// One simulated election with a known effect on the bloc's share (per unit of coverage)
    /// and none on turnout.
    fn simulate(
        seed: u64,
        design: &ExperimentDesign,
        effect: f64,
        rng_noise: &mut ChaCha8Rng,
    ) -> Vec<ObservedBureau> {
        let _ = seed;
        design
            .assignments
            .iter()
            .map(|a| {
                let ins: u64 = rng_noise.random_range(500..1500);
                let base_share = 0.15 + 0.3 * a.score + rng_noise.random_range(-0.05..0.05);
                let base_turnout = 0.6 + 0.2 * a.score + rng_noise.random_range(-0.05..0.05);
                let coverage = if a.treated {
                    rng_noise.random_range(0.2..0.9)
                } else {
                    rng_noise.random_range(0.0..0.05)
                };
                // The bureau drifts from its baseline (persistent heterogeneity), plus sampling noise.
                let p_turn = (base_turnout + rng_noise.random_range(-0.03..0.03)).clamp(0.05, 0.95);
                let p_share =
                    (base_share + rng_noise.random_range(-0.03..0.03) + effect * coverage)
                        .clamp(0.01, 0.99);
                let votants = Binomial::new(ins, p_turn).unwrap().sample(rng_noise);
                let exprimes = (votants as f64 * 0.97).round() as u64;
                let bloc = Binomial::new(exprimes, p_share).unwrap().sample(rng_noise);
                let doors = ins as f64 / 1.4;
                ObservedBureau {
                    bureau: a.bureau.clone(),
                    inscrits: ins as f64,
                    votants: votants as f64,
                    exprimes: exprimes as f64,
                    bloc: bloc as f64,
                    doors_knocked: Some(doors * coverage),
                    doors: Some(doors),
                    baseline_turnout: Some(base_turnout),
                    baseline_share: Some(base_share),
                }
            })
            .collect()
    }

    #[test]
    fn intervals_cover_a_known_effect_in_simulated_elections() {
        // 600 bureaux in 3 territories; the effect of full coverage on the bloc's share is +4
        // points, on turnout 0. Coverage in treated bureaux averages 0.55, so the ITT is about
        // 4 × (0.55 − 0.025) = 2.1 points.
        let u = units(600, 3);
        let effect = 0.04;
        let sims = 200;
        let mut rng = ChaCha8Rng::seed_from_u64(2012);
        let (mut cover_tot, mut cover_turnout, mut cover_itt) = (0, 0, 0);
        let mut tot_sum = 0.0;
        for s in 0..sims {
            let d = design_experiment(
                &u,
                &DesignOptions {
                    seed: s,
                    ..Default::default()
                },
            )
            .unwrap();
            let obs = simulate(s, &d, effect, &mut rng);
            // The true ITT of this draw: effect × (mean coverage treated − control).
            let cov = |t: bool| {
                let v: Vec<f64> = d
                    .assignments
                    .iter()
                    .zip(&obs)
                    .filter(|(a, _)| a.treated == t)
                    .map(|(_, o)| o.coverage().unwrap())
                    .collect();
                v.iter().sum::<f64>() / v.len() as f64
            };
            let true_itt = effect * (cov(true) - cov(false));
            let r = analyse(&d, &obs, &AnalysisOptions::default()).unwrap();
            let share = &r.effects[1];
            let tot = share.tot.as_ref().unwrap();
            tot_sum += tot.estimate;
            if tot.ci_low <= effect && effect <= tot.ci_high {
                cover_tot += 1;
            }
            if share.itt.ci_low <= true_itt && true_itt <= share.itt.ci_high {
                cover_itt += 1;
            }
            let turnout = &r.effects[0];
            if turnout.itt.ci_low <= 0.0 && 0.0 <= turnout.itt.ci_high {
                cover_turnout += 1;
            }
            assert!(r.design_verified);
            assert!(r.first_stage_f.unwrap() > 100.0);
        }
        let rate = |c: i32| f64::from(c) / sims as f64;
        // 200 simulations: a 95 % interval's coverage is within ±3.1 points with 95 % chance.
        for (name, c) in [
            ("tot", cover_tot),
            ("itt", cover_itt),
            ("turnout", cover_turnout),
        ] {
            assert!(
                (0.91..=0.985).contains(&rate(c)),
                "{name} coverage {}",
                rate(c)
            );
        }
        let mean_tot = tot_sum / sims as f64;
        assert!((mean_tot - effect).abs() < 0.004, "mean TOT {mean_tot}");
    }

    #[test]
    fn too_few_strata_is_an_error() {
        let u = units(10, 1);
        let d = design_experiment(&u, &DesignOptions::default()).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let obs = simulate(0, &d, 0.0, &mut rng);
        assert!(analyse(&d, &obs, &AnalysisOptions::default()).is_err());
    }
}
