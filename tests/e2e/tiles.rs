//! Vector tiles of the sample, decoded with an independent decoder (mvt-reader).

use std::collections::{HashMap, HashSet};
use std::io::Read;

use mvt_reader::Reader;

use crate::harness::{self, Server};

type Fetched = (u16, HashMap<String, String>, Vec<u8>);

/// GET with an optional `If-None-Match`: status, lower-cased headers, body.
fn fetch(s: &Server, path: &str, if_none_match: Option<&str>) -> Fetched {
    match if_none_match {
        Some(tag) => fetch_with(s, path, &[("If-None-Match", tag)]),
        None => fetch_with(s, path, &[]),
    }
}

fn fetch_with(s: &Server, path: &str, request_headers: &[(&str, &str)]) -> Fetched {
    let mut req = ureq::get(&format!("{}{}", s.base, path));
    for (k, v) in request_headers {
        req = req.set(k, v);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| {
            resp.header(&n)
                .map(|v| (n.to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).expect("body");
    (status, headers, body)
}

/// Tile column/row of a lon/lat at zoom z (Web Mercator).
pub(crate) fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let r = lat.to_radians();
    let y =
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

#[test]
fn sample_tiles_hold_every_building_once_and_public_attributes_only() {
    let s = harness::start(&[]);
    let (status, tj) = s.get("/tiles.json");
    assert_eq!(status, 200);
    assert_eq!(tj["tilejson"], "3.0.0");
    // The style carries the same source inline (no TileJSON round trip).
    let (status, style) = s.get("/style.json");
    assert_eq!(status, 200);
    for key in ["tiles", "minzoom", "maxzoom", "bounds", "attribution"] {
        assert_eq!(style["sources"]["gridmap"][key], tj[key], "{key}");
    }
    assert!(
        tj["attribution"]
            .as_str()
            .expect("attribution")
            .contains("OpenStreetMap")
    );
    let layer_ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    for l in [
        "communities",
        "grids",
        "buildings",
        "stations",
        "roads",
        "water",
        "landuse",
    ] {
        assert!(layer_ids.contains(&l), "TileJSON lacks {l}");
    }
    let b = tj["bounds"].as_array().expect("bounds");
    let (w, so, e, n) = (
        b[0].as_f64().expect("w"),
        b[1].as_f64().expect("s"),
        b[2].as_f64().expect("e"),
        b[3].as_f64().expect("n"),
    );

    // All z14 tiles over the sample's bounds: every building appears (by id),
    // every grid too, and no feature carries a household attribute.
    let z = 14;
    let (x0, y0) = tile_of(w, n, z);
    let (x1, y1) = tile_of(e, so, z);
    let mut buildings = HashSet::new();
    let mut grids = HashSet::new();
    let mut grid_labels = Vec::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let (status, headers, body) = fetch(&s, &format!("/tiles/{z}/{x}/{y}.mvt"), None);
            assert_eq!(status, 200);
            assert_eq!(
                headers.get("content-type").map(String::as_str),
                Some("application/vnd.mapbox-vector-tile")
            );
            let reader = Reader::new(body).expect("mvt-reader decodes the tile");
            let names = reader.get_layer_names().expect("layer names");
            for name in &names {
                assert!(
                    layer_ids.contains(&name.as_str()),
                    "layer {name} is not declared in TileJSON"
                );
            }
            for (i, name) in names.iter().enumerate() {
                for f in reader.get_features_as::<f64>(i).expect("features") {
                    let id = f.id.expect("feature id");
                    if let Some(props) = &f.properties {
                        assert!(
                            props.keys().all(|k| !k.contains("household")),
                            "{name} leaks households"
                        );
                    }
                    use geo::BoundingRect;
                    if let Some(r) = f.geometry.bounding_rect() {
                        assert!(
                            r.min().x >= -64.0
                                && r.min().y >= -64.0
                                && r.max().x <= 4160.0
                                && r.max().y <= 4160.0,
                            "{name} {id} outside the buffer: {r:?}"
                        );
                    }
                    match name.as_str() {
                        "buildings" => {
                            buildings.insert(id);
                        }
                        "grids" => {
                            grids.insert(id);
                        }
                        "grid_labels" => grid_labels.push(id),
                        _ => {}
                    }
                }
            }
        }
    }
    let (_, health) = s.get("/health");
    assert_eq!(
        buildings.len() as u64,
        health["counts"]["buildings"].as_u64().expect("buildings")
    );
    assert_eq!(
        grids.len() as u64,
        health["counts"]["grids"].as_u64().expect("grids")
    );
}

#[test]
fn etag_gives_304_and_bad_coordinates_give_json_errors() {
    let s = harness::start(&[]);
    let (status, headers, body) = fetch(&s, "/tiles/14/13597/6651.mvt", None);
    assert_eq!(status, 200);
    assert!(!body.is_empty());
    let tag = headers.get("etag").expect("etag").clone();
    // Weak: the same features under one tag (see api/tiles.rs).
    assert!(tag.starts_with("W/\""), "{tag}");
    let (status, _, body) = fetch(&s, "/tiles/14/13597/6651.mvt", Some(&tag));
    assert_eq!(status, 304);
    assert!(body.is_empty());
    // If-None-Match compares weakly: the tag without W/ matches too.
    let strong = tag.trim_start_matches("W/").to_owned();
    assert_eq!(fetch(&s, "/tiles/14/13597/6651.mvt", Some(&strong)).0, 304);
    // Past the zoom's edge: no such tile.
    let (status, body) = s.get("/tiles/2/4/0.mvt");
    assert_eq!(status, 404);
    assert_eq!(body["code"], "no_such_tile");
    for path in [
        "/tiles/25/0/0.mvt",
        "/tiles/a/0/0.mvt",
        "/tiles/1/0/x.mvt",
        "/tiles/1/0/0.png",
        "/tiles/-1/0/0.mvt",
    ] {
        let (status, body) = s.get(path);
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["code"], "bad_tile", "{path}");
    }
}

fn station_count(tile: Vec<u8>) -> usize {
    let reader = Reader::new(tile).expect("decode");
    let names = reader.get_layer_names().expect("names");
    names.iter().position(|n| n == "stations").map_or(0, |i| {
        reader.get_features_as::<f64>(i).expect("features").len()
    })
}

#[test]
fn gzip_when_accepted_with_and_without_the_cache() {
    for cache in ["256", "0"] {
        let s = harness::start(&["--tile-cache-mb", cache]);
        let path = "/tiles/15/27195/13302.mvt";
        // The zoom's prepared geometry is made in the background after the
        // first ask; until then tiles come from lon/lat and may differ from
        // the later ones by a vertex (same features, same weak ETag). So a
        // gzip answer is compared with plain answers fetched around it that
        // agree with each other: the bytes cannot have changed in between.
        let mut compared = 0;
        for _ in 0..20 {
            let (_, _, before) = fetch(&s, path, None);
            let (_, headers, body) = fetch_with(&s, path, &[("Accept-Encoding", "gzip, deflate")]);
            let (_, _, after) = fetch(&s, path, None);
            assert!(!before.is_empty());
            assert_eq!(
                headers.get("content-encoding").map(String::as_str),
                Some("gzip"),
                "cache {cache}"
            );
            assert_eq!(
                headers.get("vary").map(String::as_str),
                Some("Accept-Encoding")
            );
            let mut unzipped = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut unzipped)
                .expect("gunzip");
            assert!(body.len() < unzipped.len());
            if before == after {
                assert_eq!(unzipped, before, "cache {cache}");
                compared += 1;
                if compared == 2 {
                    break;
                }
            }
        }
        assert_eq!(compared, 2, "cache {cache}: the tile never settled");
        let (_, health) = s.get("/health");
        let entries = health["tile_cache"]["entries"].as_u64().expect("entries");
        assert_eq!(entries, if cache == "0" { 0 } else { 1 });
    }
}

#[test]
fn tiles_change_after_an_edit() {
    let s = harness::start(&[]);
    let path = "/tiles/15/27195/13302.mvt";
    let (_, headers, before) = fetch(&s, path, None);
    let old_tag = headers.get("etag").expect("etag").clone();
    let stations_before = station_count(before);
    // A new station in the middle of that tile, imported while serving.
    s.add_station_and_reload("测试服务站", "station", 118.7813, 32.0419);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, headers, after) = fetch(&s, path, Some(&old_tag));
        if status == 200 {
            assert_ne!(headers.get("etag"), Some(&old_tag));
            assert_eq!(station_count(after), stations_before + 1);
            break;
        }
        assert_eq!(status, 304);
        assert!(std::time::Instant::now() < deadline, "tile never changed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn etags_follow_the_store_not_the_process() {
    let s = harness::start(&[]);
    let path = "/tiles/14/13597/6651.mvt";
    let (_, headers, _) = fetch(&s, path, None);
    let tag = headers.get("etag").expect("etag").clone();
    assert_eq!(fetch(&s, path, Some(&tag)).0, 304);
    // Same data after a restart: same tile, same ETag (and so a second
    // server over the same database agrees with this one).
    let mut s = s.restart(&[]);
    assert_eq!(fetch(&s, path, Some(&tag)).0, 304);
    // Data changed while the server was down: the old ETag must not match.
    let _ = s.child_kill_and_wait();
    harness::add_station(&s.db, s.dir.path(), "新站", "point", 118.78, 32.04);
    let s = s.restart(&[]);
    let (status, headers, body) = fetch(&s, path, Some(&tag));
    assert_eq!(status, 200);
    assert!(!body.is_empty());
    assert_ne!(headers.get("etag"), Some(&tag));
}

/// Grid features of a tile: id → (kind, households, status) as decoded.
fn grid_features(body: Vec<u8>) -> HashMap<u64, (String, Option<i64>, Option<String>)> {
    let reader = Reader::new(body).expect("decode");
    let names = reader.get_layer_names().expect("layers");
    let i = names
        .iter()
        .position(|n| n == "grids")
        .expect("grids layer");
    let mut out = HashMap::new();
    for f in reader.get_features_as::<f64>(i).expect("features") {
        let props = f.properties.clone().unwrap_or_default();
        let text = |k: &str| match props.get(k) {
            Some(mvt_reader::feature::Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let households = match props.get("households") {
            Some(mvt_reader::feature::Value::UInt(v)) => Some(*v as i64),
            Some(mvt_reader::feature::Value::Int(v)) => Some(*v),
            Some(mvt_reader::feature::Value::SInt(v)) => Some(*v),
            Some(other) => panic!("households is {other:?}"),
            None => None,
        };
        out.insert(
            f.id.expect("grid id"),
            (text("kind").expect("kind"), households, text("status")),
        );
    }
    out
}

#[test]
fn signed_in_users_see_households_and_rule_status_of_their_grids_only() {
    let s = harness::start(&[]);
    let (_, look) = s.get("/api/lookup?lon=118.7837&lat=32.0416");
    let community = look["community"]["id"].as_i64().expect("community id");
    let db = s.db_url();
    harness::add_user(
        &db,
        "all",
        "official",
        &["--communities", "all"],
        "a-long-password-1",
    );
    harness::add_user(
        &db,
        "one",
        "planner",
        &["--communities", &community.to_string()],
        "a-long-password-2",
    );
    let token = |user: &str| {
        let out = harness::cli(&db, &["token", "create", "--user", user]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("Bearer {}", String::from_utf8_lossy(&out.stdout).trim())
    };
    let (all, one) = (token("all"), token("one"));
    let path = "/tiles/14/13597/6651.mvt";

    let (status, public_headers, body) = fetch(&s, path, None);
    assert_eq!(status, 200);
    let public = grid_features(body);
    assert!(
        public
            .values()
            .all(|(_, h, st)| h.is_none() && st.is_none())
    );
    assert_eq!(public_headers["cache-control"], "no-cache");

    let (_, all_headers, body) = fetch_with(&s, path, &[("Authorization", &all)]);
    let everything = grid_features(body);
    assert_eq!(everything.len(), public.len(), "the same grids");
    assert_eq!(all_headers["cache-control"], "private, no-cache");
    assert!(all_headers["vary"].contains("Authorization"));
    assert_ne!(all_headers["etag"], public_headers["etag"]);
    for (kind, households, status) in everything.values() {
        let h = households.expect("households for a scope of all");
        let want = match (kind.as_str(), h) {
            ("dedicated", _) => "exempt",
            (_, h) if h < 300 => "under",
            (_, h) if h > 500 => "over",
            _ => "ok",
        };
        assert_eq!(status.as_deref(), Some(want), "{kind} {h}");
    }

    let (_, _, body) = fetch_with(&s, path, &[("Authorization", &one)]);
    let scoped = grid_features(body);
    let shown: Vec<_> = scoped.iter().filter(|(_, v)| v.1.is_some()).collect();
    assert!(
        !shown.is_empty(),
        "the planner's own community is in this tile"
    );
    assert!(shown.len() < scoped.len(), "other communities stay public");
    for (id, v) in shown {
        assert_eq!(v, &everything[id], "same figures as the wider view");
    }
    // A bad token is simply the public view, not an error.
    let (status, _, body) = fetch_with(&s, path, &[("Authorization", "Bearer nonsense")]);
    assert_eq!(status, 200);
    assert_eq!(grid_features(body), public);
}
