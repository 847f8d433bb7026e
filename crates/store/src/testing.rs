//! Test support shared by the store's contract suite and the server's tests: a throw-away
//! PostgreSQL schema per test, and the rule for when PostgreSQL tests may skip.
//!
//! The PostgreSQL URL comes from `TERRAIN_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When no server answers, the tests print that
//! they skip — unless `TERRAIN_REQUIRE_PG=1` (set by CI), where they fail instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{PgStore, Store};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr;
use std::sync::Arc;

/// The default test database: the machine's local PostgreSQL, database `test`.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The URL of the PostgreSQL server tests use.
pub fn pg_url() -> String {
    std::env::var("TERRAIN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

fn pg_required() -> bool {
    std::env::var("TERRAIN_REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// Something to tidy up after a passing test.
pub trait Cleanup {
    /// Releases what the test made.
    fn cleanup(self) -> impl std::future::Future<Output = ()> + Send;
}

impl Cleanup for () {
    async fn cleanup(self) {}
}

impl<T: Cleanup + Send> Cleanup for Option<T> {
    async fn cleanup(self) {
        if let Some(t) = self {
            t.cleanup().await;
        }
    }
}

/// A fresh schema in the test database, dropped by [`Cleanup::cleanup`]. Schemas left behind
/// by failed runs are dropped when they are more than an hour old.
#[derive(Debug)]
pub struct PgSchema {
    name: String,
    url: String,
}

impl PgSchema {
    /// Creates the schema, or returns `None` (after saying so) when PostgreSQL is unreachable
    /// and not required.
    pub async fn create() -> Option<Self> {
        let url = pg_url();
        let mut conn = match PgConnection::connect(&url).await {
            Ok(c) => c,
            Err(e) => {
                if pg_required() {
                    panic!("TERRAIN_REQUIRE_PG=1 but PostgreSQL at {url} is unreachable: {e}");
                }
                eprintln!(
                    "SKIPPED: PostgreSQL at {url} is unreachable ({e}); set TERRAIN_TEST_PG_URL to run this test"
                );
                return None;
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let stale: Vec<(String,)> = sqlx::query_as(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'terrain\\_t\\_%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("list test schemas");
        for (name,) in stale {
            let born = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok());
            if born.is_some_and(|b| b + 3600 < now) {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
                )))
                .execute(&mut conn)
                .await;
            }
        }
        let name = format!("terrain_t_{now}_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        Some(Self { name, url })
    }

    /// A store whose connections work in this schema.
    pub async fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.pg_store().await)
    }

    /// Options that connect to this schema (nothing migrated).
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url)
            .expect("test URL parses")
            .options([("search_path", self.name.as_str())])
    }

    /// The concrete PostgreSQL store in this schema.
    pub async fn pg_store(&self) -> PgStore {
        let opts = self.connect_options();
        PgStore::connect_with(opts, &self.url)
            .await
            .expect("connect to test schema")
    }

    /// Rebuilds every campaign-keyed table of the (migrated) schema as a table partitioned by
    /// `HASH (campaign_id)` into four partitions, as a national deployment would (see
    /// `docs/scale.md`), with its indexes, constraints and foreign keys; returns the tables
    /// partitioned. A table is left as it is when its primary key or one of its unique
    /// indexes does not hold `campaign_id` (PostgreSQL cannot partition it then): those are
    /// the campaign-less tables (users, sessions…) and the audit log.
    pub async fn partition_by_campaign(&self) -> Vec<String> {
        let mut conn = PgConnection::connect(&self.url).await.expect("connect");
        let q = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
        q(format!("SET search_path TO \"{}\"", self.name))
            .execute(&mut conn)
            .await
            .unwrap();
        // Tables with a campaign_id column whose every unique index holds it.
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind = 'r' \
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'campaign_id' AND NOT a.attisdropped) \
               AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) \
               AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique \
                   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'campaign_id' \
                                   AND a.attnum = ANY (i.indkey))) \
             ORDER BY 1",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let tables: Vec<String> = tables.into_iter().map(|(t,)| t).collect();
        // Every foreign key of the schema, to drop before and add back after.
        let fks: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE contype = 'f' AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) ORDER BY 1, 2",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut tx = conn.begin().await.unwrap();
        for (table, name, _) in &fks {
            q(format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for t in &tables {
            for sql in [
                format!("ALTER TABLE \"{t}\" RENAME TO \"{t}__old\""),
                format!(
                    "CREATE TABLE \"{t}\" (LIKE \"{t}__old\" INCLUDING ALL) PARTITION BY HASH (campaign_id)"
                ),
            ] {
                q(sql).execute(&mut *tx).await.unwrap();
            }
            for r in 0..4 {
                q(format!(
                    "CREATE TABLE \"{t}__p{r}\" PARTITION OF \"{t}\" FOR VALUES WITH (MODULUS 4, REMAINDER {r})"
                ))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            for sql in [
                format!("INSERT INTO \"{t}\" SELECT * FROM \"{t}__old\""),
                format!("DROP TABLE \"{t}__old\""),
            ] {
                q(sql).execute(&mut *tx).await.unwrap();
            }
        }
        for (table, name, def) in &fks {
            q(format!(
                "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"
            ))
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("foreign key {name} of {table} ({def}): {e}"));
        }
        tx.commit().await.unwrap();
        // They are partitioned now, each with its four partitions.
        let parts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT c.relname::text, (SELECT COUNT(*) FROM pg_inherits i WHERE i.inhparent = c.oid) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind = 'p' ORDER BY 1",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(parts.len(), tables.len(), "{parts:?}");
        assert!(parts.iter().all(|(_, n)| *n == 4), "{parts:?}");
        tables
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Cleanup for PgSchema {
    async fn cleanup(self) {
        if let Ok(mut conn) = PgConnection::connect(&self.url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.name
            )))
            .execute(&mut conn)
            .await;
        }
    }
}
