//! The paper fallback: the printable questionnaire, and the keying of paper questionnaires by
//! coordinators. A keyed-in sheet goes through the same checks as a phone's response (see
//! [`terrain_store::FieldStore::key_in_paper`]) and becomes a response like the others —
//! counted in the quotas, the weighting and the diagnostic — marked as keyed in, by whom and
//! when. Keying the same sheet twice (a double submit) stores it once: the browser makes a
//! client id per sheet.

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::field::parse_answers;
use super::paper_form;
use crate::access::{Authorized, KeyInPaper, ReadQuestionnaires};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use terrain_model::TerritoryId;
use terrain_store::{MAX_PAPER_PAGE, NewPaperResponse, PaperEntry, PaperKeyed, PaperRefusal};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Content-Security-Policy of the printable questionnaire: its own inline styles, nothing
/// else; the dashboard may frame it.
const FORM_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

/// Which version to print.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrintParams {
    /// The version's number (default: the published one).
    pub version: Option<u32>,
}

/// A questionnaire version on paper (HTML, A4, French): boxes for the sheet number, the bureau
/// de vote and the day, the script, the questions numbered and drawn for a pen, conditions as
/// "go to question X" notes, the profile and the consents.
#[utoipa::path(get, path = "/campaigns/{campaign}/questionnaires/{questionnaire}/print", tag = "questionnaires",
    params(("campaign" = Uuid, Path), ("questionnaire" = Uuid, Path), PrintParams),
    responses((status = 200, description = "The printable questionnaire", content_type = "text/html"),
              (status = 401, body = ErrorBody), (status = 404, description = "`questionnaire_not_found`: no such questionnaire or version", body = ErrorBody),
              (status = 422, description = "`no_published_version`: give `version`", body = ErrorBody)))]
pub async fn print_questionnaire(
    State(state): State<AppState>,
    auth: Authorized<ReadQuestionnaires>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiQuery(p): ApiQuery<PrintParams>,
) -> ApiResult<Response> {
    let info = state.store.questionnaire(auth.campaign.id, path.1).await?;
    let version = match p.version {
        Some(n) => info
            .versions
            .iter()
            .find(|v| v.number == n)
            .ok_or_else(|| {
                ApiError::not_found(
                    "questionnaire_not_found",
                    format!("version: {} has no version {n}", info.name),
                )
            })?,
        None => info.published().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_published_version",
                format!(
                    "{} has no published version: give version=N to print a draft",
                    info.name
                ),
            )
        })?,
    };
    let html = paper_form::render(
        &version.questionnaire,
        &paper_form::FormContext {
            campaign: &auth.campaign.name,
            questionnaire: &info.name,
            version: version.number,
            status: version.status,
            now: OffsetDateTime::now_utc(),
        },
    );
    let mut resp = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FORM_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(resp)
}

/// A paper questionnaire to key in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaperResponseDto {
    /// Made by the browser once per sheet (a UUID): sending the same sheet again stores
    /// nothing more and answers with the same entry.
    pub client_id: Uuid,
    /// The published (or retired) questionnaire version printed on the sheet.
    pub version_id: Uuid,
    /// The bureau de vote written on the sheet: a territory of kind `bureau` inside one's own.
    pub bureau_id: Uuid,
    /// The day written on the sheet (`2026-11-21`): not in the future, not more than a year
    /// before the campaign began.
    #[serde(with = "terrain_model::campaign::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub collected_on: Date,
    /// The sheet's number (1–40 characters), to find it again.
    pub sheet_ref: String,
    /// By question key, as for a phone's response: text (a choice, a profile code, free
    /// text), a list of choices, a whole number (scales), `true`/`false` (yes/no, consents).
    /// The profile and the consents are questions of the questionnaire like the others.
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
}

/// A keyed-in paper questionnaire: who keyed it and when, the sheet, the bureau, the version.
/// Never its answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperEntryDto {
    /// The stored response's id.
    pub response_id: Uuid,
    pub client_id: Uuid,
    /// Always `paper`.
    pub source: &'static str,
    pub questionnaire_id: Uuid,
    pub questionnaire_name: String,
    pub version_id: Uuid,
    pub version_number: u32,
    pub bureau_id: Uuid,
    pub bureau_code: String,
    pub bureau_name: String,
    #[serde(with = "terrain_model::campaign::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub collected_on: Date,
    pub sheet_ref: String,
    /// The coordinator who keyed it in.
    pub keyed_by: Uuid,
    pub keyed_by_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub keyed_at: OffsetDateTime,
}

impl From<PaperEntry> for PaperEntryDto {
    fn from(e: PaperEntry) -> Self {
        Self {
            response_id: e.response_id,
            client_id: e.client_id,
            source: "paper",
            questionnaire_id: e.questionnaire_id,
            questionnaire_name: e.questionnaire_name,
            version_id: e.version_id,
            version_number: e.version_number,
            bureau_id: e.bureau_id,
            bureau_code: e.bureau_code,
            bureau_name: e.bureau_name,
            collected_on: e.collected_on,
            sheet_ref: e.sheet_ref,
            keyed_by: e.keyed_by.0,
            keyed_by_name: e.keyed_by_name,
            keyed_at: e.keyed_at,
        }
    }
}

/// The status and error of a refused sheet.
fn refused(r: PaperRefusal) -> ApiError {
    let status = match r.code {
        "out_of_scope" => StatusCode::FORBIDDEN,
        "territory_not_found" | "questionnaire_not_found" => StatusCode::NOT_FOUND,
        "client_id_taken" => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let code = match r.code {
        "out_of_scope" => "territory_out_of_scope",
        other => other,
    };
    let field = match r.code {
        "invalid_answers" => r.question,
        "territory_not_found" | "not_a_bureau" | "out_of_scope" => Some("bureau_id".into()),
        "questionnaire_not_found" | "questionnaire_not_published" => Some("version_id".into()),
        "invalid_date" => Some("collected_on".into()),
        "invalid_sheet_ref" => Some("sheet_ref".into()),
        "client_id_taken" => Some("client_id".into()),
        _ => None,
    };
    let e = ApiError::new(status, code, r.message);
    match field {
        Some(f) => e.with_field(f),
        None => e,
    }
}

/// Keys in a paper questionnaire: checked as a phone's response is (unknown question, wrong
/// type, option not in the list, a hidden question answered, a required one missing, no
/// consent…), then stored as a response marked `paper`, keyed by the caller. Sending the same
/// `client_id` again answers 200 with the same entry.
#[utoipa::path(post, path = "/campaigns/{campaign}/paper-responses", tag = "field",
    params(("campaign" = Uuid, Path)), request_body = NewPaperResponseDto,
    responses((status = 201, description = "Stored", body = PaperEntryDto),
              (status = 200, description = "Stored before under this client id: nothing changed", body = PaperEntryDto),
              (status = 401, body = ErrorBody),
              (status = 403, description = "`forbidden_role`, or `territory_out_of_scope`: the bureau is outside one's territories", body = ErrorBody),
              (status = 404, description = "`territory_not_found`, `questionnaire_not_found`", body = ErrorBody),
              (status = 409, description = "`client_id_taken`: another person keyed a sheet under this id", body = ErrorBody),
              (status = 422, description = "`invalid_answers` (`field` names the question), `questionnaire_not_published`, `not_a_bureau`, `invalid_date`, `invalid_sheet_ref`, `invalid_input`", body = ErrorBody)))]
pub async fn key_in(
    State(state): State<AppState>,
    auth: Authorized<KeyInPaper>,
    ApiJson(body): ApiJson<NewPaperResponseDto>,
) -> ApiResult<(StatusCode, Json<PaperEntryDto>)> {
    if body.client_id.is_nil() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "client_id: make a random UUID per sheet",
        )
        .with_field("client_id"));
    }
    let answers = parse_answers(body.answers).map_err(|(question, message)| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_answers", message)
            .with_field(question)
    })?;
    let sheet = NewPaperResponse {
        client_id: body.client_id,
        version_id: body.version_id,
        bureau_id: TerritoryId(body.bureau_id),
        collected_on: body.collected_on,
        sheet_ref: body.sheet_ref,
        answers,
    };
    match state
        .store
        .key_in_paper(
            &auth.audit(),
            auth.campaign.id,
            auth.user_id(),
            &auth.scope,
            &sheet,
        )
        .await?
    {
        PaperKeyed::Stored(e) => Ok((StatusCode::CREATED, Json(e.into()))),
        PaperKeyed::Duplicate(e) => Ok((StatusCode::OK, Json(e.into()))),
        PaperKeyed::Rejected(r) => Err(refused(r)),
    }
}

/// Which page of the keyed-in sheets.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaperListParams {
    /// At most 200 (default 50).
    pub limit: Option<u32>,
    /// How many of the newest to skip (default 0).
    pub offset: Option<u32>,
}

/// A page of keyed-in paper questionnaires.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperEntriesDto {
    /// Newest first.
    pub entries: Vec<PaperEntryDto>,
    /// How many there are in one's territories, in all.
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

/// The paper questionnaires keyed in for one's territories, newest first.
#[utoipa::path(get, path = "/campaigns/{campaign}/paper-responses", tag = "field",
    params(("campaign" = Uuid, Path), PaperListParams),
    responses((status = 200, body = PaperEntriesDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_paper(
    State(state): State<AppState>,
    auth: Authorized<KeyInPaper>,
    ApiQuery(p): ApiQuery<PaperListParams>,
) -> ApiResult<Json<PaperEntriesDto>> {
    let limit = p.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAPER_PAGE {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("limit: {limit} is not between 1 and {MAX_PAPER_PAGE}"),
        )
        .with_field("limit"));
    }
    let offset = p.offset.unwrap_or(0);
    let (entries, total) = state
        .store
        .paper_entries(auth.campaign.id, &auth.scope, limit, offset)
        .await?;
    Ok(Json(PaperEntriesDto {
        entries: entries.into_iter().map(Into::into).collect(),
        total,
        limit,
        offset,
    }))
}

/// Voids a keyed-in paper questionnaire (a mistyped sheet, to key again): its response goes,
/// with its weights and codings.
#[utoipa::path(delete, path = "/campaigns/{campaign}/paper-responses/{response}", tag = "field",
    params(("campaign" = Uuid, Path), ("response" = Uuid, Path)),
    responses((status = 204, description = "Voided"), (status = 401, body = ErrorBody),
              (status = 403, description = "`forbidden_role`, or `territory_out_of_scope`", body = ErrorBody),
              (status = 404, description = "`paper_entry_not_found`: no keyed-in sheet with this id (phone responses are never voided here)", body = ErrorBody)))]
pub async fn void_paper(
    State(state): State<AppState>,
    auth: Authorized<KeyInPaper>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let entry = state.store.paper_entry(auth.campaign.id, path.1).await?;
    auth.check_path(&entry.bureau_path, &format!("bureau {}", entry.bureau_code))?;
    state
        .store
        .void_paper_entry(&auth.audit(), auth.campaign.id, entry.response_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
