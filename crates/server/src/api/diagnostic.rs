//! The diagnostic (issue 9): what the responses of a questionnaire say, for the direction
//! (the whole campaign) and coordinators (their territories).
//!
//! * Closed questions (choices, yes/no, scales, the profile): weighted shares and means with
//!   95 % intervals by Taylor linearisation, respondents clustered by bureau de vote
//!   ([`terrain_stats::estimates`]), unweighted counts beside them, by profile or territory.
//! * Open questions: themes (NMF, k chosen by coherence + stability, [`terrain_text::themes`]),
//!   each with its weighted share and interval and the verbatims that represent it best.
//! * Human coding: a codebook per question seeded from the themes, one answer at a time with
//!   the model's proposals, Cohen's kappa on answers two coders coded, weighted code shares;
//!   answers flagged while coding form the reading list.
//! * The report: one self-contained HTML file (inline CSS, SVG charts, no network), and CSV
//!   exports of its tables.
//!
//! Small cells (fewer than [`MIN_CELL`] respondents, or the caller's higher `min_cell`) are
//! suppressed everywhere. Verbatims are masked ([`terrain_text::privacy::mask`]: names,
//! e-mails, phones, addresses) for everyone but the campaign's analysts (directors and
//! administrators). Every estimate takes its weights from [`response_weights`].

use super::extract::{ApiJson, ApiQuery};
use crate::access::{Authorized, CodeAnswers, EditCodebook, ReadDiagnostic};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use terrain_model::questionnaire::{Definition, NO_ANSWER, ProfileField, QuestionKind};
use terrain_model::{Answer, CampaignId, TerritoryId, TerritoryKind};
use terrain_stats::estimates::{Design, Estimate, weighted_frequencies, weighted_mean};
use terrain_store::{Coding, QuestionnaireInfo, Scope, StoredResponse, TerritoryQuery};
use terrain_text::TextError;
use terrain_text::coding::{Code, Codebook, code_shares, cohen_kappa};
use terrain_text::privacy::{PrivacyOptions, mask};
use terrain_text::themes::{ThemeAnalysis, ThemeOptions, analyse};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Fewest respondents behind any figure shown; a caller may ask for more, never for fewer.
pub const MIN_CELL: usize = 10;
/// Fewest respondents in a coordinator's territories for their report.
pub const MIN_REPORT: usize = 100;

// ── weights ─────────────────────────────────────────────────────────────────────────────

/// The weight of each respondent, in the order of the responses given, and where they come
/// from.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub values: Vec<f64>,
    /// True when the weights come from a calibration (weighting run); false: every weight is 1.
    pub calibrated: bool,
    /// What the views and the report say of the weighting (`non pondéré`, …).
    pub label: String,
    /// The weighting run's report (margins before and after, deff…), when calibrated.
    pub run_report: Option<serde_json::Value>,
}

/// The weights of `responses` (of `questionnaire` in `campaign`). The one place every
/// estimate of the diagnostic takes its weights from: the latest weighting run of the
/// questionnaire (issue 8), which stores one calibrated weight per response.
///
/// Responses the run did not weigh (arrived since, or without the profile the margins need)
/// weigh 0 in the weighted figures — they stay in the unweighted counts — and the label says
/// how many, so the director knows to run the weighting again. Without any run, or when the
/// run weighed none of these responses, every respondent weighs 1 and the label says
/// "non pondéré".
pub async fn response_weights(
    state: &AppState,
    campaign: CampaignId,
    questionnaire: Uuid,
    responses: &[StoredResponse],
) -> ApiResult<Weights> {
    let unweighted = || Weights {
        values: vec![1.0; responses.len()],
        calibrated: false,
        label: "non pondéré".into(),
        run_report: None,
    };
    let Some((run, weights)) = state.store.latest_weights(campaign, questionnaire).await? else {
        return Ok(unweighted());
    };
    let by_id: std::collections::HashMap<Uuid, f64> = weights.into_iter().collect();
    let values: Vec<f64> = responses
        .iter()
        .map(|r| by_id.get(&r.id).copied().unwrap_or(0.0))
        .collect();
    let weighed = values.iter().filter(|w| **w > 0.0).count();
    if weighed == 0 {
        return Ok(unweighted());
    }
    let method = match run.params.get("method").and_then(|m| m.as_str()) {
        Some("linear") => "calage linéaire",
        Some("logit") => "calage logit borné",
        _ => "raking",
    };
    let day = run.created_at.date();
    let mut label = format!(
        "pondéré ({method}, redressement du {:02}/{:02}/{})",
        day.day(),
        u8::from(day.month()),
        day.year()
    );
    let left = responses.len() - weighed;
    if left > 0 {
        label.push_str(&format!(
            " ; {left} réponse{s} arrivée{s} depuis ou sans profil hors des pourcentages pondérés : relancer le redressement",
            s = if left > 1 { "s" } else { "" }
        ));
    }
    Ok(Weights {
        values,
        calibrated: true,
        label,
        run_report: Some(run.report),
    })
}

/// How the figures are weighted.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightingDto {
    pub calibrated: bool,
    /// `non pondéré`, or the weighting run's description.
    pub label: String,
}

// ── loading ─────────────────────────────────────────────────────────────────────────────

/// The query of every diagnostic view.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiagnosticParams {
    /// The questionnaire (default: the first published one, by name).
    pub questionnaire: Option<Uuid>,
    /// An open question's key (themes, coding).
    pub question: Option<String>,
    /// Break down by `sex`, `age_band`, `occupation` or `territory`.
    pub by: Option<String>,
    /// Suppress cells with fewer respondents than this (at least 10, the default).
    pub min_cell: Option<usize>,
    /// CSV export: `closed`, `themes`, `codes` or `margins`.
    pub table: Option<String>,
}

/// The responses of a questionnaire in the caller's scope, with what the views need.
struct Data {
    info: QuestionnaireInfo,
    def: Definition,
    responses: Vec<StoredResponse>,
    weights: Weights,
    /// The bureau (cluster) of each respondent, as an index.
    clusters: Vec<u32>,
    /// The territory of each respondent: the name of its bureau's parent (arrondissement).
    territory: Vec<Option<String>>,
    min_cell: usize,
    /// Verbatims are shown unmasked (directors, administrators).
    analyst: bool,
    scope: Scope,
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

async fn load<R>(state: &AppState, auth: &Authorized<R>, p: &DiagnosticParams) -> ApiResult<Data> {
    load_in(
        state,
        auth.campaign.id,
        auth.scope.clone(),
        auth.role.is_campaign_wide(),
        p,
    )
    .await
}

/// A questionnaire's diagnostic and one of its open questions (key, text): what the coding
/// writes need.
async fn load_question<R>(
    state: &AppState,
    auth: &Authorized<R>,
    questionnaire: Uuid,
    question: &str,
) -> ApiResult<(Data, String, String)> {
    let p = DiagnosticParams {
        questionnaire: Some(questionnaire),
        ..DiagnosticParams::default()
    };
    let d = load(state, auth, &p).await?;
    let (key, text) = d.open_question(Some(question))?;
    Ok((d, key, text))
}

async fn load_in(
    state: &AppState,
    c: CampaignId,
    scope: Scope,
    analyst: bool,
    p: &DiagnosticParams,
) -> ApiResult<Data> {
    let min_cell = match p.min_cell {
        None => MIN_CELL,
        Some(m) if m >= MIN_CELL => m,
        Some(m) => {
            return Err(unprocessable(
                "invalid_min_cell",
                format!("min_cell: {m} is below the minimum of {MIN_CELL} respondents"),
            ));
        }
    };
    let info = match p.questionnaire {
        Some(id) => state
            .store
            .questionnaire(c, id)
            .await
            .map_err(|e| match e {
                terrain_store::StorageError::NotFound { .. } => {
                    ApiError::not_found("questionnaire_not_found", "no such questionnaire")
                }
                e => e.into(),
            })?,
        None => state
            .store
            .questionnaires(c)
            .await?
            .into_iter()
            .find(|q| q.published().is_some())
            .ok_or_else(|| {
                ApiError::not_found(
                    "questionnaire_not_found",
                    "the campaign has no published questionnaire",
                )
            })?,
    };
    let def = info
        .published()
        .or(info.versions.last())
        .map(|v| v.questionnaire.definition().clone())
        .ok_or_else(|| ApiError::internal("a questionnaire without versions"))?;
    let responses = state.store.responses(c, &scope, Some(info.id)).await?;
    let weights = response_weights(state, c, info.id, &responses).await?;
    // Bureaux → their parent's name, for the territorial breakdown.
    let bureaux = state
        .store
        .territories(
            c,
            &TerritoryQuery {
                kind: Some(TerritoryKind::Bureau),
                limit: 100_000,
                ..TerritoryQuery::default()
            },
        )
        .await?;
    let mut parents: HashMap<TerritoryId, String> = HashMap::new();
    for b in &bureaux {
        if let Some(pid) = b.parent_id
            && !parents.contains_key(&pid)
        {
            let t = state.store.territory(c, pid).await?;
            parents.insert(pid, t.name);
        }
    }
    let parent_of: HashMap<Uuid, Option<String>> = bureaux
        .iter()
        .map(|b| (b.id.0, b.parent_id.and_then(|p| parents.get(&p).cloned())))
        .collect();
    let mut cluster_ids: HashMap<Option<Uuid>, u32> = HashMap::new();
    let clusters = responses
        .iter()
        .map(|r| {
            let next = u32::try_from(cluster_ids.len()).unwrap_or(u32::MAX);
            *cluster_ids.entry(r.bureau_id).or_insert(next)
        })
        .collect();
    let territory = responses
        .iter()
        .map(|r| {
            r.bureau_id
                .and_then(|b| parent_of.get(&b).cloned().flatten())
        })
        .collect();
    Ok(Data {
        info,
        def,
        responses,
        weights,
        clusters,
        territory,
        min_cell,
        analyst,
        scope,
    })
}

/// A breakdown: the group of each respondent (`None`: unknown), and the groups in order.
type Breakdown = (Vec<Option<String>>, Vec<String>);

impl Data {
    fn design(&self) -> Design<'_> {
        Design {
            weights: &self.weights.values,
            clusters: Some(&self.clusters),
            strata: None,
            calibration: None,
        }
    }

    fn weighting(&self) -> WeightingDto {
        WeightingDto {
            calibrated: self.weights.calibrated,
            label: self.weights.label.clone(),
        }
    }

    /// The group of each respondent for a breakdown, with the groups' labels in order.
    fn groups(&self, by: Option<&str>) -> ApiResult<Option<Breakdown>> {
        let Some(by) = by else { return Ok(None) };
        let profile = |field: ProfileField, get: fn(&StoredResponse) -> Option<&String>| {
            let label = |v: &str| {
                field
                    .codes()
                    .iter()
                    .find(|(c, _)| *c == v)
                    .map_or(v.to_string(), |(_, l)| l.to_string())
            };
            let g: Vec<Option<String>> = self
                .responses
                .iter()
                .map(|r| get(r).map(|v| label(v.as_str())))
                .collect();
            let order: Vec<String> = field.codes().iter().map(|(_, l)| l.to_string()).collect();
            (g, order)
        };
        let (g, order) = match by {
            "sex" => profile(ProfileField::Sex, |r| r.profile.sex.as_ref()),
            "age_band" => profile(ProfileField::AgeBand, |r| r.profile.age_band.as_ref()),
            "occupation" => profile(ProfileField::Occupation, |r| r.profile.occupation.as_ref()),
            "territory" => {
                let mut order: Vec<String> = self.territory.iter().flatten().cloned().collect();
                order.sort();
                order.dedup();
                (self.territory.clone(), order)
            }
            other => {
                return Err(unprocessable(
                    "invalid_breakdown",
                    format!("by: {other:?} is not sex, age_band, occupation or territory"),
                ));
            }
        };
        let present: std::collections::BTreeSet<&String> = g.iter().flatten().collect();
        let order = order.into_iter().filter(|o| present.contains(o)).collect();
        Ok(Some((g, order)))
    }

    /// The answers to an open question: (index of the response, text).
    fn open_answers(&self, question: &str) -> Vec<(usize, &str)> {
        self.responses
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.answers.get(question) {
                Some(Answer::Text(t)) if !t.trim().is_empty() => Some((i, t.as_str())),
                _ => None,
            })
            .collect()
    }

    fn show(&self, text: &str) -> String {
        if self.analyst {
            text.to_string()
        } else {
            mask(text, &PrivacyOptions::default()).text
        }
    }

    /// The open questions of the questionnaire, in its order.
    fn open_questions(&self) -> Vec<OpenQuestionDto> {
        self.def
            .questions
            .iter()
            .filter(|q| matches!(q.kind, QuestionKind::Open { .. }))
            .map(|q| OpenQuestionDto {
                key: q.key.clone(),
                text: q.text.clone(),
            })
            .collect()
    }

    fn open_question(&self, key: Option<&str>) -> ApiResult<(String, String)> {
        let mut open = self
            .def
            .questions
            .iter()
            .filter(|q| matches!(q.kind, QuestionKind::Open { .. }));
        let q = match key {
            Some(k) => open.find(|q| q.key == k).ok_or_else(|| {
                unprocessable(
                    "invalid_question",
                    format!("question: {k:?} is not an open question of this questionnaire"),
                )
            })?,
            // The first one answered, else the first.
            None => {
                let all: Vec<_> = open.collect();
                all.iter()
                    .find(|q| !self.open_answers(&q.key).is_empty())
                    .or(all.first())
                    .copied()
                    .ok_or_else(|| {
                        unprocessable(
                            "invalid_question",
                            "question: the questionnaire has no open question",
                        )
                    })?
            }
        };
        Ok((q.key.clone(), q.text.clone()))
    }
}

// ── closed questions ────────────────────────────────────────────────────────────────────

/// A weighted share or mean with its interval and the respondents behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstimateDto {
    pub label: String,
    /// Respondents counted (unweighted).
    pub respondents: usize,
    /// Their weights' sum.
    pub weighted: f64,
    /// `None` when suppressed.
    pub estimate: Option<f64>,
    pub standard_error: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Fewer respondents than the minimum: hidden.
    pub suppressed: bool,
}

impl From<Estimate> for EstimateDto {
    fn from(e: Estimate) -> Self {
        Self {
            label: e.label,
            respondents: e.respondents,
            weighted: e.weighted,
            estimate: e.estimate,
            standard_error: e.standard_error,
            lower: e.lower,
            upper: e.upper,
            suppressed: e.suppressed,
        }
    }
}

/// The results of one closed question in one group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedTableDto {
    pub question: String,
    pub text: String,
    /// `shares` (one row per answer; several may be chosen when `multiple`) or `mean`.
    pub kind: String,
    pub multiple: bool,
    /// The group (`None`: every respondent).
    pub group: Option<String>,
    /// Respondents in the group.
    pub respondents: usize,
    pub rows: Vec<EstimateDto>,
}

/// The closed questions' results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedDto {
    pub questionnaire_id: Uuid,
    pub questionnaire: String,
    /// Respondents in the caller's territories.
    pub respondents: usize,
    pub weighting: WeightingDto,
    /// How the intervals are computed.
    pub method: String,
    pub min_cell: usize,
    pub by: Option<String>,
    /// Every table, all respondents first, then each group.
    pub tables: Vec<ClosedTableDto>,
}

const METHOD: &str = "Intervalles de confiance à 95 % par linéarisation de Taylor (variance d’un \
     estimateur par ratio), en tenant compte des poids et du regroupement des répondants par bureau \
     de vote (tirage en grappes, avec remise au premier degré).";

/// One closed question as variables: (kind, categories, per respondent: category or value).
enum Closed {
    Shares(Vec<String>, Vec<Option<u32>>),
    Multiple(Vec<String>, Vec<Option<Vec<bool>>>),
    Mean(Vec<Option<f64>>),
}

fn closed_variables(d: &Data) -> Vec<(String, String, Closed)> {
    let mut out = Vec::new();
    for q in &d.def.questions {
        let pick = |f: &dyn Fn(&Answer) -> Option<u32>| -> Vec<Option<u32>> {
            d.responses
                .iter()
                .map(|r| r.answers.get(&q.key).and_then(f))
                .collect()
        };
        let var = match &q.kind {
            QuestionKind::SingleChoice { options } => Closed::Shares(
                options.iter().map(|o| o.label.clone()).collect(),
                pick(&|a| match a {
                    Answer::Text(v) => options
                        .iter()
                        .position(|o| &o.value == v)
                        .and_then(|i| u32::try_from(i).ok()),
                    _ => None,
                }),
            ),
            QuestionKind::YesNo => Closed::Shares(
                vec!["Oui".into(), "Non".into()],
                pick(&|a| match a {
                    Answer::Flag(b) => Some(u32::from(!*b)),
                    _ => None,
                }),
            ),
            QuestionKind::MultipleChoice { options, .. } => Closed::Multiple(
                options.iter().map(|o| o.label.clone()).collect(),
                d.responses
                    .iter()
                    .map(|r| match r.answers.get(&q.key) {
                        Some(Answer::Choices(cs)) => {
                            Some(options.iter().map(|o| cs.contains(&o.value)).collect())
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            QuestionKind::Scale { .. } => Closed::Mean(
                d.responses
                    .iter()
                    .map(|r| match r.answers.get(&q.key) {
                        Some(Answer::Number(n)) => Some(*n as f64),
                        _ => None,
                    })
                    .collect(),
            ),
            QuestionKind::Profile { field } if !field.codes().is_empty() => {
                // "Does not wish to answer" is stored as no answer: not a category.
                let codes: Vec<&(&str, &str)> = field
                    .codes()
                    .iter()
                    .filter(|(c, _)| *c != NO_ANSWER)
                    .collect();
                let get = |r: &StoredResponse| match field {
                    ProfileField::Sex => r.profile.sex.clone(),
                    ProfileField::AgeBand => r.profile.age_band.clone(),
                    ProfileField::Occupation => r.profile.occupation.clone(),
                    ProfileField::Postcode => None,
                };
                Closed::Shares(
                    codes.iter().map(|(_, l)| l.to_string()).collect(),
                    d.responses
                        .iter()
                        .map(|r| {
                            get(r).and_then(|v| {
                                codes
                                    .iter()
                                    .position(|(c, _)| *c == v)
                                    .and_then(|i| u32::try_from(i).ok())
                            })
                        })
                        .collect(),
                )
            }
            _ => continue,
        };
        out.push((q.key.clone(), q.text.clone(), var));
    }
    out
}

fn closed_tables(d: &Data, by: Option<&str>) -> ApiResult<Vec<ClosedTableDto>> {
    let groups = d.groups(by)?;
    let design = d.design();
    let stats = |e: terrain_stats::error::StatsError| ApiError::internal(e);
    let mut domains: Vec<(Option<String>, Option<Vec<bool>>)> = vec![(None, None)];
    if let Some((g, order)) = &groups {
        for o in order {
            domains.push((
                Some(o.clone()),
                Some(g.iter().map(|x| x.as_ref() == Some(o)).collect()),
            ));
        }
    }
    let mut tables = Vec::new();
    for (key, text, var) in closed_variables(d) {
        for (group, domain) in &domains {
            let dom = domain.as_deref();
            let respondents = dom.map_or(d.responses.len(), |m| m.iter().filter(|x| **x).count());
            let (kind, multiple, rows): (&str, bool, Vec<EstimateDto>) = match &var {
                Closed::Shares(cats, answers) => (
                    "shares",
                    false,
                    weighted_frequencies(&design, cats, answers, dom, d.min_cell)
                        .map_err(stats)?
                        .into_iter()
                        .map(EstimateDto::from)
                        .collect(),
                ),
                Closed::Multiple(cats, answers) => {
                    let mut rows = Vec::new();
                    for (k, cat) in cats.iter().enumerate() {
                        let y: Vec<Option<f64>> = answers
                            .iter()
                            .map(|a| a.as_ref().map(|v| if v[k] { 1.0 } else { 0.0 }))
                            .collect();
                        let mut e =
                            weighted_mean(&design, cat, &y, dom, d.min_cell).map_err(stats)?;
                        let chosen = (0..y.len())
                            .filter(|&i| y[i] == Some(1.0) && dom.is_none_or(|m| m[i]))
                            .count();
                        if chosen < d.min_cell {
                            e.estimate = None;
                            e.standard_error = None;
                            e.lower = None;
                            e.upper = None;
                            e.suppressed = true;
                        }
                        rows.push(EstimateDto::from(e));
                    }
                    ("shares", true, rows)
                }
                Closed::Mean(y) => (
                    "mean",
                    false,
                    vec![
                        weighted_mean(&design, &text, y, dom, d.min_cell)
                            .map_err(stats)?
                            .into(),
                    ],
                ),
            };
            tables.push(ClosedTableDto {
                question: key.clone(),
                text: text.clone(),
                kind: kind.into(),
                multiple,
                group: group.clone(),
                respondents,
                rows,
            });
        }
    }
    Ok(tables)
}

/// Weighted shares and means of the closed questions and the profile, with 95 % intervals
/// and the respondents behind each, for everyone and by group (`by`).
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/closed", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, body = ClosedDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn closed(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Json<ClosedDto>> {
    let d = load(&state, &auth, &p).await?;
    let tables = closed_tables(&d, p.by.as_deref())?;
    Ok(Json(ClosedDto {
        questionnaire_id: d.info.id,
        questionnaire: d.info.name.clone(),
        respondents: d.responses.len(),
        weighting: d.weighting(),
        method: METHOD.into(),
        min_cell: d.min_cell,
        by: p.by.clone(),
        tables,
    }))
}

// ── themes ──────────────────────────────────────────────────────────────────────────────

/// An analysis of one question's answers, with the response behind each analysed answer.
struct Analysed {
    analysis: Option<ThemeAnalysis>,
    /// Why there is no analysis.
    note: Option<String>,
    /// The index (in [`Data::responses`]) of each analysed answer.
    rows: Vec<usize>,
}

/// One analysis per key, computed once: concurrent requests for the same key wait for the
/// first one instead of starting their own.
type Cell = Arc<tokio::sync::OnceCell<Arc<Analysed>>>;
type Cache = Mutex<HashMap<String, Cell>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The themes of a question's answers, computed once per set of responses (the key holds the
/// scope, the number of responses and the first and last ids, so that a new response makes a
/// new analysis). Breakdowns by group come from the same analysis ([`theme_groups`]).
async fn themes_of(d: &Data, question: &str) -> ApiResult<Arc<Analysed>> {
    let answers = d.open_answers(question);
    let key = format!(
        "{}/{}/{question}/{:?}/{}/{:?}/{:?}/{}/{}",
        d.info.campaign_id,
        d.info.id,
        d.scope,
        answers.len(),
        d.responses.first().map(|r| r.id),
        d.responses.last().map(|r| r.id),
        d.weights.label,
        d.min_cell,
    );
    let cell: Cell = {
        let mut c = cache().lock().map_err(ApiError::internal)?;
        if c.len() > 64 {
            c.retain(|_, v| v.initialized());
            if c.len() > 64 {
                c.clear();
            }
        }
        c.entry(key).or_default().clone()
    };
    let analysed = cell
        .get_or_try_init(|| async {
            let texts: Vec<String> = answers.iter().map(|(_, t)| t.to_string()).collect();
            let rows: Vec<usize> = answers.iter().map(|(i, _)| *i).collect();
            let weights: Vec<f64> = rows.iter().map(|&i| d.weights.values[i]).collect();
            let options = ThemeOptions {
                min_group_size: d.min_cell,
                // Masked at display time, for the callers who must not read names.
                mask_examples: false,
                threads: 1,
                ..ThemeOptions::default()
            };
            let result = tokio::task::spawn_blocking(move || {
                analyse(&texts, Some(&weights), None, &options)
            })
            .await
            .map_err(ApiError::internal)?;
            Ok::<_, ApiError>(Arc::new(match result {
                Ok(a) => Analysed {
                    analysis: Some(a),
                    note: None,
                    rows,
                },
                Err(TextError::TooFewAnswers { .. }) => Analysed {
                    analysis: None,
                    note: Some(format!(
                        "Trop peu de réponses ({}) pour dégager des thèmes.",
                        rows.len()
                    )),
                    rows,
                },
                Err(e) => return Err(ApiError::internal(e)),
            }))
        })
        .await?;
    Ok(analysed.clone())
}

/// A weighted share with its interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareDto {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
    /// Respondents counted.
    pub n: usize,
    /// Respondents with the property.
    pub count: usize,
}

impl From<terrain_text::share::Proportion> for ShareDto {
    fn from(p: terrain_text::share::Proportion) -> Self {
        Self {
            estimate: p.estimate,
            lower: p.lower,
            upper: p.upper,
            n: p.n,
            count: p.count,
        }
    }
}

/// A theme's share in one group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupShareDto {
    pub group: String,
    pub n: usize,
    /// `None` when suppressed.
    pub share: Option<ShareDto>,
    pub suppressed: bool,
}

/// A real answer (or the item of it) that represents a theme, word for word; masked for
/// callers who are not analysts.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerbatimDto {
    pub response_id: Uuid,
    pub text: String,
}

/// One theme.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeDto {
    /// The code this theme seeds in the codebook (`T1`…).
    pub code: String,
    pub label: String,
    /// Top terms, most weighty first.
    pub terms: Vec<String>,
    /// Weighted share of respondents whose main theme it is.
    pub share: ShareDto,
    /// Weighted share of respondents who mention it.
    pub mention_share: ShareDto,
    pub verbatims: Vec<VerbatimDto>,
    /// By group, when a breakdown was asked for.
    pub groups: Vec<GroupShareDto>,
    /// Its shares by sex, age band, occupation and territory (every breakdown at once).
    pub breakdowns: Vec<ThemeBreakdownDto>,
}

/// A theme's shares in the groups of one breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemeBreakdownDto {
    /// `sex`, `age_band`, `occupation` or `territory`.
    pub by: String,
    pub groups: Vec<GroupShareDto>,
}

/// The breakdowns every themes view carries.
const BREAKDOWNS: [&str; 4] = ["sex", "age_band", "occupation", "territory"];

/// Each theme's shares in the groups of `by` (in the breakdown's order), from the analysis
/// already made: small groups suppressed.
fn theme_groups(d: &Data, a: &Analysed, by: &str) -> ApiResult<Vec<Vec<GroupShareDto>>> {
    let Some(an) = a.analysis.as_ref() else {
        return Ok(Vec::new());
    };
    let Some((g, order)) = d.groups(Some(by))? else {
        return Ok(Vec::new());
    };
    let groups: Vec<Option<String>> = a.rows.iter().map(|&i| g[i].clone()).collect();
    let weights: Vec<f64> = a.rows.iter().map(|&i| d.weights.values[i]).collect();
    let shares = an
        .group_shares(
            &groups,
            Some(&weights),
            d.min_cell,
            ThemeOptions::default().confidence,
        )
        .map_err(ApiError::internal)?;
    Ok(shares
        .into_iter()
        .map(|mut gs| {
            gs.sort_by_key(|x| order.iter().position(|o| *o == x.group));
            gs.into_iter()
                .map(|x| GroupShareDto {
                    group: x.group,
                    n: x.n,
                    share: if x.suppressed {
                        None
                    } else {
                        x.share.map(Into::into)
                    },
                    suppressed: x.suppressed,
                })
                .collect()
        })
        .collect())
}

/// The themes of an open question.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThemesDto {
    pub questionnaire_id: Uuid,
    pub question: String,
    pub text: String,
    /// Respondents in scope.
    pub respondents: usize,
    /// Who answered this question.
    pub answers: usize,
    pub k: usize,
    /// How k was chosen.
    pub k_chosen_by: String,
    pub weighting: WeightingDto,
    pub min_cell: usize,
    /// Verbatims are masked (names, e-mails, phones, addresses).
    pub masked: bool,
    pub themes: Vec<ThemeDto>,
    /// Why there are no themes, when there are none.
    pub note: Option<String>,
    /// The open questions of the questionnaire.
    pub open_questions: Vec<OpenQuestionDto>,
}

/// An open question of the questionnaire.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenQuestionDto {
    pub key: String,
    pub text: String,
}

fn themes_dto(
    d: &Data,
    key: &str,
    text: &str,
    a: &Analysed,
    by: Option<&str>,
) -> ApiResult<ThemesDto> {
    let mut asked = match by {
        Some(b) => theme_groups(d, a, b)?,
        None => Vec::new(),
    };
    let mut every: Vec<(&str, Vec<Vec<GroupShareDto>>)> = Vec::new();
    for b in BREAKDOWNS {
        every.push((b, theme_groups(d, a, b)?));
    }
    let themes = a.analysis.as_ref().map_or_else(Vec::new, |an| {
        an.themes
            .iter()
            .enumerate()
            .map(|(l, t)| ThemeDto {
                code: format!("T{}", t.id),
                label: t.label.clone(),
                terms: t.terms.iter().map(|x| x.label.clone()).collect(),
                share: t.share.into(),
                mention_share: t.mention_share.into(),
                verbatims: t
                    .examples
                    .iter()
                    .filter_map(|v| {
                        let row = *a.rows.get(v.answer)?;
                        Some(VerbatimDto {
                            response_id: d.responses[row].id,
                            text: d.show(&v.text),
                        })
                    })
                    .collect(),
                groups: asked.get_mut(l).map(std::mem::take).unwrap_or_default(),
                breakdowns: every
                    .iter_mut()
                    .map(|(b, per_theme)| ThemeBreakdownDto {
                        by: (*b).to_string(),
                        groups: per_theme.get_mut(l).map(std::mem::take).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect()
    });
    Ok(ThemesDto {
        questionnaire_id: d.info.id,
        question: key.into(),
        text: text.into(),
        respondents: d.responses.len(),
        answers: a.rows.len(),
        k: a.analysis.as_ref().map_or(0, |x| x.k),
        k_chosen_by: a
            .analysis
            .as_ref()
            .map_or_else(String::new, |x| x.k_chosen_by.clone()),
        weighting: d.weighting(),
        min_cell: d.min_cell,
        masked: !d.analyst,
        themes,
        note: a.note.clone(),
        open_questions: d.open_questions(),
    })
}

/// The themes of an open question's answers (default: the first open question), with their
/// weighted shares, intervals, verbatims and, with `by`, their shares by group.
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/themes", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, body = ThemesDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn themes(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Json<ThemesDto>> {
    let d = load(&state, &auth, &p).await?;
    let (key, text) = d.open_question(p.question.as_deref())?;
    let a = themes_of(&d, &key).await?;
    Ok(Json(themes_dto(&d, &key, &text, &a, p.by.as_deref())?))
}

// ── coding ──────────────────────────────────────────────────────────────────────────────

/// A code of a codebook.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodebookCodeDto {
    pub id: String,
    pub label: String,
    pub description: Option<String>,
    /// The key that applies it (`1`–`9`, then letters).
    pub key: Option<String>,
}

/// The model's proposal for an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalDto {
    pub code: String,
    /// The theme's proportion in the answer (0–1).
    pub weight: f64,
}

/// An answer waiting for the caller's codes.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerToCodeDto {
    pub response_id: Uuid,
    /// Word for word; masked for callers who are not analysts.
    pub text: String,
    /// The model proposes, the coder decides.
    pub proposals: Vec<ProposalDto>,
}

/// Agreement between two coders.
#[derive(Debug, Serialize, ToSchema)]
pub struct KappaDto {
    /// Cohen's kappa on the first code each coder gave.
    pub kappa: f64,
    pub lower: f64,
    pub upper: f64,
    /// Observed agreement (0–1).
    pub observed: f64,
    /// Answers both coders coded.
    pub n: usize,
}

/// A code's weighted share of the coded answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeShareDto {
    pub code: String,
    pub label: String,
    pub share: ShareDto,
}

/// Where the coding of a question stands, and the caller's next answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodingDto {
    pub questionnaire_id: Uuid,
    pub question: String,
    pub text: String,
    pub codebook: Vec<CodebookCodeDto>,
    /// The next answer the caller has not coded (`None`: all done).
    pub next: Option<AnswerToCodeDto>,
    /// Answers to this question in the caller's territories.
    pub answers: usize,
    /// Of them, coded by the caller.
    pub coded_by_me: usize,
    /// Coded by at least one coder.
    pub coded: usize,
    /// Coded by two coders or more.
    pub double_coded: usize,
    /// Agreement on the double-coded answers (`None` under two).
    pub kappa: Option<KappaDto>,
    /// Weighted shares of the codes among coded answers (first coder's codes); suppressed
    /// when fewer than the minimum are coded.
    pub shares: Vec<CodeShareDto>,
    pub weighting: WeightingDto,
    pub masked: bool,
    /// The open questions of the questionnaire, to pick another one to code.
    pub open_questions: Vec<OpenQuestionDto>,
}

/// A question's codebook: the saved one, or one seeded from the themes of the whole
/// campaign's answers (and saved), with that analysis (for the model's proposals) and the ids
/// of the responses it analysed.
async fn codebook(
    state: &AppState,
    d: &Data,
    question: &str,
    audit: &terrain_store::Audit,
) -> ApiResult<(Codebook, Arc<Analysed>, Vec<Uuid>)> {
    let c = d.info.campaign_id;
    let wide = load_in(
        state,
        c,
        Scope::Campaign,
        d.analyst,
        &DiagnosticParams {
            questionnaire: Some(d.info.id),
            min_cell: Some(d.min_cell),
            ..DiagnosticParams::default()
        },
    )
    .await?;
    let a = themes_of(&wide, question).await?;
    let ids: Vec<Uuid> = a.rows.iter().map(|&i| wide.responses[i].id).collect();
    if let Some(v) = state.store.codebook(c, d.info.id, question).await? {
        let codes: Vec<Code> = serde_json::from_value(v).map_err(ApiError::internal)?;
        return Ok((
            Codebook::new(question, codes).map_err(ApiError::internal)?,
            a,
            ids,
        ));
    }
    let mut book = match &a.analysis {
        Some(an) => Codebook::from_themes(question, an),
        None => Codebook {
            question: question.into(),
            codes: Vec::new(),
        },
    };
    // A code for answers that fit no theme; the key 0.
    book.codes.push(Code {
        id: "autre".into(),
        label: "Autre".into(),
        description: Some("Ne relève d’aucun des thèmes".into()),
        key: Some('0'),
    });
    if a.analysis.is_some() {
        let v = serde_json::to_value(&book.codes).map_err(ApiError::internal)?;
        state
            .store
            .save_codebook(audit, c, d.info.id, question, &v)
            .await?;
    }
    Ok((book, a, ids))
}

/// The code a coder gave first (`∅` for an answer read and left without a code).
fn first_code(c: &Coding) -> Option<&str> {
    Some(c.codes.first().map_or("∅", String::as_str))
}

async fn coding_view(
    state: &AppState,
    d: &Data,
    key: &str,
    text: &str,
    me: terrain_model::UserId,
    audit: &terrain_store::Audit,
) -> ApiResult<CodingDto> {
    let (book, a, analysed_ids) = codebook(state, d, key, audit).await?;
    let codings = state.store.codings(d.info.campaign_id, Some(key)).await?;
    let mut by_response: HashMap<Uuid, Vec<&Coding>> = HashMap::new();
    for c in &codings {
        by_response.entry(c.response_id).or_default().push(c);
    }
    for v in by_response.values_mut() {
        v.sort_by_key(|c| (c.coded_at, c.coder.0));
    }
    let answers = d.open_answers(key);
    let coded_by = |i: usize| {
        by_response
            .get(&d.responses[i].id)
            .map_or(&[][..], |v| &v[..])
    };
    let coded_by_me = answers
        .iter()
        .filter(|(i, _)| coded_by(*i).iter().any(|c| c.coder == me))
        .count();
    let next = answers
        .iter()
        .find(|(i, _)| !coded_by(*i).iter().any(|c| c.coder == me))
        .map(|(i, t)| {
            let proposals = a
                .analysis
                .as_ref()
                .and_then(|an| {
                    let id = d.responses[*i].id;
                    let pos = analysed_ids.iter().position(|r| *r == id)?;
                    Some(
                        an.proposals(pos)
                            .into_iter()
                            .take(3)
                            .filter_map(|(k, w)| {
                                Some(ProposalDto {
                                    code: format!("T{}", an.themes.get(k)?.id),
                                    weight: w,
                                })
                            })
                            .collect(),
                    )
                })
                .unwrap_or_default();
            AnswerToCodeDto {
                response_id: d.responses[*i].id,
                text: d.show(t),
                proposals,
            }
        });
    // Agreement on answers two coders coded: the first two coders, their first code.
    let pairs: Vec<(Option<&str>, Option<&str>)> = answers
        .iter()
        .filter_map(|(i, _)| {
            let cs = coded_by(*i);
            (cs.len() >= 2).then(|| (first_code(cs[0]), first_code(cs[1])))
        })
        .collect();
    let kappa = if pairs.len() >= 2 {
        let (x, y): (Vec<_>, Vec<_>) = pairs.iter().copied().unzip();
        let k = cohen_kappa(&x, &y).map_err(ApiError::internal)?;
        Some(KappaDto {
            kappa: k.kappa,
            lower: k.lower,
            upper: k.upper,
            observed: k.observed,
            n: k.n,
        })
    } else {
        None
    };
    // Weighted shares of codes among coded answers, the first coder's codes.
    let known: std::collections::HashSet<&str> = book.codes.iter().map(|c| c.id.as_str()).collect();
    let coded: Vec<(usize, Vec<String>)> = answers
        .iter()
        .filter_map(|(i, _)| {
            let first = coded_by(*i).first()?;
            let codes: Vec<String> = first
                .codes
                .iter()
                .filter(|c| known.contains(c.as_str()))
                .cloned()
                .collect();
            Some((*i, codes))
        })
        .collect();
    let coded_n = coded.len();
    let shares = if coded_n >= d.min_cell {
        let codings: Vec<Vec<String>> = coded.iter().map(|(_, c)| c.clone()).collect();
        let w: Vec<f64> = coded.iter().map(|(i, _)| d.weights.values[*i]).collect();
        code_shares(&book, &codings, &w, 0.95)
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|s| s.share.count >= d.min_cell)
            .map(|s| CodeShareDto {
                code: s.code,
                label: s.label,
                share: s.share.into(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CodingDto {
        questionnaire_id: d.info.id,
        question: key.into(),
        text: text.into(),
        codebook: book
            .codes
            .iter()
            .map(|c| CodebookCodeDto {
                id: c.id.clone(),
                label: c.label.clone(),
                description: c.description.clone(),
                key: c.key.map(|k| k.to_string()),
            })
            .collect(),
        next,
        answers: answers.len(),
        coded_by_me,
        coded: answers
            .iter()
            .filter(|(i, _)| !coded_by(*i).is_empty())
            .count(),
        double_coded: pairs.len(),
        kappa,
        shares,
        weighting: d.weighting(),
        masked: !d.analyst,
        open_questions: d.open_questions(),
    })
}

/// The coding of an open question: its codebook (seeded from the themes the first time), the
/// caller's next uncoded answer with the model's proposals, the agreement between coders and
/// the weighted shares of the codes.
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/coding", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, body = CodingDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn coding(
    State(state): State<AppState>,
    auth: Authorized<CodeAnswers>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Json<CodingDto>> {
    let d = load(&state, &auth, &p).await?;
    let (key, text) = d.open_question(p.question.as_deref())?;
    let view = coding_view(&state, &d, &key, &text, auth.user_id(), &auth.audit()).await?;
    Ok(Json(view))
}

/// A coder's codes for one answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeAnswerBody {
    pub questionnaire: Uuid,
    pub question: String,
    pub response_id: Uuid,
    /// Code ids of the question's codebook; none: read, nothing to code.
    pub codes: Vec<String>,
    /// Put the answer on the reading list.
    #[serde(default)]
    pub flagged: bool,
}

/// Records the caller's codes for an answer (replacing theirs) and answers the coding view
/// with the next answer.
#[utoipa::path(post, path = "/campaigns/{campaign}/diagnostic/coding", tag = "diagnostic",
    params(("campaign" = Uuid, Path)), request_body = CodeAnswerBody,
    responses((status = 200, body = CodingDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn code_answer(
    State(state): State<AppState>,
    auth: Authorized<CodeAnswers>,
    ApiJson(body): ApiJson<CodeAnswerBody>,
) -> ApiResult<Json<CodingDto>> {
    let (d, key, text) = load_question(&state, &auth, body.questionnaire, &body.question).await?;
    // The answer must be one the caller may read.
    if !d
        .open_answers(&key)
        .iter()
        .any(|(i, _)| d.responses[*i].id == body.response_id)
    {
        return Err(ApiError::not_found(
            "response_not_found",
            "no such answer to this question in your territories",
        ));
    }
    let audit = auth.audit();
    let (book, _, _) = codebook(&state, &d, &key, &audit).await?;
    if let Some(bad) = body
        .codes
        .iter()
        .find(|c| !book.codes.iter().any(|k| &k.id == *c))
    {
        return Err(unprocessable(
            "unknown_code",
            format!("codes: {bad:?} is not in the codebook of {key}"),
        ));
    }
    let mut codes = body.codes.clone();
    codes.dedup();
    state
        .store
        .save_coding(
            &audit,
            auth.campaign.id,
            &Coding {
                response_id: body.response_id,
                question: key.clone(),
                coder: auth.user_id(),
                codes,
                flagged: body.flagged,
                coded_at: OffsetDateTime::now_utc(),
            },
        )
        .await?;
    let view = coding_view(&state, &d, &key, &text, auth.user_id(), &audit).await?;
    Ok(Json(view))
}

/// A code of an edited codebook.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeInput {
    /// The code's id to keep it (renaming it keeps its codings); none: a new code.
    pub id: Option<String>,
    pub label: String,
    pub description: Option<String>,
    /// One character: the key that applies it.
    pub key: Option<String>,
}

/// A question's codebook as it should be: its codes in order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodebookBody {
    pub questionnaire: Uuid,
    pub question: String,
    pub codes: Vec<CodeInput>,
}

/// Replaces a question's codebook: codes named by their id are renamed (their codings follow),
/// codes without an id are added, codes left out are removed — unless an answer is coded with
/// them (409 `code_in_use`: recode those answers first). Answers with the coding view.
#[utoipa::path(put, path = "/campaigns/{campaign}/diagnostic/codebook", tag = "diagnostic",
    params(("campaign" = Uuid, Path)), request_body = CodebookBody,
    responses((status = 200, body = CodingDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_codebook(
    State(state): State<AppState>,
    auth: Authorized<EditCodebook>,
    ApiJson(body): ApiJson<CodebookBody>,
) -> ApiResult<Json<CodingDto>> {
    let (d, key, text) = load_question(&state, &auth, body.questionnaire, &body.question).await?;
    let audit = auth.audit();
    let (book, _, _) = codebook(&state, &d, &key, &audit).await?;
    let invalid = |m: String| unprocessable("invalid_codebook", m);
    let given: std::collections::HashSet<&str> =
        body.codes.iter().filter_map(|c| c.id.as_deref()).collect();
    let mut next = 1;
    let mut codes = Vec::with_capacity(body.codes.len());
    for (i, c) in body.codes.iter().enumerate() {
        let id = match c.id.as_deref() {
            Some(id) if book.codes.iter().any(|k| k.id == id) => id.to_string(),
            Some(id) => {
                return Err(invalid(format!(
                    "codes[{i}].id: {id:?} is not a code of {key}'s codebook (leave it out to add a code)"
                )));
            }
            None => loop {
                let candidate = format!("C{next}");
                next += 1;
                if !given.contains(candidate.as_str())
                    && !book.codes.iter().any(|k| k.id == candidate)
                {
                    break candidate;
                }
            },
        };
        let label = c.label.trim();
        if label.is_empty() {
            return Err(invalid(format!("codes[{i}].label: a code needs a label")));
        }
        let key_char = match c.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => {
                let mut chars = k.chars();
                match (chars.next(), chars.next()) {
                    (Some(ch), None) if !ch.is_whitespace() && ch != '!' => Some(ch),
                    _ => {
                        return Err(invalid(format!(
                            "codes[{i}].key: {k:?} is not one character (`!` flags an answer, it cannot code)"
                        )));
                    }
                }
            }
        };
        codes.push(Code {
            id,
            label: label.to_string(),
            description: c
                .description
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
            key: key_char,
        });
    }
    let edited = Codebook::new(key.as_str(), codes).map_err(|e| invalid(e.to_string()))?;
    // A code still on coded answers stays.
    let removed: Vec<&Code> = book
        .codes
        .iter()
        .filter(|k| !edited.codes.iter().any(|e| e.id == k.id))
        .collect();
    if !removed.is_empty() {
        let codings = state.store.codings(auth.campaign.id, Some(&key)).await?;
        for k in removed {
            let used = codings.iter().filter(|c| c.codes.contains(&k.id)).count();
            if used > 0 {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "code_in_use",
                    format!(
                        "codes: {:?} ({}) codes {used} answer(s): recode them before removing it",
                        k.id, k.label
                    ),
                ));
            }
        }
    }
    let v = serde_json::to_value(&edited.codes).map_err(ApiError::internal)?;
    state
        .store
        .save_codebook(&audit, auth.campaign.id, d.info.id, &key, &v)
        .await?;
    let view = coding_view(&state, &d, &key, &text, auth.user_id(), &audit).await?;
    Ok(Json(view))
}

/// An answer flagged while coding.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingItemDto {
    pub response_id: Uuid,
    pub question: String,
    /// Word for word; masked for callers who are not analysts.
    pub text: String,
    /// The codes the flagging coder gave.
    pub codes: Vec<String>,
}

/// The reading list: answers a coder flagged as worth reading in full.
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/reading-list", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, body = Vec<ReadingItemDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reading_list(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Json<Vec<ReadingItemDto>>> {
    let d = load(&state, &auth, &p).await?;
    let index: HashMap<Uuid, usize> = d
        .responses
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in state.store.codings(auth.campaign.id, None).await? {
        if !c.flagged || !seen.insert((c.response_id, c.question.clone())) {
            continue;
        }
        let Some(&i) = index.get(&c.response_id) else {
            continue;
        };
        if let Some(Answer::Text(t)) = d.responses[i].answers.get(&c.question) {
            out.push(ReadingItemDto {
                response_id: c.response_id,
                question: c.question.clone(),
                text: d.show(t),
                codes: c.codes.clone(),
            });
        }
    }
    Ok(Json(out))
}

// ── report and exports ──────────────────────────────────────────────────────────────────

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The sample against the population, from the weighting run's report: each margin's share
/// among respondents before weighting (design weights) and after, against its target; Kish's
/// design effect and the effective sample size. Cells with fewer respondents than `min_cell`
/// show their count as "< min_cell".
fn representativeness_html(r: &serde_json::Value, min_cell: usize) -> String {
    let mut h = String::from("<h3>Représentativité : l’échantillon et le recensement</h3>");
    let f = |k: &str| r.get(k).and_then(serde_json::Value::as_f64);
    if let (Some(deff), Some(ess)) = (f("kish_deff"), f("effective_sample_size")) {
        let _ = write!(
            h,
            "<p>Effet de plan de Kish {:.2} ; taille efficace {:.0} répondants. Marges : {}.</p>",
            deff,
            ess,
            esc(r
                .get("margins_source")
                .and_then(|v| v.as_str())
                .unwrap_or("—")
                .trim_end_matches('.'))
        );
    }
    let rows: Vec<&serde_json::Value> = r
        .get("margins")
        .and_then(|m| m.as_array())
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    let mut totals: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    for m in &rows {
        let v = m.get("variable").and_then(|v| v.as_str()).unwrap_or("");
        let e = totals.entry(v).or_default();
        e.0 += m.get("target").and_then(|x| x.as_f64()).unwrap_or(0.0);
        e.1 += m.get("before").and_then(|x| x.as_f64()).unwrap_or(0.0);
        e.2 += m.get("after").and_then(|x| x.as_f64()).unwrap_or(0.0);
    }
    h.push_str(
        "<table><tr><th>Marge</th><th>Répondants</th><th>Avant redressement</th><th>Après</th><th>Population</th></tr>",
    );
    let share = |x: f64, t: f64| if t > 0.0 { pct(x / t) } else { "—".into() };
    for m in rows {
        let v = m.get("variable").and_then(|v| v.as_str()).unwrap_or("");
        let (tt, tb, ta) = totals.get(v).copied().unwrap_or_default();
        let n = m.get("respondents").and_then(|x| x.as_u64()).unwrap_or(0) as usize;
        let n = if n < min_cell {
            format!("< {min_cell}")
        } else {
            n.to_string()
        };
        let g = |k: &str| m.get(k).and_then(|x| x.as_f64()).unwrap_or(0.0);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{n}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(m.get("label").and_then(|x| x.as_str()).unwrap_or("")),
            share(g("before"), tb),
            share(g("after"), ta),
            share(g("target"), tt)
        );
    }
    h.push_str("</table>");
    h
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// A bar of a chart: its label, and (estimate, lower, upper) in 0–1 or `None` when suppressed.
type BarRow = (String, Option<(f64, f64, f64)>);

/// A horizontal bar chart with intervals: (label, estimate, lower, upper) in 0–1, `None` for
/// a suppressed row.
fn bars(rows: &[BarRow]) -> String {
    let (w, lw, bh) = (640.0, 240.0, 22.0);
    let h = bh * rows.len() as f64 + 8.0;
    let scale = w - lw - 60.0;
    let mut s = format!("<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\">");
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * bh;
        let short: String = label.chars().take(38).collect();
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
            lw - 6.0,
            y + 15.0,
            esc(&short)
        );
        match v {
            Some((e, lo, hi)) => {
                let _ = write!(
                    s,
                    "<rect x=\"{lw}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"#3b6ea8\"/>\
                     <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\" stroke-width=\"1.5\"/>\
                     <text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{}</text>",
                    y + 3.0,
                    e * scale,
                    bh - 8.0,
                    lw + lo * scale,
                    lw + hi * scale,
                    y + bh / 2.0,
                    y + bh / 2.0,
                    lw + hi * scale + 4.0,
                    y + 15.0,
                    pct(*e)
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#777\">masqué (effectif trop faible)</text>",
                    lw + 4.0,
                    y + 15.0
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

const REPORT_CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1d;line-height:1.45}\
h1{font-size:1.7rem}h2{margin-top:2.2rem;border-bottom:2px solid #3b6ea8}h3{margin-top:1.6rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}\
td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9rem}blockquote{margin:.4rem 0;padding:.3rem .8rem;border-left:3px solid #3b6ea8;background:#f4f7fb}\
.maps{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}\
figure.map{margin:0}figure.map figcaption{font-weight:600;font-size:.9rem;margin-bottom:.2rem}\
@media print{h2{page-break-before:always}figure.map{break-inside:avoid}}";

/// The report's maps by bureau de vote: respondents (raw, and weighted when the weights are
/// calibrated), then the share of the main open question's first three themes. A bureau with
/// fewer respondents (or answers) than the minimum is hatched, its figure hidden.
async fn maps_html(state: &AppState, d: &Data) -> ApiResult<String> {
    use crate::choropleth::{Area, Fill, map, outlines, whole_fr};
    let shapes = state
        .store
        .shapes(d.info.campaign_id, TerritoryKind::Bureau, &d.scope)
        .await?;
    let (ids, areas): (Vec<Uuid>, Vec<Area>) = shapes
        .iter()
        .filter_map(|s| {
            let geometry = serde_json::from_str(&s.geometry).ok()?;
            Some((
                s.territory_id.0,
                Area {
                    name: s.name.clone(),
                    geometry,
                },
            ))
        })
        .unzip();
    let mut h = String::from("<h2 id=\"cartes\">Cartes par bureau de vote</h2>");
    let Some(o) = outlines(&areas, 640.0, "bv") else {
        h.push_str(
            "<p class=\"note\">Pas de carte : les bureaux de vote de ce territoire n’ont pas de contours importés.</p>",
        );
        return Ok(h);
    };
    let place: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let min = d.min_cell;
    let note = format!("masqué : moins de {min} répondants");
    // Respondents and their weights per bureau.
    let mut per = vec![(0usize, 0.0f64); ids.len()];
    for (i, r) in d.responses.iter().enumerate() {
        if let Some(&k) = r.bureau_id.as_ref().and_then(|b| place.get(b)) {
            per[k].0 += 1;
            per[k].1 += d.weights.values[i];
        }
    }
    let fill = |n: usize, v: f64| match n {
        0 => Fill::NoData,
        n if n < min => Fill::Suppressed,
        _ => Fill::Value(v),
    };
    h.push_str(&o.defs);
    h.push_str("<div class=\"maps\">");
    let raw: Vec<Fill> = per.iter().map(|(n, _)| fill(*n, *n as f64)).collect();
    h.push_str(&map(
        &o,
        &raw,
        "Répondants par bureau (effectifs bruts)",
        &|v| format!("{v:.0} répondants"),
        &note,
    ));
    if d.weights.calibrated {
        let weighted: Vec<Fill> = per.iter().map(|(n, w)| fill(*n, *w)).collect();
        h.push_str(&map(
            &o,
            &weighted,
            "Répondants par bureau (pondérés : somme des poids)",
            &whole_fr,
            &note,
        ));
    }
    h.push_str("</div>");
    // The main open question's leading themes, by bureau.
    if let Ok((key, text)) = d.open_question(None) {
        let a = themes_of(d, &key).await?;
        if let Some(an) = a.analysis.as_ref() {
            let mut top: Vec<usize> = (0..an.themes.len()).collect();
            top.sort_by(|x, y| {
                an.themes[*y]
                    .share
                    .estimate
                    .total_cmp(&an.themes[*x].share.estimate)
            });
            top.truncate(3);
            let _ = write!(
                h,
                "<h3>« {} » : les principaux thèmes par bureau</h3><p class=\"note\">Part pondérée des répondants du bureau \
                 dont c’est le thème principal, parmi ceux qui ont répondu ; bureaux de moins de {min} réponses masqués.</p><div class=\"maps\">",
                esc(&text)
            );
            for l in top {
                let mut answered = vec![(0usize, 0.0f64, 0.0f64); ids.len()];
                for (j, &row) in a.rows.iter().enumerate() {
                    let Some(dominant) = an.dominant.get(j).copied().flatten() else {
                        continue;
                    };
                    let Some(&k) = d.responses[row]
                        .bureau_id
                        .as_ref()
                        .and_then(|b| place.get(b))
                    else {
                        continue;
                    };
                    let w = d.weights.values[row];
                    answered[k].0 += 1;
                    answered[k].1 += w;
                    if dominant == l {
                        answered[k].2 += w;
                    }
                }
                let fills: Vec<Fill> = answered
                    .iter()
                    .map(|(n, w, yes)| match *n {
                        0 => Fill::NoData,
                        n if n < min || *w <= 0.0 => Fill::Suppressed,
                        _ => Fill::Value(yes / w),
                    })
                    .collect();
                h.push_str(&map(
                    &o,
                    &fills,
                    &format!("Thème : {}", an.themes[l].label),
                    &|v| pct(v),
                    &format!("masqué : moins de {min} réponses"),
                ));
            }
            h.push_str("</div>");
        }
    }
    Ok(h)
}

async fn report_html(state: &AppState, d: &Data, scope_label: &str) -> ApiResult<String> {
    let mut h = String::new();
    let title = format!("Diagnostic — {}", d.info.name);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{REPORT_CSS}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p>{} — {} répondants. Pondération : <strong>{}</strong>. Cellules de moins de {} répondants masquées. \
         Rapport produit le {}.</p>",
        esc(&title),
        esc(scope_label),
        d.responses.len(),
        esc(&d.weights.label),
        d.min_cell,
        OffsetDateTime::now_utc().date()
    );
    // The sample.
    h.push_str("<h2>L’échantillon</h2>");
    if !d.weights.calibrated {
        h.push_str(
            "<p class=\"note\">Les résultats ne sont pas pondérés : l’échantillon n’a pas été redressé sur le \
             recensement. Ils décrivent les personnes interrogées, pas la population ; un échantillon où \
             certains groupes sont sur-représentés (par exemple les femmes ou les plus de 60 ans) donne des \
             résultats qui penchent de leur côté.</p>",
        );
    }
    if let Some(r) = d.weights.run_report.as_ref() {
        h.push_str(&representativeness_html(r, d.min_cell));
    }
    let tables = closed_tables(d, None)?;
    let by_terr = closed_tables(d, Some("territory")).unwrap_or_default();
    let table_html = |t: &ClosedTableDto| -> String {
        let mut s = String::from(
            "<table><tr><th>Réponse</th><th>Répondants</th><th>Estimation</th><th>IC 95 %</th></tr>",
        );
        for r in &t.rows {
            let (e, ci) = match (r.estimate, r.lower, r.upper) {
                (Some(e), Some(lo), Some(hi)) if t.kind == "mean" => {
                    (format!("{e:.2}"), format!("{lo:.2} – {hi:.2}"))
                }
                (Some(e), Some(lo), Some(hi)) => (pct(e), format!("{} – {}", pct(lo), pct(hi))),
                _ => ("masqué".into(), String::new()),
            };
            let n = if r.suppressed && r.respondents < d.min_cell {
                format!("< {}", d.min_cell)
            } else {
                r.respondents.to_string()
            };
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{n}</td><td>{e}</td><td>{ci}</td></tr>",
                esc(&r.label)
            );
        }
        s.push_str("</table>");
        if t.kind == "shares" {
            let rows: Vec<_> = t
                .rows
                .iter()
                .map(|r| {
                    (
                        r.label.clone(),
                        match (r.estimate, r.lower, r.upper) {
                            (Some(e), Some(lo), Some(hi)) => Some((e, lo, hi)),
                            _ => None,
                        },
                    )
                })
                .collect();
            s.push_str(&bars(&rows));
        }
        s
    };
    let profile_keys: Vec<&str> = d
        .def
        .questions
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Profile { .. }))
        .map(|q| q.key.as_str())
        .collect();
    for t in tables
        .iter()
        .filter(|t| profile_keys.contains(&t.question.as_str()))
    {
        let _ = write!(h, "<h3>{}</h3>{}", esc(&t.text), table_html(t));
    }
    // Territories.
    h.push_str("<h2>Répondants par territoire</h2>");
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for t in &d.territory {
        *per.entry(t.clone().unwrap_or_else(|| "Non situé".into()))
            .or_default() += 1;
    }
    let total = d.responses.len().max(1) as f64;
    let terr_rows: Vec<BarRow> = per
        .iter()
        .map(|(k, n)| {
            let s = *n as f64 / total;
            (
                format!(
                    "{k} ({})",
                    if *n < d.min_cell {
                        format!("< {}", d.min_cell)
                    } else {
                        n.to_string()
                    }
                ),
                (*n >= d.min_cell).then_some((s, s, s)),
            )
        })
        .collect();
    h.push_str(&bars(&terr_rows));
    h.push_str("<p class=\"note\">Part des répondants de chaque territoire.</p>");
    h.push_str(&maps_html(state, d).await?);
    // Closed questions.
    let closed_q: Vec<&ClosedTableDto> = tables
        .iter()
        .filter(|t| !profile_keys.contains(&t.question.as_str()))
        .collect();
    if !closed_q.is_empty() {
        h.push_str("<h2>Questions fermées</h2>");
        for t in closed_q {
            let _ = write!(h, "<h3>{}</h3>{}", esc(&t.text), table_html(t));
            for g in by_terr
                .iter()
                .filter(|g| g.question == t.question && g.group.is_some())
            {
                let _ = write!(
                    h,
                    "<h4>{} — {}</h4>{}",
                    esc(&t.text),
                    esc(g.group.as_deref().unwrap_or("")),
                    table_html(g)
                );
            }
        }
    }
    // Open questions.
    h.push_str("<h2>Questions ouvertes : les thèmes</h2>");
    let open: Vec<(String, String)> = d
        .def
        .questions
        .iter()
        .filter(|q| matches!(q.kind, QuestionKind::Open { .. }))
        .map(|q| (q.key.clone(), q.text.clone()))
        .collect();
    for (key, text) in &open {
        let a = themes_of(d, key).await?;
        let t = themes_dto(d, key, text, &a, None)?;
        let _ = write!(h, "<h3>{}</h3><p>{} réponses.", esc(text), t.answers);
        if let Some(n) = &t.note {
            let _ = write!(h, " {}</p>", esc(n));
            continue;
        }
        let _ = write!(h, " {} thèmes.</p>", t.k);
        let rows: Vec<_> = t
            .themes
            .iter()
            .map(|x| {
                (
                    x.label.clone(),
                    (x.share.n >= d.min_cell).then_some((
                        x.share.estimate,
                        x.share.lower,
                        x.share.upper,
                    )),
                )
            })
            .collect();
        h.push_str(&bars(&rows));
        for x in &t.themes {
            let _ = write!(
                h,
                "<h4>{} — {} (IC 95 % {} – {})</h4><p class=\"note\">Termes : {}</p>",
                esc(&x.label),
                pct(x.share.estimate),
                pct(x.share.lower),
                pct(x.share.upper),
                esc(&x.terms.join(", "))
            );
            for v in x.verbatims.iter().take(3) {
                let _ = write!(h, "<blockquote>« {} »</blockquote>", esc(&v.text));
            }
        }
        // The human coding, when there is one.
        let codings = state.store.codings(d.info.campaign_id, Some(key)).await?;
        if !codings.is_empty() {
            let _ = write!(
                h,
                "<p class=\"note\">Codage manuel : {} codages sur cette question.</p>",
                codings.len()
            );
        }
    }
    // Method.
    let _ = write!(
        h,
        "<h2>Méthode et limites</h2>\
         <p>{METHOD}</p>\
         <p>Les réponses ouvertes sont découpées en éléments, réduites à leurs lemmes, puis regroupées en thèmes par \
         factorisation en matrices non négatives (NMF). Le nombre de thèmes est choisi entre 4 et 12 comme celui qui \
         maximise la cohérence des termes (NPMI) plus la moitié de leur stabilité d’un sous-échantillon à l’autre. \
         La part d’un thème est la part pondérée des répondants dont c’est le thème principal, avec un intervalle de \
         Wilson sur l’effectif efficace (il ne tient pas compte du regroupement par bureau : il est un peu trop étroit).</p>\
         <p>Les citations sont des réponses réelles, jamais réécrites ; les noms, adresses, courriels et téléphones y \
         sont masqués sauf pour la direction de campagne. Aucune réponse n’est rattachée à une adresse ni à un enquêteur.</p>\
         <p>Limites : l’enquête en porte-à-porte touche les personnes présentes et qui ouvrent ; {}. Les effectifs de \
         moins de {} répondants ne sont pas publiés.</p></body></html>",
        if d.weights.calibrated {
            "le redressement corrige les écarts de profil observés, pas les différences d’opinion entre répondants et non-répondants d’un même profil"
        } else {
            "sans redressement, les écarts de profil entre l’échantillon et la population faussent les résultats"
        },
        d.min_cell
    );
    Ok(h)
}

/// The report's HTML for the caller: the whole campaign for the direction, their territories
/// for a coordinator (403 `too_few_respondents` under [`MIN_REPORT`] respondents).
async fn report_for(
    state: &AppState,
    auth: &Authorized<ReadDiagnostic>,
    p: &DiagnosticParams,
) -> ApiResult<String> {
    let d = load(state, auth, p).await?;
    if !auth.role.is_campaign_wide() && d.responses.len() < MIN_REPORT {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "too_few_respondents",
            format!(
                "your territories have {} respondents: a report needs at least {MIN_REPORT}",
                d.responses.len()
            ),
        ));
    }
    let scope_label = if auth.role.is_campaign_wide() {
        auth.campaign.name.clone()
    } else {
        let names: Vec<String> = auth.territories.iter().map(|t| t.name.clone()).collect();
        format!("{} — {}", auth.campaign.name, names.join(", "))
    };
    report_html(state, &d, &scope_label).await
}

fn attachment(body: Vec<u8>, content_type: &'static str, filename: &'static str) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The report: one self-contained HTML file (inline CSS, SVG charts and maps, nothing fetched
/// from the network), printable to PDF from the browser. A coordinator gets the report of their
/// territories when at least 100 respondents are in them (403 `too_few_respondents` otherwise).
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/report", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, description = "text/html", content_type = "text/html", body = String), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Response> {
    let html = report_for(&state, &auth, &p).await?;
    Ok(attachment(
        html.into_bytes(),
        "text/html; charset=utf-8",
        "diagnostic.html",
    ))
}

/// Longest a PDF may take to print.
const PDF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// Prints `html` to PDF with headless Chromium, in a temporary folder removed afterwards
/// (the page, the PDF and Chromium's profile), within [`PDF_TIMEOUT`].
async fn print_pdf(chromium: &std::path::Path, html: &str) -> ApiResult<Vec<u8>> {
    let dir = tempfile::tempdir().map_err(ApiError::internal)?;
    let page = dir.path().join("report.html");
    let out = dir.path().join("report.pdf");
    tokio::fs::write(&page, html)
        .await
        .map_err(ApiError::internal)?;
    let mut cmd = tokio::process::Command::new(chromium);
    cmd.arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-background-networking")
        .arg("--disable-component-update")
        .arg("--disable-sync")
        .arg("--no-first-run")
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pdf_unavailable",
            format!(
                "headless Chromium at {} could not start ({e}): download the HTML report and print it from a browser",
                chromium.display()
            ),
        )
    })?;
    let output = tokio::time::timeout(PDF_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "pdf_unavailable",
                format!(
                    "printing the report to PDF took more than {} s: download the HTML report and print it from a browser",
                    PDF_TIMEOUT.as_secs()
                ),
            )
        })?
        .map_err(ApiError::internal)?;
    let pdf = tokio::fs::read(&out).await.unwrap_or_default();
    if !output.status.success() || !pdf.starts_with(b"%PDF") {
        let err = String::from_utf8_lossy(&output.stderr);
        let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        return Err(ApiError::internal(format!(
            "Chromium printed no PDF ({}): {tail}",
            output.status
        )));
    }
    Ok(pdf)
}

/// The report as a PDF, printed by headless Chromium (the server's `TERRAIN_CHROMIUM`, by
/// default `/usr/bin/chromium`): 503 `pdf_unavailable` when the server has none. Same scope
/// rules as the HTML report.
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/report.pdf", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, description = "application/pdf", content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, description = "No Chromium on the server", body = ErrorBody)))]
pub async fn report_pdf(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Response> {
    let chromium = state
        .config
        .chromium
        .clone()
        .filter(|c| c.exists())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "pdf_unavailable",
                "this server has no headless Chromium to print PDFs (set TERRAIN_CHROMIUM to its path): \
                 download the HTML report and print it from a browser",
            )
        })?;
    let html = report_for(&state, &auth, &p).await?;
    let pdf = print_pdf(&chromium, &html).await?;
    Ok(attachment(pdf, "application/pdf", "diagnostic.pdf"))
}

/// A cell of an exported table: the CSV writes it as text, the workbook keeps numbers as
/// numbers, rounded as the CSV shows them so that both say the same.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Text(String),
    Count(usize),
    /// A number and the decimals it is shown with.
    Num(f64, usize),
    Empty,
}

impl Value {
    fn opt(x: Option<f64>) -> Self {
        x.map_or(Value::Empty, |v| Value::Num(v, 4))
    }

    /// A count, or `<min` when the cell is suppressed for having fewer respondents.
    fn count_or_below(n: usize, suppressed: bool, min: usize) -> Self {
        if suppressed && n < min {
            Value::Text(format!("<{min}"))
        } else {
            Value::Count(n)
        }
    }

    fn csv(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Count(n) => n.to_string(),
            Value::Num(x, d) => format!("{x:.d$}"),
            Value::Empty => String::new(),
        }
    }

    fn xlsx(&self) -> crate::xlsx::Cell {
        use crate::xlsx::Cell;
        match self {
            Value::Text(t) => Cell::Text(t.clone()),
            Value::Count(n) => Cell::Number(*n as f64),
            Value::Num(..) => self.csv().parse().map_or(Cell::Empty, Cell::Number),
            Value::Empty => Cell::Empty,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

/// A table of the exports: its header and rows.
struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<Value>>,
}

impl Table {
    fn csv(&self) -> ApiResult<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new());
        let io = |e: csv::Error| ApiError::internal(e);
        w.write_record(&self.header).map_err(io)?;
        for r in &self.rows {
            w.write_record(r.iter().map(Value::csv)).map_err(io)?;
        }
        w.into_inner()
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    fn sheet(&self, name: String) -> crate::xlsx::Sheet {
        let mut rows = vec![self.header.iter().map(|h| (*h).into()).collect()];
        rows.extend(
            self.rows
                .iter()
                .map(|r| r.iter().map(Value::xlsx).collect()),
        );
        crate::xlsx::Sheet { name, rows }
    }
}

fn closed_export(d: &Data, by: Option<&str>) -> ApiResult<Table> {
    let mut rows = Vec::new();
    for t in closed_tables(d, by)? {
        for r in &t.rows {
            rows.push(vec![
                t.question.as_str().into(),
                t.group.clone().unwrap_or_default().into(),
                r.label.as_str().into(),
                Value::count_or_below(r.respondents, r.suppressed, d.min_cell),
                if r.suppressed {
                    Value::Empty
                } else {
                    Value::Num(r.weighted, 2)
                },
                Value::opt(r.estimate),
                Value::opt(r.standard_error),
                Value::opt(r.lower),
                Value::opt(r.upper),
                if r.suppressed { "oui" } else { "non" }.into(),
                d.weights.label.as_str().into(),
            ]);
        }
    }
    Ok(Table {
        header: vec![
            "question",
            "groupe",
            "réponse",
            "répondants",
            "poids",
            "estimation",
            "erreur_type",
            "ic95_bas",
            "ic95_haut",
            "masqué",
            "pondération",
        ],
        rows,
    })
}

async fn themes_export(d: &Data, question: Option<&str>, by: Option<&str>) -> ApiResult<Table> {
    let (key, text) = d.open_question(question)?;
    let a = themes_of(d, &key).await?;
    let t = themes_dto(d, &key, &text, &a, by)?;
    let mut rows = Vec::new();
    for x in &t.themes {
        let terms = x.terms.join(", ");
        rows.push(vec![
            key.as_str().into(),
            x.code.as_str().into(),
            x.label.as_str().into(),
            terms.as_str().into(),
            Value::Empty,
            Value::Count(x.share.n),
            Value::Num(x.share.estimate, 4),
            Value::Num(x.share.lower, 4),
            Value::Num(x.share.upper, 4),
            d.weights.label.as_str().into(),
        ]);
        for g in &x.groups {
            let s = g.share.as_ref();
            rows.push(vec![
                key.as_str().into(),
                x.code.as_str().into(),
                x.label.as_str().into(),
                terms.as_str().into(),
                g.group.as_str().into(),
                if g.suppressed {
                    Value::Text(format!("<{}", d.min_cell))
                } else {
                    Value::Count(g.n)
                },
                Value::opt(s.map(|s| s.estimate)),
                Value::opt(s.map(|s| s.lower)),
                Value::opt(s.map(|s| s.upper)),
                d.weights.label.as_str().into(),
            ]);
        }
    }
    Ok(Table {
        header: vec![
            "question",
            "thème",
            "libellé",
            "termes",
            "groupe",
            "répondants",
            "part",
            "ic95_bas",
            "ic95_haut",
            "pondération",
        ],
        rows,
    })
}

async fn codes_export(
    state: &AppState,
    d: &Data,
    question: Option<&str>,
    me: terrain_model::UserId,
    audit: &terrain_store::Audit,
) -> ApiResult<Table> {
    let (key, text) = d.open_question(question)?;
    let v = coding_view(state, d, &key, &text, me, audit).await?;
    let rows = v
        .shares
        .iter()
        .map(|s| {
            vec![
                key.as_str().into(),
                s.code.as_str().into(),
                s.label.as_str().into(),
                Value::Count(s.share.count),
                Value::Num(s.share.estimate, 4),
                Value::Num(s.share.lower, 4),
                Value::Num(s.share.upper, 4),
                d.weights.label.as_str().into(),
            ]
        })
        .collect();
    Ok(Table {
        header: vec![
            "question",
            "code",
            "libellé",
            "répondants",
            "part",
            "ic95_bas",
            "ic95_haut",
            "pondération",
        ],
        rows,
    })
}

/// The sample against the census (the weighting run's margins): each margin's share before
/// and after weighting and its target; empty without a weighting run.
fn margins_export(d: &Data) -> Table {
    let mut rows = Vec::new();
    if let Some(r) = d.weights.run_report.as_ref() {
        let margins: Vec<&serde_json::Value> = r
            .get("margins")
            .and_then(|m| m.as_array())
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        let num = |m: &serde_json::Value, k: &str| m.get(k).and_then(|x| x.as_f64()).unwrap_or(0.0);
        let mut totals: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
        for m in &margins {
            let v = m.get("variable").and_then(|v| v.as_str()).unwrap_or("");
            let e = totals.entry(v).or_default();
            e.0 += num(m, "before");
            e.1 += num(m, "after");
            e.2 += num(m, "target");
        }
        let share = |x: f64, t: f64| {
            if t > 0.0 {
                Value::Num(x / t, 4)
            } else {
                Value::Empty
            }
        };
        for m in margins {
            let v = m.get("variable").and_then(|v| v.as_str()).unwrap_or("");
            let (tb, ta, tt) = totals.get(v).copied().unwrap_or_default();
            let n = m.get("respondents").and_then(|x| x.as_u64()).unwrap_or(0) as usize;
            rows.push(vec![
                v.into(),
                m.get("label").and_then(|x| x.as_str()).unwrap_or("").into(),
                Value::count_or_below(n, true, d.min_cell),
                share(num(m, "before"), tb),
                share(num(m, "after"), ta),
                share(num(m, "target"), tt),
            ]);
        }
    }
    Table {
        header: vec![
            "variable",
            "modalité",
            "répondants",
            "part_avant_redressement",
            "part_après",
            "part_population",
        ],
        rows,
    }
}

/// A table of the diagnostic as CSV (UTF-8 with a byte-order mark, `;`-separated): `closed`
/// (with `by`), `themes` (with `question`, `by`), `codes` (with `question`) or `margins`
/// (the sample against the census, from the weighting run).
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/export.csv", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, description = "text/csv", content_type = "text/csv", body = String), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Response> {
    let d = load(&state, &auth, &p).await?;
    let table = match p.table.as_deref().unwrap_or("closed") {
        "closed" => closed_export(&d, p.by.as_deref())?,
        "themes" => themes_export(&d, p.question.as_deref(), p.by.as_deref()).await?,
        "codes" => {
            codes_export(
                &state,
                &d,
                p.question.as_deref(),
                auth.user_id(),
                &auth.audit(),
            )
            .await?
        }
        "margins" => margins_export(&d),
        other => {
            return Err(unprocessable(
                "invalid_table",
                format!("table: {other:?} is not closed, themes, codes or margins"),
            ));
        }
    };
    Ok(super::dto::csv_attachment(table.csv()?, "diagnostic.csv"))
}

/// A sheet of the workbook: its name, the CSV query giving the same table (`table`,
/// `question`, `by`), and the table.
type WorkbookTable = (
    String,
    &'static str,
    Option<String>,
    Option<&'static str>,
    Table,
);

/// What a breakdown is called in a sheet's name.
fn breakdown_label(by: &str) -> &'static str {
    match by {
        "sex" => "sexe",
        "age_band" => "âge",
        "occupation" => "profession",
        _ => "territoire",
    }
}

/// Every table of the diagnostic in one workbook: a first sheet `Sommaire` lists the others
/// with the CSV query that gives the same table (`table`, `question`, `by`); then the closed
/// questions, their crosstabs by sex, age band, occupation and territory, each open question's
/// themes and their breakdowns, the codes' shares of the questions being coded, and the
/// sample against the census. Same scope, weights and small-cell suppression as the CSV;
/// numbers are numbers.
#[utoipa::path(get, path = "/campaigns/{campaign}/diagnostic/export.xlsx", tag = "diagnostic",
    params(("campaign" = Uuid, Path), DiagnosticParams),
    responses((status = 200, description = "An XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_xlsx(
    State(state): State<AppState>,
    auth: Authorized<ReadDiagnostic>,
    ApiQuery(p): ApiQuery<DiagnosticParams>,
) -> ApiResult<Response> {
    let d = load(&state, &auth, &p).await?;
    let mut tables: Vec<WorkbookTable> = Vec::new();
    tables.push((
        "Questions fermées".into(),
        "closed",
        None,
        None,
        closed_export(&d, None)?,
    ));
    for by in BREAKDOWNS {
        tables.push((
            format!("Croisement {}", breakdown_label(by)),
            "closed",
            None,
            Some(by),
            closed_export(&d, Some(by))?,
        ));
    }
    let coded: std::collections::BTreeSet<String> = state
        .store
        .codings(auth.campaign.id, None)
        .await?
        .into_iter()
        .map(|c| c.question)
        .collect();
    for q in d.open_questions() {
        if d.open_answers(&q.key).is_empty() {
            continue;
        }
        tables.push((
            format!("Thèmes {}", q.key),
            "themes",
            Some(q.key.clone()),
            None,
            themes_export(&d, Some(&q.key), None).await?,
        ));
        for by in BREAKDOWNS {
            tables.push((
                format!("Thèmes {} {}", q.key, breakdown_label(by)),
                "themes",
                Some(q.key.clone()),
                Some(by),
                themes_export(&d, Some(&q.key), Some(by)).await?,
            ));
        }
        if coded.contains(&q.key) {
            tables.push((
                format!("Codes {}", q.key),
                "codes",
                Some(q.key.clone()),
                None,
                codes_export(&state, &d, Some(&q.key), auth.user_id(), &auth.audit()).await?,
            ));
        }
    }
    if d.weights.run_report.is_some() {
        tables.push((
            "Représentativité".into(),
            "margins",
            None,
            None,
            margins_export(&d),
        ));
    }
    let mut sheets = Vec::with_capacity(tables.len() + 1);
    let mut index = vec![vec![
        "feuille".into(),
        "table".into(),
        "question".into(),
        "ventilation".into(),
        "lignes".into(),
    ]];
    index.push(vec![crate::xlsx::Cell::Text(format!(
        "{} — {} répondants, {} ; effectifs de moins de {} masqués",
        d.info.name,
        d.responses.len(),
        d.weights.label,
        d.min_cell
    ))]);
    let mut taken = vec!["Sommaire".to_string()];
    for (name, table, question, by, t) in tables {
        let name = crate::xlsx::sheet_name(&name, &taken);
        taken.push(name.clone());
        let sheet = t.sheet(name);
        index.push(vec![
            sheet.name.clone().into(),
            table.into(),
            question.unwrap_or_default().into(),
            by.unwrap_or_default().into(),
            crate::xlsx::Cell::Number(t.rows.len() as f64),
        ]);
        sheets.push(sheet);
    }
    sheets.insert(
        0,
        crate::xlsx::Sheet {
            name: "Sommaire".into(),
            rows: index,
        },
    );
    let bytes = crate::xlsx::workbook(&sheets).map_err(ApiError::internal)?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "diagnostic.xlsx",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_labels_and_hide_suppressed_rows() {
        let svg = bars(&[
            ("<b>".into(), Some((0.5, 0.4, 0.6))),
            ("petit".into(), None),
        ]);
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("50 %"));
        assert!(svg.contains("masqué"));
        assert_eq!(svg.matches("<rect").count(), 1);
    }
}
