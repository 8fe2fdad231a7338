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
        let t = TileTransform::new(*self, extent);
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileTransform {
    kx: f64,
    bx: f64,
    ky: f64,
    by: f64,
}

impl TileTransform {
    /// Precomputes the projection of `coord` for an `extent`-unit tile.
    pub fn new(coord: TileCoord, extent: u32) -> Self {
        let extent = f64::from(extent);
        let scale = coord.tiles_per_side() * extent;
        let kx = scale / 360.0;
        Self {
            kx,
            bx: 180.0 * kx - f64::from(coord.x) * extent,
            ky: scale / (4.0 * std::f64::consts::PI),
            by: 0.5 * scale - f64::from(coord.y) * extent,
        }
    }

    /// Projects lon/lat degrees to tile units. Latitudes are clamped to
    /// ±[`MAX_LATITUDE`], so the result is always finite for finite input.
    #[inline]
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let s = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians().sin();
        (
            lon.mul_add(self.kx, self.bx),
            self.by - self.ky * ((1.0 + s) / (1.0 - s)).ln(),
        )
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

/// Projects one lon/lat position to (fractional) tile units of `coord` for an
/// `extent`-unit tile: the tile covers `0..extent` on both axes, y pointing
/// south. For many points build a [`TileTransform`] once instead.
pub fn lonlat_to_tile_px(lon: f64, lat: f64, coord: TileCoord, extent: u32) -> (f64, f64) {
    TileTransform::new(coord, extent).project(lon, lat)
}
