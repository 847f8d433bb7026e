//! Small dense linear algebra for the engines: null vectors of short-wide matrices (the cube
//! method's step) and symmetric solves (Newton steps of calibration, regression residuals).
//!
//! Matrices are row-major `&[f64]` slices; sizes are a few dozen at most, so plain loops beat
//! any general library here and keep the crate's build light.

/// Finds a non-zero vector `u` with `m · u = 0` for a `rows × cols` row-major matrix.
///
/// `m` is overwritten (reduced in place). Returns `false` when the columns are linearly
/// independent (no null vector). Rank is decided with a tolerance relative to the largest
/// entry of each column, so that totals of very different scales are treated alike.
pub fn null_vector(m: &mut [f64], rows: usize, cols: usize, out: &mut [f64]) -> bool {
    debug_assert_eq!(m.len(), rows * cols);
    debug_assert_eq!(out.len(), cols);
    // Column scales for the rank tolerance.
    let mut pivot_cols: [usize; 64] = [usize::MAX; 64];
    let mut heap_pivots;
    let pivots: &mut [usize] = if cols <= 64 {
        &mut pivot_cols[..cols]
    } else {
        heap_pivots = vec![usize::MAX; cols];
        &mut heap_pivots
    };
    let mut scale = 0.0f64;
    for v in m.iter() {
        scale = scale.max(v.abs());
    }
    if scale == 0.0 {
        out.fill(0.0);
        if cols > 0 {
            out[0] = 1.0;
            return true;
        }
        return false;
    }
    let tol = scale * 1e-11;
    let mut rank = 0usize;
    let mut free_col = usize::MAX;
    for c in 0..cols {
        if rank == rows {
            if free_col == usize::MAX {
                free_col = c;
            }
            break;
        }
        // Partial pivoting within column c, rows rank..rows.
        let mut best = rank;
        let mut best_abs = m[rank * cols + c].abs();
        for r in rank + 1..rows {
            let a = m[r * cols + c].abs();
            if a > best_abs {
                best_abs = a;
                best = r;
            }
        }
        if best_abs <= tol {
            if free_col == usize::MAX {
                free_col = c;
            }
            continue;
        }
        if best != rank {
            for k in c..cols {
                m.swap(best * cols + k, rank * cols + k);
            }
        }
        let inv = 1.0 / m[rank * cols + c];
        let (head, tail) = m.split_at_mut((rank + 1) * cols);
        let pivot_row = &head[rank * cols + c + 1..(rank + 1) * cols];
        for row in tail.chunks_exact_mut(cols) {
            let f = row[c] * inv;
            if f != 0.0 {
                row[c] = 0.0;
                for (x, y) in row[c + 1..].iter_mut().zip(pivot_row) {
                    *x -= f * y;
                }
            }
        }
        pivots[rank] = c;
        rank += 1;
    }
    if free_col == usize::MAX {
        return false;
    }
    // Free variable = 1, the other non-pivot variables = 0, back-substitute pivots.
    out.fill(0.0);
    out[free_col] = 1.0;
    for r in (0..rank).rev() {
        let c = pivots[r];
        if c > free_col {
            // Pivots after the free column only involve later variables, all zero.
            out[c] = 0.0;
            continue;
        }
        let mut s = 0.0;
        for k in c + 1..cols {
            s += m[r * cols + k] * out[k];
        }
        out[c] = -s / m[r * cols + c];
    }
    true
}

/// Solves `a · x = b` for a symmetric positive semi-definite `p × p` matrix `a` (row-major),
/// overwriting `b` with `x`. Directions whose pivot is negligible (relative `1e-13`) are set
/// to zero, which gives a solution of consistent singular systems as a generalised inverse
/// would. Returns the number of directions dropped.
pub fn solve_psd(a: &mut [f64], p: usize, b: &mut [f64]) -> usize {
    debug_assert_eq!(a.len(), p * p);
    // LDLᵀ without pivoting, in place (lower triangle holds L, diagonal holds D).
    let mut max_diag = 0.0f64;
    for i in 0..p {
        max_diag = max_diag.max(a[i * p + i].abs());
    }
    let tol = max_diag * 1e-13;
    let mut dropped = 0;
    let mut skip = vec![false; p];
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            if !skip[k] {
                d -= a[j * p + k] * a[j * p + k] * a[k * p + k];
            }
        }
        if d <= tol {
            skip[j] = true;
            dropped += 1;
            a[j * p + j] = 0.0;
            for i in j + 1..p {
                a[i * p + j] = 0.0;
            }
            continue;
        }
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                if !skip[k] {
                    s -= a[i * p + k] * a[j * p + k] * a[k * p + k];
                }
            }
            a[i * p + j] = s / d;
        }
    }
    // Forward: L y = b.
    for i in 0..p {
        if skip[i] {
            b[i] = 0.0;
            continue;
        }
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * p + k] * b[k];
        }
        b[i] = s;
    }
    // Diagonal.
    for i in 0..p {
        b[i] = if skip[i] { 0.0 } else { b[i] / a[i * p + i] };
    }
    // Backward: Lᵀ x = z.
    for i in (0..p).rev() {
        if skip[i] {
            b[i] = 0.0;
            continue;
        }
        let mut s = b[i];
        for k in i + 1..p {
            s -= a[k * p + i] * b[k];
        }
        b[i] = s;
    }
    dropped
}

/// Inverts the `p × p` row-major matrix `m` into `out` by Gauss–Jordan elimination with
/// partial pivoting (`m` is destroyed). Returns `false` when a pivot is negligible
/// (relative `1e-10` of the largest entry): the matrix is (numerically) singular.
pub fn invert(m: &mut [f64], p: usize, out: &mut [f64]) -> bool {
    debug_assert_eq!(m.len(), p * p);
    debug_assert_eq!(out.len(), p * p);
    out.fill(0.0);
    for i in 0..p {
        out[i * p + i] = 1.0;
    }
    let scale = m.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if scale == 0.0 {
        return p == 0;
    }
    let tol = scale * 1e-10;
    for c in 0..p {
        let mut best = c;
        for r in c + 1..p {
            if m[r * p + c].abs() > m[best * p + c].abs() {
                best = r;
            }
        }
        if m[best * p + c].abs() <= tol {
            return false;
        }
        if best != c {
            for k in 0..p {
                m.swap(best * p + k, c * p + k);
                out.swap(best * p + k, c * p + k);
            }
        }
        let inv = 1.0 / m[c * p + c];
        for k in 0..p {
            m[c * p + k] *= inv;
            out[c * p + k] *= inv;
        }
        for r in 0..p {
            if r == c {
                continue;
            }
            let f = m[r * p + c];
            if f == 0.0 {
                continue;
            }
            for k in 0..p {
                m[r * p + k] -= f * m[c * p + k];
                out[r * p + k] -= f * out[c * p + k];
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn null_vector_is_in_the_kernel(vals in proptest::collection::vec(-10.0f64..10.0, 12)) {
            // 3 x 4 matrix always has a kernel.
            let orig = vals.clone();
            let mut m = vals;
            let mut u = vec![0.0; 4];
            prop_assert!(null_vector(&mut m, 3, 4, &mut u));
            let norm: f64 = u.iter().map(|x| x * x).sum::<f64>().sqrt();
            prop_assert!(norm > 0.0);
            for r in 0..3 {
                let s: f64 = (0..4).map(|c| orig[r * 4 + c] * u[c]).sum();
                let row_scale: f64 = (0..4).map(|c| orig[r * 4 + c].abs()).fold(0.0, f64::max);
                prop_assert!(s.abs() <= 1e-8 * (1.0 + row_scale) * norm.max(1.0), "row {} residual {}", r, s);
            }
        }

        #[test]
        fn solve_psd_solves_spd_systems(vals in proptest::collection::vec(-3.0f64..3.0, 9), rhs in proptest::collection::vec(-5.0f64..5.0, 3)) {
            // A = BᵀB + I is SPD.
            let mut a = vec![0.0; 9];
            for i in 0..3 { for j in 0..3 {
                let mut s = if i == j { 1.0 } else { 0.0 };
                for k in 0..3 { s += vals[k * 3 + i] * vals[k * 3 + j]; }
                a[i * 3 + j] = s;
            }}
            let orig = a.clone();
            let mut x = rhs.clone();
            prop_assert_eq!(solve_psd(&mut a, 3, &mut x), 0);
            for i in 0..3 {
                let s: f64 = (0..3).map(|j| orig[i * 3 + j] * x[j]).sum();
                prop_assert!((s - rhs[i]).abs() < 1e-8 * (1.0 + rhs[i].abs()));
            }
        }
    }

    #[test]
    fn invert_inverts_and_detects_singular_matrices() {
        let orig = vec![4.0, 7.0, 2.0, 6.0];
        let mut m = orig.clone();
        let mut inv = vec![0.0; 4];
        assert!(invert(&mut m, 2, &mut inv));
        for i in 0..2 {
            for j in 0..2 {
                let s: f64 = (0..2).map(|k| orig[i * 2 + k] * inv[k * 2 + j]).sum();
                assert!((s - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        let mut m = vec![1.0, 2.0, 2.0, 4.0];
        assert!(!invert(&mut m, 2, &mut inv));
    }

    #[test]
    fn independent_columns_have_no_null_vector() {
        let mut m = vec![1.0, 0.0, 0.0, 1.0];
        let mut u = vec![0.0; 2];
        assert!(!null_vector(&mut m, 2, 2, &mut u));
    }

    #[test]
    fn rank_deficient_square_matrix_has_a_null_vector() {
        let mut m = vec![1.0, 2.0, 2.0, 4.0];
        let mut u = vec![0.0; 2];
        assert!(null_vector(&mut m, 2, 2, &mut u));
        assert!((u[0] + 2.0 * u[1]).abs() < 1e-12);
    }

    #[test]
    fn singular_consistent_system_gets_a_solution() {
        // [[1,1],[1,1]] x = [2,2]
        let mut a = vec![1.0, 1.0, 1.0, 1.0];
        let mut b = vec![2.0, 2.0];
        assert_eq!(solve_psd(&mut a, 2, &mut b), 1);
        assert!((b[0] + b[1] - 2.0).abs() < 1e-12);
    }
}
