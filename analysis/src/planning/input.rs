//! One community as the engine sees it: boundary, buildings (id, point,
//! households) and barrier lines, projected to local metres, with the
//! building adjacency graph built once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, Coord, Intersects, Line, LineString, MultiPolygon, Point, Polygon, Rect};
use gridmap_data::model::{Dataset, Id};

use super::error::InputError;
use super::geometry::Projector;
use super::graph::Graph;
use super::mesh::Mesh;
use super::rules::Rules;

/// A building as the engine needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputBuilding {
    pub id: Id,
    pub households: u64,
    /// Longitude/latitude of a point on the footprint.
    pub point: Point<f64>,
}

/// One community's geometry and buildings, ready for planning.
#[derive(Debug, Clone)]
pub struct CommunityInput {
    pub community_id: Id,
    /// 12 digits: 6 admin + 3 street + 3 community.
    pub community_code: String,
    /// Longitude/latitude.
    pub boundary: MultiPolygon<f64>,
    /// Sorted by id.
    pub buildings: Vec<InputBuilding>,
    /// Barrier lines (barrier roads and water edges), longitude/latitude.
    pub barriers: Vec<LineString<f64>>,
    pub(crate) proj: Projector,
    /// Building points in local metres.
    pub(crate) local: Vec<Coord<f64>>,
    /// Whether each building's point lies in the community.
    pub(crate) inside: Vec<bool>,
    pub(crate) index: HashMap<Id, usize>,
    pub(crate) boundary_local: MultiPolygon<f64>,
    pub(crate) graph: Graph,
    /// The barrier-aware tiling mesh, built on first use (grid polygons).
    pub(crate) mesh: OnceLock<Arc<Mesh>>,
}

impl CommunityInput {
    /// Build from parts. `barriers` are lines in longitude/latitude.
    pub fn new(
        community_id: Id,
        community_code: String,
        boundary: MultiPolygon<f64>,
        mut buildings: Vec<InputBuilding>,
        barriers: Vec<LineString<f64>>,
    ) -> Result<CommunityInput, InputError> {
        let Some(rect) = boundary.bounding_rect() else {
            return Err(InputError::EmptyBoundary(community_id));
        };
        buildings.sort_by_key(|b| b.id);
        let mut index = HashMap::with_capacity(buildings.len());
        for (i, b) in buildings.iter().enumerate() {
            if !(b.point.x().is_finite() && b.point.y().is_finite()) {
                return Err(InputError::BadPoint(b.id));
            }
            if index.insert(b.id, i).is_some() {
                return Err(InputError::DuplicateBuilding(b.id));
            }
        }
        let c = rect.center();
        let proj = Projector::new(c.x, c.y);
        let local: Vec<Coord<f64>> = buildings.iter().map(|b| proj.fwd(b.point.0)).collect();
        let boundary_local = proj.fwd_multi(&boundary);
        let inside = buildings
            .iter()
            .map(|b| boundary.intersects(&b.point))
            .collect();
        let lines: Vec<Line<f64>> = barriers
            .iter()
            .flat_map(|l| proj.fwd_line(l).lines().collect::<Vec<_>>())
            .collect();
        let graph = Graph::build(&local, &lines);
        Ok(CommunityInput {
            community_id,
            community_code,
            boundary,
            buildings,
            barriers,
            proj,
            local,
            inside,
            index,
            boundary_local,
            graph,
            mesh: OnceLock::new(),
        })
    }

    /// Build community `community_id` from a loaded dataset: its buildings are
    /// those assigned to its grids plus unassigned buildings whose point lies
    /// inside its boundary; barriers are roads of the rules' barrier classes
    /// and (if the rules say so) water edges near the community.
    pub fn from_dataset(
        data: &Dataset,
        community_id: Id,
        rules: &Rules,
    ) -> Result<CommunityInput, InputError> {
        let community = data
            .communities
            .iter()
            .find(|c| c.id == community_id)
            .ok_or(InputError::UnknownCommunity(community_id))?;
        let rect = community
            .boundary
            .bounding_rect()
            .ok_or(InputError::EmptyBoundary(community_id))?;
        let grid_ids: std::collections::HashSet<Id> = data
            .grids
            .iter()
            .filter(|g| g.community_id == community_id)
            .map(|g| g.id)
            .collect();
        let buildings = data
            .buildings
            .iter()
            .filter(|b| match b.grid_id {
                Some(g) => grid_ids.contains(&g),
                None => rect.intersects(&b.point) && community.boundary.intersects(&b.point),
            })
            .map(|b| InputBuilding {
                id: b.id,
                households: u64::from(b.households),
                point: b.point,
            })
            .collect();
        let near = grow(rect, 0.002);
        let mut barriers: Vec<LineString<f64>> = data
            .roads
            .iter()
            .filter(|r| rules.is_barrier_class(&r.class))
            .filter(|r| {
                r.geometry
                    .bounding_rect()
                    .is_some_and(|b| near.intersects(&b))
            })
            .map(|r| r.geometry.clone())
            .collect();
        if rules.water_is_barrier {
            for a in data.areas.iter().filter(|a| a.kind == "water") {
                if a.geometry
                    .bounding_rect()
                    .is_some_and(|b| near.intersects(&b))
                {
                    for p in &a.geometry.0 {
                        barriers.push(p.exterior().clone());
                        barriers.extend(p.interiors().iter().cloned());
                    }
                }
            }
        }
        CommunityInput::new(
            community_id,
            community.code.clone(),
            community.boundary.clone(),
            buildings,
            barriers,
        )
    }

    /// Index of a building id in [`Self::buildings`].
    pub fn position(&self, id: Id) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// Total households of the community.
    pub fn households(&self) -> u64 {
        self.buildings.iter().map(|b| b.households).sum()
    }

    /// The building adjacency graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The tiling mesh (built once, on first use).
    pub(crate) fn mesh(&self) -> &Mesh {
        self.mesh.get_or_init(|| Arc::new(Mesh::build(self)))
    }

    /// Faces the barriers cut the community into, and how many hold no
    /// building (those join a neighbouring grid).
    pub fn barrier_faces(&self) -> (usize, usize) {
        let m = self.mesh();
        (m.faces, m.empty_faces)
    }

    /// The local projection used for metric computations.
    pub fn projector(&self) -> Projector {
        self.proj
    }

    /// Building points in local metres, parallel to [`Self::buildings`].
    pub fn local_points(&self) -> &[Coord<f64>] {
        &self.local
    }

    /// Whether building `i`'s point lies in the community boundary.
    pub fn is_inside(&self, i: usize) -> bool {
        self.inside.get(i).copied().unwrap_or(false)
    }

    /// Project a lon/lat polygon to local metres.
    pub(crate) fn local_polygon(&self, p: &Polygon<f64>) -> Polygon<f64> {
        self.proj.fwd_polygon(p)
    }
}

fn grow(r: Rect<f64>, d: f64) -> Rect<f64> {
    Rect::new(
        Coord {
            x: r.min().x - d,
            y: r.min().y - d,
        },
        Coord {
            x: r.max().x + d,
            y: r.max().y + d,
        },
    )
}
