//! gridmap's server: the HTTP API ([`api::app`]), sessions and the
//! `Principal` extractor ([`auth`]), HTTP limits and security headers
//! ([`limits`]), JSON errors ([`error`]: the one place service errors get
//! their HTTP status) and the tile cache. The service layer it shares with
//! the CLI is gridmap-service, re-exported here under its module names. The
//! `gridmap` binary (`main.rs`, `cli/`) is the command line around both.

pub mod api;
pub mod auth;
pub mod error;
pub mod limits;
pub mod remote;
pub mod state;
pub mod tiles;
pub mod web;

pub use gridmap_service::{bootstrap, coverage, fonts, plans, qr};
