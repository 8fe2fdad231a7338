//! Geometry prepared once per zoom, for tiles assembled from copies.
//!
//! Projection, simplification, snapping, winding and the validity check do
//! not depend on which tile of a zoom a feature is drawn in, only on the
//! zoom: done in world units of that zoom (`2^z * extent` units across the
//! world), they give the same integer geometry for every tile up to a
//! translation by a multiple of the extent. MVT command streams are
//! translation invariant except for the first MoveTo, which is relative to
//! the tile's corner. So a [`Prepared`] feature keeps its encoded commands
//! with the first point set apart, in world units, and a tile that holds it
//! whole writes it with one subtraction and a copy
//! ([`crate::LayerBuilder::add_prepared`]). Features crossing the tile's
//! edge are decoded from the same stream (big ones: read from their points
//! kept in chunks, skipping the chunks far from the tile) and clipped; they
//! are not simplified again, so neighbouring tiles draw the same simplified
//! edge.

use std::collections::HashMap;

use geo::{BoundingRect, Coord};

use crate::coord::{TileCoord, TileTransform};
use crate::encode::{GeomType, varint_len, write_varint, zigzag};
use crate::error::TileError;
use crate::feature::Pipeline;
use crate::options::TileOptions;
use crate::shape::Shape;

/// Half-size, in tile units, of the clip box of a preparing pipeline: more
/// than the world at the deepest accepted zoom, and well within `i32`.
pub(crate) const UNCLIPPED: i32 = (1 << 30) + (1 << 24);

/// Largest world size (`2^z * extent`) a [`Preparer`] accepts, so that world
/// coordinates and their differences fit in `i32`. With the default extent
/// of 4096 that is zoom 18.
const MAX_WORLD: u64 = 1 << 30;

/// One feature's geometry at one zoom: already projected, simplified,
/// snapped, wound, checked (or repaired) and encoded as MVT commands.
///
/// Build it with a [`Preparer`]; write it with
/// [`crate::LayerBuilder::add_prepared`] into tiles of the same zoom and
/// options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The source geometry's bounds in world units, widened to whole units
    /// and one more: a tile that holds this box draws the feature unclipped.
    min: (i32, i32),
    max: (i32, i32),
    /// The first point, in world units.
    first: (i32, i32),
    /// The first command (a MoveTo) and the encoded commands after the
    /// first point. Empty when nothing of the feature is drawn at this zoom.
    head: u32,
    tail: Box<[u8]>,
    ty: u8,
    z: u8,
    /// Big features (most of them cross many tiles) also keep their points
    /// unpacked, in chunks with bounds, so that a tile they cross reads only
    /// the chunks near it.
    raw: Option<Box<Raw>>,
}

/// Features with at least this many points keep a [`Raw`] copy. Grids,
/// landuse and long streets (tens of points) cross most tiles they are
/// in, and clipping reads their points faster unpacked: 16 rather than 48
/// took 6 % off the instructions per sample tile, for 23 % more prepared
/// bytes on the sample (none on the synthetic city, whose features have
/// fewer points). Most buildings stay below it.
const RAW_MIN_POINTS: usize = 16;
/// Points per chunk of a [`Raw`] path.
pub(crate) const CHUNK: usize = 16;

/// A prepared feature's points in world units, path by path, with the
/// bounds of each run of [`CHUNK`] points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raw {
    pub(crate) points: Box<[(i32, i32)]>,
    /// Each path: one past its last point, whether it is a hole, and its
    /// first chunk in `chunks`.
    pub(crate) paths: Box<[RawPath]>,
    /// (min x, min y, max x, max y) of each chunk.
    pub(crate) chunks: Box<[(i32, i32, i32, i32)]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawPath {
    pub(crate) end: u32,
    pub(crate) hole: bool,
    pub(crate) first_chunk: u32,
}

impl Raw {
    /// Splits the decoded paths of a prepared feature into chunks.
    fn build(paths: &mut Paths<'_>, is_polygon: bool) -> Option<Raw> {
        let mut points = Vec::new();
        let mut spans = Vec::new();
        let mut chunks = Vec::new();
        let mut line = Vec::new();
        while paths.next_path(&mut line) {
            let hole = is_polygon && crate::simplify::ring_area(&line) < 0.0;
            let first_chunk = u32::try_from(chunks.len()).ok()?;
            for run in line.chunks(CHUNK) {
                let mut b = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
                for c in run {
                    let p = (c.x as i32, c.y as i32);
                    b = (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1));
                    points.push(p);
                }
                chunks.push(b);
            }
            spans.push(RawPath {
                end: u32::try_from(points.len()).ok()?,
                hole,
                first_chunk,
            });
        }
        Some(Raw {
            points: points.into(),
            paths: spans.into(),
            chunks: chunks.into(),
        })
    }

    fn size_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.points.len() * std::mem::size_of::<(i32, i32)>()
            + self.paths.len() * std::mem::size_of::<RawPath>()
            + self.chunks.len() * std::mem::size_of::<(i32, i32, i32, i32)>()
    }
}

impl Prepared {
    /// Bytes a prepared feature of `vertices` points is expected to take
    /// as an `Option<Prepared>` slot (for memory budgets made before
    /// preparing): its encoded commands, about two bytes a vertex, and the
    /// unpacked points of a feature of `RAW_MIN_POINTS` vertices or more.
    pub fn estimated_size(vertices: usize) -> usize {
        let raw = if vertices >= RAW_MIN_POINTS {
            9 * vertices
        } else {
            0
        };
        std::mem::size_of::<Option<Prepared>>() + 2 * vertices + raw
    }

    /// A feature that draws nothing at zoom `z` (for callers that know a
    /// feature is hidden at a zoom): tiles skip it.
    pub fn empty(z: u8) -> Prepared {
        Prepared {
            min: (0, 0),
            max: (0, 0),
            first: (0, 0),
            head: 0,
            tail: Box::default(),
            ty: 0,
            z,
            raw: None,
        }
    }

    /// Whether the feature draws nothing at this zoom (it collapsed when
    /// simplified and snapped): tiles of this zoom skip it.
    pub fn is_empty(&self) -> bool {
        self.ty == 0
    }

    /// The zoom it was prepared for.
    pub fn zoom(&self) -> u8 {
        self.z
    }

    /// Heap and inline bytes it takes, for memory budgets.
    pub fn size_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.tail.len()
            + self.raw.as_ref().map_or(0, |r| r.size_bytes())
    }

    /// The unpacked points of a big feature.
    pub(crate) fn raw(&self) -> Option<&Raw> {
        self.raw.as_deref()
    }

    pub(crate) fn geom_type(&self) -> Option<GeomType> {
        match self.ty {
            1 => Some(GeomType::Point),
            2 => Some(GeomType::LineString),
            3 => Some(GeomType::Polygon),
            _ => None,
        }
    }

    /// The bounds relative to a tile corner `origin` (world units).
    pub(crate) fn local_bbox(&self, origin: (i64, i64)) -> Option<((i64, i64), (i64, i64))> {
        self.geom_type()?;
        Some((
            (
                i64::from(self.min.0) - origin.0,
                i64::from(self.min.1) - origin.1,
            ),
            (
                i64::from(self.max.0) - origin.0,
                i64::from(self.max.1) - origin.1,
            ),
        ))
    }

    /// The first point relative to `origin`, as the zigzag parameters of
    /// the first MoveTo.
    fn first_params(&self, origin: (i64, i64)) -> (u32, u32) {
        // World coordinates and tile corners lie within ±2^31 of each other
        // (see `MAX_WORLD`), so the differences fit.
        let dx = (i64::from(self.first.0) - origin.0) as i32;
        let dy = (i64::from(self.first.1) - origin.1) as i32;
        (zigzag(dx), zigzag(dy))
    }

    /// Length of [`Prepared::write_commands`]'s output.
    pub(crate) fn commands_len(&self, origin: (i64, i64)) -> usize {
        let (dx, dy) = self.first_params(origin);
        varint_len(u64::from(self.head))
            + varint_len(u64::from(dx))
            + varint_len(u64::from(dy))
            + self.tail.len()
    }

    /// Appends the command stream of the feature in the tile whose corner
    /// is `origin`.
    pub(crate) fn write_commands(&self, origin: (i64, i64), out: &mut Vec<u8>) {
        let (dx, dy) = self.first_params(origin);
        out.reserve(self.tail.len() + 11);
        write_varint(out, u64::from(self.head));
        write_varint(out, u64::from(dx));
        write_varint(out, u64::from(dy));
        out.extend_from_slice(&self.tail);
    }

    /// The paths (lines or rings without their closing point) in tile units
    /// relative to `origin`.
    pub(crate) fn paths(&self, origin: (i64, i64)) -> Paths<'_> {
        let (dx, dy) = self.first_params(origin);
        Paths {
            prefix: [self.head, dx, dy],
            prefix_at: 0,
            tail: &self.tail,
            at: 0,
            cursor: (0, 0),
            pending: None,
        }
    }
}

/// Reads the varints of a command stream, three given up front.
pub(crate) struct Paths<'a> {
    prefix: [u32; 3],
    prefix_at: usize,
    tail: &'a [u8],
    at: usize,
    cursor: (i32, i32),
    /// A MoveTo read ahead: the start of the next path.
    pending: Option<(i32, i32)>,
}

fn unzigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

impl Paths<'_> {
    fn next_u32(&mut self) -> Option<u32> {
        if self.prefix_at < 3 {
            self.prefix_at += 1;
            return Some(self.prefix[self.prefix_at - 1]);
        }
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.tail.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return u32::try_from(v).ok();
            }
            shift += 7;
            if shift > 35 {
                return None;
            }
        }
    }

    fn next_point(&mut self) -> Option<Coord<f64>> {
        let dx = unzigzag(self.next_u32()?);
        let dy = unzigzag(self.next_u32()?);
        self.cursor = (
            self.cursor.0.wrapping_add(dx),
            self.cursor.1.wrapping_add(dy),
        );
        Some(Coord {
            x: f64::from(self.cursor.0),
            y: f64::from(self.cursor.1),
        })
    }

    /// Reads the next path into `out` (cleared first); `false` at the end.
    /// Streams come from this crate's own encoder, so anything unexpected
    /// simply ends the reading.
    pub(crate) fn next_path(&mut self, out: &mut Vec<Coord<f64>>) -> bool {
        out.clear();
        if let Some(p) = self.pending.take() {
            out.push(Coord {
                x: f64::from(p.0),
                y: f64::from(p.1),
            });
        }
        while let Some(command) = self.next_u32() {
            let (id, count) = (command & 7, command >> 3);
            match id {
                // MoveTo: the start of the next path, after the one read.
                1 => {
                    for _ in 0..count {
                        let Some(p) = self.next_point() else {
                            return !out.is_empty();
                        };
                        if out.is_empty() {
                            out.push(p);
                        } else {
                            self.pending = Some(self.cursor);
                            return true;
                        }
                    }
                }
                2 => {
                    for _ in 0..count {
                        let Some(p) = self.next_point() else {
                            return !out.is_empty();
                        };
                        out.push(p);
                    }
                }
                // ClosePath ends a ring.
                7 => return !out.is_empty(),
                _ => return false,
            }
        }
        !out.is_empty()
    }
}

/// Prepares features of one zoom (see the module docs): one per thread,
/// reused across features.
///
/// ```
/// use gridmap_tiles::{Preparer, Shape, TileBuilder, TileCoord, TileOptions};
/// use geo::{MultiPolygon, polygon};
///
/// let building = MultiPolygon(vec![polygon![
///     (x: 118.7800, y: 32.0400), (x: 118.7805, y: 32.0400),
///     (x: 118.7805, y: 32.0404), (x: 118.7800, y: 32.0404),
/// ]]);
/// let mut preparer = Preparer::new(16, TileOptions::default())?;
/// let prepared = preparer.prepare(Shape::Polygons(&building)).expect("a polygon");
///
/// let coord = TileCoord::containing(118.78025, 32.0402, 16)?;
/// let mut tile = TileBuilder::new(coord, TileOptions::default())?;
/// let props: [(&str, gridmap_tiles::Value); 0] = [];
/// let written = tile
///     .layer("buildings")
///     .add_prepared(1, &prepared, Shape::Polygons(&building), props.iter().map(|(k, v)| (*k, v)));
/// assert!(written);
/// # Ok::<(), gridmap_tiles::TileError>(())
/// ```
#[derive(Debug)]
pub struct Preparer {
    z: u8,
    options: TileOptions,
    pipeline: Pipeline,
    /// Each feature is prepared in the frame of the tile holding its first
    /// point; projections are kept per tile.
    transforms: HashMap<(u32, u32), TileTransform>,
}

impl Preparer {
    /// A preparer for tiles of zoom `z` encoded with `options`.
    ///
    /// # Errors
    /// [`TileError::InvalidOptions`] if `options` fail
    /// [`TileOptions::validate`] or if `2^z * extent` exceeds `2^30` (zoom 18
    /// at the default extent): deeper tiles are rendered directly.
    pub fn new(z: u8, options: TileOptions) -> Result<Self, TileError> {
        options.validate()?;
        if z > 30 || (1u64 << z) * u64::from(options.extent) > MAX_WORLD {
            return Err(TileError::InvalidOptions(
                "prepared geometry needs 2^z * extent <= 2^30",
            ));
        }
        let origin = TileCoord::new(0, 0, 0)?;
        let transform = TileTransform::new(origin, options.extent);
        Ok(Self {
            z,
            options,
            pipeline: Pipeline::new(transform, &options),
            transforms: HashMap::new(),
        })
    }

    /// The zoom it prepares for.
    pub fn zoom(&self) -> u8 {
        self.z
    }

    /// Prepares a line or polygon feature. `None` for points and other
    /// shapes (they are cheap to render directly) and for geometry that is
    /// not finite.
    pub fn prepare(&mut self, shape: Shape<'_>) -> Option<Prepared> {
        let (rect, first) = match shape {
            Shape::Line(ls) => (ls.bounding_rect()?, *ls.0.first()?),
            Shape::Polygons(mp) => (mp.bounding_rect()?, *mp.0.first()?.exterior().0.first()?),
            Shape::Point(_) | Shape::Geometry(_) => return None,
        };
        let finite = |c: Coord<f64>| c.x.is_finite() && c.y.is_finite();
        if !(finite(rect.min()) && finite(rect.max()) && finite(first)) {
            return None;
        }
        let anchor = TileCoord::containing(first.x, first.y, self.z).ok()?;
        let extent = self.options.extent;
        let transform = *self
            .transforms
            .entry((anchor.x(), anchor.y()))
            .or_insert_with(|| TileTransform::new(anchor, extent));
        let ax = i64::from(anchor.x()) * i64::from(extent);
        let ay = i64::from(anchor.y()) * i64::from(extent);
        // Longitude grows east and latitude north, y south: the projected
        // corners bound the projected points.
        let (x0, y0) = transform.project(rect.min().x, rect.max().y);
        let (x1, y1) = transform.project(rect.max().x, rect.min().y);
        let world = |v: f64, base: i64| -> Option<i32> { i32::try_from(v as i64 + base).ok() };
        let min = (world(x0.floor() - 1.0, ax)?, world(y0.floor() - 1.0, ay)?);
        let max = (world(x1.ceil() + 1.0, ax)?, world(y1.ceil() + 1.0, ay)?);

        self.pipeline
            .retarget_unclipped(transform, self.options.tolerance);
        let Some(ty) = self.pipeline.encode_shape(shape) else {
            return Some(Prepared::empty(self.z));
        };
        // The stream starts with MoveTo and the first point's parameters,
        // relative to the anchor tile's corner.
        let mut reader = Paths {
            prefix: [0; 3],
            prefix_at: 3,
            tail: &self.pipeline.commands.bytes,
            at: 0,
            cursor: (0, 0),
            pending: None,
        };
        let head = reader.next_u32()?;
        let fx = unzigzag(reader.next_u32()?);
        let fy = unzigzag(reader.next_u32()?);
        let tail = reader.tail[reader.at..].into();
        let first = (
            i32::try_from(i64::from(fx) + ax).ok()?,
            i32::try_from(i64::from(fy) + ay).ok()?,
        );
        let mut prepared = Prepared {
            min,
            max,
            first,
            head,
            tail,
            ty: ty as u8,
            z: self.z,
            raw: None,
        };
        if shape.vertices() >= RAW_MIN_POINTS && ty != GeomType::Point {
            // World units: paths relative to the world's corner.
            let mut paths = prepared.paths((0, 0));
            prepared.raw = Raw::build(&mut paths, ty == GeomType::Polygon).map(Box::new);
        }
        Some(prepared)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo::{LineString, MultiPolygon, Polygon};

    /// A ragged ring of `n` points around (lon, lat), `r` degrees across,
    /// clockwise or not.
    fn ragged(lon: f64, lat: f64, r: f64, n: usize, seed: u64, ccw: bool) -> LineString<f64> {
        let mut s = seed;
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|k| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let jitter = 0.6 + 0.4 * ((s >> 11) as f64 / (1u64 << 53) as f64);
                let a = k as f64 * std::f64::consts::TAU / n as f64 * if ccw { 1.0 } else { -1.0 };
                Coord {
                    x: lon + r * jitter * a.cos(),
                    y: lat + r * jitter * a.sin(),
                }
            })
            .collect();
        pts.push(pts[0]);
        LineString::new(pts)
    }

    #[test]
    fn chunked_clipping_equals_clipping_every_point() {
        let area = MultiPolygon(vec![Polygon::new(
            ragged(118.78, 32.04, 0.006, 400, 7, true),
            vec![ragged(118.78, 32.04, 0.002, 120, 9, false)],
        )]);
        let road = ragged(118.781, 32.041, 0.005, 300, 11, true);
        for z in [16u8, 17, 18] {
            let mut preparer = Preparer::new(z, TileOptions::default()).unwrap();
            for shape in [Shape::Polygons(&area), Shape::Line(&road)] {
                let prepared = preparer.prepare(shape).unwrap();
                assert!(prepared.raw().is_some());
                let mut plain = prepared.clone();
                plain.raw = None;
                let world = TileTransform::new(TileCoord::new(0, 0, 0).unwrap(), 4096);
                let options = TileOptions::default();
                let (mut a, mut b) = (
                    Pipeline::new(world, &options),
                    Pipeline::new(world, &options),
                );
                let centre = TileCoord::containing(118.78, 32.04, z).unwrap();
                let (mut written, mut crossing) = (0, 0);
                for dx in -4i64..=4 {
                    for dy in -4i64..=4 {
                        let origin = (
                            (i64::from(centre.x()) + dx) * 4096,
                            (i64::from(centre.y()) + dy) * 4096,
                        );
                        let relation = a.relate_prepared(&prepared, origin);
                        assert_eq!(relation, b.relate_prepared(&plain, origin));
                        if relation != crate::clip::Relation::Crossing {
                            continue;
                        }
                        crossing += 1;
                        let ty = prepared.geom_type().unwrap();
                        let ka = a.clip_prepared(&prepared, ty, origin);
                        let kb = b.clip_prepared(&plain, ty, origin);
                        assert_eq!(ka, kb, "z{z} {dx},{dy}");
                        assert_eq!(a.commands.bytes, b.commands.bytes, "z{z} {dx},{dy}");
                        written += usize::from(ka);
                    }
                }
                assert!(
                    written >= 5 && crossing >= 5,
                    "z{z}: {written} written, {crossing} crossing"
                );
            }
        }
    }
}
