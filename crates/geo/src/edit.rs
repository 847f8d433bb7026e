//! Turf editing as pure functions: move stops, merge, split, redraw a polygon, re-cut.
//!
//! The server keeps turfs in its store and calls these with the current plan; each returns a
//! new plan (or an error saying why the edit is refused) and never touches a locked turf (one
//! checked out to a team, being walked). Turf numbers are stable: a turf emptied by an edit
//! stays in the plan with no stop (the caller deletes or archives it), new turfs are appended.
//! A re-cut keeps every visited stop in its turf and leaves locked turfs alone.

use serde::{Deserialize, Serialize};

use crate::balance::{Problem, balanced_kmeans, fair_caps};
use crate::cut::{CutParams, CutStop, partition, rcb, turf_count};
use crate::index::ring_contains;

/// One turf of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTurf {
    pub bureau: u32,
    /// Checked out or in progress: no edit may change its stops.
    pub locked: bool,
}

/// Turfs and the turf of every stop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurfPlan {
    pub turf_of: Vec<u32>,
    pub turfs: Vec<PlanTurf>,
}

/// Why an edit is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("turf {0} does not exist")]
    UnknownTurf(u32),
    #[error("stop {0} does not exist")]
    UnknownStop(usize),
    #[error("turf {0} is locked (checked out or being walked)")]
    Locked(u32),
    #[error(
        "stop {stop} is in bureau {stop_bureau}, turf {turf} in bureau {turf_bureau}: turfs never cross a bureau"
    )]
    CrossesBureau {
        stop: usize,
        stop_bureau: u32,
        turf: u32,
        turf_bureau: u32,
    },
    #[error("turfs {0} and {1} are in different bureaux")]
    DifferentBureaux(u32, u32),
    #[error("a turf cannot be split into {0} parts")]
    BadParts(usize),
    #[error("the plan has {plan} stops but {given} were given")]
    StopCount { plan: usize, given: usize },
}

/// What a polygon assignment did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolygonEdit {
    pub moved: usize,
    /// Stops inside the polygon left where they were because their turf is locked.
    pub skipped_locked: usize,
    /// Stops inside the polygon left where they were because they vote in another bureau.
    pub skipped_other_bureau: usize,
}

impl TurfPlan {
    /// A plan from a cut, nothing locked.
    pub fn from_cut(cut: &crate::cut::Cut) -> Self {
        Self {
            turf_of: cut.turf_of.clone(),
            turfs: cut
                .turfs
                .iter()
                .map(|t| PlanTurf {
                    bureau: t.bureau,
                    locked: false,
                })
                .collect(),
        }
    }

    fn turf(&self, t: u32) -> Result<&PlanTurf, EditError> {
        self.turfs.get(t as usize).ok_or(EditError::UnknownTurf(t))
    }

    fn unlocked(&self, t: u32) -> Result<&PlanTurf, EditError> {
        let turf = self.turf(t)?;
        if turf.locked {
            Err(EditError::Locked(t))
        } else {
            Ok(turf)
        }
    }

    fn check_stops(&self, stops: &[CutStop]) -> Result<(), EditError> {
        if stops.len() == self.turf_of.len() {
            Ok(())
        } else {
            Err(EditError::StopCount {
                plan: self.turf_of.len(),
                given: stops.len(),
            })
        }
    }

    /// Stops of a turf.
    pub fn members(&self, t: u32) -> Vec<usize> {
        (0..self.turf_of.len())
            .filter(|&i| self.turf_of[i] == t)
            .collect()
    }
}

/// Moves stops to turf `to` (same bureau; neither their turfs nor `to` locked).
pub fn move_stops(
    plan: &TurfPlan,
    stops: &[CutStop],
    moving: &[usize],
    to: u32,
) -> Result<TurfPlan, EditError> {
    plan.check_stops(stops)?;
    let target = *plan.unlocked(to)?;
    for &i in moving {
        let from = *plan.turf_of.get(i).ok_or(EditError::UnknownStop(i))?;
        plan.unlocked(from)?;
        if stops[i].bureau != target.bureau {
            return Err(EditError::CrossesBureau {
                stop: i,
                stop_bureau: stops[i].bureau,
                turf: to,
                turf_bureau: target.bureau,
            });
        }
    }
    let mut out = plan.clone();
    for &i in moving {
        out.turf_of[i] = to;
    }
    Ok(out)
}

/// Merges turf `b` into turf `a` (same bureau, both unlocked); `b` is left empty.
pub fn merge_turfs(plan: &TurfPlan, a: u32, b: u32) -> Result<TurfPlan, EditError> {
    let (ta, tb) = (*plan.unlocked(a)?, *plan.unlocked(b)?);
    if ta.bureau != tb.bureau {
        return Err(EditError::DifferentBureaux(a, b));
    }
    let mut out = plan.clone();
    for t in &mut out.turf_of {
        if *t == b {
            *t = a;
        }
    }
    Ok(out)
}

/// Splits an unlocked turf into `parts` compact turfs of balanced doors; the first part keeps
/// the turf's number, the others are appended.
pub fn split_turf(
    plan: &TurfPlan,
    stops: &[CutStop],
    t: u32,
    parts: usize,
    params: &CutParams,
) -> Result<TurfPlan, EditError> {
    plan.check_stops(stops)?;
    let turf = *plan.unlocked(t)?;
    let members = plan.members(t);
    if parts < 2 || parts > members.len() {
        return Err(EditError::BadParts(parts));
    }
    let pos: Vec<[f64; 2]> = members.iter().map(|&i| stops[i].pos).collect();
    let weight: Vec<u32> = members.iter().map(|&i| stops[i].doors).collect();
    let cells = partition(&pos, &weight, parts, params);
    let mut out = plan.clone();
    let first_new = out.turfs.len() as u32;
    for _ in 1..parts {
        out.turfs.push(PlanTurf {
            bureau: turf.bureau,
            locked: false,
        });
    }
    for (m, &i) in members.iter().enumerate() {
        out.turf_of[i] = if cells[m] == 0 {
            t
        } else {
            first_new + cells[m] - 1
        };
    }
    Ok(out)
}

/// "Redraw a polygon": the stops inside `ring` (projected coordinates) go to turf `to`, or to
/// a new turf of the bureau most of them vote in when `to` is `None`. Stops of locked turfs
/// and of other bureaux stay where they are and are counted.
pub fn assign_polygon(
    plan: &TurfPlan,
    stops: &[CutStop],
    ring: &[[f64; 2]],
    to: Option<u32>,
) -> Result<(TurfPlan, PolygonEdit), EditError> {
    plan.check_stops(stops)?;
    let inside: Vec<usize> = (0..stops.len())
        .filter(|&i| ring_contains(ring, stops[i].pos))
        .collect();
    let mut out = plan.clone();
    let mut report = PolygonEdit::default();
    let (target, bureau) = match to {
        Some(t) => (t, plan.unlocked(t)?.bureau),
        None => {
            let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
            for &i in &inside {
                if !plan.turfs[plan.turf_of[i] as usize].locked {
                    *counts.entry(stops[i].bureau).or_default() += 1;
                }
            }
            let Some((&bureau, _)) = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            else {
                return Ok((out, report));
            };
            out.turfs.push(PlanTurf {
                bureau,
                locked: false,
            });
            ((out.turfs.len() - 1) as u32, bureau)
        }
    };
    for i in inside {
        if plan.turfs[plan.turf_of[i] as usize].locked {
            report.skipped_locked += 1;
        } else if stops[i].bureau != bureau {
            report.skipped_other_bureau += 1;
        } else if out.turf_of[i] != target {
            out.turf_of[i] = target;
            report.moved += 1;
        }
    }
    Ok((out, report))
}

/// Re-cuts the plan to the target size (after doors were added or corrected): locked turfs
/// keep all their stops, every visited stop stays in its turf, the other stops are cut again
/// in each bureau. Turfs holding visited stops keep their numbers; other turfs of the bureau
/// are reused, then new ones appended; turfs no longer needed are left empty.
pub fn recut(
    plan: &TurfPlan,
    stops: &[CutStop],
    visited: &[bool],
    params: &CutParams,
) -> Result<TurfPlan, EditError> {
    plan.check_stops(stops)?;
    if visited.len() != stops.len() {
        return Err(EditError::StopCount {
            plan: stops.len(),
            given: visited.len(),
        });
    }
    let mut out = plan.clone();
    let mut by_bureau: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, s) in stops.iter().enumerate() {
        let t = plan.turf_of[i] as usize;
        if plan.turfs.get(t).is_some_and(|t| !t.locked) {
            by_bureau.entry(s.bureau).or_default().push(i);
        }
    }
    for (bureau, members) in by_bureau {
        // Turfs that must survive (they hold visited stops), then the others of the bureau.
        let mut keep: Vec<u32> = members
            .iter()
            .filter(|&&i| visited[i])
            .map(|&i| plan.turf_of[i])
            .collect();
        keep.sort_unstable();
        keep.dedup();
        let doors: u64 = members.iter().map(|&i| u64::from(stops[i].doors)).sum();
        let nonzero = members
            .iter()
            .filter(|&&i| stops[i].doors > 0)
            .count()
            .max(1);
        let k = turf_count(doors, params.target_doors.max(1))
            .min(nonzero)
            .max(keep.len())
            .max(1);
        let mut ids = keep.clone();
        for (t, turf) in plan.turfs.iter().enumerate() {
            if ids.len() >= k {
                break;
            }
            let t = t as u32;
            if turf.bureau == bureau && !turf.locked && !ids.contains(&t) {
                ids.push(t);
            }
        }
        while ids.len() < k {
            out.turfs.push(PlanTurf {
                bureau,
                locked: false,
            });
            ids.push((out.turfs.len() - 1) as u32);
        }
        let pos: Vec<[f64; 2]> = members.iter().map(|&i| stops[i].pos).collect();
        let weight: Vec<u32> = members.iter().map(|&i| stops[i].doors).collect();
        let pinned: Vec<Option<u32>> = members
            .iter()
            .map(|&i| {
                if visited[i] {
                    keep.iter()
                        .position(|&t| t == plan.turf_of[i])
                        .map(|c| c as u32)
                } else {
                    None
                }
            })
            .collect();
        let mut pinned_load = vec![0u64; k];
        for (m, p) in pinned.iter().enumerate() {
            if let Some(c) = p {
                pinned_load[*c as usize] += u64::from(weight[m]);
            }
        }
        // Start from recursive bisection, with pinned stops in their cells.
        let mut init = vec![0u32; members.len()];
        let mut idx: Vec<usize> = (0..members.len()).collect();
        rcb(&pos, &weight, &mut idx, k, 0, &mut init);
        for (m, p) in pinned.iter().enumerate() {
            if let Some(c) = p {
                init[m] = *c;
            }
        }
        let problem = Problem {
            pos: &pos,
            weight: &weight,
            pinned: &pinned,
            k,
            caps: fair_caps(doors, k, &pinned_load),
            max_iterations: params.max_iterations,
        };
        let cells = balanced_kmeans(&problem, &init);
        for (m, &i) in members.iter().enumerate() {
            out.turf_of[i] = ids[cells[m] as usize];
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cut::cut;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn stops(seed: u64, n: usize, bureaux: u32) -> Vec<CutStop> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let pos = [rng.random_range(0.0..1000.0), rng.random_range(0.0..1000.0)];
                CutStop {
                    pos,
                    doors: rng.random_range(1..4),
                    bureau: ((pos[0] / 1000.0 * f64::from(bureaux)) as u32).min(bureaux - 1),
                    street: None,
                }
            })
            .collect()
    }

    fn plan_for(s: &[CutStop]) -> TurfPlan {
        TurfPlan::from_cut(&cut(s, &CutParams::default()).unwrap())
    }

    #[test]
    fn move_merge_and_their_refusals() {
        let s = stops(1, 400, 2);
        let plan = plan_for(&s);
        let t0 = plan.turf_of[0];
        let other = (0..plan.turfs.len() as u32)
            .find(|&t| t != t0 && plan.turfs[t as usize].bureau == s[0].bureau)
            .unwrap();
        let moved = move_stops(&plan, &s, &[0], other).unwrap();
        assert_eq!(moved.turf_of[0], other);
        let foreign = (0..plan.turfs.len() as u32)
            .find(|&t| plan.turfs[t as usize].bureau != s[0].bureau)
            .unwrap();
        assert!(matches!(
            move_stops(&plan, &s, &[0], foreign),
            Err(EditError::CrossesBureau { .. })
        ));
        let mut locked = plan.clone();
        locked.turfs[other as usize].locked = true;
        assert_eq!(
            move_stops(&locked, &s, &[0], other),
            Err(EditError::Locked(other))
        );
        assert_eq!(
            move_stops(&plan, &s, &[10_000], other),
            Err(EditError::UnknownStop(10_000))
        );
        let merged = merge_turfs(&plan, t0, other).unwrap();
        assert!(merged.members(other).is_empty());
        assert_eq!(
            merged.members(t0).len(),
            plan.members(t0).len() + plan.members(other).len()
        );
        assert_eq!(
            merge_turfs(&plan, t0, foreign),
            Err(EditError::DifferentBureaux(t0, foreign))
        );
        assert_eq!(
            merge_turfs(&plan, t0, 999),
            Err(EditError::UnknownTurf(999))
        );
    }

    #[test]
    fn split_gives_balanced_parts() {
        let s = stops(2, 300, 1);
        let plan = plan_for(&s);
        let t = plan.turf_of[0];
        let n_before = plan.turfs.len();
        let split = split_turf(&plan, &s, t, 2, &CutParams::default()).unwrap();
        assert_eq!(split.turfs.len(), n_before + 1);
        let d = |p: &TurfPlan, t: u32| {
            p.members(t)
                .iter()
                .map(|&i| u64::from(s[i].doors))
                .sum::<u64>()
        };
        let (a, b) = (d(&split, t), d(&split, n_before as u32));
        assert_eq!(a + b, d(&plan, t));
        assert!(a.abs_diff(b) <= 3, "{a} vs {b}");
        assert_eq!(
            split_turf(&plan, &s, t, 1, &CutParams::default()),
            Err(EditError::BadParts(1))
        );
    }

    #[test]
    fn polygon_takes_the_stops_inside() {
        let s = stops(3, 500, 2);
        let mut plan = plan_for(&s);
        let ring = [
            [100.0, 100.0],
            [400.0, 100.0],
            [400.0, 400.0],
            [100.0, 400.0],
        ];
        // Lock the turf of one stop inside.
        let inside: Vec<usize> = (0..s.len())
            .filter(|&i| ring_contains(&ring, s[i].pos))
            .collect();
        let locked_turf = plan.turf_of[inside[0]];
        plan.turfs[locked_turf as usize].locked = true;
        let (out, report) = assign_polygon(&plan, &s, &ring, None).unwrap();
        let new_turf = (out.turfs.len() - 1) as u32;
        assert!(report.moved > 0);
        assert!(report.skipped_locked > 0);
        for &i in &inside {
            if plan.turf_of[i] == locked_turf {
                assert_eq!(out.turf_of[i], locked_turf);
            } else {
                assert_eq!(out.turf_of[i], new_turf);
            }
        }
    }

    #[test]
    fn recut_keeps_visited_stops_and_locked_turfs() {
        let s = stops(4, 1200, 2);
        let mut plan = plan_for(&s);
        plan.turfs[0].locked = true;
        let visited: Vec<bool> = (0..s.len()).map(|i| i % 7 == 0).collect();
        // Doors corrected by walkers: some buildings have more.
        let mut s2 = s.clone();
        for st in s2.iter_mut().step_by(5) {
            st.doors += 2;
        }
        let out = recut(&plan, &s2, &visited, &CutParams::default()).unwrap();
        for i in 0..s.len() {
            if plan.turf_of[i] == 0 || visited[i] {
                assert_eq!(out.turf_of[i], plan.turf_of[i], "stop {i}");
            }
            assert_eq!(out.turfs[out.turf_of[i] as usize].bureau, s[i].bureau);
        }
        assert_eq!(out.members(0), plan.members(0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn recut_preserves_every_stop(seed in 0u64..500, n in 1usize..400, share in 0u32..5) {
            let s = stops(seed, n, 2);
            let plan = plan_for(&s);
            let visited: Vec<bool> = (0..n).map(|i| (i as u32) % 5 < share).collect();
            let out = recut(&plan, &s, &visited, &CutParams { target_doors: 40, ..CutParams::default() }).unwrap();
            prop_assert_eq!(out.turf_of.len(), n);
            for i in 0..n {
                prop_assert!((out.turf_of[i] as usize) < out.turfs.len());
                prop_assert_eq!(out.turfs[out.turf_of[i] as usize].bureau, s[i].bureau);
                if visited[i] { prop_assert_eq!(out.turf_of[i], plan.turf_of[i]); }
            }
        }
    }
}
