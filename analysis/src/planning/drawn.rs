//! The geometry a planner draws (a boundary ring, a split line), checked
//! before an edit uses it, like an import checks its features: every
//! vertex finite and a WGS84 longitude/latitude, inside the community's
//! bounding box widened by [`DRAWN_MARGIN_M`], at most
//! [`MAX_DRAWN_VERTICES`] vertices; a ring with at least three distinct
//! points, closed or closable, enclosing an area and not crossing itself;
//! a line with at least two distinct points. Repeated consecutive points (a
//! double click) are dropped. A failure is [`EditError::InvalidGeometry`]
//! naming the problem, and nothing is computed from the geometry.

use geo::{Area, BoundingRect, Coord, LineString, Polygon, Validation};

use super::error::EditError;
use super::input::CommunityInput;

/// How far outside the community's bounding box a drawn vertex may lie, in
/// metres: enough to click a little beyond the edge when drawing around
/// the outermost buildings or across the whole community.
pub const DRAWN_MARGIN_M: f64 = 500.0;

/// Most vertices a drawn ring or line may have (hand-drawn ones have tens).
pub const MAX_DRAWN_VERTICES: usize = 2_000;

fn invalid(why: String) -> EditError {
    EditError::InvalidGeometry(why)
}

/// The points checked one by one (range, finite, near the community), with
/// repeated consecutive points dropped.
fn checked_points(
    input: &CommunityInput,
    what: &str,
    points: &[Coord<f64>],
) -> Result<Vec<Coord<f64>>, EditError> {
    if points.len() > MAX_DRAWN_VERTICES {
        return Err(invalid(format!(
            "the {what} has {} vertices, more than the {MAX_DRAWN_VERTICES} a drawn {what} may have",
            points.len()
        )));
    }
    let bounds = input.boundary_local.bounding_rect();
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(points.len());
    for (i, c) in points.iter().enumerate() {
        if !c.x.is_finite()
            || !c.y.is_finite()
            || !(-180.0..=180.0).contains(&c.x)
            || !(-90.0..=90.0).contains(&c.y)
        {
            return Err(invalid(format!(
                "vertex {i} of the {what} ({}, {}) is not a WGS84 longitude/latitude",
                c.x, c.y
            )));
        }
        if let Some(r) = bounds {
            let l = input.proj.fwd(*c);
            let dx = (r.min().x - l.x).max(l.x - r.max().x).max(0.0);
            let dy = (r.min().y - l.y).max(l.y - r.max().y).max(0.0);
            let off = dx.hypot(dy);
            if off > DRAWN_MARGIN_M {
                return Err(invalid(format!(
                    "vertex {i} of the {what} ({}, {}) lies {:.1} km outside community {}; drawn vertices may lie at most {DRAWN_MARGIN_M} m beyond its bounds",
                    c.x,
                    c.y,
                    off / 1000.0,
                    input.community_code
                )));
            }
        }
        if out.last() != Some(c) {
            out.push(*c);
        }
    }
    Ok(out)
}

/// A drawn boundary ring (longitude/latitude, closed or not) as a valid
/// polygon with a closed exterior and no holes.
pub fn checked_ring(
    input: &CommunityInput,
    drawn: &Polygon<f64>,
) -> Result<Polygon<f64>, EditError> {
    if !drawn.interiors().is_empty() {
        return Err(invalid("a drawn boundary has no holes".into()));
    }
    let mut pts = checked_points(input, "ring", &drawn.exterior().0)?;
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let mut distinct = pts.clone();
    distinct.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(invalid(format!(
            "the ring has {} distinct points; a boundary needs at least 3",
            distinct.len()
        )));
    }
    let ring = Polygon::new(LineString::from(pts), vec![]);
    let local = input.proj.fwd_polygon(&ring);
    if let Err(e) = local.check_validation() {
        return Err(invalid(format!("the ring is not a valid polygon: {e}")));
    }
    let area = local.unsigned_area();
    if !(area.is_finite() && area > 0.0) {
        return Err(invalid("the ring encloses no area".into()));
    }
    Ok(ring)
}

/// A drawn split line (longitude/latitude) with at least two distinct points.
pub fn checked_line(
    input: &CommunityInput,
    drawn: &LineString<f64>,
) -> Result<LineString<f64>, EditError> {
    let pts = checked_points(input, "line", &drawn.0)?;
    if pts.len() < 2 {
        return Err(invalid(format!(
            "the line has {} distinct point(s); a split line needs at least 2",
            pts.len()
        )));
    }
    Ok(LineString::from(pts))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use geo::{MultiPolygon, Point, polygon};

    use super::*;
    use crate::planning::InputBuilding;

    /// A 0.01° square community at (118.78, 32.04) with one building.
    fn input() -> CommunityInput {
        let boundary = MultiPolygon(vec![polygon![
            (x: 118.78, y: 32.04), (x: 118.79, y: 32.04), (x: 118.79, y: 32.05),
            (x: 118.78, y: 32.05), (x: 118.78, y: 32.04),
        ]]);
        CommunityInput::new(
            1,
            "320104001001".into(),
            boundary,
            vec![InputBuilding {
                id: 1,
                households: 10,
                point: Point::new(118.785, 32.045),
            }],
            vec![],
        )
        .unwrap()
    }

    fn ring(points: &[[f64; 2]]) -> Polygon<f64> {
        Polygon::new(
            LineString::from(points.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>()),
            vec![],
        )
    }

    fn why(r: Result<Polygon<f64>, EditError>) -> String {
        match r {
            Err(EditError::InvalidGeometry(w)) => w,
            other => panic!("expected invalid geometry, got {other:?}"),
        }
    }

    #[test]
    fn a_drawn_ring_inside_the_community_passes_open_or_closed() {
        let i = input();
        let open = [[118.781, 32.041], [118.789, 32.041], [118.785, 32.049]];
        let got = checked_ring(&i, &ring(&open)).unwrap();
        assert_eq!(got.exterior().0.len(), 4, "closed");
        let mut closed = open.to_vec();
        closed.push(open[0]);
        assert_eq!(checked_ring(&i, &ring(&closed)).unwrap(), got);
        // A double click repeats a point: dropped.
        let doubled = [open[0], open[1], open[1], open[2], open[2]];
        assert_eq!(checked_ring(&i, &ring(&doubled)).unwrap(), got);
        // Slightly outside the community (about 200 m) is fine.
        let near = [[118.778, 32.041], [118.789, 32.041], [118.785, 32.0515]];
        checked_ring(&i, &ring(&near)).unwrap();
    }

    #[test]
    fn hostile_rings_are_refused_with_the_reason() {
        let i = input();
        let huge = [[1e308, 0.0], [0.0, 1e308], [-1e308, 0.0], [1e308, 0.0]];
        assert!(why(checked_ring(&i, &ring(&huge))).contains("not a WGS84"));
        let lon200 = [[200.0, 32.04], [118.789, 32.041], [118.785, 32.049]];
        assert!(why(checked_ring(&i, &ring(&lon200))).contains("(200, 32.04)"));
        let lat100 = [[118.781, 100.0], [118.789, 32.041], [118.785, 32.049]];
        assert!(why(checked_ring(&i, &ring(&lat100))).contains("not a WGS84"));
        let nan = [[f64::NAN, 32.04], [118.789, 32.041], [118.785, 32.049]];
        assert!(why(checked_ring(&i, &ring(&nan))).contains("not a WGS84"));
        // Far away: a valid ring in Beijing.
        let far = [[116.3, 39.9], [116.31, 39.9], [116.305, 39.91]];
        let w = why(checked_ring(&i, &ring(&far)));
        assert!(w.contains("km outside community 320104001001"), "{w}");
        // Two distinct points, a line of three, a bow tie.
        let two = [[118.781, 32.041], [118.789, 32.041], [118.781, 32.041]];
        assert!(why(checked_ring(&i, &ring(&two))).contains("2 distinct points"));
        let flat = [[118.781, 32.041], [118.783, 32.041], [118.785, 32.041]];
        let w = why(checked_ring(&i, &ring(&flat)));
        assert!(
            w.contains("not a valid polygon") || w.contains("no area"),
            "{w}"
        );
        let bow = [
            [118.781, 32.041],
            [118.789, 32.049],
            [118.789, 32.041],
            [118.781, 32.049],
        ];
        assert!(why(checked_ring(&i, &ring(&bow))).contains("self-intersection"));
        let many: Vec<[f64; 2]> = (0..=MAX_DRAWN_VERTICES)
            .map(|k| {
                let a = k as f64 / MAX_DRAWN_VERTICES as f64 * std::f64::consts::TAU;
                [118.785 + 0.004 * a.cos(), 32.045 + 0.004 * a.sin()]
            })
            .collect();
        assert!(why(checked_ring(&i, &ring(&many))).contains("vertices"));
    }

    #[test]
    fn split_lines_are_checked_too() {
        let i = input();
        let ok = LineString::from(vec![(118.781, 32.045), (118.789, 32.045)]);
        assert_eq!(checked_line(&i, &ok).unwrap(), ok);
        let one = LineString::from(vec![(118.781, 32.045), (118.781, 32.045)]);
        assert!(matches!(
            checked_line(&i, &one),
            Err(EditError::InvalidGeometry(_))
        ));
        let bad = LineString::from(vec![(118.781, 32.045), (118.789, 1e308)]);
        assert!(matches!(
            checked_line(&i, &bad),
            Err(EditError::InvalidGeometry(_))
        ));
    }
}
