//! What is checked in the database after each kill: every acknowledged record is there exactly
//! once, and the database is sound (SQLite `PRAGMA integrity_check` and `foreign_key_check`;
//! PostgreSQL: every constraint validated and every B-tree index checked by `amcheck`).

use crate::env::Db;
use sqlx::Connection;
use std::collections::HashMap;
use uuid::Uuid;

/// The outcome of one check.
#[derive(Debug, Default, Clone)]
pub struct Check {
    /// Acknowledged records looked for.
    pub acked: usize,
    /// Acknowledged records not found (must be 0).
    pub missing: usize,
    /// Acknowledged records stored under another kind (must be 0).
    pub wrong_kind: usize,
    /// Receipts in the database.
    pub receipts: u64,
    /// Visit receipts without their visit row, or visits without a receipt (must be 0).
    pub visit_mismatch: i64,
    /// Response receipts minus response rows (must be 0: each stored once).
    pub response_mismatch: i64,
    /// Door-count receipts without their row, or rows without receipt (must be 0).
    pub door_count_mismatch: i64,
    /// The integrity check's problems (must be empty).
    pub integrity: Vec<String>,
}

impl Check {
    /// Whether everything holds.
    pub fn ok(&self) -> bool {
        self.missing == 0
            && self.wrong_kind == 0
            && self.visit_mismatch == 0
            && self.response_mismatch == 0
            && self.door_count_mismatch == 0
            && self.integrity.is_empty()
    }
}

const COUNTS: &str = "SELECT \
    (SELECT COUNT(*) FROM field_receipts r WHERE r.kind = 'visit' AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.campaign_id = r.campaign_id AND v.id = r.id)) \
  + (SELECT COUNT(*) FROM visits v WHERE NOT EXISTS (SELECT 1 FROM field_receipts r WHERE r.campaign_id = v.campaign_id AND r.id = v.id)), \
    (SELECT COUNT(*) FROM field_receipts WHERE kind = 'response') - (SELECT COUNT(*) FROM responses), \
    (SELECT COUNT(*) FROM field_receipts r WHERE r.kind = 'door_count' AND NOT EXISTS (SELECT 1 FROM door_counts d WHERE d.campaign_id = r.campaign_id AND d.id = r.id)) \
  + (SELECT COUNT(*) FROM door_counts d WHERE NOT EXISTS (SELECT 1 FROM field_receipts r WHERE r.campaign_id = d.campaign_id AND r.id = d.id))";

/// Checks the database against the acknowledged records. Run while the server is down.
pub async fn check(db: &Db, acked: &HashMap<Uuid, &'static str>) -> anyhow::Result<Check> {
    let mut out = Check {
        acked: acked.len(),
        ..Check::default()
    };
    let (receipts, (visits, responses, door_counts)): (Vec<(Uuid, String)>, (i64, i64, i64)) =
        match db {
            Db::Sqlite { path } => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .foreign_keys(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
                let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_all(&mut conn)
                    .await?;
                out.integrity
                    .extend(rows.into_iter().map(|(s,)| s).filter(|s| s != "ok"));
                let fk: Vec<(String, i64, String, i64)> =
                    sqlx::query_as("PRAGMA foreign_key_check")
                        .fetch_all(&mut conn)
                        .await?;
                out.integrity
                    .extend(fk.into_iter().map(|(table, row, parent, _)| {
                        format!("foreign key: {table} row {row} points at a missing {parent}")
                    }));
                let receipts = sqlx::query_as("SELECT id, kind FROM field_receipts")
                    .fetch_all(&mut conn)
                    .await?;
                let counts = sqlx::query_as(COUNTS).fetch_one(&mut conn).await?;
                conn.close().await?;
                (receipts, counts)
            }
            Db::Postgres { .. } => {
                let mut conn = sqlx::PgConnection::connect(&db.url()).await?;
                let (invalid,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                     WHERE n.nspname = 'public' AND NOT c.convalidated",
                )
                .fetch_one(&mut conn)
                .await?;
                if invalid > 0 {
                    out.integrity
                        .push(format!("{invalid} constraints are not validated"));
                }
                sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
                    .execute(&mut conn)
                    .await?;
                let indexes: Vec<(String,)> = sqlx::query_as(
                    "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam \
                     WHERE n.nspname = 'public' AND a.amname = 'btree'",
                )
                .fetch_all(&mut conn)
                .await?;
                for (index,) in indexes {
                    // heapallindexed: every heap tuple has its index entry.
                    if let Err(e) = sqlx::query("SELECT bt_index_check($1::regclass, true)")
                        .bind(format!("public.\"{index}\""))
                        .execute(&mut conn)
                        .await
                    {
                        out.integrity.push(format!("index {index}: {e}"));
                    }
                }
                let receipts = sqlx::query_as("SELECT id, kind FROM field_receipts")
                    .fetch_all(&mut conn)
                    .await?;
                let counts = sqlx::query_as(COUNTS).fetch_one(&mut conn).await?;
                conn.close().await?;
                (receipts, counts)
            }
        };
    out.receipts = receipts.len() as u64;
    out.visit_mismatch = visits;
    out.response_mismatch = responses;
    out.door_count_mismatch = door_counts;
    let stored: HashMap<Uuid, String> = receipts.into_iter().collect();
    for (id, kind) in acked {
        match stored.get(id) {
            None => out.missing += 1,
            Some(k) if k != kind => out.wrong_kind += 1,
            Some(_) => {}
        }
    }
    Ok(out)
}
