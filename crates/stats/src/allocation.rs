//! Allocation of interviews and doors to the chosen areas, from the expected response at the
//! door, so that the field work of the turfs gives a self-weighting sample where it can.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};

/// What knocking on doors yields. Defaults are the Grande Marche's figures: about one adult
/// resident in five answered when every door of an area was knocked, and about 48 % of doors
/// opened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseModel {
    /// Share of an area's adult residents who answer when all its doors are knocked.
    pub resident_response_rate: f64,
    /// Share of knocked doors that open.
    pub door_open_rate: f64,
    /// Completed interviews per open door.
    pub interviews_per_open_door: f64,
}

impl Default for ResponseModel {
    fn default() -> Self {
        ResponseModel {
            resident_response_rate: 0.2,
            door_open_rate: 0.48,
            interviews_per_open_door: 1.0,
        }
    }
}

impl ResponseModel {
    fn check(&self) -> Result<()> {
        for (name, v) in [
            ("resident_response_rate", self.resident_response_rate),
            ("door_open_rate", self.door_open_rate),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(StatsError::InvalidParameter {
                    name,
                    reason: format!("{v} is not in (0, 1]"),
                });
            }
        }
        if !(self.interviews_per_open_door > 0.0 && self.interviews_per_open_door.is_finite()) {
            return Err(StatsError::InvalidParameter {
                name: "interviews_per_open_door",
                reason: format!("{} is not positive", self.interviews_per_open_door),
            });
        }
        Ok(())
    }

    /// Doors to knock to expect `interviews` completed interviews.
    pub fn doors_for(&self, interviews: usize) -> usize {
        (interviews as f64 / (self.door_open_rate * self.interviews_per_open_door)).ceil() as usize
    }
}

/// The field work planned for one chosen area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaAllocation {
    /// Index of the area in the frame.
    pub unit: usize,
    /// Interviews to complete there.
    pub interviews: usize,
    /// Doors to knock to expect them.
    pub doors: usize,
    /// Most interviews the area can give (adults × response rate).
    pub capacity: f64,
    /// Whether the area's share was cut to its capacity (then the sample is not
    /// self-weighting there and the design weights correct for it).
    pub capped: bool,
}

/// The allocation of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// One entry per chosen area, in the order given.
    pub areas: Vec<AreaAllocation>,
    /// Interviews allocated in all (less than asked when the areas cannot give them).
    pub interviews: usize,
    /// Doors to knock in all.
    pub doors: usize,
    /// The chosen areas' expected respondents if every door is knocked.
    pub expected_respondents: f64,
}

/// Expected respondents of the whole design: Σ π_k × adults_k × response rate, i.e. what a
/// draw yields on average if all doors of the chosen areas are knocked.
pub fn design_expected_respondents(pi: &[f64], adults: &[f64], model: &ResponseModel) -> f64 {
    pi.iter()
        .zip(adults)
        .map(|(p, a)| p * a * model.resident_response_rate)
        .sum()
}

/// Shares `total_interviews` among the `selected` areas in proportion to `adults_k / π_k`
/// (which makes every adult's overall chance of being interviewed equal — a self-weighting
/// design; with π ∝ adults this is the same number in every area), capped at each area's
/// capacity with the excess passed on to the others; integers by largest remainders.
pub fn allocate_interviews(
    selected: &[usize],
    pi: &[f64],
    adults: &[f64],
    total_interviews: usize,
    model: &ResponseModel,
) -> Result<Allocation> {
    model.check()?;
    if adults.len() != pi.len() {
        return Err(StatsError::LengthMismatch {
            what: "adults per area",
            expected: pi.len(),
            got: adults.len(),
        });
    }
    let m = selected.len();
    let mut want = Vec::with_capacity(m);
    let mut capacity = Vec::with_capacity(m);
    for &k in selected {
        if k >= pi.len() || pi[k] <= 0.0 {
            return Err(StatsError::InvalidValue {
                what: "inclusion probability of a selected unit",
                index: k,
                value: pi.get(k).copied().unwrap_or(f64::NAN),
            });
        }
        if !(adults[k] >= 0.0 && adults[k].is_finite()) {
            return Err(StatsError::InvalidValue {
                what: "adults",
                index: k,
                value: adults[k],
            });
        }
        want.push(adults[k] / pi[k]);
        capacity.push(adults[k] * model.resident_response_rate);
    }
    // Continuous shares with capping (water filling).
    let mut share = vec![0.0; m];
    let mut capped = vec![false; m];
    let mut left = total_interviews as f64;
    loop {
        let w: f64 = (0..m).filter(|&i| !capped[i]).map(|i| want[i]).sum();
        if w <= 0.0 || left <= 0.0 {
            break;
        }
        let mut newly = false;
        for i in 0..m {
            if capped[i] {
                continue;
            }
            let s = left * want[i] / w;
            if s > capacity[i] {
                capped[i] = true;
                newly = true;
            }
        }
        if !newly {
            for i in 0..m {
                if !capped[i] {
                    share[i] = left * want[i] / w;
                }
            }
            break;
        }
        left = total_interviews as f64
            - (0..m)
                .filter(|&i| capped[i])
                .map(|i| capacity[i])
                .sum::<f64>();
        for i in 0..m {
            if capped[i] {
                share[i] = capacity[i];
            }
        }
    }
    // Integers: floors, then largest remainders up to the total (never above capacity).
    let target = (share.iter().sum::<f64>().round() as usize).min(total_interviews);
    let mut ints: Vec<usize> = share.iter().map(|s| s.floor() as usize).collect();
    let mut given: usize = ints.iter().sum();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| {
        (share[b] - share[b].floor())
            .total_cmp(&(share[a] - share[a].floor()))
            .then(a.cmp(&b))
    });
    for &i in &order {
        if given >= target {
            break;
        }
        if (ints[i] + 1) as f64 <= capacity[i].floor().max(share[i].ceil()) {
            ints[i] += 1;
            given += 1;
        }
    }
    let areas: Vec<AreaAllocation> = selected
        .iter()
        .enumerate()
        .map(|(i, &k)| AreaAllocation {
            unit: k,
            interviews: ints[i],
            doors: model.doors_for(ints[i]),
            capacity: capacity[i],
            capped: capped[i],
        })
        .collect();
    Ok(Allocation {
        interviews: areas.iter().map(|a| a.interviews).sum(),
        doors: areas.iter().map(|a| a.doors).sum(),
        expected_respondents: capacity.iter().sum(),
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pps_design_gets_equal_interviews_per_area() {
        let adults = vec![1000.0, 2000.0, 3000.0, 4000.0];
        let pi: Vec<f64> = adults.iter().map(|a| a / 5000.0).collect();
        let a = allocate_interviews(&[0, 1, 2, 3], &pi, &adults, 100, &ResponseModel::default())
            .unwrap();
        assert!(a.areas.iter().all(|x| x.interviews == 25));
        // 25 interviews at 48 % of doors opening: 53 doors.
        assert_eq!(a.areas[0].doors, 53);
        assert_eq!(a.interviews, 100);
    }

    #[test]
    fn small_areas_are_capped_and_the_rest_is_passed_on() {
        // Area 0 would get 100 × 5000 / 15000 ≈ 33 interviews but can give 50 × 0.2 = 10.
        let adults = vec![50.0, 5000.0];
        let pi = vec![0.01, 0.5];
        let a = allocate_interviews(&[0, 1], &pi, &adults, 100, &ResponseModel::default()).unwrap();
        assert!(a.areas[0].capped);
        assert_eq!(a.areas[0].interviews, 10);
        assert_eq!(a.areas[1].interviews, 90);
    }

    #[test]
    fn bad_response_model_is_an_error() {
        let m = ResponseModel {
            door_open_rate: 0.0,
            ..Default::default()
        };
        assert!(allocate_interviews(&[0], &[0.5], &[10.0], 1, &m).is_err());
    }

    proptest! {
        #[test]
        fn allocation_never_exceeds_total_or_capacity(
            adults in proptest::collection::vec(1.0f64..3000.0, 1..40),
            total in 0usize..2000,
        ) {
            let s: f64 = adults.iter().sum();
            let pi: Vec<f64> = adults.iter().map(|a| (a / s * adults.len() as f64 * 0.5).min(1.0)).collect();
            let sel: Vec<usize> = (0..adults.len()).collect();
            let a = allocate_interviews(&sel, &pi, &adults, total, &ResponseModel::default()).unwrap();
            prop_assert!(a.interviews <= total);
            let cap: f64 = adults.iter().map(|x| x * 0.2).sum();
            // Either everything was placed, or capacity is (nearly) exhausted.
            prop_assert!(a.interviews == total || a.interviews as f64 >= cap.floor() - adults.len() as f64);
            for x in &a.areas { prop_assert!(x.interviews as f64 <= x.capacity.ceil()); }
        }
    }
}
