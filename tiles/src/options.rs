//! Encoding options.

use crate::coord::TileCoord;
use crate::error::TileError;

/// Largest accepted [`TileOptions::extent`].
pub const MAX_EXTENT: u32 = 1 << 16;
/// Largest accepted [`TileOptions::buffer`].
pub const MAX_BUFFER: u32 = 1 << 16;

/// How a tile is encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileOptions {
    /// Tile units along one side of the tile (MVT `extent`). Default 4096.
    pub extent: u32,
    /// Tile units kept around the tile on every side, so that lines and
    /// polygon edges render seamlessly across tile borders. Default 64.
    pub buffer: u32,
    /// Douglas–Peucker tolerance in tile units (geojson-vt style: the same
    /// number at every zoom means coarser geometry at low zooms). Polygon
    /// rings smaller than `tolerance²` are dropped. `0` disables
    /// simplification. Default 3.
    pub tolerance: f64,
}

impl Default for TileOptions {
    fn default() -> Self {
        Self {
            extent: 4096,
            buffer: 64,
            tolerance: 3.0,
        }
    }
}

impl TileOptions {
    /// Checks the ranges: `1 <= extent <= MAX_EXTENT`, `buffer <= MAX_BUFFER`,
    /// `tolerance` finite and `>= 0`.
    ///
    /// # Errors
    /// [`TileError::InvalidOptions`] naming the offending field.
    pub fn validate(&self) -> Result<(), TileError> {
        if self.extent == 0 || self.extent > MAX_EXTENT {
            return Err(TileError::InvalidOptions("extent must be in 1..=65536"));
        }
        if self.buffer > MAX_BUFFER {
            return Err(TileError::InvalidOptions("buffer must be at most 65536"));
        }
        if !self.tolerance.is_finite() || self.tolerance < 0.0 {
            return Err(TileError::InvalidOptions(
                "tolerance must be finite and not negative",
            ));
        }
        Ok(())
    }

    /// The simplification tolerance of this tile expressed in degrees,
    /// `(longitude, latitude)`, near latitude `lat`.
    ///
    /// Callers can pre-filter with it: a polygon whose bbox is smaller than
    /// this on both axes is dropped by the encoder (its area is below
    /// `tolerance²`), so it need not be fetched or passed in. `(0, 0)` when
    /// the tolerance is 0.
    pub fn tolerance_degrees(&self, coord: TileCoord, lat: f64) -> (f64, f64) {
        let lon = self.tolerance * coord.degrees_per_unit(self.extent);
        let lat = lat.clamp(-crate::MAX_LATITUDE, crate::MAX_LATITUDE);
        (lon, lon * lat.to_radians().cos())
    }
}
