//! Tile paths: `{z}/{x}/{y}.mvt` as the router splits them, then the
//! coordinate's own derived values (bounds, projection).
#![no_main]

use gridmap_server::api::parse_tile_coord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '/');
    let (Some(z), Some(x), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    if let Ok(coord) = parse_tile_coord(z, x, file) {
        let _ = coord.bounds();
    }
});
