#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Inputs that crashed a fuzz target (`scripts/fuzz.sh`), replayed through
//! the same call: each must now give a clean result or error, not a panic.

use gridmap_data::import::osm::{OsmFormat, read_osm_bytes};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/crashes")
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

// ---- The overflow behind fuzz/crashes/osm_pbf, rebuilt by hand ----------
//
// The saved crash input stops earlier in this build's inflater, so these
// tests build an uncompressed PBF whose dense node makes
// `granularity × lon` overflow i64, the exact fault the fuzzer found.

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u64, wire: u64) {
    varint(out, (field << 3) | wire);
}

fn bytes_field(out: &mut Vec<u8>, field: u64, data: &[u8]) {
    key(out, field, 2);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn packed_sint64(out: &mut Vec<u8>, field: u64, values: &[i64]) {
    let mut body = Vec::new();
    for &v in values {
        varint(&mut body, zigzag(v));
    }
    bytes_field(out, field, &body);
}

/// One OSMData blob holding one dense node.
fn pbf_with_dense_node(granularity: i32, lat: i64, lon: i64) -> Vec<u8> {
    let mut dense = Vec::new();
    packed_sint64(&mut dense, 1, &[42]); // id
    packed_sint64(&mut dense, 8, &[lat]);
    packed_sint64(&mut dense, 9, &[lon]);
    let mut group = Vec::new();
    bytes_field(&mut group, 2, &dense);
    let mut stringtable = Vec::new();
    bytes_field(&mut stringtable, 1, b"");
    let mut block = Vec::new();
    bytes_field(&mut block, 1, &stringtable);
    bytes_field(&mut block, 2, &group);
    key(&mut block, 17, 0);
    varint(&mut block, granularity as u64);
    let mut blob = Vec::new();
    bytes_field(&mut blob, 1, &block); // raw, uncompressed
    let mut header = Vec::new();
    bytes_field(&mut header, 1, b"OSMData");
    key(&mut header, 3, 0);
    varint(&mut header, blob.len() as u64);
    let mut file = (header.len() as u32).to_be_bytes().to_vec();
    file.extend_from_slice(&header);
    file.extend_from_slice(&blob);
    file
}

fn nodes_of(bytes: &[u8]) -> Result<Vec<(i64, f64, f64)>, String> {
    use gridmap_data::import::osm::{Element, reader::read_elements_from};
    let mut nodes = Vec::new();
    read_elements_from(bytes, OsmFormat::Pbf, &mut |e| {
        if let Element::Node { id, lon, lat, .. } = e {
            nodes.push((id, lon, lat));
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(nodes)
}

#[test]
fn hand_built_pbf_reads_its_node() {
    // Control: the same construction with sane numbers is a valid file.
    let nodes = nodes_of(&pbf_with_dense_node(100, 320_600_000, 1_187_800_000)).unwrap();
    assert_eq!(nodes.len(), 1);
    let (id, lon, lat) = nodes[0];
    assert_eq!(id, 42);
    assert!((lon - 118.78).abs() < 1e-9, "{lon}");
    assert!((lat - 32.06).abs() < 1e-9, "{lat}");
}

#[test]
fn dense_node_coordinate_overflow_is_a_range_error() {
    // i32::MAX × 10¹⁰ overflows i64: osmpbf 0.3.8 panicked here (with
    // overflow checks) or wrapped to a wrong coordinate (without). The
    // vendored copy saturates, and the reader rejects the result.
    let err = nodes_of(&pbf_with_dense_node(i32::MAX, 0, 10_000_000_000)).unwrap_err();
    assert!(
        err.contains("node 42 has coordinates out of range"),
        "{err}"
    );
    let err = nodes_of(&pbf_with_dense_node(i32::MAX, -10_000_000_000, 0)).unwrap_err();
    assert!(err.contains("out of range"), "{err}");
}
