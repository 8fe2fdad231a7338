//! Walking coverage over HTTP: roll-ups that add up and match a recount
//! per building, scopes, the lookup's walk, isochrones, siting, bad
//! parameters, and recomputation after a station is added.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::harness::{self, Server, add_user, cli};

const PW: &str = "correct horse battery staple";

use super::harness::{get_as as get, token};

fn ok(s: &Server, bearer: Option<&str>, path: &str) -> Value {
    let r = get(s, bearer, path);
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The tally's own figures are consistent.
fn check_tally(t: &Value) {
    let households = u(&t["households"]);
    let within: Vec<u64> = t["within_households"]
        .as_array()
        .expect("within")
        .iter()
        .map(u)
        .collect();
    assert!(within.windows(2).all(|w| w[0] <= w[1]), "{within:?}");
    let last = *within.last().expect("a band");
    assert_eq!(
        last + u(&t["beyond_households"]) + u(&t["unreachable_households"]),
        households,
        "{t}"
    );
    if households > 0 {
        let pct = f(&t["covered_pct"]);
        assert!((pct - last as f64 * 100.0 / households as f64).abs() < 1e-9);
    }
    assert_eq!(
        t["uncovered"].as_array().expect("uncovered").len() as u64,
        u(&t["beyond_buildings"]) + u(&t["unreachable_buildings"])
    );
}

fn sum(units: &Value, key: &str) -> u64 {
    units
        .as_array()
        .expect("units")
        .iter()
        .map(|x| u(&x[key]))
        .sum()
}

fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
    let r = 6_371_008.8;
    let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
    let dp = p2 - p1;
    let dl = (b[0] - a[0]).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

fn xy(v: &Value) -> [f64; 2] {
    [f(&v[0]), f(&v[1])]
}

/// Even-odd ray cast over every ring of a GeoJSON MultiPolygon.
fn multipolygon_contains(mp: &Value, p: [f64; 2]) -> bool {
    mp["coordinates"]
        .as_array()
        .expect("polygons")
        .iter()
        .any(|poly| {
            let mut inside = false;
            for ring in poly.as_array().expect("rings") {
                let pts: Vec<[f64; 2]> = ring.as_array().expect("ring").iter().map(xy).collect();
                for w in pts.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    if (a[1] > p[1]) != (b[1] > p[1])
                        && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
                    {
                        inside = !inside;
                    }
                }
            }
            inside
        })
}

#[test]
fn rollups_add_up_match_the_buildings_and_follow_scope() {
    let s = harness::start(&[]);
    add_user(&s.db, "admin1", "admin", &[], PW);
    let admin = token(&s.db, "admin1");

    // The public gets 401 on every analytics route.
    for path in ["/api/coverage", "/api/coverage/buildings"] {
        assert_eq!(get(&s, None, path).status, 401, "{path}");
    }
    assert_eq!(
        s.post_json("/api/coverage/siting", &[], &json!({"k": 1}))
            .status,
        401
    );

    // Asked in metres: the GB 50180-2018 distance bands.
    let d = ok(&s, Some(&admin), "/api/coverage?metres=1000");
    let metres: Vec<f64> = d["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| f(&b["metres"]))
        .collect();
    assert_eq!(metres.len(), 3, "{metres:?}");
    for (got, want) in metres.iter().zip([300.0, 500.0, 1000.0]) {
        assert!((got - want).abs() < 1e-6, "{metres:?}");
    }
    assert!((f(&d["minutes"]) - 1000.0 / 1.1 / 60.0).abs() < 1e-9);
    for bad in ["metres=0", "metres=x"] {
        let r = get(&s, Some(&admin), &format!("/api/coverage?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
    }
    // Each is valid alone, the two together contradict each other.
    let r = get(&s, Some(&admin), "/api/coverage?metres=500&minutes=5");
    assert_eq!(r.status, 422);

    let r = ok(&s, Some(&admin), "/api/coverage?minutes=15");
    let bands: Vec<f64> = r["bands"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| f(&b["minutes"]))
        .collect();
    assert_eq!(bands, vec![5.0, 10.0, 15.0]);
    let overall = &r["overall"];
    check_tally(overall);
    assert!(u(&overall["buildings"]) > 1000, "{overall}");
    for unit in r["communities"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["grids"].as_array().unwrap())
    {
        check_tally(unit);
    }
    // The walking network is reported, islands included: every building
    // is on an island, too far from any street, or counted as such.
    let net = &r["network"];
    assert!(
        u(&net["street_nodes"]) > 1000 && u(&net["components"]) >= 1,
        "{net}"
    );
    let islands = net["islands"].as_array().expect("islands");
    assert!(!islands.is_empty());
    let on_islands: u64 = islands.iter().map(|i| u(&i["buildings"])).sum();
    let unattached = net["unattached_buildings"].as_array().expect("list").len() as u64;
    assert_eq!(on_islands + unattached, u(&overall["buildings"]));
    // Buildings on an island with no station are unreachable, not assigned.
    let stranded = net["buildings_without_station"]
        .as_array()
        .expect("list")
        .len() as u64;
    assert_eq!(stranded, u(&overall["unreachable_buildings"]));
    // Grids sum to communities, communities + outside to the whole.
    assert_eq!(
        sum(&r["communities"], "households") + u(&r["outside_grids"]["households"]),
        u(&overall["households"])
    );
    assert_eq!(
        sum(&r["grids"], "households"),
        sum(&r["communities"], "households")
    );

    // A recount from the per-building rows gives the same figures.
    let rows = ok(
        &s,
        Some(&admin),
        "/api/coverage/buildings?minutes=15&limit=10000",
    );
    assert_eq!(u(&rows["total"]), u(&overall["buildings"]));
    let list = rows["buildings"].as_array().expect("rows");
    assert_eq!(list.len() as u64, u(&rows["total"]));
    let covered: u64 = list
        .iter()
        .filter(|b| matches!(b["status"].as_str(), Some("network" | "estimated")))
        .map(|b| u(&b["households"]))
        .sum();
    assert_eq!(covered, u(&overall["within_households"][2]));
    let within5: u64 = list
        .iter()
        .filter(|b| b["minutes"].as_f64().is_some_and(|m| m <= 5.0 - 0.01))
        .map(|b| u(&b["households"]))
        .sum();
    assert!(within5 <= u(&overall["within_households"][0]));
    let uncovered_rows: BTreeSet<i64> = list
        .iter()
        .filter(|b| matches!(b["status"].as_str(), Some("beyond" | "unreachable")))
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    let uncovered: BTreeSet<i64> = overall["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(uncovered_rows, uncovered);
    // Paging and the status filter agree with the full list.
    let page = ok(
        &s,
        Some(&admin),
        "/api/coverage/buildings?minutes=15&limit=10&offset=5",
    );
    assert_eq!(page["buildings"][0]["id"], list[5]["id"]);
    let unc = ok(
        &s,
        Some(&admin),
        "/api/coverage/buildings?minutes=15&status=uncovered&limit=10000",
    );
    assert_eq!(u(&unc["total"]), uncovered.len() as u64);

    // Fewer tiers never cover more.
    let centres = ok(&s, Some(&admin), "/api/coverage?minutes=15&tier=centre");
    assert!(u(&centres["overall"]["within_households"][2]) <= u(&overall["within_households"][2]));
    assert_eq!(centres["tiers"], json!(["centre"]));

    // An official of one community sees that community only.
    let first = &r["communities"][0];
    let cid = first["id"].as_i64().expect("community id");
    add_user(
        &s.db,
        "official1",
        "official",
        &["--communities", &cid.to_string()],
        PW,
    );
    let official = token(&s.db, "official1");
    let mine = ok(&s, Some(&official), "/api/coverage");
    let ids: Vec<i64> = mine["communities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![cid]);
    assert!(
        mine["grids"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["community_id"].as_i64() == Some(cid))
    );
    assert!(mine.get("outside_grids").is_none());
    assert!(mine.get("network").is_none(), "islands cross communities");
    assert_eq!(mine["overall"]["households"], first["households"]);
    assert_eq!(
        mine["overall"]["within_households"],
        first["within_households"]
    );
    let my_rows = ok(&s, Some(&official), "/api/coverage/buildings?limit=10000");
    assert_eq!(u(&my_rows["total"]), u(&first["buildings"]));
    if let Some(other) = r["communities"].as_array().unwrap().get(1) {
        let path = format!("/api/coverage/buildings?community={}", other["id"]);
        assert_eq!(get(&s, Some(&official), &path).status, 403);
    }
    assert_eq!(
        s.post_json(
            "/api/coverage/siting",
            &[("Authorization", &format!("Bearer {official}"))],
            &json!({"k": 1})
        )
        .status,
        403
    );
    // A grid worker may read no analytics.
    add_user(&s.db, "worker1", "grid_worker", &["--grids", "1"], PW);
    let worker = token(&s.db, "worker1");
    assert_eq!(get(&s, Some(&worker), "/api/coverage").status, 403);

    // Bad parameters are 400 JSON.
    for path in [
        "/api/coverage?minutes=0",
        "/api/coverage?minutes=61",
        "/api/coverage?minutes=abc",
        "/api/coverage?tier=castle",
        "/api/coverage?speed=-1",
        "/api/coverage/buildings?status=lost",
        "/api/coverage/buildings?limit=many",
        "/api/coverage/buildings?offset=-3",
        "/api/coverage/buildings?community=1.5",
    ] {
        let resp = get(&s, Some(&admin), path);
        assert_eq!(resp.status, 400, "{path}");
        assert!(resp.json()["code"].is_string(), "{path}");
    }
}

#[test]
fn lookup_walk_isochrone_and_siting() {
    let s = harness::start(&[]);
    add_user(&s.db, "admin2", "admin", &[], PW);
    let admin = token(&s.db, "admin2");
    let rows = ok(
        &s,
        Some(&admin),
        "/api/coverage/buildings?status=network&limit=50",
    );
    let mut walked = 0;
    let mut station_id = None;
    for row in rows["buildings"].as_array().expect("rows") {
        let id = row["id"].as_i64().unwrap();
        let b = ok(&s, None, &format!("/api/buildings/{id}"));
        let lookup = ok(
            &s,
            None,
            &format!("/api/lookup?lon={}&lat={}", b["lon"], b["lat"]),
        );
        let w = &lookup["walking"];
        if w.is_null() || w["building_id"].as_i64() != Some(id) {
            continue;
        }
        walked += 1;
        assert_eq!(w["status"], "network");
        assert!((f(&w["metres"]) - f(&row["metres"])).abs() < 0.2);
        assert_eq!(lookup["walking_minutes"], w["minutes"]);
        assert!((f(&w["minutes"]) * 60.0 * 1.1 - f(&w["metres"])).abs() < 1.0);
        let route = &lookup["route"];
        assert_eq!(route["type"], "LineString");
        let pts: Vec<[f64; 2]> = route["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(xy)
            .collect();
        let length: f64 = pts.windows(2).map(|p| haversine(p[0], p[1])).sum();
        let metres = f(&w["metres"]);
        assert!(
            (length - metres).abs() <= 0.01 * metres + 2.0,
            "route {length} m vs {metres} m"
        );
        // The route ends at the station it names.
        let st = [f(&w["station"]["lon"]), f(&w["station"]["lat"])];
        assert!(haversine(*pts.last().unwrap(), st) < 1.0);
        // The same station in the list carries the walking figures.
        let listed = lookup["stations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == w["station"]["id"])
            .expect("walked station listed");
        assert_eq!(listed["walking_minutes"], w["minutes"]);
        station_id = w["station"]["id"].as_i64();
        if walked >= 5 {
            break;
        }
    }
    assert!(walked >= 3, "only {walked} lookups had a network walk");

    // The isochrone is public GeoJSON and contains its station.
    let sid = station_id.expect("a station");
    let iso = ok(
        &s,
        None,
        &format!("/api/stations/{sid}/isochrone?minutes=10"),
    );
    assert_eq!(iso["type"], "Feature");
    assert_eq!(iso["geometry"]["type"], "MultiPolygon");
    assert_eq!(iso["properties"]["station_id"].as_i64(), Some(sid));
    assert!((f(&iso["properties"]["metres"]) - 660.0).abs() < 0.1);
    let stations = ok(&s, None, "/api/lookup?lon=118.7837&lat=32.0416");
    let station = stations["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"].as_i64() == Some(sid));
    if let Some(st) = station {
        assert!(multipolygon_contains(
            &iso["geometry"],
            [f(&st["lon"]), f(&st["lat"])]
        ));
    }
    // The same area as a vector tile over the station.
    let st = &stations["stations"][0];
    let st_id = st["id"].as_i64().unwrap();
    let (tx, ty) = super::tiles::tile_of(f(&st["lon"]), f(&st["lat"]), 15);
    let r = get(
        &s,
        None,
        &format!("/tiles/isochrone/{st_id}/10/15/{tx}/{ty}.mvt"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.mapbox-vector-tile")
    );
    let reader = mvt_reader::Reader::new(r.body).expect("decode");
    assert_eq!(
        reader.get_layer_names().unwrap(),
        vec!["isochrone".to_owned()]
    );
    let feats = reader.get_features_as::<f64>(0).unwrap();
    assert_eq!(feats.len(), 1);
    assert_eq!(feats[0].id, Some(st_id as u64));
    for (path, code) in [
        (format!("/tiles/isochrone/{st_id}/0/15/{tx}/{ty}.mvt"), 400),
        (
            format!("/tiles/isochrone/{st_id}/ten/15/{tx}/{ty}.mvt"),
            400,
        ),
        (format!("/tiles/isochrone/{st_id}/10/15/{tx}/{ty}.png"), 400),
        (
            format!("/tiles/isochrone/99999999/10/15/{tx}/{ty}.mvt"),
            404,
        ),
    ] {
        assert_eq!(get(&s, None, &path).status, code, "{path}");
    }
    let route_station = rows["buildings"][0]["station_id"].as_i64().unwrap();
    let iso2 = ok(
        &s,
        None,
        &format!("/api/stations/{route_station}/isochrone"),
    );
    assert!(
        !iso2["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for (path, code) in [
        (format!("/api/stations/{sid}/isochrone?minutes=0"), 400),
        (format!("/api/stations/{sid}/isochrone?minutes=61"), 400),
        ("/api/stations/99999999/isochrone".to_owned(), 404),
        ("/api/stations/abc/isochrone".to_owned(), 404),
    ] {
        let r = get(&s, None, &path);
        assert_eq!(r.status, code, "{path}");
        assert!(r.json()["code"].is_string());
    }

    // Siting: two sites, gains not increasing.
    let bearer = format!("Bearer {admin}");
    let auth = [("Authorization", bearer.as_str())];
    let r = s.post_json(
        "/api/coverage/siting",
        &auth,
        &json!({"k": 2, "minutes": 5}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let out = r.json();
    let sites = out["sites"].as_array().expect("sites");
    assert_eq!(sites.len(), 2, "{out}");
    let gains: Vec<u64> = sites.iter().map(|x| u(&x["gain_households"])).collect();
    assert!(gains[0] >= gains[1] && gains[1] > 0, "{gains:?}");
    assert!(gains.iter().sum::<u64>() <= u(&out["uncovered_households"]));
    let pts = s.post_json(
        "/api/coverage/siting",
        &auth,
        &json!({"k": 1, "minutes": 5, "candidates": {"kind": "points", "points": [[118.7837, 32.0416]]}}),
    );
    assert_eq!(pts.status, 200, "{}", String::from_utf8_lossy(&pts.body));
    for body in [
        json!({"k": 0}),
        json!({"k": 21}),
        json!({"k": 1, "minutes": 90}),
        json!({"k": 1, "candidates": {"kind": "anywhere"}}),
        json!({"k": 1, "candidates": {"kind": "points", "points": [[500.0, 1.0]]}}),
        json!({"k": "two"}),
    ] {
        let r = s.post_json("/api/coverage/siting", &auth, &body);
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json()["code"].is_string());
    }
}

#[test]
fn adding_a_station_raises_coverage_after_reload() {
    let s = harness::start(&[]);
    add_user(&s.db, "admin3", "admin", &[], PW);
    let admin = token(&s.db, "admin3");
    let before = ok(&s, Some(&admin), "/api/coverage?minutes=5");

    // `gridmap coverage --csv` prints the same figures as the API.
    let out = cli(&s.db, &["coverage", "--minutes", "5", "--csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| lines[0].iter().position(|h| *h == name).expect(name);
    let overall = &lines[1];
    assert_eq!(overall[0], "overall");
    let o = &before["overall"];
    assert_eq!(overall[col("households")], o["households"].to_string());
    assert_eq!(overall[col("buildings")], o["buildings"].to_string());
    assert_eq!(
        overall[col("households_within_5min")],
        o["within_households"][0].to_string()
    );
    assert_eq!(
        overall[col("uncovered_buildings")],
        o["uncovered"].as_array().unwrap().len().to_string()
    );
    assert_eq!(
        lines.len() - 2,
        before["communities"].as_array().unwrap().len()
    );
    let by_grid = cli(
        &s.db,
        &["coverage", "--minutes", "5", "--csv", "--by", "grid"],
    );
    assert!(by_grid.status.success());
    let grid_rows = String::from_utf8_lossy(&by_grid.stdout)
        .lines()
        .filter(|l| l.starts_with("grid,"))
        .count();
    assert_eq!(grid_rows, before["grids"].as_array().unwrap().len());
    // The table names every community and the overall line.
    let table = cli(&s.db, &["coverage", "--minutes", "5"]);
    assert!(table.status.success());
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(table.lines().any(|l| l.starts_with("overall")), "{table}");
    for c in before["communities"].as_array().unwrap() {
        assert!(table.contains(c["code"].as_str().unwrap()), "{table}");
    }
    for bad in [["--minutes", "0"], ["--tier", "castle"]] {
        let out = cli(&s.db, &["coverage", bad[0], bad[1]]);
        assert!(!out.status.success(), "{bad:?}");
    }
    let unc = ok(
        &s,
        Some(&admin),
        "/api/coverage/buildings?minutes=5&status=beyond&limit=1",
    );
    let target = &unc["buildings"][0];
    let id = target["id"]
        .as_i64()
        .expect("an uncovered building at 5 minutes");
    let b = ok(&s, None, &format!("/api/buildings/{id}"));
    s.add_station_and_reload("覆盖测试站", "point", f(&b["lon"]), f(&b["lat"]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let after = loop {
        let r = get(&s, Some(&admin), "/api/coverage?minutes=5");
        if r.status == 200 && r.json()["version"] != before["version"] {
            break r.json();
        }
        assert!(std::time::Instant::now() < deadline, "coverage never moved");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let w = |v: &Value| u(&v["overall"]["within_households"][0]);
    assert!(w(&after) > w(&before), "{} -> {}", w(&before), w(&after));
    let now = ok(
        &s,
        Some(&admin),
        "/api/coverage/buildings?minutes=5&limit=10000",
    );
    let row = now["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"].as_i64() == Some(id))
        .expect("row");
    assert!(
        matches!(row["status"].as_str(), Some("network" | "estimated")),
        "{row}"
    );
}

#[test]
fn coverage_tile_layer_classes_buildings_like_the_api() {
    use mvt_reader::feature::Value as Mvt;
    let s = harness::start(&[]);
    add_user(&s.db, "admin4", "admin", &[], PW);
    let admin = token(&s.db, "admin4");
    let rows = ok(&s, Some(&admin), "/api/coverage/buildings?limit=10000");
    let minutes: std::collections::HashMap<i64, Option<f64>> = rows["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_i64().unwrap(), b["minutes"].as_f64()))
        .collect();
    // The style has the layer, hidden until the user turns it on.
    let style = ok(&s, None, "/style.json");
    let layer = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "coverage-buildings")
        .expect("coverage-buildings layer");
    assert_eq!(layer["source-layer"], "coverage");
    assert_eq!(layer["source"], "coverage");
    assert_eq!(layer["layout"]["visibility"], "none");
    // The source carries the coverage TileJSON's tiles and zooms inline.
    let tj = ok(&s, None, "/tiles/coverage.json");
    for key in ["tiles", "minzoom", "maxzoom", "bounds"] {
        assert_eq!(style["sources"]["coverage"][key], tj[key], "{key}");
    }
    assert!(
        style["sources"]["coverage"]["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/coverage/{z}/{x}/{y}.mvt")
    );
    // Its own source: the base tiles no longer carry (or wait for) coverage.
    let layer_ids = |tj: &serde_json::Value| -> Vec<String> {
        tj["vector_layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!layer_ids(&ok(&s, None, "/tiles.json")).contains(&"coverage".to_owned()));
    let tj = ok(&s, None, "/tiles/coverage.json");
    assert_eq!(layer_ids(&tj), ["coverage"]);
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/coverage/{z}/{x}/{y}.mvt")
    );
    assert_eq!(tj["minzoom"], 13);
    let (x, y) = super::tiles::tile_of(118.7837, 32.0416, 16);
    let base = get(&s, None, &format!("/tiles/16/{x}/{y}.mvt"));
    let base_layers = mvt_reader::Reader::new(base.body)
        .expect("decode")
        .get_layer_names()
        .expect("names");
    assert!(
        !base_layers.iter().any(|n| n == "coverage"),
        "{base_layers:?}"
    );
    let mut seen = 0;
    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        let r = get(
            &s,
            None,
            &format!("/tiles/coverage/16/{}/{}.mvt", x + dx, y + dy),
        );
        assert_eq!(r.status, 200);
        assert!(!r.header("etag").unwrap().ends_with("-p\""));
        assert_eq!(r.header("cache-control").unwrap(), "no-cache");
        let reader = mvt_reader::Reader::new(r.body).expect("decode");
        let names = reader.get_layer_names().expect("names");
        let Some(i) = names.iter().position(|n| n == "coverage") else {
            continue;
        };
        for feat in reader.get_features_as::<f64>(i).expect("features") {
            let props = feat.properties.expect("properties");
            let keys: BTreeSet<&str> = props.keys().map(String::as_str).collect();
            assert!(
                keys.is_subset(&BTreeSet::from(["band", "minutes"])),
                "{keys:?}"
            );
            let id = feat.id.expect("id") as i64;
            let want = minutes.get(&id).copied().expect("building in the API");
            let band = match props.get("band") {
                Some(Mvt::String(b)) => b.clone(),
                other => panic!("band {other:?}"),
            };
            match (want, props.get("minutes")) {
                (Some(m), Some(Mvt::Double(t))) => {
                    assert!((m - t).abs() <= 0.06, "{m} vs {t}");
                    let expect = if m <= 5.0 {
                        "5"
                    } else if m <= 10.0 {
                        "10"
                    } else if m <= 15.0 {
                        "15"
                    } else {
                        "beyond"
                    };
                    // Rounding can move a building across a band edge only
                    // within 0.01 minute of it.
                    if [5.0, 10.0, 15.0].iter().all(|e: &f64| (m - e).abs() > 0.01) {
                        assert!(
                            band == expect || band == "estimated",
                            "{m} min in band {band}"
                        );
                    }
                }
                (None, None) => assert_eq!(band, "unreachable"),
                other => panic!("minutes {other:?}"),
            }
            seen += 1;
        }
    }
    assert!(seen > 20, "only {seen} coverage features");
}
