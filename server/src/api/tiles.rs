//! `GET /tiles/{z}/{x}/{y}.mvt` and `GET /tiles.json` (TileJSON 3.0); the
//! coverage source `GET /tiles/coverage/{z}/{x}/{y}.mvt` and
//! `GET /tiles/coverage.json`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridmap_tiles::{MAX_ZOOM, TileCoord};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tiles::cache::CachedTile;
use crate::tiles::{self, LAYERS, MAX_DATA_ZOOM};

/// The `{z}/{x}/{y}.mvt` of a tile path, as the router splits it.
pub fn parse_coord(z: &str, x: &str, file: &str) -> Result<TileCoord, ApiError> {
    let bad = |why: String| ApiError::bad_request("bad_tile", why);
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| bad(format!("`{file}` must be {{y}}.mvt")))?;
    // Digits only: `str::parse` would also take a sign (`+1`).
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(z) && digits(x) && digits(y)) {
        return Err(bad(format!("`{z}/{x}/{file}` is not a tile address")));
    }
    let z: u8 = z
        .parse()
        .map_err(|_| bad(format!("zoom `{z}` is not a number from 0 to {MAX_ZOOM}")))?;
    let x: u32 = x
        .parse()
        .map_err(|_| bad(format!("x `{x}` is not a tile column")))?;
    let y: u32 = y
        .parse()
        .map_err(|_| bad(format!("y `{y}` is not a tile row")))?;
    // A well-formed address past the zoom's edge names no tile: 404, as the
    // OpenAPI document can say `z`, `x` and `y` ranges but not `x < 2^z`.
    TileCoord::new(z, x, y).map_err(|e| match e {
        gridmap_tiles::TileError::OutOfRange { .. } => {
            ApiError::not_found("no_such_tile", e.to_string())
        }
        _ => bad(e.to_string()),
    })
}

/// Tile ETags are weak (`W/"…"`): a tile is the same features under one tag,
/// but its bytes may differ by a vertex between a tile rendered from lon/lat
/// while its zoom's prepared geometry is being made and one rendered from
/// that geometry afterwards (simplified and snapped before it is clipped).
fn etag(instance: &str, version: u64) -> String {
    format!("W/\"{instance}-s{version}\"")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 64),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    let mut out = enc.finish().unwrap_or_default();
    // Cached tiles keep this buffer: no spare capacity beyond what the
    // cache's byte budget counts.
    out.shrink_to_fit();
    out
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.trim().split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// A signed-in user's tile view: an odd hash of role and scope (users with
/// the same role and scope share cached tiles; even views are public).
fn view_key(p: &Principal) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.user.role.as_str().hash(&mut h);
    serde_json::to_string(&p.user.scope)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish() | 1
}

#[utoipa::path(
    get,
    path = "/tiles/{z}/{x}/{file}",
    tag = "map",
    summary = "A vector tile; signed-in callers get household attributes of the grids they may read.",
    params(
        ("z" = u8, Path, minimum = 0, maximum = 24, description = "Zoom."),
        ("x" = u32, Path, minimum = 0, maximum = 16_777_215, description = "Tile column (below 2^z; past the edge is 404)."),
        ("file" = String, Path, pattern = r"^[0-9]{1,8}\.mvt$", description = "`{y}.mvt`: the tile row (below 2^z; past the edge is 404)."),
    ),
    security((), ("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Mapbox Vector Tile 2.1 (gzip when accepted)", content_type = "application/vnd.mapbox-vector-tile", body = inline(super::openapi::Binary)),
        (status = 304, description = "Not modified (ETag matched)."),
        (status = 404, description = "Past the zoom's edge (`no_such_tile`: `x, y < 2^z`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn tile(
    State(state): State<AppState>,
    principal: Option<Principal>,
    Path((z, x, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let coord = parse_coord(&z, &x, &file)?;
    let atlas = state.atlas();
    let version = atlas.version();
    let view = principal.as_ref().map_or(PUBLIC_VIEW, view_key);
    let prepared = || state.prepared.get(&atlas, coord.z());
    let tag = if view == PUBLIC_VIEW {
        etag(&state.instance, version)
    } else {
        format!("W/\"{}-s{version}-v{view:x}\"", state.instance)
    };
    let limits = match principal {
        Some(_) if !if_none_match(&headers, &tag) => Some(
            state
                .household_limits()
                .await
                .map_err(|e| ApiError::internal(format!("cannot read community rules: {e}")))?,
        ),
        _ => None,
    };
    let render = || match (&principal, &limits) {
        (Some(p), Some(limits)) => {
            let allows = |grid_id, community_id| {
                Permission::ReadGrid {
                    grid_id,
                    community_id,
                }
                .allows(p.user.role, &p.user.scope)
            };
            let of = |c| limits.of(c);
            let private = tiles::Private {
                allows: &allows,
                limits: &of,
            };
            tiles::render_prepared(&atlas, coord, Some(&private), prepared().as_deref())
        }
        _ => tiles::render_prepared(&atlas, coord, None, prepared().as_deref()),
    };
    respond(
        &state,
        &headers,
        Served {
            version,
            view,
            coord,
            tag,
            cacheable: true,
        },
        render,
    )
}

/// `GET /tiles/coverage/{z}/{x}/{y}.mvt`: the `coverage` layer alone
/// (buildings classed by walking minutes; public, no households). While the
/// coverage run of this snapshot is still going (large data), the tile is
/// empty, carries a `-p` ETag and is not cached, so no client or cache keeps
/// it as the final one.
#[utoipa::path(
    get,
    path = "/tiles/coverage/{z}/{x}/{file}",
    tag = "map",
    summary = "A walking-coverage tile: each building's band and minutes (no households); empty with a `-p` ETag while the run is pending.",
    params(
        ("z" = u8, Path, minimum = 0, maximum = 24, description = "Zoom."),
        ("x" = u32, Path, minimum = 0, maximum = 16_777_215, description = "Tile column (below 2^z; past the edge is 404)."),
        ("file" = String, Path, pattern = r"^[0-9]{1,8}\.mvt$", description = "`{y}.mvt`: the tile row (below 2^z; past the edge is 404)."),
    ),
    responses(
        (status = 200, description = "Mapbox Vector Tile 2.1 (gzip when accepted)", content_type = "application/vnd.mapbox-vector-tile", body = inline(super::openapi::Binary)),
        (status = 304, description = "Not modified (ETag matched)."),
        (status = 404, description = "Past the zoom's edge (`no_such_tile`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn coverage_tile(
    State(state): State<AppState>,
    Path((z, x, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let coord = parse_coord(&z, &x, &file)?;
    let atlas = state.atlas();
    let version = atlas.version();
    // Waits on small data; on large data answers at once (pending → None).
    let coverage = state.coverage.get(atlas.clone()).await.ok();
    let mut tag = format!("W/\"{}-s{version}-c\"", state.instance);
    if coverage.is_none() {
        tag.insert_str(tag.len() - 1, "-p");
    }
    let render = || match &coverage {
        Some(cov) => tiles::render_coverage(
            &atlas,
            coord,
            cov,
            state.prepared.get(&atlas, coord.z()).as_deref(),
        ),
        None => gridmap_tiles::TileBuilder::new(coord, gridmap_tiles::TileOptions::default())
            .map(|b| b.encode()),
    };
    let cacheable = coverage.is_some();
    respond(
        &state,
        &headers,
        Served {
            version,
            view: COVERAGE_VIEW,
            coord,
            tag,
            cacheable,
        },
        render,
    )
}

/// The cache view of public base tiles; signed-in views are odd hashes.
const PUBLIC_VIEW: u64 = 0;
/// The cache view of coverage tiles.
const COVERAGE_VIEW: u64 = 2;

/// What a tile answer is about.
struct Served {
    version: u64,
    view: u64,
    coord: TileCoord,
    tag: String,
    /// Whether a rendered tile may go in the cache.
    cacheable: bool,
}

/// `If-None-Match` by weak comparison (RFC 9110 §13.1.2): `W/` is ignored on
/// both sides.
fn if_none_match(headers: &HeaderMap, tag: &str) -> bool {
    fn opaque(t: &str) -> &str {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t)
    }
    let ours = opaque(tag);
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || opaque(t) == ours))
}

/// The tile answer: 304 on a matching `If-None-Match`, else the cached or
/// freshly rendered tile (gzip when accepted), with ETag, Cache-Control
/// and Vary.
fn respond(
    state: &AppState,
    headers: &HeaderMap,
    served: Served,
    render: impl FnOnce() -> Result<Vec<u8>, gridmap_tiles::TileError>,
) -> Result<Response, ApiError> {
    let Served {
        version,
        view,
        coord,
        tag,
        cacheable,
    } = served;
    let mut response = if if_none_match(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let gz = accepts_gzip(headers);
        let cached = state.tiles.get(version, view, coord).filter(|_| cacheable);
        let body = match cached {
            Some(hit) => {
                if gz {
                    hit.gzip.clone()
                } else {
                    hit.raw.clone()
                }
            }
            None => {
                // Rendered inline on the runtime's worker: a tile costs tens of
                // microseconds to a few milliseconds, less than handing it to
                // the blocking pool and back (measured in BENCHMARKS.md).
                let raw = render()
                    .map_err(|e| ApiError::internal(format!("tile rendering failed: {e}")))?;
                if state.tiles.enabled() && cacheable {
                    let entry = Arc::new(CachedTile {
                        gzip: gzip(&raw).into(),
                        raw: raw.into(),
                    });
                    state.tiles.put(version, view, coord, entry.clone());
                    if gz {
                        entry.gzip.clone()
                    } else {
                        entry.raw.clone()
                    }
                } else if gz {
                    gzip(&raw).into()
                } else {
                    raw.into()
                }
            }
        };
        let mut r = Body::from(body).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
        );
        if gz {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    if view % 2 == 0 {
        // Public tiles are the same for everyone: shared caches may keep
        // them and revalidate by ETag.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    } else {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        h.insert(
            header::VARY,
            HeaderValue::from_static("Accept-Encoding, Cookie, Authorization"),
        );
    }
    Ok(response)
}

/// TileJSON 3.0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TileJson {
    /// `3.0.0`.
    tilejson: &'static str,
    name: &'static str,
    /// One URL template, `…/{z}/{x}/{y}.mvt`.
    pub(crate) tiles: Vec<String>,
    pub(crate) minzoom: u8,
    pub(crate) maxzoom: u8,
    /// `[west, south, east, north]`.
    pub(crate) bounds: [f64; 4],
    /// `[lon, lat, zoom]`.
    center: [f64; 3],
    vector_layers: Vec<VectorLayer>,
    pub(crate) attribution: &'static str,
}

/// One layer of a TileJSON.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VectorLayer {
    id: &'static str,
    /// Attribute name → type (`String`, `Number`, `Boolean`).
    fields: BTreeMap<&'static str, &'static str>,
    minzoom: u8,
    maxzoom: u8,
}

#[utoipa::path(
    get,
    path = "/tiles.json",
    tag = "map",
    summary = "TileJSON 3.0 of the vector tiles.",
    responses((status = 200, description = "OK", body = TileJson)),
)]
pub async fn tilejson(State(state): State<AppState>, headers: HeaderMap) -> Json<TileJson> {
    Json(base_tilejson(&state, &headers))
}

/// TileJSON 3.0 of the base tiles (`/tiles.json`).
pub(crate) fn base_tilejson(state: &AppState, headers: &HeaderMap) -> TileJson {
    tilejson_of(state, headers, "gridmap", "/tiles", 0, LAYERS)
}

/// `GET /tiles/coverage.json`: TileJSON 3.0 of the coverage source.
#[utoipa::path(
    get,
    path = "/tiles/coverage.json",
    tag = "map",
    summary = "TileJSON 3.0 of the walking-coverage tiles (layer `coverage`, z13+).",
    responses((status = 200, description = "OK", body = TileJson)),
)]
pub async fn coverage_tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Json<TileJson> {
    Json(coverage_tilejson_of(&state, &headers))
}

/// TileJSON 3.0 of the coverage tiles (`/tiles/coverage.json`).
pub(crate) fn coverage_tilejson_of(state: &AppState, headers: &HeaderMap) -> TileJson {
    let layers = [tiles::COVERAGE_LAYER];
    tilejson_of(
        state,
        headers,
        "gridmap coverage",
        "/tiles/coverage",
        tiles::COVERAGE_LAYER.1,
        &layers,
    )
}

/// TileJSON 3.0 of the tiles under `path` with these layers.
fn tilejson_of(
    state: &AppState,
    headers: &HeaderMap,
    name: &'static str,
    path: &str,
    minzoom: u8,
    layers: &[tiles::LayerSpec],
) -> TileJson {
    let base = state.origin(headers);
    let atlas = state.atlas();
    let (bounds, center) = match atlas.bounds() {
        Some(b) => (
            [b.min().x, b.min().y, b.max().x, b.max().y],
            [b.center().x, b.center().y, 14.0],
        ),
        None => (
            [-180.0, -85.051_128_8, 180.0, 85.051_128_8],
            [0.0, 0.0, 2.0],
        ),
    };
    let vector_layers = layers
        .iter()
        .map(|&(id, minzoom, fields)| VectorLayer {
            id,
            fields: fields.iter().copied().collect(),
            minzoom,
            maxzoom: MAX_DATA_ZOOM,
        })
        .collect();
    TileJson {
        tilejson: "3.0.0",
        name,
        tiles: vec![format!("{base}{path}/{{z}}/{{x}}/{{y}}.mvt")],
        minzoom,
        maxzoom: MAX_DATA_ZOOM,
        bounds,
        center,
        vector_layers,
        attribution: "© OpenStreetMap contributors",
    }
}
