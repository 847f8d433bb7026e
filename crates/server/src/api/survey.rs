//! The survey plan: which bureaux a representative door-to-door survey goes to. The frame is
//! the bureaux inside the caller's territory, sized by registered voters, with auxiliary totals
//! from the latest election (abstention, votes by bloc) and from the IRIS census carried onto
//! bureaux through their addresses; `terrain-stats` draws a balanced (cube) and/or spatially
//! balanced sample, reports how well it reproduces every total, and allots interviews and doors.

use super::extract::{ApiJson, ApiPath};
use crate::access::{Authorized, PlanSurvey, ReadTargeting};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use terrain_model::{CampaignId, TerritoryId, TerritoryKind};
use terrain_stats::cli::{SampleMethod, SampleOptions, sample_command};
use terrain_store::{NewSurveyPlan, PlanArea, Scope, Store, SurveyPlan};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Census variables carried onto bureaux when the campaign has them (INSEE IRIS tables).
const CENSUS: [(&str, &str); 9] = [
    (
        "P15_NSCOL15P",
        "Population de 15 ans ou plus non scolarisée",
    ),
    ("P15_NSCOL15P_SUP", "… diplômée du supérieur"),
    (
        "P15_NSCOL15P_DIPLMIN",
        "… sans diplôme ou au plus le brevet",
    ),
    ("P15_ACT1564", "Actifs de 15 à 64 ans"),
    ("P15_CHOM1564", "Chômeurs de 15 à 64 ans"),
    ("C15_ACT1564_CS3", "Actifs cadres"),
    ("C15_ACT1564_CS4", "Actifs professions intermédiaires"),
    ("C15_ACT1564_CS5", "Actifs employés"),
    ("C15_ACT1564_CS6", "Actifs ouvriers"),
];

/// The French name of a bloc.
fn bloc_label(b: &str) -> &str {
    match b {
        "far_left" => "extrême gauche",
        "left" => "gauche",
        "ecologist" => "écologistes",
        "centre" => "centre",
        "right" => "droite",
        "far_right" => "extrême droite",
        "regionalist" => "régionalistes",
        "other" => "divers",
        other => other,
    }
}

/// An auxiliary total the sample can be balanced on.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameVariableDto {
    pub name: String,
    pub label: String,
    /// Its total over the frame.
    pub total: f64,
}

/// The frame a plan is drawn from.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameDto {
    pub level: String,
    /// Bureaux with results (and a shape, for spread samples).
    pub units: usize,
    pub with_position: usize,
    /// The election whose results size the bureaux.
    pub election: Option<String>,
    pub variables: Vec<FrameVariableDto>,
}

struct Frame {
    election: Option<String>,
    ids: Vec<TerritoryId>,
    codes: Vec<String>,
    position: Vec<Option<(f64, f64)>>,
    /// Variable → value per unit.
    values: BTreeMap<String, Vec<f64>>,
    labels: BTreeMap<String, String>,
}

async fn build_frame(store: &dyn Store, c: CampaignId, scope: &Scope) -> ApiResult<Frame> {
    // The election with the most bureaux (the newest among equals) sizes the frame: a second
    // round held in only some bureaux would leave the others out.
    let election = store
        .elections(c)
        .await?
        .into_iter()
        .rev()
        .filter(|e| e.bureaux > 0)
        .max_by_key(|e| e.bureaux);
    let mut frame = Frame {
        election: election.as_ref().map(|e| e.code.clone()),
        ids: vec![],
        codes: vec![],
        position: vec![],
        values: BTreeMap::new(),
        labels: BTreeMap::new(),
    };
    let Some(election) = election else {
        return Ok(frame);
    };
    let index = store.territory_index(c).await?;
    let code_of: HashMap<TerritoryId, &str> = index
        .iter()
        .filter(|(k, ..)| *k == TerritoryKind::Bureau)
        .map(|(_, code, id, _)| (*id, code.as_str()))
        .collect();
    let results = store.bureau_results(c, election.id, scope).await?;
    let centres: HashMap<TerritoryId, (f64, f64)> = store
        .shape_centres(c, TerritoryKind::Bureau)
        .await?
        .into_iter()
        .map(|(t, x, y)| (t, (x, y)))
        .collect();
    let push = |frame: &mut Frame, name: &str, label: &str, i: usize, v: f64| {
        let col = frame
            .values
            .entry(name.to_string())
            .or_insert_with(|| vec![0.0; results.len()]);
        col[i] = v;
        frame
            .labels
            .entry(name.to_string())
            .or_insert_with(|| label.to_string());
    };
    for (i, r) in results.iter().enumerate() {
        frame.ids.push(r.territory_id);
        frame.codes.push(
            code_of
                .get(&r.territory_id)
                .map_or_else(|| r.territory_id.to_string(), |c| c.to_string()),
        );
        frame.position.push(centres.get(&r.territory_id).copied());
        push(
            &mut frame,
            "inscrits",
            "Inscrits",
            i,
            r.counts.inscrits as f64,
        );
        push(
            &mut frame,
            "abstentions",
            "Abstentionnistes",
            i,
            r.counts.abstentions as f64,
        );
        for cand in &r.candidates {
            if let Some(b) = &cand.bloc {
                let name = format!("bloc_{b}");
                let current = frame.values.get(&name).map_or(0.0, |col| col[i]);
                push(
                    &mut frame,
                    &name,
                    &format!("Voix : {}", bloc_label(b)),
                    i,
                    current + cand.votes as f64,
                );
            }
        }
    }
    // The census, carried from IRIS onto bureaux in proportion to their shared addresses.
    let crosstab = store.address_crosstab(c).await?;
    if !crosstab.is_empty() {
        let vars: Vec<String> = CENSUS.iter().map(|(v, _)| v.to_string()).collect();
        let census = store.census_values(c, &vars).await?;
        let mut iris_total: HashMap<TerritoryId, u64> = HashMap::new();
        for (_, iris, n) in &crosstab {
            *iris_total.entry(*iris).or_default() += n;
        }
        let mut by_iris: HashMap<TerritoryId, Vec<(&str, f64)>> = HashMap::new();
        for (t, v, x) in &census {
            by_iris.entry(*t).or_default().push((v.as_str(), *x));
        }
        let pos: HashMap<TerritoryId, usize> =
            frame.ids.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        let labels: HashMap<&str, &str> = CENSUS.iter().copied().collect();
        for (bureau, iris, n) in &crosstab {
            let (Some(&i), Some(values), Some(&total)) =
                (pos.get(bureau), by_iris.get(iris), iris_total.get(iris))
            else {
                continue;
            };
            for (v, x) in values {
                let share = *n as f64 / total as f64;
                let current = frame.values.get(*v).map_or(0.0, |col| col[i]);
                push(
                    &mut frame,
                    v,
                    labels.get(v).copied().unwrap_or(v),
                    i,
                    current + share * x,
                );
            }
        }
    }
    Ok(frame)
}

/// The frame of a survey plan: the bureaux in the caller's territory and the totals a sample
/// can be balanced on.
#[utoipa::path(get, path = "/campaigns/{campaign}/survey-frame", tag = "survey",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = FrameDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn survey_frame(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
) -> ApiResult<Json<FrameDto>> {
    let f = build_frame(&*state.store, auth.campaign.id, &auth.scope).await?;
    Ok(Json(FrameDto {
        level: "bureau".into(),
        units: f.ids.len(),
        with_position: f.position.iter().filter(|p| p.is_some()).count(),
        election: f.election.clone(),
        variables: f
            .values
            .iter()
            .map(|(k, v)| FrameVariableDto {
                name: k.clone(),
                label: f.labels.get(k).cloned().unwrap_or_default(),
                total: v.iter().sum(),
            })
            .collect(),
    }))
}

/// A plan to draw.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPlanDto {
    pub name: String,
    /// Bureaux to draw.
    pub n: u32,
    /// Totals to balance on (names from the frame); probabilities are proportional to inscrits.
    #[serde(default)]
    pub balance: Vec<String>,
    /// Spread the sample in space (local pivotal / local cube).
    #[serde(default)]
    pub spatial: bool,
    /// Interviews to allot to the chosen bureaux (and the doors they need).
    pub interviews: Option<u32>,
    pub seed: Option<u64>,
}

/// One area of a plan, for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanAreaDto {
    pub territory_id: Uuid,
    pub code: String,
    pub name: String,
    pub inclusion_probability: f64,
    pub interviews: Option<u32>,
    pub doors: Option<u32>,
}

/// A plan with its diagnostics.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyPlanDto {
    pub id: Uuid,
    pub name: String,
    pub n: u32,
    pub seed: u64,
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
    /// Balance of every total (HT estimate against the frame's), spatial balance, respondents.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    #[serde(with = "time::serde::rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<PlanAreaDto>,
}

async fn plan_dto(state: &AppState, p: SurveyPlan) -> ApiResult<SurveyPlanDto> {
    let mut areas = Vec::new();
    if !p.fields.areas.is_empty() {
        let index = state.store.territory_index(p.campaign_id).await?;
        let names: HashMap<TerritoryId, (&str, &str)> = index
            .iter()
            .map(|(_, code, id, name)| (*id, (code.as_str(), name.as_str())))
            .collect();
        for a in &p.fields.areas {
            let (code, name) = names.get(&a.territory_id).copied().unwrap_or(("", ""));
            areas.push(PlanAreaDto {
                territory_id: a.territory_id.0,
                code: code.into(),
                name: name.into(),
                inclusion_probability: a.inclusion_probability,
                interviews: a.interviews,
                doors: a.doors,
            });
        }
        areas.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(SurveyPlanDto {
        id: p.id,
        name: p.fields.name,
        n: p.fields.n,
        seed: p.fields.seed,
        options: p.fields.options,
        report: p.fields.report,
        accepted_at: p.accepted_at,
        created_at: p.created_at,
        areas,
    })
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", msg)
}

/// Draws a plan on the frame and records it (directors).
#[utoipa::path(post, path = "/campaigns/{campaign}/survey-plans", tag = "survey",
    params(("campaign" = Uuid, Path)), request_body = NewPlanDto,
    responses((status = 201, body = SurveyPlanDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(state): State<AppState>,
    auth: Authorized<PlanSurvey>,
    ApiJson(body): ApiJson<NewPlanDto>,
) -> ApiResult<(StatusCode, Json<SurveyPlanDto>)> {
    let new = draw_plan(&*state.store, auth.campaign.id, &auth.scope, body).await?;
    let p = state
        .store
        .create_survey_plan(&auth.audit(), auth.campaign.id, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(plan_dto(&state, p).await?)))
}

/// Draws a plan on the frame of `scope` (what `POST /survey-plans` records; the demo draws
/// its plan through it too). Bad input is a 422 naming what is wrong.
pub async fn draw_plan(
    store: &dyn Store,
    campaign: CampaignId,
    scope: &Scope,
    body: NewPlanDto,
) -> ApiResult<NewSurveyPlan> {
    let f = build_frame(store, campaign, scope).await?;
    if f.ids.is_empty() {
        return Err(invalid(
            "no bureau has results yet: import an election first",
        ));
    }
    for v in &body.balance {
        if !f.values.contains_key(v) {
            return Err(invalid(format!("unknown balancing total {v:?}")));
        }
    }
    // Spread samples need a position: bureaux without a shape are left out of the frame.
    let keep: Vec<usize> = (0..f.ids.len())
        .filter(|&i| !body.spatial || f.position[i].is_some())
        .collect();
    if body.n == 0 || body.n as usize >= keep.len() {
        return Err(invalid(format!(
            "n must be between 1 and {} (the bureaux in the frame)",
            keep.len().saturating_sub(1)
        )));
    }
    let mut cols: Vec<String> = vec!["inscrits".into()];
    cols.extend(body.balance.iter().filter(|v| *v != "inscrits").cloned());
    let mut csv = String::from("id");
    for c in &cols {
        csv.push(',');
        csv.push_str(c);
    }
    csv.push_str(",lon,lat\n");
    for &i in &keep {
        csv.push_str(&f.codes[i]);
        for c in &cols {
            csv.push_str(&format!(",{}", f.values[c][i]));
        }
        let (x, y) = f.position[i].unwrap_or((0.0, 0.0));
        csv.push_str(&format!(",{x},{y}\n"));
    }
    let seed = body.seed.unwrap_or_else(|| rand::random::<u64>() >> 11);
    let options = SampleOptions {
        n: body.n as usize,
        id_column: "id".into(),
        prob: Some("inscrits".into()),
        balance: body.balance.clone(),
        spatial: body.spatial.then(|| ("lon".to_string(), "lat".to_string())),
        strata: None,
        seed,
        method: SampleMethod::Auto,
        adults: Some("inscrits".into()),
        interviews: body.interviews.map(|v| v as usize),
        response: Default::default(),
    };
    let mut out = Vec::new();
    let report =
        sample_command(&options, csv.as_bytes(), &mut out).map_err(|e| invalid(e.to_string()))?;
    let pos: HashMap<&str, TerritoryId> = f
        .codes
        .iter()
        .zip(&f.ids)
        .map(|(c, t)| (c.as_str(), *t))
        .collect();
    let text = String::from_utf8(out).map_err(ApiError::internal)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (ci, cp, cin, cd) = (
        col("id"),
        col("inclusion_probability"),
        col("interviews"),
        col("doors"),
    );
    let mut areas = Vec::new();
    for line in lines {
        let v: Vec<&str> = line.split(',').collect();
        let get = |c: Option<usize>| c.and_then(|c| v.get(c)).copied();
        let Some(t) = get(ci).and_then(|id| pos.get(id)) else {
            continue;
        };
        areas.push(PlanArea {
            territory_id: *t,
            inclusion_probability: get(cp).and_then(|x| x.parse().ok()).unwrap_or(0.0),
            interviews: get(cin).and_then(|x| x.parse().ok()),
            doors: get(cd).and_then(|x| x.parse().ok()),
        });
    }
    Ok(NewSurveyPlan {
        name: body.name,
        level: TerritoryKind::Bureau,
        n: body.n,
        seed,
        options: serde_json::json!({"balance": body.balance, "spatial": body.spatial, "interviews": body.interviews, "election": f.election}),
        report: serde_json::to_value(&report).map_err(ApiError::internal)?,
        areas,
    })
}

/// The campaign's survey plans, newest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/survey-plans", tag = "survey",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<SurveyPlanDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_plans(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
) -> ApiResult<Json<Vec<SurveyPlanDto>>> {
    let mut out = Vec::new();
    for p in state.store.survey_plans(auth.campaign.id).await? {
        out.push(plan_dto(&state, p).await?);
    }
    Ok(Json(out))
}

async fn load_plan<R>(state: &AppState, auth: &Authorized<R>, id: Uuid) -> ApiResult<SurveyPlan> {
    let p = state
        .store
        .survey_plan(auth.campaign.id, id)
        .await
        .map_err(|e| match e {
            terrain_store::StorageError::NotFound { .. } => {
                ApiError::not_found("plan_not_found", "no such survey plan")
            }
            other => other.into(),
        })?;
    // Scoped roles see a plan only when all its areas are theirs.
    if let Scope::Within(_) = auth.scope {
        for a in &p.fields.areas {
            let t = state
                .store
                .territory(auth.campaign.id, a.territory_id)
                .await?;
            auth.check_territory(&t)?;
        }
    }
    Ok(p)
}

/// One plan with its areas and diagnostics.
#[utoipa::path(get, path = "/campaigns/{campaign}/survey-plans/{plan}", tag = "survey",
    params(("campaign" = Uuid, Path), ("plan" = Uuid, Path)),
    responses((status = 200, body = SurveyPlanDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_plan(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SurveyPlanDto>> {
    let p = load_plan(&state, &auth, path.1).await?;
    Ok(Json(plan_dto(&state, p).await?))
}

/// Accepts a plan: its bureaux become the survey's areas (directors).
#[utoipa::path(post, path = "/campaigns/{campaign}/survey-plans/{plan}/accept", tag = "survey",
    params(("campaign" = Uuid, Path), ("plan" = Uuid, Path)),
    responses((status = 200, body = SurveyPlanDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "`conflict`: already accepted", body = ErrorBody)))]
pub async fn accept_plan(
    State(state): State<AppState>,
    auth: Authorized<PlanSurvey>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SurveyPlanDto>> {
    load_plan(&state, &auth, path.1).await?;
    let p = state
        .store
        .accept_survey_plan(
            &auth.audit(),
            auth.campaign.id,
            path.1,
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(plan_dto(&state, p).await?))
}
