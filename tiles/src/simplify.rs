//! Douglas–Peucker simplification in tile-unit space, with reusable buffers.
//!
//! Runs on projected, not yet snapped coordinates. The tolerance is in tile
//! units (see [`crate::TileOptions::tolerance`]); the callers drop rings that
//! collapse.

use geo::Coord;

/// Reusable scratch space for Douglas–Peucker.
#[derive(Debug, Default)]
pub(crate) struct Simplifier {
    stack: Vec<(usize, usize)>,
    keep: Vec<bool>,
}

impl Simplifier {
    /// Simplifies an open polyline in place; both ends are kept.
    pub(crate) fn line(&mut self, pts: &mut Vec<Coord<f64>>, tolerance: f64) {
        let n = pts.len();
        if tolerance <= 0.0 || n <= 2 {
            return;
        }
        self.keep.clear();
        self.keep.resize(n, false);
        self.keep[0] = true;
        self.keep[n - 1] = true;
        self.run(pts, 0, n - 1, tolerance * tolerance);
        compact(pts, &self.keep);
    }

    /// Simplifies a closed ring in place. `pts` holds the ring without its
    /// closing point. The ring is split at its first point and the point
    /// farthest from it, and each half is simplified, so it keeps at least
    /// those two points: the caller drops rings left with fewer than three.
    pub(crate) fn ring(&mut self, pts: &mut Vec<Coord<f64>>, tolerance: f64) {
        let n = pts.len();
        if tolerance <= 0.0 || n <= 3 {
            return;
        }
        let first = pts[0];
        let mut far = 0;
        let mut far_d = -1.0;
        for (i, p) in pts.iter().enumerate().skip(1) {
            let d = sq_dist(first, *p);
            if d > far_d {
                far_d = d;
                far = i;
            }
        }
        pts.push(first);
        self.keep.clear();
        self.keep.resize(n + 1, false);
        self.keep[0] = true;
        self.keep[far] = true;
        self.keep[n] = true;
        let sq_tol = tolerance * tolerance;
        self.run(pts, 0, far, sq_tol);
        self.run(pts, far, n, sq_tol);
        compact(pts, &self.keep);
        pts.pop();
    }

    fn run(&mut self, pts: &[Coord<f64>], first: usize, last: usize, sq_tol: f64) {
        self.stack.clear();
        self.stack.push((first, last));
        while let Some((f, l)) = self.stack.pop() {
            if l <= f + 1 {
                continue;
            }
            let seg = Segment::new(pts[f], pts[l]);
            let mut max_d = 0.0;
            let mut idx = f;
            for (i, p) in pts.iter().enumerate().take(l).skip(f + 1) {
                let d = seg.sq_dist(*p);
                if d > max_d {
                    max_d = d;
                    idx = i;
                }
            }
            if max_d > sq_tol {
                self.keep[idx] = true;
                self.stack.push((f, idx));
                self.stack.push((idx, l));
            }
        }
    }
}

/// Keeps the points flagged in `keep`, in order.
fn compact(pts: &mut Vec<Coord<f64>>, keep: &[bool]) {
    let mut w = 0;
    for r in 0..pts.len() {
        if keep[r] {
            pts[w] = pts[r];
            w += 1;
        }
    }
    pts.truncate(w);
}

#[inline]
fn sq_dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    dx * dx + dy * dy
}

/// A segment prepared for many distance queries.
struct Segment {
    a: Coord<f64>,
    dx: f64,
    dy: f64,
    inv_len2: f64,
}

impl Segment {
    fn new(a: Coord<f64>, b: Coord<f64>) -> Self {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        Self {
            a,
            dx,
            dy,
            inv_len2: if len2 > 0.0 { 1.0 / len2 } else { 0.0 },
        }
    }

    /// Squared distance from `p` to the segment (branch-free).
    #[inline]
    fn sq_dist(&self, p: Coord<f64>) -> f64 {
        let t = (((p.x - self.a.x) * self.dx + (p.y - self.a.y) * self.dy) * self.inv_len2)
            .clamp(0.0, 1.0);
        let (ex, ey) = (self.a.x + self.dx * t - p.x, self.a.y + self.dy * t - p.y);
        ex * ex + ey * ey
    }
}

/// Signed area (shoelace, positive when clockwise on screen with y down) of a
/// ring given without its closing point.
pub(crate) fn ring_area(pts: &[Coord<f64>]) -> f64 {
    let Some(&last) = pts.last() else {
        return 0.0;
    };
    let mut prev = last;
    let mut sum = 0.0;
    for &p in pts {
        sum += prev.x * p.y - p.x * prev.y;
        prev = p;
    }
    sum * 0.5
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn line_drops_points_within_tolerance() {
        let mut s = Simplifier::default();
        let mut pts = vec![c(0.0, 0.0), c(5.0, 1.0), c(10.0, 0.0), c(20.0, 10.0)];
        s.line(&mut pts, 2.0);
        assert_eq!(pts, vec![c(0.0, 0.0), c(10.0, 0.0), c(20.0, 10.0)]);
        let mut pts = vec![c(0.0, 0.0), c(5.0, 1.0), c(10.0, 0.0)];
        s.line(&mut pts, 0.5);
        assert_eq!(pts.len(), 3);
    }

    #[test]
    fn ring_keeps_corners_and_drops_noise() {
        let mut s = Simplifier::default();
        let mut pts = vec![
            c(0.0, 0.0),
            c(50.0, 0.5),
            c(100.0, 0.0),
            c(100.0, 100.0),
            c(50.0, 99.5),
            c(0.0, 100.0),
        ];
        s.ring(&mut pts, 1.0);
        assert_eq!(
            pts,
            vec![c(0.0, 0.0), c(100.0, 0.0), c(100.0, 100.0), c(0.0, 100.0)]
        );
        assert!((ring_area(&pts) - 10_000.0).abs() < 1e-9);
    }

    #[test]
    fn zero_tolerance_is_a_no_op() {
        let mut s = Simplifier::default();
        let mut pts = vec![c(0.0, 0.0), c(1.0, 0.0), c(2.0, 0.0), c(2.0, 2.0)];
        let before = pts.clone();
        s.ring(&mut pts, 0.0);
        assert_eq!(pts, before);
    }
}
