//! Backups and restores. SQLite: an online, consistent copy of the live database (`VACUUM
//! INTO`), checked with `PRAGMA integrity_check`; restoring copies it back in place. PostgreSQL:
//! `pg_dump`'s custom format, restored with `pg_restore` (both from the PostgreSQL client tools).

use crate::error::{Result, StorageError, redact_url};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn invalid(reason: impl Into<String>) -> StorageError {
    StorageError::Invalid {
        what: "backup",
        reason: reason.into(),
    }
}

/// The file path of a `sqlite://` URL.
fn sqlite_path(url: &str) -> Result<PathBuf> {
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| StorageError::BadUrl(format!("{url}: {e}")))?;
    let path = opts.get_filename();
    if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") {
        return Err(invalid("an in-memory database cannot be backed up"));
    }
    Ok(path.to_path_buf())
}

async fn integrity(path: &Path) -> Result<()> {
    let opts = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await.ok();
    if verdict == "ok" {
        Ok(())
    } else {
        Err(invalid(format!(
            "{} fails its integrity check: {verdict}",
            path.display()
        )))
    }
}

async fn run(program: &str, args: &[&str], url_for_errors: &str) -> Result<()> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .map_err(|e| {
            invalid(format!(
                "cannot run {program} (install the PostgreSQL client tools): {e}"
            ))
        })?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr)
            .replace(url_for_errors, &redact_url(url_for_errors));
        Err(invalid(format!("{program} failed: {}", stderr.trim())))
    }
}

/// Writes a backup of the database at `url` to `out` (which must not exist yet).
pub async fn backup(url: &str, out: &Path) -> Result<()> {
    if out.exists() {
        return Err(invalid(format!(
            "{} already exists: choose a new file",
            out.display()
        )));
    }
    if url.starts_with("sqlite:") {
        let path = sqlite_path(url)?;
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(false);
        let mut conn =
            SqliteConnection::connect_with(&opts)
                .await
                .map_err(|e| StorageError::Unavailable {
                    url: url.to_string(),
                    cause: e.to_string(),
                })?;
        let target = out
            .to_str()
            .ok_or_else(|| invalid("the backup path is not UTF-8"))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut conn)
            .await?;
        conn.close().await.ok();
        integrity(out).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let target = out
            .to_str()
            .ok_or_else(|| invalid("the backup path is not UTF-8"))?;
        run(
            "pg_dump",
            &["--format=custom", "--no-owner", "--file", target, url],
            url,
        )
        .await
    } else {
        Err(StorageError::BadUrl(redact_url(url)))
    }
}

/// Restores `from` into the database at `url`. SQLite: the database file must not exist (or
/// `force` replaces it; stop the server first). PostgreSQL: the objects in the backup are
/// dropped and recreated.
pub async fn restore(url: &str, from: &Path, force: bool) -> Result<()> {
    if !from.exists() {
        return Err(invalid(format!("{} does not exist", from.display())));
    }
    if url.starts_with("sqlite:") {
        integrity(from).await?;
        let path = sqlite_path(url)?;
        if path.exists() && !force {
            return Err(invalid(format!(
                "{} exists: pass --force to replace it (stop the server first)",
                path.display()
            )));
        }
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                std::fs::remove_file(&side)
                    .map_err(|e| invalid(format!("removing {}: {e}", side.display())))?;
            }
        }
        let tmp = PathBuf::from(format!("{}.restoring", path.display()));
        std::fs::copy(from, &tmp)
            .map_err(|e| invalid(format!("copying {}: {e}", from.display())))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| invalid(format!("moving the restored file into place: {e}")))?;
        Ok(())
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let source = from
            .to_str()
            .ok_or_else(|| invalid("the backup path is not UTF-8"))?;
        run(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                url,
                source,
            ],
            url,
        )
        .await
    } else {
        Err(StorageError::BadUrl(redact_url(url)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::types::{Audit, NewCampaign};
    use std::collections::BTreeMap;

    /// Every table, as sorted lines of its rows' values.
    async fn sqlite_dump(path: &Path) -> BTreeMap<String, Vec<String>> {
        let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path))
            .await
            .unwrap();
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let mut out = BTreeMap::new();
        for (t,) in tables {
            let cols: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{t}')"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let expr = cols
                .iter()
                .map(|(c,)| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {expr} FROM \"{t}\" ORDER BY 1"
            )))
            .fetch_all(&mut conn)
            .await
            .unwrap();
            out.insert(t, rows.into_iter().map(|(r,)| r).collect());
        }
        out
    }

    #[tokio::test]
    async fn sqlite_round_trip_keeps_every_table() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        let url = format!("sqlite://{}", db.display());
        let store = crate::SqliteStore::connect(&url).await.unwrap();
        use crate::Store;
        for s in ["paris-2027", "lyon-2027"] {
            store
                .create_campaign(
                    &Audit::cli(),
                    &NewCampaign {
                        slug: terrain_model::Slug::parse(s).unwrap(),
                        name: s.into(),
                        retention_until: None,
                    },
                )
                .await
                .unwrap();
        }
        let before = sqlite_dump(&db).await;
        assert!(before["campaigns"].len() == 2 && before["audit_log"].len() == 2);
        // The backup is taken while the store is open (online).
        let bk = dir.path().join("backup.db");
        backup(&url, &bk).await.unwrap();
        assert!(
            backup(&url, &bk)
                .await
                .unwrap_err()
                .to_string()
                .contains("already exists")
        );
        drop(store);
        let restored = dir.path().join("restored.db");
        let rurl = format!("sqlite://{}", restored.display());
        restore(&rurl, &bk, false).await.unwrap();
        assert_eq!(sqlite_dump(&restored).await, before);
        assert!(
            restore(&rurl, &bk, false)
                .await
                .unwrap_err()
                .to_string()
                .contains("--force")
        );
        restore(&rurl, &bk, true).await.unwrap();
        // A damaged backup is refused before anything is replaced.
        let bad = dir.path().join("bad.db");
        std::fs::write(&bad, b"not a database").unwrap();
        assert!(restore(&rurl, &bad, true).await.is_err());
        assert_eq!(sqlite_dump(&restored).await, before);
        assert!(
            backup("sqlite::memory:", &dir.path().join("m.db"))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn postgres_round_trip_keeps_every_table() {
        let base = crate::testing::pg_url();
        let Ok(mut admin) = sqlx::postgres::PgConnection::connect(&base).await else {
            if std::env::var("TERRAIN_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!("PostgreSQL at {base} is unreachable");
            }
            eprintln!("SKIPPED: PostgreSQL at {base} is unreachable");
            return;
        };
        let stamp = uuid::Uuid::now_v7().simple().to_string();
        let (a, b) = (
            format!("terrain_bk_a_{stamp}"),
            format!("terrain_bk_b_{stamp}"),
        );
        for db in [&a, &b] {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        let url_of = |db: &str| format!("{}/{db}", base.rsplit_once('/').unwrap().0);
        let (ua, ub) = (url_of(&a), url_of(&b));
        let store = crate::PgStore::connect(&ua).await.unwrap();
        use crate::Store;
        store
            .create_campaign(
                &Audit::cli(),
                &NewCampaign {
                    slug: terrain_model::Slug::parse("paris").unwrap(),
                    name: "Paris".into(),
                    retention_until: None,
                },
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let bk = dir.path().join("pg.dump");
        backup(&ua, &bk).await.unwrap();
        restore(&ub, &bk, false).await.unwrap();
        let dump = |url: String| async move {
            let mut c = sqlx::postgres::PgConnection::connect(&url).await.unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            let mut out = BTreeMap::new();
            for (t,) in tables {
                let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM \"{t}\" t ORDER BY 1"
                )))
                .fetch_all(&mut c)
                .await
                .unwrap();
                out.insert(t, rows.into_iter().map(|(r,)| r).collect::<Vec<_>>());
            }
            c.close().await.ok();
            out
        };
        let (da, db_) = (dump(ua.clone()).await, dump(ub.clone()).await);
        assert!(da["campaigns"].len() == 1 && !da["_sqlx_migrations"].is_empty());
        assert_eq!(da, db_);
        drop(store);
        for db in [&a, &b] {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}
