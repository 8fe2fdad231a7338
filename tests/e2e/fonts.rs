//! Map-label glyphs served by the binary itself, decoded with prost structs
//! declared here from `glyphs.proto`.

use std::io::Read;

use crate::harness;

#[derive(Clone, PartialEq, prost::Message)]
struct Glyph {
    #[prost(uint32, required, tag = "1")]
    id: u32,
    #[prost(bytes = "vec", optional, tag = "2")]
    bitmap: Option<Vec<u8>>,
    #[prost(uint32, required, tag = "3")]
    width: u32,
    #[prost(uint32, required, tag = "4")]
    height: u32,
    #[prost(sint32, required, tag = "5")]
    left: i32,
    #[prost(sint32, required, tag = "6")]
    top: i32,
    #[prost(uint32, required, tag = "7")]
    advance: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Fontstack {
    #[prost(string, required, tag = "1")]
    name: String,
    #[prost(string, required, tag = "2")]
    range: String,
    #[prost(message, repeated, tag = "3")]
    glyphs: Vec<Glyph>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Glyphs {
    #[prost(message, repeated, tag = "1")]
    stacks: Vec<Fontstack>,
}

fn fetch(base: &str, path: &str) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let resp = match ureq::get(&format!("{base}{path}")).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = resp.status();
    let ctype = resp.header("content-type").map(str::to_owned);
    let cache = resp.header("cache-control").map(str::to_owned);
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).expect("body");
    (status, ctype, cache, body)
}

fn stack(body: &[u8]) -> Fontstack {
    let mut g = <Glyphs as prost::Message>::decode(body).expect("glyph protobuf");
    assert_eq!(g.stacks.len(), 1);
    g.stacks.remove(0)
}

#[test]
fn glyph_ranges_are_served_locally_and_bad_ranges_are_json_errors() {
    let s = harness::start(&[]);

    let (status, ctype, cache, body) = fetch(&s.base, "/fonts/DejaVu%20Sans%20Book/0-255.pbf");
    assert_eq!(status, 200);
    assert_eq!(ctype.as_deref(), Some("application/x-protobuf"));
    assert_eq!(cache.as_deref(), Some("public, max-age=86400"));
    let latin = stack(&body);
    assert_eq!(latin.name, "DejaVu Sans Book");
    assert_eq!(latin.range, "0-255");
    for c in "0123456789AZaz".chars() {
        let g = latin
            .glyphs
            .iter()
            .find(|g| g.id == c as u32)
            .unwrap_or_else(|| panic!("no {c:?}"));
        let len = g.bitmap.as_ref().map_or(0, Vec::len) as u32;
        assert_eq!(len, (g.width + 6) * (g.height + 6), "{c:?}");
        assert!(g.advance > 0);
    }

    // What MapLibre sends for a typical style: unknown names fall back.
    let (status, _, _, body) = fetch(
        &s.base,
        "/fonts/Noto%20Sans%20Bold,Arial%20Unicode%20MS%20Bold/0-255.pbf",
    );
    assert_eq!(status, 200);
    assert_eq!(stack(&body).name, "DejaVu Sans Bold");

    // CJK is drawn by the browser: a valid protobuf all the same.
    let (status, _, _, body) = fetch(&s.base, "/fonts/DejaVu%20Sans%20Book/19968-20223.pbf");
    assert_eq!(status, 200);
    assert_eq!(stack(&body).range, "19968-20223");

    for bad in [
        "1-256.pbf",
        "0-511.pbf",
        "65536-65791.pbf",
        "0-255",
        "a-b.pbf",
    ] {
        let (status, err) = s.get(&format!("/fonts/DejaVu%20Sans%20Book/{bad}"));
        assert_eq!(status, 400, "{bad}");
        assert_eq!(err["code"], "bad_glyph_range", "{bad}");
    }
}
