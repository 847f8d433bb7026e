//! Data protection (directors): one person's data exported or erased on request, and the
//! campaign's record of processing activities, built from its real settings. Every export and
//! erasure leaves an audit line naming the record, never the person.

use super::extract::{ApiPath, ApiQuery};
use crate::access::{Authorized, ManagePersonalData};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use terrain_model::{Role, VolunteerId};
use terrain_store::{PurgeCounts, Scope, StorageError, VolunteerQuery};
use time::Date;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn subject_err(what: &'static str) -> impl Fn(StorageError) -> ApiError {
    move |e| match e {
        StorageError::NotFound { key, .. } => ApiError::not_found(
            if what == "volunteer" {
                "volunteer_not_found"
            } else {
                "respondent_not_found"
            },
            format!("no {what} {key} in this campaign"),
        ),
        other => other.into(),
    }
}

/// What an erasure changed, by kind of record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureDto {
    pub volunteers: u64,
    pub accounts: u64,
    pub credentials: u64,
    pub links: u64,
    pub field_records: u64,
    pub devices: u64,
    pub audit_lines: u64,
}

impl From<PurgeCounts> for ErasureDto {
    fn from(c: PurgeCounts) -> Self {
        Self {
            volunteers: c.volunteers,
            accounts: c.accounts,
            credentials: c.credentials,
            links: c.links,
            field_records: c.field_records,
            devices: c.devices,
            audit_lines: c.audit_lines,
        }
    }
}

fn attachment(body: serde_json::Value, file: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Json(body),
    )
        .into_response()
}

/// Everything held on one volunteer (record, account, trainings, teams, sorties, audit lines),
/// as a JSON file to hand them. Leaves an audit line.
#[utoipa::path(get, path = "/campaigns/{campaign}/privacy/volunteers/{volunteer}", tag = "privacy",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)),
    responses((status = 200, description = "The volunteer's data", body = Object), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_volunteer(
    State(state): State<AppState>,
    auth: Authorized<ManagePersonalData>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let id = VolunteerId(path.1);
    let out = state
        .store
        .export_volunteer(&auth.audit(), auth.campaign.id, id)
        .await
        .map_err(subject_err("volunteer"))?;
    Ok(attachment(
        serde_json::to_value(out).unwrap_or_default(),
        format!("benevole-{}.json", path.1),
    ))
}

/// Erases one volunteer on request: their record is anonymised (counts keep it), their
/// account closed when they work on this campaign only, their field work unlinked.
#[utoipa::path(post, path = "/campaigns/{campaign}/privacy/volunteers/{volunteer}/erase", tag = "privacy",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)),
    responses((status = 200, body = ErasureDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn erase_volunteer(
    State(state): State<AppState>,
    auth: Authorized<ManagePersonalData>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<ErasureDto>> {
    if state
        .store
        .volunteer(auth.campaign.id, VolunteerId(path.1))
        .await
        .map_err(subject_err("volunteer"))?
        .user_id
        == Some(auth.user_id())
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cannot_erase_self",
            "a director cannot erase their own account while signed in with it",
        ));
    }
    let counts = state
        .store
        .erase_volunteer(&auth.audit(), auth.campaign.id, VolunteerId(path.1))
        .await
        .map_err(subject_err("volunteer"))?;
    Ok(Json(counts.into()))
}

/// Records that the volunteer no longer wants to be contacted: lists and exports stop showing
/// their e-mail and phone, reminders skip them. One way (a new consent is a new sign-up).
#[utoipa::path(post, path = "/campaigns/{campaign}/privacy/volunteers/{volunteer}/do-not-contact", tag = "privacy",
    params(("campaign" = Uuid, Path), ("volunteer" = Uuid, Path)),
    responses((status = 204, description = "Recorded"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn do_not_contact(
    State(state): State<AppState>,
    auth: Authorized<ManagePersonalData>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .do_not_contact(&auth.audit(), auth.campaign.id, VolunteerId(path.1))
        .await
        .map_err(subject_err("volunteer"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything held on the respondent who left contact details with this response: the
/// details, the consent and the answers. Leaves an audit line.
#[utoipa::path(get, path = "/campaigns/{campaign}/privacy/respondents/{response}", tag = "privacy",
    params(("campaign" = Uuid, Path), ("response" = Uuid, Path)),
    responses((status = 200, description = "The respondent's data", body = Object), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_respondent(
    State(state): State<AppState>,
    auth: Authorized<ManagePersonalData>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let out = state
        .store
        .export_respondent(&auth.audit(), auth.campaign.id, path.1)
        .await
        .map_err(subject_err("respondent"))?;
    Ok(attachment(
        serde_json::to_value(out).unwrap_or_default(),
        format!("repondant-{}.json", path.1),
    ))
}

/// Deletes the respondent's contact details and their answers.
#[utoipa::path(post, path = "/campaigns/{campaign}/privacy/respondents/{response}/erase", tag = "privacy",
    params(("campaign" = Uuid, Path), ("response" = Uuid, Path)),
    responses((status = 204, description = "Erased"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn erase_respondent(
    State(state): State<AppState>,
    auth: Authorized<ManagePersonalData>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .erase_respondent(&auth.audit(), auth.campaign.id, path.1)
        .await
        .map_err(subject_err("respondent"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Options of the register.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterParams {
    /// `json` (default) or `markdown`.
    pub format: Option<String>,
}

/// One processing activity of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityDto {
    pub name: String,
    pub purpose: String,
    pub legal_basis: String,
    /// The people concerned.
    pub subjects: String,
    /// The categories of data kept.
    pub data: Vec<String>,
    /// Who sees them.
    pub recipients: Vec<String>,
    /// How long they are kept.
    pub retention: String,
    /// How many records are held now.
    pub records: u64,
}

/// The campaign's record of processing activities.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterDto {
    pub campaign: String,
    pub controller: String,
    #[serde(with = "terrain_model::campaign::iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub retention_until: Option<Date>,
    /// When personal data was last purged, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_purge: Option<time::OffsetDateTime>,
    pub activities: Vec<ActivityDto>,
    /// Where the data is, and what leaves the server.
    pub storage: Vec<String>,
    pub rights: String,
}

async fn register(
    state: &AppState,
    auth: &Authorized<ManagePersonalData>,
) -> ApiResult<RegisterDto> {
    let c = &auth.campaign;
    let retention = match c.retention_until {
        Some(d) => format!("jusqu’au {d}, puis purge automatique (anonymisation)"),
        None => "aucune date de conservation fixée : à fixer (terrain retention --campaign … --until AAAA-MM-JJ)"
            .to_string(),
    };
    let members = state.store.members(c.id, &Scope::Campaign).await?;
    let count_role = |r: Role| members.iter().filter(|m| m.role == r).count() as u64;
    let volunteers = state
        .store
        .volunteers(
            c.id,
            &VolunteerQuery {
                scope: Scope::Campaign,
                search: None,
                status: None,
                within: None,
                duplicates: false,
                unplaced: false,
                limit: 1,
                offset: 0,
            },
        )
        .await?
        .total;
    let settings = state.store.volunteer_settings(c.id).await?;
    let progress = state.store.field_progress(c.id, &Scope::Campaign).await?;
    let questionnaires = state.store.questionnaires(c.id).await?;
    let last_purge = state.store.purges(c.id).await?.first().map(|p| p.at);
    let staff = vec![
        format!(
            "directeurs et directrices de campagne ({})",
            count_role(Role::Director)
        ),
        format!(
            "coordinateurs et coordinatrices, pour leur territoire ({})",
            count_role(Role::Coordinator)
        ),
    ];
    let mut reminders = staff.clone();
    if state.config.smtp.is_some() {
        reminders.push("le relais de courrier configuré (rappels de sorties)".into());
    }
    let activities = vec![
        ActivityDto {
            name: "Bénévoles".into(),
            purpose: "recruter, former et organiser les bénévoles (formations, équipes, sorties)"
                .into(),
            legal_basis: "consentement recueilli à l’inscription".into(),
            subjects: if settings.signup_open {
                "bénévoles inscrits par le formulaire public (ouvert) et membres".into()
            } else {
                "bénévoles inscrits par le formulaire public (fermé) et membres".into()
            },
            data: vec![
                "nom".into(),
                "adresse e-mail, téléphone".into(),
                "code postal, territoire".into(),
                "disponibilités".into(),
                "formations suivies, équipes, sorties".into(),
                "origine de la fiche (inscription, membre) et recruteur".into(),
            ],
            recipients: reminders,
            retention: retention.clone(),
            records: volunteers,
        },
        ActivityDto {
            name: "Comptes".into(),
            purpose: "accès à l’application et traçabilité des écritures (journal d’audit)".into(),
            legal_basis: "intérêt légitime (sécurité)".into(),
            subjects: "membres de l’équipe de campagne".into(),
            data: vec![
                "nom, adresse e-mail, mot de passe haché".into(),
                "rôle et territoires".into(),
                "sessions et jetons d’API (hachés)".into(),
                "journal d’audit (identifiants, jamais de noms après purge)".into(),
            ],
            recipients: staff.clone(),
            retention: format!(
                "{retention} ; un compte présent dans une autre campagne reste ouvert"
            ),
            records: members.len() as u64,
        },
        ActivityDto {
            name: "Visites du porte-à-porte".into(),
            purpose: "suivre la couverture des portes".into(),
            legal_basis: "intérêt légitime".into(),
            subjects: "foyers visités (porte, pas de nom) ; bénévoles qui visitent".into(),
            data: vec![
                "porte, résultat, date".into(),
                "position du téléphone si le bénévole l’accepte".into(),
                "« ne plus frapper » pour la porte".into(),
            ],
            recipients: staff.clone(),
            retention: format!(
                "{retention} : le bénévole et la position sont effacés, les comptes restent"
            ),
            records: progress.visits,
        },
        ActivityDto {
            name: "Questionnaires".into(),
            purpose: format!(
                "enquête ({} questionnaire(s)) : réponses anonymes rattachées au bureau et à l’IRIS",
                questionnaires.len()
            ),
            legal_basis: "consentement recueilli au début du questionnaire".into(),
            subjects: "personnes interrogées".into(),
            data: vec![
                "réponses, profil (sexe, tranche d’âge, profession, code postal)".into(),
                "ni adresse, ni bénévole, ni nom".into(),
            ],
            recipients: {
                let mut r = staff.clone();
                let coders = count_role(Role::Coder);
                if coders > 0 {
                    r.push(format!(
                        "codeurs et codeuses, réponses ouvertes masquées, pour leur territoire ({coders})"
                    ));
                }
                r
            },
            retention: "conservées anonymes pour les statistiques".into(),
            records: progress.responses,
        },
        ActivityDto {
            name: "Recontacts".into(),
            purpose: "recontacter les personnes qui l’ont demandé".into(),
            legal_basis: "consentement explicite, texte conservé".into(),
            subjects: "personnes interrogées ayant accepté d’être recontactées".into(),
            data: vec![
                "nom, téléphone, e-mail, adresse de la visite".into(),
                "texte du consentement et date".into(),
            ],
            recipients: vec![format!(
                "directeurs et directrices de campagne ({})",
                count_role(Role::Director)
            )],
            retention: format!("{retention} : supprimés"),
            records: progress.recontacts,
        },
    ];
    Ok(RegisterDto {
        campaign: c.name.clone(),
        controller: format!("l’équipe de campagne « {} »", c.name),
        retention_until: c.retention_until,
        last_purge,
        activities,
        storage: vec![
            format!("base de données {} sur le serveur de la campagne", match state.store.backend() {
                terrain_store::Backend::Sqlite => "SQLite",
                terrain_store::Backend::Postgres => "PostgreSQL",
            }),
            "aucun service tiers : ni cartes, ni polices, ni statistiques en ligne".into(),
        ],
        rights: "accès, rectification, effacement : la direction de campagne exporte ou efface les données d’une personne (API /privacy/…, journal d’audit)".into(),
    })
}

fn markdown(r: &RegisterDto) -> String {
    let mut out = format!(
        "# Registre des traitements — {}\n\nResponsable : {}\n\nConservation : {}\n\nDernière purge : {}\n\n",
        r.campaign,
        r.controller,
        r.retention_until
            .map(|d| d.to_string())
            .unwrap_or_else(|| "non fixée".into()),
        r.last_purge
            .map(|d| d.date().to_string())
            .unwrap_or_else(|| "aucune".into()),
    );
    for a in &r.activities {
        out.push_str(&format!(
            "## {}\n\n- Finalité : {}\n- Base légale : {}\n- Personnes concernées : {}\n- Données : {}\n- Destinataires : {}\n- Durée de conservation : {}\n- Enregistrements actuels : {}\n\n",
            a.name,
            a.purpose,
            a.legal_basis,
            a.subjects,
            a.data.join(" ; "),
            a.recipients.join(" ; "),
            a.retention,
            a.records
        ));
    }
    out.push_str("## Hébergement\n\n");
    for s in &r.storage {
        out.push_str(&format!("- {s}\n"));
    }
    out.push_str(&format!("\n## Droits des personnes\n\n{}\n", r.rights));
    out
}

/// The record of processing activities: purposes, categories of data, recipients, retention,
/// from the campaign's settings and what it holds now. `?format=markdown` for a document.
#[utoipa::path(get, path = "/campaigns/{campaign}/privacy/register", tag = "privacy",
    params(("campaign" = Uuid, Path), RegisterParams),
    responses((status = 200, description = "The register (JSON; text/markdown with `format=markdown`)", body = RegisterDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn processing_register(
    State(state): State<AppState>,
    auth: Authorized<ManagePersonalData>,
    ApiQuery(p): ApiQuery<RegisterParams>,
) -> ApiResult<Response> {
    let r = register(&state, &auth).await?;
    match p.format.as_deref() {
        None | Some("json") => Ok(Json(r).into_response()),
        Some("markdown") => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "text/markdown; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"registre-{}.md\"",
                        auth.campaign.slug
                    ),
                ),
            ],
            markdown(&r),
        )
            .into_response()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "format: must be json or markdown",
        )),
    }
}
