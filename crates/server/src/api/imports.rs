//! Uploading official files from the dashboard (directors): the body is the file as published
//! (plain or gzip), streamed to a temporary file, then imported by `terrain-import` in one
//! transaction. The answer is the import's summary; a bad file is a 422 naming file, line and
//! field, and nothing is stored.

use super::extract::{ApiPath, ApiQuery};
use crate::access::{Authorized, ImportData};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use futures::StreamExt;
use serde::Deserialize;
use std::io::Write;
use terrain_import::{ImportError, ResultsImport, Target};
use terrain_ingest::contours::{ContourKind, ContourMapping};
use utoipa::IntoParams;
use uuid::Uuid;

/// The largest file accepted from the dashboard; bigger national files go through
/// `terrain import` on the server.
pub const MAX_UPLOAD: u64 = 512 * 1024 * 1024;

/// Options of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The file's name, for messages and the audit log.
    pub filename: Option<String>,
    /// results: the election (`2017_pres_t1`), guessed from the file name when absent.
    pub election: Option<String>,
    /// census: the table's name in Terrain.
    pub table: Option<String>,
    /// contours: `bureau`, `iris` or `commune`.
    pub contour_kind: Option<String>,
    /// contours: `paris-2017` or `lyon-2012` for city layers.
    pub mapping: Option<String>,
}

fn file_name(p: &ImportParams, kind: &str) -> String {
    p.filename
        .as_deref()
        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
        .filter(|f| !f.is_empty())
        .map(|f| f.chars().filter(|c| !c.is_control()).take(200).collect())
        .unwrap_or_else(|| format!("{kind}-upload"))
}

fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Ingest(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            e.to_string(),
        ),
        ImportError::Options(m) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file", m)
        }
        ImportError::Io { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            e.to_string(),
        ),
        ImportError::Storage(s) => s.into(),
    }
}

/// Imports a file into the campaign. `kind` is `results`, `census`, `contours`, `addresses` or
/// `communes`; the body is the file.
#[utoipa::path(post, path = "/campaigns/{campaign}/imports/{kind}", tag = "data",
    params(("campaign" = Uuid, Path), ("kind" = String, Path, description = "results, census, contours, addresses or communes"), ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file as published (plain or gzip)"),
    responses((status = 201, description = "The import's summary", body = Object),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, description = "`invalid_file`: names file, line and field", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Authorized<ImportData>,
    ApiPath(path): ApiPath<(Uuid, String)>,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<terrain_import::ImportSummary>)> {
    let kind = path.1;
    if !["results", "census", "contours", "addresses", "communes"].contains(&kind.as_str()) {
        return Err(ApiError::not_found(
            "not_found",
            format!("no import of kind {kind:?}"),
        ));
    }
    let contour_kind = match p.contour_kind.as_deref() {
        None | Some("bureau") => ContourKind::Bureau,
        Some("iris") => ContourKind::Iris,
        Some("commune") => ContourKind::Commune,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("contour_kind {other:?}: use bureau, iris or commune"),
            ));
        }
    };
    let mapping = match p.mapping.as_deref() {
        None => None,
        Some("paris-2017") => Some(ContourMapping::paris_2017()),
        Some("lyon-2012") => Some(ContourMapping::lyon_2012()),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("mapping {other:?}: use paris-2017 or lyon-2012"),
            ));
        }
    };
    // Stream the body to a temporary file, within the size limit.
    let mut tmp = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request("invalid_body", format!("the upload was interrupted: {e}"))
        })?;
        size += chunk.len() as u64;
        if size > MAX_UPLOAD {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "files over {} MB go through `terrain import` on the server",
                    MAX_UPLOAD >> 20
                ),
            ));
        }
        tmp.write_all(&chunk).map_err(ApiError::internal)?;
    }
    if size == 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            "the file is empty",
        ));
    }
    let source = file_name(&p, &kind);
    let store = state.store.clone();
    let campaign = auth.campaign.id;
    let audit = auth.audit();
    let path = tmp.path().to_path_buf();
    let election = p.election.clone();
    let table = p.table.clone();
    // Parsing is CPU work: it runs on a blocking thread, which drives the store calls too.
    let handle = tokio::runtime::Handle::current();
    let summary = tokio::task::spawn_blocking(move || {
        let _keep = tmp;
        handle.block_on(async {
            let target = Target {
                store: &*store,
                campaign,
                audit: &audit,
            };
            let open = || std::fs::File::open(&path);
            let io = |e: std::io::Error| ImportError::Io {
                source_name: source.clone(),
                detail: e.to_string(),
            };
            match kind.as_str() {
                "results" => {
                    let opts = ResultsImport {
                        election,
                        ..Default::default()
                    };
                    terrain_import::import_results(target, &source, open().map_err(io)?, &opts)
                        .await
                }
                "census" => {
                    terrain_import::import_census(
                        target,
                        &source,
                        table.as_deref(),
                        open().map_err(io)?,
                        Default::default(),
                    )
                    .await
                }
                "contours" => {
                    terrain_import::import_contours(
                        target,
                        &source,
                        open().map_err(io)?,
                        contour_kind,
                        mapping,
                    )
                    .await
                }
                "addresses" => terrain_import::import_addresses(target, &source, open, None).await,
                _ => terrain_import::import_communes(target, &source, open().map_err(io)?).await,
            }
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(import_error)?;
    tracing::info!(kind = summary.kind, source = %summary.source, "import stored");
    Ok((StatusCode::CREATED, Json(summary)))
}
