//! Shared server state: the store and the current Atlas snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;
use gridmap_data::Atlas;
use gridmap_data::store::Store;

use crate::auth::{AuthConfig, AuthState};
use crate::fonts::Glyphs;
use crate::limits::{LimitsConfig, LimitsState};
use crate::tiles::cache::TileCache;

/// What every handler sees. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    atlas: Arc<ArcSwap<Atlas>>,
    /// Encoded tiles, keyed by snapshot version.
    pub tiles: Arc<TileCache>,
    /// Unique per server start; part of every tile ETag, because snapshot
    /// versions restart at 1 and the data may have changed in between.
    pub instance: Arc<str>,
    /// Map-label glyph ranges from the embedded fonts.
    pub fonts: Arc<Glyphs>,
    /// Session settings and the failed-login limiter.
    pub auth: Arc<AuthState>,
    /// HTTP limits and the per-address rate limiter.
    pub limits: Arc<LimitsState>,
}

impl AppState {
    /// `tile_cache_bytes` = 0 turns the tile cache off.
    pub fn new(store: Arc<dyn Store>, atlas: Atlas, tile_cache_bytes: usize) -> Self {
        AppState {
            store,
            atlas: Arc::new(ArcSwap::from_pointee(atlas)),
            tiles: Arc::new(TileCache::new(tile_cache_bytes)),
            instance: instance_id().into(),
            fonts: Arc::new(Glyphs::new()),
            auth: Arc::new(AuthState::new(AuthConfig::default())),
            limits: Arc::new(LimitsState::new(LimitsConfig::default())),
        }
    }

    /// Replace the default auth and limit settings.
    pub fn with_config(mut self, auth: AuthConfig, limits: LimitsConfig) -> Self {
        self.auth = Arc::new(AuthState::new(auth));
        self.limits = Arc::new(LimitsState::new(limits));
        self
    }

    /// The current snapshot; readers hold it without locks.
    pub fn atlas(&self) -> Arc<Atlas> {
        self.atlas.load_full()
    }

    /// Rebuild the snapshot from the store and swap it in atomically.
    pub async fn reload(&self) -> gridmap_data::Result<Arc<Atlas>> {
        let data = self.store.load().await?;
        let version = self.atlas.load().version() + 1;
        let atlas = tokio::task::spawn_blocking(move || Atlas::build(data, version))
            .await
            .map_err(|e| gridmap_data::DataError::Cancelled(format!("index build failed: {e}")))?;
        let atlas = Arc::new(atlas);
        self.atlas.store(atlas.clone());
        // Entries are keyed by version, so this only frees memory early.
        self.tiles.clear();
        Ok(atlas)
    }
}

/// Start time in nanoseconds and the process id, as hex.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}
