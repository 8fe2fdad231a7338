//! gridmap's data layer: the domain model (street office → community → grid
//! → building, stations, people), the stores that persist it (SQLite by
//! default, PostGIS later, both behind [`store::Store`]), the importers (OSM
//! XML/PBF, GeoJSON, household CSV) and the in-memory spatial index
//! ([`Atlas`]).
//!
//! It must not know about HTTP, tiles or the analyses built on top of it.

pub mod atlas;
pub mod error;
pub mod estimate;
pub mod import;
pub mod limits;
pub mod model;
pub mod sample;
pub mod store;
pub mod synth;

pub use atlas::Atlas;
pub use error::{DataError, Result};
