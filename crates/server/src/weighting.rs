//! Weighting (issue 8): design weights from the accepted survey plan, then calibration of the
//! responses of one questionnaire to population margins, stored with one weight per response.
//!
//! 1. Design weight of a respondent of bureau `b`: `1 / π_b × adults_b / respondents_b`
//!    (`terrain_stats::calibration::design_weights`): the bureau's inclusion probability in
//!    the accepted plan, and the expansion within the bureau — registered voters (inscrits, the
//!    plan's size measure) over its respondents — which also corrects for non-response within
//!    the bureau, assumed uniform there. Responses from bureaux the plan did not draw get no
//!    weight (said in the warnings).
//! 2. Calibration to margins (`terrain_stats::calibration::calibrate`, raking, linear or
//!    bounded logit, optional trimming), from one of two sources:
//!    * `census` (default): the campaign's own INSEE IRIS census, summed over the campaign —
//!      sex, age band and occupation, estimated as [`crate::quotas::ProfileMargins`] says;
//!    * `paris_rp2011`: the margins shipped with `terrain-stats` (Paris residents aged 15 or
//!      more by occupation and by arrondissement, census 2011) — for Paris campaigns.
//!
//!    Margins estimated from different tables add up to slightly different totals: every
//!    variable is scaled to the first one's total (said in the warnings). A category no
//!    respondent falls in cannot be reached: it is left out and said so. Respondents who did
//!    not give a calibration variable (or said "does not wish to say") get no weight.
//! 3. Bounds that cannot be met, or margins that cannot be reached, are a 422 and nothing is
//!    stored.

use crate::error::{ApiError, ApiResult};
use crate::quotas::{
    AGE, CENSUS_SOURCE, OCCUPATION, SEX, code_label, iris_margins, margins_of, quota_geography,
};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_model::questionnaire::ProfileField;
use terrain_model::{CampaignId, TerritoryId};
use terrain_stats::calibration::{CalibrationOptions, MarginVariable, Method};
use terrain_store::{Audit, NewWeighting, Scope, StorageError, Store, WeightingRun};
use utoipa::ToSchema;
use uuid::Uuid;

/// The calibration method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeightingMethod {
    /// Raking ratio (iterative proportional fitting): weights stay positive.
    #[default]
    Raking,
    /// Linear (GREG): weights may turn negative without bounds.
    Linear,
    /// Bounded logit: needs bounds.
    Logit,
}

/// Where the margins come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarginsSource {
    /// The campaign's IRIS census (sex, age band, occupation), summed over the campaign.
    #[default]
    Census,
    /// The shipped Paris margins (occupation and arrondissement of residents aged 15 or more,
    /// census 2011).
    ParisRp2011,
}

/// What a weighting is asked to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightingParams {
    /// The questionnaire whose responses are weighted.
    pub questionnaire: Uuid,
    #[serde(default)]
    pub method: WeightingMethod,
    /// Bounds `[L, U]` on the adjustment factor `w / d` (`L < 1 < U`); required by logit.
    #[schema(value_type = Option<Vec<f64>>)]
    pub bounds: Option<[f64; 2]>,
    /// Trimming: no weight above `trim × mean weight` (above 1).
    pub trim: Option<f64>,
    #[serde(default)]
    pub margins: MarginsSource,
}

impl WeightingParams {
    /// Raking to the campaign's census, no bounds, no trimming.
    pub fn defaults(questionnaire: Uuid) -> Self {
        Self {
            questionnaire,
            method: WeightingMethod::Raking,
            bounds: None,
            trim: None,
            margins: MarginsSource::Census,
        }
    }
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// Respondents' category per variable (`None`: not given, or not a category of the margins).
struct Margins {
    source: &'static str,
    vars: Vec<MarginVariable>,
    /// Labels of the categories, per variable.
    labels: Vec<Vec<String>>,
}

fn census_vars(m: &crate::quotas::ProfileMargins) -> Margins {
    let var = |name: &str, field: ProfileField, codes: &[&str], t: &[f64]| {
        (
            MarginVariable {
                name: name.into(),
                categories: codes.iter().map(|c| c.to_string()).collect(),
                targets: t.to_vec(),
            },
            codes.iter().map(|c| code_label(field, c)).collect(),
        )
    };
    let (a, la) = var("sex", ProfileField::Sex, &SEX, &m.sex);
    let (b, lb) = var("age_band", ProfileField::AgeBand, &AGE, &m.age_band);
    let (c, lc) = var(
        "occupation",
        ProfileField::Occupation,
        &OCCUPATION,
        &m.occupation,
    );
    Margins {
        source: CENSUS_SOURCE,
        vars: vec![a, b, c],
        labels: vec![la, lb, lc],
    }
}

/// Runs a weighting of the responses to `params.questionnaire` and stores it (see the module
/// documentation). Returns the stored run.
pub async fn run_weighting(
    store: &dyn Store,
    audit: &Audit,
    campaign: CampaignId,
    params: &WeightingParams,
) -> ApiResult<WeightingRun> {
    if let Some([lo, hi]) = params.bounds
        && !(hi.is_finite() && (0.0..1.0).contains(&lo) && 1.0 < hi)
    {
        return Err(unprocessable(
            "invalid_input",
            "bounds: expected [L, U] with 0 ≤ L < 1 < U",
        ));
    }
    if params.method == WeightingMethod::Logit && params.bounds.is_none() {
        return Err(unprocessable(
            "invalid_input",
            "bounds: the logit method needs bounds",
        ));
    }
    if let Some(t) = params.trim
        && !(t.is_finite() && t > 1.0)
    {
        return Err(unprocessable(
            "invalid_input",
            "trim: expected a ratio above 1",
        ));
    }
    store
        .questionnaire(campaign, params.questionnaire)
        .await
        .map_err(|e| match e {
            StorageError::NotFound { .. } => {
                ApiError::not_found("questionnaire_not_found", "no such questionnaire")
            }
            other => other.into(),
        })?;
    let Some(plan) = crate::quotas::accepted_plan(store, campaign).await? else {
        return Err(unprocessable(
            "no_accepted_plan",
            "accept a survey plan first: its inclusion probabilities give the design weights",
        ));
    };
    let geo = quota_geography(store, campaign, &plan).await?;
    let responses = store
        .responses(campaign, &Scope::Campaign, Some(params.questionnaire))
        .await?;
    let mut warnings: Vec<String> = Vec::new();

    // Design: the plan's bureaux, their probabilities and registered voters.
    let election_code = plan.fields.options["election"].as_str().map(String::from);
    let elections = store.elections(campaign).await?;
    let election = elections
        .iter()
        .find(|e| Some(&e.code) == election_code.as_ref())
        .or_else(|| {
            elections
                .iter()
                .filter(|e| e.bureaux > 0)
                .max_by_key(|e| e.bureaux)
        });
    let mut inscrits: HashMap<TerritoryId, f64> = HashMap::new();
    if let Some(e) = election {
        for r in store
            .bureau_results(campaign, e.id, &Scope::Campaign)
            .await?
        {
            inscrits.insert(r.territory_id, r.counts.inscrits as f64);
        }
    }
    let area_index: HashMap<TerritoryId, usize> = plan
        .fields
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.territory_id, i))
        .collect();
    let area_pi: Vec<f64> = plan
        .fields
        .areas
        .iter()
        .map(|a| a.inclusion_probability)
        .collect();
    let area_adults: Vec<f64> = plan
        .fields
        .areas
        .iter()
        .map(|a| inscrits.get(&a.territory_id).copied().unwrap_or(0.0))
        .collect();

    // Margins and each respondent's categories.
    let margins = match params.margins {
        MarginsSource::Census => {
            let iris = iris_margins(store, campaign).await?;
            let m = margins_of(&iris, None);
            if m.total() <= 0.0 {
                return Err(unprocessable(
                    "no_margins",
                    "the campaign holds no IRIS census table to weight to; import one or use the shipped Paris margins",
                ));
            }
            census_vars(&m)
        }
        MarginsSource::ParisRp2011 => {
            let vars =
                terrain_stats::defaults::parse_margins(terrain_stats::defaults::PARIS_RP2011_CSV)
                    .map_err(ApiError::internal)?;
            let labels = vars
                .iter()
                .map(|v| {
                    v.categories
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            if v.name == "occupation" {
                                code_label(ProfileField::Occupation, &(i + 1).to_string())
                            } else {
                                c.clone()
                            }
                        })
                        .collect()
                })
                .collect();
            Margins {
                source: "INSEE, recensement 2011, Paris : 15 ans et plus par PCS (8 groupes) et par arrondissement (marges livrées avec terrain-stats, data/margins-paris-rp2011.csv)",
                vars,
                labels,
            }
        }
    };
    let nvars = margins.vars.len();
    let category_of = |r: &terrain_store::StoredResponse, var: &MarginVariable| -> Option<usize> {
        let p = &r.profile;
        match var.name.as_str() {
            "sex" => p
                .sex
                .as_deref()
                .and_then(|s| SEX.iter().position(|c| *c == s)),
            "age_band" => p
                .age_band
                .as_deref()
                .and_then(|s| AGE.iter().position(|c| *c == s)),
            "occupation" => p
                .occupation
                .as_deref()
                .and_then(|s| OCCUPATION.iter().position(|c| *c == s)),
            "arrondissement" => {
                let area = r.bureau_id.or(r.iris_id)?;
                let code = &geo.quota_territory(TerritoryId(area))?.code;
                var.categories.iter().position(|c| c == code)
            }
            _ => None,
        }
    };
    let (mut outside, mut incomplete) = (0usize, 0usize);
    let mut kept: Vec<(Uuid, usize, Vec<usize>)> = Vec::new();
    for r in &responses {
        let Some(&a) = r.bureau_id.and_then(|b| area_index.get(&TerritoryId(b))) else {
            outside += 1;
            continue;
        };
        if area_adults[a] <= 0.0 {
            outside += 1;
            continue;
        }
        let cats: Option<Vec<usize>> = margins.vars.iter().map(|v| category_of(r, v)).collect();
        match cats {
            Some(c) => kept.push((r.id, a, c)),
            None => incomplete += 1,
        }
    }
    if outside > 0 {
        warnings.push(format!(
            "{outside} response(s) collected outside the plan's bureaux (or in a bureau without registered voters) get no weight"
        ));
    }
    if incomplete > 0 {
        warnings.push(format!(
            "{incomplete} response(s) without every calibration variable ({}) get no weight",
            margins
                .vars
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if kept.is_empty() {
        return Err(unprocessable(
            "no_respondents",
            format!(
                "no response to weight: {} response(s), none in the plan's bureaux with every calibration variable",
                responses.len()
            ),
        ));
    }

    // Empty categories cannot be reached: leave them out, and say so.
    let mut vars: Vec<MarginVariable> = Vec::with_capacity(nvars);
    let mut labels: Vec<Vec<String>> = Vec::with_capacity(nvars);
    let mut remap: Vec<Vec<Option<u32>>> = Vec::with_capacity(nvars);
    for (j, v) in margins.vars.iter().enumerate() {
        let mut counts = vec![0usize; v.categories.len()];
        for (_, _, c) in &kept {
            counts[c[j]] += 1;
        }
        let mut nv = MarginVariable {
            name: v.name.clone(),
            categories: vec![],
            targets: vec![],
        };
        let mut nl = Vec::new();
        let mut map = vec![None; v.categories.len()];
        for (c, &n) in counts.iter().enumerate() {
            if n == 0 {
                if v.targets[c] > 0.0 {
                    warnings.push(format!(
                        "empty cell: no respondent in {}={} ({}); its target ({:.0}) is left out",
                        v.name, v.categories[c], margins.labels[j][c], v.targets[c]
                    ));
                }
                continue;
            }
            map[c] = Some(nv.categories.len() as u32);
            nv.categories.push(v.categories[c].clone());
            nv.targets.push(v.targets[c]);
            nl.push(margins.labels[j][c].clone());
        }
        vars.push(nv);
        labels.push(nl);
        remap.push(map);
    }
    // Margins from different tables add up to slightly different totals: scale each to the
    // first one's, and say so in round figures.
    let total0: f64 = vars[0].targets.iter().sum();
    for v in vars.iter_mut().skip(1) {
        let total: f64 = v.targets.iter().sum();
        if total > 0.0 && (total - total0).abs() > 1e-9 * total0 {
            v.targets.iter_mut().for_each(|x| *x *= total0 / total);
            warnings.push(format!(
                "margins of {} added up to {total:.0} and were scaled to {total0:.0}",
                v.name
            ));
        }
    }
    let mut codes = Vec::with_capacity(kept.len() * nvars);
    for (_, _, c) in &kept {
        for j in 0..nvars {
            codes.push(remap[j][c[j]].unwrap_or(0));
        }
    }
    let area_of: Vec<usize> = kept.iter().map(|(_, a, _)| *a).collect();
    let d = terrain_stats::calibration::design_weights(&area_pi, &area_adults, &area_of)
        .map_err(|e| unprocessable("invalid_plan", e.to_string()))?;
    let options = CalibrationOptions {
        method: match params.method {
            WeightingMethod::Raking => Method::Raking,
            WeightingMethod::Linear => Method::Linear,
            WeightingMethod::Logit => Method::Logit,
        },
        bounds: params.bounds.map(|[l, u]| (l, u)),
        trim: params.trim,
        normalise_margins: true,
        ..Default::default()
    };
    let cal =
        terrain_stats::calibration::calibrate(&vars, &codes, &d, &options).map_err(|e| match e {
            terrain_stats::StatsError::InfeasibleBounds { .. } => {
                unprocessable("weighting_infeasible", e.to_string())
            }
            terrain_stats::StatsError::EmptyCell { .. } => {
                unprocessable("weighting_empty_cell", e.to_string())
            }
            terrain_stats::StatsError::NotConverged { .. } | terrain_stats::StatsError::Singular { .. } => {
                unprocessable(
                    "margins_unreachable",
                    format!("{e}: the margins cannot all be reached with these respondents (a category of one variable may hold only respondents of one category of another)"),
                )
            }
            other => unprocessable("weighting_failed", other.to_string()),
        })?;
    if !cal.converged {
        return Err(unprocessable(
            "margins_unreachable",
            format!(
                "the margins could not be reached (largest relative deviation {:.2e} after {} iterations){}",
                cal.max_relative_deviation,
                cal.iterations,
                if params.bounds.is_some() {
                    ": widen the bounds"
                } else {
                    ""
                }
            ),
        ));
    }
    let negative = cal.weights.iter().filter(|w| **w <= 0.0).count();
    if negative > 0 {
        return Err(unprocessable(
            "weighting_infeasible",
            format!(
                "{negative} weight(s) came out zero or negative: set bounds (e.g. [0.2, 5]) or use raking"
            ),
        ));
    }
    warnings.extend(cal.warnings.iter().cloned());
    let summary = terrain_stats::calibration::summarise_weights(&cal.weights);
    let label_of = |var: &str, cat: &str| -> String {
        vars.iter()
            .zip(&labels)
            .find(|(v, _)| v.name == var)
            .and_then(|(v, l)| {
                v.categories
                    .iter()
                    .position(|c| c == cat)
                    .map(|i| l[i].clone())
            })
            .unwrap_or_else(|| cat.to_string())
    };
    let margin_rows: Vec<serde_json::Value> = cal
        .margins
        .iter()
        .map(|m| {
            serde_json::json!({
                "variable": m.variable, "category": m.category, "label": label_of(&m.variable, &m.category),
                "respondents": m.respondents, "target": m.target, "before": m.before, "after": m.after,
                "relative_deviation": m.relative_deviation,
            })
        })
        .collect();
    let report = serde_json::json!({
        "margins_source": margins.source,
        "design": "1/π of the bureau in the accepted plan × registered voters / respondents of the bureau",
        "responses": responses.len(),
        "weighted": kept.len(),
        "excluded_outside_plan": outside,
        "excluded_incomplete_profile": incomplete,
        "converged": cal.converged,
        "iterations": cal.iterations,
        "max_relative_deviation": cal.max_relative_deviation,
        "profiles": cal.profiles,
        "kish_deff": cal.kish_deff,
        "effective_sample_size": cal.effective_sample_size,
        "trimmed": cal.trimmed,
        "margins": margin_rows,
        "weights": summary,
        "warnings": warnings,
    });
    let new = NewWeighting {
        questionnaire_id: params.questionnaire,
        plan_id: Some(plan.id),
        params: serde_json::to_value(params).map_err(ApiError::internal)?,
        report,
        weights: kept
            .iter()
            .zip(&cal.weights)
            .map(|((id, _, _), w)| (*id, *w))
            .collect(),
    };
    Ok(store.save_weighting(audit, campaign, &new).await?)
}
