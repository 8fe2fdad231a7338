//! Clipping projected geometry to the buffered tile.
//!
//! Callers first compare the feature's bbox with the clip box
//! ([`Bbox::relate`]): features inside are not clipped at all (the common
//! case), features outside are dropped, and only crossing ones come here.
//! Rings are cut with Sutherland–Hodgman, whose output can carry zero-width
//! spikes along the clip edges for concave input; the polygon path then makes
//! the snapped result valid with an integer overlay (see `crate::repair`).

use std::ops::Range;

use geo::Coord;

/// An axis-aligned box in tile units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bbox {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

/// Where a feature's bbox lies relative to the clip box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Inside,
    Outside,
    Crossing,
}

impl Bbox {
    /// An empty box that [`Bbox::extend`] grows.
    pub(crate) const EMPTY: Bbox = Bbox {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    #[inline]
    pub(crate) fn extend(&mut self, c: Coord<f64>) {
        self.min_x = self.min_x.min(c.x);
        self.min_y = self.min_y.min(c.y);
        self.max_x = self.max_x.max(c.x);
        self.max_y = self.max_y.max(c.y);
    }

    /// The bbox of some points.
    pub(crate) fn of(pts: &[Coord<f64>]) -> Bbox {
        let mut b = Bbox::EMPTY;
        for &p in pts {
            b.extend(p);
        }
        b
    }

    /// How `self` (a feature's bbox) lies relative to `clip`. An empty or
    /// non-finite bbox counts as outside.
    #[inline]
    pub(crate) fn relate(&self, clip: &Bbox) -> Relation {
        if !(self.min_x <= self.max_x && self.min_y <= self.max_y)
            || self.max_x < clip.min_x
            || self.max_y < clip.min_y
            || self.min_x > clip.max_x
            || self.min_y > clip.max_y
        {
            Relation::Outside
        } else if self.min_x >= clip.min_x
            && self.min_y >= clip.min_y
            && self.max_x <= clip.max_x
            && self.max_y <= clip.max_y
        {
            Relation::Inside
        } else {
            Relation::Crossing
        }
    }

    #[inline]
    pub(crate) fn contains(&self, c: Coord<f64>) -> bool {
        c.x >= self.min_x && c.x <= self.max_x && c.y >= self.min_y && c.y <= self.max_y
    }
}

/// The four half-planes of the clip box.
#[derive(Clone, Copy)]
enum Edge {
    Left(f64),
    Right(f64),
    Top(f64),
    Bottom(f64),
}

impl Edge {
    #[inline]
    fn inside(self, p: Coord<f64>) -> bool {
        match self {
            Edge::Left(v) => p.x >= v,
            Edge::Right(v) => p.x <= v,
            Edge::Top(v) => p.y >= v,
            Edge::Bottom(v) => p.y <= v,
        }
    }

    /// Where segment `a`–`b` (one end on each side) meets the edge.
    #[inline]
    fn cut(self, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        match self {
            Edge::Left(v) | Edge::Right(v) => {
                let t = (v - a.x) / (b.x - a.x);
                Coord {
                    x: v,
                    y: a.y + t * (b.y - a.y),
                }
            }
            Edge::Top(v) | Edge::Bottom(v) => {
                let t = (v - a.y) / (b.y - a.y);
                Coord {
                    x: a.x + t * (b.x - a.x),
                    y: v,
                }
            }
        }
    }
}

/// Sutherland–Hodgman: clips the ring `pts` (no closing point) to `clip` in
/// place. `tmp` is scratch. The result may be empty or degenerate.
///
/// Only the edges that the ring's bbox crosses are cut against: a pass
/// against an edge with every point on its inner side returns the ring
/// unchanged, and cutting against one edge never moves points past another
/// edge the bbox lay within (a cut point lies between its segment's ends).
pub(crate) fn clip_ring(pts: &mut Vec<Coord<f64>>, clip: &Bbox, tmp: &mut Vec<Coord<f64>>) {
    let b = Bbox::of(pts);
    for edge in [
        (b.min_x < clip.min_x).then_some(Edge::Left(clip.min_x)),
        (b.max_x > clip.max_x).then_some(Edge::Right(clip.max_x)),
        (b.min_y < clip.min_y).then_some(Edge::Top(clip.min_y)),
        (b.max_y > clip.max_y).then_some(Edge::Bottom(clip.max_y)),
    ]
    .into_iter()
    .flatten()
    {
        let Some(&last) = pts.last() else {
            return;
        };
        tmp.clear();
        let mut prev = last;
        let mut prev_in = edge.inside(prev);
        for &cur in pts.iter() {
            let cur_in = edge.inside(cur);
            if cur_in != prev_in {
                tmp.push(edge.cut(prev, cur));
            }
            if cur_in {
                tmp.push(cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
        std::mem::swap(pts, tmp);
    }
}

/// Clips the open polyline `pts` to `clip` (Liang–Barsky per segment).
/// Appends the surviving pieces' points to `out` and their ranges in `out`
/// to `parts`.
pub(crate) fn clip_line(
    pts: &[Coord<f64>],
    clip: &Bbox,
    out: &mut Vec<Coord<f64>>,
    parts: &mut Vec<Range<usize>>,
) {
    let mut start: Option<usize> = None;
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        match clip_segment(a, b, clip) {
            None => {
                if let Some(s) = start.take() {
                    parts.push(s..out.len());
                }
            }
            Some((ca, cb, a_cut, b_cut)) => {
                if a_cut || start.is_none() {
                    if let Some(s) = start.take() {
                        parts.push(s..out.len());
                    }
                    start = Some(out.len());
                    out.push(ca);
                }
                out.push(cb);
                if b_cut && let Some(s) = start.take() {
                    parts.push(s..out.len());
                }
            }
        }
    }
    if let Some(s) = start {
        parts.push(s..out.len());
    }
}

/// Liang–Barsky. Returns the clipped segment and whether each end was moved.
fn clip_segment(
    a: Coord<f64>,
    b: Coord<f64>,
    clip: &Bbox,
) -> Option<(Coord<f64>, Coord<f64>, bool, bool)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a.x - clip.min_x),
        (dx, clip.max_x - a.x),
        (-dy, a.y - clip.min_y),
        (dy, clip.max_y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    let ca = if t0 > 0.0 {
        Coord {
            x: a.x + t0 * dx,
            y: a.y + t0 * dy,
        }
    } else {
        a
    };
    let cb = if t1 < 1.0 {
        Coord {
            x: a.x + t1 * dx,
            y: a.y + t1 * dy,
        }
    } else {
        b
    };
    Some((ca, cb, t0 > 0.0, t1 < 1.0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    const CLIP: Bbox = Bbox {
        min_x: 0.0,
        min_y: 0.0,
        max_x: 10.0,
        max_y: 10.0,
    };

    #[test]
    fn relate_classifies_bboxes() {
        let inside = Bbox::of(&[c(1.0, 1.0), c(9.0, 10.0)]);
        let outside = Bbox::of(&[c(11.0, 1.0), c(19.0, 10.0)]);
        let crossing = Bbox::of(&[c(-1.0, 1.0), c(9.0, 9.0)]);
        assert_eq!(inside.relate(&CLIP), Relation::Inside);
        assert_eq!(outside.relate(&CLIP), Relation::Outside);
        assert_eq!(crossing.relate(&CLIP), Relation::Crossing);
        assert_eq!(Bbox::EMPTY.relate(&CLIP), Relation::Outside);
    }

    #[test]
    fn ring_is_cut_to_the_box() {
        let mut ring = vec![c(-5.0, -5.0), c(5.0, -5.0), c(5.0, 5.0), c(-5.0, 5.0)];
        clip_ring(&mut ring, &CLIP, &mut Vec::new());
        let b = Bbox::of(&ring);
        assert_eq!((b.min_x, b.min_y, b.max_x, b.max_y), (0.0, 0.0, 5.0, 5.0));
        assert!((crate::simplify::ring_area(&ring) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn line_leaving_and_reentering_makes_two_parts() {
        let line = [c(1.0, 5.0), c(15.0, 5.0), c(15.0, 8.0), c(1.0, 8.0)];
        let (mut out, mut parts) = (Vec::new(), Vec::new());
        clip_line(&line, &CLIP, &mut out, &mut parts);
        assert_eq!(parts.len(), 2);
        assert_eq!(&out[parts[0].clone()], &[c(1.0, 5.0), c(10.0, 5.0)]);
        assert_eq!(&out[parts[1].clone()], &[c(10.0, 8.0), c(1.0, 8.0)]);
    }

    #[test]
    fn line_inside_stays_one_part() {
        let line = [c(1.0, 1.0), c(2.0, 2.0), c(3.0, 1.0)];
        let (mut out, mut parts) = (Vec::new(), Vec::new());
        clip_line(&line, &CLIP, &mut out, &mut parts);
        assert_eq!(parts, vec![0..3]);
        assert_eq!(out, line.to_vec());
    }
}
