//! Tile addresses and the WGS84 → Web Mercator → tile-unit projection.

use geo::{Coord, Rect};

use crate::error::TileError;

/// Highest zoom level accepted by [`TileCoord::new`].
pub const MAX_ZOOM: u8 = 24;

/// Latitude limit of Web Mercator (the world is a square).
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// An XYZ tile address (`y` grows southwards, as in slippy-map URLs).
///
/// Only valid addresses can be built: `z <= MAX_ZOOM` and `x, y < 2^z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

impl TileCoord {
    /// Checks and builds a tile address.
    ///
    /// # Errors
    /// [`TileError::ZoomTooLarge`] if `z > MAX_ZOOM`, [`TileError::OutOfRange`]
    /// if `x` or `y` is not below `2^z`.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::ZoomTooLarge { z });
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(TileError::OutOfRange { z, x, y });
        }
        Ok(Self { z, x, y })
    }

    /// The tile of zoom `z` containing the lon/lat position (latitudes are
    /// clamped to the Mercator limit, longitudes to [-180, 180]; positions on
    /// the east or south edge belong to the last tile).
    ///
    /// # Errors
    /// [`TileError::ZoomTooLarge`] if `z > MAX_ZOOM`, and
    /// [`TileError::OutOfRange`] (with `x = y = u32::MAX`) if a coordinate
    /// is not finite.
    pub fn containing(lon: f64, lat: f64, z: u8) -> Result<Self, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::ZoomTooLarge { z });
        }
        if !(lon.is_finite() && lat.is_finite()) {
            return Err(TileError::OutOfRange {
                z,
                x: u32::MAX,
                y: u32::MAX,
            });
        }
        let n = f64::from(1u32 << z);
        let (_, py) = TileTransform::new(Self { z: 0, x: 0, y: 0 }, 1).project(0.0, lat);
        let fx = (lon.clamp(-180.0, 180.0) + 180.0) / 360.0 * n;
        let last = n - 1.0;
        let x = fx.floor().clamp(0.0, last) as u32;
        let y = (py * n).floor().clamp(0.0, last) as u32;
        Self::new(z, x, y)
    }

    /// Zoom level.
    pub fn z(&self) -> u8 {
        self.z
    }

    /// Column, from the antimeridian eastwards.
    pub fn x(&self) -> u32 {
        self.x
    }

    /// Row, from the north edge southwards.
    pub fn y(&self) -> u32 {
        self.y
    }

    /// Number of tiles along one side of the world at this zoom (`2^z`).
    pub fn tiles_per_side(&self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile's bounds in lon/lat degrees (`min` is the south-west corner).
    pub fn bounds(&self) -> Rect<f64> {
        let n = self.tiles_per_side();
        let west = f64::from(self.x) / n * 360.0 - 180.0;
        let east = f64::from(self.x + 1) / n * 360.0 - 180.0;
        let north = mercator_y_to_lat(f64::from(self.y) / n);
        let south = mercator_y_to_lat(f64::from(self.y + 1) / n);
        Rect::new(Coord { x: west, y: south }, Coord { x: east, y: north })
    }

    /// The bounds in lon/lat degrees of the tile grown by `buffer` tile units
    /// on every side (for an `extent`-unit tile): the area whose features can
    /// appear in the encoded tile. Use it to query a spatial index.
    ///
    /// At the edges of the world the longitudes may leave [-180, 180].
    pub fn buffered_bounds(&self, extent: u32, buffer: u32) -> Rect<f64> {
        // Only `unproject` is needed: no latitude fit.
        let t = TileTransform::without_fit(*self, extent);
        let lo = -f64::from(buffer);
        let hi = f64::from(extent) + f64::from(buffer);
        let (west, north) = t.unproject(lo, lo);
        let (east, south) = t.unproject(hi, hi);
        Rect::new(Coord { x: west, y: south }, Coord { x: east, y: north })
    }

    /// Degrees of longitude covered by one tile unit at this zoom, for an
    /// `extent`-unit tile. One unit spans `cos(lat)` times as many degrees of
    /// latitude.
    pub fn degrees_per_unit(&self, extent: u32) -> f64 {
        360.0 / (self.tiles_per_side() * f64::from(extent.max(1)))
    }
}

impl std::fmt::Display for TileCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Latitude (degrees) of a Web Mercator y given as a fraction of the world
/// (0 = north edge, 1 = south edge).
fn mercator_y_to_lat(frac: f64) -> f64 {
    (std::f64::consts::PI * (1.0 - 2.0 * frac))
        .sinh()
        .atan()
        .to_degrees()
}

/// The projection of one tile, precomputed: lon/lat degrees → tile units
/// (`0..extent`, x east, y south). Build it once per tile and reuse it.
///
/// Longitude maps linearly. Latitude needs `ln` and `sin`; to avoid them
/// for the bulk of the points, a Chebyshev fit of the latitude → y curve is
/// made over the tile and one tile around it, and used only where it was
/// checked to agree with the exact formula to 1e-7 tile units, or to that
/// formula's own rounding noise at the deepest zooms (so from about z6 on;
/// at lower zooms the exact formula is always used).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileTransform {
    kx: f64,
    bx: f64,
    ky: f64,
    by: f64,
    fit: Option<LatFit>,
    /// The tile and extent, to make the fit later.
    coord: TileCoord,
    extent: u32,
    /// Whether the fit was attempted (it fails at low zooms).
    fit_tried: bool,
}

impl TileTransform {
    /// Precomputes the projection of `coord` for an `extent`-unit tile.
    pub fn new(coord: TileCoord, extent: u32) -> Self {
        Self::without_fit(coord, extent).fitted()
    }

    /// This projection with the latitude fit made (see the type's docs):
    /// worth it once many points are to be projected.
    pub(crate) fn fitted(mut self) -> Self {
        if self.fit_tried {
            return self;
        }
        self.fit_tried = true;
        let extent = f64::from(self.extent.max(1));
        let scale = self.coord.tiles_per_side() * extent;
        // One tile of margin on both sides: most features of a tile lie there.
        let (_, north) = self.unproject(0.0, -extent);
        let (_, south) = self.unproject(0.0, 2.0 * extent);
        let t = self;
        self.fit = LatFit::new(south, north, |lat| t.exact_y(lat), fit_tolerance(scale));
        self
    }

    /// The projection with the exact latitude formula only (cheaper to
    /// build, slower per point); [`TileTransform::fitted`] adds the fit.
    pub(crate) fn without_fit(coord: TileCoord, extent: u32) -> Self {
        let e = f64::from(extent.max(1));
        let scale = coord.tiles_per_side() * e;
        let kx = scale / 360.0;
        Self {
            kx,
            bx: 180.0 * kx - f64::from(coord.x) * e,
            ky: scale / (4.0 * std::f64::consts::PI),
            by: 0.5 * scale - f64::from(coord.y) * e,
            fit: None,
            coord,
            extent,
            fit_tried: false,
        }
    }

    #[inline]
    fn exact_y(&self, lat: f64) -> f64 {
        let s = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians().sin();
        self.by - self.ky * ((1.0 + s) / (1.0 - s)).ln()
    }

    /// Projects lon/lat degrees to tile units. Latitudes are clamped to
    /// ±[`MAX_LATITUDE`], so the result is always finite for finite input.
    #[inline]
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let x = lon * self.kx + self.bx;
        if let Some(fit) = &self.fit
            && let Some(y) = fit.eval(lat)
        {
            return (x, y);
        }
        (x, self.exact_y(lat))
    }

    /// Projects a geo coordinate (x = lon, y = lat) to tile units.
    #[inline]
    pub fn project_coord(&self, c: Coord<f64>) -> Coord<f64> {
        let (x, y) = self.project(c.x, c.y);
        Coord { x, y }
    }

    /// Inverse of [`TileTransform::project`]: tile units to lon/lat degrees.
    pub fn unproject(&self, px: f64, py: f64) -> (f64, f64) {
        let lon = (px - self.bx) / self.kx;
        let l = (self.by - py) / self.ky;
        let lat = (l * 0.5).tanh().asin().to_degrees();
        (lon, lat)
    }
}

/// Largest error, in tile units, accepted from the latitude fit: 1e-7, or
/// the rounding noise of the exact formula itself at deep zooms (its terms
/// are of the order of the world size, `scale` units; 7e-4 at z24).
fn fit_tolerance(scale: f64) -> f64 {
    (scale * 1e-14).max(1e-7)
}
/// Chebyshev nodes (degree + 1) of the latitude fit.
const FIT_NODES: usize = 10;

/// A Chebyshev interpolant of a smooth function on `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LatFit {
    lo: f64,
    hi: f64,
    mid: f64,
    inv_half: f64,
    /// Coefficients in use (the rest are 0).
    terms: usize,
    c: [f64; FIT_NODES],
}

impl LatFit {
    /// Fits `f` on `[lo, hi]`; `None` unless the fit stays within
    /// `tolerance` of `f` on a fine grid of the interval.
    fn new(lo: f64, hi: f64, f: impl Fn(f64) -> f64, tolerance: f64) -> Option<Self> {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return None;
        }
        let n = FIT_NODES as f64;
        let (mid, half) = ((lo + hi) * 0.5, (hi - lo) * 0.5);
        let nodes: [f64; FIT_NODES] = std::array::from_fn(|k| {
            let u = (std::f64::consts::PI * (k as f64 + 0.5) / n).cos();
            f(mid + half * u)
        });
        let c = std::array::from_fn(|j| {
            let sum: f64 = nodes
                .iter()
                .enumerate()
                .map(|(k, fk)| fk * (std::f64::consts::PI * j as f64 * (k as f64 + 0.5) / n).cos())
                .sum();
            sum * if j == 0 { 1.0 / n } else { 2.0 / n }
        });
        // Chebyshev coefficients decay fast for this curve: keep as few as
        // pass the check (4 at deep zooms), for a cheaper evaluation.
        [4, 6, 8, FIT_NODES].into_iter().find_map(|terms| {
            let mut fit = Self {
                lo,
                hi,
                mid,
                inv_half: 1.0 / half,
                terms,
                c,
            };
            fit.c[terms..].fill(0.0);
            // The error of an interpolant this smooth has a few broad
            // extrema; 25 samples find them, and the tolerance is millions
            // of times below the half unit that snapping rounds to.
            const CHECKS: usize = 24;
            (0..=CHECKS)
                .all(|i| {
                    let lat = lo + (hi - lo) * i as f64 / CHECKS as f64;
                    fit.eval(lat)
                        .is_some_and(|y| (y - f(lat)).abs() <= tolerance)
                })
                .then_some(fit)
        })
    }

    /// The fit at `lat`, or `None` outside the fitted interval.
    #[inline]
    fn eval(&self, lat: f64) -> Option<f64> {
        if !(lat >= self.lo && lat <= self.hi) {
            return None;
        }
        let u = (lat - self.mid) * self.inv_half;
        let u2 = 2.0 * u;
        // Clenshaw recurrence. (No `mul_add`: without the `fma` target
        // feature it is a slow library call.)
        let (mut b1, mut b2) = (0.0, 0.0);
        for &c in self.c[1..self.terms].iter().rev() {
            let b0 = u2 * b1 - b2 + c;
            b2 = b1;
            b1 = b0;
        }
        Some(u * b1 - b2 + self.c[0])
    }
}

/// Projects one lon/lat position to (fractional) tile units of `coord` for an
/// `extent`-unit tile: the tile covers `0..extent` on both axes, y pointing
/// south. For many points build a [`TileTransform`] once instead.
pub fn lonlat_to_tile_px(lon: f64, lat: f64, coord: TileCoord, extent: u32) -> (f64, f64) {
    TileTransform::new(coord, extent).project(lon, lat)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fit_is_used_at_deep_zooms_and_matches_the_exact_formula() {
        let mut used = Vec::new();
        for z in 0..=MAX_ZOOM {
            let n = 1u32 << z;
            // Around Nanjing, and near the top of the world.
            for (x, y) in [
                ((f64::from(n) * 0.83) as u32, (f64::from(n) * 0.406) as u32),
                (0, 0),
            ] {
                let t = TileTransform::new(TileCoord::new(z, x, y).unwrap(), 4096);
                let tolerance = fit_tolerance(f64::from(n) * 4096.0);
                if let Some(fit) = t.fit
                    && y != 0
                {
                    used.push(z);
                    if z >= 14 {
                        assert_eq!(fit.terms, 4, "z{z}");
                    }
                }
                for i in -64..=64 {
                    let py = -4096.0 + 12288.0 * f64::from(i + 64) / 128.0;
                    let (_, lat) = t.unproject(0.0, py);
                    let (_, got) = t.project(0.0, lat);
                    let err = (got - t.exact_y(lat)).abs();
                    assert!(err <= tolerance, "z{z}: {got} at {lat}");
                }
            }
        }
        // Deep zooms (where tiles are dense) take the fast path.
        assert!((10..=MAX_ZOOM).all(|z| used.contains(&z)), "{used:?}");
    }
}
