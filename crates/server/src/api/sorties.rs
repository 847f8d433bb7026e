//! Teams and canvassing sessions ("sorties"): coordinators plan them (date, meeting point on the
//! map, areas, team or open sign-up, at least two people per area), volunteers accept or
//! decline from the field app, everyone gets an iCalendar feed; the coordinator's week shows
//! what is planned, who is free and which areas lack people, and exports or mails reminders.

use super::dto::ScopeTerritoryDto;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::invites::base_url;
use super::trainings::TrainingDto;
use super::volunteers::{StatusDto, check_volunteer, concerns, invalid, store_err};
use crate::access::{Authorized, ManageVolunteers, PlanSorties, ReadVolunteers, TakePart};
use crate::auth::secrets;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::ics;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use terrain_model::volunteer::paris_time;
use terrain_model::{SortieId, TeamId, TerritoryId, TerritoryKind, VolunteerId, VolunteerStatus};
use terrain_store::{
    FeedOwner, NewSortie, NewTeam, ParticipantStatus, ParticipantUpdate, Scope, Sortie,
    SortieQuery, Team, VolunteerQuery,
};
use time::{Date, Duration, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ── teams ─────────────────────────────────────────────────────────────────────

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberDto {
    pub volunteer_id: Uuid,
    pub display_name: String,
    pub status: StatusDto,
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    pub id: Uuid,
    pub name: String,
    pub territory: ScopeTerritoryDto,
    pub members: Vec<TeamMemberDto>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Team> for TeamDto {
    fn from(t: Team) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            territory: t.territory.into(),
            members: t
                .members
                .into_iter()
                .map(|m| TeamMemberDto {
                    volunteer_id: m.volunteer_id.0,
                    display_name: m.display_name,
                    status: m.status.into(),
                })
                .collect(),
            created_at: t.created_at,
        }
    }
}

/// A team to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTeamDto {
    pub name: String,
    pub territory_id: Uuid,
    #[serde(default)]
    pub members: Vec<Uuid>,
}

/// A team's new members (replacing the old list).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamMembersDto {
    pub members: Vec<Uuid>,
}

/// A secret calendar feed address.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDto {
    /// Subscribe to it in a calendar app. Shown once; making a new one revokes the old one.
    pub url: String,
}

/// Teams of the caller's territories.
#[utoipa::path(get, path = "/campaigns/{campaign}/teams", tag = "sorties",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<TeamDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_teams(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
) -> ApiResult<Json<Vec<TeamDto>>> {
    let teams = state.store.teams(auth.campaign.id, &auth.scope).await?;
    Ok(Json(teams.into_iter().map(Into::into).collect()))
}

async fn check_members<R>(
    state: &AppState,
    auth: &Authorized<R>,
    ids: &[Uuid],
) -> ApiResult<Vec<VolunteerId>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let v = state
            .store
            .volunteer(auth.campaign.id, VolunteerId(*id))
            .await
            .map_err(store_err)?;
        check_volunteer(auth, &v)?;
        out.push(v.id);
    }
    Ok(out)
}

/// Makes a team in a territory of the caller's, with volunteers of their territories.
#[utoipa::path(post, path = "/campaigns/{campaign}/teams", tag = "sorties",
    params(("campaign" = Uuid, Path)), request_body = NewTeamDto,
    responses((status = 201, body = TeamDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`team_exists`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    auth: Authorized<PlanSorties>,
    ApiJson(body): ApiJson<NewTeamDto>,
) -> ApiResult<(StatusCode, Json<TeamDto>)> {
    let c = auth.campaign.id;
    let t = state
        .store
        .territory(c, TerritoryId(body.territory_id))
        .await?;
    auth.check_territory(&t)?;
    let members = check_members(&state, &auth, &body.members).await?;
    let team = state
        .store
        .create_team(
            &auth.audit(),
            c,
            &NewTeam {
                name: body.name,
                territory_id: t.id,
                members,
            },
        )
        .await
        .map_err(store_err)?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

async fn team_in_scope<R>(state: &AppState, auth: &Authorized<R>, id: Uuid) -> ApiResult<Team> {
    let t = state
        .store
        .team(auth.campaign.id, TeamId(id))
        .await
        .map_err(store_err)?;
    auth.check_path(&t.territory.path, &format!("the team «{}»", t.name))?;
    Ok(t)
}

/// Replaces a team's members.
#[utoipa::path(put, path = "/campaigns/{campaign}/teams/{team}/members", tag = "sorties",
    params(("campaign" = Uuid, Path), ("team" = Uuid, Path)), request_body = TeamMembersDto,
    responses((status = 200, body = TeamDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_team_members(
    State(state): State<AppState>,
    auth: Authorized<PlanSorties>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<TeamMembersDto>,
) -> ApiResult<Json<TeamDto>> {
    let (_, id) = path;
    let team = team_in_scope(&state, &auth, id).await?;
    let members = check_members(&state, &auth, &body.members).await?;
    let team = state
        .store
        .set_team_members(&auth.audit(), auth.campaign.id, team.id, &members)
        .await
        .map_err(store_err)?;
    Ok(Json(team.into()))
}

fn feed_url(state: &AppState, headers: &HeaderMap, secret: &str) -> String {
    format!("{}/api/v1/calendar/{secret}.ics", base_url(state, headers))
}

/// Makes the team's calendar feed (a secret address; the previous one stops working).
#[utoipa::path(post, path = "/campaigns/{campaign}/teams/{team}/calendar", tag = "sorties",
    params(("campaign" = Uuid, Path), ("team" = Uuid, Path)),
    responses((status = 201, body = FeedDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn team_feed(
    State(state): State<AppState>,
    auth: Authorized<PlanSorties>,
    headers: HeaderMap,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, Json<FeedDto>)> {
    let (_, id) = path;
    let team = team_in_scope(&state, &auth, id).await?;
    let secret = secrets::random_token();
    state
        .store
        .create_feed(
            &auth.audit(),
            auth.campaign.id,
            FeedOwner::Team(team.id),
            &secrets::hash_secret(&secret),
        )
        .await
        .map_err(store_err)?;
    Ok((
        StatusCode::CREATED,
        Json(FeedDto {
            url: feed_url(&state, &headers, &secret),
        }),
    ))
}

// ── sorties ───────────────────────────────────────────────────────────────────

/// A participant's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerDto {
    Invited,
    Accepted,
    Declined,
}

impl From<ParticipantStatus> for AnswerDto {
    fn from(s: ParticipantStatus) -> Self {
        match s {
            ParticipantStatus::Invited => AnswerDto::Invited,
            ParticipantStatus::Accepted => AnswerDto::Accepted,
            ParticipantStatus::Declined => AnswerDto::Declined,
        }
    }
}

impl From<AnswerDto> for ParticipantStatus {
    fn from(s: AnswerDto) -> Self {
        match s {
            AnswerDto::Invited => ParticipantStatus::Invited,
            AnswerDto::Accepted => ParticipantStatus::Accepted,
            AnswerDto::Declined => ParticipantStatus::Declined,
        }
    }
}

/// An area of a sortie and how many go there.
#[derive(Debug, Serialize, ToSchema)]
pub struct SortieAreaDto {
    pub territory: ScopeTerritoryDto,
    pub accepted: u32,
    /// At least the sortie's minimum per area.
    pub covered: bool,
}

/// Someone on a sortie.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDto {
    pub volunteer_id: Uuid,
    pub display_name: String,
    pub status: AnswerDto,
    pub area_id: Option<Uuid>,
    pub attended: Option<bool>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub responded_at: Option<OffsetDateTime>,
}

/// A planned sortie.
#[derive(Debug, Serialize, ToSchema)]
pub struct SortieDto {
    pub id: Uuid,
    pub title: String,
    pub territory: ScopeTerritoryDto,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub meeting_point: String,
    pub meeting_lon: Option<f64>,
    pub meeting_lat: Option<f64>,
    pub team_id: Option<Uuid>,
    pub team_name: Option<String>,
    pub open_signup: bool,
    pub min_per_area: u32,
    pub notes: Option<String>,
    pub areas: Vec<SortieAreaDto>,
    pub participants: Vec<ParticipantDto>,
    /// Areas with fewer people than the minimum.
    pub uncovered: u32,
}

impl From<Sortie> for SortieDto {
    fn from(s: Sortie) -> Self {
        let uncovered = s.uncovered().count() as u32;
        Self {
            id: s.id.0,
            title: s.title,
            territory: s.territory.into(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            meeting_point: s.meeting_point,
            meeting_lon: s.meeting_lonlat.map(|p| p.0),
            meeting_lat: s.meeting_lonlat.map(|p| p.1),
            team_id: s.team.as_ref().map(|t| t.0.0),
            team_name: s.team.map(|t| t.1),
            open_signup: s.open_signup,
            min_per_area: s.min_per_area,
            notes: s.notes,
            areas: s
                .areas
                .into_iter()
                .map(|a| SortieAreaDto {
                    territory: a.territory.into(),
                    accepted: a.accepted,
                    covered: a.covered,
                })
                .collect(),
            participants: s
                .participants
                .into_iter()
                .map(|p| ParticipantDto {
                    volunteer_id: p.volunteer_id.0,
                    display_name: p.display_name,
                    status: p.status.into(),
                    area_id: p.area_id.map(|a| a.0),
                    attended: p.attended,
                    responded_at: p.responded_at,
                })
                .collect(),
            uncovered,
        }
    }
}

/// A sortie to plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSortieDto {
    pub title: String,
    /// The territory it belongs to (inside the caller's); every area lies inside it.
    pub territory_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// Where to meet, in words.
    pub meeting_point: String,
    /// The point chosen on the map (WGS84).
    pub meeting_lon: Option<f64>,
    pub meeting_lat: Option<f64>,
    /// The bureaux de vote (or other territories) covered.
    pub areas: Vec<Uuid>,
    /// A team, whose members are invited.
    pub team_id: Option<Uuid>,
    /// Volunteers of the territory may sign up themselves.
    #[serde(default)]
    pub open_signup: bool,
    /// At least this many per area (default 2).
    pub min_per_area: Option<u32>,
    pub notes: Option<String>,
}

/// Which sorties to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SortieListParams {
    /// Ending after this moment (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Starting before this moment.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
}

/// Sorties of the caller's territories, soonest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/sorties", tag = "sorties",
    params(("campaign" = Uuid, Path), SortieListParams),
    responses((status = 200, body = Vec<SortieDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_sorties(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiQuery(p): ApiQuery<SortieListParams>,
) -> ApiResult<Json<Vec<SortieDto>>> {
    let list = state
        .store
        .sorties(
            auth.campaign.id,
            &SortieQuery {
                scope: auth.scope.clone(),
                from: Some(p.from.unwrap_or_else(OffsetDateTime::now_utc)),
                to: p.to,
                ..Default::default()
            },
        )
        .await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Plans a sortie in a territory of the caller's; the team's members (if any) are invited.
#[utoipa::path(post, path = "/campaigns/{campaign}/sorties", tag = "sorties",
    params(("campaign" = Uuid, Path)), request_body = NewSortieDto,
    responses((status = 201, body = SortieDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_sortie(
    State(state): State<AppState>,
    auth: Authorized<PlanSorties>,
    ApiJson(body): ApiJson<NewSortieDto>,
) -> ApiResult<(StatusCode, Json<SortieDto>)> {
    let c = auth.campaign.id;
    let t = state
        .store
        .territory(c, TerritoryId(body.territory_id))
        .await?;
    auth.check_territory(&t)?;
    if let Some(team) = body.team_id {
        team_in_scope(&state, &auth, team).await?;
    }
    let lonlat = match (body.meeting_lon, body.meeting_lat) {
        (Some(lon), Some(lat)) => Some((lon, lat)),
        (None, None) => None,
        _ => return Err(invalid("meeting_lon, meeting_lat: give both or neither")),
    };
    let s = state
        .store
        .create_sortie(
            &auth.audit(),
            c,
            &NewSortie {
                title: body.title,
                territory_id: t.id,
                starts_at: body.starts_at,
                ends_at: body.ends_at,
                meeting_point: body.meeting_point,
                meeting_lonlat: lonlat,
                areas: body.areas.into_iter().map(TerritoryId).collect(),
                team_id: body.team_id.map(TeamId),
                open_signup: body.open_signup,
                min_per_area: body.min_per_area.unwrap_or(2),
                notes: body.notes,
            },
        )
        .await
        .map_err(store_err)?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

async fn sortie_in_scope<R>(state: &AppState, auth: &Authorized<R>, id: Uuid) -> ApiResult<Sortie> {
    let s = state
        .store
        .sortie(auth.campaign.id, SortieId(id))
        .await
        .map_err(store_err)?;
    auth.check_path(&s.territory.path, &format!("the sortie «{}»", s.title))?;
    Ok(s)
}

/// One sortie of the caller's territories.
#[utoipa::path(get, path = "/campaigns/{campaign}/sorties/{sortie}", tag = "sorties",
    params(("campaign" = Uuid, Path), ("sortie" = Uuid, Path)),
    responses((status = 200, body = SortieDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_sortie(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<SortieDto>> {
    let (_, id) = path;
    Ok(Json(sortie_in_scope(&state, &auth, id).await?.into()))
}

/// A change to someone's place on a sortie.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ParticipantUpdateDto {
    /// Invite, accept on their behalf, or record that they declined.
    pub status: Option<AnswerDto>,
    /// The area they go to (one of the sortie's).
    pub area_id: Option<Uuid>,
    /// Takes them off their area.
    #[serde(default)]
    pub clear_area: bool,
    /// After the sortie: were they there?
    pub attended: Option<bool>,
}

/// Invites a volunteer, sets their area, or records their answer or attendance. Accepting
/// checks that they are trained (409 `not_trained`, when the campaign requires it) and not on
/// another sortie at the same time (409 `schedule_conflict`).
#[utoipa::path(put, path = "/campaigns/{campaign}/sorties/{sortie}/participants/{volunteer}", tag = "sorties",
    params(("campaign" = Uuid, Path), ("sortie" = Uuid, Path), ("volunteer" = Uuid, Path)), request_body = ParticipantUpdateDto,
    responses((status = 200, body = SortieDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`not_trained` or `schedule_conflict`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_participant(
    State(state): State<AppState>,
    auth: Authorized<PlanSorties>,
    ApiPath(path): ApiPath<(Uuid, Uuid, Uuid)>,
    ApiJson(body): ApiJson<ParticipantUpdateDto>,
) -> ApiResult<Json<SortieDto>> {
    let (_, id, volunteer) = path;
    let s = sortie_in_scope(&state, &auth, id).await?;
    let v = state
        .store
        .volunteer(auth.campaign.id, VolunteerId(volunteer))
        .await
        .map_err(store_err)?;
    check_volunteer(&auth, &v)?;
    let area = if body.clear_area {
        Some(None)
    } else {
        body.area_id.map(|a| Some(TerritoryId(a)))
    };
    let s = state
        .store
        .set_participant(
            &auth.audit(),
            auth.campaign.id,
            s.id,
            v.id,
            &ParticipantUpdate {
                status: body.status.map(Into::into),
                area,
                attended: body.attended,
            },
        )
        .await
        .map_err(store_err)?;
    Ok(Json(s.into()))
}

/// Which territory's bureaux to draw.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapParams {
    /// Default: the caller's territories.
    pub territory: Option<Uuid>,
}

fn feature_collection(features: Vec<terrain_store::MapFeature>) -> serde_json::Value {
    let features: Vec<serde_json::Value> = features
        .into_iter()
        .filter_map(|f| {
            let geometry: serde_json::Value = serde_json::from_str(&f.geometry).ok()?;
            Some(serde_json::json!({
                "type": "Feature",
                "id": f.territory_id.0,
                "properties": {"id": f.territory_id.0, "code": f.code, "name": f.name, "kind": f.kind.as_str()},
                "geometry": geometry,
            }))
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

/// The bureaux de vote of a territory as GeoJSON, to choose a sortie's areas and meeting
/// point on a map drawn without tiles.
#[utoipa::path(get, path = "/campaigns/{campaign}/sortie-map", tag = "sorties",
    params(("campaign" = Uuid, Path), MapParams),
    responses((status = 200, description = "A GeoJSON FeatureCollection", body = Object), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn map(
    State(state): State<AppState>,
    auth: Authorized<PlanSorties>,
    ApiQuery(p): ApiQuery<MapParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let c = auth.campaign.id;
    let within = match p.territory {
        Some(t) => {
            let t = state.store.territory(c, TerritoryId(t)).await?;
            auth.check_territory(&t)?;
            Scope::Within(vec![t.path])
        }
        None => auth.scope.clone(),
    };
    let shapes = state
        .store
        .shapes(c, TerritoryKind::Bureau, &within)
        .await?;
    Ok(Json(feature_collection(shapes)))
}

// ── the walker's side ─────────────────────────────────────────────────────────

/// A sortie as its participant sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MySortieDto {
    pub id: Uuid,
    pub title: String,
    pub territory_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub meeting_point: String,
    pub meeting_lon: Option<f64>,
    pub meeting_lat: Option<f64>,
    pub team_name: Option<String>,
    pub notes: Option<String>,
    /// The caller's answer (`None`: an open sortie they have not joined).
    pub my_status: Option<AnswerDto>,
    /// The area the caller goes to.
    pub my_area: Option<ScopeTerritoryDto>,
    /// Who goes to the same area (first names).
    pub partners: Vec<String>,
    pub areas: Vec<ScopeTerritoryDto>,
    /// The areas' contours, a GeoJSON FeatureCollection (for the little map).
    #[schema(value_type = Object)]
    pub areas_geojson: serde_json::Value,
}

/// What the field app's home shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct MySortiesDto {
    pub volunteer_id: Uuid,
    pub status: StatusDto,
    /// False when the campaign requires training and the caller is not trained yet.
    pub may_go_out: bool,
    /// Upcoming sorties they are on or may join, soonest first.
    pub sorties: Vec<MySortieDto>,
    /// Upcoming trainings that concern them.
    pub trainings: Vec<TrainingDto>,
}

/// The caller's upcoming sorties (invited, accepted or open to them) and trainings.
#[utoipa::path(get, path = "/campaigns/{campaign}/me/sorties", tag = "sorties",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = MySortiesDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "`campaign_not_found`, or `volunteer_not_found` for roles without a volunteer record", body = ErrorBody)))]
pub async fn my_sorties(
    State(state): State<AppState>,
    auth: Authorized<TakePart>,
) -> ApiResult<Json<MySortiesDto>> {
    let c = auth.campaign.id;
    let me = state
        .store
        .volunteer_of_user(c, auth.user_id())
        .await
        .map_err(store_err)?;
    let settings = state.store.volunteer_settings(c).await?;
    let now = OffsetDateTime::now_utc();
    // Open sorties concern the walker when their territory is the walker's, inside it or
    // above it (a walker of one bureau may join the sorties of their arrondissement).
    let list = state
        .store
        .sorties(
            c,
            &SortieQuery {
                from: Some(now),
                participant: Some(me.id),
                open_in: Some(Scope::Campaign),
                limit: 500,
                ..Default::default()
            },
        )
        .await?;
    let mut sorties = Vec::with_capacity(list.len());
    for s in list
        .into_iter()
        .filter(|s| s.participant(me.id).is_some() || concerns(&auth, &s.territory.path))
        .take(50)
    {
        let mine = s.participant(me.id).cloned();
        let my_area = mine.as_ref().and_then(|p| p.area_id);
        let partners = s
            .participants
            .iter()
            .filter(|p| {
                p.volunteer_id != me.id
                    && p.status == ParticipantStatus::Accepted
                    && my_area.is_some()
                    && p.area_id == my_area
            })
            .map(|p| p.display_name.clone())
            .collect();
        let paths: Vec<_> = s.areas.iter().map(|a| a.territory.path.clone()).collect();
        let shapes = state
            .store
            .shapes(c, TerritoryKind::Bureau, &Scope::Within(paths))
            .await?;
        sorties.push(MySortieDto {
            id: s.id.0,
            title: s.title,
            territory_name: s.territory.name,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            meeting_point: s.meeting_point,
            meeting_lon: s.meeting_lonlat.map(|p| p.0),
            meeting_lat: s.meeting_lonlat.map(|p| p.1),
            team_name: s.team.map(|t| t.1),
            notes: s.notes,
            my_status: mine.as_ref().map(|p| p.status.into()),
            my_area: my_area.and_then(|a| {
                s.areas
                    .iter()
                    .find(|x| x.territory.id == a)
                    .map(|x| x.territory.clone().into())
            }),
            partners,
            areas: s.areas.into_iter().map(|a| a.territory.into()).collect(),
            areas_geojson: feature_collection(shapes),
        });
    }
    let registered: HashSet<_> = state
        .store
        .registrations_of(c, me.id)
        .await?
        .into_iter()
        .map(|(t, _)| t.id)
        .collect();
    let trainings = state
        .store
        .trainings(c, &Scope::Campaign, Some(now))
        .await?
        .into_iter()
        .filter(|t| concerns(&auth, &t.territory.path))
        .map(|t| {
            let m = registered.contains(&t.id);
            TrainingDto::new(t, m)
        })
        .collect();
    Ok(Json(MySortiesDto {
        volunteer_id: me.id.0,
        status: me.status.into(),
        may_go_out: !settings.turfs_require_training || me.status.is_trained(),
        sorties,
        trainings,
    }))
}

/// The caller's answer to a sortie.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MyAnswerDto {
    /// `accepted` or `declined`.
    pub answer: AnswerDto,
}

/// Accepts or declines a sortie the caller is invited to, or joins an open one of their
/// territory.
#[utoipa::path(put, path = "/campaigns/{campaign}/me/sorties/{sortie}", tag = "sorties",
    params(("campaign" = Uuid, Path), ("sortie" = Uuid, Path)), request_body = MyAnswerDto,
    responses((status = 200, body = SortieDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`not_trained` or `schedule_conflict`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_sortie(
    State(state): State<AppState>,
    auth: Authorized<TakePart>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<MyAnswerDto>,
) -> ApiResult<Json<SortieDto>> {
    let (_, id) = path;
    let c = auth.campaign.id;
    if body.answer == AnswerDto::Invited {
        return Err(invalid("answer: accepted or declined"));
    }
    let me = state
        .store
        .volunteer_of_user(c, auth.user_id())
        .await
        .map_err(store_err)?;
    let s = state
        .store
        .sortie(c, SortieId(id))
        .await
        .map_err(store_err)?;
    let invited = s.participant(me.id).is_some();
    let open_here = s.open_signup
        && auth
            .territories
            .iter()
            .any(|t| t.path.contains(&s.territory.path) || s.territory.path.contains(&t.path));
    if !invited && !open_here && !matches!(auth.scope, Scope::Campaign) {
        return Err(ApiError::out_of_scope(format!("the sortie «{}»", s.title)));
    }
    let s = state
        .store
        .set_participant(
            &auth.audit(),
            c,
            s.id,
            me.id,
            &ParticipantUpdate {
                status: Some(body.answer.into()),
                ..Default::default()
            },
        )
        .await
        .map_err(store_err)?;
    Ok(Json(s.into()))
}

/// Makes the caller's own calendar feed (a secret address; the previous one stops working).
#[utoipa::path(post, path = "/campaigns/{campaign}/me/calendar", tag = "sorties",
    params(("campaign" = Uuid, Path)),
    responses((status = 201, body = FeedDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn my_feed(
    State(state): State<AppState>,
    auth: Authorized<TakePart>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<FeedDto>)> {
    let me = state
        .store
        .volunteer_of_user(auth.campaign.id, auth.user_id())
        .await
        .map_err(store_err)?;
    let secret = secrets::random_token();
    state
        .store
        .create_feed(
            &auth.audit(),
            auth.campaign.id,
            FeedOwner::Volunteer(me.id),
            &secrets::hash_secret(&secret),
        )
        .await
        .map_err(store_err)?;
    Ok((
        StatusCode::CREATED,
        Json(FeedDto {
            url: feed_url(&state, &headers, &secret),
        }),
    ))
}

fn sortie_event(s: &Sortie, confirmed: bool) -> ics::Event {
    let areas: Vec<&str> = s.areas.iter().map(|a| a.territory.name.as_str()).collect();
    ics::Event {
        uid: format!("sortie-{}@terrain", s.id),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        summary: format!("Sortie : {}", s.title),
        location: Some(s.meeting_point.clone()),
        geo: s.meeting_lonlat.map(|(lon, lat)| (lat, lon)),
        description: Some(format!(
            "Secteurs : {}{}",
            areas.join(", "),
            s.notes
                .as_deref()
                .map(|n| format!("\n{n}"))
                .unwrap_or_default()
        )),
        confirmed,
    }
}

/// A calendar feed (iCalendar), opened by its secret address — no sign-in, so that calendar
/// apps can subscribe. Unknown or revoked addresses get 404.
#[utoipa::path(get, path = "/calendar/{feed}", tag = "sorties", security(()),
    params(("feed" = String, Path, description = "The feed's secret, with `.ics`")),
    responses((status = 200, description = "text/calendar", content_type = "text/calendar", body = String),
              (status = 404, description = "`feed_not_found`", body = ErrorBody)))]
pub async fn calendar(
    State(state): State<AppState>,
    ApiPath(feed): ApiPath<String>,
) -> ApiResult<Response> {
    let secret = feed.strip_suffix(".ics").unwrap_or(&feed);
    let not_found = || {
        ApiError::not_found(
            "feed_not_found",
            "no such calendar feed (it may have been replaced)",
        )
    };
    let (c, owner) = state
        .store
        .feed(&secrets::hash_secret(secret))
        .await?
        .ok_or_else(not_found)?;
    let now = OffsetDateTime::now_utc();
    let since = now - Duration::days(30);
    let mut events = Vec::new();
    let name = match owner {
        FeedOwner::Volunteer(v) => {
            let me = state.store.volunteer(c, v).await.map_err(|_| not_found())?;
            let list = state
                .store
                .sorties(
                    c,
                    &SortieQuery {
                        from: Some(since),
                        participant: Some(v),
                        limit: 500,
                        ..Default::default()
                    },
                )
                .await?;
            for s in &list {
                match s.participant(v).map(|p| p.status) {
                    Some(ParticipantStatus::Accepted) => events.push(sortie_event(s, true)),
                    Some(ParticipantStatus::Invited) => events.push(sortie_event(s, false)),
                    _ => {}
                }
            }
            for (t, _) in state.store.registrations_of(c, v).await? {
                if t.ends_at > since {
                    events.push(ics::Event {
                        uid: format!("formation-{}@terrain", t.id),
                        starts_at: t.starts_at,
                        ends_at: t.ends_at,
                        summary: format!("Formation : {}", t.title),
                        location: t.place.clone().or(t.video_url.clone()),
                        geo: None,
                        description: Some(t.programme.join("\n")),
                        confirmed: true,
                    });
                }
            }
            me.display_name
        }
        FeedOwner::Team(team) => {
            let team = state.store.team(c, team).await.map_err(|_| not_found())?;
            let list = state
                .store
                .sorties(
                    c,
                    &SortieQuery {
                        from: Some(since),
                        limit: 1000,
                        ..Default::default()
                    },
                )
                .await?;
            for s in list
                .iter()
                .filter(|s| s.team.as_ref().is_some_and(|t| t.0 == team.id))
            {
                events.push(sortie_event(s, true));
            }
            team.name
        }
    };
    events.sort_by_key(|e| e.starts_at);
    let body = ics::calendar(&format!("{name} — Terrain"), &events, now);
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(resp)
}

// ── the coordinator's week ────────────────────────────────────────────────────

/// Which week.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekParams {
    /// The first day, `YYYY-MM-DD` (default: this week's Monday, Paris time).
    pub start: Option<String>,
}

/// A volunteer free for some of the week's sorties.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailableDto {
    pub volunteer_id: Uuid,
    pub display_name: String,
    pub status: StatusDto,
    pub territory_name: Option<String>,
    pub availability: Vec<String>,
    /// The sorties they said they are free for and are not on yet.
    pub free_for: Vec<Uuid>,
}

/// An area lacking people.
#[derive(Debug, Serialize, ToSchema)]
pub struct UncoveredDto {
    pub sortie_id: Uuid,
    pub sortie_title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub area: ScopeTerritoryDto,
    pub accepted: u32,
    pub needed: u32,
}

/// The coordinator's week.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekDto {
    /// `YYYY-MM-DD`.
    pub start: String,
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub sorties: Vec<SortieDto>,
    pub trainings: Vec<TrainingDto>,
    pub available: Vec<AvailableDto>,
    pub uncovered: Vec<UncoveredDto>,
    /// Whether reminders can be sent by e-mail (a mail server is configured).
    pub mail_configured: bool,
}

fn week_bounds(start: Option<&str>) -> ApiResult<(Date, OffsetDateTime, OffsetDateTime)> {
    let day = match start {
        Some(s) => Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("start: {s:?} is not a YYYY-MM-DD date"),
                )
            })?,
        None => {
            let today = paris_time(OffsetDateTime::now_utc()).date();
            today - Duration::days(i64::from(today.weekday().number_days_from_monday()))
        }
    };
    let local = |d: Date| {
        let noon = d.midnight().assume_utc() + Duration::hours(12);
        let offset = terrain_model::volunteer::paris_offset(noon);
        d.midnight().assume_offset(offset)
    };
    Ok((day, local(day), local(day + Duration::days(7))))
}

async fn week_sorties<R>(
    state: &AppState,
    auth: &Authorized<R>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> ApiResult<Vec<Sortie>> {
    Ok(state
        .store
        .sorties(
            auth.campaign.id,
            &SortieQuery {
                scope: auth.scope.clone(),
                from: Some(from),
                to: Some(to),
                limit: 1000,
                ..Default::default()
            },
        )
        .await?)
}

/// The week of the caller's territories: sorties and trainings, who is free for which sortie,
/// which areas lack people.
#[utoipa::path(get, path = "/campaigns/{campaign}/week", tag = "sorties",
    params(("campaign" = Uuid, Path), WeekParams),
    responses((status = 200, body = WeekDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn week(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiQuery(p): ApiQuery<WeekParams>,
) -> ApiResult<Json<WeekDto>> {
    let c = auth.campaign.id;
    let (day, from, to) = week_bounds(p.start.as_deref())?;
    let sorties = week_sorties(&state, &auth, from, to).await?;
    let trainings: Vec<TrainingDto> = state
        .store
        .trainings(c, &auth.scope, Some(from))
        .await?
        .into_iter()
        .filter(|t| t.starts_at < to)
        .map(|t| TrainingDto::new(t, false))
        .collect();
    let settings = state.store.volunteer_settings(c).await?;
    let mut statuses = vec![VolunteerStatus::Trained, VolunteerStatus::Active];
    if !settings.turfs_require_training {
        statuses.push(VolunteerStatus::Contacted);
    }
    // Who is already busy at each sortie's time.
    let busy: Vec<(VolunteerId, OffsetDateTime, OffsetDateTime)> = sorties
        .iter()
        .flat_map(|s| {
            s.participants
                .iter()
                .filter(|p| p.status == ParticipantStatus::Accepted)
                .map(|p| (p.volunteer_id, s.starts_at, s.ends_at))
        })
        .collect();
    let mut available = Vec::new();
    for st in statuses {
        let page = state
            .store
            .volunteers(
                c,
                &VolunteerQuery {
                    scope: auth.scope.clone(),
                    status: Some(st),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?;
        for v in page.items {
            let free_for: Vec<Uuid> = sorties
                .iter()
                .filter(|s| {
                    v.availability.covers(s.starts_at)
                        && s.participant(v.id).is_none()
                        && v.territory.as_ref().is_some_and(|t| {
                            s.territory.path.contains(&t.path) || t.path.contains(&s.territory.path)
                        })
                        && !busy
                            .iter()
                            .any(|(b, st, en)| *b == v.id && *st < s.ends_at && *en > s.starts_at)
                })
                .map(|s| s.id.0)
                .collect();
            if !free_for.is_empty() {
                available.push(AvailableDto {
                    volunteer_id: v.id.0,
                    display_name: v.display_name,
                    status: v.status.into(),
                    territory_name: v.territory.map(|t| t.name),
                    availability: v
                        .availability
                        .slots()
                        .into_iter()
                        .map(String::from)
                        .collect(),
                    free_for,
                });
            }
        }
    }
    available.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let uncovered = sorties
        .iter()
        .flat_map(|s| {
            s.uncovered().map(|a| UncoveredDto {
                sortie_id: s.id.0,
                sortie_title: s.title.clone(),
                starts_at: s.starts_at,
                area: a.territory.clone().into(),
                accepted: a.accepted,
                needed: s.min_per_area,
            })
        })
        .collect();
    Ok(Json(WeekDto {
        start: format!("{day}"),
        from,
        to,
        sorties: sorties.into_iter().map(Into::into).collect(),
        trainings,
        available,
        uncovered,
        mail_configured: state.config.smtp.is_some(),
    }))
}

/// One reminder to send: a participant of a sortie, with contact details when they agreed to be
/// contacted.
struct Reminder {
    sortie: String,
    when: OffsetDateTime,
    until: OffsetDateTime,
    meeting: String,
    area: String,
    name: String,
    status: &'static str,
    email: Option<String>,
    phone: Option<String>,
}

async fn reminders<R>(
    state: &AppState,
    auth: &Authorized<R>,
    start: Option<&str>,
) -> ApiResult<Vec<Reminder>> {
    let (_, from, to) = week_bounds(start)?;
    let sorties = week_sorties(state, auth, from, to).await?;
    let mut cache: HashMap<VolunteerId, terrain_store::Volunteer> = HashMap::new();
    let mut out = Vec::new();
    for s in &sorties {
        for p in s
            .participants
            .iter()
            .filter(|p| p.status != ParticipantStatus::Declined)
        {
            if let std::collections::hash_map::Entry::Vacant(e) = cache.entry(p.volunteer_id) {
                let v = state
                    .store
                    .volunteer(auth.campaign.id, p.volunteer_id)
                    .await
                    .map_err(store_err)?;
                e.insert(v);
            }
            let v = &cache[&p.volunteer_id];
            let contact = v.consent_contact;
            out.push(Reminder {
                sortie: s.title.clone(),
                when: s.starts_at,
                until: s.ends_at,
                meeting: s.meeting_point.clone(),
                area: p
                    .area_id
                    .and_then(|a| s.areas.iter().find(|x| x.territory.id == a))
                    .map(|a| a.territory.name.clone())
                    .unwrap_or_default(),
                name: p.display_name.clone(),
                status: match p.status {
                    ParticipantStatus::Accepted => "confirmé·e",
                    _ => "invité·e, sans réponse",
                },
                email: v.email.clone().filter(|_| contact),
                phone: v.phone.clone().filter(|_| contact),
            });
        }
    }
    Ok(out)
}

fn local_date(t: OffsetDateTime) -> String {
    let l = paris_time(t);
    format!("{:02}/{:02}/{}", l.day(), u8::from(l.month()), l.year())
}

fn local_hm(t: OffsetDateTime) -> String {
    let l = paris_time(t);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// The week's reminders as a CSV file (UTF-8, `;`-separated, for a spreadsheet or an SMS
/// tool): one line per person invited or confirmed, with their contact details when they
/// agreed to be contacted.
#[utoipa::path(get, path = "/campaigns/{campaign}/week/reminders.csv", tag = "sorties",
    params(("campaign" = Uuid, Path), WeekParams),
    responses((status = 200, description = "text/csv", content_type = "text/csv", body = String), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reminders_csv(
    State(state): State<AppState>,
    auth: Authorized<ManageVolunteers>,
    ApiQuery(p): ApiQuery<WeekParams>,
) -> ApiResult<Response> {
    let list = reminders(&state, &auth, p.start.as_deref()).await?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let io = |e: csv::Error| ApiError::internal(e);
    w.write_record([
        "sortie",
        "date",
        "début",
        "fin",
        "rendez-vous",
        "secteur",
        "nom",
        "réponse",
        "e-mail",
        "téléphone",
    ])
    .map_err(io)?;
    for r in &list {
        w.write_record([
            r.sortie.as_str(),
            &local_date(r.when),
            &local_hm(r.when),
            &local_hm(r.until),
            &r.meeting,
            &r.area,
            &r.name,
            r.status,
            r.email.as_deref().unwrap_or(""),
            r.phone.as_deref().unwrap_or(""),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(super::dto::csv_attachment(bytes, "rappels.csv"))
}

/// What sending reminders did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemindersSentDto {
    pub sent: u32,
    pub failed: u32,
    /// People without an e-mail address (or who did not agree to be contacted).
    pub without_email: u32,
}

/// Sends the week's reminders by e-mail, through the configured mail server. Without one,
/// 409 `mail_not_configured`: export the list instead.
#[utoipa::path(post, path = "/campaigns/{campaign}/week/reminders", tag = "sorties",
    params(("campaign" = Uuid, Path), WeekParams),
    responses((status = 200, body = RemindersSentDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`mail_not_configured`", body = ErrorBody),
              (status = 502, description = "`mail_failed`: the mail server could not be used", body = ErrorBody)))]
pub async fn send_reminders(
    State(state): State<AppState>,
    auth: Authorized<ManageVolunteers>,
    ApiQuery(p): ApiQuery<WeekParams>,
) -> ApiResult<Json<RemindersSentDto>> {
    let Some(smtp) = state.config.smtp.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "mail_not_configured",
            "no mail server is configured: export the reminders as CSV instead",
        ));
    };
    let list = reminders(&state, &auth, p.start.as_deref()).await?;
    let mut mails = Vec::new();
    let mut without_email = 0;
    for r in &list {
        let Some(to) = &r.email else {
            without_email += 1;
            continue;
        };
        let area = if r.area.is_empty() {
            String::new()
        } else {
            format!("Votre secteur : {}.\n", r.area)
        };
        mails.push(crate::mail::Mail {
            to: to.clone(),
            subject: format!("Rappel : {} le {}", r.sortie, local_date(r.when)),
            body: format!(
                "Bonjour {},\n\nRappel de la sortie « {} » le {} de {} à {}.\nRendez-vous : {}.\n{area}\n\
                 Votre réponse : {}. Vous pouvez la changer dans l’application de terrain.\n\nMerci et à bientôt !\n",
                r.name,
                r.sortie,
                local_date(r.when),
                local_hm(r.when),
                local_hm(r.until),
                r.meeting,
                r.status
            ),
        });
    }
    let results = crate::mail::send_all(&smtp, &mails).await.map_err(|e| {
        tracing::warn!(error = %e, "sending reminders failed");
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "mail_failed",
            format!("the mail server could not be used: {e}"),
        )
    })?;
    let sent = results.iter().filter(|r| r.is_ok()).count() as u32;
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        tracing::warn!(error = %e, "a reminder was refused");
    }
    Ok(Json(RemindersSentDto {
        sent,
        failed: results.len() as u32 - sent,
        without_email,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_at_midnight_paris_time() {
        let (day, from, to) = week_bounds(Some("2026-06-01")).unwrap();
        assert_eq!(day.to_string(), "2026-06-01");
        assert_eq!(
            from.to_offset(time::UtcOffset::UTC).hour(),
            22,
            "summer: UTC+2"
        );
        assert_eq!(to - from, Duration::days(7));
        let (_, from, _) = week_bounds(Some("2026-12-07")).unwrap();
        assert_eq!(
            from.to_offset(time::UtcOffset::UTC).hour(),
            23,
            "winter: UTC+1"
        );
        assert!(week_bounds(Some("07/12/2026")).is_err());
        let (day, _, _) = week_bounds(None).unwrap();
        assert_eq!(day.weekday(), time::Weekday::Monday);
    }
}
