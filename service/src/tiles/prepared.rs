//! Tile geometry of the current snapshot, prepared once per zoom.
//!
//! For each zoom a tile is asked at, a background thread projects,
//! simplifies, snaps, winds and checks every line and polygon the base and
//! coverage tiles draw at that zoom ([`gridmap_tiles::Preparer`]). Tiles
//! then copy a feature they hold whole and clip the prepared geometry of one
//! crossing their edge, instead of redoing that work from lon/lat for every
//! tile. Until a zoom is ready (and for zooms or snapshots over the memory
//! budget) tiles are rendered from lon/lat as before: the same features,
//! though a vertex may differ (prepared geometry is simplified and snapped
//! before it is clipped), which is why tile ETags are weak.
//!
//! One snapshot's geometry is kept: a new snapshot (after a write) starts
//! afresh, zoom by zoom as tiles are asked for. The budget
//! (`serve --tile-geometry-mb`) bounds the memory of all prepared zooms of a
//! snapshot together.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use arc_swap::ArcSwapOption;
use gridmap_data::Atlas;
use gridmap_tiles::{Prepared, Preparer, Shape, TileOptions};

use super::tile_index::TileIndex;
use super::{BUILDING_POLYGON_ZOOM, MAX_DATA_ZOOM, min_zoom, road_min_zoom};

/// Zooms with prepared geometry: below, tiles are few and features mostly
/// cross them; above [`MAX_DATA_ZOOM`] clients overzoom.
pub const MIN_PREPARED_ZOOM: u8 = 10;

/// Zooms with a [`TileIndex`]. Below, tiles are few and each takes
/// milliseconds, so their R-tree queries cost little, and a large city's
/// lists (four bytes per building and zoom) are better spent on geometry.
pub const TILE_INDEX_MIN_ZOOM: u8 = 13;

/// Every line and polygon feature of one zoom, by index in the dataset;
/// `None` where a feature is not drawn at that zoom or not prepared.
#[derive(Debug, Default)]
pub struct ZoomGeometry {
    pub areas: Vec<Option<Prepared>>,
    pub roads: Vec<Option<Prepared>>,
    pub communities: Vec<Option<Prepared>>,
    pub grids: Vec<Option<Prepared>>,
    pub buildings: Vec<Option<Prepared>>,
    /// Which features meet each tile of the zoom (`None` below
    /// [`TILE_INDEX_MIN_ZOOM`] or when the data spans too many tiles:
    /// tiles then query the R-trees).
    pub index: Option<TileIndex>,
    /// Memory taken, in bytes.
    pub bytes: usize,
}

/// The prepared geometry of `list[i]`, if any.
pub fn at(list: &[Option<Prepared>], i: usize) -> Option<&Prepared> {
    list.get(i).and_then(Option::as_ref)
}

/// Bytes a zoom's geometry is expected to take
/// ([`Prepared::estimated_size`] of every feature it prepares).
fn estimate(atlas: &Atlas, z: u8) -> usize {
    let d = atlas.data();
    let size = |shape: Shape<'_>| Prepared::estimated_size(shape.vertices());
    let mut bytes: usize = d
        .areas
        .iter()
        .map(|a| size(Shape::Polygons(&a.geometry)))
        .sum();
    bytes += d
        .roads
        .iter()
        .map(|r| size(Shape::Line(&r.geometry)))
        .sum::<usize>();
    bytes += d
        .communities
        .iter()
        .map(|c| size(Shape::Polygons(&c.boundary)))
        .sum::<usize>();
    bytes += d
        .grids
        .iter()
        .map(|g| size(Shape::Polygons(&g.boundary)))
        .sum::<usize>();
    if z >= BUILDING_POLYGON_ZOOM {
        bytes += d
            .buildings
            .iter()
            .map(|b| size(Shape::Polygons(&b.footprint)))
            .sum::<usize>();
    }
    if z >= TILE_INDEX_MIN_ZOOM {
        // The tile index: most features are listed in one to four tiles
        // (its real size is counted once it is built).
        let features = d.areas.len() + d.roads.len() + d.communities.len() + d.grids.len();
        bytes += 8 * (features + d.buildings.len());
    }
    bytes
}

impl ZoomGeometry {
    /// Prepares zoom `z` of `atlas`. `None` for zooms outside
    /// [`MIN_PREPARED_ZOOM`]`..=`[`MAX_DATA_ZOOM`].
    pub fn build(atlas: &Atlas, z: u8) -> Option<ZoomGeometry> {
        if !(MIN_PREPARED_ZOOM..=MAX_DATA_ZOOM).contains(&z) {
            return None;
        }
        let mut p = Preparer::new(z, TileOptions::default()).ok()?;
        let d = atlas.data();
        let mut g = ZoomGeometry {
            areas: d
                .areas
                .iter()
                .map(|a| {
                    let layer = if a.kind == "water" {
                        "water"
                    } else {
                        "landuse"
                    };
                    (z >= min_zoom(layer))
                        .then(|| p.prepare(Shape::Polygons(&a.geometry)))
                        .flatten()
                })
                .collect(),
            roads: d
                .roads
                .iter()
                .map(|r| {
                    if z >= min_zoom("roads") && z >= road_min_zoom(&r.class) {
                        p.prepare(Shape::Line(&r.geometry))
                    } else {
                        // Known hidden: tiles skip it without a look.
                        Some(Prepared::empty(z))
                    }
                })
                .collect(),
            communities: d
                .communities
                .iter()
                .map(|c| p.prepare(Shape::Polygons(&c.boundary)))
                .collect(),
            grids: d
                .grids
                .iter()
                .map(|g| {
                    (z >= min_zoom("grids"))
                        .then(|| p.prepare(Shape::Polygons(&g.boundary)))
                        .flatten()
                })
                .collect(),
            buildings: if z >= BUILDING_POLYGON_ZOOM {
                d.buildings
                    .iter()
                    .map(|b| p.prepare(Shape::Polygons(&b.footprint)))
                    .collect()
            } else {
                Vec::new()
            },
            index: (z >= TILE_INDEX_MIN_ZOOM)
                .then(|| TileIndex::build(atlas, z, TileOptions::default()))
                .flatten(),
            bytes: 0,
        };
        let slot = std::mem::size_of::<Option<Prepared>>();
        g.bytes = [&g.areas, &g.roads, &g.communities, &g.grids, &g.buildings]
            .iter()
            .flat_map(|l| l.iter())
            .map(|p| p.as_ref().map_or(slot, |p| p.size_bytes()))
            .sum::<usize>()
            + g.index.as_ref().map_or(0, TileIndex::size_bytes);
        Some(g)
    }
}

const IDLE: u8 = 0;
const BUILDING: u8 = 1;
/// Over the budget, or failed: tiles of this zoom render from lon/lat.
const REFUSED: u8 = 2;

/// The prepared zooms of one snapshot.
struct ZoomSet {
    version: u64,
    /// The snapshot itself: geometry is indexed like its dataset, so a set
    /// serves only the very atlas it was made from (a version alone could
    /// repeat, e.g. after restoring a backup). The weak reference keeps the
    /// address from being reused while the set lives.
    atlas: Weak<Atlas>,
    state: [AtomicU8; MAX_DATA_ZOOM as usize + 1],
    geometry: [OnceLock<Arc<ZoomGeometry>>; MAX_DATA_ZOOM as usize + 1],
    /// Bytes of the zooms prepared or being prepared.
    used: AtomicUsize,
}

/// The server's prepared geometry: one snapshot's zooms, within a budget.
pub struct PreparedTiles {
    budget: usize,
    current: ArcSwapOption<ZoomSet>,
    /// One build at a time: they use a core each.
    building: Mutex<()>,
}

impl PreparedTiles {
    /// `budget` bytes for all prepared zooms of a snapshot; 0 turns the
    /// preparation off.
    pub fn new(budget: usize) -> Self {
        PreparedTiles {
            budget,
            current: ArcSwapOption::empty(),
            building: Mutex::new(()),
        }
    }

    /// The set of `atlas`, replacing the one kept unless that one is of a
    /// newer snapshot; `None` for an older snapshot (a request that raced a
    /// reload).
    fn set_for(&self, atlas: &Arc<Atlas>) -> Option<Arc<ZoomSet>> {
        let version = atlas.version();
        let current = self.current.load_full();
        if let Some(s) = &current {
            if std::ptr::eq(s.atlas.as_ptr(), Arc::as_ptr(atlas)) {
                return Some(s.clone());
            }
            if s.version > version {
                return None;
            }
        }
        let fresh = Arc::new(ZoomSet {
            version,
            atlas: Arc::downgrade(atlas),
            state: Default::default(),
            geometry: Default::default(),
            used: AtomicUsize::new(0),
        });
        let prev = self.current.compare_and_swap(&current, Some(fresh.clone()));
        let installed = match (&*prev, &current) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if installed {
            Some(fresh)
        } else {
            // Someone else installed a set meanwhile.
            self.current
                .load_full()
                .filter(|s| std::ptr::eq(s.atlas.as_ptr(), Arc::as_ptr(atlas)))
        }
    }

    /// The prepared geometry of zoom `z` of `atlas` if it is ready. If not,
    /// starts preparing it in the background (once) and returns `None`: this
    /// tile renders from lon/lat.
    pub fn get(self: &Arc<Self>, atlas: &Arc<Atlas>, z: u8) -> Option<Arc<ZoomGeometry>> {
        if self.budget == 0 || !(MIN_PREPARED_ZOOM..=MAX_DATA_ZOOM).contains(&z) {
            return None;
        }
        let set = self.set_for(atlas)?;
        let zi = usize::from(z);
        if let Some(g) = set.geometry[zi].get() {
            return Some(g.clone());
        }
        if set.state[zi]
            .compare_exchange(IDLE, BUILDING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let (me, atlas) = (self.clone(), atlas.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("tile-geometry-z{z}"))
                .spawn(move || me.build(&set, &atlas, z));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start preparing tile geometry");
            }
        }
        None
    }

    /// Prepares zoom `z` now (the caller's thread) and returns it; `None`
    /// when it is over the budget. For benchmarks and tests.
    pub fn prepare_now(self: &Arc<Self>, atlas: &Arc<Atlas>, z: u8) -> Option<Arc<ZoomGeometry>> {
        if !(MIN_PREPARED_ZOOM..=MAX_DATA_ZOOM).contains(&z) {
            return None;
        }
        let set = self.set_for(atlas)?;
        let zi = usize::from(z);
        if set.geometry[zi].get().is_none() {
            set.state[zi].store(BUILDING, Ordering::Release);
            self.build(&set, atlas, z);
        }
        set.geometry[zi].get().cloned()
    }

    fn build(&self, set: &Arc<ZoomSet>, atlas: &Atlas, z: u8) {
        let zi = usize::from(z);
        let _one_at_a_time = self.building.lock();
        let still_current = self
            .current
            .load()
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, set));
        if !still_current {
            // A newer snapshot replaced this one while it waited.
            set.state[zi].store(REFUSED, Ordering::Release);
            return;
        }
        let expected = estimate(atlas, z);
        let before = set.used.fetch_add(expected, Ordering::AcqRel);
        if before + expected > self.budget {
            set.used.fetch_sub(expected, Ordering::AcqRel);
            set.state[zi].store(REFUSED, Ordering::Release);
            tracing::info!(
                z,
                expected_mib = expected >> 20,
                budget_mib = self.budget >> 20,
                "tile geometry of this zoom is over the budget; its tiles render from lon/lat"
            );
            return;
        }
        let started = std::time::Instant::now();
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ZoomGeometry::build(atlas, z)
        }));
        match built {
            Ok(Some(g)) => {
                // Account for what it really takes.
                if g.bytes > expected {
                    set.used.fetch_add(g.bytes - expected, Ordering::AcqRel);
                } else {
                    set.used.fetch_sub(expected - g.bytes, Ordering::AcqRel);
                }
                tracing::debug!(
                    z,
                    version = set.version,
                    kib = g.bytes >> 10,
                    ms = started.elapsed().as_millis() as u64,
                    "tile geometry prepared"
                );
                let _ = set.geometry[zi].set(Arc::new(g));
            }
            Ok(None) | Err(_) => {
                set.used.fetch_sub(expected, Ordering::AcqRel);
                set.state[zi].store(REFUSED, Ordering::Release);
                tracing::warn!(
                    z,
                    "tile geometry could not be prepared; tiles render from lon/lat"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::tiles::{render, render_prepared};
    use gridmap_tiles::TileCoord;

    fn city(seed: u64, version: u64) -> Arc<Atlas> {
        Arc::new(Atlas::build(gridmap_data::synth::city(400, seed), version))
    }

    /// Every tile of zoom `z` over the atlas.
    fn tiles(atlas: &Atlas, z: u8) -> Vec<TileCoord> {
        let b = atlas.bounds().unwrap();
        let a = TileCoord::containing(b.min().x, b.max().y, z).unwrap();
        let c = TileCoord::containing(b.max().x, b.min().y, z).unwrap();
        (a.x()..=c.x())
            .flat_map(|x| (a.y()..=c.y()).map(move |y| TileCoord::new(z, x, y).unwrap()))
            .collect()
    }

    /// (layer, feature id) of every feature in a tile.
    fn features(bytes: &[u8]) -> Vec<(String, u64)> {
        let r = mvt_reader::Reader::new(bytes.to_vec()).unwrap();
        let mut out = Vec::new();
        for (i, name) in r.get_layer_names().unwrap().into_iter().enumerate() {
            for f in r.get_features(i).unwrap() {
                out.push((name.clone(), f.id.unwrap()));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn zooms_are_prepared_in_the_background_and_draw_the_same_features() {
        let atlas = city(7, 1);
        let prepared = Arc::new(PreparedTiles::new(64 << 20));
        for z in [12u8, 14, 16] {
            // The first ask starts the build and renders from lon/lat.
            let mut geometry = prepared.get(&atlas, z);
            let started = std::time::Instant::now();
            while geometry.is_none() && started.elapsed().as_secs() < 30 {
                std::thread::sleep(std::time::Duration::from_millis(5));
                geometry = prepared.get(&atlas, z);
            }
            let geometry = geometry.expect("prepared within 30 s");
            assert!(geometry.bytes > 0);
            let mut compared = 0;
            for t in tiles(&atlas, z) {
                let direct = render(&atlas, t).unwrap();
                let fast = render_prepared(&atlas, t, None, Some(&geometry)).unwrap();
                assert_eq!(features(&direct), features(&fast), "{t}");
                compared += usize::from(!direct.is_empty());
            }
            assert!(compared > 0, "z{z}: no tile with features");
        }
    }

    #[test]
    fn a_set_serves_only_its_own_atlas() {
        let prepared = Arc::new(PreparedTiles::new(64 << 20));
        let a = city(7, 5);
        let ga = prepared.prepare_now(&a, 16).unwrap();
        assert_eq!(ga.buildings.len(), a.data().buildings.len());
        // Another atlas with the same version (a restored backup, say): its
        // own, fresh set, never the first one's geometry.
        let b = Arc::new(Atlas::build(gridmap_data::synth::city(250, 8), 5));
        assert!(prepared.get(&b, 16).is_none());
        let gb = prepared.prepare_now(&b, 16).unwrap();
        assert_eq!(gb.buildings.len(), b.data().buildings.len());
        assert_ne!(ga.buildings.len(), gb.buildings.len());
        // A request still holding an older snapshot gets nothing.
        assert!(prepared.get(&city(7, 4), 16).is_none());
        assert!(prepared.prepare_now(&city(7, 4), 16).is_none());
    }

    #[test]
    fn budget_bounds_the_prepared_zooms() {
        let atlas = city(7, 1);
        assert!(Arc::new(PreparedTiles::new(0)).get(&atlas, 16).is_none());
        let small = estimate(&atlas, 12) + estimate(&atlas, 12) / 2;
        let prepared = Arc::new(PreparedTiles::new(small));
        assert!(prepared.prepare_now(&atlas, 12).is_some());
        // Zoom 16 adds the building footprints: over what is left.
        assert!(prepared.prepare_now(&atlas, 16).is_none());
        // Out of the prepared range.
        assert!(prepared.prepare_now(&atlas, 19).is_none());
        assert!(prepared.get(&atlas, 9).is_none());
    }
}
