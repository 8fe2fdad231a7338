//! One feature's geometry: project, clip, simplify, snap, orient, validate
//! and turn into MVT commands, reusing buffers across features.

use std::ops::Range;

use geo::{Coord, Geometry, LineString, Polygon};
use i_overlay::i_float::int::point::IntPoint;

use crate::clip::{Bbox, Relation, clip_line, clip_ring};
use crate::coord::TileTransform;
use crate::encode::{CommandWriter, GeomType};
use crate::options::TileOptions;
use crate::prepared::{CHUNK, Prepared, Raw, UNCLIPPED};
use crate::repair::Repairer;
use crate::ring::{RingSpan, area2, is_valid, snap, snap_line, snap_ring};
use crate::shape::Shape;
use crate::simplify::{Simplifier, ring_area};

/// The MVT geometry type a geo geometry maps to.
fn kind(g: &Geometry<f64>) -> Option<GeomType> {
    Some(match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => GeomType::Point,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => {
            GeomType::LineString
        }
        Geometry::Polygon(_)
        | Geometry::MultiPolygon(_)
        | Geometry::Rect(_)
        | Geometry::Triangle(_) => GeomType::Polygon,
        Geometry::GeometryCollection(gc) => {
            let mut it = gc.iter();
            let first = kind(it.next()?)?;
            for g in it {
                if kind(g)? != first {
                    return None;
                }
            }
            first
        }
    })
}

/// Per-layer geometry pipeline with its scratch buffers.
#[derive(Debug)]
pub(crate) struct Pipeline {
    transform: TileTransform,
    clip: Bbox,
    tolerance: f64,
    simplifier: Simplifier,
    /// Projected coordinates of the current line or ring.
    line: Vec<Coord<f64>>,
    tmp: Vec<Coord<f64>>,
    /// Clipped line pieces.
    pieces: Vec<Coord<f64>>,
    parts: Vec<Range<usize>>,
    /// Snapped points and rings of the current feature.
    points: Vec<IntPoint>,
    rings: Vec<RingSpan>,
    repairer: Repairer,
    /// The command stream of the last encoded feature.
    pub(crate) commands: CommandWriter,
}

impl Pipeline {
    pub(crate) fn new(transform: TileTransform, options: &TileOptions) -> Self {
        let mut p = Self {
            transform,
            clip: Bbox::EMPTY,
            tolerance: options.tolerance,
            simplifier: Simplifier::default(),
            line: Vec::new(),
            tmp: Vec::new(),
            pieces: Vec::new(),
            parts: Vec::new(),
            points: Vec::new(),
            rings: Vec::new(),
            repairer: Repairer::default(),
            commands: CommandWriter::default(),
        };
        p.retarget(transform, options);
        p
    }

    /// Points the pipeline at a tile with no clipping at all (for
    /// [`crate::Preparer`]: whole features, in the frame of one tile).
    pub(crate) fn retarget_unclipped(&mut self, transform: TileTransform, tolerance: f64) {
        self.transform = transform;
        self.tolerance = tolerance;
        // Beyond any distance between two points of the world at the
        // deepest zoom a preparer accepts, and within i32 once snapped.
        let far = f64::from(UNCLIPPED);
        self.clip = Bbox {
            min_x: -far,
            min_y: -far,
            max_x: far,
            max_y: far,
        };
    }

    /// Encodes a prepared feature of type `ty` that crosses the edge of the
    /// tile whose top-left corner is `origin` (world units of the prepared
    /// zoom; see [`Pipeline::relate_prepared`]) into [`Pipeline::commands`]:
    /// decoded, clipped and checked like any crossing feature, without
    /// simplifying again. Returns whether anything of it is left in the tile.
    pub(crate) fn clip_prepared(
        &mut self,
        prepared: &Prepared,
        ty: GeomType,
        origin: (i64, i64),
    ) -> bool {
        self.commands.clear();
        self.points.clear();
        self.rings.clear();
        if let Some(raw) = prepared.raw() {
            self.clip_raw(raw, ty, origin);
            return !self.commands.is_empty();
        }
        let mut paths = prepared.paths(origin);
        match ty {
            GeomType::Point => return false,
            GeomType::LineString => {
                while paths.next_path(&mut self.line) {
                    let relation = Bbox::of(&self.line).relate(&self.clip);
                    self.finish_line(relation, 0.0);
                }
            }
            GeomType::Polygon => {
                // Each exterior (positive area) is followed by its holes;
                // holes of an exterior that left the tile go with it.
                let mut exterior_kept = false;
                while paths.next_path(&mut self.line) {
                    let hole = ring_area(&self.line) < 0.0;
                    if hole && !exterior_kept {
                        continue;
                    }
                    let relation = Bbox::of(&self.line).relate(&self.clip);
                    let kept = self.finish_ring(relation, hole, 0.0);
                    if !hole {
                        exterior_kept = kept;
                    }
                }
                self.finish_polygons();
            }
        }
        !self.commands.is_empty()
    }

    /// The crossing path of a big prepared feature: each path read chunk by
    /// chunk, where a chunk wholly beyond one side of the clip box stands
    /// for its first and last points only. That leaves the clipped result
    /// unchanged: the chunk's inner edges lie beyond that side too, so the
    /// clipping against it drops them, and the edges entering and leaving the
    /// chunk are kept as they were.
    fn clip_raw(&mut self, raw: &Raw, ty: GeomType, origin: (i64, i64)) {
        let clip = self.clip;
        let (ox, oy) = (origin.0 as f64, origin.1 as f64);
        let at = |p: (i32, i32)| Coord {
            x: f64::from(p.0) - ox,
            y: f64::from(p.1) - oy,
        };
        let mut start = 0usize;
        let mut exterior_kept = false;
        for (pi, path) in raw.paths.iter().enumerate() {
            let end = path.end as usize;
            let chunks_end = raw
                .paths
                .get(pi + 1)
                .map_or(raw.chunks.len(), |p| p.first_chunk as usize);
            let points = &raw.points[start..end];
            start = end;
            if ty == GeomType::Polygon && path.hole && !exterior_kept {
                continue;
            }
            self.line.clear();
            for (k, b) in raw.chunks[path.first_chunk as usize..chunks_end]
                .iter()
                .enumerate()
            {
                let run = &points[k * CHUNK..((k + 1) * CHUNK).min(points.len())];
                let bounds = Bbox {
                    min_x: f64::from(b.0) - ox,
                    min_y: f64::from(b.1) - oy,
                    max_x: f64::from(b.2) - ox,
                    max_y: f64::from(b.3) - oy,
                };
                let beyond = bounds.relate(&clip) == Relation::Outside;
                match run {
                    [first, .., last] if beyond => {
                        self.line.push(at(*first));
                        self.line.push(at(*last));
                    }
                    _ => self.line.extend(run.iter().map(|&p| at(p))),
                }
            }
            let relation = Bbox::of(&self.line).relate(&clip);
            if ty == GeomType::LineString {
                self.finish_line(relation, 0.0);
            } else {
                let kept = self.finish_ring(relation, path.hole, 0.0);
                if !path.hole {
                    exterior_kept = kept;
                }
            }
        }
        if ty == GeomType::Polygon {
            self.finish_polygons();
        }
    }

    /// Where a prepared feature lies relative to the buffered tile whose
    /// corner is `origin` (empty features are outside).
    pub(crate) fn relate_prepared(&self, prepared: &Prepared, origin: (i64, i64)) -> Relation {
        let Some((min, max)) = prepared.local_bbox(origin) else {
            return Relation::Outside;
        };
        Bbox {
            min_x: min.0 as f64,
            min_y: min.1 as f64,
            max_x: max.0 as f64,
            max_y: max.1 as f64,
        }
        .relate(&self.clip)
    }

    /// Points the pipeline at another tile, keeping its buffers.
    pub(crate) fn retarget(&mut self, transform: TileTransform, options: &TileOptions) {
        self.transform = transform;
        self.tolerance = options.tolerance;
        let lo = -f64::from(options.buffer);
        let hi = f64::from(options.extent) + f64::from(options.buffer);
        self.clip = Bbox {
            min_x: lo,
            min_y: lo,
            max_x: hi,
            max_y: hi,
        };
    }

    /// Encodes `g` into [`Pipeline::commands`]. Returns its MVT type, or
    /// `None` when nothing of it is left in the tile (or it is a collection
    /// mixing points, lines and polygons).
    pub(crate) fn encode(&mut self, g: &Geometry<f64>) -> Option<GeomType> {
        self.commands.clear();
        self.points.clear();
        self.rings.clear();
        let ty = kind(g)?;
        match ty {
            GeomType::Point => {
                self.collect_points(g);
                self.commands.points(&self.points);
            }
            GeomType::LineString => self.collect_lines(g),
            GeomType::Polygon => {
                self.collect_polygons(g);
                self.finish_polygons();
            }
        }
        (!self.commands.is_empty()).then_some(ty)
    }

    /// [`Pipeline::encode`] for a borrowed [`Shape`] (no `Geometry` needed).
    pub(crate) fn encode_shape(&mut self, shape: Shape<'_>) -> Option<GeomType> {
        let ty = match shape {
            Shape::Geometry(g) => return self.encode(g),
            Shape::Point(_) => GeomType::Point,
            Shape::Line(_) => GeomType::LineString,
            Shape::Polygons(_) => GeomType::Polygon,
        };
        self.commands.clear();
        self.points.clear();
        self.rings.clear();
        match shape {
            Shape::Point(p) => {
                self.point(p.0);
                self.commands.points(&self.points);
            }
            Shape::Line(ls) => self.line_string(&ls.0),
            Shape::Polygons(mp) => {
                for p in mp {
                    self.polygon(p);
                }
                self.finish_polygons();
            }
            Shape::Geometry(_) => {}
        }
        (!self.commands.is_empty()).then_some(ty)
    }

    fn collect_points(&mut self, g: &Geometry<f64>) {
        match g {
            Geometry::Point(p) => self.point(p.0),
            Geometry::MultiPoint(mp) => {
                for p in mp {
                    self.point(p.0);
                }
            }
            Geometry::GeometryCollection(gc) => {
                for g in gc {
                    self.collect_points(g);
                }
            }
            _ => {}
        }
    }

    fn point(&mut self, c: Coord<f64>) {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return;
        }
        let p = self.transform.project_coord(c);
        if self.clip.contains(p) {
            self.points.push(snap(p));
        }
    }

    /// Projects `coords` into `self.line`, skipping non-finite ones; returns
    /// their bbox.
    fn project(&mut self, coords: &[Coord<f64>]) -> Bbox {
        // Lines and rings: many points, worth the latitude fit.
        self.transform = self.transform.fitted();
        self.line.clear();
        let mut bbox = Bbox::EMPTY;
        for &c in coords {
            if c.x.is_finite() && c.y.is_finite() {
                let p = self.transform.project_coord(c);
                bbox.extend(p);
                self.line.push(p);
            }
        }
        bbox
    }

    fn collect_lines(&mut self, g: &Geometry<f64>) {
        match g {
            Geometry::Line(l) => self.line_string(&[l.start, l.end]),
            Geometry::LineString(ls) => self.line_string(&ls.0),
            Geometry::MultiLineString(mls) => {
                for ls in mls {
                    self.line_string(&ls.0);
                }
            }
            Geometry::GeometryCollection(gc) => {
                for g in gc {
                    self.collect_lines(g);
                }
            }
            _ => {}
        }
    }

    fn line_string(&mut self, coords: &[Coord<f64>]) {
        let relation = self.project(coords).relate(&self.clip);
        self.finish_line(relation, self.tolerance);
    }

    /// Clips (if `relation` says so), simplifies with `tolerance` and
    /// encodes the line in `self.line` (tile units).
    fn finish_line(&mut self, relation: Relation, tolerance: f64) {
        if relation == Relation::Outside {
            return;
        }
        if relation == Relation::Inside {
            self.simplifier.line(&mut self.line, tolerance);
            self.points.clear();
            if snap_line(&self.line, &mut self.points) >= 2 {
                self.commands.line(&self.points);
            }
            return;
        }
        // Clip first, then simplify what is left: long lines mostly outside
        // the tile cost only their clipping.
        self.pieces.clear();
        self.parts.clear();
        clip_line(&self.line, &self.clip, &mut self.pieces, &mut self.parts);
        for part in &self.parts {
            self.tmp.clear();
            self.tmp.extend_from_slice(&self.pieces[part.clone()]);
            self.simplifier.line(&mut self.tmp, tolerance);
            self.points.clear();
            if snap_line(&self.tmp, &mut self.points) >= 2 {
                self.commands.line(&self.points);
            }
        }
    }

    fn collect_polygons(&mut self, g: &Geometry<f64>) {
        match g {
            Geometry::Polygon(p) => self.polygon(p),
            Geometry::MultiPolygon(mp) => {
                for p in mp {
                    self.polygon(p);
                }
            }
            Geometry::Rect(r) => self.polygon(&r.to_polygon()),
            Geometry::Triangle(t) => self.polygon(&t.to_polygon()),
            Geometry::GeometryCollection(gc) => {
                for g in gc {
                    self.collect_polygons(g);
                }
            }
            _ => {}
        }
    }

    fn polygon(&mut self, p: &Polygon<f64>) {
        if !self.ring(p.exterior(), false) {
            return;
        }
        for hole in p.interiors() {
            self.ring(hole, true);
        }
    }

    /// Adds one ring to `self.points`/`self.rings`, oriented for MVT.
    /// Returns whether anything of it survived.
    fn ring(&mut self, ls: &LineString<f64>, hole: bool) -> bool {
        let relation = self.project(&ls.0).relate(&self.clip);
        self.finish_ring(relation, hole, self.tolerance)
    }

    /// [`Pipeline::ring`] for the ring already in `self.line` (tile units),
    /// simplified with `tolerance`.
    fn finish_ring(&mut self, relation: Relation, hole: bool, tolerance: f64) -> bool {
        if relation == Relation::Outside {
            return false;
        }
        if self.line.len() > 1 && self.line.first() == self.line.last() {
            self.line.pop();
        }
        if relation == Relation::Crossing {
            // Clip first, then simplify what is left: big polygons mostly
            // outside the tile cost only their clipping.
            clip_ring(&mut self.line, &self.clip, &mut self.tmp);
        }
        if tolerance > 0.0 {
            self.simplifier.ring(&mut self.line, tolerance);
            if self.line.len() < 3 || ring_area(&self.line).abs() < tolerance * tolerance {
                return false;
            }
        } else if self.line.len() < 3 {
            return false;
        }
        let start = self.points.len();
        let n = snap_ring(&self.line, &mut self.points);
        let ring = &mut self.points[start..];
        let area = area2(ring);
        if n < 3 || area == 0 {
            self.points.truncate(start);
            return false;
        }
        if (area < 0) != hole {
            ring.reverse();
        }
        // One start point whatever the ring's source started with (lon/lat
        // or prepared, clipped or whole, reversed or not): the lowest vertex,
        // so the same ring encodes the same way whichever path made it.
        if let Some(first) = ring
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| (p.y, p.x))
            .map(|(i, _)| i)
        {
            ring.rotate_left(first);
        }
        self.rings.push(RingSpan {
            start,
            end: self.points.len(),
            hole,
        });
        true
    }

    fn finish_polygons(&mut self) {
        if self.rings.is_empty() {
            return;
        }
        // Clipped concave rings carry zero-width spikes along the clip edge,
        // and snapping or simplification can make rings touch or cross: the
        // check rejects all of these (and anything too big to check fast).
        if !is_valid(&self.points, &self.rings) {
            self.repairer.repair(&mut self.points, &mut self.rings);
        }
        for r in &self.rings {
            self.commands.ring(&self.points[r.start..r.end]);
        }
    }
}
