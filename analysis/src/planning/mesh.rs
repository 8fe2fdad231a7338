//! The community's barrier-aware tiling mesh, independent of any plan.
//!
//! A constrained Delaunay triangulation (CDT) holds the building points, the
//! community boundary rings and the barrier lines (barrier roads, water
//! edges) as constraint edges; crossings are split into new vertices.
//! Constraint edges cut the inside of the community into **faces** (the
//! blocks between barriers). Every triangle corner is a small quadrilateral
//! (vertex → edge midpoint → triangle centroid → other edge midpoint), and
//! each corner is owned by one building:
//!
//! * inside a face with buildings, a corner goes to the building nearest to
//!   its vertex in a straight line, spread vertex to vertex along the
//!   triangulation edges of that face (a discrete Voronoi cell that never
//!   reaches across a barrier: the spreading stays in the face);
//! * a face with no building goes whole to the building across its longest
//!   shared border (so water, or a block with no housing, joins a
//!   neighbouring grid and leaves no gap).
//!
//! Corner quadrilaterals of neighbouring corners share their sides exactly
//! (same node ids: vertices, edge midpoints, centroids), so merging the
//! corners of a grid by cancelling shared sides gives outlines that tile the
//! community with no gap and no overlap, by construction. Where two
//! buildings of different grids sit on two sides of a barrier, the outline
//! between them runs along the barrier.

use geo::{BoundingRect, Contains, Coord, Line, Point};
use spade::handles::{FixedFaceHandle, FixedVertexHandle, InnerTag};
use spade::{ConstrainedDelaunayTriangulation, Point2, Triangulation};

use super::graph::Site;
use super::input::CommunityInput;
use super::polygons::point_in_ring;

/// No building / no corner.
pub(crate) const NONE: u32 = u32::MAX;

/// One corner of an inside triangle.
#[derive(Debug, Clone)]
pub(crate) struct Corner {
    /// Building index (into `CommunityInput::buildings`) owning the corner.
    pub owner: u32,
    /// The quadrilateral's four directed sides as node ids, counter-clockwise.
    pub sides: [(u32, u32); 4],
    /// Corner on the other side of each side, or [`NONE`] (outside the community).
    pub twins: [u32; 4],
}

/// The plan-independent tiling mesh of one community.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mesh {
    /// Node coordinates (local metres): vertices, edge midpoints, centroids.
    pub nodes: Vec<Coord<f64>>,
    pub corners: Vec<Corner>,
    /// Points that must stay on their side when outlines are simplified:
    /// building points and one inside point per face without buildings.
    pub protected: Vec<Coord<f64>>,
    /// Faces the barriers cut the community into, and those with no building.
    pub faces: usize,
    pub empty_faces: usize,
    /// Barrier segments in local metres (clipped to the community's box).
    pub barriers: Vec<Line<f64>>,
}

type Cdt = ConstrainedDelaunayTriangulation<Site>;

/// Longest constraint edge: boundary and barrier segments are cut into
/// pieces no longer than this.
const CONSTRAINT_STEP_METRES: f64 = 8.0;

/// How far open barrier lines are extended past their ends.
const BARRIER_REACH_METRES: f64 = 1.0;

/// Extend an open polyline by `d` at both ends (closed rings are left alone).
fn extend_ends(pts: &mut [Coord<f64>], d: f64) {
    let n = pts.len();
    if n < 2 || pts[0] == pts[n - 1] {
        return;
    }
    let push = |from: Coord<f64>, to: Coord<f64>| -> Coord<f64> {
        let (dx, dy) = (to.x - from.x, to.y - from.y);
        let len = dx.hypot(dy);
        if len > 0.0 {
            Coord {
                x: to.x + dx / len * d,
                y: to.y + dy / len * d,
            }
        } else {
            to
        }
    };
    pts[n - 1] = push(pts[n - 2], pts[n - 1]);
    pts[0] = push(pts[1], pts[0]);
}

fn site(p: Point2<f64>) -> Site {
    Site {
        x: p.x,
        y: p.y,
        idx: usize::MAX,
    }
}

/// A hand-drawn grid outline the mesh must follow: its ring (local metres)
/// is added as constraint edges, and faces inside it that hold no building
/// go to `owner` (a building of that grid) instead of a neighbour.
#[derive(Debug, Clone)]
pub(crate) struct Outline {
    pub ring: Vec<Coord<f64>>,
    pub owner: u32,
}

impl Mesh {
    /// Build the mesh of `input` (see the module doc).
    pub fn build(input: &CommunityInput) -> Mesh {
        Mesh::build_with(input, &[])
    }

    /// Build the mesh of `input` with drawn grid outlines as extra
    /// constraints (see [`Outline`]).
    pub fn build_with(input: &CommunityInput, outlines: &[Outline]) -> Mesh {
        let mut cdt = Cdt::new();
        let mut vertex_building: Vec<u32> = Vec::new();
        let mut protected = Vec::new();
        for (i, p) in input.local.iter().enumerate() {
            if !input.inside[i] {
                continue;
            }
            let Ok(h) = cdt.insert(Site {
                x: p.x,
                y: p.y,
                idx: i,
            }) else {
                continue;
            };
            let v = h.index();
            if vertex_building.len() <= v {
                vertex_building.resize(v + 1, NONE);
            }
            // Co-located buildings share a vertex: the first (lowest index) owns it.
            if vertex_building[v] == NONE {
                vertex_building[v] = i as u32;
            }
            protected.push(*p);
        }
        let Some(bbox) = input.boundary_local.bounding_rect() else {
            return Mesh::default();
        };
        let (lo, hi) = (
            Coord {
                x: bbox.min().x - 1.0,
                y: bbox.min().y - 1.0,
            },
            Coord {
                x: bbox.max().x + 1.0,
                y: bbox.max().y + 1.0,
            },
        );
        let near = |a: Coord<f64>, b: Coord<f64>| {
            a.x.max(b.x) >= lo.x
                && a.x.min(b.x) <= hi.x
                && a.y.max(b.y) >= lo.y
                && a.y.min(b.y) <= hi.y
        };
        let add_line = |cdt: &mut Cdt, pts: &[Coord<f64>], all: bool| {
            let mut prev = None;
            for w in pts.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a == b || !(all || near(a, b)) {
                    prev = None;
                    continue;
                }
                let ha = match prev {
                    Some(h) => h,
                    None => match cdt.insert(Site {
                        x: a.x,
                        y: a.y,
                        idx: usize::MAX,
                    }) {
                        Ok(h) => h,
                        Err(_) => continue,
                    },
                };
                // Long segments are cut every few metres, so cells along a
                // barrier or the boundary stay small (no long slivers).
                let steps = ((a.x - b.x).hypot(a.y - b.y) / CONSTRAINT_STEP_METRES)
                    .ceil()
                    .clamp(1.0, 10_000.0) as usize;
                let mut from = ha;
                for k in 1..=steps {
                    let t = k as f64 / steps as f64;
                    let p = if k == steps {
                        b
                    } else {
                        Coord {
                            x: a.x + t * (b.x - a.x),
                            y: a.y + t * (b.y - a.y),
                        }
                    };
                    let Ok(h) = cdt.insert(Site {
                        x: p.x,
                        y: p.y,
                        idx: usize::MAX,
                    }) else {
                        continue;
                    };
                    if from != h {
                        cdt.add_constraint_and_split(from, h, site);
                    }
                    from = h;
                }
                prev = Some(from);
            }
        };
        for poly in &input.boundary_local.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                add_line(&mut cdt, &ring.0, true);
            }
        }
        let mut barriers = Vec::new();
        for l in &input.barriers {
            let mut local = input.proj.fwd_line(l);
            // Open lines reach 1 m further at each end, so a road that stops
            // on (or a hair short of) the boundary or another barrier still
            // closes its face.
            extend_ends(&mut local.0, BARRIER_REACH_METRES);
            add_line(&mut cdt, &local.0, false);
            barriers.extend(local.lines().filter(|s| near(s.start, s.end)));
        }
        for o in outlines {
            add_line(&mut cdt, &o.ring, false);
        }
        vertex_building.resize(cdt.num_vertices(), NONE);

        // Faces: flood fill across non-constraint edges; inside or outside as a whole.
        let nf = cdt.num_all_faces();
        let mut label = vec![NONE; nf];
        let mut labels_inside: Vec<bool> = Vec::new();
        let mut label_tris: Vec<Vec<FixedFaceHandle<InnerTag>>> = Vec::new();
        let mut stack = Vec::new();
        for f in cdt.inner_faces() {
            let fi = f.fix().index();
            if label[fi] != NONE {
                continue;
            }
            let id = labels_inside.len() as u32;
            let [a, b, c] = f.positions();
            let centroid = Point::new((a.x + b.x + c.x) / 3.0, (a.y + b.y + c.y) / 3.0);
            labels_inside.push(input.boundary_local.contains(&centroid));
            let mut tris = Vec::new();
            label[fi] = id;
            stack.push(f);
            while let Some(t) = stack.pop() {
                tris.push(t.fix());
                for e in t.adjacent_edges() {
                    if e.as_undirected().data().is_constraint_edge() {
                        continue;
                    }
                    if let Some(n) = e.rev().face().as_inner()
                        && label[n.fix().index()] == NONE
                    {
                        label[n.fix().index()] = id;
                        stack.push(n);
                    }
                }
            }
            label_tris.push(tris);
        }

        // Nodes: vertices, then edge midpoints, then face centroids.
        let nv = cdt.num_vertices();
        let ne = cdt.num_undirected_edges();
        let mut nodes: Vec<Coord<f64>> = Vec::with_capacity(nv + ne + nf);
        nodes.extend(cdt.vertices().map(|v| {
            let p = v.position();
            Coord { x: p.x, y: p.y }
        }));
        nodes.extend(cdt.undirected_edges().map(|e| {
            let [a, b] = e.positions();
            Coord {
                x: (a.x + b.x) / 2.0,
                y: (a.y + b.y) / 2.0,
            }
        }));
        let mut centroids = vec![Coord { x: 0.0, y: 0.0 }; nf];
        for f in cdt.inner_faces() {
            let [a, b, c] = f.positions();
            centroids[f.fix().index()] = Coord {
                x: (a.x + b.x + c.x) / 3.0,
                y: (a.y + b.y + c.y) / 3.0,
            };
        }
        nodes.extend(centroids.iter().copied());

        // Inside triangles get corner slots.
        let mut slot = vec![NONE; nf];
        let mut n_inside = 0u32;
        for (l, tris) in label_tris.iter().enumerate() {
            if labels_inside[l] {
                for &t in tris {
                    slot[t.index()] = n_inside;
                    n_inside += 1;
                }
            }
        }
        let mut owner = vec![NONE; 3 * n_inside as usize];

        // Per face: nearest building along the face's edges (multi-source Dijkstra).
        let mut dist = vec![f64::INFINITY; nv];
        let mut own = vec![NONE; nv];
        let mut heap = std::collections::BinaryHeap::new();
        let mut touched = Vec::new();
        let mut empty: Vec<usize> = Vec::new();
        let mut faces = 0;
        for (l, tris) in label_tris.iter().enumerate() {
            if !labels_inside[l] {
                continue;
            }
            faces += 1;
            for &t in tris {
                let f = cdt.face(t);
                for v in f.vertices() {
                    let vi = v.fix().index();
                    if vertex_building[vi] != NONE && own[vi] == NONE {
                        own[vi] = vertex_building[vi];
                        dist[vi] = 0.0;
                        heap.push(std::cmp::Reverse((0u64, vi)));
                    }
                    touched.push(vi);
                }
            }
            if heap.is_empty() {
                empty.push(l);
                for &v in &touched {
                    dist[v] = f64::INFINITY;
                }
                touched.clear();
                continue;
            }
            while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
                let d = f64::from_bits(d);
                if d > dist[v] {
                    continue;
                }
                let vh = cdt.vertex(FixedVertexHandle::from_index(v));
                for e in vh.out_edges() {
                    let in_face = |f: Option<usize>| f.is_some_and(|i| label[i] == l as u32);
                    if !in_face(e.face().as_inner().map(|f| f.fix().index()))
                        && !in_face(e.rev().face().as_inner().map(|f| f.fix().index()))
                    {
                        continue;
                    }
                    let u = e.to().fix().index();
                    // Straight-line distance to the source building, spread
                    // through the face: Voronoi cells where the face is open,
                    // bent around barriers where it is not.
                    let src = input.local[own[v] as usize];
                    let to = e.to().position();
                    let nd = (to.x - src.x).hypot(to.y - src.y);
                    if nd < dist[u] {
                        dist[u] = nd;
                        own[u] = own[v];
                        touched.push(u);
                        heap.push(std::cmp::Reverse((nd.to_bits(), u)));
                    }
                }
            }
            for &t in tris {
                let f = cdt.face(t);
                for (k, v) in f.vertices().iter().enumerate() {
                    owner[3 * slot[t.index()] as usize + k] = own[v.fix().index()];
                }
            }
            for &v in &touched {
                dist[v] = f64::INFINITY;
                own[v] = NONE;
            }
            touched.clear();
        }

        let empty_faces = empty.len();
        // Faces with no building inside a drawn outline belong to its grid.
        if !outlines.is_empty() {
            empty.retain(|&l| {
                // An inside point of the face: the centroid of its largest triangle.
                let Some(t) = label_tris[l]
                    .iter()
                    .copied()
                    .max_by(|&a, &b| cdt.face(a).area().total_cmp(&cdt.face(b).area()))
                else {
                    return true;
                };
                let c = centroids[t.index()];
                let Some(o) = outlines.iter().find(|o| point_in_ring(c, &o.ring)) else {
                    return true;
                };
                for &t in &label_tris[l] {
                    let s = 3 * slot[t.index()] as usize;
                    owner[s..s + 3].fill(o.owner);
                }
                false
            });
        }
        // Faces with no building: the whole face goes to the building across
        // its longest border with an owned face; rounds until nothing changes.
        loop {
            let mut progress = false;
            let mut left = Vec::new();
            for &l in &empty {
                let mut tally: Vec<(u32, f64)> = Vec::new();
                for &t in &label_tris[l] {
                    let f = cdt.face(t);
                    for e in f.adjacent_edges() {
                        let Some(n) = e.rev().face().as_inner() else {
                            continue;
                        };
                        let ns = slot[n.fix().index()];
                        if ns == NONE || label[n.fix().index()] == l as u32 {
                            continue;
                        }
                        let half = e.length_2().sqrt() / 2.0;
                        let nv3 = n.vertices();
                        for end in [e.from(), e.to()] {
                            let Some(k) = nv3.iter().position(|x| x.fix() == end.fix()) else {
                                continue;
                            };
                            let o = owner[3 * ns as usize + k];
                            if o == NONE {
                                continue;
                            }
                            match tally.iter_mut().find(|x| x.0 == o) {
                                Some(x) => x.1 += half,
                                None => tally.push((o, half)),
                            }
                        }
                    }
                }
                let best = tally
                    .iter()
                    .copied()
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
                match best {
                    Some((o, _)) => {
                        for &t in &label_tris[l] {
                            let s = 3 * slot[t.index()] as usize;
                            owner[s..s + 3].fill(o);
                        }
                        progress = true;
                    }
                    None => left.push(l),
                }
            }
            empty = left;
            if !progress || empty.is_empty() {
                break;
            }
        }
        // Faces cut off from every building (a separate part of the
        // community): the building nearest to the face.
        for &l in &empty {
            let Some(&t0) = label_tris[l].first() else {
                continue;
            };
            let c = centroids[t0.index()];
            let best = (0..input.local.len())
                .filter(|&i| input.inside[i])
                .min_by(|&a, &b| {
                    let da = (input.local[a].x - c.x).hypot(input.local[a].y - c.y);
                    let db = (input.local[b].x - c.x).hypot(input.local[b].y - c.y);
                    da.total_cmp(&db)
                });
            if let Some(o) = best {
                for &t in &label_tris[l] {
                    let s = 3 * slot[t.index()] as usize;
                    owner[s..s + 3].fill(o as u32);
                }
            }
        }
        for (l, tris) in label_tris.iter().enumerate() {
            if labels_inside[l]
                && let Some(&t0) = tris.first()
                && !tris.iter().any(|&t| {
                    let f = cdt.face(t);
                    f.vertices()
                        .iter()
                        .any(|v| vertex_building[v.fix().index()] != NONE)
                })
            {
                protected.push(centroids[t0.index()]);
            }
        }

        // Corner quadrilaterals and their twins.
        let mut corners = vec![
            Corner {
                owner: NONE,
                sides: [(0, 0); 4],
                twins: [NONE; 4],
            };
            owner.len()
        ];
        for f in cdt.inner_faces() {
            let t = f.fix().index();
            if slot[t] == NONE {
                continue;
            }
            let vs = f.vertices();
            let es = f.adjacent_edges();
            let centroid = (nv + ne + t) as u32;
            let mid = |k: usize| (nv + es[k].as_undirected().fix().index()) as u32;
            // Corner of vertex `v` in the triangle across edge `k`.
            let across = |k: usize, v: usize| -> u32 {
                let Some(n) = es[k].rev().face().as_inner() else {
                    return NONE;
                };
                let ns = slot[n.fix().index()];
                if ns == NONE {
                    return NONE;
                }
                n.vertices()
                    .iter()
                    .position(|x| x.fix().index() == v)
                    .map_or(NONE, |j| 3 * ns + j as u32)
            };
            // Two corners of one building and one of another: the inner node
            // goes midway between the odd corner's two edge midpoints, so the
            // outline crosses the triangle straight instead of zigzagging
            // through the centroid (no teeth along fans of thin triangles).
            let o = {
                let b = 3 * slot[t] as usize;
                [owner[b], owner[b + 1], owner[b + 2]]
            };
            for k in 0..3 {
                let (p, q) = ((k + 1) % 3, (k + 2) % 3);
                if o[p] == o[q] && o[k] != o[p] {
                    let (m1, m2) = (nodes[mid(k) as usize], nodes[mid(q) as usize]);
                    nodes[centroid as usize] = Coord {
                        x: (m1.x + m2.x) / 2.0,
                        y: (m1.y + m2.y) / 2.0,
                    };
                }
            }
            for k in 0..3 {
                let prev = (k + 2) % 3;
                let v = vs[k].fix().index();
                let base = 3 * slot[t];
                corners[(base as usize) + k] = Corner {
                    owner: owner[(base as usize) + k],
                    sides: [
                        (v as u32, mid(k)),
                        (mid(k), centroid),
                        (centroid, mid(prev)),
                        (mid(prev), v as u32),
                    ],
                    twins: [
                        across(k, v),
                        base + ((k + 1) % 3) as u32,
                        base + prev as u32,
                        across(prev, v),
                    ],
                };
            }
        }
        Mesh {
            nodes,
            corners,
            protected,
            faces,
            empty_faces,
            barriers,
        }
    }
}
