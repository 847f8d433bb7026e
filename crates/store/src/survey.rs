//! Survey plans: the areas a representative survey goes to, as drawn by `terrain-stats`, with
//! their inclusion probabilities and the interviews and doors allotted to them.

use crate::error::Result;
use crate::types::Audit;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terrain_model::{CampaignId, TerritoryId, TerritoryKind, UserId};
use time::OffsetDateTime;
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
    /// The bounding box centre of each territory's shape, by kind.
    async fn shape_centres(
        &self,
        campaign: CampaignId,
        kind: TerritoryKind,
    ) -> Result<Vec<(TerritoryId, f64, f64)>>;
}
