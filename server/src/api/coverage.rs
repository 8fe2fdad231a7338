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
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use geo::{MultiPolygon, Point};
use gridmap_analysis::coverage::{
    Band, Candidates, CoverageError, CoverageResult, Rollup, SitingOptions, Status, Tally,
    UnitTally, siting,
};
use gridmap_data::model::{Id, StationTier};
use gridmap_data::store::accounts::{Role, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::geojson::{self, IsochroneFeature, IsochroneProperties};
use super::params::{Query, QueryParams};
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

/// Slowest walking speed a request may ask about (m/s).
pub const MIN_SPEED: f64 = 0.1;
/// Fastest walking speed a request may ask about (m/s).
pub const MAX_SPEED: f64 = 5.0;
/// Longest walk in metres a request may ask about: 60 minutes at 5 m/s.
pub const MAX_METRES: f64 = 18_000.0;

/// The common query of the coverage routes: minutes or metres, tiers and speed.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// Walking minutes, (0, 60] (default 15).
    #[param(exclusive_minimum = 0.0, maximum = 60.0)]
    pub minutes: Option<f64>,
    /// Walking distance in metres instead of minutes, (0, 18000]: bands are
    /// 300/500/1,000 m below it. Not with `minutes` (422 `bad_minutes`).
    #[param(exclusive_minimum = 0.0, maximum = 18_000.0)]
    pub metres: Option<f64>,
    /// Comma-separated station tiers: centre, station, point (default all).
    #[param(pattern = "^(centre|station|point)(,(centre|station|point))*$")]
    pub tier: Option<String>,
    /// Walking speed in m/s, [0.1, 5] (default 1.1).
    #[param(minimum = 0.1, maximum = 5.0)]
    pub speed: Option<f64>,
}

impl QueryParams for CoverageParams {
    fn error_code(field: Option<&str>) -> &'static str {
        match field {
            Some("metres") => "bad_metres",
            Some("tier") => "bad_tier",
            Some("speed") => "bad_speed",
            _ => "bad_minutes",
        }
    }
}

/// A coverage question: its limit, tiers and speed.
#[derive(Debug, Clone)]
pub struct CoverageQuery {
    pub minutes: f64,
    pub key: ResultKey,
    /// Asked in metres (`metres=1000`): bands are the GB 50180-2018
    /// distances 300/500/1,000 m instead of 5/10/15 minutes.
    pub by_distance: bool,
}

impl CoverageQuery {
    pub fn parse(params: &CoverageParams) -> Result<CoverageQuery, ApiError> {
        let speed = params
            .speed
            .unwrap_or(gridmap_analysis::coverage::DEFAULT_SPEED_M_S);
        check_speed(speed)?;
        let (minutes, by_distance) = match (params.metres, params.minutes) {
            (Some(_), Some(_)) => {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_minutes",
                    "give minutes or metres, not both",
                ));
            }
            (Some(metres), None) => {
                if !(metres.is_finite() && metres > 0.0 && metres <= MAX_METRES) {
                    return Err(ApiError::bad_request(
                        "bad_metres",
                        format!("metres must be in (0, {MAX_METRES}]"),
                    ));
                }
                (metres / speed / 60.0, true)
            }
            (None, Some(minutes)) => {
                check_minutes(minutes)?;
                (minutes, false)
            }
            (None, None) => (15.0, false),
        };
        let tiers = params.tier.as_deref().map(parse_tiers).transpose()?;
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
    if (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_speed",
            format!("speed must be in [{MIN_SPEED}, {MAX_SPEED}] metres per second"),
        ))
    }
}

/// `centre,station`: tiers separated by commas (no spaces, no empty part).
fn parse_tiers(text: &str) -> Result<Vec<StationTier>, ApiError> {
    text.split(',')
        .map(|t| {
            StationTier::parse(t).ok_or_else(|| {
                ApiError::bad_request(
                    "bad_tier",
                    format!("unknown tier `{t}` (centre, station, point, separated by commas)"),
                )
            })
        })
        .collect()
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

#[derive(Serialize, ToSchema)]
pub struct RollupResponse {
    version: u64,
    minutes: f64,
    speed_m_s: f64,
    /// Tiers that counted; absent = all.
    #[schema(value_type = Option<Vec<StationTier>>)]
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

#[utoipa::path(
    get,
    path = "/api/coverage",
    tag = "coverage",
    summary = "Walking-coverage roll-ups of the communities the caller may analyse (ReadAnalytics).",
    params(CoverageParams),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = RollupResponse),
        (status = 422, description = "Both `minutes` and `metres` (`bad_minutes`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn rollup(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<CoverageParams>,
) -> Result<Json<RollupResponse>, ApiError> {
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

#[derive(Serialize, ToSchema)]
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
    #[schema(value_type = String, pattern = "^(network|estimated|beyond|unreachable)$")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct BuildingPage {
    version: u64,
    minutes: f64,
    speed_m_s: f64,
    total: usize,
    offset: usize,
    limit: usize,
    buildings: Vec<BuildingRow>,
}

/// Which buildings a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Network,
    Estimated,
    Beyond,
    Unreachable,
    /// `network` or `estimated`.
    Covered,
    /// `beyond` or `unreachable`.
    Uncovered,
}

impl StatusFilter {
    fn matches(self, status: &str) -> bool {
        match self {
            StatusFilter::Network => status == "network",
            StatusFilter::Estimated => status == "estimated",
            StatusFilter::Beyond => status == "beyond",
            StatusFilter::Unreachable => status == "unreachable",
            StatusFilter::Covered => matches!(status, "network" | "estimated"),
            StatusFilter::Uncovered => matches!(status, "beyond" | "unreachable"),
        }
    }
}

/// The page and filter of `/api/coverage/buildings`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BuildingFilter {
    /// Only this community.
    community: Option<Id>,
    /// Only buildings of this status.
    #[param(inline)]
    status: Option<StatusFilter>,
    /// Rows per page (default 1,000; above 10,000 counts as 10,000).
    #[param(minimum = 1, maximum = 4_294_967_295_u64)]
    limit: Option<u32>,
    /// Rows to skip.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

impl QueryParams for BuildingFilter {
    fn error_code(field: Option<&str>) -> &'static str {
        match field {
            Some("community") => "bad_community",
            Some("status") => "bad_status",
            Some("limit") => "bad_limit",
            Some("offset") => "bad_offset",
            _ => "bad_query",
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[utoipa::path(
    get,
    path = "/api/coverage/buildings",
    tag = "coverage",
    summary = "Per-building coverage, paged (ReadAnalytics).",
    params(CoverageParams, BuildingFilter),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = BuildingPage),
        (status = 422, description = "Both `minutes` and `metres` (`bad_minutes`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn buildings(
    State(state): State<AppState>,
    principal: Principal,
    Query(params): Query<CoverageParams>,
    Query(filter): Query<BuildingFilter>,
) -> Result<Json<BuildingPage>, ApiError> {
    let q = CoverageQuery::parse(&params)?;
    let limit = super::params::limit(filter.limit, 1000, MAX_PAGE)?;
    let offset = match filter.offset {
        Some(o) => usize::try_from(o).map_err(|_| {
            ApiError::bad_request("bad_offset", "offset must be a whole number ≥ 0")
        })?,
        None => 0,
    };
    let community = filter.community;
    let status = filter.status;
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
        if status.is_some_and(|f| !f.matches(st)) {
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

/// What `POST /api/coverage/siting` weighs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitingRequest {
    /// Sites to propose, 1..=20.
    #[schema(minimum = 1, maximum = 20)]
    k: u32,
    /// Walking minutes, (0, 60] (default 15).
    #[serde(default = "fifteen")]
    #[schema(exclusive_minimum = 0.0, maximum = 60.0, default = 15.0)]
    minutes: f64,
    /// Comma-separated station tiers that count as existing (default all).
    #[schema(pattern = "^(centre|station|point)(,(centre|station|point))*$")]
    tier: Option<String>,
    /// Walking speed in m/s, [0.1, 5] (default 1.1).
    #[schema(minimum = 0.1, maximum = 5.0)]
    speed: Option<f64>,
    candidates: Option<CandidateRequest>,
}

fn fifteen() -> f64 {
    15.0
}

/// Where new sites may go (default: up to 2,000 street nodes); `max`:
/// most candidates weighed, 1..=20,000 (default 2,000).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CandidateRequest {
    /// Street nodes of the walking network.
    StreetNodes {
        #[schema(minimum = 1, maximum = 20_000)]
        max: Option<u32>,
    },
    /// Buildings, only of these classes when `classes` lists any.
    Buildings {
        #[serde(default)]
        classes: Vec<String>,
        #[schema(minimum = 1, maximum = 20_000)]
        max: Option<u32>,
    },
    /// These `[lon, lat]` points (1 to 20,000).
    Points {
        #[schema(value_type = Vec<gridmap_data::model::LonLat>, min_items = 1, max_items = 20_000)]
        points: Vec<[f64; 2]>,
        #[schema(minimum = 1, maximum = 20_000)]
        max: Option<u32>,
    },
}

/// Most candidates a request may ask the engine to weigh.
const MAX_CANDIDATES: usize = 20_000;

fn candidates(c: Option<CandidateRequest>) -> Result<Candidates, ApiError> {
    let max = |m: Option<u32>| {
        let max = m.map_or(2_000, |m| m as usize);
        if max == 0 || max > MAX_CANDIDATES {
            Err(ApiError::bad_request(
                "bad_candidates",
                format!("candidates.max must be 1..={MAX_CANDIDATES}"),
            ))
        } else {
            Ok(max)
        }
    };
    match c {
        None => Ok(Candidates::StreetNodes { max: 2_000 }),
        Some(CandidateRequest::StreetNodes { max: m }) => {
            Ok(Candidates::StreetNodes { max: max(m)? })
        }
        Some(CandidateRequest::Buildings { classes, max: m }) => Ok(Candidates::Buildings {
            classes,
            max: max(m)?,
        }),
        Some(CandidateRequest::Points { points, max: m }) => {
            max(m)?;
            if points.is_empty() || points.len() > MAX_CANDIDATES {
                return Err(ApiError::bad_request(
                    "bad_candidates",
                    format!("candidates.points must hold 1..={MAX_CANDIDATES} [lon, lat] pairs"),
                ));
            }
            let points = points
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
    }
}

#[utoipa::path(
    post,
    path = "/api/coverage/siting",
    tag = "coverage",
    summary = "Greedy new-station proposals (ReadAnalytics of every community).",
    request_body = SitingRequest,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = gridmap_analysis::coverage::Siting),
        (status = 422, description = "A station is not near any walkable street (`station_not_on_network`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn site(
    State(state): State<AppState>,
    principal: Principal,
    body: Result<super::params::Json<SitingRequest>, ApiError>,
) -> Result<Json<gridmap_analysis::coverage::Siting>, ApiError> {
    let super::params::Json(req) =
        body.map_err(|e| ApiError::bad_request("bad_body", e.message))?;
    if req.k == 0 || req.k as usize > MAX_SITES {
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
        k: req.k as usize,
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
#[utoipa::path(
    get,
    path = "/tiles/isochrone/{station}/{minutes}/{z}/{x}/{file}",
    tag = "coverage",
    summary = "A station's walking area as a vector tile (layer `isochrone`).",
    params(
        ("station" = i64, Path, description = "Station id."),
        ("minutes" = f64, Path, exclusive_minimum = 0.0, maximum = 60.0, description = "Walking minutes, (0, 60]."),
        ("z" = u8, Path, minimum = 0, maximum = 24, description = "Zoom."),
        ("x" = u32, Path, minimum = 0, maximum = 16_777_215, description = "Tile column (below 2^z; past the edge is 404)."),
        ("file" = String, Path, pattern = r"^[0-9]{1,8}\.mvt$", description = "`{y}.mvt`: the tile row (below 2^z; past the edge is 404)."),
    ),
    responses(
        (status = 200, description = "Mapbox Vector Tile 2.1", content_type = "application/vnd.mapbox-vector-tile", body = inline(super::openapi::Binary)),
        (status = 404, description = "No such station (`unknown_station`), or past the zoom's edge (`no_such_tile`).", body = crate::error::ErrorBody),
        (status = 422, description = "The station is not near any walkable street (`station_not_on_network`).", body = crate::error::ErrorBody),
    ),
)]
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

/// Minutes and speed of a station's isochrone.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IsochroneParams {
    /// Walking minutes, (0, 60] (default 15).
    #[param(exclusive_minimum = 0.0, maximum = 60.0)]
    minutes: Option<f64>,
    /// Walking speed in m/s, [0.1, 5] (default 1.1).
    #[param(minimum = 0.1, maximum = 5.0)]
    speed: Option<f64>,
}

impl QueryParams for IsochroneParams {
    fn error_code(field: Option<&str>) -> &'static str {
        match field {
            Some("speed") => "bad_speed",
            _ => "bad_minutes",
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/stations/{id}/isochrone",
    tag = "coverage",
    summary = "The area a station reaches on foot, as GeoJSON.",
    params(("id" = i64, Path, description = "Station id."), IsochroneParams),
    responses(
        (status = 200, description = "A GeoJSON Feature", content_type = "application/geo+json", body = IsochroneFeature),
        (status = 404, description = "No such station (`unknown_station`).", body = crate::error::ErrorBody),
        (status = 422, description = "The station is not near any walkable street (`station_not_on_network`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn station_isochrone(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<IsochroneParams>,
) -> Result<impl IntoResponse, ApiError> {
    let id: Id = id
        .parse()
        .map_err(|_| ApiError::not_found("unknown_station", format!("no station `{id}`")))?;
    let minutes = params.minutes.unwrap_or(15.0);
    check_minutes(minutes)?;
    let speed = params
        .speed
        .unwrap_or(gridmap_analysis::coverage::DEFAULT_SPEED_M_S);
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
    let feature = geojson::feature(
        None,
        Some(geojson::multipolygon(&area)),
        &IsochroneProperties {
            station_id: id,
            minutes,
            metres: round1(minutes * 60.0 * speed),
            speed_m_s: speed,
        },
    );
    // RFC 7946's media type, as the OpenAPI document says.
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(geojson::MEDIA_TYPE),
        )],
        Json(feature),
    ))
}
