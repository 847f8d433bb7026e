//! Spatial lookups: nearest points (R-tree) and point-in-polygon location (bureau contours).
//!
//! [`PointIndex`] answers "which stops are near here" on projected points; [`PolygonLocator`]
//! answers "which polygon (bureau de vote, IRIS, turf drawn on the map) contains this
//! point" for WGS84 or projected polygons, with an R-tree over bounding boxes so that placing
//! 150,000 addresses in 900 bureaux takes well under a second.

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Point, Polygon};
use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// A point with the index of the record it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct IndexedPoint {
    pos: [f64; 2],
    index: usize,
}

impl RTreeObject for IndexedPoint {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.pos)
    }
}

impl PointDistance for IndexedPoint {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        crate::proj::dist2(self.pos, *point)
    }
}

/// An R-tree over projected points, returning indices into the slice it was built from.
#[derive(Debug)]
pub struct PointIndex {
    tree: RTree<IndexedPoint>,
}

impl PointIndex {
    /// Indexes the finite points of `points` (others are skipped and never returned).
    pub fn new(points: &[[f64; 2]]) -> Self {
        let items = points
            .iter()
            .enumerate()
            .filter(|(_, p)| p[0].is_finite() && p[1].is_finite())
            .map(|(index, &pos)| IndexedPoint { pos, index })
            .collect();
        Self {
            tree: RTree::bulk_load(items),
        }
    }

    /// Index of the point nearest to `p`.
    pub fn nearest(&self, p: [f64; 2]) -> Option<usize> {
        self.tree.nearest_neighbor(p).map(|ip| ip.index)
    }

    /// Indices of the `k` points nearest to `p`, nearest first.
    pub fn k_nearest(&self, p: [f64; 2], k: usize) -> Vec<usize> {
        self.tree
            .nearest_neighbor_iter(p)
            .take(k)
            .map(|ip| ip.index)
            .collect()
    }

    /// Indices of the points within `radius` metres of `p` (any order).
    pub fn within(&self, p: [f64; 2], radius: f64) -> Vec<usize> {
        self.tree
            .locate_within_distance(p, radius * radius)
            .map(|ip| ip.index)
            .collect()
    }
}

/// A polygon with its position in the caller's list.
struct IndexedPolygon {
    shape: MultiPolygon<f64>,
    envelope: AABB<[f64; 2]>,
    index: usize,
}

impl RTreeObject for IndexedPolygon {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Finds which of a set of polygons contains a point.
pub struct PolygonLocator {
    tree: RTree<IndexedPolygon>,
}

impl std::fmt::Debug for PolygonLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolygonLocator")
            .field("polygons", &self.tree.size())
            .finish()
    }
}

impl PolygonLocator {
    /// Indexes polygons (empty ones are skipped). Coordinates may be lon/lat or projected, as
    /// long as the points looked up use the same system.
    pub fn new(polygons: Vec<MultiPolygon<f64>>) -> Self {
        let items = polygons
            .into_iter()
            .enumerate()
            .filter_map(|(index, shape)| {
                let r = shape.bounding_rect()?;
                Some(IndexedPolygon {
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    shape,
                    index,
                })
            })
            .collect();
        Self {
            tree: RTree::bulk_load(items),
        }
    }

    /// Index of the first polygon containing `p` (its interior; a point exactly on a shared
    /// boundary belongs to neither, so [`Self::locate_or_nearest`] is what importers want).
    pub fn locate(&self, p: [f64; 2]) -> Option<usize> {
        let point = Point::new(p[0], p[1]);
        self.tree
            .locate_in_envelope_intersecting(AABB::from_point(p))
            .filter(|ip| ip.shape.contains(&point))
            .map(|ip| ip.index)
            .min()
    }

    /// The containing polygon, or else the polygon whose boundary is nearest within
    /// `tolerance` (same units as the coordinates): addresses a few metres outside every
    /// contour (street centre lines, parks) still get a bureau.
    pub fn locate_or_nearest(&self, p: [f64; 2], tolerance: f64) -> Option<usize> {
        if let Some(i) = self.locate(p) {
            return Some(i);
        }
        let search = AABB::from_corners(
            [p[0] - tolerance, p[1] - tolerance],
            [p[0] + tolerance, p[1] + tolerance],
        );
        let coord = Coord { x: p[0], y: p[1] };
        let mut best: Option<(f64, usize)> = None;
        for ip in self.tree.locate_in_envelope_intersecting(search) {
            for poly in &ip.shape.0 {
                let d = ring_distance(poly, coord);
                if d <= tolerance
                    && best.is_none_or(|(bd, bi)| d < bd || (d == bd && ip.index < bi))
                {
                    best = Some((d, ip.index));
                }
            }
        }
        best.map(|(_, i)| i)
    }
}

/// Distance from a point to the rings of a polygon.
fn ring_distance(poly: &Polygon<f64>, c: Coord<f64>) -> f64 {
    let mut best = f64::INFINITY;
    for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
        for seg in ring.lines() {
            best = best.min(point_segment_distance(
                [c.x, c.y],
                [seg.start.x, seg.start.y],
                [seg.end.x, seg.end.y],
            ));
        }
    }
    best
}

/// Distance from `p` to the segment `[a, b]`.
pub fn point_segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (_, q) = project_on_segment(p, a, b);
    crate::proj::dist(p, q)
}

/// Orthogonal projection of `p` on the segment `[a, b]`: the fraction `t ∈ [0, 1]` from `a`
/// and the projected point.
pub fn project_on_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> (f64, [f64; 2]) {
    let d = [b[0] - a[0], b[1] - a[1]];
    let len2 = d[0] * d[0] + d[1] * d[1];
    if len2 <= 0.0 {
        return (0.0, a);
    }
    let t = (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0);
    (t, [a[0] + t * d[0], a[1] + t * d[1]])
}

/// Whether `p` lies inside a simple ring given as points (even–odd rule; the ring need not be
/// closed). Used for "redraw a polygon" on projected coordinates.
pub fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use proptest::prelude::*;

    #[test]
    fn nearest_and_within() {
        let pts = vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [0.0, 10.0],
            [f64::NAN, 1.0],
            [3.0, 4.0],
        ];
        let idx = PointIndex::new(&pts);
        assert_eq!(idx.nearest([9.0, 1.0]), Some(1));
        let mut w = idx.within([0.0, 0.0], 5.0);
        w.sort_unstable();
        assert_eq!(w, vec![0, 4]);
        assert_eq!(idx.k_nearest([0.0, 0.0], 2), vec![0, 4]);
    }

    #[test]
    fn locates_points_in_polygons() {
        let a = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
        ]);
        let b = MultiPolygon(vec![
            polygon![(x: 10.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 10.0), (x: 10.0, y: 10.0)],
        ]);
        let loc = PolygonLocator::new(vec![a, MultiPolygon(vec![]), b]);
        assert_eq!(loc.locate([5.0, 5.0]), Some(0));
        assert_eq!(loc.locate([15.0, 5.0]), Some(2));
        assert_eq!(loc.locate([25.0, 5.0]), None);
        assert_eq!(loc.locate_or_nearest([21.0, 5.0], 2.0), Some(2));
        assert_eq!(loc.locate_or_nearest([25.0, 5.0], 2.0), None);
    }

    #[test]
    fn ring_contains_handles_concave_rings() {
        // An L shape.
        let ring = [
            [0.0, 0.0],
            [4.0, 0.0],
            [4.0, 1.0],
            [1.0, 1.0],
            [1.0, 4.0],
            [0.0, 4.0],
        ];
        assert!(ring_contains(&ring, [0.5, 3.0]));
        assert!(ring_contains(&ring, [3.0, 0.5]));
        assert!(!ring_contains(&ring, [3.0, 3.0]));
        assert!(!ring_contains(&ring[..2], [0.1, 0.0]));
    }

    proptest! {
        #[test]
        fn nearest_agrees_with_brute_force(pts in prop::collection::vec((-50.0f64..50.0, -50.0f64..50.0), 1..80),
                                           q in (-60.0f64..60.0, -60.0f64..60.0)) {
            let pts: Vec<[f64; 2]> = pts.into_iter().map(|(x, y)| [x, y]).collect();
            let q = [q.0, q.1];
            let idx = PointIndex::new(&pts);
            let got = idx.nearest(q).unwrap();
            let best = pts.iter().map(|p| crate::proj::dist2(*p, q)).fold(f64::INFINITY, f64::min);
            prop_assert!((crate::proj::dist2(pts[got], q) - best).abs() < 1e-9);
        }

        #[test]
        fn ring_contains_agrees_with_geo(px in -1.0f64..11.0, py in -1.0f64..11.0) {
            let ring = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [5.0, 4.0], [0.0, 10.0]];
            let poly = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 5.0, y: 4.0), (x: 0.0, y: 10.0)];
            let p = Point::new(px, py);
            // Away from the boundary both must agree.
            let near_edge = poly.exterior().lines().any(|l| point_segment_distance([px, py], [l.start.x, l.start.y], [l.end.x, l.end.y]) < 1e-6);
            prop_assume!(!near_edge);
            prop_assert_eq!(ring_contains(&ring, [px, py]), poly.contains(&p));
        }
    }
}
