//! Query strings: the typed parser (`api::Query<T>`) for the coverage
//! query, then its reading and bands.
#![no_main]

use gridmap_server::api::{CoverageParams, CoverageQuery, parse_query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(params) = parse_query::<CoverageParams>(text) else {
        return;
    };
    if let Ok(q) = CoverageQuery::parse(&params) {
        let _ = q.bands();
    }
});
