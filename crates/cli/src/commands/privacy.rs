//! `terrain purge` and `terrain retention`: the campaign's retention date, and the purge of
//! its personal data (by hand; `terrain serve` also purges every campaign past its date, at
//! start and daily). Writes are audited with the source `cli`.

use super::{DbArgs, print_json};
use anyhow::{Context, bail};
use terrain_model::Slug;
use terrain_store::{Audit, PurgeCounts, PurgeReason, Store};

/// Options of `terrain purge`.
#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The campaign to purge now, whatever its retention date.
    #[arg(long, conflicts_with = "expired", required_unless_present = "expired")]
    pub campaign: Option<String>,
    /// Purge every campaign whose retention date has passed (what `terrain serve` does daily).
    #[arg(long)]
    pub expired: bool,
    /// Say what would be purged, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

/// Options of `terrain retention`.
#[derive(Debug, clap::Args)]
pub struct RetentionArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long)]
    pub campaign: String,
    /// The date (YYYY-MM-DD) after which personal data is purged; `none` to clear it.
    #[arg(long)]
    pub until: String,
}

fn print_counts(slug: &str, c: &PurgeCounts, dry_run: bool) {
    let verb = if dry_run { "would purge" } else { "purged" };
    println!(
        "{slug}: {verb} {} volunteer record(s), {} account(s) ({} session(s)/token(s)), {} recontact(s), \
         {} invite/feed link(s), {} field record(s), {} phone(s), {} note(s), {} audit line(s)",
        c.volunteers,
        c.accounts,
        c.credentials,
        c.recontacts,
        c.links,
        c.field_records,
        c.devices,
        c.notes,
        c.audit_lines
    );
}

async fn campaign(store: &dyn Store, slug: &str) -> anyhow::Result<terrain_model::Campaign> {
    let slug = Slug::parse(slug).map_err(|e| anyhow::anyhow!("--campaign: {e}"))?;
    store
        .campaign_by_slug(&slug)
        .await
        .with_context(|| format!("campaign {slug}"))
}

/// `terrain purge`.
pub async fn purge(args: PurgeArgs) -> anyhow::Result<()> {
    let store = args.db.open().await?;
    let done: Vec<(String, PurgeCounts)> = if let Some(slug) = &args.campaign {
        let c = campaign(&*store, slug).await?;
        let counts = store
            .purge_campaign(&Audit::cli(), c.id, PurgeReason::Manual, args.dry_run)
            .await?;
        vec![(c.slug.as_str().to_string(), counts)]
    } else {
        let today = time::OffsetDateTime::now_utc().date();
        terrain_server::retention::purge_expired(&*store, today, args.dry_run).await?
    };
    if args.json {
        return print_json(&serde_json::json!({
            "dry_run": args.dry_run,
            "campaigns": done.iter().map(|(s, c)| serde_json::json!({"campaign": s, "counts": c})).collect::<Vec<_>>(),
        }));
    }
    if done.is_empty() {
        println!("Nothing to purge.");
    }
    for (slug, c) in &done {
        print_counts(slug, c, args.dry_run);
    }
    Ok(())
}

/// `terrain retention`.
pub async fn retention(args: RetentionArgs) -> anyhow::Result<()> {
    let store = args.db.open().await?;
    let c = campaign(&*store, &args.campaign).await?;
    let until = match args.until.as_str() {
        "none" => None,
        d => {
            match time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")) {
                Ok(d) => Some(d),
                Err(_) => bail!("--until must be a date like 2027-06-30, or none"),
            }
        }
    };
    store.set_retention(&Audit::cli(), c.id, until).await?;
    match until {
        Some(d) => println!("{}: personal data is purged after {d}.", c.slug.as_str()),
        None => println!("{}: no retention date.", c.slug.as_str()),
    }
    Ok(())
}
