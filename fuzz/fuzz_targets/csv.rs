//! CSV imports: surveyed households (`gridmap import households`, resolved
//! against a synthetic city) and plan assignments (`building_id,grid_code`,
//! `POST /api/plans/import`). The first byte picks the format.
#![no_main]

use std::sync::OnceLock;

use gridmap_analysis::planning::exchange::parse_assignment_csv;
use gridmap_data::import::households;
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
    if pick % 2 == 0 {
        let _ = households::parse_with(text, atlas(), &LIMITS);
    } else {
        let _ = parse_assignment_csv(text);
    }
});
