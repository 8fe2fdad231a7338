//! A least-recently-used tile cache bounded in bytes. Entries are keyed by
//! snapshot version and tile, so an edit (a new snapshot) never serves a
//! stale tile; old entries simply age out, and `clear` drops them at once.

use std::sync::{Arc, Mutex};

use gridmap_tiles::TileCoord;
use lru::LruCache;

/// One encoded tile, raw and gzip-compressed.
#[derive(Debug)]
pub struct CachedTile {
    /// Shared, not copied, into each response.
    pub raw: axum::body::Bytes,
    pub gzip: axum::body::Bytes,
}

impl CachedTile {
    fn bytes(&self) -> usize {
        // Payloads plus a fixed allowance for the key and bookkeeping.
        self.raw.len() + self.gzip.len() + 64
    }
}

/// (snapshot version, view, z, x, y); view 0 is the public tile, others a
/// signed-in user's view (see `tiles::Private`).
type Key = (u64, u64, u8, u32, u32);

struct Inner {
    lru: LruCache<Key, Arc<CachedTile>>,
    bytes: usize,
}

/// Thread-safe LRU over encoded tiles, at most `budget` bytes.
pub struct TileCache {
    budget: usize,
    inner: Mutex<Inner>,
}

impl TileCache {
    /// A cache of at most `budget` bytes; 0 turns caching off.
    pub fn new(budget: usize) -> Self {
        TileCache {
            budget,
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn key(version: u64, view: u64, c: TileCoord) -> Key {
        (version, view, c.z(), c.x(), c.y())
    }

    pub fn get(&self, version: u64, view: u64, c: TileCoord) -> Option<Arc<CachedTile>> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.inner.lock().ok()?;
        inner.lru.get(&Self::key(version, view, c)).cloned()
    }

    pub fn put(&self, version: u64, view: u64, c: TileCoord, tile: Arc<CachedTile>) {
        let size = tile.bytes();
        if !self.enabled() || size > self.budget {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if let Some(old) = inner.lru.put(Self::key(version, view, c), tile) {
            inner.bytes -= old.bytes();
        }
        inner.bytes += size;
        while inner.bytes > self.budget {
            match inner.lru.pop_lru() {
                Some((_, evicted)) => inner.bytes -= evicted.bytes(),
                None => break,
            }
        }
    }

    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.lru.clear();
            inner.bytes = 0;
        }
    }

    /// (entries, bytes) currently held.
    pub fn usage(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|i| (i.lru.len(), i.bytes))
            .unwrap_or((0, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(n: usize) -> Arc<CachedTile> {
        Arc::new(CachedTile {
            raw: vec![0; n].into(),
            gzip: Default::default(),
        })
    }

    fn c(x: u32) -> TileCoord {
        TileCoord::new(10, x, 0).expect("coord")
    }

    #[test]
    fn evicts_least_recently_used_to_stay_within_bytes() {
        let cache = TileCache::new(3 * (100 + 64));
        cache.put(1, 0, c(1), tile(100));
        cache.put(1, 0, c(2), tile(100));
        cache.put(1, 0, c(3), tile(100));
        assert!(cache.get(1, 0, c(1)).is_some()); // 1 is now most recent
        cache.put(1, 0, c(4), tile(100)); // evicts 2
        assert!(cache.get(1, 0, c(2)).is_none());
        assert!(cache.get(1, 0, c(1)).is_some());
        assert!(cache.get(1, 0, c(4)).is_some());
        let (n, bytes) = cache.usage();
        assert_eq!(n, 3);
        assert!(bytes <= 3 * 164);
    }

    #[test]
    fn versions_do_not_mix_and_zero_budget_disables() {
        let cache = TileCache::new(10_000);
        cache.put(1, 0, c(1), tile(10));
        assert!(cache.get(2, 0, c(1)).is_none());
        assert!(
            cache.get(1, 7, c(1)).is_none(),
            "another view is another tile"
        );
        let off = TileCache::new(0);
        off.put(1, 0, c(1), tile(10));
        assert!(off.get(1, 0, c(1)).is_none());
        cache.clear();
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn a_tile_larger_than_the_budget_is_not_kept() {
        let cache = TileCache::new(100);
        cache.put(1, 0, c(1), tile(1000));
        assert_eq!(cache.usage(), (0, 0));
    }
}
