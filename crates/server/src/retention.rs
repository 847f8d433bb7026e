//! The retention rule, applied by the server: at start, then once a day, the personal data of
//! every campaign whose retention date has passed is purged (see [`terrain_store::PrivacyStore`]).
//! A campaign with nothing left to purge is left alone (no audit line, no purge record).

use std::sync::Arc;
use terrain_store::{Audit, AuditSource, PurgeCounts, PurgeReason, Store};
use time::Date;

/// Purges the campaigns whose `retention_until` is before `today`. Returns the campaigns
/// purged (slug) with what changed; with `dry_run`, what would change.
pub async fn purge_expired(
    store: &dyn Store,
    today: Date,
    dry_run: bool,
) -> terrain_store::Result<Vec<(String, PurgeCounts)>> {
    let mut out = Vec::new();
    for c in store.campaigns().await? {
        if c.retention_until.is_none_or(|d| d >= today) {
            continue;
        }
        let audit = Audit::system(AuditSource::Retention);
        let would = store
            .purge_campaign(&audit, c.id, PurgeReason::Retention, true)
            .await?;
        if would.is_empty() {
            continue;
        }
        let counts = if dry_run {
            would
        } else {
            store
                .purge_campaign(&audit, c.id, PurgeReason::Retention, false)
                .await?
        };
        out.push((c.slug.as_str().to_string(), counts));
    }
    Ok(out)
}

/// Runs [`purge_expired`] now and then every 24 hours, for as long as the server runs.
pub fn spawn_daily(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            every.tick().await;
            let today = time::OffsetDateTime::now_utc().date();
            match purge_expired(&*store, today, false).await {
                Ok(done) => {
                    for (slug, counts) in done {
                        tracing::info!(campaign = %slug, ?counts, "personal data purged (retention date passed)");
                    }
                }
                Err(e) => tracing::error!(error = %e, "retention purge failed; retried tomorrow"),
            }
        }
    })
}
