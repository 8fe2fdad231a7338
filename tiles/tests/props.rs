//! Property tests: random star-shaped polygons (with and without a hole,
//! tiny to tile-covering, often crossing the tile edge), multipolygons of
//! overlapping stars and combs poking out of the tile (invalid input), and
//! random lines must encode to spec-conforming, valid geometry inside the
//! buffered tile whose area matches the exact clipped area (of the union)
//! within the tolerance.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use common::*;
use geo::{
    Area, BooleanOps, BoundingRect, Coord, Geometry, LineString, MultiPolygon, Polygon, Rect,
    Validation,
};
use gridmap_tiles::{TileBuilder, TileCoord, TileOptions};
use mvt_reader::Reader;
use proptest::prelude::*;

const EXTENT: u32 = 4096;
const BUFFER: u32 = 64;

/// A star-shaped ring around (cx, cy) in tile units: vertex `i` at angle
/// `(i + jitter_i) · 2π/n` and radius `r_i · scale`. Angular gaps stay below
/// π/2, so the ring is simple.
fn star(cx: f64, cy: f64, scale: f64, spokes: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let n = spokes.len() as f64;
    spokes
        .iter()
        .enumerate()
        .map(|(i, &(jitter, r))| {
            let a = (i as f64 + jitter) * std::f64::consts::TAU / n;
            (cx + r * scale * a.cos(), cy + r * scale * a.sin())
        })
        .collect()
}

fn tile_units_ring(pts: &[(f64, f64)]) -> LineString<f64> {
    let mut c: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
    c.push(c[0]);
    LineString::new(c)
}

fn perimeter(mp: &MultiPolygon<f64>) -> f64 {
    let ring_len = |ls: &LineString<f64>| {
        ls.lines()
            .map(|l| (l.dx() * l.dx() + l.dy() * l.dy()).sqrt())
            .sum::<f64>()
    };
    mp.iter()
        .map(|p| ring_len(p.exterior()) + p.interiors().iter().map(ring_len).sum::<f64>())
        .sum()
}

fn spokes(
    n: std::ops::Range<usize>,
    r: std::ops::Range<f64>,
) -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.0..0.5f64, r), n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn star_polygons_encode_to_valid_clipped_rings(
        cx in -1000.0..5100.0f64,
        cy in -1000.0..5100.0f64,
        log_scale in -0.5..3.6f64,
        outer in spokes(6..90, 0.3..1.0),
        hole in prop::option::of(spokes(6..20, 0.1..0.6)),
        tolerance in prop_oneof![Just(0.0), Just(3.0), 0.0..12.0f64],
        reverse in any::<bool>(),
    ) {
        let scale = 10f64.powf(log_scale);
        let ext_px = star(cx, cy, scale, &outer);
        // The hole fits inside the exterior's inscribed disc.
        let min_r = outer.iter().map(|s| s.1).fold(f64::INFINITY, f64::min) * scale;
        let hole_px = hole.as_ref().map(|h| star(cx, cy, min_r * 0.7, h));

        // Expected: the exact intersection with the buffered tile, in tile units.
        let input = Polygon::new(
            tile_units_ring(&ext_px),
            hole_px.iter().map(|h| tile_units_ring(h)).collect(),
        );
        prop_assume!(input.is_valid());
        let lo = -f64::from(BUFFER);
        let hi = f64::from(EXTENT + BUFFER);
        let clip = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
        let expected = input.intersection(&clip);
        let expected_area = expected.unsigned_area();

        // The same polygon in lon/lat.
        let mut ext = ring(&ext_px);
        if reverse {
            ext.0.reverse();
        }
        let holes: Vec<_> = hole_px.iter().map(|h| ring(h)).collect();
        let g = Geometry::Polygon(Polygon::new(ext, holes));

        let (z, x, y) = NANJING;
        let opts = TileOptions { extent: EXTENT, buffer: BUFFER, tolerance };
        let mut tile = TileBuilder::new(TileCoord::new(z, x, y).unwrap(), opts).unwrap();
        let written = tile.layer("p").add(1, &g, &[]);
        let bytes = tile.encode();
        check_tile(&bytes, EXTENT, BUFFER);

        let decoded_area = if written {
            let r = Reader::new(bytes).unwrap();
            let f = r.get_features_as::<f64>(0).unwrap();
            prop_assert_eq!(f.len(), 1);
            let geom = &f[0].geometry;
            prop_assert!(
                matches!(geom, Geometry::Polygon(_) | Geometry::MultiPolygon(_)),
                "{:?}", geom
            );
            prop_assert!(geom.is_valid(), "invalid: {:?}\n{:?}", geom.validation_errors(), geom);
            let b = geom.bounding_rect().unwrap();
            prop_assert!(b.min().x >= lo && b.min().y >= lo && b.max().x <= hi && b.max().y <= hi);
            geom.unsigned_area()
        } else {
            0.0
        };
        // Simplification moves edges by at most the tolerance, snapping by
        // under a unit; rings smaller than tolerance² may be dropped.
        let slack = perimeter(&expected) * (tolerance + 1.0) + 2.0 * tolerance * tolerance + 1.0;
        prop_assert!(
            (decoded_area - expected_area).abs() <= slack,
            "area {} vs expected {} (slack {})", decoded_area, expected_area, slack
        );
    }

    #[test]
    fn overlapping_multipolygons_and_combs_come_out_valid(
        stars in prop::collection::vec(
            ((-800.0..4900.0f64, -800.0..4900.0f64), 0.5..3.3f64, spokes(6..24, 0.3..1.0)),
            1..4,
        ),
        comb in prop::option::of((2usize..8, 100.0..900.0f64, -400.0..4400.0f64, 0usize..4)),
        tolerance in prop_oneof![Just(0.0), Just(3.0)],
    ) {
        // Parts may overlap (invalid input); the output must still be valid
        // and cover their union, clipped.
        let mut parts: Vec<Vec<(f64, f64)>> = stars
            .iter()
            .map(|&((cx, cy), log_scale, ref sp)| star(cx, cy, 10f64.powf(log_scale), sp))
            .collect();
        if let Some((teeth, depth, offset, side)) = comb {
            // A comb whose teeth poke out across one side of the tile.
            let (w, spine, tip) = (120.0, 4096.0 - depth, 4096.0 + depth);
            let right = offset + w * (2 * teeth) as f64;
            let mut pts = vec![(offset, spine - 200.0), (right, spine - 200.0)];
            for t in (0..teeth).rev() {
                let x1 = offset + w * (2 * t + 2) as f64;
                let x0 = x1 - w;
                pts.extend([(x1, spine), (x1, tip), (x0, tip), (x0, spine)]);
            }
            pts.push((offset, spine));
            let pts = pts
                .into_iter()
                .map(|(x, y)| match side {
                    0 => (x, y),
                    1 => (y, x),
                    2 => (x, 4096.0 - y),
                    _ => (4096.0 - y, x),
                })
                .collect();
            parts.push(pts);
        }
        let polys: Vec<Polygon<f64>> = parts
            .iter()
            .map(|p| Polygon::new(tile_units_ring(p), vec![]))
            .collect();
        for p in &polys {
            prop_assume!(p.is_valid());
        }
        let union = polys
            .iter()
            .fold(MultiPolygon::new(vec![]), |acc, p| acc.union(&MultiPolygon::new(vec![p.clone()])));
        let lo = -f64::from(BUFFER);
        let hi = f64::from(EXTENT + BUFFER);
        let clip = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
        let expected = union.intersection(&MultiPolygon::new(vec![clip]));

        let g = Geometry::MultiPolygon(MultiPolygon::new(
            parts.iter().map(|p| Polygon::new(ring(p), vec![])).collect(),
        ));
        let (z, x, y) = NANJING;
        let opts = TileOptions { extent: EXTENT, buffer: BUFFER, tolerance };
        let mut tile = TileBuilder::new(TileCoord::new(z, x, y).unwrap(), opts).unwrap();
        let written = tile.layer("p").add(1, &g, &[]);
        let bytes = tile.encode();
        check_tile(&bytes, EXTENT, BUFFER);
        let decoded_area = if written {
            let r = Reader::new(bytes).unwrap();
            let geom = &r.get_features_as::<f64>(0).unwrap()[0].geometry;
            prop_assert!(geom.is_valid(), "invalid: {:?}\n{:?}", geom.validation_errors(), geom);
            geom.unsigned_area()
        } else {
            0.0
        };
        let slack = perimeter(&expected) * (tolerance + 1.0)
            + parts.len() as f64 * 2.0 * tolerance * tolerance
            + 1.0;
        prop_assert!(
            (decoded_area - expected.unsigned_area()).abs() <= slack,
            "area {} vs expected {} (slack {})", decoded_area, expected.unsigned_area(), slack
        );
    }

    #[test]
    fn random_lines_encode_inside_the_buffer(
        start in (-3000.0..7000.0f64, -3000.0..7000.0f64),
        steps in prop::collection::vec((-800.0..800.0f64, -800.0..800.0f64), 1..60),
        tolerance in prop_oneof![Just(0.0), Just(3.0)],
    ) {
        let mut pts = vec![start];
        for (dx, dy) in steps {
            let (x, y) = *pts.last().unwrap();
            pts.push((x + dx, y + dy));
        }
        let g = Geometry::LineString(line(&pts));
        let (z, x, y) = NANJING;
        let opts = TileOptions { extent: EXTENT, buffer: BUFFER, tolerance };
        let mut tile = TileBuilder::new(TileCoord::new(z, x, y).unwrap(), opts).unwrap();
        let written = tile.layer("l").add(1, &g, &[]);
        let bytes = tile.encode();
        let t = check_tile(&bytes, EXTENT, BUFFER);
        // A segment well inside the tile must survive.
        let inner = pts.windows(2).any(|w| {
            let inside = |p: (f64, f64)| p.0 > 100.0 && p.0 < 3996.0 && p.1 > 100.0 && p.1 < 3996.0;
            inside(w[0]) && inside(w[1]) && ((w[0].0 - w[1].0).abs() + (w[0].1 - w[1].1).abs()) > 4.0
        });
        if inner {
            prop_assert!(written);
        }
        if written {
            prop_assert_eq!(layer_paths(&t, "l")[0].0, LINESTRING);
            let r = Reader::new(bytes).unwrap();
            let f = r.get_features_as::<f64>(0).unwrap();
            prop_assert!(matches!(
                f[0].geometry,
                Geometry::LineString(_) | Geometry::MultiLineString(_)
            ));
        }
    }
}
