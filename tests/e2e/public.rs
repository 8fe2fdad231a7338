//! Every public route, walked: none returns household counts, plan data or
//! people beyond a grid's published contacts. The route list is checked
//! against the router's source (`.route("…")` in `src/api/*.rs`), so a new
//! route must be classified here.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{self, Server};
use crate::tiles::tile_of;

/// Routes that need a login; everything else in the router is public.
const PROTECTED: &[&str] = &[
    "/api/auth/login",
    "/api/auth/logout",
    "/api/auth/me",
    "/api/admin/audit",
    "/api/admin/users",
    "/api/communities/{id}/rules",
    "/api/communities",
    "/api/plans",
    "/api/plans/import",
    "/api/plans/{id}",
    "/api/plans/{id}/edits",
    "/api/plans/{id}/undo",
    "/api/plans/{id}/redo",
    "/api/plans/{id}/history",
    "/api/plans/{id}/validate",
    "/api/plans/{id}/partition",
    "/api/plans/{id}/publish",
    "/api/plans/{id}/rebase",
    "/api/plans/{id}/diff/{other}",
    "/api/plans/{id}/export.geojson",
    "/api/plans/{id}/export.csv",
    "/api/plans/{id}/layers",
    "/api/coverage",
    "/api/coverage/buildings",
    "/api/coverage/siting",
    "/api/grids/compliance",
    "/api/grids/{id}/qr-sheet.svg",
];

/// Public routes this walk visits.
const WALKED: &[&str] = &[
    "/",
    "/health",
    "/api/auth/session",
    "/api/openapi.json",
    "/api/lookup",
    "/api/buildings/search",
    "/api/buildings/{id}",
    "/style.json",
    "/tiles.json",
    "/tiles/{z}/{x}/{file}",
    "/tiles/coverage.json",
    "/tiles/coverage/{z}/{x}/{file}",
    "/fonts/{fontstack}/{range}",
    "/api/stations/{id}/isochrone",
    "/tiles/isochrone/{station}/{minutes}/{z}/{x}/{file}",
    "/api/buildings/{id}/qr.svg",
    "/api/buildings/{id}/qr.png",
];

/// Keys that must never appear in a public body.
const SECRET_KEYS: &[&str] = &[
    "households",
    "household_source",
    "plan",
    "draft",
    "password",
    "username",
];

/// Every `.route("…")` path in the API's source files (`src/api/*.rs`).
/// Every path the router serves, from the OpenAPI document the server
/// generates from its router (the web app's pages left out).
fn router_routes() -> BTreeSet<String> {
    let s = harness::start(&[]);
    let doc = s.request("GET", "/api/openapi.json", &[], None).json();
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(_, item)| {
            !item.as_object().expect("path item").values().any(|op| {
                op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "web"))
            })
        })
        .map(|(path, _)| path.clone())
        .collect()
}

fn check_json(path: &str, v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let lower = k.to_ascii_lowercase();
                assert!(
                    !SECRET_KEYS.iter().any(|s| lower.contains(s)),
                    "{path}: key `{k}` must not be public"
                );
                if lower == "contacts" {
                    for c in child.as_array().expect("contacts array") {
                        let keys: BTreeSet<&str> = c
                            .as_object()
                            .expect("contact")
                            .keys()
                            .map(String::as_str)
                            .collect();
                        assert!(
                            keys.is_subset(&BTreeSet::from(["name", "role", "phone", "sample"])),
                            "{path}: contact carries {keys:?}"
                        );
                    }
                }
                check_json(path, child);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| check_json(path, i)),
        _ => {}
    }
}

fn get_public(s: &Server, path: &str) -> harness::Resp {
    let r = s.request("GET", path, &[], None);
    assert!(r.status < 500, "{path}: {}", r.status);
    let text = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    if r.header("content-type").is_some_and(|c| c.contains("json")) {
        check_json(path, &r.json());
    } else if r
        .header("content-type")
        .is_some_and(|c| c.contains("html") || c.contains("svg"))
    {
        assert!(!text.contains("households"), "{path}");
        assert!(!String::from_utf8_lossy(&r.body).contains("户数"), "{path}");
    }
    r
}

#[test]
fn every_route_is_classified_public_or_protected() {
    let routes = router_routes();
    assert!(routes.len() >= WALKED.len(), "{routes:?}");
    let known: BTreeSet<String> = PROTECTED
        .iter()
        .chain(WALKED)
        .map(|s| (*s).to_owned())
        .collect();
    let unclassified: Vec<&String> = routes.difference(&known).collect();
    assert!(
        unclassified.is_empty(),
        "new routes {unclassified:?}: add them to PROTECTED or to the public walk"
    );
}

#[test]
fn public_routes_never_return_households_or_private_data() {
    let s = harness::start(&[]);
    get_public(&s, "/");
    get_public(&s, "/health");
    let session = get_public(&s, "/api/auth/session").json();
    assert!(session["session"].is_null(), "{session}");
    // The API's description (schemas name private fields such as the rules'
    // `min_households`, but it holds no data): public, not key-checked.
    let doc = s.request("GET", "/api/openapi.json", &[], None);
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json()["openapi"], "3.1.0");
    get_public(&s, "/no/such/route");
    let tj = get_public(&s, "/tiles.json").json();
    get_public(&s, "/tiles/coverage.json");
    let style = get_public(&s, "/style.json").json();
    assert!(style["layers"].as_array().is_some_and(|l| !l.is_empty()));

    // Search for buildings, look each up, fetch each by id.
    let mut ids = BTreeSet::new();
    for q in ["%E5%A4%A7%E5%8E%A6", "%E8%B7%AF", "a", "1"] {
        let found = get_public(&s, &format!("/api/buildings/search?q={q}&limit=20")).json();
        for b in found["results"].as_array().expect("results") {
            ids.insert(b["id"].as_i64().expect("id"));
        }
    }
    assert!(ids.len() >= 10, "{ids:?}");
    let mut stations = BTreeSet::new();
    for id in ids.iter().take(15) {
        let b = get_public(&s, &format!("/api/buildings/{id}")).json();
        let lookup = get_public(
            &s,
            &format!("/api/lookup?lon={}&lat={}", b["lon"], b["lat"]),
        )
        .json();
        assert!(lookup["grid"].is_object() || lookup["grid"].is_null());
        for st in lookup["stations"].as_array().into_iter().flatten() {
            stations.insert((
                st["id"].as_i64().expect("id"),
                st["lon"].as_f64().expect("lon").to_bits(),
                st["lat"].as_f64().expect("lat").to_bits(),
            ));
        }
    }
    // A few stations' isochrones, as GeoJSON and as a tile, once each.
    assert!(!stations.is_empty());
    for (id, lon, lat) in stations.iter().take(3) {
        get_public(&s, &format!("/api/stations/{id}/isochrone?minutes=5"));
        let (x, y) = tile_of(f64::from_bits(*lon), f64::from_bits(*lat), 15);
        let path = format!("/tiles/isochrone/{id}/5/15/{x}/{y}.mvt");
        assert_eq!(get_public(&s, &path).status, 200, "{path}");
    }
    // The web app's pages and the building QR codes (labels: names, addresses, ids).
    for page in ["/find", "/plan", "/coverage"] {
        assert_eq!(get_public(&s, page).status, 200, "{page}");
    }
    for id in ids.iter().take(5) {
        assert_eq!(get_public(&s, &format!("/b/{id}")).status, 200);
        assert_eq!(
            get_public(&s, &format!("/api/buildings/{id}/qr.svg")).status,
            200
        );
        assert_eq!(
            get_public(&s, &format!("/api/buildings/{id}/qr.png")).status,
            200
        );
        let b = get_public(&s, &format!("/api/buildings/{id}")).json();
        if let Some(grid) = b["grid"]["id"].as_i64() {
            // The grid's QR sheet is for planners only.
            let sheet = get_public(&s, &format!("/api/grids/{grid}/qr-sheet.svg"));
            assert_eq!(sheet.status, 401);
            assert_eq!(sheet.json()["code"], "unauthenticated");
        }
    }
    get_public(&s, "/api/buildings/999999999");
    get_public(&s, "/api/lookup?lon=0&lat=0");

    // Tiles at three zooms over the sample's centre: no property names a secret.
    let b = tj["bounds"].as_array().expect("bounds");
    let lon = (b[0].as_f64().expect("w") + b[2].as_f64().expect("e")) / 2.0;
    let lat = (b[1].as_f64().expect("s") + b[3].as_f64().expect("n")) / 2.0;
    let mut features = 0;
    for z in [13u8, 15, 17] {
        let (x, y) = tile_of(lon, lat, z);
        for (dx, dy, source) in [(0, 0, ""), (1, 0, ""), (0, 1, ""), (0, 0, "coverage/")] {
            let path = format!("/tiles/{source}{z}/{}/{}.mvt", x + dx, y + dy);
            let r = s.request("GET", &path, &[], None);
            assert_eq!(r.status, 200, "{path}");
            let reader = mvt_reader::Reader::new(r.body).expect("decode");
            for (i, layer) in reader.get_layer_names().expect("layers").iter().enumerate() {
                for f in reader.get_features_as::<f64>(i).expect("features") {
                    features += 1;
                    for k in f.properties.iter().flat_map(|p| p.keys()) {
                        let lower = k.to_ascii_lowercase();
                        assert!(
                            !SECRET_KEYS.iter().any(|s| lower.contains(s)),
                            "{path} {layer}: property `{k}`"
                        );
                    }
                }
            }
        }
    }
    assert!(features > 100, "only {features} features walked");
    let r = get_public(&s, "/fonts/DejaVu%20Sans%20Book/0-255.pbf");
    assert_eq!(r.status, 200);
    assert!(!r.body.is_empty());
}
