//! Making snapped polygons valid with i_overlay's integer overlay.
//!
//! Used for every polygon that [`crate::ring::is_valid`] does not accept:
//! clipped concave rings (Sutherland–Hodgman leaves zero-width spikes along
//! the clip edges), rings that snapping or simplification made touch or
//! cross, overlapping parts of a multipolygon, and polygons too big for the
//! cheap check. The overlay works on the integer grid itself, so its output
//! needs no further snapping and stays valid.

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;

use crate::ring::{RingSpan, area2};

/// A reusable integer overlay.
pub(crate) struct Repairer {
    overlay: Overlay,
}

impl std::fmt::Debug for Repairer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repairer").finish_non_exhaustive()
    }
}

impl Default for Repairer {
    fn default() -> Self {
        Self {
            overlay: Overlay::new_custom(64, IntOverlayOptions::ogc(), Solver::default()),
        }
    }
}

impl Repairer {
    /// Replaces the rings with the OGC-valid polygons covering the area of
    /// positive winding. Input exteriors must have positive area and holes
    /// negative area (see [`crate::ring::area2`]); so do the outputs, each
    /// exterior followed by its holes, none with zero area.
    pub(crate) fn repair(&mut self, points: &mut Vec<IntPoint>, rings: &mut Vec<RingSpan>) {
        self.overlay.clear();
        for r in rings.iter() {
            self.overlay
                .add_contour(&points[r.start..r.end], ShapeType::Subject);
        }
        // i_overlay's counter-clockwise is a positive shoelace area: the MVT
        // exterior orientation.
        let shapes = self
            .overlay
            .overlay(OverlayRule::Subject, FillRule::Positive);
        points.clear();
        rings.clear();
        for shape in shapes {
            for (k, contour) in shape.into_iter().enumerate() {
                let hole = k > 0;
                let area = area2(&contour);
                if contour.len() < 3 || area == 0 {
                    continue;
                }
                let start = points.len();
                points.extend_from_slice(&contour);
                // i_overlay does not always orient holes that touch their
                // exterior (OGC mode): enforce the MVT winding here.
                if (area < 0) != hole {
                    points[start..].reverse();
                }
                rings.push(RingSpan {
                    start,
                    end: points.len(),
                    hole,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::is_valid;

    fn pts(v: &[(i32, i32)]) -> Vec<IntPoint> {
        v.iter().map(|&(x, y)| IntPoint::new(x, y)).collect()
    }

    #[test]
    fn spike_is_removed_and_orientation_kept() {
        let mut p = pts(&[(0, 0), (10, 0), (15, 0), (10, 0), (10, 10), (0, 10)]);
        assert!(area2(&p) > 0);
        let mut r = vec![RingSpan {
            start: 0,
            end: 6,
            hole: false,
        }];
        Repairer::default().repair(&mut p, &mut r);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].end - r[0].start, 4);
        assert_eq!(area2(&p[r[0].start..r[0].end]), 200);
        assert!(is_valid(&p, &r));
    }

    #[test]
    fn bowtie_becomes_valid() {
        let mut p = pts(&[(0, 0), (10, 10), (10, 0), (0, 10)]);
        let mut r = vec![RingSpan {
            start: 0,
            end: 4,
            hole: false,
        }];
        Repairer::default().repair(&mut p, &mut r);
        // Only the lobe with positive winding is kept.
        assert_eq!(r.len(), 1);
        assert!(area2(&p[r[0].start..r[0].end]) > 0);
        assert!(is_valid(&p, &r));
    }

    #[test]
    fn holes_come_out_negative() {
        let mut p = pts(&[
            (0, 0),
            (10, 0),
            (10, 10),
            (0, 10),
            (2, 2),
            (2, 8),
            (8, 8),
            (8, 2),
        ]);
        let mut r = vec![
            RingSpan {
                start: 0,
                end: 4,
                hole: false,
            },
            RingSpan {
                start: 4,
                end: 8,
                hole: true,
            },
        ];
        Repairer::default().repair(&mut p, &mut r);
        assert_eq!(r.len(), 2);
        assert!(area2(&p[r[0].start..r[0].end]) > 0);
        assert!(r[1].hole);
        assert!(area2(&p[r[1].start..r[1].end]) < 0);
    }

    #[test]
    fn hole_touching_its_exterior_is_wound_negative() {
        // Found by the property test: i_overlay (OGC mode) returned this
        // hole with the exterior's orientation.
        let mut p = pts(&[
            (4134, 1140),
            (4133, 1141),
            (4132, 1140),
            (4133, 1139),
            (4135, 1138),
            (4134, 1139),
            (4133, 1139),
            (4133, 1140),
        ]);
        let mut r = vec![
            RingSpan {
                start: 0,
                end: 5,
                hole: false,
            },
            RingSpan {
                start: 5,
                end: 8,
                hole: true,
            },
        ];
        assert!(area2(&p[5..8]) < 0);
        Repairer::default().repair(&mut p, &mut r);
        assert_eq!(r.len(), 2);
        assert!(!r[0].hole && r[1].hole);
        assert!(area2(&p[r[0].start..r[0].end]) > 0);
        assert!(area2(&p[r[1].start..r[1].end]) < 0);
    }
}
