//! Vector tiles: which features go in which layer, and the per-zoom
//! prepared geometry, are gridmap-service's (`gridmap_service::tiles`,
//! re-exported here); the byte-bounded cache of encoded tiles served over
//! HTTP is the server's ([`cache`]).

pub mod cache;

pub use gridmap_service::tiles::*;
