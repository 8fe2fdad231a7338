#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Black-box tests: they start the real `gridmap` binary on a temporary
//! store and talk to it over HTTP and the command line.

mod auth;
mod cli;
mod compliance;
mod coverage;
mod crash;
mod fonts;
mod harness;
mod http_api;
mod limits;
mod multi;
mod plan_integrity;
mod plans;
mod public;
mod tiles;
mod web;
