//! What can go wrong in storage, said so that the server can map it to a status and a stable
//! error code, and the CLI to a clear message.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The thing asked for does not exist (in this campaign).
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    /// A uniqueness rule would be broken (an e-mail already used, a slug taken…).
    #[error("{what} already exists: {key}")]
    Conflict { what: &'static str, key: String },
    /// The write does not make sense (a bureau under a department, an unknown parent…).
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    /// The invite's expiry date has passed.
    #[error("invite expired")]
    InviteExpired,
    /// The invite was used as many times as allowed.
    #[error("invite already used up")]
    InviteUsedUp,
    /// The database URL is not one Terrain can use.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot open the database at {url}: {cause}")]
    Unavailable { url: String, cause: String },
    /// A migration failed: the database is left as the migration's transaction left it.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// Anything else the database said.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StorageError::NotFound {
                what: "row",
                key: String::new(),
            },
            sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict {
                what: "record",
                key: db.constraint().unwrap_or_default().to_string(),
            },
            // PostgreSQL refuses NUL characters in text (22021), and bytes it cannot encode.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("22021" | "22P05")) =>
            {
                StorageError::Invalid {
                    what: "text",
                    reason: "it contains a character that cannot be stored (NUL)".into(),
                }
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StorageError::Invalid {
                what: "reference",
                reason: db.message().to_string(),
            },
            _ => StorageError::Database(e),
        }
    }
}

/// A failure of the storage itself, not of the request: it goes away when the fault does
/// (the disk has room again, the database is writable again, the server is back), and the
/// same request then succeeds. The server answers these with 503/507 and a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The database cannot be reached: connection refused, reset or terminated, pool timed
    /// out, database locked for longer than the busy timeout, I/O error.
    Unavailable,
    /// The database refuses writes (read-only file or file system, a read-only replica or
    /// `default_transaction_read_only`).
    ReadOnly,
    /// The disk (or the database's size limit) is full.
    Full,
}

impl StorageError {
    /// Whether this is a storage fault, and which. `None` for errors of the request itself
    /// (not found, conflict, invalid) and for bugs.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            StorageError::Unavailable { .. } => Some(Fault::Unavailable),
            StorageError::Database(e) => sqlx_fault(e),
            _ => None,
        }
    }
}

fn sqlx_fault(e: &sqlx::Error) -> Option<Fault> {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(Fault::Unavailable),
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // PostgreSQL SQLSTATEs.
                return match pg.code() {
                    "53100" => Some(Fault::Full),     // disk_full
                    "25006" => Some(Fault::ReadOnly), // read_only_sql_transaction
                    c if c.starts_with("08") // connection exceptions
                        || c.starts_with("57P") // admin/crash shutdown, cannot connect now
                        || c == "53300" // too_many_connections
                        || c == "40P01" =>
                    // deadlock_detected: the same request succeeds again
                    {
                        Some(Fault::Unavailable)
                    }
                    _ => None,
                };
            }
            // SQLite: the primary result code is the low byte of the extended one.
            match db.code()?.parse::<i64>().ok()? & 0xff {
                13 => Some(Fault::Full),                     // SQLITE_FULL
                8 => Some(Fault::ReadOnly), // SQLITE_READONLY (and its extended codes)
                5 | 6 | 10 | 14 => Some(Fault::Unavailable), // BUSY, LOCKED, IOERR, CANTOPEN
                _ => None,
            }
        }
        other => {
            // A connection that broke mid-query surfaces as a protocol or decode error whose
            // text says so.
            let s = other.to_string();
            (s.contains("connection") || s.contains("database is locked"))
                .then_some(Fault::Unavailable)
        }
    }
}

/// Shorthand for store results.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Hides the password of a database URL before it goes into a message or a log.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// A real SQLite error from running `sql` after `setup` on a fresh file database.
    async fn sqlite_error(setup: &[&str], sql: &str) -> StorageError {
        let dir = tempfile::tempdir().unwrap();
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("f.db"))
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        for s in setup {
            sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let e = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await
            .unwrap_err();
        StorageError::from(e)
    }

    #[tokio::test]
    async fn a_full_sqlite_database_is_a_full_fault() {
        // max_page_count caps the file as a full disk would: SQLite answers SQLITE_FULL.
        let e = sqlite_error(
            &["CREATE TABLE t (b BLOB)", "PRAGMA max_page_count = 8"],
            "INSERT INTO t SELECT zeroblob(100000)",
        )
        .await;
        assert_eq!(e.fault(), Some(Fault::Full), "{e}");
    }

    #[tokio::test]
    async fn a_read_only_sqlite_database_is_a_read_only_fault() {
        let e = sqlite_error(
            &["CREATE TABLE t (b BLOB)", "PRAGMA query_only = 1"],
            "INSERT INTO t VALUES (1)",
        )
        .await;
        assert_eq!(e.fault(), Some(Fault::ReadOnly), "{e}");
    }

    #[tokio::test]
    async fn a_read_only_postgres_transaction_is_a_read_only_fault() {
        let url = crate::testing::pg_url();
        let Some(_schema) = crate::testing::PgSchema::create().await else {
            return;
        };
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("SET default_transaction_read_only = on")
            .execute(&mut conn)
            .await
            .unwrap();
        let e = sqlx::query("CREATE TEMP TABLE t (b INT)")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = StorageError::from(e);
        assert_eq!(e.fault(), Some(Fault::ReadOnly), "{e}");
        // A PostgreSQL error of the request (its SQLSTATE is all digits too) is not a fault.
        let e = StorageError::from(
            sqlx::query("SELECT 1/0")
                .execute(&mut conn)
                .await
                .unwrap_err(),
        );
        assert_eq!(e.fault(), None, "{e}");
    }

    #[tokio::test]
    async fn errors_of_the_request_are_not_faults() {
        let e = sqlite_error(
            &[
                "CREATE TABLE t (b INTEGER PRIMARY KEY)",
                "INSERT INTO t VALUES (1)",
            ],
            "INSERT INTO t VALUES (1)",
        )
        .await;
        assert!(matches!(e, StorageError::Conflict { .. }), "{e}");
        assert_eq!(e.fault(), None);
        let e = sqlite_error(&[], "SELECT * FROM no_such_table").await;
        assert_eq!(e.fault(), None, "{e}");
        assert_eq!(
            StorageError::Database(sqlx::Error::PoolTimedOut).fault(),
            Some(Fault::Unavailable)
        );
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://terrain:s3cret@db:5432/terrain"),
            "postgres://terrain:***@db:5432/terrain"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://./terrain.db"), "sqlite://./terrain.db");
    }
}
