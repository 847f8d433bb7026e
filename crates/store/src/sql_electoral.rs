//! The SQL of [`crate::ElectoralStore`], shared by both backends like [`crate::sql`].

use crate::electoral::*;
use crate::error::{Result, StorageError};
use terrain_model::{CampaignId, TerritoryId, TerritoryKind};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct ElectionRow {
    id: Uuid,
    campaign_id: Uuid,
    code: String,
    kind: String,
    year: i32,
    round: i32,
    label: String,
    source: String,
    imported_at: OffsetDateTime,
    bureaux: i64,
}

impl From<ElectionRow> for Election {
    fn from(r: ElectionRow) -> Self {
        Election {
            id: r.id,
            campaign_id: CampaignId(r.campaign_id),
            code: r.code,
            kind: r.kind,
            year: r.year,
            round: r.round,
            label: r.label,
            source: r.source,
            imported_at: r.imported_at,
            bureaux: u64::try_from(r.bureaux).unwrap_or(0),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CountsRow {
    territory_id: Uuid,
    inscrits: i64,
    abstentions: i64,
    votants: i64,
    blancs: i64,
    nuls: i64,
    exprimes: i64,
}

impl CountsRow {
    pub(crate) fn split(self) -> (TerritoryId, Counts) {
        let u = |v: i64| u64::try_from(v).unwrap_or(0);
        (
            TerritoryId(self.territory_id),
            Counts {
                inscrits: u(self.inscrits),
                abstentions: u(self.abstentions),
                votants: u(self.votants),
                blancs: u(self.blancs),
                nuls: u(self.nuls),
                exprimes: u(self.exprimes),
            },
        )
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CandidateRow {
    territory_id: Uuid,
    panel: Option<i32>,
    name: String,
    nuance: Option<String>,
    bloc: Option<String>,
    votes: i64,
}

impl CandidateRow {
    pub(crate) fn split(self) -> (TerritoryId, CandidateVotes) {
        (
            TerritoryId(self.territory_id),
            CandidateVotes {
                panel: self.panel.and_then(|p| u32::try_from(p).ok()),
                name: self.name,
                nuance: self.nuance,
                bloc: self.bloc,
                votes: u64::try_from(self.votes).unwrap_or(0),
            },
        )
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ShapeDbRow {
    territory_id: Uuid,
    kind: String,
    code: String,
    name: String,
    path: String,
    geometry: String,
    valid: bool,
}

impl ShapeDbRow {
    pub(crate) fn path(&self) -> terrain_model::TerritoryPath {
        terrain_model::TerritoryPath::from_stored(self.path.clone())
    }

    pub(crate) fn into_feature(self) -> Result<MapFeature> {
        Ok(MapFeature {
            territory_id: TerritoryId(self.territory_id),
            kind: self.kind.parse().map_err(
                |e: terrain_model::territory::TerritoryKindError| StorageError::Invalid {
                    what: "territory",
                    reason: e.to_string(),
                },
            )?,
            code: self.code,
            name: self.name,
            geometry: self.geometry,
            valid: self.valid,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ExperimentRow {
    campaign_id: Uuid,
    id: Uuid,
    name: String,
    reference_election: String,
    blocs: String,
    budget_doors: f64,
    scope_path: Option<String>,
    design: sqlx::types::Json<serde_json::Value>,
    digest: String,
    created_by: Option<Uuid>,
    created_at: OffsetDateTime,
}

impl From<ExperimentRow> for Experiment {
    fn from(r: ExperimentRow) -> Self {
        Experiment {
            id: r.id,
            campaign_id: CampaignId(r.campaign_id),
            fields: NewExperiment {
                name: r.name,
                reference_election: r.reference_election,
                blocs: r.blocs,
                budget_doors: r.budget_doors,
                scope_path: r.scope_path.map(terrain_model::TerritoryPath::from_stored),
                design: r.design.0,
                digest: r.digest,
            },
            created_by: r.created_by.map(terrain_model::UserId),
            created_at: r.created_at,
        }
    }
}

pub(crate) const EXPERIMENT_COLS: &str = "campaign_id, id, name, reference_election, blocs, budget_doors, scope_path, design, digest, created_by, created_at";

/// Converts a count to the signed integer the databases store.
pub(crate) fn db_int(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StorageError::Invalid {
        what: "count",
        reason: format!("{what} = {v} is too large"),
    })
}

/// The territory id of an imported row, or a clear error naming it.
pub(crate) fn resolve(
    ids: &std::collections::HashMap<(TerritoryKind, String), TerritoryId>,
    kind: TerritoryKind,
    code: &str,
) -> Result<TerritoryId> {
    let code = kind
        .normalise_code(code)
        .map_err(|e| StorageError::Invalid {
            what: "import",
            reason: e.to_string(),
        })?;
    ids.get(&(kind, code.clone())).copied().ok_or_else(|| StorageError::Invalid {
        what: "import",
        reason: format!("{kind} {code} is not in the campaign's territory (send it in the batch's territories)"),
    })
}

/// Generates `impl ElectoralStore` for a backend made by `sql_store!`.
macro_rules! electoral_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::electoral::ElectoralStore for $store {
            #[tracing::instrument(skip(self, audit, batch), fields(source = %batch.source))]
            async fn apply_import(
                &self,
                audit: &$crate::types::Audit,
                campaign: terrain_model::CampaignId,
                batch: &$crate::electoral::ImportBatch,
            ) -> $crate::error::Result<$crate::electoral::ImportOutcome> {
                use $crate::sql_electoral::{db_int, resolve};
                $crate::Store::campaign(self, campaign).await?;
                let mut tx = self.begin_write().await?;
                let (nodes, created) = Self::upsert_territories_tx(&mut tx, campaign, &batch.territories).await?;
                let mut outcome = $crate::electoral::ImportOutcome {
                    territories_created: created,
                    territories_seen: nodes.len() as u64,
                    ..Default::default()
                };
                // Every territory of the campaign, to resolve codes (the batch's and older ones).
                let all: Vec<(String, String, uuid::Uuid)> = sqlx::query_as("SELECT kind, code, id FROM territories WHERE campaign_id = $1")
                    .bind(campaign.0).fetch_all(&mut *tx).await?;
                let mut ids = std::collections::HashMap::with_capacity(all.len());
                for (k, c, id) in all {
                    if let Ok(k) = k.parse::<terrain_model::TerritoryKind>() {
                        ids.insert((k, c), terrain_model::TerritoryId(id));
                    }
                }
                for data in &batch.elections {
                    let e = &data.election;
                    // Re-importing an election replaces its results.
                    sqlx::query("DELETE FROM elections WHERE campaign_id = $1 AND code = $2")
                        .bind(campaign.0).bind(&e.code).execute(&mut *tx).await?;
                    let eid = uuid::Uuid::now_v7();
                    sqlx::query("INSERT INTO elections (campaign_id, id, code, kind, year, round, label, source, imported_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .bind(campaign.0).bind(eid).bind(&e.code).bind(&e.kind).bind(e.year).bind(e.round)
                        .bind(&e.label).bind(&batch.source).bind(time::OffsetDateTime::now_utc())
                        .execute(&mut *tx).await?;
                    let mut resolved = Vec::with_capacity(data.rows.len());
                    let mut seen = std::collections::HashSet::with_capacity(data.rows.len());
                    for r in &data.rows {
                        let t = resolve(&ids, r.kind, &r.area)?;
                        if !seen.insert(t) {
                            return Err($crate::error::StorageError::Invalid { what: "import", reason: format!("{} {} appears twice in {}", r.kind, r.area, e.code) });
                        }
                        let c = &r.counts;
                        resolved.push((t, [db_int(c.inscrits, "inscrits")?, db_int(c.abstentions, "abstentions")?, db_int(c.votants, "votants")?,
                                           db_int(c.blancs, "blancs")?, db_int(c.nuls, "nuls")?, db_int(c.exprimes, "exprimes")?], r));
                    }
                    for chunk in resolved.chunks(2000) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO bureau_results (campaign_id, election_id, territory_id, inscrits, abstentions, votants, blancs, nuls, exprimes) ");
                        qb.push_values(chunk, |mut b, (t, c, _)| {
                            b.push_bind(campaign.0).push_bind(eid).push_bind(t.0);
                            for v in c {
                                b.push_bind(*v);
                            }
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    let mut cands = Vec::new();
                    for (t, _, r) in &resolved {
                        for (pos, cv) in r.candidates.iter().enumerate() {
                            cands.push((*t, pos as i32, cv.panel.and_then(|p| i32::try_from(p).ok()), cv, db_int(cv.votes, "voix")?));
                        }
                    }
                    for chunk in cands.chunks(3000) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO candidate_results (campaign_id, election_id, territory_id, position, panel, name, nuance, bloc, votes) ");
                        qb.push_values(chunk, |mut b, (t, pos, panel, cv, votes)| {
                            b.push_bind(campaign.0).push_bind(eid).push_bind(t.0).push_bind(*pos).push_bind(*panel)
                                .push_bind(cv.name.clone()).push_bind(cv.nuance.clone()).push_bind(cv.bloc.clone()).push_bind(*votes);
                        });
                        qb.build().execute(&mut *tx).await?;
                    }
                    outcome.elections.push((e.code.clone(), eid));
                    outcome.bureaux_with_results += resolved.len() as u64;
                    outcome.candidate_rows += cands.len() as u64;
                }
                if !batch.census.is_empty() {
                    let mut rows = Vec::with_capacity(batch.census.len());
                    for c in &batch.census {
                        if !c.value.is_finite() {
                            return Err($crate::error::StorageError::Invalid { what: "census", reason: format!("{} {} of {} {} is not a number", c.source, c.variable, c.kind, c.code) });
                        }
                        rows.push((resolve(&ids, c.kind, &c.code)?, c));
                    }
                    // Re-importing a table replaces its values for the territories it covers.
                    let sources: std::collections::BTreeSet<&str> = batch.census.iter().map(|c| c.source.as_str()).collect();
                    for src in sources {
                        sqlx::query("DELETE FROM census_values WHERE campaign_id = $1 AND source = $2")
                            .bind(campaign.0).bind(src).execute(&mut *tx).await?;
                    }
                    for chunk in rows.chunks(5000) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO census_values (campaign_id, territory_id, source, variable, value) ");
                        qb.push_values(chunk, |mut b, (t, c)| {
                            b.push_bind(campaign.0).push_bind(t.0).push_bind(c.source.clone()).push_bind(c.variable.clone()).push_bind(c.value);
                        });
                        qb.build().execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                            $crate::error::StorageError::Conflict { .. } => $crate::error::StorageError::Invalid {
                                what: "census", reason: "a variable appears twice for the same territory".into() },
                            other => other,
                        })?;
                    }
                    outcome.census_values = rows.len() as u64;
                }
                if !batch.shapes.is_empty() {
                    let mut rows = Vec::with_capacity(batch.shapes.len());
                    for s in &batch.shapes {
                        if s.bbox.iter().any(|v| !v.is_finite()) {
                            return Err($crate::error::StorageError::Invalid { what: "shape", reason: format!("{} {} has no extent", s.kind, s.code) });
                        }
                        rows.push((resolve(&ids, s.kind, &s.code)?, s));
                    }
                    for chunk in rows.chunks(500) {
                        let mut del = sqlx::QueryBuilder::<$db>::new("DELETE FROM territory_shapes WHERE campaign_id = ");
                        del.push_bind(campaign.0);
                        del.push(" AND territory_id IN (");
                        let mut sep = del.separated(", ");
                        for (t, _) in chunk {
                            sep.push_bind(t.0);
                        }
                        del.push(")");
                        del.build().execute(&mut *tx).await?;
                        let mut qb = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO territory_shapes (campaign_id, territory_id, geometry, min_lon, min_lat, max_lon, max_lat, valid, source) ");
                        qb.push_values(chunk, |mut b, (t, s)| {
                            b.push_bind(campaign.0).push_bind(t.0).push_bind(s.geometry.clone())
                                .push_bind(s.bbox[0]).push_bind(s.bbox[1]).push_bind(s.bbox[2]).push_bind(s.bbox[3])
                                .push_bind(s.valid).push_bind(batch.source.clone());
                        });
                        qb.build().execute(&mut *tx).await.map_err(|e| match $crate::error::StorageError::from(e) {
                            $crate::error::StorageError::Conflict { .. } => $crate::error::StorageError::Invalid {
                                what: "shape", reason: "a territory has two shapes in the same file".into() },
                            other => other,
                        })?;
                    }
                    outcome.shapes = rows.len() as u64;
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "import.apply", batch.source.clone(),
                    serde_json::to_value(&outcome).unwrap_or_default()).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn elections(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<Vec<$crate::electoral::Election>> {
                let rows: Vec<$crate::sql_electoral::ElectionRow> = sqlx::query_as(
                    "SELECT e.id, e.campaign_id, e.code, e.kind, e.year, e.round, e.label, e.source, e.imported_at, \
                     (SELECT COUNT(*) FROM bureau_results r WHERE r.campaign_id = e.campaign_id AND r.election_id = e.id) AS bureaux \
                     FROM elections e WHERE e.campaign_id = $1 ORDER BY e.year DESC, e.kind, e.round DESC")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn election_by_code(&self, campaign: terrain_model::CampaignId, code: &str) -> $crate::error::Result<$crate::electoral::Election> {
                let row: $crate::sql_electoral::ElectionRow = sqlx::query_as(
                    "SELECT e.id, e.campaign_id, e.code, e.kind, e.year, e.round, e.label, e.source, e.imported_at, \
                     (SELECT COUNT(*) FROM bureau_results r WHERE r.campaign_id = e.campaign_id AND r.election_id = e.id) AS bureaux \
                     FROM elections e WHERE e.campaign_id = $1 AND e.code = $2")
                    .bind(campaign.0).bind(code).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("election", code))?;
                Ok(row.into())
            }

            async fn bureau_results(&self, campaign: terrain_model::CampaignId, election: uuid::Uuid, within: &$crate::types::Scope)
                -> $crate::error::Result<Vec<$crate::electoral::BureauResults>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT r.territory_id, r.inscrits, r.abstentions, r.votants, r.blancs, r.nuls, r.exprimes \
                     FROM bureau_results r JOIN territories t ON t.campaign_id = r.campaign_id AND t.id = r.territory_id \
                     WHERE r.campaign_id = ");
                qb.push_bind(campaign.0);
                qb.push(" AND r.election_id = ");
                qb.push_bind(election);
                if let $crate::types::Scope::Within(paths) = within {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY t.code");
                let counts: Vec<$crate::sql_electoral::CountsRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT c.territory_id, c.panel, c.name, c.nuance, c.bloc, c.votes \
                     FROM candidate_results c JOIN territories t ON t.campaign_id = c.campaign_id AND t.id = c.territory_id \
                     WHERE c.campaign_id = ");
                qb.push_bind(campaign.0);
                qb.push(" AND c.election_id = ");
                qb.push_bind(election);
                if let $crate::types::Scope::Within(paths) = within {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY c.territory_id, c.position");
                let cands: Vec<$crate::sql_electoral::CandidateRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                let mut by_t: std::collections::HashMap<terrain_model::TerritoryId, Vec<$crate::electoral::CandidateVotes>> = std::collections::HashMap::new();
                for c in cands {
                    let (t, v) = c.split();
                    by_t.entry(t).or_default().push(v);
                }
                Ok(counts.into_iter().map(|r| {
                    let (t, counts) = r.split();
                    $crate::electoral::BureauResults { territory_id: t, counts, candidates: by_t.remove(&t).unwrap_or_default() }
                }).collect())
            }

            async fn shapes(&self, campaign: terrain_model::CampaignId, kind: terrain_model::TerritoryKind, within: &$crate::types::Scope)
                -> $crate::error::Result<Vec<$crate::electoral::MapFeature>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT s.territory_id, t.kind, t.code, t.name, t.path, s.geometry, s.valid \
                     FROM territory_shapes s JOIN territories t ON t.campaign_id = s.campaign_id AND t.id = s.territory_id \
                     WHERE s.campaign_id = ");
                qb.push_bind(campaign.0);
                qb.push(" AND t.kind = ");
                qb.push_bind(kind.as_str());
                if let $crate::types::Scope::Within(paths) = within {
                    $crate::sql::push_within(&mut qb, "t.path", paths);
                }
                qb.push(" ORDER BY t.code");
                let rows: Vec<$crate::sql_electoral::ShapeDbRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().filter(|r| within.covers(&r.path())).map(|r| r.into_feature()).collect()
            }

            async fn territory_index(&self, campaign: terrain_model::CampaignId)
                -> $crate::error::Result<Vec<(terrain_model::TerritoryKind, String, terrain_model::TerritoryId, String)>> {
                let rows: Vec<(String, String, uuid::Uuid, String)> = sqlx::query_as(
                    "SELECT kind, code, id, name FROM territories WHERE campaign_id = $1 ORDER BY path")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                rows.into_iter().map(|(k, c, id, n)| {
                    let k = k.parse::<terrain_model::TerritoryKind>().map_err(|e| $crate::error::StorageError::Invalid { what: "territory", reason: e.to_string() })?;
                    Ok((k, c, terrain_model::TerritoryId(id), n))
                }).collect()
            }

            async fn create_experiment(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId, new: &$crate::electoral::NewExperiment)
                -> $crate::error::Result<$crate::electoral::Experiment> {
                if new.name.trim().is_empty() {
                    return Err($crate::error::StorageError::Invalid { what: "experiment", reason: "the name is empty".into() });
                }
                let id = uuid::Uuid::now_v7();
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO experiments (campaign_id, id, name, reference_election, blocs, budget_doors, scope_path, design, digest, created_by, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                    .bind(campaign.0).bind(id).bind(new.name.trim()).bind(&new.reference_election).bind(&new.blocs).bind(new.budget_doors)
                    .bind(new.scope_path.as_ref().map(|p| p.as_str().to_string())).bind(sqlx::types::Json(&new.design)).bind(&new.digest)
                    .bind(audit.actor.map(|u| u.0)).bind(time::OffsetDateTime::now_utc())
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "experiment.create", id.to_string(),
                    serde_json::json!({"name": new.name, "digest": new.digest, "reference_election": new.reference_election})).await?;
                tx.commit().await?;
                $crate::electoral::ElectoralStore::experiment(self, campaign, id).await
            }

            async fn experiments(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<Vec<$crate::electoral::Experiment>> {
                let rows: Vec<$crate::sql_electoral::ExperimentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM experiments WHERE campaign_id = $1 ORDER BY id DESC", $crate::sql_electoral::EXPERIMENT_COLS)))
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn experiment(&self, campaign: terrain_model::CampaignId, id: uuid::Uuid) -> $crate::error::Result<$crate::electoral::Experiment> {
                let row: $crate::sql_electoral::ExperimentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM experiments WHERE campaign_id = $1 AND id = $2", $crate::sql_electoral::EXPERIMENT_COLS)))
                    .bind(campaign.0).bind(id).fetch_one(&self.pool).await
                    .map_err($crate::sql::not_found("experiment", id))?;
                Ok(row.into())
            }

            async fn census_of(&self, campaign: terrain_model::CampaignId, territory: terrain_model::TerritoryId)
                -> $crate::error::Result<Vec<(String, String, f64)>> {
                Ok(sqlx::query_as("SELECT source, variable, value FROM census_values WHERE campaign_id = $1 AND territory_id = $2 ORDER BY source, variable")
                    .bind(campaign.0).bind(territory.0).fetch_all(&self.pool).await?)
            }
        }
    };
}

pub(crate) use electoral_store;
