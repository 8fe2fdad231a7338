//! `GET /tiles/{z}/{x}/{y}.mvt` and `GET /tiles.json` (TileJSON 3.0).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridmap_tiles::{MAX_ZOOM, TileCoord};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;
use crate::tiles::{self, LAYERS, MAX_DATA_ZOOM};

fn parse_coord(z: &str, x: &str, file: &str) -> Result<TileCoord, ApiError> {
    let bad = |why: String| ApiError::bad_request("bad_tile", why);
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| bad(format!("`{file}` must be {{y}}.mvt")))?;
    let z: u8 = z
        .parse()
        .map_err(|_| bad(format!("zoom `{z}` is not a number from 0 to {MAX_ZOOM}")))?;
    let x: u32 = x
        .parse()
        .map_err(|_| bad(format!("x `{x}` is not a tile column")))?;
    let y: u32 = y
        .parse()
        .map_err(|_| bad(format!("y `{y}` is not a tile row")))?;
    TileCoord::new(z, x, y).map_err(|e| bad(e.to_string()))
}

fn etag(version: u64) -> String {
    format!("\"s{version}\"")
}

pub async fn tile(
    State(state): State<AppState>,
    Path((z, x, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let coord = parse_coord(&z, &x, &file)?;
    let atlas = state.atlas();
    let tag = etag(atlas.version());
    let cache = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let bytes = tokio::task::spawn_blocking(move || tiles::render(&atlas, coord))
        .await
        .map_err(|e| ApiError::internal(format!("tile rendering failed: {e}")))?
        .map_err(|e| ApiError::internal(format!("tile rendering failed: {e}")))?;
    let mut response = (cache, Body::from(bytes)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    Ok(response)
}

pub async fn tilejson(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let atlas = state.atlas();
    let (bounds, center) = match atlas.bounds() {
        Some(b) => (
            vec![b.min().x, b.min().y, b.max().x, b.max().y],
            vec![b.center().x, b.center().y, 14.0],
        ),
        None => (
            vec![-180.0, -85.051_128_8, 180.0, 85.051_128_8],
            vec![0.0, 0.0, 2.0],
        ),
    };
    let layers: Vec<Value> = LAYERS
        .iter()
        .map(|(id, minzoom, fields)| {
            let fields: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, t)| ((*k).to_owned(), Value::from(*t)))
                .collect();
            json!({"id": id, "fields": fields, "minzoom": minzoom, "maxzoom": MAX_DATA_ZOOM})
        })
        .collect();
    Json(json!({
        "tilejson": "3.0.0",
        "name": "gridmap",
        "tiles": [format!("http://{host}/tiles/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_DATA_ZOOM,
        "bounds": bounds,
        "center": center,
        "vector_layers": layers,
        "attribution": "© OpenStreetMap contributors",
    }))
}
