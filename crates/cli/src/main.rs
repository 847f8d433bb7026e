//! `terrain`: the command line of the Terrain campaign platform.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Terrain — the field side of an election campaign: territories, volunteers, canvassing,
/// surveys.
#[derive(Debug, Parser)]
#[command(name = "terrain", version, about, long_about = None)]
struct Cli {
    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(
        long,
        global = true,
        env = "TERRAIN_LOG_FORMAT",
        default_value = "pretty"
    )]
    log_format: commands::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (API + web app).
    Serve(commands::serve::ServeArgs),
    /// Run a demo: a fresh SQLite database with a demo campaign and an account per role.
    Demo(commands::demo::DemoArgs),
    /// Create or update the database schema, then exit.
    Migrate(commands::admin::MigrateArgs),
    /// Create and list campaigns.
    #[command(subcommand)]
    Campaign(commands::admin::CampaignCommand),
    /// Create and list accounts.
    #[command(subcommand)]
    User(commands::admin::UserCommand),
    /// Purge a campaign's personal data now (or every campaign past its retention date).
    Purge(commands::privacy::PurgeArgs),
    /// Set the date after which a campaign's personal data is purged.
    Retention(commands::privacy::RetentionArgs),
    /// Make an invite code for walkers to join a campaign.
    Invite(commands::admin::InviteArgs),
    /// Back the database up while the server runs (SQLite: a consistent copy; PostgreSQL: pg_dump).
    Backup(commands::admin::BackupArgs),
    /// Restore a backup (SQLite: into a new file or with --force; PostgreSQL: pg_restore).
    Restore(commands::admin::RestoreArgs),
    /// Import official files into a campaign: results, census, contours, addresses, communes.
    #[command(subcommand)]
    Import(commands::import::ImportCommand),
    /// Draw a balanced and/or spatially balanced sample of areas from a CSV frame.
    Sample(commands::stats::SampleArgs),
    /// Calibrate survey weights to margins (raking, linear, bounded logit) on CSV files.
    Weight(commands::stats::WeightArgs),
    /// Rank bureaux de vote by potential (LMP's method and its improvements) and plan doors.
    Target(commands::target::TargetArgs),
    /// Cut doors into balanced, compact turfs and order each turf's walk (CSV in, CSV out).
    Turfs(commands::geo_text::TurfsArgs),
    /// Find the themes of open answers in French (CSV in, CSV out).
    Themes(commands::geo_text::ThemesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::init_logs(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(a) => commands::serve::run(a).await,
            Command::Demo(a) => commands::demo::run(a).await,
            Command::Migrate(a) => commands::admin::migrate(a).await,
            Command::Campaign(c) => commands::admin::campaign(c).await,
            Command::User(c) => commands::admin::user(c).await,
            Command::Purge(a) => commands::privacy::purge(a).await,
            Command::Retention(a) => commands::privacy::retention(a).await,
            Command::Invite(a) => commands::admin::invite(a).await,
            Command::Backup(a) => commands::admin::backup(a).await,
            Command::Restore(a) => commands::admin::restore(a).await,
            Command::Import(c) => commands::import::run(c).await,
            Command::Sample(a) => commands::stats::sample(a),
            Command::Weight(a) => commands::stats::weight(a),
            Command::Target(a) => commands::target::run(a),
            Command::Turfs(a) => commands::geo_text::turfs(a),
            Command::Themes(a) => commands::geo_text::themes(a),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
