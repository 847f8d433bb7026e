//! Door-budget plans: LMP's ranking of bureaux by potential rate under a door budget, the split
//! of a national budget between territories in proportion to their potential count, the
//! red / orange / yellow priority classes, and the expected yield of a plan.
//!
//! LMP's rule (Hollande 2012, Pons, AER 2018): a bureau's doors ≈ inscrits / 1.4; the
//! territories' budgets are proportional to their count A_t = Σ inscrits × PO; within a
//! territory bureaux are taken in decreasing **rate** PO (not count) until the budget is spent.

use crate::error::TargetingError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use terrain_model::BureauId;

/// LMP's registered voters per door (household), used to turn inscrits into doors.
pub const ELECTORS_PER_DOOR: f64 = 1.4;

/// How dense a bureau is, which sets how many doors an hour a pair of canvassers knocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Density {
    /// Blocks of flats, city centres.
    Dense,
    /// Houses, suburbs, small towns and villages.
    #[default]
    Suburban,
}

/// A bureau as the planner sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanUnit {
    pub bureau: BureauId,
    /// The territory whose budget the bureau draws on (department, constituency…).
    pub territory: String,
    pub inscrits: f64,
    /// The score, a rate per registered voter (PO for the baseline).
    pub score: f64,
    pub density: Density,
}

impl PlanUnit {
    /// The count: score × inscrits (LMP's A_b, "bloc-leaning abstainers" for PO).
    pub fn count(&self) -> f64 {
        self.score * self.inscrits
    }
}

/// What to do with the first bureau that does not fit in what is left of the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Stop there (LMP: bureaux in decreasing PO until the budget is spent).
    #[default]
    Stop,
    /// Skip it and keep going down the list with smaller bureaux.
    Skip,
    /// Take it, overspending by less than one bureau.
    Include,
}

/// How the budget is spread between territories.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// In proportion to each territory's count A_t (LMP).
    #[default]
    ProportionalToCount,
    /// One ranking over every bureau, whatever its territory.
    National,
}

/// Budget options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BudgetOptions {
    /// Doors the campaign can knock (over all territories).
    pub budget_doors: f64,
    pub electors_per_door: f64,
    pub split: Split,
    pub overflow: Overflow,
}

impl Default for BudgetOptions {
    fn default() -> Self {
        Self {
            budget_doors: 0.0,
            electors_per_door: ELECTORS_PER_DOOR,
            split: Split::default(),
            overflow: Overflow::default(),
        }
    }
}

impl BudgetOptions {
    fn check(&self) -> Result<(), TargetingError> {
        if !(self.budget_doors.is_finite() && self.budget_doors >= 0.0) {
            return Err(TargetingError::option(
                "budget_doors",
                format!("{} must be a number of doors ≥ 0", self.budget_doors),
            ));
        }
        if !(self.electors_per_door.is_finite() && self.electors_per_door > 0.0) {
            return Err(TargetingError::option(
                "electors_per_door",
                format!("{} must be > 0", self.electors_per_door),
            ));
        }
        Ok(())
    }
}

/// Doors of a bureau: inscrits / electors per door.
pub fn doors(inscrits: f64, electors_per_door: f64) -> f64 {
    if electors_per_door > 0.0 {
        inscrits / electors_per_door
    } else {
        0.0
    }
}

/// One territory's share of the budget.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TerritoryBudget {
    pub territory: String,
    pub bureaux: usize,
    /// Σ inscrits × score.
    pub count: f64,
    pub doors_available: f64,
    pub budget_doors: f64,
    pub doors_selected: f64,
    pub bureaux_selected: usize,
}

/// A plan: which bureaux are chosen, in which order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Selection {
    /// Per unit (same order as the input): its rank within its territory (1 = best) …
    pub rank: Vec<usize>,
    /// … whether it is in the plan …
    pub selected: Vec<bool>,
    /// … and the doors of its territory's plan up to and including it, in rank order.
    pub cumulative_doors: Vec<f64>,
    pub territories: Vec<TerritoryBudget>,
    pub doors_selected: f64,
    pub bureaux_selected: usize,
}

/// Orders units by decreasing score, ties by bureau id (so plans are reproducible).
fn by_score_desc(units: &[PlanUnit], idx: &mut [usize]) {
    idx.sort_by(|&a, &b| {
        units[b]
            .score
            .total_cmp(&units[a].score)
            .then_with(|| units[a].bureau.cmp(&units[b].bureau))
    });
}

/// Splits `budget` between territories in proportion to their counts (all equal when every
/// count is 0).
pub fn split_budget(counts: &[f64], budget: f64) -> Vec<f64> {
    let total: f64 = counts.iter().map(|c| c.max(0.0)).sum();
    if total > 0.0 {
        counts.iter().map(|c| budget * c.max(0.0) / total).collect()
    } else if counts.is_empty() {
        Vec::new()
    } else {
        vec![budget / counts.len() as f64; counts.len()]
    }
}

/// Ranks and selects bureaux under the budget.
pub fn select(units: &[PlanUnit], options: &BudgetOptions) -> Result<Selection, TargetingError> {
    options.check()?;
    for u in units {
        if !u.score.is_finite() || !u.inscrits.is_finite() || u.inscrits < 0.0 {
            return Err(TargetingError::option(
                "score",
                format!(
                    "bureau {} has a score or inscrits that is not a number",
                    u.bureau
                ),
            ));
        }
    }
    // Territories in a stable order.
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    match options.split {
        Split::ProportionalToCount => {
            for (i, u) in units.iter().enumerate() {
                groups.entry(u.territory.as_str()).or_default().push(i);
            }
        }
        Split::National => {
            groups.insert("all", (0..units.len()).collect());
        }
    }
    let counts: Vec<f64> = groups
        .values()
        .map(|ix| ix.iter().map(|&i| units[i].count()).sum())
        .collect();
    let budgets = split_budget(&counts, options.budget_doors);
    let n = units.len();
    let mut sel = Selection {
        rank: vec![0; n],
        selected: vec![false; n],
        cumulative_doors: vec![0.0; n],
        territories: Vec::with_capacity(groups.len()),
        doors_selected: 0.0,
        bureaux_selected: 0,
    };
    for ((name, mut ix), (count, budget)) in groups.into_iter().zip(counts.into_iter().zip(budgets))
    {
        by_score_desc(units, &mut ix);
        let mut spent = 0.0;
        let mut taken = 0;
        let mut stopped = false;
        let mut cumulative = 0.0;
        let mut available = 0.0;
        for (r, &i) in ix.iter().enumerate() {
            let d = doors(units[i].inscrits, options.electors_per_door);
            available += d;
            cumulative += d;
            sel.rank[i] = r + 1;
            sel.cumulative_doors[i] = cumulative;
            if stopped {
                continue;
            }
            let fits = spent + d <= budget * (1.0 + 1e-12);
            let take = match (fits, options.overflow) {
                (true, _) => true,
                (false, Overflow::Stop) => {
                    stopped = true;
                    false
                }
                (false, Overflow::Skip) => false,
                (false, Overflow::Include) => {
                    stopped = true;
                    spent < budget
                }
            };
            if take {
                sel.selected[i] = true;
                spent += d;
                taken += 1;
            }
        }
        sel.doors_selected += spent;
        sel.bureaux_selected += taken;
        sel.territories.push(TerritoryBudget {
            territory: name.to_string(),
            bureaux: ix.len(),
            count,
            doors_available: available,
            budget_doors: budget,
            doors_selected: spent,
            bureaux_selected: taken,
        });
    }
    Ok(sel)
}

/// LMP's priority colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Red,
    Orange,
    Yellow,
    /// Below the yellow threshold.
    None,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Red => "red",
            Priority::Orange => "orange",
            Priority::Yellow => "yellow",
            Priority::None => "none",
        }
    }
}

/// Where a priority class starts, as a quantile of the scores (0.9 = the top 10 %).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassOptions {
    pub red: f64,
    pub orange: f64,
    pub yellow: f64,
    /// Quantiles within each territory (true) or over every bureau (false).
    pub within_territory: bool,
}

impl Default for ClassOptions {
    fn default() -> Self {
        Self {
            red: 0.9,
            orange: 0.7,
            yellow: 0.5,
            within_territory: true,
        }
    }
}

/// The `q` quantile of sorted values (linear interpolation between order statistics, R's type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Classes every unit: red when its score is at or above the red quantile, and so on.
pub fn classify(
    units: &[PlanUnit],
    options: &ClassOptions,
) -> Result<Vec<Priority>, TargetingError> {
    let (r, o, y) = (options.red, options.orange, options.yellow);
    let in_unit = |q: f64| (0.0..=1.0).contains(&q);
    if !(in_unit(r) && in_unit(o) && in_unit(y) && r >= o && o >= y) {
        return Err(TargetingError::option(
            "classes",
            format!("quantiles must satisfy 1 ≥ red ≥ orange ≥ yellow ≥ 0, got {r}, {o}, {y}"),
        ));
    }
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        let key = if options.within_territory {
            u.territory.as_str()
        } else {
            ""
        };
        groups.entry(key).or_default().push(i);
    }
    let mut out = vec![Priority::None; units.len()];
    for ix in groups.values() {
        let mut s: Vec<f64> = ix.iter().map(|&i| units[i].score).collect();
        s.sort_by(f64::total_cmp);
        let (tr, to, ty) = (
            quantile_sorted(&s, r),
            quantile_sorted(&s, o),
            quantile_sorted(&s, y),
        );
        for &i in ix {
            let v = units[i].score;
            out[i] = if v >= tr {
                Priority::Red
            } else if v >= to {
                Priority::Orange
            } else if v >= ty {
                Priority::Yellow
            } else {
                Priority::None
            };
        }
    }
    Ok(out)
}

/// Field assumptions that turn doors into a yield. Every one is editable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct YieldParams {
    pub electors_per_door: f64,
    /// Share of knocked doors that open (≈ 48 % in LMP's 2012 campaign).
    pub open_rate: f64,
    /// Conversations per opened door (1: every opened door counts as a conversation; lower it
    /// if your walkers only count full conversations).
    pub conversations_per_open: f64,
    /// Doors knocked per hour in dense areas (≈ 25).
    pub doors_per_hour_dense: f64,
    /// Doors knocked per hour in suburbs (≈ 15).
    pub doors_per_hour_suburban: f64,
    /// How many times each door of a chosen bureau is knocked (1: one pass).
    pub passes: f64,
}

impl Default for YieldParams {
    fn default() -> Self {
        Self {
            electors_per_door: ELECTORS_PER_DOOR,
            open_rate: 0.48,
            conversations_per_open: 1.0,
            doors_per_hour_dense: 25.0,
            doors_per_hour_suburban: 15.0,
            passes: 1.0,
        }
    }
}

/// What a plan is expected to deliver.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanYield {
    pub bureaux: usize,
    pub inscrits: f64,
    /// Doors knocked (all passes).
    pub doors: f64,
    pub doors_opened: f64,
    pub conversations: f64,
    /// Canvassing hours (one pair of walkers counts once).
    pub hours: f64,
    pub hours_dense: f64,
    pub hours_suburban: f64,
    /// Σ inscrits × score over the plan: the targets living behind the plan's doors.
    pub target_electors: f64,
    /// Targets behind opened doors: target_electors × open_rate (each door's electors counted
    /// as met when it opens).
    pub target_electors_at_opened_doors: f64,
}

/// The yield of the selected units.
pub fn plan_yield(
    units: &[PlanUnit],
    selected: &[bool],
    p: &YieldParams,
) -> Result<PlanYield, TargetingError> {
    for (name, v, upper) in [
        ("electors_per_door", p.electors_per_door, f64::INFINITY),
        ("open_rate", p.open_rate, 1.0),
        (
            "conversations_per_open",
            p.conversations_per_open,
            f64::INFINITY,
        ),
        (
            "doors_per_hour_dense",
            p.doors_per_hour_dense,
            f64::INFINITY,
        ),
        (
            "doors_per_hour_suburban",
            p.doors_per_hour_suburban,
            f64::INFINITY,
        ),
        ("passes", p.passes, f64::INFINITY),
    ] {
        let positive_needed = matches!(
            name,
            "electors_per_door" | "doors_per_hour_dense" | "doors_per_hour_suburban"
        );
        if !v.is_finite() || v < 0.0 || v > upper || (positive_needed && v <= 0.0) {
            return Err(TargetingError::option(name, format!("{v} is out of range")));
        }
    }
    let mut y = PlanYield::default();
    // Over several passes a door stays closed with probability (1 − open rate)^passes.
    let opened_fraction = 1.0 - (1.0 - p.open_rate).powf(p.passes);
    for (u, _) in units.iter().zip(selected).filter(|(_, s)| **s) {
        let base = doors(u.inscrits, p.electors_per_door);
        let knocks = base * p.passes;
        y.bureaux += 1;
        y.inscrits += u.inscrits;
        y.doors += knocks;
        y.doors_opened += base * opened_fraction;
        match u.density {
            Density::Dense => y.hours_dense += knocks / p.doors_per_hour_dense,
            Density::Suburban => y.hours_suburban += knocks / p.doors_per_hour_suburban,
        }
        y.target_electors += u.count();
        y.target_electors_at_opened_doors += u.count() * opened_fraction;
    }
    y.conversations = y.doors_opened * p.conversations_per_open;
    y.hours = y.hours_dense + y.hours_suburban;
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(id: &str, t: &str, ins: f64, score: f64) -> PlanUnit {
        PlanUnit {
            bureau: BureauId::parse(id).unwrap(),
            territory: t.into(),
            inscrits: ins,
            score,
            density: Density::Dense,
        }
    }

    /// Four bureaux, PO and doors worked by hand:
    /// A: 1400 inscrits, PO .10 → 1000 doors, A = 140
    /// B:  700 inscrits, PO .20 →  500 doors, A = 140
    /// C: 2100 inscrits, PO .05 → 1500 doors, A = 105
    /// D:  280 inscrits, PO .15 →  200 doors, A =  42
    fn four() -> Vec<PlanUnit> {
        vec![
            unit("69001_0001", "69", 1400.0, 0.10),
            unit("69001_0002", "69", 700.0, 0.20),
            unit("69001_0003", "69", 2100.0, 0.05),
            unit("69001_0004", "69", 280.0, 0.15),
        ]
    }

    #[test]
    fn rank_by_rate_not_count_and_stop_when_the_budget_is_spent() {
        let u = four();
        // Order by PO: B (.20), D (.15), A (.10), C (.05). Budget 1600: B 500 + D 200 = 700,
        // A would make 1700 > 1600: LMP stops there.
        let opts = BudgetOptions {
            budget_doors: 1600.0,
            ..Default::default()
        };
        let s = select(&u, &opts).unwrap();
        assert_eq!(s.rank, vec![3, 1, 4, 2]);
        assert_eq!(s.selected, vec![false, true, false, true]);
        assert!((s.doors_selected - 700.0).abs() < 1e-9);
        assert!((s.cumulative_doors[0] - 1700.0).abs() < 1e-9);
        // Include takes A (1700 doors, overspending by 100).
        let inc = select(
            &u,
            &BudgetOptions {
                overflow: Overflow::Include,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(inc.selected, vec![true, true, false, true]);
        // With 2000 doors, Skip does not take C (1500) after A; Stop does not either.
        let skip = select(
            &u,
            &BudgetOptions {
                budget_doors: 1800.0,
                overflow: Overflow::Skip,
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(skip.selected, vec![true, true, false, true]);
        assert!((skip.doors_selected - 1700.0).abs() < 1e-9);
    }

    #[test]
    fn national_budget_split_in_proportion_to_counts() {
        let mut u = four();
        u.push(unit("01001_0001", "01", 1400.0, 0.3)); // A = 420, 1000 doors
        // A_69 = 140 + 140 + 105 + 42 = 427, A_01 = 420: budgets 847 × 427/847 and 420/847.
        let s = select(
            &u,
            &BudgetOptions {
                budget_doors: 847.0,
                ..Default::default()
            },
        )
        .unwrap();
        let t01 = &s.territories[0];
        let t69 = &s.territories[1];
        assert_eq!(t01.territory, "01");
        assert!((t01.budget_doors - 420.0).abs() < 1e-9);
        assert!((t69.budget_doors - 427.0).abs() < 1e-9);
        // 01's only bureau (1000 doors) does not fit in 420; 69 takes B (500 > 427? no: 500 > 427).
        assert_eq!(t01.bureaux_selected, 0);
        assert_eq!(t69.bureaux_selected, 0);
        let s = select(
            &u,
            &BudgetOptions {
                budget_doors: 2541.0,
                ..Default::default()
            },
        )
        .unwrap();
        // Budgets: 01 → 1260 (takes its 1000), 69 → 1281 (B 500 + D 200 = 700, A 1000 stops).
        assert_eq!(s.territories[0].bureaux_selected, 1);
        assert_eq!(s.territories[1].bureaux_selected, 2);
        let national = select(
            &u,
            &BudgetOptions {
                budget_doors: 1700.0,
                split: Split::National,
                ..Default::default()
            },
        )
        .unwrap();
        // One ranking: 01 (.3, 1000), B (.2, 500), D (.15, 200) = 1700.
        assert_eq!(national.selected, vec![false, true, false, true, true]);
    }

    #[test]
    fn classes_by_quantiles() {
        let u: Vec<PlanUnit> = (0..10)
            .map(|i| {
                unit(
                    &format!("69001_{:04}", i + 1),
                    "69",
                    100.0,
                    f64::from(i) / 10.0,
                )
            })
            .collect();
        let c = classify(&u, &ClassOptions::default()).unwrap();
        // Scores 0 … .9: q.9 = .81, q.7 = .63, q.5 = .45 (type 7).
        assert_eq!(c[9], Priority::Red);
        assert_eq!(c[8], Priority::Orange);
        assert_eq!(c[7], Priority::Orange);
        assert_eq!(c[6], Priority::Yellow);
        assert_eq!(c[5], Priority::Yellow);
        assert_eq!(c[4], Priority::None);
        assert!(
            classify(
                &u,
                &ClassOptions {
                    red: 0.5,
                    orange: 0.7,
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn yield_of_a_plan_by_hand() {
        let mut u = four();
        u[1].density = Density::Suburban;
        let sel = vec![false, true, false, true];
        let y = plan_yield(&u, &sel, &YieldParams::default()).unwrap();
        // B: 500 doors suburban (15/h), D: 200 doors dense (25/h).
        assert!((y.doors - 700.0).abs() < 1e-9);
        assert!((y.doors_opened - 336.0).abs() < 1e-9);
        assert!((y.conversations - 336.0).abs() < 1e-9);
        assert!((y.hours - (500.0 / 15.0 + 8.0)).abs() < 1e-9);
        assert!((y.target_electors - 182.0).abs() < 1e-9);
        assert!((y.target_electors_at_opened_doors - 182.0 * 0.48).abs() < 1e-9);
        let two = plan_yield(
            &u,
            &sel,
            &YieldParams {
                passes: 2.0,
                ..Default::default()
            },
        )
        .unwrap();
        assert!((two.doors - 1400.0).abs() < 1e-9);
        assert!((two.doors_opened - 700.0 * (1.0 - 0.52 * 0.52)).abs() < 1e-9);
        assert!(
            plan_yield(
                &u,
                &sel,
                &YieldParams {
                    open_rate: 1.5,
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    proptest! {
        #[test]
        fn the_plan_never_overspends_and_takes_the_best_first(
            scores in proptest::collection::vec((1.0f64..3000.0, 0.0f64..0.5, 0u8..3), 1..60),
            budget in 0.0f64..50_000.0,
        ) {
            let units: Vec<PlanUnit> = scores.iter().enumerate().map(|(i, (ins, s, t))| {
                unit(&format!("69001_{:04}", i + 1), &t.to_string(), *ins, *s)
            }).collect();
            let opts = BudgetOptions { budget_doors: budget, ..Default::default() };
            let sel = select(&units, &opts).unwrap();
            let budgets: f64 = sel.territories.iter().map(|t| t.budget_doors).sum();
            prop_assert!((budgets - budget).abs() <= 1e-6 * budget.max(1.0));
            for t in &sel.territories {
                prop_assert!(t.doors_selected <= t.budget_doors * (1.0 + 1e-9) + 1e-9);
            }
            // Under Stop the chosen bureaux of a territory are exactly its top ranks.
            for (i, u) in units.iter().enumerate() {
                if sel.selected[i] {
                    for (j, v) in units.iter().enumerate() {
                        if v.territory == u.territory && sel.rank[j] < sel.rank[i] {
                            prop_assert!(sel.selected[j]);
                        }
                    }
                }
            }
        }
    }
}
