//! Mapbox Vector Tile (MVT 2.1) encoding for gridmap.
//!
//! This crate turns WGS84 geometries into tile-local, clipped, simplified,
//! correctly wound and protobuf-encoded vector tiles. It must not know about
//! HTTP, the store or the domain model: callers hand it layers of features.
