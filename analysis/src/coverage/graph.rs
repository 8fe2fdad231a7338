//! The walking graph: walkable streets as a compact CSR adjacency (u32 node
//! indices, f64 metres), with every building and station attached to its
//! nearest walkable segment by a split node and an access leg, and the
//! connected components (islands) reported. Lengths follow [`super::metric`].

use std::collections::HashMap;

use geo::Coord;
use gridmap_data::model::{Dataset, Id, Road, StationTier};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde::Serialize;

use super::chains::Contracted;
use super::error::CoverageError;
use super::metric::{Plane, length_m, lerp};

/// How to build a [`WalkGraph`].
#[derive(Debug, Clone, PartialEq)]
pub struct GraphOptions {
    /// `highway=*` classes never walked even when the road is marked
    /// walkable. Default: `motorway` and `motorway_link` (the importer
    /// already marks raceways, bus guideways and `foot=no` roads as not
    /// walkable).
    pub excluded_classes: Vec<String>,
    /// When set, only these classes are walked (after the exclusions).
    pub only_classes: Option<Vec<String>>,
    /// Buildings and stations farther than this (m) from every walkable
    /// segment are not attached (e.g. a community without street data);
    /// coverage then gives them a labelled straight-line estimate.
    pub max_access_m: f64,
}

impl Default for GraphOptions {
    fn default() -> Self {
        GraphOptions {
            excluded_classes: vec!["motorway".into(), "motorway_link".into()],
            only_classes: None,
            max_access_m: 500.0,
        }
    }
}

impl GraphOptions {
    fn walks(&self, road: &Road) -> bool {
        road.walkable
            && !self.excluded_classes.contains(&road.class)
            && self
                .only_classes
                .as_ref()
                .is_none_or(|only| only.contains(&road.class))
    }
}

/// Where a building or station meets the street network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Attachment {
    /// Graph node at the foot of the access leg (a street node or a split node).
    pub node: u32,
    /// Straight-line length (m) of the access leg from the item's point.
    pub access_m: f64,
    /// The foot of the access leg on the street (lon/lat).
    #[serde(skip)]
    pub point: Coord<f64>,
}

/// A building as the graph knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphBuilding {
    pub id: Id,
    pub households: u32,
    pub point: Coord<f64>,
    pub attachment: Option<Attachment>,
    class: u32,
}

/// A station as the graph knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphStation {
    pub id: Id,
    pub tier: StationTier,
    pub point: Coord<f64>,
    pub attachment: Option<Attachment>,
}

/// A connected component of the walking graph that holds buildings or stations.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Island {
    pub component: u32,
    pub nodes: u64,
    pub buildings: u64,
    pub households: u64,
    /// Station ids attached to this component (all tiers).
    pub stations: Vec<Id>,
}

/// What the graph build found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GraphReport {
    pub walkable_roads: u64,
    /// Roads left out: not walkable, an excluded class, or not in `only_classes`.
    pub excluded_roads: u64,
    pub street_nodes: u64,
    pub split_nodes: u64,
    /// Undirected edges.
    pub edges: u64,
    pub components: u64,
    /// Components with buildings or stations, largest (by nodes) first.
    pub islands: Vec<Island>,
    /// Farther than `max_access_m` from every walkable street.
    pub unattached_buildings: Vec<Id>,
    pub unattached_stations: Vec<Id>,
    /// Attached, but on a component with no station of any tier.
    pub buildings_without_station: Vec<Id>,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    a: u32,
    b: u32,
    len: f64,
    split_start: u32,
    split_len: u32,
}

type SegmentEntry = GeomWithData<Line<[f64; 2]>, u32>;

/// Seeds for a search starting at an arbitrary point: up to two graph nodes
/// with the walking distance from the point to each.
#[derive(Debug, Clone, PartialEq)]
pub struct PointAttachment {
    pub seeds: Vec<(u32, f64)>,
    pub access_m: f64,
    pub foot: Coord<f64>,
}

/// The walking graph. Immutable once built; cheap to share.
#[derive(Debug, Clone)]
pub struct WalkGraph {
    plane: Plane,
    coords: Vec<Coord<f64>>,
    offsets: Vec<u32>,
    targets: Vec<u32>,
    lengths: Vec<f64>,
    component: Vec<u32>,
    segments: Vec<Segment>,
    /// Interior split points of each segment, sorted by `t`.
    splits: Vec<(f64, u32)>,
    tree: RTree<SegmentEntry>,
    contracted: Contracted,
    buildings: Vec<GraphBuilding>,
    stations: Vec<GraphStation>,
    classes: Vec<String>,
    building_index: HashMap<Id, u32>,
    station_index: HashMap<Id, u32>,
    report: GraphReport,
}

#[derive(Hash, PartialEq, Eq)]
enum NodeKey {
    Osm(i64),
    Coord(u64, u64),
}

impl WalkGraph {
    /// Build the walking graph of a dataset's roads, buildings and stations.
    pub fn build(data: &Dataset, options: &GraphOptions) -> Result<WalkGraph, CoverageError> {
        let mut report = GraphReport::default();
        // 1. Street nodes and segments.
        let mut keys: HashMap<NodeKey, u32> = HashMap::new();
        let mut coords: Vec<Coord<f64>> = Vec::new();
        let mut segments: Vec<Segment> = Vec::new();
        let (mut lat_min, mut lat_max) = (f64::MAX, f64::MIN);
        for road in &data.roads {
            if !options.walks(road) {
                report.excluded_roads += 1;
                continue;
            }
            report.walkable_roads += 1;
            let by_id = road.node_ids.len() == road.geometry.0.len();
            let mut prev: Option<u32> = None;
            for (k, c) in road.geometry.0.iter().enumerate() {
                if !(c.x.is_finite() && c.y.is_finite()) {
                    prev = None; // a broken vertex breaks the road there
                    continue;
                }
                let key = match road.node_ids.get(k) {
                    Some(id) if by_id => NodeKey::Osm(*id),
                    _ => NodeKey::Coord(c.x.to_bits(), c.y.to_bits()),
                };
                let node = *keys.entry(key).or_insert_with(|| {
                    coords.push(*c);
                    (coords.len() - 1) as u32
                });
                lat_min = lat_min.min(c.y);
                lat_max = lat_max.max(c.y);
                if let Some(p) = prev
                    && p != node
                {
                    segments.push(Segment {
                        a: p,
                        b: node,
                        len: length_m(coords[p as usize], coords[node as usize]),
                        split_start: 0,
                        split_len: 0,
                    });
                }
                prev = Some(node);
            }
        }
        drop(keys);
        let street_nodes = coords.len();
        report.street_nodes = street_nodes as u64;
        let plane = Plane::at_latitude(if lat_min <= lat_max {
            (lat_min + lat_max) / 2.0
        } else {
            0.0
        });
        let tree = RTree::bulk_load(
            segments
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    GeomWithData::new(
                        Line::new(
                            plane.xy(coords[s.a as usize]),
                            plane.xy(coords[s.b as usize]),
                        ),
                        i as u32,
                    )
                })
                .collect(),
        );
        let mut graph = WalkGraph {
            plane,
            coords,
            offsets: Vec::new(),
            targets: Vec::new(),
            lengths: Vec::new(),
            component: Vec::new(),
            segments,
            splits: Vec::new(),
            tree,
            contracted: Contracted::default(),
            buildings: Vec::with_capacity(data.buildings.len()),
            stations: Vec::with_capacity(data.stations.len()),
            classes: Vec::new(),
            building_index: HashMap::with_capacity(data.buildings.len()),
            station_index: HashMap::with_capacity(data.stations.len()),
            report: GraphReport::default(),
        };
        // 2. Nearest segment of every building and station.
        let mut class_ids: HashMap<&str, u32> = HashMap::new();
        let mut hits: Vec<(u32, f64, u32)> = Vec::new(); // (segment, t, item)
        let items = data
            .buildings
            .iter()
            .map(|b| b.point.0)
            .chain(data.stations.iter().map(|s| s.point.0));
        for (item, p) in items.enumerate() {
            if !(p.x.is_finite() && p.y.is_finite()) {
                continue;
            }
            if let Some((seg, t, access)) = graph.nearest(p)
                && access <= options.max_access_m
            {
                hits.push((seg, t, item as u32));
            }
        }
        for b in &data.buildings {
            let next = class_ids.len() as u32;
            let class = *class_ids.entry(b.class.as_str()).or_insert(next);
            graph
                .building_index
                .insert(b.id, graph.buildings.len() as u32);
            graph.buildings.push(GraphBuilding {
                id: b.id,
                households: b.households,
                point: b.point.0,
                attachment: None,
                class,
            });
        }
        let mut classes: Vec<(&str, u32)> = class_ids.into_iter().collect();
        classes.sort_by_key(|(_, i)| *i);
        graph.classes = classes.into_iter().map(|(c, _)| c.to_owned()).collect();
        for s in &data.stations {
            graph
                .station_index
                .insert(s.id, graph.stations.len() as u32);
            graph.stations.push(GraphStation {
                id: s.id,
                tier: s.tier,
                point: s.point.0,
                attachment: None,
            });
        }
        // 3. Split segments at the attachment points.
        hits.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)).then(x.2.cmp(&y.2)));
        let nb = data.buildings.len() as u32;
        let mut edges: Vec<(u32, u32, f64)> = Vec::with_capacity(graph.segments.len() + hits.len());
        let mut h = 0;
        for si in 0..graph.segments.len() {
            let seg = graph.segments[si];
            let (a, b) = (graph.coords[seg.a as usize], graph.coords[seg.b as usize]);
            let split_start = graph.splits.len() as u32;
            let (mut prev_node, mut prev_t) = (seg.a, 0.0);
            while h < hits.len() && hits[h].0 as usize == si {
                let (_, t, item) = hits[h];
                h += 1;
                let node = if t <= 0.0 {
                    seg.a
                } else if t >= 1.0 {
                    seg.b
                } else if t == prev_t && prev_t > 0.0 {
                    prev_node
                } else {
                    graph.coords.push(lerp(a, b, t));
                    let node = (graph.coords.len() - 1) as u32;
                    edges.push((prev_node, node, (t - prev_t) * seg.len));
                    graph.splits.push((t, node));
                    prev_node = node;
                    prev_t = t;
                    node
                };
                let foot = lerp(a, b, t.clamp(0.0, 1.0));
                let attachment = Some(Attachment {
                    node,
                    access_m: 0.0,
                    point: foot,
                });
                if item < nb {
                    let gb = &mut graph.buildings[item as usize];
                    gb.attachment = attachment.map(|x| Attachment {
                        access_m: length_m(gb.point, foot),
                        ..x
                    });
                } else {
                    let gs = &mut graph.stations[(item - nb) as usize];
                    gs.attachment = attachment.map(|x| Attachment {
                        access_m: length_m(gs.point, foot),
                        ..x
                    });
                }
            }
            edges.push((prev_node, seg.b, (1.0 - prev_t) * seg.len));
            let s = &mut graph.segments[si];
            s.split_start = split_start;
            s.split_len = graph.splits.len() as u32 - split_start;
        }
        report.split_nodes = (graph.coords.len() - street_nodes) as u64;
        report.edges = edges.len() as u64;
        // 4. CSR adjacency (both directions: one-way does not apply to walking).
        let n = graph.coords.len();
        let directed = edges.len() as u64 * 2;
        if directed > u32::MAX as u64 {
            return Err(CoverageError::TooLarge(u32::MAX as u64));
        }
        let mut degree = vec![0u32; n + 1];
        for &(u, v, _) in &edges {
            degree[u as usize] += 1;
            degree[v as usize] += 1;
        }
        let mut offsets = vec![0u32; n + 1];
        for i in 0..n {
            offsets[i + 1] = offsets[i] + degree[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; directed as usize];
        let mut lengths = vec![0f64; directed as usize];
        for &(u, v, w) in &edges {
            for (x, y) in [(u, v), (v, u)] {
                let at = fill[x as usize] as usize;
                targets[at] = y;
                lengths[at] = w;
                fill[x as usize] += 1;
            }
        }
        graph.offsets = offsets;
        graph.targets = targets;
        graph.lengths = lengths;
        // 5. The contracted core for whole-graph runs (stations stay core).
        let mut keep = vec![false; n];
        for s in &graph.stations {
            if let Some(a) = s.attachment {
                keep[a.node as usize] = true;
            }
        }
        graph.contracted = Contracted::build(&graph.offsets, &graph.targets, &graph.lengths, &keep);
        // 6. Components and islands.
        graph.label_components(&mut report);
        graph.report = report;
        Ok(graph)
    }

    /// The nearest walkable segment to `p`: (segment, t, access metres).
    fn nearest(&self, p: Coord<f64>) -> Option<(u32, f64, f64)> {
        let q = self.plane.xy(p);
        let mut iter = self.tree.nearest_neighbor_iter_with_distance_2(&q);
        let (first, d0) = iter.next()?;
        let exact = |seg: u32| {
            let s = self.segments[seg as usize];
            let (t, d2) =
                self.plane
                    .project(p, self.coords[s.a as usize], self.coords[s.b as usize]);
            (d2, seg, t)
        };
        let mut best = exact(first.data);
        let tol = d0 * 1e-9 + 1e-9;
        for (entry, d) in iter {
            if d > d0 + tol {
                break;
            }
            let c = exact(entry.data);
            if c.0.total_cmp(&best.0).then(c.1.cmp(&best.1)).is_lt() {
                best = c;
            }
        }
        let (_, seg, t) = best;
        let s = self.segments[seg as usize];
        let foot = lerp(self.coords[s.a as usize], self.coords[s.b as usize], t);
        Some((seg, t, length_m(p, foot)))
    }

    fn label_components(&mut self, report: &mut GraphReport) {
        let n = self.coords.len();
        let mut component = vec![u32::MAX; n];
        let mut stack = Vec::new();
        let mut count = 0u32;
        let mut sizes = Vec::new();
        for start in 0..n {
            if component[start] != u32::MAX {
                continue;
            }
            component[start] = count;
            stack.push(start as u32);
            let mut size = 0u64;
            while let Some(u) = stack.pop() {
                size += 1;
                for (v, _) in self.neighbours(u) {
                    if component[v as usize] == u32::MAX {
                        component[v as usize] = count;
                        stack.push(v);
                    }
                }
            }
            sizes.push(size);
            count += 1;
        }
        report.components = count as u64;
        let mut islands: HashMap<u32, Island> = HashMap::new();
        fn island<'a>(
            islands: &'a mut HashMap<u32, Island>,
            sizes: &[u64],
            c: u32,
        ) -> &'a mut Island {
            islands.entry(c).or_insert_with(|| Island {
                component: c,
                nodes: sizes.get(c as usize).copied().unwrap_or(0),
                buildings: 0,
                households: 0,
                stations: Vec::new(),
            })
        }
        for b in &self.buildings {
            match b.attachment {
                Some(a) => {
                    let i = island(&mut islands, &sizes, component[a.node as usize]);
                    i.buildings += 1;
                    i.households += b.households as u64;
                }
                None => report.unattached_buildings.push(b.id),
            }
        }
        for s in &self.stations {
            match s.attachment {
                Some(a) => island(&mut islands, &sizes, component[a.node as usize])
                    .stations
                    .push(s.id),
                None => report.unattached_stations.push(s.id),
            }
        }
        for b in &self.buildings {
            if let Some(a) = b.attachment
                && islands
                    .get(&component[a.node as usize])
                    .is_some_and(|i| i.stations.is_empty())
            {
                report.buildings_without_station.push(b.id);
            }
        }
        let mut islands: Vec<Island> = islands.into_values().collect();
        islands.sort_by(|x, y| y.nodes.cmp(&x.nodes).then(x.component.cmp(&y.component)));
        report.islands = islands;
        self.component = component;
    }

    /// Number of graph nodes (street nodes, then split nodes).
    pub fn node_count(&self) -> usize {
        self.coords.len()
    }

    /// Lon/lat of a node.
    pub fn coord(&self, node: u32) -> Coord<f64> {
        self.coords[node as usize]
    }

    /// The connected component of a node.
    pub fn component(&self, node: u32) -> u32 {
        self.component[node as usize]
    }

    /// Neighbours of a node with edge lengths (m).
    pub fn neighbours(&self, node: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let (lo, hi) = (
            self.offsets[node as usize] as usize,
            self.offsets[node as usize + 1] as usize,
        );
        self.targets[lo..hi]
            .iter()
            .copied()
            .zip(self.lengths[lo..hi].iter().copied())
    }

    /// Every undirected edge once: `(u, v, metres)` with `u < v` (parallel
    /// edges appear once each).
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        (0..self.coords.len() as u32).flat_map(move |u| {
            self.neighbours(u)
                .filter(move |(v, _)| u < *v)
                .map(move |(v, w)| (u, v, w))
        })
    }

    pub(crate) fn contracted(&self) -> &Contracted {
        &self.contracted
    }

    pub(crate) fn csr(&self) -> (&[u32], &[u32], &[f64]) {
        (&self.offsets, &self.targets, &self.lengths)
    }

    /// Buildings in dataset order.
    pub fn buildings(&self) -> &[GraphBuilding] {
        &self.buildings
    }

    /// Stations in dataset order.
    pub fn stations(&self) -> &[GraphStation] {
        &self.stations
    }

    pub fn building_index(&self, id: Id) -> Option<usize> {
        self.building_index.get(&id).map(|i| *i as usize)
    }

    pub fn station_index(&self, id: Id) -> Option<usize> {
        self.station_index.get(&id).map(|i| *i as usize)
    }

    /// The building's `building=*` class.
    pub fn building_class(&self, index: usize) -> &str {
        self.buildings
            .get(index)
            .and_then(|b| self.classes.get(b.class as usize))
            .map_or("", String::as_str)
    }

    /// What the build found: components, islands, unattached items.
    pub fn report(&self) -> &GraphReport {
        &self.report
    }

    /// Attach an arbitrary point (e.g. a proposed station site) without
    /// changing the graph: the seeds are the two nodes bounding the piece of
    /// the nearest segment it projects onto, with the walking distance to
    /// each (access leg plus the partial piece). `None` if no walkable
    /// segment is within `max_access_m`.
    pub fn attach_point(&self, p: Coord<f64>, max_access_m: f64) -> Option<PointAttachment> {
        let (seg, t, access) = self.nearest(p)?;
        if access > max_access_m {
            return None;
        }
        let s = self.segments[seg as usize];
        let splits = &self.splits[s.split_start as usize..(s.split_start + s.split_len) as usize];
        let after = splits.partition_point(|(st, _)| *st < t);
        let (lt, ln) = if after == 0 {
            (0.0, s.a)
        } else {
            splits[after - 1]
        };
        let (rt, rn) = splits.get(after).copied().unwrap_or((1.0, s.b));
        let foot = lerp(self.coords[s.a as usize], self.coords[s.b as usize], t);
        Some(PointAttachment {
            seeds: vec![
                (ln, access + (t - lt) * s.len),
                (rn, access + (rt - t) * s.len),
            ],
            access_m: access,
            foot,
        })
    }

    /// The local plane used for nearest-segment search.
    pub fn plane(&self) -> Plane {
        self.plane
    }
}
