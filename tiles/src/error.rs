//! Error type of the crate.

use thiserror::Error;

/// Errors reported by this crate. Encoding itself never fails: only bad
/// tile addresses and bad options are rejected, up front.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TileError {
    /// The zoom level is above [`crate::MAX_ZOOM`].
    #[error("zoom {z} is above the maximum zoom {max}", max = crate::MAX_ZOOM)]
    ZoomTooLarge {
        /// The requested zoom.
        z: u8,
    },
    /// `x` or `y` is not below `2^z`.
    #[error("tile {z}/{x}/{y} is outside the tile grid of zoom {z}")]
    OutOfRange {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
    /// A [`crate::TileOptions`] field is outside its allowed range.
    #[error("invalid tile options: {0}")]
    InvalidOptions(&'static str),
}
