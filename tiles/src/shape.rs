//! A borrowed view of a feature's geometry.

use geo::{CoordsIter, Geometry, LineString, MultiPolygon, Point};

/// What [`crate::LayerBuilder::add_shape`] encodes, borrowed from the
/// caller's own storage.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    /// A point feature.
    Point(Point<f64>),
    /// A line feature.
    Line(&'a LineString<f64>),
    /// A polygon feature (one or more polygons).
    Polygons(&'a MultiPolygon<f64>),
    /// Any geometry (collections, lines, multi-points …).
    Geometry(&'a Geometry<f64>),
}

impl Shape<'_> {
    /// How many vertices it has (every ring's closing point included).
    pub fn vertices(&self) -> usize {
        match self {
            Shape::Point(_) => 1,
            Shape::Line(l) => l.0.len(),
            Shape::Polygons(mp) => mp.coords_count(),
            Shape::Geometry(g) => g.coords_count(),
        }
    }
}
