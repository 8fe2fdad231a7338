//! `GET /health`: version, counts and tile-cache usage.

use axum::Json;
use axum::extract::State;
use gridmap_data::model::Counts;
use serde::Serialize;

use crate::state::AppState;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    backend: &'static str,
    snapshot: u64,
    counts: Counts,
    tile_cache: TileCacheUsage,
}

#[derive(Serialize)]
struct TileCacheUsage {
    entries: usize,
    bytes: usize,
    budget: usize,
}

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
