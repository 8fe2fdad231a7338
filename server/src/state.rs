//! Shared server state: the store and the current Atlas snapshot.

use std::sync::Arc;

use arc_swap::ArcSwap;
use gridmap_data::Atlas;
use gridmap_data::store::Store;

use crate::auth::{AuthConfig, AuthState};
use crate::coverage::CoverageCache;
use crate::fonts::Glyphs;
use crate::limits::{LimitsConfig, LimitsState};
use crate::tiles::cache::TileCache;
use crate::tiles::prepared::PreparedTiles;

/// What every handler sees: one shared [`Shared`]. Cloning it (every
/// middleware layer and handler does, per request) is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The server's shared parts (see [`AppState`]).
#[derive(Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    atlas: Arc<ArcSwap<Atlas>>,
    /// Encoded tiles, keyed by snapshot version.
    pub tiles: Arc<TileCache>,
    /// The snapshot's line and polygon geometry prepared per zoom, for
    /// rendering tiles.
    pub prepared: Arc<PreparedTiles>,
    /// The store's identity and this build's version: with the snapshot's
    /// data version it makes the tile ETag, so every server over one
    /// database gives the same tile the same ETag, and a different store or
    /// a new release never matches an old one.
    pub instance: Arc<str>,
    /// Map-label glyph ranges from the embedded fonts.
    pub fonts: Arc<Glyphs>,
    /// Session settings.
    pub auth: Arc<AuthState>,
    /// `serve --public-url`: the origin every absolute URL the server writes
    /// starts with (TileJSON, style, QR codes); else the request's Host.
    pub public_url: Option<Arc<str>>,
    /// HTTP limits and the per-address rate limiter.
    pub limits: Arc<LimitsState>,
    /// The walking-coverage snapshot of the current atlas.
    pub coverage: Arc<CoverageCache>,
    /// Each community's household range, for grid rule status in private tiles.
    household_limits: Arc<ArcSwap<HouseholdLimits>>,
}

/// Household ranges (min, max) per community as of one data version;
/// communities without stored rules use the defaults (BRIEF §3).
#[derive(Debug, Default)]
pub struct HouseholdLimits {
    pub version: Option<u64>,
    pub by_community: std::collections::HashMap<gridmap_data::model::Id, (u64, u64)>,
    pub default: (u64, u64),
}

impl HouseholdLimits {
    /// The household ranges as the store holds them now (no version):
    /// each community's rules, the defaults for the rest. Unreadable rules
    /// fall back to the defaults with a warning.
    pub async fn read(store: &dyn Store) -> gridmap_data::Result<HouseholdLimits> {
        let defaults = gridmap_analysis::planning::Rules::default();
        let mut limits = HouseholdLimits {
            version: None,
            by_community: Default::default(),
            default: (defaults.min_households, defaults.max_households),
        };
        for (community, json) in store.all_community_rules().await? {
            match serde_json::from_str::<gridmap_analysis::planning::Rules>(&json) {
                Ok(r) => {
                    limits
                        .by_community
                        .insert(community, (r.min_households, r.max_households));
                }
                Err(e) => {
                    tracing::warn!(community, error = %e, "unreadable community rules; using defaults")
                }
            }
        }
        Ok(limits)
    }

    pub fn of(&self, community: gridmap_data::model::Id) -> (u64, u64) {
        self.by_community
            .get(&community)
            .copied()
            .unwrap_or(self.default)
    }
}

/// Default memory budget of prepared tile geometry (`serve --tile-geometry-mb`).
pub const DEFAULT_TILE_GEOMETRY_BYTES: usize = 64 << 20;

impl AppState {
    /// The prepared tile geometry's memory budget in bytes (0 turns it off).
    pub fn with_tile_geometry_budget(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.0).prepared = Arc::new(PreparedTiles::new(bytes));
        self
    }

    /// `tile_cache_bytes` = 0 turns the tile cache off.
    pub fn new(
        store: Arc<dyn Store>,
        store_id: &str,
        atlas: Atlas,
        tile_cache_bytes: usize,
    ) -> Self {
        AppState(Arc::new(Shared {
            store,
            atlas: Arc::new(ArcSwap::from_pointee(atlas)),
            tiles: Arc::new(TileCache::new(tile_cache_bytes)),
            prepared: Arc::new(PreparedTiles::new(DEFAULT_TILE_GEOMETRY_BYTES)),
            instance: format!("{store_id}-{}", env!("CARGO_PKG_VERSION")).into(),
            fonts: Arc::new(Glyphs::new()),
            auth: Arc::new(AuthState::new(AuthConfig::default())),
            public_url: None,
            limits: Arc::new(LimitsState::new(LimitsConfig::default())),
            coverage: Arc::new(CoverageCache::new()),
            household_limits: Arc::new(ArcSwap::from_pointee(HouseholdLimits::default())),
        }))
    }

    /// The household ranges as of the current snapshot, read from the store
    /// again only when the data version moved.
    pub async fn household_limits(&self) -> gridmap_data::Result<Arc<HouseholdLimits>> {
        let version = self.atlas.load().version();
        let cached = self.household_limits.load_full();
        if cached.version == Some(version) {
            return Ok(cached);
        }
        let mut limits = HouseholdLimits::read(self.store.as_ref()).await?;
        limits.version = Some(version);
        let limits = Arc::new(limits);
        self.household_limits.store(limits.clone());
        Ok(limits)
    }

    /// Load the store into a fresh snapshot whose version is the store's
    /// data version (read first: a write racing the load only makes the
    /// next check reload again).
    pub async fn load_atlas(store: &dyn Store) -> gridmap_data::Result<Atlas> {
        gridmap_service::load_atlas(store).await
    }

    /// Replace the default auth and limit settings.
    /// Absolute URLs start with this origin (`serve --public-url`).
    pub fn with_public_url(mut self, url: Option<Arc<str>>) -> Self {
        Arc::make_mut(&mut self.0).public_url = url;
        self
    }

    /// The origin of absolute URLs in responses: `--public-url` when set,
    /// else `http://` and the request's Host.
    pub fn origin(&self, headers: &axum::http::HeaderMap) -> String {
        match &self.public_url {
            Some(url) => url.to_string(),
            None => crate::api::style::base_url(headers),
        }
    }

    pub fn with_config(mut self, auth: AuthConfig, limits: LimitsConfig) -> Self {
        let shared = Arc::make_mut(&mut self.0);
        shared.auth = Arc::new(AuthState::new(auth));
        shared.limits = Arc::new(LimitsState::new(limits));
        self
    }

    /// The current snapshot; readers hold it without locks.
    pub fn atlas(&self) -> Arc<Atlas> {
        self.atlas.load_full()
    }

    /// Rebuild the snapshot from the store and swap it in atomically.
    pub async fn reload(&self) -> gridmap_data::Result<Arc<Atlas>> {
        let atlas = Arc::new(Self::load_atlas(self.store.as_ref()).await?);
        self.atlas.store(atlas.clone());
        // Entries are keyed by version, so this only frees memory early.
        self.tiles.clear();
        // Stations or streets may have changed: recompute in the background.
        self.coverage.start(atlas.clone());
        Ok(atlas)
    }

    /// Reload when the store has moved past the snapshot (a write through
    /// another server or the CLI). Returns the new snapshot if it reloaded.
    pub async fn reload_if_changed(&self) -> gridmap_data::Result<Option<Arc<Atlas>>> {
        if self.store.data_version().await? == self.atlas.load().version() {
            return Ok(None);
        }
        self.reload().await.map(Some)
    }
}
