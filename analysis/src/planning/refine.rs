//! Boundary smoothing after bisection: a building whose ties to a
//! neighbouring grid outweigh its ties to its own grid (edges crossing a
//! barrier count for little) moves there, when both grids stay within
//! `[min, max]` and its own grid stays connected. Each move strictly lowers
//! the weighted length of grid boundaries, so the passes end; they make
//! grids more compact and pull boundaries onto barriers.

use super::graph::Graph;

const BARRIER_WEIGHT: f64 = 0.2;

/// Refine `groups` (building indices, each a valid connected grid) in place.
pub(crate) fn refine(
    graph: &Graph,
    hh: &[u64],
    groups: &mut [Vec<usize>],
    min: u64,
    max: u64,
    passes: usize,
) {
    let n = graph.adj.len();
    let none = u32::MAX;
    let mut group_of = vec![none; n];
    let mut sums: Vec<u64> = Vec::with_capacity(groups.len());
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            group_of[i] = g as u32;
        }
        sums.push(members.iter().map(|&i| hh[i]).sum());
    }
    let mut sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
    let order: Vec<usize> = groups.iter().flatten().copied().collect();
    let mut seen = vec![0u32; n];
    let mut stamp = 0u32;
    let mut stack = Vec::new();
    for _ in 0..passes {
        let mut moved = 0;
        for &v in &order {
            let a = group_of[v];
            let mut own = 0.0;
            let mut best: Option<(u32, f64)> = None;
            let mut others: Vec<(u32, f64)> = Vec::new();
            for e in &graph.adj[v] {
                let g = group_of[e.to as usize];
                if g == none {
                    continue;
                }
                let w = if e.barrier { BARRIER_WEIGHT } else { 1.0 };
                if g == a {
                    own += w;
                } else if let Some(o) = others.iter_mut().find(|o| o.0 == g) {
                    o.1 += w;
                } else {
                    others.push((g, w));
                }
            }
            for &(g, w) in &others {
                if best.is_none_or(|b| w > b.1 || (w == b.1 && g < b.0)) {
                    best = Some((g, w));
                }
            }
            let Some((b, w)) = best else {
                continue;
            };
            let (ai, bi) = (a as usize, b as usize);
            if w <= own + 1e-9 || sizes[ai] <= 1 || sums[ai] - hh[v] < min || sums[bi] + hh[v] > max
            {
                continue;
            }
            // Does grid a stay connected without v? Search from one neighbour of v in a.
            let Some(start) = graph.adj[v]
                .iter()
                .map(|e| e.to as usize)
                .find(|&u| group_of[u] == a)
            else {
                continue;
            };
            stamp += 1;
            seen[v] = stamp;
            seen[start] = stamp;
            stack.clear();
            stack.push(start);
            let mut reached = 1;
            while let Some(x) = stack.pop() {
                for e in &graph.adj[x] {
                    let u = e.to as usize;
                    if seen[u] != stamp && group_of[u] == a {
                        seen[u] = stamp;
                        reached += 1;
                        stack.push(u);
                    }
                }
            }
            if reached != sizes[ai] - 1 {
                continue;
            }
            group_of[v] = b;
            sums[ai] -= hh[v];
            sums[bi] += hh[v];
            sizes[ai] -= 1;
            sizes[bi] += 1;
            moved += 1;
        }
        if moved == 0 {
            break;
        }
    }
    for g in groups.iter_mut() {
        g.clear();
    }
    for &v in &order {
        groups[group_of[v] as usize].push(v);
    }
    for g in groups.iter_mut() {
        g.sort_unstable();
    }
}
