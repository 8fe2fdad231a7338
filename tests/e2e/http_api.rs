//! The HTTP API of a server that bootstrapped the Nanjing sample.

use serde_json::Value;

use crate::harness;

#[test]
fn sample_server_answers_health_lookup_and_search() {
    let s = harness::start(&[]);
    let (status, health) = s.get("/health");
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["counts"]["buildings"], 1277);
    assert_eq!(health["counts"]["stations"], 12);
    assert_eq!(health["counts"]["roads"], 384);
    let grids = health["counts"]["grids"].as_u64().expect("grids");
    assert!(grids >= 40, "sample grids: {grids}");

    // Search a building by a Chinese substring, then look its point up:
    // the lookup must give the same grid the search result carries.
    let (status, found) = s.get("/api/buildings/search?q=%E5%A4%A7%E5%8E%A6&limit=5"); // 大厦
    assert_eq!(status, 200);
    let results = found["results"].as_array().expect("results");
    assert!(!results.is_empty() && results.len() <= 5);
    for r in results {
        assert!(r["name"].as_str().expect("name").contains("大厦"));
        let (status, hit) = s.get(&format!("/api/lookup?lon={}&lat={}", r["lon"], r["lat"]));
        assert_eq!(status, 200, "{hit}");
        assert_eq!(hit["grid"]["code"], r["grid"]["code"]);
        assert_eq!(hit["grid"]["code"].as_str().expect("code").len(), 15);
        assert!(hit["community"]["code"].as_str().expect("community").len() == 12);
        let contacts = hit["contacts"].as_array().expect("contacts");
        assert_eq!(contacts.len(), 2);
        assert!(
            contacts
                .iter()
                .all(|c| c["sample"] == true && c["phone"].is_string())
        );
        let stations = hit["stations"].as_array().expect("stations");
        assert_eq!(stations.len(), 3);
        let d: Vec<f64> = stations
            .iter()
            .map(|x| x["distance_m"].as_f64().expect("m"))
            .collect();
        assert!(
            d.windows(2).all(|w| w[0] <= w[1]),
            "sorted by distance: {d:?}"
        );
    }

    // One building by id, the QR landing data.
    let id = results[0]["id"].as_i64().expect("id");
    let (status, b) = s.get(&format!("/api/buildings/{id}"));
    assert_eq!(status, 200);
    assert_eq!(b["id"], id);
}

#[test]
fn bad_requests_get_json_errors() {
    let s = harness::start(&[]);
    let cases = [
        ("/api/lookup?lon=10&lat=1", 404, "not_in_grid"),
        ("/api/lookup?lon=abc&lat=32", 400, "bad_coordinates"),
        ("/api/lookup?lon=200&lat=32", 400, "bad_coordinates"),
        ("/api/lookup?lat=32", 400, "bad_coordinates"),
        ("/api/lookup?lon=NaN&lat=32", 400, "bad_coordinates"),
        ("/api/buildings/search", 400, "missing_query"),
        ("/api/buildings/search?q=%20", 400, "missing_query"),
        ("/api/buildings/search?q=a&limit=x", 400, "bad_limit"),
        ("/api/buildings/abc", 400, "bad_id"),
        ("/api/buildings/999999", 404, "no_such_building"),
        ("/no/such/route", 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let (got, body) = s.get(path);
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["code"], code, "{path}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path}"
        );
    }
}

fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k.contains(key) || has_key(v, key)),
        Value::Array(a) => a.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

#[test]
fn public_routes_never_show_households() {
    let s = harness::start(&[]);
    let (_, found) = s.get("/api/buildings/search?q=%E6%A5%BC&limit=100"); // 楼
    let first = &found["results"][0];
    let paths = [
        "/health".to_string(),
        "/api/buildings/search?q=%E6%A5%BC&limit=100".to_string(),
        format!("/api/lookup?lon={}&lat={}", first["lon"], first["lat"]),
        format!("/api/buildings/{}", first["id"]),
    ];
    for p in paths {
        let (status, body) = s.get(&p);
        assert_eq!(status, 200, "{p}");
        assert!(!has_key(&body, "household"), "{p} leaks households: {body}");
    }
    let (status, html) = s.get_text("/");
    assert_eq!(status, 200);
    assert!(
        html.contains("OpenStreetMap"),
        "attribution on the index page"
    );
    assert!(
        !html.contains("户"),
        "no household figures on the index page"
    );
}

#[test]
fn hangup_reloads_the_snapshot_after_a_cli_import() {
    let s = harness::start(&[]);
    let (_, before) = s.get("/health");
    s.add_station_and_reload("新街口党群服务中心", "centre", 118.7837, 32.0416);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, after) = s.get("/health");
        if after["counts"]["stations"] == 13 {
            assert!(after["snapshot"].as_u64() > before["snapshot"].as_u64());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no reload: {after}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (_, hit) = s.get("/api/lookup?lon=118.7837&lat=32.0416");
    assert_eq!(hit["stations"][0]["name"], "新街口党群服务中心");
    assert_eq!(hit["stations"][0]["distance_m"], 0.0);
}
