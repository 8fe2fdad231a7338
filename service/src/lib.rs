//! gridmap's service layer: what the HTTP API (gridmap-server's `api/`) and
//! the `gridmap` command line share, with no HTTP in it (no axum, no status
//! codes). Errors are enums saying what happened ([`plans::PlanError`],
//! [`coverage::SnapshotError`], [`qr::QrError`]) with stable machine codes;
//! the server maps them to HTTP in one place.
//!
//! - [`plans`]: plan load, edit, history, publish and rebase, and
//!   [`Workspace`] (a plan at a version with its community's rules and input).
//! - [`coverage`]: the walking-coverage snapshot kept beside the Atlas.
//! - [`tiles`]: which Atlas features go in which tile layer at which zoom,
//!   and per-zoom prepared geometry.
//! - [`fonts`]: SDF glyph ranges from the embedded DejaVu fonts.
//! - [`qr`]: QR codes for building pages.
//! - [`bootstrap`]: the first-start sample load.
//! - [`auth`]: passwords, secrets and tokens, the login lockout and the
//!   permission matrix.

pub mod auth;
pub mod bootstrap;
pub mod coverage;
pub mod fonts;
pub mod plans;
pub mod qr;
pub mod tiles;

pub use plans::{CommunityWork, PlanError, Workspace};

use gridmap_data::Atlas;
use gridmap_data::store::Store;

/// Load the store into a fresh snapshot whose version is the store's
/// data version (read first: a write racing the load only makes the
/// next check reload again).
pub async fn load_atlas(store: &dyn Store) -> gridmap_data::Result<Atlas> {
    let version = store.data_version().await?;
    let data = store.load().await?;
    tokio::task::spawn_blocking(move || Atlas::build(data, version))
        .await
        .map_err(|e| gridmap_data::DataError::Cancelled(format!("index build failed: {e}")))
}
