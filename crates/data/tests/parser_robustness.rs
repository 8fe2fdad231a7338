#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The importers' parsers on mangled input: the seeds of the fuzz targets
//! (`fuzz/seeds/`) with bytes flipped, cut or spliced, and arbitrary
//! text. Every input must be answered with `Ok` or `Err`, never a panic.
//! (The real fuzzing is `scripts/fuzz.sh`; this is its cheap, stable cousin
//! that runs with every `cargo test`.)

use std::sync::OnceLock;

use gridmap_data::import::geojson::{Layer, parse_with};
use gridmap_data::import::households;
use gridmap_data::import::osm::{OsmFormat, read_osm_bytes};
use gridmap_data::limits::ImportLimits;
use gridmap_data::{Atlas, synth};
use proptest::prelude::*;

const LIMITS: ImportLimits = ImportLimits {
    max_vertices: 20_000,
    max_features: 2_000,
};

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| Atlas::build(synth::city(40, 7), 1))
}

fn seed(path: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    std::fs::read(root.join(path)).unwrap()
}

/// `bytes` with up to a few edits: overwrite a byte, cut a range, or copy
/// a range elsewhere.
fn mangled(bytes: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let n = bytes.len().max(1);
    proptest::collection::vec((0u8..3, 0..n, 0..n, any::<u8>()), 1..6).prop_map(move |edits| {
        let mut b = bytes.clone();
        for (kind, i, j, byte) in edits {
            if b.is_empty() {
                break;
            }
            let (i, j) = (i % b.len(), j % b.len());
            let (lo, hi) = (i.min(j), i.max(j));
            match kind {
                0 => b[i] = byte,
                1 => {
                    b.drain(lo..hi.min(lo + 64));
                }
                _ => {
                    let piece: Vec<u8> = b[lo..hi.min(lo + 64)].to_vec();
                    let at = (j + byte as usize) % b.len();
                    b.splice(at..at, piece);
                }
            }
        }
        b
    })
}

fn osm_xml(bytes: &[u8]) {
    let _ = read_osm_bytes(bytes, OsmFormat::Xml, &mut |_| Ok(()));
}

fn geojson(bytes: &[u8], layer: Layer) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = parse_with(layer, text, atlas(), &LIMITS);
    }
}

fn household_csv(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = households::parse_with(text, atlas(), &LIMITS);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn osm_xml_survives_mangling(b in mangled(seed("osm_xml/small.osm"))) {
        osm_xml(&b);
    }

    #[test]
    fn osm_pbf_survives_mangling(b in mangled(std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/nanjing-xinjiekou.osm.pbf")
    ).unwrap()[..4096].to_vec())) {
        let _ = read_osm_bytes(&b, OsmFormat::Pbf, &mut |_| Ok(()));
    }

    #[test]
    fn geojson_survives_mangling(
        b in mangled(seed("geojson/0-communities.json")[1..].to_vec()),
        c in mangled(seed("geojson/1-grids.json")[1..].to_vec()),
        d in mangled(seed("geojson/2-buildings.json")[1..].to_vec()),
        e in mangled(seed("geojson/3-stations.json")[1..].to_vec()),
    ) {
        geojson(&b, Layer::Communities);
        geojson(&c, Layer::Grids);
        geojson(&d, Layer::Buildings);
        geojson(&e, Layer::Stations);
    }

    #[test]
    fn household_csv_survives_mangling(
        b in mangled(seed("csv/0-households-osm.csv")[1..].to_vec()),
        text in "[a-z_,\"0-9wr/\\n -]{0,80}",
    ) {
        household_csv(&b);
        household_csv(format!("osm_id,households\n{text}").as_bytes());
        household_csv(format!("building_id,households\n{text}").as_bytes());
    }

    #[test]
    fn arbitrary_text_is_rejected_or_read(text in "\\PC{0,200}") {
        osm_xml(text.as_bytes());
        geojson(text.as_bytes(), Layer::Buildings);
        household_csv(text.as_bytes());
    }
}
