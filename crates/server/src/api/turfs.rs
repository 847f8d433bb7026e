//! Turfs on the API: cut the bureaux of a territory into turfs of a target size, list them
//! with their quality and draw them (GeoJSON: hulls, routes, numbered stops), edit them (move
//! stops, split, merge, redraw a polygon), hand them out with an expiry, release them, mark
//! them done, and print a turf's walk sheet. Every turf is checked against the caller's
//! territory; the computing is in [`super::turf_plan`].

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::turf_plan::{BureauCut, CutOptions, Edit, TurfError, cut_bureaux, edit_bureau};
use super::walk_sheet;
use crate::access::{AssignTurfs, Authorized, EditTurfs, ReadTurfs};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_geo::edit::EditError;
use terrain_model::{
    AddressId, Role, SortieId, Territory, TerritoryId, TerritoryKind, TurfId, UserId,
};
use terrain_store::{
    Member, NewCheckout, PlanVersion, Scope, StorageError, StreetNetworkInfo, Turf, TurfQuery,
    TurfStop,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The most bureaux one request cuts (an arrondissement has ~70, a large city ~900).
pub const MAX_BUREAUX_PER_CUT: usize = 400;
/// The longest hand-out: two weeks.
pub const MAX_CHECKOUT_HOURS: f64 = 336.0;

impl From<TurfError> for ApiError {
    fn from(e: TurfError) -> Self {
        match e {
            TurfError::Storage(s) => s.into(),
            TurfError::Edit(EditError::Locked(_)) => ApiError::new(
                StatusCode::CONFLICT,
                "turf_locked",
                "this turf is handed out or done: release it before editing it",
            ),
            TurfError::Edit(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_edit",
                e.to_string(),
            ),
            TurfError::Options(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", m)
            }
            TurfError::NoStops(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_addresses",
                e.to_string(),
            ),
            TurfError::NotInPlan(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_edit", m)
            }
            TurfError::Network(_) | TurfError::Task(_) => ApiError::internal(e),
        }
    }
}

/// A turf's hand-out.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutDto {
    pub to_user: Option<Uuid>,
    /// The person's display name.
    pub to_name: Option<String>,
    pub team: Option<String>,
    /// The canvassing session it was handed to.
    pub session_id: Option<Uuid>,
    pub by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The expiry passed: the turf is free again.
    pub lapsed: bool,
}

/// A turf.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurfDto {
    pub id: Uuid,
    pub bureau_id: Uuid,
    pub bureau_code: String,
    pub bureau_name: String,
    /// 1, 2, 3… within the bureau.
    pub number: u32,
    /// "Bureau 18-01 · secteur 3".
    pub label: String,
    /// `planned`, `checked_out`, `done` or `retired`, now (a lapsed hand-out is `planned`).
    pub status: String,
    pub stops: u32,
    pub doors: u64,
    /// Metres walked (on the streets when `on_network`, else straight lines).
    pub length_m: f64,
    /// Estimated session length.
    pub minutes: f64,
    pub on_network: bool,
    /// Polsby–Popper of its convex hull (1 = a disc; none below 3 stops).
    pub polsby_popper: Option<f64>,
    /// Bumped whenever its stops or their order change (a printed sheet names it).
    pub revision: u32,
    pub checkout: Option<CheckoutDto>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub done_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

fn names_of(members: &[Member]) -> HashMap<UserId, String> {
    members
        .iter()
        .map(|m| (m.user.id, m.user.display_name.clone()))
        .collect()
}

impl TurfDto {
    fn new(t: Turf, names: &HashMap<UserId, String>, now: OffsetDateTime) -> Self {
        let status = t.effective_status(now);
        let checkout = t.checkout.map(|c| CheckoutDto {
            to_user: c.to_user.map(|u| u.0),
            to_name: c.to_user.and_then(|u| names.get(&u).cloned()),
            team: c.team,
            session_id: c.session_id,
            by: c.by.map(|u| u.0),
            at: c.at,
            lapsed: c.expires_at <= now,
            expires_at: c.expires_at,
        });
        Self {
            id: t.id.0,
            bureau_id: t.bureau_id.0,
            label: format!("{} · secteur {}", t.bureau_name, t.number),
            bureau_code: t.bureau_code,
            bureau_name: t.bureau_name,
            number: t.number,
            status: status.as_str().into(),
            stops: t.stops,
            doors: t.doors,
            length_m: t.length_m,
            minutes: t.minutes,
            on_network: t.on_network,
            polsby_popper: t.polsby_popper,
            revision: t.revision,
            checkout,
            done_at: t.done_at,
            updated_at: t.updated_at,
        }
    }
}

/// The current version of a bureau's turfs.
#[derive(Debug, Serialize, ToSchema)]
pub struct BureauPlanDto {
    pub bureau_id: Uuid,
    pub code: String,
    pub name: String,
    pub version: u32,
    /// `cut`, `recut`, `move`, `split`, `merge` or `redraw`.
    pub kind: String,
    /// Target doors, method, walking parameters (and the edit, for an edit).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// Doors per turf (mean, sd, min, max), Polsby–Popper (mean, 10th percentile), RMS
    /// radius, hull overlap, street segments split.
    #[schema(value_type = Object)]
    pub quality: serde_json::Value,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The campaign's street network.
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkDto {
    pub source: String,
    pub nodes: u64,
    pub edges: u64,
    pub length_km: f64,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
}

impl From<StreetNetworkInfo> for NetworkDto {
    fn from(n: StreetNetworkInfo) -> Self {
        Self {
            source: n.source,
            nodes: n.nodes,
            edges: n.edges,
            length_km: n.length_km,
            imported_at: n.imported_at,
        }
    }
}

/// Turfs, the versions they come from, and the street network used.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurfListDto {
    pub turfs: Vec<TurfDto>,
    pub bureaux: Vec<BureauPlanDto>,
    /// `null` when no OpenStreetMap network was imported (walks are straight lines × 1.3).
    pub network: Option<NetworkDto>,
}

/// Which turfs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TurfListParams {
    /// Only those inside this territory (a bureau, an arrondissement…); the caller's whole
    /// territory when absent.
    pub territory: Option<Uuid>,
    /// Only those handed to this canvassing session.
    pub session: Option<Uuid>,
    /// GeoJSON: include the stops (points, numbered in walking order) and the routes.
    pub stops: Option<bool>,
}

/// The scope of a list: the territory asked for (checked), or the caller's.
async fn list_scope<R>(
    state: &AppState,
    auth: &Authorized<R>,
    territory: Option<Uuid>,
) -> ApiResult<(Scope, Option<Territory>)> {
    match territory {
        None => Ok((auth.scope.clone(), None)),
        Some(id) => {
            let t = state
                .store
                .territory(auth.campaign.id, TerritoryId(id))
                .await?;
            auth.check_territory(&t)?;
            Ok((Scope::Within(vec![t.path.clone()]), Some(t)))
        }
    }
}

fn plan_dto(v: PlanVersion, names: &HashMap<TerritoryId, (String, String)>) -> BureauPlanDto {
    let (code, name) = names.get(&v.bureau_id).cloned().unwrap_or_default();
    BureauPlanDto {
        bureau_id: v.bureau_id.0,
        code,
        name,
        version: v.version,
        kind: v.kind.as_str().into(),
        params: v.params,
        quality: v.quality,
        summary: v.summary,
        created_at: v.created_at,
    }
}

async fn turf_list(
    state: &AppState,
    campaign: terrain_model::CampaignId,
    q: &TurfQuery,
) -> ApiResult<TurfListDto> {
    let now = OffsetDateTime::now_utc();
    let turfs = state.store.turfs(campaign, q).await?;
    let members = state.store.members(campaign, &Scope::Campaign).await?;
    let names = names_of(&members);
    let bureau_names: HashMap<TerritoryId, (String, String)> = turfs
        .iter()
        .map(|t| (t.bureau_id, (t.bureau_code.clone(), t.bureau_name.clone())))
        .collect();
    let plans = state
        .store
        .current_turf_plans(campaign, &q.within)
        .await?
        .into_iter()
        .filter(|p| bureau_names.contains_key(&p.bureau_id))
        .map(|p| plan_dto(p, &bureau_names))
        .collect();
    Ok(TurfListDto {
        turfs: turfs
            .into_iter()
            .map(|t| TurfDto::new(t, &names, now))
            .collect(),
        bureaux: plans,
        network: state
            .store
            .street_network_info(campaign)
            .await?
            .map(Into::into),
    })
}

/// The turfs inside the caller's territory (or inside `territory`), with the quality of each
/// bureau's current version.
#[utoipa::path(get, path = "/campaigns/{campaign}/turfs", tag = "turfs",
    params(("campaign" = Uuid, Path), TurfListParams),
    responses((status = 200, body = TurfListDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_turfs(
    State(state): State<AppState>,
    auth: Authorized<ReadTurfs>,
    ApiQuery(p): ApiQuery<TurfListParams>,
) -> ApiResult<Json<TurfListDto>> {
    let (within, _) = list_scope(&state, &auth, p.territory).await?;
    let q = TurfQuery {
        session: p.session,
        ..TurfQuery::within(within)
    };
    Ok(Json(turf_list(&state, auth.campaign.id, &q).await?))
}

/// The turfs as a GeoJSON FeatureCollection in WGS84: each turf's hull (`kind: turf`, with
/// `id`, `number`, `label`, `status`, `doors`, `stops`); with `stops=true`, each turf's route
/// (`kind: route`, a line through its stops in walking order) and its stops (`kind: stop`,
/// with `turf_id`, `position`, `doors`, `label`, `address_id`, `visited`).
#[utoipa::path(get, path = "/campaigns/{campaign}/turfs.geojson", tag = "turfs",
    params(("campaign" = Uuid, Path), TurfListParams),
    responses((status = 200, description = "A GeoJSON FeatureCollection", body = Object),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn turfs_geojson(
    State(state): State<AppState>,
    auth: Authorized<ReadTurfs>,
    ApiQuery(p): ApiQuery<TurfListParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let c = auth.campaign.id;
    let now = OffsetDateTime::now_utc();
    let (within, _) = list_scope(&state, &auth, p.territory).await?;
    let q = TurfQuery {
        session: p.session,
        ..TurfQuery::within(within)
    };
    let turfs = state.store.turfs(c, &q).await?;
    let mut features = Vec::with_capacity(turfs.len() * 2);
    for t in &turfs {
        let Some(hull) = &t.hull else { continue };
        let geometry: serde_json::Value = serde_json::from_str(hull).map_err(ApiError::internal)?;
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "kind": "turf", "id": t.id, "bureau_id": t.bureau_id, "number": t.number,
                "label": format!("{} · secteur {}", t.bureau_name, t.number),
                "status": t.effective_status(now).as_str(), "doors": t.doors, "stops": t.stops,
            }
        }));
    }
    if p.stops.unwrap_or(false) {
        let points = state.store.stop_points(c, &q).await?;
        let mut routes: Vec<(TurfId, Vec<[f64; 2]>)> = Vec::new();
        for s in &points {
            match routes.last_mut() {
                Some((t, line)) if *t == s.turf_id => line.push([s.lon, s.lat]),
                _ => routes.push((s.turf_id, vec![[s.lon, s.lat]])),
            }
        }
        for (t, line) in routes.into_iter().filter(|(_, l)| l.len() > 1) {
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {"kind": "route", "turf_id": t}
            }));
        }
        for s in points {
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {
                    "kind": "stop", "turf_id": s.turf_id, "address_id": s.address_id,
                    "position": s.position, "doors": s.doors, "label": s.label, "visited": s.visited,
                }
            }));
        }
    }
    Ok(Json(
        serde_json::json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// What to cut.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CutRequest {
    /// A bureau, or a territory whose bureaux are all cut (each its own version).
    pub territory: Uuid,
    /// Target doors, method, walking parameters (all optional).
    #[serde(flatten)]
    pub options: CutOptions,
}

/// What a cut did, bureau by bureau.
#[derive(Debug, Serialize, ToSchema)]
pub struct CutResultDto {
    pub bureaux: Vec<BureauCut>,
    /// Turfs made or kept in the bureaux cut.
    pub turfs: usize,
    /// Whether walks follow the campaign's street network.
    pub on_network: bool,
}

/// Cuts the bureaux of a territory (or one bureau) into turfs of about `target_doors` doors,
/// each with its walking order. A bureau already cut is re-cut: its turfs handed out or done
/// are kept as they are, and so is every visited stop's turf.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/cut", tag = "turfs",
    params(("campaign" = Uuid, Path)), request_body = CutRequest,
    responses((status = 200, body = CutResultDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, description = "`invalid_input`, `no_addresses`", body = ErrorBody)))]
pub async fn cut_turfs(
    State(state): State<AppState>,
    auth: Authorized<EditTurfs>,
    ApiJson(req): ApiJson<CutRequest>,
) -> ApiResult<Json<CutResultDto>> {
    let c = auth.campaign.id;
    let t = state.store.territory(c, TerritoryId(req.territory)).await?;
    auth.check_territory(&t)?;
    req.options.check()?;
    let bureaux = if t.kind == TerritoryKind::Bureau {
        vec![t.clone()]
    } else {
        state
            .store
            .territories(
                c,
                &terrain_store::TerritoryQuery {
                    kind: Some(TerritoryKind::Bureau),
                    within: Some(vec![t.path.clone()]),
                    limit: (MAX_BUREAUX_PER_CUT + 1) as u32,
                    ..Default::default()
                },
            )
            .await?
    };
    if bureaux.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_addresses",
            format!("{} has no bureau de vote to cut", t.name),
        ));
    }
    if bureaux.len() > MAX_BUREAUX_PER_CUT {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!(
                "{} has more than {MAX_BUREAUX_PER_CUT} bureaux: cut it one commune or arrondissement at a time",
                t.name
            ),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let result = cut_bureaux(&*state.store, &auth.audit(), c, &bureaux, &req.options, now).await?;
    if result.iter().all(|b| b.outcome == "skipped") && bureaux.len() == 1 {
        let reason = result[0].reason.clone().unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_addresses",
            reason,
        ));
    }
    let on_network = state.store.street_network_info(c).await?.is_some();
    Ok(Json(CutResultDto {
        turfs: result.iter().map(|b| b.turfs).sum(),
        bureaux: result,
        on_network,
    }))
}

/// The bureau's turfs after an edit.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditResultDto {
    pub version: u32,
    pub kind: String,
    /// The bureau's quality measures after the edit.
    #[schema(value_type = Object)]
    pub quality: serde_json::Value,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// The bureau's turfs now.
    pub turfs: Vec<TurfDto>,
}

/// A turf of the campaign inside the caller's territory.
async fn scoped_turf<R>(state: &AppState, auth: &Authorized<R>, id: Uuid) -> ApiResult<Turf> {
    let t = state.store.turf(auth.campaign.id, TurfId(id)).await?;
    auth.check_path(&t.bureau_path, &format!("bureau {}", t.bureau_code))?;
    Ok(t)
}

async fn edit<R>(
    state: &AppState,
    auth: &Authorized<R>,
    bureau: TerritoryId,
    e: Edit,
) -> ApiResult<Json<EditResultDto>> {
    let c = auth.campaign.id;
    let now = OffsetDateTime::now_utc();
    let (v, quality) = edit_bureau(&*state.store, &auth.audit(), c, bureau, e, now).await?;
    let members = state.store.members(c, &Scope::Campaign).await?;
    let names = names_of(&members);
    let turfs = state
        .store
        .turfs(
            c,
            &TurfQuery {
                bureau: Some(bureau),
                ..TurfQuery::within(Scope::Campaign)
            },
        )
        .await?;
    Ok(Json(EditResultDto {
        version: v.version,
        kind: v.kind.as_str().into(),
        quality: serde_json::to_value(quality).unwrap_or_default(),
        summary: v.summary,
        turfs: turfs
            .into_iter()
            .map(|t| TurfDto::new(t, &names, now))
            .collect(),
    }))
}

/// Stops to move.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveRequest {
    /// The addresses (stops) to move; they must be in the target turf's bureau.
    pub stops: Vec<Uuid>,
    /// The turf they go to.
    pub to: Uuid,
}

/// Moves stops to another turf of the same bureau; both turfs are walked again.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/move", tag = "turfs",
    params(("campaign" = Uuid, Path)), request_body = MoveRequest,
    responses((status = 200, body = EditResultDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`turf_locked` (handed out or done), `turf_plan_changed` (edited meanwhile)", body = ErrorBody),
              (status = 422, description = "`invalid_edit`", body = ErrorBody)))]
pub async fn move_stops(
    State(state): State<AppState>,
    auth: Authorized<EditTurfs>,
    ApiJson(req): ApiJson<MoveRequest>,
) -> ApiResult<Json<EditResultDto>> {
    if req.stops.is_empty() || req.stops.len() > 5000 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "name between 1 and 5,000 stops to move",
        ));
    }
    let to = scoped_turf(&state, &auth, req.to).await?;
    let e = Edit::Move {
        stops: req.stops.into_iter().map(AddressId).collect(),
        to: to.id,
    };
    edit(&state, &auth, to.bureau_id, e).await
}

/// A polygon to redraw.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedrawRequest {
    /// The polygon, `[lon, lat]` points (at least 3; closing it is optional).
    pub ring: Vec<[f64; 2]>,
    /// The turf that takes the stops inside; a new turf when absent.
    pub to: Option<Uuid>,
    /// The bureau, when `to` is absent.
    pub bureau: Option<Uuid>,
}

/// "Redraws" a turf: the stops inside the polygon go to `to` (or a new turf). Stops of turfs
/// handed out or done, and of other bureaux, stay where they are.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/redraw", tag = "turfs",
    params(("campaign" = Uuid, Path)), request_body = RedrawRequest,
    responses((status = 200, body = EditResultDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn redraw_turf(
    State(state): State<AppState>,
    auth: Authorized<EditTurfs>,
    ApiJson(req): ApiJson<RedrawRequest>,
) -> ApiResult<Json<EditResultDto>> {
    if req.ring.len() < 3 || req.ring.len() > 1000 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "the polygon needs between 3 and 1,000 points",
        ));
    }
    let (bureau, to) = match (req.to, req.bureau) {
        (Some(to), _) => {
            let t = scoped_turf(&state, &auth, to).await?;
            (t.bureau_id, Some(t.id))
        }
        (None, Some(b)) => {
            let b = state
                .store
                .territory(auth.campaign.id, TerritoryId(b))
                .await?;
            auth.check_territory(&b)?;
            (b.id, None)
        }
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "name the turf (`to`) or the bureau (`bureau`)",
            ));
        }
    };
    edit(&state, &auth, bureau, Edit::Redraw { ring: req.ring, to }).await
}

/// A turf.
#[utoipa::path(get, path = "/campaigns/{campaign}/turfs/{turf}", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)),
    responses((status = 200, body = TurfDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_turf(
    State(state): State<AppState>,
    auth: Authorized<ReadTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<TurfDto>> {
    let t = scoped_turf(&state, &auth, path.1).await?;
    let members = state
        .store
        .members(auth.campaign.id, &Scope::Campaign)
        .await?;
    Ok(Json(TurfDto::new(
        t,
        &names_of(&members),
        OffsetDateTime::now_utc(),
    )))
}

/// A door of a building: a named unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDto {
    pub id: Uuid,
    pub floor: Option<i32>,
    pub label: String,
}

/// A building of a stop.
#[derive(Debug, Serialize, ToSchema)]
pub struct StopBuildingDto {
    pub id: Uuid,
    /// `Bât. A`, empty for the only building of an address.
    pub label: String,
    pub doors: u32,
    pub units: Vec<UnitDto>,
}

/// A stop of a turf, in walking order.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurfStopDto {
    pub position: u32,
    pub address_id: Uuid,
    /// `12 bis Rue Ordener`.
    pub label: String,
    pub lon: f64,
    pub lat: f64,
    pub doors: u32,
    pub visited: bool,
    pub buildings: Vec<StopBuildingDto>,
}

impl From<TurfStop> for TurfStopDto {
    fn from(s: TurfStop) -> Self {
        Self {
            position: s.position,
            address_id: s.address.id.0,
            label: s.address.label(),
            lon: s.address.fields.lon,
            lat: s.address.fields.lat,
            doors: s.doors,
            visited: s.visited_at.is_some(),
            buildings: s
                .buildings
                .into_iter()
                .map(|b| StopBuildingDto {
                    id: b.building.id.0,
                    label: b.building.label,
                    doors: b.building.doors,
                    units: b
                        .units
                        .into_iter()
                        .map(|u| UnitDto {
                            id: u.id.0,
                            floor: u.floor,
                            label: u.label,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A turf's stops in walking order, with their buildings and named doors: what the walker's
/// offline package carries.
#[utoipa::path(get, path = "/campaigns/{campaign}/turfs/{turf}/stops", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)),
    responses((status = 200, body = Vec<TurfStopDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn turf_stops(
    State(state): State<AppState>,
    auth: Authorized<ReadTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<TurfStopDto>>> {
    let t = scoped_turf(&state, &auth, path.1).await?;
    let stops = state.store.turf_stops(auth.campaign.id, t.id).await?;
    Ok(Json(stops.into_iter().map(Into::into).collect()))
}

/// Content-Security-Policy of the walk sheet: its own inline styles, nothing else; it may be
/// framed by the dashboard (to print it from there).
const SHEET_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

/// The printable walk sheet of a turf (HTML, A4): the map drawn from its stops, the stops in
/// walking order with their buildings and a box per door for the outcome.
#[utoipa::path(get, path = "/campaigns/{campaign}/turfs/{turf}/sheet", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)),
    responses((status = 200, description = "The walk sheet", content_type = "text/html"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn walk_sheet(
    State(state): State<AppState>,
    auth: Authorized<ReadTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let c = auth.campaign.id;
    let t = scoped_turf(&state, &auth, path.1).await?;
    let stops = state.store.turf_stops(c, t.id).await?;
    let members = state.store.members(c, &Scope::Campaign).await?;
    let names = names_of(&members);
    let assignee = t.checkout.as_ref().map(|co| {
        let person = co.to_user.and_then(|u| names.get(&u).cloned());
        match (person, &co.team) {
            (Some(p), Some(team)) => format!("{p} ({team})"),
            (Some(p), None) => p,
            (None, Some(team)) => team.clone(),
            (None, None) => "une sortie".into(),
        }
    });
    let html = walk_sheet::render(
        &t,
        &stops,
        &walk_sheet::SheetContext {
            campaign: &auth.campaign.name,
            assignee,
            now: OffsetDateTime::now_utc(),
        },
    );
    let mut resp = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SHEET_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(resp)
}

/// How to split.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SplitRequest {
    /// Into how many turfs (2 to 10).
    pub parts: usize,
}

/// Splits a turf into `parts` compact turfs of balanced doors.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/{turf}/split", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)), request_body = SplitRequest,
    responses((status = 200, body = EditResultDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn split_turf(
    State(state): State<AppState>,
    auth: Authorized<EditTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<SplitRequest>,
) -> ApiResult<Json<EditResultDto>> {
    if !(2..=10).contains(&req.parts) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "a turf is split into 2 to 10 parts",
        ));
    }
    let t = scoped_turf(&state, &auth, path.1).await?;
    edit(
        &state,
        &auth,
        t.bureau_id,
        Edit::Split {
            turf: t.id,
            parts: req.parts,
        },
    )
    .await
}

/// What to merge.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The turf whose stops join this one (same bureau); it disappears.
    pub other: Uuid,
}

/// Merges another turf of the same bureau into this one.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/{turf}/merge", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)), request_body = MergeRequest,
    responses((status = 200, body = EditResultDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_turfs(
    State(state): State<AppState>,
    auth: Authorized<EditTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<EditResultDto>> {
    let t = scoped_turf(&state, &auth, path.1).await?;
    let other = scoped_turf(&state, &auth, req.other).await?;
    if other.bureau_id != t.bureau_id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_edit",
            "turfs of different bureaux cannot be merged: a turf never crosses a bureau",
        ));
    }
    edit(
        &state,
        &auth,
        t.bureau_id,
        Edit::Merge {
            into: t.id,
            from: other.id,
        },
    )
    .await
}

/// A hand-out.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    /// The person walking it (a member whose territory includes the turf).
    pub user_id: Option<Uuid>,
    /// Or (and) a team name.
    pub team: Option<String>,
    /// The canvassing session it is for.
    pub session_id: Option<Uuid>,
    /// Hours until the hand-out lapses (default: the end of the sortie when `session_id` is
    /// given, else 4; at most 336).
    pub hours: Option<f64>,
}

async fn turf_dto(
    state: &AppState,
    campaign: terrain_model::CampaignId,
    t: Turf,
) -> ApiResult<Json<TurfDto>> {
    let members = state.store.members(campaign, &Scope::Campaign).await?;
    Ok(Json(TurfDto::new(
        t,
        &names_of(&members),
        OffsetDateTime::now_utc(),
    )))
}

fn checkout_error(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict { key, .. } => {
            ApiError::new(StatusCode::CONFLICT, "turf_checked_out", key)
        }
        other => other.into(),
    }
}

/// Hands a turf out to a person, a team or a canvassing session until an expiry: nobody
/// else gets it meanwhile, and it cannot be edited. After the expiry it is free again.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/{turf}/checkout", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)), request_body = CheckoutRequest,
    responses((status = 200, body = TurfDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`turf_checked_out`: handed out already, or done", body = ErrorBody),
              (status = 422, description = "`invalid_input`, `assignee_out_of_scope`, `not_trained` (the campaign requires training first)", body = ErrorBody)))]
pub async fn check_out_turf(
    State(state): State<AppState>,
    auth: Authorized<AssignTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> ApiResult<Json<TurfDto>> {
    let c = auth.campaign.id;
    let t = scoped_turf(&state, &auth, path.1).await?;
    if let Some(h) = req.hours
        && !(h.is_finite() && h > 0.0 && h <= MAX_CHECKOUT_HOURS)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("hours must be between 0 and {MAX_CHECKOUT_HOURS}"),
        ));
    }
    if let Some(u) = req.user_id {
        let m = state.store.member(c, UserId(u)).await?;
        let covers = m.role.is_campaign_wide()
            || m.territories
                .iter()
                .any(|s| s.path.contains(&t.bureau_path));
        if !covers {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "assignee_out_of_scope",
                format!("{} does not work in {}", m.user.display_name, t.bureau_name),
            ));
        }
        // Coders code answers at a desk: they do no field work (issue 9).
        if !m.role.can(terrain_model::Capability::FieldWork) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "assignee_not_in_the_field",
                format!(
                    "user_id: {} is a {}, who does no field work",
                    m.user.display_name, m.role
                ),
            ));
        }
        // A walker goes out once trained, when the campaign requires it (issue 6).
        if m.role == Role::Walker {
            let trained = match state.store.may_receive_turfs(c, m.user.id).await {
                Ok(ok) => ok,
                Err(StorageError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            };
            if !trained {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "not_trained",
                    format!(
                        "{} has not been trained yet, and the campaign requires it before going out",
                        m.user.display_name
                    ),
                ));
            }
        }
    }
    let now = OffsetDateTime::now_utc();
    // Handed to a sortie, the turf is the sortie's until it ends (unless hours say otherwise).
    let sortie_end = match req.session_id {
        Some(s) => {
            let sortie = state.store.sortie(c, SortieId(s)).await?;
            if sortie.ends_at <= now {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    format!("the sortie {:?} is over", sortie.title),
                ));
            }
            Some(sortie.ends_at)
        }
        None => None,
    };
    let expires_at = match (req.hours, sortie_end) {
        (Some(h), _) => now + time::Duration::seconds_f64(h * 3600.0),
        (None, Some(end)) => end,
        (None, None) => now + time::Duration::hours(4),
    };
    let out = state
        .store
        .check_out_turf(
            &auth.audit(),
            c,
            t.id,
            &NewCheckout {
                to_user: req.user_id.map(UserId),
                team: req.team,
                session_id: req.session_id,
                by: Some(auth.user_id()),
                expires_at,
            },
            now,
        )
        .await
        .map_err(checkout_error)?;
    turf_dto(&state, c, out).await
}

/// Ends a hand-out (or reopens a done turf): the turf is free and editable again.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/{turf}/release", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)),
    responses((status = 200, body = TurfDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn release_turf(
    State(state): State<AppState>,
    auth: Authorized<AssignTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<TurfDto>> {
    let t = scoped_turf(&state, &auth, path.1).await?;
    let out = state
        .store
        .release_turf(
            &auth.audit(),
            auth.campaign.id,
            t.id,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(checkout_error)?;
    turf_dto(&state, auth.campaign.id, out).await
}

/// Marks a turf walked.
#[utoipa::path(post, path = "/campaigns/{campaign}/turfs/{turf}/done", tag = "turfs",
    params(("campaign" = Uuid, Path), ("turf" = Uuid, Path)),
    responses((status = 200, body = TurfDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn finish_turf(
    State(state): State<AppState>,
    auth: Authorized<AssignTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<TurfDto>> {
    let t = scoped_turf(&state, &auth, path.1).await?;
    let out = state
        .store
        .finish_turf(
            &auth.audit(),
            auth.campaign.id,
            t.id,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(checkout_error)?;
    turf_dto(&state, auth.campaign.id, out).await
}

/// The versions of a bureau's turfs, newest first: every cut, re-cut and edit with its
/// parameters and quality measures.
#[utoipa::path(get, path = "/campaigns/{campaign}/territories/{territory}/turf-versions", tag = "turfs",
    params(("campaign" = Uuid, Path), ("territory" = Uuid, Path, description = "A bureau")),
    responses((status = 200, body = Vec<BureauPlanDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn turf_versions(
    State(state): State<AppState>,
    auth: Authorized<ReadTurfs>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<BureauPlanDto>>> {
    let c = auth.campaign.id;
    let t = state.store.territory(c, TerritoryId(path.1)).await?;
    auth.check_territory(&t)?;
    let names: HashMap<TerritoryId, (String, String)> =
        [(t.id, (t.code.clone(), t.name.clone()))].into();
    Ok(Json(
        state
            .store
            .turf_plans(c, t.id)
            .await?
            .into_iter()
            .map(|v| plan_dto(v, &names))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_errors_have_stable_codes() {
        let e: ApiError = TurfError::Edit(EditError::Locked(3)).into();
        assert_eq!((e.status, e.code), (StatusCode::CONFLICT, "turf_locked"));
        let e: ApiError = TurfError::NoStops("Bureau 18-01".into()).into();
        assert_eq!(e.code, "no_addresses");
        assert!(e.message.contains("Bureau 18-01"));
        let e: ApiError = TurfError::Edit(EditError::BadParts(1)).into();
        assert_eq!(e.code, "invalid_edit");
        let e = checkout_error(StorageError::Conflict {
            what: "turf checkout",
            key: "x".into(),
        });
        assert_eq!(
            (e.status, e.code),
            (StatusCode::CONFLICT, "turf_checked_out")
        );
    }
}
