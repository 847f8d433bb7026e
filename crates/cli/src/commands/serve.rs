//! `terrain serve`: the server, until Ctrl-C or SIGTERM.

use super::DbArgs;
use std::net::SocketAddr;
use terrain_server::{Application, ServerConfig, shutdown_signal};

/// Options of `terrain serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "TERRAIN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The URL users reach the server at (for invite links and origin checks), e.g.
    /// `https://terrain.example.org` when behind a reverse proxy.
    #[arg(long, env = "TERRAIN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Mark cookies Secure (serve over HTTPS, directly or behind a proxy).
    #[arg(long, env = "TERRAIN_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "TERRAIN_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Seconds before a request is cut off with 408.
    #[arg(long, env = "TERRAIN_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Field uploads written at once; beyond, a phone is told `429 server_busy` with
    /// `Retry-After` and sends again later (0: no limit, every upload waits its turn).
    #[arg(long, env = "TERRAIN_SYNC_MAX_IN_FLIGHT", default_value_t = 8)]
    pub sync_max_in_flight: usize,
    /// Milliseconds an upload may wait for a free slot before being turned away.
    #[arg(long, env = "TERRAIN_SYNC_ADMISSION_WAIT_MS", default_value_t = 50)]
    pub sync_admission_wait_ms: u64,
    /// A mail relay for sortie reminders (plain SMTP to a relay you run or trust, e.g. a local
    /// Postfix); without it Terrain sends no mail and coordinators export the reminder list.
    #[arg(long, env = "TERRAIN_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// The relay's port.
    #[arg(long, env = "TERRAIN_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// The sender of reminders, `Campagne <terrain@example.org>`.
    #[arg(long, env = "TERRAIN_SMTP_FROM", default_value = "terrain@localhost")]
    pub smtp_from: String,
}

impl ServeArgs {
    /// The server settings these options describe.
    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            bind: self.bind,
            public_url: self.public_url.clone(),
            secure_cookies: self.secure_cookies,
            body_limit: self.body_limit,
            request_timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            sync_max_in_flight: self.sync_max_in_flight,
            sync_admission_wait: std::time::Duration::from_millis(self.sync_admission_wait_ms),
            smtp: self
                .smtp_host
                .clone()
                .map(|host| terrain_server::mail::SmtpConfig {
                    host,
                    port: self.smtp_port,
                    from: self.smtp_from.clone(),
                }),
            ..ServerConfig::default()
        }
    }
}

/// Runs the server.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = args.db.open().await?;
    // Campaigns past their retention date lose their personal data now, then daily.
    terrain_server::retention::spawn_daily(store.clone());
    let app = Application::build(store, args.config()).await?;
    tracing::info!(port = app.port(), db = %terrain_store::redact_url(&args.db.url), "listening");
    println!(
        "Terrain is listening on http://{}:{}/",
        args.bind.ip(),
        app.port()
    );
    app.run_until(shutdown_signal()).await
}
