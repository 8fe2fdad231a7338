//! The walking-coverage snapshot held beside the [`Atlas`]: the walk graph
//! and the default coverage (all tiers, 1.1 m/s, no cut-off) of one atlas
//! version, built once on a blocking task.
//!
//! [`CoverageCache::start`] begins a build for a new atlas (called after
//! every reload, so station or street changes are recomputed);
//! [`CoverageCache::get`] returns the snapshot of the current atlas — on a
//! small dataset it waits for the build, on a large one it answers
//! [`SnapshotError::Pending`] (`coverage_pending`) until the build is done, so requests and snapshot
//! swaps never block on the graph build (~10 s for a million buildings).
//! Other speeds and tiers run [`coverage`] on the cached graph and keep the
//! last few results.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use geo::MultiPolygon;
use gridmap_analysis::coverage::{
    Band, CoverageError, CoverageOptions, CoverageResult, DEFAULT_SPEED_M_S, GraphOptions,
    IsochroneOptions, WalkGraph, coverage, isochrone,
};
use gridmap_data::Atlas;
use gridmap_data::model::{Id, StationTier};
use tokio::sync::OnceCell;

/// Why the snapshot of the current atlas cannot be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The build is running (large data); retry shortly.
    #[error("the walking coverage of the current data is being computed; retry shortly")]
    Pending,
    /// The build failed.
    #[error("the coverage analysis could not be built: {0}")]
    Failed(String),
}

impl SnapshotError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::Pending => "coverage_pending",
            SnapshotError::Failed(_) => "coverage_failed",
        }
    }
}

/// Up to this many buildings a request waits for the snapshot build
/// instead of answering `coverage_pending`.
pub const WAIT_MAX_BUILDINGS: usize = 50_000;

/// How many non-default results (speed × tiers) a snapshot keeps.
const RESULT_CACHE: usize = 8;
/// How many isochrones (station × minutes × speed) a snapshot keeps.
const ISOCHRONE_CACHE: usize = 64;

/// An isochrone's cache key: station, minutes and speed (as bits).
type IsoKey = (Id, u64, u64);

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
    isochrones: Mutex<Vec<(IsoKey, Arc<MultiPolygon<f64>>)>>,
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
            isochrones: Mutex::new(Vec::new()),
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

impl CoverageSnapshot {
    /// The area within `minutes` of a station (default drawing options at
    /// this speed), cached: the GeoJSON route and every tile of the
    /// isochrone layer share one computation.
    pub fn isochrone(
        &self,
        station: Id,
        minutes: f64,
        speed_m_s: f64,
    ) -> Result<Arc<MultiPolygon<f64>>, CoverageError> {
        let key = (station, minutes.to_bits(), speed_m_s.to_bits());
        if let Some(hit) = self
            .isochrones
            .lock()
            .ok()
            .and_then(|c| c.iter().find(|(k, _)| *k == key).map(|(_, a)| a.clone()))
        {
            return Ok(hit);
        }
        let options = IsochroneOptions {
            speed_m_s,
            ..IsochroneOptions::default()
        };
        let area = Arc::new(isochrone(&self.graph, station, minutes, &options)?);
        if let Ok(mut c) = self.isochrones.lock() {
            if c.len() >= ISOCHRONE_CACHE {
                c.remove(0);
            }
            c.push((key, area.clone()));
        }
        Ok(area)
    }
}

/// One snapshot build per atlas version, shared by every request.
pub struct CoverageCache {
    slot: Mutex<Option<(u64, Cell)>>,
    /// Requests wait for the build up to this many buildings.
    wait_max_buildings: usize,
    /// The version whose background build was last started (one task per
    /// version, however many requests find it pending).
    started: AtomicU64,
}

impl Default for CoverageCache {
    fn default() -> Self {
        Self::new()
    }
}

impl CoverageCache {
    pub fn new() -> Self {
        Self::with_wait_max(WAIT_MAX_BUILDINGS)
    }

    /// A cache whose requests wait for builds only up to this many buildings.
    pub fn with_wait_max(wait_max_buildings: usize) -> Self {
        CoverageCache {
            slot: Mutex::new(None),
            wait_max_buildings,
            started: AtomicU64::new(u64::MAX),
        }
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
        let version = atlas.version();
        let cell = self.cell_for(version);
        if cell.initialized() || self.started.swap(version, Ordering::AcqRel) == version {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                Self::init(&cell, atlas).await;
            });
        }
    }

    /// The snapshot of this atlas: ready, or built now for small data, else
    /// [`SnapshotError::Pending`] (the build continues in the background).
    pub async fn get(&self, atlas: Arc<Atlas>) -> Result<Arc<CoverageSnapshot>, SnapshotError> {
        let cell = self.cell_for(atlas.version());
        let ready = match cell.get() {
            Some(r) => r,
            None if atlas.data().buildings.len() <= self.wait_max_buildings => {
                Self::init(&cell, atlas).await
            }
            None => {
                self.start(atlas);
                return Err(SnapshotError::Pending);
            }
        };
        ready.clone().map_err(SnapshotError::Failed)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn atlas(version: u64) -> Arc<Atlas> {
        Arc::new(Atlas::build(gridmap_data::synth::city(400, 7), version))
    }

    #[tokio::test]
    async fn small_data_waits_and_large_data_is_pending_until_built() {
        let small = CoverageCache::new();
        let a = atlas(1);
        let snap = small.get(a.clone()).await.expect("built on demand");
        assert_eq!(snap.version(), 1);
        assert_eq!(snap.default.buildings.len(), a.data().buildings.len());
        // The same version is served from the cache (same allocation).
        assert!(Arc::ptr_eq(&snap, &small.get(a.clone()).await.unwrap()));

        let large = CoverageCache::with_wait_max(0);
        let e = match large.get(a.clone()).await {
            Err(e) => e,
            Ok(_) => panic!("a build cannot be ready before it started"),
        };
        assert_eq!(e, SnapshotError::Pending);
        assert_eq!(e.code(), "coverage_pending");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while large.ready(&a).is_none() {
            assert!(std::time::Instant::now() < deadline, "never built");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(large.get(a.clone()).await.is_ok());
        // A new version is a new build: pending again, the old one not served.
        let b = atlas(2);
        assert!(large.ready(&b).is_none());
        assert_eq!(
            large.get(b).await.err().map(|e| e.code()),
            Some("coverage_pending")
        );
    }

    #[test]
    fn results_are_cached_by_speed_and_tiers() {
        let snap = CoverageSnapshot::build(atlas(3)).unwrap();
        let default = snap
            .result(&ResultKey::new(DEFAULT_SPEED_M_S, None))
            .unwrap();
        assert!(Arc::ptr_eq(&default, &snap.default));
        // All three tiers is the default too.
        let all = ResultKey::new(
            DEFAULT_SPEED_M_S,
            Some(vec![
                StationTier::Point,
                StationTier::Centre,
                StationTier::Station,
            ]),
        );
        assert!(Arc::ptr_eq(&snap.result(&all).unwrap(), &snap.default));
        let slow = ResultKey::new(0.8, None);
        let a = snap.result(&slow).unwrap();
        assert!(Arc::ptr_eq(&a, &snap.result(&slow).unwrap()));
        assert_eq!(a.speed_m_s, 0.8);
        // Slower walking: every reached building takes at least as long.
        for (x, y) in a.buildings.iter().zip(&snap.default.buildings) {
            if let (Some(mx), Some(my)) = (x.minutes, y.minutes) {
                assert!(mx + 1e-9 >= my);
            }
        }
        assert!(snap.result(&ResultKey::new(-1.0, None)).is_err());
    }

    #[test]
    fn bands_end_at_the_minutes_asked() {
        let m = |v: Vec<Band>| v.iter().map(|b| b.minutes).collect::<Vec<_>>();
        assert_eq!(m(bands(15.0, 1.1)), vec![5.0, 10.0, 15.0]);
        assert_eq!(m(bands(20.0, 1.1)), vec![5.0, 10.0, 15.0, 20.0]);
        assert_eq!(m(bands(8.0, 1.1)), vec![5.0, 8.0]);
        assert_eq!(m(bands(3.0, 1.1)), vec![3.0]);
    }
}
