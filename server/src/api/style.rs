//! `GET /style.json`: a MapLibre style (v8) that draws every layer of our
//! tiles with no outside resource: tiles, TileJSON and glyphs come from this
//! server; CJK labels are drawn with the browser's local fonts
//! (`localIdeographFontFamily` on the map).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::tiles::TileJson;

use crate::state::AppState;

/// Font stacks the glyph endpoint serves.
pub const FONT_REGULAR: &str = "DejaVu Sans Book";
pub const FONT_BOLD: &str = "DejaVu Sans Bold";

/// `http://` and the request's Host (a safe one), for servers without
/// `--public-url`; use [`AppState::origin`].
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

/// A MapLibre style (version 8).
#[derive(Serialize, ToSchema)]
pub struct Style {
    /// `8`.
    version: u8,
    name: &'static str,
    /// `[lon, lat]`.
    center: [f64; 2],
    zoom: f64,
    sources: Sources,
    /// URL template of the glyph ranges.
    glyphs: String,
    /// MapLibre style layers, drawn in order.
    #[schema(value_type = Vec<StyleLayer>)]
    layers: Value,
}

/// A MapLibre style layer (see the MapLibre style specification).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct StyleLayer {
    id: String,
    /// `background`, `fill`, `line`, `symbol`, `circle` …
    #[serde(rename = "type")]
    kind: String,
    source: Option<String>,
    #[serde(rename = "source-layer")]
    source_layer: Option<String>,
}

/// The style's sources.
#[derive(Serialize, ToSchema)]
pub struct Sources {
    gridmap: VectorSource,
    /// Walking coverage, its own source: only maps that show it load it.
    coverage: VectorSource,
}

/// A vector source with its TileJSON's fields inline.
#[derive(Serialize, ToSchema)]
pub struct VectorSource {
    /// `vector`.
    #[serde(rename = "type")]
    kind: &'static str,
    tiles: Vec<String>,
    minzoom: u8,
    maxzoom: u8,
    bounds: [f64; 4],
    attribution: &'static str,
}

#[utoipa::path(
    get,
    path = "/style.json",
    tag = "map",
    summary = "The MapLibre style of the map.",
    responses((status = 200, description = "OK", body = Style)),
)]
pub async fn style(State(state): State<AppState>, headers: HeaderMap) -> Json<Style> {
    let base = state.origin(&headers);
    let atlas = state.atlas();
    let (center, zoom) = match atlas.bounds() {
        Some(b) => ([b.center().x, b.center().y], 14.0),
        None => ([118.78, 32.04], 2.0),
    };
    Json(Style {
        version: 8,
        name: "gridmap",
        center,
        zoom,
        // The sources carry their TileJSON inline (the same as /tiles.json and
        // /tiles/coverage.json), so a map asks for tiles without a round trip.
        sources: Sources {
            gridmap: inline_source(super::tiles::base_tilejson(&state, &headers)),
            coverage: inline_source(super::tiles::coverage_tilejson_of(&state, &headers)),
        },
        glyphs: format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"),
        layers: layers(),
    })
}

/// A vector source with a TileJSON's fields inline.
fn inline_source(tilejson: TileJson) -> VectorSource {
    VectorSource {
        kind: "vector",
        tiles: tilejson.tiles,
        minzoom: tilejson.minzoom,
        maxzoom: tilejson.maxzoom,
        bounds: tilejson.bounds,
        attribution: tilejson.attribution,
    }
}

fn layers() -> Value {
    // The coverage layer's `band`: green to red by minutes, grey estimates.
    let colours = json!([
        "match",
        ["get", "band"],
        "5",
        "#1a9850",
        "10",
        "#91cf60",
        "15",
        "#fee08b",
        "beyond",
        "#fc8d59",
        "unreachable",
        "#d73027",
        "estimated",
        "#9e9e9e",
        "#cccccc"
    ]);
    json!([
        {"id": "background", "type": "background", "paint": {"background-color": "#f4f1ea"}},
        {"id": "landuse", "type": "fill", "source": "gridmap", "source-layer": "landuse",
         "paint": {"fill-color": ["match", ["get", "class"],
            "residential", "#ece6da", "commercial", "#f0e0dc", "retail", "#f0e0dc",
            "grass", "#d8ecc8", "village_green", "#d8ecc8", "park", "#cfe8bd", "garden", "#cfe8bd",
            "military", "#e8d8d8", "#e6e2d6"], "fill-opacity": 0.8}},
        {"id": "water", "type": "fill", "source": "gridmap", "source-layer": "water",
         "paint": {"fill-color": "#a9cfe8"}},
        {"id": "roads-minor", "type": "line", "source": "gridmap", "source-layer": "roads",
         "filter": ["!", ["match", ["get", "class"], ["motorway", "trunk", "primary", "secondary", "tertiary"], true, false]],
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": ["match", ["get", "class"], ["footway", "path", "pedestrian", "steps", "cycleway"], "#d9c9b0", "#ffffff"],
                   "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.8, 17, 4]}},
        {"id": "roads-major", "type": "line", "source": "gridmap", "source-layer": "roads",
         "filter": ["match", ["get", "class"], ["motorway", "trunk", "primary", "secondary", "tertiary"], true, false],
         "layout": {"line-cap": "round", "line-join": "round"},
         "paint": {"line-color": ["match", ["get", "class"], ["motorway", "trunk", "primary"], "#f7c97a", "#fde9b0"],
                   "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1, 17, 10]}},
        {"id": "buildings", "type": "fill", "source": "gridmap", "source-layer": "buildings",
         "filter": ["==", ["geometry-type"], "Polygon"],
         "paint": {"fill-color": "#d6cfc4", "fill-outline-color": "#b8ad9e"}},
        {"id": "buildings-points", "type": "circle", "source": "gridmap", "source-layer": "buildings",
         "filter": ["==", ["geometry-type"], "Point"],
         "paint": {"circle-radius": 1.5, "circle-color": "#9c8f7e"}},
        {"id": "coverage-buildings", "type": "fill", "source": "coverage", "source-layer": "coverage",
         "filter": ["==", ["geometry-type"], "Polygon"], "layout": {"visibility": "none"},
         "paint": {"fill-color": colours.clone(), "fill-opacity": 0.85}},
        {"id": "coverage-buildings-points", "type": "circle", "source": "coverage", "source-layer": "coverage",
         "filter": ["==", ["geometry-type"], "Point"], "layout": {"visibility": "none"},
         "paint": {"circle-radius": 2, "circle-color": colours.clone()}},
        {"id": "grids-fill", "type": "fill", "source": "gridmap", "source-layer": "grids",
         "paint": {"fill-color": ["match", ["get", "kind"], "dedicated", "#8e6cc2", "#3d7fc1"], "fill-opacity": 0.08}},
        {"id": "grids-line", "type": "line", "source": "gridmap", "source-layer": "grids",
         "paint": {"line-color": "#3d7fc1", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.5, 16, 2]}},
        {"id": "communities-line", "type": "line", "source": "gridmap", "source-layer": "communities",
         "paint": {"line-color": "#b03a2e", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 1, 16, 3.5], "line-dasharray": [3, 2]}},
        {"id": "roads-label", "type": "symbol", "source": "gridmap", "source-layer": "roads", "minzoom": 14,
         "layout": {"symbol-placement": "line", "text-field": ["get", "name"], "text-font": [FONT_REGULAR], "text-size": 11},
         "paint": {"text-color": "#6b5d4a", "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
        {"id": "grids-label", "type": "symbol", "source": "gridmap", "source-layer": "grid_labels", "minzoom": 14,
         "layout": {"text-field": ["format", ["get", "name"], {}, "\n", {}, ["get", "code"], {"font-scale": 0.8}],
                    "text-font": [FONT_REGULAR], "text-size": 11},
         "paint": {"text-color": "#1f4f7f", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
        {"id": "communities-label", "type": "symbol", "source": "gridmap", "source-layer": "community_labels", "maxzoom": 14.5,
         "layout": {"text-field": ["get", "name"], "text-font": [FONT_BOLD], "text-size": 14},
         "paint": {"text-color": "#8e2c22", "text-halo-color": "#ffffff", "text-halo-width": 2}},
        {"id": "stations", "type": "circle", "source": "gridmap", "source-layer": "stations",
         "paint": {"circle-radius": ["match", ["get", "tier"], "centre", 8, "station", 6, 4.5],
                   "circle-color": ["match", ["get", "tier"], "centre", "#c0392b", "station", "#e67e22", "#f1c40f"],
                   "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5}},
        {"id": "stations-label", "type": "symbol", "source": "gridmap", "source-layer": "stations", "minzoom": 13,
         "layout": {"text-field": ["get", "name"], "text-font": [FONT_BOLD], "text-size": 12,
                    "text-offset": [0, 1.1], "text-anchor": "top"},
         "paint": {"text-color": "#7a2a1f", "text-halo-color": "#ffffff", "text-halo-width": 1.5}}
    ])
}
