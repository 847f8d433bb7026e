//! The SQL of [`DiagnosticStore`](crate::DiagnosticStore), shared by both backends.

/// Generates `impl DiagnosticStore` for a backend made by `sql_store!`.
macro_rules! diagnostic_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::diagnostic::DiagnosticStore for $store {
            async fn codebook(&self, campaign: terrain_model::CampaignId, questionnaire: uuid::Uuid, question: &str)
                -> $crate::error::Result<Option<serde_json::Value>> {
                let row: Option<(sqlx::types::Json<serde_json::Value>,)> = sqlx::query_as(
                    "SELECT codes FROM codebooks WHERE campaign_id = $1 AND questionnaire_id = $2 AND question = $3")
                    .bind(campaign.0).bind(questionnaire).bind(question).fetch_optional(&self.pool).await?;
                Ok(row.map(|(j,)| j.0))
            }

            async fn save_codebook(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                                   questionnaire: uuid::Uuid, question: &str, codes: &serde_json::Value)
                -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO codebooks (campaign_id, questionnaire_id, question, codes, updated_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (campaign_id, questionnaire_id, question) \
                             DO UPDATE SET codes = excluded.codes, updated_at = excluded.updated_at")
                    .bind(campaign.0).bind(questionnaire).bind(question).bind(sqlx::types::Json(codes))
                    .bind(time::OffsetDateTime::now_utc())
                    .execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } =>
                            $crate::error::StorageError::NotFound { what: "questionnaire", key: questionnaire.to_string() },
                        other => other,
                    })?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "diagnostic.codebook", format!("{questionnaire}/{question}"),
                    serde_json::json!({"codes": codes.as_array().map_or(0, Vec::len)})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn save_coding(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                                 coding: &$crate::diagnostic::Coding) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO codings (campaign_id, response_id, question, coder_id, codes, flagged, coded_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (campaign_id, response_id, question, coder_id) \
                             DO UPDATE SET codes = excluded.codes, flagged = excluded.flagged, coded_at = excluded.coded_at")
                    .bind(campaign.0).bind(coding.response_id).bind(&coding.question).bind(coding.coder.0)
                    .bind(sqlx::types::Json(&coding.codes)).bind(coding.flagged).bind(coding.coded_at)
                    .execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                        $crate::error::StorageError::Invalid { .. } =>
                            $crate::error::StorageError::NotFound { what: "response", key: coding.response_id.to_string() },
                        other => other,
                    })?;
                // The audit line says who coded which question, not the codes nor the answer.
                Self::write_audit(&mut tx, audit, Some(campaign.0), "diagnostic.code", coding.question.clone(),
                    serde_json::json!({"codes": coding.codes.len(), "flagged": coding.flagged})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn codings(&self, campaign: terrain_model::CampaignId, question: Option<&str>)
                -> $crate::error::Result<Vec<$crate::diagnostic::Coding>> {
                type Row = (uuid::Uuid, String, uuid::Uuid, sqlx::types::Json<Vec<String>>, bool, time::OffsetDateTime);
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT response_id, question, coder_id, codes, flagged, coded_at FROM codings WHERE campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(q) = question {
                    qb.push(" AND question = ");
                    qb.push_bind(q.to_string());
                }
                qb.push(" ORDER BY response_id, question, coder_id");
                let rows: Vec<Row> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(response_id, question, coder, codes, flagged, coded_at)| $crate::diagnostic::Coding {
                    response_id, question, coder: terrain_model::UserId(coder), codes: codes.0, flagged, coded_at,
                }).collect())
            }
        }
    };
}

pub(crate) use diagnostic_store;
