//! Quotas (issue 8): the interviews each profile should get in each territory of the accepted
//! survey plan, their live fill from the stored responses, and where and whom to go after.
//!
//! * Territories: each bureau drawn by the accepted plan counts towards its parent territory
//!   (the arrondissement in Paris, Lyon and Marseille, the commune elsewhere); the interviews
//!   the plan allots to the bureaux add up there.
//! * Cells: sex × age band crossed, and occupation (PCS group) on its own — the usual French
//!   quota design (interlocked sex × age, occupation as a margin). A response counts in both.
//! * Targets: the territory's interviews shared in proportion to its adults by sex × age band
//!   and by occupation, estimated from the INSEE IRIS tables of the 2015 census held by the
//!   campaign (see [`ProfileMargins::from_census`]); sex and age are crossed assuming
//!   independence (no cross-table at IRIS level).
//! * Targets are recomputed at each read (the plan, the census and the settings decide them):
//!   nothing is stored that could disagree with them.
//!
//! Quotas show counts of interviews wanted and done per profile, never a response.

use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use terrain_model::questionnaire::ProfileField;
use terrain_model::{CampaignId, Territory, TerritoryId, TerritoryKind, TerritoryPath};
use terrain_stats::quotas::{CensusTable, QuotaDimension, QuotaStatus, TerritoryQuota};
use terrain_store::{Scope, Store, SurveyPlan, TerritoryQuery};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

/// Sex codes weighted and quota'd (the questionnaire's codes, "does not wish to say" aside).
pub const SEX: [&str; 2] = ["f", "m"];
/// Age band codes.
pub const AGE: [&str; 5] = ["18-24", "25-34", "35-49", "50-64", "65+"];
/// Occupation codes: the eight PCS 2020 groups.
pub const OCCUPATION: [&str; 8] = ["1", "2", "3", "4", "5", "6", "7", "8"];

/// Where the quota and weighting margins come from, said wherever they are shown.
pub const CENSUS_SOURCE: &str = "INSEE, recensement 2015, tableaux IRIS (diplômes-formation, activité) \
     de la campagne : sexe des 15 ans et plus non scolarisés, âges 18-24/25-29/25-54/55-64/30+ \
     (25-34, 35-49, 50-64 répartis uniformément dans 30-54), PCS des actifs de 15-64 ans, \
     retraités de 15-64 ans et 65 ans et plus (groupe 7), élèves, autres inactifs et chômeurs \
     n'ayant jamais travaillé (groupe 8).";

/// The IRIS census variables the margins are estimated from.
pub const CENSUS_VARIABLES: [&str; 17] = [
    "P15_HNSCOL15P",
    "P15_FNSCOL15P",
    "P15_POP1824",
    "P15_POP2529",
    "P15_POP30P",
    "P15_POP2554",
    "P15_POP5564",
    "C15_ACT1564",
    "C15_ACT1564_CS1",
    "C15_ACT1564_CS2",
    "C15_ACT1564_CS3",
    "C15_ACT1564_CS4",
    "C15_ACT1564_CS5",
    "C15_ACT1564_CS6",
    "P15_RETR1564",
    "P15_ETUD1564",
    "P15_AINACT1564",
];

/// Adults of a territory by sex, by age band and by occupation (three margins, in the order
/// of [`SEX`], [`AGE`] and [`OCCUPATION`]; their totals differ a little, being estimated
/// from different tables).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProfileMargins {
    pub sex: [f64; 2],
    pub age_band: [f64; 5],
    pub occupation: [f64; 8],
}

impl ProfileMargins {
    /// Estimates the margins of one IRIS from its 2015 census values (`None` when the IRIS
    /// lacks the age variables). Sex: the non-schooled population aged 15 or more (close to
    /// adults; students are left out). Age: 18-24 and 25-29 as counted; 30-54 (from 25-54 less
    /// 25-29) shared uniformly by years among 25-34, 35-49 and 50-64; 55-64 as counted; 65+ as
    /// the rest of the 30+. Occupation: the PCS group of the active 15-64 (groups 1-6, the
    /// unemployed by their last job), retirees (15-64 retired and everyone 65+, group 7), and
    /// students, other inactive and the unemployed who never worked (group 8).
    pub fn from_census(v: &HashMap<&str, f64>) -> Option<Self> {
        let get = |k: &str| v.get(k).copied().unwrap_or(0.0).max(0.0);
        if !v.contains_key("P15_POP30P") || !v.contains_key("P15_POP2554") {
            return None;
        }
        let p30_54 = (get("P15_POP2554") - get("P15_POP2529")).max(0.0);
        let p55_64 = get("P15_POP5564");
        let p65 = (get("P15_POP30P") - p30_54 - p55_64).max(0.0);
        let age_band = [
            get("P15_POP1824"),
            get("P15_POP2529") + p30_54 * 5.0 / 25.0,
            p30_54 * 15.0 / 25.0,
            p30_54 * 5.0 / 25.0 + p55_64,
            p65,
        ];
        let cs: Vec<f64> = (1..=6)
            .map(|k| get(&format!("C15_ACT1564_CS{k}")))
            .collect();
        let never_worked = (get("C15_ACT1564") - cs.iter().sum::<f64>()).max(0.0);
        let occupation = [
            cs[0],
            cs[1],
            cs[2],
            cs[3],
            cs[4],
            cs[5],
            get("P15_RETR1564") + p65,
            get("P15_ETUD1564") + get("P15_AINACT1564") + never_worked,
        ];
        Some(Self {
            sex: [get("P15_FNSCOL15P"), get("P15_HNSCOL15P")],
            age_band,
            occupation,
        })
    }

    fn add(&mut self, o: &Self) {
        self.sex.iter_mut().zip(o.sex).for_each(|(a, b)| *a += b);
        self.age_band
            .iter_mut()
            .zip(o.age_band)
            .for_each(|(a, b)| *a += b);
        self.occupation
            .iter_mut()
            .zip(o.occupation)
            .for_each(|(a, b)| *a += b);
    }

    /// Adults by sex (the first margin's total).
    pub fn total(&self) -> f64 {
        self.sex.iter().sum()
    }
}

/// The French label of a profile code.
pub fn code_label(field: ProfileField, code: &str) -> String {
    field
        .codes()
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_string(), |(_, l)| l.to_string())
}

/// The plan accepted last, with its areas.
pub async fn accepted_plan(store: &dyn Store, c: CampaignId) -> ApiResult<Option<SurveyPlan>> {
    let plans = store.survey_plans(c).await?;
    let Some(p) = plans
        .into_iter()
        .filter(|p| p.accepted_at.is_some())
        .max_by_key(|p| (p.accepted_at, p.id))
    else {
        return Ok(None);
    };
    Ok(Some(store.survey_plan(c, p.id).await?))
}

/// The territories quotas are kept for — the parents of the plan's areas — and, for each,
/// the bureaux and IRIS inside it (to place responses and sum the census).
#[derive(Debug, Default)]
pub struct QuotaGeography {
    /// Quota territories, by code.
    pub territories: Vec<Territory>,
    /// Bureau or IRIS id → the quota territory it lies in.
    pub territory_of: HashMap<TerritoryId, TerritoryId>,
    /// Quota territory → its IRIS.
    pub iris_of: HashMap<TerritoryId, Vec<TerritoryId>>,
}

impl QuotaGeography {
    /// The quota territory a response or an area counts towards.
    pub fn quota_territory(&self, area: TerritoryId) -> Option<&Territory> {
        let q = self.territory_of.get(&area)?;
        self.territories.iter().find(|t| t.id == *q)
    }
}

/// The quota territories of a plan: each area counts towards its parent (the arrondissement in
/// Paris, Lyon and Marseille, the commune elsewhere), or itself when it has none.
pub async fn quota_geography(
    store: &dyn Store,
    c: CampaignId,
    plan: &SurveyPlan,
) -> ApiResult<QuotaGeography> {
    let mut geo = QuotaGeography::default();
    let mut seen = std::collections::HashSet::new();
    for a in &plan.fields.areas {
        let t = store.territory(c, a.territory_id).await?;
        let q = match t.parent_id {
            Some(p) => store.territory(c, p).await?,
            None => t,
        };
        if seen.insert(q.id) {
            geo.territories.push(q);
        }
    }
    geo.territories.sort_by(|a, b| a.code.cmp(&b.code));
    for q in &geo.territories {
        let inside = store
            .territories(
                c,
                &TerritoryQuery {
                    within: Some(vec![q.path.clone()]),
                    limit: 10_000,
                    ..Default::default()
                },
            )
            .await?;
        for t in inside {
            if t.kind == TerritoryKind::Iris {
                geo.iris_of.entry(q.id).or_default().push(t.id);
            }
            geo.territory_of.insert(t.id, q.id);
        }
    }
    Ok(geo)
}

/// The census margins of each IRIS of the campaign that has them.
pub async fn iris_margins(
    store: &dyn Store,
    c: CampaignId,
) -> ApiResult<HashMap<TerritoryId, ProfileMargins>> {
    let vars: Vec<String> = CENSUS_VARIABLES.iter().map(|v| v.to_string()).collect();
    let mut by_iris: HashMap<TerritoryId, HashMap<String, f64>> = HashMap::new();
    for (t, v, x) in store.census_values(c, &vars).await? {
        by_iris.entry(t).or_default().entry(v).or_insert(x);
    }
    Ok(by_iris
        .into_iter()
        .filter_map(|(t, values)| {
            let v: HashMap<&str, f64> = values.iter().map(|(k, x)| (k.as_str(), *x)).collect();
            ProfileMargins::from_census(&v).map(|m| (t, m))
        })
        .collect())
}

/// The sum of the margins of the given IRIS (all of them for `None`).
pub fn margins_of(
    iris: &HashMap<TerritoryId, ProfileMargins>,
    only: Option<&[TerritoryId]>,
) -> ProfileMargins {
    let mut m = ProfileMargins::default();
    match only {
        None => iris.values().for_each(|x| m.add(x)),
        Some(ids) => ids
            .iter()
            .filter_map(|t| iris.get(t))
            .for_each(|x| m.add(x)),
    }
    m
}

/// One quota cell and its fill.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuotaCellDto {
    pub territory_id: Uuid,
    pub territory_code: String,
    pub territory_name: String,
    /// `sex_age` (sex × age band crossed) or `occupation`.
    pub set: String,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub occupation: Option<String>,
    /// The profile, in words (French).
    pub label: String,
    pub target: usize,
    pub done: usize,
    pub remaining: usize,
    /// target × elapsed share of the field period.
    pub expected_by_now: f64,
    /// expected_by_now − done, when positive.
    pub shortfall: f64,
    /// `complete`, `on_track` or `behind`.
    pub status: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub path: Option<TerritoryPath>,
}

/// A territory's quotas in sum (sex × age cells).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuotaTerritoryDto {
    pub territory_id: Uuid,
    pub code: String,
    pub name: String,
    /// Interviews the plan allots to its bureaux.
    pub target: usize,
    /// Responses with a sex and an age band collected there.
    pub done: usize,
    pub expected_by_now: f64,
    /// Summed shortfall of its cells.
    pub shortfall: f64,
    /// Its cells behind schedule.
    pub cells_behind: usize,
}

/// The field period quotas are measured against.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuotaPeriodDto {
    #[serde(with = "terrain_model::campaign::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    #[serde(with = "terrain_model::campaign::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// Elapsed share of the period, 0 to 1.
    pub progress: f64,
}

/// The quota board.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuotaBoardDto {
    /// The accepted plan the quotas come from (`null`: none accepted yet, no quotas).
    pub plan_id: Option<Uuid>,
    pub plan_name: Option<String>,
    pub period: Option<QuotaPeriodDto>,
    pub show_to_walkers: bool,
    /// Where the targets' proportions come from.
    pub census_source: String,
    /// Territories, most behind first.
    pub territories: Vec<QuotaTerritoryDto>,
    /// Every cell, territory by territory.
    pub cells: Vec<QuotaCellDto>,
    /// Where and whom to go after: the cells most behind schedule, worst first.
    pub go_after: Vec<QuotaCellDto>,
    pub warnings: Vec<String>,
}

/// How many cells the board suggests going after.
pub const GO_AFTER: usize = 10;

/// Computes the quota board of the campaign, restricted to the territories `scope` covers.
pub async fn quota_board(
    store: &dyn Store,
    c: CampaignId,
    scope: &Scope,
    now: OffsetDateTime,
) -> ApiResult<QuotaBoardDto> {
    let settings = store.quota_settings(c).await?;
    let mut board = QuotaBoardDto {
        plan_id: None,
        plan_name: None,
        period: None,
        show_to_walkers: settings.show_to_walkers,
        census_source: CENSUS_SOURCE.into(),
        territories: vec![],
        cells: vec![],
        go_after: vec![],
        warnings: vec![],
    };
    let Some(plan) = accepted_plan(store, c).await? else {
        board
            .warnings
            .push("no survey plan is accepted yet: quotas follow from the accepted plan".into());
        return Ok(board);
    };
    board.plan_id = Some(plan.id);
    board.plan_name = Some(plan.fields.name.clone());
    let starts_on = settings
        .field_starts_on
        .or(plan.accepted_at.map(|a| a.date()))
        .unwrap_or(now.date());
    let ends_on = settings
        .field_ends_on
        .unwrap_or(starts_on + time::Duration::days(28));
    let span = (ends_on - starts_on).whole_days().max(1) as f64;
    let progress = ((now.date() - starts_on).whole_days() as f64 / span).clamp(0.0, 1.0);
    board.period = Some(QuotaPeriodDto {
        starts_on,
        ends_on,
        progress,
    });

    let geo = quota_geography(store, c, &plan).await?;
    // Interviews by quota territory.
    let mut interviews: BTreeMap<String, (TerritoryId, usize)> = geo
        .territories
        .iter()
        .map(|t| (t.code.clone(), (t.id, 0)))
        .collect();
    for a in &plan.fields.areas {
        if let Some(q) = geo.quota_territory(a.territory_id) {
            interviews.entry(q.code.clone()).or_insert((q.id, 0)).1 +=
                a.interviews.unwrap_or(0) as usize;
        }
    }
    if interviews.values().all(|(_, n)| *n == 0) {
        board
            .warnings
            .push("the accepted plan allots no interviews: every target is 0".into());
    }
    let iris = iris_margins(store, c).await?;
    let everywhere = margins_of(&iris, None);
    if everywhere.total() <= 0.0 {
        board.warnings.push(
            "the campaign holds no IRIS census table: targets are shared equally among profiles"
                .into(),
        );
    }
    let mut sex_age = Vec::new();
    let mut occupation = Vec::new();
    for (code, (id, n)) in &interviews {
        let mut m = margins_of(&iris, Some(geo.iris_of.get(id).map_or(&[][..], |v| v)));
        if m.total() <= 0.0 && everywhere.total() > 0.0 {
            board.warnings.push(format!(
                "{code}: no census inside it; the campaign's proportions are used"
            ));
            m = everywhere.clone();
        }
        let (sex, age, occ) = if m.total() > 0.0 {
            let s: f64 = m.sex.iter().sum();
            let a: f64 = m.age_band.iter().sum();
            let age: Vec<f64> = m
                .age_band
                .iter()
                .map(|x| if a > 0.0 { x / a * s } else { s / 5.0 })
                .collect();
            (m.sex.to_vec(), age, m.occupation.to_vec())
        } else {
            (vec![1.0; 2], vec![1.0; 5], vec![1.0; 8])
        };
        sex_age.push(TerritoryQuota {
            territory: id.to_string(),
            interviews: *n,
            census: CensusTable::Margins {
                margins: vec![sex, age],
                seed: None,
            },
        });
        occupation.push(TerritoryQuota {
            territory: id.to_string(),
            interviews: *n,
            census: CensusTable::Joint(occ),
        });
    }
    let dim = |name: &str, codes: &[&str]| QuotaDimension {
        name: name.into(),
        categories: codes.iter().map(|c| c.to_string()).collect(),
    };
    let invalid = |e: terrain_stats::StatsError| ApiError::internal(e);
    let plan_sa =
        terrain_stats::quotas::quota_plan(&[dim("sex", &SEX), dim("age_band", &AGE)], &sex_age)
            .map_err(invalid)?;
    let plan_occ =
        terrain_stats::quotas::quota_plan(&[dim("occupation", &OCCUPATION)], &occupation)
            .map_err(invalid)?;

    // Responses so far, by cell.
    let mut done_sa = vec![0usize; plan_sa.cells.len()];
    let mut done_occ = vec![0usize; plan_occ.cells.len()];
    for r in store.responses(c, &Scope::Campaign, None).await? {
        let Some(area) = r.bureau_id.or(r.iris_id) else {
            continue;
        };
        let Some(q) = geo.territory_of.get(&TerritoryId(area)) else {
            continue;
        };
        let key = q.to_string();
        let p = &r.profile;
        if let (Some(s), Some(a)) = (&p.sex, &p.age_band)
            && let Some(i) = plan_sa.cell_index(&key, &[s.as_str(), a.as_str()])
        {
            done_sa[i] += 1;
        }
        if let Some(o) = &p.occupation
            && let Some(i) = plan_occ.cell_index(&key, &[o.as_str()])
        {
            done_occ[i] += 1;
        }
    }
    let fill_sa =
        terrain_stats::quotas::quota_fill(&plan_sa, &done_sa, progress, 1.0).map_err(invalid)?;
    let fill_occ =
        terrain_stats::quotas::quota_fill(&plan_occ, &done_occ, progress, 1.0).map_err(invalid)?;
    let status = |s: QuotaStatus| match s {
        QuotaStatus::Complete => "complete",
        QuotaStatus::OnTrack => "on_track",
        QuotaStatus::Behind => "behind",
    };
    let by_key: HashMap<String, &Territory> = geo
        .territories
        .iter()
        .map(|t| (t.id.to_string(), t))
        .collect();
    for (set, fill) in [("sex_age", &fill_sa), ("occupation", &fill_occ)] {
        for f in fill.iter() {
            let Some(t) = by_key.get(&f.territory) else {
                continue;
            };
            if !scope.covers(&t.path) {
                continue;
            }
            let (sex, age, occ, label) = if set == "sex_age" {
                let (s, a) = (&f.profile[0], &f.profile[1]);
                let label = format!(
                    "{}, {}",
                    code_label(ProfileField::Sex, s),
                    code_label(ProfileField::AgeBand, a)
                );
                (Some(s.clone()), Some(a.clone()), None, label)
            } else {
                let o = &f.profile[0];
                (
                    None,
                    None,
                    Some(o.clone()),
                    code_label(ProfileField::Occupation, o),
                )
            };
            board.cells.push(QuotaCellDto {
                territory_id: t.id.0,
                territory_code: t.code.clone(),
                territory_name: t.name.clone(),
                set: set.into(),
                sex,
                age_band: age,
                occupation: occ,
                label,
                target: f.target,
                done: f.done,
                remaining: f.remaining,
                expected_by_now: f.expected_by_now,
                shortfall: f.shortfall,
                status: status(f.status).into(),
                path: Some(t.path.clone()),
            });
        }
    }
    for (id, n) in interviews.values() {
        let Some(t) = by_key.get(&id.to_string()) else {
            continue;
        };
        if !scope.covers(&t.path) {
            continue;
        }
        let cells: Vec<&QuotaCellDto> = board
            .cells
            .iter()
            .filter(|c| c.territory_id == id.0 && c.set == "sex_age")
            .collect();
        board.territories.push(QuotaTerritoryDto {
            territory_id: id.0,
            code: t.code.clone(),
            name: t.name.clone(),
            target: *n,
            done: cells.iter().map(|c| c.done).sum(),
            expected_by_now: cells.iter().map(|c| c.expected_by_now).sum(),
            shortfall: cells.iter().map(|c| c.shortfall).sum(),
            cells_behind: cells.iter().filter(|c| c.status == "behind").count(),
        });
    }
    board.territories.sort_by(|a, b| {
        b.shortfall
            .total_cmp(&a.shortfall)
            .then(a.code.cmp(&b.code))
    });
    let mut behind: Vec<QuotaCellDto> = board
        .cells
        .iter()
        .filter(|c| c.status == "behind")
        .cloned()
        .collect();
    behind.sort_by(|a, b| {
        b.shortfall
            .total_cmp(&a.shortfall)
            .then(a.territory_code.cmp(&b.territory_code))
            .then(a.label.cmp(&b.label))
    });
    behind.truncate(GO_AFTER);
    board.go_after = behind;
    Ok(board)
}

/// The profiles still wanted in the walker's territories (or in the territories around them),
/// most urgent first: at most `limit` per territory.
pub fn wanted_near(
    board: &QuotaBoardDto,
    paths: &[TerritoryPath],
    limit: usize,
) -> Vec<QuotaCellDto> {
    let near = |p: &TerritoryPath| paths.iter().any(|w| w.contains(p) || p.contains(w));
    let mut by_territory: BTreeMap<&str, Vec<&QuotaCellDto>> = BTreeMap::new();
    for c in &board.cells {
        if c.remaining > 0 && c.path.as_ref().is_some_and(near) {
            by_territory.entry(&c.territory_code).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    for (_, mut cells) in by_territory {
        cells.sort_by(|a, b| {
            b.shortfall
                .total_cmp(&a.shortfall)
                .then(
                    (a.done as f64 / a.target.max(1) as f64)
                        .total_cmp(&(b.done as f64 / b.target.max(1) as f64)),
                )
                .then(a.label.cmp(&b.label))
        });
        out.extend(cells.into_iter().take(limit).cloned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn census_margins_of_an_iris() {
        // Round figures in the shape of an INSEE IRIS row.
        let v: HashMap<&str, f64> = [
            ("P15_FNSCOL15P", 520.0),
            ("P15_HNSCOL15P", 480.0),
            ("P15_POP1824", 100.0),
            ("P15_POP2529", 100.0),
            ("P15_POP2554", 600.0),
            ("P15_POP5564", 150.0),
            ("P15_POP30P", 800.0),
            ("C15_ACT1564", 700.0),
            ("C15_ACT1564_CS1", 0.0),
            ("C15_ACT1564_CS2", 30.0),
            ("C15_ACT1564_CS3", 250.0),
            ("C15_ACT1564_CS4", 170.0),
            ("C15_ACT1564_CS5", 150.0),
            ("C15_ACT1564_CS6", 80.0),
            ("P15_RETR1564", 40.0),
            ("P15_ETUD1564", 60.0),
            ("P15_AINACT1564", 50.0),
        ]
        .into_iter()
        .collect();
        let m = ProfileMargins::from_census(&v).unwrap();
        assert_eq!(m.sex, [520.0, 480.0]);
        // 30-54 = 600 - 100 = 500; 65+ = 800 - 500 - 150 = 150.
        assert_eq!(m.age_band, [100.0, 200.0, 300.0, 250.0, 150.0]);
        assert_eq!(
            m.occupation,
            [0.0, 30.0, 250.0, 170.0, 150.0, 80.0, 190.0, 130.0]
        );
        let mut partial = v.clone();
        partial.remove("P15_POP30P");
        assert_eq!(ProfileMargins::from_census(&partial), None);
    }

    #[test]
    fn labels_come_from_the_questionnaire_codes() {
        assert_eq!(code_label(ProfileField::Sex, "f"), "Femme");
        assert_eq!(code_label(ProfileField::AgeBand, "65+"), "65 ans et plus");
        assert_eq!(code_label(ProfileField::Occupation, "x"), "x");
    }
}
