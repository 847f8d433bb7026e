//! The audit log: every write, who made it and when (directors).

use super::dto::*;
use super::extract::ApiQuery;
use crate::access::{Authorized, ReadAudit};
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;

/// The campaign's audit log, newest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/audit", tag = "audit",
    params(("campaign" = Uuid, Path), AuditParams),
    responses((status = 200, body = Vec<AuditEntryDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn audit_log(
    State(state): State<AppState>,
    auth: Authorized<ReadAudit>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<Vec<AuditEntryDto>>> {
    let entries = state
        .store
        .audit_log(auth.campaign.id, p.limit.unwrap_or(100), p.before)
        .await?;
    Ok(Json(entries.into_iter().map(Into::into).collect()))
}
