//! The walking-coverage snapshot held beside the [`Atlas`]: the walk graph
//! and the default coverage (all tiers, 1.1 m/s, no cut-off) of one atlas
//! version, built once on a blocking task.
//!
//! [`CoverageCache::start`] begins a build for a new atlas (called after
//! every reload, so station or street changes are recomputed);
//! [`CoverageCache::get`] returns the snapshot of the current atlas — on a
//! small dataset it waits for the build, on a large one it answers 503
//! `coverage_pending` until the build is done, so requests and snapshot
//! swaps never block on the graph build (~10 s for a million buildings).
//! Other speeds and tiers run [`coverage`] on the cached graph and keep the
//! last few results.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use gridmap_analysis::coverage::{
    Band, CoverageError, CoverageOptions, CoverageResult, DEFAULT_SPEED_M_S, GraphOptions,
    WalkGraph, coverage,
};
use gridmap_data::Atlas;
use gridmap_data::model::StationTier;
use tokio::sync::OnceCell;

use crate::error::ApiError;

/// Up to this many buildings a request waits for the snapshot build
/// instead of answering `coverage_pending`.
pub const WAIT_MAX_BUILDINGS: usize = 50_000;

/// How many non-default results (speed × tiers) a snapshot keeps.
const RESULT_CACHE: usize = 8;

/// Which stations count and how fast people walk.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultKey {
    pub speed_m_s: f64,
    /// Sorted, deduplicated; `None` = every tier.
    pub tiers: Option<Vec<StationTier>>,
}

impl ResultKey {
    /// Normalise: all three tiers is the same as none given.
    pub fn new(speed_m_s: f64, tiers: Option<Vec<StationTier>>) -> ResultKey {
        let tiers = tiers.and_then(|mut t| {
            t.sort_by_key(|t| t.as_str());
            t.dedup();
            (t.len() < 3).then_some(t)
        });
        ResultKey { speed_m_s, tiers }
    }

    fn default_key() -> ResultKey {
        ResultKey::new(DEFAULT_SPEED_M_S, None)
    }

    fn options(&self) -> CoverageOptions {
        CoverageOptions {
            speed_m_s: self.speed_m_s,
            tiers: self.tiers.clone(),
            ..CoverageOptions::default()
        }
    }
}

/// The graph and default coverage of one atlas version.
pub struct CoverageSnapshot {
    pub atlas: Arc<Atlas>,
    pub graph: WalkGraph,
    pub default: Arc<CoverageResult>,
    results: Mutex<Vec<(ResultKey, Arc<CoverageResult>)>>,
}

impl CoverageSnapshot {
    /// Build the graph and the default coverage (blocking: seconds on a
    /// city; call from a blocking task).
    pub fn build(atlas: Arc<Atlas>) -> Result<CoverageSnapshot, CoverageError> {
        let graph = WalkGraph::build(atlas.data(), &GraphOptions::default())?;
        let default = Arc::new(coverage(&graph, &ResultKey::default_key().options())?);
        Ok(CoverageSnapshot {
            atlas,
            graph,
            default,
            results: Mutex::new(Vec::new()),
        })
    }

    /// The atlas version this snapshot was computed on.
    pub fn version(&self) -> u64 {
        self.atlas.version()
    }

    /// The coverage for these parameters: the default, a cached one, or a
    /// fresh run on the cached graph (blocking: ~0.4 s on a million
    /// buildings).
    pub fn result(&self, key: &ResultKey) -> Result<Arc<CoverageResult>, CoverageError> {
        if *key == ResultKey::default_key() {
            return Ok(self.default.clone());
        }
        if let Some(hit) = self
            .results
            .lock()
            .ok()
            .and_then(|r| r.iter().find(|(k, _)| k == key).map(|(_, r)| r.clone()))
        {
            return Ok(hit);
        }
        let fresh = Arc::new(coverage(&self.graph, &key.options())?);
        if let Ok(mut r) = self.results.lock() {
            if r.len() >= RESULT_CACHE {
                r.remove(0);
            }
            r.push((key.clone(), fresh.clone()));
        }
        Ok(fresh)
    }
}

type Cell = Arc<OnceCell<Result<Arc<CoverageSnapshot>, String>>>;

/// One snapshot build per atlas version, shared by every request.
#[derive(Default)]
pub struct CoverageCache {
    slot: Mutex<Option<(u64, Cell)>>,
}

impl CoverageCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn cell_for(&self, version: u64) -> Cell {
        let Ok(mut slot) = self.slot.lock() else {
            // A poisoned lock only loses sharing: build on a private cell.
            return Arc::new(OnceCell::new());
        };
        match slot.as_ref() {
            Some((v, cell)) if *v == version => cell.clone(),
            _ => {
                let cell: Cell = Arc::new(OnceCell::new());
                *slot = Some((version, cell.clone()));
                cell
            }
        }
    }

    async fn init(cell: &Cell, atlas: Arc<Atlas>) -> &Result<Arc<CoverageSnapshot>, String> {
        cell.get_or_init(|| async move {
            let version = atlas.version();
            let built = tokio::task::spawn_blocking(move || CoverageSnapshot::build(atlas)).await;
            match built {
                Ok(Ok(s)) => {
                    tracing::info!(version, "coverage snapshot ready");
                    Ok(Arc::new(s))
                }
                Ok(Err(e)) => {
                    tracing::error!(version, error = %e, "coverage snapshot failed");
                    Err(e.to_string())
                }
                Err(e) => Err(format!("coverage build task failed: {e}")),
            }
        })
        .await
    }

    /// Begin building the snapshot of this atlas in the background (no-op
    /// when it is built or building, or outside a Tokio runtime).
    pub fn start(&self, atlas: Arc<Atlas>) {
        let cell = self.cell_for(atlas.version());
        if cell.initialized() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                Self::init(&cell, atlas).await;
            });
        }
    }

    /// The snapshot of this atlas: ready, or built now for small data, else
    /// 503 `coverage_pending` (the build continues in the background).
    pub async fn get(&self, atlas: Arc<Atlas>) -> Result<Arc<CoverageSnapshot>, ApiError> {
        let cell = self.cell_for(atlas.version());
        let ready = match cell.get() {
            Some(r) => r,
            None if atlas.data().buildings.len() <= WAIT_MAX_BUILDINGS => {
                Self::init(&cell, atlas).await
            }
            None => {
                self.start(atlas);
                return Err(pending());
            }
        };
        ready.clone().map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "coverage_failed",
                format!("the coverage analysis could not be built: {e}"),
            )
        })
    }

    /// The snapshot of this atlas if it is already built (never waits).
    pub fn ready(&self, atlas: &Atlas) -> Option<Arc<CoverageSnapshot>> {
        let slot = self.slot.lock().ok()?;
        let (version, cell) = slot.as_ref()?;
        if *version != atlas.version() {
            return None;
        }
        cell.get().and_then(|r| r.as_ref().ok().cloned())
    }
}

/// The roll-up bands for a walk of `minutes`: 5/10/15 below it, and
/// `minutes` itself.
pub fn bands(minutes: f64, speed_m_s: f64) -> Vec<Band> {
    let mut bands: Vec<Band> = Band::life_circles(speed_m_s)
        .into_iter()
        .filter(|b| b.minutes < minutes)
        .collect();
    bands.push(Band::from_minutes(minutes, speed_m_s));
    bands
}

/// 503 while the snapshot of the current data is being built.
pub fn pending() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "coverage_pending",
        "the walking coverage of the current data is being computed; retry shortly",
    )
}
