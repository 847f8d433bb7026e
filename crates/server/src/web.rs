//! The web app (built by Vite into `web/dist`) served from the binary, and the HTTP headers
//! every response carries.
//!
//! `build.rs` points [`Assets`] at `web/dist` when it exists, or at a one-page placeholder that
//! says how to build it, so `cargo build` works before `npm run build` has run. Release builds
//! embed the files; debug builds read them from disk.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "$TERRAIN_WEB_DIST"]
struct Assets;

/// Content-Security-Policy: no inline scripts, nothing loaded from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; \
     base-uri 'self'; form-action 'self'; object-src 'none'";

fn file(path: &str) -> Option<Response> {
    let asset = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let cache = if path.starts_with("assets/") {
        // Vite puts a content hash in these names.
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut resp = Response::new(Body::from(asset.data.into_owned()));
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if path.ends_with("sw.js") {
        resp.headers_mut().insert(
            "service-worker-allowed",
            HeaderValue::from_static("/field/"),
        );
    }
    Some(resp)
}

/// Serves a file of the web app; unknown paths get the app's page (client-side routing), under
/// `/field/` the field app's.
pub async fn static_handler(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return crate::error::ApiError::not_found("not_found", "no such API endpoint")
            .into_response();
    }
    if path.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(r) = (!path.is_empty()).then(|| file(path)).flatten() {
        return r;
    }
    let page = if path == "field" || path.starts_with("field/") {
        "field/index.html"
    } else if path.starts_with("inscription/") {
        // The public sign-up page of a campaign: /inscription/<campaign slug>.
        "signup/index.html"
    } else {
        "index.html"
    };
    if page == "field/index.html" && path == "field" {
        return (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, "/field/")],
        )
            .into_response();
    }
    file(page).unwrap_or_else(|| {
        (StatusCode::NOT_FOUND, "web app not built: run `make web`").into_response()
    })
}
