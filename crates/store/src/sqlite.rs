//! The SQLite backend: the default, embedded in the binary, for a campaign on one machine.
//! WAL journal (readers never block the writer), foreign keys enforced, a busy timeout so
//! concurrent writers queue instead of failing.

use crate::error::redact_url;
use crate::sql::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// A store on a SQLite file (or in memory, for tests).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://PATH`, `sqlite::memory:`)
    /// and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let unavailable = |e: &dyn std::fmt::Display| StorageError::Unavailable {
            url: redact_url(url),
            cause: e.to_string(),
        };
        let memory = url.contains(":memory:");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| unavailable(&e))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(SqliteSynchronous::Normal);
        let opts = if memory {
            opts
        } else {
            opts.journal_mode(SqliteJournalMode::Wal)
        };
        // An in-memory database lives in one connection: keep exactly one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            });
        // A connection whose transaction SQLite rolled back by itself (it does on a full disk
        // or an I/O error) is left by sqlx believing it is still inside it: its next `BEGIN`
        // would fail, forever. Such a connection is closed instead of being handed out, so
        // service comes back on its own once the disk has room again (`make soak`, faults).
        let pool = if memory {
            pool
        } else {
            pool.before_acquire(|conn, _| {
                Box::pin(async move {
                    use sqlx::Connection;
                    if !conn.is_in_transaction() {
                        return Ok(true);
                    }
                    // A rollback queued when the transaction was dropped runs first.
                    conn.ping().await?;
                    Ok(!conn.is_in_transaction())
                })
            })
        };
        let pool = pool.connect_with(opts).await.map_err(|e| unavailable(&e))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(Self { pool })
    }

    /// The underlying pool, for backend-specific maintenance (backup, integrity checks).
    pub fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }

    /// Begins a transaction that writes. `BEGIN IMMEDIATE` takes the write lock at once, so
    /// concurrent writers queue behind the busy timeout. A plain (deferred) `BEGIN` that reads
    /// before it writes fails at its first write with "database is locked" — at once, without
    /// waiting — whenever another connection committed in between: under field uploads, most
    /// imports failed that way (measured with `make load`, see bench/README.md).
    pub(crate) async fn begin_write(
        &self,
    ) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

sql_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite);
crate::sql_electoral::electoral_store!(SqliteStore, sqlx::Sqlite);
crate::sql_survey::survey_store!(SqliteStore, sqlx::Sqlite);
crate::sql_volunteers::volunteer_store!(SqliteStore, sqlx::Sqlite);
crate::sql_turfs::turf_store!(SqliteStore, sqlx::Sqlite);
crate::sql_field::field_store!(SqliteStore, sqlx::Sqlite);
crate::sql_diagnostic::diagnostic_store!(SqliteStore, sqlx::Sqlite);
crate::sql_privacy::privacy_store!(
    SqliteStore,
    sqlx::Sqlite,
    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
    "instr(lower(CAST({c} AS TEXT)), $1) > 0"
);

#[cfg(test)]
mod tests {
    use super::*;

    crate::contract_suite!(async {
        let store = SqliteStore::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite opens");
        (
            Some(std::sync::Arc::new(store) as std::sync::Arc<dyn crate::Store>),
            (),
        )
    });

    /// Memberships made before the coder role's migration (0012), which rebuilds the table,
    /// keep their roles and territories; foreign keys still hold after it.
    #[tokio::test]
    async fn memberships_survive_the_coder_role_migration() {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")
            .unwrap()
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .unwrap();
        let migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.run_to(11, &pool).await.unwrap();
        let store = SqliteStore { pool: pool.clone() };
        let before = crate::contract::populate_before_coder_role(&store).await;
        migrator.run(&pool).await.unwrap();
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(broken.is_empty(), "foreign keys broken: {broken:?}");
        crate::contract::check_after_coder_role(&store, before).await;
    }

    /// The field suite runs on a file database: its uploads are cut off mid-way, and sqlx
    /// closes a connection whose query was cancelled — an in-memory database would vanish with
    /// it, a file (as in production) does not.
    mod field {
        use super::*;

        struct TempDb(#[allow(dead_code)] tempfile::TempDir);

        impl crate::testing::Cleanup for TempDb {
            async fn cleanup(self) {}
        }

        crate::field_contract_suite!(async {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}/field.db", dir.path().display());
            let store = SqliteStore::connect(&url).await.expect("file SQLite opens");
            (
                Some(std::sync::Arc::new(store) as std::sync::Arc<dyn crate::Store>),
                TempDb(dir),
            )
        });
    }

    /// Transactions that read before they write (an import resolves territories first) must
    /// queue behind concurrent writers, not fail with "database is locked" at their first
    /// write: with a deferred `BEGIN` most of these failed (issue 10, `make load`).
    #[tokio::test]
    async fn concurrent_transactions_that_read_then_write_all_succeed() {
        use crate::Store;
        use crate::types::{Audit, NewCampaign, NewTerritory};
        use terrain_model::{Slug, TerritoryKind};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = std::sync::Arc::new(SqliteStore::connect(&url).await.unwrap());
        let audit = Audit::cli();
        let c = store
            .create_campaign(
                &audit,
                &NewCampaign {
                    slug: Slug::parse("concurrent").unwrap(),
                    name: "Concurrent".into(),
                    retention_until: None,
                },
            )
            .await
            .unwrap()
            .id;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let store = store.clone();
            let audit = audit.clone();
            tasks.push(tokio::spawn(async move {
                // Reads the campaign's territories, then inserts one.
                store
                    .upsert_territories(
                        &audit,
                        c,
                        &[NewTerritory {
                            kind: TerritoryKind::Department,
                            code: format!("{:02}", if i + 1 >= 20 { i + 2 } else { i + 1 }),
                            name: format!("D{i}"),
                            parent: None,
                        }],
                    )
                    .await
            }));
        }
        let mut failures = Vec::new();
        for t in tasks {
            if let Err(e) = t.await.unwrap() {
                failures.push(e.to_string());
            }
        }
        assert!(
            failures.is_empty(),
            "{} failed: {failures:?}",
            failures.len()
        );
    }

    mod privacy {
        use super::*;
        crate::privacy_contract_suite!(async {
            let store = SqliteStore::connect("sqlite::memory:")
                .await
                .expect("in-memory SQLite opens");
            (
                Some(std::sync::Arc::new(store) as std::sync::Arc<dyn crate::Store>),
                (),
            )
        });
    }

    #[tokio::test]
    async fn file_database_uses_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        // Reopening runs the migrations again without harm.
        drop(store);
        SqliteStore::connect(&url).await.unwrap();
    }

    #[tokio::test]
    async fn an_unopenable_path_is_a_clear_error() {
        let err = SqliteStore::connect("sqlite:///nonexistent-dir/sub/t.db")
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Unavailable { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent-dir/sub/t.db"));
    }
}
