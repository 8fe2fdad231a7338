//! Recursive bisection of a connected set of buildings into `k` grids, each
//! within `[min, max]` households and each connected in the adjacency graph.
//!
//! Each step cuts the set in two parts holding `k1 = k/2` and `k - k1`
//! grids. The left part's households must lie in
//! `[max(k1·min, H − k2·max), min(k1·max, H − k2·min)]`, which keeps both
//! parts solvable. Candidate cuts are straight sweeps at several angles
//! (compact parts), scored by distance to the balanced share and by the
//! graph edges they cut (edges crossing barriers are cheap to cut, so cuts
//! follow roads and water); the best candidates whose two sides are both
//! connected win. If no straight cut works, a cut of a spanning tree edge
//! (always two connected sides) is tried. A work budget bounds backtracking.

use geo::Coord;

use super::graph::Graph;

/// Cost of cutting a barrier-crossing edge relative to an ordinary one.
const BARRIER_EDGE_COST: f64 = 0.2;
/// Candidates checked for connectivity per bisection.
const CANDIDATES: usize = 12;
/// Sweep directions per bisection.
const ANGLES: usize = 8;

pub(crate) struct Bisector<'a> {
    graph: &'a Graph,
    pts: &'a [Coord<f64>],
    hh: &'a [u64],
    min: u64,
    max: u64,
    angle0: f64,
    /// 0 = not in the current set, 1 = right, 2 = left.
    side: Vec<u8>,
    mark: Vec<u32>,
    /// Remaining connectivity checks.
    budget: usize,
    /// Give up at the first failed sub-split instead of backtracking.
    greedy: bool,
}

impl<'a> Bisector<'a> {
    pub fn new(
        graph: &'a Graph,
        pts: &'a [Coord<f64>],
        hh: &'a [u64],
        min: u64,
        max: u64,
        seed: u64,
    ) -> Self {
        let n = pts.len();
        let angle0 = (seed % 1000) as f64 / 1000.0 * std::f64::consts::PI / ANGLES as f64;
        Bisector {
            graph,
            pts,
            hh,
            min,
            max,
            angle0,
            side: vec![0; n],
            mark: vec![u32::MAX; n],
            budget: 0,
            greedy: false,
        }
    }

    fn households(&self, set: &[usize]) -> u64 {
        set.iter().map(|&i| self.hh[i]).sum()
    }

    fn connected(&mut self, set: &[usize]) -> bool {
        self.budget = self.budget.saturating_sub(1);
        self.graph.pieces(set, &mut self.mark).len() <= 1
    }

    /// Split `set` into exactly `k` valid groups, appended to `out`, with at
    /// most `budget` connectivity checks. A greedy run never backtracks:
    /// cheap to refute a long shot.
    pub fn split_top(
        &mut self,
        set: Vec<usize>,
        k: u64,
        out: &mut Vec<Vec<usize>>,
        budget: usize,
        greedy: bool,
    ) -> bool {
        self.budget = budget;
        self.greedy = greedy;
        self.split(set, k, out)
    }

    fn split(&mut self, set: Vec<usize>, k: u64, out: &mut Vec<Vec<usize>>) -> bool {
        let h = self.households(&set);
        if k <= 1 {
            if k == 1 && h >= self.min && h <= self.max {
                out.push(set);
                return true;
            }
            return false;
        }
        let k1 = k / 2;
        let k2 = k - k1;
        let lo = (k1 * self.min).max(h.saturating_sub(k2 * self.max));
        let hi = (k1 * self.max).min(h.saturating_sub(k2 * self.min));
        if lo > hi || set.len() < 2 || h < k * self.min {
            return false;
        }
        let goal = h as f64 * k1 as f64 / k as f64;
        let mark = out.len();
        for (left, right) in self.straight_cuts(&set, lo, hi, goal) {
            if self.budget == 0 {
                return false;
            }
            if !self.connected(&left) || !self.connected(&right) {
                continue;
            }
            if self.split(left, k1, out) && self.split(right, k2, out) {
                return true;
            }
            out.truncate(mark);
            if self.greedy {
                return false;
            }
        }
        for (left, right) in self.tree_cuts(&set, lo, hi, goal) {
            if self.budget == 0 {
                return false;
            }
            self.budget = self.budget.saturating_sub(1);
            if self.split(left, k1, out) && self.split(right, k2, out) {
                return true;
            }
            out.truncate(mark);
        }
        false
    }

    /// The best straight sweeps, best first, as (left, right) sets.
    fn straight_cuts(
        &mut self,
        set: &[usize],
        lo: u64,
        hi: u64,
        goal: f64,
    ) -> Vec<(Vec<usize>, Vec<usize>)> {
        let n = set.len();
        let norm = (n as f64).sqrt().max(1.0);
        let slack = ((goal - lo as f64).max(hi as f64 - goal)).max(1.0);
        // (cost, angle, prefix length)
        let mut cands: Vec<(f64, usize, usize)> = Vec::new();
        let mut orders: Vec<Vec<usize>> = Vec::with_capacity(ANGLES);
        for a in 0..ANGLES {
            let t = self.angle0 + a as f64 * std::f64::consts::PI / ANGLES as f64;
            let (dx, dy) = (t.cos(), t.sin());
            let mut order = set.to_vec();
            let key = |i: usize| self.pts[i].x * dx + self.pts[i].y * dy;
            order.sort_by(|&p, &q| key(p).total_cmp(&key(q)).then(p.cmp(&q)));
            for &i in set {
                self.side[i] = 1;
            }
            let mut acc = 0u64;
            let mut cut = 0.0f64;
            let mut best_here: Vec<(f64, usize, usize)> = Vec::new();
            for (j, &v) in order.iter().enumerate().take(n - 1) {
                self.side[v] = 2;
                acc += self.hh[v];
                for e in &self.graph.adj[v] {
                    let w = if e.barrier { BARRIER_EDGE_COST } else { 1.0 };
                    match self.side[e.to as usize] {
                        2 => cut -= w,
                        1 => cut += w,
                        _ => {}
                    }
                }
                if acc >= lo && acc <= hi {
                    // Slack used, 0 at the balanced share, 1 at the edge of [lo, hi]:
                    // squared so small moves towards a barrier are cheap and
                    // exhausting the children's room is dear.
                    let dev = (acc as f64 - goal).abs() / slack;
                    let cost = 2.0 * dev * dev + 0.12 * cut.max(0.0) / norm;
                    best_here.push((cost, a, j + 1));
                }
            }
            for &i in set {
                self.side[i] = 0;
            }
            best_here.sort_by(|p, q| p.0.total_cmp(&q.0));
            // Keep a few per angle, spread out so they are not all neighbours.
            let mut kept: Vec<(f64, usize, usize)> = Vec::new();
            for c in best_here {
                if kept
                    .iter()
                    .all(|k: &(f64, usize, usize)| k.2.abs_diff(c.2) > n / 50 + 1)
                {
                    kept.push(c);
                }
                if kept.len() >= 4 {
                    break;
                }
            }
            cands.extend(kept);
            orders.push(order);
        }
        cands.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
        cands
            .into_iter()
            .take(CANDIDATES)
            .map(|(_, a, p)| (orders[a][..p].to_vec(), orders[a][p..].to_vec()))
            .collect()
    }

    /// Cuts of one spanning-tree edge (both sides connected by construction),
    /// best balanced first.
    fn tree_cuts(
        &mut self,
        set: &[usize],
        lo: u64,
        hi: u64,
        goal: f64,
    ) -> Vec<(Vec<usize>, Vec<usize>)> {
        let h = self.households(set);
        let mut out = Vec::new();
        let roots = [
            set.iter()
                .copied()
                .min_by(|&a, &b| self.pts[a].x.total_cmp(&self.pts[b].x)),
            set.iter()
                .copied()
                .max_by(|&a, &b| self.pts[a].y.total_cmp(&self.pts[b].y)),
        ];
        for root in roots.into_iter().flatten() {
            for &i in set {
                self.side[i] = 1;
            }
            // BFS tree.
            let mut order = vec![root];
            let mut par: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
            self.side[root] = 2;
            let mut head = 0;
            while head < order.len() {
                let v = order[head];
                head += 1;
                for e in &self.graph.adj[v] {
                    let u = e.to as usize;
                    if self.side[u] == 1 {
                        self.side[u] = 2;
                        par.insert(u, v);
                        order.push(u);
                    }
                }
            }
            for &i in set {
                self.side[i] = 0;
            }
            let mut sub: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
            for &v in order.iter().rev() {
                let w = self.hh[v] + sub.get(&v).copied().unwrap_or(0);
                sub.insert(v, w);
                if let Some(&p) = par.get(&v) {
                    *sub.entry(p).or_default() += w;
                }
            }
            // Subtree as the left part, or as the right part.
            let mut best: Option<(f64, usize, bool)> = None;
            for &v in &order[1..] {
                let w = sub.get(&v).copied().unwrap_or(0);
                for (left_w, is_left) in [(w, true), (h - w, false)] {
                    if left_w >= lo && left_w <= hi {
                        let dev = (left_w as f64 - goal).abs();
                        if best.is_none_or(|b| dev < b.0) {
                            best = Some((dev, v, is_left));
                        }
                    }
                }
            }
            if let Some((_, v, is_left)) = best {
                // Collect v's subtree.
                let mut children: std::collections::HashMap<usize, Vec<usize>> =
                    std::collections::HashMap::new();
                for (&c, &p) in &par {
                    children.entry(p).or_default().push(c);
                }
                let mut subtree = Vec::new();
                let mut stack = vec![v];
                while let Some(x) = stack.pop() {
                    subtree.push(x);
                    if let Some(cs) = children.get(&x) {
                        stack.extend(cs.iter().copied());
                    }
                }
                for &x in &subtree {
                    self.side[x] = 2;
                }
                let rest: Vec<usize> = set.iter().copied().filter(|&x| self.side[x] != 2).collect();
                for &x in &subtree {
                    self.side[x] = 0;
                }
                subtree.sort_unstable();
                if is_left {
                    out.push((subtree, rest));
                } else {
                    out.push((rest, subtree));
                }
            }
        }
        out
    }
}
