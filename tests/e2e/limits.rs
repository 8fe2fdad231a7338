//! Limits and bad input at the HTTP edge: security headers, body limit,
//! per-address rate limits, paths that try to leave their folder, and JSON
//! errors for every rejection.

use crate::harness::{self, Resp, Server};

fn assert_json_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        r.headers
    );
    let body = r.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn assert_security_headers(r: &Resp, what: &str) {
    let csp = r
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.starts_with("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("worker-src 'self' blob:"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
}

#[test]
fn every_response_carries_the_security_headers_and_errors_are_json() {
    let s = harness::start(&[]);
    for (method, path, status) in [
        ("GET", "/", 200),
        ("GET", "/health", 200),
        ("GET", "/tiles.json", 200),
        ("GET", "/style.json", 200),
        ("GET", "/tiles/14/13597/6651.mvt", 200),
        ("GET", "/fonts/DejaVu%20Sans%20Book/0-255.pbf", 200),
        ("GET", "/no/such/route", 404),
        ("GET", "/api/auth/me", 401),
        ("DELETE", "/health", 405),
        ("GET", "/api/lookup?lon=abc", 400),
    ] {
        let r = s.request(method, path, &[], None);
        assert_eq!(r.status, status, "{method} {path}");
        assert_security_headers(&r, path);
        if status >= 400 {
            assert!(r.json()["code"].is_string(), "{method} {path}");
        }
    }
    let r = s.request("DELETE", "/health", &[], None);
    assert_json_error(&r, 405, "method_not_allowed");

    // Malformed and mistyped login bodies.
    let r = s.request(
        "POST",
        "/api/auth/login",
        &[("Content-Type", "application/json")],
        Some(b"{not json"),
    );
    assert_json_error(&r, 400, "bad_request");
    let r = s.request("POST", "/api/auth/login", &[], Some(b"username=a"));
    assert_json_error(&r, 415, "unsupported_media_type");
    let r = s.request(
        "POST",
        "/api/auth/login",
        &[("Content-Type", "application/json")],
        Some(br#"{"username": 5}"#),
    );
    assert_json_error(&r, 422, "unprocessable_entity");
}

/// POST over a raw socket. The server answers 413 from the Content-Length
/// alone and may close before reading the body, so a client that insists on
/// writing all of it first can see a broken pipe: write what it takes, then
/// read the answer.
fn raw_post(s: &harness::Server, path: &str, body: &[u8]) -> Resp {
    raw_send(
        s,
        path,
        &format!("Content-Length: {}\r\n", body.len()),
        body,
    )
}

/// POST `body` after the header lines `extra` (each ending in CRLF), then
/// read the answer (at most 10 s).
fn raw_send(s: &harness::Server, path: &str, extra: &str, body: &[u8]) -> Resp {
    use std::io::{Read, Write};
    let addr = s.base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Connection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).expect("write head");
    let _ = conn.write_all(body);
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

#[test]
fn bodies_over_the_limit_get_413_json() {
    let s = harness::start(&["--no-sample", "--max-body-kb", "16"]);
    let padding = "x".repeat(64 * 1024);
    let body = format!(r#"{{"username":"a","password":"{padding}"}}"#);
    let r = raw_post(&s, "/api/auth/login", body.as_bytes());
    assert_json_error(&r, 413, "payload_too_large");
    assert_security_headers(&r, "413");
    // Under the limit the same route answers normally.
    let r = s.post_json(
        "/api/auth/login",
        &[],
        &serde_json::json!({"username": "a", "password": "b".repeat(1000)}),
    );
    assert_json_error(&r, 401, "invalid_credentials");
}

/// A body announced over the limit is refused from its header, not after
/// waiting for bytes that never come (before: 30 s, then 503 `timeout`).
#[test]
fn an_announced_length_over_the_limit_is_refused_at_once() {
    let s = harness::start(&["--no-sample", "--max-import-mb", "1"]);
    for (path, announced) in [
        ("/api/auth/login", 2 << 20),
        ("/api/plans", 2 << 20),
        ("/api/plans/import?community=1", 2 << 20),
    ] {
        let t = std::time::Instant::now();
        let r = raw_send(&s, path, &format!("Content-Length: {announced}\r\n"), b"{");
        assert_json_error(&r, 413, "payload_too_large");
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{path}: {:?}",
            t.elapsed()
        );
    }
    // Not a number is refused the same way.
    let r = raw_send(&s, "/api/plans", "Content-Length: lots\r\n", b"{");
    assert_eq!(r.status / 100, 4, "{}", r.status);
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// The plan import reads its body as a stream within `--max-import-mb` and
/// at most 500,000 rows (before: 53 MB and 2.8 M rows were accepted, and
/// the server's memory grew by 370 MB).
#[test]
fn plan_imports_keep_to_their_byte_and_row_limits() {
    let s = harness::start(&["--max-import-mb", "1"]);
    let db = s.db_url();
    harness::add_user(
        &db,
        "planner",
        "planner",
        &["--communities", "all"],
        "planner password 1",
    );
    let bearer = format!("Bearer {}", harness::token(&db, "planner"));
    let auth = format!("Authorization: {bearer}\r\nTransfer-Encoding: chunked\r\n");
    // 2 MiB, chunked (no Content-Length to refuse it by): 413 while streaming.
    let mut csv = String::from("building_id,grid_code\n");
    while csv.len() < 2 << 20 {
        csv.push_str("1,320104001001001\n");
    }
    let r = raw_send(
        &s,
        "/api/plans/import?community=1",
        &auth,
        &chunked(csv.as_bytes()),
    );
    assert_json_error(&r, 413, "payload_too_large");
    // Anonymous: 401 before any of the body is read.
    let r = raw_send(
        &s,
        "/api/plans/import?community=1",
        "Transfer-Encoding: chunked\r\n",
        &chunked(csv.as_bytes()),
    );
    assert_json_error(&r, 401, "unauthenticated");

    // 500,001 short rows fit in 32 MiB but not in the row limit.
    let s = s.restart(&[]);
    let mut csv = String::from("building_id,grid_code\n");
    for i in 0..500_001 {
        csv.push_str(&format!("{i},1\n"));
    }
    let r = raw_send(
        &s,
        "/api/plans/import?community=1",
        &auth,
        &chunked(csv.as_bytes()),
    );
    assert_json_error(&r, 413, "too_many_rows");
    let (status, plans) = {
        let r = s.request("GET", "/api/plans", &[("Authorization", &bearer)], None);
        (r.status, r.json())
    };
    assert_eq!(status, 200);
    assert!(
        !plans.to_string().contains("imported"),
        "nothing stored: {plans}"
    );
}

#[test]
fn public_routes_are_rate_limited_per_class() {
    let s = harness::start(&["--rate-limit-api", "2"]);
    // Bursts of 5 s worth: 10 requests pass (less what the harness spent
    // polling /health at start), then 429s.
    let statuses: Vec<u16> = (0..25)
        .map(|_| {
            s.request("GET", "/api/lookup?lon=118.78&lat=32.04", &[], None)
                .status
        })
        .collect();
    let ok = statuses.iter().filter(|&&c| c == 200).count();
    assert!((8..=12).contains(&ok), "{statuses:?}");
    assert!(statuses[..ok].iter().all(|&c| c == 200), "{statuses:?}");
    let r = s.request("GET", "/api/buildings/search?q=a", &[], None);
    assert_json_error(&r, 429, "rate_limited");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("secs");
    assert!(wait >= 1);
    // Tiles draw from their own, much larger bucket.
    for i in 0..200 {
        let r = s.request("GET", "/tiles/14/13597/6651.mvt", &[], None);
        assert_eq!(r.status, 200, "tile {i}");
    }
}

#[test]
fn paths_never_leave_their_folder() {
    let s: Server = harness::start(&["--no-sample"]);
    // Glyphs come from fonts embedded in the binary: an unknown font stack,
    // however spelled, gets the fallback font, never a file.
    let fallback = s.request("GET", "/fonts/Unknown/0-255.pbf", &[], None);
    assert_eq!(fallback.status, 200);
    for path in [
        "/fonts/..%2F..%2F..%2Fetc%2Fpasswd/0-255.pbf",
        "/fonts/..%5C..%5Cwindows/0-255.pbf",
    ] {
        let r = s.request("GET", path, &[], None);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, fallback.body, "{path} is not the embedded fallback");
    }
    for path in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/fonts/x/..%2F..%2Fetc%2Fpasswd",
        "/fonts/%2e%2e/0-255.pbf",
        "/tiles/..%2F..%2Fetc/1/passwd",
        "/static/..%5C..%5Cwindows%5Cwin.ini",
    ] {
        let r = s.request("GET", path, &[], None);
        assert!((400..500).contains(&r.status), "{path}: {}", r.status);
        assert!(r.json()["code"].is_string(), "{path}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains("root:"), "{path} leaked a file");
    }
}
