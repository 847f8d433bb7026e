//! Vote transfers between two elections by ecological inference: where a bloc's voters went.
//!
//! Method, in two steps:
//!
//! 1. **Constrained (bounded) Goodman regression** for the global transfer matrix B: each
//!    bureau's shares of the second election's categories (per registered voter, abstention
//!    included) are regressed on its shares of the first election's categories,
//!    yᵢ ≈ xᵢ B, by least squares weighted by inscrits, under the constraints that make B a
//!    matrix of transfer rates: every entry in [0, 1] and every row summing to 1. Solved by
//!    accelerated projected gradient (FISTA, rows projected on the simplex).
//! 2. **Per-bureau adjustment** by iterative proportional fitting (the entropy-maximising
//!    method of Johnston and Pattie): starting from B, each bureau's table of voters
//!    (first-election category × second-election category) is scaled until its rows add up
//!    to the bureau's first-election counts and its columns to its second-election counts. The
//!    result is the table closest to B (in Kullback-Leibler divergence) that fits the bureau's
//!    own margins exactly.
//!
//! Assumptions, which the user should know: transfer rates are the same in every bureau up to
//! what its margins force (no aggregation bias: a bloc's voters behave alike in bureaux where it
//! is strong and where it is weak); the electorate is the same at both elections (movers,
//! deaths and new registrations are ignored; the second election's counts are rescaled to the
//! first's inscrits); categories must include abstention so that every voter is counted once.

use crate::counts::{ElectionCounts, ratio};
use crate::error::TargetingError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_model::BureauId;

/// Per-bureau counts of an election split into categories that cover every registered voter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryTable {
    pub categories: Vec<String>,
    pub bureaux: Vec<BureauId>,
    /// One row per bureau, one column per category.
    pub counts: Vec<Vec<f64>>,
}

/// The four categories every [`ElectionCounts`] gives: the bloc, other valid votes, blank and
/// spoilt ballots, abstention.
pub const FOUR: [&str; 4] = ["bloc", "other_valid", "blank_null", "abstention"];

impl CategoryTable {
    /// The four categories of [`FOUR`].
    pub fn from_counts(ec: &ElectionCounts) -> Self {
        Self {
            categories: FOUR.iter().map(|s| s.to_string()).collect(),
            bureaux: ec.bureaux.iter().map(|b| b.bureau.clone()).collect(),
            counts: ec
                .bureaux
                .iter()
                .map(|b| {
                    vec![
                        b.bloc,
                        (b.exprimes - b.bloc).max(0.0),
                        (b.inscrits - b.abstentions - b.exprimes).max(0.0),
                        b.abstentions,
                    ]
                })
                .collect(),
        }
    }
}

/// Options of the estimation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransferOptions {
    pub max_iterations: usize,
    /// Stop when the objective's relative change falls below this.
    pub tolerance: f64,
    pub ipf_iterations: usize,
    /// Compute every bureau's table (step 2).
    pub per_bureau: bool,
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            max_iterations: 20_000,
            tolerance: 1e-12,
            ipf_iterations: 500,
            per_bureau: true,
        }
    }
}

/// One bureau's estimated table of voters: `cells[r][c]` voters of first-election category r
/// who are in second-election category c.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BureauTransfers {
    pub bureau: BureauId,
    pub cells: Vec<Vec<f64>>,
    /// Largest margin error left by the adjustment, in voters.
    pub margin_error: f64,
}

/// The estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransferEstimate {
    pub from: Vec<String>,
    pub to: Vec<String>,
    /// Transfer rates: `matrix[r][c]` = share of category r's voters found in c.
    pub matrix: Vec<Vec<f64>>,
    pub bureaux: usize,
    pub iterations: usize,
    /// Share of the (inscrits-weighted) variance of the second election's shares explained by
    /// xᵢ B, against the flat prediction of the overall shares.
    pub r2: f64,
    pub per_bureau: Vec<BureauTransfers>,
}

impl TransferEstimate {
    /// Per bureau, where first-election category `from` went (voters per second-election
    /// category).
    pub fn destinations(&self, from: usize) -> Vec<(&BureauId, &[f64])> {
        self.per_bureau
            .iter()
            .filter_map(|b| b.cells.get(from).map(|row| (&b.bureau, row.as_slice())))
            .collect()
    }
}

/// Euclidean projection of `v` onto the probability simplex (Duchi et al. 2008).
pub(crate) fn project_simplex(v: &mut [f64]) {
    let mut u: Vec<f64> = v.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let mut cum = 0.0;
    let mut theta = 0.0;
    for (j, uj) in u.iter().enumerate() {
        cum += uj;
        let t = (cum - 1.0) / (j + 1) as f64;
        if uj - t > 0.0 {
            theta = t;
        }
    }
    for x in v.iter_mut() {
        *x = (*x - theta).max(0.0);
    }
}

/// Estimates transfers from `from` to `to` over the bureaux present in both.
pub fn estimate_transfers(
    from: &CategoryTable,
    to: &CategoryTable,
    options: &TransferOptions,
) -> Result<TransferEstimate, TargetingError> {
    let (r, c) = (from.categories.len(), to.categories.len());
    if r == 0 || c == 0 {
        return Err(TargetingError::option("transfers", "no categories"));
    }
    let to_idx: HashMap<&BureauId, usize> =
        to.bureaux.iter().enumerate().map(|(i, b)| (b, i)).collect();
    // Joined bureaux: (from row, to row, weight).
    let mut rows = Vec::new();
    for (i, b) in from.bureaux.iter().enumerate() {
        let Some(&j) = to_idx.get(b) else { continue };
        let fr = &from.counts[i];
        let tr = &to.counts[j];
        if fr.len() != r || tr.len() != c {
            return Err(TargetingError::option(
                "transfers",
                format!(
                    "bureau {b}: {} and {} counts for {r} and {c} categories",
                    fr.len(),
                    tr.len()
                ),
            ));
        }
        let (fs, ts): (f64, f64) = (fr.iter().sum(), tr.iter().sum());
        if fs > 0.0 && ts > 0.0 {
            rows.push((i, j, ts));
        }
    }
    if rows.len() < r + 1 {
        return Err(TargetingError::insufficient(
            "transfers",
            format!(
                "{} bureaux in both elections for {r} categories",
                rows.len()
            ),
        ));
    }
    // G = Σ w x xᵀ, H = Σ w x yᵀ, on shares per inscrit.
    let mut g = vec![0.0; r * r];
    let mut h = vec![0.0; r * c];
    let mut ybar = vec![0.0; c];
    let mut wsum = 0.0;
    let mut xs = Vec::with_capacity(rows.len());
    let mut ys = Vec::with_capacity(rows.len());
    for &(i, j, w) in &rows {
        let fs: f64 = from.counts[i].iter().sum();
        let ts: f64 = to.counts[j].iter().sum();
        let x: Vec<f64> = from.counts[i].iter().map(|v| v / fs).collect();
        let y: Vec<f64> = to.counts[j].iter().map(|v| v / ts).collect();
        for a in 0..r {
            for b in 0..r {
                g[a * r + b] += w * x[a] * x[b];
            }
            for k in 0..c {
                h[a * c + k] += w * x[a] * y[k];
            }
        }
        for k in 0..c {
            ybar[k] += w * y[k];
        }
        wsum += w;
        xs.push(x);
        ys.push(y);
    }
    for v in &mut ybar {
        *v /= wsum;
    }
    // Lipschitz constant: the largest eigenvalue of G, by power iteration.
    let mut v = vec![1.0; r];
    let mut lambda = 0.0;
    for _ in 0..200 {
        let mut gv = vec![0.0; r];
        for a in 0..r {
            for b in 0..r {
                gv[a] += g[a * r + b] * v[b];
            }
        }
        let norm = gv.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        lambda = norm;
        v = gv.into_iter().map(|x| x / norm).collect();
    }
    let step = if lambda > 0.0 {
        1.0 / (lambda * 1.01)
    } else {
        1.0
    };
    let objective = |b: &[f64]| {
        // ½ tr(Bᵀ G B) − tr(Bᵀ H)
        let mut s = 0.0;
        for k in 0..c {
            for a in 0..r {
                let mut gb = 0.0;
                for d in 0..r {
                    gb += g[a * r + d] * b[d * c + k];
                }
                s += 0.5 * b[a * c + k] * gb - b[a * c + k] * h[a * c + k];
            }
        }
        s
    };
    let project = |b: &mut [f64]| {
        for a in 0..r {
            project_simplex(&mut b[a * c..(a + 1) * c]);
        }
    };
    // Start from the overall second-election shares in every row.
    let mut b: Vec<f64> = (0..r).flat_map(|_| ybar.iter().copied()).collect();
    project(&mut b);
    let mut z = b.clone();
    let mut t = 1.0f64;
    let mut prev = objective(&b);
    let mut iterations = 0;
    for it in 0..options.max_iterations {
        iterations = it + 1;
        let mut next = z.clone();
        for a in 0..r {
            for k in 0..c {
                let mut grad = -h[a * c + k];
                for d in 0..r {
                    grad += g[a * r + d] * z[d * c + k];
                }
                next[a * c + k] -= step * grad;
            }
        }
        project(&mut next);
        let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
        let momentum = (t - 1.0) / t_next;
        let obj = objective(&next);
        // Restart the momentum when the objective goes up (adaptive restart).
        if obj > prev {
            z = b.clone();
            t = 1.0;
            continue;
        }
        for q in 0..r * c {
            z[q] = next[q] + momentum * (next[q] - b[q]);
        }
        b = next;
        t = t_next;
        let done = (prev - obj).abs() <= options.tolerance * (1.0 + obj.abs());
        prev = obj;
        if done && it > 10 {
            break;
        }
    }
    let matrix: Vec<Vec<f64>> = (0..r).map(|a| b[a * c..(a + 1) * c].to_vec()).collect();
    // R² of the fitted shares.
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for (q, &(_, _, w)) in rows.iter().enumerate() {
        for k in 0..c {
            let fit: f64 = (0..r).map(|a| xs[q][a] * matrix[a][k]).sum();
            ss_res += w * (ys[q][k] - fit).powi(2);
            ss_tot += w * (ys[q][k] - ybar[k]).powi(2);
        }
    }
    let mut per_bureau = Vec::new();
    if options.per_bureau {
        per_bureau.reserve(rows.len());
        for &(i, j, _) in &rows {
            per_bureau.push(adjust(
                &matrix,
                &from.counts[i],
                &to.counts[j],
                options.ipf_iterations,
                from.bureaux[i].clone(),
            ));
        }
    }
    Ok(TransferEstimate {
        from: from.categories.clone(),
        to: to.categories.clone(),
        matrix,
        bureaux: rows.len(),
        iterations,
        r2: if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            0.0
        },
        per_bureau,
    })
}

/// Step 2: scales the global rates to one bureau's margins (the second election's counts
/// rescaled to the first's total).
fn adjust(
    matrix: &[Vec<f64>],
    row_m: &[f64],
    col_raw: &[f64],
    iterations: usize,
    bureau: BureauId,
) -> BureauTransfers {
    let (r, c) = (row_m.len(), col_raw.len());
    let fs: f64 = row_m.iter().sum();
    let ts: f64 = col_raw.iter().sum();
    let col_m: Vec<f64> = col_raw.iter().map(|v| v * ratio(fs, ts)).collect();
    let mut cells: Vec<Vec<f64>> = (0..r)
        .map(|a| (0..c).map(|k| row_m[a] * matrix[a][k]).collect())
        .collect();
    // A column the rates give no one but that has voters: seed it thinly so IPF can reach it.
    for k in 0..c {
        if col_m[k] > 0.0 && cells.iter().all(|row| row[k] <= 0.0) {
            for (a, row) in cells.iter_mut().enumerate() {
                row[k] = 1e-9 * row_m[a].max(1e-9);
            }
        }
    }
    let mut err = f64::INFINITY;
    for _ in 0..iterations {
        for k in 0..c {
            let s: f64 = cells.iter().map(|row| row[k]).sum();
            let f = if s > 0.0 { col_m[k] / s } else { 0.0 };
            for row in cells.iter_mut() {
                row[k] *= f;
            }
        }
        for a in 0..r {
            let s: f64 = cells[a].iter().sum();
            let f = if s > 0.0 { row_m[a] / s } else { 0.0 };
            for v in cells[a].iter_mut() {
                *v *= f;
            }
        }
        err = (0..c)
            .map(|k| (cells.iter().map(|row| row[k]).sum::<f64>() - col_m[k]).abs())
            .fold(0.0, f64::max);
        if err < 1e-9 * fs.max(1.0) {
            break;
        }
    }
    BureauTransfers {
        bureau,
        cells,
        margin_error: err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Binomial, Distribution};

    fn multinomial(rng: &mut ChaCha8Rng, p: &[f64], n: u64) -> Vec<u64> {
        let (mut left, mut rest) = (n, 1.0);
        let mut out = vec![0; p.len()];
        for (k, pk) in p.iter().enumerate() {
            if k + 1 == p.len() {
                out[k] = left;
                break;
            }
            let q = if rest > 0.0 {
                (pk / rest).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let x = Binomial::new(left, q).unwrap().sample(rng);
            out[k] = x;
            left -= x;
            rest -= pk;
        }
        out
    }

    fn ids(n: usize) -> Vec<BureauId> {
        (0..n)
            .map(|i| BureauId::parse(&format!("69{:03}_{:04}", i / 500 + 1, i % 500 + 1)).unwrap())
            .collect()
    }

    #[test]
    fn recovers_a_known_transfer_matrix_from_simulated_bureaux() {
        let truth = [
            [0.70, 0.10, 0.05, 0.15],
            [0.05, 0.80, 0.03, 0.12],
            [0.10, 0.20, 0.40, 0.30],
            [0.08, 0.07, 0.02, 0.83],
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 1500;
        let ids = ids(n);
        let mut from = CategoryTable {
            categories: FOUR.iter().map(|s| s.to_string()).collect(),
            bureaux: ids.clone(),
            counts: vec![],
        };
        let mut to = from.clone();
        to.counts.clear();
        for _ in 0..n {
            let bloc: f64 = rng.random_range(0.05..0.5);
            let abst: f64 = rng.random_range(0.1..0.4);
            let blank: f64 = rng.random_range(0.0..0.05);
            let other = 1.0 - bloc - abst - blank;
            let ins: u64 = rng.random_range(400..1500);
            let x = [bloc, other, blank, abst];
            let f: Vec<f64> = x.iter().map(|s| (s * ins as f64).round()).collect();
            let mut t = vec![0.0; 4];
            for (a, &count) in f.iter().enumerate() {
                for (k, v) in multinomial(&mut rng, &truth[a], count as u64)
                    .into_iter()
                    .enumerate()
                {
                    t[k] += v as f64;
                }
            }
            from.counts.push(f);
            to.counts.push(t);
        }
        let est = estimate_transfers(&from, &to, &TransferOptions::default()).unwrap();
        for a in 0..4 {
            let s: f64 = est.matrix[a].iter().sum();
            assert!((s - 1.0).abs() < 1e-9);
            for k in 0..4 {
                assert!(est.matrix[a][k] >= 0.0);
                assert!(
                    (est.matrix[a][k] - truth[a][k]).abs() < 0.05,
                    "cell {a},{k}: {} vs {}",
                    est.matrix[a][k],
                    truth[a][k]
                );
            }
        }
        assert!(est.r2 > 0.5, "{}", est.r2);
        // Per-bureau tables fit the bureau's margins.
        let b = &est.per_bureau[0];
        let rows: Vec<f64> = b.cells.iter().map(|r| r.iter().sum()).collect();
        for (a, v) in rows.iter().enumerate() {
            assert!((v - from.counts[0][a]).abs() < 1e-6);
        }
        assert!(b.margin_error < 1e-6);
        assert_eq!(est.destinations(0).len(), n);
    }

    #[test]
    fn too_few_bureaux_is_an_error() {
        let t = CategoryTable {
            categories: vec!["a".into(), "b".into()],
            bureaux: ids(1),
            counts: vec![vec![1.0, 2.0]],
        };
        assert!(estimate_transfers(&t, &t, &TransferOptions::default()).is_err());
    }

    proptest! {
        #[test]
        fn projection_lands_on_the_simplex(v in proptest::collection::vec(-3.0f64..3.0, 1..8)) {
            let mut p = v.clone();
            project_simplex(&mut p);
            prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            prop_assert!(p.iter().all(|x| *x >= 0.0));
        }
    }
}
