//! The diagnostic's human coding (issue 9): a codebook per open question of a questionnaire,
//! and the codes each coder gives to an answer, with a flag that puts the answer on the reading
//! list. A coding is keyed by the response's own random id, the question and the coder: two
//! coders of one answer give two codings (their agreement is measured), one coder coding it again
//! replaces their earlier codes.

use crate::error::Result;
use crate::types::Audit;
use async_trait::async_trait;
use serde::Serialize;
use terrain_model::{CampaignId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

/// One coder's codes for one answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coding {
    pub response_id: Uuid,
    /// The open question's key.
    pub question: String,
    pub coder: UserId,
    /// Code ids of the question's codebook (none: read, nothing to code).
    pub codes: Vec<String>,
    /// On the reading list.
    pub flagged: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub coded_at: OffsetDateTime,
}

/// Storage of codebooks and codings. Implemented by both backends next to [`crate::Store`].
#[async_trait]
pub trait DiagnosticStore: Send + Sync {
    /// The codebook of a question (its codes as JSON), if one was saved.
    async fn codebook(
        &self,
        campaign: CampaignId,
        questionnaire: Uuid,
        question: &str,
    ) -> Result<Option<serde_json::Value>>;
    /// Saves (replaces) the codebook of a question.
    async fn save_codebook(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        questionnaire: Uuid,
        question: &str,
        codes: &serde_json::Value,
    ) -> Result<()>;
    /// Records a coder's codes for an answer, replacing that coder's earlier ones.
    /// [`crate::StorageError::NotFound`] when the response is not the campaign's.
    async fn save_coding(&self, audit: &Audit, campaign: CampaignId, coding: &Coding)
    -> Result<()>;
    /// Every coding of a question (all questions when `None`), by response then coder.
    async fn codings(&self, campaign: CampaignId, question: Option<&str>) -> Result<Vec<Coding>>;
}
