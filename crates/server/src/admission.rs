//! Admission of field uploads. SQLite has one writer, and even PostgreSQL on a few cores writes
//! only so many uploads at once: past that, an upload waits behind all the others, and under a
//! burst of hundreds of phones every upload waits seconds. Terrain writes at most
//! [`ServerConfig::sync_max_in_flight`](crate::ServerConfig::sync_max_in_flight) uploads at once;
//! the next one waits at most
//! [`ServerConfig::sync_admission_wait`](crate::ServerConfig::sync_admission_wait) for a slot,
//! then is answered `429 server_busy` with `Retry-After`, before its body is even read. The phone
//! keeps every record until acknowledged, so it loses nothing: it sends again after the delay.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use tokio::sync::OwnedSemaphorePermit;

/// A slot to write one upload, held (and given back) with the value. Put it after the
/// authorisation extractor (a stranger gets 401, not 429) and before the body.
#[derive(Debug)]
pub struct UploadSlot {
    _permit: Option<OwnedSemaphorePermit>,
}

impl FromRequestParts<AppState> for UploadSlot {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(slots) = &state.sync_slots else {
            return Ok(Self { _permit: None });
        };
        let wait = state.config.sync_admission_wait;
        match tokio::time::timeout(wait, slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Self {
                _permit: Some(permit),
            }),
            // Timed out, or the semaphore closed (never done): busy either way.
            _ => Err(server_busy()),
        }
    }
}

/// 429 for an upload beyond the server's admission limit.
pub fn server_busy() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "server_busy",
        "the server is writing as many uploads as it takes at once: nothing was stored, send again in a moment",
    );
    e.retry_after = Some(1);
    e
}
