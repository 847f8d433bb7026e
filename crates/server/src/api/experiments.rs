//! LMP's randomised evaluation, built in: on a plan's bureaux ranked by potential, strata of k
//! bureaux, m of them canvassed and the others kept as controls, drawn from a seed and recorded
//! (with a digest to publish) before the campaign starts; after the election, the effect of
//! canvassing on turnout and on the bloc's share, with 95 % intervals, in words a director reads.
//! The statistics are `terrain-targeting`'s (stratum fixed effects, clustered errors).

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::targeting::{TargetingParams, compute_in};
use crate::access::{Authorized, ManageExperiments, ReadTargeting};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use terrain_model::{BureauId, TerritoryKind};
use terrain_store::{Experiment, NewExperiment, Scope};
use terrain_targeting::experiment::DesignOptions;
use terrain_targeting::experiment::{
    AnalysisOptions, ExperimentDesign, ExperimentUnit, ObservedBureau, analyse, design_experiment,
};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// An experiment to draw on the current plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewExperimentDto {
    pub name: String,
    /// Reference election of the ranking (latest when absent).
    pub election: Option<String>,
    /// Blocs counted (`left,ecologist`); default `left`.
    pub blocs: Option<String>,
    /// The plan's door budget; its bureaux enter the experiment (0: every bureau in scope).
    pub budget_doors: f64,
    /// Bureaux per stratum (LMP: 5).
    pub strata_size: Option<usize>,
    /// Canvassed bureaux per stratum (LMP: 4).
    pub treated_per_stratum: Option<usize>,
    /// Seed of the draw (random when absent; recorded either way).
    pub seed: Option<u64>,
}

/// One bureau of an experiment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentDto {
    pub territory_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub stratum: usize,
    /// Canvassed (true) or kept as control (false).
    pub treated: bool,
    /// The potential it was ranked by.
    pub score: f64,
}

/// A recorded experiment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentDto {
    pub id: Uuid,
    pub name: String,
    pub reference_election: String,
    pub blocs: String,
    pub budget_doors: f64,
    pub strata_size: usize,
    pub treated_per_stratum: usize,
    pub seed: u64,
    pub strata: usize,
    pub treated: usize,
    pub control: usize,
    /// SHA-256 of the design: publish it before the campaign to show the draw is not redone.
    pub digest: String,
    /// The stored design still matches its digest.
    pub verified: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The bureaux, by stratum (only in the detail).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<AssignmentDto>,
}

fn design_of(e: &Experiment) -> ApiResult<ExperimentDesign> {
    serde_json::from_value(e.fields.design.clone()).map_err(ApiError::internal)
}

async fn dto(state: &AppState, e: &Experiment, detail: bool) -> ApiResult<ExperimentDto> {
    let d = design_of(e)?;
    let mut assignments = Vec::new();
    if detail {
        let index = state.store.territory_index(e.campaign_id).await?;
        let names: HashMap<&str, (Uuid, &str)> = index
            .iter()
            .filter(|(k, ..)| *k == TerritoryKind::Bureau)
            .map(|(_, code, id, name)| (code.as_str(), (id.0, name.as_str())))
            .collect();
        for a in &d.assignments {
            let found = names.get(a.bureau.as_str());
            assignments.push(AssignmentDto {
                territory_id: found.map(|f| f.0),
                code: a.bureau.to_string(),
                name: found.map_or_else(|| a.bureau.to_string(), |f| f.1.to_string()),
                stratum: a.stratum,
                treated: a.treated,
                score: a.score,
            });
        }
        assignments.sort_by_key(|a| (a.stratum, !a.treated));
    }
    Ok(ExperimentDto {
        id: e.id,
        name: e.fields.name.clone(),
        reference_election: e.fields.reference_election.clone(),
        blocs: e.fields.blocs.clone(),
        budget_doors: e.fields.budget_doors,
        strata_size: d.options.strata_size,
        treated_per_stratum: d.options.treated_per_stratum,
        seed: d.options.seed,
        strata: d.strata,
        treated: d.treated,
        control: d.control,
        verified: d.verify() && d.digest == e.fields.digest,
        digest: e.fields.digest.clone(),
        created_at: e.created_at,
        assignments,
    })
}

/// The experiment, if the caller's territory covers it.
async fn load<R>(state: &AppState, auth: &Authorized<R>, id: Uuid) -> ApiResult<Experiment> {
    let e = state
        .store
        .experiment(auth.campaign.id, id)
        .await
        .map_err(|e| match e {
            terrain_store::StorageError::NotFound { .. } => {
                ApiError::not_found("experiment_not_found", "no such experiment")
            }
            other => other.into(),
        })?;
    match (&e.fields.scope_path, &auth.scope) {
        (_, Scope::Campaign) => {}
        (Some(p), Scope::Within(_)) => auth.check_path(p, "this experiment")?,
        (None, Scope::Within(_)) => {
            return Err(ApiError::out_of_scope(
                "this experiment (the whole campaign)",
            ));
        }
    }
    Ok(e)
}

/// Draws an experiment on the plan the budget buys and records it (directors).
#[utoipa::path(post, path = "/campaigns/{campaign}/experiments", tag = "targeting",
    params(("campaign" = Uuid, Path)), request_body = NewExperimentDto,
    responses((status = 201, body = ExperimentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_experiment(
    State(state): State<AppState>,
    auth: Authorized<ManageExperiments>,
    ApiJson(body): ApiJson<NewExperimentDto>,
) -> ApiResult<(StatusCode, Json<ExperimentDto>)> {
    let params = TargetingParams {
        election: body.election.clone(),
        blocs: body.blocs.clone(),
        budget_doors: Some(body.budget_doors),
        ..Default::default()
    };
    let plan = compute_in(&state, auth.campaign.id, &auth.scope, &params).await?;
    let units: Vec<ExperimentUnit> = plan
        .bureaux
        .iter()
        .filter(|b| body.budget_doors <= 0.0 || b.selected)
        .filter_map(|b| {
            BureauId::parse(&b.code).ok().map(|bureau| ExperimentUnit {
                bureau,
                territory: "plan".into(),
                score: b.po,
            })
        })
        .collect();
    let seed = body.seed.unwrap_or_else(|| rand::random::<u64>() >> 11);
    let options = DesignOptions {
        strata_size: body.strata_size.unwrap_or(5),
        treated_per_stratum: body.treated_per_stratum.unwrap_or(4),
        seed,
        within_territory: true,
    };
    let design = design_experiment(&units, &options).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            e.to_string(),
        )
    })?;
    if design.strata == 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "the plan has too few bureaux for one stratum: raise the budget",
        ));
    }
    let scope_path = match &auth.scope {
        Scope::Campaign => None,
        Scope::Within(paths) => paths.first().cloned(),
    };
    let new = NewExperiment {
        name: body.name,
        reference_election: plan.election.clone(),
        blocs: plan.blocs.join(","),
        budget_doors: body.budget_doors,
        scope_path,
        digest: design.digest.clone(),
        design: serde_json::to_value(&design).map_err(ApiError::internal)?,
    };
    let e = state
        .store
        .create_experiment(&auth.audit(), auth.campaign.id, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(dto(&state, &e, true).await?)))
}

/// The experiments covering the caller's territory.
#[utoipa::path(get, path = "/campaigns/{campaign}/experiments", tag = "targeting",
    params(("campaign" = Uuid, Path)),
    responses((status = 200, body = Vec<ExperimentDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_experiments(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
) -> ApiResult<Json<Vec<ExperimentDto>>> {
    let mut out = Vec::new();
    for e in state.store.experiments(auth.campaign.id).await? {
        let visible = match (&e.fields.scope_path, &auth.scope) {
            (_, Scope::Campaign) => true,
            (Some(p), s) => s.covers(p),
            (None, Scope::Within(_)) => false,
        };
        if visible {
            out.push(dto(&state, &e, false).await?);
        }
    }
    Ok(Json(out))
}

/// One experiment with its bureaux, by stratum.
#[utoipa::path(get, path = "/campaigns/{campaign}/experiments/{experiment}", tag = "targeting",
    params(("campaign" = Uuid, Path), ("experiment" = Uuid, Path)),
    responses((status = 200, body = ExperimentDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_experiment(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<ExperimentDto>> {
    let e = load(&state, &auth, path.1).await?;
    Ok(Json(dto(&state, &e, true).await?))
}

/// The election to measure the effect on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalysisParams {
    /// The election held after the canvassing (`2027_pres_t1`).
    pub election: String,
}

/// One effect with its interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectDto {
    /// `turnout` or `bloc_share`.
    pub outcome: String,
    /// `itt` (effect of being assigned to canvassing) or `tot` (effect on canvassed bureaux).
    pub kind: String,
    /// In points (0.032 = +3.2 points).
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

/// What canvassing did, on one page.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisDto {
    pub experiment: ExperimentDto,
    pub election: String,
    pub bureaux: usize,
    pub missing_results: usize,
    pub effects: Vec<EffectDto>,
    /// The same, in French sentences.
    pub summary: Vec<String>,
    /// The full report of terrain-targeting.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

fn points(v: f64) -> String {
    format!(
        "{}{:.1} point{}",
        if v >= 0.0 { "+" } else { "−" },
        (100.0 * v).abs(),
        if (100.0 * v).abs() >= 2.0 { "s" } else { "" }
    )
}

/// After the election: the effect of canvassing on turnout and on the bloc's share, with
/// 95 % intervals (stratum fixed effects; errors clustered by stratum).
#[utoipa::path(get, path = "/campaigns/{campaign}/experiments/{experiment}/analysis", tag = "targeting",
    params(("campaign" = Uuid, Path), ("experiment" = Uuid, Path), AnalysisParams),
    responses((status = 200, body = AnalysisDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn analyse_experiment(
    State(state): State<AppState>,
    auth: Authorized<ReadTargeting>,
    ApiPath(path): ApiPath<(Uuid, Uuid)>,
    ApiQuery(p): ApiQuery<AnalysisParams>,
) -> ApiResult<Json<AnalysisDto>> {
    let c = auth.campaign.id;
    let e = load(&state, &auth, path.1).await?;
    let design = design_of(&e)?;
    let blocs: BTreeSet<String> = e.fields.blocs.split(',').map(str::to_string).collect();
    let not_found = |code: &str| {
        ApiError::not_found(
            "election_not_found",
            format!("no election {code} in this campaign: import its results first"),
        )
    };
    let outcome = state
        .store
        .election_by_code(c, &p.election)
        .await
        .map_err(|_| not_found(&p.election))?;
    let reference = state
        .store
        .election_by_code(c, &e.fields.reference_election)
        .await
        .ok();
    let index = state.store.territory_index(c).await?;
    let code_of: HashMap<terrain_model::TerritoryId, &str> = index
        .iter()
        .filter(|(k, ..)| *k == TerritoryKind::Bureau)
        .map(|(_, code, id, _)| (*id, code.as_str()))
        .collect();
    let per_bureau =
        |rows: Vec<terrain_store::BureauResults>| -> HashMap<String, (f64, f64, f64, f64)> {
            rows.into_iter()
                .filter_map(|r| {
                    let code = code_of.get(&r.territory_id)?;
                    let bloc: u64 = r
                        .candidates
                        .iter()
                        .filter(|c| c.bloc.as_ref().is_some_and(|b| blocs.contains(b)))
                        .map(|c| c.votes)
                        .sum();
                    Some((
                        code.to_string(),
                        (
                            r.counts.inscrits as f64,
                            r.counts.votants as f64,
                            r.counts.exprimes as f64,
                            bloc as f64,
                        ),
                    ))
                })
                .collect()
        };
    let after = per_bureau(
        state
            .store
            .bureau_results(c, outcome.id, &Scope::Campaign)
            .await?,
    );
    let before = match &reference {
        Some(r) => per_bureau(
            state
                .store
                .bureau_results(c, r.id, &Scope::Campaign)
                .await?,
        ),
        None => HashMap::new(),
    };
    // Coverage from the field app: doors visited in each bureau, once any visit exists (a
    // campaign that does not use the app tracks no coverage, and the analysis says so).
    let visited = state.store.doors_visited_by_bureau(c).await?;
    let id_of: HashMap<&str, Uuid> = code_of.iter().map(|(id, code)| (*code, id.0)).collect();
    let knocked = |code: &str| -> Option<f64> {
        if visited.is_empty() {
            return None;
        }
        let id = id_of.get(code)?;
        Some(visited.get(id).copied().unwrap_or(0) as f64)
    };
    let observed: Vec<ObservedBureau> = design
        .assignments
        .iter()
        .filter_map(|a| {
            let &(inscrits, votants, exprimes, bloc) = after.get(a.bureau.as_str())?;
            let base = before.get(a.bureau.as_str());
            Some(ObservedBureau {
                bureau: a.bureau.clone(),
                inscrits,
                votants,
                exprimes,
                bloc,
                doors_knocked: knocked(a.bureau.as_str()),
                doors: Some(inscrits / 1.4),
                baseline_turnout: base.filter(|b| b.0 > 0.0).map(|b| b.1 / b.0),
                baseline_share: base.filter(|b| b.2 > 0.0).map(|b| b.3 / b.2),
            })
        })
        .collect();
    let report = analyse(&design, &observed, &AnalysisOptions::default()).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            e.to_string(),
        )
    })?;
    let report_json = serde_json::to_value(&report).map_err(ApiError::internal)?;
    let mut effects = Vec::new();
    for eff in &report.effects {
        for (kind, est) in [("itt", Some(&eff.itt)), ("tot", eff.tot.as_ref())] {
            if let Some(est) = est {
                effects.push(EffectDto {
                    outcome: eff.outcome.clone(),
                    kind: kind.into(),
                    estimate: est.estimate,
                    ci_low: est.ci_low,
                    ci_high: est.ci_high,
                    p_value: est.p_value,
                });
            }
        }
    }
    let mut summary = vec![format!(
        "{} bureaux comparés ({} strates) : {} prospectés, {} témoins ; résultats de {}.",
        report.bureaux, report.strata, report.treated, report.control, outcome.label
    )];
    for eff in effects.iter().filter(|e| e.kind == "itt") {
        let what = if eff.outcome == "turnout" {
            "la participation".to_string()
        } else {
            format!("la part du bloc ({})", e.fields.blocs)
        };
        let sure = if eff.ci_low > 0.0 || eff.ci_high < 0.0 {
            "un effet net"
        } else {
            "pas d'effet démontré"
        };
        summary.push(format!(
            "Sur {what} : {} dans les bureaux prospectés (intervalle à 95 % : {} à {}), {sure}.",
            points(eff.estimate),
            points(eff.ci_low),
            points(eff.ci_high)
        ));
    }
    if report.missing_results > 0 {
        summary.push(format!("{} bureaux du plan n'ont pas de résultats pour cette élection et sont laissés de côté.", report.missing_results));
    }
    if !report.design_verified {
        summary.push("Attention : le tirage enregistré ne correspond plus à son empreinte.".into());
    }
    Ok(Json(AnalysisDto {
        experiment: dto(&state, &e, false).await?,
        election: outcome.code,
        bureaux: report.bureaux,
        missing_results: report.missing_results,
        effects,
        summary,
        report: report_json,
    }))
}
