//! Turf cutting: partition the doors of each bureau de vote into turfs of a target size.
//!
//! A turf never crosses a bureau. Sizes count doors, not stops: a building with 40 dwellings is
//! one stop worth 40 doors, and it is never split. Three methods:
//!
//! * [`CutMethod::Balanced`] (default): size-constrained k-means ([`crate::balance`]) started from
//!   recursive bisection. Same objective as k-means-constrained (sum of squared distances to
//!   the turf centre under exact size constraints), solved by a dedicated transport on the few
//!   cells of a bureau instead of a general min-cost flow, hence fast. Its cells are power
//!   diagram cells: convex, so turfs do not interpenetrate. Large bureaux are first bisected
//!   into blocks of at most [`CutParams::block_turfs`] turfs, refined independently.
//! * [`CutMethod::Bisection`]: recursive coordinate bisection at door-weighted medians. Fast and
//!   balanced; turfs are elongated slabs (the baseline to beat).
//! * [`CutMethod::Hilbert`]: consecutive chunks along a Hilbert curve. Fast; its turfs
//!   interpenetrate (kept as a reference, not for use).
//!
//! With a street network, stops snapped to the same street segment can be given the same
//! `street` key: they are then cut as one item (long segments in chunks of at most an eighth
//! of a turf), so both sides of a street segment stay in the same turf where possible.

use serde::{Deserialize, Serialize};

use crate::balance::{Problem, balanced_kmeans, fair_caps, rebalance};
use crate::geom::{bbox, hilbert_key};

/// One stop to cut: a position in metres (see [`crate::proj::LocalProjection`]), its doors, the
/// bureau it belongs to (any dense numbering), and optionally a street-segment key.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CutStop {
    pub pos: [f64; 2],
    pub doors: u32,
    pub bureau: u32,
    /// Stops with the same key in the same bureau are kept together where possible.
    pub street: Option<u32>,
}

/// Which cutting algorithm to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutMethod {
    /// Size-constrained k-means (compact, balanced, non-overlapping).
    #[default]
    Balanced,
    /// Recursive coordinate bisection.
    Bisection,
    /// Chunks along a Hilbert curve.
    Hilbert,
}

/// Cutting parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CutParams {
    /// Doors wanted per turf (≈ 80 for a 3-hour pair shift, 40–50 for a 2-hour solo shift).
    pub target_doors: u32,
    pub method: CutMethod,
    /// Lloyd iterations at most (Balanced).
    pub max_iterations: u32,
    /// Largest number of turfs refined together (Balanced); bigger bureaux are split first.
    pub block_turfs: u32,
    /// Largest street item, as a fraction of the target: longer street segments are cut in
    /// chunks of this size.
    pub street_chunk: f64,
    /// Doors a turf may differ from its bureau's fair share before stops are moved to even
    /// it out (Balanced; matters when stops carry many doors or streets are kept together).
    pub balance_tolerance: u32,
    /// Balanced: independent starts per block (bisection along turned axes), best kept.
    pub starts: u32,
}

impl Default for CutParams {
    fn default() -> Self {
        Self {
            target_doors: 80,
            method: CutMethod::Balanced,
            max_iterations: 25,
            block_turfs: 40,
            street_chunk: 0.125,
            balance_tolerance: 2,
            starts: 4,
        }
    }
}

/// A cutting failure (only parameters can fail: any set of stops can be cut).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CutError {
    #[error("target turf size must be at least 1 door")]
    ZeroTarget,
    #[error("stop {index} has a non-finite position")]
    NonFinitePosition { index: usize },
}

/// One turf of a cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurfSummary {
    pub bureau: u32,
    pub doors: u64,
    pub stops: u32,
}

/// The result of a cut: the turf of every stop (index into `turfs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cut {
    pub turf_of: Vec<u32>,
    pub turfs: Vec<TurfSummary>,
}

/// Number of turfs for a bureau of `doors` doors: the nearest whole number of target-size
/// turfs, at least one (a bureau smaller than the target is one turf).
pub fn turf_count(doors: u64, target: u32) -> usize {
    let t = f64::from(target.max(1));
    ((doors as f64 / t).round() as usize).max(1)
}

/// Cuts the stops into turfs. Deterministic: the same input gives the same cut.
pub fn cut(stops: &[CutStop], params: &CutParams) -> Result<Cut, CutError> {
    if params.target_doors == 0 {
        return Err(CutError::ZeroTarget);
    }
    if let Some(index) = stops
        .iter()
        .position(|s| !s.pos[0].is_finite() || !s.pos[1].is_finite())
    {
        return Err(CutError::NonFinitePosition { index });
    }
    let mut by_bureau: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, s) in stops.iter().enumerate() {
        by_bureau.entry(s.bureau).or_default().push(i);
    }
    let mut turf_of = vec![0u32; stops.len()];
    let mut turfs = Vec::new();
    for (bureau, members) in by_bureau {
        let cells = cut_bureau(stops, &members, params);
        number_turfs(stops, &members, &cells, bureau, &mut turf_of, &mut turfs);
    }
    Ok(Cut { turf_of, turfs })
}

/// Items of a bureau: stops, or street chunks when street keys are given.
pub(crate) struct Items {
    pub pos: Vec<[f64; 2]>,
    pub weight: Vec<u32>,
    /// Item of each member (same order as `members`).
    pub item_of: Vec<usize>,
}

pub(crate) fn build_items(stops: &[CutStop], members: &[usize], params: &CutParams) -> Items {
    let chunk = (f64::from(params.target_doors) * params.street_chunk).max(1.0);
    let mut pos = Vec::new();
    let mut weight = Vec::new();
    let mut item_of = vec![usize::MAX; members.len()];
    let mut streets: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (m, &i) in members.iter().enumerate() {
        match stops[i].street {
            Some(key) => streets.entry(key).or_default().push(m),
            None => {
                item_of[m] = pos.len();
                pos.push(stops[i].pos);
                weight.push(stops[i].doors);
            }
        }
    }
    for (_, mut group) in streets {
        // Along the group's longer extent, so chunks are consecutive stretches of street.
        let Some((lo, hi)) = bbox(group.iter().map(|&m| stops[members[m]].pos)) else {
            continue;
        };
        let axis = usize::from(hi[1] - lo[1] > hi[0] - lo[0]);
        group.sort_by(|&a, &b| {
            stops[members[a]].pos[axis]
                .total_cmp(&stops[members[b]].pos[axis])
                .then(a.cmp(&b))
        });
        let total: u64 = group
            .iter()
            .map(|&m| u64::from(stops[members[m]].doors))
            .sum();
        let pieces = ((total as f64 / chunk).ceil() as usize).max(1);
        let per = total as f64 / pieces as f64;
        let mut acc = 0u64;
        let mut current: Option<usize> = None;
        let mut current_piece = usize::MAX;
        for &m in &group {
            let s = &stops[members[m]];
            let piece = (((acc as f64 + f64::from(s.doors) / 2.0) / per) as usize).min(pieces - 1);
            acc += u64::from(s.doors);
            if current.is_none() || piece != current_piece {
                current = Some(pos.len());
                current_piece = piece;
                pos.push([0.0, 0.0]);
                weight.push(0);
            }
            let it = current.unwrap_or(0);
            item_of[m] = it;
            weight[it] += s.doors;
            // Accumulate sums; divided below.
            pos[it][0] += s.pos[0];
            pos[it][1] += s.pos[1];
        }
    }
    // Street items: positions are plain means of their stops.
    let mut n = vec![0u32; pos.len()];
    for (m, &it) in item_of.iter().enumerate() {
        if stops[members[m]].street.is_some() {
            n[it] += 1;
        }
    }
    for (it, c) in n.iter().enumerate() {
        if *c > 0 {
            pos[it] = [pos[it][0] / f64::from(*c), pos[it][1] / f64::from(*c)];
        }
    }
    Items {
        pos,
        weight,
        item_of,
    }
}

/// Cuts one bureau; returns a cell per member (cells may be empty and are renumbered later).
fn cut_bureau(stops: &[CutStop], members: &[usize], params: &CutParams) -> Vec<u32> {
    let items = build_items(stops, members, params);
    let doors: u64 = items.weight.iter().map(|&w| u64::from(w)).sum();
    let nonzero = items.weight.iter().filter(|&&w| w > 0).count().max(1);
    let k = turf_count(doors, params.target_doors).min(nonzero);
    let mut item_cells = partition(&items.pos, &items.weight, k, params);
    if params.method != CutMethod::Balanced || k < 2 {
        return items.item_of.iter().map(|&it| item_cells[it]).collect();
    }
    // Heavy buildings are indivisible, so the transport's rounding can leave some turfs off
    // size: even them out by moving whole stops between neighbouring turfs. Not done when
    // street segments are kept together: moving chunks of street makes turfs interpenetrate
    // (measured on Monaco: overlap 1.05 → 1.10 for a standard deviation 3.1 → 1.8 doors).
    if members.iter().any(|&i| stops[i].street.is_some()) {
        return items.item_of.iter().map(|&it| item_cells[it]).collect();
    }
    let ncell = item_cells
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(1)
        .max(k);
    let caps = fair_caps(doors, ncell, &vec![0; ncell]);
    rebalance(
        &items.pos,
        &items.weight,
        &mut item_cells,
        &caps,
        u64::from(params.balance_tolerance),
    );
    items.item_of.iter().map(|&it| item_cells[it]).collect()
}

/// Partitions weighted items into `k` cells with the chosen method.
pub(crate) fn partition(
    pos: &[[f64; 2]],
    weight: &[u32],
    k: usize,
    params: &CutParams,
) -> Vec<u32> {
    let n = pos.len();
    let mut out = vec![0u32; n];
    if k <= 1 || n <= 1 {
        return out;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    match params.method {
        CutMethod::Bisection => rcb(pos, weight, &mut idx, k, 0, &mut out),
        CutMethod::Hilbert => hilbert_chunks(pos, weight, &idx, k, &mut out),
        CutMethod::Balanced => {
            let block_max = params.block_turfs.max(2) as usize;
            let mut blocks = Vec::new();
            rcb_blocks(pos, weight, &mut idx, k, block_max, &mut blocks);
            let mut first = 0u32;
            for (members, kb) in blocks {
                let bpos: Vec<[f64; 2]> = members.iter().map(|&i| pos[i]).collect();
                let bw: Vec<u32> = members.iter().map(|&i| weight[i]).collect();
                let total: u64 = bw.iter().map(|&w| u64::from(w)).sum();
                let pinned = vec![None; members.len()];
                let problem = Problem {
                    pos: &bpos,
                    weight: &bw,
                    pinned: &pinned,
                    k: kb,
                    caps: fair_caps(total, kb, &vec![0; kb]),
                    max_iterations: params.max_iterations,
                };
                // Several starts: bisection along axes turned by 180°/starts each, keep the
                // cut with the least sum of squared distances to the turf centres.
                let mut best: Option<((u64, f64), Vec<u32>)> = None;
                for start in 0..params.starts.max(1) {
                    let angle =
                        std::f64::consts::PI * f64::from(start) / f64::from(params.starts.max(1));
                    let (sin, cos) = angle.sin_cos();
                    let turned: Vec<[f64; 2]> = bpos
                        .iter()
                        .map(|p| [cos * p[0] - sin * p[1], sin * p[0] + cos * p[1]])
                        .collect();
                    let mut local = vec![0u32; members.len()];
                    let mut lidx: Vec<usize> = (0..members.len()).collect();
                    rcb(&turned, &bw, &mut lidx, kb, 0, &mut local);
                    let cells = balanced_kmeans(&problem, &local);
                    // Balance first, then compactness.
                    let score = (
                        imbalance(&bw, &cells, &problem.caps),
                        sum_squared_distances(&bpos, &bw, &cells, kb),
                    );
                    if best
                        .as_ref()
                        .is_none_or(|(b, _)| score.0 < b.0 || (score.0 == b.0 && score.1 < b.1))
                    {
                        best = Some((score, cells));
                    }
                }
                let cells = best.map(|(_, c)| c).unwrap_or_default();
                for (m, &i) in members.iter().enumerate() {
                    out[i] = first + cells[m];
                }
                first += kb as u32;
            }
        }
    }
    out
}

/// Sum over cells of |doors − capacity|.
fn imbalance(weight: &[u32], cells: &[u32], caps: &[u64]) -> u64 {
    let mut load = vec![0u64; caps.len()];
    for (i, &c) in cells.iter().enumerate() {
        load[c as usize] += u64::from(weight[i]);
    }
    load.iter().zip(caps).map(|(l, c)| l.abs_diff(*c)).sum()
}

/// Sum over items of doors × squared distance to their cell's door-weighted centre.
fn sum_squared_distances(pos: &[[f64; 2]], weight: &[u32], cells: &[u32], k: usize) -> f64 {
    let mut sum = vec![[0.0f64; 3]; k];
    for (i, &c) in cells.iter().enumerate() {
        let w = f64::from(weight[i]);
        let s = &mut sum[c as usize];
        s[0] += w * pos[i][0];
        s[1] += w * pos[i][1];
        s[2] += w;
    }
    cells
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let s = sum[c as usize];
            if s[2] > 0.0 {
                f64::from(weight[i]) * crate::proj::dist2(pos[i], [s[0] / s[2], s[1] / s[2]])
            } else {
                0.0
            }
        })
        .sum()
}

/// Weight used for splitting: doors, or 1 per item when a set has no doors at all.
fn effective_weights(weight: &[u32], idx: &[usize]) -> impl Fn(usize) -> f64 {
    let total: u64 = idx.iter().map(|&i| u64::from(weight[i])).sum();
    let w = weight.to_vec();
    move |i| if total == 0 { 1.0 } else { f64::from(w[i]) }
}

/// Sorts `idx` along the longer side of its bounding box and returns the split position that
/// gives the left part the share `k1 / k` of the weight.
fn bisect(pos: &[[f64; 2]], weight: &[u32], idx: &mut [usize], k1: usize, k: usize) -> usize {
    let Some((lo, hi)) = bbox(idx.iter().map(|&i| pos[i])) else {
        return 0;
    };
    let axis = usize::from(hi[1] - lo[1] > hi[0] - lo[0]);
    idx.sort_by(|&a, &b| pos[a][axis].total_cmp(&pos[b][axis]).then(a.cmp(&b)));
    let w = effective_weights(weight, idx);
    let total: f64 = idx.iter().map(|&i| w(i)).sum();
    let want = total * k1 as f64 / k as f64;
    let mut acc = 0.0;
    let mut best = (f64::INFINITY, 1usize);
    for (s, &i) in idx.iter().enumerate().take(idx.len() - 1) {
        acc += w(i);
        let gap = (acc - want).abs();
        if gap < best.0 {
            best = (gap, s + 1);
        }
    }
    best.1
}

/// Recursive coordinate bisection into `k` cells labelled `first..first + k`.
pub(crate) fn rcb(
    pos: &[[f64; 2]],
    weight: &[u32],
    idx: &mut [usize],
    k: usize,
    first: u32,
    out: &mut [u32],
) {
    if k <= 1 || idx.len() <= 1 {
        for &i in idx.iter() {
            out[i] = first;
        }
        return;
    }
    let k1 = k / 2;
    let s = bisect(pos, weight, idx, k1, k);
    let (left, right) = idx.split_at_mut(s);
    rcb(pos, weight, left, k1, first, out);
    rcb(pos, weight, right, k - k1, first + k1 as u32, out);
}

/// Recursive bisection until blocks hold at most `block_max` cells.
fn rcb_blocks(
    pos: &[[f64; 2]],
    weight: &[u32],
    idx: &mut [usize],
    k: usize,
    block_max: usize,
    out: &mut Vec<(Vec<usize>, usize)>,
) {
    if k <= block_max || idx.len() <= 1 {
        out.push((idx.to_vec(), k));
        return;
    }
    let k1 = k / 2;
    let s = bisect(pos, weight, idx, k1, k);
    let (left, right) = idx.split_at_mut(s);
    rcb_blocks(pos, weight, left, k1, block_max, out);
    rcb_blocks(pos, weight, right, k - k1, block_max, out);
}

/// Consecutive chunks of equal weight along a Hilbert curve.
fn hilbert_chunks(pos: &[[f64; 2]], weight: &[u32], idx: &[usize], k: usize, out: &mut [u32]) {
    let Some((lo, hi)) = bbox(idx.iter().map(|&i| pos[i])) else {
        return;
    };
    let mut keyed: Vec<(u64, usize)> = idx
        .iter()
        .map(|&i| (hilbert_key(pos[i], lo, hi), i))
        .collect();
    keyed.sort_unstable();
    let w = effective_weights(weight, idx);
    let total: f64 = idx.iter().map(|&i| w(i)).sum();
    let mut acc = 0.0;
    for (_, i) in keyed {
        let mid = acc + w(i) / 2.0;
        acc += w(i);
        out[i] = ((mid / total * k as f64) as u32).min(k as u32 - 1);
    }
}

/// Drops empty cells, numbers the bureau's turfs along a Hilbert curve of their centres (so
/// that turf numbers near each other are near each other) and appends them.
fn number_turfs(
    stops: &[CutStop],
    members: &[usize],
    cells: &[u32],
    bureau: u32,
    turf_of: &mut [u32],
    turfs: &mut Vec<TurfSummary>,
) {
    let ncell = cells.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut sum = vec![[0.0f64; 2]; ncell];
    let mut count = vec![0u32; ncell];
    let mut doors = vec![0u64; ncell];
    for (m, &c) in cells.iter().enumerate() {
        let s = &stops[members[m]];
        sum[c as usize][0] += s.pos[0];
        sum[c as usize][1] += s.pos[1];
        count[c as usize] += 1;
        doors[c as usize] += u64::from(s.doors);
    }
    let centres: Vec<[f64; 2]> = (0..ncell)
        .map(|c| {
            let n = f64::from(count[c].max(1));
            [sum[c][0] / n, sum[c][1] / n]
        })
        .collect();
    let used: Vec<usize> = (0..ncell).filter(|&c| count[c] > 0).collect();
    let Some((lo, hi)) = bbox(used.iter().map(|&c| centres[c])) else {
        return;
    };
    let mut order: Vec<(u64, usize)> = used
        .iter()
        .map(|&c| (hilbert_key(centres[c], lo, hi), c))
        .collect();
    order.sort_unstable();
    let mut global = vec![u32::MAX; ncell];
    for (_, c) in order {
        global[c] = turfs.len() as u32;
        turfs.push(TurfSummary {
            bureau,
            doors: doors[c],
            stops: count[c],
        });
    }
    for (m, &c) in cells.iter().enumerate() {
        turf_of[members[m]] = global[c as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub(crate) fn clustered(seed: u64, n: usize, bureaux: u32) -> Vec<CutStop> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres: Vec<[f64; 2]> = (0..20)
            .map(|_| [rng.random_range(0.0..3000.0), rng.random_range(0.0..3000.0)])
            .collect();
        (0..n)
            .map(|_| {
                let c = centres[rng.random_range(0..centres.len())];
                let pos = [
                    c[0] + rng.random_range(-300.0..300.0),
                    c[1] + rng.random_range(-300.0..300.0),
                ];
                let bureau =
                    ((pos[0].max(0.0) / 3600.0 * f64::from(bureaux)) as u32).min(bureaux - 1);
                CutStop {
                    pos,
                    doors: 1,
                    bureau,
                    street: None,
                }
            })
            .collect()
    }

    fn check_invariants(stops: &[CutStop], cut: &Cut, target: u32, slack: u64) {
        assert_eq!(cut.turf_of.len(), stops.len());
        let mut doors = vec![0u64; cut.turfs.len()];
        let mut count = vec![0u32; cut.turfs.len()];
        for (s, &t) in stops.iter().zip(&cut.turf_of) {
            let t = t as usize;
            assert!(t < cut.turfs.len());
            assert_eq!(cut.turfs[t].bureau, s.bureau, "turf crosses a bureau");
            doors[t] += u64::from(s.doors);
            count[t] += 1;
        }
        for (t, turf) in cut.turfs.iter().enumerate() {
            assert_eq!(turf.doors, doors[t]);
            assert_eq!(turf.stops, count[t]);
            assert!(turf.stops > 0);
        }
        // Sizes within bounds, per bureau.
        let mut per_bureau: std::collections::BTreeMap<u32, Vec<u64>> = Default::default();
        for t in &cut.turfs {
            per_bureau.entry(t.bureau).or_default().push(t.doors);
        }
        for (b, sizes) in per_bureau {
            let total: u64 = sizes.iter().sum();
            assert_eq!(sizes.len(), turf_count(total, target), "bureau {b}");
            let mean = total as f64 / sizes.len() as f64;
            for s in sizes {
                assert!(
                    (s as f64 - mean).abs() <= slack as f64 + 1.0,
                    "bureau {b}: {s} vs {mean}"
                );
            }
        }
    }

    #[test]
    fn balanced_cut_is_exactly_balanced_with_unit_doors() {
        let stops = clustered(1, 4000, 5);
        let params = CutParams::default();
        let c = cut(&stops, &params).unwrap();
        check_invariants(&stops, &c, 80, 0);
    }

    #[test]
    fn bisection_and_hilbert_are_balanced() {
        let stops = clustered(2, 3000, 3);
        for method in [CutMethod::Bisection, CutMethod::Hilbert] {
            let params = CutParams {
                method,
                ..CutParams::default()
            };
            let c = cut(&stops, &params).unwrap();
            check_invariants(&stops, &c, 80, 1);
        }
    }

    #[test]
    fn balanced_is_more_compact_than_bisection() {
        let stops = clustered(3, 4000, 4);
        let pos: Vec<[f64; 2]> = stops.iter().map(|s| s.pos).collect();
        let doors: Vec<u32> = stops.iter().map(|s| s.doors).collect();
        let q = |m| {
            let c = cut(
                &stops,
                &CutParams {
                    method: m,
                    ..CutParams::default()
                },
            )
            .unwrap();
            crate::quality::cut_quality(&crate::quality::CutLayout {
                pos: &pos,
                doors: &doors,
                turf_of: &c.turf_of,
                turfs: c.turfs.len(),
                bureau_of: None,
                segment_of: None,
            })
        };
        let balanced = q(CutMethod::Balanced);
        let bisection = q(CutMethod::Bisection);
        assert!(balanced.rms_radius_m < bisection.rms_radius_m);
        assert!(balanced.polsby_popper_mean > bisection.polsby_popper_mean);
        assert!(balanced.hull_overlap < 1.001, "{}", balanced.hull_overlap);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(cut(&[], &CutParams::default()).unwrap().turfs.len(), 0);
        let one = [CutStop {
            pos: [0.0, 0.0],
            doors: 3,
            bureau: 9,
            street: None,
        }];
        let c = cut(&one, &CutParams::default()).unwrap();
        assert_eq!(
            c.turfs,
            vec![TurfSummary {
                bureau: 9,
                doors: 3,
                stops: 1
            }]
        );
        // Three big buildings, 400 doors: at most three turfs, whatever the target.
        let big: Vec<CutStop> = (0..3)
            .map(|i| CutStop {
                pos: [f64::from(i) * 50.0, 0.0],
                doors: 130 + i as u32,
                bureau: 0,
                street: None,
            })
            .collect();
        let c = cut(&big, &CutParams::default()).unwrap();
        assert_eq!(c.turfs.len(), 3);
        // Duplicated points and zero-door stops.
        let dup: Vec<CutStop> = (0..200)
            .map(|i| CutStop {
                pos: [0.0, 0.0],
                doors: u32::from(i % 3 != 0),
                bureau: 0,
                street: None,
            })
            .collect();
        let c = cut(&dup, &CutParams::default()).unwrap();
        assert!(c.turfs.iter().map(|t| t.doors).sum::<u64>() == 133);
        assert_eq!(
            cut(
                &one,
                &CutParams {
                    target_doors: 0,
                    ..CutParams::default()
                }
            ),
            Err(CutError::ZeroTarget)
        );
        let nan = [CutStop {
            pos: [f64::NAN, 0.0],
            doors: 1,
            bureau: 0,
            street: None,
        }];
        assert_eq!(
            cut(&nan, &CutParams::default()),
            Err(CutError::NonFinitePosition { index: 0 })
        );
    }

    #[test]
    fn large_bureau_is_cut_in_blocks() {
        let stops = clustered(4, 6000, 1);
        let c = cut(&stops, &CutParams::default()).unwrap();
        check_invariants(&stops, &c, 80, 0);
        assert_eq!(c.turfs.len(), 75);
    }

    #[test]
    fn street_groups_stay_together() {
        // Two rows of houses facing each other along 8 streets.
        let mut stops = Vec::new();
        for street in 0..8u32 {
            for i in 0..40 {
                for side in [-6.0, 6.0] {
                    let y = f64::from(street) * 60.0 + side;
                    stops.push(CutStop {
                        pos: [f64::from(i) * 8.0, y],
                        doors: 1,
                        bureau: 0,
                        street: Some(street * 4 + i / 10),
                    });
                }
            }
        }
        let params = CutParams::default();
        let c = cut(&stops, &params).unwrap();
        let mut turfs_of_key: std::collections::BTreeMap<u32, std::collections::BTreeSet<u32>> =
            Default::default();
        for (s, &t) in stops.iter().zip(&c.turf_of) {
            turfs_of_key.entry(s.street.unwrap()).or_default().insert(t);
        }
        assert!(turfs_of_key.values().all(|v| v.len() == 1));
        check_invariants(&stops, &c, 80, 20);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn every_stop_in_exactly_one_turf_of_its_bureau(
            seed in 0u64..1000, n in 1usize..600, bureaux in 1u32..4, target in 5u32..120,
            heavy in 0u32..30, method in 0usize..3) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let stops: Vec<CutStop> = (0..n).map(|_| CutStop {
                pos: [rng.random_range(0.0..2000.0), rng.random_range(0.0..2000.0)],
                doors: if rng.random_range(0..100) < heavy { rng.random_range(0..40) } else { 1 },
                bureau: rng.random_range(0..bureaux),
                street: None,
            }).collect();
            let method = [CutMethod::Balanced, CutMethod::Bisection, CutMethod::Hilbert][method];
            let c = cut(&stops, &CutParams { target_doors: target, method, ..CutParams::default() }).unwrap();
            prop_assert_eq!(c.turf_of.len(), n);
            let mut doors = vec![0u64; c.turfs.len()];
            for (s, &t) in stops.iter().zip(&c.turf_of) {
                prop_assert_eq!(c.turfs[t as usize].bureau, s.bureau);
                doors[t as usize] += u64::from(s.doors);
            }
            let total: u64 = stops.iter().map(|s| u64::from(s.doors)).sum();
            prop_assert_eq!(doors.iter().sum::<u64>(), total);
            // Sizes within bounds: no turf exceeds the bureau mean by more than the heaviest
            // stop (stops are never split).
            let wmax = u64::from(stops.iter().map(|s| s.doors).max().unwrap_or(1).max(1));
            for (t, turf) in c.turfs.iter().enumerate() {
                let bt: Vec<&TurfSummary> = c.turfs.iter().filter(|x| x.bureau == turf.bureau).collect();
                let mean = bt.iter().map(|x| x.doors).sum::<u64>() as f64 / bt.len() as f64;
                prop_assert!((doors[t] as f64) <= mean + wmax as f64 + 1.0, "turf {} has {} doors, mean {}", t, doors[t], mean);
            }
        }
    }
}
