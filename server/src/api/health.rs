//! `GET /health`: version, counts and tile-cache usage.

use axum::Json;
use axum::extract::State;
use gridmap_data::model::Counts;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Liveness, what the snapshot holds and the tile cache's use.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    status: &'static str,
    version: &'static str,
    backend: &'static str,
    snapshot: u64,
    counts: Counts,
    tile_cache: TileCacheUsage,
}

#[derive(Serialize, ToSchema)]
struct TileCacheUsage {
    entries: usize,
    bytes: usize,
    budget: usize,
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    summary = "Liveness and what the store holds.",
    responses((status = 200, description = "OK", body = Health)),
)]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let atlas = state.atlas();
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        backend: state.store.backend(),
        snapshot: atlas.version(),
        counts: atlas.counts(),
        tile_cache: {
            let (entries, bytes) = state.tiles.usage();
            TileCacheUsage {
                entries,
                bytes,
                budget: state.tiles.budget(),
            }
        },
    })
}
