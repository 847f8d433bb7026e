//! Quota cells (e.g. sex × age band × occupation, per region or territory) derived from
//! census tables and the plan, and their live fill: which cells are behind schedule and which
//! profiles a walker should still look for in an area. Pure functions the server calls as
//! responses sync.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};

/// One quota dimension and its categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaDimension {
    /// Name, e.g. `sex`, `age_band`, `occupation`.
    pub name: String,
    /// Categories, e.g. `F`, `H`.
    pub categories: Vec<String>,
}

/// What the census says about a territory's adults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CensusTable {
    /// The full cross-table, row-major over the dimensions (last dimension fastest).
    Joint(Vec<f64>),
    /// One margin per dimension. The joint is fitted by iterative proportional fitting from
    /// `seed` (e.g. the national cross-table) or, without one, assumes independence.
    Margins {
        /// Counts per category, one vector per dimension.
        margins: Vec<Vec<f64>>,
        /// Optional joint table whose associations to keep.
        seed: Option<Vec<f64>>,
    },
}

/// A territory of the plan: its name, the interviews planned there, its census.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerritoryQuota {
    /// Territory name or code (region, department, commune…).
    pub territory: String,
    /// Interviews planned in it (from the allocation of the chosen areas).
    pub interviews: usize,
    /// Its census table.
    pub census: CensusTable,
}

/// One quota cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaCell {
    /// Territory.
    pub territory: String,
    /// One category per dimension.
    pub profile: Vec<String>,
    /// Interviews wanted.
    pub target: usize,
}

/// The quota plan: dimensions and cells (territory by territory, cells in row-major order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaPlan {
    /// The dimensions.
    pub dimensions: Vec<QuotaDimension>,
    /// The cells.
    pub cells: Vec<QuotaCell>,
}

fn cells_count(dims: &[QuotaDimension]) -> usize {
    dims.iter().map(|d| d.categories.len()).product()
}

/// Fits a joint table to margins by iterative proportional fitting from `seed`.
fn ipf(dims: &[usize], margins: &[Vec<f64>], seed: Option<&[f64]>) -> Result<Vec<f64>> {
    let size: usize = dims.iter().product();
    let mut t = match seed {
        Some(s) => s.to_vec(),
        None => vec![1.0; size],
    };
    let total: f64 = margins.first().map_or(0.0, |m| m.iter().sum());
    let strides: Vec<usize> = (0..dims.len())
        .map(|j| dims[j + 1..].iter().product())
        .collect();
    for _ in 0..200 {
        let mut worst: f64 = 0.0;
        for (j, m) in margins.iter().enumerate() {
            let mut sums = vec![0.0; dims[j]];
            for (i, v) in t.iter().enumerate() {
                sums[(i / strides[j]) % dims[j]] += v;
            }
            for (c, s) in sums.iter().enumerate() {
                worst = worst.max((s - m[c]).abs() / total.max(1.0));
            }
            for (i, v) in t.iter_mut().enumerate() {
                let c = (i / strides[j]) % dims[j];
                *v = if sums[c] > 0.0 {
                    *v * m[c] / sums[c]
                } else {
                    0.0
                };
            }
        }
        if worst < 1e-10 {
            break;
        }
    }
    Ok(t)
}

/// Largest-remainder rounding of `shares` (non-negative) to integers adding up to `total`.
pub fn round_to_total(shares: &[f64], total: usize) -> Vec<usize> {
    let s: f64 = shares.iter().sum();
    if s <= 0.0 || shares.is_empty() {
        return vec![0; shares.len()];
    }
    let exact: Vec<f64> = shares.iter().map(|x| x / s * total as f64).collect();
    let mut ints: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut left = total - ints.iter().sum::<usize>().min(total);
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        ints[i] += 1;
        left -= 1;
    }
    ints
}

/// Builds the quota cells: each territory's interviews are shared among the cells in
/// proportion to its census cross-table (fitted from margins when only margins are known),
/// rounded to integers adding up to the territory's interviews.
pub fn quota_plan(
    dimensions: &[QuotaDimension],
    territories: &[TerritoryQuota],
) -> Result<QuotaPlan> {
    let dims: Vec<usize> = dimensions.iter().map(|d| d.categories.len()).collect();
    let size = cells_count(dimensions);
    let mut cells = Vec::with_capacity(size * territories.len());
    for t in territories {
        let joint = match &t.census {
            CensusTable::Joint(v) => {
                if v.len() != size {
                    return Err(StatsError::LengthMismatch {
                        what: "census cross-table cells",
                        expected: size,
                        got: v.len(),
                    });
                }
                v.clone()
            }
            CensusTable::Margins { margins, seed } => {
                if margins.len() != dims.len() {
                    return Err(StatsError::LengthMismatch {
                        what: "census margins (one per dimension)",
                        expected: dims.len(),
                        got: margins.len(),
                    });
                }
                for (j, m) in margins.iter().enumerate() {
                    if m.len() != dims[j] {
                        return Err(StatsError::LengthMismatch {
                            what: "census margin categories",
                            expected: dims[j],
                            got: m.len(),
                        });
                    }
                }
                if let Some(s) = seed
                    && s.len() != size
                {
                    return Err(StatsError::LengthMismatch {
                        what: "seed cross-table cells",
                        expected: size,
                        got: s.len(),
                    });
                }
                ipf(&dims, margins, seed.as_deref())?
            }
        };
        for (index, &v) in joint.iter().enumerate() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(StatsError::InvalidValue {
                    what: "census count",
                    index,
                    value: v,
                });
            }
        }
        let targets = round_to_total(&joint, t.interviews);
        for (i, target) in targets.into_iter().enumerate() {
            let mut rest = i;
            let mut profile = vec![String::new(); dims.len()];
            for j in (0..dims.len()).rev() {
                profile[j] = dimensions[j].categories[rest % dims[j]].clone();
                rest /= dims[j];
            }
            cells.push(QuotaCell {
                territory: t.territory.clone(),
                profile,
                target,
            });
        }
    }
    Ok(QuotaPlan {
        dimensions: dimensions.to_vec(),
        cells,
    })
}

impl QuotaPlan {
    /// The index of the cell of a respondent of `territory` with `profile` (one category per
    /// dimension), to count a synced response against it.
    pub fn cell_index<S: AsRef<str>>(&self, territory: &str, profile: &[S]) -> Option<usize> {
        self.cells.iter().position(|c| {
            c.territory == territory
                && c.profile.len() == profile.len()
                && c.profile.iter().zip(profile).all(|(a, b)| a == b.as_ref())
        })
    }
}

/// Where a cell stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaStatus {
    /// Target reached.
    Complete,
    /// At or above the pace the elapsed field time asks for.
    OnTrack,
    /// Below the pace: coordinators should send walkers after this profile.
    Behind,
}

/// The fill of one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellFill {
    /// Index in the plan.
    pub cell: usize,
    /// Territory.
    pub territory: String,
    /// Profile.
    pub profile: Vec<String>,
    /// Interviews wanted.
    pub target: usize,
    /// Interviews done.
    pub done: usize,
    /// Still to do.
    pub remaining: usize,
    /// done / target (1 when the target is 0).
    pub fill_rate: f64,
    /// target × elapsed share of the field period.
    pub expected_by_now: f64,
    /// expected_by_now − done when positive.
    pub shortfall: f64,
    /// Status.
    pub status: QuotaStatus,
}

/// Computes each cell's fill from the counts so far (`done[i]` for `plan.cells[i]`) and the
/// elapsed share of the field period (`progress`, 0 to 1, computed by the caller from its
/// clock). A cell is behind when it is more than `slack` interviews below pace.
pub fn quota_fill(
    plan: &QuotaPlan,
    done: &[usize],
    progress: f64,
    slack: f64,
) -> Result<Vec<CellFill>> {
    if done.len() != plan.cells.len() {
        return Err(StatsError::LengthMismatch {
            what: "counts per quota cell",
            expected: plan.cells.len(),
            got: done.len(),
        });
    }
    if !(0.0..=1.0).contains(&progress) {
        return Err(StatsError::InvalidParameter {
            name: "progress",
            reason: format!("{progress} is not in [0, 1]"),
        });
    }
    Ok(plan
        .cells
        .iter()
        .zip(done)
        .enumerate()
        .map(|(i, (c, &d))| {
            let expected = c.target as f64 * progress;
            let shortfall = (expected - d as f64).max(0.0);
            let status = if d >= c.target {
                QuotaStatus::Complete
            } else if shortfall > slack {
                QuotaStatus::Behind
            } else {
                QuotaStatus::OnTrack
            };
            CellFill {
                cell: i,
                territory: c.territory.clone(),
                profile: c.profile.clone(),
                target: c.target,
                done: d,
                remaining: c.target.saturating_sub(d),
                fill_rate: if c.target == 0 {
                    1.0
                } else {
                    d as f64 / c.target as f64
                },
                expected_by_now: expected,
                shortfall,
                status,
            }
        })
        .collect())
}

/// The profiles still wanted in `territory`, most urgent first (largest shortfall, then
/// lowest fill rate): what the field app shows a walker when the campaign allows it.
pub fn wanted_profiles(fill: &[CellFill], territory: &str) -> Vec<CellFill> {
    let mut v: Vec<CellFill> = fill
        .iter()
        .filter(|c| c.territory == territory && c.remaining > 0)
        .cloned()
        .collect();
    v.sort_by(|a, b| {
        b.shortfall
            .total_cmp(&a.shortfall)
            .then(a.fill_rate.total_cmp(&b.fill_rate))
            .then(a.cell.cmp(&b.cell))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dims() -> Vec<QuotaDimension> {
        vec![
            QuotaDimension {
                name: "sex".into(),
                categories: vec!["F".into(), "H".into()],
            },
            QuotaDimension {
                name: "age".into(),
                categories: vec!["18-34".into(), "35-64".into(), "65+".into()],
            },
        ]
    }

    #[test]
    fn joint_census_shares_interviews() {
        let t = TerritoryQuota {
            territory: "75".into(),
            interviews: 100,
            census: CensusTable::Joint(vec![15.0, 25.0, 12.0, 15.0, 24.0, 9.0]),
        };
        let plan = quota_plan(&dims(), &[t]).unwrap();
        assert_eq!(plan.cells.len(), 6);
        assert_eq!(plan.cells.iter().map(|c| c.target).sum::<usize>(), 100);
        assert_eq!(plan.cells[1].profile, vec!["F", "35-64"]);
        assert_eq!(plan.cells[1].target, 25);
        assert_eq!(plan.cell_index("75", &["H", "65+"]), Some(5));
        assert_eq!(plan.cell_index("69", &["H", "65+"]), None);
    }

    #[test]
    fn margins_without_seed_assume_independence() {
        let t = TerritoryQuota {
            territory: "x".into(),
            interviews: 1000,
            census: CensusTable::Margins {
                margins: vec![vec![50.0, 50.0], vec![20.0, 50.0, 30.0]],
                seed: None,
            },
        };
        let plan = quota_plan(&dims(), &[t]).unwrap();
        let targets: Vec<usize> = plan.cells.iter().map(|c| c.target).collect();
        assert_eq!(targets, vec![100, 250, 150, 100, 250, 150]);
    }

    #[test]
    fn fill_flags_cells_behind_schedule() {
        let t = TerritoryQuota {
            territory: "x".into(),
            interviews: 60,
            census: CensusTable::Joint(vec![1.0; 6]),
        };
        let plan = quota_plan(&dims(), &[t]).unwrap();
        let fill = quota_fill(&plan, &[10, 5, 1, 4, 0, 12], 0.5, 1.0).unwrap();
        let status: Vec<QuotaStatus> = fill.iter().map(|c| c.status).collect();
        use QuotaStatus::*;
        assert_eq!(
            status,
            vec![Complete, OnTrack, Behind, OnTrack, Behind, Complete]
        );
        let wanted = wanted_profiles(&fill, "x");
        assert_eq!(
            wanted.iter().map(|c| c.cell).collect::<Vec<_>>(),
            vec![4, 2, 3, 1]
        );
        assert!(quota_fill(&plan, &[0; 5], 0.5, 1.0).is_err());
        assert!(quota_fill(&plan, &[0; 6], 1.5, 1.0).is_err());
    }

    proptest! {
        #[test]
        fn ipf_fits_margins_and_targets_add_up(
            m1 in proptest::collection::vec(1.0f64..100.0, 2),
            m2 in proptest::collection::vec(1.0f64..100.0, 3),
            seed in proptest::collection::vec(0.1f64..10.0, 6),
            interviews in 0usize..5000,
        ) {
            let s2: f64 = m2.iter().sum();
            let s1: f64 = m1.iter().sum();
            let m2: Vec<f64> = m2.iter().map(|x| x / s2 * s1).collect();
            let joint = ipf(&[2, 3], &[m1.clone(), m2.clone()], Some(&seed)).unwrap();
            for a in 0..2 {
                let s: f64 = (0..3).map(|b| joint[a * 3 + b]).sum();
                prop_assert!((s - m1[a]).abs() < 1e-6 * s1);
            }
            for b in 0..3 {
                let s: f64 = (0..2).map(|a| joint[a * 3 + b]).sum();
                prop_assert!((s - m2[b]).abs() < 1e-6 * s1);
            }
            let r = round_to_total(&joint, interviews);
            prop_assert_eq!(r.iter().sum::<usize>(), interviews);
            for (x, j) in r.iter().zip(&joint) {
                prop_assert!((*x as f64 - j / s1 * interviews as f64).abs() < 1.0);
            }
        }
    }
}
