//! Spatially balanced (well spread) samples: the local pivotal method `lpm2`
//! (Grafström, Lundström & Schelin 2012) and the local cube method (Grafström & Tillé 2013),
//! which is balanced on auxiliary totals *and* spread at once.
//!
//! Both let nearby units compete: when one unit's probability goes up its neighbours' go
//! down, so chosen units rarely sit side by side. Coordinates are any number of dimensions
//! compared by Euclidean distance (for longitude/latitude, project first — the CLI entry
//! point uses an equirectangular projection at the frame's mean latitude).

use rand::Rng;

use crate::cube::{
    BalancedSample, StepBuffers, balancing_matrix, check_inputs, column_totals, cube_step,
    undecided,
};
use crate::error::{Result, StatsError};
use crate::kdtree::KdTree;
use crate::landing::land_by_lp;

/// The set of undecided units, with O(1) random pick and removal.
struct LiveSet {
    units: Vec<usize>,
    pos: Vec<usize>,
}

impl LiveSet {
    fn new(n: usize, pi: &[f64]) -> Self {
        let mut s = LiveSet {
            units: Vec::new(),
            pos: vec![usize::MAX; n],
        };
        for k in 0..n {
            if undecided(pi[k]) {
                s.pos[k] = s.units.len();
                s.units.push(k);
            }
        }
        s
    }
    fn len(&self) -> usize {
        self.units.len()
    }
    fn remove(&mut self, k: usize) {
        let p = self.pos[k];
        if p == usize::MAX {
            return;
        }
        let last = self.units.len() - 1;
        self.units.swap(p, last);
        let moved = self.units[p];
        self.pos[moved] = p;
        self.units.pop();
        self.pos[k] = usize::MAX;
    }
    fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        self.units[rng.random_range(0..self.units.len())]
    }
}

fn check_coords(n: usize, coords: &[f64], dim: usize) -> Result<()> {
    if dim == 0 || coords.len() != n * dim {
        return Err(StatsError::LengthMismatch {
            what: "coordinates (units × dimensions)",
            expected: n * dim.max(1),
            got: coords.len(),
        });
    }
    for (i, c) in coords.iter().enumerate() {
        if !c.is_finite() {
            return Err(StatsError::InvalidValue {
                what: "coordinate",
                index: i / dim,
                value: *c,
            });
        }
    }
    Ok(())
}

fn rounded(pi: &[f64]) -> Vec<f64> {
    pi.iter()
        .map(|&v| if undecided(v) { v } else { v.round() })
        .collect()
}

/// Draws a spread sample by the local pivotal method 2: repeatedly pick an undecided unit
/// at random and its nearest undecided neighbour, and let them "fight" for their summed
/// probability (one ends at 0 or 1). Returns the chosen indices, increasing.
pub fn lpm2<R: Rng + ?Sized>(
    pi: &[f64],
    coords: &[f64],
    dim: usize,
    rng: &mut R,
) -> Result<Vec<usize>> {
    check_inputs(pi, &[], 0)?;
    check_coords(pi.len(), coords, dim)?;
    let n = pi.len();
    let mut probs = rounded(pi);
    let mut tree = KdTree::new(coords, dim);
    let mut live = LiveSet::new(n, &probs);
    for k in 0..n {
        if !undecided(probs[k]) {
            tree.remove(k);
        }
    }
    let mut nn = Vec::with_capacity(1);
    while live.len() > 1 {
        let i = live.pick(rng);
        tree.nearest_to_point(i, 1, &mut nn);
        let Some(&(j, _)) = nn.first() else { break };
        let (pi_i, pi_j) = (probs[i], probs[j]);
        let s = pi_i + pi_j;
        let u: f64 = rng.random();
        let (new_i, new_j) = if s < 1.0 {
            if u * s < pi_j { (0.0, s) } else { (s, 0.0) }
        } else if u * (2.0 - s) < 1.0 - pi_j {
            (1.0, s - 1.0)
        } else {
            (s - 1.0, 1.0)
        };
        probs[i] = new_i;
        probs[j] = new_j;
        for k in [i, j] {
            if !undecided(probs[k]) {
                probs[k] = probs[k].round();
                live.remove(k);
                tree.remove(k);
            }
        }
        if tree.live() * 3 < tree.size() && tree.size() > 256 {
            tree.rebuild();
        }
    }
    if live.len() == 1 {
        let k = live.units[0];
        probs[k] = if rng.random::<f64>() < probs[k] {
            1.0
        } else {
            0.0
        };
    }
    Ok((0..n).filter(|&k| probs[k] > 0.5).collect())
}

/// Draws a sample balanced on `aux` (`N × p`, row-major, by priority) and spread over
/// `coords` (`N × dim`) by the local cube method: each flight step takes an undecided unit
/// at random and its `p + 1` nearest undecided neighbours (the size constraint is always the
/// first balancing variable, so groups have `p + 2` units) and makes a cube step on that
/// group. The leftovers (at most p + 1 units) land by linear programming as in the cube
/// method, or, with too many candidate samples, by dropping the last variable whenever no
/// move remains, still in local groups.
pub fn local_cube<R: Rng + ?Sized>(
    pi: &[f64],
    aux: &[f64],
    p: usize,
    coords: &[f64],
    dim: usize,
    rng: &mut R,
) -> Result<BalancedSample> {
    check_inputs(pi, aux, p)?;
    check_coords(pi.len(), coords, dim)?;
    let n = pi.len();
    let (a, stride) = balancing_matrix(pi, aux, p);
    let totals = column_totals(pi, &a, stride);
    let mut probs = rounded(pi);
    let mut tree = KdTree::new(coords, dim);
    let mut live = LiveSet::new(n, &probs);
    for k in 0..n {
        if !undecided(probs[k]) {
            tree.remove(k);
        }
    }
    let mut buf = StepBuffers::default();
    let mut nn = Vec::with_capacity(stride + 1);
    let mut group = Vec::with_capacity(stride + 2);
    let mut cols = stride;
    let mut flight: Option<(Vec<f64>, usize)> = None;
    while live.len() > 0 {
        if live.len() > cols {
            let i = live.pick(rng);
            tree.nearest_to_point(i, cols, &mut nn);
            group.clear();
            group.push(i);
            group.extend(nn.iter().map(|&(k, _)| k));
            cube_step(&mut probs, &a, stride, cols, &group, &mut buf, rng);
        } else {
            group.clear();
            group.extend_from_slice(&live.units);
            if !cube_step(&mut probs, &a, stride, cols, &group, &mut buf, rng) {
                if flight.is_none() {
                    flight = Some((probs.clone(), live.len()));
                    // Land all the leftovers at once by linear programming when possible.
                    if land_by_lp(&mut probs, &a, stride, cols, &totals, &group, rng) {
                        break;
                    }
                }
                if cols == 0 {
                    for &k in &group {
                        probs[k] = if rng.random::<f64>() < probs[k] {
                            1.0
                        } else {
                            0.0
                        };
                    }
                } else {
                    cols -= 1;
                    continue;
                }
            }
        }
        for &k in &group {
            if !undecided(probs[k]) {
                probs[k] = probs[k].round();
                live.remove(k);
                tree.remove(k);
            }
        }
        if tree.live() * 3 < tree.size() && tree.size() > 256 {
            tree.rebuild();
        }
    }
    let (flight_probabilities, landing_units) = flight.unwrap_or_else(|| (probs.clone(), 0));
    Ok(BalancedSample {
        selected: (0..n).filter(|&k| probs[k] > 0.5).collect(),
        flight_probabilities,
        landing_units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cube::tests::{frame, ht_relative_errors};
    use crate::diagnostics::spatial_balance;
    use crate::probabilities::proportional_probabilities;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn lpm2_draws_fixed_size_and_spreads_better_than_the_cube() {
        let (sizes, aux, coords) = frame(2000, 3, 21);
        let pi = proportional_probabilities(&sizes, 50.0).unwrap();
        let mut sb_lpm = 0.0;
        let mut sb_cube = 0.0;
        for seed in 0..5 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = lpm2(&pi, &coords, 2, &mut rng).unwrap();
            assert_eq!(s.len(), 50);
            sb_lpm += spatial_balance(&pi, &coords, 2, &s).unwrap();
            let c = crate::cube::cube(&pi, &aux, 3, None, &mut rng).unwrap();
            sb_cube += spatial_balance(&pi, &coords, 2, &c.selected).unwrap();
        }
        assert!(sb_lpm < 0.6 * sb_cube, "lpm2 {sb_lpm} vs cube {sb_cube}");
    }

    #[test]
    fn local_cube_is_balanced_after_flight_and_spread() {
        let (sizes, aux, coords) = frame(2000, 5, 4);
        let pi = proportional_probabilities(&sizes, 60.0).unwrap();
        // Spread is compared on average over 6 draws (one draw can be unlucky).
        let (mut sb_l, mut sb_c) = (0.0, 0.0);
        for seed in 0..6 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = local_cube(&pi, &aux, 5, &coords, 2, &mut rng).unwrap();
            assert_eq!(s.selected.len(), 60);
            for e in ht_relative_errors(&pi, &aux, 5, &s.flight_probabilities) {
                assert!(e < 1e-7, "HT after flight {e}");
            }
            let c = crate::cube::cube(&pi, &aux, 5, None, &mut rng).unwrap();
            sb_l += spatial_balance(&pi, &coords, 2, &s.selected).unwrap();
            sb_c += spatial_balance(&pi, &coords, 2, &c.selected).unwrap();
        }
        assert!(sb_l < 0.7 * sb_c, "local cube {sb_l} vs cube {sb_c}");
    }

    #[test]
    fn spread_methods_respect_inclusion_probabilities() {
        // 3000 draws of 5 out of 25 units on a line: frequencies within 4.5 standard errors.
        let (sizes, aux, coords) = frame(25, 2, 13);
        let pi = proportional_probabilities(&sizes, 5.0).unwrap();
        let draws = 3000;
        let mut c_lpm = vec![0usize; 25];
        let mut c_lcube = vec![0usize; 25];
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..draws {
            for k in lpm2(&pi, &coords, 2, &mut rng).unwrap() {
                c_lpm[k] += 1;
            }
            for k in local_cube(&pi, &aux, 2, &coords, 2, &mut rng)
                .unwrap()
                .selected
            {
                c_lcube[k] += 1;
            }
        }
        for k in 0..25 {
            let se = (pi[k] * (1.0 - pi[k]) / draws as f64).sqrt();
            for counts in [&c_lpm, &c_lcube] {
                let f = counts[k] as f64 / draws as f64;
                assert!(
                    (f - pi[k]).abs() < 4.5 * se,
                    "unit {k}: π {} freq {f}",
                    pi[k]
                );
            }
        }
    }
}
