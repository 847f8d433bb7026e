//! The API's one error type: an HTTP status, a stable snake_case code a client can match on,
//! and a human message. Causes of 5xx errors are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use terrain_store::{Fault, StorageError};
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `invalid_credentials`, `territory_out_of_scope`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The field or question at fault, when one is (`invalid_answers` names the question).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which a rate-limited client may retry.
    pub retry_after: Option<u64>,
    /// The field or question at fault, when one is.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            field: None,
        }
    }

    /// The same error, naming the field or question at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400: the request makes no sense.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no valid credentials.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first (session cookie or bearer token)",
        )
    }

    /// 403: signed in, but this role may not do this.
    pub fn forbidden_role(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden_role",
            format!("your role does not allow you to {what}"),
        )
    }

    /// 403: the territory is outside the caller's territories.
    pub fn out_of_scope(what: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "territory_out_of_scope",
            format!("{what} is outside your territories"),
        )
    }

    /// 404 with a code naming the missing thing.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500: logged here with its cause; the client gets no detail.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed; the error was logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            axum::Json(ErrorBody {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { what, key } => {
                let code = match what {
                    "campaign" => "campaign_not_found",
                    "territory" => "territory_not_found",
                    "user" | "member" => "member_not_found",
                    "invite" => "invite_not_found",
                    "address" => "address_not_found",
                    "building" => "building_not_found",
                    "api token" => "token_not_found",
                    "turf" => "turf_not_found",
                    "paper entry" => "paper_entry_not_found",
                    "questionnaire" | "questionnaire version" => "questionnaire_not_found",
                    _ => "not_found",
                };
                let msg = if key.is_empty() {
                    format!("{what} not found")
                } else {
                    format!("{what} not found: {key}")
                };
                ApiError::not_found(code, msg)
            }
            StorageError::Conflict { what, key } => {
                let code = match what {
                    "campaign" => "campaign_exists",
                    "user" => "email_taken",
                    "membership" => "already_member",
                    "turf plan" | "turf" => "turf_plan_changed",
                    "turf lock" => "turf_locked",
                    "turf checkout" => "turf_checked_out",
                    _ => "conflict",
                };
                ApiError::new(
                    StatusCode::CONFLICT,
                    code,
                    format!("{what} already exists: {key}"),
                )
            }
            StorageError::Invalid { what, reason } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                format!("invalid {what}: {reason}"),
            ),
            StorageError::InviteExpired => ApiError::new(
                StatusCode::GONE,
                "invite_expired",
                "this invite has expired: ask your coordinator for a new one",
            ),
            StorageError::InviteUsedUp => ApiError::new(
                StatusCode::GONE,
                "invite_used_up",
                "this invite has been used as many times as allowed: ask your coordinator for a new one",
            ),
            StorageError::Unavailable { .. }
            | StorageError::Migration(_)
            | StorageError::Database(_)
            | StorageError::BadUrl(_) => match e.fault() {
                Some(fault) => {
                    tracing::error!(error = %e, ?fault, "storage fault");
                    fault_error(fault)
                }
                None if matches!(&e, StorageError::Database(sqlx_err) if is_connection_error(sqlx_err)) =>
                {
                    tracing::error!(error = %e, "database unavailable");
                    fault_error(Fault::Unavailable)
                }
                None => ApiError::internal(e),
            },
        }
    }
}

/// The answer to a storage fault: the request was not done, and the same request succeeds once
/// the fault is gone (phones keep their records and send them again).
fn fault_error(fault: Fault) -> ApiError {
    let (status, code, message, retry_after) = match fault {
        Fault::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; try again shortly",
            5,
        ),
        Fault::ReadOnly => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database_read_only",
            "the database does not accept changes at the moment; nothing was changed, try again later",
            30,
        ),
        Fault::Full => (
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "the server's disk is full; nothing was changed, try again later",
            60,
        ),
    };
    ApiError {
        retry_after: Some(retry_after),
        ..ApiError::new(status, code, message)
    }
}

fn is_connection_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let s = e.to_string();
    s.contains("pool timed out") || s.contains("connection") || s.contains("database is locked")
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_faults_are_503_or_507_with_a_stable_code_and_a_retry_delay() {
        let e = ApiError::from(StorageError::Unavailable {
            url: "sqlite://x".into(),
            cause: "gone".into(),
        });
        assert_eq!(
            (e.status, e.code, e.retry_after),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                Some(5)
            )
        );
        let e = fault_error(Fault::ReadOnly);
        assert_eq!(
            (e.status, e.code),
            (StatusCode::SERVICE_UNAVAILABLE, "database_read_only")
        );
        let e = fault_error(Fault::Full);
        assert_eq!(
            (e.status, e.code),
            (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
        );
        // A bug is still a 500 that says nothing of its cause.
        let e = ApiError::from(StorageError::Migration("boom".into()));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
        );
    }
}
