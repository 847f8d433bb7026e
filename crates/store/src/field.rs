//! Questionnaires and field work: questionnaire versions, the walker's package (stops with
//! their buildings and doors), and the upload of what phones recorded — door visits,
//! questionnaire responses, doors added, door counts corrected — exactly once.
//!
//! # The sync contract
//! Every record is made on a phone with its own UUIDv7 and sent with the phone's device id.
//! [`FieldStore::apply_sync`] stores a batch in one transaction and answers one [`Ack`] per
//! record: `Stored` the first time, `Duplicate` for a record already stored (a replayed batch
//! changes nothing and is acknowledged again), `Rejected` with a stable code when the record
//! cannot be stored (the phone keeps it and shows why). A device id is bound to the first user
//! who uploads from it: another user's batch under that id is refused whole.
//!
//! # Privacy
//! A response is stored with the bureau de vote and IRIS of the address it was collected at,
//! the day, and the respondent's profile — never with the address, the walker, or the phone's
//! record id (a UUIDv7 carries the minute it was made, which would point back at the door
//! visited then): it gets a random id of its own. Contact details are stored only when the
//! respondent consented to be recontacted, in their own table with the consent statement.

use crate::error::Result;
use crate::types::{Audit, Scope};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use terrain_model::{
    Address, AddressId, Answer, Building, BuildingId, CampaignId, Door, Outcome, Questionnaire,
    TerritoryId, TerritoryPath, Unit, UserId,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Where a questionnaire version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Being written: may change.
    Draft,
    /// In the field: never changes again.
    Published,
    /// Replaced by a newer published version; its answers keep pointing at it.
    Retired,
}

impl VersionStatus {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
            VersionStatus::Retired => "retired",
        }
    }
}

/// One version of a questionnaire.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionnaireVersion {
    pub id: Uuid,
    pub questionnaire_id: Uuid,
    /// 1, 2, 3… in order of creation.
    pub number: u32,
    pub status: VersionStatus,
    pub questionnaire: Questionnaire,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
}

/// A questionnaire with all its versions, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionnaireInfo {
    pub id: Uuid,
    pub campaign_id: CampaignId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub versions: Vec<QuestionnaireVersion>,
}

impl QuestionnaireInfo {
    /// The version in the field, if any.
    pub fn published(&self) -> Option<&QuestionnaireVersion> {
        self.versions
            .iter()
            .find(|v| v.status == VersionStatus::Published)
    }

    /// The draft being written, if any.
    pub fn draft(&self) -> Option<&QuestionnaireVersion> {
        self.versions
            .iter()
            .find(|v| v.status == VersionStatus::Draft)
    }
}

/// What is known of one door when a package is made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DoorStatus {
    pub door: Door,
    /// The latest outcome recorded at this door, by anyone.
    pub last_outcome: Option<Outcome>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_at: Option<OffsetDateTime>,
    /// Someone at this door asked never to be visited again.
    pub do_not_knock: bool,
}

/// A building of a stop, with its named doors and what is known of its doors.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PackageBuilding {
    pub building: Building,
    pub units: Vec<Unit>,
    /// Only doors with something recorded; the others have no status yet.
    pub doors: Vec<DoorStatus>,
}

/// One stop of a walk: an address and its buildings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PackageStop {
    pub address: Address,
    pub buildings: Vec<PackageBuilding>,
}

/// A record made on a phone.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRecord {
    /// Made by the phone (UUIDv7); for a new door, also the unit's id.
    pub id: Uuid,
    /// When, by the phone's clock.
    pub at: OffsetDateTime,
    pub body: RecordBody,
}

/// What a record says.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordBody {
    Visit(NewVisit),
    Response(NewResponse),
    /// A door the walker found, added to a building (its unit id is the record's id).
    Unit {
        building_id: BuildingId,
        floor: Option<i32>,
        label: String,
    },
    /// The walker counted the building's doors.
    DoorCount {
        building_id: BuildingId,
        doors: u32,
    },
}

impl RecordBody {
    /// The stable name of the record's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            RecordBody::Visit(_) => "visit",
            RecordBody::Response(_) => "response",
            RecordBody::Unit { .. } => "unit",
            RecordBody::DoorCount { .. } => "door_count",
        }
    }
}

/// A door visited: an append-only event.
#[derive(Clone, Debug, PartialEq)]
pub struct NewVisit {
    pub address_id: AddressId,
    pub building_id: BuildingId,
    /// The door, or `None` for the building as a whole (intercom unanswered…).
    pub door: Option<Door>,
    pub outcome: Outcome,
    /// The turf the walker was working, when turfs exist.
    pub turf_id: Option<Uuid>,
    /// `[lon, lat]`, only when the walker agreed to be located.
    pub position: Option<[f64; 2]>,
}

/// An answered questionnaire.
#[derive(Clone, Debug, PartialEq)]
pub struct NewResponse {
    pub version_id: Uuid,
    /// Where it was collected: used to find the bureau and IRIS, then forgotten.
    pub address_id: AddressId,
    pub answers: BTreeMap<String, Answer>,
    /// Contact details, only with the consent to be recontacted.
    pub contact: Option<Contact>,
}

/// How to reach a respondent who asked to be recontacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A batch of records from one phone.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncBatch {
    pub device_id: Uuid,
    pub records: Vec<FieldRecord>,
}

/// The answer for one record of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Ack {
    /// Stored now.
    Stored,
    /// Already stored by an earlier upload: nothing changed.
    Duplicate,
    /// Not stored, for a reason the phone shows; sending it again gives the same answer.
    Rejected { code: String, message: String },
}

/// One record's acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordAck {
    pub id: Uuid,
    #[serde(flatten)]
    pub ack: Ack,
}

/// Counts of field work inside a scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FieldProgress {
    pub visits: u64,
    /// Visits by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Distinct doors with at least one visit.
    pub doors_visited: u64,
    pub responses: u64,
    /// Responses by questionnaire version id.
    pub responses_by_version: BTreeMap<Uuid, u64>,
    /// Doors never to be knocked on again.
    pub do_not_knock: u64,
    /// Respondents who agreed to be recontacted.
    pub recontacts: u64,
    /// Distinct walkers who recorded a visit.
    pub walkers: u64,
}

/// Contact details of a respondent who agreed to be recontacted, with the consent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recontact {
    pub response_id: Uuid,
    pub contact: Contact,
    /// The address it was collected at (the respondent agreed to be found again).
    pub address_id: Option<AddressId>,
    /// What the respondent agreed to, word for word.
    pub statement: String,
    #[serde(with = "time::serde::rfc3339")]
    pub consented_at: OffsetDateTime,
    pub collected_on: Date,
}

/// A stored questionnaire response, as the analysis reads it: where (bureau, IRIS), when
/// (the day), who in general terms (the profile), and the answers — never the address, the
/// walker or the phone's record id (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredResponse {
    /// The response's own random id.
    pub id: Uuid,
    pub version_id: Uuid,
    pub bureau_id: Option<Uuid>,
    pub iris_id: Option<Uuid>,
    pub collected_on: Date,
    pub profile: terrain_model::questionnaire::RespondentProfile,
    pub recontact_consent: bool,
    pub answers: BTreeMap<String, Answer>,
}

/// One door visit as the data-quality checks read it: who, when, where the door is, and
/// where the phone was (only when the walker agreed to be located).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VisitTrace {
    pub user_id: UserId,
    pub at: OffsetDateTime,
    pub building_id: BuildingId,
    /// `[lon, lat]` of the visited address.
    pub address: [f64; 2],
    pub outcome: Outcome,
    pub turf_id: Option<Uuid>,
    pub bureau_id: Option<Uuid>,
    /// `[lon, lat]` of the phone, with the walker's consent.
    pub position: Option<[f64; 2]>,
}

/// Most records accepted in one batch.
pub const MAX_BATCH: usize = 500;

/// The longest sheet number accepted for a paper questionnaire.
pub const MAX_SHEET_REF: usize = 40;

/// How far before the campaign's creation a paper sheet may have been filled in: further back
/// is a typing mistake (the year).
pub const PAPER_DAYS_BEFORE_CAMPAIGN: i64 = 365;

/// The most keyed-in entries listed in one page.
pub const MAX_PAPER_PAGE: u32 = 200;

/// A questionnaire filled in on paper and keyed in by a coordinator (the paper fallback).
/// Stored as a response like a phone's, through the same checks, with `source = paper`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPaperResponse {
    /// Made by the browser for this sheet: keying the same sheet twice stores it once.
    pub client_id: Uuid,
    pub version_id: Uuid,
    /// The bureau de vote the sheet was filled in.
    pub bureau_id: TerritoryId,
    /// The day written on the sheet.
    pub collected_on: Date,
    /// The number written on the sheet, to find it again.
    pub sheet_ref: String,
    pub answers: BTreeMap<String, Answer>,
}

/// A keyed-in paper questionnaire, as the keying screen lists it: who keyed it and when, the
/// sheet, the bureau and the questionnaire version. Never the answers, never an address.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaperEntry {
    /// The stored response's id.
    pub response_id: Uuid,
    pub client_id: Uuid,
    pub version_id: Uuid,
    pub version_number: u32,
    pub questionnaire_id: Uuid,
    pub questionnaire_name: String,
    pub bureau_id: Uuid,
    pub bureau_code: String,
    pub bureau_name: String,
    pub bureau_path: TerritoryPath,
    pub collected_on: Date,
    pub sheet_ref: String,
    pub keyed_by: UserId,
    /// The keying coordinator's name (empty when the account is gone).
    pub keyed_by_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub keyed_at: OffsetDateTime,
}

/// Why a paper questionnaire was not stored: a stable code, a sentence, and the question at
/// fault when an answer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperRefusal {
    /// `questionnaire_not_found`, `questionnaire_not_published`, `territory_not_found`,
    /// `not_a_bureau`, `out_of_scope`, `invalid_answers`, `invalid_date`, `invalid_sheet_ref`,
    /// `client_id_taken`.
    pub code: &'static str,
    pub message: String,
    /// The question key, for `invalid_answers`.
    pub question: Option<String>,
}

/// What became of a keyed-in sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum PaperKeyed {
    /// Stored now.
    Stored(PaperEntry),
    /// Stored before under the same client id (by the same person): nothing changed.
    Duplicate(PaperEntry),
    /// Not stored.
    Rejected(PaperRefusal),
}

/// Storage of questionnaires and field work. Implemented by both backends next to
/// [`crate::Store`].
#[async_trait]
pub trait FieldStore: Send + Sync {
    /// Creates a questionnaire with its first version, a draft.
    async fn create_questionnaire(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        name: &str,
        questionnaire: &Questionnaire,
    ) -> Result<QuestionnaireInfo>;
    /// The campaign's questionnaires, by name.
    async fn questionnaires(&self, campaign: CampaignId) -> Result<Vec<QuestionnaireInfo>>;
    async fn questionnaire(&self, campaign: CampaignId, id: Uuid) -> Result<QuestionnaireInfo>;
    /// Saves the draft: changes the current draft, or — when the latest version is published
    /// or retired — makes a new draft after it. A published version never changes. The name
    /// changes when given.
    async fn save_draft(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: Uuid,
        name: Option<&str>,
        questionnaire: &Questionnaire,
    ) -> Result<QuestionnaireVersion>;
    /// Publishes the draft: it goes to the field, and the version it replaces is retired.
    async fn publish_draft(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        id: Uuid,
    ) -> Result<QuestionnaireVersion>;
    /// The published versions of every questionnaire, with the questionnaire's name.
    async fn published_questionnaires(
        &self,
        campaign: CampaignId,
    ) -> Result<Vec<(String, QuestionnaireVersion)>>;
    /// The stops inside `within` (bureau or IRIS paths), by street and number, with their
    /// buildings, doors and door statuses; at most `limit`.
    async fn package_stops(
        &self,
        campaign: CampaignId,
        within: &TerritoryPath,
        limit: u32,
    ) -> Result<Vec<PackageStop>>;
    /// Stores a phone's batch exactly once (see the module documentation). Records outside
    /// `scope` are rejected. Fails whole only when the device belongs to another user
    /// ([`crate::StorageError::Conflict`] on `device`) or the database fails.
    async fn apply_sync(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        user: UserId,
        scope: &Scope,
        batch: &SyncBatch,
    ) -> Result<Vec<RecordAck>>;
    /// Counts of field work inside the scope.
    async fn field_progress(&self, campaign: CampaignId, scope: &Scope) -> Result<FieldProgress>;
    /// Respondents who agreed to be recontacted, newest first.
    async fn recontacts(&self, campaign: CampaignId) -> Result<Vec<Recontact>>;
    /// Distinct doors with at least one visit, per bureau de vote (by the bureau's territory
    /// id), over the whole campaign: the field's coverage of each bureau.
    async fn doors_visited_by_bureau(&self, campaign: CampaignId) -> Result<BTreeMap<Uuid, u64>>;
    /// The visits inside the scope made at or after `since`, by walker then time; at most
    /// `limit` (the most recent ones when there are more).
    async fn visit_traces(
        &self,
        campaign: CampaignId,
        scope: &Scope,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<VisitTrace>>;
    /// The responses collected inside the scope (bureau or IRIS within it), optionally of
    /// one questionnaire's versions only, in a stable order (by id).
    async fn responses(
        &self,
        campaign: CampaignId,
        scope: &Scope,
        questionnaire: Option<Uuid>,
    ) -> Result<Vec<StoredResponse>>;
    /// Stores a questionnaire keyed in from paper by `user`, exactly once per client id, after
    /// the same checks as a phone's response (version published, answers fitting it) and the
    /// paper's own (the bureau inside `scope`, the day plausible, the sheet numbered). Leaves an
    /// audit line (`paper.key_in`) when stored.
    async fn key_in_paper(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        user: UserId,
        scope: &Scope,
        sheet: &NewPaperResponse,
    ) -> Result<PaperKeyed>;
    /// The keyed-in paper questionnaires whose bureau lies inside the scope, newest first
    /// (`offset`, at most `limit`), with how many there are in all.
    async fn paper_entries(
        &self,
        campaign: CampaignId,
        scope: &Scope,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<PaperEntry>, u64)>;
    /// One keyed-in paper questionnaire, by its response id.
    async fn paper_entry(&self, campaign: CampaignId, response: Uuid) -> Result<PaperEntry>;
    /// Voids a keyed-in paper questionnaire (a mistyped sheet): its response goes, with its
    /// weights and codings. Leaves an audit line (`paper.void`). Phone responses cannot be
    /// voided this way ([`crate::StorageError::NotFound`]).
    async fn void_paper_entry(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        response: Uuid,
    ) -> Result<()>;
}
