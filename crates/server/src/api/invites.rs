//! Invites: how walkers join. A coordinator makes a code for a territory; the walker types it
//! (or scans its QR code) in the field app.

use super::dto::*;
use super::extract::ApiJson;
use crate::access::{Authorized, CreateInvites, ReadInvites};
use crate::auth::secrets;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use terrain_model::{Role, TerritoryId};
use terrain_store::NewInvite;
use time::OffsetDateTime;

/// Invites for territories inside the caller's, newest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/invites", tag = "invites",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<InviteDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_invites(
    State(state): State<AppState>,
    auth: Authorized<ReadInvites>,
) -> ApiResult<Json<Vec<InviteDto>>> {
    let list = state.store.invites(auth.campaign.id, &auth.scope).await?;
    let mut names: std::collections::HashMap<TerritoryId, String> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(list.len());
    for i in list {
        let name = match names.get(&i.territory_id) {
            Some(n) => n.clone(),
            None => {
                let n = state
                    .store
                    .territory(auth.campaign.id, i.territory_id)
                    .await?
                    .name;
                names.insert(i.territory_id, n.clone());
                n
            }
        };
        out.push(InviteDto::new(i, name));
    }
    Ok(Json(out))
}

/// The base URL users reach the server at.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Makes an invite code for a territory inside the caller's; the code, its link and a QR code
/// are returned once.
#[utoipa::path(post, path = "/campaigns/{campaign}/invites", tag = "invites",
    params(("campaign" = Uuid, Path)), request_body = NewInviteDto,
    responses((status = 201, body = CreatedInviteDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_invite(
    State(state): State<AppState>,
    auth: Authorized<CreateInvites>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewInviteDto>,
) -> ApiResult<(StatusCode, Json<CreatedInviteDto>)> {
    let role: Role = body.role.map_or(Role::Walker, Into::into);
    if !matches!(role, Role::Walker | Role::Trainer) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "invites are for walkers and trainers",
        ));
    }
    auth.check_grant(role)?;
    let t = state
        .store
        .territory(auth.campaign.id, TerritoryId(body.territory_id))
        .await?;
    auth.check_territory(&t)?;
    let hours = body.expires_in_hours.unwrap_or(72).clamp(1, 30 * 24);
    let max_uses = body.max_uses.unwrap_or(1).clamp(1, 500);
    let code = secrets::invite_code();
    let invite = state
        .store
        .create_invite(
            &auth.audit(),
            auth.campaign.id,
            &NewInvite {
                code_hash: secrets::hash_secret(&secrets::normalise_invite_code(&code)),
                created_by: Some(auth.user_id()),
                role,
                territory_id: t.id,
                expires_at: OffsetDateTime::now_utc() + time::Duration::hours(i64::from(hours)),
                max_uses,
            },
        )
        .await?;
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

/// The link that opens the field app with the code filled in. The code travels in the
/// fragment, which browsers never send to servers: it stays out of access logs.
pub fn invite_url(base: &str, code: &str) -> String {
    format!("{}/field/#join={code}", base.trim_end_matches('/'))
}

/// `text` as a QR code, an SVG document (printable; no network needed).
pub fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
    Ok(qrcode::QrCode::new(text.as_bytes())?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build())
}
