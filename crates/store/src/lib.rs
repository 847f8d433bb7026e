//! Terrain's storage: one [`Store`] trait, a SQLite backend (embedded, the default) and a
//! PostgreSQL backend (for campaigns that outgrow one machine), chosen from the database URL.
//!
//! Both backends share their SQL text (sqlx, `$1` placeholders) through one implementation
//! macro; each has its own migrations, embedded in the binary and run at start. Every
//! campaign-owned table is keyed by `campaign_id` first, so that a national deployment can
//! partition or distribute by campaign. The identity tables (users, sessions, API tokens) are
//! server-wide: one person may work on several campaigns.
//!
//! Every write takes an [`Audit`] and appends to the audit log in the same transaction.
//!
//! Callers bring the traits into scope with `use terrain_store::prelude::*`.

/// The storage traits, to call their methods on an `Arc<dyn Store>`.
pub mod prelude {
    pub use crate::PrivacyStore;
    pub use crate::TurfStore;
    pub use crate::{
        DiagnosticStore, ElectoralStore, FieldStore, Store, SurveyStore, VolunteerStore,
    };
}

pub mod backup;
mod diagnostic;
mod electoral;
mod error;
mod field;
mod postgres;
mod privacy;
mod sql;
mod sql_diagnostic;
mod sql_electoral;
mod sql_field;
mod sql_privacy;
mod sql_survey;
mod sql_volunteers;
mod sqlite;
mod survey;
mod types;
mod volunteers;

mod sql_turfs;
mod turfs;

#[cfg(any(test, feature = "testing"))]
pub mod contract;
#[cfg(any(test, feature = "testing"))]
pub mod contract_field;
#[cfg(any(test, feature = "testing"))]
pub mod contract_privacy;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use async_trait::async_trait;
use std::sync::Arc;
use terrain_model::{
    Address, AddressId, ApiTokenId, Building, Campaign, CampaignId, Email, NewAddress, Slug,
    Territory, TerritoryId, TerritoryKind, TerritoryPath, Unit, UserId,
};
use time::OffsetDateTime;

pub use diagnostic::*;
pub use electoral::*;
pub use error::{Fault, Result, StorageError, redact_url};
pub use field::*;
pub use postgres::PgStore;
pub use privacy::*;
pub use sqlite::SqliteStore;
pub use survey::*;
pub use turfs::*;
pub use types::*;
pub use volunteers::*;

/// Everything Terrain keeps. Implemented by [`SqliteStore`] and [`PgStore`]; the contract
/// suite in [`contract`] is run against both. The official data (results, census, shapes) is
/// in the [`ElectoralStore`] part, turfs and walk routes in the [`TurfStore`] part, questionnaires
/// and field work in the [`FieldStore`] part.
#[async_trait]
pub trait Store:
    DiagnosticStore
    + ElectoralStore
    + FieldStore
    + SurveyStore
    + VolunteerStore
    + TurfStore
    + PrivacyStore
    + Send
    + Sync
    + 'static
{
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    // ── campaigns ──────────────────────────────────────────────────────────────
    async fn create_campaign(&self, audit: &Audit, new: &NewCampaign) -> Result<Campaign>;
    async fn campaign(&self, id: CampaignId) -> Result<Campaign>;
    async fn campaign_by_slug(&self, slug: &Slug) -> Result<Campaign>;
    async fn campaigns(&self) -> Result<Vec<Campaign>>;

    // ── territory tree ─────────────────────────────────────────────────────────
    /// Creates or renames territories (matched on kind + code), parents before children, in
    /// one transaction: either all are stored or none.
    async fn upsert_territories(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        items: &[NewTerritory],
    ) -> Result<Vec<Territory>>;
    async fn territory(&self, campaign: CampaignId, id: TerritoryId) -> Result<Territory>;
    async fn territory_by_code(
        &self,
        campaign: CampaignId,
        kind: TerritoryKind,
        code: &str,
    ) -> Result<Territory>;
    /// Territories matching the query, from the top of the tree down (region, department,
    /// commune, arrondissement, bureau, IRIS), then by code.
    async fn territories(&self, campaign: CampaignId, q: &TerritoryQuery)
    -> Result<Vec<Territory>>;
    /// How many children each of these territories has.
    async fn child_counts(
        &self,
        campaign: CampaignId,
        ids: &[TerritoryId],
    ) -> Result<Vec<(TerritoryId, u64)>>;

    // ── addresses, buildings, doors ────────────────────────────────────────────
    /// Stores addresses (one building each, with the estimated doors), in one transaction.
    /// An address whose BAN id is already stored is left as it is (re-import changes nothing).
    async fn add_addresses(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        items: &[NewAddress],
    ) -> Result<Vec<AddressId>>;
    /// Addresses whose bureau or IRIS lies inside `within`, ordered by street and number.
    async fn addresses_within(
        &self,
        campaign: CampaignId,
        within: &TerritoryPath,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Address>>;
    async fn address(&self, campaign: CampaignId, id: AddressId) -> Result<Address>;
    async fn buildings(&self, campaign: CampaignId, address: AddressId) -> Result<Vec<Building>>;
    /// Adds a door to a building (a walker found one the estimate missed).
    async fn add_unit(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        building: terrain_model::BuildingId,
        floor: Option<i32>,
        label: &str,
    ) -> Result<Unit>;
    async fn units(
        &self,
        campaign: CampaignId,
        building: terrain_model::BuildingId,
    ) -> Result<Vec<Unit>>;

    // ── accounts ───────────────────────────────────────────────────────────────
    async fn create_user(&self, audit: &Audit, new: &NewUser) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<User>;
    /// The account and its password hash, for sign-in.
    async fn credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>>;
    async fn set_password(&self, audit: &Audit, user: UserId, password_hash: &str) -> Result<()>;
    /// Every account (for server administration), ordered by creation.
    async fn users(&self) -> Result<Vec<User>>;

    // ── memberships and the pyramid ────────────────────────────────────────────
    async fn add_member(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewMember,
    ) -> Result<Member>;
    async fn member(&self, campaign: CampaignId, user: UserId) -> Result<Member>;
    /// Members visible from `scope`: those with a territory inside it (all for the campaign).
    async fn members(&self, campaign: CampaignId, scope: &Scope) -> Result<Vec<Member>>;
    /// The campaigns a user belongs to, with the membership.
    async fn memberships_of(&self, user: UserId) -> Result<Vec<(Campaign, Member)>>;

    // ── sessions and tokens ────────────────────────────────────────────────────
    async fn create_session(&self, session: &Session) -> Result<()>;
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Removes sessions that expired before `now`; returns how many.
    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64>;
    async fn create_api_token(
        &self,
        audit: &Audit,
        token: &ApiToken,
        token_hash: &str,
    ) -> Result<()>;
    async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>>;
    async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(
        &self,
        audit: &Audit,
        user: UserId,
        id: ApiTokenId,
        now: OffsetDateTime,
    ) -> Result<()>;

    // ── invites ────────────────────────────────────────────────────────────────
    async fn create_invite(
        &self,
        audit: &Audit,
        campaign: CampaignId,
        new: &NewInvite,
    ) -> Result<Invite>;
    /// Invites whose territory is inside `scope`, newest first.
    async fn invites(&self, campaign: CampaignId, scope: &Scope) -> Result<Vec<Invite>>;
    /// Redeems an invite: checks expiry and uses, creates the account and its membership,
    /// counts the use — all in one transaction, so two phones racing for the last use cannot
    /// both get in.
    async fn redeem_invite(
        &self,
        code_hash: &str,
        display_name: &str,
        now: OffsetDateTime,
    ) -> Result<(Campaign, Member)>;

    // ── audit ──────────────────────────────────────────────────────────────────
    /// The campaign's audit log, newest first, `limit` entries older than `before`.
    async fn audit_log(
        &self,
        campaign: CampaignId,
        limit: u32,
        before: Option<uuid::Uuid>,
    ) -> Result<Vec<AuditEntry>>;
}

/// Opens the database named by `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`),
/// runs the embedded migrations, and returns the store.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StorageError::BadUrl(redact_url(url)))
    }
}
