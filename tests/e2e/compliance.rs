//! `GET /api/grids/compliance`: every grid's rule status against its
//! community's household range, counts that add up, the same households
//! as the coverage roll-up, and scopes (401 signed out, 403 without
//! analytics or plan rights, one community for a scoped official).

use std::collections::BTreeMap;

use serde_json::Value;

use super::harness::{self, Server, add_user};

const PW: &str = "correct horse battery staple";

use super::harness::{get_as as get, token};

fn ok(s: &Server, bearer: &str, path: &str) -> Value {
    let r = get(s, Some(bearer), path);
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

#[test]
fn grid_rule_status_adds_up_and_follows_scope() {
    let s = harness::start(&[]);
    assert_eq!(get(&s, None, "/api/grids/compliance").status, 401);

    add_user(&s.db, "admin1", "admin", &[], PW);
    let admin = token(&s.db, "admin1");
    let c = ok(&s, &admin, "/api/grids/compliance");
    let grids = c["grids"].as_array().expect("grids");
    let communities = c["communities"].as_array().expect("communities");
    assert!(grids.len() > 10 && communities.len() > 1, "{c}");

    // Each grid's status follows its community's range.
    let ranges: BTreeMap<i64, (u64, u64)> = communities
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                (u(&c["min_households"]), u(&c["max_households"])),
            )
        })
        .collect();
    let mut seen = BTreeMap::<&str, u64>::new();
    for g in grids {
        let (min, max) = ranges[&g["community_id"].as_i64().unwrap()];
        let h = u(&g["households"]);
        let want = match (g["kind"].as_str().unwrap(), h) {
            ("dedicated", _) => "exempt",
            (_, h) if h < min => "under",
            (_, h) if h > max => "over",
            _ => "ok",
        };
        assert_eq!(g["status"].as_str().unwrap(), want, "{g}");
        *seen.entry(want).or_default() += 1;
        let b = g["bbox"].as_array().expect("bbox");
        assert!(b[0].as_f64() < b[2].as_f64() && b[1].as_f64() < b[3].as_f64());
    }
    // Totals are the per-grid statuses; communities add up to the totals.
    let t = &c["totals"];
    assert_eq!(u(&t["grids"]), grids.len() as u64);
    for k in ["under", "ok", "over", "exempt"] {
        assert_eq!(u(&t[k]), seen.get(k).copied().unwrap_or(0), "{k}");
        let per: u64 = communities.iter().map(|c| u(&c[k])).sum();
        assert_eq!(per, u(&t[k]), "{k}");
    }
    assert!(seen.len() >= 2, "the sample mixes statuses: {seen:?}");

    // The same households as the coverage roll-up, grid by grid.
    let cov = ok(&s, &admin, "/api/coverage");
    let cov_h: BTreeMap<i64, u64> = cov["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_i64().unwrap(), u(&g["households"])))
        .collect();
    for g in grids {
        assert_eq!(
            cov_h.get(&g["id"].as_i64().unwrap()).copied(),
            Some(u(&g["households"])),
            "{g}"
        );
    }

    // A new range in one community's rules re-classes its grids at once.
    let first = communities[0]["id"].as_i64().unwrap();
    let put = s.request(
        "PUT",
        &format!("/api/communities/{first}/rules"),
        &[
            ("Authorization", &format!("Bearer {admin}")),
            ("Content-Type", "application/json"),
        ],
        Some(br#"{"min_households": 10, "max_households": 20, "target_households": 15}"#),
    );
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let after = ok(&s, &admin, "/api/grids/compliance");
    let c0 = after["communities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_i64() == Some(first))
        .unwrap();
    assert_eq!(
        (u(&c0["min_households"]), u(&c0["max_households"])),
        (10, 20)
    );
    let mut checked = 0;
    for g in after["grids"].as_array().unwrap() {
        if g["community_id"].as_i64() == Some(first) && g["kind"] == "basic" {
            let h = u(&g["households"]);
            let want = if h > 20 {
                "over"
            } else if h < 10 {
                "under"
            } else {
                "ok"
            };
            assert_eq!(g["status"], want, "{g}");
            checked += 1;
        }
    }
    assert!(checked > 0);

    // A scoped official sees their community only; a grid worker nothing.
    let second = communities[1]["id"].as_i64().unwrap();
    add_user(
        &s.db,
        "official1",
        "official",
        &["--communities", &second.to_string()],
        PW,
    );
    let official = token(&s.db, "official1");
    let mine = ok(&s, &official, "/api/grids/compliance");
    let ids: Vec<i64> = mine["communities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![second]);
    assert!(
        mine["grids"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["community_id"].as_i64() == Some(second))
    );
    let grid_id = grids[0]["id"].as_i64().unwrap().to_string();
    add_user(&s.db, "worker1", "grid_worker", &["--grids", &grid_id], PW);
    let worker = token(&s.db, "worker1");
    let r = get(&s, Some(&worker), "/api/grids/compliance");
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["code"], "forbidden");
}
