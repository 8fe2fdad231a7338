//! Walking coverage over HTTP (issue 5):
//!
//! - `GET /api/coverage?minutes=15&tier=station,centre&speed=1.1`: roll-ups
//!   (overall, per community, per grid, uncovered lists) for the communities
//!   the caller may read analytics of.
//! - `GET /api/coverage/buildings?minutes=&tier=&speed=&community=&status=&limit=&offset=`:
//!   per-building coverage (households included: analytics permission).
//! - `POST /api/coverage/siting` `{k, minutes, tier?, speed?, candidates?}`:
//!   greedy new-station proposals (needs analytics of every community).
//! - `GET /api/stations/{id}/isochrone?minutes=15&speed=`: public GeoJSON,
//!   and `GET /tiles/isochrone/{station}/{minutes}/{z}/{x}/{y}.mvt` (layer
//!   `isochrone`, 1.1 m/s) for maps.
//!
//! Buildings with no street nearby carry `status: "estimated"`: a
//! straight-line distance × the detour factor, not a route.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use geo::{LineString, MultiPolygon, Point};
use gridmap_analysis::coverage::{
    Band, Candidates, CoverageError, CoverageResult, Rollup, SitingOptions, Status, Tally,
    UnitTally, siting,
};
use gridmap_data::model::{Id, StationTier};
use gridmap_data::store::accounts::{Role, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::params::Params;
use crate::auth::{Permission, Principal};
use crate::coverage::{CoverageSnapshot, ResultKey};
use crate::error::ApiError;
use crate::state::AppState;

/// Longest walk a request may ask about (minutes).
pub const MAX_MINUTES: f64 = 60.0;
/// Most buildings one page of `/api/coverage/buildings` returns.
pub const MAX_PAGE: usize = 10_000;
/// Most sites one siting request may ask for.
pub const MAX_SITES: usize = 20;

/// The common query: minutes, tiers and speed.
#[derive(Debug, Clone)]
pub struct CoverageQuery {
    pub minutes: f64,
    pub key: ResultKey,
    /// Asked in metres (`metres=1000`): bands are the GB 50180-2018
    /// distances 300/500/1,000 m instead of 5/10/15 minutes.
    pub by_distance: bool,
}

impl CoverageQuery {
    pub fn parse(params: &Params) -> Result<CoverageQuery, ApiError> {
        let speed = match params.text("speed") {
            Some(_) => params.number("speed", "bad_speed")?,
            None => gridmap_analysis::coverage::DEFAULT_SPEED_M_S,
        };
        check_speed(speed)?;
        let (minutes, by_distance) = match (params.text("minutes"), params.text("metres")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "bad_minutes",
                    "give minutes or metres, not both",
                ));
            }
            (_, Some(_)) => {
                let metres = params.number("metres", "bad_metres")?;
                if !(metres.is_finite() && metres > 0.0) {
                    return Err(ApiError::bad_request(
                        "bad_metres",
                        "metres must be a number above 0",
                    ));
                }
                (metres / speed / 60.0, true)
            }
            (Some(_), None) => (params.number("minutes", "bad_minutes")?, false),
            (None, None) => (15.0, false),
        };
        check_minutes(minutes)?;
        let tiers = params.text("tier").map(parse_tiers).transpose()?;
        Ok(CoverageQuery {
            minutes,
            key: ResultKey::new(speed, tiers),
            by_distance,
        })
    }

    /// 5/10/15 minutes (or 300/500/1,000 m) below the limit, and the limit itself.
    pub fn bands(&self) -> Vec<Band> {
        if self.by_distance {
            let speed = self.key.speed_m_s;
            let limit = Band::from_minutes(self.minutes, speed);
            let mut bands: Vec<Band> = Band::life_circle_distances(speed)
                .into_iter()
                .filter(|b| b.metres < limit.metres - 1e-9)
                .collect();
            bands.push(limit);
            return bands;
        }
        crate::coverage::bands(self.minutes, self.key.speed_m_s)
    }
}

fn check_minutes(minutes: f64) -> Result<(), ApiError> {
    if minutes.is_finite() && minutes > 0.0 && minutes <= MAX_MINUTES {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_minutes",
            format!("minutes must be in (0, {MAX_MINUTES}]"),
        ))
    }
}

fn check_speed(speed: f64) -> Result<(), ApiError> {
    if speed.is_finite() && speed > 0.0 && speed <= 5.0 {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_speed",
            "speed must be in (0, 5] metres per second",
        ))
    }
}

fn parse_tiers(text: &str) -> Result<Vec<StationTier>, ApiError> {
    text.split(',')
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            StationTier::parse(t.trim()).ok_or_else(|| {
                ApiError::bad_request(
                    "bad_tier",
                    format!("unknown tier `{t}` (centre, station, point)"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            if v.is_empty() {
                Err(ApiError::bad_request("bad_tier", "tier lists no tier"))
            } else {
                Ok(v)
            }
        })
}

fn coverage_error(e: CoverageError) -> ApiError {
    match e {
        CoverageError::UnknownStation(id) => {
            ApiError::not_found("unknown_station", format!("no station {id}"))
        }
        CoverageError::StationNotAttached(id) => ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "station_not_on_network",
            format!("station {id} is not near any walkable street"),
        ),
        CoverageError::InvalidOption(m) => ApiError::bad_request("bad_option", m),
        other => ApiError::internal(other.to_string()),
    }
}

/// The result for a query, run on a blocking task when not cached.
pub async fn result_for(
    snap: &Arc<CoverageSnapshot>,
    key: &ResultKey,
) -> Result<Arc<CoverageResult>, ApiError> {
    let (snap, key) = (snap.clone(), key.clone());
    tokio::task::spawn_blocking(move || snap.result(&key))
        .await
        .map_err(|e| ApiError::internal(format!("coverage task failed: {e}")))?
        .map_err(coverage_error)
}

/// Which communities the caller may read analytics of; `all` when the
/// whole area (buildings outside every grid included) is theirs.
struct Readable {
    all: bool,
    communities: HashSet<Id>,
}

fn readable(principal: &Principal, snap: &CoverageSnapshot) -> Result<Readable, ApiError> {
    let communities: HashSet<Id> = snap
        .atlas
        .data()
        .communities
        .iter()
        .map(|c| c.id)
        .filter(|&id| {
            principal
                .require(Permission::ReadAnalytics { community_id: id })
                .is_ok()
        })
        .collect();
    let all = principal.user.role == Role::Admin
        || (principal.user.scope == Scope::All
            && communities.len() == snap.atlas.data().communities.len());
    if !all && communities.is_empty() {
        return Err(ApiError::forbidden(format!(
            "{} `{}` may not read coverage of any community",
            principal.user.role, principal.user.username
        )));
    }
    Ok(Readable { all, communities })
}

/// Sum tallies (the scoped overall of an official).
fn merge(units: &[&UnitTally], bands: usize) -> Tally {
    let mut t = Tally {
        within_buildings: vec![0; bands],
        within_households: vec![0; bands],
        ..Tally::default()
    };
    for u in units {
        let u = &u.tally;
        t.buildings += u.buildings;
        t.households += u.households;
        for i in 0..bands {
            t.within_buildings[i] += u.within_buildings.get(i).copied().unwrap_or(0);
            t.within_households[i] += u.within_households.get(i).copied().unwrap_or(0);
        }
        t.beyond_buildings += u.beyond_buildings;
        t.beyond_households += u.beyond_households;
        t.unreachable_buildings += u.unreachable_buildings;
        t.unreachable_households += u.unreachable_households;
        t.estimated_buildings += u.estimated_buildings;
        t.estimated_households += u.estimated_households;
        t.uncovered.extend_from_slice(&u.uncovered);
    }
    t.uncovered.sort_unstable();
    t.covered_pct = match (t.households, t.within_households.last()) {
        (0, _) => None,
        (all, Some(w)) => Some(*w as f64 * 100.0 / all as f64),
        (_, None) => Some(0.0),
    };
    t
}

/// Straight-line estimates are labelled wherever they occur.
const ESTIMATE_NOTE: &str = "buildings with status `estimated` have no walkable street nearby: \
their distance is the straight line to the nearest station × the detour factor, not a route";

#[derive(Serialize)]
pub struct RollupResponse {
    version: u64,
    minutes: f64,
    speed_m_s: f64,
    /// Tiers that counted; absent = all.
    tiers: Option<Vec<&'static str>>,
    detour_factor: f64,
    bands: Vec<Band>,
    overall: Tally,
    communities: Vec<UnitTally>,
    grids: Vec<UnitTally>,
    /// Buildings in no grid (only for callers who see the whole area).
    #[serde(skip_serializing_if = "Option::is_none")]
    outside_grids: Option<Tally>,
    /// Present when some distances are straight-line estimates.
    #[serde(skip_serializing_if = "Option::is_none")]
    estimate_note: Option<&'static str>,
    /// The walking network: street nodes, edges, connected components and
    /// the islands that hold buildings or stations (with the buildings that
    /// sit on an island without any station, reported, never assigned).
    /// Only for callers who see the whole area: islands cross communities.
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<gridmap_analysis::coverage::GraphReport>,
}

fn tier_names(key: &ResultKey) -> Option<Vec<&'static str>> {
    key.tiers
        .as_ref()
        .map(|t| t.iter().map(|t| t.as_str()).collect())
}

pub async fn rollup(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> Result<Json<RollupResponse>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let q = CoverageQuery::parse(&params)?;
    let snap = state.coverage.get(state.atlas()).await?;
    let scope = readable(&principal, &snap)?;
    let result = result_for(&snap, &q.key).await?;
    let bands = q.bands();
    let (snap2, result2) = (snap.clone(), result.clone());
    let rollup =
        tokio::task::spawn_blocking(move || Rollup::build(&result2, snap2.atlas.data(), &bands))
            .await
            .map_err(|e| ApiError::internal(format!("roll-up task failed: {e}")))?;
    let Rollup {
        speed_m_s,
        bands,
        overall,
        communities,
        grids,
        outside_grids,
    } = rollup;
    let communities: Vec<UnitTally> = communities
        .into_iter()
        .filter(|c| scope.communities.contains(&c.id))
        .collect();
    let grids: Vec<UnitTally> = grids
        .into_iter()
        .filter(|g| {
            g.community_id
                .is_some_and(|c| scope.communities.contains(&c))
        })
        .collect();
    let (overall, outside_grids) = if scope.all {
        (overall, Some(outside_grids))
    } else {
        let refs: Vec<&UnitTally> = communities.iter().collect();
        (merge(&refs, bands.len()), None)
    };
    let estimate_note = (overall.estimated_buildings > 0).then_some(ESTIMATE_NOTE);
    Ok(Json(RollupResponse {
        version: snap.version(),
        minutes: q.minutes,
        speed_m_s,
        tiers: tier_names(&q.key),
        detour_factor: result.detour_factor,
        bands,
        overall,
        communities,
        grids,
        outside_grids,
        estimate_note,
        network: scope.all.then(|| snap.graph.report().clone()),
    }))
}

/// A building's status relative to the asked minutes.
fn status_at(status: Status, metres: Option<f64>, limit_m: f64) -> &'static str {
    match status {
        Status::Unreachable => "unreachable",
        _ if metres.is_none_or(|m| m > limit_m) => "beyond",
        Status::Estimated => "estimated",
        _ => "network",
    }
}

#[derive(Serialize)]
pub struct BuildingRow {
    id: Id,
    name: Option<String>,
    grid_id: Option<Id>,
    community_id: Option<Id>,
    households: u32,
    station_id: Option<Id>,
    metres: Option<f64>,
    minutes: Option<f64>,
    /// `network` / `estimated` (within the minutes), `beyond`, `unreachable`.
    status: &'static str,
}

#[derive(Serialize)]
pub struct BuildingPage {
    version: u64,
    minutes: f64,
    speed_m_s: f64,
    total: usize,
    offset: usize,
    limit: usize,
    buildings: Vec<BuildingRow>,
}

const STATUS_FILTERS: &[&str] = &[
    "network",
    "estimated",
    "beyond",
    "unreachable",
    "covered",
    "uncovered",
];

fn status_matches(filter: &str, status: &str) -> bool {
    match filter {
        "covered" => matches!(status, "network" | "estimated"),
        "uncovered" => matches!(status, "beyond" | "unreachable"),
        f => f == status,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub async fn buildings(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> Result<Json<BuildingPage>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let q = CoverageQuery::parse(&params)?;
    let limit = params.limit("limit", 1000, MAX_PAGE)?;
    let offset = match params.text("offset") {
        Some(_) => {
            let o = params.number("offset", "bad_offset")?;
            if !(o.is_finite() && o >= 0.0 && o.fract() == 0.0) {
                return Err(ApiError::bad_request(
                    "bad_offset",
                    "offset must be a whole number ≥ 0",
                ));
            }
            o as usize
        }
        None => 0,
    };
    let community = match params.text("community") {
        Some(raw) => Some(raw.trim().parse::<Id>().map_err(|_| {
            ApiError::bad_request("bad_community", format!("community `{raw}` is not an id"))
        })?),
        None => None,
    };
    let status = params.text("status");
    if let Some(s) = status
        && !STATUS_FILTERS.contains(&s)
    {
        return Err(ApiError::bad_request(
            "bad_status",
            format!("status must be one of {}", STATUS_FILTERS.join(", ")),
        ));
    }
    let snap = state.coverage.get(state.atlas()).await?;
    let scope = readable(&principal, &snap)?;
    if let Some(c) = community {
        principal.require(Permission::ReadAnalytics { community_id: c })?;
    }
    let result = result_for(&snap, &q.key).await?;
    let atlas = &snap.atlas;
    let limit_m = Band::from_minutes(q.minutes, q.key.speed_m_s).metres;
    let mut total = 0;
    let mut rows = Vec::new();
    for (b, c) in atlas.data().buildings.iter().zip(&result.buildings) {
        if b.id != c.building_id {
            continue;
        }
        let community_id = b
            .grid_id
            .and_then(|g| atlas.grid(g))
            .map(|g| g.community_id);
        let visible = match community_id {
            Some(cid) => scope.communities.contains(&cid),
            None => scope.all,
        };
        if !visible || community.is_some_and(|want| community_id != Some(want)) {
            continue;
        }
        let st = status_at(c.status, c.metres, limit_m);
        if status.is_some_and(|f| !status_matches(f, st)) {
            continue;
        }
        total += 1;
        if total > offset && rows.len() < limit {
            rows.push(BuildingRow {
                id: b.id,
                name: b.name.clone(),
                grid_id: b.grid_id,
                community_id,
                households: c.households,
                station_id: c.station_id,
                metres: c.metres.map(round1),
                minutes: c.minutes.map(|m| (m * 100.0).round() / 100.0),
                status: st,
            });
        }
    }
    Ok(Json(BuildingPage {
        version: snap.version(),
        minutes: q.minutes,
        speed_m_s: q.key.speed_m_s,
        total,
        offset,
        limit,
        buildings: rows,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitingRequest {
    k: usize,
    #[serde(default = "fifteen")]
    minutes: f64,
    tier: Option<String>,
    speed: Option<f64>,
    candidates: Option<CandidateRequest>,
}

fn fifteen() -> f64 {
    15.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateRequest {
    kind: String,
    #[serde(default)]
    classes: Vec<String>,
    #[serde(default)]
    points: Vec<[f64; 2]>,
    max: Option<usize>,
}

/// Most candidates a request may ask the engine to weigh.
const MAX_CANDIDATES: usize = 20_000;

fn candidates(c: Option<CandidateRequest>) -> Result<Candidates, ApiError> {
    let Some(c) = c else {
        return Ok(Candidates::StreetNodes { max: 2_000 });
    };
    let max = c.max.unwrap_or(2_000);
    if max == 0 || max > MAX_CANDIDATES {
        return Err(ApiError::bad_request(
            "bad_candidates",
            format!("candidates.max must be 1..={MAX_CANDIDATES}"),
        ));
    }
    match c.kind.as_str() {
        "street_nodes" => Ok(Candidates::StreetNodes { max }),
        "buildings" => Ok(Candidates::Buildings {
            classes: c.classes,
            max,
        }),
        "points" => {
            if c.points.is_empty() || c.points.len() > MAX_CANDIDATES {
                return Err(ApiError::bad_request(
                    "bad_candidates",
                    format!("candidates.points must hold 1..={MAX_CANDIDATES} [lon, lat] pairs"),
                ));
            }
            let points = c
                .points
                .iter()
                .map(|&[lon, lat]| {
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
                        Ok(Point::new(lon, lat))
                    } else {
                        Err(ApiError::bad_request(
                            "bad_candidates",
                            format!("({lon}, {lat}) is not a WGS84 longitude/latitude"),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Candidates::Points(points))
        }
        other => Err(ApiError::bad_request(
            "bad_candidates",
            format!("candidates.kind `{other}`: street_nodes, buildings or points"),
        )),
    }
}

pub async fn site(
    State(state): State<AppState>,
    principal: Principal,
    body: Result<Json<SitingRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<gridmap_analysis::coverage::Siting>, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::bad_request("bad_body", e.body_text()))?;
    if req.k == 0 || req.k > MAX_SITES {
        return Err(ApiError::bad_request(
            "bad_k",
            format!("k must be 1..={MAX_SITES}"),
        ));
    }
    check_minutes(req.minutes)?;
    let speed = req
        .speed
        .unwrap_or(gridmap_analysis::coverage::DEFAULT_SPEED_M_S);
    check_speed(speed)?;
    let tiers = req.tier.as_deref().map(parse_tiers).transpose()?;
    let candidates = candidates(req.candidates)?;
    let snap = state.coverage.get(state.atlas()).await?;
    // Gains count households anywhere: only for callers who see everything.
    if !readable(&principal, &snap)?.all {
        return Err(ApiError::forbidden(
            "siting weighs every community: it needs analytics of the whole area",
        ));
    }
    let result = result_for(&snap, &ResultKey::new(speed, tiers)).await?;
    let options = SitingOptions {
        k: req.k,
        minutes: req.minutes,
        candidates,
        ..SitingOptions::default()
    };
    let out = tokio::task::spawn_blocking(move || siting(&snap.graph, &result, &options))
        .await
        .map_err(|e| ApiError::internal(format!("siting task failed: {e}")))?
        .map_err(coverage_error)?;
    Ok(Json(out))
}

async fn isochrone_of(
    snap: &Arc<CoverageSnapshot>,
    id: Id,
    minutes: f64,
    speed: f64,
) -> Result<Arc<MultiPolygon<f64>>, ApiError> {
    let snap = snap.clone();
    tokio::task::spawn_blocking(move || snap.isochrone(id, minutes, speed))
        .await
        .map_err(|e| ApiError::internal(format!("isochrone task failed: {e}")))?
        .map_err(coverage_error)
}

/// `GET /tiles/isochrone/{station}/{minutes}/{z}/{x}/{y}.mvt`: the
/// isochrone as a one-layer vector tile (`isochrone`, properties
/// `station_id`, `minutes`), public like the GeoJSON route.
pub async fn isochrone_tile(
    State(state): State<AppState>,
    Path((station, minutes, z, x, file)): Path<(String, String, String, String, String)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::{HeaderValue, header};
    let coord = super::tiles::parse_coord(&z, &x, &file)?;
    let id: Id = station
        .parse()
        .map_err(|_| ApiError::not_found("unknown_station", format!("no station `{station}`")))?;
    let minutes: f64 = minutes
        .parse()
        .map_err(|_| ApiError::bad_request("bad_minutes", "minutes must be a number"))?;
    check_minutes(minutes)?;
    let atlas = state.atlas();
    if !atlas.data().stations.iter().any(|s| s.id == id) {
        return Err(ApiError::not_found(
            "unknown_station",
            format!("no station {id}"),
        ));
    }
    let snap = state.coverage.get(atlas).await?;
    let speed = gridmap_analysis::coverage::DEFAULT_SPEED_M_S;
    let area = isochrone_of(&snap, id, minutes, speed).await?;
    let bytes = crate::tiles::render_isochrone(&area, id, minutes, coord)
        .map_err(|e| ApiError::internal(format!("tile rendering failed: {e}")))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}

/// GeoJSON geometry of a line (lon/lat).
pub fn line_geojson(line: &LineString<f64>) -> Value {
    json!({
        "type": "LineString",
        "coordinates": line.coords().map(|c| [c.x, c.y]).collect::<Vec<_>>(),
    })
}

fn multipolygon_geojson(mp: &MultiPolygon<f64>) -> Value {
    let ring = |r: &LineString<f64>| r.coords().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    json!({
        "type": "MultiPolygon",
        "coordinates": mp
            .iter()
            .map(|p| {
                std::iter::once(ring(p.exterior()))
                    .chain(p.interiors().iter().map(ring))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>(),
    })
}

pub async fn station_isochrone(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let id: Id = id
        .parse()
        .map_err(|_| ApiError::not_found("unknown_station", format!("no station `{id}`")))?;
    let params = Params::parse(raw.as_deref())?;
    let minutes = match params.text("minutes") {
        Some(_) => params.number("minutes", "bad_minutes")?,
        None => 15.0,
    };
    check_minutes(minutes)?;
    let speed = match params.text("speed") {
        Some(_) => params.number("speed", "bad_speed")?,
        None => gridmap_analysis::coverage::DEFAULT_SPEED_M_S,
    };
    check_speed(speed)?;
    let atlas = state.atlas();
    if !atlas.data().stations.iter().any(|s| s.id == id) {
        return Err(ApiError::not_found(
            "unknown_station",
            format!("no station {id}"),
        ));
    }
    let snap = state.coverage.get(atlas).await?;
    let area = isochrone_of(&snap, id, minutes, speed).await?;
    let feature = json!({
        "type": "Feature",
        "geometry": multipolygon_geojson(&area),
        "properties": {
            "station_id": id,
            "minutes": minutes,
            "metres": round1(minutes * 60.0 * speed),
            "speed_m_s": speed,
        },
    });
    // RFC 7946's media type, as the OpenAPI document says.
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/geo+json"),
        )],
        Json(feature),
    ))
}
