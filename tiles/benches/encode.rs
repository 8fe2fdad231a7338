//! Encoding speed of a busy z14 tile over Nanjing: ~500 building polygons
//! (some crossing the tile edge) and ~100 road lines, with properties.
//!
//! Run: `cargo bench -p gridmap-tiles --bench encode -- --quick`.
//! With `ENCODE_ITERS=n` it just encodes the tile `n` times (for profilers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use geo::{Coord, Geometry, LineString, Polygon};
use gridmap_tiles::{TileBuilder, TileCoord, TileOptions, TileTransform, Value};

/// Small deterministic generator (no extra dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

struct Feature {
    id: u64,
    geometry: Geometry<f64>,
    name: String,
    floors: i64,
    kind: &'static str,
}

fn dataset(coord: TileCoord) -> (Vec<Feature>, Vec<Feature>) {
    let t = TileTransform::new(coord, 4096);
    let ll = |x: f64, y: f64| {
        let (lon, lat) = t.unproject(x, y);
        Coord { x: lon, y: lat }
    };
    let mut rng = Lcg(42);
    let kinds = ["residential", "school", "shop", "office", "clinic"];
    let mut buildings = Vec::new();
    for i in 0..500u64 {
        // One in ten straddles the tile edge.
        let (cx, cy) = if i % 10 == 0 {
            (
                rng.range(-40.0, 40.0) + if i % 20 == 0 { 0.0 } else { 4096.0 },
                rng.range(0.0, 4096.0),
            )
        } else {
            (rng.range(50.0, 4046.0), rng.range(50.0, 4046.0))
        };
        let (w, h) = (rng.range(20.0, 120.0), rng.range(15.0, 80.0));
        let a = rng.range(0.0, std::f64::consts::PI);
        let (s, c) = a.sin_cos();
        // An L-shaped footprint, rotated, with some near-collinear noise.
        let local = [
            (-w, -h),
            (0.0, -h - 0.4),
            (w, -h),
            (w, 0.0),
            (0.2 * w, 0.0),
            (0.2 * w, h),
            (-w, h),
            (-w - 0.3, 0.0),
        ];
        let mut ring: Vec<Coord<f64>> = local
            .iter()
            .map(|&(x, y)| ll(cx + x * c - y * s, cy + x * s + y * c))
            .collect();
        ring.push(ring[0]);
        buildings.push(Feature {
            id: i,
            geometry: Geometry::Polygon(Polygon::new(LineString::new(ring), vec![])),
            name: format!("{}栋", i % 60),
            floors: (i % 33) as i64 + 1,
            kind: kinds[(i % 5) as usize],
        });
    }
    let mut roads = Vec::new();
    for i in 0..100u64 {
        let (mut x, mut y) = (rng.range(-500.0, 4600.0), rng.range(-500.0, 4600.0));
        let mut dir = rng.range(0.0, std::f64::consts::TAU);
        let mut pts = Vec::new();
        for _ in 0..30 {
            pts.push(ll(x, y));
            dir += rng.range(-0.3, 0.3);
            let step = rng.range(20.0, 200.0);
            x += step * dir.cos();
            y += step * dir.sin();
        }
        roads.push(Feature {
            id: 10_000 + i,
            geometry: Geometry::LineString(LineString::new(pts)),
            name: format!("路{}", i % 40),
            floors: 0,
            kind: ["primary", "secondary", "residential"][(i % 3) as usize],
        });
    }
    (buildings, roads)
}

fn fill(tile: &mut TileBuilder, buildings: &[Feature], roads: &[Feature]) -> usize {
    let mut n = 0;
    let layer = tile.layer("buildings");
    for f in buildings {
        n += usize::from(layer.add(
            f.id,
            &f.geometry,
            &[
                ("name", Value::from(f.name.as_str())),
                ("floors", Value::Int(f.floors)),
                ("kind", Value::from(f.kind)),
            ],
        ));
    }
    let layer = tile.layer("roads");
    for f in roads {
        n += usize::from(layer.add(
            f.id,
            &f.geometry,
            &[
                ("name", Value::from(f.name.as_str())),
                ("class", Value::from(f.kind)),
            ],
        ));
    }
    n
}

fn bench(c: &mut Criterion) {
    let coord = TileCoord::new(14, 13597, 6651).unwrap();
    let (buildings, roads) = dataset(coord);
    {
        let mut tile = TileBuilder::new(coord, TileOptions::default()).unwrap();
        let n = fill(&mut tile, &buildings, &roads);
        let bytes = tile.encode();
        eprintln!("features written: {n}, tile size: {} bytes", bytes.len());
    }
    // For profilers (`perf stat`/`perf record`): a fixed number of tiles.
    if let Some(iters) = std::env::var("ENCODE_ITERS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        let mut tile = TileBuilder::new(coord, TileOptions::default()).unwrap();
        let mut out = Vec::new();
        for _ in 0..iters {
            tile.reset(coord);
            fill(&mut tile, &buildings, &roads);
            out.clear();
            tile.encode_into(&mut out);
            black_box(out.len());
        }
        return;
    }
    c.bench_function("encode 500 buildings + 100 roads (new builder)", |b| {
        b.iter(|| {
            let mut tile = TileBuilder::new(coord, TileOptions::default()).unwrap();
            fill(&mut tile, black_box(&buildings), black_box(&roads));
            black_box(tile.encode())
        })
    });
    let mut tile = TileBuilder::new(coord, TileOptions::default()).unwrap();
    let mut out = Vec::new();
    c.bench_function("encode 500 buildings + 100 roads (reused builder)", |b| {
        b.iter(|| {
            tile.reset(coord);
            fill(&mut tile, black_box(&buildings), black_box(&roads));
            out.clear();
            tile.encode_into(&mut out);
            black_box(out.len())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
