//! Query strings: the shared parser, then every reading the handlers make
//! of it (coverage query and its bands, lookup coordinates, limits, pages).
#![no_main]

use gridmap_server::api::{CoverageQuery, Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(params) = Params::parse(Some(text)) else {
        return;
    };
    if let Ok(q) = CoverageQuery::parse(&params) {
        let _ = q.bands();
    }
    let _ = params.number("lon", "bad_coordinates");
    let _ = params.number("lat", "bad_coordinates");
    let _ = params.limit("limit", 20, 100);
    let _ = params.limit("page", 1, usize::MAX);
    let _ = params.limit("scale", 8, 32);
});
