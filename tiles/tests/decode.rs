//! Round trips through independent decoders: `mvt-reader` (crates.io) for
//! geometry and properties, and prost structs of the official proto plus a
//! spec-written command decoder (see `common`) for the raw stream.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::*;
use geo::{Geometry, LineString, MultiPoint, Point, Polygon, Validation};
use gridmap_tiles::{TileBuilder, TileCoord, TileError, TileOptions, Value};
use mvt_reader::Reader;
use mvt_reader::feature::Value as RValue;

fn nanjing() -> TileBuilder {
    let (z, x, y) = NANJING;
    TileBuilder::new(TileCoord::new(z, x, y).unwrap(), TileOptions::default()).unwrap()
}

fn poly(exterior: LineString<f64>, holes: Vec<LineString<f64>>) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(exterior, holes))
}

fn reader(bytes: &[u8]) -> Reader {
    Reader::new(bytes.to_vec()).expect("mvt-reader decodes the tile")
}

fn features(r: &Reader, layer: usize) -> Vec<mvt_reader::feature::Feature<f64>> {
    r.get_features_as::<f64>(layer).expect("features decode")
}

#[test]
fn layers_ids_and_properties_round_trip() {
    let mut tile = nanjing();
    let b = tile.layer("buildings");
    for i in 0..3u64 {
        let x0 = 100.0 + 500.0 * i as f64;
        let written = b.add(
            100 + i,
            &poly(rect(x0, 100.0, x0 + 300.0, 400.0), vec![]),
            &[
                ("name", Value::from(format!("楼{i}"))),
                ("floors", Value::Int(6)),
                ("kind", Value::from("residential")),
                ("height", Value::Double(18.5)),
                ("households", Value::UInt(40 + i)),
                ("occupied", Value::Bool(i != 1)),
            ],
        );
        assert!(written);
    }
    // A layer whose only feature lies outside the buffered tile is not written.
    let far = poly(rect(9000.0, 9000.0, 9500.0, 9500.0), vec![]);
    assert!(!tile.layer("nothing").add(1, &far, &[("k", Value::Int(1))]));
    assert!(tile.layer("roads").add(
        7,
        &Geometry::LineString(line(&[(0.0, 0.0), (4096.0, 4096.0)])),
        &[("level", Value::Int(-2))]
    ));
    assert!(tile.layer("poi").add(
        u64::MAX,
        &Geometry::Point(Point::from(line(&[(2048.0, 1024.0)]).0[0])),
        &[("name", Value::from("社区服务中心"))],
    ));

    let bytes = tile.encode();
    let raw_tile = check_tile(&bytes, 4096, 64);
    let r = reader(&bytes);
    assert_eq!(
        r.get_layer_names().unwrap(),
        vec!["buildings", "roads", "poi"]
    );
    let meta = r.get_layer_metadata().unwrap();
    assert_eq!(
        meta.iter()
            .map(|m| (m.feature_count, m.extent, m.version))
            .collect::<Vec<_>>(),
        vec![(3, 4096, 2), (1, 4096, 2), (1, 4096, 2)]
    );

    let fs = features(&r, 0);
    assert_eq!(
        fs.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![Some(100), Some(101), Some(102)]
    );
    let props: &HashMap<String, RValue> = fs[1].properties.as_ref().unwrap();
    assert_eq!(props.len(), 6);
    assert_eq!(props["name"], RValue::String("楼1".into()));
    assert_eq!(props["floors"], RValue::Int(6));
    assert_eq!(props["kind"], RValue::String("residential".into()));
    assert_eq!(props["height"], RValue::Double(18.5));
    assert_eq!(props["households"], RValue::UInt(41));
    assert_eq!(props["occupied"], RValue::Bool(false));
    // Keys and values are shared across the layer's features.
    let buildings = &raw_tile.layers[0];
    assert_eq!(buildings.keys.len(), 6);
    // 3 names + floors + kind + height + 3 household counts + true/false.
    assert_eq!(buildings.values.len(), 3 + 1 + 1 + 1 + 3 + 2);

    let roads = features(&r, 1);
    assert_eq!(roads[0].id, Some(7));
    assert_eq!(
        roads[0].properties.as_ref().unwrap()["level"],
        RValue::Int(-2)
    );
    let poi = features(&r, 2);
    assert_eq!(poi[0].id, Some(u64::MAX));
    assert_eq!(
        poi[0].geometry,
        Geometry::MultiPoint(MultiPoint::from(vec![(2048.0, 1024.0)]))
    );
}

#[test]
fn building_geometry_is_exact() {
    let mut tile = nanjing();
    assert!(
        tile.layer("b")
            .add(1, &poly(rect(100.0, 200.0, 300.0, 500.0), vec![]), &[])
    );
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let paths = layer_paths(&t, "b");
    assert_eq!(paths.len(), 1);
    let (ty, rings) = &paths[0];
    assert_eq!(*ty, POLYGON);
    assert_eq!(rings.len(), 1);
    let mut pts = rings[0].points.clone();
    pts.sort();
    assert_eq!(pts, vec![(100, 200), (100, 500), (300, 200), (300, 500)]);
    assert_eq!(area2(&rings[0].points), 2 * 200 * 300);
}

#[test]
fn winding_is_fixed_whatever_the_input_orientation() {
    for reverse in [false, true] {
        // Layer "p": exterior and hole in opposite orientations (either
        // way round); layer "q": both rings in the same orientation.
        let mut ext = rect(1000.0, 1000.0, 3000.0, 3000.0);
        let mut hole = rect(1500.0, 1500.0, 2500.0, 2500.0);
        if reverse {
            ext.0.reverse();
        } else {
            hole.0.reverse();
        }
        let mut tile = nanjing();
        assert!(
            tile.layer("p")
                .add(1, &poly(ext.clone(), vec![hole.clone()]), &[])
        );
        let mut same = hole.clone();
        same.0.reverse();
        assert!(tile.layer("q").add(2, &poly(ext, vec![same]), &[]));
        let bytes = tile.encode();
        let t = check_tile(&bytes, 4096, 64);
        for name in ["p", "q"] {
            let rings = &layer_paths(&t, name)[0].1;
            assert_eq!(rings.len(), 2);
            assert_eq!(area2(&rings[0].points), 2 * 2000 * 2000);
            assert_eq!(area2(&rings[1].points), -2 * 1000 * 1000);
        }
        let r = reader(&bytes);
        for layer in 0..2 {
            let g = &features(&r, layer)[0].geometry;
            // mvt-reader returns a one-member multipolygon for a polygon
            // with holes.
            let p = match g {
                Geometry::Polygon(p) => p.clone(),
                Geometry::MultiPolygon(mp) if mp.0.len() == 1 => mp.0[0].clone(),
                other => panic!("expected one polygon, got {other:?}"),
            };
            assert_eq!(p.interiors().len(), 1);
            assert!(g.is_valid());
        }
    }
}

#[test]
fn detailed_polygon_with_hole_inside_the_tile() {
    // Many vertices: too many for the quick validity check, so it goes
    // through the overlay and must come out as the same shape.
    let circle = |r: f64, n: usize| -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let a = i as f64 * std::f64::consts::TAU / n as f64;
                (2048.0 + r * a.cos(), 2048.0 + r * a.sin())
            })
            .collect()
    };
    let (z, x, y) = NANJING;
    let opts = TileOptions {
        tolerance: 0.0,
        ..TileOptions::default()
    };
    let mut tile = TileBuilder::new(TileCoord::new(z, x, y).unwrap(), opts).unwrap();
    let p = poly(ring(&circle(1500.0, 400)), vec![ring(&circle(500.0, 200))]);
    assert!(tile.layer("p").add(1, &p, &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let rings = &layer_paths(&t, "p")[0].1;
    assert_eq!(rings.len(), 2);
    // Snapped points that fall on a line with their neighbours are merged.
    assert!(rings[0].points.len() > 250 && rings[1].points.len() > 150);
    let outer = area2(&rings[0].points) as f64 / 2.0;
    let inner = area2(&rings[1].points) as f64 / 2.0;
    let pi = std::f64::consts::PI;
    assert!(
        (outer - pi * 1500.0 * 1500.0).abs() < 0.01 * outer,
        "{outer}"
    );
    assert!(
        (inner + pi * 500.0 * 500.0).abs() < 0.01 * -inner,
        "{inner}"
    );
    let g = &features(&reader(&bytes), 0)[0].geometry;
    assert!(g.is_valid(), "{:?}", g.validation_errors());
}

#[test]
fn polygon_covering_the_tile_is_clipped_to_the_buffer() {
    let mut tile = nanjing();
    let huge = poly(rect(-5000.0, -5000.0, 9000.0, 9000.0), vec![]);
    assert!(tile.layer("district").add(1, &huge, &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let rings = &layer_paths(&t, "district")[0].1;
    assert_eq!(rings.len(), 1);
    let mut pts = rings[0].points.clone();
    pts.sort();
    assert_eq!(
        pts,
        vec![(-64, -64), (-64, 4160), (4160, -64), (4160, 4160)]
    );
}

#[test]
fn concave_polygon_leaving_the_tile_stays_valid() {
    // A "C": two bars inside the tile joined by a bar far east of it.
    // Sutherland–Hodgman alone would join the two bars with a zero-width
    // sliver along the clip edge.
    let c = ring(&[
        (1000.0, 1000.0),
        (6000.0, 1000.0),
        (6000.0, 3000.0),
        (1000.0, 3000.0),
        (1000.0, 2500.0),
        (5000.0, 2500.0),
        (5000.0, 1500.0),
        (1000.0, 1500.0),
    ]);
    let mut tile = nanjing();
    assert!(tile.layer("c").add(1, &poly(c, vec![]), &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let rings = &layer_paths(&t, "c")[0].1;
    assert_eq!(rings.len(), 2, "two separate bars: {rings:?}");
    for r in rings {
        assert_eq!(area2(&r.points), 2 * 3160 * 500);
    }
    let g = &features(&reader(&bytes), 0)[0].geometry;
    let Geometry::MultiPolygon(mp) = g else {
        panic!("expected a multipolygon, got {g:?}");
    };
    assert_eq!(mp.0.len(), 2);
    assert!(g.is_valid(), "{:?}", g.validation_errors());
}

#[test]
fn hole_crossing_the_edge_opens_the_polygon() {
    // The hole pokes out of the buffered tile: clipped, it becomes a notch.
    let ext = rect(3000.0, 1000.0, 6000.0, 3000.0);
    let hole = rect(3500.0, 1500.0, 5000.0, 2500.0);
    let mut tile = nanjing();
    assert!(tile.layer("p").add(1, &poly(ext, vec![hole]), &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let rings = &layer_paths(&t, "p")[0].1;
    assert_eq!(rings.len(), 1, "{rings:?}");
    // (4160-3000)*2000 - (4160-3500)*1000
    assert_eq!(area2(&rings[0].points), 2 * (1160 * 2000 - 660 * 1000));
    let g = &features(&reader(&bytes), 0)[0].geometry;
    assert!(g.is_valid(), "{:?}", g.validation_errors());
}

#[test]
fn lines_are_cut_into_parts_at_the_buffer() {
    let mut tile = nanjing();
    let l = line(&[
        (100.0, 100.0),
        (5000.0, 100.0),
        (5000.0, 200.0),
        (100.0, 200.0),
    ]);
    assert!(tile.layer("l").add(1, &Geometry::LineString(l), &[]));
    let outside = line(&[(5000.0, 100.0), (6000.0, 5000.0)]);
    assert!(!tile.layer("l").add(2, &Geometry::LineString(outside), &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let paths = &layer_paths(&t, "l");
    assert_eq!(paths.len(), 1);
    assert_eq!(
        paths[0]
            .1
            .iter()
            .map(|p| p.points.clone())
            .collect::<Vec<_>>(),
        vec![vec![(100, 100), (4160, 100)], vec![(4160, 200), (100, 200)]]
    );
    let g = &features(&reader(&bytes), 0)[0].geometry;
    let Geometry::MultiLineString(mls) = g else {
        panic!("expected a multilinestring, got {g:?}");
    };
    assert_eq!(mls.0.len(), 2);
}

#[test]
fn points_outside_the_buffer_are_dropped() {
    let mut tile = nanjing();
    let pts = line(&[
        (10.0, 10.0),
        (-50.0, 4150.0),
        (-70.0, 10.0),
        (10.0, 4200.0),
        (4096.0, 4096.0),
    ]);
    let mp = Geometry::MultiPoint(pts.points().collect());
    assert!(tile.layer("p").add(1, &mp, &[]));
    let far = Geometry::Point(Point::from(line(&[(-100.0, 50.0)]).0[0]));
    assert!(!tile.layer("p").add(2, &far, &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let paths = &layer_paths(&t, "p")[0].1;
    assert_eq!(
        paths.iter().map(|p| p.points[0]).collect::<Vec<_>>(),
        vec![(10, 10), (-50, 4150), (4096, 4096)]
    );
}

#[test]
fn collapsed_geometry_is_not_written() {
    let mut tile = nanjing();
    let l = tile.layer("x");
    // Smaller than the tolerance (3 units): dropped.
    assert!(!l.add(
        1,
        &poly(rect(10.0, 10.0, 12.0, 12.0), vec![]),
        &[("a", Value::Int(1))]
    ));
    // A line that snaps to a single point.
    assert!(!l.add(
        2,
        &Geometry::LineString(line(&[(10.1, 10.1), (10.3, 9.8)])),
        &[]
    ));
    // A sliver that snaps to zero area.
    assert!(!l.add(3, &poly(rect(10.0, 10.0, 500.0, 10.2), vec![]), &[]));
    assert!(l.is_empty());
    assert!(tile.is_empty());
    assert!(tile.encode().is_empty());

    // Without simplification a 2x2 square survives, a sub-unit one does not.
    let (z, x, y) = NANJING;
    let opts = TileOptions {
        tolerance: 0.0,
        ..TileOptions::default()
    };
    let mut tile = TileBuilder::new(TileCoord::new(z, x, y).unwrap(), opts).unwrap();
    assert!(
        tile.layer("x")
            .add(1, &poly(rect(10.0, 10.0, 12.0, 12.0), vec![]), &[])
    );
    assert!(
        !tile
            .layer("x")
            .add(2, &poly(rect(20.1, 20.1, 20.3, 20.4), vec![]), &[])
    );
    let t = check_tile(&tile.encode(), 4096, 64);
    assert_eq!(t.layers[0].features.len(), 1);
    // Nothing of the dropped feature's properties is recorded.
    assert!(t.layers[0].keys.is_empty());
}

#[test]
fn hole_that_collapses_is_dropped_with_its_polygon_kept() {
    let mut tile = nanjing();
    let p = poly(
        rect(100.0, 100.0, 900.0, 900.0),
        vec![rect(500.0, 500.0, 501.0, 501.0)],
    );
    assert!(tile.layer("p").add(1, &p, &[]));
    // An exterior that collapses takes its holes with it.
    let q = poly(
        rect(100.0, 100.0, 101.0, 101.0),
        vec![rect(100.2, 100.2, 100.8, 100.8)],
    );
    assert!(!tile.layer("p").add(2, &q, &[]));
    let t = check_tile(&tile.encode(), 4096, 64);
    let paths = layer_paths(&t, "p");
    assert_eq!(paths.len(), 1);
    assert_eq!(paths[0].1.len(), 1);
}

#[test]
fn simplification_follows_the_tolerance() {
    let wiggle: Vec<(f64, f64)> = (0..=100)
        .map(|i| {
            (
                100.0 + 30.0 * i as f64,
                2000.0 + if i % 2 == 0 { 0.0 } else { 1.0 },
            )
        })
        .collect();
    let g = Geometry::LineString(line(&wiggle));
    let (z, x, y) = NANJING;
    let coord = TileCoord::new(z, x, y).unwrap();
    let count = |tolerance: f64| {
        let opts = TileOptions {
            tolerance,
            ..TileOptions::default()
        };
        let mut tile = TileBuilder::new(coord, opts).unwrap();
        assert!(tile.layer("l").add(1, &g, &[]));
        let t = check_tile(&tile.encode(), 4096, 64);
        layer_paths(&t, "l")[0].1[0].points.len()
    };
    assert_eq!(count(3.0), 2);
    assert_eq!(count(0.0), 101);
}

#[test]
fn geometry_collections_and_other_shapes() {
    let mut tile = nanjing();
    let l = tile.layer("g");
    let a = Geometry::Polygon(Polygon::new(rect(100.0, 100.0, 200.0, 200.0), vec![]));
    let b = Geometry::Polygon(Polygon::new(rect(300.0, 100.0, 400.0, 200.0), vec![]));
    let gc = Geometry::GeometryCollection(vec![a.clone(), b].into());
    assert!(l.add(1, &gc, &[]));
    let pt = Geometry::Point(Point::from(line(&[(10.0, 10.0)]).0[0]));
    let mixed = Geometry::GeometryCollection(vec![a, pt].into());
    assert!(!l.add(2, &mixed, &[]));
    let lonlat = line(&[(100.0, 100.0), (200.0, 200.0)]);
    let r = geo::Rect::new(lonlat.0[0], lonlat.0[1]);
    assert!(l.add(3, &Geometry::Rect(r), &[]));
    let bytes = tile.encode();
    let t = check_tile(&bytes, 4096, 64);
    let paths = layer_paths(&t, "g");
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0].1.len(), 2);
    assert_eq!(area2(&paths[1].1[0].points), 2 * 100 * 100);
}

#[test]
fn non_finite_coordinates_are_skipped() {
    let mut tile = nanjing();
    let mut l = line(&[(100.0, 100.0), (200.0, 100.0)]);
    l.0.insert(
        1,
        geo::Coord {
            x: f64::NAN,
            y: 32.0,
        },
    );
    assert!(tile.layer("l").add(1, &Geometry::LineString(l), &[]));
    let nan = Geometry::Point(Point::new(f64::NAN, f64::INFINITY));
    assert!(!tile.layer("l").add(2, &nan, &[]));
    let t = check_tile(&tile.encode(), 4096, 64);
    assert_eq!(
        layer_paths(&t, "l")[0].1[0].points,
        vec![(100, 100), (200, 100)]
    );
}

#[test]
fn reset_reuses_the_builder() {
    let g = poly(rect(100.0, 100.0, 900.0, 900.0), vec![]);
    let mut tile = nanjing();
    tile.layer("a").add(1, &g, &[("k", Value::Int(1))]);
    let first = tile.encode();
    let other = TileCoord::new(14, 13598, 6651).unwrap();
    tile.reset(other);
    assert!(tile.is_empty());
    assert!(tile.encode().is_empty());
    tile.reset(tile.coord());
    let (z, x, y) = NANJING;
    tile.reset(TileCoord::new(z, x, y).unwrap());
    tile.layer("a").add(1, &g, &[("k", Value::Int(1))]);
    assert_eq!(tile.encode(), first);
}

#[test]
fn repeated_keys_keep_the_first_value() {
    let mut tile = nanjing();
    let g = poly(rect(100.0, 100.0, 900.0, 900.0), vec![]);
    tile.layer("a")
        .add(1, &g, &[("k", Value::Int(1)), ("k", Value::Int(2))]);
    let bytes = tile.encode();
    check_tile(&bytes, 4096, 64);
    let props = features(&reader(&bytes), 0)[0].properties.clone().unwrap();
    assert_eq!(props.len(), 1);
    assert_eq!(props["k"], RValue::Int(1));
}

#[test]
fn other_extents_and_buffers() {
    let (z, x, y) = NANJING;
    let opts = TileOptions {
        extent: 512,
        buffer: 8,
        tolerance: 0.5,
    };
    let mut tile = TileBuilder::new(TileCoord::new(z, x, y).unwrap(), opts).unwrap();
    // Tile units of a 4096 tile: the polygon covers the tile.
    assert!(
        tile.layer("p")
            .add(1, &poly(rect(-100.0, -100.0, 5000.0, 5000.0), vec![]), &[])
    );
    let t = check_tile(&tile.encode(), 512, 8);
    let mut pts = layer_paths(&t, "p")[0].1[0].points.clone();
    pts.sort();
    assert_eq!(pts, vec![(-8, -8), (-8, 520), (520, -8), (520, 520)]);
}

#[test]
fn bad_options_are_errors() {
    let coord = TileCoord::new(0, 0, 0).unwrap();
    for opts in [
        TileOptions {
            extent: 0,
            ..TileOptions::default()
        },
        TileOptions {
            extent: 1 << 20,
            ..TileOptions::default()
        },
        TileOptions {
            buffer: 1 << 20,
            ..TileOptions::default()
        },
        TileOptions {
            tolerance: -1.0,
            ..TileOptions::default()
        },
        TileOptions {
            tolerance: f64::NAN,
            ..TileOptions::default()
        },
    ] {
        assert!(matches!(
            TileBuilder::new(coord, opts),
            Err(TileError::InvalidOptions(_))
        ));
    }
}

#[test]
fn builder_is_send() {
    fn send<T: Send>() {}
    send::<TileBuilder>();
}

#[test]
fn borrowed_shapes_encode_exactly_like_geometries() {
    use geo::{LineString, MultiPolygon, Point};
    use gridmap_tiles::Shape;
    let coord = TileCoord::new(14, 13597, 6651).unwrap();
    let b = coord.bounds();
    let (w, s) = (b.width(), b.height());
    let at = |fx: f64, fy: f64| (b.min().x + fx * w, b.min().y + fy * s);
    let square = MultiPolygon(vec![
        geo::Rect::new(at(0.2, 0.2), at(0.4, 0.5)).to_polygon(),
    ]);
    // Crosses the tile edge, so it is clipped too.
    let edge = MultiPolygon(vec![
        geo::Rect::new(at(0.9, 0.1), at(1.3, 0.3)).to_polygon(),
    ]);
    let line = LineString::from(vec![at(-0.2, 0.5), at(0.5, 0.55), at(1.2, 0.6)]);
    let point = Point::from(at(0.5, 0.5));
    let props = [("name", Value::from("甲"))];
    let mut by_geometry = TileBuilder::new(coord, TileOptions::default()).unwrap();
    let mut by_shape = TileBuilder::new(coord, TileOptions::default()).unwrap();
    for (i, mp) in [&square, &edge].into_iter().enumerate() {
        assert!(by_geometry.layer("a").add(
            i as u64,
            &geo::Geometry::MultiPolygon(mp.clone()),
            &props
        ));
        assert!(by_shape.layer("a").add_shape(
            i as u64,
            Shape::Polygons(mp),
            props.iter().map(|(k, v)| (*k, v))
        ));
    }
    assert!(
        by_geometry
            .layer("b")
            .add(7, &geo::Geometry::LineString(line.clone()), &[])
    );
    assert!(
        by_shape
            .layer("b")
            .add_shape(7, Shape::Line(&line), std::iter::empty())
    );
    assert!(
        by_geometry
            .layer("c")
            .add(9, &geo::Geometry::Point(point), &[])
    );
    assert!(
        by_shape
            .layer("c")
            .add_shape(9, Shape::Point(point), std::iter::empty())
    );
    assert_eq!(by_geometry.encode(), by_shape.encode());
}
