//! Size-constrained k-means: the engine behind [`crate::cut::CutMethod::Balanced`].
//!
//! Each Lloyd iteration solves exactly (up to the candidate restriction below) the
//! transportation problem "give every cell exactly its capacity in doors, minimising the sum
//! of squared distances from doors to their cell's centre", then moves the centres to the
//! door-weighted means. This is the objective k-means-constrained minimises with a general
//! min-cost-flow solver; here it is solved by successive shortest paths on the tiny graph of
//! the k cells, with node potentials (the dual prices of the cells):
//!
//! * every item (a stop, or a group of stops kept together) starts in the cell minimising
//!   `distance² − price`, so all reduced costs are non-negative and Dijkstra applies;
//! * moving one door from cell `a` to cell `b` costs the smallest `cost(i,b) − cost(i,a)` over
//!   the items `i` in `a`: one lazy min-heap per ordered pair of cells keeps that minimum;
//! * an over-full cell sends doors along the cheapest path of such moves to an under-full one,
//!   then prices are raised by the path distances (the standard potential update), which keeps
//!   every reduced cost non-negative.
//!
//! Prices are kept from one Lloyd iteration to the next, so after the first iteration only a
//! few doors need re-routing. The optimal cells of this problem are power-diagram cells
//! (convex, so the hulls of different turfs do not overlap), which is why this cut does not
//! interpenetrate. An item carrying several doors (a block of flats) may be split by the
//! transport; it is then given whole to the cell holding most of its doors.
//! Only the `CANDIDATES` cheapest cells of each item get heap entries (moves to far cells are
//! never optimal in practice); if that makes some under-full cell unreachable the iteration is
//! redone with every cell as a candidate.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::proj::dist2;

/// Cells considered for moving an item, besides its best one.
const CANDIDATES: usize = 5;

/// A heap entry: moving item `item` out of the heap's source cell costs `key`.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: f64,
    item: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Min-heap on key, then on item for determinism.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then_with(|| other.item.cmp(&self.item))
    }
}

/// Where the doors of one item are: usually all in one cell.
#[derive(Clone, Debug)]
enum Parts {
    One(u32),
    Many(Vec<(u32, u32)>),
}

/// Inputs of one balancing problem (one block of one bureau).
pub(crate) struct Problem<'a> {
    /// Item positions (metres).
    pub pos: &'a [[f64; 2]],
    /// Doors per item (items with 0 doors are placed at the end, by nearest centre).
    pub weight: &'a [u32],
    /// Item forced into a cell (visited stops during a re-cut).
    pub pinned: &'a [Option<u32>],
    /// Number of cells.
    pub k: usize,
    /// Doors wanted in each cell (sum = total doors).
    pub caps: Vec<u64>,
    /// Lloyd iterations at most.
    pub max_iterations: u32,
}

/// Door capacities for `k` cells holding `total` doors, as even as possible, but never below a
/// cell's pinned load (water-filling).
pub(crate) fn fair_caps(total: u64, k: usize, pinned_load: &[u64]) -> Vec<u64> {
    if k == 0 {
        return Vec::new();
    }
    // Cells whose pinned load exceeds the even share keep it; the rest share what is left.
    let mut fixed = vec![false; k];
    loop {
        let free: Vec<usize> = (0..k).filter(|&j| !fixed[j]).collect();
        let fixed_load: u64 = (0..k).filter(|&j| fixed[j]).map(|j| pinned_load[j]).sum();
        let rest = total.saturating_sub(fixed_load);
        if free.is_empty() {
            return pinned_load.to_vec();
        }
        let share = rest / free.len() as u64;
        let mut changed = false;
        for &j in &free {
            if pinned_load[j] > share {
                fixed[j] = true;
                changed = true;
            }
        }
        if !changed {
            let mut caps: Vec<u64> = (0..k)
                .map(|j| if fixed[j] { pinned_load[j] } else { share })
                .collect();
            let mut left = rest - share * free.len() as u64;
            for &j in &free {
                if left == 0 {
                    break;
                }
                caps[j] += 1;
                left -= 1;
            }
            return caps;
        }
    }
}

struct State<'a> {
    p: &'a Problem<'a>,
    centres: Vec<[f64; 2]>,
    prices: Vec<f64>,
    parts: Vec<Parts>,
    load: Vec<u64>,
    /// Candidate cells per item (`stride` per item; `u32::MAX` pads).
    cands: Vec<u32>,
    stride: usize,
    heaps: Vec<BinaryHeap<Entry>>,
}

impl State<'_> {
    fn cost(&self, item: usize, cell: usize) -> f64 {
        dist2(self.p.pos[item], self.centres[cell])
    }

    fn count(&self, item: usize, cell: u32) -> u32 {
        match &self.parts[item] {
            Parts::One(c) => {
                if *c == cell {
                    self.p.weight[item]
                } else {
                    0
                }
            }
            Parts::Many(v) => v.iter().find(|(c, _)| *c == cell).map_or(0, |(_, n)| *n),
        }
    }

    fn move_units(&mut self, item: usize, from: u32, to: u32, amount: u32) {
        let w = self.p.weight[item];
        let mut v = match std::mem::replace(&mut self.parts[item], Parts::One(0)) {
            Parts::One(c) => vec![(c, w)],
            Parts::Many(v) => v,
        };
        if let Some(e) = v.iter_mut().find(|(c, _)| *c == from) {
            e.1 -= amount;
        }
        match v.iter_mut().find(|(c, _)| *c == to) {
            Some(e) => e.1 += amount,
            None => v.push((to, amount)),
        }
        v.retain(|(_, n)| *n > 0);
        self.parts[item] = if v.len() == 1 {
            Parts::One(v[0].0)
        } else {
            Parts::Many(v)
        };
        self.load[from as usize] -= u64::from(amount);
        self.load[to as usize] += u64::from(amount);
    }

    fn push_moves_from(&mut self, item: usize, cell: u32) {
        let k = self.p.k;
        for s in 0..self.stride {
            let c = self.cands[item * self.stride + s];
            if c == u32::MAX || c == cell {
                continue;
            }
            let key = self.cost(item, c as usize) - self.cost(item, cell as usize);
            self.heaps[cell as usize * k + c as usize].push(Entry {
                key,
                item: item as u32,
            });
        }
    }

    /// Cheapest valid move from cell `a` to cell `b`, cleaning stale entries.
    fn top(&mut self, a: usize, b: usize) -> Option<Entry> {
        let k = self.p.k;
        loop {
            let e = *self.heaps[a * k + b].peek()?;
            if self.count(e.item as usize, a as u32) > 0 {
                return Some(e);
            }
            self.heaps[a * k + b].pop();
        }
    }

    /// Assigns every free item to its best cell by power cost, builds candidates and heaps.
    fn start(&mut self, stride: usize) {
        let k = self.p.k;
        self.stride = stride;
        self.cands = vec![u32::MAX; self.p.pos.len() * stride];
        self.load = vec![0; k];
        for h in &mut self.heaps {
            h.clear();
        }
        let mut scored: Vec<(f64, u32)> = Vec::with_capacity(k);
        for i in 0..self.p.pos.len() {
            let w = self.p.weight[i];
            if let Some(c) = self.p.pinned[i] {
                self.parts[i] = Parts::One(c);
                self.load[c as usize] += u64::from(w);
                continue;
            }
            if w == 0 {
                continue;
            }
            scored.clear();
            scored.extend((0..k).map(|j| (self.cost(i, j) - self.prices[j], j as u32)));
            let take = stride.min(k);
            if take < k {
                scored.select_nth_unstable_by(take - 1, |a, b| {
                    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                });
            }
            scored[..take].sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (s, &(_, c)) in scored[..take].iter().enumerate() {
                self.cands[i * stride + s] = c;
            }
            let best = scored[0].1;
            self.parts[i] = Parts::One(best);
            self.load[best as usize] += u64::from(w);
        }
        for i in 0..self.p.pos.len() {
            if self.p.pinned[i].is_none()
                && self.p.weight[i] > 0
                && let Parts::One(c) = self.parts[i]
            {
                self.push_moves_from(i, c);
            }
        }
    }

    /// Routes doors from over-full to under-full cells. Returns false when some over-full
    /// cell cannot reach any under-full one through candidate moves.
    fn transport(&mut self) -> bool {
        let k = self.p.k;
        let mut dist = vec![f64::INFINITY; k];
        let mut done = vec![false; k];
        let mut prev = vec![usize::MAX; k];
        let mut guard: u64 = 0;
        let guard_max: u64 = 4 * self.load.iter().sum::<u64>() + 16;
        loop {
            let over: Vec<usize> = (0..k).filter(|&j| self.load[j] > self.p.caps[j]).collect();
            if over.is_empty() {
                return true;
            }
            guard += 1;
            if guard > guard_max {
                return true;
            }
            dist.fill(f64::INFINITY);
            done.fill(false);
            prev.fill(usize::MAX);
            for &j in &over {
                dist[j] = 0.0;
            }
            let mut target = None;
            for _ in 0..k {
                let mut u = usize::MAX;
                let mut du = f64::INFINITY;
                for j in 0..k {
                    if !done[j] && dist[j] < du {
                        du = dist[j];
                        u = j;
                    }
                }
                if u == usize::MAX {
                    break;
                }
                done[u] = true;
                if self.load[u] < self.p.caps[u] {
                    target = Some(u);
                    break;
                }
                for v in 0..k {
                    if done[v] || v == u {
                        continue;
                    }
                    if let Some(e) = self.top(u, v) {
                        let r = (e.key + self.prices[u] - self.prices[v]).max(0.0);
                        if du + r < dist[v] {
                            dist[v] = du + r;
                            prev[v] = u;
                        }
                    }
                }
            }
            let Some(t) = target else {
                return false;
            };
            let dt = dist[t];
            for (price, d) in self.prices.iter_mut().zip(&dist) {
                *price += d.min(dt);
            }
            // Path t ← … ← source, and how many doors can travel along it at once.
            let mut path = Vec::new();
            let mut v = t;
            while prev[v] != usize::MAX {
                path.push((prev[v], v));
                v = prev[v];
            }
            let source = v;
            let mut amount =
                (self.load[source] - self.p.caps[source]).min(self.p.caps[t] - self.load[t]);
            let mut moves = Vec::with_capacity(path.len());
            for &(a, b) in &path {
                let Some(e) = self.top(a, b) else {
                    return false;
                };
                amount = amount.min(u64::from(self.count(e.item as usize, a as u32)));
                moves.push((e.item as usize, a as u32, b as u32));
            }
            let amount = u32::try_from(amount.max(1)).unwrap_or(u32::MAX);
            for (item, a, b) in moves {
                let fresh = self.count(item, b) == 0;
                self.move_units(item, a, b, amount);
                if fresh {
                    self.push_moves_from(item, b);
                }
            }
        }
    }

    fn update_centres(&mut self) {
        let k = self.p.k;
        let mut sum = vec![[0.0f64; 2]; k];
        let mut n = vec![0.0f64; k];
        for (i, parts) in self.parts.iter().enumerate() {
            let p = self.p.pos[i];
            let mut add = |c: u32, w: u32| {
                let w = f64::from(w);
                sum[c as usize][0] += w * p[0];
                sum[c as usize][1] += w * p[1];
                n[c as usize] += w;
            };
            match parts {
                Parts::One(c) => add(*c, self.p.weight[i]),
                Parts::Many(v) => v.iter().for_each(|&(c, w)| add(c, w)),
            }
        }
        for j in 0..k {
            if n[j] > 0.0 {
                self.centres[j] = [sum[j][0] / n[j], sum[j][1] / n[j]];
            }
        }
    }

    fn majority(&self, item: usize) -> u32 {
        match &self.parts[item] {
            Parts::One(c) => *c,
            Parts::Many(v) => v
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map_or(0, |x| x.0),
        }
    }
}

/// Solves one balancing problem starting from `init` (a cell per item, e.g. from recursive
/// bisection). Returns a cell per item.
pub(crate) fn balanced_kmeans(p: &Problem<'_>, init: &[u32]) -> Vec<u32> {
    let n = p.pos.len();
    let k = p.k;
    if k <= 1 || n == 0 {
        return vec![0; n];
    }
    let mut st = State {
        p,
        centres: vec![[0.0, 0.0]; k],
        prices: vec![0.0; k],
        parts: init.iter().map(|&c| Parts::One(c)).collect(),
        load: vec![0; k],
        cands: Vec::new(),
        stride: 0,
        heaps: (0..k * k).map(|_| BinaryHeap::new()).collect(),
    };
    // Cells with no item get the position of some item so that they attract doors.
    let mut seeded = vec![false; k];
    for (i, &c) in init.iter().enumerate() {
        if !seeded[c as usize] {
            st.centres[c as usize] = p.pos[i];
            seeded[c as usize] = true;
        }
    }
    st.update_centres();
    let mut stride = (CANDIDATES + 1).min(k);
    let mut previous: Vec<u32> = init.to_vec();
    for _ in 0..p.max_iterations.max(1) {
        st.start(stride);
        if !st.transport() && stride < k {
            stride = k;
            st.start(stride);
            st.transport();
        }
        st.update_centres();
        let current: Vec<u32> = (0..n).map(|i| st.majority(i)).collect();
        let changed = current
            .iter()
            .zip(&previous)
            .filter(|(a, b)| a != b)
            .count();
        previous = current;
        if changed == 0 {
            break;
        }
    }
    // Items without doors go to the nearest centre.
    for (i, cell) in previous.iter_mut().enumerate() {
        if p.weight[i] == 0 && p.pinned[i].is_none() {
            let mut best = (f64::INFINITY, 0u32);
            for (j, c) in st.centres.iter().enumerate() {
                let d = dist2(p.pos[i], *c);
                if d < best.0 {
                    best = (d, j as u32);
                }
            }
            *cell = best.1;
        }
    }
    previous
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn fair_caps_share_evenly_and_respect_pins() {
        assert_eq!(fair_caps(10, 3, &[0, 0, 0]), vec![4, 3, 3]);
        assert_eq!(fair_caps(10, 3, &[7, 0, 0]), vec![7, 2, 1]);
        assert_eq!(fair_caps(5, 2, &[4, 4]), vec![4, 4]);
        assert_eq!(fair_caps(0, 0, &[]), Vec::<u64>::new());
    }

    fn problem_points(seed: u64, n: usize) -> Vec<[f64; 2]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| [rng.random_range(0.0..1000.0), rng.random_range(0.0..1000.0)])
            .collect()
    }

    #[test]
    fn unit_doors_are_balanced_exactly() {
        let pos = problem_points(7, 803);
        let weight = vec![1; pos.len()];
        let pinned = vec![None; pos.len()];
        let k = 10;
        let caps = fair_caps(803, k, &vec![0; k]);
        let p = Problem {
            pos: &pos,
            weight: &weight,
            pinned: &pinned,
            k,
            caps: caps.clone(),
            max_iterations: 30,
        };
        // Deliberately bad start: everything in cell 0.
        let out = balanced_kmeans(&p, &vec![0; pos.len()]);
        let mut load = vec![0u64; k];
        for &c in &out {
            load[c as usize] += 1;
        }
        let mut sorted_load = load.clone();
        sorted_load.sort_unstable();
        let mut sorted_caps = caps;
        sorted_caps.sort_unstable();
        assert_eq!(sorted_load, sorted_caps);
    }

    #[test]
    fn pinned_items_stay() {
        let pos = problem_points(3, 200);
        let weight = vec![1; pos.len()];
        let mut pinned = vec![None; pos.len()];
        pinned[5] = Some(1);
        pinned[17] = Some(1);
        let p = Problem {
            pos: &pos,
            weight: &weight,
            pinned: &pinned,
            k: 3,
            caps: fair_caps(200, 3, &[0, 2, 0]),
            max_iterations: 20,
        };
        let out = balanced_kmeans(&p, &vec![2; pos.len()]);
        assert_eq!(out[5], 1);
        assert_eq!(out[17], 1);
    }
}
