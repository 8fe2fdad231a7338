//! `GET /fonts/{fontstack}/{start}-{end}.pbf`: MapLibre glyph ranges.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::fonts::FontError;
use crate::state::AppState;

fn bad_range(why: impl Into<String>) -> ApiError {
    ApiError::bad_request("bad_glyph_range", why)
}

fn parse_range(file: &str) -> Result<(u32, u32), ApiError> {
    let malformed = || {
        bad_range(format!(
            "`{file}` must be {{start}}-{{end}}.pbf, e.g. 0-255.pbf"
        ))
    };
    let (start, end) = file
        .strip_suffix(".pbf")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(malformed)?;
    let start = start.parse().map_err(|_| malformed())?;
    let end = end.parse().map_err(|_| malformed())?;
    Ok((start, end))
}

#[utoipa::path(
    get,
    path = "/fonts/{fontstack}/{range}",
    tag = "map",
    summary = "SDF glyphs of a 256-character range (`0-255.pbf`).",
    params(
        ("fontstack" = String, Path, description = "Comma-separated font names."),
        ("range" = inline(super::openapi::GlyphRange), Path, description = "`{start}-{end}.pbf`, 256 code points: start a multiple of 256 below 65,536, end = start + 255."),
    ),
    responses((status = 200, description = "Glyph protobuf", content_type = "application/x-protobuf", body = inline(super::openapi::Binary))),
)]
pub async fn glyphs(
    State(state): State<AppState>,
    Path((fontstack, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (start, end) = parse_range(&file)?;
    let fonts = state.fonts.clone();
    let pbf = tokio::task::spawn_blocking(move || fonts.range(&fontstack, start, end))
        .await
        .map_err(|e| ApiError::internal(format!("glyph rendering failed: {e}")))?
        .map_err(|e| match e {
            FontError::BadRange { .. } => bad_range(e.to_string()),
            FontError::NoFont => ApiError::internal(e.to_string()),
        })?;
    let mut r = Body::from(pbf).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-protobuf"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(r)
}
