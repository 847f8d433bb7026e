//! The landing phase of the cube method by linear programming (Deville & Tillé 2004, §6.1):
//! among all samples of the few units the flight left undecided, find the sampling design
//! that keeps their inclusion probabilities exactly and minimises the expected squared
//! relative error of the balancing totals, then draw one sample from it.
//!
//! With q undecided units (q ≤ number of balancing variables) there are at most 2^q samples —
//! only those of the right size when Σπ is an integer — so the linear program is small; above
//! [`MAX_SAMPLES`] candidates the caller falls back to the suppression of variables.

use rand::Rng;

/// Most candidate samples enumerated (C(14, 7) = 3,432; 2^14 = 16,384).
pub const MAX_SAMPLES: usize = 20_000;

const EPS: f64 = 1e-9;

/// Minimises `cᵀx` subject to `A x = b`, `x ≥ 0` (`A` is `m × n`, row-major, `b ≥ 0`) by the
/// two-phase simplex method with Bland's rule (no cycling on these very degenerate problems).
/// Returns `None` when the constraints have no solution.
pub(crate) fn simplex(a: &[f64], b: &[f64], c: &[f64], m: usize, n: usize) -> Option<Vec<f64>> {
    let w = n + m + 1; // originals, artificials, right-hand side
    let mut t = vec![0.0; (m + 1) * w];
    for i in 0..m {
        t[i * w..i * w + n].copy_from_slice(&a[i * n..(i + 1) * n]);
        t[i * w + n + i] = 1.0;
        t[i * w + n + m] = b[i];
    }
    let mut basis: Vec<usize> = (n..n + m).collect();
    // Phase 1: minimise the sum of artificials; objective row = −Σ rows on originals.
    let obj = m * w;
    for i in 0..m {
        for j in 0..n {
            t[obj + j] -= t[i * w + j];
        }
        t[obj + n + m] -= t[i * w + n + m];
    }
    run(&mut t, &mut basis, m, w, n + m)?;
    if -t[obj + n + m] > 1e-7 * (1.0 + b.iter().sum::<f64>()) {
        return None;
    }
    // Drive zero-level artificials out of the basis where a pivot exists.
    for i in 0..m {
        if basis[i] >= n
            && let Some(j) = (0..n).find(|&j| t[i * w + j].abs() > EPS)
        {
            pivot(&mut t, &mut basis, m, w, i, j);
        }
    }
    // Phase 2: reduced costs of the real objective.
    for j in 0..w {
        t[obj + j] = if j < n { c[j] } else { 0.0 };
    }
    for i in 0..m {
        let cb = if basis[i] < n { c[basis[i]] } else { 0.0 };
        if cb != 0.0 {
            for j in 0..w {
                t[obj + j] -= cb * t[i * w + j];
            }
        }
    }
    run(&mut t, &mut basis, m, w, n)?;
    let mut x = vec![0.0; n];
    for i in 0..m {
        if basis[i] < n {
            x[basis[i]] = t[i * w + n + m].max(0.0);
        }
    }
    Some(x)
}

/// Simplex iterations with Bland's rule; only columns below `enter_limit` may enter.
fn run(t: &mut [f64], basis: &mut [usize], m: usize, w: usize, enter_limit: usize) -> Option<()> {
    let obj = m * w;
    let rhs = w - 1;
    for _ in 0..100_000 {
        let Some(j) = (0..enter_limit).find(|&j| t[obj + j] < -EPS) else {
            return Some(());
        };
        let mut leave: Option<(usize, f64)> = None;
        for i in 0..m {
            let aij = t[i * w + j];
            if aij > EPS {
                let ratio = t[i * w + rhs] / aij;
                match leave {
                    Some((li, lr))
                        if ratio > lr + EPS || (ratio >= lr - EPS && basis[i] > basis[li]) => {}
                    _ => leave = Some((i, ratio)),
                }
            }
        }
        let (i, _) = leave?; // unbounded: cannot happen with these bounded designs
        pivot(t, basis, m, w, i, j);
    }
    None
}

fn pivot(t: &mut [f64], basis: &mut [usize], m: usize, w: usize, r: usize, c: usize) {
    let inv = 1.0 / t[r * w + c];
    for j in 0..w {
        t[r * w + j] *= inv;
    }
    let (before, rest) = t.split_at_mut(r * w);
    let (row, after) = rest.split_at_mut(w);
    for other in before.chunks_exact_mut(w).chain(after.chunks_exact_mut(w)) {
        let f = other[c];
        if f != 0.0 {
            for (x, y) in other.iter_mut().zip(row.iter()) {
                *x -= f * y;
            }
        }
    }
    let _ = m;
    basis[r] = c;
}

/// Lands the undecided units `left` by linear programming. `a` holds the balancing values
/// (row stride `stride`, first `cols` columns used) and `totals` the scale of each column's
/// total (relative errors are taken against it). Returns `false`, changing nothing, when
/// there are too many candidate samples or the program fails; the caller then lands by
/// suppression of variables.
pub(crate) fn land_by_lp<R: Rng + ?Sized>(
    pi: &mut [f64],
    a: &[f64],
    stride: usize,
    cols: usize,
    totals: &[f64],
    left: &[usize],
    rng: &mut R,
) -> bool {
    let q = left.len();
    if q == 0 {
        return true;
    }
    if q > 24 {
        return false;
    }
    let sum: f64 = left.iter().map(|&k| pi[k]).sum();
    let size = sum.round();
    let fixed = (sum - size).abs() < 1e-7;
    let mut samples: Vec<u32> = Vec::new();
    if fixed {
        // Subsets of exactly `size` units (Gosper's hack).
        let k = size as u32;
        if k == 0 || k as usize == q {
            samples.push(if k == 0 { 0 } else { (1u32 << q) - 1 });
        } else {
            let mut s: u32 = (1 << k) - 1;
            while s < (1 << q) {
                samples.push(s);
                if samples.len() > MAX_SAMPLES {
                    return false;
                }
                let c = s & s.wrapping_neg();
                let r = s + c;
                s = (((r ^ s) >> 2) / c) | r;
            }
        }
    } else {
        if (1usize << q) > MAX_SAMPLES {
            return false;
        }
        samples.extend(0..(1u32 << q));
    }
    let n = samples.len();
    // Costs: Σ_j (Σ_k (s_k − π_k) a_kj / T_j)².
    let cost: Vec<f64> = samples
        .iter()
        .map(|&s| {
            (0..cols)
                .map(|j| {
                    let e: f64 = left
                        .iter()
                        .enumerate()
                        .map(|(i, &k)| {
                            let sk = if s >> i & 1 == 1 { 1.0 } else { 0.0 };
                            (sk - pi[k]) * a[k * stride + j]
                        })
                        .sum();
                    let t = if totals[j] != 0.0 { totals[j] } else { 1.0 };
                    (e / t) * (e / t)
                })
                .sum()
        })
        .collect();
    // Constraints: Σ_{s∋k} p_s = π_k for each unit, plus Σ p_s = 1 when sizes vary.
    let m = q + usize::from(!fixed);
    let mut mat = vec![0.0; m * n];
    let mut b = vec![0.0; m];
    for (i, &k) in left.iter().enumerate() {
        b[i] = pi[k];
        for (col, &s) in samples.iter().enumerate() {
            if s >> i & 1 == 1 {
                mat[i * n + col] = 1.0;
            }
        }
    }
    if !fixed {
        b[q] = 1.0;
        mat[q * n..].fill(1.0);
    }
    let Some(p) = simplex(&mat, &b, &cost, m, n) else {
        return false;
    };
    let total: f64 = p.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return false;
    }
    // Check the design keeps every inclusion probability before trusting it.
    for (i, &k) in left.iter().enumerate() {
        let marg: f64 = samples
            .iter()
            .zip(&p)
            .filter(|(s, _)| *s >> i & 1 == 1)
            .map(|(_, x)| x)
            .sum::<f64>()
            / total;
        if (marg - pi[k]).abs() > 1e-7 {
            return false;
        }
    }
    let mut u = rng.random::<f64>() * total;
    let mut chosen = samples[n - 1];
    for (s, x) in samples.iter().zip(&p) {
        if u < *x {
            chosen = *s;
            break;
        }
        u -= x;
    }
    for (i, &k) in left.iter().enumerate() {
        pi[k] = if chosen >> i & 1 == 1 { 1.0 } else { 0.0 };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn simplex_solves_a_small_program() {
        // min x + 2y + 3z s.t. x + y + z = 1, y + z = 0.6 → x = 0.4, y = 0.6.
        let a = vec![1.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let x = simplex(&a, &[1.0, 0.6], &[1.0, 2.0, 3.0], 2, 3).unwrap();
        assert!((x[0] - 0.4).abs() < 1e-12 && (x[1] - 0.6).abs() < 1e-12 && x[2].abs() < 1e-12);
        // Infeasible: x + y = 1, x + y = 2.
        assert!(simplex(&[1.0, 1.0, 1.0, 1.0], &[1.0, 2.0], &[0.0, 0.0], 2, 2).is_none());
    }

    #[test]
    fn lp_landing_keeps_inclusion_probabilities_over_many_draws() {
        // 5 units, Σπ = 2, one balancing variable besides the size.
        let pi0 = [0.3, 0.5, 0.4, 0.6, 0.2];
        let a: Vec<f64> = [1.0, 3.0, 1.0, 1.5, 1.0, 2.0, 1.0, 0.5, 1.0, 4.0].to_vec();
        let left: Vec<usize> = (0..5).collect();
        let draws = 20_000;
        let mut counts = [0usize; 5];
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..draws {
            let mut pi = pi0.to_vec();
            assert!(land_by_lp(&mut pi, &a, 2, 2, &[2.0, 4.0], &left, &mut rng));
            assert_eq!(pi.iter().sum::<f64>(), 2.0);
            for k in 0..5 {
                counts[k] += pi[k] as usize;
            }
        }
        for k in 0..5 {
            let f = counts[k] as f64 / draws as f64;
            let se = (pi0[k] * (1.0 - pi0[k]) / draws as f64).sqrt();
            assert!((f - pi0[k]).abs() < 4.5 * se, "unit {k}: {f} vs {}", pi0[k]);
        }
    }
}
