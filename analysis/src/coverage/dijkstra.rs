//! Shortest paths on the walking graph: one multi-source Dijkstra over the
//! whole graph (binary heap, every source at its start distance, each node
//! labelled with the source that reached it first), and a bounded
//! single-origin search that only touches what it reaches.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use super::graph::WalkGraph;

/// "No node" / "no source" marker.
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    dist: f64,
    node: u32,
}

impl Eq for Entry {}

impl Ord for Entry {
    // Min-heap on (distance, node): reversed for std's max-heap.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .dist
            .total_cmp(&self.dist)
            .then(other.node.cmp(&self.node))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The result of a full multi-source run: per node, the distance to the
/// nearest source, that source's label and the predecessor on the path.
#[derive(Debug, Clone, Default)]
pub struct ShortestPathTree {
    pub dist: Vec<f64>,
    pub label: Vec<u32>,
    pub pred: Vec<u32>,
}

/// A source: start node, start distance (e.g. its access leg) and a label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seed {
    pub node: u32,
    pub dist: f64,
    pub label: u32,
}

/// One Dijkstra from all seeds at once. Nodes farther than `cutoff` (m) are
/// left at infinity. Ties are broken by (distance, node index), so the
/// result is deterministic. When every seed is a core node (stations always
/// are), the run is on the contracted core graph and chain interiors are
/// filled in afterwards (degree-2 chain contraction); otherwise on the full graph.
pub fn multi_source(graph: &WalkGraph, seeds: &[Seed], cutoff: f64) -> ShortestPathTree {
    let c = graph.contracted();
    if c.core_of.len() == graph.node_count()
        && seeds.iter().all(|s| c.core_of[s.node as usize] != NONE)
    {
        multi_source_contracted(graph, seeds, cutoff)
    } else {
        multi_source_full(graph, seeds, cutoff)
    }
}

/// [`multi_source`] on the contracted core, then chain interiors.
pub fn multi_source_contracted(graph: &WalkGraph, seeds: &[Seed], cutoff: f64) -> ShortestPathTree {
    let c = graph.contracted();
    let n = graph.node_count();
    let m = c.core_nodes.len();
    let mut cd = vec![f64::INFINITY; m];
    let mut cl = vec![NONE; m];
    let mut cvia = vec![NONE; m];
    let mut heap = BinaryHeap::with_capacity(seeds.len().max(1024));
    for s in seeds {
        let Some(&i) = c.core_of.get(s.node as usize) else {
            continue;
        };
        if i == NONE {
            continue;
        }
        let i = i as usize;
        if s.dist <= cutoff && (s.dist < cd[i] || (s.dist == cd[i] && s.label < cl[i])) {
            cd[i] = s.dist;
            cl[i] = s.label;
            heap.push(Entry {
                dist: s.dist,
                node: i as u32,
            });
        }
    }
    while let Some(Entry { dist: d, node: u }) = heap.pop() {
        let ui = u as usize;
        if d > cd[ui] {
            continue;
        }
        let l = cl[ui];
        let (lo, hi) = (c.offsets[ui] as usize, c.offsets[ui + 1] as usize);
        for k in lo..hi {
            let v = c.targets[k] as usize;
            let nd = d + c.lengths[k];
            if nd < cd[v] && nd <= cutoff {
                cd[v] = nd;
                cl[v] = l;
                cvia[v] = c.via[k];
                heap.push(Entry {
                    dist: nd,
                    node: v as u32,
                });
            }
        }
    }
    let mut dist = vec![f64::INFINITY; n];
    let mut label = vec![NONE; n];
    let mut pred = vec![NONE; n];
    for (i, &node) in c.core_nodes.iter().enumerate() {
        let x = node as usize;
        dist[x] = cd[i];
        label[x] = cl[i];
        let via = cvia[i];
        if via != NONE {
            let ch = c.chains[(via / 2) as usize];
            let (s, e) = (ch.start as usize, (ch.start + ch.count) as usize);
            pred[x] = if via & 1 == 0 {
                // Came u → v: the node before v.
                if e > s { c.interior[e - 1] } else { ch.u }
            } else if e > s {
                c.interior[s]
            } else {
                ch.v
            };
        }
    }
    for ch in &c.chains {
        let (du, dv) = (dist[ch.u as usize], dist[ch.v as usize]);
        let (lu, lv) = (label[ch.u as usize], label[ch.v as usize]);
        let (s, e) = (ch.start as usize, (ch.start + ch.count) as usize);
        for k in s..e {
            let x = c.interior[k] as usize;
            let a = du + c.along[k];
            let b = dv + (ch.len - c.along[k]);
            if a <= b && a.is_finite() && a <= cutoff {
                dist[x] = a;
                label[x] = lu;
                pred[x] = if k > s { c.interior[k - 1] } else { ch.u };
            } else if b < a && b.is_finite() && b <= cutoff {
                dist[x] = b;
                label[x] = lv;
                pred[x] = if k + 1 < e { c.interior[k + 1] } else { ch.v };
            }
        }
    }
    ShortestPathTree { dist, label, pred }
}

/// [`multi_source`] on the full graph.
pub fn multi_source_full(graph: &WalkGraph, seeds: &[Seed], cutoff: f64) -> ShortestPathTree {
    let n = graph.node_count();
    let (offsets, targets, lengths) = graph.csr();
    let mut dist = vec![f64::INFINITY; n];
    let mut label = vec![NONE; n];
    let mut pred = vec![NONE; n];
    let mut heap = BinaryHeap::with_capacity(seeds.len().max(1024));
    for s in seeds {
        let i = s.node as usize;
        if s.dist <= cutoff && (s.dist < dist[i] || (s.dist == dist[i] && s.label < label[i])) {
            dist[i] = s.dist;
            label[i] = s.label;
            heap.push(Entry {
                dist: s.dist,
                node: s.node,
            });
        }
    }
    while let Some(Entry { dist: d, node: u }) = heap.pop() {
        let ui = u as usize;
        if d > dist[ui] {
            continue;
        }
        let l = label[ui];
        let (lo, hi) = (offsets[ui] as usize, offsets[ui + 1] as usize);
        for (&v, &w) in targets[lo..hi].iter().zip(&lengths[lo..hi]) {
            let nd = d + w;
            let vi = v as usize;
            if nd < dist[vi] && nd <= cutoff {
                dist[vi] = nd;
                label[vi] = l;
                pred[vi] = u;
                heap.push(Entry { dist: nd, node: v });
            }
        }
    }
    ShortestPathTree { dist, label, pred }
}

/// A bounded search from a few seeds that stores only the nodes it reaches
/// (for isochrones, where the graph may have millions of nodes).
pub fn bounded_sparse(graph: &WalkGraph, seeds: &[(u32, f64)], limit: f64) -> HashMap<u32, f64> {
    let mut dist: HashMap<u32, f64> = HashMap::new();
    let mut heap = BinaryHeap::new();
    for &(node, d) in seeds {
        if d <= limit && dist.get(&node).is_none_or(|old| d < *old) {
            dist.insert(node, d);
            heap.push(Entry { dist: d, node });
        }
    }
    while let Some(Entry { dist: d, node: u }) = heap.pop() {
        if dist.get(&u).is_some_and(|best| d > *best) {
            continue;
        }
        for (v, w) in graph.neighbours(u) {
            let nd = d + w;
            if nd <= limit && dist.get(&v).is_none_or(|old| nd < *old) {
                dist.insert(v, nd);
                heap.push(Entry { dist: nd, node: v });
            }
        }
    }
    dist
}

/// A reusable dense workspace for many bounded searches on one graph (siting):
/// distances live in a graph-sized array reset only where touched.
#[derive(Debug, Clone)]
pub struct Workspace {
    dist: Vec<f64>,
    touched: Vec<u32>,
    heap: BinaryHeap<Entry>,
}

impl Workspace {
    pub fn new(graph: &WalkGraph) -> Self {
        Workspace {
            dist: vec![f64::INFINITY; graph.node_count()],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Run a bounded search; then `reached()` lists the settled nodes and
    /// `dist(node)` their distances (until the next run).
    pub fn run(&mut self, graph: &WalkGraph, seeds: &[(u32, f64)], limit: f64) {
        for &u in &self.touched {
            self.dist[u as usize] = f64::INFINITY;
        }
        self.touched.clear();
        self.heap.clear();
        for &(node, d) in seeds {
            let i = node as usize;
            if d <= limit && d < self.dist[i] {
                if self.dist[i].is_infinite() {
                    self.touched.push(node);
                }
                self.dist[i] = d;
                self.heap.push(Entry { dist: d, node });
            }
        }
        while let Some(Entry { dist: d, node: u }) = self.heap.pop() {
            if d > self.dist[u as usize] {
                continue;
            }
            for (v, w) in graph.neighbours(u) {
                let nd = d + w;
                let vi = v as usize;
                if nd <= limit && nd < self.dist[vi] {
                    if self.dist[vi].is_infinite() {
                        self.touched.push(v);
                    }
                    self.dist[vi] = nd;
                    self.heap.push(Entry { dist: nd, node: v });
                }
            }
        }
    }

    /// Nodes reached by the last run (in first-touch order).
    pub fn reached(&self) -> &[u32] {
        &self.touched
    }

    /// Distance of a node in the last run (infinity if not reached).
    pub fn dist(&self, node: u32) -> f64 {
        self.dist[node as usize]
    }
}
