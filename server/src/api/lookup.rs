//! `GET /api/lookup?lon=..&lat=..`: the grid and community at a point, the
//! grid's public contacts and the nearest stations (straight line), and
//! the walk from the nearest building to its nearest station by the street
//! network (`walking`, `walking_minutes`, `route`) once the coverage
//! snapshot is ready.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use geo::{Distance, Haversine, Point};
use gridmap_analysis::coverage::Status;
use gridmap_data::Atlas;
use gridmap_data::model::Id;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::geojson::{self, LineStringGeometry};
use super::params::{Query, QueryParams};
use super::public::{self, PublicCommunity, PublicContact, PublicGrid, PublicStation};
use crate::error::ApiError;
use crate::state::AppState;

/// How many nearest stations a lookup returns.
const NEAREST_STATIONS: usize = 3;

#[derive(Serialize, ToSchema)]
pub struct LookupResponse {
    lon: f64,
    lat: f64,
    community: Option<PublicCommunity>,
    grid: PublicGrid,
    contacts: Vec<PublicContact>,
    stations: Vec<LookupStation>,
    /// The walk to the nearest station by the network (`None` while the
    /// coverage is being computed or when no building is near the point).
    walking: Option<Walking>,
    walking_minutes: Option<f64>,
    /// GeoJSON LineString of the walk (absent for straight-line estimates).
    #[schema(value_type = Option<LineStringGeometry>)]
    route: Option<::geojson::Geometry>,
}

/// A nearby station; the one the walk ends at carries its walking figures.
#[derive(Serialize, ToSchema)]
pub struct LookupStation {
    #[serde(flatten)]
    station: PublicStation,
    #[serde(skip_serializing_if = "Option::is_none")]
    walking_minutes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    walking_distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<LineStringGeometry>)]
    route: Option<::geojson::Geometry>,
}

/// The walk from the building nearest the point to its nearest station.
#[derive(Clone, Serialize, ToSchema)]
pub struct Walking {
    building_id: Id,
    station: PublicStation,
    metres: f64,
    minutes: f64,
    /// `network`, or `estimated` (no street nearby: straight line × detour).
    #[schema(value_type = String, pattern = "^(network|estimated)$")]
    status: &'static str,
    #[schema(value_type = Option<LineStringGeometry>)]
    route: Option<::geojson::Geometry>,
}

/// A lookup point farther than this from every building gets no walk.
const WALK_BUILDING_RADIUS_M: f64 = 200.0;

async fn walking(state: &AppState, atlas: Arc<Atlas>, p: Point) -> Option<Walking> {
    let building = atlas.nearest_buildings(p, 1).into_iter().next()?;
    if Haversine.distance(p, building.point) > WALK_BUILDING_RADIUS_M {
        return None;
    }
    let snap = state.coverage.get(atlas.clone()).await.ok()?;
    let c = snap.default.building(&snap.graph, building.id).ok()?;
    let status = match c.status {
        Status::Network => "network",
        Status::Estimated => "estimated",
        Status::Beyond | Status::Unreachable => return None,
    };
    let station = snap
        .atlas
        .data()
        .stations
        .iter()
        .find(|s| Some(s.id) == c.station_id)?;
    let route = snap
        .default
        .route(&snap.graph, building.id)
        .ok()
        .flatten()
        .map(|r| geojson::line(&r.line));
    Some(Walking {
        building_id: building.id,
        station: public::station(station, Haversine.distance(p, station.point)),
        metres: (c.metres? * 10.0).round() / 10.0,
        minutes: (c.minutes? * 100.0).round() / 100.0,
        status,
        route,
    })
}

/// A WGS84 point.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Longitude, -180..180.
    #[param(minimum = -180.0, maximum = 180.0)]
    lon: f64,
    /// Latitude, -90..90.
    #[param(minimum = -90.0, maximum = 90.0)]
    lat: f64,
}

impl QueryParams for LookupQuery {
    fn error_code(_: Option<&str>) -> &'static str {
        "bad_coordinates"
    }
}

#[utoipa::path(
    get,
    path = "/api/lookup",
    tag = "public",
    summary = "The grid, community, public contacts, nearest stations and walk of a WGS84 point.",
    params(LookupQuery),
    responses(
        (status = 200, description = "OK", body = LookupResponse),
        (status = 404, description = "The point lies in no grid (`not_in_grid`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn lookup(
    State(state): State<AppState>,
    Query(LookupQuery { lon, lat }): Query<LookupQuery>,
) -> Result<Json<LookupResponse>, ApiError> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::bad_request(
            "bad_coordinates",
            format!("({lon}, {lat}) is not a WGS84 longitude/latitude"),
        ));
    }
    let atlas = state.atlas();
    let p = Point::new(lon, lat);
    let grid = atlas.grid_at(p).ok_or_else(|| {
        ApiError::not_found("not_in_grid", format!("({lon}, {lat}) lies in no grid"))
    })?;
    let walk = walking(&state, atlas.clone(), p).await;
    let community = atlas
        .community(grid.community_id)
        .or_else(|| atlas.community_at(p))
        .map(public::community);
    Ok(Json(LookupResponse {
        lon,
        lat,
        community,
        grid: public::grid(grid),
        contacts: atlas
            .grid_people(grid.id)
            .into_iter()
            .map(public::contact)
            .collect(),
        stations: stations(&atlas, p, walk.as_ref()),
        walking_minutes: walk.as_ref().map(|w| w.minutes),
        route: walk.as_ref().and_then(|w| w.route.clone()),
        walking: walk,
    }))
}

/// The nearest stations, the walked one marked (and added if it is not
/// among the nearest in a straight line).
fn stations(atlas: &Atlas, p: Point, walk: Option<&Walking>) -> Vec<LookupStation> {
    let mut out: Vec<LookupStation> = atlas
        .nearest_stations(p, NEAREST_STATIONS)
        .into_iter()
        .map(|(s, d)| LookupStation {
            station: public::station(s, d),
            walking_minutes: None,
            walking_distance_m: None,
            route: None,
        })
        .collect();
    if let Some(w) = walk {
        let i = match out.iter().position(|s| s.station.id == w.station.id) {
            Some(i) => i,
            None => {
                out.push(LookupStation {
                    station: w.station.clone(),
                    walking_minutes: None,
                    walking_distance_m: None,
                    route: None,
                });
                out.len() - 1
            }
        };
        if let Some(s) = out.get_mut(i) {
            s.walking_minutes = Some(w.minutes);
            s.walking_distance_m = Some(w.metres);
            s.route = w.route.clone();
        }
    }
    out
}
