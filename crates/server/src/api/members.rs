//! The people of a campaign and its pyramid: listing members within one's territories, adding
//! staff and walkers (never above one's own role, never outside one's territories).

use super::auth::check_new_password;
use super::dto::*;
use super::extract::{ApiJson, ApiPath};
use crate::access::{Authorized, ManageMembers, ReadMembers};
use crate::auth::secrets;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use terrain_model::{Email, Role, TerritoryId, UserId};
use terrain_store::{NewMember, NewUser, Scope};
use uuid::Uuid;

/// Members whose territories lie within the caller's (all of them for a director).
#[utoipa::path(get, path = "/campaigns/{campaign}/members", tag = "members",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<MemberDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    auth: Authorized<ReadMembers>,
) -> ApiResult<Json<Vec<MemberDto>>> {
    let members = state.store.members(auth.campaign.id, &auth.scope).await?;
    Ok(Json(members.into_iter().map(Into::into).collect()))
}

/// One member, if they work inside the caller's territories.
#[utoipa::path(get, path = "/campaigns/{campaign}/members/{user}", tag = "members",
    params(("campaign" = Uuid, Path), ("user" = Uuid, Path)),
    responses((status = 200, body = MemberDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(state): State<AppState>,
    auth: Authorized<ReadMembers>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<MemberDto>> {
    let m = state.store.member(auth.campaign.id, UserId(path.1)).await?;
    let visible = m.user.id == auth.user_id()
        || matches!(auth.scope, Scope::Campaign)
        || m.territories.iter().any(|t| auth.scope.covers(&t.path));
    if !visible {
        return Err(ApiError::out_of_scope("this member"));
    }
    Ok(Json(m.into()))
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", msg)
}

/// Adds a member: an existing account (by e-mail) or a new one. Staff accounts need an e-mail
/// and a password; walkers may have neither (they sign in with an invite).
#[utoipa::path(post, path = "/campaigns/{campaign}/members", tag = "members",
    params(("campaign" = Uuid, Path)), request_body = NewMemberDto,
    responses((status = 201, body = MemberDto), (status = 401, body = ErrorBody),
              (status = 403, description = "`forbidden_role`, `role_not_grantable` or `territory_out_of_scope`", body = ErrorBody),
              (status = 409, description = "`already_member`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    auth: Authorized<ManageMembers>,
    ApiJson(body): ApiJson<NewMemberDto>,
) -> ApiResult<(StatusCode, Json<MemberDto>)> {
    let c = auth.campaign.id;
    let role: Role = body.role.into();
    auth.check_grant(role)?;
    if role == Role::Admin {
        return Err(invalid(
            "admin is a server-wide role: use `terrain user add --admin`",
        ));
    }
    let mut territories = Vec::new();
    for id in &body.territories {
        let t = state.store.territory(c, TerritoryId(*id)).await?;
        auth.check_territory(&t)?;
        territories.push(t.id);
    }
    if !role.is_campaign_wide() && territories.is_empty() {
        return Err(invalid(format!("a {role} needs at least one territory")));
    }
    if let Some(t) = body.trained_by {
        state.store.member(c, UserId(t)).await?;
    }
    let email = body
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| invalid(e.to_string()))?;
    let existing = match &email {
        Some(e) => state.store.credentials_by_email(e).await?.map(|c| c.user),
        None => None,
    };
    let user = match existing {
        Some(u) => u,
        None => {
            let name = body
                .display_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("give the new member a display_name"))?;
            let staff = role != Role::Walker;
            if staff && (email.is_none() || body.password.is_none()) {
                return Err(invalid(format!(
                    "a new {role} account needs an e-mail and a password"
                )));
            }
            let password_hash = match body.password {
                Some(p) => {
                    check_new_password(&p)?;
                    Some(
                        secrets::hash_password(p)
                            .await
                            .map_err(ApiError::internal)?,
                    )
                }
                None => None,
            };
            state
                .store
                .create_user(
                    &auth.audit(),
                    &NewUser {
                        email,
                        display_name: name.to_string(),
                        password_hash,
                        is_admin: false,
                    },
                )
                .await?
        }
    };
    let m = state
        .store
        .add_member(
            &auth.audit(),
            c,
            &NewMember {
                user_id: user.id,
                role,
                territories,
                recruited_by: Some(auth.user_id()),
                trained_by: body.trained_by.map(UserId),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}
