//! Which features meet each tile of one zoom, looked up instead of searched.
//!
//! Without one, a tile asks the atlas's R-trees for the features whose
//! bounding boxes meet its buffered bounds, five times (areas, roads,
//! communities, grids, buildings), and sorts each answer. A [`TileIndex`]
//! holds those answers for every tile of one zoom over the data, made once
//! with the zoom's prepared geometry: a tile reads them as slices. The
//! lists are the same as the queries', edge for edge and in the same order
//! (a unit test compares them tile by tile).

use std::borrow::Cow;
use std::ops::Range;

use geo::Rect;
use gridmap_data::Atlas;
use gridmap_data::atlas::IndexedLayer;
use gridmap_tiles::{TileCoord, TileOptions};

/// The indexed layers, in the order of [`TileIndex`]'s lists.
const LAYERS: [IndexedLayer; 5] = [
    IndexedLayer::Areas,
    IndexedLayer::Roads,
    IndexedLayer::Communities,
    IndexedLayer::Grids,
    IndexedLayer::Buildings,
];

/// Most tiles one index covers (data spread over a very large area at a
/// deep zoom): beyond, that zoom's tiles query the R-trees as before.
const MAX_TILES: u64 = 1 << 20;

/// Most entries in one layer's lists (32 MiB): counted before anything is
/// allocated, so that large polygons over many deep-zoom tiles fall back to
/// the R-trees instead of taking memory beyond what was expected.
const MAX_ENTRIES: u64 = 1 << 23;

/// For every tile of one zoom over the data, the indices of the features of
/// each [`IndexedLayer`] whose bounding box meets the tile's buffered bounds,
/// in index order.
#[derive(Debug)]
pub struct TileIndex {
    z: u8,
    /// The tiles covered: columns `x0 .. x0 + w`, rows `y0 .. y0 + h`. No
    /// feature meets a tile outside them.
    x0: u32,
    y0: u32,
    w: u32,
    h: u32,
    lists: [Lists; LAYERS.len()],
}

/// One layer's lists, tile after tile (row-major).
#[derive(Debug, Default)]
struct Lists {
    /// Tile `t`'s features are `items[starts[t] .. starts[t + 1]]`.
    starts: Box<[u32]>,
    items: Box<[u32]>,
}

impl TileIndex {
    /// The index of zoom `z` of `atlas` for tiles with these options;
    /// `None` when the data spans more than [`MAX_TILES`] tiles or a
    /// layer's lists would hold more than [`MAX_ENTRIES`].
    pub fn build(atlas: &Atlas, z: u8, options: TileOptions) -> Option<TileIndex> {
        let Some(union) = atlas.bounds_of(&LAYERS) else {
            // No features: every tile is empty.
            return Some(TileIndex {
                z,
                x0: 0,
                y0: 0,
                w: 0,
                h: 0,
                lists: Default::default(),
            });
        };
        // The tiles holding the union's corners, and two more on each side:
        // a tile's buffer reaches a fraction of a tile into its neighbours,
        // so no tile further out meets any box.
        // (`containing` refuses zooms past the deepest tile zoom.)
        let nw = TileCoord::containing(union.min().x, union.max().y, z).ok()?;
        let se = TileCoord::containing(union.max().x, union.min().y, z).ok()?;
        let last = (1u32 << z) - 1;
        let (x0, y0) = (nw.x().saturating_sub(2), nw.y().saturating_sub(2));
        let (x1, y1) = ((se.x() + 2).min(last), (se.y() + 2).min(last));
        let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
        if u64::from(w) * u64::from(h) > MAX_TILES {
            return None;
        }
        // Buffered bounds by column (west, east) and by row (south, north),
        // computed as each tile computes them: longitudes depend on the
        // column only, latitudes on the row only.
        let buffered = |x, y| {
            TileCoord::new(z, x, y)
                .ok()
                .map(|c| c.buffered_bounds(options.extent, options.buffer))
        };
        let cols: Vec<(f64, f64)> = (x0..=x1)
            .map(|x| buffered(x, y0).map(|r| (r.min().x, r.max().x)))
            .collect::<Option<_>>()?;
        let rows: Vec<(f64, f64)> = (y0..=y1)
            .map(|y| buffered(x0, y).map(|r| (r.min().y, r.max().y)))
            .collect::<Option<_>>()?;
        let grid = Grid {
            cols: &cols,
            rows: &rows,
        };
        let [a, b, c, d, e] = LAYERS.map(|layer| grid.lists(|| atlas.envelopes(layer)));
        let lists = [a?, b?, c?, d?, e?];
        Some(TileIndex {
            z,
            x0,
            y0,
            w,
            h,
            lists,
        })
    }

    /// The features of `layer` meeting tile `coord`; `None` for a tile of
    /// another zoom.
    pub fn get(&self, layer: IndexedLayer, coord: TileCoord) -> Option<&[u32]> {
        if coord.z() != self.z {
            return None;
        }
        let (Some(dx), Some(dy)) = (
            coord.x().checked_sub(self.x0),
            coord.y().checked_sub(self.y0),
        ) else {
            return Some(&[]);
        };
        if dx >= self.w || dy >= self.h {
            return Some(&[]);
        }
        let t = (dy as usize) * (self.w as usize) + dx as usize;
        let i = LAYERS.iter().position(|l| *l == layer)?;
        let lists = &self.lists[i];
        let (a, b) = (*lists.starts.get(t)?, *lists.starts.get(t + 1)?);
        lists.items.get(a as usize..b as usize)
    }

    /// Memory taken, in bytes.
    pub fn size_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .lists
                .iter()
                .map(|l| (l.starts.len() + l.items.len()) * std::mem::size_of::<u32>())
                .sum::<usize>()
    }
}

/// The features of `layer` meeting tile `coord` (whose buffered bounds are
/// `bbox`): from the zoom's index when there is one, else from the atlas's
/// R-tree.
pub fn features_in<'a>(
    index: Option<&'a TileIndex>,
    atlas: &Atlas,
    layer: IndexedLayer,
    coord: TileCoord,
    bbox: Rect<f64>,
) -> Cow<'a, [u32]> {
    match index.and_then(|ix| ix.get(layer, coord)) {
        Some(list) => Cow::Borrowed(list),
        None => Cow::Owned(atlas.indices_in(layer, bbox)),
    }
}

/// The buffered bounds of the covered tiles, by column and by row.
struct Grid<'a> {
    /// (west, east) of each column, west to east.
    cols: &'a [(f64, f64)],
    /// (south, north) of each row, north to south.
    rows: &'a [(f64, f64)],
}

impl Grid<'_> {
    /// The block of columns and rows whose buffered bounds meet `b`, found
    /// by bisection: bounds grow monotonically with the column and shrink
    /// with the row.
    fn block(&self, b: Rect<f64>) -> (Range<usize>, Range<usize>) {
        let (min, max) = (b.min(), b.max());
        let c0 = self.cols.partition_point(|&(_, east)| east < min.x);
        let c1 = self.cols.partition_point(|&(west, _)| west <= max.x);
        let r0 = self.rows.partition_point(|&(south, _)| south > max.y);
        let r1 = self.rows.partition_point(|&(_, north)| north >= min.y);
        (c0..c1.max(c0), r0..r1.max(r0))
    }

    /// The covered tiles (as row-major positions) whose buffered bounds meet
    /// `b`, edges included, as the R-tree's envelope test has it: the
    /// [`Grid::block`] and one more on each side (for any rounding wobble),
    /// each tested exactly.
    fn tiles_meeting(&self, b: Rect<f64>, mut each: impl FnMut(usize)) {
        let (min, max) = (b.min(), b.max());
        let (cols, rows) = self.block(b);
        let c0 = cols.start.saturating_sub(1);
        let c1 = (cols.end + 1).min(self.cols.len());
        let r0 = rows.start.saturating_sub(1);
        let r1 = (rows.end + 1).min(self.rows.len());
        for r in r0..r1 {
            let (south, north) = self.rows[r];
            if !(south <= max.y && north >= min.y) {
                continue;
            }
            for c in c0..c1 {
                let (west, east) = self.cols[c];
                if west <= max.x && east >= min.x {
                    each(r * self.cols.len() + c);
                }
            }
        }
    }

    /// One layer's lists from its envelopes (`boxes` gives them, in any
    /// order, once per pass): counted, filled, then each put in index
    /// order. `None` past [`MAX_ENTRIES`].
    fn lists<I: Iterator<Item = (u32, Rect<f64>)>>(&self, boxes: impl Fn() -> I) -> Option<Lists> {
        let tiles = self.cols.len() * self.rows.len();
        // The blocks' sizes first (a feature over a million tiles costs no
        // more to count than one over a single tile).
        let mut total: u64 = 0;
        for (_, b) in boxes() {
            let (cols, rows) = self.block(b);
            total += (cols.len() as u64) * (rows.len() as u64);
            if total > MAX_ENTRIES {
                return None;
            }
        }
        let mut starts = vec![0u32; tiles + 1];
        for (_, b) in boxes() {
            self.tiles_meeting(b, |t| starts[t + 1] = starts[t + 1].saturating_add(1));
        }
        for t in 0..tiles {
            starts[t + 1] = starts[t + 1].checked_add(starts[t])?;
        }
        let mut next: Vec<u32> = starts[..tiles].to_vec();
        let mut items = vec![0u32; starts[tiles] as usize];
        for (i, b) in boxes() {
            self.tiles_meeting(b, |t| {
                // Each tile's slots were counted by the same test.
                if let Some(slot) = items.get_mut(next[t] as usize) {
                    *slot = i;
                }
                next[t] = next[t].saturating_add(1);
            });
        }
        for t in 0..tiles {
            items[starts[t] as usize..starts[t + 1] as usize].sort_unstable();
        }
        Some(Lists {
            starts: starts.into(),
            items: items.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo::polygon;

    /// Every tile of zoom `z` over the atlas's features, and three more on
    /// each side.
    fn around(atlas: &Atlas, z: u8) -> Vec<TileCoord> {
        let b = atlas.bounds().unwrap();
        let a = TileCoord::containing(b.min().x, b.max().y, z).unwrap();
        let c = TileCoord::containing(b.max().x, b.min().y, z).unwrap();
        let last = (1u32 << z) - 1;
        (a.x().saturating_sub(3)..=(c.x() + 3).min(last))
            .flat_map(|x| {
                (a.y().saturating_sub(3)..=(c.y() + 3).min(last))
                    .map(move |y| TileCoord::new(z, x, y).unwrap())
            })
            .collect()
    }

    #[test]
    fn lists_are_the_r_tree_answers_tile_by_tile() {
        let atlas = Atlas::build(gridmap_data::synth::city(300, 11), 1);
        let options = TileOptions::default();
        for z in [10u8, 13, 15, 17] {
            let index = TileIndex::build(&atlas, z, options).unwrap();
            let mut met = 0;
            for t in around(&atlas, z) {
                let bbox = t.buffered_bounds(options.extent, options.buffer);
                for layer in LAYERS {
                    let listed = index.get(layer, t).unwrap();
                    assert_eq!(listed, atlas.indices_in(layer, bbox), "{t} {layer:?}");
                    met += listed.len();
                }
            }
            assert!(met > 0, "z{z}: no tile met any feature");
            // Another zoom's tiles are not answered.
            let other = TileCoord::new(z + 1, 0, 0).unwrap();
            assert!(index.get(IndexedLayer::Buildings, other).is_none());
        }
    }

    #[test]
    fn a_feature_on_tile_edges_is_listed_where_the_r_tree_finds_it() {
        // Buildings whose corners sit exactly on tile edges and on the edge
        // of the buffer: the edge cases of the envelope test.
        let z = 16;
        let options = TileOptions::default();
        let mut data = gridmap_data::synth::city(40, 3);
        let t = TileCoord::containing(118.78, 32.04, z).unwrap();
        let inner = t.bounds();
        let outer = t.buffered_bounds(options.extent, options.buffer);
        let corners = [
            (inner.min().x, inner.min().y),
            (inner.max().x, inner.max().y),
            (outer.min().x, outer.max().y),
            (outer.max().x, outer.min().y),
        ];
        for (k, (x, y)) in corners.into_iter().enumerate() {
            let b = &mut data.buildings[k];
            b.footprint = geo::MultiPolygon(vec![polygon![
                (x: x, y: y), (x: x + 1e-5, y: y), (x: x + 1e-5, y: y + 1e-5), (x: x, y: y + 1e-5),
            ]]);
        }
        let atlas = Atlas::build(data, 1);
        let index = TileIndex::build(&atlas, z, options).unwrap();
        // All four touch the tile's buffered bounds, two only at a corner.
        let listed = index.get(IndexedLayer::Buildings, t).unwrap();
        assert!((0..4).all(|k| listed.contains(&k)), "{listed:?}");
        for t in around(&atlas, z) {
            let bbox = t.buffered_bounds(options.extent, options.buffer);
            for layer in LAYERS {
                assert_eq!(
                    index.get(layer, t).unwrap(),
                    atlas.indices_in(layer, bbox),
                    "{t} {layer:?}"
                );
            }
        }
    }

    #[test]
    fn too_many_entries_fall_back_to_the_r_tree() {
        // Twelve areas over the same 1.2° × 1° box: about 880 × 860 z18
        // tiles each, 9 million entries in all, past the cap; at z12 they
        // are a few tiles each.
        let mut data = gridmap_data::model::Dataset::default();
        for id in 1..=12 {
            data.areas.push(gridmap_data::model::Area {
                id,
                osm_id: None,
                kind: "forest".into(),
                name: None,
                geometry: geo::MultiPolygon(vec![polygon![
                    (x: 118.0, y: 31.5), (x: 119.2, y: 31.5), (x: 119.2, y: 32.5), (x: 118.0, y: 32.5),
                ]]),
            });
        }
        let atlas = Atlas::build(data, 1);
        let options = TileOptions::default();
        assert!(TileIndex::build(&atlas, 18, options).is_none());
        let index = TileIndex::build(&atlas, 12, options).unwrap();
        let t = TileCoord::containing(118.6, 32.0, 12).unwrap();
        assert_eq!(
            index.get(IndexedLayer::Areas, t).unwrap(),
            (0..12).collect::<Vec<u32>>()
        );
    }

    #[test]
    fn an_empty_atlas_has_an_empty_index() {
        let atlas = Atlas::build(gridmap_data::model::Dataset::default(), 1);
        let index = TileIndex::build(&atlas, 14, TileOptions::default()).unwrap();
        let t = TileCoord::new(14, 13_000, 6_000).unwrap();
        assert_eq!(index.get(IndexedLayer::Grids, t), Some(&[][..]));
    }
}
