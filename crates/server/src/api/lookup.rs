//! `GET /api/lookup?lon=..&lat=..`: the grid and community at a point, the
//! grid's public contacts and the nearest stations (straight line).

use axum::Json;
use axum::extract::{RawQuery, State};
use geo::Point;
use serde::Serialize;

use super::params::Params;
use super::public::{self, PublicCommunity, PublicContact, PublicGrid, PublicStation};
use crate::error::ApiError;
use crate::state::AppState;

/// How many nearest stations a lookup returns.
const NEAREST_STATIONS: usize = 3;

#[derive(Serialize)]
pub struct LookupResponse {
    lon: f64,
    lat: f64,
    community: Option<PublicCommunity>,
    grid: PublicGrid,
    contacts: Vec<PublicContact>,
    stations: Vec<PublicStation>,
}

pub async fn lookup(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<LookupResponse>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let lon = params.number("lon", "bad_coordinates")?;
    let lat = params.number("lat", "bad_coordinates")?;
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
        stations: atlas
            .nearest_stations(p, NEAREST_STATIONS)
            .into_iter()
            .map(|(s, d)| public::station(s, d))
            .collect(),
    }))
}
