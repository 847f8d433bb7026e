//! Who is calling: a browser session (HttpOnly cookie + anti-CSRF token on writes) or a bearer
//! API token (scripts). [`Principal`] is the extractor every authenticated endpoint takes.

pub mod ratelimit;
pub mod secrets;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use secrets::{API_TOKEN_PREFIX, constant_time_eq, hash_secret};
use terrain_model::{ApiTokenId, UserId};
use terrain_store::User;
use time::OffsetDateTime;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "terrain_session";
/// The header a browser echoes the anti-CSRF token in, on every write.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Clone, Debug)]
pub enum Via {
    /// A browser session; writes must carry this anti-CSRF token.
    Session {
        token_hash: String,
        csrf_token: String,
    },
    /// A bearer API token.
    Token(ApiTokenId),
}

/// The signed-in caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    pub via: Via,
}

impl Principal {
    /// The caller's id.
    pub fn id(&self) -> UserId {
        self.user.id
    }
}

/// True for methods that change something (and so need CSRF protection).
pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let now = OffsetDateTime::now_utc();
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let invalid = || {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "the bearer token is invalid, expired or revoked",
                )
            };
            let value = auth.to_str().map_err(|_| invalid())?;
            let token = value.strip_prefix("Bearer ").ok_or_else(invalid)?.trim();
            if !token.starts_with(API_TOKEN_PREFIX) {
                return Err(invalid());
            }
            let t = state
                .store
                .api_token_by_hash(&hash_secret(token))
                .await?
                .ok_or_else(invalid)?;
            if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) {
                return Err(invalid());
            }
            let user = state.store.user(t.user_id).await?;
            if user.disabled {
                return Err(invalid());
            }
            return Ok(Principal {
                user,
                via: Via::Token(t.id),
            });
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(ApiError::unauthenticated());
        };
        let token_hash = hash_secret(cookie.value());
        let expired = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "your session has expired: sign in again",
            )
        };
        let session = state
            .store
            .session(&token_hash)
            .await?
            .ok_or_else(expired)?;
        if session.expires_at <= now {
            state.store.delete_session(&token_hash).await?;
            return Err(expired());
        }
        let user = state.store.user(session.user_id).await?;
        if user.disabled {
            return Err(expired());
        }
        if is_write(&parts.method) {
            match parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
                None => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "csrf_token_missing",
                        format!("writes must carry the {CSRF_HEADER} header given at sign-in"),
                    ));
                }
                Some(sent) if !constant_time_eq(sent, &session.csrf_token) => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "csrf_token_invalid",
                        "the anti-CSRF token does not match this session",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(Principal {
            user,
            via: Via::Session {
                token_hash,
                csrf_token: session.csrf_token,
            },
        })
    }
}

/// The cookie that carries a new session.
pub fn session_cookie(
    token: String,
    state: &AppState,
    ttl: std::time::Duration,
) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .path("/")
        .max_age(time::Duration::seconds(
            i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
}

/// The cookie that clears the session.
pub fn cleared_cookie(state: &AppState) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .path("/")
        .max_age(time::Duration::ZERO)
        .build()
}

/// The client's address, for rate limiting.
pub fn client_key(parts_ext: &axum::http::Extensions) -> String {
    parts_ext
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
