//! Server settings, with defaults that work on a laptop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the server runs. Built by the CLI from flags and environment variables.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen (`127.0.0.1:8080`; port 0 picks a free port).
    pub bind: SocketAddr,
    /// The address users reach the server at (`https://terrain.example.org`), used in invite
    /// links and to check the `Origin` of writes. `None`: taken from the request's `Host`.
    pub public_url: Option<String>,
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a staff sign-in lasts.
    pub staff_session_ttl: Duration,
    /// How long a walker's phone stays signed in after redeeming an invite.
    pub walker_session_ttl: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Longest time a request may take before the server answers 408.
    pub request_timeout: Duration,
    /// Failed sign-ins allowed per e-mail within [`Self::failure_window`].
    pub login_failures_per_email: usize,
    /// Failed sign-ins or invite redemptions allowed per client address within the window.
    pub failures_per_client: usize,
    /// The window over which failures are counted.
    pub failure_window: Duration,
    /// Public sign-ups accepted per client address within the window.
    pub signups_per_client: usize,
    /// The mail relay for reminders; `None`: Terrain sends no mail (lists are exported).
    pub smtp: Option<crate::mail::SmtpConfig>,
    /// Field uploads (`POST …/field/sync`) served at once; one more is answered at once with
    /// `429 server_busy` and a `Retry-After`, and the phone sends it again later (it keeps every
    /// record until acknowledged). A bounded queue keeps each accepted upload fast instead of
    /// letting every upload wait behind hundreds of others. 0: no limit.
    pub sync_max_in_flight: usize,
    /// How long an upload may wait for one of those slots before being turned away: a short
    /// wait absorbs a burst without a round trip to the phone.
    pub sync_admission_wait: Duration,
    /// Headless Chromium, to print the diagnostic report to PDF; `None`: no PDF (the HTML
    /// report prints from any browser).
    pub chromium: Option<PathBuf>,
}

/// The Chromium to print PDFs with: `TERRAIN_CHROMIUM` when set (empty: none), else
/// `/usr/bin/chromium` when it exists.
pub fn default_chromium() -> Option<PathBuf> {
    match std::env::var_os("TERRAIN_CHROMIUM") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => {
            let p = PathBuf::from("/usr/bin/chromium");
            p.exists().then_some(p)
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            secure_cookies: false,
            staff_session_ttl: Duration::from_secs(12 * 3600),
            walker_session_ttl: Duration::from_secs(60 * 24 * 3600),
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            login_failures_per_email: 10,
            failures_per_client: 50,
            failure_window: Duration::from_secs(15 * 60),
            signups_per_client: 20,
            smtp: None,
            sync_max_in_flight: 8,
            sync_admission_wait: Duration::from_millis(50),
            chromium: default_chromium(),
        }
    }
}
