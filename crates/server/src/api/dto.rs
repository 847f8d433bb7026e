//! The API's JSON shapes (OSDI names where OSDI has them). Kept apart from the domain and
//! store types so that the wire format changes only on purpose.

use serde::{Deserialize, Serialize};
use terrain_model::{Role, TerritoryKind};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A role in a campaign (`admin` is server-wide).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Admin,
    Director,
    Coordinator,
    Trainer,
    Walker,
    /// Codes open answers, nothing else.
    Coder,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleDto::Admin,
            Role::Director => RoleDto::Director,
            Role::Coordinator => RoleDto::Coordinator,
            Role::Trainer => RoleDto::Trainer,
            Role::Walker => RoleDto::Walker,
            Role::Coder => RoleDto::Coder,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Admin => Role::Admin,
            RoleDto::Director => Role::Director,
            RoleDto::Coordinator => Role::Coordinator,
            RoleDto::Trainer => Role::Trainer,
            RoleDto::Walker => Role::Walker,
            RoleDto::Coder => Role::Coder,
        }
    }
}

/// The level of a territory node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    Region,
    Department,
    Commune,
    Arrondissement,
    Bureau,
    Iris,
}

impl From<TerritoryKind> for KindDto {
    fn from(k: TerritoryKind) -> Self {
        match k {
            TerritoryKind::Region => KindDto::Region,
            TerritoryKind::Department => KindDto::Department,
            TerritoryKind::Commune => KindDto::Commune,
            TerritoryKind::Arrondissement => KindDto::Arrondissement,
            TerritoryKind::Bureau => KindDto::Bureau,
            TerritoryKind::Iris => KindDto::Iris,
        }
    }
}

impl From<KindDto> for TerritoryKind {
    fn from(k: KindDto) -> Self {
        match k {
            KindDto::Region => TerritoryKind::Region,
            KindDto::Department => TerritoryKind::Department,
            KindDto::Commune => TerritoryKind::Commune,
            KindDto::Arrondissement => TerritoryKind::Arrondissement,
            KindDto::Bureau => TerritoryKind::Bureau,
            KindDto::Iris => TerritoryKind::Iris,
        }
    }
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// After this date the campaign's personal data is purged.
    #[serde(with = "terrain_model::campaign::iso_date::option")]
    pub retention_until: Option<Date>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<terrain_model::Campaign> for CampaignDto {
    fn from(c: terrain_model::Campaign) -> Self {
        Self {
            id: c.id.0,
            slug: c.slug.to_string(),
            name: c.name,
            retention_until: c.retention_until,
            created_at: c.created_at,
        }
    }
}

/// A campaign as seen by the caller, with the caller's place in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyCampaignDto {
    pub campaign: CampaignDto,
    pub role: RoleDto,
    /// The caller's territories (empty: the whole campaign).
    pub territories: Vec<ScopeTerritoryDto>,
}

/// A territory of someone's scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeTerritoryDto {
    pub id: Uuid,
    pub kind: KindDto,
    pub code: String,
    pub name: String,
}

impl From<terrain_store::ScopeTerritory> for ScopeTerritoryDto {
    fn from(t: terrain_store::ScopeTerritory) -> Self {
        Self {
            id: t.id.0,
            kind: t.kind.into(),
            code: t.code,
            name: t.name,
        }
    }
}

/// A campaign to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCampaignDto {
    /// Short URL-safe name: lower-case letters, digits, dashes.
    pub slug: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    #[serde(default, with = "terrain_model::campaign::iso_date::option")]
    pub retention_until: Option<Date>,
}

/// A territory node.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryDto {
    pub id: Uuid,
    pub kind: KindDto,
    /// Official code: INSEE commune `75118`, bureau `75056_1801`, IRIS `751186901`…
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// How many nodes sit directly below.
    pub child_count: u64,
}

impl TerritoryDto {
    /// The DTO of a territory with its number of children.
    pub fn new(t: terrain_model::Territory, child_count: u64) -> Self {
        Self {
            id: t.id.0,
            kind: t.kind.into(),
            code: t.code,
            name: t.name,
            parent_id: t.parent_id.map(|p| p.0),
            child_count,
        }
    }
}

/// A territory with the path from its root, for breadcrumbs.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerritoryDetailDto {
    #[serde(flatten)]
    pub territory: TerritoryDto,
    /// Ancestors from the root down to the parent.
    pub ancestors: Vec<TerritoryDto>,
}

/// Filters for listing territories.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TerritoryListParams {
    /// Children of this node; without it, the top of the caller's territory.
    pub parent: Option<Uuid>,
    pub kind: Option<KindDto>,
    /// Part of a name or code.
    pub q: Option<String>,
    /// At most this many (default 500, at most 10,000).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A territory node to create or rename.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTerritoryDto {
    pub kind: KindDto,
    pub code: String,
    pub name: String,
    /// The parent, by kind and code (sent earlier in the same batch or already stored).
    pub parent_kind: Option<KindDto>,
    pub parent_code: Option<String>,
}

/// An address (one stop of a walk).
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressDto {
    pub id: Uuid,
    pub ban_id: Option<String>,
    /// `12 bis Rue Ordener`.
    pub label: String,
    pub postcode: Option<String>,
    pub commune: String,
    pub lon: f64,
    pub lat: f64,
    pub bureau_id: Option<Uuid>,
    pub iris_id: Option<Uuid>,
    pub doors_estimated: u32,
}

impl From<terrain_model::Address> for AddressDto {
    fn from(a: terrain_model::Address) -> Self {
        Self {
            id: a.id.0,
            label: a.label(),
            ban_id: a.fields.ban_id,
            postcode: a.fields.postcode,
            commune: a.fields.commune.to_string(),
            lon: a.fields.lon,
            lat: a.fields.lat,
            bureau_id: a.fields.bureau_id.map(|t| t.0),
            iris_id: a.fields.iris_id.map(|t| t.0),
            doors_estimated: a.fields.doors_estimated,
        }
    }
}

/// Paging for lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A person: who they are, not what they answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: Option<String>,
    pub display_name: String,
    pub is_admin: bool,
}

impl From<terrain_store::User> for UserDto {
    fn from(u: terrain_store::User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.map(|e| e.to_string()),
            display_name: u.display_name,
            is_admin: u.is_admin,
        }
    }
}

/// A member of a campaign, with their place in the pyramid.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub user: UserDto,
    pub role: RoleDto,
    pub territories: Vec<ScopeTerritoryDto>,
    /// Who brought them in.
    pub recruited_by: Option<Uuid>,
    /// Who trained them.
    pub trained_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

impl From<terrain_store::Member> for MemberDto {
    fn from(m: terrain_store::Member) -> Self {
        Self {
            user: m.user.into(),
            role: m.role.into(),
            territories: m.territories.into_iter().map(Into::into).collect(),
            recruited_by: m.recruited_by.map(|u| u.0),
            trained_by: m.trained_by.map(|u| u.0),
            joined_at: m.joined_at,
        }
    }
}

/// A member to add: a new account (e-mail, name, password) or an existing one (e-mail only).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMemberDto {
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// For a new staff account; at least 10 characters.
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<crate::auth::secrets::Password>,
    pub role: RoleDto,
    /// Required for coordinators, trainers and walkers.
    #[serde(default)]
    pub territories: Vec<Uuid>,
    pub trained_by: Option<Uuid>,
}

/// An invitation, without its code (shown once, at creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteDto {
    pub id: Uuid,
    pub role: RoleDto,
    pub territory_id: Uuid,
    /// The territory's name, for people.
    pub territory_name: String,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub max_uses: u32,
    pub uses: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl InviteDto {
    /// The DTO of an invite for a territory named `territory_name`.
    pub fn new(i: terrain_store::Invite, territory_name: String) -> Self {
        Self {
            id: i.id.0,
            role: i.role.into(),
            territory_id: i.territory_id.0,
            territory_name,
            created_by: i.created_by.map(|u| u.0),
            expires_at: i.expires_at,
            max_uses: i.max_uses,
            uses: i.uses,
            created_at: i.created_at,
        }
    }
}

/// An invite to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInviteDto {
    /// Where the newcomers will work.
    pub territory_id: Uuid,
    /// `walker` (default) or `trainer`.
    pub role: Option<RoleDto>,
    /// Hours before the code stops working (default 72, at most 30 days).
    pub expires_in_hours: Option<u32>,
    /// How many people may join with it (default 1, at most 500).
    pub max_uses: Option<u32>,
}

/// A new invite, with its code, link and printable QR code. The code is not shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInviteDto {
    pub invite: InviteDto,
    /// `ABCDE-FGHJK`.
    pub code: String,
    /// The link that opens the field app with the code filled in.
    pub url: String,
    /// The link as a QR code, an SVG document.
    pub qr_svg: String,
}

/// One line of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Option<Uuid>,
    pub source: String,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<terrain_store::AuditEntry> for AuditEntryDto {
    fn from(e: terrain_store::AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor.map(|u| u.0),
            source: e.source,
            action: e.action,
            target: e.target,
            detail: e.detail,
        }
    }
}

/// Paging for the audit log (newest first).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// At most this many (default 100).
    pub limit: Option<u32>,
    /// Entries older than this entry id.
    pub before: Option<Uuid>,
}

/// Sign-in with e-mail and password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginDto {
    pub email: String,
    #[schema(value_type = String, format = Password)]
    pub password: crate::auth::secrets::Password,
}

/// Joining a campaign with an invite code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct JoinDto {
    /// The code, with or without dashes, any case.
    pub code: String,
    /// How the walker wants to be called (a first name is enough).
    pub display_name: String,
}

/// Who is signed in, in which campaigns, and the anti-CSRF token for writes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub user: UserDto,
    /// Echo it in the `x-csrf-token` header on every write (browser sessions only).
    pub csrf_token: Option<String>,
    pub campaigns: Vec<MyCampaignDto>,
}

/// An API token's description.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenDto {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<terrain_store::ApiToken> for ApiTokenDto {
    fn from(t: terrain_store::ApiToken) -> Self {
        Self {
            id: t.id.0,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// An API token to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiTokenDto {
    /// What the token is for (`nightly import`).
    pub name: String,
    /// Days before it expires (none: until revoked).
    pub expires_in_days: Option<u32>,
}

/// A new API token: the secret is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiTokenDto {
    pub token: ApiTokenDto,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The server's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthDto {
    /// `ok` or `degraded`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    pub version: String,
}

/// A CSV file to download: UTF-8 with a byte-order mark (so that spreadsheets read the accents
/// right), served as an attachment named `filename`.
pub fn csv_attachment(bytes: Vec<u8>, filename: &'static str) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(bytes);
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!("attachment; filename=\"{filename}\"");
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
