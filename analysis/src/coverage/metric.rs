//! The one metric of the coverage engine, defined here and used everywhere:
//!
//! * a **length** between two WGS84 points is the haversine great-circle
//!   distance on a sphere of radius [`EARTH_RADIUS_M`] (the IUGG mean radius,
//!   the same as `geo::Haversine`);
//! * a street **segment** (two consecutive road vertices) is as long as the
//!   haversine distance of its endpoints; a point at parameter `t ∈ [0, 1]`
//!   along it (linear in longitude/latitude) lies `t · length` metres from its
//!   start, so splitting a segment never changes the total;
//! * to find the **nearest segment** to a point and where it projects, both
//!   are mapped to a local plane (equirectangular at the graph's mid latitude:
//!   `x = lon · cos(lat₀) · R · π/180`, `y = lat · R · π/180`), the point is
//!   projected orthogonally onto each candidate segment there (clamped to the
//!   ends), and the smallest planar distance wins; ties go to the lower
//!   segment index. The access leg is then the haversine length from the point
//!   to its projection.

use geo::Coord;

/// Mean Earth radius (m), as used by `geo::Haversine`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Haversine length (m) between two lon/lat points.
pub fn length_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (p1, p2) = (a.y.to_radians(), b.y.to_radians());
    let dp = p2 - p1;
    let dl = (b.x - a.x).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The local plane used to pick nearest segments (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    kx: f64,
    ky: f64,
}

impl Plane {
    /// The plane for a mid latitude (degrees).
    pub fn at_latitude(lat0: f64) -> Self {
        let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        Plane {
            kx: ky * lat0.to_radians().cos(),
            ky,
        }
    }

    /// Planar coordinates (m) of a lon/lat point.
    pub fn xy(&self, c: Coord<f64>) -> [f64; 2] {
        [c.x * self.kx, c.y * self.ky]
    }

    /// Lon/lat of planar coordinates.
    pub fn lonlat(&self, p: [f64; 2]) -> Coord<f64> {
        Coord {
            x: p[0] / self.kx,
            y: p[1] / self.ky,
        }
    }

    /// Project `p` onto segment `a`–`b` in this plane: the clamped parameter
    /// `t` and the squared planar distance. A zero-length segment gives `t = 0`.
    pub fn project(&self, p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
        let [px, py] = self.xy(p);
        let [ax, ay] = self.xy(a);
        let [bx, by] = self.xy(b);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (qx, qy) = (ax + t * dx, ay + t * dy);
        (t, (px - qx).powi(2) + (py - qy).powi(2))
    }
}

/// The lon/lat point at parameter `t` along `a`–`b`.
pub fn lerp(a: Coord<f64>, b: Coord<f64>, t: f64) -> Coord<f64> {
    Coord {
        x: a.x + (b.x - a.x) * t,
        y: a.y + (b.y - a.y) * t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine, Point};

    #[test]
    fn length_agrees_with_geo_haversine() {
        let a = Coord {
            x: 118.78,
            y: 32.04,
        };
        let b = Coord {
            x: 118.79,
            y: 32.05,
        };
        let g = Haversine.distance(Point(a), Point(b));
        assert!(
            (length_m(a, b) - g).abs() < 1e-6,
            "{} vs {g}",
            length_m(a, b)
        );
    }

    #[test]
    fn projection_clamps_to_the_ends() {
        let plane = Plane::at_latitude(32.0);
        let a = Coord { x: 118.0, y: 32.0 };
        let b = Coord { x: 118.01, y: 32.0 };
        let (t, _) = plane.project(
            Coord {
                x: 117.9,
                y: 32.001,
            },
            a,
            b,
        );
        assert_eq!(t, 0.0);
        let (t, _) = plane.project(Coord { x: 118.2, y: 31.9 }, a, b);
        assert_eq!(t, 1.0);
        let (t, d2) = plane.project(
            Coord {
                x: 118.005,
                y: 32.001,
            },
            a,
            b,
        );
        assert!((t - 0.5).abs() < 1e-12);
        assert!((d2.sqrt() - 111.195).abs() < 0.01);
    }
}
