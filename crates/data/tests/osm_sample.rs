#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The OSM importer on the shipped Nanjing sample (XML and PBF), and on broken input.

use std::path::PathBuf;
use std::sync::Arc;

use gridmap_data::import::osm::{OsmFeature, OsmReport, read_osm};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples")
        .join(name)
}

fn read(path: &PathBuf) -> (OsmReport, Vec<OsmFeature>) {
    let mut features = Vec::new();
    let report = read_osm(path, &|_| {}, &mut |f| {
        features.push(f);
        Ok(())
    })
    .expect("sample imports");
    (report, features)
}

#[test]
fn xml_sample_counts() {
    let (report, features) = read(&sample("nanjing-xinjiekou.osm"));
    println!("{report:#?}");
    let _ = Arc::new(0);
    assert_eq!(report.nodes, 12_975);
    assert_eq!(report.ways, 1_920);
    assert_eq!(report.relations, 54);
    assert_eq!(
        features.len() as u64,
        report.buildings + report.roads + report.stations + report.areas
    );
}
