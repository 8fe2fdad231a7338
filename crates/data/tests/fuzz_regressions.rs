#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Inputs that crashed a fuzz target (`scripts/fuzz.sh`), replayed through
//! the same call: each must now give a clean result or error, not a panic.

use gridmap_data::import::osm::{OsmFormat, read_osm_bytes};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/crashes")
        .join(target);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("crash folder") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("input");
        out.push((path.display().to_string(), bytes));
    }
    out.sort();
    out
}

#[test]
fn osm_pbf_crashes_are_errors() {
    let found = inputs("osm_pbf");
    assert!(!found.is_empty());
    for (name, bytes) in found {
        // The same call as the fuzz target: all three import passes.
        let result = read_osm_bytes(&bytes, OsmFormat::Pbf, &mut |_| Ok(()));
        // With overflow checks (this test's profile) the corrupt block is an
        // error; a build without them may read it as wrong numbers instead.
        if cfg!(debug_assertions) {
            let err = result.expect_err(&name).to_string();
            assert!(err.contains("PBF"), "{name}: {err}");
        }
    }
}
