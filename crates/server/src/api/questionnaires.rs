//! Questionnaires: the director writes them (from scratch or from a template), saves drafts and
//! publishes versions; everyone in the campaign can read and preview them. A published version
//! is never edited: saving a change to it makes the next draft, and answers keep pointing at
//! the version they were collected with.

use super::extract::{ApiJson, ApiPath};
use crate::access::{Authorized, EditQuestionnaires, ReadQuestionnaires};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use terrain_model::questionnaire::{Definition, ProfileField};
use terrain_model::{Questionnaire, Template};
use terrain_store::{QuestionnaireInfo, QuestionnaireVersion, VersionStatus};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatusDto {
    Draft,
    Published,
    Retired,
}

impl From<VersionStatus> for VersionStatusDto {
    fn from(s: VersionStatus) -> Self {
        match s {
            VersionStatus::Draft => VersionStatusDto::Draft,
            VersionStatus::Published => VersionStatusDto::Published,
            VersionStatus::Retired => VersionStatusDto::Retired,
        }
    }
}

/// One version of a questionnaire.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    pub id: Uuid,
    pub questionnaire_id: Uuid,
    pub number: u32,
    pub status: VersionStatusDto,
    /// `{"script": {"intro", "talking_points", "closing"}, "questions": [{"key", "text", "kind",
    /// …}]}`; `kind` is `single_choice`, `multiple_choice` (`options`, `max_choices`), `scale`
    /// (`min`, `max`, `min_label`, `max_label`), `yes_no`, `open` (`max_length`), `profile`
    /// (`field`: `sex`, `age_band`, `occupation`, `postcode`) or `consent` (`purpose`: `survey`
    /// or `recontact`, `statement`); any question may have `help`, `required` and
    /// `show_if: {"question", "any_of": […]}`.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
}

impl VersionDto {
    /// The DTO of a stored version.
    pub fn new(v: QuestionnaireVersion) -> ApiResult<Self> {
        Ok(Self {
            id: v.id,
            questionnaire_id: v.questionnaire_id,
            number: v.number,
            status: v.status.into(),
            definition: serde_json::to_value(&v.questionnaire).map_err(ApiError::internal)?,
            created_at: v.created_at,
            published_at: v.published_at,
        })
    }
}

/// A questionnaire with its versions, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireDto {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub versions: Vec<VersionDto>,
}

impl QuestionnaireDto {
    fn new(q: QuestionnaireInfo) -> ApiResult<Self> {
        Ok(Self {
            id: q.id,
            name: q.name,
            created_at: q.created_at,
            versions: q
                .versions
                .into_iter()
                .map(VersionDto::new)
                .collect::<ApiResult<_>>()?,
        })
    }
}

/// A ready-made questionnaire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateDto {
    /// Eight open questions on the model of the 2016 Grande Marche, with the profile and consents.
    #[serde(rename = "grande_marche_2016")]
    GrandeMarche2016,
}

impl From<TemplateDto> for Template {
    fn from(t: TemplateDto) -> Self {
        match t {
            TemplateDto::GrandeMarche2016 => Template::GrandeMarche2016,
        }
    }
}

/// A questionnaire to create: from a template, or from a definition.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewQuestionnaireDto {
    /// Defaults to the template's name.
    pub name: Option<String>,
    pub template: Option<TemplateDto>,
    /// The definition (see `VersionDto.definition`), when not from a template.
    #[schema(value_type = Option<Object>)]
    pub definition: Option<serde_json::Value>,
}

/// A draft to save.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DraftDto {
    /// A new name for the questionnaire.
    pub name: Option<String>,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// A code of a profile field and its French label.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeDto {
    pub value: String,
    pub label: String,
}

/// One template with its definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateInfoDto {
    pub id: TemplateDto,
    pub name: String,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// What a questionnaire builder needs beside the questionnaires: the templates and the fixed
/// codes of the profile fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireKitDto {
    pub templates: Vec<TemplateInfoDto>,
    /// By field (`sex`, `age_band`, `occupation`): the codes and labels; the postcode is typed.
    pub profile_codes: BTreeMap<String, Vec<CodeDto>>,
}

/// The fixed codes of the profile fields.
pub fn profile_codes() -> BTreeMap<String, Vec<CodeDto>> {
    ProfileField::ALL
        .into_iter()
        .filter(|f| !f.codes().is_empty())
        .map(|f| {
            let codes = f
                .codes()
                .iter()
                .map(|(v, l)| CodeDto {
                    value: v.to_string(),
                    label: l.to_string(),
                })
                .collect();
            (f.as_str().to_string(), codes)
        })
        .collect()
}

/// Parses a definition sent by a client, with a 422 that says where it is wrong.
fn parse_definition(v: serde_json::Value) -> ApiResult<Questionnaire> {
    let def: Definition = serde_json::from_value(v).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_questionnaire",
            format!("the definition does not have the expected shape: {e}"),
        )
    })?;
    Questionnaire::parse(def).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_questionnaire",
            e.to_string(),
        )
    })
}

fn questionnaire_id(path: (Uuid, Uuid)) -> Uuid {
    path.1
}

/// The campaign's questionnaires with all their versions.
#[utoipa::path(get, path = "/campaigns/{campaign}/questionnaires", tag = "questionnaires",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<QuestionnaireDto>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_questionnaires(
    State(state): State<AppState>,
    auth: Authorized<ReadQuestionnaires>,
) -> ApiResult<Json<Vec<QuestionnaireDto>>> {
    let list = state.store.questionnaires(auth.campaign.id).await?;
    Ok(Json(
        list.into_iter()
            .map(QuestionnaireDto::new)
            .collect::<ApiResult<_>>()?,
    ))
}

/// Creates a questionnaire (its version 1, a draft) from a template or a definition.
#[utoipa::path(post, path = "/campaigns/{campaign}/questionnaires", tag = "questionnaires",
    params(("campaign" = Uuid, Path)), request_body = NewQuestionnaireDto,
    responses((status = 201, body = QuestionnaireDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, description = "`invalid_questionnaire` (where and why) or `invalid_input`", body = ErrorBody)))]
pub async fn create_questionnaire(
    State(state): State<AppState>,
    auth: Authorized<EditQuestionnaires>,
    ApiJson(body): ApiJson<NewQuestionnaireDto>,
) -> ApiResult<(StatusCode, Json<QuestionnaireDto>)> {
    let (name, q) = match (body.template, body.definition) {
        (Some(t), None) => {
            let t = Template::from(t);
            (
                body.name.unwrap_or_else(|| t.name().to_string()),
                t.questionnaire(),
            )
        }
        (None, Some(d)) => (body.name.unwrap_or_default(), parse_definition(d)?),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "give either a template or a definition",
            ));
        }
    };
    let info = state
        .store
        .create_questionnaire(&auth.audit(), auth.campaign.id, &name, &q)
        .await?;
    Ok((StatusCode::CREATED, Json(QuestionnaireDto::new(info)?)))
}

/// One questionnaire with all its versions.
#[utoipa::path(get, path = "/campaigns/{campaign}/questionnaires/{questionnaire}", tag = "questionnaires",
    params(("campaign" = Uuid, Path), ("questionnaire" = Uuid, Path)),
    responses((status = 200, body = QuestionnaireDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_questionnaire(
    State(state): State<AppState>,
    auth: Authorized<ReadQuestionnaires>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<QuestionnaireDto>> {
    let q = state
        .store
        .questionnaire(auth.campaign.id, questionnaire_id(path))
        .await?;
    Ok(Json(QuestionnaireDto::new(q)?))
}

/// Saves the draft: changes the current draft, or starts the next version after a published
/// one (which never changes).
#[utoipa::path(put, path = "/campaigns/{campaign}/questionnaires/{questionnaire}/draft", tag = "questionnaires",
    params(("campaign" = Uuid, Path), ("questionnaire" = Uuid, Path)), request_body = DraftDto,
    responses((status = 200, body = VersionDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, description = "`invalid_questionnaire` (where and why)", body = ErrorBody)))]
pub async fn save_draft(
    State(state): State<AppState>,
    auth: Authorized<EditQuestionnaires>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<DraftDto>,
) -> ApiResult<Json<VersionDto>> {
    let q = parse_definition(body.definition)?;
    let v = state
        .store
        .save_draft(
            &auth.audit(),
            auth.campaign.id,
            questionnaire_id(path),
            body.name.as_deref(),
            &q,
        )
        .await?;
    Ok(Json(VersionDto::new(v)?))
}

/// Publishes the draft: it goes into the walkers' packages, and the version it replaces is
/// retired (its answers stay with it).
#[utoipa::path(post, path = "/campaigns/{campaign}/questionnaires/{questionnaire}/publish", tag = "questionnaires",
    params(("campaign" = Uuid, Path), ("questionnaire" = Uuid, Path)),
    responses((status = 200, body = VersionDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, description = "no draft to publish", body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    auth: Authorized<EditQuestionnaires>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<VersionDto>> {
    let v = state
        .store
        .publish_draft(&auth.audit(), auth.campaign.id, questionnaire_id(path))
        .await?;
    Ok(Json(VersionDto::new(v)?))
}

/// The ready-made questionnaires and the fixed codes of the profile fields.
#[utoipa::path(get, path = "/campaigns/{campaign}/questionnaire-kit", tag = "questionnaires",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = QuestionnaireKitDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn questionnaire_kit(
    _auth: Authorized<ReadQuestionnaires>,
) -> ApiResult<Json<QuestionnaireKitDto>> {
    let templates = Template::ALL
        .into_iter()
        .map(|t| {
            Ok(TemplateInfoDto {
                id: match t {
                    Template::GrandeMarche2016 => TemplateDto::GrandeMarche2016,
                },
                name: t.name().to_string(),
                definition: serde_json::to_value(t.questionnaire()).map_err(ApiError::internal)?,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(QuestionnaireKitDto {
        templates,
        profile_codes: profile_codes(),
    }))
}
