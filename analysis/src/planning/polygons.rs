//! Grid polygons derived from buildings. The community's barrier-aware
//! mesh ([`super::mesh`]) splits the community into small corner cells, each
//! owned by one building (nearest along the mesh inside its barrier face;
//! faces without buildings join the building across their longest border).
//! A grid's polygon is the union of its buildings' cells, merged exactly by
//! cancelling shared sides (node ids, not floats), so grids tile the
//! community with no gap and no overlap, a building's point lies in its
//! grid, and outlines between buildings on two sides of a barrier run along
//! the barrier. Co-located buildings share one cell (it goes to the first
//! building's grid).
//!
//! Outlines are then simplified **topologically**: the shared boundary
//! graph is cut into chains between junctions (nodes where three or more
//! grids or the community edge meet), and each chain is simplified once
//! (Douglas–Peucker, [`SIMPLIFY_METRES`]) for both grids on its sides, so
//! neighbours stay exactly matched. A shortcut is taken only when the area
//! it sweeps holds no other node and no building point, so the result stays
//! planar and every building stays in its grid. On the community's own
//! boundary only exactly collinear nodes are dropped, so its shape is kept.

use std::collections::BTreeMap;

use geo::{Area, Coord, Intersects, Line, LineString, MultiPolygon, Point, Polygon};
use rstar::{AABB, RTree, primitives::GeomWithData};

use super::input::CommunityInput;
use super::mesh::{Mesh, NONE, Outline};
use super::plan::{GridKey, PlanState};

/// Deviation below which a node on the community's edge counts as collinear.
const COLLINEAR_METRES: f64 = 1e-7;

/// Douglas–Peucker tolerance of grid outlines, in metres.
pub const SIMPLIFY_METRES: f64 = 3.0;

/// Grid polygons in local metres, simplified with [`SIMPLIFY_METRES`].
pub fn grid_polygons_local(
    input: &CommunityInput,
    plan: &PlanState,
) -> BTreeMap<GridKey, MultiPolygon<f64>> {
    grid_polygons_local_with(input, plan, SIMPLIFY_METRES)
}

/// One side of a grid outline: directed node ids (the grid on its left).
#[derive(Debug, Clone, Copy)]
struct Side {
    from: u32,
    to: u32,
    grid: GridKey,
    /// The grid on the right, `None` outside the community or in a gap.
    other: Option<GridKey>,
}

/// Grid polygons in local metres, outlines simplified with `tolerance`
/// metres (0 = the raw corner-cell outlines).
pub fn grid_polygons_local_with(
    input: &CommunityInput,
    plan: &PlanState,
    tolerance: f64,
) -> BTreeMap<GridKey, MultiPolygon<f64>> {
    // Drawn outlines make a mesh of this plan's own; otherwise the
    // community's cached one serves.
    let outlines = outlines(input, plan);
    let own;
    let mesh: &Mesh = if outlines.is_empty() {
        input.mesh()
    } else {
        own = Mesh::build_with(input, &outlines);
        &own
    };
    let grid_of: Vec<Option<GridKey>> = input
        .buildings
        .iter()
        .map(|b| {
            plan.assignment
                .get(&b.id)
                .copied()
                .filter(|k| plan.grid(*k).is_some())
        })
        .collect();
    let corner_grid = |c: u32| -> Option<GridKey> {
        let o = mesh.corners.get(c as usize)?.owner;
        if o == NONE {
            None
        } else {
            grid_of.get(o as usize).copied().flatten()
        }
    };
    let mut sides: Vec<Side> = Vec::new();
    for (ci, c) in mesh.corners.iter().enumerate() {
        let Some(g) = corner_grid(ci as u32) else {
            continue;
        };
        for s in 0..4 {
            let other = corner_grid(c.twins[s]);
            if other != Some(g) {
                let (from, to) = c.sides[s];
                sides.push(Side {
                    from,
                    to,
                    grid: g,
                    other,
                });
            }
        }
    }
    let keep = simplify(mesh, &sides, tolerance);
    sides.sort_by_key(|s| (s.grid, s.from, s.to));
    let mut out = BTreeMap::new();
    let mut start = 0;
    while start < sides.len() {
        let g = sides[start].grid;
        let end = start + sides[start..].partition_point(|s| s.grid == g);
        let polys = assemble(&mesh.nodes, &sides[start..end], &keep);
        if !polys.0.is_empty() {
            out.insert(g, polys);
        }
        start = end;
    }
    out
}

/// The plan's drawn outlines in local metres, each owned by one of its
/// grid's buildings inside it (an outline holding none of them is ignored).
fn outlines(input: &CommunityInput, plan: &PlanState) -> Vec<Outline> {
    let mut out = Vec::new();
    for g in &plan.grids {
        let Some(ring) = &g.outline else {
            continue;
        };
        let ring: LineString<f64> = ring.iter().map(|&[x, y]| Coord { x, y }).collect();
        let mut ring = input.proj.fwd_line(&ring).0;
        if ring.len() < 3 {
            continue;
        }
        if ring.first() != ring.last()
            && let Some(&first) = ring.first()
        {
            ring.push(first);
        }
        let owner = plan
            .assignment
            .iter()
            .filter(|(_, k)| **k == g.key)
            .filter_map(|(b, _)| input.position(*b))
            .find(|&i| input.inside[i] && point_in_ring(input.local[i], &ring));
        if let Some(i) = owner {
            out.push(Outline {
                ring,
                owner: i as u32,
            });
        }
    }
    out
}

/// Rings of one grid's sides (sorted by `from`), as polygons.
fn assemble(nodes: &[Coord<f64>], sides: &[Side], keep: &[bool]) -> MultiPolygon<f64> {
    let n = sides.len();
    let outgoing = |node: u32| -> std::ops::Range<usize> {
        let a = sides.partition_point(|s| s.from < node);
        let b = sides.partition_point(|s| s.from <= node);
        a..b
    };
    // Successor of each side: at a pinch node, the outgoing side turning
    // most clockwise from the way back, so rings never cross themselves.
    let succ = |i: usize| -> Option<usize> {
        let s = sides[i];
        let range = outgoing(s.to);
        if range.len() <= 1 {
            return (!range.is_empty()).then_some(range.start);
        }
        let (p, q) = (nodes[s.to as usize], nodes[s.from as usize]);
        let back = (q.x - p.x, q.y - p.y);
        range.min_by(|&a, &b| {
            let cw = |j: usize| {
                let r = nodes[sides[j].to as usize];
                let d = (r.x - p.x, r.y - p.y);
                let ccw = (back.0 * d.1 - back.1 * d.0).atan2(back.0 * d.0 + back.1 * d.1);
                let mut cw = -ccw;
                if cw <= 0.0 {
                    cw += std::f64::consts::TAU;
                }
                cw
            };
            cw(a).total_cmp(&cw(b))
        })
    };
    let mut used = vec![false; n];
    let mut exteriors: Vec<LineString<f64>> = Vec::new();
    let mut holes: Vec<LineString<f64>> = Vec::new();
    for first in 0..n {
        if used[first] {
            continue;
        }
        let mut ring: Vec<Coord<f64>> = Vec::new();
        let mut cur = first;
        let mut closed = false;
        for _ in 0..=n {
            used[cur] = true;
            let node = sides[cur].from;
            if keep[node as usize] {
                ring.push(nodes[node as usize]);
            }
            let Some(next) = succ(cur) else {
                break;
            };
            if next == first {
                closed = true;
                break;
            }
            if used[next] {
                break;
            }
            cur = next;
        }
        if !closed || ring.len() < 3 {
            continue;
        }
        ring.push(ring[0]);
        let ls = LineString(ring);
        if signed_area(&ls) > 0.0 {
            exteriors.push(ls);
        } else {
            holes.push(ls);
        }
    }
    let mut polys: Vec<Polygon<f64>> = exteriors
        .into_iter()
        .map(|e| Polygon::new(e, Vec::new()))
        .collect();
    for h in holes {
        let target = if polys.len() == 1 {
            Some(0)
        } else {
            // The smallest exterior holding most of the hole's vertices.
            polys
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    let inside =
                        h.0.iter()
                            .filter(|c| point_in_ring(**c, &p.exterior().0))
                            .count();
                    2 * inside >= h.0.len()
                })
                .min_by(|a, b| a.1.unsigned_area().total_cmp(&b.1.unsigned_area()))
                .map(|(i, _)| i)
        };
        if let Some(i) = target {
            polys[i].interiors_push(h);
        }
    }
    MultiPolygon(polys)
}

fn signed_area(ring: &LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

/// Crossing-number test (closed or open ring).
pub(crate) fn point_in_ring(p: Coord<f64>, ring: &[Coord<f64>]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn seg_dist(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.x - a.x - t * dx).hypot(p.y - a.y - t * dy)
}

type Protected = GeomWithData<[f64; 2], u32>;

/// Which nodes survive the topological simplification (see the module doc).
fn simplify(mesh: &Mesh, sides: &[Side], tolerance: f64) -> Vec<bool> {
    let n = mesh.nodes.len();
    let mut keep = vec![true; n];
    if tolerance <= 0.0 {
        return keep;
    }
    let mut deg = vec![0u8; n];
    let mut nbr = vec![[NONE; 2]; n];
    let mut fixed = vec![false; n];
    // Nodes on the community's edge (or a gap's): only exactly collinear
    // ones may go, so the community outline is kept as it is.
    let mut outer = vec![false; n];
    let mut edges: Vec<(u32, u32)> = Vec::new();
    for s in sides {
        let once = match s.other {
            None => {
                outer[s.from as usize] = true;
                outer[s.to as usize] = true;
                true
            }
            Some(h) => s.grid < h,
        };
        if !once {
            continue;
        }
        edges.push((s.from, s.to));
        for (a, b) in [(s.from, s.to), (s.to, s.from)] {
            let d = &mut deg[a as usize];
            if (*d as usize) < 2 {
                nbr[a as usize][*d as usize] = b;
            }
            *d = d.saturating_add(1);
        }
    }
    for (f, &d) in fixed.iter_mut().zip(&deg) {
        if d != 2 {
            *f = true;
        }
    }
    let tree: RTree<Protected> = RTree::bulk_load(
        edges
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .map(|v| {
                let c = mesh.nodes[v as usize];
                Protected::new([c.x, c.y], v)
            })
            .chain(
                mesh.protected
                    .iter()
                    .map(|c| Protected::new([c.x, c.y], NONE)),
            )
            .collect(),
    );
    let mut visited = vec![false; n];
    let mut stamp = vec![0u32; n];
    let mut round = 0u32;
    let mut chain: Vec<u32> = Vec::new();
    let dp = |chain: &[u32], keep: &mut [bool], stamp: &mut [u32], round: &mut u32| {
        if chain.len() < 3 {
            return;
        }
        let tolerance = if outer[chain[1] as usize] {
            COLLINEAR_METRES
        } else {
            tolerance
        };
        for &v in &chain[1..chain.len() - 1] {
            keep[v as usize] = false;
        }
        let mut stack = vec![(0usize, chain.len() - 1)];
        while let Some((i, j)) = stack.pop() {
            if j <= i + 1 {
                continue;
            }
            let (a, b) = (mesh.nodes[chain[i] as usize], mesh.nodes[chain[j] as usize]);
            let (mut far, mut k) = (-1.0f64, i + 1);
            for (m, &v) in chain.iter().enumerate().take(j).skip(i + 1) {
                let d = seg_dist(mesh.nodes[v as usize], a, b);
                if d > far {
                    far = d;
                    k = m;
                }
            }
            if far <= tolerance && shortcut_ok(mesh, &tree, &chain[i..=j], stamp, round) {
                continue;
            }
            keep[chain[k] as usize] = true;
            stack.push((i, k));
            stack.push((k, j));
        }
    };
    for &(a0, b0) in &edges {
        for (a, b) in [(a0, b0), (b0, a0)] {
            if !fixed[a as usize] || fixed[b as usize] || visited[b as usize] {
                continue;
            }
            chain.clear();
            chain.push(a);
            let (mut prev, mut cur) = (a, b);
            loop {
                chain.push(cur);
                if fixed[cur as usize] {
                    break;
                }
                visited[cur as usize] = true;
                let [x, y] = nbr[cur as usize];
                let next = if x == prev { y } else { x };
                prev = cur;
                cur = next;
            }
            dp(&chain, &mut keep, &mut stamp, &mut round);
        }
    }
    // Closed loops with no junction (a grid wholly inside another): anchor
    // at one node and the node farthest from it.
    for &(a, _) in &edges {
        if fixed[a as usize] || visited[a as usize] {
            continue;
        }
        chain.clear();
        let (mut prev, mut cur) = (NONE, a);
        loop {
            visited[cur as usize] = true;
            chain.push(cur);
            let [x, y] = nbr[cur as usize];
            let next = if x == prev { y } else { x };
            prev = cur;
            cur = next;
            if cur == a {
                break;
            }
        }
        chain.push(a);
        let p = mesh.nodes[a as usize];
        let m = (0..chain.len())
            .max_by(|&i, &j| {
                let d = |k: usize| {
                    let q = mesh.nodes[chain[k] as usize];
                    (q.x - p.x).hypot(q.y - p.y)
                };
                d(i).total_cmp(&d(j))
            })
            .unwrap_or(0);
        let whole = chain.clone();
        dp(&whole[..=m], &mut keep, &mut stamp, &mut round);
        dp(&whole[m..], &mut keep, &mut stamp, &mut round);
        keep[a as usize] = true;
        keep[whole[m] as usize] = true;
    }
    keep
}

/// Whether replacing the sub-chain by the straight segment between its ends
/// sweeps no protected point (other nodes, building points).
fn shortcut_ok(
    mesh: &Mesh,
    tree: &RTree<Protected>,
    sub: &[u32],
    stamp: &mut [u32],
    round: &mut u32,
) -> bool {
    *round = round.wrapping_add(1);
    if *round == 0 {
        stamp.fill(0);
        *round = 1;
    }
    let ring: Vec<Coord<f64>> = sub.iter().map(|&v| mesh.nodes[v as usize]).collect();
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for c in &ring {
        lo = [lo[0].min(c.x), lo[1].min(c.y)];
        hi = [hi[0].max(c.x), hi[1].max(c.y)];
    }
    for &v in sub {
        stamp[v as usize] = *round;
    }
    let (a, b) = (ring[0], ring[ring.len() - 1]);
    let env = AABB::from_corners(lo, hi);
    for q in tree.locate_in_envelope(&env) {
        let id = q.data;
        if id != NONE && stamp[id as usize] == *round {
            continue;
        }
        let p = Coord {
            x: q.geom()[0],
            y: q.geom()[1],
        };
        if seg_dist(p, a, b) < 1e-9 || point_in_ring(p, &ring) {
            return false;
        }
    }
    true
}

/// Length of grid boundaries inside the community, and how much of it runs
/// along a barrier (within `within` metres of a barrier road or water edge).
/// Works on any set of grid polygons in local metres (boundaries on the
/// community's edge do not count).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BarrierShare {
    pub boundary_m: f64,
    pub on_barriers_m: f64,
}

impl BarrierShare {
    /// On-barrier share, 0–1 (0 when there are no inner boundaries).
    pub fn share(&self) -> f64 {
        if self.boundary_m > 0.0 {
            self.on_barriers_m / self.boundary_m
        } else {
            0.0
        }
    }
}

/// Measure [`BarrierShare`] of `polygons` (local metres): every outline
/// is walked in steps of at most 1 m; a step near the community boundary is
/// outer, otherwise inner (counted once for the two grids it separates) and
/// on a barrier when within `within` metres of one.
pub fn barrier_share(
    input: &CommunityInput,
    polygons: &BTreeMap<GridKey, MultiPolygon<f64>>,
    within: f64,
) -> BarrierShare {
    type Seg = GeomWithData<Line<f64>, ()>;
    let outer: RTree<Seg> = RTree::bulk_load(
        input
            .boundary_local
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .map(|l| Seg::new(l, ()))
            .collect(),
    );
    let barriers: RTree<Seg> = RTree::bulk_load(
        input
            .mesh()
            .barriers
            .iter()
            .map(|l| Seg::new(*l, ()))
            .collect(),
    );
    let near = |t: &RTree<Seg>, p: Coord<f64>| {
        t.locate_within_distance(Point(p), within * within)
            .next()
            .is_some()
    };
    let (mut total, mut on) = (0.0, 0.0);
    for m in polygons.values() {
        for l in
            m.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|r| r.lines())
        {
            let len = (l.end.x - l.start.x).hypot(l.end.y - l.start.y);
            let steps = len.ceil().max(1.0);
            let piece = len / steps;
            for k in 0..steps as usize {
                let t = (k as f64 + 0.5) / steps;
                let p = Coord {
                    x: l.start.x + t * (l.end.x - l.start.x),
                    y: l.start.y + t * (l.end.y - l.start.y),
                };
                if near(&outer, p) {
                    continue;
                }
                total += piece;
                if near(&barriers, p) {
                    on += piece;
                }
            }
        }
    }
    BarrierShare {
        boundary_m: total / 2.0,
        on_barriers_m: on / 2.0,
    }
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
