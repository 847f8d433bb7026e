//! The SQL both backends share. sqlx runs the same text (with `$1` placeholders) on SQLite and
//! PostgreSQL; only the pool type differs, so the implementation is written once, in
//! [`sql_store!`], and instantiated for each backend. Row structs decode on both.

pub(crate) use crate::error::{Result, StorageError};
pub(crate) use crate::types::*;
pub(crate) use terrain_model::{
    Address, AddressId, ApiTokenId, Building, BuildingId, Campaign, CampaignId, CommuneCode, Email,
    InviteId, NewAddress, Role, Slug, Territory, TerritoryId, TerritoryKind, TerritoryPath, Unit,
    UnitId, UserId,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StorageError {
    StorageError::Invalid {
        what,
        reason: format!("stored value cannot be read back: {reason}"),
    }
}

/// Maps "no row" to a [`StorageError::NotFound`] naming the thing and its key.
pub(crate) fn not_found(
    what: &'static str,
    key: impl std::fmt::Display,
) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |e| match e {
        sqlx::Error::RowNotFound => StorageError::NotFound {
            what,
            key: key.to_string(),
        },
        other => other.into(),
    }
}

/// The condition "`col` is `path` or lies below it", bound into a query builder. Paths are
/// ASCII, so character and byte lengths agree on both databases.
pub(crate) fn push_within<DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<DB>,
    col: &str,
    paths: &[TerritoryPath],
) where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i32: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if paths.is_empty() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(" AND (");
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        let prefix = format!("{}/", p.as_str());
        qb.push(format!("({col} = "));
        qb.push_bind(p.as_str().to_string());
        qb.push(format!(" OR substr({col}, 1, "));
        qb.push_bind(prefix.len() as i32);
        qb.push(") = ");
        qb.push_bind(prefix);
        qb.push(")");
    }
    qb.push(")");
}

#[derive(sqlx::FromRow)]
pub(crate) struct CampaignRow {
    id: Uuid,
    slug: String,
    name: String,
    retention_until: Option<Date>,
    created_at: OffsetDateTime,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = StorageError;
    fn try_from(r: CampaignRow) -> Result<Self> {
        Ok(Campaign {
            id: CampaignId(r.id),
            slug: Slug::parse(&r.slug).map_err(|e| corrupt("campaign", e))?,
            name: r.name,
            retention_until: r.retention_until,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TerritoryRow {
    campaign_id: Uuid,
    id: Uuid,
    kind: String,
    code: String,
    name: String,
    parent_id: Option<Uuid>,
    path: String,
}

impl TryFrom<TerritoryRow> for Territory {
    type Error = StorageError;
    fn try_from(r: TerritoryRow) -> Result<Self> {
        Ok(Territory {
            id: TerritoryId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            kind: r.kind.parse().map_err(|e| corrupt("territory", e))?,
            code: r.code,
            name: r.name,
            parent_id: r.parent_id.map(TerritoryId),
            path: TerritoryPath::from_stored(r.path),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AddressRow {
    campaign_id: Uuid,
    id: Uuid,
    ban_id: Option<String>,
    number: Option<String>,
    rep: Option<String>,
    street: String,
    postcode: Option<String>,
    commune: String,
    lon: f64,
    lat: f64,
    bureau_id: Option<Uuid>,
    iris_id: Option<Uuid>,
    doors_estimated: i64,
}

impl TryFrom<AddressRow> for Address {
    type Error = StorageError;
    fn try_from(r: AddressRow) -> Result<Self> {
        Ok(Address {
            id: AddressId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            fields: NewAddress {
                ban_id: r.ban_id,
                number: r.number,
                rep: r.rep,
                street: r.street,
                postcode: r.postcode,
                commune: CommuneCode::parse(&r.commune).map_err(|e| corrupt("address", e))?,
                lon: r.lon,
                lat: r.lat,
                bureau_id: r.bureau_id.map(TerritoryId),
                iris_id: r.iris_id.map(TerritoryId),
                doors_estimated: u32::try_from(r.doors_estimated).unwrap_or(0),
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct BuildingRow {
    campaign_id: Uuid,
    id: Uuid,
    address_id: Uuid,
    label: String,
    doors: i32,
}

impl From<BuildingRow> for Building {
    fn from(r: BuildingRow) -> Self {
        Building {
            id: BuildingId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            address_id: AddressId(r.address_id),
            label: r.label,
            doors: u32::try_from(r.doors).unwrap_or(0),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UnitRow {
    campaign_id: Uuid,
    id: Uuid,
    building_id: Uuid,
    floor: Option<i32>,
    label: String,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            id: UnitId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            building_id: BuildingId(r.building_id),
            floor: r.floor,
            label: r.label,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: Option<String>,
    display_name: String,
    password_hash: Option<String>,
    is_admin: bool,
    disabled: bool,
    created_at: OffsetDateTime,
}

impl TryFrom<UserRow> for UserCredentials {
    type Error = StorageError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(UserCredentials {
            user: User {
                id: UserId(r.id),
                email: r
                    .email
                    .as_deref()
                    .map(Email::parse)
                    .transpose()
                    .map_err(|e| corrupt("user", e))?,
                display_name: r.display_name,
                is_admin: r.is_admin,
                disabled: r.disabled,
                created_at: r.created_at,
            },
            password_hash: r.password_hash,
        })
    }
}

impl TryFrom<UserRow> for User {
    type Error = StorageError;
    fn try_from(r: UserRow) -> Result<Self> {
        UserCredentials::try_from(r).map(|c| c.user)
    }
}

/// A membership joined with its user.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    campaign_id: Uuid,
    role: String,
    recruited_by: Option<Uuid>,
    trained_by: Option<Uuid>,
    joined_at: OffsetDateTime,
    #[sqlx(flatten)]
    user: UserRow,
}

impl MemberRow {
    pub(crate) fn into_member(self, territories: Vec<ScopeTerritory>) -> Result<Member> {
        Ok(Member {
            campaign_id: CampaignId(self.campaign_id),
            role: self
                .role
                .parse::<Role>()
                .map_err(|e| corrupt("membership", e))?,
            user: User::try_from(self.user)?,
            territories,
            recruited_by: self.recruited_by.map(UserId),
            trained_by: self.trained_by.map(UserId),
            joined_at: self.joined_at,
        })
    }

    pub(crate) fn user_id(&self) -> Uuid {
        self.user.id
    }
}

/// A scope territory of some member.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberTerritoryRow {
    user_id: Uuid,
    id: Uuid,
    kind: String,
    code: String,
    name: String,
    path: String,
}

impl MemberTerritoryRow {
    pub(crate) fn user_id(&self) -> Uuid {
        self.user_id
    }

    pub(crate) fn into_scope(self) -> Result<ScopeTerritory> {
        Ok(ScopeTerritory {
            id: TerritoryId(self.id),
            kind: self
                .kind
                .parse::<TerritoryKind>()
                .map_err(|e| corrupt("territory", e))?,
            code: self.code,
            name: self.name,
            path: TerritoryPath::from_stored(self.path),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    token_hash: String,
    user_id: Uuid,
    csrf_token: String,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            token_hash: r.token_hash,
            user_id: UserId(r.user_id),
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(r: ApiTokenRow) -> Self {
        ApiToken {
            id: ApiTokenId(r.id),
            user_id: UserId(r.user_id),
            name: r.name,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    campaign_id: Uuid,
    id: Uuid,
    created_by: Option<Uuid>,
    role: String,
    territory_id: Uuid,
    expires_at: OffsetDateTime,
    max_uses: i32,
    uses: i32,
    created_at: OffsetDateTime,
}

impl TryFrom<InviteRow> for Invite {
    type Error = StorageError;
    fn try_from(r: InviteRow) -> Result<Self> {
        Ok(Invite {
            id: InviteId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            created_by: r.created_by.map(UserId),
            role: r.role.parse().map_err(|e| corrupt("invite", e))?,
            territory_id: TerritoryId(r.territory_id),
            expires_at: r.expires_at,
            max_uses: u32::try_from(r.max_uses).unwrap_or(0),
            uses: u32::try_from(r.uses).unwrap_or(0),
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    campaign_id: Option<Uuid>,
    at: OffsetDateTime,
    actor_id: Option<Uuid>,
    source: String,
    action: String,
    target: String,
    detail: sqlx::types::Json<serde_json::Value>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            campaign_id: r.campaign_id.map(CampaignId),
            at: r.at,
            actor: r.actor_id.map(UserId),
            source: r.source,
            action: r.action,
            target: r.target,
            detail: r.detail.0,
        }
    }
}

pub(crate) const TERRITORY_COLS: &str = "campaign_id, id, kind, code, name, parent_id, path";
pub(crate) const ADDRESS_COLS: &str = "a.campaign_id, a.id, a.ban_id, a.number, a.rep, a.street, \
     a.postcode, a.commune, a.lon, a.lat, a.bureau_id, a.iris_id, a.doors_estimated";
pub(crate) const USER_COLS: &str =
    "u.id, u.email, u.display_name, u.password_hash, u.is_admin, u.disabled, u.created_at";

/// Escapes `%`, `_` and backslashes so that user text matches literally in `LIKE … ESCAPE`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Checks a territory batch item and gives its normalised code.
pub(crate) fn check_territory(item: &NewTerritory) -> Result<String> {
    let code = item
        .kind
        .normalise_code(&item.code)
        .map_err(|e| StorageError::Invalid {
            what: "territory",
            reason: e.to_string(),
        })?;
    if item.name.trim().is_empty() || item.name.contains('\0') {
        return Err(StorageError::Invalid {
            what: "territory",
            reason: format!(
                "{} {code} has no name (or a NUL character in it)",
                item.kind
            ),
        });
    }
    Ok(code)
}

/// Checks that `child` may sit under `parent`.
pub(crate) fn check_nesting(parent: TerritoryKind, child: TerritoryKind, code: &str) -> Result<()> {
    if parent.allowed_children().contains(&child) {
        Ok(())
    } else {
        Err(StorageError::Invalid {
            what: "territory",
            reason: format!("a {child} ({code}) cannot be placed under a {parent}"),
        })
    }
}

/// Generates `impl Store` for a backend struct with a `pool` field of the backend's pool type.
macro_rules! sql_store {
    ($store:ident, $db:ty, $backend:expr) => {
        impl $store {
            async fn write_audit(
                tx: &mut sqlx::Transaction<'static, $db>,
                audit: &$crate::types::Audit,
                campaign: Option<uuid::Uuid>,
                action: &str,
                target: String,
                detail: serde_json::Value,
            ) -> $crate::error::Result<()> {
                sqlx::query(
                    "INSERT INTO audit_log (id, campaign_id, at, actor_id, source, action, target, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(campaign)
                .bind(time::OffsetDateTime::now_utc())
                .bind(audit.actor.map(|u| u.0))
                .bind(audit.source.as_str())
                .bind(action)
                .bind(target)
                .bind(sqlx::types::Json(detail))
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Members of a campaign (one user, or all), with their scope territories.
            async fn load_members(
                &self,
                campaign: uuid::Uuid,
                user: Option<uuid::Uuid>,
            ) -> $crate::error::Result<Vec<$crate::types::Member>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT m.campaign_id, m.role, m.recruited_by, m.trained_by, m.created_at AS joined_at, {USER_COLS} \
                     FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.campaign_id = "
                ));
                qb.push_bind(campaign);
                if let Some(u) = user {
                    qb.push(" AND m.user_id = ");
                    qb.push_bind(u);
                }
                qb.push(" ORDER BY m.created_at, u.id");
                let rows: Vec<MemberRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT mt.user_id, t.id, t.kind, t.code, t.name, t.path \
                     FROM membership_territories mt JOIN territories t \
                       ON t.campaign_id = mt.campaign_id AND t.id = mt.territory_id \
                     WHERE mt.campaign_id = ",
                );
                qb.push_bind(campaign);
                if let Some(u) = user {
                    qb.push(" AND mt.user_id = ");
                    qb.push_bind(u);
                }
                qb.push(" ORDER BY t.path");
                let scopes: Vec<MemberTerritoryRow> =
                    qb.build_query_as().fetch_all(&self.pool).await?;
                let mut by_user: std::collections::HashMap<uuid::Uuid, Vec<ScopeTerritory>> =
                    std::collections::HashMap::new();
                for s in scopes {
                    let uid = s.user_id();
                    by_user.entry(uid).or_default().push(s.into_scope()?);
                }
                rows.into_iter()
                    .map(|r| {
                        let t = by_user.remove(&r.user_id()).unwrap_or_default();
                        r.into_member(t)
                    })
                    .collect()
            }
        }

        impl $store {
            /// Creates or renames territories (matched on kind + code) inside `tx`, in bulk:
            /// the campaign's tree is read once, new nodes are inserted many rows at a time.
            /// Returns the nodes in input order and how many were created.
            pub(crate) async fn upsert_territories_tx(
                tx: &mut sqlx::Transaction<'static, $db>,
                campaign: CampaignId,
                items: &[$crate::types::NewTerritory],
            ) -> $crate::error::Result<(Vec<Territory>, u64)> {
                let rows: Vec<TerritoryRow> = sqlx::query_as(
                    "SELECT campaign_id, id, kind, code, name, parent_id, path FROM territories WHERE campaign_id = $1")
                    .bind(campaign.0).fetch_all(&mut **tx).await?;
                let mut known: std::collections::HashMap<(TerritoryKind, String), Territory> =
                    std::collections::HashMap::with_capacity(rows.len() + items.len());
                for r in rows {
                    let t = Territory::try_from(r)?;
                    known.insert((t.kind, t.code.clone()), t);
                }
                let mut out = Vec::with_capacity(items.len());
                let mut new: Vec<Territory> = Vec::new();
                let mut renames: Vec<(TerritoryId, String)> = Vec::new();
                for item in items {
                    let code = check_territory(item)?;
                    let parent = match &item.parent {
                        None => None,
                        Some((pkind, pcode)) => {
                            let pcode = pkind.normalise_code(pcode).map_err(|e| StorageError::Invalid {
                                what: "territory", reason: format!("parent of {} {code}: {e}", item.kind),
                            })?;
                            match known.get(&(*pkind, pcode.clone())) {
                                Some(p) => Some(p.clone()),
                                None => return Err(StorageError::Invalid {
                                    what: "territory",
                                    reason: format!("parent {pkind} {pcode} of {} {code} does not exist (send parents first)", item.kind),
                                }),
                            }
                        }
                    };
                    if let Some(p) = &parent {
                        check_nesting(p.kind, item.kind, &code)?;
                    }
                    let name = item.name.trim().to_string();
                    let key = (item.kind, code.clone());
                    let t = match known.get_mut(&key) {
                        Some(t) => {
                            if t.parent_id != parent.as_ref().map(|p| p.id) {
                                return Err(StorageError::Invalid {
                                    what: "territory",
                                    reason: format!("{} {code} already exists under another parent", item.kind),
                                });
                            }
                            if t.name != name {
                                t.name = name;
                                renames.push((t.id, t.name.clone()));
                            }
                            t.clone()
                        }
                        None => {
                            let path = match &parent {
                                Some(p) => p.path.child(item.kind, &code),
                                None => TerritoryPath::root(item.kind, &code),
                            };
                            let t = Territory {
                                id: TerritoryId::new(),
                                campaign_id: campaign,
                                kind: item.kind,
                                code,
                                name,
                                parent_id: parent.as_ref().map(|p| p.id),
                                path,
                            };
                            known.insert(key, t.clone());
                            new.push(t.clone());
                            t
                        }
                    };
                    out.push(t);
                }
                for chunk in new.chunks(1000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO territories (campaign_id, id, kind, code, name, parent_id, path) ");
                    qb.push_values(chunk, |mut b, t| {
                        b.push_bind(campaign.0).push_bind(t.id.0).push_bind(t.kind.as_str()).push_bind(t.code.clone())
                            .push_bind(t.name.clone()).push_bind(t.parent_id.map(|p| p.0)).push_bind(t.path.as_str().to_string());
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                for (id, name) in &renames {
                    sqlx::query("UPDATE territories SET name = $1 WHERE campaign_id = $2 AND id = $3")
                        .bind(name).bind(campaign.0).bind(id.0).execute(&mut **tx).await?;
                }
                Ok((out, new.len() as u64))
            }
        }

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::types::Backend {
                $backend
            }

            async fn ping(&self) -> $crate::error::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(skip(self, audit))]
            async fn create_campaign(
                &self,
                audit: &$crate::types::Audit,
                new: &$crate::types::NewCampaign,
            ) -> $crate::error::Result<terrain_model::Campaign> {
                if new.name.trim().is_empty() || new.name.contains('\0') {
                    return Err(StorageError::Invalid { what: "campaign", reason: "the name is empty or has a NUL character".into() });
                }
                let id = CampaignId::new();
                let now = time::OffsetDateTime::now_utc();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO campaigns (id, slug, name, retention_until, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id.0)
                    .bind(new.slug.as_str())
                    .bind(new.name.trim())
                    .bind(new.retention_until)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match StorageError::from(e) {
                        StorageError::Conflict { .. } => StorageError::Conflict { what: "campaign", key: new.slug.to_string() },
                        other => other,
                    })?;
                Self::write_audit(&mut tx, audit, Some(id.0), "campaign.create", id.to_string(),
                    serde_json::json!({"slug": new.slug, "name": new.name})).await?;
                tx.commit().await?;
                self.campaign(id).await
            }

            async fn campaign(&self, id: CampaignId) -> $crate::error::Result<Campaign> {
                let row: CampaignRow = sqlx::query_as("SELECT id, slug, name, retention_until, created_at FROM campaigns WHERE id = $1")
                    .bind(id.0)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(not_found("campaign", id))?;
                row.try_into()
            }

            async fn campaign_by_slug(&self, slug: &Slug) -> $crate::error::Result<Campaign> {
                let row: CampaignRow = sqlx::query_as("SELECT id, slug, name, retention_until, created_at FROM campaigns WHERE slug = $1")
                    .bind(slug.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(not_found("campaign", slug))?;
                row.try_into()
            }

            async fn campaigns(&self) -> $crate::error::Result<Vec<Campaign>> {
                let rows: Vec<CampaignRow> = sqlx::query_as("SELECT id, slug, name, retention_until, created_at FROM campaigns ORDER BY name, id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip(self, audit, items), fields(n = items.len()))]
            async fn upsert_territories(
                &self,
                audit: &$crate::types::Audit,
                campaign: CampaignId,
                items: &[$crate::types::NewTerritory],
            ) -> $crate::error::Result<Vec<Territory>> {
                self.campaign(campaign).await?;
                let mut tx = self.begin_write().await?;
                let (out, created) = Self::upsert_territories_tx(&mut tx, campaign, items).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "territory.upsert", campaign.to_string(),
                    serde_json::json!({"items": items.len(), "created": created})).await?;
                tx.commit().await?;
                Ok(out)
            }

            async fn territory(&self, campaign: CampaignId, id: TerritoryId) -> $crate::error::Result<Territory> {
                let row: TerritoryRow = sqlx::query_as(
                    "SELECT campaign_id, id, kind, code, name, parent_id, path FROM territories WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id.0)
                    .fetch_one(&self.pool).await
                    .map_err(not_found("territory", id))?;
                row.try_into()
            }

            async fn territory_by_code(&self, campaign: CampaignId, kind: TerritoryKind, code: &str) -> $crate::error::Result<Territory> {
                let code = kind.normalise_code(code).map_err(|e| StorageError::NotFound { what: "territory", key: e.to_string() })?;
                let row: TerritoryRow = sqlx::query_as(
                    "SELECT campaign_id, id, kind, code, name, parent_id, path FROM territories WHERE campaign_id = $1 AND kind = $2 AND code = $3")
                    .bind(campaign.0).bind(kind.as_str()).bind(&code)
                    .fetch_one(&self.pool).await
                    .map_err(not_found("territory", format!("{kind} {code}")))?;
                row.try_into()
            }

            async fn territories(&self, campaign: CampaignId, q: &$crate::types::TerritoryQuery) -> $crate::error::Result<Vec<Territory>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT {TERRITORY_COLS} FROM territories WHERE campaign_id = "));
                qb.push_bind(campaign.0);
                if let Some(p) = q.parent {
                    qb.push(" AND parent_id = ");
                    qb.push_bind(p.0);
                }
                if q.roots_only {
                    qb.push(" AND parent_id IS NULL");
                }
                if let Some(k) = q.kind {
                    qb.push(" AND kind = ");
                    qb.push_bind(k.as_str());
                }
                if let Some(paths) = &q.within {
                    push_within(&mut qb, "path", paths);
                }
                if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    let pattern = format!("%{}%", like_escape(&s.to_lowercase()));
                    qb.push(" AND (lower(name) LIKE ");
                    qb.push_bind(pattern.clone());
                    qb.push(" ESCAPE '\\' OR lower(code) LIKE ");
                    qb.push_bind(pattern);
                    qb.push(" ESCAPE '\\')");
                }
                qb.push(" ORDER BY CASE kind WHEN 'region' THEN 0 WHEN 'department' THEN 1 WHEN 'commune' THEN 2 WHEN 'arrondissement' THEN 3 WHEN 'bureau' THEN 4 ELSE 5 END, code LIMIT ");
                qb.push_bind(i64::from(if q.limit == 0 { 1000 } else { q.limit.min(10_000) }));
                qb.push(" OFFSET ");
                qb.push_bind(i64::from(q.offset));
                let rows: Vec<TerritoryRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn child_counts(&self, campaign: CampaignId, ids: &[TerritoryId]) -> $crate::error::Result<Vec<(TerritoryId, u64)>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT parent_id, COUNT(*) AS n FROM territories WHERE campaign_id = ");
                qb.push_bind(campaign.0);
                qb.push(" AND parent_id IN (");
                let mut sep = qb.separated(", ");
                for id in ids {
                    sep.push_bind(id.0);
                }
                qb.push(") GROUP BY parent_id");
                let rows: Vec<(uuid::Uuid, i64)> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(id, n)| (TerritoryId(id), u64::try_from(n).unwrap_or(0))).collect())
            }

            #[tracing::instrument(skip(self, audit, items), fields(n = items.len()))]
            async fn add_addresses(&self, audit: &$crate::types::Audit, campaign: CampaignId, items: &[terrain_model::NewAddress]) -> $crate::error::Result<Vec<AddressId>> {
                self.campaign(campaign).await?;
                for (i, a) in items.iter().enumerate() {
                    if !(a.lon.is_finite() && a.lat.is_finite() && (-180.0..=180.0).contains(&a.lon) && (-90.0..=90.0).contains(&a.lat)) {
                        return Err(StorageError::Invalid { what: "address", reason: format!("item {i} ({}): position ({}, {}) is not a longitude/latitude", a.street, a.lon, a.lat) });
                    }
                }
                let mut tx = self.begin_write().await?;
                let mut ids = Vec::with_capacity(items.len());
                let mut created = 0u64;
                for chunk in items.chunks(1000) {
                    let fresh: Vec<AddressId> = chunk.iter().map(|_| AddressId::new()).collect();
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO addresses (campaign_id, id, ban_id, number, rep, street, postcode, commune, lon, lat, bureau_id, iris_id, doors_estimated) ");
                    qb.push_values(chunk.iter().zip(&fresh), |mut b, (a, id)| {
                        b.push_bind(campaign.0).push_bind(id.0).push_bind(a.ban_id.clone()).push_bind(a.number.clone())
                            .push_bind(a.rep.clone()).push_bind(a.street.clone()).push_bind(a.postcode.clone())
                            .push_bind(a.commune.as_str().to_string()).push_bind(a.lon).push_bind(a.lat)
                            .push_bind(a.bureau_id.map(|t| t.0)).push_bind(a.iris_id.map(|t| t.0))
                            .push_bind(i64::from(a.doors_estimated));
                    });
                    qb.push(" ON CONFLICT (campaign_id, ban_id) DO NOTHING RETURNING id");
                    let inserted: std::collections::HashSet<uuid::Uuid> = qb.build_query_as::<(uuid::Uuid,)>()
                        .fetch_all(&mut *tx).await?.into_iter().map(|(u,)| u).collect();
                    // Addresses already stored (same BAN id) keep their id and buildings.
                    let existing: std::collections::HashMap<String, uuid::Uuid> = {
                        let missing: Vec<&str> = chunk.iter().zip(&fresh)
                            .filter(|(_, id)| !inserted.contains(&id.0))
                            .filter_map(|(a, _)| a.ban_id.as_deref()).collect();
                        if missing.is_empty() {
                            std::collections::HashMap::new()
                        } else {
                            let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ban_id, id FROM addresses WHERE campaign_id = ");
                            q.push_bind(campaign.0);
                            q.push(" AND ban_id IN (");
                            let mut sep = q.separated(", ");
                            for b in &missing {
                                sep.push_bind(b.to_string());
                            }
                            q.push(")");
                            q.build_query_as::<(String, uuid::Uuid)>().fetch_all(&mut *tx).await?.into_iter().collect()
                        }
                    };
                    let mut buildings = Vec::new();
                    for (a, id) in chunk.iter().zip(&fresh) {
                        if inserted.contains(&id.0) {
                            created += 1;
                            buildings.push((BuildingId::new(), *id, i32::try_from(a.doors_estimated).unwrap_or(i32::MAX)));
                            ids.push(*id);
                        } else {
                            let known = a.ban_id.as_ref().and_then(|b| existing.get(b)).copied()
                                .ok_or_else(|| StorageError::Invalid { what: "address", reason: format!("{} was neither stored nor found", a.street) })?;
                            ids.push(AddressId(known));
                        }
                    }
                    if !buildings.is_empty() {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO buildings (campaign_id, id, address_id, label, doors) ");
                        qb.push_values(&buildings, |mut b, (bid, aid, doors)| {
                            b.push_bind(campaign.0).push_bind(bid.0).push_bind(aid.0).push_bind("").push_bind(*doors);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "address.add", campaign.to_string(),
                    serde_json::json!({"items": items.len(), "created": created})).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn addresses_within(&self, campaign: CampaignId, within: &TerritoryPath, limit: u32, offset: u32) -> $crate::error::Result<Vec<Address>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {ADDRESS_COLS} FROM addresses a WHERE a.campaign_id = "));
                qb.push_bind(campaign.0);
                qb.push(" AND EXISTS (SELECT 1 FROM territories t WHERE t.campaign_id = a.campaign_id \
                          AND (t.id = a.bureau_id OR t.id = a.iris_id)");
                push_within(&mut qb, "t.path", std::slice::from_ref(within));
                qb.push(") ORDER BY a.street, length(a.number), a.number, a.rep, a.id LIMIT ");
                qb.push_bind(i64::from(limit.clamp(1, 10_000)));
                qb.push(" OFFSET ");
                qb.push_bind(i64::from(offset));
                let rows: Vec<AddressRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn address(&self, campaign: CampaignId, id: AddressId) -> $crate::error::Result<Address> {
                let row: AddressRow = sqlx::query_as(
                    "SELECT a.campaign_id, a.id, a.ban_id, a.number, a.rep, a.street, a.postcode, a.commune, a.lon, a.lat, \
                     a.bureau_id, a.iris_id, a.doors_estimated FROM addresses a WHERE a.campaign_id = $1 AND a.id = $2")
                    .bind(campaign.0).bind(id.0)
                    .fetch_one(&self.pool).await.map_err(not_found("address", id))?;
                row.try_into()
            }

            async fn buildings(&self, campaign: CampaignId, address: AddressId) -> $crate::error::Result<Vec<Building>> {
                let rows: Vec<BuildingRow> = sqlx::query_as(
                    "SELECT campaign_id, id, address_id, label, doors FROM buildings WHERE campaign_id = $1 AND address_id = $2 ORDER BY label, id")
                    .bind(campaign.0).bind(address.0)
                    .fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn add_unit(&self, audit: &$crate::types::Audit, campaign: CampaignId, building: BuildingId, floor: Option<i32>, label: &str) -> $crate::error::Result<Unit> {
                let mut tx = self.begin_write().await?;
                let unit = Unit { id: UnitId::new(), campaign_id: campaign, building_id: building, floor, label: label.trim().to_string() };
                sqlx::query("INSERT INTO units (campaign_id, id, building_id, floor, label) VALUES ($1, $2, $3, $4, $5)")
                    .bind(campaign.0).bind(unit.id.0).bind(building.0).bind(floor).bind(&unit.label)
                    .execute(&mut *tx).await
                    .map_err(|e| match StorageError::from(e) {
                        StorageError::Invalid { .. } => StorageError::NotFound { what: "building", key: building.to_string() },
                        other => other,
                    })?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "unit.add", unit.id.to_string(),
                    serde_json::json!({"building": building, "floor": floor, "label": unit.label})).await?;
                tx.commit().await?;
                Ok(unit)
            }

            async fn units(&self, campaign: CampaignId, building: BuildingId) -> $crate::error::Result<Vec<Unit>> {
                let rows: Vec<UnitRow> = sqlx::query_as(
                    "SELECT campaign_id, id, building_id, floor, label FROM units WHERE campaign_id = $1 AND building_id = $2 ORDER BY floor, label, id")
                    .bind(campaign.0).bind(building.0)
                    .fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip(self, audit, new), fields(email = ?new.email))]
            async fn create_user(&self, audit: &$crate::types::Audit, new: &$crate::types::NewUser) -> $crate::error::Result<$crate::types::User> {
                if new.display_name.trim().is_empty() || new.display_name.contains('\0') {
                    return Err(StorageError::Invalid { what: "user", reason: "the display name is empty or has a NUL character".into() });
                }
                let id = UserId::new();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO users (id, email, display_name, password_hash, is_admin, disabled, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id.0).bind(new.email.as_ref().map(|e| e.as_str())).bind(new.display_name.trim())
                    .bind(&new.password_hash).bind(new.is_admin).bind(false).bind(time::OffsetDateTime::now_utc())
                    .execute(&mut *tx).await
                    .map_err(|e| match StorageError::from(e) {
                        StorageError::Conflict { .. } => StorageError::Conflict {
                            what: "user", key: new.email.as_ref().map(|e| e.to_string()).unwrap_or_default() },
                        other => other,
                    })?;
                Self::write_audit(&mut tx, audit, None, "user.create", id.to_string(),
                    serde_json::json!({"email": new.email, "is_admin": new.is_admin})).await?;
                tx.commit().await?;
                self.user(id).await
            }

            async fn user(&self, id: UserId) -> $crate::error::Result<$crate::types::User> {
                let row: UserRow = sqlx::query_as(
                    "SELECT u.id, u.email, u.display_name, u.password_hash, u.is_admin, u.disabled, u.created_at FROM users u WHERE u.id = $1")
                    .bind(id.0).fetch_one(&self.pool).await.map_err(not_found("user", id))?;
                row.try_into()
            }

            async fn credentials_by_email(&self, email: &Email) -> $crate::error::Result<Option<$crate::types::UserCredentials>> {
                let row: Option<UserRow> = sqlx::query_as(
                    "SELECT u.id, u.email, u.display_name, u.password_hash, u.is_admin, u.disabled, u.created_at FROM users u WHERE u.email = $1")
                    .bind(email.as_str()).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn set_password(&self, audit: &$crate::types::Audit, user: UserId, password_hash: &str) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash).bind(user.0).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { what: "user", key: user.to_string() });
                }
                Self::write_audit(&mut tx, audit, None, "user.set_password", user.to_string(), serde_json::json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn users(&self) -> $crate::error::Result<Vec<$crate::types::User>> {
                let rows: Vec<UserRow> = sqlx::query_as(
                    "SELECT u.id, u.email, u.display_name, u.password_hash, u.is_admin, u.disabled, u.created_at FROM users u ORDER BY u.created_at, u.id")
                    .fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip(self, audit, new), fields(user = %new.user_id, role = %new.role))]
            async fn add_member(&self, audit: &$crate::types::Audit, campaign: CampaignId, new: &$crate::types::NewMember) -> $crate::error::Result<$crate::types::Member> {
                if new.role == Role::Admin {
                    return Err(StorageError::Invalid { what: "membership", reason: "admin is a server-wide role, not a campaign role".into() });
                }
                if !new.role.is_campaign_wide() && new.territories.is_empty() {
                    return Err(StorageError::Invalid { what: "membership", reason: format!("a {} needs at least one territory", new.role) });
                }
                self.campaign(campaign).await?;
                self.user(new.user_id).await?;
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO memberships (campaign_id, user_id, role, recruited_by, trained_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(campaign.0).bind(new.user_id.0).bind(new.role.as_str())
                    .bind(new.recruited_by.map(|u| u.0)).bind(new.trained_by.map(|u| u.0))
                    .bind(time::OffsetDateTime::now_utc())
                    .execute(&mut *tx).await
                    .map_err(|e| match StorageError::from(e) {
                        StorageError::Conflict { .. } => StorageError::Conflict { what: "membership", key: new.user_id.to_string() },
                        other => other,
                    })?;
                for t in &new.territories {
                    sqlx::query("INSERT INTO membership_territories (campaign_id, user_id, territory_id) VALUES ($1, $2, $3)")
                        .bind(campaign.0).bind(new.user_id.0).bind(t.0)
                        .execute(&mut *tx).await
                        .map_err(|e| match StorageError::from(e) {
                            StorageError::Invalid { .. } => StorageError::NotFound { what: "territory", key: t.to_string() },
                            other => other,
                        })?;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "member.add", new.user_id.to_string(),
                    serde_json::json!({"role": new.role, "territories": new.territories, "recruited_by": new.recruited_by})).await?;
                tx.commit().await?;
                self.member(campaign, new.user_id).await
            }

            async fn member(&self, campaign: CampaignId, user: UserId) -> $crate::error::Result<$crate::types::Member> {
                self.load_members(campaign.0, Some(user.0)).await?
                    .pop()
                    .ok_or_else(|| StorageError::NotFound { what: "member", key: user.to_string() })
            }

            async fn members(&self, campaign: CampaignId, scope: &$crate::types::Scope) -> $crate::error::Result<Vec<$crate::types::Member>> {
                let all = self.load_members(campaign.0, None).await?;
                Ok(all.into_iter().filter(|m| match scope {
                    $crate::types::Scope::Campaign => true,
                    s => m.territories.iter().any(|t| s.covers(&t.path)),
                }).collect())
            }

            async fn memberships_of(&self, user: UserId) -> $crate::error::Result<Vec<(Campaign, $crate::types::Member)>> {
                let ids: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT m.campaign_id FROM memberships m JOIN campaigns c ON c.id = m.campaign_id WHERE m.user_id = $1 ORDER BY c.name, c.id")
                    .bind(user.0).fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(ids.len());
                for (cid,) in ids {
                    let c = self.campaign(CampaignId(cid)).await?;
                    let m = self.member(c.id, user).await?;
                    out.push((c, m));
                }
                Ok(out)
            }

            async fn create_session(&self, s: &$crate::types::Session) -> $crate::error::Result<()> {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&s.token_hash).bind(s.user_id.0).bind(&s.csrf_token).bind(s.created_at).bind(s.expires_at)
                    .execute(&self.pool).await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str) -> $crate::error::Result<Option<$crate::types::Session>> {
                let row: Option<SessionRow> = sqlx::query_as(
                    "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = $1")
                    .bind(token_hash).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn delete_session(&self, token_hash: &str) -> $crate::error::Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn purge_sessions(&self, now: time::OffsetDateTime) -> $crate::error::Result<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
                Ok(done.rows_affected())
            }

            async fn create_api_token(&self, audit: &$crate::types::Audit, t: &$crate::types::ApiToken, token_hash: &str) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(t.id.0).bind(t.user_id.0).bind(&t.name).bind(token_hash).bind(t.created_at).bind(t.expires_at).bind(t.revoked_at)
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, None, "api_token.create", t.id.to_string(),
                    serde_json::json!({"user": t.user_id, "name": t.name})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn api_token_by_hash(&self, token_hash: &str) -> $crate::error::Result<Option<$crate::types::ApiToken>> {
                let row: Option<ApiTokenRow> = sqlx::query_as(
                    "SELECT id, user_id, name, created_at, expires_at, revoked_at FROM api_tokens WHERE token_hash = $1")
                    .bind(token_hash).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn api_tokens(&self, user: UserId) -> $crate::error::Result<Vec<$crate::types::ApiToken>> {
                let rows: Vec<ApiTokenRow> = sqlx::query_as(
                    "SELECT id, user_id, name, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id")
                    .bind(user.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn revoke_api_token(&self, audit: &$crate::types::Audit, user: UserId, id: ApiTokenId, now: time::OffsetDateTime) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                    .bind(now).bind(id.0).bind(user.0).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound { what: "api token", key: id.to_string() });
                }
                Self::write_audit(&mut tx, audit, None, "api_token.revoke", id.to_string(), serde_json::json!({"user": user})).await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip(self, audit, new), fields(role = %new.role))]
            async fn create_invite(&self, audit: &$crate::types::Audit, campaign: CampaignId, new: &$crate::types::NewInvite) -> $crate::error::Result<$crate::types::Invite> {
                if !matches!(new.role, Role::Walker | Role::Trainer) {
                    return Err(StorageError::Invalid { what: "invite", reason: format!("invites are for walkers and trainers, not {}", new.role) });
                }
                if new.max_uses == 0 {
                    return Err(StorageError::Invalid { what: "invite", reason: "max_uses must be at least 1".into() });
                }
                self.territory(campaign, new.territory_id).await?;
                let id = InviteId::new();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO invites (campaign_id, id, code_hash, created_by, role, territory_id, expires_at, max_uses, uses, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)")
                    .bind(campaign.0).bind(id.0).bind(&new.code_hash).bind(new.created_by.map(|u| u.0))
                    .bind(new.role.as_str()).bind(new.territory_id.0).bind(new.expires_at)
                    .bind(i32::try_from(new.max_uses).unwrap_or(i32::MAX)).bind(time::OffsetDateTime::now_utc())
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "invite.create", id.to_string(),
                    serde_json::json!({"role": new.role, "territory": new.territory_id, "max_uses": new.max_uses,
                                       "expires_at": new.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})).await?;
                tx.commit().await?;
                let row: InviteRow = sqlx::query_as("SELECT campaign_id, id, created_by, role, territory_id, expires_at, max_uses, uses, created_at FROM invites WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id.0).fetch_one(&self.pool).await?;
                row.try_into()
            }

            async fn invites(&self, campaign: CampaignId, scope: &$crate::types::Scope) -> $crate::error::Result<Vec<$crate::types::Invite>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT i.campaign_id, i.id, i.created_by, i.role, i.territory_id, i.expires_at, i.max_uses, i.uses, i.created_at \
                     FROM invites i JOIN territories t ON t.campaign_id = i.campaign_id AND t.id = i.territory_id WHERE i.campaign_id = ");
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = scope {
                    push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY i.id DESC");
                let rows: Vec<InviteRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            #[tracing::instrument(skip(self, code_hash, display_name))]
            async fn redeem_invite(&self, code_hash: &str, display_name: &str, now: time::OffsetDateTime) -> $crate::error::Result<(Campaign, $crate::types::Member)> {
                let display_name = display_name.trim();
                if display_name.is_empty() || display_name.contains('\0') {
                    return Err(StorageError::Invalid { what: "user", reason: "the display name is empty".into() });
                }
                let mut tx = self.begin_write().await?;
                // Counting the use first takes the row's write lock: a racing redeemer waits,
                // then sees the new count.
                let row: Option<InviteRow> = sqlx::query_as(
                    "UPDATE invites SET uses = uses + 1 WHERE code_hash = $1 AND uses < max_uses \
                     RETURNING campaign_id, id, created_by, role, territory_id, expires_at, max_uses, uses, created_at")
                    .bind(code_hash).fetch_optional(&mut *tx).await?;
                let invite: Invite = match row {
                    Some(r) => r.try_into()?,
                    None => {
                        let exists: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM invites WHERE code_hash = $1")
                            .bind(code_hash).fetch_optional(&mut *tx).await?;
                        return Err(if exists.is_some() { StorageError::InviteUsedUp } else { StorageError::NotFound { what: "invite", key: String::new() } });
                    }
                };
                if invite.expires_at <= now {
                    // Dropping the transaction rolls the use back.
                    return Err(StorageError::InviteExpired);
                }
                let user = UserId::new();
                sqlx::query("INSERT INTO users (id, email, display_name, password_hash, is_admin, disabled, created_at) VALUES ($1, NULL, $2, NULL, $3, $4, $5)")
                    .bind(user.0).bind(display_name).bind(false).bind(false).bind(now)
                    .execute(&mut *tx).await?;
                sqlx::query("INSERT INTO memberships (campaign_id, user_id, role, recruited_by, trained_by, created_at) VALUES ($1, $2, $3, $4, NULL, $5)")
                    .bind(invite.campaign_id.0).bind(user.0).bind(invite.role.as_str()).bind(invite.created_by.map(|u| u.0)).bind(now)
                    .execute(&mut *tx).await?;
                sqlx::query("INSERT INTO membership_territories (campaign_id, user_id, territory_id) VALUES ($1, $2, $3)")
                    .bind(invite.campaign_id.0).bind(user.0).bind(invite.territory_id.0)
                    .execute(&mut *tx).await?;
                let audit = $crate::types::Audit { actor: Some(user), source: $crate::types::AuditSource::Invite };
                Self::write_audit(&mut tx, &audit, Some(invite.campaign_id.0), "invite.redeem", invite.id.to_string(),
                    serde_json::json!({"user": user, "role": invite.role, "uses": invite.uses})).await?;
                tx.commit().await?;
                let campaign = self.campaign(invite.campaign_id).await?;
                let member = self.member(invite.campaign_id, user).await?;
                Ok((campaign, member))
            }

            async fn audit_log(&self, campaign: CampaignId, limit: u32, before: Option<uuid::Uuid>) -> $crate::error::Result<Vec<$crate::types::AuditEntry>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, campaign_id, at, actor_id, source, action, target, detail FROM audit_log WHERE campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(b) = before {
                    qb.push(" AND id < ");
                    qb.push_bind(b);
                }
                qb.push(" ORDER BY id DESC LIMIT ");
                qb.push_bind(i64::from(limit.clamp(1, 1000)));
                let rows: Vec<AuditRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

pub(crate) use sql_store;
