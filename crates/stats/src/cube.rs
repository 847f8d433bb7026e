//! The cube method for balanced sampling (Deville & Tillé 2004): a sample whose
//! Horvitz–Thompson estimates of chosen auxiliary totals equal (or nearly equal) the true
//! totals, with the given inclusion probabilities.
//!
//! * **Flight phase**: the *fast flight* of Chauvet & Tillé (2006). Only `p + 1` undecided
//!   units are handled at a time (p = number of balancing variables, the inclusion
//!   probability itself being always the first so that the sample size is fixed); a vector
//!   `u` of the kernel of their balancing matrix is found and the probabilities move along
//!   `u` until one of them reaches 0 or 1, up or down at random with the probabilities that
//!   keep each π a martingale. The Horvitz–Thompson estimates of every balancing total are
//!   therefore *exactly* preserved by the flight (checked by a test).
//! * **Landing**, when no kernel vector remains (at most p units undecided): by default by
//!   *linear programming* ([`crate::landing`]): the design over the samples of the undecided
//!   units that keeps their probabilities and minimises the expected squared relative error
//!   of the totals (with the size fixed, C(q, n) samples: 924 for q = 12). Beyond
//!   [`crate::landing::MAX_SAMPLES`] candidates, or on request ([`Landing::Suppression`]), by
//!   *suppression of variables*: the last balancing variable is dropped and the flight goes
//!   on; the first variables listed are kept longest, so list them by priority. The sample
//!   size constraint is dropped last, so the size is exact whenever Σπ is an integer.
//! * **Stratification** (Chauvet 2009): a flight within each stratum first, then a flight over
//!   the leftovers of all strata balanced on the stratum indicators and the variables, then
//!   the landing, which drops the variables before the stratum indicators, so each stratum's
//!   sample size is met.

use rand::Rng;

use crate::error::{Result, StatsError};
use crate::linalg::{invert, null_vector};
use crate::probabilities::EPS;

/// The result of a balanced draw.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancedSample {
    /// Indices of the chosen units, increasing.
    pub selected: Vec<usize>,
    /// The probabilities at the end of the flight phase (0, 1, or in between for the units
    /// left to the landing). The Horvitz–Thompson estimates of the balancing totals computed
    /// with these are exact.
    pub flight_probabilities: Vec<f64>,
    /// How many units were still undecided when the flight ended.
    pub landing_units: usize,
}

/// `true` when `p` is strictly between 0 and 1 (up to [`EPS`]).
#[inline]
pub(crate) fn undecided(p: f64) -> bool {
    p > EPS && p < 1.0 - EPS
}

/// Checks the inputs shared by the balanced methods and returns `p` (columns of `aux`).
pub(crate) fn check_inputs(pi: &[f64], aux: &[f64], p: usize) -> Result<()> {
    if aux.len() != pi.len() * p {
        return Err(StatsError::LengthMismatch {
            what: "auxiliary matrix (units × variables)",
            expected: pi.len() * p,
            got: aux.len(),
        });
    }
    for (index, &v) in pi.iter().enumerate() {
        if !(0.0..=1.0).contains(&v) {
            return Err(StatsError::InvalidValue {
                what: "inclusion probability",
                index,
                value: v,
            });
        }
    }
    for (i, &v) in aux.iter().enumerate() {
        if !v.is_finite() {
            return Err(StatsError::InvalidValue {
                what: "auxiliary value",
                index: i / p.max(1),
                value: v,
            });
        }
    }
    Ok(())
}

/// Builds the scaled balancing matrix `a_k = x_k / π_k` with the constant 1 (the size
/// constraint) as first column, row-major, and returns it with its number of columns.
/// Columns are divided by their mean absolute value over undecided units so that the rank
/// tolerance treats them alike (scaling a constraint does not change it). Columns that are
/// linear combinations of earlier ones over the undecided units (e.g. women + men = the size
/// when π ∝ population) are dropped: balancing on the others balances on them too, and
/// keeping them would make every step's matrix singular. Rows of decided units are zero.
pub(crate) fn balancing_matrix(pi: &[f64], aux: &[f64], p: usize) -> (Vec<f64>, usize) {
    let cols = p + 1;
    let n = pi.len();
    let mut full = vec![0.0; n * cols];
    let mut scale = vec![0.0; cols];
    let mut count = 0.0;
    for k in 0..n {
        if !undecided(pi[k]) {
            continue;
        }
        count += 1.0;
        full[k * cols] = 1.0;
        for j in 0..p {
            let v = aux[k * p + j] / pi[k];
            full[k * cols + 1 + j] = v;
            scale[1 + j] += v.abs();
        }
    }
    for s in scale.iter_mut().skip(1) {
        *s = if *s > 0.0 { count / *s } else { 1.0 };
    }
    // Gram matrix of the scaled columns, then a Cholesky pass that keeps a column only if
    // it adds a direction (relative residual above 1e-9).
    let mut gram = vec![0.0; cols * cols];
    for k in 0..n {
        let row = &mut full[k * cols..(k + 1) * cols];
        for j in 1..cols {
            row[j] *= scale[j];
        }
        for i in 0..cols {
            if row[i] == 0.0 {
                continue;
            }
            for j in 0..=i {
                gram[i * cols + j] += row[i] * row[j];
            }
        }
    }
    let mut kept: Vec<usize> = Vec::with_capacity(cols);
    let mut l = vec![0.0; cols * cols];
    for j in 0..cols {
        let diag = gram[j * cols + j];
        if diag <= 0.0 {
            continue;
        }
        // Residual of column j after projecting on the kept ones: Cholesky row.
        let mut lj = vec![0.0; kept.len()];
        for (t, &c) in kept.iter().enumerate() {
            let mut s = gram[j.max(c) * cols + j.min(c)];
            for m in 0..t {
                s -= lj[m] * l[t * cols + m];
            }
            lj[t] = s / l[t * cols + t];
        }
        let resid = diag - lj.iter().map(|x| x * x).sum::<f64>();
        if resid > 1e-9 * diag {
            let t = kept.len();
            l[t * cols..t * cols + t].copy_from_slice(&lj);
            l[t * cols + t] = resid.sqrt();
            kept.push(j);
        }
    }
    if kept.len() == cols {
        return (full, cols);
    }
    let m = kept.len();
    let mut a = vec![0.0; n * m];
    for k in 0..n {
        for (t, &j) in kept.iter().enumerate() {
            a[k * m + t] = full[k * cols + j];
        }
    }
    (a, m)
}

/// Reusable buffers for cube steps.
#[derive(Default)]
pub(crate) struct StepBuffers {
    b: Vec<f64>,
    u: Vec<f64>,
}

/// One cube step on `group`: finds a kernel vector of the `cols` first balancing columns
/// restricted to the group and moves the probabilities along it. Returns `false` when the
/// columns are independent on the group (no move possible).
pub(crate) fn cube_step<R: Rng + ?Sized>(
    pi: &mut [f64],
    a: &[f64],
    stride: usize,
    cols: usize,
    group: &[usize],
    buf: &mut StepBuffers,
    rng: &mut R,
) -> bool {
    let g = group.len();
    if g == 0 {
        return false;
    }
    buf.b.clear();
    buf.b.resize(cols * g, 0.0);
    for (c, &k) in group.iter().enumerate() {
        let row = &a[k * stride..k * stride + cols];
        for (j, &v) in row.iter().enumerate() {
            buf.b[j * g + c] = v;
        }
    }
    buf.u.clear();
    buf.u.resize(g, 0.0);
    if !null_vector(&mut buf.b, cols, g, &mut buf.u) {
        return false;
    }
    move_along(pi, group, &buf.u, rng);
    true
}

/// Moves `pi[group]` along `u` (a martingale step): by `+λ1·u` with probability
/// `λ2 / (λ1 + λ2)`, else by `−λ2·u`, where λ1 and λ2 are the largest steps keeping every
/// probability in [0, 1]. At least one unit of the group ends decided.
pub(crate) fn move_along<R: Rng + ?Sized>(pi: &mut [f64], group: &[usize], u: &[f64], rng: &mut R) {
    let (mut l1, mut l2) = (f64::INFINITY, f64::INFINITY);
    let (mut arg1, mut arg2) = (usize::MAX, usize::MAX);
    // Ignore negligible components (relative to the largest) to avoid λ blowing up on noise.
    let umax = u.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let tiny = umax * 1e-14;
    for (c, &k) in group.iter().enumerate() {
        let (p, uc) = (pi[k], u[c]);
        if uc > tiny {
            let up = (1.0 - p) / uc;
            let down = p / uc;
            if up < l1 {
                l1 = up;
                arg1 = c;
            }
            if down < l2 {
                l2 = down;
                arg2 = c;
            }
        } else if uc < -tiny {
            let up = p / -uc;
            let down = (1.0 - p) / -uc;
            if up < l1 {
                l1 = up;
                arg1 = c;
            }
            if down < l2 {
                l2 = down;
                arg2 = c;
            }
        }
    }
    if arg1 == usize::MAX || arg2 == usize::MAX {
        return;
    }
    let go_up = rng.random::<f64>() * (l1 + l2) < l2;
    let (lambda, sign, arg) = if go_up {
        (l1, 1.0, arg1)
    } else {
        (l2, -1.0, arg2)
    };
    for (c, &k) in group.iter().enumerate() {
        if u[c].abs() <= tiny {
            continue;
        }
        let mut v = pi[k] + sign * lambda * u[c];
        if v < EPS {
            v = 0.0;
        } else if v > 1.0 - EPS {
            v = 1.0;
        }
        pi[k] = v;
    }
    // The unit that set λ is exactly on the boundary.
    let k = group[arg];
    pi[k] = if pi[k] >= 0.5 { 1.0 } else { 0.0 };
}

/// The fast flight over `order` (units taken in that order), with the first `cols` columns
/// of `a` (row stride `stride`). Returns the units still undecided at the end.
///
/// The group is kept as `cols` "basis" units plus one extra unit, with the inverse of the
/// basis' balancing matrix: the kernel vector is then `(−A⁻¹b, 1)` (O(p²)), and when a basis
/// unit is decided the extra unit takes its place by a Sherman–Morrison update (O(p²))
/// instead of a new elimination (O(p³)). The inverse is recomputed from scratch every
/// [`REFRESH`] steps, when an update would divide by a small pivot, or when several units
/// are decided at once; a singular basis falls back to the general step.
pub(crate) fn fast_flight<R: Rng + ?Sized>(
    pi: &mut [f64],
    a: &[f64],
    stride: usize,
    cols: usize,
    order: &[usize],
    rng: &mut R,
) -> Vec<usize> {
    let p = cols;
    let mut group: Vec<usize> = Vec::with_capacity(p + 1);
    let mut buf = StepBuffers::default();
    let mut next = 0;
    let mut ainv = vec![0.0; p * p];
    let mut work = vec![0.0; p * p];
    let mut v = vec![0.0; p];
    let mut u = vec![0.0; p + 1];
    let mut row = vec![0.0; p];
    let mut valid = false;
    let mut since_refresh = 0usize;
    loop {
        while group.len() < p + 1 && next < order.len() {
            let k = order[next];
            next += 1;
            if undecided(pi[k]) {
                group.push(k);
            }
        }
        if group.len() < p + 1 || p == 0 {
            break;
        }
        if !valid || since_refresh >= REFRESH {
            for (c, &k) in group[..p].iter().enumerate() {
                for j in 0..p {
                    work[j * p + c] = a[k * stride + j];
                }
            }
            valid = invert(&mut work, p, &mut ainv);
            since_refresh = 0;
            if !valid {
                if !cube_step(pi, a, stride, cols, &group, &mut buf, rng) {
                    break;
                }
                group.retain(|&k| undecided(pi[k]));
                continue;
            }
        }
        // v = A⁻¹ b, u = (−v, 1).
        let b = &a[group[p] * stride..group[p] * stride + p];
        for r in 0..p {
            let ar = &ainv[r * p..(r + 1) * p];
            v[r] = ar.iter().zip(b).map(|(x, y)| x * y).sum();
            u[r] = -v[r];
        }
        u[p] = 1.0;
        move_along(pi, &group, &u, rng);
        since_refresh += 1;
        let decided: Vec<usize> = (0..=p).filter(|&c| !undecided(pi[group[c]])).collect();
        match decided.as_slice() {
            [c] if *c == p => {
                group.pop();
            }
            [r] => {
                let r = *r;
                let vmax = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                if v[r].abs() > 1e-6 * vmax {
                    // Column r of A becomes b: A⁻¹ ← A⁻¹ − (v − e_r) ⊗ (row r of A⁻¹) / v_r.
                    row.copy_from_slice(&ainv[r * p..(r + 1) * p]);
                    let inv_vr = 1.0 / v[r];
                    for i in 0..p {
                        let f = (v[i] - if i == r { 1.0 } else { 0.0 }) * inv_vr;
                        if f != 0.0 {
                            for (x, y) in ainv[i * p..(i + 1) * p].iter_mut().zip(&row) {
                                *x -= f * y;
                            }
                        }
                    }
                } else {
                    valid = false;
                }
                group.swap_remove(r);
            }
            _ => {
                valid = false;
                group.retain(|&k| undecided(pi[k]));
            }
        }
    }
    // Fewer than p + 1 units left: general steps while a kernel vector exists.
    loop {
        group.retain(|&k| undecided(pi[k]));
        if group.is_empty() || !cube_step(pi, a, stride, cols, &group, &mut buf, rng) {
            break;
        }
    }
    group
}

/// Steps between two full recomputations of the basis inverse in the fast flight.
const REFRESH: usize = 64;

/// Landing by suppression of variables: repeats the flight on `left`, dropping the last
/// balancing column each time no move remains, until every unit is decided.
pub(crate) fn land_by_suppression<R: Rng + ?Sized>(
    pi: &mut [f64],
    a: &[f64],
    stride: usize,
    mut cols: usize,
    mut left: Vec<usize>,
    rng: &mut R,
) {
    while !left.is_empty() {
        if cols == 0 {
            // No constraint left: independent Bernoulli draws on what remains (Σπ was not
            // an integer).
            for &k in &left {
                pi[k] = if rng.random::<f64>() < pi[k] {
                    1.0
                } else {
                    0.0
                };
            }
            return;
        }
        cols -= 1;
        left = fast_flight(pi, a, stride, cols, &left, rng);
    }
}

fn shuffled<R: Rng + ?Sized>(mut v: Vec<usize>, rng: &mut R) -> Vec<usize> {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
    v
}

/// How the cube method lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Landing {
    /// By linear programming over the samples of the undecided units (the best balance the
    /// flight's leftovers allow), falling back to suppression when there are more than
    /// [`crate::landing::MAX_SAMPLES`] candidate samples.
    #[default]
    LinearProgram,
    /// By suppression of variables, the last listed first.
    Suppression,
}

/// Scale of each balancing column's total (its HT total over the frame), against which the
/// LP landing measures relative errors.
pub(crate) fn column_totals(pi: &[f64], a: &[f64], cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; cols];
    for (k, &p) in pi.iter().enumerate() {
        for j in 0..cols {
            t[j] += p * a[k * cols + j];
        }
    }
    t
}

/// Lands `left` with the chosen method (LP, falling back to suppression).
#[allow(clippy::too_many_arguments)]
pub(crate) fn land<R: Rng + ?Sized>(
    landing: Landing,
    pi: &mut [f64],
    a: &[f64],
    stride: usize,
    cols: usize,
    totals: &[f64],
    left: Vec<usize>,
    rng: &mut R,
) {
    if landing == Landing::LinearProgram
        && crate::landing::land_by_lp(pi, a, stride, cols, totals, &left, rng)
    {
        return;
    }
    land_by_suppression(pi, a, stride, cols, left, rng);
}

/// Draws a balanced sample by the cube method, landing by linear programming (see
/// [`cube_with_landing`]).
pub fn cube<R: Rng + ?Sized>(
    pi: &[f64],
    aux: &[f64],
    p: usize,
    strata: Option<&[usize]>,
    rng: &mut R,
) -> Result<BalancedSample> {
    cube_with_landing(pi, aux, p, strata, Landing::LinearProgram, rng)
}

/// Draws a balanced sample by the cube method.
///
/// `pi` are the inclusion probabilities; `aux` the `N × p` auxiliary totals (row-major),
/// listed by priority (the suppression landing drops the last first); `strata`, when given,
/// the stratum index of each unit (the sample size of each stratum is then fixed at the sum
/// of its π, which should be an integer). The size constraint (Σπ) is always added.
pub fn cube_with_landing<R: Rng + ?Sized>(
    pi: &[f64],
    aux: &[f64],
    p: usize,
    strata: Option<&[usize]>,
    landing: Landing,
    rng: &mut R,
) -> Result<BalancedSample> {
    check_inputs(pi, aux, p)?;
    let n = pi.len();
    let (a, cols) = balancing_matrix(pi, aux, p);
    let totals = column_totals(pi, &a, cols);
    let mut probs = pi.to_vec();
    for v in probs.iter_mut() {
        if !undecided(*v) {
            *v = v.round();
        }
    }
    let (flight_probabilities, landing_units) = match strata {
        None => {
            let order = shuffled((0..n).filter(|&k| undecided(probs[k])).collect(), rng);
            let left = fast_flight(&mut probs, &a, cols, cols, &order, rng);
            let flight = probs.clone();
            let landing_units = left.len();
            land(landing, &mut probs, &a, cols, cols, &totals, left, rng);
            (flight, landing_units)
        }
        Some(strata) => {
            if strata.len() != n {
                return Err(StatsError::LengthMismatch {
                    what: "strata",
                    expected: n,
                    got: strata.len(),
                });
            }
            let h = strata.iter().copied().max().map_or(0, |m| m + 1);
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); h];
            for k in 0..n {
                if undecided(probs[k]) {
                    members[strata[k]].push(k);
                }
            }
            let mut leftovers = Vec::new();
            for m in members {
                let order = shuffled(m, rng);
                leftovers.extend(fast_flight(&mut probs, &a, cols, cols, &order, rng));
            }
            // Global flight on the leftovers: stratum indicators, then the variables.
            let strata_used: Vec<usize> = {
                let mut s: Vec<usize> = leftovers.iter().map(|&k| strata[k]).collect();
                s.sort_unstable();
                s.dedup();
                s
            };
            let hs = strata_used.len();
            let gcols = hs + cols - 1;
            let mut local_pi: Vec<f64> = leftovers.iter().map(|&k| probs[k]).collect();
            let mut local_a = vec![0.0; leftovers.len() * gcols];
            for (i, &k) in leftovers.iter().enumerate() {
                let pos = strata_used.binary_search(&strata[k]).unwrap_or(0);
                local_a[i * gcols + pos] = 1.0;
                local_a[i * gcols + hs..(i + 1) * gcols]
                    .copy_from_slice(&a[k * cols + 1..(k + 1) * cols]);
            }
            // Stratum sizes first: the suppression landing drops columns from the end.
            let mut local_totals: Vec<f64> = strata_used
                .iter()
                .map(|&h| (0..n).filter(|&k| strata[k] == h).map(|k| pi[k]).sum())
                .collect();
            local_totals.extend_from_slice(&totals[1..]);
            let order = shuffled((0..leftovers.len()).collect(), rng);
            let left = fast_flight(&mut local_pi, &local_a, gcols, gcols, &order, rng);
            for (i, &k) in leftovers.iter().enumerate() {
                probs[k] = local_pi[i];
            }
            let flight = probs.clone();
            let landing_units = left.len();
            land(
                landing,
                &mut local_pi,
                &local_a,
                gcols,
                gcols,
                &local_totals,
                left,
                rng,
            );
            for (i, &k) in leftovers.iter().enumerate() {
                probs[k] = local_pi[i];
            }
            (flight, landing_units)
        }
    };
    let selected = (0..n).filter(|&k| probs[k] > 0.5).collect();
    Ok(BalancedSample {
        selected,
        flight_probabilities,
        landing_units,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::probabilities::proportional_probabilities;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A synthetic frame: sizes and `p` auxiliary totals correlated with size.
    pub(crate) fn frame(n: usize, p: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sizes: Vec<f64> = (0..n)
            .map(|_| 200.0 + 1800.0 * rng.random::<f64>())
            .collect();
        let mut aux = vec![0.0; n * p];
        for k in 0..n {
            for j in 0..p {
                let share = 0.05 + 0.5 * rng.random::<f64>();
                aux[k * p + j] = (sizes[k] * share).round();
            }
        }
        let coords: Vec<f64> = (0..2 * n).map(|_| rng.random::<f64>()).collect();
        (sizes, aux, coords)
    }

    pub(crate) fn ht_relative_errors(pi: &[f64], aux: &[f64], p: usize, probs: &[f64]) -> Vec<f64> {
        (0..p)
            .map(|j| {
                let total: f64 = (0..pi.len()).map(|k| aux[k * p + j]).sum();
                let ht: f64 = (0..pi.len())
                    .filter(|&k| pi[k] > 0.0)
                    .map(|k| aux[k * p + j] * probs[k] / pi[k])
                    .sum();
                (ht - total).abs() / total
            })
            .collect()
    }

    #[test]
    fn flight_keeps_horvitz_thompson_estimates_exact() {
        // The test BalancedSampling 2.0.6 would have failed: after the flight phase the HT
        // estimates of every balancing total equal the totals (up to the snapping of π to
        // 0 and 1 within 1e-9).
        let (sizes, aux, _) = frame(3000, 8, 7);
        let pi = proportional_probabilities(&sizes, 100.0).unwrap();
        for seed in 0..5 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = cube(&pi, &aux, 8, None, &mut rng).unwrap();
            for e in ht_relative_errors(&pi, &aux, 8, &s.flight_probabilities) {
                assert!(e < 1e-7, "HT relative error after flight {e}");
            }
            assert!(s.landing_units <= 9);
            assert_eq!(s.selected.len(), 100);
            // And after landing, close to balanced (errors of order p/n).
            let probs: Vec<f64> = (0..pi.len())
                .map(|k| {
                    if s.selected.binary_search(&k).is_ok() {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            for e in ht_relative_errors(&pi, &aux, 8, &probs) {
                assert!(e < 0.05, "HT relative error after landing {e}");
            }
        }
    }

    #[test]
    fn redundant_balancing_columns_are_balanced_too() {
        // Women + men = population and π ∝ population: three collinear constraints, as in
        // real frames. The redundant one is dropped from the steps but stays exact.
        let (sizes, aux, _) = frame(2000, 2, 9);
        let mut x = Vec::new();
        for k in 0..2000 {
            let women = (sizes[k] * 0.52).round();
            x.extend([
                women,
                sizes[k] - women,
                aux[k * 2],
                aux[k * 2 + 1],
                2.0 * aux[k * 2] + 1.0,
            ]);
        }
        let pi = proportional_probabilities(&sizes, 80.0).unwrap();
        let (_, cols) = balancing_matrix(&pi, &x, 5);
        assert_eq!(cols, 5, "1, women, aux0, aux1, 2·aux0+1 kept; men dropped");
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let s = cube(&pi, &x, 5, None, &mut rng).unwrap();
        for e in ht_relative_errors(&pi, &x, 5, &s.flight_probabilities) {
            assert!(e < 1e-7, "HT after flight {e}");
        }
        assert_eq!(s.selected.len(), 80);
    }

    #[test]
    fn stratified_cube_fixes_each_stratum_size() {
        let (sizes, aux, _) = frame(2000, 4, 11);
        let strata: Vec<usize> = (0..2000).map(|k| k % 5).collect();
        let (pi, alloc) =
            crate::probabilities::stratified_probabilities(Some(&sizes), &strata, 60).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let s = cube(&pi, &aux, 4, Some(&strata), &mut rng).unwrap();
        let mut got = [0usize; 5];
        for &k in &s.selected {
            got[strata[k]] += 1;
        }
        assert_eq!(got.to_vec(), alloc);
        for e in ht_relative_errors(&pi, &aux, 4, &s.flight_probabilities) {
            assert!(e < 1e-7);
        }
    }

    #[test]
    fn certain_and_impossible_units_are_kept_as_they_are() {
        let pi = vec![1.0, 0.0, 0.5, 0.5, 0.5, 0.5];
        let aux = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let s = cube(&pi, &aux, 1, None, &mut rng).unwrap();
        assert!(s.selected.contains(&0));
        assert!(!s.selected.contains(&1));
        assert_eq!(s.selected.len(), 3);
    }

    #[test]
    fn inclusion_probabilities_are_respected_over_many_draws() {
        // 4000 draws of n = 6 out of 30 units with unequal π: each unit's selection frequency
        // must be within 4.5 standard errors of its π (a false alarm has probability < 1e-4
        // over the 30 units).
        let (sizes, aux, _) = frame(30, 3, 5);
        let pi = proportional_probabilities(&sizes, 6.0).unwrap();
        let draws = 4000;
        let mut counts = vec![0usize; 30];
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        for _ in 0..draws {
            for k in cube(&pi, &aux, 3, None, &mut rng).unwrap().selected {
                counts[k] += 1;
            }
        }
        for k in 0..30 {
            let f = counts[k] as f64 / draws as f64;
            let se = (pi[k] * (1.0 - pi[k]) / draws as f64).sqrt();
            assert!(
                (f - pi[k]).abs() < 4.5 * se,
                "unit {k}: π = {} frequency {f}",
                pi[k]
            );
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(cube(&[0.5, 1.5], &[1.0, 1.0], 1, None, &mut rng).is_err());
        assert!(cube(&[0.5, 0.5], &[1.0], 1, None, &mut rng).is_err());
        assert!(cube(&[0.5, 0.5], &[1.0, f64::NAN], 1, None, &mut rng).is_err());
    }
}
