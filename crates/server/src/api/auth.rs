//! Signing in and out: staff with e-mail and password, walkers with an invite code; the current
//! session; API tokens for scripts.

use super::dto::*;
use super::extract::{ApiJson, ApiPath};
use crate::auth::secrets::{self, API_TOKEN_PREFIX, Password};
use crate::auth::{Principal, Via, cleared_cookie, session_cookie};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use std::time::Instant;
use terrain_model::{ApiTokenId, Email, UserId};
use terrain_store::{ApiToken, Audit, Session, StorageError};
use time::OffsetDateTime;
use uuid::Uuid;

/// The client's address, for rate limiting.
#[derive(Debug)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(crate::auth::client_key(&parts.extensions)))
    }
}

fn too_many(retry_after: u64) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("too many failed attempts: try again in {retry_after} s"),
    );
    e.retry_after = Some(retry_after);
    e
}

/// Builds what `GET /auth/session` answers for a user.
pub async fn session_dto(
    state: &AppState,
    user: terrain_store::User,
    csrf: Option<String>,
) -> ApiResult<SessionDto> {
    let campaigns = if user.is_admin {
        state
            .store
            .campaigns()
            .await?
            .into_iter()
            .map(|c| MyCampaignDto {
                campaign: c.into(),
                role: RoleDto::Admin,
                territories: vec![],
            })
            .collect()
    } else {
        state
            .store
            .memberships_of(user.id)
            .await?
            .into_iter()
            .map(|(c, m)| MyCampaignDto {
                campaign: c.into(),
                role: m.role.into(),
                territories: m.territories.into_iter().map(Into::into).collect(),
            })
            .collect()
    };
    Ok(SessionDto {
        user: user.into(),
        csrf_token: csrf,
        campaigns,
    })
}

/// Opens a browser session: a fresh random token (never reuse one the browser brought: that
/// would allow session fixation), stored hashed, and a fresh anti-CSRF token.
async fn open_session(
    state: &AppState,
    jar: CookieJar,
    user: UserId,
    ttl: std::time::Duration,
) -> ApiResult<(CookieJar, String)> {
    if let Some(old) = jar.get(crate::auth::SESSION_COOKIE) {
        state
            .store
            .delete_session(&secrets::hash_secret(old.value()))
            .await?;
    }
    let token = secrets::random_token();
    let csrf = secrets::random_token();
    let now = OffsetDateTime::now_utc();
    state
        .store
        .create_session(&Session {
            token_hash: secrets::hash_secret(&token),
            user_id: user,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + ttl,
        })
        .await?;
    Ok((jar.add(session_cookie(token, state, ttl)), csrf))
}

/// Sign in with e-mail and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginDto,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionDto),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginDto>,
) -> ApiResult<(CookieJar, Json<SessionDto>)> {
    let now = Instant::now();
    let email_key = body.email.trim().to_lowercase();
    state
        .limits
        .by_client
        .check(&client, now)
        .map_err(too_many)?;
    state
        .limits
        .login_by_email
        .check(&email_key, now)
        .map_err(too_many)?;
    let creds = match Email::parse(&body.email) {
        Ok(email) => state.store.credentials_by_email(&email).await?,
        Err(_) => None,
    };
    let usable = creds.as_ref().filter(|c| !c.user.disabled);
    let hash = usable
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| secrets::decoy_hash().to_string());
    let ok = secrets::verify_password(body.password, hash).await
        && usable.is_some_and(|c| c.password_hash.is_some());
    let Some(creds) = creds.filter(|_| ok) else {
        state.limits.by_client.fail(&client, now);
        state.limits.login_by_email.fail(&email_key, now);
        tracing::info!(client = %client, "failed sign-in");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong e-mail or password",
        ));
    };
    state.limits.login_by_email.reset(&email_key);
    let (jar, csrf) =
        open_session(&state, jar, creds.user.id, state.config.staff_session_ttl).await?;
    tracing::info!(user = %creds.user.id, "signed in");
    Ok((
        jar,
        Json(session_dto(&state, creds.user, Some(csrf)).await?),
    ))
}

/// Join a campaign with an invite code (walkers): makes the account and signs the phone in.
#[utoipa::path(post, path = "/auth/join", tag = "auth", request_body = JoinDto,
    responses(
        (status = 200, description = "Joined; the session cookie is set", body = SessionDto),
        (status = 404, description = "`invite_not_found`", body = ErrorBody),
        (status = 410, description = "`invite_expired` or `invite_used_up`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = ErrorBody),
    ))]
pub async fn join(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<JoinDto>,
) -> ApiResult<(CookieJar, Json<SessionDto>)> {
    let now = Instant::now();
    state
        .limits
        .by_client
        .check(&client, now)
        .map_err(too_many)?;
    let code = secrets::normalise_invite_code(&body.code);
    if body.display_name.trim().is_empty() || body.display_name.chars().count() > 80 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "give a name of 1 to 80 characters",
        ));
    }
    let result = state
        .store
        .redeem_invite(
            &secrets::hash_secret(&code),
            &body.display_name,
            OffsetDateTime::now_utc(),
        )
        .await;
    let (_, member) = match result {
        Ok(ok) => ok,
        Err(e) => {
            if matches!(e, StorageError::NotFound { .. }) {
                state.limits.by_client.fail(&client, now);
            }
            return Err(e.into());
        }
    };
    // An invite made for a sign-up links the new account to that volunteer record (issue 6).
    if let Err(e) = state
        .store
        .link_by_invite(&secrets::hash_secret(&code), member.user.id)
        .await
    {
        tracing::warn!(error = %e, "could not link the new account to its sign-up");
    }
    let (jar, csrf) =
        open_session(&state, jar, member.user.id, state.config.walker_session_ttl).await?;
    tracing::info!(user = %member.user.id, "joined with an invite");
    Ok((
        jar,
        Json(session_dto(&state, member.user, Some(csrf)).await?),
    ))
}

/// Sign out: the session is deleted on the server and the cookie cleared.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody), (status = 403, description = "CSRF token missing or invalid", body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
    jar: CookieJar,
) -> ApiResult<(StatusCode, CookieJar)> {
    if let Via::Session { token_hash, .. } = &principal.via {
        state.store.delete_session(token_hash).await?;
    }
    Ok((StatusCode::NO_CONTENT, jar.add(cleared_cookie(&state))))
}

/// Who is signed in, their campaigns and roles, and the anti-CSRF token.
#[utoipa::path(get, path = "/auth/session", tag = "auth",
    responses((status = 200, body = SessionDto), (status = 401, description = "`unauthenticated` or `session_expired`", body = ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<SessionDto>> {
    let csrf = match principal.via {
        Via::Session { csrf_token, .. } => Some(csrf_token),
        Via::Token(_) => None,
    };
    Ok(Json(session_dto(&state, principal.user, csrf).await?))
}

/// Only staff accounts (with an e-mail) hold API tokens.
fn require_staff(p: &Principal) -> ApiResult<()> {
    if p.user.email.is_some() {
        Ok(())
    } else {
        Err(ApiError::forbidden_role("hold API tokens"))
    }
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<ApiTokenDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<ApiTokenDto>>> {
    require_staff(&principal)?;
    let tokens = state.store.api_tokens(principal.id()).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

/// Creates an API token for scripts. Its secret is shown once.
#[utoipa::path(post, path = "/auth/tokens", tag = "auth", request_body = NewApiTokenDto,
    responses((status = 201, body = CreatedApiTokenDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<NewApiTokenDto>,
) -> ApiResult<(StatusCode, Json<CreatedApiTokenDto>)> {
    require_staff(&principal)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "give the token a name of 1 to 100 characters",
        ));
    }
    let secret = format!("{API_TOKEN_PREFIX}{}", secrets::random_token());
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::now_utc());
    let token = ApiToken {
        id: ApiTokenId::new(),
        user_id: principal.id(),
        name: name.to_string(),
        created_at: now,
        expires_at: body
            .expires_in_days
            .map(|d| now + time::Duration::days(i64::from(d.min(3650)))),
        revoked_at: None,
    };
    state
        .store
        .create_api_token(
            &Audit::api(principal.id()),
            &token,
            &secrets::hash_secret(&secret),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiTokenDto {
            token: token.into(),
            secret,
        }),
    ))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/auth/tokens/{token}", tag = "auth",
    params(("token" = Uuid, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(token): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state
        .store
        .revoke_api_token(
            &Audit::api(principal.id()),
            principal.id(),
            ApiTokenId(token),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a new staff password.
pub fn check_new_password(p: &Password) -> ApiResult<()> {
    if p.expose().chars().count() < secrets::MIN_PASSWORD_LEN {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            format!(
                "passwords must have at least {} characters",
                secrets::MIN_PASSWORD_LEN
            ),
        ))
    } else {
        Ok(())
    }
}
