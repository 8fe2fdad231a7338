#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Walking coverage benchmarks: graph build, the whole multi-source run and
//! one 15-minute isochrone, on the Nanjing sample and on a synthetic city of
//! 1,000,000 buildings, ~2.26 M street nodes and 2,000 stations; plus siting
//! (k = 5) on both. Filter with `-- nanjing` or `-- city_1m`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gridmap_analysis::coverage::*;
use gridmap_data::synth;

#[path = "../tests/coverage_support/mod.rs"]
mod coverage_support;

fn describe(name: &str, graph: &WalkGraph) {
    let r = graph.report();
    eprintln!(
        "{name}: {} buildings, {} stations, {} street nodes + {} split nodes, {} edges, {} components",
        graph.buildings().len(),
        graph.stations().len(),
        r.street_nodes,
        r.split_nodes,
        r.edges,
        r.components
    );
}

fn nanjing(c: &mut Criterion) {
    let data = coverage_support::nanjing();
    let opts = GraphOptions::default();
    let graph = WalkGraph::build(data, &opts).unwrap();
    describe("nanjing", &graph);
    let cov = CoverageOptions::default();
    let result = coverage(&graph, &cov).unwrap();
    let station = data.stations[0].id;
    let mut g = c.benchmark_group("nanjing");
    g.bench_function("graph_build", |b| {
        b.iter(|| WalkGraph::build(black_box(data), &opts).unwrap())
    });
    g.bench_function("coverage_run", |b| {
        b.iter(|| coverage(black_box(&graph), &cov).unwrap())
    });
    g.bench_function("build_and_coverage", |b| {
        b.iter(|| {
            let graph = WalkGraph::build(black_box(data), &opts).unwrap();
            coverage(&graph, &cov).unwrap()
        })
    });
    g.bench_function("isochrone_15min", |b| {
        b.iter(|| isochrone(&graph, station, 15.0, &IsochroneOptions::default()).unwrap())
    });
    let siting_opts = SitingOptions {
        k: 5,
        minutes: 5.0,
        candidates: Candidates::StreetNodes { max: 2_000 },
        ..SitingOptions::default()
    };
    g.bench_function("siting_k5_5min", |b| {
        b.iter(|| siting(&graph, &result, &siting_opts).unwrap())
    });
    g.finish();
}

fn city_1m(c: &mut Criterion) {
    let t = Instant::now();
    let data = synth::city_with(synth::CityOptions {
        buildings: 1_000_000,
        seed: 42,
        street_subdivisions: 4,
        stations: Some(2_000),
    });
    eprintln!("city_1m: generated in {:?}", t.elapsed());
    let opts = GraphOptions::default();
    let t = Instant::now();
    let graph = WalkGraph::build(&data, &opts).unwrap();
    eprintln!("city_1m: graph built in {:?}", t.elapsed());
    describe("city_1m", &graph);
    let cov = CoverageOptions::default();
    let result = coverage(&graph, &cov).unwrap();
    let rollup = Rollup::build(&result, &data, &Band::life_circles(cov.speed_m_s));
    eprintln!(
        "city_1m: {:.1}% of households within 15 min",
        rollup.overall.covered_pct.unwrap_or(0.0)
    );
    let station = data.stations[1_000].id;
    let mut g = c.benchmark_group("city_1m");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    g.bench_function("graph_build", |b| {
        b.iter(|| WalkGraph::build(black_box(&data), &opts).unwrap())
    });
    g.bench_function("coverage_run", |b| {
        b.iter(|| coverage(black_box(&graph), &cov).unwrap())
    });
    g.bench_function("rollup", |b| {
        b.iter(|| Rollup::build(&result, &data, &Band::life_circles(cov.speed_m_s)))
    });
    g.bench_function("isochrone_15min", |b| {
        b.iter(|| isochrone(&graph, station, 15.0, &IsochroneOptions::default()).unwrap())
    });
    let siting_opts = SitingOptions {
        k: 5,
        minutes: 15.0,
        candidates: Candidates::StreetNodes { max: 2_000 },
        ..SitingOptions::default()
    };
    g.bench_function("siting_k5_15min_2000_candidates", |b| {
        b.iter(|| siting(&graph, &result, &siting_opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, nanjing, city_1m);
criterion_main!(benches);
