//! Grid polygons derived from buildings: the Voronoi cells of building
//! points (in local metres), clipped to the community boundary and merged
//! per grid. The cells partition the community, so grids tile it with no
//! gap and no overlap beyond float tolerance; a building's own cell always
//! contains its point. Co-located buildings share one cell (it goes to the
//! first building's grid).
//!
//! Performance note: a cell wholly inside the community is not clipped
//! (checked by its vertices and the boundary vertices in its box); merging
//! uses `geo`'s i_overlay-backed `unary_union`.

use std::collections::BTreeMap;

use geo::{
    Area, BooleanOps, BoundingRect, Contains, Coord, Intersects, LineString, MultiPolygon, Point,
    Polygon, unary_union,
};
use rstar::{AABB, RTree};
use spade::Triangulation;

use super::graph::{Site, dedupe};
use super::input::CommunityInput;
use super::plan::{GridKey, PlanState};

/// Grid polygons in local metres.
pub fn grid_polygons_local(
    input: &CommunityInput,
    plan: &PlanState,
) -> BTreeMap<GridKey, MultiPolygon<f64>> {
    let inside: Vec<usize> = (0..input.buildings.len())
        .filter(|&i| input.inside[i])
        .collect();
    let mut out = BTreeMap::new();
    if inside.is_empty() {
        return out;
    }
    let pts: Vec<Coord<f64>> = inside.iter().map(|&i| input.local[i]).collect();
    let groups = dedupe(&pts);
    let Some(mut bbox) = input.boundary_local.bounding_rect() else {
        return out;
    };
    for p in &pts {
        bbox = geo::Rect::new(
            Coord {
                x: bbox.min().x.min(p.x),
                y: bbox.min().y.min(p.y),
            },
            Coord {
                x: bbox.max().x.max(p.x),
                y: bbox.max().y.max(p.y),
            },
        );
    }
    let pad = (bbox.width().max(bbox.height()) + 1.0) * 10.0;
    let mut sites: Vec<Site> = groups
        .iter()
        .map(|g| Site {
            x: pts[g[0]].x,
            y: pts[g[0]].y,
            idx: g[0],
        })
        .collect();
    for (x, y) in [
        (bbox.min().x - pad, bbox.min().y - pad),
        (bbox.max().x + pad, bbox.min().y - pad),
        (bbox.max().x + pad, bbox.max().y + pad),
        (bbox.min().x - pad, bbox.max().y + pad),
    ] {
        sites.push(Site {
            x,
            y,
            idx: usize::MAX,
        });
    }
    let Ok(tri) = spade::DelaunayTriangulation::<Site>::bulk_load(sites) else {
        return out;
    };
    let boundary_vertices: RTree<[f64; 2]> = RTree::bulk_load(
        input
            .boundary_local
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.0.iter().map(|c| [c.x, c.y]))
            .collect(),
    );
    let owner = |local: usize| -> Option<GridKey> {
        let id = input.buildings[inside[local]].id;
        plan.assignment
            .get(&id)
            .copied()
            .filter(|k| plan.grid(*k).is_some())
    };
    let mut cells: BTreeMap<GridKey, Vec<Polygon<f64>>> = BTreeMap::new();
    for v in tri.vertices() {
        let idx = v.data().idx;
        if idx == usize::MAX {
            continue;
        }
        let Some(key) = owner(idx) else {
            continue;
        };
        let mut ring: Vec<Coord<f64>> = Vec::new();
        for e in v.out_edges() {
            if let Some(f) = e.face().as_inner() {
                let c = f.circumcenter();
                ring.push(Coord { x: c.x, y: c.y });
            }
        }
        if ring.len() < 3 {
            continue;
        }
        ring.push(ring[0]);
        let cell = Polygon::new(LineString(ring), Vec::new());
        let Some(r) = cell.bounding_rect() else {
            continue;
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let inner = boundary_vertices.locate_in_envelope(&env).next().is_none()
            && cell
                .exterior()
                .0
                .iter()
                .all(|c| input.boundary_local.contains(&Point(*c)));
        let list = cells.entry(key).or_default();
        if inner {
            list.push(cell);
        } else {
            list.extend(cell.intersection(&input.boundary_local).0);
        }
    }
    for (key, polys) in cells {
        let merged = unary_union(polys.iter());
        if !merged.0.is_empty() {
            out.insert(key, merged);
        }
    }
    out
}

/// Grid polygons in longitude/latitude.
pub fn grid_polygons(
    input: &CommunityInput,
    plan: &PlanState,
) -> BTreeMap<GridKey, MultiPolygon<f64>> {
    grid_polygons_local(input, plan)
        .into_iter()
        .map(|(k, m)| (k, input.proj.inv_multi(&m)))
        .collect()
}

fn perimeter(m: &MultiPolygon<f64>) -> f64 {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
        .sum()
}

/// Polsby–Popper score 4πA/P² of a polygon (1 for a disc).
pub fn polsby_popper(m: &MultiPolygon<f64>) -> f64 {
    let p = perimeter(m);
    if p > 0.0 {
        4.0 * std::f64::consts::PI * m.unsigned_area() / (p * p)
    } else {
        0.0
    }
}

/// Mean Polsby–Popper score over the plan's grid polygons.
pub fn compactness(input: &CommunityInput, plan: &PlanState) -> Option<f64> {
    let polys = grid_polygons_local(input, plan);
    if polys.is_empty() {
        return None;
    }
    Some(polys.values().map(polsby_popper).sum::<f64>() / polys.len() as f64)
}

/// Buildings whose point lies in a hand-drawn polygon (longitude/latitude).
pub fn buildings_in_polygon(
    input: &CommunityInput,
    drawn: &Polygon<f64>,
) -> Vec<gridmap_data::model::Id> {
    let local = input.local_polygon(drawn);
    input
        .buildings
        .iter()
        .zip(&input.local)
        .filter(|(_, p)| local.intersects(&Point(**p)))
        .map(|(b, _)| b.id)
        .collect()
}
