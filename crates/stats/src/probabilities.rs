//! Inclusion probabilities of an area sample: equal, proportional to size (capped at 1,
//! iteratively), and stratified (an integer allocation of `n` to strata, then probabilities
//! within each).

use crate::error::{Result, StatsError};

/// Tolerance under which a probability is treated as exactly 0 or 1.
pub const EPS: f64 = 1e-9;

/// Equal probabilities `n / N` for a frame of `population` units.
pub fn equal_probabilities(population: usize, n: f64) -> Result<Vec<f64>> {
    if !(n.is_finite() && n >= 0.0) || n > population as f64 {
        return Err(StatsError::InvalidSampleSize {
            n,
            reason: format!("the frame has {population} units"),
        });
    }
    if population == 0 {
        return Ok(Vec::new());
    }
    Ok(vec![n / population as f64; population])
}

/// Probabilities proportional to `sizes`, summing to `n`, none above 1.
///
/// Units whose share would exceed 1 are taken with certainty (π = 1) and the rest of `n` is
/// spread again over the others, until no probability exceeds 1 — the rule of
/// `sampling::inclusionprobabilities`. Units of size 0 get π = 0.
pub fn proportional_probabilities(sizes: &[f64], n: f64) -> Result<Vec<f64>> {
    for (index, &s) in sizes.iter().enumerate() {
        if !(s.is_finite() && s >= 0.0) {
            return Err(StatsError::InvalidValue {
                what: "size",
                index,
                value: s,
            });
        }
    }
    let positive = sizes.iter().filter(|&&s| s > 0.0).count();
    if !(n.is_finite() && n >= 0.0) || n > positive as f64 + EPS {
        return Err(StatsError::InvalidSampleSize {
            n,
            reason: format!("only {positive} units have a positive size"),
        });
    }
    let mut pi = vec![0.0; sizes.len()];
    let mut certain = vec![false; sizes.len()];
    let mut n_left = n;
    loop {
        let total: f64 = sizes
            .iter()
            .zip(&certain)
            .filter(|(_, c)| !**c)
            .map(|(s, _)| *s)
            .sum();
        if total <= 0.0 || n_left <= EPS {
            for (p, c) in pi.iter_mut().zip(&certain) {
                if !*c {
                    *p = 0.0;
                }
            }
            break;
        }
        let mut newly_certain = false;
        for k in 0..sizes.len() {
            if certain[k] {
                continue;
            }
            let p = n_left * sizes[k] / total;
            if p >= 1.0 {
                certain[k] = true;
                pi[k] = 1.0;
                n_left -= 1.0;
                newly_certain = true;
            } else {
                pi[k] = p;
            }
        }
        if !newly_certain {
            break;
        }
    }
    Ok(pi)
}

/// Splits an integer sample size `n` across strata in proportion to `weights`
/// (stratum sizes or totals), by the largest-remainder rule, never giving a stratum more
/// than `capacity[h]` units. Strata with positive weight get at least one unit when
/// `n` allows it, so every stratum is represented.
pub fn allocate(n: usize, weights: &[f64], capacity: &[usize]) -> Result<Vec<usize>> {
    if weights.len() != capacity.len() {
        return Err(StatsError::LengthMismatch {
            what: "stratum capacities",
            expected: weights.len(),
            got: capacity.len(),
        });
    }
    for (index, &w) in weights.iter().enumerate() {
        if !(w.is_finite() && w >= 0.0) {
            return Err(StatsError::InvalidValue {
                what: "stratum weight",
                index,
                value: w,
            });
        }
    }
    let cap_total: usize = capacity.iter().sum();
    if n > cap_total {
        return Err(StatsError::InvalidSampleSize {
            n: n as f64,
            reason: format!("the strata hold {cap_total} units"),
        });
    }
    let h = weights.len();
    let mut alloc = vec![0usize; h];
    let eligible: Vec<usize> = (0..h)
        .filter(|&i| weights[i] > 0.0 && capacity[i] > 0)
        .collect();
    if eligible.len() <= n {
        for &i in &eligible {
            alloc[i] = 1;
        }
    }
    let mut remaining = n - alloc.iter().sum::<usize>();
    // Proportional shares of what is left, then largest remainders, respecting capacity.
    while remaining > 0 {
        let open: Vec<usize> = (0..h)
            .filter(|&i| alloc[i] < capacity[i] && weights[i] > 0.0)
            .collect();
        let open = if open.is_empty() {
            (0..h).filter(|&i| alloc[i] < capacity[i]).collect()
        } else {
            open
        };
        let wsum: f64 = open.iter().map(|&i| weights[i].max(0.0)).sum();
        let mut shares: Vec<(usize, f64)> = open
            .iter()
            .map(|&i| {
                let w = if wsum > 0.0 {
                    weights[i] / wsum
                } else {
                    1.0 / open.len() as f64
                };
                (i, w * remaining as f64)
            })
            .collect();
        let mut given = 0usize;
        for (i, share) in &shares {
            let add = (share.floor() as usize).min(capacity[*i] - alloc[*i]);
            alloc[*i] += add;
            given += add;
        }
        if given == 0 {
            shares.sort_by(|a, b| {
                let ra = a.1 - a.1.floor();
                let rb = b.1 - b.1.floor();
                rb.total_cmp(&ra).then(a.0.cmp(&b.0))
            });
            for (i, _) in shares {
                if remaining - given == 0 {
                    break;
                }
                if alloc[i] < capacity[i] {
                    alloc[i] += 1;
                    given += 1;
                }
            }
        }
        remaining -= given;
    }
    Ok(alloc)
}

/// Stratified inclusion probabilities: `n` is allocated to strata in proportion to their
/// total size (or unit count without sizes), then probabilities are computed within each
/// stratum (proportional to size, or equal). `strata[k]` is the stratum index of unit `k`.
/// Returns the probabilities and the allocation per stratum.
pub fn stratified_probabilities(
    sizes: Option<&[f64]>,
    strata: &[usize],
    n: usize,
) -> Result<(Vec<f64>, Vec<usize>)> {
    let n_units = strata.len();
    if let Some(s) = sizes
        && s.len() != n_units
    {
        return Err(StatsError::LengthMismatch {
            what: "sizes",
            expected: n_units,
            got: s.len(),
        });
    }
    let h = strata.iter().copied().max().map_or(0, |m| m + 1);
    let mut weight = vec![0.0; h];
    let mut capacity = vec![0usize; h];
    for k in 0..n_units {
        let s = sizes.map_or(1.0, |s| s[k]);
        weight[strata[k]] += s;
        if s > 0.0 {
            capacity[strata[k]] += 1;
        }
    }
    let alloc = allocate(n, &weight, &capacity)?;
    let mut pi = vec![0.0; n_units];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); h];
    for (k, &s) in strata.iter().enumerate() {
        members[s].push(k);
    }
    for (stratum, idx) in members.iter().enumerate() {
        let local = match sizes {
            Some(s) => {
                let ls: Vec<f64> = idx.iter().map(|&k| s[k]).collect();
                proportional_probabilities(&ls, alloc[stratum] as f64)?
            }
            None => equal_probabilities(idx.len(), alloc[stratum] as f64)?,
        };
        for (&k, p) in idx.iter().zip(local) {
            pi[k] = p;
        }
    }
    Ok((pi, alloc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn big_units_are_taken_with_certainty() {
        let pi = proportional_probabilities(&[100.0, 1.0, 1.0, 1.0, 1.0], 2.0).unwrap();
        assert_eq!(pi[0], 1.0);
        for p in &pi[1..] {
            assert!((p - 0.25).abs() < 1e-12);
        }
    }

    #[test]
    fn too_large_n_is_an_error() {
        assert!(proportional_probabilities(&[1.0, 0.0, 2.0], 3.0).is_err());
        assert!(equal_probabilities(3, 4.0).is_err());
        assert!(proportional_probabilities(&[1.0, -1.0], 1.0).is_err());
    }

    #[test]
    fn allocation_gives_every_stratum_a_unit() {
        let a = allocate(10, &[1000.0, 1.0, 1.0], &[50, 50, 50]).unwrap();
        assert_eq!(a.iter().sum::<usize>(), 10);
        assert!(a.iter().all(|&x| x >= 1));
        assert_eq!(a[0], 8);
    }

    proptest! {
        #[test]
        fn proportional_probabilities_sum_to_n_and_stay_in_unit_interval(
            sizes in proptest::collection::vec(0.0f64..1000.0, 1..60),
            frac in 0.0f64..1.0,
        ) {
            let positive = sizes.iter().filter(|&&s| s > 0.0).count();
            let n = (frac * positive as f64).floor();
            let pi = proportional_probabilities(&sizes, n).unwrap();
            let sum: f64 = pi.iter().sum();
            prop_assert!((sum - n).abs() < 1e-9 * (1.0 + n));
            for (p, s) in pi.iter().zip(&sizes) {
                prop_assert!(*p >= 0.0 && *p <= 1.0 + 1e-12);
                if *s == 0.0 { prop_assert_eq!(*p, 0.0); }
            }
            // Monotone in size.
            for i in 0..sizes.len() { for j in 0..sizes.len() {
                if sizes[i] < sizes[j] { prop_assert!(pi[i] <= pi[j] + 1e-12); }
            }}
        }

        #[test]
        fn allocation_sums_to_n_within_capacity(
            weights in proptest::collection::vec(0.0f64..100.0, 1..12),
            caps in proptest::collection::vec(0usize..20, 12),
            frac in 0.0f64..1.0,
        ) {
            let caps = &caps[..weights.len()];
            let total: usize = caps.iter().sum();
            let n = (frac * total as f64) as usize;
            let a = allocate(n, &weights, caps).unwrap();
            prop_assert_eq!(a.iter().sum::<usize>(), n);
            for (x, c) in a.iter().zip(caps) { prop_assert!(x <= c); }
        }
    }
}
