//! gridmap's server: the HTTP API ([`api::app`]), the tiles it serves from
//! the Atlas, accounts and permissions ([`auth`]), HTTP limits and security
//! headers ([`limits`]), and the first-start sample load. The `gridmap` binary
//! (`main.rs`) is the command line around it.

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod coverage;
pub mod error;
pub mod fonts;
pub mod limits;
pub mod plans;
pub mod qr;
pub mod remote;
pub mod state;
pub mod tiles;
pub mod web;
