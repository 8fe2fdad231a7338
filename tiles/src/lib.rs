//! Mapbox Vector Tile (MVT 2.1) encoding for gridmap.
//!
//! This crate turns WGS84 geometries into tile-local, clipped, simplified,
//! correctly wound and protobuf-encoded vector tiles. It must not know about
//! HTTP, the store or the domain model: callers hand it layers of features.
//!
//! Per feature the pipeline is:
//! 1. project lon/lat to Web Mercator tile units ([`TileTransform`], built
//!    once per tile);
//! 2. compare the bbox with the buffered tile: outside → dropped, inside →
//!    no clipping at all (the common case), crossing → clipped;
//! 3. clip lines (Liang–Barsky, into several parts) and rings
//!    (Sutherland–Hodgman) to the buffered tile, so that big features cost
//!    little beyond their clipping;
//! 4. simplify with Douglas–Peucker in tile units
//!    ([`TileOptions::tolerance`]), dropping rings that collapse or whose
//!    area is below `tolerance²`;
//! 5. snap to the integer grid, dropping repeated points, and rings with
//!    fewer than 3 points or no area; orient exteriors with positive and holes
//!    with negative shoelace area (y down);
//! 6. polygons that were clipped, or that a cheap check does not prove
//!    valid, are rebuilt with an integer overlay (i_overlay, OGC mode), so
//!    every written polygon is valid;
//! 7. write MoveTo/LineTo/ClosePath commands and the protobuf.
//!
//! Steps 1, 4, 5 and 6 depend only on the zoom, not on the tile: a
//! [`Preparer`] does them once per feature and zoom, and
//! [`LayerBuilder::add_prepared`] then copies or clips the result into each
//! tile of that zoom.
//!
//! ```
//! use gridmap_tiles::{TileBuilder, TileCoord, TileOptions, Value};
//! use geo::{Geometry, polygon};
//!
//! // The z14 tile over central Nanjing.
//! let coord = TileCoord::new(14, 13597, 6651)?;
//! let mut tile = TileBuilder::new(coord, TileOptions::default())?;
//! let building = polygon![
//!     (x: 118.7800, y: 32.0400), (x: 118.7805, y: 32.0400),
//!     (x: 118.7805, y: 32.0404), (x: 118.7800, y: 32.0404),
//! ];
//! let written = tile
//!     .layer("buildings")
//!     .add(1, &Geometry::Polygon(building), &[("floors", Value::Int(6))]);
//! assert!(written);
//! let mvt: Vec<u8> = tile.encode();
//! # assert!(!mvt.is_empty());
//! # Ok::<(), gridmap_tiles::TileError>(())
//! ```

#![warn(missing_docs)]

mod builder;
mod clip;
mod coord;
mod encode;
mod error;
mod feature;
mod options;
mod prepared;
mod repair;
mod ring;
mod shape;
mod simplify;
mod value;

pub use builder::{LayerBuilder, TileBuilder};
pub use coord::{MAX_LATITUDE, MAX_ZOOM, TileCoord, TileTransform, lonlat_to_tile_px};
pub use error::TileError;
pub use options::{MAX_BUFFER, MAX_EXTENT, TileOptions};
pub use prepared::{Prepared, Preparer};
pub use shape::Shape;
pub use value::Value;
