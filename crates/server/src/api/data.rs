//! The official data of a campaign as people read it: elections, a territory's results (summed
//! over its bureaux) and census, and the map layer of bureaux or IRIS with what to colour them by.

use super::extract::{ApiPath, ApiQuery};
use crate::access::{Authorized, ReadTerritories};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use terrain_model::{TerritoryId, TerritoryKind};
use terrain_store::{BureauResults, Counts, Election, Scope};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// An election with results in the campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElectionDto {
    pub id: Uuid,
    /// `2017_pres_t1`.
    pub code: String,
    /// "Présidentielle 2017 — 1er tour".
    pub label: String,
    pub kind: String,
    pub year: i32,
    pub round: i32,
    /// Bureaux (or communes) with results.
    pub bureaux: u64,
    /// The file it was imported from.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
}

impl From<Election> for ElectionDto {
    fn from(e: Election) -> Self {
        Self {
            id: e.id,
            code: e.code,
            label: e.label,
            kind: e.kind,
            year: e.year,
            round: e.round,
            bureaux: e.bureaux,
            source: e.source,
            imported_at: e.imported_at,
        }
    }
}

/// The campaign's elections, newest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/elections", tag = "data",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<ElectionDto>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_elections(
    State(state): State<AppState>,
    auth: Authorized<ReadTerritories>,
) -> ApiResult<Json<Vec<ElectionDto>>> {
    Ok(Json(
        state
            .store
            .elections(auth.campaign.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Which election.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ElectionParam {
    /// `2017_pres_t1`; the latest election when absent.
    pub election: Option<String>,
}

/// Totals of a territory for one election.
#[derive(Debug, Default, Clone, Copy, Serialize, ToSchema)]
pub struct CountsDto {
    pub inscrits: u64,
    pub abstentions: u64,
    pub votants: u64,
    pub blancs: u64,
    pub nuls: u64,
    pub exprimes: u64,
}

impl From<Counts> for CountsDto {
    fn from(c: Counts) -> Self {
        Self {
            inscrits: c.inscrits,
            abstentions: c.abstentions,
            votants: c.votants,
            blancs: c.blancs,
            nuls: c.nuls,
            exprimes: c.exprimes,
        }
    }
}

/// A candidate's (or list's, or bloc's) votes and share of votes cast.
#[derive(Debug, Serialize, ToSchema)]
pub struct VotesDto {
    pub name: String,
    pub nuance: Option<String>,
    pub bloc: Option<String>,
    pub votes: u64,
    /// Votes / exprimés, in [0, 1].
    pub share: f64,
}

/// A territory's results for one election, summed over its bureaux.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryResultsDto {
    pub election: ElectionDto,
    /// Bureaux summed.
    pub bureaux: u64,
    pub counts: CountsDto,
    /// Abstentions / inscrits.
    pub abstention_rate: f64,
    /// By votes, most first.
    pub candidates: Vec<VotesDto>,
    /// By bloc (from the nuance → bloc table), most first.
    pub blocs: Vec<VotesDto>,
}

async fn pick_election(
    state: &AppState,
    campaign: terrain_model::CampaignId,
    code: Option<&str>,
) -> ApiResult<Election> {
    match code {
        Some(c) => Ok(state
            .store
            .election_by_code(campaign, c)
            .await
            .map_err(|e| match e {
                terrain_store::StorageError::NotFound { .. } => ApiError::not_found(
                    "election_not_found",
                    format!("no election {c} in this campaign"),
                ),
                other => other.into(),
            })?),
        None => state
            .store
            .elections(campaign)
            .await?
            .into_iter()
            .find(|e| e.bureaux > 0)
            .ok_or_else(|| {
                ApiError::not_found("election_not_found", "no election has been imported yet")
            }),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Sums bureaux: totals, candidates by name, blocs.
fn summarise(rows: &[BureauResults]) -> (Counts, Vec<VotesDto>, Vec<VotesDto>) {
    let mut total = Counts::default();
    let mut by_name: HashMap<String, (Option<String>, Option<String>, u64)> = HashMap::new();
    let mut by_bloc: BTreeMap<String, u64> = BTreeMap::new();
    for r in rows {
        total.add(&r.counts);
        for c in &r.candidates {
            let e = by_name
                .entry(c.name.clone())
                .or_insert((c.nuance.clone(), c.bloc.clone(), 0));
            e.2 += c.votes;
            *by_bloc
                .entry(c.bloc.clone().unwrap_or_else(|| "unknown".into()))
                .or_default() += c.votes;
        }
    }
    let mut candidates: Vec<VotesDto> = by_name
        .into_iter()
        .map(|(name, (nuance, bloc, votes))| VotesDto {
            name,
            nuance,
            bloc,
            votes,
            share: ratio(votes, total.exprimes),
        })
        .collect();
    candidates.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.name.cmp(&b.name)));
    let mut blocs: Vec<VotesDto> = by_bloc
        .into_iter()
        .map(|(bloc, votes)| VotesDto {
            name: bloc.clone(),
            nuance: None,
            bloc: Some(bloc),
            votes,
            share: ratio(votes, total.exprimes),
        })
        .collect();
    blocs.sort_by_key(|b| std::cmp::Reverse(b.votes));
    (total, candidates, blocs)
}

/// A territory's results for an election, summed over the bureaux inside it.
#[utoipa::path(get, path = "/campaigns/{campaign}/territories/{territory}/results", tag = "data",
    params(("campaign" = Uuid, Path), ("territory" = Uuid, Path), ElectionParam),
    responses((status = 200, body = TerritoryResultsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn territory_results(
    State(state): State<AppState>,
    auth: Authorized<ReadTerritories>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiQuery(p): ApiQuery<ElectionParam>,
) -> ApiResult<Json<TerritoryResultsDto>> {
    let c = auth.campaign.id;
    let t = state.store.territory(c, TerritoryId(path.1)).await?;
    auth.check_territory(&t)?;
    let election = pick_election(&state, c, p.election.as_deref()).await?;
    let rows = state
        .store
        .bureau_results(c, election.id, &Scope::Within(vec![t.path.clone()]))
        .await?;
    let (counts, candidates, blocs) = summarise(&rows);
    Ok(Json(TerritoryResultsDto {
        bureaux: rows.len() as u64,
        abstention_rate: ratio(counts.abstentions, counts.inscrits),
        counts: counts.into(),
        candidates,
        blocs,
        election: election.into(),
    }))
}

/// One census value.
#[derive(Debug, Serialize, ToSchema)]
pub struct CensusValueDto {
    /// The table (`recensement-2015-diplomes`, `filosofi-2015`…).
    pub source: String,
    /// INSEE's variable name (`P15_NSCOL15P_SUP`…).
    pub variable: String,
    pub value: f64,
}

/// The census values of a territory (IRIS tables).
#[utoipa::path(get, path = "/campaigns/{campaign}/territories/{territory}/census", tag = "data",
    params(("campaign" = Uuid, Path), ("territory" = Uuid, Path)),
    responses((status = 200, body = Vec<CensusValueDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn territory_census(
    State(state): State<AppState>,
    auth: Authorized<ReadTerritories>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<CensusValueDto>>> {
    let c = auth.campaign.id;
    let t = state.store.territory(c, TerritoryId(path.1)).await?;
    auth.check_territory(&t)?;
    let values = state.store.census_of(c, t.id).await?;
    Ok(Json(
        values
            .into_iter()
            .map(|(source, variable, value)| CensusValueDto {
                source,
                variable,
                value,
            })
            .collect(),
    ))
}

/// The map layer.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapParams {
    /// `bureau` (default) or `iris`.
    pub kind: Option<String>,
    /// The election whose results colour the bureaux (the latest when absent).
    pub election: Option<String>,
}

/// The shapes of the bureaux (or IRIS) inside the caller's territory as a GeoJSON
/// FeatureCollection in WGS84, each with `id`, `code`, `name` and, for bureaux, the election's
/// `inscrits`, `abstention_rate`, `leader`, `leader_share` and the share of each bloc
/// (`bloc_left`, `bloc_right`…).
#[utoipa::path(get, path = "/campaigns/{campaign}/map", tag = "data",
    params(("campaign" = Uuid, Path), MapParams),
    responses((status = 200, description = "A GeoJSON FeatureCollection", body = Object),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn map_layer(
    State(state): State<AppState>,
    auth: Authorized<ReadTerritories>,
    ApiQuery(p): ApiQuery<MapParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let c = auth.campaign.id;
    let kind = match p.kind.as_deref().unwrap_or("bureau") {
        "bureau" => TerritoryKind::Bureau,
        "iris" => TerritoryKind::Iris,
        other => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("kind {other:?}: use bureau or iris"),
            ));
        }
    };
    let shapes = state.store.shapes(c, kind, &auth.scope).await?;
    let mut results: HashMap<TerritoryId, BureauResults> = HashMap::new();
    let mut election_code = None;
    if kind == TerritoryKind::Bureau {
        let election = match pick_election(&state, c, p.election.as_deref()).await {
            Ok(e) => Some(e),
            Err(e) if p.election.is_none() && e.code == "election_not_found" => None,
            Err(e) => return Err(e),
        };
        if let Some(e) = election {
            election_code = Some(e.code.clone());
            for r in state.store.bureau_results(c, e.id, &auth.scope).await? {
                results.insert(r.territory_id, r);
            }
        }
    }
    let mut features = Vec::with_capacity(shapes.len());
    for s in shapes {
        let geometry: serde_json::Value =
            serde_json::from_str(&s.geometry).map_err(ApiError::internal)?;
        let mut props = serde_json::Map::new();
        props.insert("id".into(), s.territory_id.to_string().into());
        props.insert("code".into(), s.code.into());
        props.insert("name".into(), s.name.into());
        props.insert("valid".into(), s.valid.into());
        if let Some(r) = results.get(&s.territory_id) {
            let (counts, candidates, blocs) = summarise(std::slice::from_ref(r));
            props.insert("inscrits".into(), counts.inscrits.into());
            props.insert("exprimes".into(), counts.exprimes.into());
            props.insert(
                "abstention_rate".into(),
                ratio(counts.abstentions, counts.inscrits).into(),
            );
            if let Some(top) = candidates.first() {
                props.insert("leader".into(), top.name.clone().into());
                props.insert("leader_bloc".into(), top.bloc.clone().into());
                props.insert("leader_share".into(), top.share.into());
            }
            for b in blocs {
                props.insert(format!("bloc_{}", b.name), b.share.into());
            }
        }
        features.push(
            serde_json::json!({"type": "Feature", "geometry": geometry, "properties": props}),
        );
    }
    Ok(Json(
        serde_json::json!({"type": "FeatureCollection", "election": election_code, "features": features}),
    ))
}
