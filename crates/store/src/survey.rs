//! Survey plans: the areas a representative survey goes to, as drawn by `terrain-stats`, with
//! their inclusion probabilities and the interviews and doors allotted to them.

use crate::error::Result;
use crate::types::Audit;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terrain_model::{CampaignId, TerritoryId, TerritoryKind, UserId};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One area of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanArea {
    pub territory_id: TerritoryId,
    pub inclusion_probability: f64,
    pub interviews: Option<u32>,
    pub doors: Option<u32>,
}

/// A plan to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSurveyPlan {
    pub name: String,
    /// The areas' level: bureaux de vote or IRIS.
    pub level: TerritoryKind,
    pub n: u32,
    pub seed: u64,
    /// The drawing options (method, balancing variables, response model…).
    pub options: serde_json::Value,
    /// The draw's diagnostics (balance of every total, spatial balance, expected respondents).
    pub report: serde_json::Value,
    pub areas: Vec<PlanArea>,
}

/// A recorded plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyPlan {
    pub id: Uuid,
    pub campaign_id: CampaignId,
    #[serde(flatten)]
    pub fields: NewSurveyPlan,
    #[serde(with = "time::serde::rfc3339::option")]
    pub accepted_at: Option<OffsetDateTime>,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A campaign's quota options (issue 8).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaSettings {
    /// Walkers' phones show the profiles still wanted in their area.
    pub show_to_walkers: bool,
    /// The field period "expected by now" is measured against (default: from the plan's
    /// acceptance, four weeks).
    #[serde(default, with = "terrain_model::campaign::iso_date::option")]
    pub field_starts_on: Option<Date>,
    #[serde(default, with = "terrain_model::campaign::iso_date::option")]
    pub field_ends_on: Option<Date>,
}

/// A weighting to record: its parameters, its report and one weight per response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewWeighting {
    pub questionnaire_id: Uuid,
    /// The accepted plan whose inclusion probabilities gave the design weights.
    pub plan_id: Option<Uuid>,
    /// What was asked (method, bounds, trimming, margins source).
    pub params: serde_json::Value,
    /// What came out (convergence, deff, ESS, margins before and after, warnings, the weight
    /// distribution).
    pub report: serde_json::Value,
    /// `(response id, weight)`; responses left out of the weighting have none.
    pub weights: Vec<(Uuid, f64)>,
}

/// A recorded weighting, without its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightingRun {
    pub id: Uuid,
    pub campaign_id: CampaignId,
    pub questionnaire_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub params: serde_json::Value,
    pub report: serde_json::Value,
    /// Responses weighted.
    pub weighted: u64,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Storage of survey plans and of what drawing them needs.
#[async_trait]
pub trait SurveyStore: Send + Sync {
    async fn create_survey_plan(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewSurveyPlan,
    ) -> Result<SurveyPlan>;
    /// The campaign's plans, newest first, without their areas.
    async fn survey_plans(&self, campaign: CampaignId) -> Result<Vec<SurveyPlan>>;
    /// A plan with its areas.
    async fn survey_plan(&self, campaign: CampaignId, id: Uuid) -> Result<SurveyPlan>;
    /// Marks a plan accepted: its areas become the survey's priorities.
    async fn accept_survey_plan(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<SurveyPlan>;
    /// How many addresses lie in each (bureau, IRIS) pair: the weights that carry IRIS census
    /// values onto bureaux.
    async fn address_crosstab(
        &self,
        campaign: CampaignId,
    ) -> Result<Vec<(TerritoryId, TerritoryId, u64)>>;
    /// The census values of the given variables, for every territory that has them.
    async fn census_values(
        &self,
        campaign: CampaignId,
        variables: &[String],
    ) -> Result<Vec<(TerritoryId, String, f64)>>;
    /// The campaign's quota options (the defaults when never set).
    async fn quota_settings(&self, campaign: CampaignId) -> Result<QuotaSettings>;
    /// Replaces the campaign's quota options.
    async fn set_quota_settings(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        settings: &QuotaSettings,
    ) -> Result<QuotaSettings>;
    /// Records a weighting and its weights in one transaction. A weight for a response that
    /// is not the campaign's is [`crate::StorageError::NotFound`].
    async fn save_weighting(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewWeighting,
    ) -> Result<WeightingRun>;
    /// The latest weighting of a questionnaire's responses, if any.
    async fn latest_weighting(
        &self,
        campaign: CampaignId,
        questionnaire: Uuid,
    ) -> Result<Option<WeightingRun>>;
    /// The latest weighting of a questionnaire with its weights by response id (in response
    /// id order): what analyses of weighted answers read.
    async fn latest_weights(
        &self,
        campaign: CampaignId,
        questionnaire: Uuid,
    ) -> Result<Option<(WeightingRun, Vec<(Uuid, f64)>)>>;
    /// The bounding box centre of each territory's shape, by kind.
    async fn shape_centres(
        &self,
        campaign: CampaignId,
        kind: TerritoryKind,
    ) -> Result<Vec<(TerritoryId, f64, f64)>>;
}
