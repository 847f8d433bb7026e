//! Calibration of survey weights to known margins (Deville & Särndal 1992): raking
//! (iterative proportional fitting, reached here by Newton's method on the same equations),
//! linear (GREG) and bounded logit, with optional bounds on `w / d` and trimming, plus the
//! diagnostics a weighting page shows (margins before and after, Kish's design effect,
//! effective sample size, the spread of the weights, warnings).
//!
//! Respondents with the same profile (the same category on every margin variable) get the
//! same adjustment factor, so the equations are solved on the distinct profiles — a few
//! thousand at most — whatever the number of respondents. The weights are those of R
//! `survey::calibrate` on the same input (the solution is unique); the reference vectors in
//! `testdata/` check it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};
use crate::linalg::solve_psd;

/// The distance function of the calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Multiplicative (raking ratio, IPF): `w = d·exp(x'λ)`, always positive.
    Raking,
    /// Linear (GREG): `w = d·(1 + x'λ)`; weights can be negative without bounds.
    Linear,
    /// Bounded logit: `L < w/d < U`, smooth; needs bounds.
    Logit,
}

impl std::str::FromStr for Method {
    type Err = StatsError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "raking" | "rake" | "ipf" => Ok(Method::Raking),
            "linear" | "greg" => Ok(Method::Linear),
            "logit" => Ok(Method::Logit),
            other => Err(StatsError::InvalidParameter {
                name: "method",
                reason: format!("{other:?} is not raking, linear or logit"),
            }),
        }
    }
}

/// Options of a calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalibrationOptions {
    /// The distance function.
    pub method: Method,
    /// Bounds `(L, U)` on the adjustment factor `g = w / d` (with `L < 1 < U`), where the
    /// design weights `d` are first scaled to add up to the population total (so that the
    /// bounds mean the same whatever the scale of the design weights). Required by logit;
    /// raking and linear are truncated to them.
    pub bounds: Option<(f64, f64)>,
    /// Trimming after calibration: no weight above `trim × mean weight`; the excess is spread
    /// over the other weights in proportion to them (the total is kept; the margins may move,
    /// which the report shows).
    pub trim: Option<f64>,
    /// When the margins of different variables add up to different totals, scale each
    /// variable's targets to the first variable's total instead of failing.
    pub normalise_margins: bool,
    /// Largest relative misfit `|target − achieved| / (1 + |target|)` accepted.
    pub tolerance: f64,
    /// Newton iterations allowed.
    pub max_iterations: usize,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            method: Method::Raking,
            bounds: None,
            trim: None,
            normalise_margins: false,
            tolerance: 1e-10,
            max_iterations: 100,
        }
    }
}

/// One margin variable: its categories and their population totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginVariable {
    /// Variable name (a respondents' column).
    pub name: String,
    /// Categories, in the order given.
    pub categories: Vec<String>,
    /// Target total of each category.
    pub targets: Vec<f64>,
}

/// Groups long-form margins `(variable, category, target)` into variables, keeping the
/// order in which variables and categories first appear. A repeated (variable, category)
/// pair is an error.
pub fn margins_from_long<I>(rows: I) -> Result<Vec<MarginVariable>>
where
    I: IntoIterator<Item = (String, String, f64)>,
{
    let mut vars: Vec<MarginVariable> = Vec::new();
    for (index, (variable, category, target)) in rows.into_iter().enumerate() {
        if !(target.is_finite() && target >= 0.0) {
            return Err(StatsError::InvalidValue {
                what: "margin target",
                index,
                value: target,
            });
        }
        let v = match vars.iter_mut().position(|v| v.name == variable) {
            Some(i) => &mut vars[i],
            None => {
                vars.push(MarginVariable {
                    name: variable.clone(),
                    categories: Vec::new(),
                    targets: Vec::new(),
                });
                let last = vars.len() - 1;
                &mut vars[last]
            }
        };
        if v.categories.contains(&category) {
            return Err(StatsError::InvalidParameter {
                name: "margins",
                reason: format!("{variable}={category} is listed twice"),
            });
        }
        v.categories.push(category);
        v.targets.push(target);
    }
    Ok(vars)
}

/// Codes respondents' categories as indices into each variable's categories: `values[i][j]`
/// is respondent `i`'s value of variable `j`. Returns the row-major `n × V` code matrix.
pub fn encode_profiles<S: AsRef<str>>(
    vars: &[MarginVariable],
    values: &[Vec<S>],
) -> Result<Vec<u32>> {
    let lookups: Vec<HashMap<&str, u32>> = vars
        .iter()
        .map(|v| {
            v.categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as u32))
                .collect()
        })
        .collect();
    let mut codes = Vec::with_capacity(values.len() * vars.len());
    for (row, vals) in values.iter().enumerate() {
        for (j, v) in vars.iter().enumerate() {
            let s = vals.get(j).map_or("", |s| s.as_ref());
            match lookups[j].get(s) {
                Some(&c) => codes.push(c),
                None => {
                    return Err(StatsError::UnknownCategory {
                        row,
                        variable: v.name.clone(),
                        category: s.to_string(),
                    });
                }
            }
        }
    }
    Ok(codes)
}

/// How one margin came out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginCheck {
    /// Variable.
    pub variable: String,
    /// Category.
    pub category: String,
    /// Respondents in the cell.
    pub respondents: usize,
    /// Target total (after any normalisation).
    pub target: f64,
    /// Sum of design weights in the cell (scaled to the population total).
    pub before: f64,
    /// Sum of final weights in the cell.
    pub after: f64,
    /// `|after − target| / target` (0 if both are 0).
    pub relative_deviation: f64,
}

/// The linear model behind a calibration, kept for the variance of calibrated estimates
/// (the residuals of the estimating function on the calibration variables).
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationModel {
    /// Number of model columns (all categories of the first variable, then the categories
    /// but the first of each other variable: the same column space as R's `~ a + b + …`).
    pub columns: usize,
    /// Per profile, its model columns (those equal to 1), `vars` entries with `u32::MAX`
    /// for "none" (a reference category).
    pub profile_columns: Vec<u32>,
    /// Number of margin variables.
    pub vars: usize,
    /// Profile of each respondent.
    pub profile_of: Vec<u32>,
    /// Design weights as given.
    pub design_weights: Vec<f64>,
}

/// The weights and what the weighting page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// One weight per respondent, in input order.
    #[serde(skip)]
    pub weights: Vec<f64>,
    /// The method used.
    pub method: Method,
    /// Bounds used, if any.
    pub bounds: Option<(f64, f64)>,
    /// Whether the Newton iterations met the tolerance.
    pub converged: bool,
    /// Newton iterations done.
    pub iterations: usize,
    /// Largest relative deviation of a margin after calibration (and trimming).
    pub max_relative_deviation: f64,
    /// Every margin, before and after.
    pub margins: Vec<MarginCheck>,
    /// Respondents.
    pub respondents: usize,
    /// Distinct profiles the equations were solved on.
    pub profiles: usize,
    /// Kish's design effect due to weighting: `n Σw² / (Σw)²`.
    pub kish_deff: f64,
    /// Effective sample size `(Σw)² / Σw²`.
    pub effective_sample_size: f64,
    /// Weights trimmed (0 without trimming).
    pub trimmed: usize,
    /// Things the user should know (empty margins dropped, margins moved by trimming…).
    pub warnings: Vec<String>,
    /// The model, for variance estimation.
    #[serde(skip)]
    pub model: CalibrationModel,
}

/// The calibration function `F` and its integral (the dual objective).
#[derive(Debug, Clone, Copy)]
struct Distance {
    method: Method,
    lower: f64,
    upper: f64,
    // Logit constants.
    a: f64,
    c: f64,
}

impl Distance {
    fn new(method: Method, bounds: Option<(f64, f64)>) -> Result<Self> {
        let (lower, upper) = bounds.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        if bounds.is_some() && !(lower < 1.0 && upper > 1.0 && !lower.is_nan()) {
            return Err(StatsError::InvalidParameter {
                name: "bounds",
                reason: format!("need L < 1 < U, got ({lower}, {upper})"),
            });
        }
        let (mut a, mut c) = (0.0, 0.0);
        if method == Method::Logit {
            if !(lower.is_finite() && upper.is_finite()) {
                return Err(StatsError::InvalidParameter {
                    name: "bounds",
                    reason: "logit calibration needs finite bounds L < 1 < U".into(),
                });
            }
            a = (upper - lower) / ((upper - 1.0) * (1.0 - lower));
            c = ((upper - 1.0) / (1.0 - lower)).ln();
        }
        Ok(Distance {
            method,
            lower,
            upper,
            a,
            c,
        })
    }

    /// `F(u)` (the factor g) and `F'(u)`.
    #[inline]
    fn f(&self, u: f64) -> (f64, f64) {
        match self.method {
            Method::Linear => {
                let g = 1.0 + u;
                if g <= self.lower {
                    (self.lower, 0.0)
                } else if g >= self.upper {
                    (self.upper, 0.0)
                } else {
                    (g, 1.0)
                }
            }
            Method::Raking => {
                let g = u.exp();
                if g <= self.lower {
                    (self.lower, 0.0)
                } else if g >= self.upper {
                    (self.upper, 0.0)
                } else {
                    (g, g)
                }
            }
            Method::Logit => {
                let t = self.a * u - self.c;
                let s = 1.0 / (1.0 + (-t).exp());
                let range = self.upper - self.lower;
                (self.lower + range * s, range * self.a * s * (1.0 - s))
            }
        }
    }

    /// `∫₀ᵘ F` up to a constant: the dual objective's per-unit term.
    fn integral(&self, u: f64) -> f64 {
        match self.method {
            Method::Linear => {
                // ∫ clamp(1+t, L, U) dt.
                let (l, h) = (self.lower - 1.0, self.upper - 1.0);
                if u <= l {
                    l + 0.5 * l * l + self.lower * (u - l)
                } else if u >= h {
                    h + 0.5 * h * h + self.upper * (u - h)
                } else {
                    u + 0.5 * u * u
                }
            }
            Method::Raking => {
                let (l, h) = (self.lower.ln(), self.upper.ln());
                if u <= l {
                    self.lower + self.lower * (u - l)
                } else if u >= h {
                    self.upper + self.upper * (u - h)
                } else {
                    u.exp()
                }
            }
            Method::Logit => {
                let t = self.a * u - self.c;
                let softplus = if t > 30.0 { t } else { t.exp().ln_1p() };
                self.lower * u + (self.upper - self.lower) / self.a * softplus
            }
        }
    }
}

/// One row per distinct profile.
struct Profiles {
    /// Per profile, `vars` model-column indices (`u32::MAX` = none).
    cols: Vec<u32>,
    /// Sum of design weights.
    dsum: Vec<f64>,
    /// Respondents.
    count: Vec<usize>,
    of: Vec<u32>,
}

fn aggregate(codes: &[u32], nvars: usize, col_of: &[Vec<u32>], d: &[f64]) -> Profiles {
    let n = d.len();
    let radix: Vec<u64> = col_of.iter().map(|c| c.len() as u64).collect();
    let space: Option<u64> = radix
        .iter()
        .try_fold(1u64, |acc, &r| acc.checked_mul(r.max(1)));
    let key = |i: usize| -> u64 {
        let mut k = 0u64;
        for j in 0..nvars {
            k = k
                .wrapping_mul(radix[j])
                .wrapping_add(codes[i * nvars + j] as u64);
        }
        k
    };
    let mut p = Profiles {
        cols: Vec::new(),
        dsum: Vec::new(),
        count: Vec::new(),
        of: Vec::with_capacity(n),
    };
    let push = |p: &mut Profiles, i: usize| -> u32 {
        let g = p.dsum.len() as u32;
        for j in 0..nvars {
            p.cols.push(col_of[j][codes[i * nvars + j] as usize]);
        }
        p.dsum.push(0.0);
        p.count.push(0);
        g
    };
    match space {
        Some(s) if s <= 1 << 20 => {
            let mut map = vec![u32::MAX; s as usize];
            for i in 0..n {
                let k = key(i) as usize;
                if map[k] == u32::MAX {
                    map[k] = push(&mut p, i);
                }
                let g = map[k];
                p.dsum[g as usize] += d[i];
                p.count[g as usize] += 1;
                p.of.push(g);
            }
        }
        _ => {
            let mut map: HashMap<Vec<u32>, u32> = HashMap::new();
            for i in 0..n {
                let k = codes[i * nvars..(i + 1) * nvars].to_vec();
                let g = match map.get(&k) {
                    Some(&g) => g,
                    None => {
                        let g = push(&mut p, i);
                        map.insert(k, g);
                        g
                    }
                };
                p.dsum[g as usize] += d[i];
                p.count[g as usize] += 1;
                p.of.push(g);
            }
        }
    }
    p
}

/// Calibrates design weights `d` of respondents whose categories are `codes` (row-major
/// `n × V`, from [`encode_profiles`]) to the margins `vars`.
pub fn calibrate(
    vars: &[MarginVariable],
    codes: &[u32],
    design_weights: &[f64],
    options: &CalibrationOptions,
) -> Result<Calibration> {
    let nvars = vars.len();
    let n = design_weights.len();
    if nvars == 0 {
        return Err(StatsError::InvalidParameter {
            name: "margins",
            reason: "no margin variable".into(),
        });
    }
    if codes.len() != n * nvars {
        return Err(StatsError::LengthMismatch {
            what: "respondent codes (respondents × variables)",
            expected: n * nvars,
            got: codes.len(),
        });
    }
    if n == 0 {
        return Err(StatsError::InvalidParameter {
            name: "respondents",
            reason: "no respondent".into(),
        });
    }
    for (index, &w) in design_weights.iter().enumerate() {
        if !(w.is_finite() && w > 0.0) {
            return Err(StatsError::InvalidValue {
                what: "design weight",
                index,
                value: w,
            });
        }
    }
    for (i, &c) in codes.iter().enumerate() {
        let j = i % nvars;
        if c as usize >= vars[j].categories.len() {
            return Err(StatsError::UnknownCategory {
                row: i / nvars,
                variable: vars[j].name.clone(),
                category: format!("#{c}"),
            });
        }
    }
    if let Some(t) = options.trim
        && !(t > 1.0 && t.is_finite())
    {
        return Err(StatsError::InvalidParameter {
            name: "trim",
            reason: format!("{t} must be a finite ratio above 1"),
        });
    }
    let dist = Distance::new(options.method, options.bounds)?;
    let mut warnings = Vec::new();

    // Targets: consistent totals (or normalised).
    let totals: Vec<f64> = vars.iter().map(|v| v.targets.iter().sum()).collect();
    let mut targets: Vec<Vec<f64>> = vars.iter().map(|v| v.targets.clone()).collect();
    for j in 1..nvars {
        if (totals[j] - totals[0]).abs() > 1e-9 * totals[0].abs().max(1.0) {
            if options.normalise_margins && totals[j] > 0.0 {
                let s = totals[0] / totals[j];
                targets[j].iter_mut().for_each(|t| *t *= s);
                warnings.push(format!(
                    "margins of {} added up to {} and were scaled to {}",
                    vars[j].name, totals[j], totals[0]
                ));
            } else {
                return Err(StatsError::InconsistentMargins {
                    first: vars[0].name.clone(),
                    first_total: totals[0],
                    other: vars[j].name.clone(),
                    other_total: totals[j],
                });
            }
        }
    }
    let population = totals[0];
    if population <= 0.0 {
        return Err(StatsError::InvalidParameter {
            name: "margins",
            reason: "the targets add up to 0".into(),
        });
    }

    // Respondents per category, and empty cells.
    let mut counts: Vec<Vec<usize>> = vars.iter().map(|v| vec![0; v.categories.len()]).collect();
    for i in 0..n {
        for j in 0..nvars {
            counts[j][codes[i * nvars + j] as usize] += 1;
        }
    }
    for j in 0..nvars {
        for (c, &t) in targets[j].iter().enumerate() {
            if counts[j][c] == 0 && t > 0.0 {
                return Err(StatsError::EmptyCell {
                    variable: vars[j].name.clone(),
                    category: vars[j].categories[c].clone(),
                    target: t,
                });
            }
            if counts[j][c] == 0 {
                warnings.push(format!(
                    "margin {}={} has no respondent and a target of 0: ignored",
                    vars[j].name, vars[j].categories[c]
                ));
            } else if t == 0.0 && (options.method != Method::Linear || dist.lower > 0.0) {
                return Err(StatsError::InfeasibleBounds {
                    lower: dist.lower,
                    upper: dist.upper,
                    detail: format!(
                        "{}={} has a target of 0 but {} respondents, whose weights must stay positive",
                        vars[j].name, vars[j].categories[c], counts[j][c]
                    ),
                });
            }
        }
    }

    // Model columns: every non-empty category of the first variable; then every non-empty
    // category but the first non-empty one of the others. (Same column space as R.)
    let mut col_of: Vec<Vec<u32>> = Vec::with_capacity(nvars);
    let mut col_target: Vec<f64> = Vec::new();
    let mut col_label: Vec<(usize, usize)> = Vec::new();
    for j in 0..nvars {
        let mut map = vec![u32::MAX; vars[j].categories.len()];
        let mut first = true;
        for c in 0..vars[j].categories.len() {
            if counts[j][c] == 0 {
                continue;
            }
            if j > 0 && first {
                first = false;
                continue;
            }
            first = false;
            map[c] = col_target.len() as u32;
            col_target.push(targets[j][c]);
            col_label.push((j, c));
        }
        col_of.push(map);
    }
    let p = col_target.len();

    // Design weights scaled to the population (bounds are relative to these).
    let dsum: f64 = design_weights.iter().sum();
    let scale = population / dsum;
    let prof = aggregate(codes, nvars, &col_of, design_weights);
    let groups = prof.dsum.len();
    let gd: Vec<f64> = prof.dsum.iter().map(|d| d * scale).collect();

    // Per-category necessary condition for bounds: L·Σd ≤ target ≤ U·Σd in every cell.
    if options.bounds.is_some() {
        let mut cell_d: Vec<Vec<f64>> =
            vars.iter().map(|v| vec![0.0; v.categories.len()]).collect();
        for i in 0..n {
            for j in 0..nvars {
                cell_d[j][codes[i * nvars + j] as usize] += design_weights[i] * scale;
            }
        }
        for j in 0..nvars {
            for c in 0..vars[j].categories.len() {
                let (lo, hi) = (dist.lower * cell_d[j][c], dist.upper * cell_d[j][c]);
                let t = targets[j][c];
                if counts[j][c] > 0 && (t < lo * (1.0 - 1e-12) || t > hi * (1.0 + 1e-12)) {
                    return Err(StatsError::InfeasibleBounds {
                        lower: dist.lower,
                        upper: dist.upper,
                        detail: format!(
                            "{}={}: target {t} is outside [{lo}, {hi}] reachable from its {} respondents",
                            vars[j].name, vars[j].categories[c], counts[j][c]
                        ),
                    });
                }
            }
        }
    }

    // Newton's method on the dual, with backtracking on the dual objective.
    let mut lambda = vec![0.0; p];
    let mut u = vec![0.0; groups];
    let mut g = vec![0.0; groups];
    let mut dg = vec![0.0; groups];
    let mut jac = vec![0.0; p * p];
    let mut misfit = vec![0.0; p];
    let eval =
        |lambda: &[f64], u: &mut [f64], g: &mut [f64], dg: &mut [f64], misfit: &mut [f64]| -> f64 {
            misfit.copy_from_slice(&col_target);
            let mut obj = 0.0;
            for k in 0..groups {
                let cols = &prof.cols[k * nvars..(k + 1) * nvars];
                let mut s = 0.0;
                for &c in cols {
                    if c != u32::MAX {
                        s += lambda[c as usize];
                    }
                }
                u[k] = s;
                let (f, fp) = dist.f(s);
                g[k] = f;
                dg[k] = fp;
                obj += gd[k] * dist.integral(s);
                for &c in cols {
                    if c != u32::MAX {
                        misfit[c as usize] -= gd[k] * f;
                    }
                }
            }
            for c in 0..lambda.len() {
                obj -= lambda[c] * col_target[c];
            }
            obj
        };
    let worst = |misfit: &[f64]| -> (f64, usize) {
        let mut w = (0.0, 0);
        for c in 0..misfit.len() {
            let r = misfit[c].abs() / (1.0 + col_target[c].abs());
            if r > w.0 {
                w = (r, c);
            }
        }
        w
    };
    let mut obj = eval(&lambda, &mut u, &mut g, &mut dg, &mut misfit);
    let mut iterations = 0;
    let mut converged = worst(&misfit).0 < options.tolerance;
    let mut trial = vec![0.0; p];
    let (mut tu, mut tg, mut tdg, mut tmis) = (u.clone(), g.clone(), dg.clone(), misfit.clone());
    while !converged && iterations < options.max_iterations {
        iterations += 1;
        jac.fill(0.0);
        for k in 0..groups {
            let wgt = gd[k] * dg[k];
            if wgt == 0.0 {
                continue;
            }
            let cols = &prof.cols[k * nvars..(k + 1) * nvars];
            for &a in cols {
                if a == u32::MAX {
                    continue;
                }
                for &b in cols {
                    if b != u32::MAX && b <= a {
                        jac[a as usize * p + b as usize] += wgt;
                    }
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                jac[b * p + a] = jac[a * p + b];
            }
        }
        let mut step = misfit.clone();
        solve_psd(&mut jac, p, &mut step);
        let slope: f64 = step.iter().zip(&misfit).map(|(s, r)| s * r).sum();
        let mut t = 1.0;
        loop {
            for c in 0..p {
                trial[c] = lambda[c] + t * step[c];
            }
            let new_obj = eval(&trial, &mut tu, &mut tg, &mut tdg, &mut tmis);
            let ok = new_obj.is_finite()
                && (new_obj <= obj - 1e-4 * t * slope
                    || worst(&tmis).0 < worst(&misfit).0
                    || t < 1e-8);
            if ok {
                obj = new_obj;
                break;
            }
            t *= 0.5;
        }
        lambda.copy_from_slice(&trial);
        std::mem::swap(&mut u, &mut tu);
        std::mem::swap(&mut g, &mut tg);
        std::mem::swap(&mut dg, &mut tdg);
        std::mem::swap(&mut misfit, &mut tmis);
        converged = worst(&misfit).0 < options.tolerance;
    }
    if !converged {
        let (dev, c) = worst(&misfit);
        let (j, cat) = col_label[c];
        if options.bounds.is_some() {
            return Err(StatsError::InfeasibleBounds {
                lower: dist.lower,
                upper: dist.upper,
                detail: format!(
                    "after {iterations} iterations {}={} is still off by {dev:e} (relative): no weights within the bounds hit every margin",
                    vars[j].name, vars[j].categories[cat]
                ),
            });
        }
        return Err(StatsError::NotConverged {
            iterations,
            variable: vars[j].name.clone(),
            category: vars[j].categories[cat].clone(),
            relative_deviation: dev,
        });
    }

    let mut weights: Vec<f64> = (0..n)
        .map(|i| design_weights[i] * scale * g[prof.of[i] as usize])
        .collect();
    if options.method == Method::Linear && weights.iter().any(|&w| w < 0.0) {
        warnings.push(
            "linear calibration gave negative weights: use bounds (e.g. --bounds 0.1,10) or logit"
                .into(),
        );
    }
    let mut trimmed = 0;
    if let Some(cap_ratio) = options.trim {
        trimmed = trim_weights(&mut weights, cap_ratio);
    }

    // Margins before and after.
    let mut before: Vec<Vec<f64>> = vars.iter().map(|v| vec![0.0; v.categories.len()]).collect();
    let mut after = before.clone();
    for i in 0..n {
        for j in 0..nvars {
            let c = codes[i * nvars + j] as usize;
            before[j][c] += design_weights[i] * scale;
            after[j][c] += weights[i];
        }
    }
    let mut margins = Vec::new();
    let mut max_dev: f64 = 0.0;
    for j in 0..nvars {
        for c in 0..vars[j].categories.len() {
            let t = targets[j][c];
            let dev = if t != 0.0 {
                (after[j][c] - t).abs() / t.abs()
            } else {
                after[j][c].abs()
            };
            max_dev = max_dev.max(dev);
            margins.push(MarginCheck {
                variable: vars[j].name.clone(),
                category: vars[j].categories[c].clone(),
                respondents: counts[j][c],
                target: t,
                before: before[j][c],
                after: after[j][c],
                relative_deviation: dev,
            });
        }
    }
    if trimmed > 0 && max_dev > 1e-3 {
        warnings.push(format!(
            "trimming {trimmed} weights moved the margins by up to {:.2} %: prefer --bounds to keep them",
            max_dev * 100.0
        ));
    }
    let (sw, sw2) = weights
        .iter()
        .fold((0.0, 0.0), |(a, b), w| (a + w, b + w * w));
    let profile_columns = prof.cols;
    Ok(Calibration {
        method: options.method,
        bounds: options.bounds,
        converged,
        iterations,
        max_relative_deviation: max_dev,
        margins,
        respondents: n,
        profiles: groups,
        kish_deff: n as f64 * sw2 / (sw * sw),
        effective_sample_size: sw * sw / sw2,
        trimmed,
        warnings,
        model: CalibrationModel {
            columns: p,
            profile_columns,
            vars: nvars,
            profile_of: prof.of,
            design_weights: design_weights.to_vec(),
        },
        weights,
    })
}

/// Design weights of respondents in a two-stage door-to-door survey: the area's sampling
/// weight `1 / π_area` times the within-area expansion `adults_area / respondents_area` (which
/// also corrects for non-response within the area, assumed uniform there). `area_of[i]` is
/// respondent `i`'s area index into `area_pi` and `area_adults`.
pub fn design_weights(area_pi: &[f64], area_adults: &[f64], area_of: &[usize]) -> Result<Vec<f64>> {
    if area_pi.len() != area_adults.len() {
        return Err(StatsError::LengthMismatch {
            what: "adults per area",
            expected: area_pi.len(),
            got: area_adults.len(),
        });
    }
    let mut respondents = vec![0usize; area_pi.len()];
    for (row, &a) in area_of.iter().enumerate() {
        if a >= area_pi.len() {
            return Err(StatsError::InvalidValue {
                what: "area index of a respondent",
                index: row,
                value: a as f64,
            });
        }
        respondents[a] += 1;
    }
    for (index, (&p, &n)) in area_pi.iter().zip(area_adults).enumerate() {
        if respondents[index] > 0 && !(p > 0.0 && p <= 1.0 && n > 0.0 && n.is_finite()) {
            return Err(StatsError::InvalidValue {
                what: if p > 0.0 && p <= 1.0 {
                    "adults of an area"
                } else {
                    "inclusion probability of an area"
                },
                index,
                value: if p > 0.0 && p <= 1.0 { n } else { p },
            });
        }
    }
    Ok(area_of
        .iter()
        .map(|&a| area_adults[a] / (area_pi[a] * respondents[a] as f64))
        .collect())
}

/// Caps weights at `ratio × mean` and spreads the excess over the uncapped weights in
/// proportion to them, until none exceeds the cap. Returns how many weights were capped.
pub fn trim_weights(weights: &mut [f64], ratio: f64) -> usize {
    let n = weights.len();
    if n == 0 {
        return 0;
    }
    let total: f64 = weights.iter().sum();
    let cap = ratio * total / n as f64;
    let mut capped = vec![false; n];
    for _ in 0..100 {
        let mut excess = 0.0;
        for i in 0..n {
            if weights[i] > cap {
                excess += weights[i] - cap;
                weights[i] = cap;
                capped[i] = true;
            }
        }
        if excess <= 1e-12 * total {
            break;
        }
        let free: f64 = (0..n).filter(|&i| !capped[i]).map(|i| weights[i]).sum();
        if free <= 0.0 {
            break;
        }
        let f = 1.0 + excess / free;
        for i in 0..n {
            if !capped[i] {
                weights[i] *= f;
            }
        }
    }
    capped.iter().filter(|c| **c).count()
}

/// Summary of a weight distribution (what the weight plot shows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightSummary {
    /// Smallest weight.
    pub min: f64,
    /// 5th percentile.
    pub p05: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest weight.
    pub max: f64,
    /// Mean weight.
    pub mean: f64,
    /// Coefficient of variation (population standard deviation / mean).
    pub cv: f64,
    /// Histogram of `weight / mean` on 20 equal bins from the min to the max.
    pub histogram: Vec<HistogramBin>,
}

/// One bar of the weight histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramBin {
    /// Lower edge (weight / mean).
    pub from: f64,
    /// Upper edge.
    pub to: f64,
    /// Respondents in the bin.
    pub count: usize,
}

/// Summarises weights: quantiles (type 7, as R's default), mean, CV and a histogram.
pub fn summarise_weights(weights: &[f64]) -> Option<WeightSummary> {
    let n = weights.len();
    if n == 0 {
        return None;
    }
    let mut sorted = weights.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    };
    let mean = weights.iter().sum::<f64>() / n as f64;
    let var = weights.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / n as f64;
    let (min, max) = (sorted[0], sorted[n - 1]);
    let bins = 20;
    let (lo, hi) = (min / mean, max / mean);
    let width = ((hi - lo) / bins as f64).max(f64::MIN_POSITIVE);
    let mut histogram: Vec<HistogramBin> = (0..bins)
        .map(|b| HistogramBin {
            from: lo + b as f64 * width,
            to: lo + (b + 1) as f64 * width,
            count: 0,
        })
        .collect();
    for w in weights {
        let b = (((w / mean - lo) / width) as usize).min(bins - 1);
        histogram[b].count += 1;
    }
    Some(WeightSummary {
        min,
        p05: q(0.05),
        q1: q(0.25),
        median: q(0.5),
        q3: q(0.75),
        p95: q(0.95),
        max,
        mean,
        cv: var.sqrt() / mean,
        histogram,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn var(name: &str, cats: &[&str], targets: &[f64]) -> MarginVariable {
        MarginVariable {
            name: name.into(),
            categories: cats.iter().map(|c| c.to_string()).collect(),
            targets: targets.to_vec(),
        }
    }

    fn small() -> (Vec<MarginVariable>, Vec<u32>, Vec<f64>) {
        let vars = vec![
            var("sex", &["F", "H"], &[60.0, 40.0]),
            var("age", &["young", "old"], &[50.0, 50.0]),
        ];
        // 8 respondents: FY FY FO FO FO HY HO HO.
        let codes = vec![0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1];
        (vars, codes, vec![1.0; 8])
    }

    fn margins_hit(cal: &Calibration, tol: f64) -> bool {
        cal.margins.iter().all(|m| m.relative_deviation < tol)
    }

    #[test]
    fn every_method_hits_the_margins() {
        let (vars, codes, d) = small();
        for (method, bounds) in [
            (Method::Raking, None),
            (Method::Linear, None),
            (Method::Logit, Some((0.5, 2.0))),
            (Method::Raking, Some((0.5, 2.0))),
        ] {
            let o = CalibrationOptions {
                method,
                bounds,
                ..Default::default()
            };
            let cal = calibrate(&vars, &codes, &d, &o).unwrap();
            assert!(margins_hit(&cal, 1e-9), "{method:?}: {:?}", cal.margins);
            if let Some((l, u)) = bounds {
                // d is scaled to the population: 100 / 8.
                for w in &cal.weights {
                    let g = w / 12.5;
                    assert!(g >= l - 1e-9 && g <= u + 1e-9);
                }
            }
            assert!(cal.kish_deff >= 1.0);
            assert!((cal.effective_sample_size - 8.0 / cal.kish_deff).abs() < 1e-9);
        }
    }

    #[test]
    fn impossible_bounds_are_an_error_not_a_silent_failure() {
        let (vars, codes, d) = small();
        // Design weights are scaled to the population (100 / 8 = 12.5 each). H: 3 × 12.5 =
        // 37.5 must reach 40, a factor 1.067 that g ≤ 1.02 cannot give.
        let o = CalibrationOptions {
            method: Method::Logit,
            bounds: Some((0.9, 1.02)),
            ..Default::default()
        };
        assert!(matches!(
            calibrate(&vars, &codes, &d, &o),
            Err(StatsError::InfeasibleBounds { .. })
        ));
        // Young: 3 × 12.5 = 37.5 must reach 50 (× 1.33); linear truncated at 1.2 cannot.
        let o = CalibrationOptions {
            method: Method::Linear,
            bounds: Some((0.5, 1.2)),
            ..Default::default()
        };
        assert!(matches!(
            calibrate(&vars, &codes, &d, &o),
            Err(StatsError::InfeasibleBounds { .. })
        ));
    }

    #[test]
    fn jointly_infeasible_bounds_are_reported_after_newton() {
        // Per-category checks pass but the two margins together are unreachable: young F are
        // the only young, so the F and young targets conflict within the bounds.
        let vars = vec![
            var("sex", &["F", "H"], &[50.0, 50.0]),
            var("age", &["young", "old"], &[80.0, 20.0]),
        ];
        // FY FY FO HO: young must be 80 from 2 respondents (F), F only 50.
        let codes = vec![0, 0, 0, 0, 0, 1, 1, 1];
        let o = CalibrationOptions {
            method: Method::Logit,
            bounds: Some((0.1, 3.5)),
            ..Default::default()
        };
        let err = calibrate(&vars, &codes, &[1.0; 4], &o).unwrap_err();
        assert!(matches!(err, StatsError::InfeasibleBounds { .. }), "{err}");
    }

    #[test]
    fn empty_cells_unknown_categories_and_inconsistent_margins_are_errors() {
        let (mut vars, codes, d) = small();
        vars[1].categories.push("middle".into());
        vars[1].targets = vec![40.0, 40.0, 20.0];
        assert!(matches!(
            calibrate(&vars, &codes, &d, &CalibrationOptions::default()),
            Err(StatsError::EmptyCell { .. })
        ));
        // A target-0 category nobody is in is only a warning.
        vars[1].targets = vec![50.0, 50.0, 0.0];
        let cal = calibrate(&vars, &codes, &d, &CalibrationOptions::default()).unwrap();
        assert_eq!(cal.warnings.len(), 1);
        let (mut vars, codes, d) = small();
        vars[1].targets = vec![30.0, 30.0];
        assert!(matches!(
            calibrate(&vars, &codes, &d, &CalibrationOptions::default()),
            Err(StatsError::InconsistentMargins { .. })
        ));
        let o = CalibrationOptions {
            normalise_margins: true,
            ..Default::default()
        };
        let cal = calibrate(&vars, &codes, &d, &o).unwrap();
        assert!(margins_hit(&cal, 1e-9));
        assert!(matches!(
            encode_profiles(&vars, &[vec!["F", "elderly"]]),
            Err(StatsError::UnknownCategory { row: 0, .. })
        ));
        assert!(matches!(
            calibrate(
                &vars,
                &codes,
                &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0],
                &o
            ),
            Err(StatsError::InvalidValue { index: 7, .. })
        ));
    }

    #[test]
    fn design_weights_expand_areas_and_respondents() {
        // Area 0: π 0.5, 100 adults, 2 respondents → 100; area 1: π 0.25, 40 adults, 1 → 160.
        let d = design_weights(&[0.5, 0.25], &[100.0, 40.0], &[0, 1, 0]).unwrap();
        assert_eq!(d, vec![100.0, 160.0, 100.0]);
        // The weights of an area add up to its adults / π (its HT estimate).
        assert!(design_weights(&[0.5], &[100.0], &[1]).is_err());
        assert!(design_weights(&[0.0], &[100.0], &[0]).is_err());
    }

    #[test]
    fn trimming_caps_weights_and_keeps_the_total() {
        let mut w = vec![1.0, 1.0, 1.0, 1.0, 16.0];
        let total: f64 = w.iter().sum();
        assert_eq!(trim_weights(&mut w, 2.0), 1);
        let mean = total / 5.0;
        assert!(w.iter().all(|&x| x <= 2.0 * mean + 1e-12));
        assert!((w.iter().sum::<f64>() - total).abs() < 1e-9);
    }

    #[test]
    fn weight_summary_quantiles_follow_r_type_7() {
        let s = summarise_weights(&[1.0, 2.0, 3.0, 4.0, 10.0]).unwrap();
        assert_eq!(s.median, 3.0);
        assert_eq!(s.q1, 2.0);
        assert!((s.p95 - 8.8).abs() < 1e-12);
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<usize>(), 5);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn calibrated_weights_hit_every_margin(
            rows in proptest::collection::vec((0u32..2, 0u32..3, 0u32..4, 0.5f64..3.0), 40..200),
            factors in proptest::collection::vec(0.7f64..1.4, 9),
            method in 0usize..3,
        ) {
            let sizes = [2usize, 3, 4];
            let mut counts = vec![vec![0.0; 4]; 3];
            let mut codes = Vec::new();
            let mut d = Vec::new();
            for &(a, b, c, w) in &rows {
                codes.extend([a, b, c]);
                d.push(w);
                counts[0][a as usize] += w;
                counts[1][b as usize] += w;
                counts[2][c as usize] += w;
            }
            prop_assume!(counts.iter().zip(sizes).all(|(c, s)| c[..s].iter().all(|&x| x > 0.0)));
            let names = ["a", "b", "c"];
            let mut f = factors.iter();
            let vars: Vec<MarginVariable> = (0..3).map(|j| {
                let t: Vec<f64> = (0..sizes[j]).map(|k| counts[j][k] * f.next().copied().unwrap_or(1.0)).collect();
                let s: f64 = t.iter().sum();
                let t: Vec<f64> = t.iter().map(|x| x / s * 1000.0).collect();
                MarginVariable {
                    name: names[j].into(),
                    categories: (0..sizes[j]).map(|k| k.to_string()).collect(),
                    targets: t,
                }
            }).collect();
            let (m, bounds) = [(Method::Raking, None), (Method::Linear, None), (Method::Logit, Some((0.2, 5.0)))][method];
            let o = CalibrationOptions { method: m, bounds, ..Default::default() };
            match calibrate(&vars, &codes, &d, &o) {
                Ok(cal) => {
                    prop_assert!(margins_hit(&cal, 1e-8), "{:?}", cal.margins);
                    if m != Method::Linear { prop_assert!(cal.weights.iter().all(|&w| w > 0.0)); }
                }
                // Raking has no solution when the sample's zero cells clash with the margins,
                // logit when the bounds are too tight: both must say so.
                Err(e) => prop_assert!(matches!(e, StatsError::NotConverged { .. } | StatsError::InfeasibleBounds { .. }), "{e}"),
            }
        }
    }
}
