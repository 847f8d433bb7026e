//! Volunteers: the public sign-up page's API, the list of volunteers (paged, searchable, scoped),
//! the recruitment funnel per coordinator, invites made for a sign-up, certificates, campaign
//! settings, recognition and the team leaderboard.

use super::dto::{CreatedInviteDto, InviteDto, PageParams, RoleDto, ScopeTerritoryDto};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::invites::{base_url, invite_url, qr_svg};
use crate::access::{
    Authorized, EditCampaign, ManageVolunteers, ReadVolunteers, Requirement, TakePart,
};
use crate::api::auth::ClientAddr;
use crate::auth::secrets;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_model::{
    Availability, Email, Phone, Postcode, Role, Slug, TerritoryId, TerritoryPath, UserId,
    VolunteerId, VolunteerStatus,
};
use terrain_store::{
    NewInvite, NewSignup, Scope, StorageError, Volunteer, VolunteerQuery, VolunteerSettings,
    VolunteerUpdate,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ── shared with trainings.rs and sorties.rs ───────────────────────────────────

/// Maps the store's refusals of this part to stable error codes.
pub(crate) fn store_err(e: StorageError) -> ApiError {
    let conflict = |code, msg: String| ApiError::new(StatusCode::CONFLICT, code, msg);
    match e {
        StorageError::Conflict {
            what: "schedule",
            key,
        } => conflict(
            "schedule_conflict",
            format!("already on the sortie «{key}» at the same time"),
        ),
        StorageError::Conflict {
            what: "training full",
            key,
        } => conflict("training_full", format!("this training is full ({key})")),
        StorageError::Conflict {
            what: "registration",
            ..
        } => conflict(
            "already_registered",
            "already registered for this training".into(),
        ),
        StorageError::Conflict { what: "team", key } => conflict(
            "team_exists",
            format!("a team named «{key}» already exists here"),
        ),
        StorageError::Conflict {
            what: "volunteer account",
            ..
        } => conflict(
            "already_linked",
            "this volunteer already has an account".into(),
        ),
        StorageError::Invalid {
            what: "untrained volunteer",
            reason,
        } => conflict("not_trained", reason),
        StorageError::Invalid {
            what: "consent",
            reason,
        } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "consent_required", reason),
        StorageError::NotFound { what, key } => {
            let code = match what {
                "volunteer" => "volunteer_not_found",
                "training" => "training_not_found",
                "registration" => "registration_not_found",
                "team" => "team_not_found",
                "sortie" => "sortie_not_found",
                _ => return StorageError::NotFound { what, key }.into(),
            };
            ApiError::not_found(code, format!("{what} not found: {key}"))
        }
        other => other.into(),
    }
}

/// 422 `invalid_input` with a message saying what and where.
pub(crate) fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", msg)
}

/// 403 unless the volunteer is the caller or works inside the caller's territories (unplaced
/// volunteers are seen by campaign-wide roles only).
pub(crate) fn check_volunteer<R>(auth: &Authorized<R>, v: &Volunteer) -> ApiResult<()> {
    if matches!(auth.scope, Scope::Campaign) || v.user_id == Some(auth.user_id()) {
        return Ok(());
    }
    match &v.territory {
        Some(t) if auth.scope.covers(&t.path) => Ok(()),
        _ => Err(ApiError::out_of_scope("this volunteer")),
    }
}

/// True when a territory at `path` concerns the caller: inside their territories, or above
/// them (a walker of one bureau sees the trainings and sorties of their arrondissement).
pub(crate) fn concerns<R>(auth: &Authorized<R>, path: &TerritoryPath) -> bool {
    auth.scope.covers(path) || auth.territories.iter().any(|t| path.contains(&t.path))
}

/// Whether the caller's role has capability `R2` (the role table decides).
pub(crate) fn role_can<R, R2: Requirement>(auth: &Authorized<R>) -> bool {
    auth.role.can(R2::CAPABILITY)
}

/// A stage of the recruitment funnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusDto {
    SignedUp,
    Contacted,
    Trained,
    Active,
    Inactive,
}

impl From<VolunteerStatus> for StatusDto {
    fn from(s: VolunteerStatus) -> Self {
        match s {
            VolunteerStatus::SignedUp => StatusDto::SignedUp,
            VolunteerStatus::Contacted => StatusDto::Contacted,
            VolunteerStatus::Trained => StatusDto::Trained,
            VolunteerStatus::Active => StatusDto::Active,
            VolunteerStatus::Inactive => StatusDto::Inactive,
        }
    }
}

impl From<StatusDto> for VolunteerStatus {
    fn from(s: StatusDto) -> Self {
        match s {
            StatusDto::SignedUp => VolunteerStatus::SignedUp,
            StatusDto::Contacted => VolunteerStatus::Contacted,
            StatusDto::Trained => VolunteerStatus::Trained,
            StatusDto::Active => VolunteerStatus::Active,
            StatusDto::Inactive => VolunteerStatus::Inactive,
        }
    }
}

/// A volunteer, as coordinators see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerDto {
    pub id: Uuid,
    /// Their account, once they have one.
    pub user_id: Option<Uuid>,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    pub territory: Option<ScopeTerritoryDto>,
    /// How the territory was found: `postcode`, `arrondissement`, `addresses`, `member`,
    /// `manual` or `unplaced`.
    pub placement: String,
    /// `weekday_daytime`, `weekday_evening`, `saturday_morning`…
    pub availability: Vec<String>,
    pub consent_contact: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub consent_at: Option<OffsetDateTime>,
    pub status: StatusDto,
    #[serde(with = "time::serde::rfc3339")]
    pub status_at: OffsetDateTime,
    /// `signup` or `member`.
    pub source: String,
    pub recruited_by: Option<Uuid>,
    pub recruited_by_name: Option<String>,
    /// An earlier sign-up with the same e-mail or phone: a possible duplicate, never merged.
    pub duplicate_of: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub trained_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl VolunteerDto {
    /// The DTO of a volunteer, with their recruiter's name.
    pub fn new(v: Volunteer, recruiter: Option<String>) -> Self {
        Self {
            id: v.id.0,
            user_id: v.user_id.map(|u| u.0),
            display_name: v.display_name,
            // "Do not contact": without the consent, nobody is shown how to reach them.
            email: v.email.filter(|_| v.consent_contact),
            phone: v.phone.filter(|_| v.consent_contact),
            postcode: v.postcode,
            territory: v.territory.map(Into::into),
            placement: v.placement.as_str().into(),
            availability: v
                .availability
                .slots()
                .into_iter()
                .map(String::from)
                .collect(),
            consent_contact: v.consent_contact,
            consent_at: v.consent_at,
            status: v.status.into(),
            status_at: v.status_at,
            source: v.source,
            recruited_by: v.recruited_by.map(|u| u.0),
            recruited_by_name: recruiter,
            duplicate_of: v.duplicate_of.map(|d| d.0),
            trained_at: v.trained_at,
            created_at: v.created_at,
        }
    }
}

/// Names of users, looked up once each.
pub(crate) async fn user_names(
    state: &AppState,
    ids: Vec<UserId>,
) -> ApiResult<HashMap<UserId, String>> {
    let mut out = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id) {
            match state.store.user(id).await {
                Ok(u) => {
                    e.insert(u.display_name);
                }
                Err(StorageError::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(out)
}

async fn dtos(state: &AppState, list: Vec<Volunteer>) -> ApiResult<Vec<VolunteerDto>> {
    let ids: Vec<UserId> = list.iter().filter_map(|v| v.recruited_by).collect();
    let names = user_names(state, ids).await?;
    Ok(list
        .into_iter()
        .map(|v| {
            let n = v.recruited_by.and_then(|r| names.get(&r).cloned());
            VolunteerDto::new(v, n)
        })
        .collect())
}

// ── the public sign-up page ───────────────────────────────────────────────────

/// What the public sign-up form needs to show.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupFormDto {
    pub campaign_name: String,
    /// False when the campaign stopped taking sign-ups.
    pub open: bool,
    /// The availability choices, by stable name.
    pub slots: Vec<String>,
}

/// A public sign-up: name, contact, postcode, availability, consent — and nothing more.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupDto {
    /// How to call them (a first name is enough).
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Five digits: places them in the territory of their postcode.
    pub postcode: String,
    #[serde(default)]
    pub availability: Vec<String>,
    /// They agree to be contacted by the campaign; required.
    pub consent: bool,
}

/// A sign-up received.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupDoneDto {
    /// The territory they were placed in, when their postcode led somewhere.
    pub territory_name: Option<String>,
}

async fn open_campaign(state: &AppState, slug: &str) -> ApiResult<terrain_model::Campaign> {
    let not_found = || ApiError::not_found("campaign_not_found", "no such campaign");
    let slug = Slug::parse(slug).map_err(|_| not_found())?;
    match state.store.campaign_by_slug(&slug).await {
        Ok(c) => Ok(c),
        Err(StorageError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// The public sign-up form of a campaign (no sign-in).
#[utoipa::path(get, path = "/public/{slug}/signup", tag = "volunteers", security(()),
    params(("slug" = String, Path, description = "The campaign's short name")),
    responses((status = 200, body = SignupFormDto), (status = 404, description = "`campaign_not_found`", body = ErrorBody)))]
pub async fn signup_form(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<SignupFormDto>> {
    let c = open_campaign(&state, &slug).await?;
    let settings = state.store.volunteer_settings(c.id).await?;
    Ok(Json(SignupFormDto {
        campaign_name: c.name,
        open: settings.signup_open,
        slots: Availability::SLOTS.iter().map(|s| s.to_string()).collect(),
    }))
}

/// Signs up as a volunteer (no sign-in). Rate-limited per client address; only JSON from the
/// same site is accepted (the origin check and the JSON content type stop cross-site forms).
#[utoipa::path(post, path = "/public/{slug}/signup", tag = "volunteers", security(()),
    params(("slug" = String, Path, description = "The campaign's short name")), request_body = SignupDto,
    responses((status = 201, body = SignupDoneDto), (status = 404, description = "`campaign_not_found`", body = ErrorBody),
              (status = 409, description = "`signup_closed`", body = ErrorBody),
              (status = 422, description = "`invalid_input` or `consent_required`", body = ErrorBody),
              (status = 429, description = "`too_many_attempts`", body = ErrorBody)))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<SignupDto>,
) -> ApiResult<(StatusCode, Json<SignupDoneDto>)> {
    let now = std::time::Instant::now();
    state
        .limits
        .signups_by_client
        .check(&client, now)
        .map_err(|wait| {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many sign-ups from here: try again in {wait} s"),
            );
            e.retry_after = Some(wait);
            e
        })?;
    let c = open_campaign(&state, &slug).await?;
    if !state.store.volunteer_settings(c.id).await?.signup_open {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "signup_closed",
            "this campaign is not taking sign-ups",
        ));
    }
    if !body.consent {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consent_required",
            "consent: agree to be contacted by the campaign to sign up",
        ));
    }
    let opt = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let email = opt(&body.email)
        .map(|e| Email::parse(&e))
        .transpose()
        .map_err(|e| invalid(format!("email: {e}")))?;
    let phone = opt(&body.phone)
        .map(|p| Phone::parse(&p))
        .transpose()
        .map_err(|e| invalid(format!("phone: {e}")))?;
    if email.is_none() && phone.is_none() {
        return Err(invalid("email, phone: give at least one way to reach you"));
    }
    let postcode =
        Postcode::parse(&body.postcode).map_err(|e| invalid(format!("postcode: {e}")))?;
    let availability = Availability::from_slots(&body.availability)
        .map_err(|e| invalid(format!("availability: {e}")))?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(invalid("name: give a name of 1 to 80 characters"));
    }
    let v = state
        .store
        .sign_up(
            &terrain_store::Audit::system(terrain_store::AuditSource::Api),
            c.id,
            &NewSignup {
                display_name: name.to_string(),
                email,
                phone,
                postcode,
                availability,
                consent_contact: true,
            },
        )
        .await
        .map_err(store_err)?;
    state.limits.signups_by_client.fail(&client, now);
    Ok((
        StatusCode::CREATED,
        Json(SignupDoneDto {
            territory_name: v.territory.map(|t| t.name),
        }),
    ))
}

// ── the list, one volunteer, changes ──────────────────────────────────────────

/// Filters of the volunteer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolunteerListParams {
    /// Part of a name, e-mail, phone or postcode.
    pub q: Option<String>,
    pub status: Option<StatusDto>,
    /// Only inside this territory.
    pub territory: Option<Uuid>,
    /// Only possible duplicates.
    #[serde(default)]
    pub duplicates: bool,
    /// Only those not placed yet (campaign-wide roles).
    #[serde(default)]
    pub unplaced: bool,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// One page of volunteers.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerPageDto {
    /// How many match in all.
    pub total: u64,
    pub items: Vec<VolunteerDto>,
}

/// Volunteers inside the caller's territories, newest first, paged and searchable.
#[utoipa::path(get, path = "/campaigns/{campaign}/volunteers", tag = "volunteers",
    params(("campaign" = Uuid, Path), VolunteerListParams),
    responses((status = 200, body = VolunteerPageDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_volunteers(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiQuery(p): ApiQuery<VolunteerListParams>,
) -> ApiResult<Json<VolunteerPageDto>> {
    let c = auth.campaign.id;
    if let Some(t) = p.territory {
        auth.check_territory(&state.store.territory(c, TerritoryId(t)).await?)?;
    }
    let page = state
        .store
        .volunteers(
            c,
            &VolunteerQuery {
                scope: auth.scope.clone(),
                search: p.q,
                status: p.status.map(Into::into),
                within: p.territory.map(TerritoryId),
                duplicates: p.duplicates,
                unplaced: p.unplaced && matches!(auth.scope, Scope::Campaign),
                limit: p.limit.unwrap_or(50).clamp(1, 500),
                offset: p.offset.unwrap_or(0),
            },
        )
        .await?;
    Ok(Json(VolunteerPageDto {
        total: page.total,
        items: dtos(&state, page.items).await?,
    }))
}

/// A training a volunteer registered for, as shown on their record.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerTrainingDto {
    pub training_id: Uuid,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub attended: Option<bool>,
    pub skills: Vec<String>,
    pub validated: bool,
}

/// A volunteer with their trainings and possible duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerDetailDto {
    pub volunteer: VolunteerDto,
    pub trainings: Vec<VolunteerTrainingDto>,
    /// The record this one may duplicate, when there is one.
    pub duplicate_of: Option<VolunteerDto>,
}

/// One volunteer, if they work inside the caller's territories.
#[utoipa::path(get, path = "/campaigns/{campaign}/volunteers/{volunteer}", tag = "volunteers",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)),
    responses((status = 200, body = VolunteerDetailDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_volunteer(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<VolunteerDetailDto>> {
    let (_, id) = path;
    let c = auth.campaign.id;
    let v = state
        .store
        .volunteer(c, VolunteerId(id))
        .await
        .map_err(store_err)?;
    check_volunteer(&auth, &v)?;
    let trainings = state
        .store
        .registrations_of(c, v.id)
        .await?
        .into_iter()
        .map(|(t, r)| VolunteerTrainingDto {
            training_id: t.id.0,
            title: t.title,
            starts_at: t.starts_at,
            attended: r.attended,
            skills: r.skills,
            validated: r.validated_at.is_some(),
        })
        .collect();
    let dup = match v.duplicate_of {
        Some(d) => {
            let other = state.store.volunteer(c, d).await.map_err(store_err)?;
            // The other record is shown only where the caller may see it.
            check_volunteer(&auth, &other).ok().map(|_| other)
        }
        None => None,
    };
    let mut list = dtos(&state, vec![v]).await?;
    let dup = match dup {
        Some(d) => dtos(&state, vec![d]).await?.pop(),
        None => None,
    };
    Ok(Json(VolunteerDetailDto {
        volunteer: list
            .pop()
            .ok_or_else(|| ApiError::internal("volunteer vanished"))?,
        trainings,
        duplicate_of: dup,
    }))
}

/// A change to a volunteer's record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VolunteerUpdateDto {
    /// A new stage (moving someone to `contacted` makes the caller their recruiter if they had
    /// none).
    pub status: Option<StatusDto>,
    /// Place them in another territory (inside the caller's).
    pub territory_id: Option<Uuid>,
    pub availability: Option<Vec<String>>,
}

/// Moves a volunteer through the funnel, places them, or records their availability.
#[utoipa::path(patch, path = "/campaigns/{campaign}/volunteers/{volunteer}", tag = "volunteers",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)), request_body = VolunteerUpdateDto,
    responses((status = 200, body = VolunteerDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_volunteer(
    State(state): State<AppState>,
    auth: Authorized<ManageVolunteers>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<VolunteerUpdateDto>,
) -> ApiResult<Json<VolunteerDto>> {
    let (_, id) = path;
    let c = auth.campaign.id;
    let v = state
        .store
        .volunteer(c, VolunteerId(id))
        .await
        .map_err(store_err)?;
    check_volunteer(&auth, &v)?;
    if let Some(t) = body.territory_id {
        auth.check_territory(&state.store.territory(c, TerritoryId(t)).await?)?;
    }
    let availability = body
        .availability
        .as_deref()
        .map(Availability::from_slots)
        .transpose()
        .map_err(|e| invalid(format!("availability: {e}")))?;
    let status: Option<VolunteerStatus> = body.status.map(Into::into);
    let recruited_by = (status == Some(VolunteerStatus::Contacted) && v.recruited_by.is_none())
        .then(|| auth.user_id());
    let v = state
        .store
        .update_volunteer(
            &auth.audit(),
            c,
            v.id,
            &VolunteerUpdate {
                status,
                territory: body.territory_id.map(TerritoryId),
                availability,
                recruited_by,
            },
        )
        .await
        .map_err(store_err)?;
    Ok(Json(
        dtos(&state, vec![v])
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("volunteer vanished"))?,
    ))
}

/// Makes a single-use invite for a sign-up: when they join with it, their new account is
/// linked to their record (no second record, their history kept). Returned once, with its link
/// and QR code.
#[utoipa::path(post, path = "/campaigns/{campaign}/volunteers/{volunteer}/invite", tag = "volunteers",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)),
    responses((status = 201, body = CreatedInviteDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "`already_linked`", body = ErrorBody),
              (status = 422, description = "unplaced volunteer", body = ErrorBody)))]
pub async fn invite_volunteer(
    State(state): State<AppState>,
    auth: Authorized<ManageVolunteers>,
    headers: HeaderMap,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, Json<CreatedInviteDto>)> {
    let (_, id) = path;
    let c = auth.campaign.id;
    let v = state
        .store
        .volunteer(c, VolunteerId(id))
        .await
        .map_err(store_err)?;
    check_volunteer(&auth, &v)?;
    auth.check_grant(Role::Walker)?;
    if v.user_id.is_some() {
        return Err(store_err(StorageError::Conflict {
            what: "volunteer account",
            key: v.id.to_string(),
        }));
    }
    let Some(t) = v.territory.clone() else {
        return Err(invalid(
            "territory: place this volunteer in a territory first",
        ));
    };
    let code = secrets::invite_code();
    let invite = state
        .store
        .create_invite(
            &auth.audit(),
            c,
            &NewInvite {
                code_hash: secrets::hash_secret(&secrets::normalise_invite_code(&code)),
                created_by: Some(auth.user_id()),
                role: Role::Walker,
                territory_id: t.id,
                expires_at: OffsetDateTime::now_utc() + time::Duration::days(14),
                max_uses: 1,
            },
        )
        .await?;
    state
        .store
        .tie_invite(&auth.audit(), c, invite.id, v.id)
        .await
        .map_err(store_err)?;
    let url = invite_url(&base_url(&state, &headers), &code);
    let qr_svg = qr_svg(&url).map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInviteDto {
            invite: InviteDto::new(invite, t.name),
            code,
            url,
            qr_svg,
        }),
    ))
}

// ── the funnel ────────────────────────────────────────────────────────────────

/// How many volunteers are at each stage.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StageCountsDto {
    pub signed_up: u64,
    pub contacted: u64,
    pub trained: u64,
    pub active: u64,
    pub inactive: u64,
}

impl StageCountsDto {
    fn add(&mut self, s: VolunteerStatus, n: u64) {
        match s {
            VolunteerStatus::SignedUp => self.signed_up += n,
            VolunteerStatus::Contacted => self.contacted += n,
            VolunteerStatus::Trained => self.trained += n,
            VolunteerStatus::Active => self.active += n,
            VolunteerStatus::Inactive => self.inactive += n,
        }
    }
}

/// One coordinator's funnel: the volunteers of their territories, and how many they brought in.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelRowDto {
    pub user_id: Uuid,
    pub name: String,
    pub territories: Vec<String>,
    pub counts: StageCountsDto,
    /// Volunteers this coordinator recruited (wherever they work).
    pub recruited: u64,
}

/// The recruitment funnel of the caller's territories.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelDto {
    pub totals: StageCountsDto,
    /// Sign-ups whose postcode led nowhere (campaign-wide roles only).
    pub unplaced: u64,
    pub coordinators: Vec<FunnelRowDto>,
}

/// The funnel (signed up → contacted → trained → active → inactive) for the caller's
/// territories and per coordinator in them, with who recruited how many.
#[utoipa::path(get, path = "/campaigns/{campaign}/funnel", tag = "volunteers",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = FunnelDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn funnel(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
) -> ApiResult<Json<FunnelDto>> {
    let c = auth.campaign.id;
    let counts = state.store.funnel_counts(c, &auth.scope).await?;
    let mut totals = StageCountsDto::default();
    let mut unplaced = 0;
    for f in &counts {
        totals.add(f.status, f.count);
        if f.territory.is_none() {
            unplaced += f.count;
        }
    }
    let all_counts = if matches!(auth.scope, Scope::Campaign) {
        counts.clone()
    } else {
        state.store.funnel_counts(c, &Scope::Campaign).await?
    };
    let mut coordinators = Vec::new();
    for m in state.store.members(c, &auth.scope).await? {
        if m.role != Role::Coordinator {
            continue;
        }
        let mut row = FunnelRowDto {
            user_id: m.user.id.0,
            name: m.user.display_name.clone(),
            territories: m.territories.iter().map(|t| t.name.clone()).collect(),
            counts: StageCountsDto::default(),
            recruited: 0,
        };
        for f in &counts {
            if f.territory
                .as_ref()
                .is_some_and(|p| m.territories.iter().any(|t| t.path.contains(p)))
            {
                row.counts.add(f.status, f.count);
            }
        }
        row.recruited = all_counts
            .iter()
            .filter(|f| f.recruited_by == Some(m.user.id))
            .map(|f| f.count)
            .sum();
        coordinators.push(row);
    }
    coordinators.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(FunnelDto {
        totals,
        unplaced,
        coordinators,
    }))
}

// ── certificates ──────────────────────────────────────────────────────────────

/// A validated training on a certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertifiedTrainingDto {
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub trainer_name: Option<String>,
    pub skills: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub validated_at: OffsetDateTime,
}

/// A training certificate, to print.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateDto {
    pub volunteer_name: String,
    pub campaign_name: String,
    /// Their role in the campaign, when they are a member.
    pub role: Option<RoleDto>,
    pub territory_name: Option<String>,
    pub trainings: Vec<CertifiedTrainingDto>,
}

/// The certificate of a trained volunteer (coordinators trained by the national trainers,
/// walkers trained by coordinators): their validated trainings and skills.
#[utoipa::path(get, path = "/campaigns/{campaign}/volunteers/{volunteer}/certificate", tag = "volunteers",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)),
    responses((status = 200, body = CertificateDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "`volunteer_not_found` or `not_trained`", body = ErrorBody)))]
pub async fn certificate(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<CertificateDto>> {
    let (_, id) = path;
    let c = auth.campaign.id;
    let v = state
        .store
        .volunteer(c, VolunteerId(id))
        .await
        .map_err(store_err)?;
    check_volunteer(&auth, &v)?;
    let trainings: Vec<CertifiedTrainingDto> = state
        .store
        .registrations_of(c, v.id)
        .await?
        .into_iter()
        .filter_map(|(t, r)| {
            r.validated_at.map(|at| CertifiedTrainingDto {
                title: t.title,
                starts_at: t.starts_at,
                trainer_name: t.trainer_name,
                skills: r.skills,
                validated_at: at,
            })
        })
        .collect();
    if trainings.is_empty() {
        return Err(ApiError::not_found(
            "not_trained",
            "this volunteer has no validated training yet",
        ));
    }
    let role = match v.user_id {
        Some(u) => match state.store.member(c, u).await {
            Ok(m) => Some(m.role.into()),
            Err(StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok(Json(CertificateDto {
        volunteer_name: v.display_name,
        campaign_name: auth.campaign.name.clone(),
        role,
        territory_name: v.territory.map(|t| t.name),
        trainings,
    }))
}

// ── settings and the leaderboard ──────────────────────────────────────────────

/// The campaign's rules about volunteers.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerSettingsDto {
    /// A walker is given turfs (and joins sorties) only once trained. On by default.
    pub turfs_require_training: bool,
    /// The public sign-up page takes sign-ups.
    pub signup_open: bool,
    /// Territories where the team leaderboard is switched off.
    pub leaderboard_hidden: Vec<Uuid>,
}

impl From<VolunteerSettings> for VolunteerSettingsDto {
    fn from(s: VolunteerSettings) -> Self {
        Self {
            turfs_require_training: s.turfs_require_training,
            signup_open: s.signup_open,
            leaderboard_hidden: s.leaderboard_hidden.into_iter().map(|t| t.0).collect(),
        }
    }
}

/// New rules.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VolunteerSettingsUpdateDto {
    pub turfs_require_training: bool,
    pub signup_open: bool,
}

/// The campaign's rules about volunteers.
#[utoipa::path(get, path = "/campaigns/{campaign}/volunteer-settings", tag = "volunteers",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = VolunteerSettingsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
) -> ApiResult<Json<VolunteerSettingsDto>> {
    Ok(Json(
        state
            .store
            .volunteer_settings(auth.campaign.id)
            .await?
            .into(),
    ))
}

/// Changes the campaign's rules (directors).
#[utoipa::path(put, path = "/campaigns/{campaign}/volunteer-settings", tag = "volunteers",
    params(("campaign" = Uuid, Path)), request_body = VolunteerSettingsUpdateDto,
    responses((status = 200, body = VolunteerSettingsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: Authorized<EditCampaign>,
    ApiJson(body): ApiJson<VolunteerSettingsUpdateDto>,
) -> ApiResult<Json<VolunteerSettingsDto>> {
    let c = auth.campaign.id;
    let mut s = state.store.volunteer_settings(c).await?;
    s.turfs_require_training = body.turfs_require_training;
    s.signup_open = body.signup_open;
    Ok(Json(
        state
            .store
            .set_volunteer_settings(&auth.audit(), c, &s)
            .await?
            .into(),
    ))
}

/// Showing or hiding the leaderboard in a territory.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LeaderboardSwitchDto {
    pub territory_id: Uuid,
    pub visible: bool,
}

/// A team's place on the leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamScoreDto {
    pub team_id: Uuid,
    pub name: String,
    pub territory_name: String,
    pub members: u32,
    pub sorties: u64,
    pub trainings: u64,
    pub doors: u64,
    pub conversations: u64,
    pub questionnaires: u64,
}

/// The team leaderboard of the caller's territory.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardDto {
    /// False when the coordinator switched it off here.
    pub visible: bool,
    /// Best first (by sorties, then doors).
    pub teams: Vec<TeamScoreDto>,
}

/// What each volunteer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerScoreDto {
    pub volunteer_id: Uuid,
    pub display_name: String,
    pub sorties: u64,
    pub trainings: u64,
    pub doors: u64,
    pub conversations: u64,
    pub questionnaires: u64,
}

/// Recognition: per volunteer and per team, inside the caller's territories.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecognitionDto {
    /// The most active first (at most `limit`).
    pub volunteers: Vec<VolunteerScoreDto>,
    pub teams: Vec<TeamScoreDto>,
    /// Whether the leaderboard is shown to walkers here.
    pub leaderboard_visible: bool,
}

async fn hidden_paths(
    state: &AppState,
    c: terrain_model::CampaignId,
) -> ApiResult<Vec<TerritoryPath>> {
    let mut out = Vec::new();
    for t in state.store.volunteer_settings(c).await?.leaderboard_hidden {
        out.push(state.store.territory(c, t).await?.path);
    }
    Ok(out)
}

async fn team_scores<R>(
    state: &AppState,
    auth: &Authorized<R>,
    related: bool,
) -> ApiResult<(Vec<TeamScoreDto>, Vec<terrain_store::VolunteerTally>)> {
    let c = auth.campaign.id;
    let now = OffsetDateTime::now_utc();
    let teams = state.store.teams(c, &Scope::Campaign).await?;
    let teams: Vec<_> = teams
        .into_iter()
        .filter(|t| {
            if related {
                concerns(auth, &t.territory.path)
            } else {
                auth.scope.covers(&t.territory.path)
            }
        })
        .collect();
    let tally_scope = if related && !matches!(auth.scope, Scope::Campaign) {
        Scope::Within(teams.iter().map(|t| t.territory.path.clone()).collect())
    } else {
        auth.scope.clone()
    };
    let tallies = state.store.tallies(c, &tally_scope, now).await?;
    let by_id: HashMap<VolunteerId, &terrain_store::VolunteerTally> =
        tallies.iter().map(|t| (t.volunteer_id, t)).collect();
    let mut scores: Vec<TeamScoreDto> = teams
        .iter()
        .map(|t| {
            let mut s = TeamScoreDto {
                team_id: t.id.0,
                name: t.name.clone(),
                territory_name: t.territory.name.clone(),
                members: t.members.len() as u32,
                sorties: 0,
                trainings: 0,
                doors: 0,
                conversations: 0,
                questionnaires: 0,
            };
            for m in &t.members {
                if let Some(v) = by_id.get(&m.volunteer_id) {
                    s.sorties += v.sorties;
                    s.trainings += v.trainings;
                    s.doors += v.doors;
                    s.conversations += v.conversations;
                    s.questionnaires += v.questionnaires;
                }
            }
            s
        })
        .collect();
    scores.sort_by(|a, b| {
        (b.sorties, b.doors, b.questionnaires)
            .cmp(&(a.sorties, a.doors, a.questionnaires))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok((scores, tallies))
}

/// The team leaderboard of the caller's territory, unless its coordinator switched it off.
#[utoipa::path(get, path = "/campaigns/{campaign}/leaderboard", tag = "volunteers",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = LeaderboardDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn leaderboard(
    State(state): State<AppState>,
    auth: Authorized<TakePart>,
) -> ApiResult<Json<LeaderboardDto>> {
    let hidden = hidden_paths(&state, auth.campaign.id).await?;
    let mine_hidden = !auth.territories.is_empty()
        && auth
            .territories
            .iter()
            .all(|t| hidden.iter().any(|h| h.contains(&t.path)));
    if mine_hidden {
        return Ok(Json(LeaderboardDto {
            visible: false,
            teams: vec![],
        }));
    }
    let (scores, _) = team_scores(&state, &auth, true).await?;
    let teams = state
        .store
        .teams(auth.campaign.id, &Scope::Campaign)
        .await?;
    let visible_team = |id: Uuid| {
        teams
            .iter()
            .find(|t| t.id.0 == id)
            .is_some_and(|t| !hidden.iter().any(|h| h.contains(&t.territory.path)))
    };
    Ok(Json(LeaderboardDto {
        visible: true,
        teams: scores
            .into_iter()
            .filter(|s| visible_team(s.team_id))
            .collect(),
    }))
}

/// Shows or hides the team leaderboard in a territory of the caller's (and below it).
#[utoipa::path(put, path = "/campaigns/{campaign}/leaderboard", tag = "volunteers",
    params(("campaign" = Uuid, Path)), request_body = LeaderboardSwitchDto,
    responses((status = 200, body = VolunteerSettingsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn switch_leaderboard(
    State(state): State<AppState>,
    auth: Authorized<ManageVolunteers>,
    ApiJson(body): ApiJson<LeaderboardSwitchDto>,
) -> ApiResult<Json<VolunteerSettingsDto>> {
    let c = auth.campaign.id;
    let t = state
        .store
        .territory(c, TerritoryId(body.territory_id))
        .await?;
    auth.check_territory(&t)?;
    Ok(Json(
        state
            .store
            .set_leaderboard(&auth.audit(), c, t.id, body.visible)
            .await?
            .into(),
    ))
}

/// Recognition for the caller's territories: what each volunteer and team did (sorties and
/// trainings now; doors, conversations and questionnaires once the field app records them).
#[utoipa::path(get, path = "/campaigns/{campaign}/recognition", tag = "volunteers",
    params(("campaign" = Uuid, Path), PageParams),
    responses((status = 200, body = RecognitionDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn recognition(
    State(state): State<AppState>,
    auth: Authorized<ReadVolunteers>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult<Json<RecognitionDto>> {
    let (teams, mut tallies) = team_scores(&state, &auth, false).await?;
    tallies.sort_by(|a, b| {
        (b.sorties, b.doors, b.trainings)
            .cmp(&(a.sorties, a.doors, a.trainings))
            .then_with(|| a.display_name.cmp(&b.display_name))
    });
    let limit = p.limit.unwrap_or(100).clamp(1, 1000) as usize;
    let offset = p.offset.unwrap_or(0) as usize;
    let hidden = hidden_paths(&state, auth.campaign.id).await?;
    let leaderboard_visible = auth.territories.is_empty()
        || !auth
            .territories
            .iter()
            .all(|t| hidden.iter().any(|h| h.contains(&t.path)));
    Ok(Json(RecognitionDto {
        volunteers: tallies
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|t| VolunteerScoreDto {
                volunteer_id: t.volunteer_id.0,
                display_name: t.display_name,
                sorties: t.sorties,
                trainings: t.trainings,
                doors: t.doors,
                conversations: t.conversations,
                questionnaires: t.questionnaires,
            })
            .collect(),
        teams,
        leaderboard_visible,
    }))
}
