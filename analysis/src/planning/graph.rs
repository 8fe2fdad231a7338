//! Building adjacency: the Delaunay graph of building points (co-located
//! points chained together), with each edge flagged when it crosses a
//! barrier line (a barrier road or a water edge). Contiguity of a grid is
//! connectivity of its buildings in this graph.

use geo::{Coord, Line};
use rstar::{AABB, RTree, primitives::GeomWithData};
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use super::geometry::segments_cross;

/// A Delaunay site carrying the index of its first building.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    pub x: f64,
    pub y: f64,
    pub idx: usize,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        Point2::new(self.x, self.y)
    }
}

/// One neighbour of a building.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub to: u32,
    /// Metres between the two points.
    pub length: f32,
    /// Whether the edge crosses a barrier.
    pub barrier: bool,
}

/// Adjacency lists, indexed like [`super::CommunityInput::buildings`].
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub adj: Vec<Vec<Edge>>,
}

/// Group building indices by identical position; returns (representatives, groups).
pub(crate) fn dedupe(points: &[Coord<f64>]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        points[a]
            .x
            .total_cmp(&points[b].x)
            .then(points[a].y.total_cmp(&points[b].y))
    });
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some(g) if points[g[0]] == points[i] => g.push(i),
            _ => groups.push(vec![i]),
        }
    }
    groups
}

/// Triangulate distinct points (one per group); `None` for fewer than 3 or collinear-only input still works.
pub(crate) fn triangulate(
    points: &[Coord<f64>],
    groups: &[Vec<usize>],
) -> DelaunayTriangulation<Site> {
    let sites: Vec<Site> = groups
        .iter()
        .map(|g| Site {
            x: points[g[0]].x,
            y: points[g[0]].y,
            idx: g[0],
        })
        .collect();
    // bulk_load only fails on non-finite input, which CommunityInput rejects.
    DelaunayTriangulation::bulk_load(sites).unwrap_or_default()
}

type Seg = GeomWithData<Line<f64>, ()>;

impl Graph {
    /// Build the graph of `points` (local metres) with `barriers` (local metres).
    pub fn build(points: &[Coord<f64>], barriers: &[Line<f64>]) -> Graph {
        let n = points.len();
        let mut adj: Vec<Vec<Edge>> = vec![Vec::new(); n];
        let groups = dedupe(points);
        let tree: RTree<Seg> =
            RTree::bulk_load(barriers.iter().map(|l| Seg::new(*l, ())).collect());
        let crosses = |a: Coord<f64>, b: Coord<f64>| {
            let env = AABB::from_corners(
                geo::Point::new(a.x.min(b.x), a.y.min(b.y)),
                geo::Point::new(a.x.max(b.x), a.y.max(b.y)),
            );
            tree.locate_in_envelope_intersecting(&env)
                .any(|s| segments_cross(a, b, s.geom().start, s.geom().end))
        };
        let mut push = |a: usize, b: usize, barrier: bool| {
            let (pa, pb) = (points[a], points[b]);
            let length = ((pa.x - pb.x).hypot(pa.y - pb.y)) as f32;
            adj[a].push(Edge {
                to: b as u32,
                length,
                barrier,
            });
            adj[b].push(Edge {
                to: a as u32,
                length,
                barrier,
            });
        };
        for g in &groups {
            for w in g.windows(2) {
                push(w[0], w[1], false);
            }
        }
        if groups.len() >= 2 {
            let t = triangulate(points, &groups);
            if t.num_vertices() == 2 || t.all_vertices_on_line() {
                // Collinear points: chain them in order.
                let mut reps: Vec<usize> = groups.iter().map(|g| g[0]).collect();
                reps.sort_by(|&a, &b| {
                    points[a]
                        .x
                        .total_cmp(&points[b].x)
                        .then(points[a].y.total_cmp(&points[b].y))
                });
                for w in reps.windows(2) {
                    let barrier = crosses(points[w[0]], points[w[1]]);
                    push(w[0], w[1], barrier);
                }
            } else {
                for e in t.undirected_edges() {
                    let [a, b] = e.vertices();
                    let (ia, ib) = (a.data().idx, b.data().idx);
                    let barrier = crosses(points[ia], points[ib]);
                    push(ia, ib, barrier);
                }
            }
        }
        // Every member of a co-located group shares the representative's neighbours.
        for g in &groups {
            if g.len() < 2 {
                continue;
            }
            let shared: Vec<Edge> = adj[g[0]]
                .iter()
                .filter(|e| !g.contains(&(e.to as usize)))
                .copied()
                .collect();
            for &m in &g[1..] {
                for e in &shared {
                    adj[m].push(*e);
                    adj[e.to as usize].push(Edge { to: m as u32, ..*e });
                }
            }
        }
        Graph { adj }
    }

    /// Number of connected pieces of `members` (indices) in the induced
    /// subgraph, as lists of indices, largest first. `mark` is scratch of
    /// length `adj.len()` filled with `u32::MAX` on entry and on exit.
    pub fn pieces(&self, members: &[usize], mark: &mut [u32]) -> Vec<Vec<usize>> {
        const IN: u32 = u32::MAX - 1;
        for &m in members {
            mark[m] = IN;
        }
        let mut out: Vec<Vec<usize>> = Vec::new();
        let mut stack = Vec::new();
        for &m in members {
            if mark[m] != IN {
                continue;
            }
            let id = out.len() as u32;
            mark[m] = id;
            stack.push(m);
            let mut piece = Vec::new();
            while let Some(v) = stack.pop() {
                piece.push(v);
                for e in &self.adj[v] {
                    let u = e.to as usize;
                    if mark[u] == IN {
                        mark[u] = id;
                        stack.push(u);
                    }
                }
            }
            out.push(piece);
        }
        for &m in members {
            mark[m] = u32::MAX;
        }
        out.sort_by_key(|p| std::cmp::Reverse(p.len()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_barriers_are_handled() {
        let pts = vec![
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 10.0, y: 0.0 },
            Coord { x: 0.0, y: 10.0 },
            Coord { x: 10.0, y: 10.0 },
            Coord { x: 0.0, y: 0.0 },
        ];
        let wall = Line::new(Coord { x: 5.0, y: -5.0 }, Coord { x: 5.0, y: 15.0 });
        let g = Graph::build(&pts, &[wall]);
        // The duplicate of point 0 is adjacent to it and to 0's neighbours.
        assert!(g.adj[4].iter().any(|e| e.to == 0));
        assert!(g.adj[4].iter().any(|e| e.to == 2));
        for (a, list) in g.adj.iter().enumerate() {
            for e in list {
                let b = e.to as usize;
                let crosses_wall = (pts[a].x < 5.0) != (pts[b].x < 5.0);
                assert_eq!(e.barrier, crosses_wall, "edge {a}-{b}");
            }
        }
        let mut mark = vec![u32::MAX; 5];
        assert_eq!(g.pieces(&[0, 1, 2, 3, 4], &mut mark).len(), 1);
        // Exactly one diagonal of the square is a Delaunay edge.
        let split = g.pieces(&[1, 2], &mut mark).len() + g.pieces(&[0, 3], &mut mark).len();
        assert_eq!(split, 3);
        assert!(mark.iter().all(|&m| m == u32::MAX));
    }
}
