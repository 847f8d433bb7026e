//! The territory tree: browsing it within one's scope, a node with its ancestors, adding nodes,
//! and the addresses inside a node.

use super::dto::*;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::access::{Authorized, EditTerritories, ReadAddresses, ReadTerritories};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use terrain_model::{Territory, TerritoryId};
use terrain_store::{NewTerritory, Scope, TerritoryQuery};
use uuid::Uuid;

async fn with_counts(
    state: &AppState,
    campaign: terrain_model::CampaignId,
    ts: Vec<Territory>,
) -> ApiResult<Vec<TerritoryDto>> {
    let ids: Vec<TerritoryId> = ts.iter().map(|t| t.id).collect();
    let counts = state.store.child_counts(campaign, &ids).await?;
    let count = |id: TerritoryId| counts.iter().find(|(t, _)| *t == id).map_or(0, |(_, n)| *n);
    Ok(ts
        .into_iter()
        .map(|t| {
            let n = count(t.id);
            TerritoryDto::new(t, n)
        })
        .collect())
}

/// Territories: the children of `parent`, or those matching `kind`/`q`, or (with no filter) the
/// top of the caller's territory — the roots for a director, one's own territories otherwise.
#[utoipa::path(get, path = "/campaigns/{campaign}/territories", tag = "territories",
    params(("campaign" = Uuid, Path), TerritoryListParams),
    responses((status = 200, body = Vec<TerritoryDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_territories(
    State(state): State<AppState>,
    auth: Authorized<ReadTerritories>,
    ApiQuery(p): ApiQuery<TerritoryListParams>,
) -> ApiResult<Json<Vec<TerritoryDto>>> {
    let c = auth.campaign.id;
    if p.q
        .as_deref()
        .is_some_and(|q| q.chars().any(char::is_control))
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "the search text has control characters",
        ));
    }
    let limit = p.limit.unwrap_or(500).clamp(1, 10_000);
    let offset = p.offset.unwrap_or(0);
    let within = match &auth.scope {
        Scope::Campaign => None,
        Scope::Within(paths) => Some(paths.clone()),
    };
    let ts = if let Some(parent) = p.parent {
        let parent = state.store.territory(c, TerritoryId(parent)).await?;
        auth.check_territory(&parent)?;
        state
            .store
            .territories(
                c,
                &TerritoryQuery {
                    parent: Some(parent.id),
                    kind: p.kind.map(Into::into),
                    search: p.q,
                    limit,
                    offset,
                    ..Default::default()
                },
            )
            .await?
    } else if p.kind.is_some() || p.q.is_some() {
        state
            .store
            .territories(
                c,
                &TerritoryQuery {
                    kind: p.kind.map(Into::into),
                    search: p.q,
                    within,
                    limit,
                    offset,
                    ..Default::default()
                },
            )
            .await?
    } else if within.is_none() {
        state
            .store
            .territories(
                c,
                &TerritoryQuery {
                    roots_only: true,
                    limit,
                    offset,
                    ..Default::default()
                },
            )
            .await?
    } else {
        let mut mine = Vec::new();
        for t in &auth.territories {
            mine.push(state.store.territory(c, t.id).await?);
        }
        mine
    };
    Ok(Json(with_counts(&state, c, ts).await?))
}

/// One territory, with its ancestors for breadcrumbs.
#[utoipa::path(get, path = "/campaigns/{campaign}/territories/{territory}", tag = "territories",
    params(("campaign" = Uuid, Path), ("territory" = Uuid, Path)),
    responses((status = 200, body = TerritoryDetailDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_territory(
    State(state): State<AppState>,
    auth: Authorized<ReadTerritories>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<TerritoryDetailDto>> {
    let c = auth.campaign.id;
    let t = state.store.territory(c, TerritoryId(path.1)).await?;
    auth.check_territory(&t)?;
    let mut ancestors = Vec::new();
    let mut next = t.parent_id;
    while let Some(pid) = next {
        let p = state.store.territory(c, pid).await?;
        next = p.parent_id;
        ancestors.push(p);
    }
    ancestors.reverse();
    let mut all = with_counts(&state, c, vec![t]).await?;
    let territory = all
        .pop()
        .ok_or_else(|| ApiError::internal("territory vanished"))?;
    Ok(Json(TerritoryDetailDto {
        territory,
        ancestors: with_counts(&state, c, ancestors).await?,
    }))
}

/// Adds or renames territories, parents before children, all or nothing (directors).
#[utoipa::path(post, path = "/campaigns/{campaign}/territories", tag = "territories",
    params(("campaign" = Uuid, Path)), request_body = Vec<NewTerritoryDto>,
    responses((status = 200, body = Vec<TerritoryDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upsert_territories(
    State(state): State<AppState>,
    auth: Authorized<EditTerritories>,
    ApiJson(items): ApiJson<Vec<NewTerritoryDto>>,
) -> ApiResult<Json<Vec<TerritoryDto>>> {
    if items.len() > 10_000 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "send at most 10,000 territories per request",
        ));
    }
    let mut batch = Vec::with_capacity(items.len());
    for i in items {
        let parent = match (i.parent_kind, i.parent_code) {
            (Some(k), Some(code)) => Some((k.into(), code)),
            (None, None) => None,
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    format!(
                        "{}: give both parent_kind and parent_code, or neither",
                        i.code
                    ),
                ));
            }
        };
        batch.push(NewTerritory {
            kind: i.kind.into(),
            code: i.code,
            name: i.name,
            parent,
        });
    }
    let ts = state
        .store
        .upsert_territories(&auth.audit(), auth.campaign.id, &batch)
        .await?;
    Ok(Json(with_counts(&state, auth.campaign.id, ts).await?))
}

/// The addresses (stops) inside a territory, by street and number.
#[utoipa::path(get, path = "/campaigns/{campaign}/territories/{territory}/addresses", tag = "territories",
    params(("campaign" = Uuid, Path), ("territory" = Uuid, Path), PageParams),
    responses((status = 200, body = Vec<AddressDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_addresses(
    State(state): State<AppState>,
    auth: Authorized<ReadAddresses>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<Vec<AddressDto>>> {
    let c = auth.campaign.id;
    let t = state.store.territory(c, TerritoryId(path.1)).await?;
    auth.check_territory(&t)?;
    let list = state
        .store
        .addresses_within(c, &t.path, p.limit.unwrap_or(500), p.offset.unwrap_or(0))
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}
