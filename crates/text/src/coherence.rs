//! Quality of themes: NPMI coherence of top terms on the corpus, and stability across seeds.
//!
//! **Coherence** of a theme is the mean normalised pointwise mutual information over pairs of
//! its top terms, with probabilities counted over answers (an answer is the co-occurrence
//! window): NPMI(a, b) = ln(P(a,b) / (P(a)P(b))) / −ln P(a,b), −1 when a and b never meet,
//! 1 when they always do (Bouma 2009; the measure of Lau, Newman & Baldwin 2014).
//!
//! **Stability** between two runs is the mean Jaccard overlap of the top-term sets of themes
//! matched one to one so that the total overlap is largest (Hungarian algorithm), as in
//! Greene, O'Callaghan & Cunningham (2014). Over several seeds it is the mean over pairs.

use crate::features::SparseMatrix;

/// Sorted lists of the answers each feature occurs in, for co-occurrence counts.
#[derive(Debug, Clone)]
pub struct Postings {
    n_docs: usize,
    lists: Vec<Vec<u32>>,
}

impl Postings {
    /// Builds the lists from a answers × features count matrix.
    #[must_use]
    pub fn new(counts: &SparseMatrix) -> Self {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); counts.n_cols];
        for i in 0..counts.n_rows {
            for &j in counts.row(i).0 {
                lists[j as usize].push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
        Self {
            n_docs: counts.n_rows,
            lists,
        }
    }

    /// Builds the lists over groups of rows (answers made of several items): a feature
    /// occurs in a group when it occurs in one of its rows. `group_of[row]` is the row's group.
    #[must_use]
    pub fn grouped(counts: &SparseMatrix, group_of: &[usize], n_groups: usize) -> Self {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); counts.n_cols];
        for i in 0..counts.n_rows {
            let g = u32::try_from(group_of.get(i).copied().unwrap_or(0)).unwrap_or(u32::MAX);
            for &j in counts.row(i).0 {
                lists[j as usize].push(g);
            }
        }
        for list in &mut lists {
            list.sort_unstable();
            list.dedup();
        }
        Self {
            n_docs: n_groups,
            lists,
        }
    }

    fn co_count(&self, a: usize, b: usize) -> usize {
        let (x, y) = (&self.lists[a], &self.lists[b]);
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < x.len() && j < y.len() {
            match x[i].cmp(&y[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }

    /// NPMI of two features over answers.
    #[must_use]
    pub fn npmi(&self, a: usize, b: usize) -> f64 {
        let n = self.n_docs as f64;
        let (ca, cb) = (self.lists[a].len() as f64, self.lists[b].len() as f64);
        let cab = self.co_count(a, b) as f64;
        if cab == 0.0 || ca == 0.0 || cb == 0.0 {
            return -1.0;
        }
        let pab = cab / n;
        if pab >= 1.0 {
            return 1.0;
        }
        ((pab / ((ca / n) * (cb / n))).ln() / -pab.ln()).clamp(-1.0, 1.0)
    }

    /// Mean NPMI over the pairs of `terms` (0 for fewer than two terms).
    #[must_use]
    pub fn coherence(&self, terms: &[usize]) -> f64 {
        let mut sum = 0.0;
        let mut pairs = 0usize;
        for (p, &a) in terms.iter().enumerate() {
            for &b in &terms[p + 1..] {
                sum += self.npmi(a, b);
                pairs += 1;
            }
        }
        if pairs == 0 { 0.0 } else { sum / pairs as f64 }
    }
}

/// Jaccard overlap of two term sets.
#[must_use]
pub fn jaccard(a: &[usize], b: &[usize]) -> f64 {
    let inter = a.iter().filter(|x| b.contains(x)).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f64 / union as f64
    }
}

/// Mean Jaccard overlap of themes matched one to one (the best matching).
#[must_use]
pub fn matched_overlap(a: &[Vec<usize>], b: &[Vec<usize>]) -> f64 {
    let k = a.len().max(b.len());
    if k == 0 {
        return 1.0;
    }
    // cost matrix padded with empty themes (overlap 0)
    let mut cost = vec![vec![1.0; k]; k];
    for (i, ta) in a.iter().enumerate() {
        for (j, tb) in b.iter().enumerate() {
            cost[i][j] = 1.0 - jaccard(ta, tb);
        }
    }
    let assignment = hungarian(&cost);
    let total: f64 = assignment
        .iter()
        .enumerate()
        .map(|(i, &j)| 1.0 - cost[i][j])
        .sum();
    total / k as f64
}

/// Mean matched overlap over all pairs of runs.
#[must_use]
pub fn stability(runs: &[Vec<Vec<usize>>]) -> f64 {
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for (p, a) in runs.iter().enumerate() {
        for b in &runs[p + 1..] {
            sum += matched_overlap(a, b);
            pairs += 1;
        }
    }
    if pairs == 0 { 1.0 } else { sum / pairs as f64 }
}

/// Minimum-cost assignment of a square cost matrix (Kuhn–Munkres with potentials,
/// O(n³)): `result[row] = column`.
#[must_use]
pub fn hungarian(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    if n == 0 {
        return Vec::new();
    }
    // 1-based arrays as in the classic formulation
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![0usize; n];
    for j in 1..=n {
        if p[j] > 0 {
            result[p[j] - 1] = j - 1;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(docs: &[&[u32]], n_cols: usize) -> SparseMatrix {
        let mut m = SparseMatrix {
            n_rows: docs.len(),
            n_cols,
            indptr: vec![0],
            ..Default::default()
        };
        for d in docs {
            for &j in *d {
                m.indices.push(j);
                m.values.push(1.0);
            }
            m.indptr.push(m.indices.len());
        }
        m
    }

    #[test]
    fn npmi_by_hand() {
        // 4 answers: a in 0,1; b in 0,1; c in 2; d in 0..4
        let p = Postings::new(&counts(&[&[0, 1, 3], &[0, 1, 3], &[2, 3], &[3]], 4));
        assert!((p.npmi(0, 1) - 1.0).abs() < 1e-12); // always together
        assert_eq!(p.npmi(0, 2), -1.0); // never together
        // a and d: P(a,d) = 0.5, P(a) = 0.5, P(d) = 1 -> ln(1)/... = 0
        assert!(p.npmi(0, 3).abs() < 1e-12);
        assert!((p.coherence(&[0, 1, 2]) - (1.0 + -1.0 + -1.0) / 3.0).abs() < 1e-12);
        assert!((p.coherence(&[0, 1, 3]) - (1.0 + 0.0 + 0.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn grouped_rows_count_once_per_group() {
        // rows 0 and 1 belong to answer 0, row 2 to answer 1
        let c = counts(&[&[0], &[1], &[0, 1]], 2);
        let p = Postings::grouped(&c, &[0, 0, 1], 2);
        assert!((p.npmi(0, 1) - 1.0).abs() < 1e-12);
        let flat = Postings::new(&c);
        assert!(flat.npmi(0, 1) < 1.0);
    }

    #[test]
    fn hungarian_finds_the_best_matching() {
        let cost = vec![
            vec![4.0, 1.0, 3.0],
            vec![2.0, 0.0, 5.0],
            vec![3.0, 2.0, 2.0],
        ];
        let a = hungarian(&cost);
        let total: f64 = a.iter().enumerate().map(|(i, &j)| cost[i][j]).sum();
        assert_eq!(total, 5.0); // 1 + 2 + 2
        assert_eq!(a, vec![1, 0, 2]);
    }

    #[test]
    fn overlap_of_permuted_themes_is_one() {
        let a = vec![vec![1, 2, 3], vec![4, 5, 6]];
        let b = vec![vec![4, 5, 6], vec![3, 2, 1]];
        assert!((matched_overlap(&a, &b) - 1.0).abs() < 1e-12);
        let c = vec![vec![1, 2, 7], vec![8, 9, 10]];
        assert!((matched_overlap(&a, &c) - (0.5 + 0.0) / 2.0).abs() < 1e-12);
        assert!((stability(&[a.clone(), b, a]) - 1.0).abs() < 1e-12);
    }

    fn brute_force(cost: &[Vec<f64>]) -> f64 {
        fn go(cost: &[Vec<f64>], row: usize, used: &mut Vec<bool>) -> f64 {
            if row == cost.len() {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for j in 0..cost.len() {
                if !used[j] {
                    used[j] = true;
                    best = best.min(cost[row][j] + go(cost, row + 1, used));
                    used[j] = false;
                }
            }
            best
        }
        go(cost, 0, &mut vec![false; cost.len()])
    }

    proptest! {
        #[test]
        fn hungarian_is_optimal(n in 1usize..6, seed in proptest::collection::vec(0u32..100, 36)) {
            let cost: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| f64::from(seed[i * 6 + j])).collect()).collect();
            let a = hungarian(&cost);
            let mut seen = a.clone();
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..n).collect::<Vec<_>>());
            let total: f64 = a.iter().enumerate().map(|(i, &j)| cost[i][j]).sum();
            prop_assert!((total - brute_force(&cost)).abs() < 1e-9);
        }

        #[test]
        fn npmi_is_bounded(docs in proptest::collection::vec(proptest::collection::btree_set(0u32..6, 0..6), 1..20)) {
            let docs: Vec<Vec<u32>> = docs.into_iter().map(|s| s.into_iter().collect()).collect();
            let refs: Vec<&[u32]> = docs.iter().map(Vec::as_slice).collect();
            let p = Postings::new(&counts(&refs, 6));
            for a in 0..6 { for b in 0..6 {
                let v = p.npmi(a, b);
                prop_assert!((-1.0..=1.0).contains(&v));
                prop_assert!((v - p.npmi(b, a)).abs() < 1e-12);
            }}
        }
    }
}
