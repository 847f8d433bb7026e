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

    /// The concrete PostgreSQL store in this schema.
    pub async fn pg_store(&self) -> PgStore {
        let opts = PgConnectOptions::from_str(&self.url)
            .expect("test URL parses")
            .options([("search_path", self.name.as_str())]);
        PgStore::connect_with(opts, &self.url)
            .await
            .expect("connect to test schema")
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
