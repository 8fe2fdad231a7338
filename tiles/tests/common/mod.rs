//! Test helpers: an independent protobuf decoder (prost structs transcribed
//! from the official MVT 2.1 `vector_tile.proto`) and a command-stream
//! decoder written from the spec, which asserts the spec's rules as it goes.
//! None of this uses the encoder's code.

#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use prost::Message;

pub mod proto {
    //! `vector_tile.proto` (MVT 2.1), as prost structs.

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tile {
        #[prost(message, repeated, tag = "3")]
        pub layers: Vec<Layer>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Value {
        #[prost(string, optional, tag = "1")]
        pub string_value: Option<String>,
        #[prost(float, optional, tag = "2")]
        pub float_value: Option<f32>,
        #[prost(double, optional, tag = "3")]
        pub double_value: Option<f64>,
        #[prost(int64, optional, tag = "4")]
        pub int_value: Option<i64>,
        #[prost(uint64, optional, tag = "5")]
        pub uint_value: Option<u64>,
        #[prost(sint64, optional, tag = "6")]
        pub sint_value: Option<i64>,
        #[prost(bool, optional, tag = "7")]
        pub bool_value: Option<bool>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Feature {
        #[prost(uint64, optional, tag = "1", default = "0")]
        pub id: Option<u64>,
        #[prost(uint32, repeated, packed = "true", tag = "2")]
        pub tags: Vec<u32>,
        #[prost(int32, optional, tag = "3", default = "0")]
        pub r#type: Option<i32>,
        #[prost(uint32, repeated, packed = "true", tag = "4")]
        pub geometry: Vec<u32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Layer {
        #[prost(uint32, required, tag = "15", default = "1")]
        pub version: u32,
        #[prost(string, required, tag = "1")]
        pub name: String,
        #[prost(message, repeated, tag = "2")]
        pub features: Vec<Feature>,
        #[prost(string, repeated, tag = "3")]
        pub keys: Vec<String>,
        #[prost(message, repeated, tag = "4")]
        pub values: Vec<Value>,
        #[prost(uint32, optional, tag = "5", default = "4096")]
        pub extent: Option<u32>,
    }
}

pub const POINT: i32 = 1;
pub const LINESTRING: i32 = 2;
pub const POLYGON: i32 = 3;

pub fn raw(bytes: &[u8]) -> proto::Tile {
    proto::Tile::decode(bytes).expect("tile decodes as protobuf")
}

/// One decoded path: a point, a line, or a ring (without closing point).
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub points: Vec<(i64, i64)>,
    pub closed: bool,
}

fn unzig(v: u32) -> i64 {
    i64::from((v >> 1) as i32 ^ -((v & 1) as i32))
}

/// Decodes a command stream per MVT 2.1 section 4.3, asserting its rules.
pub fn decode_commands(geom: &[u32], ty: i32) -> Vec<Path> {
    let mut paths: Vec<Path> = Vec::new();
    let (mut x, mut y) = (0i64, 0i64);
    let mut i = 0;
    while i < geom.len() {
        let cmd = geom[i];
        i += 1;
        let (id, count) = (cmd & 7, (cmd >> 3) as usize);
        match id {
            1 => {
                assert!(count >= 1, "MoveTo with count 0");
                if ty != POINT {
                    assert_eq!(count, 1, "MoveTo count must be 1 for lines and polygons");
                    if let Some(last) = paths.last()
                        && ty == POLYGON
                    {
                        assert!(last.closed, "ring not closed before next MoveTo");
                    }
                }
                for _ in 0..count {
                    x += unzig(geom[i]);
                    y += unzig(geom[i + 1]);
                    i += 2;
                    paths.push(Path {
                        points: vec![(x, y)],
                        closed: false,
                    });
                }
            }
            2 => {
                assert_ne!(ty, POINT, "LineTo in a point geometry");
                assert!(count >= 1, "LineTo with count 0");
                let path = paths.last_mut().expect("LineTo before MoveTo");
                assert!(!path.closed, "LineTo after ClosePath");
                for _ in 0..count {
                    let (dx, dy) = (unzig(geom[i]), unzig(geom[i + 1]));
                    i += 2;
                    assert!(dx != 0 || dy != 0, "zero-length LineTo");
                    x += dx;
                    y += dy;
                    path.points.push((x, y));
                }
            }
            7 => {
                assert_eq!(ty, POLYGON, "ClosePath outside a polygon");
                assert_eq!(count, 1, "ClosePath count must be 1");
                let path = paths.last_mut().expect("ClosePath before MoveTo");
                assert!(!path.closed, "ClosePath twice");
                path.closed = true;
            }
            other => panic!("unknown command {other}"),
        }
    }
    for p in &paths {
        match ty {
            LINESTRING => assert!(p.points.len() >= 2, "line with {} points", p.points.len()),
            POLYGON => {
                assert!(p.closed, "ring without ClosePath");
                assert!(p.points.len() >= 3, "ring with {} points", p.points.len());
                assert_ne!(
                    p.points.first(),
                    p.points.last(),
                    "ring repeats its first point before ClosePath"
                );
            }
            _ => {}
        }
    }
    paths
}

/// Twice the shoelace area of a ring in tile coordinates (y down): positive
/// for MVT exterior rings.
pub fn area2(ring: &[(i64, i64)]) -> i64 {
    let mut sum = 0;
    let mut prev = *ring.last().unwrap();
    for &p in ring {
        sum += prev.0 * p.1 - p.0 * prev.1;
        prev = p;
    }
    sum
}

/// Checks every spec rule this crate promises on an encoded tile and returns
/// the decoded protobuf.
pub fn check_tile(bytes: &[u8], extent: u32, buffer: u32) -> proto::Tile {
    let tile = raw(bytes);
    let (lo, hi) = (-i64::from(buffer), i64::from(extent) + i64::from(buffer));
    for layer in &tile.layers {
        assert_eq!(layer.version, 2, "layer {}", layer.name);
        assert_eq!(layer.extent, Some(extent));
        assert!(
            !layer.features.is_empty(),
            "empty layer {} written",
            layer.name
        );
        let mut keys = layer.keys.clone();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), layer.keys.len(), "duplicate keys");
        for (i, v) in layer.values.iter().enumerate() {
            let set = [
                v.string_value.is_some(),
                v.float_value.is_some(),
                v.double_value.is_some(),
                v.int_value.is_some(),
                v.uint_value.is_some(),
                v.sint_value.is_some(),
                v.bool_value.is_some(),
            ];
            assert_eq!(set.iter().filter(|s| **s).count(), 1, "value {i}");
            assert!(
                !layer.values[..i].contains(v),
                "duplicate value {v:?} in {}",
                layer.name
            );
        }
        for f in &layer.features {
            assert!(f.id.is_some(), "feature without id");
            assert_eq!(f.tags.len() % 2, 0);
            for kv in f.tags.chunks(2) {
                assert!((kv[0] as usize) < layer.keys.len());
                assert!((kv[1] as usize) < layer.values.len());
            }
            let ty = f.r#type.expect("feature type set");
            assert!((1..=3).contains(&ty), "type {ty}");
            let paths = decode_commands(&f.geometry, ty);
            assert!(!paths.is_empty(), "feature without geometry");
            for p in &paths {
                for &(x, y) in &p.points {
                    assert!(
                        x >= lo && x <= hi && y >= lo && y <= hi,
                        "({x}, {y}) outside"
                    );
                }
            }
            if ty == POLYGON {
                assert!(area2(&paths[0].points) > 0, "first ring is not an exterior");
                for p in &paths {
                    assert_ne!(area2(&p.points), 0, "zero-area ring");
                }
            }
        }
    }
    tile
}

/// The geometry paths of every feature of layer `name`.
pub fn layer_paths(tile: &proto::Tile, name: &str) -> Vec<(i32, Vec<Path>)> {
    let layer = tile
        .layers
        .iter()
        .find(|l| l.name == name)
        .expect("layer present");
    layer
        .features
        .iter()
        .map(|f| {
            let ty = f.r#type.unwrap();
            (ty, decode_commands(&f.geometry, ty))
        })
        .collect()
}

/// Tile units of tile `z/x/y` to lon/lat, with the textbook slippy-map
/// formulas (independent of the crate's projection code).
pub fn px_to_lonlat(z: u8, x: u32, y: u32, extent: u32, px: f64, py: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let wx = (f64::from(x) + px / f64::from(extent)) / n;
    let wy = (f64::from(y) + py / f64::from(extent)) / n;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * wy))
        .sinh()
        .atan()
        .to_degrees();
    (wx * 360.0 - 180.0, lat)
}

/// The z14 tile over central Nanjing (118.78 E, 32.04 N).
pub const NANJING: (u8, u32, u32) = (14, 13597, 6651);

/// A closed lon/lat ring from tile-unit corners of the Nanjing tile.
pub fn ring(px: &[(f64, f64)]) -> geo::LineString<f64> {
    let (z, x, y) = NANJING;
    let mut coords: Vec<geo::Coord<f64>> = px
        .iter()
        .map(|&(a, b)| {
            let (lon, lat) = px_to_lonlat(z, x, y, 4096, a, b);
            geo::Coord { x: lon, y: lat }
        })
        .collect();
    coords.push(coords[0]);
    geo::LineString::new(coords)
}

/// A lon/lat line from tile units of the Nanjing tile.
pub fn line(px: &[(f64, f64)]) -> geo::LineString<f64> {
    let (z, x, y) = NANJING;
    px.iter()
        .map(|&(a, b)| {
            let (lon, lat) = px_to_lonlat(z, x, y, 4096, a, b);
            geo::Coord { x: lon, y: lat }
        })
        .collect()
}

/// An axis-aligned rectangle ring in tile units of the Nanjing tile.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> geo::LineString<f64> {
    ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
}
