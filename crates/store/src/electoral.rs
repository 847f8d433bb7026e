//! Official data kept for a campaign: elections with their results by bureau de vote, census
//! values by IRIS, and the shapes of territories (for maps). Written by imports, one
//! transaction per import: a failed import leaves the database as it was.

use crate::error::Result;
use crate::types::{Audit, NewTerritory, Scope};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terrain_model::{CampaignId, TerritoryId, TerritoryKind};
use time::OffsetDateTime;
use uuid::Uuid;

/// An election to store (`code` is the model's `ElectionId`, e.g. `2017_pres_t1`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewElection {
    pub code: String,
    /// `presidential`, `legislative`, `european`…
    pub kind: String,
    pub year: i32,
    pub round: i32,
    /// For people: "Présidentielle 2017, 1er tour".
    pub label: String,
}

/// A stored election, with how many bureaux have results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Election {
    pub id: Uuid,
    pub campaign_id: CampaignId,
    pub code: String,
    pub kind: String,
    pub year: i32,
    pub round: i32,
    pub label: String,
    /// The file it came from.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
    pub bureaux: u64,
}

/// A bureau's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub inscrits: u64,
    pub abstentions: u64,
    pub votants: u64,
    pub blancs: u64,
    pub nuls: u64,
    pub exprimes: u64,
}

impl Counts {
    /// Adds another bureau's totals.
    pub fn add(&mut self, o: &Counts) {
        self.inscrits += o.inscrits;
        self.abstentions += o.abstentions;
        self.votants += o.votants;
        self.blancs += o.blancs;
        self.nuls += o.nuls;
        self.exprimes += o.exprimes;
    }
}

/// One candidate's (or list's) votes in a bureau.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateVotes {
    /// Ballot-paper number (numéro de panneau), when known.
    pub panel: Option<u32>,
    pub name: String,
    pub nuance: Option<String>,
    /// The political bloc, from the nuance → bloc table.
    pub bloc: Option<String>,
    pub votes: u64,
}

/// One area's results for an election: a bureau de vote (`75056_0810`) or, for the Ministry's
/// commune-level files, a whole commune.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub kind: TerritoryKind,
    pub area: String,
    pub counts: Counts,
    pub candidates: Vec<CandidateVotes>,
}

/// An election's results, replacing any stored for the same election code.
#[derive(Clone, Debug, PartialEq)]
pub struct ElectionData {
    pub election: NewElection,
    pub rows: Vec<ResultRow>,
}

/// A census value of an IRIS (or any territory), by its kind and code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CensusRow {
    pub kind: TerritoryKind,
    pub code: String,
    /// The table it comes from (`diplomes-2015`, `filosofi-2015`…).
    pub source: String,
    pub variable: String,
    pub value: f64,
}

/// The shape of a territory, as a GeoJSON geometry in WGS84.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeRow {
    pub kind: TerritoryKind,
    pub code: String,
    /// A GeoJSON `Polygon` or `MultiPolygon` geometry object.
    pub geometry: String,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// False when the polygon is not valid (self-intersections…): kept, but flagged.
    pub valid: bool,
}

/// Everything one imported file brings, stored in one transaction: the territories it names
/// (parents first), and its results, census values or shapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportBatch {
    /// The file's name, for the audit log and the elections' source.
    pub source: String,
    pub territories: Vec<NewTerritory>,
    /// Elections and their results (a long file may hold several).
    pub elections: Vec<ElectionData>,
    pub census: Vec<CensusRow>,
    pub shapes: Vec<ShapeRow>,
}

/// What an import wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub territories_created: u64,
    pub territories_seen: u64,
    /// The stored elections, by code.
    pub elections: Vec<(String, Uuid)>,
    pub bureaux_with_results: u64,
    pub candidate_rows: u64,
    pub census_values: u64,
    pub shapes: u64,
}

/// A bureau's stored results for one election.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BureauResults {
    pub territory_id: TerritoryId,
    pub counts: Counts,
    pub candidates: Vec<CandidateVotes>,
}

/// A territory's shape with what a map shows about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapFeature {
    pub territory_id: TerritoryId,
    pub kind: TerritoryKind,
    pub code: String,
    pub name: String,
    pub geometry: String,
    pub valid: bool,
}

/// A randomised evaluation to record (LMP's: strata of bureaux by potential, some treated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewExperiment {
    pub name: String,
    /// The election whose potential ranked the bureaux.
    pub reference_election: String,
    /// The blocs counted, comma-separated.
    pub blocs: String,
    pub budget_doors: f64,
    /// The territory it covers (`None`: the whole campaign).
    pub scope_path: Option<terrain_model::TerritoryPath>,
    /// The design as `terrain-targeting` draws it (options, assignments, digest).
    pub design: serde_json::Value,
    /// SHA-256 of the design, to publish before the campaign.
    pub digest: String,
}

/// A recorded experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: Uuid,
    pub campaign_id: CampaignId,
    #[serde(flatten)]
    pub fields: NewExperiment,
    pub created_by: Option<terrain_model::UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Storage of the official data. Implemented by both backends next to [`crate::Store`].
#[async_trait]
pub trait ElectoralStore: Send + Sync {
    /// Stores an import in one transaction.
    async fn apply_import(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        batch: &ImportBatch,
    ) -> Result<ImportOutcome>;
    /// The campaign's elections, newest first.
    async fn elections(&self, campaign: CampaignId) -> Result<Vec<Election>>;
    /// An election by its code.
    async fn election_by_code(&self, campaign: CampaignId, code: &str) -> Result<Election>;
    /// The results of the bureaux inside `scope` (all of them for the campaign), by bureau.
    async fn bureau_results(
        &self,
        campaign: CampaignId,
        election: Uuid,
        within: &Scope,
    ) -> Result<Vec<BureauResults>>;
    /// The shapes of the territories of `kind` inside `within`.
    async fn shapes(
        &self,
        campaign: CampaignId,
        kind: TerritoryKind,
        within: &Scope,
    ) -> Result<Vec<MapFeature>>;
    /// Every territory of the campaign as `(kind, code, id, name)`, for importers resolving
    /// codes (a national campaign has ~100,000: no paging).
    async fn territory_index(
        &self,
        campaign: CampaignId,
    ) -> Result<Vec<(TerritoryKind, String, TerritoryId, String)>>;
    /// Records an experiment's design (it is never changed afterwards).
    async fn create_experiment(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewExperiment,
    ) -> Result<Experiment>;
    /// The campaign's experiments, newest first.
    async fn experiments(&self, campaign: CampaignId) -> Result<Vec<Experiment>>;
    async fn experiment(&self, campaign: CampaignId, id: Uuid) -> Result<Experiment>;
    /// The census values of one territory, by source and variable.
    async fn census_of(
        &self,
        campaign: CampaignId,
        territory: TerritoryId,
    ) -> Result<Vec<(String, String, f64)>>;
}
