//! Non-negative matrix factorisation of a sparse answers × features matrix.
//!
//! Minimises ½‖X − WH‖²_F over W ≥ 0 (answers × themes) and H ≥ 0 (themes × features)
//! by hierarchical alternating least squares (HALS, Cichocki & Phan 2009), the coordinate
//! descent scikit-learn's `NMF(solver="cd")` also uses. H starts from k answers picked by
//! k-means++ seeding (the first at random, each next one with probability proportional to
//! its squared distance to those already picked) from the caller's seed (ChaCha8), plus a
//! little uniform noise; or from a given H (warm start). Purely random starts (scikit-learn's
//! `init="random"`) fall into poor local minima far more often: on three planted subjects,
//! one random start in three merged two subjects. Iterations stop when the relative
//! decrease of the residual falls below `tol`, or after `max_iter`.
//!
//! The work is split into a fixed number of row blocks run on scoped threads; since the
//! blocks do not depend on the thread count, results are identical on any machine.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::features::SparseMatrix;

/// Options of one factorisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NmfOptions {
    /// Number of themes.
    pub k: usize,
    /// Maximum number of iterations.
    pub max_iter: usize,
    /// Stop when the residual decreases by less than this fraction.
    pub tol: f64,
    /// Seed of the random initialisation.
    pub seed: u64,
    /// Threads to use (1 = none); results do not depend on it.
    pub threads: usize,
}

impl Default for NmfOptions {
    fn default() -> Self {
        Self {
            k: 8,
            max_iter: 200,
            tol: 1e-4,
            seed: 0,
            threads: 2,
        }
    }
}

/// A factorisation X ≈ WH.
#[derive(Debug, Clone, PartialEq)]
pub struct NmfFit {
    /// Number of themes.
    pub k: usize,
    /// Rows of X.
    pub n: usize,
    /// Columns of X.
    pub m: usize,
    /// W, n × k, row-major.
    pub w: Vec<f64>,
    /// H transposed, m × k, row-major (feature j's loadings at `ht[j*k..(j+1)*k]`).
    pub ht: Vec<f64>,
    /// Frobenius norm of the residual ‖X − WH‖.
    pub residual: f64,
    /// Iterations run.
    pub iterations: usize,
    /// True when `tol` was reached before `max_iter`.
    pub converged: bool,
}

impl NmfFit {
    /// Theme `l`'s loading on feature `j`.
    #[must_use]
    pub fn h(&self, l: usize, j: usize) -> f64 {
        self.ht[j * self.k + l]
    }

    /// Row `i` of W.
    #[must_use]
    pub fn w_row(&self, i: usize) -> &[f64] {
        &self.w[i * self.k..(i + 1) * self.k]
    }

    /// Indices of the `n` features with the largest loadings on theme `l`.
    #[must_use]
    pub fn top_features(&self, l: usize, n: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.m).filter(|&j| self.h(l, j) > 0.0).collect();
        idx.sort_by(|&a, &b| self.h(l, b).total_cmp(&self.h(l, a)).then(a.cmp(&b)));
        idx.truncate(n);
        idx
    }

    /// Scales each theme so that its loadings sum to 1, moving the scale into W; then
    /// orders themes by their total weight in W (largest first).
    pub fn normalize(&mut self) {
        let k = self.k;
        for l in 0..k {
            let s: f64 = (0..self.m).map(|j| self.ht[j * k + l]).sum();
            if s > 0.0 {
                for j in 0..self.m {
                    self.ht[j * k + l] /= s;
                }
                for i in 0..self.n {
                    self.w[i * k + l] *= s;
                }
            }
        }
        let mut mass: Vec<(usize, f64)> = (0..k)
            .map(|l| (l, (0..self.n).map(|i| self.w[i * k + l]).sum()))
            .collect();
        mass.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let order: Vec<usize> = mass.iter().map(|&(l, _)| l).collect();
        let permute = |v: &mut Vec<f64>, rows: usize| {
            let mut out = vec![0.0; v.len()];
            for r in 0..rows {
                for (new, &old) in order.iter().enumerate() {
                    out[r * k + new] = v[r * k + old];
                }
            }
            *v = out;
        };
        permute(&mut self.w, self.n);
        permute(&mut self.ht, self.m);
    }
}

/// A block of W's rows and its row range, for one thread.
type RowJob<'a> = (&'a mut [f64], (usize, usize));

/// Number of row blocks: fixed, so that sums do not depend on the thread count.
const BLOCKS: usize = 8;

fn blocks(n: usize) -> Vec<(usize, usize)> {
    let size = n.div_ceil(BLOCKS).max(1);
    (0..n)
        .step_by(size)
        .map(|a| (a, (a + size).min(n)))
        .collect()
}

/// Runs `f` on each block, on up to `threads` threads, returning results in block order.
fn run_blocks<T: Send>(
    ranges: &[(usize, usize)],
    threads: usize,
    f: impl Fn(usize, usize) -> T + Sync,
) -> Vec<T> {
    if threads <= 1 || ranges.len() <= 1 {
        return ranges.iter().map(|&(a, b)| f(a, b)).collect();
    }
    let per = ranges.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .chunks(per)
            .map(|chunk| {
                let f = &f;
                scope.spawn(move || chunk.iter().map(|&(a, b)| f(a, b)).collect::<Vec<T>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Gram matrix GᵀG of a row-major r × k matrix.
fn gram(g: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![0.0; k * k];
    for row in g.chunks_exact(k) {
        for a in 0..k {
            let ra = row[a];
            if ra == 0.0 {
                continue;
            }
            for b in a..k {
                out[a * k + b] += ra * row[b];
            }
        }
    }
    for a in 0..k {
        for b in 0..a {
            out[a * k + b] = out[b * k + a];
        }
    }
    out
}

/// One HALS sweep over the rows of `g` (r × k) given the gram `c` and the target `d` (r × k).
fn hals_rows(g: &mut [f64], d: &[f64], c: &[f64], k: usize) {
    for (row, drow) in g.chunks_exact_mut(k).zip(d.chunks_exact(k)) {
        for l in 0..k {
            let cll = c[l * k + l];
            if cll <= 0.0 {
                continue;
            }
            let dot: f64 = (0..k).map(|p| row[p] * c[p * k + l]).sum();
            let v = row[l] + (drow[l] - dot) / cll;
            row[l] = if v > 0.0 { v } else { 0.0 };
        }
    }
}

/// k-means++ seeding of H (m × k, row-major by feature) from rows of `x`.
fn spread_init(x: &SparseMatrix, k: usize, scale: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let (n, m) = (x.n_rows, x.n_cols);
    let mut ht: Vec<f64> = (0..m * k)
        .map(|_| rng.random::<f64>() * scale * 0.1)
        .collect();
    let norms: Vec<f64> = (0..n)
        .map(|i| x.row(i).1.iter().map(|v| v * v).sum::<f64>())
        .collect();
    let candidates: Vec<usize> = (0..n).filter(|&i| norms[i] > 0.0).collect();
    if candidates.is_empty() {
        return ht;
    }
    let mut dense = vec![0.0; m];
    let mut dist = vec![f64::INFINITY; n];
    let mut chosen = candidates[rng.random_range(0..candidates.len())];
    for l in 0..k {
        let (cols, vals) = x.row(chosen);
        for (&j, &v) in cols.iter().zip(vals) {
            ht[j as usize * k + l] += v;
            dense[j as usize] = v;
        }
        // squared distances to the nearest chosen row
        for &i in &candidates {
            let (c, v) = x.row(i);
            let dot: f64 = c
                .iter()
                .zip(v)
                .map(|(&j, &val)| val * dense[j as usize])
                .sum();
            let d = (norms[i] + norms[chosen] - 2.0 * dot).max(0.0);
            if d < dist[i] {
                dist[i] = d;
            }
        }
        for &j in cols {
            dense[j as usize] = 0.0;
        }
        let total: f64 = candidates.iter().map(|&i| dist[i]).sum();
        if total <= 0.0 {
            chosen = candidates[rng.random_range(0..candidates.len())];
            continue;
        }
        let mut target = rng.random::<f64>() * total;
        chosen = candidates[candidates.len() - 1];
        for &i in &candidates {
            target -= dist[i];
            if target <= 0.0 {
                chosen = i;
                break;
            }
        }
    }
    ht
}

/// Factorises `x` (rows = answers) into `k` themes.
#[must_use]
pub fn fit(x: &SparseMatrix, options: &NmfOptions, init_ht: Option<&[f64]>) -> NmfFit {
    let (n, m, k) = (x.n_rows, x.n_cols, options.k.max(1));
    let total: f64 = x.values.iter().sum();
    let scale = if n * m > 0 {
        (total / (n * m) as f64 / k as f64).sqrt()
    } else {
        0.0
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut w: Vec<f64> = (0..n * k).map(|_| rng.random::<f64>() * scale).collect();
    let mut ht: Vec<f64> = match init_ht {
        Some(h) if h.len() == m * k => h.to_vec(),
        _ => spread_init(x, k, scale, &mut rng),
    };
    let x_norm2: f64 = x.values.iter().map(|v| v * v).sum();
    let row_blocks = blocks(n);
    let threads = options.threads.max(1);
    let mut previous = f64::INFINITY;
    let mut residual = x_norm2.sqrt();
    let mut iterations = 0;
    let mut converged = false;
    if n == 0 || m == 0 {
        return NmfFit {
            k,
            n,
            m,
            w,
            ht,
            residual,
            iterations,
            converged: true,
        };
    }
    for it in 0..options.max_iter {
        iterations = it + 1;
        // W update: D = X Hᵀ, C = H Hᵀ
        let c = gram(&ht, k);
        let ht_ref = &ht;
        let d_blocks = run_blocks(&row_blocks, threads, |a, b| {
            let mut d = vec![0.0; (b - a) * k];
            for i in a..b {
                let (cols, vals) = x.row(i);
                let di = &mut d[(i - a) * k..(i - a + 1) * k];
                for (&j, &v) in cols.iter().zip(vals) {
                    let hj = &ht_ref[j as usize * k..(j as usize + 1) * k];
                    for l in 0..k {
                        di[l] += v * hj[l];
                    }
                }
            }
            d
        });
        let d: Vec<f64> = d_blocks.concat();
        {
            let c_ref = &c;
            let d_ref = &d;
            let mut w_chunks: Vec<&mut [f64]> = Vec::new();
            let mut rest: &mut [f64] = &mut w;
            for &(a, b) in &row_blocks {
                let (head, tail) = rest.split_at_mut((b - a) * k);
                w_chunks.push(head);
                rest = tail;
            }
            if threads <= 1 {
                for (chunk, &(a, b)) in w_chunks.into_iter().zip(&row_blocks) {
                    hals_rows(chunk, &d_ref[a * k..b * k], c_ref, k);
                }
            } else {
                std::thread::scope(|scope| {
                    let per = row_blocks.len().div_ceil(threads);
                    let mut jobs: Vec<Vec<RowJob<'_>>> = (0..threads).map(|_| Vec::new()).collect();
                    for (idx, (chunk, &range)) in w_chunks.into_iter().zip(&row_blocks).enumerate()
                    {
                        jobs[idx / per].push((chunk, range));
                    }
                    for job in jobs {
                        scope.spawn(move || {
                            for (chunk, (a, b)) in job {
                                hals_rows(chunk, &d_ref[a * k..b * k], c_ref, k);
                            }
                        });
                    }
                });
            }
        }
        // residual from the W update's quantities: ‖X‖² − 2⟨W, D⟩ + ⟨WᵀW, HHᵀ⟩
        let a_gram = gram(&w, k);
        let cross: f64 = w.iter().zip(&d).map(|(a, b)| a * b).sum();
        let quad: f64 = a_gram.iter().zip(&c).map(|(a, b)| a * b).sum();
        residual = (x_norm2 - 2.0 * cross + quad).max(0.0).sqrt();
        // H update: B = Wᵀ X (stored m × k), A = WᵀW
        let w_ref = &w;
        let b_blocks = run_blocks(&row_blocks, threads, |a, b| {
            let mut bt = vec![0.0; m * k];
            for i in a..b {
                let (cols, vals) = x.row(i);
                let wi = &w_ref[i * k..(i + 1) * k];
                if wi.iter().all(|&v| v == 0.0) {
                    continue;
                }
                for (&j, &v) in cols.iter().zip(vals) {
                    let bj = &mut bt[j as usize * k..(j as usize + 1) * k];
                    for l in 0..k {
                        bj[l] += v * wi[l];
                    }
                }
            }
            bt
        });
        let mut bt = vec![0.0; m * k];
        for block in &b_blocks {
            for (acc, v) in bt.iter_mut().zip(block) {
                *acc += v;
            }
        }
        hals_rows(&mut ht, &bt, &a_gram, k);
        if previous.is_finite()
            && (previous - residual) <= options.tol * previous.max(f64::MIN_POSITIVE)
        {
            converged = true;
            break;
        }
        previous = residual;
    }
    NmfFit {
        k,
        n,
        m,
        w,
        ht,
        residual,
        iterations,
        converged,
    }
}

/// Theme weights of new rows given a fixed H: a few HALS sweeps on W only.
#[must_use]
pub fn transform(x: &SparseMatrix, fitted: &NmfFit, sweeps: usize) -> Vec<f64> {
    let k = fitted.k;
    let c = gram(&fitted.ht, k);
    let mut d = vec![0.0; x.n_rows * k];
    for i in 0..x.n_rows {
        let (cols, vals) = x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            if (j as usize) < fitted.m {
                for l in 0..k {
                    d[i * k + l] += v * fitted.ht[j as usize * k + l];
                }
            }
        }
    }
    let mut w = vec![1e-3; x.n_rows * k];
    for _ in 0..sweeps.max(1) {
        hals_rows(&mut w, &d, &c, k);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{ProptestConfig, prop_assert, proptest};

    /// A dense non-negative matrix as sparse.
    fn sparse(rows: &[Vec<f64>]) -> SparseMatrix {
        let mut m = SparseMatrix {
            n_rows: rows.len(),
            n_cols: rows[0].len(),
            indptr: vec![0],
            ..Default::default()
        };
        for r in rows {
            for (j, &v) in r.iter().enumerate() {
                if v != 0.0 {
                    m.indices.push(j as u32);
                    m.values.push(v);
                }
            }
            m.indptr.push(m.indices.len());
        }
        m
    }

    fn planted(seed: u64) -> (SparseMatrix, Vec<usize>) {
        // three blocks of features, each answer mostly about one block
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut rows = Vec::new();
        let mut truth = Vec::new();
        for i in 0..90 {
            let t = i % 3;
            truth.push(t);
            let row: Vec<f64> = (0..30)
                .map(|j| {
                    if j / 10 == t {
                        1.0 + rng.random::<f64>()
                    } else if rng.random::<f64>() < 0.05 {
                        0.3
                    } else {
                        0.0
                    }
                })
                .collect();
            rows.push(row);
        }
        (sparse(&rows), truth)
    }

    #[test]
    fn recovers_planted_blocks() {
        let (x, truth) = planted(7);
        let mut f = fit(
            &x,
            &NmfOptions {
                k: 3,
                seed: 1,
                ..NmfOptions::default()
            },
            None,
        );
        f.normalize();
        // each theme's top features come from one block, and answers of a block share a theme
        for l in 0..3 {
            let top = f.top_features(l, 8);
            let block = top[0] / 10;
            assert!(top.iter().all(|&j| j / 10 == block), "theme {l}: {top:?}");
        }
        let dominant: Vec<usize> = (0..x.n_rows)
            .map(|i| {
                let r = f.w_row(i);
                (0..3).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap_or(0)
            })
            .collect();
        for t in 0..3 {
            let themes: std::collections::HashSet<usize> = truth
                .iter()
                .zip(&dominant)
                .filter(|(a, _)| **a == t)
                .map(|(_, d)| *d)
                .collect();
            assert_eq!(themes.len(), 1, "block {t} split over {themes:?}");
        }
        assert!(f.residual < 0.35 * x.values.iter().map(|v| v * v).sum::<f64>().sqrt());
    }

    #[test]
    fn same_seed_same_result_whatever_the_threads() {
        let (x, _) = planted(3);
        let one = fit(
            &x,
            &NmfOptions {
                k: 4,
                seed: 9,
                threads: 1,
                ..NmfOptions::default()
            },
            None,
        );
        let two = fit(
            &x,
            &NmfOptions {
                k: 4,
                seed: 9,
                threads: 3,
                ..NmfOptions::default()
            },
            None,
        );
        assert_eq!(one, two);
        let other = fit(
            &x,
            &NmfOptions {
                k: 4,
                seed: 10,
                threads: 1,
                ..NmfOptions::default()
            },
            None,
        );
        assert_ne!(one.w, other.w);
    }

    #[test]
    fn transform_agrees_with_fit() {
        let (x, _) = planted(5);
        let mut f = fit(
            &x,
            &NmfOptions {
                k: 3,
                seed: 2,
                max_iter: 400,
                tol: 1e-8,
                ..NmfOptions::default()
            },
            None,
        );
        f.normalize();
        let w = transform(&x, &f, 50);
        for i in 0..x.n_rows {
            let a = f.w_row(i);
            let b = &w[i * 3..(i + 1) * 3];
            let arg = |r: &[f64]| (0..3).max_by(|&p, &q| r[p].total_cmp(&r[q])).unwrap_or(0);
            assert_eq!(arg(a), arg(b), "row {i}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn factors_stay_non_negative_and_residual_bounded(seed in 0u64..1000, k in 1usize..5) {
            let (x, _) = planted(seed);
            let f = fit(&x, &NmfOptions { k, seed, max_iter: 30, ..NmfOptions::default() }, None);
            prop_assert!(f.w.iter().chain(&f.ht).all(|&v| v >= 0.0 && v.is_finite()));
            let norm = x.values.iter().map(|v| v * v).sum::<f64>().sqrt();
            prop_assert!(f.residual <= norm + 1e-9);
        }
    }
}
