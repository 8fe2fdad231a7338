//! The web map app, embedded in the binary: the HTML shell for the page
//! routes (`/`, `/find`, `/b/{building}`, `/plan`, `/coverage`) and the
//! app's files under `/app/{build}/…` (immutable: the build id changes
//! whenever any byte does).

mod assets;
mod dev;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

pub use assets::BUILD;

/// Cache policy of `/app/{build}/…`: the URL changes with the content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The page routes and the app's files.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(map_page))
        .routes(routes!(find_page))
        .routes(routes!(plan_page))
        .routes(routes!(coverage_page))
        .routes(routes!(building_page))
        .routes(routes!(asset))
}

/// The app's HTML shell.
type Html = crate::api::openapi::Text;

/// The HTML shell; `main.js` picks the page from the location.
#[utoipa::path(get, path = "/", tag = "web", summary = "The web app (map).",
    responses((status = 200, description = "HTML", content_type = "text/html", body = inline(Html))))]
async fn map_page() -> Response {
    shell()
}

#[utoipa::path(get, path = "/find", tag = "web", summary = "The web app (find my grid).",
    responses((status = 200, description = "HTML", content_type = "text/html", body = inline(Html))))]
async fn find_page() -> Response {
    shell()
}

#[utoipa::path(get, path = "/plan", tag = "web", summary = "The web app (planning).",
    responses((status = 200, description = "HTML", content_type = "text/html", body = inline(Html))))]
async fn plan_page() -> Response {
    shell()
}

#[utoipa::path(get, path = "/coverage", tag = "web", summary = "The web app (coverage).",
    responses((status = 200, description = "HTML", content_type = "text/html", body = inline(Html))))]
async fn coverage_page() -> Response {
    shell()
}

/// The landing page of a building's QR code.
#[utoipa::path(get, path = "/b/{building}", tag = "web",
    summary = "A building's landing page (where its QR code points).",
    params(("building" = i64, Path, description = "Building id.")),
    responses((status = 200, description = "HTML", content_type = "text/html", body = inline(Html))))]
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

#[utoipa::path(get, path = "/app/{build}/{*path}", tag = "web",
    summary = "A static file of the web app (immutable per build).",
    params(
        ("build" = String, Path, description = "Build id."),
        ("path" = String, Path, description = "File inside the app."),
    ),
    responses((status = 200, description = "A static file", content_type = "*/*", body = inline(crate::api::openapi::Binary))))]
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
