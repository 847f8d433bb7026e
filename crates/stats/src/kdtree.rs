//! A k-d tree over points in a few dimensions, with deletion: the neighbour searches of the
//! local pivotal and local cube methods (nearest *undecided* unit) and of the Voronoi
//! spatial-balance measure.
//!
//! Built once by median splits; deleting a point only decrements the live counts on its path,
//! so empty subtrees are skipped by searches without rebuilding.

const LEAF_SIZE: usize = 16;

#[derive(Debug, Clone)]
struct Node {
    start: u32,
    end: u32,
    left: u32,
    right: u32,
    parent: u32,
    live: u32,
}

const NONE: u32 = u32::MAX;

/// A static k-d tree whose points can be deleted.
#[derive(Debug, Clone)]
pub struct KdTree {
    dim: usize,
    coords: Vec<f64>,
    /// Point indices, permuted so that each node owns a contiguous range.
    perm: Vec<u32>,
    nodes: Vec<Node>,
    /// Per node: bounding box, `dim` minima then `dim` maxima.
    boxes: Vec<f64>,
    leaf_of: Vec<u32>,
    alive: Vec<bool>,
}

impl KdTree {
    /// Builds a tree over `coords` (row-major, `dim` values per point). All points start alive.
    pub fn new(coords: &[f64], dim: usize) -> Self {
        let n = coords.len().checked_div(dim).unwrap_or(0);
        let mut tree = KdTree {
            dim,
            coords: coords.to_vec(),
            perm: (0..n as u32).collect(),
            nodes: Vec::with_capacity(2 * n / LEAF_SIZE + 2),
            boxes: Vec::new(),
            leaf_of: vec![NONE; n],
            alive: vec![true; n],
        };
        if n > 0 {
            tree.build(0, n, NONE);
        }
        tree
    }

    /// Rebuilds the tree over the live points only. Deletions leave empty subtrees that
    /// searches must still walk around; once most points are gone, a rebuild (O(m log m) for
    /// m live points) makes searches fast again.
    pub fn rebuild(&mut self) {
        let alive = &self.alive;
        self.perm.retain(|&p| alive[p as usize]);
        self.nodes.clear();
        self.boxes.clear();
        if !self.perm.is_empty() {
            self.build(0, self.perm.len(), NONE);
        }
    }

    /// Points in the structure, deleted ones included (since the last rebuild).
    pub fn size(&self) -> usize {
        self.perm.len()
    }

    fn coord(&self, point: usize, d: usize) -> f64 {
        self.coords[point * self.dim + d]
    }

    fn build(&mut self, start: usize, end: usize, parent: u32) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            start: start as u32,
            end: end as u32,
            left: NONE,
            right: NONE,
            parent,
            live: (end - start) as u32,
        });
        // Bounding box.
        let dim = self.dim;
        let mut bx = vec![f64::INFINITY; dim];
        bx.extend(std::iter::repeat_n(f64::NEG_INFINITY, dim));
        for &p in &self.perm[start..end] {
            for d in 0..dim {
                let v = self.coord(p as usize, d);
                bx[d] = bx[d].min(v);
                bx[dim + d] = bx[dim + d].max(v);
            }
        }
        let (mut split_dim, mut widest) = (0, -1.0);
        for d in 0..dim {
            let w = bx[dim + d] - bx[d];
            if w > widest {
                widest = w;
                split_dim = d;
            }
        }
        self.boxes.extend_from_slice(&bx);
        if end - start <= LEAF_SIZE || widest <= 0.0 {
            for &p in &self.perm[start..end] {
                self.leaf_of[p as usize] = id;
            }
            return id;
        }
        let mid = start + (end - start) / 2;
        let coords = &self.coords;
        self.perm[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
            coords[a as usize * dim + split_dim].total_cmp(&coords[b as usize * dim + split_dim])
        });
        let left = self.build(start, mid, id);
        let right = self.build(mid, end, id);
        self.nodes[id as usize].left = left;
        self.nodes[id as usize].right = right;
        id
    }

    /// Number of points still alive.
    pub fn live(&self) -> usize {
        self.nodes.first().map_or(0, |n| n.live as usize)
    }

    /// Whether `point` is still alive.
    pub fn is_alive(&self, point: usize) -> bool {
        self.alive[point]
    }

    /// Deletes `point` (no effect if already deleted).
    pub fn remove(&mut self, point: usize) {
        if !self.alive[point] {
            return;
        }
        self.alive[point] = false;
        let mut node = self.leaf_of[point];
        while node != NONE {
            let n = &mut self.nodes[node as usize];
            n.live -= 1;
            node = n.parent;
        }
    }

    #[inline]
    fn box_dist2(&self, node: usize, q: &[f64]) -> f64 {
        let dim = self.dim;
        let bx = &self.boxes[node * 2 * dim..(node + 1) * 2 * dim];
        let (lo, hi) = bx.split_at(dim);
        let mut s = 0.0;
        for ((&v, &l), &h) in q.iter().zip(lo).zip(hi) {
            let gap = (l - v).max(0.0).max(v - h);
            s += gap * gap;
        }
        s
    }

    #[inline]
    fn dist2(&self, point: usize, q: &[f64]) -> f64 {
        let c = &self.coords[point * self.dim..(point + 1) * self.dim];
        let mut s = 0.0;
        for (&a, &b) in c.iter().zip(q) {
            let g = a - b;
            s += g * g;
        }
        s
    }

    /// The `k` nearest live points to `q`, excluding `exclude`, nearest first, as
    /// `(point, squared distance)`. Ties are broken by point index. Fewer than `k` are
    /// returned when fewer are alive.
    pub fn nearest(
        &self,
        q: &[f64],
        k: usize,
        exclude: Option<usize>,
        out: &mut Vec<(usize, f64)>,
    ) {
        out.clear();
        if k == 0 || self.nodes.is_empty() {
            return;
        }
        self.search(0, q, k, exclude, out);
    }

    /// The `k` nearest live points to the tree's own point `point` (excluded), as
    /// [`KdTree::nearest`], searching bottom-up from the point's leaf: the neighbours are
    /// usually in the same or an adjacent leaf, so most of the tree is never visited.
    pub fn nearest_to_point(&self, point: usize, k: usize, out: &mut Vec<(usize, f64)>) {
        out.clear();
        if k == 0 || self.nodes.is_empty() {
            return;
        }
        let q = &self.coords[point * self.dim..(point + 1) * self.dim];
        if !self.alive[point] {
            // Its leaf may be stale after a rebuild: search from the root.
            self.search(0, q, k, Some(point), out);
            return;
        }
        let mut child = self.leaf_of[point];
        self.search(child as usize, q, k, Some(point), out);
        let mut node = self.nodes[child as usize].parent;
        while node != NONE {
            if out.len() == k && self.ball_inside(child as usize, q, out[k - 1].1) {
                return;
            }
            let nd = &self.nodes[node as usize];
            let sibling = if nd.left == child { nd.right } else { nd.left };
            self.search(sibling as usize, q, k, Some(point), out);
            child = node;
            node = nd.parent;
        }
    }

    /// Whether the ball of squared radius `r2` around `q` lies inside `node`'s bounding box.
    fn ball_inside(&self, node: usize, q: &[f64], r2: f64) -> bool {
        let dim = self.dim;
        let bx = &self.boxes[node * 2 * dim..(node + 1) * 2 * dim];
        let (lo, hi) = bx.split_at(dim);
        q.iter().zip(lo).zip(hi).all(|((&v, &l), &h)| {
            let (a, b) = (v - l, h - v);
            // Strict: points of the sibling can lie on the box's faces (median splits keep
            // equal coordinates on both sides), and ties are broken by index.
            a > 0.0 && b > 0.0 && a * a > r2 && b * b > r2
        })
    }

    /// Top-down search of the subtree at `start`, merging into `out` (kept sorted, ≤ k).
    fn search(
        &self,
        start: usize,
        q: &[f64],
        k: usize,
        exclude: Option<usize>,
        out: &mut Vec<(usize, f64)>,
    ) {
        // A fixed stack: at most one pending sibling per level (depth < 64 for any frame).
        let mut stack = [(0u32, 0.0f64); 128];
        let mut top = 1;
        stack[0] = (start as u32, self.box_dist2(start, q));
        while top > 0 {
            top -= 1;
            let (node, node_d2) = stack[top];
            let node = node as usize;
            let nd = &self.nodes[node];
            if nd.live == 0 {
                continue;
            }
            let bound = if out.len() == k {
                out[k - 1].1
            } else {
                f64::INFINITY
            };
            if node_d2 > bound {
                continue;
            }
            if nd.left == NONE {
                for &p in &self.perm[nd.start as usize..nd.end as usize] {
                    let p = p as usize;
                    if !self.alive[p] || Some(p) == exclude {
                        continue;
                    }
                    let d2 = self.dist2(p, q);
                    let worse = |e: &(usize, f64)| e.1 > d2 || (e.1 == d2 && e.0 > p);
                    if out.len() < k {
                        let pos = out.iter().position(worse).unwrap_or(out.len());
                        out.insert(pos, (p, d2));
                    } else if worse(&out[k - 1]) {
                        let pos = out.iter().position(worse).unwrap_or(k - 1);
                        out.insert(pos, (p, d2));
                        out.truncate(k);
                    }
                }
            } else {
                // Visit the nearer child first (pushed last).
                let (l, r) = (nd.left as usize, nd.right as usize);
                let dl = self.box_dist2(l, q);
                let dr = self.box_dist2(r, q);
                let (near, far) = if dl <= dr {
                    ((l as u32, dl), (r as u32, dr))
                } else {
                    ((r as u32, dr), (l as u32, dl))
                };
                stack[top] = far;
                stack[top + 1] = near;
                top += 2;
            }
        }
    }

    /// All live points at the minimal distance from `q` (the nearest point and every tie),
    /// with that squared distance.
    pub fn nearest_with_ties(&self, q: &[f64], out: &mut Vec<usize>) -> f64 {
        out.clear();
        let mut best = f64::INFINITY;
        if self.nodes.is_empty() {
            return best;
        }
        let mut stack: Vec<u32> = vec![0];
        while let Some(node) = stack.pop() {
            let node = node as usize;
            let nd = &self.nodes[node];
            if nd.live == 0 || self.box_dist2(node, q) > best {
                continue;
            }
            if nd.left == NONE {
                for &p in &self.perm[nd.start as usize..nd.end as usize] {
                    let p = p as usize;
                    if !self.alive[p] {
                        continue;
                    }
                    let d2 = self.dist2(p, q);
                    if d2 < best {
                        best = d2;
                        out.clear();
                        out.push(p);
                    } else if d2 == best {
                        out.push(p);
                    }
                }
            } else {
                let (l, r) = (nd.left as usize, nd.right as usize);
                if self.box_dist2(l, q) <= self.box_dist2(r, q) {
                    stack.push(r as u32);
                    stack.push(l as u32);
                } else {
                    stack.push(l as u32);
                    stack.push(r as u32);
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(
        coords: &[f64],
        alive: &[bool],
        q: &[f64],
        k: usize,
        exclude: Option<usize>,
    ) -> Vec<(usize, f64)> {
        let mut v: Vec<(usize, f64)> = (0..alive.len())
            .filter(|&p| alive[p] && Some(p) != exclude)
            .map(|p| {
                let d2 = (coords[2 * p] - q[0]).powi(2) + (coords[2 * p + 1] - q[1]).powi(2);
                (p, d2)
            })
            .collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        v.truncate(k);
        v
    }

    proptest! {
        #[test]
        fn knn_matches_brute_force_after_deletions(
            pts in proptest::collection::vec((0i32..30, 0i32..30), 1..150),
            dels in proptest::collection::vec(0usize..150, 0..100),
            k in 1usize..6,
        ) {
            // Integer grid: plenty of exact ties.
            let coords: Vec<f64> = pts.iter().flat_map(|&(x, y)| [x as f64, y as f64]).collect();
            let n = pts.len();
            let mut tree = KdTree::new(&coords, 2);
            let mut alive = vec![true; n];
            for (i, d) in dels.iter().enumerate() {
                let d = d % n;
                tree.remove(d);
                alive[d] = false;
                if i == 40 { tree.rebuild(); }
            }
            prop_assert_eq!(tree.live(), alive.iter().filter(|a| **a).count());
            let mut out = Vec::new();
            for q in 0..n {
                let qc = [coords[2 * q], coords[2 * q + 1]];
                tree.nearest(&qc, k, Some(q), &mut out);
                prop_assert_eq!(&out, &brute(&coords, &alive, &qc, k, Some(q)));
                tree.nearest_to_point(q, k, &mut out);
                prop_assert_eq!(&out, &brute(&coords, &alive, &qc, k, Some(q)));
                let mut ties = Vec::new();
                let best = tree.nearest_with_ties(&qc, &mut ties);
                let all = brute(&coords, &alive, &qc, n, None);
                if let Some(first) = all.first() {
                    prop_assert_eq!(best, first.1);
                    let mut expect: Vec<usize> = all.iter().filter(|e| e.1 == first.1).map(|e| e.0).collect();
                    expect.sort_unstable();
                    ties.sort_unstable();
                    prop_assert_eq!(ties, expect);
                }
            }
        }
    }
}
