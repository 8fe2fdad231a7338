//! Point-in-grid lookups on a synthetic 1,000,000-building city.
//!
//! `cargo bench -p gridmap-data --bench lookup`

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use geo::Point;
use gridmap_data::{Atlas, synth};

fn lookups(c: &mut Criterion) {
    let city = synth::city(1_000_000, 42);
    let atlas = Atlas::build(city, 1);
    // A fixed, spread-out set of query points: the buildings' points, strided.
    let points: Vec<Point<f64>> = atlas
        .data()
        .buildings
        .iter()
        .step_by(97)
        .map(|b| b.point)
        .collect();
    let mut group = c.benchmark_group("atlas_1m");
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function("grid_at", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for p in &points {
                found += usize::from(atlas.grid_at(*p).is_some());
            }
            assert_eq!(found, points.len());
            found
        })
    });
    group.bench_function("nearest_station", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|p| atlas.nearest_stations(*p, 1).len())
                .sum::<usize>()
        })
    });
    group.finish();
    let mut build = c.benchmark_group("atlas_build");
    build.sample_size(10);
    build.bench_function("index_1m_buildings", |b| {
        b.iter_batched(
            || synth::city(1_000_000, 42),
            |d| Atlas::build(d, 1),
            BatchSize::PerIteration,
        )
    });
    build.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
