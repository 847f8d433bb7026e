//! Values going into and out of the store that are not pure domain values: accounts,
//! memberships, sessions, tokens, invites and audit entries.

use serde::{Deserialize, Serialize};
use terrain_model::{
    ApiTokenId, CampaignId, Email, InviteId, Role, Slug, TerritoryId, TerritoryKind, TerritoryPath,
    UserId,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Who is writing, for the audit log. Every write method of the store takes one and records
/// it in the same transaction as the write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    /// The signed-in user, when there is one.
    pub actor: Option<UserId>,
    /// Through which door the write came.
    pub source: AuditSource,
}

impl Audit {
    /// A write by a signed-in user through the API.
    pub fn api(actor: UserId) -> Self {
        Self {
            actor: Some(actor),
            source: AuditSource::Api,
        }
    }

    /// A write from the command line by the machine's operator.
    pub fn cli() -> Self {
        Self {
            actor: None,
            source: AuditSource::Cli,
        }
    }

    /// A write by the server itself (demo seeding, an invite redeemed by a newcomer…).
    pub fn system(source: AuditSource) -> Self {
        Self {
            actor: None,
            source,
        }
    }
}

/// Where an audited write came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditSource {
    Api,
    Cli,
    Demo,
    Invite,
    /// The server applying a campaign's retention date.
    Retention,
}

impl AuditSource {
    /// The stable name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditSource::Api => "api",
            AuditSource::Cli => "cli",
            AuditSource::Demo => "demo",
            AuditSource::Invite => "invite",
            AuditSource::Retention => "retention",
        }
    }
}

/// A campaign to create.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub slug: Slug,
    pub name: String,
    pub retention_until: Option<Date>,
}

/// A territory node to create or update (matched on kind + code). The parent is named by its
/// kind and code so that importers, which know codes, can send a whole tree in one batch,
/// parents first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewTerritory {
    pub kind: TerritoryKind,
    pub code: String,
    pub name: String,
    pub parent: Option<(TerritoryKind, String)>,
}

/// Which territories to list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TerritoryQuery {
    /// Only the children of this node (`None`: no parent filter).
    pub parent: Option<TerritoryId>,
    /// Only the roots of the tree.
    pub roots_only: bool,
    pub kind: Option<TerritoryKind>,
    /// Only nodes inside one of these paths (the caller's scope); `None` means no restriction.
    pub within: Option<Vec<TerritoryPath>>,
    /// Case-insensitive substring of the name or code.
    pub search: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// A person who can sign in. Server-wide: one account may be a member of several campaigns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Staff sign in by e-mail; walkers who joined by invite may have none.
    pub email: Option<Email>,
    pub display_name: String,
    /// Server administrators manage campaigns and every campaign's data.
    pub is_admin: bool,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A user with the secret needed to check a password. Never serialised.
#[derive(Clone, PartialEq)]
pub struct UserCredentials {
    pub user: User,
    /// The argon2id PHC string, when the user has a password.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// An account to create.
#[derive(Clone, PartialEq)]
pub struct NewUser {
    pub email: Option<Email>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("is_admin", &self.is_admin)
            .finish()
    }
}

/// A user's place in a campaign: role, territories, and place in the pyramid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub campaign_id: CampaignId,
    pub user: User,
    pub role: Role,
    /// The territories the member works in (empty for directors: the whole campaign).
    pub territories: Vec<ScopeTerritory>,
    /// Who brought this member in.
    pub recruited_by: Option<UserId>,
    /// Who trained this member.
    pub trained_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

/// A territory in a member's scope, with what is needed to check containment and show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeTerritory {
    pub id: TerritoryId,
    pub kind: TerritoryKind,
    pub code: String,
    pub name: String,
    pub path: TerritoryPath,
}

/// A membership to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    pub user_id: UserId,
    pub role: Role,
    pub territories: Vec<TerritoryId>,
    pub recruited_by: Option<UserId>,
    pub trained_by: Option<UserId>,
}

/// A browser session, found by the hash of its cookie value.
#[derive(Clone, PartialEq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    /// The anti-CSRF token the browser must echo on writes.
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A bearer token for scripts, found by the hash of its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// An invitation to join a campaign as a walker (or trainer), redeemed with a short code.
/// Only the hash of the code is stored: the code itself is shown once, at creation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    pub id: InviteId,
    pub campaign_id: CampaignId,
    pub created_by: Option<UserId>,
    pub role: Role,
    pub territory_id: TerritoryId,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub max_uses: u32,
    pub uses: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// An invite to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewInvite {
    pub code_hash: String,
    pub created_by: Option<UserId>,
    pub role: Role,
    pub territory_id: TerritoryId,
    pub expires_at: OffsetDateTime,
    pub max_uses: u32,
}

/// One line of the audit log: who did what, when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub campaign_id: Option<CampaignId>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Option<UserId>,
    pub source: String,
    /// `campaign.create`, `member.add`, `invite.redeem`…
    pub action: String,
    /// The id of what was written.
    pub target: String,
    pub detail: serde_json::Value,
}

/// A member's visibility, as the store needs it to filter lists: the whole campaign or some
/// territories (and everything below them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Campaign,
    Within(Vec<TerritoryPath>),
}

impl Scope {
    /// True when the node at `path` is visible.
    pub fn covers(&self, path: &TerritoryPath) -> bool {
        match self {
            Scope::Campaign => true,
            Scope::Within(paths) => paths.iter().any(|p| p.contains(path)),
        }
    }
}

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}
