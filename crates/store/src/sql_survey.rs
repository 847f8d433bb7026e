//! The SQL of [`crate::SurveyStore`], shared by both backends like [`crate::sql`].

use crate::error::{Result, StorageError};
use crate::survey::*;
use terrain_model::{CampaignId, TerritoryId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct PlanRow {
    campaign_id: Uuid,
    id: Uuid,
    name: String,
    level: String,
    n: i64,
    seed: i64,
    options: sqlx::types::Json<serde_json::Value>,
    report: sqlx::types::Json<serde_json::Value>,
    accepted_at: Option<OffsetDateTime>,
    created_by: Option<Uuid>,
    created_at: OffsetDateTime,
}

impl PlanRow {
    pub(crate) fn into_plan(self, areas: Vec<PlanArea>) -> Result<SurveyPlan> {
        Ok(SurveyPlan {
            id: self.id,
            campaign_id: CampaignId(self.campaign_id),
            fields: NewSurveyPlan {
                name: self.name,
                level: self.level.parse().map_err(
                    |e: terrain_model::territory::TerritoryKindError| StorageError::Invalid {
                        what: "survey plan",
                        reason: e.to_string(),
                    },
                )?,
                n: u32::try_from(self.n).unwrap_or(0),
                seed: self.seed as u64,
                options: self.options.0,
                report: self.report.0,
                areas,
            },
            accepted_at: self.accepted_at,
            created_by: self.created_by.map(UserId),
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AreaRow {
    territory_id: Uuid,
    inclusion_probability: f64,
    interviews: Option<i64>,
    doors: Option<i64>,
}

impl From<AreaRow> for PlanArea {
    fn from(r: AreaRow) -> Self {
        PlanArea {
            territory_id: TerritoryId(r.territory_id),
            inclusion_probability: r.inclusion_probability,
            interviews: r.interviews.and_then(|v| u32::try_from(v).ok()),
            doors: r.doors.and_then(|v| u32::try_from(v).ok()),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    campaign_id: Uuid,
    id: Uuid,
    questionnaire_id: Uuid,
    plan_id: Option<Uuid>,
    params: sqlx::types::Json<serde_json::Value>,
    report: sqlx::types::Json<serde_json::Value>,
    created_by: Option<Uuid>,
    created_at: OffsetDateTime,
    weighted: i64,
}

impl From<RunRow> for WeightingRun {
    fn from(r: RunRow) -> Self {
        WeightingRun {
            id: r.id,
            campaign_id: CampaignId(r.campaign_id),
            questionnaire_id: r.questionnaire_id,
            plan_id: r.plan_id,
            params: r.params.0,
            report: r.report.0,
            weighted: u64::try_from(r.weighted).unwrap_or(0),
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
        }
    }
}

/// The latest run of a questionnaire, with its count of weights.
pub(crate) const LATEST_RUN: &str = "SELECT r.campaign_id, r.id, r.questionnaire_id, r.plan_id, r.params, r.report, \
     r.created_by, r.created_at, (SELECT COUNT(*) FROM response_weights w WHERE w.campaign_id = r.campaign_id \
     AND w.run_id = r.id) AS weighted FROM weighting_runs r WHERE r.campaign_id = $1 AND r.questionnaire_id = $2 \
     ORDER BY r.id DESC LIMIT 1";

pub(crate) const PLAN_COLS: &str =
    "campaign_id, id, name, level, n, seed, options, report, accepted_at, created_by, created_at";

/// Generates `impl SurveyStore` for a backend made by `sql_store!`.
macro_rules! survey_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::survey::SurveyStore for $store {
            async fn create_survey_plan(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId, new: &$crate::survey::NewSurveyPlan)
                -> $crate::error::Result<$crate::survey::SurveyPlan> {
                if new.name.trim().is_empty() {
                    return Err($crate::error::StorageError::Invalid { what: "survey plan", reason: "the name is empty".into() });
                }
                let seed = i64::try_from(new.seed).map_err(|_| $crate::error::StorageError::Invalid { what: "survey plan", reason: "seed too large".into() })?;
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO survey_plans (campaign_id, id, name, level, n, seed, options, report, accepted_at, created_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)")
                    .bind(campaign.0).bind(id).bind(new.name.trim()).bind(new.level.as_str()).bind(i64::from(new.n)).bind(seed)
                    .bind(sqlx::types::Json(&new.options)).bind(sqlx::types::Json(&new.report))
                    .bind(audit.actor.map(|u| u.0)).bind(time::OffsetDateTime::now_utc())
                    .execute(&mut *tx).await?;
                for chunk in new.areas.chunks(2000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO survey_plan_areas (campaign_id, plan_id, territory_id, inclusion_probability, interviews, doors) ");
                    qb.push_values(chunk, |mut b, a| {
                        b.push_bind(campaign.0).push_bind(id).push_bind(a.territory_id.0).push_bind(a.inclusion_probability)
                            .push_bind(a.interviews.map(i64::from)).push_bind(a.doors.map(i64::from));
                    });
                    qb.build().execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } => $crate::error::StorageError::NotFound { what: "territory", key: "an area of the plan".into() },
                        other => other,
                    })?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "survey_plan.create", id.to_string(),
                    serde_json::json!({"name": new.name, "n": new.n, "seed": new.seed, "areas": new.areas.len()})).await?;
                tx.commit().await?;
                $crate::survey::SurveyStore::survey_plan(self, campaign, id).await
            }

            async fn survey_plans(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<Vec<$crate::survey::SurveyPlan>> {
                let rows: Vec<$crate::sql_survey::PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM survey_plans WHERE campaign_id = $1 ORDER BY id DESC", $crate::sql_survey::PLAN_COLS)))
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                rows.into_iter().map(|r| r.into_plan(Vec::new())).collect()
            }

            async fn survey_plan(&self, campaign: terrain_model::CampaignId, id: uuid::Uuid) -> $crate::error::Result<$crate::survey::SurveyPlan> {
                let row: $crate::sql_survey::PlanRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM survey_plans WHERE campaign_id = $1 AND id = $2", $crate::sql_survey::PLAN_COLS)))
                    .bind(campaign.0).bind(id).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("survey plan", id))?;
                let areas: Vec<$crate::sql_survey::AreaRow> = sqlx::query_as(
                    "SELECT territory_id, inclusion_probability, interviews, doors FROM survey_plan_areas \
                     WHERE campaign_id = $1 AND plan_id = $2 ORDER BY territory_id")
                    .bind(campaign.0).bind(id).fetch_all(&self.pool).await?;
                row.into_plan(areas.into_iter().map(Into::into).collect())
            }

            async fn accept_survey_plan(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId, id: uuid::Uuid, now: time::OffsetDateTime)
                -> $crate::error::Result<$crate::survey::SurveyPlan> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE survey_plans SET accepted_at = $1 WHERE campaign_id = $2 AND id = $3 AND accepted_at IS NULL")
                    .bind(now).bind(campaign.0).bind(id).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    let exists: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM survey_plans WHERE campaign_id = $1 AND id = $2")
                        .bind(campaign.0).bind(id).fetch_optional(&mut *tx).await?;
                    return Err(match exists {
                        Some(_) => $crate::error::StorageError::Conflict { what: "survey plan acceptance", key: id.to_string() },
                        None => $crate::error::StorageError::NotFound { what: "survey plan", key: id.to_string() },
                    });
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "survey_plan.accept", id.to_string(), serde_json::json!({})).await?;
                tx.commit().await?;
                $crate::survey::SurveyStore::survey_plan(self, campaign, id).await
            }

            async fn address_crosstab(&self, campaign: terrain_model::CampaignId)
                -> $crate::error::Result<Vec<(terrain_model::TerritoryId, terrain_model::TerritoryId, u64)>> {
                let rows: Vec<(uuid::Uuid, uuid::Uuid, i64)> = sqlx::query_as(
                    "SELECT bureau_id, iris_id, COUNT(*) FROM addresses WHERE campaign_id = $1 \
                     AND bureau_id IS NOT NULL AND iris_id IS NOT NULL GROUP BY bureau_id, iris_id")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(b, i, n)| (terrain_model::TerritoryId(b), terrain_model::TerritoryId(i), u64::try_from(n).unwrap_or(0))).collect())
            }

            async fn census_values(&self, campaign: terrain_model::CampaignId, variables: &[String])
                -> $crate::error::Result<Vec<(terrain_model::TerritoryId, String, f64)>> {
                if variables.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT territory_id, variable, value FROM census_values WHERE campaign_id = ");
                qb.push_bind(campaign.0);
                qb.push(" AND variable IN (");
                let mut sep = qb.separated(", ");
                for v in variables {
                    sep.push_bind(v.clone());
                }
                qb.push(")");
                let rows: Vec<(uuid::Uuid, String, f64)> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(t, v, x)| (terrain_model::TerritoryId(t), v, x)).collect())
            }

            async fn quota_settings(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<$crate::survey::QuotaSettings> {
                let row: Option<(bool, Option<time::Date>, Option<time::Date>)> = sqlx::query_as(
                    "SELECT show_to_walkers, field_starts_on, field_ends_on FROM quota_settings WHERE campaign_id = $1")
                    .bind(campaign.0).fetch_optional(&self.pool).await?;
                Ok(row.map(|(show_to_walkers, field_starts_on, field_ends_on)| $crate::survey::QuotaSettings {
                    show_to_walkers, field_starts_on, field_ends_on,
                }).unwrap_or_default())
            }

            async fn set_quota_settings(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                s: &$crate::survey::QuotaSettings) -> $crate::error::Result<$crate::survey::QuotaSettings> {
                if let (Some(a), Some(b)) = (s.field_starts_on, s.field_ends_on) && b < a {
                    return Err($crate::error::StorageError::Invalid { what: "quota settings", reason: "the field period ends before it starts".into() });
                }
                $crate::Store::campaign(self, campaign).await?;
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO quota_settings (campaign_id, show_to_walkers, field_starts_on, field_ends_on, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (campaign_id) DO UPDATE SET show_to_walkers = excluded.show_to_walkers, \
                       field_starts_on = excluded.field_starts_on, field_ends_on = excluded.field_ends_on, updated_at = excluded.updated_at")
                    .bind(campaign.0).bind(s.show_to_walkers).bind(s.field_starts_on).bind(s.field_ends_on)
                    .bind($crate::sql_volunteers::db_now())
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "quota_settings.set", campaign.to_string(),
                    serde_json::to_value(s).unwrap_or_default()).await?;
                tx.commit().await?;
                self.quota_settings(campaign).await
            }

            async fn save_weighting(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                new: &$crate::survey::NewWeighting) -> $crate::error::Result<$crate::survey::WeightingRun> {
                if let Some((id, w)) = new.weights.iter().find(|(_, w)| !(w.is_finite() && *w > 0.0)) {
                    return Err($crate::error::StorageError::Invalid { what: "weight", reason: format!("{w} for response {id} is not a positive number") });
                }
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO weighting_runs (campaign_id, id, questionnaire_id, plan_id, params, report, created_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(campaign.0).bind(id).bind(new.questionnaire_id).bind(new.plan_id)
                    .bind(sqlx::types::Json(&new.params)).bind(sqlx::types::Json(&new.report))
                    .bind(audit.actor.map(|u| u.0)).bind($crate::sql_volunteers::db_now())
                    .execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } => $crate::error::StorageError::NotFound { what: "questionnaire", key: new.questionnaire_id.to_string() },
                        other => other,
                    })?;
                for chunk in new.weights.chunks(2000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO response_weights (campaign_id, run_id, response_id, weight) ");
                    qb.push_values(chunk, |mut b, (r, w)| {
                        b.push_bind(campaign.0).push_bind(id).push_bind(*r).push_bind(*w);
                    });
                    qb.build().execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } => $crate::error::StorageError::NotFound { what: "response", key: "a weighted response".into() },
                        $crate::error::StorageError::Conflict { .. } => $crate::error::StorageError::Invalid { what: "weights", reason: "a response is weighted twice".into() },
                        other => other,
                    })?;
                }
                // No weights in the audit line: the counts and the parameters only.
                Self::write_audit(&mut tx, audit, Some(campaign.0), "weighting.run", id.to_string(),
                    serde_json::json!({"questionnaire": new.questionnaire_id, "weights": new.weights.len(), "params": new.params})).await?;
                tx.commit().await?;
                $crate::survey::SurveyStore::latest_weighting(self, campaign, new.questionnaire_id).await?
                    .ok_or($crate::error::StorageError::NotFound { what: "weighting", key: id.to_string() })
            }

            async fn latest_weighting(&self, campaign: terrain_model::CampaignId, questionnaire: uuid::Uuid)
                -> $crate::error::Result<Option<$crate::survey::WeightingRun>> {
                let row: Option<$crate::sql_survey::RunRow> = sqlx::query_as($crate::sql_survey::LATEST_RUN)
                    .bind(campaign.0).bind(questionnaire).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn latest_weights(&self, campaign: terrain_model::CampaignId, questionnaire: uuid::Uuid)
                -> $crate::error::Result<Option<($crate::survey::WeightingRun, Vec<(uuid::Uuid, f64)>)>> {
                let Some(run) = $crate::survey::SurveyStore::latest_weighting(self, campaign, questionnaire).await? else {
                    return Ok(None);
                };
                let weights: Vec<(uuid::Uuid, f64)> = sqlx::query_as(
                    "SELECT response_id, weight FROM response_weights WHERE campaign_id = $1 AND run_id = $2 ORDER BY response_id")
                    .bind(campaign.0).bind(run.id).fetch_all(&self.pool).await?;
                Ok(Some((run, weights)))
            }

            async fn shape_centres(&self, campaign: terrain_model::CampaignId, kind: terrain_model::TerritoryKind)
                -> $crate::error::Result<Vec<(terrain_model::TerritoryId, f64, f64)>> {
                let rows: Vec<(uuid::Uuid, f64, f64)> = sqlx::query_as(
                    "SELECT s.territory_id, (s.min_lon + s.max_lon) / 2.0, (s.min_lat + s.max_lat) / 2.0 \
                     FROM territory_shapes s JOIN territories t ON t.campaign_id = s.campaign_id AND t.id = s.territory_id \
                     WHERE s.campaign_id = $1 AND t.kind = $2")
                    .bind(campaign.0).bind(kind.as_str()).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(t, x, y)| (terrain_model::TerritoryId(t), x, y)).collect())
            }
        }
    };
}

pub(crate) use survey_store;
