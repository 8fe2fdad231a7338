//! Polygons from a raster: the reached street network is drawn into a grid of
//! square cells (a cell is in when its centre lies within the buffer width of
//! a reached piece), and the cells' outline is traced into rings. Diagonal
//! "saddle" contacts are filled first, so every boundary vertex has exactly
//! one way in and one way out: rings are simple and never touch, outer rings
//! run counter-clockwise, holes clockwise, and the result is a valid
//! `MultiPolygon` by construction. Collinear vertices are dropped, so the
//! outline is a staircase of cell-sized steps.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// A grid of cells over a local metric plane.
#[derive(Debug, Clone)]
pub struct CellGrid {
    x0: f64,
    y0: f64,
    cell: f64,
    w: usize,
    h: usize,
    inside: Vec<bool>,
}

impl CellGrid {
    /// A grid covering `[min, max]` with an empty border of one cell.
    pub fn new(min: Coord<f64>, max: Coord<f64>, cell: f64) -> CellGrid {
        let x0 = min.x - cell;
        let y0 = min.y - cell;
        let w = (((max.x - x0) / cell).ceil() as usize + 2).max(3);
        let h = (((max.y - y0) / cell).ceil() as usize + 2).max(3);
        CellGrid {
            x0,
            y0,
            cell,
            w,
            h,
            inside: vec![false; w * h],
        }
    }

    fn at(&self, i: usize, j: usize) -> bool {
        i < self.w && j < self.h && self.inside[j * self.w + i]
    }

    /// Mark every cell whose centre is within `r` of segment `p`–`q`.
    pub fn stroke(&mut self, p: Coord<f64>, q: Coord<f64>, r: f64) {
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let len2 = dx * dx + dy * dy;
        let to_index = |v: f64, o: f64, n: usize| -> usize {
            (((v - o) / self.cell).floor().max(1.0) as usize).min(n - 2)
        };
        let (i0, i1) = (
            to_index(p.x.min(q.x) - r, self.x0, self.w),
            to_index(p.x.max(q.x) + r, self.x0, self.w),
        );
        let (j0, j1) = (
            to_index(p.y.min(q.y) - r, self.y0, self.h),
            to_index(p.y.max(q.y) + r, self.y0, self.h),
        );
        let r2 = r * r;
        for j in j0..=j1 {
            let cy = self.y0 + (j as f64 + 0.5) * self.cell;
            for i in i0..=i1 {
                let cx = self.x0 + (i as f64 + 0.5) * self.cell;
                let t = if len2 > 0.0 {
                    (((cx - p.x) * dx + (cy - p.y) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (ex, ey) = (cx - (p.x + t * dx), cy - (p.y + t * dy));
                if ex * ex + ey * ey <= r2 {
                    self.inside[j * self.w + i] = true;
                }
            }
        }
    }

    /// Fill one cell of every diagonal-only 2×2 contact until none is left.
    fn fill_saddles(&mut self) {
        loop {
            let mut changed = false;
            for j in 1..self.h {
                for i in 1..self.w {
                    let (a, b) = (self.at(i - 1, j - 1), self.at(i, j - 1));
                    let (c, d) = (self.at(i - 1, j), self.at(i, j));
                    if a && d && !b && !c {
                        self.inside[(j - 1) * self.w + i] = true;
                        changed = true;
                    } else if b && c && !a && !d {
                        self.inside[(j - 1) * self.w + i - 1] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Trace the outline of the marked cells into a valid MultiPolygon
    /// (in the grid's plane).
    pub fn polygons(mut self) -> MultiPolygon<f64> {
        self.fill_saddles();
        let vw = self.w + 1;
        let vid = |i: usize, j: usize| j * vw + i;
        let mut next = vec![u32::MAX; vw * (self.h + 1)];
        for j in 0..self.h {
            for i in 0..self.w {
                if !self.at(i, j) {
                    continue;
                }
                let (bl, br, tr, tl) = (vid(i, j), vid(i + 1, j), vid(i + 1, j + 1), vid(i, j + 1));
                if j == 0 || !self.at(i, j - 1) {
                    next[bl] = br as u32;
                }
                if !self.at(i + 1, j) {
                    next[br] = tr as u32;
                }
                if !self.at(i, j + 1) {
                    next[tr] = tl as u32;
                }
                if i == 0 || !self.at(i - 1, j) {
                    next[tl] = bl as u32;
                }
            }
        }
        let mut outers: Vec<(LineString<f64>, f64)> = Vec::new();
        let mut holes: Vec<LineString<f64>> = Vec::new();
        for start in 0..next.len() {
            if next[start] == u32::MAX {
                continue;
            }
            let mut ring: Vec<(usize, usize)> = Vec::new();
            let mut v = start;
            while next[v] != u32::MAX {
                ring.push((v % vw, v / vw));
                let n = next[v] as usize;
                next[v] = u32::MAX;
                v = n;
            }
            // Drop collinear vertices.
            let k = ring.len();
            let mut kept: Vec<Coord<f64>> = Vec::with_capacity(k + 1);
            for m in 0..k {
                let (p, c, n) = (ring[(m + k - 1) % k], ring[m], ring[(m + 1) % k]);
                let d1 = (c.0 as i64 - p.0 as i64, c.1 as i64 - p.1 as i64);
                let d2 = (n.0 as i64 - c.0 as i64, n.1 as i64 - c.1 as i64);
                if d1.0 * d2.1 - d1.1 * d2.0 != 0 {
                    kept.push(Coord {
                        x: self.x0 + c.0 as f64 * self.cell,
                        y: self.y0 + c.1 as f64 * self.cell,
                    });
                }
            }
            if kept.len() < 3 {
                continue;
            }
            let area = signed_area(&kept);
            kept.push(kept[0]);
            if area > 0.0 {
                outers.push((LineString::new(kept), area));
            } else {
                holes.push(LineString::new(kept));
            }
        }
        let mut polys: Vec<(Polygon<f64>, f64)> = outers
            .into_iter()
            .map(|(r, a)| (Polygon::new(r, vec![]), a))
            .collect();
        for hole in holes {
            let probe = hole.0[0];
            let owner = polys
                .iter()
                .enumerate()
                .filter(|(_, (p, _))| ring_contains(&p.exterior().0, probe))
                .min_by(|x, y| x.1.1.total_cmp(&y.1.1))
                .map(|(i, _)| i);
            if let Some(i) = owner {
                polys[i].0.interiors_push(hole);
            }
        }
        MultiPolygon::new(polys.into_iter().map(|(p, _)| p).collect())
    }
}

fn signed_area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

/// Even-odd ray cast; `p` never lies on the ring here (rings are disjoint).
fn ring_contains(ring: &[Coord<f64>], p: Coord<f64>) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Validation};

    fn grid(cells: &[(usize, usize)]) -> CellGrid {
        let mut g = CellGrid::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 10.0, y: 10.0 }, 1.0);
        for &(i, j) in cells {
            g.inside[j * g.w + i] = true;
        }
        g
    }

    #[test]
    fn a_ring_of_cells_has_a_hole() {
        let mut cells = Vec::new();
        for i in 2..7 {
            for j in 2..7 {
                if !(i == 4 && j == 4) {
                    cells.push((i, j));
                }
            }
        }
        let p = grid(&cells).polygons();
        assert!(p.is_valid());
        assert_eq!(p.0.len(), 1);
        assert_eq!(p.0[0].interiors().len(), 1);
        assert!((p.unsigned_area() - 24.0).abs() < 1e-9);
    }

    #[test]
    fn diagonal_contacts_are_filled_not_pinched() {
        let p = grid(&[(2, 2), (3, 3), (5, 5), (6, 4)]).polygons();
        assert!(p.is_valid(), "{:?}", p.validation_errors());
        assert!(p.unsigned_area() >= 4.0);
    }

    use proptest::prelude::*;
    proptest! {
        #[test]
        fn random_cells_always_give_valid_polygons(cells in prop::collection::vec((1usize..11, 1usize..11), 0..80)) {
            let p = grid(&cells).polygons();
            prop_assert!(p.is_valid(), "{:?}", p.validation_errors());
            // At least the marked cells are covered.
            let marked: std::collections::HashSet<_> = cells.iter().collect();
            prop_assert!(p.unsigned_area() + 1e-9 >= marked.len() as f64);
        }
    }
}
