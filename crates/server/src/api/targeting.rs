//! Targeting on the dashboard: LMP's baseline potential of each bureau inside the caller's
//! territory (PO = abstentions/inscrits × bloc votes/exprimés of a reference election), its
//! rank, its red / orange / yellow class, the bureaux a door budget buys and what they are
//! expected to yield — as JSON for the page, CSV and GeoJSON for export. The arithmetic is
//! `terrain-targeting`'s.

use super::extract::ApiQuery;
use crate::access::{Authorized, ReadTargeting};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use terrain_model::{BureauId, TerritoryKind};
use terrain_targeting::plan::{ClassOptions, Split, classify, plan_yield, select};
use terrain_targeting::{BudgetOptions, Density, PlanUnit, PlanYield, YieldParams};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What to compute.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetingParams {
    /// Reference election (`2017_pres_t2`); the latest when absent.
    pub election: Option<String>,
    /// Blocs counted, comma-separated (`left,ecologist`); default `left`.
    pub blocs: Option<String>,
    /// Doors the plan may knock; 0 (default) ranks without choosing.
    pub budget_doors: Option<f64>,
    /// Quantiles of the classes (defaults 0.9, 0.7, 0.5).
    pub red: Option<f64>,
    pub orange: Option<f64>,
    pub yellow: Option<f64>,
    /// Share of doors that open (default 0.48).
    pub open_rate: Option<f64>,
}

/// One bureau's potential.
#[derive(Debug, Serialize, ToSchema)]
pub struct BureauTargetDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub inscrits: u64,
    pub abstention_rate: f64,
    /// The blocs' share of votes cast.
    pub bloc_share: f64,
    /// LMP's potential rate PO.
    pub po: f64,
    /// inscrits × PO: the bloc-leaning abstainers.
    pub count: f64,
    /// inscrits / 1.4.
    pub doors: f64,
    /// 1 = highest potential.
    pub rank: usize,
    /// `red`, `orange`, `yellow` or `none`.
    pub class: String,
    /// In the plan under the budget.
    pub selected: bool,
}

/// The ranking, the plan and its yield.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetingDto {
    pub election: String,
    pub blocs: Vec<String>,
    pub budget_doors: f64,
    /// By rank.
    pub bureaux: Vec<BureauTargetDto>,
    #[schema(value_type = Object)]
    pub plan: PlanYield,
    /// Bureaux per class.
    pub classes: HashMap<String, usize>,
}

/// The ranking and plan of the bureaux inside `scope` (shared with the experiments).
pub(crate) async fn compute_in(
    state: &AppState,
    c: terrain_model::CampaignId,
    scope: &terrain_store::Scope,
    p: &TargetingParams,
) -> ApiResult<TargetingDto> {
    let blocs: BTreeSet<String> = p
        .blocs
        .as_deref()
        .unwrap_or("left")
        .split(',')
        .map(|b| b.trim().to_ascii_lowercase())
        .filter(|b| !b.is_empty())
        .collect();
    for b in &blocs {
        b.parse::<terrain_model::Bloc>()
            .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    }
    let election = match p.election.as_deref() {
        Some(code) => state
            .store
            .election_by_code(c, code)
            .await
            .map_err(|e| match e {
                terrain_store::StorageError::NotFound { .. } => ApiError::not_found(
                    "election_not_found",
                    format!("no election {code} in this campaign"),
                ),
                other => other.into(),
            })?,
        None => state
            .store
            .elections(c)
            .await?
            .into_iter()
            .find(|e| e.bureaux > 0)
            .ok_or_else(|| {
                ApiError::not_found("election_not_found", "no election has been imported yet")
            })?,
    };
    let budget = p.budget_doors.unwrap_or(0.0);
    if !budget.is_finite() || budget < 0.0 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "budget_doors must be a number ≥ 0",
        ));
    }
    let rows = state.store.bureau_results(c, election.id, scope).await?;
    let index = state.store.territory_index(c).await?;
    let names: HashMap<terrain_model::TerritoryId, (&str, &str)> = index
        .iter()
        .filter(|(k, ..)| *k == TerritoryKind::Bureau)
        .map(|(_, code, id, name)| (*id, (code.as_str(), name.as_str())))
        .collect();
    // Dense areas (≈ 25 doors an hour, against 15 in suburbs): Paris, Lyon, Marseille and
    // communes of at least 20,000 registered voters, as terrain-targeting counts them.
    let mut commune_inscrits: HashMap<String, u64> = HashMap::new();
    for r in &rows {
        if let Some((code, _)) = names.get(&r.territory_id) {
            *commune_inscrits.entry(code[..5].to_string()).or_default() += r.counts.inscrits;
        }
    }
    let mut units = Vec::with_capacity(rows.len());
    let mut info = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(&(code, name)) = names.get(&r.territory_id) else {
            continue;
        };
        let Ok(bureau) = BureauId::parse(code) else {
            continue;
        };
        let k = &r.counts;
        let bloc: u64 = r
            .candidates
            .iter()
            .filter(|c| c.bloc.as_ref().is_some_and(|b| blocs.contains(b)))
            .map(|c| c.votes)
            .sum();
        let abst = if k.inscrits > 0 {
            k.abstentions as f64 / k.inscrits as f64
        } else {
            0.0
        };
        let share = if k.exprimes > 0 {
            bloc as f64 / k.exprimes as f64
        } else {
            0.0
        };
        let dense = bureau.commune().is_plm_city()
            || commune_inscrits.get(&code[..5]).copied().unwrap_or(0) >= 20_000;
        units.push(PlanUnit {
            bureau,
            territory: "scope".into(),
            inscrits: k.inscrits as f64,
            score: abst * share,
            density: if dense {
                Density::Dense
            } else {
                Density::Suburban
            },
        });
        info.push((
            r.territory_id,
            code.to_string(),
            name.to_string(),
            k.inscrits,
            abst,
            share,
        ));
    }
    let err = |e: terrain_targeting::TargetingError| {
        ApiError::bad_request("invalid_query", e.to_string())
    };
    let budget_opts = BudgetOptions {
        budget_doors: budget,
        split: Split::National,
        ..BudgetOptions::default()
    };
    let selection = select(&units, &budget_opts).map_err(err)?;
    let mut class_opts = ClassOptions::default();
    class_opts.red = p.red.unwrap_or(class_opts.red);
    class_opts.orange = p.orange.unwrap_or(class_opts.orange);
    class_opts.yellow = p.yellow.unwrap_or(class_opts.yellow);
    let classes = classify(&units, &class_opts).map_err(err)?;
    let mut yp = YieldParams::default();
    if let Some(o) = p.open_rate {
        yp.open_rate = o;
    }
    let plan = plan_yield(&units, &selection.selected, &yp).map_err(err)?;
    let mut bureaux: Vec<BureauTargetDto> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (id, code, name, inscrits, abst, share) = &info[i];
            BureauTargetDto {
                id: id.0,
                code: code.clone(),
                name: name.clone(),
                inscrits: *inscrits,
                abstention_rate: *abst,
                bloc_share: *share,
                po: u.score,
                count: u.count(),
                doors: u.inscrits / yp.electors_per_door,
                rank: selection.rank[i],
                class: classes[i].as_str().to_string(),
                selected: selection.selected[i],
            }
        })
        .collect();
    bureaux.sort_by_key(|b| b.rank);
    let mut per_class: HashMap<String, usize> = HashMap::new();
    for b in &bureaux {
        *per_class.entry(b.class.clone()).or_default() += 1;
    }
    Ok(TargetingDto {
        election: election.code,
        blocs: blocs.into_iter().collect(),
        budget_doors: budget,
        bureaux,
        plan,
        classes: per_class,
    })
}

async fn compute(
    state: &AppState,
    auth: &Authorized<ReadTargeting>,
    p: &TargetingParams,
) -> ApiResult<TargetingDto> {
    compute_in(state, auth.campaign.id, &auth.scope, p).await
}

/// The bureaux inside the caller's territory ranked by LMP's potential, with their classes and
/// the plan a door budget buys.
#[utoipa::path(get, path = "/campaigns/{campaign}/targeting", tag = "targeting",
    params(("campaign" = Uuid, Path), TargetingParams),
    responses((status = 200, body = TargetingDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn targeting(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
    ApiQuery(p): ApiQuery<TargetingParams>,
) -> ApiResult<Json<TargetingDto>> {
    Ok(Json(compute(&state, &auth, &p).await?))
}

/// The same as CSV (`;`-separated, one row per bureau, by rank), to open in a spreadsheet.
#[utoipa::path(get, path = "/campaigns/{campaign}/targeting.csv", tag = "targeting",
    params(("campaign" = Uuid, Path), TargetingParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn targeting_csv(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
    ApiQuery(p): ApiQuery<TargetingParams>,
) -> ApiResult<Response> {
    let t = compute(&state, &auth, &p).await?;
    let mut out = String::from(
        "rang;bureau;nom;inscrits;abstention;part_bloc;po;abstentionnistes_du_bloc;portes;classe;retenu\n",
    );
    for b in &t.bureaux {
        // Names come from imported files: neutralise spreadsheet formulas.
        let name = b.name.replace(';', ",");
        let name = if name.starts_with(['=', '+', '-', '@']) {
            format!("'{name}")
        } else {
            name
        };
        out.push_str(&format!(
            "{};{};{};{};{:.4};{:.4};{:.6};{:.1};{:.1};{};{}\n",
            b.rank,
            b.code,
            name,
            b.inscrits,
            b.abstention_rate,
            b.bloc_share,
            b.po,
            b.count,
            b.doors,
            b.class,
            if b.selected { "oui" } else { "non" }
        ));
    }
    let file = format!("ciblage-{}-{}.csv", auth.campaign.slug, t.election);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        out,
    )
        .into_response())
}

/// The same as GeoJSON: the bureaux' shapes with their potential, class and selection.
#[utoipa::path(get, path = "/campaigns/{campaign}/targeting.geojson", tag = "targeting",
    params(("campaign" = Uuid, Path), TargetingParams),
    responses((status = 200, description = "GeoJSON", content_type = "application/geo+json"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn targeting_geojson(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
    ApiQuery(p): ApiQuery<TargetingParams>,
) -> ApiResult<Response> {
    let t = compute(&state, &auth, &p).await?;
    let by_id: HashMap<Uuid, &BureauTargetDto> = t.bureaux.iter().map(|b| (b.id, b)).collect();
    let shapes = state
        .store
        .shapes(auth.campaign.id, TerritoryKind::Bureau, &auth.scope)
        .await?;
    let mut features = Vec::new();
    for s in shapes {
        let Some(b) = by_id.get(&s.territory_id.0) else {
            continue;
        };
        let geometry: serde_json::Value =
            serde_json::from_str(&s.geometry).map_err(ApiError::internal)?;
        features
            .push(serde_json::json!({"type": "Feature", "geometry": geometry, "properties": b}));
    }
    let body = serde_json::json!({"type": "FeatureCollection", "election": t.election, "blocs": t.blocs, "features": features}).to_string();
    let file = format!("ciblage-{}-{}.geojson", auth.campaign.slug, t.election);
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}
