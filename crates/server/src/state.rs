//! What every handler shares.

use crate::auth::ratelimit::FailureLimiter;
use crate::config::ServerConfig;
use std::sync::Arc;
use terrain_store::Store;

/// The application state: the store, the settings, the brute-force limiters.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<ServerConfig>,
    pub limits: Arc<Limits>,
    /// The admission slots of field uploads ([`ServerConfig::sync_max_in_flight`]); `None`: no
    /// limit.
    pub sync_slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The failure counters behind sign-in and invite rate limiting.
#[derive(Debug)]
pub struct Limits {
    pub login_by_email: FailureLimiter,
    pub by_client: FailureLimiter,
    /// Public sign-ups per client address (every sign-up counts).
    pub signups_by_client: FailureLimiter,
}

impl AppState {
    /// State for a store and settings.
    pub fn new(store: Arc<dyn Store>, config: ServerConfig) -> Self {
        let limits = Limits {
            login_by_email: FailureLimiter::new(
                config.login_failures_per_email,
                config.failure_window,
            ),
            by_client: FailureLimiter::new(config.failures_per_client, config.failure_window),
            signups_by_client: FailureLimiter::new(
                config.signups_per_client,
                config.failure_window,
            ),
        };
        let sync_slots = (config.sync_max_in_flight > 0)
            .then(|| Arc::new(tokio::sync::Semaphore::new(config.sync_max_in_flight)));
        Self {
            store,
            config: Arc::new(config),
            limits: Arc::new(limits),
            sync_slots,
        }
    }
}
