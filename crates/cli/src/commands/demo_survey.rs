//! The demo's survey plan (issue 8): 60 bureaux de vote of Paris drawn with probabilities
//! proportional to their registered voters, balanced on abstention and spread in space, 1,200
//! interviews allotted among them, then accepted — through the same function as
//! `POST /survey-plans`, so that the quota board and the weighting page have a plan to follow.

use anyhow::Context;
use terrain_model::Campaign;
use terrain_server::api::survey::{NewPlanDto, draw_plan};
use terrain_store::{Audit, Scope, Store, SurveyPlan};
use time::OffsetDateTime;

/// Bureaux the demo plan draws.
pub const DEMO_PLAN_BUREAUX: u32 = 60;
/// Interviews it allots.
pub const DEMO_PLAN_INTERVIEWS: u32 = 1200;

/// Draws and accepts the demo's survey plan.
pub async fn seed_plan(
    store: &dyn Store,
    audit: &Audit,
    campaign: &Campaign,
) -> anyhow::Result<SurveyPlan> {
    let body = NewPlanDto {
        name: "Enquête Paris 2027 — 60 bureaux".into(),
        n: DEMO_PLAN_BUREAUX,
        balance: vec!["abstentions".into()],
        spatial: true,
        interviews: Some(DEMO_PLAN_INTERVIEWS),
        seed: Some(2027),
    };
    let new = draw_plan(store, campaign.id, &Scope::Campaign, body)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))
        .context("drawing the demo survey plan")?;
    let plan = store.create_survey_plan(audit, campaign.id, &new).await?;
    Ok(store
        .accept_survey_plan(audit, campaign.id, plan.id, OffsetDateTime::now_utc())
        .await?)
}

/// The demo's quota options: the field period started two weeks ago and ends in two weeks
/// (so that the board has a pace to compare with), and walkers see the profiles still wanted.
pub async fn quota_settings(
    store: &dyn Store,
    audit: &Audit,
    campaign: &Campaign,
) -> anyhow::Result<()> {
    let today = OffsetDateTime::now_utc().date();
    let settings = terrain_store::QuotaSettings {
        show_to_walkers: true,
        field_starts_on: Some(today - time::Duration::days(14)),
        field_ends_on: Some(today + time::Duration::days(14)),
    };
    store
        .set_quota_settings(audit, campaign.id, &settings)
        .await?;
    Ok(())
}

/// Weights the responses to the demo questionnaire (raking to the campaign's census), when
/// there are responses to weight: returns the responses weighted (0 when there are none yet).
pub async fn weigh_responses(
    store: &dyn Store,
    audit: &Audit,
    campaign: &Campaign,
    questionnaire: uuid::Uuid,
) -> anyhow::Result<u64> {
    let params = terrain_server::weighting::WeightingParams::defaults(questionnaire);
    match terrain_server::weighting::run_weighting(store, audit, campaign.id, &params).await {
        Ok(run) => Ok(run.weighted),
        Err(e) if e.code == "no_respondents" => Ok(0),
        Err(e) => Err(anyhow::anyhow!("{}: {}", e.code, e.message))
            .context("weighting the demo responses"),
    }
}
