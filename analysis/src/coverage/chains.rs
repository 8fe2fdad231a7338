//! Degree-2 chain contraction for the whole-graph run. Most walking-graph
//! nodes (intermediate street vertices, building split nodes) have exactly
//! two neighbours; they lie on chains between "core" nodes (degree ≠ 2, or
//! a station's attachment node). The multi-source Dijkstra runs on the core
//! graph only (one edge per chain), then every interior node takes the
//! better of its two chain ends. Exact: a shortest path can only cross a
//! chain end to end, and no source lies inside a chain.

use super::dijkstra::NONE;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Chain {
    pub u: u32,
    pub v: u32,
    pub len: f64,
    pub start: u32,
    pub count: u32,
}

/// The core graph and the chains it was contracted from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contracted {
    /// Graph node → core index (or NONE for chain interiors).
    pub core_of: Vec<u32>,
    /// Core index → graph node.
    pub core_nodes: Vec<u32>,
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub lengths: Vec<f64>,
    /// Per core arc: chain id × 2 + direction (0: u → v, 1: v → u).
    pub via: Vec<u32>,
    pub chains: Vec<Chain>,
    /// Interior nodes of all chains, from `u` to `v`, with their distance from `u`.
    pub interior: Vec<u32>,
    pub along: Vec<f64>,
}

impl Contracted {
    /// Contract a CSR graph; `keep[n]` forces node `n` into the core.
    pub fn build(offsets: &[u32], targets: &[u32], lengths: &[f64], keep: &[bool]) -> Contracted {
        let n = offsets.len().saturating_sub(1);
        let degree = |x: usize| (offsets[x + 1] - offsets[x]) as usize;
        let mut c = Contracted {
            core_of: vec![NONE; n],
            ..Contracted::default()
        };
        for x in 0..n {
            if degree(x) != 2 || keep.get(x).copied().unwrap_or(false) {
                c.core_of[x] = c.core_nodes.len() as u32;
                c.core_nodes.push(x as u32);
            }
        }
        let mut chain_of_interior = vec![false; n];
        for &u in &c.core_nodes {
            let ui = u as usize;
            for slot in offsets[ui] as usize..offsets[ui + 1] as usize {
                let (mut prev, mut cur, mut total) = (u, targets[slot], lengths[slot]);
                let mut came = slot; // the arc we arrived by
                let start = c.interior.len();
                let mut skip = false;
                while c.core_of[cur as usize] == NONE {
                    let ci = cur as usize;
                    if c.interior.len() == start && chain_of_interior[ci] {
                        skip = true; // found from its other end already
                        break;
                    }
                    chain_of_interior[ci] = true;
                    c.interior.push(cur);
                    c.along.push(total);
                    // Leave by the arc that is not the reverse of `came`.
                    let (a, b) = (offsets[ci] as usize, offsets[ci] as usize + 1);
                    let back = if targets[a] == prev
                        && (targets[b] != prev || lengths[a] == lengths[came])
                    {
                        a
                    } else {
                        b
                    };
                    let out = if back == a { b } else { a };
                    prev = cur;
                    cur = targets[out];
                    total += lengths[out];
                    came = out;
                }
                let count = c.interior.len() - start;
                if skip || (count == 0 && u >= cur) {
                    c.interior.truncate(start);
                    c.along.truncate(start);
                    continue;
                }
                c.chains.push(Chain {
                    u,
                    v: cur,
                    len: total,
                    start: start as u32,
                    count: count as u32,
                });
            }
        }
        // Core CSR.
        let m = c.core_nodes.len();
        let mut deg = vec![0u32; m + 1];
        for ch in &c.chains {
            deg[c.core_of[ch.u as usize] as usize] += 1;
            deg[c.core_of[ch.v as usize] as usize] += 1;
        }
        let mut off = vec![0u32; m + 1];
        for i in 0..m {
            off[i + 1] = off[i] + deg[i];
        }
        let arcs = off[m] as usize;
        let (mut tg, mut ln, mut via) = (vec![0u32; arcs], vec![0f64; arcs], vec![0u32; arcs]);
        let mut fill = off.clone();
        for (id, ch) in c.chains.iter().enumerate() {
            let (cu, cv) = (c.core_of[ch.u as usize], c.core_of[ch.v as usize]);
            for (x, y, dir) in [(cu, cv, 0u32), (cv, cu, 1u32)] {
                let at = fill[x as usize] as usize;
                tg[at] = y;
                ln[at] = ch.len;
                via[at] = id as u32 * 2 + dir;
                fill[x as usize] += 1;
            }
        }
        c.offsets = off;
        c.targets = tg;
        c.lengths = ln;
        c.via = via;
        c
    }
}
