//! The subcommands, one module each.

pub mod admin;
pub mod demo;
pub mod demo_responses;
pub mod demo_survey;
pub mod demo_turfs;
pub mod demo_volunteers;
pub mod geo_text;
pub mod import;
pub mod privacy;
pub mod serve;
pub mod stats;
pub mod target;

use anyhow::Context;
use std::sync::Arc;
use terrain_store::Store;

/// How logs are written.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Sets the tracing subscriber once: `RUST_LOG` filters (default `info`).
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.compact().init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// The database URL option every command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Database: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long = "db",
        env = "TERRAIN_DB",
        default_value = "sqlite://./terrain.db"
    )]
    pub url: String,
}

impl DbArgs {
    /// Opens the database and runs the migrations.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        terrain_store::connect(&self.url)
            .await
            .with_context(|| format!("opening {}", terrain_store::redact_url(&self.url)))
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
