//! Shared server state: the store and the current Atlas snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;
use gridmap_data::Atlas;
use gridmap_data::store::Store;

/// What every handler sees. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    atlas: Arc<ArcSwap<Atlas>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, atlas: Atlas) -> Self {
        AppState {
            store,
            atlas: Arc::new(ArcSwap::from_pointee(atlas)),
        }
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
        Ok(atlas)
    }
}
