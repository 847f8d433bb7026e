//! Campaigns: the ones the caller works on, creating one (administrators), reading one.

use super::auth::session_dto;
use super::dto::*;
use super::extract::ApiJson;
use crate::access::{Admin, Authorized, ReadCampaign};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use terrain_model::Slug;
use terrain_store::NewCampaign;

/// The campaigns the caller works on, with their role in each (administrators see all).
#[utoipa::path(get, path = "/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<MyCampaignDto>), (status = 401, body = ErrorBody)))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<MyCampaignDto>>> {
    Ok(Json(
        session_dto(&state, principal.user, None).await?.campaigns,
    ))
}

/// Creates a campaign (server administrators).
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", request_body = NewCampaignDto,
    responses((status = 201, body = CampaignDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 409, description = "`campaign_exists`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_campaign(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<NewCampaignDto>,
) -> ApiResult<(StatusCode, Json<CampaignDto>)> {
    let slug = Slug::parse(&body.slug).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            e.to_string(),
        )
    })?;
    let c = state
        .store
        .create_campaign(
            &terrain_store::Audit::api(admin.id()),
            &NewCampaign {
                slug,
                name: body.name,
                retention_until: body.retention_until,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// One campaign, with the caller's role and territories in it.
#[utoipa::path(get, path = "/campaigns/{campaign}", tag = "campaigns",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = MyCampaignDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_campaign(auth: Authorized<ReadCampaign>) -> ApiResult<Json<MyCampaignDto>> {
    Ok(Json(MyCampaignDto {
        role: auth.role.into(),
        territories: auth.territories.into_iter().map(Into::into).collect(),
        campaign: auth.campaign.into(),
    }))
}
