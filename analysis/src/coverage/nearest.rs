//! Nearest station per building: [`coverage`] runs one multi-source
//! Dijkstra from every selected station and reads each building's network
//! distance off its attachment; [`CoverageResult::route`] walks the
//! predecessor tree back to draw the path.

use geo::{Coord, LineString};
use gridmap_data::model::{Id, StationTier};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use super::dijkstra::{NONE, Seed, ShortestPathTree, multi_source};
use super::error::CoverageError;
use super::graph::WalkGraph;
use super::metric::length_m;

/// Default walking speed (m/s): 1,000 m in about 15 minutes (BRIEF §3).
pub const DEFAULT_SPEED_M_S: f64 = 1.1;

/// Default detour factor for straight-line estimates. Walking routes in
/// built-up areas are typically 1.2–1.4 times the straight line ("circuity");
/// 1.3 is the middle of that range, used where no street data exists.
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.3;

/// How to compute coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageOptions {
    /// Walking speed (m/s) turning metres into minutes.
    pub speed_m_s: f64,
    /// Only stations of these tiers count (`None`: all tiers).
    pub tiers: Option<Vec<StationTier>>,
    /// Stop searching beyond this many minutes (`None`: search everything).
    pub max_minutes: Option<f64>,
    /// Straight-line × this factor for buildings with no street nearby.
    pub detour_factor: f64,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        CoverageOptions {
            speed_m_s: DEFAULT_SPEED_M_S,
            tiers: None,
            max_minutes: None,
            detour_factor: DEFAULT_DETOUR_FACTOR,
        }
    }
}

impl CoverageOptions {
    fn validate(&self) -> Result<(), CoverageError> {
        if !(self.speed_m_s.is_finite() && self.speed_m_s > 0.0) {
            return Err(CoverageError::InvalidOption(
                "speed_m_s must be a positive number".into(),
            ));
        }
        if !(self.detour_factor.is_finite() && self.detour_factor >= 1.0) {
            return Err(CoverageError::InvalidOption(
                "detour_factor must be at least 1".into(),
            ));
        }
        if self.max_minutes.is_some_and(|m| m.is_nan() || m < 0.0) {
            return Err(CoverageError::InvalidOption(
                "max_minutes must not be negative".into(),
            ));
        }
        Ok(())
    }

    fn selects(&self, tier: StationTier) -> bool {
        self.tiers.as_ref().is_none_or(|t| t.contains(&tier))
    }
}

/// How a building's distance was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Along the street network (access legs included).
    Network,
    /// No walkable street within reach of the building: straight line to the
    /// nearest selected station × the detour factor. An estimate, not a route.
    Estimated,
    /// A selected station is reachable, but farther than `max_minutes`.
    Beyond,
    /// No selected station on the building's island (or none at all).
    Unreachable,
}

/// One building's nearest station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildingCoverage {
    pub building_id: Id,
    pub households: u32,
    pub status: Status,
    pub station_id: Option<Id>,
    pub metres: Option<f64>,
    pub minutes: Option<f64>,
}

/// Every building's nearest station, in the graph's building order.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageResult {
    pub speed_m_s: f64,
    pub detour_factor: f64,
    pub max_minutes: Option<f64>,
    /// Ids of the stations that took part (selected tiers).
    pub stations: Vec<Id>,
    pub buildings: Vec<BuildingCoverage>,
    #[serde(skip)]
    tree: ShortestPathTree,
}

/// A walking path from a building to its nearest station.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub station_id: Id,
    /// Building point → street → … → street → station point (lon/lat).
    pub line: LineString<f64>,
    pub metres: f64,
}

/// Nearest selected station, network distance and minutes for every
/// building, from one multi-source Dijkstra.
pub fn coverage(
    graph: &WalkGraph,
    options: &CoverageOptions,
) -> Result<CoverageResult, CoverageError> {
    options.validate()?;
    let cutoff = options
        .max_minutes
        .map_or(f64::INFINITY, |m| m * 60.0 * options.speed_m_s);
    let mut seeds = Vec::new();
    let mut selected = Vec::new();
    let mut has_station = vec![false; graph.report().components as usize];
    for (i, s) in graph.stations().iter().enumerate() {
        if !options.selects(s.tier) {
            continue;
        }
        selected.push(s.id);
        if let Some(a) = s.attachment {
            seeds.push(Seed {
                node: a.node,
                dist: a.access_m,
                label: i as u32,
            });
            if let Some(h) = has_station.get_mut(graph.component(a.node) as usize) {
                *h = true;
            }
        }
    }
    let tree = multi_source(graph, &seeds, cutoff);
    let straight = StraightLine::new(graph, options);
    let minutes = |m: f64| m / options.speed_m_s / 60.0;
    let buildings = graph
        .buildings()
        .iter()
        .map(|b| {
            let (status, station, metres) = match b.attachment {
                Some(a) => {
                    let node = a.node as usize;
                    let d = tree.dist[node] + a.access_m;
                    if d.is_finite() && d <= cutoff {
                        let station = graph.stations().get(tree.label[node] as usize);
                        (Status::Network, station.map(|s| s.id), Some(d))
                    } else if has_station
                        .get(graph.component(a.node) as usize)
                        .copied()
                        .unwrap_or(false)
                    {
                        (Status::Beyond, None, None)
                    } else {
                        (Status::Unreachable, None, None)
                    }
                }
                None => match straight.nearest(b.point) {
                    Some((id, m)) if m <= cutoff => (Status::Estimated, Some(id), Some(m)),
                    Some(_) => (Status::Beyond, None, None),
                    None => (Status::Unreachable, None, None),
                },
            };
            BuildingCoverage {
                building_id: b.id,
                households: b.households,
                status,
                station_id: station,
                metres,
                minutes: metres.map(minutes),
            }
        })
        .collect();
    Ok(CoverageResult {
        speed_m_s: options.speed_m_s,
        detour_factor: options.detour_factor,
        max_minutes: options.max_minutes,
        stations: selected,
        buildings,
        tree,
    })
}

type StationEntry = GeomWithData<[f64; 2], (Id, Coord<f64>)>;

/// Straight-line nearest selected station (for buildings off the network).
struct StraightLine {
    tree: RTree<StationEntry>,
    plane: super::metric::Plane,
    detour: f64,
}

impl StraightLine {
    fn new(graph: &WalkGraph, options: &CoverageOptions) -> Self {
        let plane = graph.plane();
        let tree = RTree::bulk_load(
            graph
                .stations()
                .iter()
                .filter(|s| {
                    options.selects(s.tier) && s.point.x.is_finite() && s.point.y.is_finite()
                })
                .map(|s| GeomWithData::new(plane.xy(s.point), (s.id, s.point)))
                .collect(),
        );
        StraightLine {
            tree,
            plane,
            detour: options.detour_factor,
        }
    }

    /// (station id, estimated metres) of the nearest station on the sphere.
    fn nearest(&self, p: Coord<f64>) -> Option<(Id, f64)> {
        if !(p.x.is_finite() && p.y.is_finite()) {
            return None;
        }
        let mut best: Option<(f64, Id)> = None;
        for (s, d2) in self
            .tree
            .nearest_neighbor_iter_with_distance_2(&self.plane.xy(p))
        {
            // The plane is accurate to well under 1% over a city: stop once
            // planar candidates are clearly farther than the best so far.
            if best.is_some_and(|(m, _)| d2.sqrt() > m * 1.05 + 1.0) {
                break;
            }
            let m = length_m(p, s.data.1);
            if best.is_none_or(|(bm, bid)| m < bm || (m == bm && s.data.0 < bid)) {
                best = Some((m, s.data.0));
            }
        }
        best.map(|(m, id)| (id, m * self.detour))
    }
}

impl CoverageResult {
    /// The coverage of one building.
    pub fn building(
        &self,
        graph: &WalkGraph,
        building_id: Id,
    ) -> Result<&BuildingCoverage, CoverageError> {
        graph
            .building_index(building_id)
            .and_then(|i| self.buildings.get(i))
            .ok_or(CoverageError::UnknownBuilding(building_id))
    }

    /// Network distance (m) from the nearest selected station to a graph
    /// node (infinite when not reached).
    pub fn node_distance(&self, node: u32) -> f64 {
        self.tree
            .dist
            .get(node as usize)
            .copied()
            .unwrap_or(f64::INFINITY)
    }

    /// The walking path from a building to its nearest station; `None` when
    /// the building has no network route (estimated, beyond or unreachable).
    pub fn route(
        &self,
        graph: &WalkGraph,
        building_id: Id,
    ) -> Result<Option<Route>, CoverageError> {
        let index = graph
            .building_index(building_id)
            .ok_or(CoverageError::UnknownBuilding(building_id))?;
        let (Some(b), Some(c)) = (graph.buildings().get(index), self.buildings.get(index)) else {
            return Err(CoverageError::UnknownBuilding(building_id));
        };
        let (Status::Network, Some(a), Some(metres)) = (c.status, b.attachment, c.metres) else {
            return Ok(None);
        };
        let label = self.tree.label[a.node as usize];
        let Some(station) = graph.stations().get(label as usize) else {
            return Ok(None);
        };
        let Some(sa) = station.attachment else {
            return Ok(None);
        };
        let mut coords = vec![b.point, a.point];
        let mut node = a.node;
        loop {
            coords.push(graph.coord(node));
            let p = self.tree.pred[node as usize];
            if p == NONE {
                break;
            }
            node = p;
        }
        coords.push(sa.point);
        coords.push(station.point);
        coords.dedup();
        Ok(Some(Route {
            station_id: station.id,
            line: LineString::new(coords),
            metres,
        }))
    }
}
