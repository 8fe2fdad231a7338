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
/// result is deterministic.
pub fn multi_source(graph: &WalkGraph, seeds: &[Seed], cutoff: f64) -> ShortestPathTree {
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
