//! Representativeness (issue 8): the quota board (directors the whole campaign, coordinators
//! and trainers their territories), the profiles still wanted shown to walkers when the
//! campaign allows it, the campaign's quota options, and weightings (directors).
//! The computations live in [`crate::quotas`] and [`crate::weighting`].

use super::extract::{ApiJson, ApiQuery};
use crate::access::{Authorized, FieldWork, PlanSurvey, ReadFieldProgress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::quotas::{QuotaBoardDto, QuotaCellDto, quota_board, wanted_near};
use crate::state::AppState;
use crate::weighting::{WeightingParams, run_weighting};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use terrain_store::{QuotaSettings, Scope, WeightingRun};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Profiles shown to a walker per territory.
pub const WANTED_PER_TERRITORY: usize = 6;

/// The quota board: cells (territory × profile) with target, fill, expected by now and status,
/// the territories most behind, and the profiles to go after.
#[utoipa::path(get, path = "/campaigns/{campaign}/quotas", tag = "survey",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = QuotaBoardDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    auth: Authorized<ReadFieldProgress>,
) -> ApiResult<Json<QuotaBoardDto>> {
    Ok(Json(
        quota_board(
            &*state.store,
            auth.campaign.id,
            &auth.scope,
            OffsetDateTime::now_utc(),
        )
        .await?,
    ))
}

/// What a walker's phone shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct WantedProfilesDto {
    /// False when the campaign does not show quotas to walkers (then `profiles` is empty).
    pub shown: bool,
    /// The profiles still wanted around the walker, most urgent first per territory: counts of
    /// interviews wanted, never a response.
    pub profiles: Vec<WantedProfileDto>,
}

/// One profile still wanted.
#[derive(Debug, Serialize, ToSchema)]
pub struct WantedProfileDto {
    pub territory_name: String,
    pub label: String,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub occupation: Option<String>,
    /// Interviews still wanted.
    pub remaining: usize,
    /// Behind schedule.
    pub behind: bool,
}

impl From<QuotaCellDto> for WantedProfileDto {
    fn from(c: QuotaCellDto) -> Self {
        Self {
            territory_name: c.territory_name,
            label: c.label,
            sex: c.sex,
            age_band: c.age_band,
            occupation: c.occupation,
            remaining: c.remaining,
            behind: c.status == "behind",
        }
    }
}

/// The profiles still wanted in the walker's area, when the campaign shows them to walkers.
#[utoipa::path(get, path = "/campaigns/{campaign}/field/quotas", tag = "field",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = WantedProfilesDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn field_quotas(
    State(state): State<AppState>,
    auth: Authorized<FieldWork>,
) -> ApiResult<Json<WantedProfilesDto>> {
    let settings = state.store.quota_settings(auth.campaign.id).await?;
    if !settings.show_to_walkers {
        return Ok(Json(WantedProfilesDto {
            shown: false,
            profiles: vec![],
        }));
    }
    let now = OffsetDateTime::now_utc();
    let board = quota_board(&*state.store, auth.campaign.id, &Scope::Campaign, now).await?;
    let paths = match &auth.scope {
        Scope::Campaign => board.cells.iter().filter_map(|c| c.path.clone()).collect(),
        Scope::Within(p) => p.clone(),
    };
    Ok(Json(WantedProfilesDto {
        shown: true,
        profiles: wanted_near(&board, &paths, WANTED_PER_TERRITORY)
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// The campaign's quota options.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaSettingsDto {
    /// Walkers' phones show the profiles still wanted in their area.
    pub show_to_walkers: bool,
    /// The field period "expected by now" is measured against (default: from the plan's
    /// acceptance, four weeks).
    #[serde(default, with = "terrain_model::campaign::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub field_starts_on: Option<Date>,
    #[serde(default, with = "terrain_model::campaign::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub field_ends_on: Option<Date>,
}

/// Sets the campaign's quota options (directors).
#[utoipa::path(put, path = "/campaigns/{campaign}/quota-settings", tag = "survey",
    params(("campaign" = Uuid, Path)), request_body = QuotaSettingsDto,
    responses((status = 200, body = QuotaSettingsDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: Authorized<PlanSurvey>,
    ApiJson(body): ApiJson<QuotaSettingsDto>,
) -> ApiResult<Json<QuotaSettingsDto>> {
    let s = state
        .store
        .set_quota_settings(
            &auth.audit(),
            auth.campaign.id,
            &QuotaSettings {
                show_to_walkers: body.show_to_walkers,
                field_starts_on: body.field_starts_on,
                field_ends_on: body.field_ends_on,
            },
        )
        .await?;
    Ok(Json(QuotaSettingsDto {
        show_to_walkers: s.show_to_walkers,
        field_starts_on: s.field_starts_on,
        field_ends_on: s.field_ends_on,
    }))
}

/// A stored weighting: what was asked and what came out (margins before and after, Kish's
/// design effect, effective sample size, the weight distribution, warnings). The weights
/// themselves stay on the server, for the analyses.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightingDto {
    pub id: Uuid,
    pub questionnaire_id: Uuid,
    pub plan_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// Responses with a weight.
    pub weighted: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<WeightingRun> for WeightingDto {
    fn from(r: WeightingRun) -> Self {
        Self {
            id: r.id,
            questionnaire_id: r.questionnaire_id,
            plan_id: r.plan_id,
            params: r.params,
            report: r.report,
            weighted: r.weighted,
            created_at: r.created_at,
        }
    }
}

/// Weights a questionnaire's responses: design weights from the accepted plan, calibrated to
/// the margins (directors). Bounds that cannot be met and margins that cannot be reached are
/// a 422 and nothing is stored.
#[utoipa::path(post, path = "/campaigns/{campaign}/weightings", tag = "survey",
    params(("campaign" = Uuid, Path)), request_body = WeightingParams,
    responses((status = 201, body = WeightingDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 422, description = "`invalid_input`, `no_accepted_plan`, `no_margins`, `no_respondents`, `weighting_infeasible`, `margins_unreachable`", body = ErrorBody)))]
pub async fn create_weighting(
    State(state): State<AppState>,
    auth: Authorized<PlanSurvey>,
    ApiJson(body): ApiJson<WeightingParams>,
) -> ApiResult<(StatusCode, Json<WeightingDto>)> {
    let run = run_weighting(&*state.store, &auth.audit(), auth.campaign.id, &body).await?;
    Ok((StatusCode::CREATED, Json(run.into())))
}

/// Which questionnaire's weighting to read.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LatestParams {
    pub questionnaire: Uuid,
}

/// The latest weighting of a questionnaire's responses (directors).
#[utoipa::path(get, path = "/campaigns/{campaign}/weightings/latest", tag = "survey",
    params(("campaign" = Uuid, Path), LatestParams),
    responses((status = 200, body = WeightingDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, description = "`weighting_not_found`: never weighted", body = ErrorBody)))]
pub async fn latest_weighting(
    State(state): State<AppState>,
    auth: Authorized<PlanSurvey>,
    ApiQuery(p): ApiQuery<LatestParams>,
) -> ApiResult<Json<WeightingDto>> {
    match state
        .store
        .latest_weighting(auth.campaign.id, p.questionnaire)
        .await?
    {
        Some(run) => Ok(Json(run.into())),
        None => Err(ApiError::not_found(
            "weighting_not_found",
            "this questionnaire's responses were never weighted",
        )),
    }
}
