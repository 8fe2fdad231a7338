//! GeoJSON import of each layer against a small synthetic city (so codes,
//! parents and duplicates are checked against real rows). The first byte
//! picks the layer.
#![no_main]

use std::sync::OnceLock;

use gridmap_data::import::geojson::{Layer, parse_with};
use gridmap_data::limits::ImportLimits;
use gridmap_data::{Atlas, synth};
use libfuzzer_sys::fuzz_target;

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| Atlas::build(synth::city(40, 7), 1))
}

const LIMITS: ImportLimits = ImportLimits {
    max_vertices: 20_000,
    max_features: 2_000,
};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let layer = match pick % 4 {
        0 => Layer::Communities,
        1 => Layer::Grids,
        2 => Layer::Buildings,
        _ => Layer::Stations,
    };
    let _ = parse_with(layer, text, atlas(), &LIMITS);
});
