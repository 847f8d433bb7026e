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
