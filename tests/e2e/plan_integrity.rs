//! Plans stay readable and publishes never silently undo each other, on
//! both stores: hostile drawn geometry is refused before anything is
//! stored; a stored state that does not read back is named (plan, version)
//! and undo recovers it; a draft made from an older published plan is
//! refused with `base_changed` until rebased (or forced with a reason,
//! audited); concurrent writes on one version give exactly one success.

use serde_json::{Value, json};

use crate::harness::{self, Client, Server, add_user, cli, token};

const PW: &str = "integrity password 456";

fn text(r: &harness::Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn user<'a>(s: &'a Server, name: &str, role: &str) -> Client<'a> {
    let extra: &[&str] = if role == "admin" {
        &[]
    } else {
        &["--communities", "all"]
    };
    add_user(&s.db, name, role, extra, PW);
    Client {
        s,
        auth: format!("Bearer {}", token(&s.db, name)),
    }
}

/// A community whose published plan has at least two grids, and a new draft of it.
fn community_with_two_grids(c: &Client) -> (i64, Value) {
    let list = c.ok("/api/communities");
    for com in list["communities"].as_array().unwrap() {
        let id = com["id"].as_i64().unwrap();
        let v = c.post_ok("/api/plans", &json!({"community_id": id, "name": "probe"}));
        if v["grids"].as_array().unwrap().len() >= 2 {
            return (id, v);
        }
    }
    panic!("no community with two grids");
}

fn draft(c: &Client, community: i64, name: &str) -> (i64, i64) {
    let v = c.post_ok(
        "/api/plans",
        &json!({"community_id": community, "name": name}),
    );
    (
        v["plan"]["id"].as_i64().unwrap(),
        v["version"].as_i64().unwrap(),
    )
}

fn edit(c: &Client, plan: i64, version: i64, e: Value) -> harness::Resp {
    c.post(
        &format!("/api/plans/{plan}/edits"),
        &json!({"version": version, "edit": e}),
    )
}

fn version_of(c: &Client, plan: i64) -> i64 {
    c.ok(&format!("/api/plans/{plan}"))["version"]
        .as_i64()
        .unwrap()
}

fn grid_name(view: &Value, code: &str) -> String {
    view["state"]["grids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == code)
        .unwrap_or_else(|| panic!("grid {code} in {}", view["plan"]))["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Write `state` (any text) as a new version of `plan` through the store,
/// the way a damaged or foreign row would be.
fn append_raw_state(db: &str, plan: i64, on: i64, state: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = gridmap_data::store::open(db).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.append_plan_version(
            plan,
            on,
            gridmap_data::model::PlanOp::Edit,
            r#"{"kind":"draw","polygon":[[1e308,0],[0,1e308],[-1e308,0],[1e308,0]]}"#,
            state,
            "e2e",
            1_700_000_000,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    });
}

// ------------------------------------------------------------ item 2

fn hostile_geometry(db: Option<&str>) {
    let s = match db {
        Some(db) => harness::start_db(db, &["--rate-limit-api", "0"]),
        None => harness::start(&["--rate-limit-api", "0"]),
    };
    let ping = user(&s, "ping", "planner");
    let (community, v1) = community_with_two_grids(&ping);
    let id = v1["plan"]["id"].as_i64().unwrap();
    let g = v1["grids"][0]["key"].as_u64().unwrap();
    let bbox = ping.ok("/api/communities")["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == community)
        .unwrap()["bbox"]
        .clone();
    let (w, so, e, n) = (
        bbox[0].as_f64().unwrap(),
        bbox[1].as_f64().unwrap(),
        bbox[2].as_f64().unwrap(),
        bbox[3].as_f64().unwrap(),
    );
    let (cx, cy) = ((w + e) / 2.0, (so + n) / 2.0);

    let refused = |e: Value, what: &str| -> String {
        let r = edit(&ping, id, 1, e.clone());
        assert_eq!(r.status, 422, "{what}: {e} → {}", text(&r));
        let body = r.json();
        assert_eq!(body["code"], "invalid_geometry", "{what}: {body}");
        body["message"].as_str().unwrap().to_owned()
    };
    // The attack: accepted (200) before, and the plan unreadable after.
    let m = refused(
        json!({"kind": "draw", "grid": g, "polygon": [[1e308, 0], [0, 1e308], [-1e308, 0], [1e308, 0]]}),
        "1e308 ring",
    );
    assert!(m.contains("not a WGS84 longitude/latitude"), "{m}");
    let m = refused(
        json!({"kind": "draw", "grid": g, "polygon": [[200, cy], [cx, 100], [cx, cy]]}),
        "lon 200 / lat 100",
    );
    assert!(m.contains("(200, "), "{m}");
    let m = refused(
        json!({"kind": "draw", "polygon": [[116.30, 39.90], [116.31, 39.90], [116.305, 39.91]]}),
        "a valid ring far away",
    );
    assert!(m.contains("km outside community"), "{m}");
    let m = refused(
        json!({"kind": "draw", "polygon": [[w, so], [e, n], [e, so], [w, n]]}),
        "a bow tie",
    );
    assert!(m.contains("self-intersection"), "{m}");
    let m = refused(
        json!({"kind": "draw", "polygon": [[cx, cy], [cx, cy], [cx, cy]]}),
        "one point",
    );
    assert!(m.contains("distinct"), "{m}");
    refused(
        json!({"kind": "split", "grid": g, "line": [[cx, cy], [1e308, -1e308]]}),
        "split line to 1e308",
    );
    refused(
        json!({"kind": "split", "grid": g, "line": [[cx, -91.0], [cx, cy]]}),
        "split line to lat -91",
    );
    // A number JSON cannot hold as f64 is a 4xx, not a 500.
    let r = ping.s.request(
        "POST",
        &format!("/api/plans/{id}/edits"),
        &[
            ("Authorization", &ping.auth),
            ("Content-Type", "application/json"),
        ],
        Some(
            format!(r#"{{"version":1,"edit":{{"kind":"draw","grid":{g},"polygon":[[1e309,0],[0,1],[1,1]]}}}}"#)
                .as_bytes(),
        ),
    );
    assert!((400..500).contains(&r.status), "{} {}", r.status, text(&r));
    // Nothing was stored; every route still reads the plan.
    let view = ping.ok(&format!("/api/plans/{id}"));
    assert_eq!(view["version"], 1);
    for route in [
        "validate",
        "layers",
        "export.csv",
        "export.geojson",
        "history",
    ] {
        let r = ping.get(&format!("/api/plans/{id}/{route}"));
        assert_eq!(r.status, 200, "{route}: {}", text(&r));
    }

    // A stored state that does not read back (what the 1e308 edit used to
    // leave: an outline of nulls) is named with its plan and version.
    let mut bad = view["state"].clone();
    bad["grids"][0]["outline"] = json!([[null, 0], [0, null], [null, 0], [null, 0]]);
    append_raw_state(&s.db, id, 1, &bad.to_string());
    for route in [
        String::new(),
        "/validate".into(),
        "/layers".into(),
        "/export.csv".into(),
        "/export.geojson".into(),
    ] {
        let r = ping.get(&format!("/api/plans/{id}{route}"));
        assert_eq!(r.status, 409, "GET {route}: {}", text(&r));
        let body = r.json();
        assert_eq!(body["code"], "plan_state_unreadable", "{route}: {body}");
        assert_eq!(
            (body["plan"].as_i64(), body["version"].as_i64()),
            (Some(id), Some(2))
        );
        let m = body["message"].as_str().unwrap();
        assert!(
            m.contains(&format!("plan {id} version 2")) && m.contains("undo"),
            "{m}"
        );
    }
    let r = edit(
        &ping,
        id,
        2,
        json!({"kind": "rename", "grid": g, "name": "x"}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "plan_state_unreadable");
    let out = cli(&s.db, &["plan", "validate", &id.to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plan_state_unreadable") && err.contains(&format!("plan {id} version 2")),
        "{err}"
    );
    // Undo goes back to the last readable version, and the plan reads again.
    let undone = ping.post_ok(&format!("/api/plans/{id}/undo"), &json!({"version": 2}));
    assert_eq!(undone["version"], 3);
    let back = ping.ok(&format!("/api/plans/{id}"));
    assert_eq!(back["state"], view["state"]);
    ping.ok(&format!("/api/plans/{id}/validate"));
    // A restart changes nothing.
    let auth = ping.auth.clone();
    let s = s.restart(&["--rate-limit-api", "0"]);
    let ping = Client { s: &s, auth };
    assert_eq!(ping.ok(&format!("/api/plans/{id}"))["version"], 3);
}

#[test]
fn hostile_geometry_is_refused_and_an_unreadable_state_is_named_sqlite() {
    hostile_geometry(None);
}

#[test]
fn hostile_geometry_is_refused_and_an_unreadable_state_is_named_postgis() {
    let Some(pg) = harness::postgis_db() else {
        return;
    };
    drop(harness::start_db(&pg.url, &[]));
    hostile_geometry(Some(&pg.url));
}

// ------------------------------------------------------------ item 5

fn audit_detail(entry: &Value) -> Value {
    if entry["detail"].is_string() {
        serde_json::from_str(entry["detail"].as_str().unwrap()).unwrap()
    } else {
        entry["detail"].clone()
    }
}

fn stale_publish(db: Option<&str>) {
    let s = match db {
        Some(db) => harness::start_db(db, &["--rate-limit-api", "0"]),
        None => harness::start(&["--rate-limit-api", "0"]),
    };
    let ping = user(&s, "ping", "planner");
    let root = user(&s, "root", "admin");
    let (community, probe) = community_with_two_grids(&ping);
    let grids = probe["state"]["grids"].as_array().unwrap();
    let (k1, c1, n1) = (
        grids[0]["key"].as_u64().unwrap(),
        grids[0]["code"].as_str().unwrap().to_owned(),
        grids[0]["name"].as_str().unwrap().to_owned(),
    );
    let (k2, c2) = (
        grids[1]["key"].as_u64().unwrap(),
        grids[1]["code"].as_str().unwrap().to_owned(),
    );
    let p0 = probe["plan"]["base_published_id"]
        .as_i64()
        .expect("the demo plan is published");
    // Four drafts from the published plan; keys are the same in each (one lineage rule).
    let (a, _) = draft(&ping, community, "A");
    let (b, _) = draft(&ping, community, "B");
    let (c, _) = draft(&ping, community, "C");
    let (d, _) = draft(&ping, community, "D");
    for x in [a, b, c, d] {
        assert_eq!(
            ping.ok(&format!("/api/plans/{x}"))["plan"]["base_published_id"],
            p0
        );
    }
    let publish = |who: &Client, plan: i64, extra: Value| -> harness::Resp {
        let mut body = json!({"version": version_of(who, plan), "force": true});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        who.post(&format!("/api/plans/{plan}/publish"), &body)
    };

    // A renames grid 1 and is published.
    assert_eq!(
        edit(
            &ping,
            a,
            1,
            json!({"kind": "rename", "grid": k1, "name": "A改名"})
        )
        .status,
        200
    );
    let r = publish(&root, a, json!({}));
    assert_eq!(r.status, 200, "{}", text(&r));

    // B (renamed grid 2) was made from the plan A replaced: refused, with
    // what A changed — for the planner (before any rule check) and for an
    // admin forcing rule breaks alike.
    assert_eq!(
        edit(
            &ping,
            b,
            1,
            json!({"kind": "rename", "grid": k2, "name": "B改名"})
        )
        .status,
        200
    );
    let r = ping.post(&format!("/api/plans/{b}/publish"), &json!({"version": 2}));
    assert_eq!(r.status, 409, "{}", text(&r));
    let body = r.json();
    assert_eq!(body["code"], "base_changed", "{body}");
    assert_eq!(body["plan"], b);
    assert_eq!(body["base_plan"]["id"], p0);
    assert_eq!(body["published_plan"]["id"], a);
    assert_eq!(body["published_plan"]["name"], "A");
    assert_eq!(body["published_plan"]["published_by"], "user:root");
    assert!(body["published_plan"]["published_at"].as_i64().is_some());
    assert_eq!(
        body["changes"]["grids_renamed"],
        json!([{"code": c1, "from": n1, "to": "A改名"}]),
        "{body}"
    );
    assert_eq!(body["changes"]["buildings_moved"], 0);
    let m = body["message"].as_str().unwrap();
    assert!(m.contains("rebase") && m.contains("force_base"), "{m}");
    let r = publish(&root, b, json!({}));
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (409, json!("base_changed"))
    );
    // Still a draft, A still published and still named as A named it.
    assert_eq!(
        ping.ok(&format!("/api/plans/{b}"))["plan"]["status"],
        "draft"
    );
    assert_eq!(
        ping.ok(&format!("/api/plans/{a}"))["plan"]["status"],
        "published"
    );

    // Rebase B: it carries A's rename and its own.
    let r = ping.post_ok(&format!("/api/plans/{b}/rebase"), &json!({"version": 2}));
    assert_eq!(r["base_published_id"], a, "{r}");
    assert_eq!(r["previous_base_id"], p0);
    assert_eq!(
        (r["edits"].as_u64(), r["replayed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["conflicts"], json!([]), "{r}");
    assert_eq!(r["changes"]["grids_renamed"][0]["to"], "A改名");
    let vb = ping.ok(&format!("/api/plans/{b}"));
    assert_eq!(vb["plan"]["base_published_id"], a);
    assert_eq!(grid_name(&vb, &c1), "A改名");
    assert_eq!(grid_name(&vb, &c2), "B改名");
    let ops: Vec<String> = ping.ok(&format!("/api/plans/{b}/history"))["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["op"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ops, ["create", "edit", "rebase", "edit"]);
    // A second rebase has nothing to do.
    let r = ping.post(&format!("/api/plans/{b}/rebase"), &json!({"version": 4}));
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (409, json!("base_current"))
    );
    // The replayed edit undoes; the rebase itself does not (it would bring A's change back out).
    let u = ping.post_ok(&format!("/api/plans/{b}/undo"), &json!({"version": 4}));
    assert_eq!(u["can_undo"], false);
    assert_eq!(
        grid_name(&ping.ok(&format!("/api/plans/{b}")), &c1),
        "A改名"
    );
    let r = ping.post(&format!("/api/plans/{b}/undo"), &json!({"version": 5}));
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (409, json!("nothing_to_undo"))
    );
    ping.post_ok(&format!("/api/plans/{b}/redo"), &json!({"version": 5}));
    let r = publish(&root, b, json!({}));
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["forced_base"], false);
    let published = ping.ok(&format!("/api/plans/{b}"));
    assert_eq!(grid_name(&published, &c1), "A改名");
    assert_eq!(grid_name(&published, &c2), "B改名");
    // The public sees both renames.
    let in_grid = |code: &str| -> i64 {
        let key = published["state"]["grids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == code)
            .unwrap()["key"]
            .clone();
        published["state"]["assignment"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, k)| **k == key)
            .map(|(b, _)| b.parse().unwrap())
            .expect("a building in the grid")
    };
    for (code, name) in [(&c1, "A改名"), (&c2, "B改名")] {
        let (_, pb) = s.get(&format!("/api/buildings/{}", in_grid(code)));
        assert_eq!(pb["grid"]["name"], name, "{pb}");
    }

    // C renamed grid 1 too: its rebase lists the clash and keeps C's name.
    assert_eq!(
        edit(
            &ping,
            c,
            1,
            json!({"kind": "rename", "grid": k1, "name": "C改名"})
        )
        .status,
        200
    );
    let r = ping.post_ok(&format!("/api/plans/{c}/rebase"), &json!({"version": 2}));
    assert_eq!(r["base_published_id"], b);
    let conflicts = r["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{r}");
    assert_eq!(conflicts[0]["kind"], "both_changed");
    assert_eq!(conflicts[0]["applied"], true);
    assert_eq!(conflicts[0]["grid"], c1.as_str());
    assert_eq!(conflicts[0]["fields"], json!(["name"]));
    assert_eq!(conflicts[0]["version"], 2);
    assert_eq!(
        grid_name(&ping.ok(&format!("/api/plans/{c}")), &c1),
        "C改名"
    );

    // D is published over B by force: a reason is required and audited.
    assert_eq!(
        edit(
            &ping,
            d,
            1,
            json!({"kind": "rename", "grid": k2, "name": "D改名"})
        )
        .status,
        200
    );
    let r = publish(&root, d, json!({"force_base": true}));
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, json!("reason_required"))
    );
    let r = publish(&root, d, json!({"force_base": true, "reason": "  "}));
    assert_eq!(r.status, 400);
    let reason = "街道要求按 D 方案执行";
    let r = publish(&root, d, json!({"force_base": true, "reason": reason}));
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["forced_base"], true);
    assert_eq!(r.json()["archived_plan"], b);
    let log = root.ok("/api/admin/audit?limit=1000");
    let entry = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "plan.publish" && e["target"] == format!("plan:{d}"))
        .expect("the forced publish is audited");
    let detail = audit_detail(entry);
    assert_eq!(detail["forced_base"], true, "{detail}");
    assert_eq!(detail["reason"], reason);
    assert_eq!(detail["base_published"], p0);
    assert_eq!(detail["archived_plan"], b);
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "plan.rebase" && e["target"] == format!("plan:{b}")),
        "the rebase is audited"
    );
    // Refused publishes wrote nothing: B's and A's publishes are the only others.
    let publishes = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "plan.publish")
        .filter(|e| e["actor"] == "user:root" || e["actor"] == "user:ping")
        .count();
    assert_eq!(publishes, 3);

    // Two drafts of the same published plan published at once: one wins,
    // the other is told what the winner changed.
    let (e1, _) = draft(&ping, community, "E1");
    let (e2, _) = draft(&ping, community, "E2");
    let (st1, st2) = std::thread::scope(|sc| {
        let h1 = sc.spawn(|| publish(&root, e1, json!({})));
        let h2 = sc.spawn(|| publish(&root, e2, json!({})));
        (h1.join().unwrap(), h2.join().unwrap())
    });
    let mut got = [
        (st1.status, st1.json()["code"].clone()),
        (st2.status, st2.json()["code"].clone()),
    ];
    got.sort_by_key(|g| g.0);
    assert_eq!(got[0].0, 200, "{got:?}");
    assert_eq!(got[1], (409, json!("base_changed")), "{got:?}");
    let published: Vec<i64> = ping.ok(&format!("/api/plans?community={community}"))["plans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "published")
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(published.len(), 1);

    // The kept probe: 16 clients edit one version, exactly one succeeds.
    let (f, _) = draft(&ping, community, "F");
    let results: Vec<u16> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let ping = &ping;
                sc.spawn(move || {
                    edit(
                        ping,
                        f,
                        1,
                        json!({"kind": "rename", "grid": k1, "name": format!("n{i}")}),
                    )
                    .status
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|s| **s == 200).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|s| **s == 409).count(),
        15,
        "{results:?}"
    );
}

#[test]
fn a_stale_publish_is_refused_rebased_or_forced_sqlite() {
    stale_publish(None);
}

#[test]
fn a_stale_publish_is_refused_rebased_or_forced_postgis() {
    let Some(pg) = harness::postgis_db() else {
        return;
    };
    drop(harness::start_db(&pg.url, &[]));
    stale_publish(Some(&pg.url));
}

#[test]
fn the_cli_refuses_a_stale_publish_and_rebases() {
    let s = harness::start(&["--rate-limit-api", "0"]);
    let ping = user(&s, "ping", "planner");
    let (community, probe) = community_with_two_grids(&ping);
    let k1 = probe["state"]["grids"][0]["key"].as_u64().unwrap();
    let c1 = probe["state"]["grids"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (a, _) = draft(&ping, community, "A");
    let (b, _) = draft(&ping, community, "B");
    assert_eq!(
        edit(
            &ping,
            a,
            1,
            json!({"kind": "rename", "grid": k1, "name": "甲"})
        )
        .status,
        200
    );
    let out = cli(&s.db, &["plan", "publish", &a.to_string(), "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = cli(&s.db, &["plan", "publish", &b.to_string(), "--force"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("base_changed"), "{err}");
    assert!(err.contains(&format!("gridmap plan rebase {b}")), "{err}");
    assert!(err.contains("--force-base --reason"), "{err}");
    assert!(err.contains("1 renamed"), "{err}");
    // --force-base needs --reason.
    let out = cli(&s.db, &["plan", "publish", &b.to_string(), "--force-base"]);
    assert!(!out.status.success());
    assert_eq!(
        ping.ok(&format!("/api/plans/{b}"))["plan"]["status"],
        "draft"
    );

    let out = cli(&s.db, &["plan", "rebase", &b.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("rebased onto plan {a}")), "{said}");
    let out = cli(&s.db, &["plan", "publish", &b.to_string(), "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // B was made from the same grids as A and changed nothing: A's rename stays.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let v = ping.ok(&format!("/api/plans/{b}"));
        if v["plan"]["status"] == "published" {
            assert_eq!(grid_name(&v, &c1), "甲");
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Forcing with a reason replaces the other publish, audited.
    let (x, _) = draft(&ping, community, "X");
    let (y, _) = draft(&ping, community, "Y");
    assert!(
        cli(&s.db, &["plan", "publish", &x.to_string(), "--force"])
            .status
            .success()
    );
    let out = cli(
        &s.db,
        &[
            "plan",
            "publish",
            &y.to_string(),
            "--force",
            "--force-base",
            "--reason",
            "按区里通知",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
