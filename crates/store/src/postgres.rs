//! The PostgreSQL backend, for campaigns that outgrow one machine.

use crate::error::redact_url;
use crate::sql::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A store on a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: sqlx::PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StorageError::Unavailable {
            url: redact_url(url),
            cause: e.to_string(),
        })?;
        Self::connect_with(opts, url).await
    }

    /// Connects with explicit options (tests use this to pin a schema on the search path).
    pub async fn connect_with(opts: PgConnectOptions, url_for_errors: &str) -> Result<Self> {
        // One direct attempt first: a refused connection fails at once with the server's
        // own words, instead of the pool retrying until its acquire timeout.
        use sqlx::Connection;
        sqlx::postgres::PgConnection::connect_with(&opts)
            .await
            .map_err(|e| StorageError::Unavailable {
                url: redact_url(url_for_errors),
                cause: e.to_string(),
            })?
            .close()
            .await
            .ok();
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StorageError::Unavailable {
                url: redact_url(url_for_errors),
                cause: e.to_string(),
            })?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(Self { pool })
    }

    /// The underlying pool, for backend-specific maintenance.
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.pool
    }

    /// Begins a transaction that writes (PostgreSQL's row locks need nothing more; SQLite's
    /// counterpart takes the write lock at once).
    pub(crate) async fn begin_write(
        &self,
    ) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await
    }
}

sql_store!(PgStore, sqlx::Postgres, Backend::Postgres);
crate::sql_electoral::electoral_store!(PgStore, sqlx::Postgres);
crate::sql_survey::survey_store!(PgStore, sqlx::Postgres);
crate::sql_volunteers::volunteer_store!(PgStore, sqlx::Postgres);
crate::sql_turfs::turf_store!(PgStore, sqlx::Postgres);
crate::sql_field::field_store!(PgStore, sqlx::Postgres);
crate::sql_diagnostic::diagnostic_store!(PgStore, sqlx::Postgres);
crate::sql_privacy::privacy_store!(
    PgStore,
    sqlx::Postgres,
    "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    "strpos(lower({c}::text), $1) > 0"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::PgSchema;

    crate::contract_suite!(async {
        match PgSchema::create().await {
            Some(schema) => {
                let store = schema.store().await;
                (Some(store), Some(schema))
            }
            None => (None, None),
        }
    });

    /// Memberships made before the coder role's migration (0012) keep their roles and
    /// territories through it.
    #[tokio::test]
    async fn memberships_survive_the_coder_role_migration() {
        let Some(schema) = PgSchema::create().await else {
            return;
        };
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(schema.connect_options())
            .await
            .unwrap();
        let migrator = sqlx::migrate!("./migrations/postgres");
        migrator.run_to(11, &pool).await.unwrap();
        let store = PgStore { pool: pool.clone() };
        let before = crate::contract::populate_before_coder_role(&store).await;
        migrator.run(&pool).await.unwrap();
        crate::contract::check_after_coder_role(&store, before).await;
        pool.close().await;
        crate::testing::Cleanup::cleanup(schema).await;
    }

    mod field {
        use super::*;
        crate::field_contract_suite!(async {
            match PgSchema::create().await {
                Some(schema) => {
                    let store = schema.store().await;
                    (Some(store), Some(schema))
                }
                None => (None, None),
            }
        });
    }

    /// The same contracts on tables partitioned by campaign (`docs/scale.md`): the schema's
    /// keys and queries work unchanged.
    mod partitioned {
        use super::*;
        use crate::Store;
        use std::sync::Arc;

        async fn partitioned() -> (Option<Arc<dyn Store>>, Option<PgSchema>) {
            let Some(schema) = PgSchema::create().await else {
                return (None, None);
            };
            drop(schema.store().await); // runs the migrations
            let tables = schema.partition_by_campaign().await;
            eprintln!(
                "{} tables partitioned by campaign: {tables:?}",
                tables.len()
            );
            assert!(
                tables.len() >= 40,
                "{} tables partitioned: {tables:?}",
                tables.len()
            );
            for big in [
                "addresses",
                "territories",
                "visits",
                "responses",
                "turfs",
                "volunteers",
            ] {
                assert!(
                    tables.iter().any(|t| t == big),
                    "{big} not partitioned: {tables:?}"
                );
            }
            let store = schema.store().await;
            (Some(store), Some(schema))
        }

        crate::contract_suite!(partitioned());

        mod field {
            crate::field_contract_suite!(super::partitioned());
        }
    }

    mod privacy {
        use super::*;
        crate::privacy_contract_suite!(async {
            match PgSchema::create().await {
                Some(schema) => {
                    let store = schema.store().await;
                    (Some(store), Some(schema))
                }
                None => (None, None),
            }
        });
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_clear_error() {
        let err = PgStore::connect("postgres://nobody:secret@127.0.0.1:1/none")
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Unavailable { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("127.0.0.1:1"), "{msg}");
        assert!(!msg.contains("secret"), "password leaked: {msg}");
    }
}
