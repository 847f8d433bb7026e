//! Data protection (issue 10): the purge of a campaign's personal data after its retention
//! date, and the rights of the people it holds data on — export and erasure of one volunteer
//! or one respondent — each leaving an audit line.
//!
//! What counts as personal, and what a purge does with it:
//! - volunteers: name, e-mail, phone (and their comparable keys), postcode, availability and
//!   consent time are wiped, the link to an account cut; the row stays, anonymous, with its
//!   status, territory and dates, so that the funnel and attendance counts still answer;
//! - accounts of people who belong to this campaign only (not administrators): closed — no
//!   e-mail, no name, no password, disabled, sessions and API tokens deleted; the id stays, so
//!   audit lines and memberships (role counts) keep pointing at something that names nobody;
//! - respondents' recontact details: deleted (the anonymous response stays);
//! - invites and calendar feeds (links handed to people): deleted;
//! - field work: the walker who made a visit, a door count or an upload is replaced by a random
//!   id (one per walker, so "how many walkers" still answers), the phone's position at the door
//!   and the phones themselves are dropped — a walker's movements are personal data of the
//!   walker, and no aggregate needs them;
//! - free text staff may have written about people: sortie notes, the team named on a
//!   turf hand-out;
//! - audit lines: every string naming a purged person (their name, e-mail or phone) is
//!   replaced, and e-mail/phone fields are dropped; ids are kept.
//!
//! Responses stay: they were never tied to an address, a walker or a named person. An open
//! answer is free text the respondent wrote, kept as collected (the diagnostic quotes
//! verbatims only after terrain-text's privacy filter).

use crate::error::Result;
use crate::types::Audit;
use async_trait::async_trait;
use serde::Serialize;
use std::collections::BTreeMap;
use terrain_model::{CampaignId, VolunteerId};
use time::OffsetDateTime;
use uuid::Uuid;

/// What replaces a purged name.
pub const ERASED_NAME: &str = "(effacé)";

/// The name of a closed account.
pub const CLOSED_ACCOUNT: &str = "(compte fermé)";

/// Why a purge ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeReason {
    /// The campaign's retention date has passed (run by the server).
    Retention,
    /// Asked for by an operator (`terrain purge`).
    Manual,
}

impl PurgeReason {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PurgeReason::Retention => "retention",
            PurgeReason::Manual => "manual",
        }
    }
}

/// What a purge or an erasure changed (or, in a dry run, would change): row counts by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeCounts {
    /// Volunteer records anonymised.
    pub volunteers: u64,
    /// Accounts closed.
    pub accounts: u64,
    /// Sessions and API tokens of the closed accounts deleted.
    pub credentials: u64,
    /// Respondents' recontact details deleted.
    pub recontacts: u64,
    /// Invites, invite-to-sign-up links and calendar feeds deleted.
    pub links: u64,
    /// Visits, door counts and upload receipts whose walker was replaced by a random id.
    pub field_records: u64,
    /// Phones forgotten.
    pub devices: u64,
    /// Free-text fields cleared (sortie notes, turf teams).
    pub notes: u64,
    /// Audit lines whose detail was redacted.
    pub audit_lines: u64,
}

impl PurgeCounts {
    /// True when nothing was (or would be) changed.
    pub fn is_empty(&self) -> bool {
        *self == PurgeCounts::default()
    }
}

/// A purge that ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PurgeRecord {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: PurgeReason,
    pub counts: PurgeCounts,
}

/// One column where a searched string was found, by [`PrivacyStore::find_text`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TextHit {
    pub table: String,
    pub column: String,
    /// The string found (as searched).
    pub needle: String,
    pub rows: u64,
}

/// The personal data Terrain holds on one person, as handed to them on request (JSON).
pub type SubjectExport = BTreeMap<String, serde_json::Value>;

/// Purge, export and erasure of personal data. Implemented by both backends next to
/// [`crate::Store`].
#[async_trait]
pub trait PrivacyStore {
    /// Sets (or clears) the date after which the campaign's personal data is purged.
    async fn set_retention(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        until: Option<time::Date>,
    ) -> Result<()>;
    /// Purges the campaign's personal data (see the module documentation), in one
    /// transaction, and records it. With `dry_run`, counts what would change and changes
    /// nothing. Running it again changes nothing more than what arrived since.
    async fn purge_campaign(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        reason: PurgeReason,
        dry_run: bool,
    ) -> Result<PurgeCounts>;
    /// The campaign's purges, newest first.
    async fn purges(&self, campaign: CampaignId) -> Result<Vec<PurgeRecord>>;

    /// Records that a volunteer no longer wants to be contacted: their consent is withdrawn
    /// (`consent_contact` false), so lists and exports stop showing how to reach them. One way:
    /// a new consent is a new sign-up. Leaves an audit line (`privacy.do_not_contact`).
    async fn do_not_contact(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: VolunteerId,
    ) -> Result<()>;
    /// Everything held on one volunteer: their record, account, trainings, teams, sorties,
    /// and the audit lines about them. Leaves an audit line (`privacy.export`).
    async fn export_volunteer(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: VolunteerId,
    ) -> Result<SubjectExport>;
    /// Erases one volunteer on request, as a purge would, and closes their account when they
    /// belong to this campaign only. Leaves an audit line (`privacy.erase`) naming nobody.
    async fn erase_volunteer(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: VolunteerId,
    ) -> Result<PurgeCounts>;
    /// Everything held on the respondent who left contact details with response `response`:
    /// the details, the consent, and the answers. Leaves an audit line.
    async fn export_respondent(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        response: Uuid,
    ) -> Result<SubjectExport>;
    /// Deletes that respondent's contact details and answers. Leaves an audit line.
    async fn erase_respondent(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        response: Uuid,
    ) -> Result<()>;

    /// Every column of every table (listed from the database's own catalogue) where one of
    /// `needles` appears, case-insensitively: the check that a purge left nothing behind.
    async fn find_text(&self, needles: &[String]) -> Result<Vec<TextHit>>;
}

/// A moment as an export writes it (RFC 3339).
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A stored value as JSON, for an export.
pub(crate) fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// The strings that name the purged people, lower-cased, for redacting audit lines: names of
/// three characters or more, e-mails, phones (as written and digits only).
pub(crate) fn needles<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim().to_lowercase();
        if v.chars().count() < 3 || v == ERASED_NAME || v == CLOSED_ACCOUNT {
            continue;
        }
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 9 {
            // A phone's comparable form may be international (+33 6…): its last nine digits.
            out.push(digits[digits.len() - 9..].to_string());
        }
        out.push(v);
    }
    out.sort();
    out.dedup();
    out
}

/// True when `text` contains one of the needles (case-insensitively).
pub(crate) fn mentions(text: &str, needles: &[String]) -> bool {
    let low = text.to_lowercase();
    needles.iter().any(|n| low.contains(n.as_str()))
}

/// Redacts an audit line's detail: e-mail and phone fields go, and every string containing a
/// needle is replaced. Returns true when something changed.
pub(crate) fn redact(value: &mut serde_json::Value, needles: &[String]) -> bool {
    use serde_json::Value;
    let mut changed = false;
    match value {
        Value::String(s) if mentions(s, needles) => {
            *s = ERASED_NAME.to_string();
            changed = true;
        }
        // Every item is visited (no short circuit): each may need redacting.
        Value::Array(items) => {
            for v in items {
                changed |= redact(v, needles);
            }
        }
        Value::Object(map) => {
            for key in ["email", "phone"] {
                if map.get(key).is_some_and(|v| !v.is_null()) {
                    map.insert(key.into(), Value::Null);
                    changed = true;
                }
            }
            for v in map.values_mut() {
                changed |= redact(v, needles);
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn needles_keep_digits_of_phones_and_skip_short_names() {
        let n = needles(["Zoé", "06 12 34 56 78", "Al", "A.B@Example.org"]);
        assert_eq!(
            n,
            vec!["06 12 34 56 78", "612345678", "a.b@example.org", "zoé"]
        );
    }

    #[test]
    fn redaction_replaces_names_and_drops_contacts() {
        let mut d =
            json!({"name": "Équipe de Zoé", "email": "x@y.fr", "items": ["zoé", 3], "n": 1});
        assert!(redact(&mut d, &needles(["Zoé"])));
        assert_eq!(
            d,
            json!({"name": ERASED_NAME, "email": null, "items": [ERASED_NAME, 3], "n": 1})
        );
        let mut clean = json!({"role": "walker"});
        assert!(!redact(&mut clean, &needles(["Zoé"])));
    }
}
