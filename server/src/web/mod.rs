//! The web map app, embedded in the binary: the HTML shell for the page
//! routes (`/`, `/find`, `/b/{building}`, `/plan`, `/coverage`) and the
//! app's files under `/app/{build}/…` (immutable: the build id changes
//! whenever any byte does).

mod assets;
mod dev;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::state::AppState;

pub use assets::BUILD;

/// Cache policy of `/app/{build}/…`: the URL changes with the content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The page routes and the app's files.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/find", get(page))
        .route("/plan", get(page))
        .route("/coverage", get(page))
        .route("/b/{building}", get(building_page))
        .route("/app/{build}/{*path}", get(asset))
}

/// The HTML shell; `main.js` picks the page from the location.
async fn page() -> Response {
    shell()
}

/// The landing page of a building's QR code.
async fn building_page(Path(building): Path<String>) -> Response {
    if building.parse::<i64>().is_err() {
        return ApiError::not_found(
            "no_such_building",
            format!("`{building}` is not a building id"),
        )
        .into_response();
    }
    shell()
}

fn shell() -> Response {
    if let Some(text) = dev::shell(assets::BUILD) {
        return (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            text,
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        assets::SHELL,
    )
        .into_response()
}

async fn asset(Path((build, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    if let Some((bytes, kind)) = dev::file(&path).filter(|_| build == assets::BUILD) {
        return (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response();
    }
    let found = if build == assets::BUILD {
        assets::find(&path)
    } else {
        None
    };
    let Some(asset) = found else {
        return ApiError::not_found("no_such_asset", format!("no app file /app/{build}/{path}"))
            .into_response();
    };
    let gzip_ok = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut response = match asset.gzip {
        Some(gz) if gzip_ok => {
            let mut r = gz.into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        _ => asset.body.into_response(),
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if asset.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    *response.status_mut() = StatusCode::OK;
    response
}
