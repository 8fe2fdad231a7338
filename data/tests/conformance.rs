#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The store conformance suite: every check runs unchanged against the
//! SQLite store and the PostGIS store (one test binary, ripgrep style).
//!
//! PostGIS runs when `GRIDMAP_TEST_PG` names a database URL whose user may
//! create databases (each test gets a fresh one); `GRIDMAP_REQUIRE_PG=1`
//! (set by CI) turns a missing PostGIS into a failure instead of a skip.

mod conformance {
    pub mod accounts;
    pub mod backend;
    pub mod migrate;
    pub mod osm_update;
    pub mod plans;
    pub mod store;
}
