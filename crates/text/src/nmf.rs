//! Non-negative matrix factorisation of a sparse answers × features matrix.
//!
//! Minimises ½‖X − WH‖²_F over W ≥ 0 (answers × themes) and H ≥ 0 (themes × features)
//! by hierarchical alternating least squares (HALS, Cichocki & Phan 2009), the coordinate
//! descent scikit-learn's `NMF(solver="cd")` also uses. The start is NNDSVDa by default
//! (see [`Init`]): purely random starts (scikit-learn's `init="random"`) fall into poor
//! local minima often (on three planted subjects, one random start in three merged two),
//! and starts from k-means++-picked answers converge to different optima from one seed to
//! the next (top-term stability 0.3 across five seeds on the Charente-Maritime notebooks).
//! A given H (warm start) may replace the start. Iterations stop when the relative
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
    /// How W and H start.
    pub init: Init,
}

impl Default for NmfOptions {
    fn default() -> Self {
        Self {
            k: 8,
            max_iter: 400,
            tol: 1e-6,
            seed: 0,
            threads: 2,
            init: Init::Nndsvda,
        }
    }
}

/// Initialisation of a factorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Init {
    /// NNDSVD with zeros filled by the mean of X (Boutsidis & Gallopoulos 2008; scikit-learn's
    /// `nndsvda`), from a randomised truncated SVD (Halko, Martinsson & Tropp 2011) with
    /// four power iterations: nearly independent of the seed, so repeated fits agree.
    #[default]
    Nndsvda,
    /// H from k answers picked by k-means++ seeding.
    Spread,
    /// Uniform random, scaled by √(mean(X)/k) (scikit-learn's `init="random"`).
    Random,
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

/// Sums gathered over one block of rows.
struct BlockSums {
    cross: f64,
    gram: Vec<f64>,
    bt: Vec<f64>,
}

/// Runs `f` on each block of rows of `buf` (r × k, row-major), each block getting its own
/// mutable rows, on up to `threads` threads; results come back in block order.
fn run_blocks_mut<T: Send>(
    buf: &mut [f64],
    ranges: &[(usize, usize)],
    k: usize,
    threads: usize,
    f: &(impl Fn(&mut [f64], usize, usize) -> T + Sync),
) -> Vec<T> {
    let mut chunks: Vec<(&mut [f64], (usize, usize))> = Vec::with_capacity(ranges.len());
    let mut rest: &mut [f64] = buf;
    for &(a, b) in ranges {
        let (head, tail) = rest.split_at_mut((b - a) * k);
        chunks.push((head, (a, b)));
        rest = tail;
    }
    if threads <= 1 || chunks.len() <= 1 {
        return chunks
            .into_iter()
            .map(|(chunk, (a, b))| f(chunk, a, b))
            .collect();
    }
    let per = chunks.len().div_ceil(threads);
    let mut jobs: Vec<Vec<RowJob<'_>>> = Vec::new();
    for (idx, job) in chunks.into_iter().enumerate() {
        if idx % per == 0 {
            jobs.push(Vec::new());
        }
        if let Some(last) = jobs.last_mut() {
            last.push(job);
        }
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                scope.spawn(move || {
                    job.into_iter()
                        .map(|(chunk, (a, b))| f(chunk, a, b))
                        .collect::<Vec<T>>()
                })
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

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Orthonormalises the columns of a column-major r × l matrix in place (modified
/// Gram–Schmidt, twice for accuracy); columns that vanish are left at zero.
fn orthonormalize(q: &mut [f64], r: usize, l: usize) {
    for _ in 0..2 {
        for j in 0..l {
            for p in 0..j {
                let dot: f64 = (0..r).map(|i| q[p * r + i] * q[j * r + i]).sum();
                for i in 0..r {
                    q[j * r + i] -= dot * q[p * r + i];
                }
            }
            let norm: f64 = (0..r)
                .map(|i| q[j * r + i] * q[j * r + i])
                .sum::<f64>()
                .sqrt();
            if norm > 1e-12 {
                for i in 0..r {
                    q[j * r + i] /= norm;
                }
            } else {
                for i in 0..r {
                    q[j * r + i] = 0.0;
                }
            }
        }
    }
}

/// X · G for a column-major m × l matrix G: a column-major n × l result.
fn x_times(x: &SparseMatrix, g: &[f64], l: usize) -> Vec<f64> {
    let (n, m) = (x.n_rows, x.n_cols);
    let mut out = vec![0.0; n * l];
    for i in 0..n {
        let (cols, vals) = x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            for c in 0..l {
                out[c * n + i] += v * g[c * m + j as usize];
            }
        }
    }
    out
}

/// Xᵀ · Q for a column-major n × l matrix Q: a column-major m × l result.
fn xt_times(x: &SparseMatrix, q: &[f64], l: usize) -> Vec<f64> {
    let (n, m) = (x.n_rows, x.n_cols);
    let mut out = vec![0.0; m * l];
    for i in 0..n {
        let (cols, vals) = x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            for c in 0..l {
                out[c * m + j as usize] += v * q[c * n + i];
            }
        }
    }
    out
}

/// Eigen-decomposition of a symmetric l × l matrix (cyclic Jacobi): eigenvalues and
/// eigenvectors (column j of the row-major result), sorted by decreasing eigenvalue.
fn symmetric_eigen(a: &[f64], l: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; l * l];
    for i in 0..l {
        v[i * l + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..l)
            .flat_map(|i| (0..l).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .map(|(i, j)| a[i * l + j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..l {
            for q in p + 1..l {
                let apq = a[p * l + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * l + q] - a[p * l + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..l {
                    let akp = a[k * l + p];
                    let akq = a[k * l + q];
                    a[k * l + p] = c * akp - s * akq;
                    a[k * l + q] = s * akp + c * akq;
                }
                for k in 0..l {
                    let apk = a[p * l + k];
                    let aqk = a[q * l + k];
                    a[p * l + k] = c * apk - s * aqk;
                    a[q * l + k] = s * apk + c * aqk;
                }
                for k in 0..l {
                    let vkp = v[k * l + p];
                    let vkq = v[k * l + q];
                    v[k * l + p] = c * vkp - s * vkq;
                    v[k * l + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..l).collect();
    order.sort_by(|&i, &j| a[j * l + j].total_cmp(&a[i * l + i]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| a[i * l + i]).collect();
    let mut vectors = vec![0.0; l * l];
    for (new, &old) in order.iter().enumerate() {
        for r in 0..l {
            vectors[r * l + new] = v[r * l + old];
        }
    }
    (values, vectors)
}

/// Truncated SVD X ≈ U S Vᵀ by randomised range finding: U column-major n × k, S, and V
/// column-major m × k.
fn randomized_svd(
    x: &SparseMatrix,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, m) = (x.n_rows, x.n_cols);
    let l = (k + 10).min(n).min(m).max(k.min(n).min(m));
    let omega: Vec<f64> = (0..m * l).map(|_| normal(rng)).collect();
    let mut q = x_times(x, &omega, l);
    orthonormalize(&mut q, n, l);
    for _ in 0..4 {
        let mut z = xt_times(x, &q, l);
        orthonormalize(&mut z, m, l);
        q = x_times(x, &z, l);
        orthonormalize(&mut q, n, l);
    }
    // B = Qᵀ X (l × m), kept as Bᵀ = Xᵀ Q, column-major m × l
    let bt = xt_times(x, &q, l);
    // B Bᵀ (l × l)
    let mut bbt = vec![0.0; l * l];
    for a in 0..l {
        for b in a..l {
            let dot: f64 = (0..m).map(|j| bt[a * m + j] * bt[b * m + j]).sum();
            bbt[a * l + b] = dot;
            bbt[b * l + a] = dot;
        }
    }
    let (values, vectors) = symmetric_eigen(&bbt, l);
    let kk = k.min(l);
    let mut u = vec![0.0; n * k];
    let mut s = vec![0.0; k];
    let mut v = vec![0.0; m * k];
    for c in 0..kk {
        let sigma = values[c].max(0.0).sqrt();
        s[c] = sigma;
        for i in 0..n {
            u[c * n + i] = (0..l).map(|p| q[p * n + i] * vectors[p * l + c]).sum();
        }
        if sigma > 1e-12 {
            for j in 0..m {
                v[c * m + j] = (0..l)
                    .map(|p| bt[p * m + j] * vectors[p * l + c])
                    .sum::<f64>()
                    / sigma;
            }
        }
    }
    (u, s, v)
}

/// NNDSVD initialisation with zeros replaced by the mean of X: W row-major n × k and
/// Hᵀ row-major m × k.
fn nndsvda(x: &SparseMatrix, k: usize, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
    let (n, m) = (x.n_rows, x.n_cols);
    let (u, s, v) = randomized_svd(x, k, rng);
    let mut w = vec![0.0; n * k];
    let mut ht = vec![0.0; m * k];
    let norm = |it: &mut dyn Iterator<Item = f64>| it.map(|a| a * a).sum::<f64>().sqrt();
    for c in 0..k {
        let uc = &u[c * n..(c + 1) * n];
        let vc = &v[c * m..(c + 1) * m];
        if c == 0 {
            // the leading singular vectors can be taken non-negative (Perron–Frobenius)
            let root = s[0].sqrt();
            for i in 0..n {
                w[i * k] = root * uc[i].abs();
            }
            for j in 0..m {
                ht[j * k] = root * vc[j].abs();
            }
            continue;
        }
        let xp = norm(&mut uc.iter().map(|a| a.max(0.0)));
        let xn = norm(&mut uc.iter().map(|a| (-a).max(0.0)));
        let yp = norm(&mut vc.iter().map(|a| a.max(0.0)));
        let yn = norm(&mut vc.iter().map(|a| (-a).max(0.0)));
        let (positive, sigma) = if xp * yp > xn * yn {
            (true, xp * yp)
        } else {
            (false, xn * yn)
        };
        let (nu, nv) = if positive { (xp, yp) } else { (xn, yn) };
        if sigma <= 0.0 || nu <= 0.0 || nv <= 0.0 {
            continue;
        }
        let lambda = (s[c] * sigma).sqrt();
        let part = |a: f64| if positive { a.max(0.0) } else { (-a).max(0.0) };
        for i in 0..n {
            w[i * k + c] = lambda * part(uc[i]) / nu;
        }
        for j in 0..m {
            ht[j * k + c] = lambda * part(vc[j]) / nv;
        }
    }
    let mean = if n * m > 0 {
        x.values.iter().sum::<f64>() / (n * m) as f64
    } else {
        0.0
    };
    for value in w.iter_mut().chain(ht.iter_mut()) {
        if *value < 1e-6 {
            *value = mean;
        }
    }
    (w, ht)
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
        _ => match options.init {
            Init::Spread => spread_init(x, k, scale, &mut rng),
            Init::Random => (0..m * k).map(|_| rng.random::<f64>() * scale).collect(),
            Init::Nndsvda => {
                let (w0, h0) = nndsvda(x, k, &mut rng);
                w = w0;
                h0
            }
        },
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
        // One pass over the rows does the W update and gathers what the H update needs:
        // for row i, dᵢ = Σⱼ xᵢⱼ Hⱼ, HALS on wᵢ with C = HHᵀ, then ⟨wᵢ, dᵢ⟩, wᵢwᵢᵀ and
        // B += xᵢⱼ wᵢ (B = WᵀX stored m × k).
        let c = gram(&ht, k);
        let (c_ref, ht_ref) = (&c, &ht);
        let block = |chunk: &mut [f64], a: usize, b: usize| -> BlockSums {
            let mut sums = BlockSums {
                cross: 0.0,
                gram: vec![0.0; k * k],
                bt: vec![0.0; m * k],
            };
            let mut d = vec![0.0; k];
            for i in a..b {
                let (cols, vals) = x.row(i);
                d.iter_mut().for_each(|v| *v = 0.0);
                for (&j, &v) in cols.iter().zip(vals) {
                    let hj = &ht_ref[j as usize * k..(j as usize + 1) * k];
                    for l in 0..k {
                        d[l] += v * hj[l];
                    }
                }
                let wi = &mut chunk[(i - a) * k..(i - a + 1) * k];
                hals_rows(wi, &d, c_ref, k);
                sums.cross += wi.iter().zip(&d).map(|(p, q)| p * q).sum::<f64>();
                for p in 0..k {
                    if wi[p] != 0.0 {
                        for q in 0..k {
                            sums.gram[p * k + q] += wi[p] * wi[q];
                        }
                    }
                }
                if wi.iter().any(|&v| v != 0.0) {
                    for (&j, &v) in cols.iter().zip(vals) {
                        let bj = &mut sums.bt[j as usize * k..(j as usize + 1) * k];
                        for l in 0..k {
                            bj[l] += v * wi[l];
                        }
                    }
                }
            }
            sums
        };
        let partials = run_blocks_mut(&mut w, &row_blocks, k, threads, &block);
        let mut a_gram = vec![0.0; k * k];
        let mut bt = vec![0.0; m * k];
        let mut cross = 0.0;
        for part in &partials {
            cross += part.cross;
            for (acc, v) in a_gram.iter_mut().zip(&part.gram) {
                *acc += v;
            }
            for (acc, v) in bt.iter_mut().zip(&part.bt) {
                *acc += v;
            }
        }
        // residual after the W update: ‖X‖² − 2⟨W, D⟩ + ⟨WᵀW, HHᵀ⟩
        let quad: f64 = a_gram.iter().zip(&c).map(|(a, b)| a * b).sum();
        residual = (x_norm2 - 2.0 * cross + quad).max(0.0).sqrt();
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
    fn randomized_svd_matches_a_known_spectrum() {
        // X = diag(5, 3, 1) padded: singular values 5, 3, 1
        let x = sparse(&[
            vec![5.0, 0.0, 0.0, 0.0],
            vec![0.0, 3.0, 0.0, 0.0],
            vec![0.0, 0.0, 1.0, 0.0],
        ]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (_, s, _) = randomized_svd(&x, 2, &mut rng);
        assert!(
            (s[0] - 5.0).abs() < 1e-9 && (s[1] - 3.0).abs() < 1e-9,
            "{s:?}"
        );
    }

    #[test]
    fn every_init_recovers_the_blocks_and_nndsvda_barely_depends_on_the_seed() {
        let (x, _) = planted(7);
        for init in [Init::Nndsvda, Init::Spread, Init::Random] {
            let f = fit(
                &x,
                &NmfOptions {
                    k: 3,
                    seed: 4,
                    init,
                    ..NmfOptions::default()
                },
                None,
            );
            let norm = x.values.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(f.residual < 0.5 * norm, "{init:?}: {}", f.residual);
        }
        let mut a = fit(
            &x,
            &NmfOptions {
                k: 3,
                seed: 1,
                ..NmfOptions::default()
            },
            None,
        );
        let mut b = fit(
            &x,
            &NmfOptions {
                k: 3,
                seed: 2,
                ..NmfOptions::default()
            },
            None,
        );
        a.normalize();
        b.normalize();
        for l in 0..3 {
            assert_eq!(a.top_features(l, 5), b.top_features(l, 5));
        }
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
