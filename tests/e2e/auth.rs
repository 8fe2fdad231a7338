//! Accounts over HTTP and the command line: login, sessions, CSRF, bearer
//! tokens, roles, the login rate limit and the audit log.

use serde_json::{Value, json};

use crate::harness::{self, Server, add_user, cli, cli_stdin, token};

const ADMIN_PW: &str = "admin password 123";
const PW: &str = "ordinary password 456";

fn login(s: &Server, user: &str, password: &str) -> harness::Resp {
    s.post_json(
        "/api/auth/login",
        &[],
        &json!({"username": user, "password": password}),
    )
}

/// Log in and return (cookie header value, csrf token).
fn session(s: &Server, user: &str, password: &str) -> (String, String) {
    let r = login(s, user, password);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let set = r.header("set-cookie").expect("set-cookie").to_owned();
    let cookie = set.split(';').next().expect("cookie pair").to_owned();
    let csrf = r.json()["csrf_token"].as_str().expect("csrf").to_owned();
    (cookie, csrf)
}

fn audit(s: &Server, bearer: &str, query: &str) -> Vec<Value> {
    let r = s.request(
        "GET",
        &format!("/api/admin/audit{query}"),
        &[("Authorization", &format!("Bearer {bearer}"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["entries"].as_array().expect("entries").clone()
}

#[test]
fn login_me_csrf_and_logout_with_a_cookie_session() {
    let s = harness::start(&[]);
    let db = s.db_url();
    add_user(&db, "admin", "admin", &[], ADMIN_PW);

    let wrong = login(&s, "admin", "not the password");
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["code"], "invalid_credentials");
    assert!(wrong.header("set-cookie").is_none());
    let unknown = login(&s, "nobody", "not the password");
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.json(),
        wrong.json(),
        "unknown users look like wrong passwords"
    );

    let r = login(&s, "admin", ADMIN_PW);
    assert_eq!(r.status, 200);
    let set = r.header("set-cookie").expect("cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set.contains(attr), "{attr} missing from {set}");
    }
    assert!(!set.contains("Secure"), "not configured: {set}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.json();
    assert_eq!(body["user"], "admin");
    assert_eq!(body["role"], "admin");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    let cookie = set.split(';').next().expect("pair").to_owned();
    let secret = cookie.trim_start_matches("gridmap_session=");
    assert_eq!(secret.len(), 64);
    assert_ne!(secret, csrf);

    let me = s.request("GET", "/api/auth/me", &[("Cookie", &cookie)], None);
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["user"], "admin");
    assert_eq!(me.json()["via"], "cookie");
    assert_eq!(me.json()["csrf_token"], csrf.as_str());
    let anon = s.request("GET", "/api/auth/me", &[], None);
    assert_eq!(anon.status, 401);
    assert_eq!(anon.json()["code"], "unauthenticated");
    let forged = s.request(
        "GET",
        "/api/auth/me",
        &[("Cookie", &format!("gridmap_session={}", "0".repeat(64)))],
        None,
    );
    assert_eq!(forged.status, 401);
    // The pages' "who is signed in" answers 200 either way (no failed
    // request in a signed-out visitor's console).
    let session = |headers: &[(&str, &str)]| {
        let r = s.request("GET", "/api/auth/session", headers, None);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        r.json()["session"].clone()
    };
    assert!(session(&[]).is_null());
    let forged_cookie = format!("gridmap_session={}", "0".repeat(64));
    assert!(session(&[("Cookie", &forged_cookie)]).is_null());
    let mine = session(&[("Cookie", &cookie)]);
    assert_eq!(mine["user"], "admin");
    assert_eq!(mine["csrf_token"], csrf.as_str());

    // A cookie write without (or with a wrong) CSRF token is refused.
    for headers in [
        vec![("Cookie", cookie.as_str())],
        vec![("Cookie", cookie.as_str()), ("X-CSRF-Token", secret)],
    ] {
        let r = s.request("POST", "/api/auth/logout", &headers, None);
        assert_eq!(r.status, 403);
        assert_eq!(r.json()["code"], "csrf");
    }
    let still = s.request("GET", "/api/auth/me", &[("Cookie", &cookie)], None);
    assert_eq!(still.status, 200, "the refused logout did nothing");

    let out = s.request(
        "POST",
        "/api/auth/logout",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        None,
    );
    assert_eq!(out.status, 200);
    assert!(
        out.header("set-cookie")
            .expect("cleared")
            .contains("Max-Age=0")
    );
    let gone = s.request("GET", "/api/auth/me", &[("Cookie", &cookie)], None);
    assert_eq!(gone.status, 401);
    assert!(session(&[("Cookie", &cookie)]).is_null());
}

#[test]
fn roles_scopes_bearer_tokens_and_disabled_users() {
    let s = harness::start(&[]);
    let db = s.db_url();
    add_user(&db, "admin", "admin", &[], ADMIN_PW);
    add_user(&db, "zhang", "official", &["--communities", "1,2"], PW);
    add_user(&db, "wang", "grid_worker", &["--grids", "1"], PW);

    // Bad CLI input fails with one error line and writes nothing.
    for (args, expect) in [
        (
            vec!["user", "add", "x", "--role", "king", "--password-stdin"],
            "unknown role",
        ),
        (
            vec![
                "user",
                "add",
                "x",
                "--role",
                "grid_worker",
                "--password-stdin",
            ],
            "--grids",
        ),
        (
            vec![
                "user",
                "add",
                "x",
                "--role",
                "grid_worker",
                "--grids",
                "999999",
                "--password-stdin",
            ],
            "no grid 999999",
        ),
        (
            vec![
                "user",
                "add",
                "zhang",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "already exists",
        ),
    ] {
        let out = cli_stdin(&db, &args, &format!("{PW}\n"));
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expect),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let short = cli_stdin(
        &db,
        &["user", "add", "y", "--role", "admin", "--password-stdin"],
        "short\n",
    );
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    let list = cli(&db, &["user", "list"]);
    let table = String::from_utf8_lossy(&list.stdout);
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(
        table.contains("zhang") && table.contains("communities 1,2"),
        "{table}"
    );
    assert!(
        table.contains("grid_worker") && table.contains("grids 1"),
        "{table}"
    );
    assert!(!table.contains("argon2"), "{table}");

    let admin = token(&db, "admin");
    let official = token(&db, "zhang");
    let worker = token(&db, "wang");
    assert_eq!(admin.len(), 64);
    let bearer = |t: &str| format!("Bearer {t}");

    let me = s.request(
        "GET",
        "/api/auth/me",
        &[("Authorization", &bearer(&official))],
        None,
    );
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["role"], "official");
    assert_eq!(
        me.json()["scope"],
        json!({"kind": "communities", "ids": [1, 2]})
    );
    assert_eq!(me.json()["via"], "bearer");
    assert!(me.json()["csrf_token"].is_null());

    for route in ["/api/admin/users", "/api/admin/audit"] {
        for t in [&official, &worker] {
            let r = s.request("GET", route, &[("Authorization", &bearer(t))], None);
            assert_eq!(r.status, 403, "{route}");
            assert_eq!(r.json()["code"], "forbidden");
        }
        let r = s.request("GET", route, &[], None);
        assert_eq!(r.status, 401, "{route}");
        assert_eq!(r.json()["code"], "unauthenticated");
    }
    let users = s.request(
        "GET",
        "/api/admin/users",
        &[("Authorization", &bearer(&admin))],
        None,
    );
    assert_eq!(users.status, 200);
    let text = String::from_utf8_lossy(&users.body);
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
    let names: Vec<String> = users.json()["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["username"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(names, ["admin", "zhang", "wang"]);

    // A script token is not a cookie.
    let as_cookie = s.request(
        "GET",
        "/api/auth/me",
        &[("Cookie", &format!("gridmap_session={admin}"))],
        None,
    );
    assert_eq!(as_cookie.status, 401);
    // A cookie session is not a bearer token.
    let (cookie, _) = session(&s, "zhang", PW);
    let secret = cookie.trim_start_matches("gridmap_session=");
    let r = s.request(
        "GET",
        "/api/auth/me",
        &[("Authorization", &bearer(secret))],
        None,
    );
    assert_eq!(r.status, 401);

    // Disabling a user ends their token and their login.
    let out = cli(&db, &["user", "disable", "wang"]);
    assert!(out.status.success());
    let r = s.request(
        "GET",
        "/api/auth/me",
        &[("Authorization", &bearer(&worker))],
        None,
    );
    assert_eq!(r.status, 401);
    assert_eq!(login(&s, "wang", PW).status, 401);
    // A new password ends browser sessions.
    let out = cli_stdin(
        &db,
        &["user", "passwd", "zhang", "--password-stdin"],
        "another password 789\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = s.request("GET", "/api/auth/me", &[("Cookie", &cookie)], None);
    assert_eq!(r.status, 401);
    assert_eq!(login(&s, "zhang", "another password 789").status, 200);

    // Logging out with a bearer token revokes it, no CSRF needed.
    let r = s.request(
        "POST",
        "/api/auth/logout",
        &[("Authorization", &bearer(&official))],
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_none());
    let r = s.request(
        "GET",
        "/api/auth/me",
        &[("Authorization", &bearer(&official))],
        None,
    );
    assert_eq!(r.status, 401);
}

#[test]
fn failed_logins_are_rate_limited_per_address_and_username() {
    let s = harness::start(&["--no-sample"]);
    let db = s.db_url();
    add_user(&db, "li", "planner", &["--communities", "all"], PW);
    for i in 0..5 {
        assert_eq!(
            login(&s, "li", &format!("guess number {i}")).status,
            401,
            "try {i}"
        );
    }
    let r = login(&s, "li", PW);
    assert_eq!(r.status, 429, "locked even with the right password");
    assert_eq!(r.json()["code"], "rate_limited");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("secs");
    assert!((1..=300).contains(&wait), "{wait}");
    // The address is locked for other usernames too.
    assert_eq!(login(&s, "someone", "whatever pw").status, 429);
}

#[test]
fn logins_and_cli_writes_are_audited_and_the_log_is_append_only() {
    let s = harness::start(&[]);
    let db = s.db_url();
    add_user(&db, "admin", "admin", &[], ADMIN_PW);
    assert_eq!(login(&s, "admin", "wrong password!").status, 401);
    let (_cookie, _) = session(&s, "admin", ADMIN_PW);
    s.add_station_and_reload("审计站", "point", 118.78, 32.04);
    let admin = token(&db, "admin");

    let rows = audit(&s, &admin, "?limit=1000");
    let find = |action: &str| -> Value {
        rows.iter()
            .find(|r| r["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in {rows:#?}"))
            .clone()
    };
    let failure = find("login.failure");
    assert_eq!(failure["target"], "admin");
    assert_eq!(failure["actor"], "anonymous");
    assert_eq!(failure["remote"], "127.0.0.1");
    assert_eq!(failure["detail"]["reason"], "wrong password");
    let success = find("login.success");
    assert_eq!(success["actor"], "user:admin");
    assert_eq!(success["remote"], "127.0.0.1");
    assert!(success["at"].as_i64().expect("at") > 1_700_000_000);
    let added = find("user.add");
    assert_eq!(added["actor"], "cli:e2e-tester");
    assert_eq!(added["detail"]["role"], "admin");
    let import = find("import.geojson");
    assert!(import["actor"].as_str().expect("actor").starts_with("cli:"));
    assert_eq!(import["detail"]["report"]["stations"]["added"], 1);
    assert!(
        import["target"]
            .as_str()
            .expect("file")
            .ends_with("station-审计站.geojson")
    );
    assert_eq!(find("sample.import")["actor"], "system:serve");
    assert!(
        find("sample.derive")["detail"]["grids"]
            .as_u64()
            .expect("grids")
            > 0
    );
    find("token.create");

    // Newest first, paged backwards.
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let page = s
        .request(
            "GET",
            "/api/admin/audit?limit=2",
            &[("Authorization", &format!("Bearer {admin}"))],
            None,
        )
        .json();
    let next = page["next_before"].as_i64().expect("next");
    let older = audit(&s, &admin, &format!("?limit=2&before={next}"));
    assert_eq!(older[0]["id"].as_i64(), Some(ids[2]));
    let bad = s.request(
        "GET",
        "/api/admin/audit?limit=0",
        &[("Authorization", &format!("Bearer {admin}"))],
        None,
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], "bad_limit");

    // The server's store refuses to change or remove audit rows.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let store = gridmap_data::store::SqliteStore::open(&db)
            .await
            .expect("open");
        for sql in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
            let err = sqlx::query(sql).execute(store.pool()).await.expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
    });
    assert_eq!(audit(&s, &admin, "?limit=1000").len(), rows.len());
}

/// Sixty logins for one user at once, the last with the right password,
/// spread over `servers` (which share one store): the limit of five failures
/// holds, because each attempt is counted in the store before its password
/// is checked. (Before, all sixty were checked: 59 × 401 and a 200.)
fn parallel_guesses_meet_the_limit(servers: &[&Server]) {
    let db = servers[0].db_url();
    add_user(&db, "li", "planner", &["--communities", "all"], PW);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..60)
            .map(|i| {
                let s = servers[i % servers.len()];
                scope.spawn(move || {
                    let password = if i == 59 {
                        PW.to_owned()
                    } else {
                        format!("parallel guess {i}")
                    };
                    login(s, "li", &password).status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("login thread"))
            .collect()
    });
    let count = |code: u16| statuses.iter().filter(|&&s| s == code).count();
    assert_eq!(
        count(401) + count(200) + count(429),
        60,
        "only 401, 200 and 429 expected: {statuses:?}"
    );
    assert!(
        count(401) + count(200) <= 5,
        "at most five attempts may be checked: {statuses:?}"
    );
    assert!(count(429) >= 55, "{statuses:?}");
    // The lock holds afterwards, on every server, even with the password.
    for s in servers {
        assert_eq!(login(s, "li", PW).status, 429);
    }
    add_user(&db, "auditor", "admin", &[], ADMIN_PW);
    let admin = token(&db, "auditor");
    let rows = audit(servers[0], &admin, "?limit=1000");
    let failures = rows
        .iter()
        .filter(|r| r["action"] == "login.failure")
        .count();
    let limited = rows
        .iter()
        .filter(|r| r["action"] == "login.rate_limited")
        .count();
    assert_eq!(failures, count(401), "one failure row per 401");
    assert!(limited >= 55, "{limited} rate-limited rows");
}

#[test]
fn parallel_login_guesses_are_limited_on_sqlite() {
    let s = harness::start(&["--no-sample", "--rate-limit-api", "0"]);
    parallel_guesses_meet_the_limit(&[&s]);
}

#[test]
fn parallel_login_guesses_are_limited_across_postgis_servers() {
    let Some(db) = harness::postgis_db() else {
        return;
    };
    let a = harness::start_db(&db.url, &["--no-sample", "--rate-limit-api", "0"]);
    let b = harness::start_db(&db.url, &["--no-sample", "--rate-limit-api", "0"]);
    parallel_guesses_meet_the_limit(&[&a, &b]);
}
