//! Plane geometry on projected points: convex hulls, areas, convex clipping, Hilbert keys.
//!
//! Everything here works in metres on a [`crate::proj::LocalProjection`] plane. Hulls are
//! returned counter-clockwise without the closing point.

/// Convex hull of a point set (Andrew's monotone chain), counter-clockwise, no repeated
/// closing point. Collinear points are dropped; fewer than 3 distinct non-collinear points
/// give a degenerate hull of 0, 1 or 2 points.
pub fn convex_hull(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .collect();
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(2 * pts.len());
    for &p in &pts {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower = hull.len() + 1;
    for &p in pts.iter().rev().skip(1) {
        while hull.len() >= lower && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    hull
}

/// Signed area of a ring (positive when counter-clockwise), shoelace formula.
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    if ring.len() < 3 {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        s += a[0] * b[1] - a[1] * b[0];
    }
    s / 2.0
}

/// Perimeter of a closed ring (the closing edge included).
pub fn ring_perimeter(ring: &[[f64; 2]]) -> f64 {
    if ring.len() < 2 {
        return 0.0;
    }
    (0..ring.len())
        .map(|i| crate::proj::dist(ring[i], ring[(i + 1) % ring.len()]))
        .sum()
}

/// Polsby–Popper compactness `4πA / P²` of a ring: 1 for a disc, ≈ 0.785 for a square,
/// `None` for a degenerate ring (no area).
pub fn polsby_popper(ring: &[[f64; 2]]) -> Option<f64> {
    let a = ring_area(ring).abs();
    let p = ring_perimeter(ring);
    (a > 0.0 && p > 0.0).then(|| 4.0 * std::f64::consts::PI * a / (p * p))
}

/// Intersection of two convex counter-clockwise polygons (Sutherland–Hodgman clipping).
pub fn convex_intersection(subject: &[[f64; 2]], clip: &[[f64; 2]]) -> Vec<[f64; 2]> {
    if subject.len() < 3 || clip.len() < 3 {
        return Vec::new();
    }
    let mut output = subject.to_vec();
    for i in 0..clip.len() {
        if output.is_empty() {
            break;
        }
        let a = clip[i];
        let b = clip[(i + 1) % clip.len()];
        let side = |p: [f64; 2]| (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        let input = std::mem::take(&mut output);
        for j in 0..input.len() {
            let p = input[j];
            let q = input[(j + 1) % input.len()];
            let (sp, sq) = (side(p), side(q));
            if sp >= 0.0 {
                output.push(p);
            }
            if (sp >= 0.0) != (sq >= 0.0) {
                let t = sp / (sp - sq);
                output.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
            }
        }
    }
    output
}

/// Position of a point on a Hilbert curve of order 16 over the box `[min, max]`
/// (used to number turfs and to cut "Hilbert chunks").
pub fn hilbert_key(p: [f64; 2], min: [f64; 2], max: [f64; 2]) -> u64 {
    const N: u32 = 1 << 16;
    let scale = |v: f64, lo: f64, hi: f64| -> u32 {
        let span = hi - lo;
        if span <= 0.0 || !v.is_finite() {
            return 0;
        }
        let t = ((v - lo) / span).clamp(0.0, 1.0);
        ((t * f64::from(N - 1)).round() as u32).min(N - 1)
    };
    let (mut x, mut y) = (scale(p[0], min[0], max[0]), scale(p[1], min[1], max[1]));
    let mut d: u64 = 0;
    let mut s = N / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = N - 1 - x;
                y = N - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Bounding box `(min, max)` of points; `None` when empty.
pub fn bbox(points: impl IntoIterator<Item = [f64; 2]>) -> Option<([f64; 2], [f64; 2])> {
    let mut it = points.into_iter();
    let first = it.next()?;
    let (mut lo, mut hi) = (first, first);
    for p in it {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn square_hull_area_and_compactness() {
        let pts = [
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [0.0, 1.0],
            [0.5, 0.5],
            [0.5, 0.0],
        ];
        let h = convex_hull(&pts);
        assert_eq!(h.len(), 4);
        assert!((ring_area(&h) - 1.0).abs() < 1e-12);
        assert!((ring_perimeter(&h) - 4.0).abs() < 1e-12);
        let pp = polsby_popper(&h).unwrap();
        assert!((pp - std::f64::consts::PI / 4.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_hulls() {
        assert!(convex_hull(&[]).is_empty());
        assert_eq!(convex_hull(&[[1.0, 1.0], [1.0, 1.0]]).len(), 1);
        let line = convex_hull(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]);
        assert_eq!(line.len(), 2);
        assert_eq!(polsby_popper(&line), None);
    }

    #[test]
    fn overlapping_squares_intersect_in_a_quarter() {
        let a = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        let b = [[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]];
        let i = convex_intersection(&a, &b);
        assert!((ring_area(&i) - 1.0).abs() < 1e-12);
        let far = [[5.0, 5.0], [6.0, 5.0], [6.0, 6.0]];
        assert!(ring_area(&convex_intersection(&a, &far)).abs() < 1e-12);
    }

    #[test]
    fn hilbert_neighbours_are_adjacent_cells() {
        // Consecutive keys on the curve are adjacent cells: check on a 4×4 grid.
        let (lo, hi) = ([0.0, 0.0], [65535.0, 65535.0]);
        let k00 = hilbert_key([0.0, 0.0], lo, hi);
        let k01 = hilbert_key([0.0, 1.0], lo, hi);
        let k10 = hilbert_key([1.0, 0.0], lo, hi);
        assert_eq!(k00, 0);
        assert!(k01 == 1 || k10 == 1);
    }

    proptest! {
        #[test]
        fn hull_contains_every_point(pts in prop::collection::vec((-100.0f64..100.0, -100.0f64..100.0), 3..60)) {
            let pts: Vec<[f64; 2]> = pts.into_iter().map(|(x, y)| [x, y]).collect();
            let h = convex_hull(&pts);
            prop_assume!(h.len() >= 3);
            prop_assert!(ring_area(&h) > 0.0);
            for p in &pts {
                for i in 0..h.len() {
                    let a = h[i];
                    let b = h[(i + 1) % h.len()];
                    let side = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
                    prop_assert!(side >= -1e-9);
                }
            }
        }

        #[test]
        fn intersection_is_no_larger_than_either(
            a in prop::collection::vec((-10.0f64..10.0, -10.0f64..10.0), 3..12),
            b in prop::collection::vec((-10.0f64..10.0, -10.0f64..10.0), 3..12)) {
            let ha = convex_hull(&a.into_iter().map(|(x, y)| [x, y]).collect::<Vec<_>>());
            let hb = convex_hull(&b.into_iter().map(|(x, y)| [x, y]).collect::<Vec<_>>());
            let i = ring_area(&convex_intersection(&ha, &hb)).abs();
            prop_assert!(i <= ring_area(&ha).abs() + 1e-9);
            prop_assert!(i <= ring_area(&hb).abs() + 1e-9);
        }
    }
}
