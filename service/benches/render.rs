//! Uncached tile rendering from the Atlas (query + encode), no HTTP.
//!
//! `cargo bench -p gridmap-service --bench render`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gridmap_data::{Atlas, synth};
use gridmap_service::tiles::prepared::PreparedTiles;
use gridmap_service::tiles::{render, render_prepared};
use gridmap_tiles::TileCoord;
use std::sync::Arc;

/// Tiles of zoom `z` covering the atlas bounds.
fn tiles_over(atlas: &Atlas, z: u8) -> Vec<TileCoord> {
    let Some(b) = atlas.bounds() else {
        return Vec::new();
    };
    let (Ok(a), Ok(c)) = (
        TileCoord::containing(b.min().x, b.max().y, z),
        TileCoord::containing(b.max().x, b.min().y, z),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for x in a.x()..=c.x() {
        for y in a.y()..=c.y() {
            if let Ok(t) = TileCoord::new(z, x, y) {
                out.push(t);
            }
        }
    }
    out
}

fn city(c: &mut Criterion) {
    let atlas = Arc::new(Atlas::build(synth::city(1_000_000, 42), 1));
    let prepared = Arc::new(PreparedTiles::new(1 << 30));
    let mut group = c.benchmark_group("city1m");
    group.sample_size(20);
    for z in [12u8, 14, 16] {
        let all = tiles_over(&atlas, z);
        // A central tile (dense everywhere in the synthetic city).
        let tile = all[all.len() / 2];
        group.bench_function(format!("one_z{z}_tile"), |b| {
            b.iter(|| render(&atlas, tile).map(|t| t.len()).unwrap_or(0))
        });
        let started = std::time::Instant::now();
        let geometry = prepared.prepare_now(&atlas, z);
        if let Some(g) = &geometry {
            eprintln!(
                "city1m z{z}: geometry prepared in {:.2} s, {} MiB",
                started.elapsed().as_secs_f64(),
                g.bytes >> 20
            );
        }
        group.bench_function(format!("one_z{z}_tile_prepared"), |b| {
            b.iter(|| {
                render_prepared(&atlas, tile, None, geometry.as_deref())
                    .map(|t| t.len())
                    .unwrap_or(0)
            })
        });
    }
    group.finish();
}

/// The Nanjing sample in memory, with its derived communities and grids, as
/// `gridmap serve` would load it (ids in insertion order).
fn nanjing() -> Atlas {
    use gridmap_data::import::osm::{OsmFeature, read_osm};
    use gridmap_data::model::Dataset;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/samples/nanjing-xinjiekou.osm");
    let mut d = Dataset::default();
    let next = |n: usize| n as i64 + 1;
    let read = read_osm(&path, &|_| {}, &mut |f| {
        match f {
            OsmFeature::Building(mut b) => {
                b.id = next(d.buildings.len());
                d.buildings.push(b);
            }
            OsmFeature::Road(mut r) => {
                r.id = next(d.roads.len());
                d.roads.push(r);
            }
            OsmFeature::Station(mut s) => {
                s.id = next(d.stations.len());
                d.stations.push(s);
            }
            OsmFeature::Area(mut a) => {
                a.id = next(d.areas.len());
                d.areas.push(a);
            }
        }
        Ok(())
    });
    if read.is_err() {
        return Atlas::empty();
    }
    if let Some(plan) = gridmap_data::sample::derive(&d.buildings) {
        for (i, mut c) in plan.communities.into_iter().enumerate() {
            c.id = next(i);
            d.communities.push(c);
        }
        for (i, (ci, mut g)) in plan.grids.into_iter().enumerate() {
            g.id = next(i);
            g.community_id = next(ci);
            d.grids.push(g);
        }
        for (b, gi) in plan.assignments {
            if let Some(building) = d.buildings.get_mut((b - 1) as usize) {
                building.grid_id = Some(next(gi));
            }
        }
    }
    Atlas::build(d, 1)
}

fn sample(c: &mut Criterion) {
    // Every tile z13–z17 over the Nanjing sample, as the load test requests
    // them: from lon/lat, and from geometry prepared for the zoom (what the
    // server does once a zoom's geometry is ready).
    let atlas = Arc::new(nanjing());
    let prepared = Arc::new(PreparedTiles::new(1 << 30));
    let mut group = c.benchmark_group("nanjing");
    for z in 13u8..=17 {
        let tiles = tiles_over(&atlas, z);
        group.throughput(Throughput::Elements(tiles.len() as u64));
        group.bench_function(format!("all_z{z}_tiles"), |b| {
            b.iter(|| {
                tiles
                    .iter()
                    .map(|t| render(&atlas, *t).map(|v| v.len()).unwrap_or(0))
                    .sum::<usize>()
            })
        });
        let geometry = prepared.prepare_now(&atlas, z);
        group.bench_function(format!("all_z{z}_tiles_prepared"), |b| {
            b.iter(|| {
                tiles
                    .iter()
                    .map(|t| {
                        render_prepared(&atlas, *t, None, geometry.as_deref())
                            .map(|v| v.len())
                            .unwrap_or(0)
                    })
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sample, city);
criterion_main!(benches);
