//! Prepared geometry (`Preparer` + `LayerBuilder::add_prepared`) against
//! direct encoding (`add_shape`), decoded with the independent decoders of
//! `common` and `mvt-reader`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use common::*;
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use gridmap_tiles::{Prepared, Preparer, Shape, TileBuilder, TileCoord, TileOptions, Value};

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Lon/lat of a point in tile units of the z14 Nanjing tile.
fn at(px: f64, py: f64) -> Coord<f64> {
    let (z, x, y) = NANJING;
    let (lon, lat) = px_to_lonlat(z, x, y, 4096, px, py);
    Coord { x: lon, y: lat }
}

fn closed(mut c: Vec<Coord<f64>>) -> LineString<f64> {
    c.push(c[0]);
    LineString::new(c)
}

/// Buildings (boxes and L shapes, some with a courtyard), streets, and big
/// ragged areas with holes, spread over the Nanjing z14 tile.
fn features(rng: &mut Rng) -> (Vec<MultiPolygon<f64>>, Vec<LineString<f64>>) {
    let mut polys = Vec::new();
    for i in 0..600 {
        let (cx, cy) = (rng.next() * 4096.0, rng.next() * 4096.0);
        let (w, h) = (2.0 + rng.next() * 25.0, 2.0 + rng.next() * 25.0);
        let ring = if i % 3 == 0 {
            // An L.
            vec![
                at(cx, cy),
                at(cx + w, cy),
                at(cx + w, cy + h / 2.0),
                at(cx + w / 2.0, cy + h / 2.0),
                at(cx + w / 2.0, cy + h),
                at(cx, cy + h),
            ]
        } else {
            vec![
                at(cx, cy),
                at(cx + w, cy),
                at(cx + w, cy + h),
                at(cx, cy + h),
            ]
        };
        let holes = if i % 7 == 0 && i % 3 != 0 {
            vec![closed(vec![
                at(cx + w * 0.3, cy + h * 0.3),
                at(cx + w * 0.3, cy + h * 0.7),
                at(cx + w * 0.7, cy + h * 0.7),
                at(cx + w * 0.7, cy + h * 0.3),
            ])]
        } else {
            Vec::new()
        };
        polys.push(MultiPolygon(vec![Polygon::new(closed(ring), holes)]));
    }
    for _ in 0..12 {
        // A ragged star-like area, many vertices, with a hole.
        let (cx, cy) = (rng.next() * 4096.0, rng.next() * 4096.0);
        let r = 100.0 + rng.next() * 600.0;
        let n = 60 + (rng.next() * 300.0) as usize;
        let ring: Vec<_> = (0..n)
            .map(|k| {
                let a = -(k as f64) * std::f64::consts::TAU / n as f64;
                let rr = r * (0.7 + 0.3 * rng.next());
                at(cx + rr * a.cos(), cy + rr * a.sin())
            })
            .collect();
        let hole = closed(vec![
            at(cx - r * 0.2, cy - r * 0.2),
            at(cx + r * 0.2, cy - r * 0.2),
            at(cx + r * 0.2, cy + r * 0.2),
            at(cx - r * 0.2, cy + r * 0.2),
        ]);
        polys.push(MultiPolygon(vec![Polygon::new(closed(ring), vec![hole])]));
    }
    let mut lines = Vec::new();
    for _ in 0..80 {
        let (mut x, mut y) = (rng.next() * 4096.0, rng.next() * 4096.0);
        let mut pts = vec![at(x, y)];
        for _ in 0..(2 + (rng.next() * 120.0) as usize) {
            x += (rng.next() - 0.5) * 300.0;
            y += (rng.next() - 0.5) * 300.0;
            pts.push(at(x, y));
        }
        lines.push(LineString::new(pts));
    }
    (polys, lines)
}

/// Every tile of zoom `z` inside the Nanjing z14 tile.
fn tiles(z: u8) -> Vec<TileCoord> {
    let (z0, x0, y0) = NANJING;
    let k = 1u32 << (z - z0);
    let mut out = Vec::new();
    for x in x0 * k..(x0 + 1) * k {
        for y in y0 * k..(y0 + 1) * k {
            out.push(TileCoord::new(z, x, y).unwrap());
        }
    }
    out
}

/// Adds feature `i` (no properties) to layer `name` of two tiles: from its
/// shape to the first, from its prepared geometry to the second.
fn add_both(
    [direct, prepared]: [&mut TileBuilder; 2],
    name: &str,
    i: usize,
    p: &Prepared,
    shape: Shape<'_>,
) {
    let none: [(&str, Value<'_>); 0] = [];
    direct
        .layer(name)
        .add_shape(i as u64, shape, none.iter().map(|(k, v)| (*k, v)));
    prepared
        .layer(name)
        .add_prepared(i as u64, p, shape, none.iter().map(|(k, v)| (*k, v)));
}

#[test]
fn prepared_tiles_match_direct_ones_and_stay_valid() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (polys, lines) = features(&mut rng);
    for z in [14u8, 15, 16, 17] {
        let opts = TileOptions::default();
        let mut preparer = Preparer::new(z, opts).unwrap();
        let pp: Vec<_> = polys
            .iter()
            .map(|p| preparer.prepare(Shape::Polygons(p)).unwrap())
            .collect();
        let pl: Vec<_> = lines
            .iter()
            .map(|l| preparer.prepare(Shape::Line(l)).unwrap())
            .collect();
        let (mut same, mut total, mut features_in_tiles) = (0usize, 0usize, 0usize);
        for coord in tiles(z) {
            let mut direct = TileBuilder::new(coord, opts).unwrap();
            let mut prepared = TileBuilder::new(coord, opts).unwrap();
            for (i, p) in polys.iter().enumerate() {
                add_both(
                    [&mut direct, &mut prepared],
                    "p",
                    i,
                    &pp[i],
                    Shape::Polygons(p),
                );
            }
            for (i, l) in lines.iter().enumerate() {
                add_both([&mut direct, &mut prepared], "l", i, &pl[i], Shape::Line(l));
            }
            let (d, p) = (direct.encode(), prepared.encode());
            let (dt, pt) = (check_tile(&d, 4096, 64), check_tile(&p, 4096, 64));
            // Same features; those crossing the edge are clipped after, not
            // before, simplification, so their vertices may differ.
            for name in ["p", "l"] {
                let get = |t: &proto::Tile| {
                    t.layers
                        .iter()
                        .find(|l| l.name == name)
                        .map(|l| {
                            l.features
                                .iter()
                                .map(|f| (f.id.unwrap(), f.geometry.clone()))
                                .collect::<std::collections::BTreeMap<_, _>>()
                        })
                        .unwrap_or_default()
                };
                let (a, b) = (get(&dt), get(&pt));
                let ids_a: Vec<_> = a.keys().collect();
                let ids_b: Vec<_> = b.keys().collect();
                let common_ids = ids_a.iter().filter(|i| b.contains_key(i)).count();
                assert!(
                    common_ids + 2 >= ids_a.len().max(ids_b.len()),
                    "z{z} {coord} layer {name}: {ids_a:?} vs {ids_b:?}"
                );
                // Features that the direct path did not clip (no vertex on
                // the buffered tile's edge) must come out the same.
                let (ty, lo, hi) = (
                    if name == "p" { POLYGON } else { LINESTRING },
                    -64,
                    4096 + 64,
                );
                for (id, g) in &a {
                    let clipped = decode_commands(g, ty)
                        .iter()
                        .flat_map(|p| p.points.iter())
                        .any(|&(x, y)| x == lo || x == hi || y == lo || y == hi);
                    if !clipped {
                        total += 1;
                        same += usize::from(b.get(id) == Some(g));
                    }
                }
            }
            // Every prepared polygon decodes to a valid geometry.
            let r = mvt_reader::Reader::new(p.clone()).unwrap();
            for (i, layer) in r.get_layer_names().unwrap().iter().enumerate() {
                for f in r.get_features_as::<f64>(i).unwrap() {
                    features_in_tiles += 1;
                    assert!(
                        f.geometry.is_valid(),
                        "z{z} {coord} {layer}: {:?}",
                        f.geometry.validation_errors()
                    );
                }
            }
        }
        eprintln!("z{z}: {same} of {total} unclipped identical, {features_in_tiles} features");
        assert!(
            features_in_tiles > 500,
            "z{z}: only {features_in_tiles} features"
        );
        assert!(
            same * 1000 >= total * 995 && total > 300,
            "z{z}: only {same} of {total} unclipped features identical"
        );
    }
}

#[test]
fn prepared_for_another_zoom_falls_back_to_the_shape() {
    let b = MultiPolygon(vec![Polygon::new(
        closed(vec![
            at(100.0, 100.0),
            at(140.0, 100.0),
            at(140.0, 130.0),
            at(100.0, 130.0),
        ]),
        vec![],
    )]);
    let p15 = Preparer::new(15, TileOptions::default())
        .unwrap()
        .prepare(Shape::Polygons(&b))
        .unwrap();
    let (z, x, y) = NANJING;
    let coord = TileCoord::new(z, x, y).unwrap();
    let none: [(&str, Value<'_>); 0] = [];
    let mut direct = TileBuilder::new(coord, TileOptions::default()).unwrap();
    direct
        .layer("b")
        .add_shape(1, Shape::Polygons(&b), none.iter().map(|(k, v)| (*k, v)));
    let mut other = TileBuilder::new(coord, TileOptions::default()).unwrap();
    assert!(other.layer("b").add_prepared(
        1,
        &p15,
        Shape::Polygons(&b),
        none.iter().map(|(k, v)| (*k, v))
    ));
    assert_eq!(direct.encode(), other.encode());
}

#[test]
fn tiny_features_are_empty_when_prepared_and_deep_zooms_are_refused() {
    // Half a tile unit square at z14: it collapses when snapped.
    let b = MultiPolygon(vec![Polygon::new(
        closed(vec![
            at(10.0, 10.0),
            at(10.5, 10.0),
            at(10.5, 10.5),
            at(10.0, 10.5),
        ]),
        vec![],
    )]);
    let p = Preparer::new(14, TileOptions::default())
        .unwrap()
        .prepare(Shape::Polygons(&b))
        .unwrap();
    assert!(p.is_empty());
    let (z, x, y) = NANJING;
    let mut tile =
        TileBuilder::new(TileCoord::new(z, x, y).unwrap(), TileOptions::default()).unwrap();
    let none: [(&str, Value<'_>); 0] = [];
    assert!(!tile.layer("b").add_prepared(
        1,
        &p,
        Shape::Polygons(&b),
        none.iter().map(|(k, v)| (*k, v))
    ));
    assert!(tile.encode().is_empty());
    assert!(Preparer::new(18, TileOptions::default()).is_ok());
    assert!(Preparer::new(19, TileOptions::default()).is_err());
}
