//! Training sessions: trainers (and coordinators) create them with a role-play programme,
//! volunteers register (themselves, or registered by staff), the trainer takes attendance and
//! validates skills — which moves the volunteer to `trained` in the funnel.

use super::dto::ScopeTerritoryDto;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::volunteers::{StatusDto, check_volunteer, concerns, invalid, role_can, store_err};
use crate::access::{Authorized, ManageTrainings, ReadVolunteers, TakePart};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use terrain_model::{Role, TerritoryId, TrainingId, UserId, VolunteerId};
use terrain_store::{Attendance, NewTraining, Registration, Scope, Training};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A training session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingDto {
    pub id: Uuid,
    pub title: String,
    pub territory: ScopeTerritoryDto,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub video_url: Option<String>,
    pub capacity: u32,
    /// The role-play checklist.
    pub programme: Vec<String>,
    pub trainer_id: Option<Uuid>,
    pub trainer_name: Option<String>,
    pub registered: u32,
    pub attended: u32,
    pub validated: u32,
    /// Whether the caller is registered.
    pub mine: bool,
}

impl TrainingDto {
    /// The DTO of a training; `mine` when the caller is registered.
    pub fn new(t: Training, mine: bool) -> Self {
        Self {
            id: t.id.0,
            title: t.title,
            territory: t.territory.into(),
            starts_at: t.starts_at,
            ends_at: t.ends_at,
            place: t.place,
            video_url: t.video_url,
            capacity: t.capacity,
            programme: t.programme,
            trainer_id: t.trainer_id.map(|u| u.0),
            trainer_name: t.trainer_name,
            registered: t.registered,
            attended: t.attended,
            validated: t.validated,
            mine,
        }
    }
}

/// A training to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTrainingDto {
    pub title: String,
    /// Whose training it is (inside the caller's territories).
    pub territory_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// A place, a video link, or both.
    pub place: Option<String>,
    pub video_url: Option<String>,
    pub capacity: u32,
    /// The role-play checklist (1 to 30 items).
    pub programme: Vec<String>,
    /// The trainer (default: the caller when they are a trainer).
    pub trainer_id: Option<Uuid>,
}

/// A registration and what the trainer recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationDto {
    pub volunteer_id: Uuid,
    pub volunteer_name: String,
    pub status: StatusDto,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    pub attended: Option<bool>,
    pub skills: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub validated_at: Option<OffsetDateTime>,
    pub validated_by: Option<Uuid>,
}

impl From<Registration> for RegistrationDto {
    fn from(r: Registration) -> Self {
        Self {
            volunteer_id: r.volunteer_id.0,
            volunteer_name: r.volunteer_name,
            status: r.status.into(),
            registered_at: r.registered_at,
            attended: r.attended,
            skills: r.skills,
            validated_at: r.validated_at,
            validated_by: r.validated_by.map(|u| u.0),
        }
    }
}

/// A training with its registrations.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingDetailDto {
    pub training: TrainingDto,
    pub registrations: Vec<RegistrationDto>,
}

/// Whom to register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterDto {
    /// Someone else (staff who run trainings); without it, the caller.
    pub volunteer_id: Option<Uuid>,
}

/// Attendance and skills.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AttendanceDto {
    pub attended: bool,
    /// Programme items validated.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Trained: moves the volunteer to `trained`.
    #[serde(default)]
    pub validated: bool,
}

/// Which trainings to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrainingListParams {
    /// Include those that ended before this moment (default: now).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
}

/// Upcoming trainings that concern the caller (their territories, or above them), soonest
/// first; `mine` marks those they are registered for.
#[utoipa::path(get, path = "/campaigns/{campaign}/trainings", tag = "trainings",
    params(("campaign" = Uuid, Path), TrainingListParams),
    responses((status = 200, body = Vec<TrainingDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_trainings(
    State(state): State<AppState>,
    auth: Authorized<TakePart>,
    ApiQuery(p): ApiQuery<TrainingListParams>,
) -> ApiResult<Json<Vec<TrainingDto>>> {
    let c = auth.campaign.id;
    let from = p.from.unwrap_or_else(OffsetDateTime::now_utc);
    let list = state
        .store
        .trainings(c, &Scope::Campaign, Some(from))
        .await?;
    let mine: Vec<TrainingId> = match state.store.volunteer_of_user(c, auth.user_id()).await {
        Ok(v) => state
            .store
            .registrations_of(c, v.id)
            .await?
            .into_iter()
            .map(|(t, _)| t.id)
            .collect(),
        // Directors and administrators have no volunteer record.
        Err(terrain_store::StorageError::NotFound { .. }) => vec![],
        Err(e) => return Err(e.into()),
    };
    Ok(Json(
        list.into_iter()
            .filter(|t| concerns(&auth, &t.territory.path))
            .map(|t| {
                let m = mine.contains(&t.id);
                TrainingDto::new(t, m)
            })
            .collect(),
    ))
}

/// Creates a training session in a territory of the caller's.
#[utoipa::path(post, path = "/campaigns/{campaign}/trainings", tag = "trainings",
    params(("campaign" = Uuid, Path)), request_body = NewTrainingDto,
    responses((status = 201, body = TrainingDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_training(
    State(state): State<AppState>,
    auth: Authorized<ManageTrainings>,
    ApiJson(body): ApiJson<NewTrainingDto>,
) -> ApiResult<(StatusCode, Json<TrainingDto>)> {
    let c = auth.campaign.id;
    let t = state
        .store
        .territory(c, TerritoryId(body.territory_id))
        .await?;
    auth.check_territory(&t)?;
    let trainer = match body.trainer_id {
        Some(u) => {
            let m = state.store.member(c, UserId(u)).await?;
            if !matches!(m.role, Role::Trainer | Role::Coordinator | Role::Director) {
                return Err(invalid(
                    "trainer_id: the trainer must be a trainer, coordinator or director",
                ));
            }
            Some(m.user.id)
        }
        None => {
            (auth.role == Role::Trainer || auth.role == Role::Coordinator).then(|| auth.user_id())
        }
    };
    let tr = state
        .store
        .create_training(
            &auth.audit(),
            c,
            &NewTraining {
                title: body.title,
                territory_id: t.id,
                starts_at: body.starts_at,
                ends_at: body.ends_at,
                place: body.place,
                video_url: body.video_url,
                capacity: body.capacity,
                programme: body.programme,
                trainer_id: trainer,
            },
        )
        .await
        .map_err(store_err)?;
    Ok((StatusCode::CREATED, Json(TrainingDto::new(tr, false))))
}

async fn training_in_scope<R>(
    state: &AppState,
    auth: &Authorized<R>,
    id: Uuid,
) -> ApiResult<Training> {
    let t = state
        .store
        .training(auth.campaign.id, TrainingId(id))
        .await
        .map_err(store_err)?;
    auth.check_path(&t.territory.path, &format!("the training «{}»", t.title))?;
    Ok(t)
}

/// A training with its registrations (staff of its territory).
#[utoipa::path(get, path = "/campaigns/{campaign}/trainings/{training}", tag = "trainings",
    params(("campaign" = Uuid, Path), ("training" = Uuid, Path)),
    responses((status = 200, body = TrainingDetailDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_training(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<TrainingDetailDto>> {
    let (_, id) = path;
    let t = training_in_scope(&state, &auth, id).await?;
    let regs = state.store.registrations(auth.campaign.id, t.id).await?;
    Ok(Json(TrainingDetailDto {
        training: TrainingDto::new(t, false),
        registrations: regs.into_iter().map(Into::into).collect(),
    }))
}

/// Registers the caller for a training that concerns them — or, for staff who run trainings,
/// a volunteer of their territories. 409 `training_full` when no seat is left.
#[utoipa::path(post, path = "/campaigns/{campaign}/trainings/{training}/registrations", tag = "trainings",
    params(("campaign" = Uuid, Path), ("training" = Uuid, Path)), request_body = RegisterDto,
    responses((status = 201, body = RegistrationDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "`training_full` or `already_registered`", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    auth: Authorized<TakePart>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<RegisterDto>,
) -> ApiResult<(StatusCode, Json<RegistrationDto>)> {
    let (_, id) = path;
    let c = auth.campaign.id;
    let t = state
        .store
        .training(c, TrainingId(id))
        .await
        .map_err(store_err)?;
    let volunteer = match body.volunteer_id {
        Some(v) => {
            if !role_can::<_, ManageTrainings>(&auth) {
                return Err(ApiError::forbidden_role("register someone else"));
            }
            auth.check_path(&t.territory.path, &format!("the training «{}»", t.title))?;
            let v = state
                .store
                .volunteer(c, VolunteerId(v))
                .await
                .map_err(store_err)?;
            check_volunteer(&auth, &v)?;
            v
        }
        None => {
            if !concerns(&auth, &t.territory.path) {
                return Err(ApiError::out_of_scope(format!(
                    "the training «{}»",
                    t.title
                )));
            }
            state
                .store
                .volunteer_of_user(c, auth.user_id())
                .await
                .map_err(|_| {
                    ApiError::forbidden_role(
                        "register: you have no volunteer record in this campaign",
                    )
                })?
        }
    };
    let r = state
        .store
        .register(&auth.audit(), c, t.id, volunteer.id)
        .await
        .map_err(store_err)?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Records a registrant's attendance and validated skills (the trainer, after the session).
#[utoipa::path(put, path = "/campaigns/{campaign}/trainings/{training}/registrations/{volunteer}", tag = "trainings",
    params(("campaign" = Uuid, Path), ("training" = Uuid, Path), ("volunteer" = Uuid, Path)), request_body = AttendanceDto,
    responses((status = 200, body = RegistrationDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_attendance(
    State(state): State<AppState>,
    auth: Authorized<ManageTrainings>,
    ApiPath(path): ApiPath<(Uuid, Uuid, Uuid)>,
    ApiJson(body): ApiJson<AttendanceDto>,
) -> ApiResult<Json<RegistrationDto>> {
    let (_, id, volunteer) = path;
    let t = training_in_scope(&state, &auth, id).await?;
    let r = state
        .store
        .record_attendance(
            &auth.audit(),
            auth.campaign.id,
            t.id,
            VolunteerId(volunteer),
            &Attendance {
                attended: body.attended,
                skills: body.skills,
                validated: body.validated,
            },
        )
        .await
        .map_err(store_err)?;
    Ok(Json(r.into()))
}
