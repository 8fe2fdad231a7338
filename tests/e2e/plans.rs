//! Planning over HTTP: drafts from the published grids, edits with
//! compare-and-set versions, undo/redo, history, validation, partition,
//! publish, diff, export/import and permissions; two servers on one store.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::{self, Client, Server, add_user, cli, token};

const PW: &str = "planner password 789";

fn planner<'a>(s: &'a Server, name: &str, communities: &str) -> Client<'a> {
    add_user(&s.db, name, "planner", &["--communities", communities], PW);
    Client {
        s,
        auth: format!("Bearer {}", token(&s.db, name)),
    }
}

/// building id → grid key of a plan view.
fn assignment(view: &Value) -> BTreeMap<i64, u64> {
    view["state"]["assignment"]
        .as_object()
        .expect("assignment")
        .iter()
        .map(|(b, k)| (b.parse().expect("id"), k.as_u64().expect("key")))
        .collect()
}

/// building id → grid code of a plan view.
fn codes(view: &Value) -> BTreeMap<i64, String> {
    let code: BTreeMap<u64, String> = view["state"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| {
            (
                g["key"].as_u64().expect("key"),
                g["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    assignment(view)
        .into_iter()
        .map(|(b, k)| (b, code[&k].clone()))
        .collect()
}

fn households(view: &Value, key: u64) -> u64 {
    view["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .find(|g| g["key"] == key)
        .and_then(|g| g["households"].as_u64())
        .expect("grid households")
}

fn create_in(c: &Client, community: i64, name: &str) -> Value {
    c.post_ok(
        "/api/plans",
        &json!({"community_id": community, "name": name}),
    )
}

/// The sample community with the most grids (probed through the rules route).
fn busiest_community(c: &Client) -> i64 {
    let mut best = (0, 0);
    for id in 1..50 {
        if c.get(&format!("/api/communities/{id}/rules")).status == 404 {
            break;
        }
        let n = create_in(c, id, "probe")["grids"]
            .as_array()
            .map_or(0, Vec::len);
        if n > best.1 {
            best = (id, n);
        }
    }
    assert!(best.1 >= 2, "no sample community has two grids");
    best.0
}

#[test]
fn plan_lifecycle_over_http() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let ping = planner(&s, "ping", "all");
    let outsider = planner(&s, "outsider", "999");
    let community = busiest_community(&ping);
    let create = |c: &Client, name: &str| create_in(c, community, name);

    // Rules: defaults until set; a contradictory set is refused.
    let rules = ping.ok(&format!("/api/communities/{community}/rules"));
    assert_eq!(rules["custom"], false);
    assert_eq!(rules["rules"]["min_households"], 300);
    let bad = ping.s.request(
        "PUT",
        &format!("/api/communities/{community}/rules"),
        &[
            ("Authorization", &ping.auth),
            ("Content-Type", "application/json"),
        ],
        Some(br#"{"min_households": 600, "max_households": 500, "target_households": 550}"#),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["code"], "invalid_rules");
    let put = ping.s.request(
        "PUT",
        &format!("/api/communities/{community}/rules"),
        &[
            ("Authorization", &ping.auth),
            ("Content-Type", "application/json"),
        ],
        Some(br#"{"min_households": 300, "max_households": 500, "target_households": 420}"#),
    );
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let rules = ping.ok(&format!("/api/communities/{community}/rules"));
    assert_eq!(rules["custom"], true);
    assert_eq!(rules["rules"]["target_households"], 420);
    assert_eq!(
        outsider
            .s
            .request(
                "PUT",
                &format!("/api/communities/{community}/rules"),
                &[
                    ("Authorization", &outsider.auth),
                    ("Content-Type", "application/json")
                ],
                Some(br#"{"min_households": 1}"#),
            )
            .status,
        403
    );

    // A draft from the published grids.
    let v1 = create(&ping, "redraw");
    let id = v1["plan"]["id"].as_i64().expect("plan id");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["plan"]["status"], "draft");
    let grids = v1["grids"].as_array().expect("grids").clone();
    assert!(
        grids.len() >= 2,
        "community {community} has {} grids",
        grids.len()
    );
    // The two grids within the rules with the most households.
    let mut by_households: Vec<(u64, u64)> = grids
        .iter()
        .filter(|g| g["status"] == "ok")
        .map(|g| {
            (
                g["households"].as_u64().unwrap(),
                g["key"].as_u64().unwrap(),
            )
        })
        .collect();
    by_households.sort_unstable_by(|x, y| y.cmp(x));
    let (a, b) = (by_households[0].1, by_households[1].1);
    let (ha, hb) = (by_households[0].0, by_households[1].0);
    assert!(
        ha + hb > 500,
        "grids {a} and {b} hold {ha} + {hb} households"
    );
    let before = assignment(&v1);
    let building = *before
        .iter()
        .find(|(_, k)| **k == a)
        .expect("a building in grid a")
        .0;
    let base = create(&ping, "baseline");
    let base_id = base["plan"]["id"].as_i64().unwrap();

    // Permissions: the public and a planner out of scope are refused.
    for (method, path) in [
        ("GET", format!("/api/plans/{id}")),
        ("GET", format!("/api/plans?community={community}")),
        ("GET", format!("/api/communities/{community}/rules")),
        ("GET", format!("/api/plans/{id}/history")),
        ("GET", format!("/api/plans/{id}/validate")),
        ("GET", format!("/api/plans/{id}/diff/{base_id}")),
        ("GET", format!("/api/plans/{id}/export.csv")),
        ("GET", format!("/api/plans/{id}/export.geojson")),
        ("POST", format!("/api/plans/{id}/edits")),
        ("POST", format!("/api/plans/{id}/undo")),
        ("POST", format!("/api/plans/{id}/partition")),
        ("POST", format!("/api/plans/{id}/publish")),
        ("POST", "/api/plans".to_owned()),
    ] {
        let body = (method == "POST").then_some(&b"{}"[..]);
        let r = s.request(method, &path, &[("Content-Type", "application/json")], body);
        assert_eq!(r.status, 401, "{method} {path} without login");
    }
    assert_eq!(outsider.get(&format!("/api/plans/{id}")).status, 403);
    let mv = json!({"version": 1, "edit": {"kind": "move", "buildings": [building], "to": b}});
    assert_eq!(
        outsider.post(&format!("/api/plans/{id}/edits"), &mv).status,
        403
    );
    assert!(
        outsider.ok("/api/plans").as_object().unwrap()["plans"]
            .as_array()
            .unwrap()
            .is_empty(),
        "an out-of-scope planner lists no plans"
    );

    // Move a building: version bumps, households follow.
    let moved = ping.post_ok(&format!("/api/plans/{id}/edits"), &mv);
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["summary"]["moved"], json!([building]));
    let v2 = ping.ok(&format!("/api/plans/{id}"));
    assert_eq!(assignment(&v2)[&building], b);
    assert!(households(&v2, a) <= ha);
    assert_eq!(households(&v2, a) + households(&v2, b), ha + hb);

    // The same edit on the old version: 409, nothing lost.
    let stale = ping.post(&format!("/api/plans/{id}/edits"), &mv);
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["code"], "stale_version");
    assert_eq!(stale.json()["current_version"], 2);
    assert_eq!(
        assignment(&ping.ok(&format!("/api/plans/{id}"))),
        assignment(&v2)
    );

    // Undo restores version 1's assignment, redo version 2's.
    let u = ping.post_ok(&format!("/api/plans/{id}/undo"), &json!({"version": 2}));
    assert_eq!(u["version"], 3);
    assert_eq!(assignment(&ping.ok(&format!("/api/plans/{id}"))), before);
    let r = ping.post_ok(&format!("/api/plans/{id}/redo"), &json!({"version": 3}));
    assert_eq!(r["version"], 4);
    assert_eq!(
        assignment(&ping.ok(&format!("/api/plans/{id}"))),
        assignment(&v2)
    );
    let none = ping.post(&format!("/api/plans/{id}/redo"), &json!({"version": 4}));
    assert_eq!(none.status, 409);
    assert_eq!(none.json()["code"], "nothing_to_redo");

    // Force a break: every building of grid a into grid b.
    let all_a: Vec<i64> = before
        .iter()
        .filter(|(_, k)| **k == a)
        .map(|(b, _)| *b)
        .collect();
    ping.post_ok(
        &format!("/api/plans/{id}/edits"),
        &json!({"version": 4, "edit": {"kind": "move", "buildings": all_a, "to": b}}),
    );
    let val = ping.ok(&format!("/api/plans/{id}/validate"));
    assert_eq!(val["version"], 5);
    assert_eq!(val["clean"], false);
    let breaks = val["breaks"].as_array().unwrap();
    assert!(
        breaks.iter().any(|x| x["kind"] == "households_over"
            && x["grids"] == json!([b])
            && x["households"] == ha + hb),
        "grid {b} over the maximum: {breaks:?}"
    );
    assert!(
        breaks
            .iter()
            .any(|x| x["kind"] == "empty_grid" && x["grids"] == json!([a]))
    );

    // An impossible partition: 422 with the proof, nothing appended.
    let inf = ping.post(
        &format!("/api/plans/{id}/partition"),
        &json!({"version": 5, "mode": "fresh", "seed": 1,
                "rules": {"min_households": 1, "max_households": 1, "target_households": 1}}),
    );
    assert_eq!(inf.status, 422, "{}", String::from_utf8_lossy(&inf.body));
    let inf = inf.json();
    assert_eq!(inf["code"], "infeasible");
    assert_eq!(inf["reason"]["kind"], "building_above_max");
    assert!(!inf["buildings"].as_array().unwrap().is_empty());
    assert_eq!(ping.ok(&format!("/api/plans/{id}"))["version"], 5);
    // The same run with best_effort (on a plan of its own) draws the nearest
    // grids and names every rule it left broken.
    let other = create(&ping, "best effort");
    let other_id = other["plan"]["id"].as_i64().unwrap();
    let best = ping.post_ok(
        &format!("/api/plans/{other_id}/partition"),
        &json!({"version": other["version"], "mode": "fresh", "seed": 1, "best_effort": true,
                "rules": {"min_households": 1, "max_households": 1, "target_households": 1}}),
    );
    let relaxed = best["report"]["relaxed"].as_array().unwrap();
    assert!(!relaxed.is_empty(), "{best}");
    // Buildings above one household get grids of their own; pieces of
    // buildings with none form one grid each. Every such grid breaks the
    // household rule once, and nothing else is broken.
    assert!(
        relaxed.iter().all(|r| r["grids"] == 1
            && (r["reason"]["kind"] == "building_above_max"
                || r["reason"]["kind"] == "component_below_min")),
        "{relaxed:?}"
    );
    assert!(
        relaxed
            .iter()
            .any(|r| r["reason"]["kind"] == "building_above_max")
    );
    assert_eq!(
        best["report"]["violations"].as_u64().unwrap() as usize,
        relaxed.len(),
        "one household break per relaxed grid"
    );
    let h = ping.ok(&format!("/api/plans/{other_id}/history"));
    assert_eq!(h["history"][1]["edit"]["best_effort"], true);

    // Rebalance the two grids: every redrawn grid within the rules, a report.
    let p = ping.post_ok(
        &format!("/api/plans/{id}/partition"),
        &json!({"version": 5, "mode": "rebalance", "seed": 1, "grids": [a, b]}),
    );
    assert_eq!(p["version"], 6);
    let report = &p["report"];
    assert!(report["grids_redrawn"].as_u64().unwrap() >= 2, "{report}");
    assert!(report["buildings_moved"].as_u64().unwrap() > 0, "{report}");
    let old_keys: std::collections::BTreeSet<u64> =
        grids.iter().map(|g| g["key"].as_u64().unwrap()).collect();
    let redrawn: Vec<&Value> = p["grids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            let k = g["key"].as_u64().unwrap();
            k == a || k == b || !old_keys.contains(&k)
        })
        .collect();
    assert!(redrawn.len() >= 2);
    let mut total = 0;
    for g in &redrawn {
        assert_eq!(g["status"], "ok", "{g}");
        total += g["households"].as_u64().unwrap();
    }
    assert_eq!(total, ha + hb, "the redrawn grids hold the same households");
    let val = ping.ok(&format!("/api/plans/{id}/validate"));
    let redrawn_keys: Vec<&Value> = redrawn.iter().map(|g| &g["key"]).collect();
    for br in val["breaks"].as_array().unwrap() {
        for k in br["grids"].as_array().unwrap() {
            assert!(!redrawn_keys.contains(&k), "redrawn grid {k} breaks: {br}");
        }
    }

    // History: every version, with its author.
    let h = ping.ok(&format!("/api/plans/{id}/history"));
    let ops: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["create", "edit", "undo", "redo", "edit", "edit"]);
    assert!(
        h["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["author"] == "user:ping")
    );
    assert_eq!(h["history"][5]["edit"]["kind"], "partition");

    // Diff against the untouched baseline.
    let d = ping.ok(&format!("/api/plans/{base_id}/diff/{id}"));
    assert!(d["buildings_moved"].as_u64().unwrap() > 0);
    assert_eq!(
        d["moved"].as_array().unwrap().len() as u64,
        d["buildings_moved"].as_u64().unwrap()
    );
    assert!(d["households_moved"].as_u64().unwrap() > 0);

    // Publish: the public sees the new grids; old codes are retired.
    let published_view = ping.ok(&format!("/api/plans/{id}"));
    let new_codes = codes(&published_view);
    let old_codes: std::collections::BTreeSet<String> = codes(&base).into_values().collect();
    // The busiest sample community cannot meet the rules (one building holds
    // 1,362 households): publishing is refused with validation's breaks, and
    // an admin forces it.
    add_user(&s.db, "root", "admin", &[], PW);
    let root = Client {
        s: &s,
        auth: format!("Bearer {}", token(&s.db, "root")),
    };
    let admin = root.auth.clone();
    let val = ping.ok(&format!("/api/plans/{id}/validate"));
    let first = ping.post(&format!("/api/plans/{id}/publish"), &json!({"version": 6}));
    let pubr = if val["clean"] == true {
        assert_eq!(first.status, 200);
        first.json()
    } else {
        assert_eq!(first.status, 422);
        assert_eq!(first.json()["code"], "plan_has_breaks");
        assert_eq!(first.json()["breaks"], val["breaks"]);
        root.post_ok(
            &format!("/api/plans/{id}/publish"),
            &json!({"version": 6, "force": true}),
        )
    };
    assert_eq!(pubr["version"], 7);
    for (bid, code) in new_codes.iter().step_by(97) {
        let (st, pb) = s.get(&format!("/api/buildings/{bid}"));
        assert_eq!(st, 200);
        assert_eq!(
            pb["grid"]["code"].as_str(),
            Some(code.as_str()),
            "building {bid}"
        );
        let (st, lk) = s.get(&format!("/api/lookup?lon={}&lat={}", pb["lon"], pb["lat"]));
        assert_eq!(st, 200, "lookup at building {bid}: {lk}");
        assert_eq!(
            lk["grid"]["code"].as_str(),
            Some(code.as_str()),
            "lookup at building {bid}"
        );
    }
    let live: std::collections::BTreeSet<String> = new_codes.values().cloned().collect();
    let gone: Vec<&String> = old_codes.difference(&live).collect();
    let next = create(&ping, "after publish");
    let retired = next["state"]["retired_codes"].as_array().unwrap();
    for code in &gone {
        assert!(retired.iter().any(|r| r == code.as_str()), "{code} retired");
    }
    assert_eq!(
        codes(&next),
        new_codes,
        "a new draft starts from the published grids"
    );
    // A draft of a new lineage (keys numbered afresh) compares by code:
    // nothing moved between the published plan and a copy of it.
    let same = ping.ok(&format!(
        "/api/plans/{id}/diff/{}",
        next["plan"]["id"].as_i64().unwrap()
    ));
    assert_eq!(same["buildings_moved"], 0, "{same}");
    assert_eq!(same["grids_added"], json!([]));
    assert_eq!(same["grids_removed"], json!([]));
    assert_eq!(same["households_moved"], 0);
    let list = ping.ok(&format!("/api/plans?community={community}"));
    let status: BTreeMap<i64, String> = list["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_i64().unwrap(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(status[&id], "published");
    // A published plan no longer changes.
    let late = ping.post(
        &format!("/api/plans/{id}/edits"),
        &json!({"version": 7, "edit": {"kind": "rename", "grid": 1, "name": "x"}}),
    );
    assert_eq!(late.status, 409);

    // Export CSV → import as a new plan: the same assignment.
    let csv = ping.get(&format!("/api/plans/{id}/export.csv"));
    assert_eq!(csv.status, 200);
    let imported = ping.s.request(
        "POST",
        &format!("/api/plans/import?community={community}&name=paper"),
        &[("Authorization", &ping.auth), ("Content-Type", "text/csv")],
        Some(&csv.body),
    );
    assert_eq!(
        imported.status,
        201,
        "{}",
        String::from_utf8_lossy(&imported.body)
    );
    assert_eq!(codes(&imported.json()), new_codes);
    let gj = ping.get(&format!("/api/plans/{id}/export.geojson"));
    assert_eq!(gj.status, 200);
    let fc = gj.json();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(
        fc["features"].as_array().unwrap().len(),
        published_view["grids"].as_array().unwrap().len()
    );

    // A second publish: merge a into b's neighbour … the merged-away code is
    // retired and disappears from the public side; the first plan is archived.
    let next_id = next["plan"]["id"].as_i64().unwrap();
    let keys: Vec<u64> = next["grids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "basic")
        .map(|g| g["key"].as_u64().unwrap())
        .take(2)
        .collect();
    let code_of = |key: u64| -> String {
        next["state"]["grids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (keep, gone_code) = (code_of(keys[0]), code_of(keys[1]));
    ping.post_ok(
        &format!("/api/plans/{next_id}/edits"),
        &json!({"version": 1, "edit": {"kind": "merge", "grids": keys}}),
    );
    // The merged grid is over the maximum: publishing is refused with the
    // breaks validation reports; a planner may not force it, an admin may.
    let val = ping.ok(&format!("/api/plans/{next_id}/validate"));
    assert_eq!(val["clean"], false, "{val}");
    let refused = ping.post(
        &format!("/api/plans/{next_id}/publish"),
        &json!({"version": 2}),
    );
    assert_eq!(refused.status, 422);
    let body = refused.json();
    assert_eq!(body["code"], "plan_has_breaks", "{body}");
    assert!(body["message"].as_str().unwrap().contains("break"));
    assert_eq!(body["breaks"], val["breaks"]);
    assert!(
        body["breaks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["kind"] == "households_over"),
        "{body}"
    );
    let forced = ping.post(
        &format!("/api/plans/{next_id}/publish"),
        &json!({"version": 2, "force": true}),
    );
    assert_eq!(forced.status, 403);
    assert_eq!(forced.json()["code"], "force_needs_admin");
    assert_eq!(
        ping.ok(&format!("/api/plans/{next_id}"))["plan"]["status"],
        "draft"
    );
    let out = root.post_ok(
        &format!("/api/plans/{next_id}/publish"),
        &json!({"version": 2, "force": true}),
    );
    assert_eq!(out["forced"], true);
    assert_eq!(
        out["breaks"].as_u64().unwrap() as usize,
        val["breaks"].as_array().unwrap().len()
    );
    let list = ping.ok(&format!("/api/plans?community={community}"));
    let status_of = |pid: i64| {
        list["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == pid)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of(id), "archived");
    assert_eq!(status_of(next_id), "published");
    let merged: Vec<i64> = codes(&next)
        .into_iter()
        .filter(|(_, c)| *c == gone_code)
        .map(|(b, _)| b)
        .collect();
    assert!(!merged.is_empty());
    for bid in merged.iter().take(5) {
        let (_, pb) = s.get(&format!("/api/buildings/{bid}"));
        assert_eq!(
            pb["grid"]["code"].as_str(),
            Some(keep.as_str()),
            "building {bid}"
        );
    }
    let third = create(&ping, "third");
    assert!(
        third["state"]["retired_codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| *c == gone_code.as_str()),
        "{gone_code} retired"
    );
    assert!(
        third["state"]["grids"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["code"] != gone_code.as_str())
    );

    // Every write was audited, as the planner, in the audit log; the forced
    // publish as the admin's, marked forced with its breaks.
    let log = s
        .request(
            "GET",
            "/api/admin/audit?limit=1000",
            &[("Authorization", &admin)],
            None,
        )
        .json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "user:ping")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "plan.create",
        "plan.edit",
        "plan.undo",
        "plan.redo",
        "plan.partition",
    ] {
        assert!(actions.contains(&want), "{want} audited: {actions:?}");
    }
    // The planner's publishes were refused (rule breaks), so not audited.
    assert!(!actions.contains(&"plan.publish"), "{actions:?}");
    let forced_entry = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["actor"] == "user:root" && e["action"] == "plan.publish")
        .expect("the forced publish is audited");
    let detail = if forced_entry["detail"].is_string() {
        serde_json::from_str::<Value>(forced_entry["detail"].as_str().unwrap()).unwrap()
    } else {
        forced_entry["detail"].clone()
    };
    assert_eq!(detail["forced"], true, "{forced_entry}");
    assert!(detail["breaks"].as_u64().unwrap() >= 1, "{forced_entry}");
}

/// The same edit on the same version through two servers: one 200, one 409;
/// a publish through one is seen through the other.
fn two_servers(db: &str) {
    let s1 = harness::start_db(db, &["--rate-limit-api", "0"]);
    let s2 = harness::start_db(db, &["--rate-limit-api", "0"]);
    let c1 = planner(&s1, "ping", "all");
    let c2 = Client {
        s: &s2,
        auth: c1.auth.clone(),
    };
    let community = busiest_community(&c1);
    let create = |c: &Client, name: &str| create_in(c, community, name);
    let v1 = create(&c1, "race");
    let id = v1["plan"]["id"].as_i64().unwrap();
    let grids = v1["grids"].as_array().unwrap();
    let (a, b) = (
        grids[0]["key"].as_u64().unwrap(),
        grids[1]["key"].as_u64().unwrap(),
    );
    let building = *assignment(&v1).iter().find(|(_, k)| **k == a).unwrap().0;
    let mv = json!({"version": 1, "edit": {"kind": "move", "buildings": [building], "to": b}});
    let path = format!("/api/plans/{id}/edits");
    let (r1, r2) = std::thread::scope(|sc| {
        let h1 = sc.spawn(|| c1.post(&path, &mv).status);
        let h2 = sc.spawn(|| c2.post(&path, &mv).status);
        (h1.join().unwrap(), h2.join().unwrap())
    });
    let mut got = [r1, r2];
    got.sort_unstable();
    assert_eq!(got, [200, 409], "one success, one stale");
    let v = c2.ok(&format!("/api/plans/{id}"));
    assert_eq!(v["version"], 2);
    assert_eq!(assignment(&v)[&building], b);

    // Publish through server 1; server 2 shows the building's new grid.
    let code_b = v["state"]["grids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == b)
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    // The moved building may break the household range (refusal is tested in
    // `plan_lifecycle_over_http`): an admin forces the publish here.
    add_user(db, "root", "admin", &[], PW);
    let root = Client {
        s: &s1,
        auth: format!("Bearer {}", token(db, "root")),
    };
    root.post_ok(
        &format!("/api/plans/{id}/publish"),
        &json!({"version": 2, "force": true}),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let (_, pb) = s2.get(&format!("/api/buildings/{building}"));
        if pb["grid"]["code"].as_str() == Some(code_b.as_str()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "server 2 did not see the publish within 1 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn two_servers_one_success_one_conflict_sqlite() {
    // The first server loads the sample into the store; both then share it.
    let first = harness::start(&[]);
    let db = first.db_url();
    two_servers(&db);
}

#[test]
fn two_servers_one_success_one_conflict_postgis() {
    let Some(pg) = harness::postgis_db() else {
        return;
    };
    let first = harness::start_db(&pg.url, &[]);
    drop(first);
    two_servers(&pg.url);
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn plan_cli_partition_validate_publish_export_import() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let ping = planner(&s, "ping", "all");
    // The first sample community the rules allow to partition.
    let (community, made) = (1..20)
        .find_map(|c| {
            let out = cli(&s.db, &["plan", "partition", "--community", &c.to_string()]);
            out.status.success().then(|| (c, stdout(&out)))
        })
        .expect("a community that partitions");
    assert!(made.contains("breaks 0"), "{made}");
    let id: i64 = made
        .split_whitespace()
        .nth(2)
        .and_then(|t| t.parse().ok())
        .expect("draft plan id");

    let listed = stdout(&cli(
        &s.db,
        &["plan", "list", "--community", &community.to_string()],
    ));
    assert!(
        listed
            .lines()
            .any(|l| l.split_whitespace().next() == Some(&id.to_string()))
    );

    let valid = cli(&s.db, &["plan", "validate", &id.to_string()]);
    assert!(valid.status.success(), "{}", stdout(&valid));
    assert!(stdout(&valid).contains("0 breaks"));

    // The history records the CLI as the author of both versions.
    let h = ping.ok(&format!("/api/plans/{id}/history"));
    let entries = h["history"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|e| e["author"].as_str().unwrap().starts_with("cli:"))
    );
    assert_eq!(entries[1]["edit"]["kind"], "partition");

    // Export CSV, import a one-row copy: every other building unassigned, exit 1.
    let csv = cli(&s.db, &["plan", "export", &id.to_string(), "--csv"]);
    assert!(csv.status.success());
    let csv = stdout(&csv);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows.len() > 2);
    let file = s.dir.path().join("one.csv");
    std::fs::write(&file, format!("{}\n{}\n", rows[0], rows[1])).unwrap();
    let imp = cli(
        &s.db,
        &[
            "plan",
            "import",
            "--community",
            &community.to_string(),
            file.to_str().unwrap(),
        ],
    );
    assert!(
        imp.status.success(),
        "{}",
        String::from_utf8_lossy(&imp.stderr)
    );
    let partial: i64 = stdout(&imp)
        .split_whitespace()
        .nth(2)
        .and_then(|t| t.parse().ok())
        .expect("imported plan id");
    let broken = cli(&s.db, &["plan", "validate", &partial.to_string()]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("unassigned"),
        "{}",
        stdout(&broken)
    );
    // The CLI refuses to publish it, listing the breaks; the plan stays a draft.
    let refused = cli(&s.db, &["plan", "publish", &partial.to_string()]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("plan_has_breaks"), "{err}");
    assert!(err.contains("in no grid"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        ping.ok(&format!("/api/plans/{partial}"))["plan"]["status"],
        "draft"
    );

    // The full CSV imports to the same assignment.
    let full = s.dir.path().join("full.csv");
    std::fs::write(&full, &csv).unwrap();
    let imp = cli(
        &s.db,
        &[
            "plan",
            "import",
            "--community",
            &community.to_string(),
            full.to_str().unwrap(),
        ],
    );
    let copy: i64 = stdout(&imp)
        .split_whitespace()
        .nth(2)
        .and_then(|t| t.parse().ok())
        .unwrap();
    assert_eq!(
        codes(&ping.ok(&format!("/api/plans/{copy}"))),
        codes(&ping.ok(&format!("/api/plans/{id}")))
    );

    // Publish through the CLI; the running server picks it up.
    let published = cli(&s.db, &["plan", "publish", &id.to_string()]);
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let (bid, code) = rows[1].split_once(',').unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let (_, pb) = s.get(&format!("/api/buildings/{bid}"));
        if pb["grid"]["code"].as_str() == Some(code) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "server did not see the CLI publish"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let gj = cli(&s.db, &["plan", "export", &id.to_string(), "--geojson"]);
    let fc: Value = serde_json::from_slice(&gj.stdout).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert!(!fc["features"].as_array().unwrap().is_empty());
}

fn summary_of(grids: &Value, key: u64) -> Value {
    grids
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("grid {key} in {grids}"))
}

#[test]
fn every_edit_kind_over_http() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let ping = planner(&s, "ping", "all");
    let community = busiest_community(&ping);
    let v1 = create_in(&ping, community, "edits");
    let id = v1["plan"]["id"].as_i64().unwrap();
    let edits = format!("/api/plans/{id}/edits");
    let mut version = 1;
    let mut edit = |kind: Value| -> harness::Resp {
        let r = ping.post(&edits, &json!({"version": version, "edit": kind}));
        if r.status == 200 {
            version = r.json()["version"].as_i64().unwrap();
        }
        r
    };
    // The grid with the most buildings.
    let members = |view: &Value, key: u64| -> Vec<i64> {
        assignment(view)
            .into_iter()
            .filter(|(_, k)| *k == key)
            .map(|(b, _)| b)
            .collect()
    };
    let g = v1["grids"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|g| g["buildings"].as_u64().unwrap())
        .unwrap()["key"]
        .as_u64()
        .unwrap();
    let mine = members(&v1, g);
    assert!(mine.len() >= 4);
    let point = |b: i64| -> (f64, f64) {
        let (_, pb) = s.get(&format!("/api/buildings/{b}"));
        (pb["lon"].as_f64().unwrap(), pb["lat"].as_f64().unwrap())
    };
    let pts: Vec<(i64, (f64, f64))> = mine.iter().map(|b| (*b, point(*b))).collect();

    // Split along a north–south line through the middle of the grid.
    let mut lons: Vec<f64> = pts.iter().map(|p| p.1.0).collect();
    lons.sort_by(f64::total_cmp);
    let mid = (lons[lons.len() / 2 - 1] + lons[lons.len() / 2]) / 2.0;
    let (lat0, lat1) = pts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1.1), hi.max(p.1.1))
    });
    // (Drawn vertices may lie at most 500 m outside the community: the
    // line ends about 200 m beyond the grid's buildings.)
    let r = edit(json!({"kind": "split", "grid": g,
        "line": [[mid, lat0 - 0.002], [mid, lat1 + 0.002]]}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let split = r.json();
    let added = split["summary"]["grids_added"].as_array().unwrap();
    assert_eq!(added.len(), 1);
    let new_key = added[0].as_u64().unwrap();
    let moved: Vec<i64> = split["summary"]["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(!moved.is_empty() && moved.len() < mine.len());
    // Every moved building lies on one side of the line, every kept one on the other.
    let east_moved = pts
        .iter()
        .filter(|p| moved.contains(&p.0))
        .all(|p| p.1.0 > mid);
    let west_moved = pts
        .iter()
        .filter(|p| moved.contains(&p.0))
        .all(|p| p.1.0 < mid);
    assert!(east_moved || west_moved);
    assert_eq!(
        summary_of(&split["grids"], new_key)["buildings"]
            .as_u64()
            .unwrap() as usize,
        moved.len()
    );

    // A split that misses the grid (a line west of all its buildings) is
    // refused with the engine's code; a line nowhere near the community is
    // invalid geometry.
    let west = lons[0] - 0.002;
    let r = edit(json!({"kind": "split", "grid": g, "line": [[west, lat0], [west, lat1]]}));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["code"], "split_missed");
    let r = edit(json!({"kind": "split", "grid": g, "line": [[0.0, 0.0], [0.0, 1.0]]}));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["code"], "invalid_geometry");

    // Draw a small ring around one building: it joins a new grid.
    let (b0, (x, y)) = pts[0];
    let d = 0.00002;
    let r = edit(json!({"kind": "draw", "polygon":
        [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let drawn = r.json();
    assert!(
        drawn["summary"]["moved"]
            .as_array()
            .unwrap()
            .contains(&json!(b0))
    );
    let drawn_key = drawn["summary"]["grids_added"][0].as_u64().unwrap();

    // Add, rename, recode, set kind, set people.
    let r = edit(json!({"kind": "add_grid", "name": "新网格"}));
    assert_eq!(r.status, 200);
    let empty_key = r.json()["summary"]["grids_added"][0].as_u64().unwrap();
    assert_eq!(summary_of(&r.json()["grids"], empty_key)["status"], "under");
    assert_eq!(
        edit(json!({"kind": "rename", "grid": g, "name": "东片"})).status,
        200
    );
    let view = ping.ok(&format!("/api/plans/{id}"));
    let old_code = summary_of(&view["grids"], g)["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let fresh = format!("{}987", &old_code[..12]);
    let taken = summary_of(&view["grids"], new_key)["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = edit(json!({"kind": "recode", "grid": g, "code": taken}));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["code"], "code_taken");
    assert_eq!(
        edit(json!({"kind": "recode", "grid": g, "code": fresh})).status,
        200
    );
    let r = edit(json!({"kind": "set_kind", "grid": drawn_key, "grid_kind": "dedicated"}));
    assert_eq!(
        summary_of(&r.json()["grids"], drawn_key)["status"],
        "exempt"
    );
    assert_eq!(
        edit(json!({"kind": "set_people", "grid": drawn_key,
            "people": [{"name": "测试员", "role": "grid_worker", "phone": "025-0000"}]}))
        .status,
        200
    );
    let view = ping.ok(&format!("/api/plans/{id}"));
    let grid = view["state"]["grids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == g)
        .unwrap()
        .clone();
    assert_eq!(grid["name"], "东片");
    assert_eq!(grid["code"], fresh.as_str());
    assert!(
        view["state"]["retired_codes"]
            .as_array()
            .unwrap()
            .contains(&json!(old_code))
    );

    // Lock: edits touching the grid are refused; unlock lifts it.
    assert_eq!(edit(json!({"kind": "lock", "grid": g})).status, 200);
    let kept = members(&view, g)[0];
    let r = edit(json!({"kind": "move", "buildings": [kept], "to": new_key}));
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "grid_locked");
    assert_eq!(edit(json!({"kind": "unlock", "grid": g})).status, 200);
    assert_eq!(
        edit(json!({"kind": "move", "buildings": [kept], "to": new_key})).status,
        200
    );

    // Merge the empty grid away; an unknown kind is a 4xx, not a crash.
    assert_eq!(
        edit(json!({"kind": "merge", "grids": [new_key, empty_key]})).status,
        200
    );
    let bad = ping.post(
        &edits,
        &json!({"version": version, "edit": {"kind": "explode"}}),
    );
    assert!(bad.status == 400 || bad.status == 422, "{}", bad.status);

    // Publish: refused while the plan breaks a rule (the breaks listed are
    // validation's); an admin forces it. The drawn grid's contact is public
    // now, nothing else about it.
    let val = ping.ok(&format!("/api/plans/{id}/validate"));
    let r = ping.post(
        &format!("/api/plans/{id}/publish"),
        &json!({"version": version}),
    );
    let r = if val["clean"] == true {
        r
    } else {
        assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["code"], "plan_has_breaks");
        assert_eq!(r.json()["breaks"], val["breaks"]);
        add_user(&s.db, "root", "admin", &[], PW);
        let admin = format!("Bearer {}", token(&s.db, "root"));
        s.post_json(
            &format!("/api/plans/{id}/publish"),
            &[("Authorization", &admin)],
            &json!({"version": version, "force": true}),
        )
    };
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let (st, lk) = s.get(&format!("/api/lookup?lon={x}&lat={y}"));
    assert_eq!(st, 200, "{lk}");
    assert_eq!(lk["grid"]["kind"], "dedicated");
    assert_eq!(lk["contacts"][0]["name"], "测试员");
    assert_eq!(lk["contacts"][0]["sample"], false);
    let (_, pb) = s.get(&format!("/api/buildings/{kept}"));
    assert_eq!(
        pb["grid"]["code"],
        summary_of(&view["grids"], new_key)["code"]
    );
}

#[test]
fn demo_grids_are_drawn_by_the_engine_and_published() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let ping = planner(&s, "ping", "all");
    let plans = ping.ok("/api/plans")["plans"].as_array().unwrap().clone();
    assert!(!plans.is_empty());
    let mut communities = std::collections::BTreeSet::new();
    let (mut clean, mut relaxed) = (0, 0);
    for p in &plans {
        assert_eq!(p["status"], "published");
        assert!(
            communities.insert(p["community_id"].as_i64().unwrap()),
            "one plan per community"
        );
        let id = p["id"].as_i64().unwrap();
        let h = ping.ok(&format!("/api/plans/{id}/history"));
        let ops: Vec<&str> = h["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["op"].as_str().unwrap())
            .collect();
        // Every community's grids come from the engine: create, partition, publish.
        assert_eq!(ops, ["create", "edit", "publish"], "plan {id}");
        assert_eq!(h["history"][1]["edit"]["kind"], "partition", "{h}");
        let val = ping.ok(&format!("/api/plans/{id}/validate"));
        if val["clean"] == true {
            clean += 1;
        } else {
            // Where the sample makes the rules impossible, the best-effort run
            // leaves only household-count breaks: no gaps, pieces or overlaps.
            relaxed += 1;
            for b in val["breaks"].as_array().unwrap() {
                let kind = b["kind"]["kind"]
                    .as_str()
                    .or(b["kind"].as_str())
                    .unwrap_or("?");
                assert!(
                    kind == "households_under" || kind == "households_over",
                    "plan {id}: only household-count breaks are unavoidable: {b}"
                );
            }
        }
        // What the store serves is the engine's plan.
        let view = ping.ok(&format!("/api/plans/{id}"));
        for (bid, code) in codes(&view).into_iter().step_by(41) {
            let (_, pb) = s.get(&format!("/api/buildings/{bid}"));
            assert_eq!(pb["grid"]["code"].as_str(), Some(code.as_str()));
        }
    }
    assert!(
        clean >= 1,
        "the engine met the rules in at least one community"
    );
    // A draft from those published grids carries no outline: their shapes
    // are the buildings' own cells, so nothing needs keeping.
    for &c in &communities {
        let draft = create_in(&ping, c, "from published");
        let view = ping.ok(&format!("/api/plans/{}", draft["plan"]["id"]));
        for g in view["state"]["grids"].as_array().unwrap() {
            assert!(g["outline"].is_null(), "community {c}: {g}");
        }
    }
    // The sample has communities where the rules cannot hold (one building
    // above the maximum, too few households); they are drawn best-effort.
    assert!(
        relaxed >= 1,
        "some sample communities are drawn best-effort"
    );
}

/// A burst of edits, the server killed with SIGKILL in the middle: after a
/// restart every edit that was acknowledged (200) is there, in order.
#[test]
fn acknowledged_edits_survive_a_sigkill() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    let s = harness::start(&["--rate-limit-api", "0"]);
    let c = planner(&s, "burst", "all");
    let community = busiest_community(&c);
    let v1 = create_in(&c, community, "burst");
    let id = v1["plan"]["id"].as_i64().unwrap();
    // Move buildings out of the largest grid into another one.
    let mut sizes: BTreeMap<u64, usize> = BTreeMap::new();
    for k in assignment(&v1).values() {
        *sizes.entry(*k).or_default() += 1;
    }
    let a = *sizes.iter().max_by_key(|(_, n)| **n).unwrap().0;
    let b = *sizes.keys().find(|k| **k != a).unwrap();
    let movers: Vec<i64> = assignment(&v1)
        .into_iter()
        .filter(|(_, k)| *k == a)
        .map(|(bld, _)| bld)
        .collect();
    assert!(
        movers.len() >= 10,
        "grid {a} has {} buildings",
        movers.len()
    );
    let url = format!("{}/api/plans/{id}/edits", s.base);
    let auth = c.auth.clone();
    let acked: Mutex<Vec<(u64, i64)>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let mut s = s;
    std::thread::scope(|sc| {
        sc.spawn(|| {
            let mut version = 1u64;
            for &building in &movers {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let body = json!({"version": version,
                    "edit": {"kind": "move", "buildings": [building], "to": b}});
                match ureq::post(&url).set("Authorization", &auth).send_json(body) {
                    Ok(r) => {
                        let v: Value = r.into_json().expect("json");
                        version = v["version"].as_u64().expect("version");
                        acked.lock().unwrap().push((version, building));
                    }
                    // The server is gone (killed): stop sending.
                    Err(ureq::Error::Transport(_)) => break,
                    Err(e) => panic!("edit on version {version}: {e}"),
                }
            }
        });
        // Kill once a few edits are acknowledged, while more are in flight.
        let t = std::time::Instant::now();
        while acked.lock().unwrap().len() < 5 && t.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        s.child_kill_and_wait().expect("SIGKILL");
        stop.store(true, Ordering::Relaxed);
    });
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() >= 5, "only {} edits acknowledged", acked.len());
    assert!(
        acked.len() < movers.len(),
        "the burst ended before the kill; nothing was in flight"
    );

    let s = s.restart(&["--rate-limit-api", "0"]);
    let c = Client { s: &s, auth };
    let view = c.ok(&format!("/api/plans/{id}"));
    let last = acked.last().unwrap().0;
    let version = view["version"].as_u64().unwrap();
    // At most the one edit in flight at the kill may have committed unacknowledged.
    assert!(
        version == last || version == last + 1,
        "{version} vs acked {last}"
    );
    let now = assignment(&view);
    for (v, building) in &acked {
        assert_eq!(now[building], b, "edit of version {v} lost");
    }
    let history = c.ok(&format!("/api/plans/{id}/history"));
    let versions: Vec<u64> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["version"].as_u64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=version).collect::<Vec<_>>(),
        "history has no holes"
    );
    // The store still takes edits on the recovered version.
    let next = movers.iter().find(|m| now[*m] == a).copied();
    if let Some(m) = next {
        c.post_ok(
            &format!("/api/plans/{id}/edits"),
            &json!({"version": version, "edit": {"kind": "move", "buildings": [m], "to": b}}),
        );
    }
}

#[test]
fn planner_map_layers_and_communities_need_a_login_and_follow_the_scope() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let all = planner(&s, "mapper", "all");
    // Signed out: neither the list nor a plan's draft geometry.
    assert_eq!(s.request("GET", "/api/communities", &[], None).status, 401);
    let communities = all.ok("/api/communities")["communities"]
        .as_array()
        .expect("communities")
        .clone();
    assert!(communities.len() >= 2, "{communities:?}");
    assert!(communities.iter().all(|c| c["can_edit"] == true));
    let first = communities[0]["id"].as_i64().expect("id");
    let second = communities[1]["id"].as_i64().expect("id");
    // A planner of one community sees only that one.
    let one = planner(&s, "mapper-one", &first.to_string());
    let mine = one.ok("/api/communities")["communities"].clone();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["id"], first);
    let bbox = mine[0]["bbox"].as_array().expect("bbox");
    assert!(bbox[0].as_f64() < bbox[2].as_f64() && bbox[1].as_f64() < bbox[3].as_f64());

    let view = create_in(&all, first, "layers");
    let id = view["plan"]["id"].as_i64().expect("plan id");
    let path = format!("/api/plans/{id}/layers");
    assert_eq!(s.request("GET", &path, &[], None).status, 401);
    let other = create_in(&all, second, "other");
    let other_path = format!("/api/plans/{}/layers", other["plan"]["id"]);
    assert_eq!(one.get(&other_path).status, 403);

    let layers = one.ok(&path);
    assert_eq!(layers["version"], view["version"]);
    assert_eq!(layers["community_id"], first);
    assert_eq!(layers["boundary"]["type"], "MultiPolygon");
    // Every building of the plan is a point with its grid key and households.
    let assign = assignment(&view);
    let points = layers["buildings"]["features"].as_array().expect("points");
    assert!(points.len() >= assign.len());
    let mut households: BTreeMap<u64, u64> = BTreeMap::new();
    for f in points {
        assert_eq!(f["geometry"]["type"], "Point");
        let b = f["id"].as_i64().expect("building id");
        assert_eq!(f["properties"]["grid"].as_u64(), assign.get(&b).copied());
        if let Some(k) = assign.get(&b) {
            *households.entry(*k).or_default() +=
                f["properties"]["households"].as_u64().expect("households");
        }
    }
    // The points add up to the view's counts, and each grid with buildings has a polygon.
    let polygons: Vec<u64> = layers["grids"]["features"]
        .as_array()
        .expect("polygons")
        .iter()
        .map(|f| {
            assert_eq!(f["geometry"]["type"], "MultiPolygon");
            f["properties"]["key"].as_u64().expect("key")
        })
        .collect();
    for g in view["grids"].as_array().expect("grids") {
        let key = g["key"].as_u64().expect("key");
        assert_eq!(households.get(&key).copied().unwrap_or(0), g["households"]);
        if g["buildings"].as_u64() > Some(0) {
            assert!(polygons.contains(&key), "grid {key} has a polygon");
        }
    }
}

/// A drawn boundary around buildings that form a new grid becomes that
/// grid's outline in the plan's layers (not the buildings' cells); it
/// survives publishing into the next draft made from the published grids,
/// and a later move of one of its buildings drops it.
#[test]
fn a_drawn_boundary_is_the_new_grids_outline() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let ping = planner(&s, "ping", "all");
    let community = busiest_community(&ping);
    let plan = create_in(&ping, community, "outline");
    let id = plan["plan"]["id"].as_i64().unwrap();
    let layers = ping.ok(&format!("/api/plans/{id}/layers"));
    let first = &layers["buildings"]["features"][0]["geometry"]["coordinates"];
    let (x, y) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    // About 60 m across.
    let d = 0.0003;
    let drawn = ping.post_ok(
        &format!("/api/plans/{id}/edits"),
        &json!({"version": plan["version"], "edit": {"kind": "draw", "polygon":
            [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]}}),
    );
    let key = drawn["summary"]["grids_added"][0].as_u64().unwrap();
    let vertices = |layers: &Value, key: u64| -> Vec<(f64, f64)> {
        let grid = layers["grids"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["key"] == key)
            .expect("the drawn grid has a polygon")
            .clone();
        grid["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|poly| poly.as_array().unwrap().iter())
            .flat_map(|ring| ring.as_array().unwrap().iter())
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    // Every vertex of the grid's polygon lies on or inside the drawn square
    // (1e-6° ≈ 10 cm of slack), and it reaches the square's sides.
    let inside = |(px, py): (f64, f64), slack: f64| {
        (px - x).abs() <= d + slack && (py - y).abs() <= d + slack
    };
    let outline = vertices(&ping.ok(&format!("/api/plans/{id}/layers")), key);
    assert!(outline.iter().all(|&p| inside(p, 1e-6)), "{outline:?}");
    assert!(outline.iter().any(|&(px, _)| (px - x).abs() > d * 0.9));
    let grid_of = |view: &Value, pick: &dyn Fn(&Value) -> bool| -> Value {
        view["state"]["grids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| pick(g))
            .expect("grid")
            .clone()
    };
    let code = grid_of(&ping.ok(&format!("/api/plans/{id}")), &|g| g["key"] == key)["code"]
        .as_str()
        .unwrap()
        .to_owned();

    // Published (forced: the new grid is below the minimum), then a new draft
    // from the published grids: the grid keeps the drawn shape.
    let published = cli(&s.db, &["plan", "publish", &id.to_string(), "--force"]);
    assert!(published.status.success(), "{}", stdout(&published));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let (draft, key2) = loop {
        let draft = create_in(&ping, community, "after publish");
        let found = draft["state"]["grids"]
            .as_array()
            .or(draft["grids"].as_array())
            .unwrap()
            .iter()
            .find(|g| g["code"] == code.as_str())
            .and_then(|g| g["key"].as_u64());
        if let Some(k) = found {
            break (draft, k);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server never saw the publish"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let draft_id = draft["plan"]["id"].as_i64().unwrap();
    let view = ping.ok(&format!("/api/plans/{draft_id}"));
    assert!(
        !grid_of(&view, &|g| g["key"] == key2)["outline"].is_null(),
        "the published drawn shape is the draft grid's outline"
    );
    let kept = vertices(&ping.ok(&format!("/api/plans/{draft_id}/layers")), key2);
    assert!(kept.iter().all(|&p| inside(p, 1e-6)), "{kept:?}");

    // Moving one of its buildings out (to the grid of a building outside the
    // square) drops the outline.
    let members: Vec<i64> = assignment(&view)
        .into_iter()
        .filter(|(_, k)| *k == key2)
        .map(|(b, _)| b)
        .collect();
    let draft_layers = ping.ok(&format!("/api/plans/{draft_id}/layers"));
    let other = draft_layers["buildings"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            let c = &f["geometry"]["coordinates"];
            !inside((c[0].as_f64().unwrap(), c[1].as_f64().unwrap()), 0.0)
                && !f["properties"]["grid"].is_null()
        })
        .expect("a building outside the square");
    let to = other["properties"]["grid"].as_u64().unwrap();
    let moved = ping.post_ok(
        &format!("/api/plans/{draft_id}/edits"),
        &json!({"version": view["version"], "edit": {"kind": "move", "buildings": [members[0]], "to": to}}),
    );
    assert_eq!(moved["version"], view["version"].as_i64().unwrap() + 1);
    let after = ping.ok(&format!("/api/plans/{draft_id}"));
    assert!(grid_of(&after, &|g| g["key"] == key2)["outline"].is_null());
    if members.len() > 1 {
        let cells = vertices(&ping.ok(&format!("/api/plans/{draft_id}/layers")), key2);
        assert!(cells != kept, "the outline is dropped after the move");
    }
}
