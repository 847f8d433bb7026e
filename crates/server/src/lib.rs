//! Terrain's HTTP server: the JSON API under `/api/v1` (OpenAPI at `/api/v1/openapi.json`),
//! `/healthz`, and the web app (dashboard at `/`, field app at `/field/`).
//!
//! [`Application::build`] binds the listener and assembles the router; tests and the binary
//! start the server the same way and ask it for its [`Application::port`].

pub mod access;
pub mod admission;
pub mod api;
pub mod auth;
pub mod choropleth;
pub mod config;
pub mod error;
pub mod ics;
pub mod mail;
pub mod quality;
pub mod quotas;
pub mod retention;
pub mod state;
pub mod web;
pub mod weighting;
pub mod xlsx;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use terrain_store::Store;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::ServerConfig;
pub use state::AppState;

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    port: u16,
    sync_slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl Application {
    /// Binds `config.bind` and assembles the routes over `store`.
    pub async fn build(store: Arc<dyn Store>, config: ServerConfig) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr()?.port();
        let state = AppState::new(store, config);
        let sync_slots = state.sync_slots.clone();
        let router = router(state);
        Ok(Self {
            listener,
            router,
            port,
            sync_slots,
        })
    }

    /// The admission slots of field uploads (see [`ServerConfig::sync_max_in_flight`]): whoever
    /// holds them all makes the server answer `429 server_busy` to uploads, as under a burst.
    pub fn sync_slots(&self) -> Option<Arc<tokio::sync::Semaphore>> {
        self.sync_slots.clone()
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The whole HTTP surface over a state.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router();
    let openapi = Arc::new(openapi);
    let config = state.config.clone();
    let api = api
        .route(
            "/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async { error::ApiError::not_found("not_found", "no such API endpoint") })
        .layer(middleware::from_fn_with_state(state.clone(), check_origin))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api)
        .fallback(web::static_handler)
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(web::CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // Served over HTTPS (directly or behind a proxy): browsers must never come back in clear.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts(config.secure_cookies),
        ))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The HSTS header when served over HTTPS; none (an empty value is not sent) otherwise.
fn hsts(https: bool) -> Option<HeaderValue> {
    https.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"))
}

/// Refuses writes whose `Origin` is another site: a second wall against cross-site requests,
/// beside the SameSite cookie and the anti-CSRF token.
async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if auth::is_write(req.method())
        && let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
    {
        let expected = api::invites::base_url(&state, req.headers());
        let same = origin == expected
            || req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| origin.split_once("://").is_some_and(|(_, o)| o == host));
        if !same {
            return error::ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_mismatch",
                "cross-site writes are refused",
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// Liveness and database reachability.
async fn healthz(State(state): State<AppState>) -> Response {
    let db = state.store.backend();
    let db = match db {
        terrain_store::Backend::Sqlite => "sqlite",
        terrain_store::Backend::Postgres => "postgres",
    };
    match state.store.ping().await {
        Ok(()) => axum::Json(api::dto::HealthDto {
            status: "ok".into(),
            database: db.into(),
            version: env!("CARGO_PKG_VERSION").into(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(api::dto::HealthDto {
                    status: "degraded".into(),
                    database: db.into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                }),
            )
                .into_response()
        }
    }
}
