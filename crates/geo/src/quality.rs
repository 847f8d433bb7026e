//! Quality measures of a cut, reported for every cut (and for the anchors' cuts, by the bench).
//!
//! * doors per turf: mean, standard deviation (population), min, max;
//! * Polsby–Popper `4πA/P²` of each turf's convex hull: mean and 10th percentile (turfs whose
//!   stops are fewer than 3 or collinear have no hull area and are left out, and counted);
//! * RMS radius: root mean square distance from each door to its turf's door-weighted centre;
//! * hull overlap: Σ hull areas / area of their union (1.000 = no two turfs interpenetrate).
//!   The union is exact: hulls are grouped into clusters of pairwise-overlapping hulls (R-tree
//!   on bounding boxes, exact convex intersection) and each cluster's union is computed with
//!   `geo`'s boolean operations;
//! * street segments split between turfs (when stops carry a segment key): share of segments
//!   with stops in several turfs, and share of doors standing on such segments.

use std::collections::HashMap;

use geo::{Area, LineString, Polygon, unary_union};
use rstar::{AABB, RTree, RTreeObject};
use serde::{Deserialize, Serialize};

use crate::geom::{convex_hull, convex_intersection, polsby_popper, ring_area};
use crate::proj::dist2;

/// The quality report of a cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CutQuality {
    pub turfs: usize,
    pub doors: u64,
    pub doors_mean: f64,
    pub doors_std: f64,
    /// Standard deviation of turf sizes around their bureau's mean turf size (the balance
    /// the cutter controls; the overall figure also reflects bureau sizes).
    pub doors_std_within_bureau: f64,
    pub doors_min: u64,
    pub doors_max: u64,
    /// Mean Polsby–Popper of the turfs' convex hulls.
    pub polsby_popper_mean: f64,
    /// 10th percentile of the same.
    pub polsby_popper_p10: f64,
    /// Turfs left out of the Polsby–Popper figures (fewer than 3 non-collinear stops).
    pub turfs_without_area: usize,
    /// Root mean square distance from a door to its turf's centre, metres.
    pub rms_radius_m: f64,
    /// Σ hull areas / area of their union.
    pub hull_overlap: f64,
    /// Present when the stops carry street-segment keys.
    pub streets: Option<StreetSplit>,
}

/// How street segments are shared between turfs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreetSplit {
    /// Segments carrying at least two stops.
    pub segments: usize,
    /// Of those, segments whose stops lie in more than one turf.
    pub split: usize,
    /// `split / segments`.
    pub split_share: f64,
    /// Share of the doors (on segments with at least two stops) standing on split segments.
    pub doors_on_split_share: f64,
}

struct Hull {
    ring: Vec<[f64; 2]>,
    area: f64,
    env: AABB<[f64; 2]>,
    index: usize,
}

impl RTreeObject for Hull {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// A cut to measure: per stop its position (metres), doors, turf (`< turfs`), and optionally
/// its bureau and street-segment key.
#[derive(Clone, Copy, Debug)]
pub struct CutLayout<'a> {
    pub pos: &'a [[f64; 2]],
    pub doors: &'a [u32],
    pub turf_of: &'a [u32],
    pub turfs: usize,
    pub bureau_of: Option<&'a [u32]>,
    pub segment_of: Option<&'a [Option<u32>]>,
}

/// Measures a cut.
pub fn cut_quality(layout: &CutLayout<'_>) -> CutQuality {
    let CutLayout {
        pos,
        doors,
        turf_of,
        turfs,
        bureau_of,
        segment_of,
    } = *layout;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); turfs];
    for (i, &t) in turf_of.iter().enumerate() {
        if (t as usize) < turfs {
            members[t as usize].push(i);
        }
    }
    let sizes: Vec<u64> = members
        .iter()
        .map(|m| m.iter().map(|&i| u64::from(doors[i])).sum())
        .collect();
    let total: u64 = sizes.iter().sum();
    let nt = turfs.max(1) as f64;
    let mean = total as f64 / nt;
    let var = sizes
        .iter()
        .map(|&s| (s as f64 - mean).powi(2))
        .sum::<f64>()
        / nt;
    // Deviation from the mean turf size of the turf's own bureau.
    let within_var = match bureau_of {
        Some(b) => {
            let mut turf_bureau = vec![u32::MAX; turfs];
            for (i, &t) in turf_of.iter().enumerate() {
                if (t as usize) < turfs {
                    turf_bureau[t as usize] = b[i];
                }
            }
            let mut acc: HashMap<u32, (f64, f64)> = HashMap::new();
            for (t, &s) in sizes.iter().enumerate() {
                let e = acc.entry(turf_bureau[t]).or_default();
                e.0 += s as f64;
                e.1 += 1.0;
            }
            sizes
                .iter()
                .enumerate()
                .map(|(t, &s)| {
                    let (sum, n) = acc[&turf_bureau[t]];
                    (s as f64 - sum / n).powi(2)
                })
                .sum::<f64>()
                / nt
        }
        None => var,
    };

    // RMS radius around door-weighted centres.
    let mut sq = 0.0;
    for m in &members {
        let w: f64 = m.iter().map(|&i| f64::from(doors[i])).sum();
        if w <= 0.0 {
            continue;
        }
        let cx = m
            .iter()
            .map(|&i| f64::from(doors[i]) * pos[i][0])
            .sum::<f64>()
            / w;
        let cy = m
            .iter()
            .map(|&i| f64::from(doors[i]) * pos[i][1])
            .sum::<f64>()
            / w;
        sq += m
            .iter()
            .map(|&i| f64::from(doors[i]) * dist2(pos[i], [cx, cy]))
            .sum::<f64>();
    }
    let rms = if total > 0 {
        (sq / total as f64).sqrt()
    } else {
        0.0
    };

    // Hulls and Polsby–Popper.
    let mut hulls = Vec::new();
    let mut pp = Vec::new();
    let mut without_area = 0;
    for m in &members {
        let pts: Vec<[f64; 2]> = m.iter().map(|&i| pos[i]).collect();
        let ring = convex_hull(&pts);
        match polsby_popper(&ring) {
            Some(v) => {
                pp.push(v);
                let (lo, hi) =
                    crate::geom::bbox(ring.iter().copied()).unwrap_or(([0.0; 2], [0.0; 2]));
                hulls.push(Hull {
                    area: ring_area(&ring),
                    env: AABB::from_corners(lo, hi),
                    index: hulls.len(),
                    ring,
                });
            }
            None => without_area += 1,
        }
    }
    pp.sort_by(f64::total_cmp);
    let pp_mean = if pp.is_empty() {
        0.0
    } else {
        pp.iter().sum::<f64>() / pp.len() as f64
    };
    let pp_p10 = percentile(&pp, 0.10);

    CutQuality {
        turfs,
        doors: total,
        doors_mean: mean,
        doors_std: var.sqrt(),
        doors_std_within_bureau: within_var.sqrt(),
        doors_min: sizes.iter().copied().min().unwrap_or(0),
        doors_max: sizes.iter().copied().max().unwrap_or(0),
        polsby_popper_mean: pp_mean,
        polsby_popper_p10: pp_p10,
        turfs_without_area: without_area,
        rms_radius_m: rms,
        hull_overlap: hull_overlap(hulls),
        streets: segment_of.map(|s| street_split(s, doors, turf_of)),
    }
}

/// Linear-interpolated percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn hull_overlap(hulls: Vec<Hull>) -> f64 {
    let sum: f64 = hulls.iter().map(|h| h.area).sum();
    if sum <= 0.0 {
        return 1.0;
    }
    let n = hulls.len();
    let tree = RTree::bulk_load(hulls);
    // Union-find over overlapping pairs.
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let all: Vec<&Hull> = {
        let mut v: Vec<&Hull> = tree.iter().collect();
        v.sort_by_key(|h| h.index);
        v
    };
    for h in &all {
        for o in tree.locate_in_envelope_intersecting(h.env) {
            if o.index <= h.index {
                continue;
            }
            let inter = ring_area(&convex_intersection(&h.ring, &o.ring));
            if inter > 1e-9 * h.area.min(o.area) {
                let (a, b) = (find(&mut parent, h.index), find(&mut parent, o.index));
                parent[a] = b;
            }
        }
    }
    let mut clusters: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = find(&mut parent, i);
        clusters.entry(r).or_default().push(i);
    }
    let mut union = 0.0;
    for members in clusters.values() {
        if members.len() == 1 {
            union += all[members[0]].area;
            continue;
        }
        let polys: Vec<Polygon<f64>> = members
            .iter()
            .map(|&i| {
                let ring: Vec<(f64, f64)> = all[i].ring.iter().map(|p| (p[0], p[1])).collect();
                Polygon::new(LineString::from(ring), vec![])
            })
            .collect();
        union += unary_union(&polys).unsigned_area();
    }
    if union <= 0.0 { 1.0 } else { sum / union }
}

fn street_split(segment_of: &[Option<u32>], doors: &[u32], turf_of: &[u32]) -> StreetSplit {
    let mut seg: HashMap<u32, (u32, u64, Option<u32>, bool)> = Default::default();
    for (i, s) in segment_of.iter().enumerate() {
        let Some(s) = s else { continue };
        let e = seg.entry(*s).or_insert((0, 0, None, false));
        e.0 += 1;
        e.1 += u64::from(doors[i]);
        match e.2 {
            None => e.2 = Some(turf_of[i]),
            Some(t) if t != turf_of[i] => e.3 = true,
            Some(_) => {}
        }
    }
    let multi: Vec<&(u32, u64, Option<u32>, bool)> = seg.values().filter(|v| v.0 >= 2).collect();
    let split = multi.iter().filter(|v| v.3).count();
    let doors_all: u64 = multi.iter().map(|v| v.1).sum();
    let doors_split: u64 = multi.iter().filter(|v| v.3).map(|v| v.1).sum();
    StreetSplit {
        segments: multi.len(),
        split,
        split_share: if multi.is_empty() {
            0.0
        } else {
            split as f64 / multi.len() as f64
        },
        doors_on_split_share: if doors_all == 0 {
            0.0
        } else {
            doors_split as f64 / doors_all as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(nx: usize, ny: usize) -> Vec<[f64; 2]> {
        (0..nx * ny)
            .map(|i| [(i % nx) as f64, (i / nx) as f64])
            .collect()
    }

    #[test]
    fn two_side_by_side_squares() {
        // 4×2 grid cut into left and right 2×2 squares.
        let pos = grid(4, 2);
        let doors = vec![1; 8];
        let turf_of: Vec<u32> = pos.iter().map(|p| u32::from(p[0] >= 2.0)).collect();
        let q = cut_quality(&CutLayout {
            pos: &pos,
            doors: &doors,
            turf_of: &turf_of,
            turfs: 2,
            bureau_of: None,
            segment_of: None,
        });
        assert_eq!((q.doors_min, q.doors_max), (4, 4));
        assert_eq!(q.doors_std, 0.0);
        assert!((q.hull_overlap - 1.0).abs() < 1e-12);
        assert!((q.polsby_popper_mean - std::f64::consts::PI / 4.0).abs() < 1e-9);
        // Each door is at distance √0.5 from its square's centre.
        assert!((q.rms_radius_m - 0.5f64.sqrt()).abs() < 1e-12);
        assert!(q.streets.is_none());
    }

    #[test]
    fn interleaved_turfs_overlap() {
        // Alternate columns: the two hulls are almost the same rectangle.
        let pos = grid(6, 3);
        let doors = vec![1; pos.len()];
        let turf_of: Vec<u32> = pos.iter().map(|p| (p[0] as u32) % 2).collect();
        let q = cut_quality(&CutLayout {
            pos: &pos,
            doors: &doors,
            turf_of: &turf_of,
            turfs: 2,
            bureau_of: None,
            segment_of: None,
        });
        // Hulls [0,4]×[0,2] and [1,5]×[0,2]: areas 8 + 8, union 10.
        assert!((q.hull_overlap - 1.6).abs() < 1e-9, "{}", q.hull_overlap);
    }

    #[test]
    fn split_street_segments_are_counted() {
        let pos = grid(4, 1);
        let doors = vec![1, 1, 2, 5];
        let turf_of = vec![0, 0, 0, 1];
        let seg = vec![Some(7), Some(7), Some(8), Some(8)];
        let q = cut_quality(&CutLayout {
            pos: &pos,
            doors: &doors,
            turf_of: &turf_of,
            turfs: 2,
            bureau_of: None,
            segment_of: Some(&seg),
        });
        let s = q.streets.unwrap();
        assert_eq!((s.segments, s.split), (2, 1));
        assert!((s.doors_on_split_share - 7.0 / 9.0).abs() < 1e-12);
        assert_eq!(q.turfs_without_area, 2);
    }

    #[test]
    fn balance_within_bureaux() {
        // Bureau 0: turfs of 2 and 4 doors; bureau 1: one turf of 9 doors.
        let pos = grid(15, 1);
        let doors = vec![1; 15];
        let turf_of: Vec<u32> = (0..15)
            .map(|i| {
                if i < 2 {
                    0
                } else if i < 6 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let bureau_of: Vec<u32> = (0..15).map(|i| u32::from(i >= 6)).collect();
        let q = cut_quality(&CutLayout {
            pos: &pos,
            doors: &doors,
            turf_of: &turf_of,
            turfs: 3,
            bureau_of: Some(&bureau_of),
            segment_of: None,
        });
        assert!((q.doors_std_within_bureau - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!(q.doors_std > q.doors_std_within_bureau);
    }

    #[test]
    fn percentile_interpolates() {
        assert_eq!(percentile(&[], 0.1), 0.0);
        assert!((percentile(&[0.0, 1.0], 0.1) - 0.1).abs() < 1e-12);
    }
}
