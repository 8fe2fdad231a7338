//! OSM XML: the streaming reader and the three import passes (ring
//! assembly, multipolygons, classification, household estimate).
#![no_main]

use gridmap_data::import::osm::{OsmFormat, read_osm_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut features = 0usize;
    let _ = read_osm_bytes(data, OsmFormat::Xml, &mut |_| {
        features += 1;
        Ok(())
    });
});
