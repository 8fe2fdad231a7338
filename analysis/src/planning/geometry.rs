//! A local equirectangular projection (metres around the community) and the
//! small planar predicates the engine needs.

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use serde::{Deserialize, Serialize};

const METRES_PER_DEGREE: f64 = 111_195.0;

/// Longitude/latitude ↔ local metres, exact inverse of each other up to float rounding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Projector {
    pub lon0: f64,
    pub lat0: f64,
    kx: f64,
}

impl Projector {
    /// A projection centred on `(lon0, lat0)`.
    pub fn new(lon0: f64, lat0: f64) -> Self {
        let kx = METRES_PER_DEGREE * lat0.to_radians().cos().max(0.01);
        Projector { lon0, lat0, kx }
    }
    pub fn fwd(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * METRES_PER_DEGREE,
        }
    }
    pub fn inv(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.kx + self.lon0,
            y: c.y / METRES_PER_DEGREE + self.lat0,
        }
    }
    pub fn fwd_point(&self, p: Point<f64>) -> Point<f64> {
        Point(self.fwd(p.0))
    }
    pub fn fwd_line(&self, l: &LineString<f64>) -> LineString<f64> {
        LineString(l.0.iter().map(|c| self.fwd(*c)).collect())
    }
    pub fn inv_line(&self, l: &LineString<f64>) -> LineString<f64> {
        LineString(l.0.iter().map(|c| self.inv(*c)).collect())
    }
    pub fn fwd_polygon(&self, p: &Polygon<f64>) -> Polygon<f64> {
        Polygon::new(
            self.fwd_line(p.exterior()),
            p.interiors().iter().map(|r| self.fwd_line(r)).collect(),
        )
    }
    pub fn inv_polygon(&self, p: &Polygon<f64>) -> Polygon<f64> {
        Polygon::new(
            self.inv_line(p.exterior()),
            p.interiors().iter().map(|r| self.inv_line(r)).collect(),
        )
    }
    pub fn fwd_multi(&self, m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(m.0.iter().map(|p| self.fwd_polygon(p)).collect())
    }
    pub fn inv_multi(&self, m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon(m.0.iter().map(|p| self.inv_polygon(p)).collect())
    }
}

/// Twice the signed area of triangle (a, b, c): > 0 when c is left of a→b.
pub fn orient(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

/// Whether the closed segments p1–p2 and q1–q2 intersect.
pub fn segments_cross(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// Which side of a polyline a point lies on: `true` for left. Uses the
/// segment nearest to the point, extending the end segments to infinity.
pub fn left_of_polyline(line: &[Coord<f64>], p: Coord<f64>) -> bool {
    let mut best = (f64::INFINITY, 0.0);
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        if len2 == 0.0 {
            continue;
        }
        let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0);
        let (cx, cy) = (a.x + t * dx, a.y + t * dy);
        let d = (p.x - cx).powi(2) + (p.y - cy).powi(2);
        if d < best.0 {
            best = (d, orient(a, b, p));
        }
    }
    best.1 > 0.0
}
