#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Export a walking graph for `scripts/compare-pgrouting.sh`: the edges
//! (with station access legs as extra vertices), the station vertices, and
//! this engine's multi-source distance for a sample of nodes, plus the
//! engine's own timings.
//!
//! ```sh
//! cargo run --release -p gridmap-analysis --example export_walkgraph -- sample OUTDIR
//! cargo run --release -p gridmap-analysis --example export_walkgraph -- city OUTDIR [buildings] [stations]
//! ```

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use gridmap_analysis::coverage::*;
use gridmap_data::synth;

#[path = "../tests/coverage_support/mod.rs"]
mod coverage_support;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("sample");
    let out = PathBuf::from(args.get(2).map(String::as_str).unwrap_or("/tmp/walkgraph"));
    std::fs::create_dir_all(&out).unwrap();
    let data = match which {
        "sample" => coverage_support::nanjing().clone(),
        "city" => synth::city_with(synth::CityOptions {
            buildings: args.get(3).map_or(1_000_000, |s| s.parse().unwrap()),
            seed: 42,
            street_subdivisions: 4,
            stations: Some(args.get(4).map_or(2_000, |s| s.parse().unwrap())),
        }),
        other => panic!("unknown dataset {other}: use sample or city"),
    };
    let t = Instant::now();
    let graph = WalkGraph::build(&data, &GraphOptions::default()).unwrap();
    let build = t.elapsed();
    let t = Instant::now();
    let result = coverage(&graph, &CoverageOptions::default()).unwrap();
    let run = t.elapsed();
    let n = graph.node_count();
    // Vertex ids: graph node + 1; station access legs: n + 1 + station index.
    let mut edges = BufWriter::new(std::fs::File::create(out.join("edges.csv")).unwrap());
    let mut id = 0u64;
    for (u, v, w) in graph.edges() {
        id += 1;
        writeln!(edges, "{id},{},{},{w:.17e}", u + 1, v + 1).unwrap();
    }
    let mut sources = Vec::new();
    for (i, s) in graph.stations().iter().enumerate() {
        if let Some(a) = s.attachment {
            id += 1;
            let leaf = n + 1 + i;
            writeln!(edges, "{id},{leaf},{},{:.17e}", a.node + 1, a.access_m).unwrap();
            sources.push(leaf.to_string());
        }
    }
    edges.flush().unwrap();
    std::fs::write(out.join("sources.txt"), sources.join(",")).unwrap();
    let mut ours = BufWriter::new(std::fs::File::create(out.join("ours.csv")).unwrap());
    let step = (n / 10_000).max(1);
    for node in (0..n as u32).step_by(step) {
        let d = result.node_distance(node);
        if d.is_finite() {
            writeln!(ours, "{},{d:.17e}", node + 1).unwrap();
        }
    }
    ours.flush().unwrap();
    let summary = format!(
        "dataset={which} buildings={} stations={} nodes={n} edges={id} graph_build_ms={:.1} coverage_run_ms={:.1}\n",
        graph.buildings().len(),
        sources.len(),
        build.as_secs_f64() * 1e3,
        run.as_secs_f64() * 1e3,
    );
    std::fs::write(out.join("summary.txt"), &summary).unwrap();
    print!("{summary}");
}
