//! gridmap's server: the HTTP API ([`api::app`]), the tiles it serves from
//! the Atlas, and the first-start sample load. The `gridmap` binary
//! (`main.rs`) is the command line around it.

pub mod api;
pub mod bootstrap;
pub mod error;
pub mod fonts;
pub mod qr;
pub mod state;
pub mod tiles;
pub mod web;
