//! The little dense linear algebra targeting needs: symmetric positive definite solves for
//! regressions with a handful of columns.

/// Solves `a x = b` for a symmetric positive definite `a` (row-major `p × p`) by Cholesky.
/// Returns `None` when `a` is not positive definite (collinear columns).
pub(crate) fn solve_spd(a: &[f64], b: &[f64], p: usize) -> Option<Vec<f64>> {
    let l = cholesky(a, p)?;
    // L y = b, then Lᵀ x = y.
    let mut y = vec![0.0; p];
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * y[k];
        }
        y[i] = s / l[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let mut s = y[i];
        for k in i + 1..p {
            s -= l[k * p + i] * x[k];
        }
        x[i] = s / l[i * p + i];
    }
    Some(x)
}

/// The inverse of a symmetric positive definite matrix.
pub(crate) fn inverse_spd(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut inv = vec![0.0; p * p];
    for j in 0..p {
        let mut e = vec![0.0; p];
        e[j] = 1.0;
        let col = solve_spd(a, &e, p)?;
        for i in 0..p {
            inv[i * p + j] = col[i];
        }
    }
    Some(inv)
}

fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    let scale = (0..p)
        .map(|i| a[i * p + i].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            if i == j {
                if s <= 1e-12 * scale {
                    return None;
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    Some(l)
}

/// Weighted least squares with a ridge penalty on every column but the first (the intercept):
/// minimises Σ wᵢ (yᵢ − xᵢ·β)² + λ Σⱼ>0 βⱼ². `x` is row-major `n × p`.
pub(crate) fn ridge_wls(
    x: &[f64],
    y: &[f64],
    w: &[f64],
    p: usize,
    lambda: f64,
) -> Option<Vec<f64>> {
    let n = y.len();
    let mut xtx = vec![0.0; p * p];
    let mut xty = vec![0.0; p];
    for i in 0..n {
        let row = &x[i * p..(i + 1) * p];
        let wi = w[i];
        if wi <= 0.0 {
            continue;
        }
        for a in 0..p {
            let wa = wi * row[a];
            xty[a] += wa * y[i];
            for b in 0..=a {
                xtx[a * p + b] += wa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            xtx[b * p + a] = xtx[a * p + b];
        }
    }
    for j in 1..p {
        xtx[j * p + j] += lambda;
    }
    solve_spd(&xtx, &xty, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_a_small_system() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let x = solve_spd(&a, &[2.0, 1.0], 2).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12);
        assert!((2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
        let inv = inverse_spd(&a, 2).unwrap();
        assert!((inv[0] - 3.0 / 8.0).abs() < 1e-12 && (inv[1] + 2.0 / 8.0).abs() < 1e-12);
        assert!(solve_spd(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0], 2).is_none());
    }

    #[test]
    fn weighted_least_squares_recovers_a_line() {
        let xs: Vec<f64> = (0..20).map(f64::from).collect();
        let x: Vec<f64> = xs.iter().flat_map(|v| [1.0, *v]).collect();
        let y: Vec<f64> = xs.iter().map(|v| 1.5 - 0.25 * v).collect();
        let w = vec![2.0; 20];
        let b = ridge_wls(&x, &y, &w, 2, 0.0).unwrap();
        assert!((b[0] - 1.5).abs() < 1e-9 && (b[1] + 0.25).abs() < 1e-9);
        let shrunk = ridge_wls(&x, &y, &w, 2, 1e6).unwrap();
        assert!(shrunk[1].abs() < 0.25);
    }
}
