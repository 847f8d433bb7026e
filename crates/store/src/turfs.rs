//! Turfs and walk routes as stored: the stops of each bureau de vote cut into turfs, each stop
//! with its place in the walk; every change of a bureau's turfs as a new version with its
//! parameters and quality; the hand-out of a turf (checked out to a person, a team or a
//! canvassing session, with an expiry); the campaign's walkable street network.
//!
//! The cutting itself is `terrain-geo`'s; the server computes a new plan from what
//! [`TurfStore::bureau_turfs`] and [`TurfStore::stop_candidates`] return and saves it with
//! [`TurfStore::save_turf_plan`], which refuses the plan when the bureau changed meanwhile
//! (another version was saved) or when a turf it changes was handed out in between.
//!
//! # For the other parts of the field work
//! * Canvassing sessions (issue 6) hand a turf to a session with
//!   [`TurfStore::assign_turf_to_session`] and list a session's turfs with
//!   [`TurfQuery::session`].
//! * The walker's offline package (issue 7) takes a turf's stops in walking order from
//!   [`TurfStore::turf_stops`], and tells the turfs which addresses were visited with
//!   [`TurfStore::mark_stops_visited`]: a re-cut keeps those stops in their turf.

use crate::error::Result;
use crate::types::{Audit, Scope};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terrain_model::{
    Address, AddressId, Building, CampaignId, TerritoryId, TerritoryPath, TurfId, Unit, UserId,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Where a turf is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurfStatus {
    /// Cut, not handed out: may be edited.
    Planned,
    /// Handed out until an expiry: locked (no edit, no second hand-out).
    CheckedOut,
    /// Walked: locked.
    Done,
    /// Emptied by an edit after it had been handed out: kept for the record, no stops.
    Retired,
}

impl TurfStatus {
    /// The stable name stored in the database and used by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TurfStatus::Planned => "planned",
            TurfStatus::CheckedOut => "checked_out",
            TurfStatus::Done => "done",
            TurfStatus::Retired => "retired",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            TurfStatus::Planned,
            TurfStatus::CheckedOut,
            TurfStatus::Done,
            TurfStatus::Retired,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What made a version of a bureau's turfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// The first cut of the bureau.
    Cut,
    /// A new cut keeping locked turfs and visited stops.
    Recut,
    /// Stops moved to another turf.
    Move,
    Split,
    Merge,
    /// The stops inside a drawn polygon given to a turf.
    Redraw,
}

impl PlanKind {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::Cut => "cut",
            PlanKind::Recut => "recut",
            PlanKind::Move => "move",
            PlanKind::Split => "split",
            PlanKind::Merge => "merge",
            PlanKind::Redraw => "redraw",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            PlanKind::Cut,
            PlanKind::Recut,
            PlanKind::Move,
            PlanKind::Split,
            PlanKind::Merge,
            PlanKind::Redraw,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A turf's hand-out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    /// The person walking it, when handed to a person.
    pub to_user: Option<UserId>,
    /// The team, when handed to a team (free text: "Binôme Ordener").
    pub team: Option<String>,
    /// The canvassing session it was handed to (issue 6), when it was.
    pub session_id: Option<Uuid>,
    /// Who handed it out.
    pub by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// After this the hand-out lapses and the turf is free again (as VAN does).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A hand-out to make.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCheckout {
    pub to_user: Option<UserId>,
    pub team: Option<String>,
    pub session_id: Option<Uuid>,
    pub by: Option<UserId>,
    pub expires_at: OffsetDateTime,
}

/// A turf handed to a canvassing session (issue 6).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionAssignment {
    pub session_id: Uuid,
    /// The team walking it, when the session has several.
    pub team: Option<String>,
    /// The end of the session: the hand-out lapses then.
    pub until: OffsetDateTime,
}

/// A stored turf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Turf {
    pub id: TurfId,
    pub campaign_id: CampaignId,
    pub bureau_id: TerritoryId,
    pub bureau_code: String,
    pub bureau_name: String,
    /// The bureau's place in the territory tree, for scope checks.
    pub bureau_path: TerritoryPath,
    /// 1, 2, 3… within the bureau.
    pub number: u32,
    /// As stored: a lapsed hand-out is still `CheckedOut` here; see [`Turf::effective_status`].
    pub status: TurfStatus,
    pub stops: u32,
    pub doors: u64,
    /// Length of the walk, metres (walking distance when `on_network`, else straight lines).
    pub length_m: f64,
    /// Estimated session length, minutes.
    pub minutes: f64,
    pub on_network: bool,
    /// Polsby–Popper of the turf's convex hull (none below 3 non-collinear stops).
    pub polsby_popper: Option<f64>,
    /// The convex hull of its stops, a GeoJSON `Polygon` geometry in WGS84.
    pub hull: Option<String>,
    /// Bumped whenever its stops or their order change.
    pub revision: u32,
    /// Bumped at every change (stops, status, hand-out), for optimistic concurrency.
    pub lock_version: u32,
    /// Present while checked out (even when the hand-out has lapsed).
    pub checkout: Option<Checkout>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub done_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Turf {
    /// The status at `now`: a checkout whose expiry passed counts as planned.
    pub fn effective_status(&self, now: OffsetDateTime) -> TurfStatus {
        match (&self.status, &self.checkout) {
            (TurfStatus::CheckedOut, Some(c)) if c.expires_at <= now => TurfStatus::Planned,
            (s, _) => *s,
        }
    }

    /// Whether edits must leave it alone at `now` (handed out, or walked).
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        matches!(
            self.effective_status(now),
            TurfStatus::CheckedOut | TurfStatus::Done
        )
    }
}

/// An address that can be a stop: placed in a bureau, with its doors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopCandidate {
    pub address_id: AddressId,
    pub bureau_id: TerritoryId,
    pub lon: f64,
    pub lat: f64,
    pub street: String,
    pub number: Option<String>,
    /// Doors known now: the sum of its buildings' doors (the estimate when it has none).
    pub doors: u32,
}

/// A stop of a bureau's current turfs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanStop {
    pub address_id: AddressId,
    pub turf_id: TurfId,
    /// 1-based place in the turf's walk.
    pub position: u32,
    pub doors: u32,
    /// A door of the address was visited: re-cuts keep it in its turf.
    pub visited: bool,
}

/// A bureau's current turfs (retired ones left out) and their stops.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BureauTurfs {
    pub bureau_id: TerritoryId,
    /// The current version (0: never cut).
    pub version: u32,
    pub turfs: Vec<Turf>,
    pub stops: Vec<PlanStop>,
    /// The number a new turf of the bureau takes (retired turfs keep theirs).
    pub next_number: u32,
}

/// One version of a bureau's turfs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanVersion {
    pub bureau_id: TerritoryId,
    pub version: u32,
    pub kind: PlanKind,
    /// The cutting and walking parameters used.
    pub params: serde_json::Value,
    /// The quality measures of the bureau's turfs after the change.
    pub quality: serde_json::Value,
    /// What changed (turfs written, stops moved, turfs kept because locked…).
    pub summary: serde_json::Value,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A turf to write in a plan change.
#[derive(Clone, Debug, PartialEq)]
pub struct TurfWrite {
    pub id: TurfId,
    /// `None` for a new turf; for an existing one, the `(revision, lock_version)` it was read
    /// at: the save is refused if it moved since (edited or handed out meanwhile).
    pub expected: Option<(u32, u32)>,
    pub number: u32,
    /// Its stops in walking order, each with its doors.
    pub stops: Vec<(AddressId, u32)>,
    pub length_m: f64,
    pub minutes: f64,
    pub on_network: bool,
    pub polsby_popper: Option<f64>,
    pub hull: Option<String>,
}

/// A new version of a bureau's turfs.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanChange {
    pub bureau_id: TerritoryId,
    /// The version the change was computed from (0 for a first cut): the save is refused if
    /// another version was saved since.
    pub base_version: u32,
    pub kind: PlanKind,
    pub params: serde_json::Value,
    pub quality: serde_json::Value,
    pub summary: serde_json::Value,
    /// Turfs created or changed. A stop may only leave a turf that is written here.
    pub write: Vec<TurfWrite>,
    /// Turfs left without stops, with their expected `(revision, lock_version)`: deleted when
    /// never handed out, retired otherwise.
    pub empty: Vec<(TurfId, (u32, u32))>,
}

/// A building of a stop with its named doors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopBuilding {
    pub building: Building,
    pub units: Vec<Unit>,
}

/// A stop of a turf, in walking order, with what a walker needs at the door.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurfStop {
    pub position: u32,
    /// Doors counted when the turf was last cut or edited.
    pub doors: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub visited_at: Option<OffsetDateTime>,
    pub address: Address,
    pub buildings: Vec<StopBuilding>,
}

/// A stop as a map draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StopPoint {
    pub turf_id: TurfId,
    pub address_id: AddressId,
    pub position: u32,
    pub doors: u32,
    pub lon: f64,
    pub lat: f64,
    /// `12 bis Rue Ordener`.
    pub label: String,
    pub visited: bool,
}

/// Which turfs to list.
#[derive(Clone, Debug, PartialEq)]
pub struct TurfQuery {
    /// The caller's scope: turfs of bureaux inside it.
    pub within: Scope,
    /// Only the turfs of this bureau.
    pub bureau: Option<TerritoryId>,
    /// Only the turfs handed to this canvassing session.
    pub session: Option<Uuid>,
    pub include_retired: bool,
}

impl TurfQuery {
    /// The current turfs inside `within`.
    pub fn within(within: Scope) -> Self {
        Self {
            within,
            bureau: None,
            session: None,
            include_retired: false,
        }
    }
}

/// A street network to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewStreetNetwork {
    /// The file it came from.
    pub source: String,
    pub nodes: u64,
    pub edges: u64,
    pub length_km: f64,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// The network, encoded (see `terrain_import::osm`).
    pub data: Vec<u8>,
}

/// A stored street network, without its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreetNetworkInfo {
    pub source: String,
    pub nodes: u64,
    pub edges: u64,
    pub length_km: f64,
    pub bbox: [f64; 4],
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
}

/// Storage of turfs. Implemented by both backends next to [`crate::Store`].
#[async_trait]
pub trait TurfStore: Send + Sync {
    /// The addresses of these bureaux that can be stops (placed in the bureau, with a
    /// position), with their doors, ordered by bureau then address id.
    async fn stop_candidates(
        &self,
        campaign: CampaignId,
        bureaux: &[TerritoryId],
    ) -> Result<Vec<StopCandidate>>;

    /// A bureau's current turfs and stops (empty, version 0, when never cut).
    async fn bureau_turfs(&self, campaign: CampaignId, bureau: TerritoryId) -> Result<BureauTurfs>;

    /// Saves a new version of a bureau's turfs in one transaction. Refused with
    /// [`StorageError::Conflict`](crate::StorageError::Conflict) `turf plan` when another
    /// version was saved since `base_version`, `turf` when a turf changed since it was read,
    /// `turf lock` when a turf it changes is handed out or done; [`StorageError::Invalid`](crate::StorageError::Invalid) when a stop
    /// would leave a turf not written, or an address is not in the bureau.
    async fn save_turf_plan(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        change: &PlanChange,
        now: OffsetDateTime,
    ) -> Result<PlanVersion>;

    /// The versions of a bureau's turfs, newest first.
    async fn turf_plans(
        &self,
        campaign: CampaignId,
        bureau: TerritoryId,
    ) -> Result<Vec<PlanVersion>>;

    /// The current version of every bureau inside `within` that has turfs, by bureau code.
    async fn current_turf_plans(
        &self,
        campaign: CampaignId,
        within: &Scope,
    ) -> Result<Vec<PlanVersion>>;

    /// Turfs matching the query, by bureau code and number.
    async fn turfs(&self, campaign: CampaignId, q: &TurfQuery) -> Result<Vec<Turf>>;

    async fn turf(&self, campaign: CampaignId, id: TurfId) -> Result<Turf>;

    /// A turf's stops in walking order, with their addresses, buildings and named doors: what
    /// a walk sheet prints and a walker's package carries.
    async fn turf_stops(&self, campaign: CampaignId, turf: TurfId) -> Result<Vec<TurfStop>>;

    /// The stops of the turfs matching the query, for a map.
    async fn stop_points(&self, campaign: CampaignId, q: &TurfQuery) -> Result<Vec<StopPoint>>;

    /// Hands a turf out until `checkout.expires_at`. Refused with
    /// [`StorageError::Conflict`](crate::StorageError::Conflict) `turf checkout` when it is
    /// handed out (and the hand-out has not lapsed) or done; `Invalid` when retired or the
    /// expiry is past; `NotFound` `member` when the person is not a member of the campaign.
    async fn check_out_turf(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        turf: TurfId,
        checkout: &NewCheckout,
        now: OffsetDateTime,
    ) -> Result<Turf>;

    /// Ends a hand-out (or reopens a done turf): the turf is planned again. A planned turf is
    /// returned as it is.
    async fn release_turf(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        turf: TurfId,
        now: OffsetDateTime,
    ) -> Result<Turf>;

    /// Marks a turf walked. A done turf is returned as it is.
    async fn finish_turf(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        turf: TurfId,
        now: OffsetDateTime,
    ) -> Result<Turf>;

    /// Issue 6's hook: hands a turf to a canvassing session (and optionally a team) until
    /// the session's end. The same rules as [`TurfStore::check_out_turf`].
    async fn assign_turf_to_session(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        turf: TurfId,
        session: &SessionAssignment,
        now: OffsetDateTime,
    ) -> Result<Turf> {
        self.check_out_turf(
            audit,
            campaign,
            turf,
            &NewCheckout {
                to_user: None,
                team: session.team.clone(),
                session_id: Some(session.session_id),
                by: audit.actor,
                expires_at: session.until,
            },
            now,
        )
        .await
    }

    /// Issue 7's hook: records that doors of these addresses were visited (the first visit
    /// is kept). Addresses in no turf are ignored. Returns how many stops were marked.
    async fn mark_stops_visited(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        addresses: &[AddressId],
        at: OffsetDateTime,
    ) -> Result<u64>;

    /// Stores (or replaces) the campaign's walkable street network.
    async fn put_street_network(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        network: &NewStreetNetwork,
    ) -> Result<StreetNetworkInfo>;

    /// The campaign's street network, if one was imported.
    async fn street_network_info(&self, campaign: CampaignId) -> Result<Option<StreetNetworkInfo>>;

    /// The encoded street network, if one was imported.
    async fn street_network_data(&self, campaign: CampaignId) -> Result<Option<Vec<u8>>>;
}
