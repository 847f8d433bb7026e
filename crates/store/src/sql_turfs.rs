//! The SQL of [`crate::TurfStore`], shared by both backends like [`crate::sql`].
//!
//! Writers never compare timestamps in SQL (SQLite keeps them as text): they read a turf,
//! decide in Rust whether it is free at `now`, then update it only if its `lock_version` has
//! not moved since — so a hand-out and an edit racing for the same turf cannot both win.

use crate::error::{Result, StorageError};
use crate::sql::{AddressRow, BuildingRow, UnitRow};
use crate::turfs::*;
use terrain_model::{
    Address, AddressId, CampaignId, TerritoryId, TerritoryPath, TurfId, Unit, UserId,
};
use time::OffsetDateTime;
use uuid::Uuid;

fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> StorageError {
    StorageError::Invalid {
        what,
        reason: format!("stored value cannot be read back: {reason}"),
    }
}

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// Converts a count to the 32-bit integer the turf tables store.
pub(crate) fn db_i32(v: u64, what: &str) -> Result<i32> {
    i32::try_from(v).map_err(|_| StorageError::Invalid {
        what: "turf",
        reason: format!("{what} = {v} is too large"),
    })
}

pub(crate) const TURF_COLS: &str = "t.campaign_id, t.id, t.bureau_id, b.code AS bureau_code, \
     b.name AS bureau_name, b.path AS bureau_path, t.number, t.status, t.stops, t.doors, \
     t.length_m, t.minutes, t.on_network, t.polsby_popper, t.hull, t.revision, t.lock_version, \
     t.checked_out_to, t.team, t.session_id, t.checked_out_by, t.checked_out_at, t.expires_at, \
     t.done_at, t.created_at, t.updated_at \
     FROM turfs t JOIN territories b ON b.campaign_id = t.campaign_id AND b.id = t.bureau_id";

#[derive(sqlx::FromRow)]
pub(crate) struct TurfRow {
    campaign_id: Uuid,
    id: Uuid,
    bureau_id: Uuid,
    bureau_code: String,
    bureau_name: String,
    bureau_path: String,
    number: i32,
    status: String,
    stops: i32,
    doors: i32,
    length_m: f64,
    minutes: f64,
    on_network: bool,
    polsby_popper: Option<f64>,
    hull: Option<String>,
    revision: i32,
    lock_version: i32,
    checked_out_to: Option<Uuid>,
    team: Option<String>,
    session_id: Option<Uuid>,
    checked_out_by: Option<Uuid>,
    checked_out_at: Option<OffsetDateTime>,
    expires_at: Option<OffsetDateTime>,
    done_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<TurfRow> for Turf {
    type Error = StorageError;
    fn try_from(r: TurfRow) -> Result<Self> {
        let status = TurfStatus::parse(&r.status).ok_or_else(|| corrupt("turf", &r.status))?;
        let checkout = match (r.checked_out_at, r.expires_at) {
            (Some(at), Some(expires_at)) => Some(Checkout {
                to_user: r.checked_out_to.map(UserId),
                team: r.team,
                session_id: r.session_id,
                by: r.checked_out_by.map(UserId),
                at,
                expires_at,
            }),
            _ => None,
        };
        Ok(Turf {
            id: TurfId(r.id),
            campaign_id: CampaignId(r.campaign_id),
            bureau_id: TerritoryId(r.bureau_id),
            bureau_code: r.bureau_code,
            bureau_name: r.bureau_name,
            bureau_path: TerritoryPath::from_stored(r.bureau_path),
            number: count(r.number),
            status,
            stops: count(r.stops),
            doors: u64::from(count(r.doors)),
            length_m: r.length_m,
            minutes: r.minutes,
            on_network: r.on_network,
            polsby_popper: r.polsby_popper,
            hull: r.hull,
            revision: count(r.revision),
            lock_version: count(r.lock_version),
            checkout,
            done_at: r.done_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlanRow {
    bureau_id: Uuid,
    version: i32,
    kind: String,
    params: sqlx::types::Json<serde_json::Value>,
    quality: sqlx::types::Json<serde_json::Value>,
    summary: sqlx::types::Json<serde_json::Value>,
    created_by: Option<Uuid>,
    created_at: OffsetDateTime,
}

impl TryFrom<PlanRow> for PlanVersion {
    type Error = StorageError;
    fn try_from(r: PlanRow) -> Result<Self> {
        Ok(PlanVersion {
            bureau_id: TerritoryId(r.bureau_id),
            version: count(r.version),
            kind: PlanKind::parse(&r.kind).ok_or_else(|| corrupt("turf plan", &r.kind))?,
            params: r.params.0,
            quality: r.quality.0,
            summary: r.summary.0,
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
        })
    }
}

pub(crate) const PLAN_COLS: &str =
    "p.bureau_id, p.version, p.kind, p.params, p.quality, p.summary, p.created_by, p.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CandidateRow {
    id: Uuid,
    bureau_id: Uuid,
    lon: f64,
    lat: f64,
    street: String,
    number: Option<String>,
    doors_estimated: i64,
    building_doors: Option<i64>,
}

impl From<CandidateRow> for StopCandidate {
    fn from(r: CandidateRow) -> Self {
        let doors = r.building_doors.unwrap_or(r.doors_estimated);
        StopCandidate {
            address_id: AddressId(r.id),
            bureau_id: TerritoryId(r.bureau_id),
            lon: r.lon,
            lat: r.lat,
            street: r.street,
            number: r.number,
            doors: u32::try_from(doors.max(0)).unwrap_or(u32::MAX),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PlanStopRow {
    address_id: Uuid,
    turf_id: Uuid,
    position: i32,
    doors: i32,
    visited: bool,
}

impl From<PlanStopRow> for PlanStop {
    fn from(r: PlanStopRow) -> Self {
        PlanStop {
            address_id: AddressId(r.address_id),
            turf_id: TurfId(r.turf_id),
            position: count(r.position),
            doors: count(r.doors),
            visited: r.visited,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TurfStopRow {
    position: i32,
    doors: i32,
    visited_at: Option<OffsetDateTime>,
    #[sqlx(flatten)]
    address: AddressRow,
}

impl TurfStopRow {
    pub(crate) fn into_stop(self) -> Result<TurfStop> {
        Ok(TurfStop {
            position: count(self.position),
            doors: count(self.doors),
            visited_at: self.visited_at,
            address: Address::try_from(self.address)?,
            buildings: Vec::new(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StopPointRow {
    turf_id: Uuid,
    address_id: Uuid,
    position: i32,
    doors: i32,
    lon: f64,
    lat: f64,
    number: Option<String>,
    rep: Option<String>,
    street: String,
    visited: bool,
}

impl From<StopPointRow> for StopPoint {
    fn from(r: StopPointRow) -> Self {
        let mut label = String::new();
        if let Some(n) = &r.number {
            label.push_str(n);
            if let Some(rep) = &r.rep {
                label.push(' ');
                label.push_str(rep);
            }
            label.push(' ');
        }
        label.push_str(&r.street);
        StopPoint {
            turf_id: TurfId(r.turf_id),
            address_id: AddressId(r.address_id),
            position: count(r.position),
            doors: count(r.doors),
            lon: r.lon,
            lat: r.lat,
            label,
            visited: r.visited,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NetworkRow {
    source: String,
    nodes: i64,
    edges: i64,
    length_km: f64,
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
    imported_at: OffsetDateTime,
}

impl From<NetworkRow> for StreetNetworkInfo {
    fn from(r: NetworkRow) -> Self {
        StreetNetworkInfo {
            source: r.source,
            nodes: u64::try_from(r.nodes).unwrap_or(0),
            edges: u64::try_from(r.edges).unwrap_or(0),
            length_km: r.length_km,
            bbox: [r.min_lon, r.min_lat, r.max_lon, r.max_lat],
            imported_at: r.imported_at,
        }
    }
}

/// Buildings and units grouped under their stops.
pub(crate) fn attach_buildings(
    stops: &mut [TurfStop],
    buildings: Vec<BuildingRow>,
    units: Vec<UnitRow>,
) {
    let mut units_of: std::collections::HashMap<terrain_model::BuildingId, Vec<Unit>> =
        std::collections::HashMap::new();
    for u in units {
        let u = Unit::from(u);
        units_of.entry(u.building_id).or_default().push(u);
    }
    let mut of_address: std::collections::HashMap<AddressId, Vec<StopBuilding>> =
        std::collections::HashMap::new();
    for b in buildings {
        let b = terrain_model::Building::from(b);
        let units = units_of.remove(&b.id).unwrap_or_default();
        of_address
            .entry(b.address_id)
            .or_default()
            .push(StopBuilding { building: b, units });
    }
    for s in stops {
        s.buildings = of_address.remove(&s.address.id).unwrap_or_default();
    }
}

/// A change of a turf's hand-out state.
pub(crate) enum StateChange<'a> {
    CheckOut(&'a NewCheckout),
    /// Back to planned, the hand-out cleared.
    Release,
    /// Done; the last hand-out kept for the record.
    Finish,
}

/// Checks a plan change before it touches the database.
pub(crate) fn check_change(change: &PlanChange) -> Result<()> {
    let bad = |reason: String| {
        Err(StorageError::Invalid {
            what: "turf plan",
            reason,
        })
    };
    let mut numbers = std::collections::HashSet::new();
    let mut ids = std::collections::HashSet::new();
    let mut addresses = std::collections::HashSet::new();
    for w in &change.write {
        if w.number == 0 || !numbers.insert(w.number) {
            return bad(format!("turf number {} is zero or repeated", w.number));
        }
        if !ids.insert(w.id) {
            return bad(format!("turf {} is written twice", w.id));
        }
        if w.stops.is_empty() {
            return bad(format!(
                "turf {} has no stop (list it among the emptied turfs)",
                w.number
            ));
        }
        if !(w.length_m.is_finite() && w.minutes.is_finite()) || w.length_m < 0.0 {
            return bad(format!("turf {} has no valid length", w.number));
        }
        for (a, _) in &w.stops {
            if !addresses.insert(*a) {
                return bad(format!("address {a} is in two turfs"));
            }
        }
    }
    for (id, _) in &change.empty {
        if !ids.insert(*id) {
            return bad(format!("turf {id} is both written and emptied"));
        }
    }
    Ok(())
}

/// Generates `impl TurfStore` for a backend made by `sql_store!`.
macro_rules! turf_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn turf_rows(
                &self,
                campaign: terrain_model::CampaignId,
                q: &$crate::turfs::TurfQuery,
                id: Option<terrain_model::TurfId>,
            ) -> $crate::error::Result<Vec<$crate::turfs::Turf>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} WHERE t.campaign_id = ",
                    $crate::sql_turfs::TURF_COLS
                ));
                qb.push_bind(campaign.0);
                if let Some(id) = id {
                    qb.push(" AND t.id = ");
                    qb.push_bind(id.0);
                }
                if let Some(b) = q.bureau {
                    qb.push(" AND t.bureau_id = ");
                    qb.push_bind(b.0);
                }
                if let Some(s) = q.session {
                    qb.push(" AND t.session_id = ");
                    qb.push_bind(s);
                }
                if !q.include_retired {
                    qb.push(" AND t.status <> 'retired'");
                }
                if let $crate::types::Scope::Within(paths) = &q.within {
                    $crate::sql::push_within(&mut qb, "b.path", paths);
                }
                qb.push(" ORDER BY b.code, t.number");
                let rows: Vec<$crate::sql_turfs::TurfRow> =
                    qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            /// Updates a turf's hand-out columns if it has not moved since it was read.
            async fn set_turf_state(
                &self,
                audit: &$crate::types::Audit,
                turf: &$crate::turfs::Turf,
                change: $crate::sql_turfs::StateChange<'_>,
                now: time::OffsetDateTime,
            ) -> $crate::error::Result<$crate::turfs::Turf> {
                use $crate::sql_turfs::StateChange;
                use $crate::turfs::TurfStatus;
                let (status, checkout, keep_checkout, action) = match change {
                    StateChange::CheckOut(c) => (TurfStatus::CheckedOut, Some(c), false, "turf.checkout"),
                    StateChange::Release => (TurfStatus::Planned, None, false, "turf.release"),
                    StateChange::Finish => (TurfStatus::Done, None, true, "turf.done"),
                };
                let mut tx = self.begin_write().await?;
                let done_at = (status == TurfStatus::Done).then_some(now);
                let q = if keep_checkout {
                    sqlx::query(
                        "UPDATE turfs SET status = $1, done_at = $2, updated_at = $3, lock_version = lock_version + 1 \
                         WHERE campaign_id = $4 AND id = $5 AND lock_version = $6",
                    )
                    .bind(status.as_str()).bind(done_at).bind(now)
                    .bind(turf.campaign_id.0).bind(turf.id.0).bind(turf.lock_version as i32)
                } else {
                    sqlx::query(
                        "UPDATE turfs SET status = $1, done_at = $2, updated_at = $3, lock_version = lock_version + 1, \
                         checked_out_to = $7, team = $8, session_id = $9, checked_out_by = $10, checked_out_at = $11, expires_at = $12 \
                         WHERE campaign_id = $4 AND id = $5 AND lock_version = $6",
                    )
                    .bind(status.as_str()).bind(done_at).bind(now)
                    .bind(turf.campaign_id.0).bind(turf.id.0).bind(turf.lock_version as i32)
                    .bind(checkout.and_then(|c| c.to_user.map(|u| u.0)))
                    .bind(checkout.and_then(|c| c.team.clone()))
                    .bind(checkout.and_then(|c| c.session_id))
                    .bind(checkout.and_then(|c| c.by.map(|u| u.0)))
                    .bind(checkout.map(|_| now))
                    .bind(checkout.map(|c| c.expires_at))
                };
                let done = q.execute(&mut *tx).await?;
                if done.rows_affected() != 1 {
                    return Err($crate::error::StorageError::Conflict {
                        what: "turf checkout",
                        key: format!("turf {} of {} changed meanwhile: reload it", turf.number, turf.bureau_name),
                    });
                }
                Self::write_audit(&mut tx, audit, Some(turf.campaign_id.0), action, turf.id.to_string(),
                    serde_json::json!({
                        "bureau": turf.bureau_code, "number": turf.number,
                        "to_user": checkout.and_then(|c| c.to_user), "team": checkout.and_then(|c| c.team.clone()),
                        "session": checkout.and_then(|c| c.session_id),
                        "expires_at": checkout.map(|c| c.expires_at.unix_timestamp()),
                    })).await?;
                tx.commit().await?;
                $crate::turfs::TurfStore::turf(self, turf.campaign_id, turf.id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::turfs::TurfStore for $store {
            async fn stop_candidates(
                &self,
                campaign: terrain_model::CampaignId,
                bureaux: &[terrain_model::TerritoryId],
            ) -> $crate::error::Result<Vec<$crate::turfs::StopCandidate>> {
                let mut out = Vec::new();
                for chunk in bureaux.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT a.id, a.bureau_id, a.lon, a.lat, a.street, a.number, a.doors_estimated, \
                         (SELECT SUM(bl.doors) FROM buildings bl WHERE bl.campaign_id = a.campaign_id AND bl.address_id = a.id) AS building_doors \
                         FROM addresses a WHERE a.campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND a.bureau_id IN (");
                    let mut sep = qb.separated(", ");
                    for b in chunk {
                        sep.push_bind(b.0);
                    }
                    qb.push(") ORDER BY a.bureau_id, a.id");
                    let rows: Vec<$crate::sql_turfs::CandidateRow> =
                        qb.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows.into_iter().map(Into::into));
                }
                Ok(out)
            }

            async fn bureau_turfs(
                &self,
                campaign: terrain_model::CampaignId,
                bureau: terrain_model::TerritoryId,
            ) -> $crate::error::Result<$crate::turfs::BureauTurfs> {
                let (version,): (i32,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(version), 0) FROM turf_plans WHERE campaign_id = $1 AND bureau_id = $2")
                    .bind(campaign.0).bind(bureau.0).fetch_one(&self.pool).await?;
                let q = $crate::turfs::TurfQuery {
                    bureau: Some(bureau),
                    ..$crate::turfs::TurfQuery::within($crate::types::Scope::Campaign)
                };
                let turfs = self.turf_rows(campaign, &q, None).await?;
                let (max_number,): (i32,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(number), 0) FROM turfs WHERE campaign_id = $1 AND bureau_id = $2")
                    .bind(campaign.0).bind(bureau.0).fetch_one(&self.pool).await?;
                let stops: Vec<$crate::sql_turfs::PlanStopRow> = sqlx::query_as(
                    "SELECT address_id, turf_id, position, doors, (visited_at IS NOT NULL) AS visited \
                     FROM turf_stops WHERE campaign_id = $1 AND bureau_id = $2 ORDER BY turf_id, position")
                    .bind(campaign.0).bind(bureau.0).fetch_all(&self.pool).await?;
                Ok($crate::turfs::BureauTurfs {
                    bureau_id: bureau,
                    version: u32::try_from(version).unwrap_or(0),
                    turfs,
                    stops: stops.into_iter().map(Into::into).collect(),
                    next_number: u32::try_from(max_number).unwrap_or(0) + 1,
                })
            }

            #[tracing::instrument(skip(self, audit, change), fields(bureau = %change.bureau_id, kind = change.kind.as_str()))]
            async fn save_turf_plan(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                change: &$crate::turfs::PlanChange,
                now: time::OffsetDateTime,
            ) -> $crate::error::Result<$crate::turfs::PlanVersion> {
                use $crate::error::StorageError;
                use $crate::sql_turfs::db_i32;
                $crate::sql_turfs::check_change(change)?;
                let bureau = $crate::Store::territory(self, campaign, change.bureau_id).await?;
                if bureau.kind != terrain_model::TerritoryKind::Bureau {
                    return Err(StorageError::Invalid { what: "turf plan", reason: format!("{} {} is not a bureau de vote", bureau.kind, bureau.code) });
                }
                let version = change.base_version.checked_add(1).ok_or_else(|| StorageError::Invalid { what: "turf plan", reason: "too many versions".into() })?;
                let version_db = db_i32(u64::from(version), "version")?;
                let mut tx = self.begin_write().await?;
                // The version row first: it takes the write lock, and a concurrent save from the
                // same base finds the version taken.
                sqlx::query("INSERT INTO turf_plans (campaign_id, bureau_id, version, kind, params, quality, summary, created_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(campaign.0).bind(change.bureau_id.0).bind(version_db).bind(change.kind.as_str())
                    .bind(sqlx::types::Json(&change.params)).bind(sqlx::types::Json(&change.quality)).bind(sqlx::types::Json(&change.summary))
                    .bind(audit.actor.map(|u| u.0)).bind(now)
                    .execute(&mut *tx).await
                    .map_err(|e| match StorageError::from(e) {
                        StorageError::Conflict { .. } => StorageError::Conflict {
                            what: "turf plan",
                            key: format!("the turfs of {} changed since version {}: reload them", bureau.name, change.base_version),
                        },
                        other => other,
                    })?;
                let (current,): (i32,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM turf_plans WHERE campaign_id = $1 AND bureau_id = $2")
                    .bind(campaign.0).bind(change.bureau_id.0).fetch_one(&mut *tx).await?;
                if current != version_db {
                    return Err(StorageError::Conflict { what: "turf plan", key: format!("the turfs of {} are at version {current}, not {}: reload them", bureau.name, change.base_version) });
                }
                // The turfs as they are now, to check the expected ones are free and unchanged.
                let rows: Vec<$crate::sql_turfs::TurfRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} WHERE t.campaign_id = $1 AND t.bureau_id = $2", $crate::sql_turfs::TURF_COLS)))
                    .bind(campaign.0).bind(change.bureau_id.0).fetch_all(&mut *tx).await?;
                let mut existing = std::collections::HashMap::new();
                for r in rows {
                    let t: $crate::turfs::Turf = r.try_into()?;
                    existing.insert(t.id, t);
                }
                let expected = change.write.iter().filter_map(|w| w.expected.map(|e| (w.id, e)))
                    .chain(change.empty.iter().copied());
                for (id, (revision, lock_version)) in expected {
                    let Some(t) = existing.get(&id) else {
                        return Err(StorageError::NotFound { what: "turf", key: id.to_string() });
                    };
                    if t.revision != revision || t.lock_version != lock_version {
                        return Err(StorageError::Conflict { what: "turf", key: format!("turf {} of {} changed meanwhile: reload it", t.number, t.bureau_name) });
                    }
                    if t.is_locked(now) || t.status == $crate::turfs::TurfStatus::Retired {
                        return Err(StorageError::Conflict { what: "turf lock", key: format!("turf {} of {} is {} and cannot be edited", t.number, t.bureau_name, t.effective_status(now).as_str()) });
                    }
                }
                let mut written = std::collections::HashSet::new();
                for w in &change.write {
                    written.insert(w.id);
                    let doors: u64 = w.stops.iter().map(|(_, d)| u64::from(*d)).sum();
                    let stops = db_i32(w.stops.len() as u64, "stops")?;
                    let doors = db_i32(doors, "doors")?;
                    let number = db_i32(u64::from(w.number), "number")?;
                    match w.expected {
                        Some((_, lock_version)) => {
                            let done = sqlx::query(
                                "UPDATE turfs SET number = $1, status = 'planned', stops = $2, doors = $3, length_m = $4, minutes = $5, \
                                 on_network = $6, polsby_popper = $7, hull = $8, revision = revision + 1, lock_version = lock_version + 1, \
                                 checked_out_to = NULL, team = NULL, session_id = NULL, checked_out_by = NULL, checked_out_at = NULL, \
                                 expires_at = NULL, updated_at = $9 \
                                 WHERE campaign_id = $10 AND id = $11 AND lock_version = $12")
                                .bind(number).bind(stops).bind(doors).bind(w.length_m).bind(w.minutes)
                                .bind(w.on_network).bind(w.polsby_popper).bind(w.hull.clone()).bind(now)
                                .bind(campaign.0).bind(w.id.0).bind(lock_version as i32)
                                .execute(&mut *tx).await
                                .map_err(|e| match StorageError::from(e) {
                                    StorageError::Conflict { .. } => StorageError::Invalid { what: "turf plan", reason: format!("turf number {} is taken", w.number) },
                                    other => other,
                                })?;
                            if done.rows_affected() != 1 {
                                return Err(StorageError::Conflict { what: "turf", key: format!("turf {} changed meanwhile: reload it", w.number) });
                            }
                        }
                        None => {
                            if existing.contains_key(&w.id) {
                                return Err(StorageError::Invalid { what: "turf plan", reason: format!("turf {} exists: give its expected revision", w.id) });
                            }
                            sqlx::query(
                                "INSERT INTO turfs (campaign_id, id, bureau_id, number, status, stops, doors, length_m, minutes, on_network, \
                                 polsby_popper, hull, revision, lock_version, created_at, updated_at) \
                                 VALUES ($1, $2, $3, $4, 'planned', $5, $6, $7, $8, $9, $10, $11, 1, 1, $12, $12)")
                                .bind(campaign.0).bind(w.id.0).bind(change.bureau_id.0).bind(number).bind(stops).bind(doors)
                                .bind(w.length_m).bind(w.minutes).bind(w.on_network).bind(w.polsby_popper).bind(w.hull.clone()).bind(now)
                                .execute(&mut *tx).await
                                .map_err(|e| match StorageError::from(e) {
                                    StorageError::Conflict { .. } => StorageError::Invalid { what: "turf plan", reason: format!("turf number {} is taken", w.number) },
                                    other => other,
                                })?;
                        }
                    }
                }
                let emptied: std::collections::HashSet<terrain_model::TurfId> = change.empty.iter().map(|(id, _)| *id).collect();
                // Every stop: an address of this bureau, leaving only turfs this change rewrites.
                let all: Vec<(terrain_model::TurfId, terrain_model::AddressId, u32, u32)> = change.write.iter()
                    .flat_map(|w| w.stops.iter().enumerate().map(move |(k, (a, d))| (w.id, *a, k as u32 + 1, *d)))
                    .collect();
                for chunk in all.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id FROM addresses WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND bureau_id = ");
                    qb.push_bind(change.bureau_id.0);
                    qb.push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for (_, a, _, _) in chunk {
                        sep.push_bind(a.0);
                    }
                    qb.push(")");
                    let found: std::collections::HashSet<uuid::Uuid> = qb.build_query_as::<(uuid::Uuid,)>()
                        .fetch_all(&mut *tx).await?.into_iter().map(|(u,)| u).collect();
                    if let Some((_, a, _, _)) = chunk.iter().find(|(_, a, _, _)| !found.contains(&a.0)) {
                        return Err(StorageError::Invalid { what: "turf plan", reason: format!("address {a} is not in {}", bureau.name) });
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT address_id, turf_id FROM turf_stops WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND address_id IN (");
                    let mut sep = qb.separated(", ");
                    for (_, a, _, _) in chunk {
                        sep.push_bind(a.0);
                    }
                    qb.push(")");
                    let held: Vec<(uuid::Uuid, uuid::Uuid)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    if let Some((a, t)) = held.iter().find(|(_, t)| {
                        let t = terrain_model::TurfId(*t);
                        !written.contains(&t) && !emptied.contains(&t)
                    }) {
                        return Err(StorageError::Invalid { what: "turf plan", reason: format!("address {a} is in turf {t}, which this change does not rewrite") });
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO turf_stops (campaign_id, address_id, turf_id, bureau_id, position, doors, plan_version) ");
                    let mut rows = Vec::with_capacity(chunk.len());
                    for (t, a, pos, d) in chunk {
                        rows.push((t.0, a.0, db_i32(u64::from(*pos), "position")?, db_i32(u64::from(*d), "doors")?));
                    }
                    qb.push_values(rows, |mut b, (t, a, pos, d)| {
                        b.push_bind(campaign.0).push_bind(a).push_bind(t).push_bind(change.bureau_id.0)
                            .push_bind(pos).push_bind(d).push_bind(version_db);
                    });
                    qb.push(" ON CONFLICT (campaign_id, address_id) DO UPDATE SET turf_id = excluded.turf_id, bureau_id = excluded.bureau_id, \
                             position = excluded.position, doors = excluded.doors, plan_version = excluded.plan_version");
                    qb.build().execute(&mut *tx).await?;
                }
                // Stops the change leaves out of every turf: never a visited one.
                let touched: Vec<uuid::Uuid> = written.iter().chain(emptied.iter()).map(|t| t.0).collect();
                let mut dropped = 0u64;
                for chunk in touched.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM turf_stops WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND visited_at IS NOT NULL AND plan_version <> ");
                    qb.push_bind(version_db);
                    qb.push(" AND turf_id IN (");
                    let mut sep = qb.separated(", ");
                    for t in chunk {
                        sep.push_bind(*t);
                    }
                    qb.push(")");
                    let (visited,): (i64,) = qb.build_query_as().fetch_one(&mut *tx).await?;
                    if visited > 0 {
                        return Err(StorageError::Invalid { what: "turf plan", reason: format!("{visited} visited stop(s) would leave every turf") });
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new("DELETE FROM turf_stops WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND plan_version <> ");
                    qb.push_bind(version_db);
                    qb.push(" AND turf_id IN (");
                    let mut sep = qb.separated(", ");
                    for t in chunk {
                        sep.push_bind(*t);
                    }
                    qb.push(")");
                    dropped += qb.build().execute(&mut *tx).await?.rows_affected();
                }
                let mut deleted = 0u64;
                let mut retired = 0u64;
                for (id, (_, lock_version)) in &change.empty {
                    let handed_out = existing.get(id).is_some_and(|t| t.checkout.is_some() || t.done_at.is_some());
                    let done = if handed_out {
                        retired += 1;
                        sqlx::query("UPDATE turfs SET status = 'retired', stops = 0, doors = 0, length_m = 0, minutes = 0, polsby_popper = NULL, \
                                     hull = NULL, revision = revision + 1, lock_version = lock_version + 1, updated_at = $1 \
                                     WHERE campaign_id = $2 AND id = $3 AND lock_version = $4")
                            .bind(now).bind(campaign.0).bind(id.0).bind(*lock_version as i32).execute(&mut *tx).await?
                    } else {
                        deleted += 1;
                        sqlx::query("DELETE FROM turfs WHERE campaign_id = $1 AND id = $2 AND lock_version = $3")
                            .bind(campaign.0).bind(id.0).bind(*lock_version as i32).execute(&mut *tx).await?
                    };
                    if done.rows_affected() != 1 {
                        return Err(StorageError::Conflict { what: "turf", key: format!("turf {id} changed meanwhile: reload it") });
                    }
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "turf.plan", change.bureau_id.to_string(),
                    serde_json::json!({
                        "bureau": bureau.code, "version": version, "kind": change.kind.as_str(),
                        "turfs_written": change.write.len(), "turfs_deleted": deleted, "turfs_retired": retired,
                        "stops": all.len(), "stops_dropped": dropped,
                    })).await?;
                tx.commit().await?;
                Ok($crate::turfs::PlanVersion {
                    bureau_id: change.bureau_id,
                    version,
                    kind: change.kind,
                    params: change.params.clone(),
                    quality: change.quality.clone(),
                    summary: change.summary.clone(),
                    created_by: audit.actor,
                    created_at: now,
                })
            }

            async fn turf_plans(
                &self,
                campaign: terrain_model::CampaignId,
                bureau: terrain_model::TerritoryId,
            ) -> $crate::error::Result<Vec<$crate::turfs::PlanVersion>> {
                let rows: Vec<$crate::sql_turfs::PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM turf_plans p WHERE p.campaign_id = $1 AND p.bureau_id = $2 ORDER BY p.version DESC",
                    $crate::sql_turfs::PLAN_COLS)))
                    .bind(campaign.0).bind(bureau.0).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn current_turf_plans(
                &self,
                campaign: terrain_model::CampaignId,
                within: &$crate::types::Scope,
            ) -> $crate::error::Result<Vec<$crate::turfs::PlanVersion>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM turf_plans p JOIN territories b ON b.campaign_id = p.campaign_id AND b.id = p.bureau_id \
                     WHERE p.version = (SELECT MAX(q.version) FROM turf_plans q WHERE q.campaign_id = p.campaign_id AND q.bureau_id = p.bureau_id) \
                     AND p.campaign_id = ", $crate::sql_turfs::PLAN_COLS));
                qb.push_bind(campaign.0);
                if let $crate::types::Scope::Within(paths) = within {
                    $crate::sql::push_within(&mut qb, "b.path", paths);
                }
                qb.push(" ORDER BY b.code");
                let rows: Vec<$crate::sql_turfs::PlanRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn turfs(
                &self,
                campaign: terrain_model::CampaignId,
                q: &$crate::turfs::TurfQuery,
            ) -> $crate::error::Result<Vec<$crate::turfs::Turf>> {
                self.turf_rows(campaign, q, None).await
            }

            async fn turf(
                &self,
                campaign: terrain_model::CampaignId,
                id: terrain_model::TurfId,
            ) -> $crate::error::Result<$crate::turfs::Turf> {
                let q = $crate::turfs::TurfQuery {
                    include_retired: true,
                    ..$crate::turfs::TurfQuery::within($crate::types::Scope::Campaign)
                };
                self.turf_rows(campaign, &q, Some(id)).await?.into_iter().next()
                    .ok_or_else(|| $crate::error::StorageError::NotFound { what: "turf", key: id.to_string() })
            }

            async fn turf_stops(
                &self,
                campaign: terrain_model::CampaignId,
                turf: terrain_model::TurfId,
            ) -> $crate::error::Result<Vec<$crate::turfs::TurfStop>> {
                $crate::turfs::TurfStore::turf(self, campaign, turf).await?;
                let rows: Vec<$crate::sql_turfs::TurfStopRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT s.position, s.doors, s.visited_at, {} FROM turf_stops s \
                     JOIN addresses a ON a.campaign_id = s.campaign_id AND a.id = s.address_id \
                     WHERE s.campaign_id = $1 AND s.turf_id = $2 ORDER BY s.position", $crate::sql::ADDRESS_COLS)))
                    .bind(campaign.0).bind(turf.0).fetch_all(&self.pool).await?;
                let mut stops = rows.into_iter().map(|r| r.into_stop()).collect::<$crate::error::Result<Vec<_>>>()?;
                let buildings: Vec<$crate::sql::BuildingRow> = sqlx::query_as(
                    "SELECT bl.campaign_id, bl.id, bl.address_id, bl.label, bl.doors FROM buildings bl \
                     JOIN turf_stops s ON s.campaign_id = bl.campaign_id AND s.address_id = bl.address_id \
                     WHERE s.campaign_id = $1 AND s.turf_id = $2 ORDER BY bl.label, bl.id")
                    .bind(campaign.0).bind(turf.0).fetch_all(&self.pool).await?;
                let units: Vec<$crate::sql::UnitRow> = sqlx::query_as(
                    "SELECT u.campaign_id, u.id, u.building_id, u.floor, u.label FROM units u \
                     JOIN buildings bl ON bl.campaign_id = u.campaign_id AND bl.id = u.building_id \
                     JOIN turf_stops s ON s.campaign_id = bl.campaign_id AND s.address_id = bl.address_id \
                     WHERE s.campaign_id = $1 AND s.turf_id = $2 ORDER BY u.floor, u.label, u.id")
                    .bind(campaign.0).bind(turf.0).fetch_all(&self.pool).await?;
                $crate::sql_turfs::attach_buildings(&mut stops, buildings, units);
                Ok(stops)
            }

            async fn stop_points(
                &self,
                campaign: terrain_model::CampaignId,
                q: &$crate::turfs::TurfQuery,
            ) -> $crate::error::Result<Vec<$crate::turfs::StopPoint>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.turf_id, s.address_id, s.position, s.doors, a.lon, a.lat, a.number, a.rep, a.street, \
                     (s.visited_at IS NOT NULL) AS visited FROM turf_stops s \
                     JOIN turfs t ON t.campaign_id = s.campaign_id AND t.id = s.turf_id \
                     JOIN territories b ON b.campaign_id = t.campaign_id AND b.id = t.bureau_id \
                     JOIN addresses a ON a.campaign_id = s.campaign_id AND a.id = s.address_id \
                     WHERE s.campaign_id = ");
                qb.push_bind(campaign.0);
                if let Some(b) = q.bureau {
                    qb.push(" AND t.bureau_id = ");
                    qb.push_bind(b.0);
                }
                if let Some(s) = q.session {
                    qb.push(" AND t.session_id = ");
                    qb.push_bind(s);
                }
                if let $crate::types::Scope::Within(paths) = &q.within {
                    $crate::sql::push_within(&mut qb, "b.path", paths);
                }
                qb.push(" ORDER BY b.code, t.number, s.position");
                let rows: Vec<$crate::sql_turfs::StopPointRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            #[tracing::instrument(skip(self, audit, checkout))]
            async fn check_out_turf(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                turf: terrain_model::TurfId,
                checkout: &$crate::turfs::NewCheckout,
                now: time::OffsetDateTime,
            ) -> $crate::error::Result<$crate::turfs::Turf> {
                use $crate::error::StorageError;
                use $crate::turfs::TurfStatus;
                let t = $crate::turfs::TurfStore::turf(self, campaign, turf).await?;
                if checkout.expires_at <= now {
                    return Err(StorageError::Invalid { what: "checkout", reason: "the expiry is already past".into() });
                }
                let team = checkout.team.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
                if team.as_ref().is_some_and(|s| s.chars().count() > 120) {
                    return Err(StorageError::Invalid { what: "checkout", reason: "the team name is longer than 120 characters".into() });
                }
                if checkout.to_user.is_none() && team.is_none() && checkout.session_id.is_none() {
                    return Err(StorageError::Invalid { what: "checkout", reason: "name a person, a team or a session".into() });
                }
                match t.effective_status(now) {
                    TurfStatus::Retired => return Err(StorageError::Invalid { what: "checkout", reason: format!("turf {} of {} was emptied by an edit", t.number, t.bureau_name) }),
                    TurfStatus::CheckedOut => {
                        let until = t.checkout.as_ref().map(|c| c.expires_at.to_string()).unwrap_or_default();
                        return Err(StorageError::Conflict { what: "turf checkout", key: format!("turf {} of {} is handed out until {until}", t.number, t.bureau_name) });
                    }
                    TurfStatus::Done => return Err(StorageError::Conflict { what: "turf checkout", key: format!("turf {} of {} was walked already (release it to hand it out again)", t.number, t.bureau_name) }),
                    TurfStatus::Planned => {}
                }
                if let Some(u) = checkout.to_user {
                    let m: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT user_id FROM memberships WHERE campaign_id = $1 AND user_id = $2")
                        .bind(campaign.0).bind(u.0).fetch_optional(&self.pool).await?;
                    if m.is_none() {
                        return Err(StorageError::NotFound { what: "member", key: u.to_string() });
                    }
                }
                let c = $crate::turfs::NewCheckout { team, ..checkout.clone() };
                self.set_turf_state(audit, &t, $crate::sql_turfs::StateChange::CheckOut(&c), now).await
            }

            async fn release_turf(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                turf: terrain_model::TurfId,
                now: time::OffsetDateTime,
            ) -> $crate::error::Result<$crate::turfs::Turf> {
                use $crate::turfs::TurfStatus;
                let t = $crate::turfs::TurfStore::turf(self, campaign, turf).await?;
                match t.status {
                    TurfStatus::Planned => Ok(t),
                    TurfStatus::Retired => Err($crate::error::StorageError::Invalid { what: "turf", reason: format!("turf {} of {} was emptied by an edit", t.number, t.bureau_name) }),
                    TurfStatus::CheckedOut | TurfStatus::Done => {
                        self.set_turf_state(audit, &t, $crate::sql_turfs::StateChange::Release, now).await
                    }
                }
            }

            async fn finish_turf(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                turf: terrain_model::TurfId,
                now: time::OffsetDateTime,
            ) -> $crate::error::Result<$crate::turfs::Turf> {
                use $crate::turfs::TurfStatus;
                let t = $crate::turfs::TurfStore::turf(self, campaign, turf).await?;
                match t.status {
                    TurfStatus::Done => Ok(t),
                    TurfStatus::Retired => Err($crate::error::StorageError::Invalid { what: "turf", reason: format!("turf {} of {} was emptied by an edit", t.number, t.bureau_name) }),
                    TurfStatus::Planned | TurfStatus::CheckedOut => {
                        self.set_turf_state(audit, &t, $crate::sql_turfs::StateChange::Finish, now).await
                    }
                }
            }

            async fn mark_stops_visited(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                addresses: &[terrain_model::AddressId],
                at: time::OffsetDateTime,
            ) -> $crate::error::Result<u64> {
                let mut tx = self.begin_write().await?;
                let mut marked = 0;
                for chunk in addresses.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE turf_stops SET visited_at = ");
                    qb.push_bind(at);
                    qb.push(" WHERE campaign_id = ");
                    qb.push_bind(campaign.0);
                    qb.push(" AND visited_at IS NULL AND address_id IN (");
                    let mut sep = qb.separated(", ");
                    for a in chunk {
                        sep.push_bind(a.0);
                    }
                    qb.push(")");
                    marked += qb.build().execute(&mut *tx).await?.rows_affected();
                }
                if marked > 0 {
                    Self::write_audit(&mut tx, audit, Some(campaign.0), "turf.stops_visited", campaign.to_string(),
                        serde_json::json!({"addresses": addresses.len(), "marked": marked})).await?;
                }
                tx.commit().await?;
                Ok(marked)
            }

            async fn put_street_network(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                n: &$crate::turfs::NewStreetNetwork,
            ) -> $crate::error::Result<$crate::turfs::StreetNetworkInfo> {
                use $crate::error::StorageError;
                $crate::Store::campaign(self, campaign).await?;
                if n.data.is_empty() || n.bbox.iter().any(|v| !v.is_finite()) || !n.length_km.is_finite() {
                    return Err(StorageError::Invalid { what: "street network", reason: "the network is empty or has no extent".into() });
                }
                let big = |v: u64| i64::try_from(v).map_err(|_| StorageError::Invalid { what: "street network", reason: "too many nodes".into() });
                let now = time::OffsetDateTime::now_utc();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO street_networks (campaign_id, source, nodes, edges, length_km, min_lon, min_lat, max_lon, max_lat, data, imported_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             ON CONFLICT (campaign_id) DO UPDATE SET source = excluded.source, nodes = excluded.nodes, edges = excluded.edges, \
                             length_km = excluded.length_km, min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = excluded.max_lon, \
                             max_lat = excluded.max_lat, data = excluded.data, imported_at = excluded.imported_at")
                    .bind(campaign.0).bind(&n.source).bind(big(n.nodes)?).bind(big(n.edges)?).bind(n.length_km)
                    .bind(n.bbox[0]).bind(n.bbox[1]).bind(n.bbox[2]).bind(n.bbox[3]).bind(&n.data).bind(now)
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "street_network.import", n.source.clone(),
                    serde_json::json!({"nodes": n.nodes, "edges": n.edges, "length_km": n.length_km, "bytes": n.data.len()})).await?;
                tx.commit().await?;
                $crate::turfs::TurfStore::street_network_info(self, campaign).await?
                    .ok_or_else(|| StorageError::NotFound { what: "street network", key: campaign.to_string() })
            }

            async fn street_network_info(
                &self,
                campaign: terrain_model::CampaignId,
            ) -> $crate::error::Result<Option<$crate::turfs::StreetNetworkInfo>> {
                let row: Option<$crate::sql_turfs::NetworkRow> = sqlx::query_as(
                    "SELECT source, nodes, edges, length_km, min_lon, min_lat, max_lon, max_lat, imported_at \
                     FROM street_networks WHERE campaign_id = $1")
                    .bind(campaign.0).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn street_network_data(
                &self,
                campaign: terrain_model::CampaignId,
            ) -> $crate::error::Result<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT data FROM street_networks WHERE campaign_id = $1")
                    .bind(campaign.0).fetch_optional(&self.pool).await?;
                Ok(row.map(|(d,)| d))
            }
        }
    };
}

pub(crate) use turf_store;
