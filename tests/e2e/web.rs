//! The embedded web app and the building QR codes, over HTTP.

use std::io::Read;

use crate::harness;

/// Status, headers we look at, and the raw body.
fn fetch(url: &str, gzip: bool) -> (u16, Vec<(String, String)>, Vec<u8>) {
    fetch_as(url, gzip, None)
}

/// [`fetch`] with an `Authorization` header.
fn fetch_as(url: &str, gzip: bool, auth: Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut req = ureq::get(url);
    if gzip {
        req = req.set("Accept-Encoding", "gzip");
    }
    if let Some(auth) = auth {
        req = req.set("Authorization", auth);
    }
    let r = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let status = r.status();
    let headers = ["content-type", "cache-control", "content-encoding"]
        .iter()
        .filter_map(|h| r.header(h).map(|v| ((*h).to_owned(), v.to_owned())))
        .collect();
    let mut body = Vec::new();
    r.into_reader().read_to_end(&mut body).expect("body");
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `src="/app/…"` and `href="/app/…"` references of the shell.
fn app_refs(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|s| s.starts_with("/app/"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn page_routes_serve_the_shell_and_every_file_it_references() {
    let s = harness::start(&[]);
    let (_, _, home) = fetch(&format!("{}/", s.base), false);
    let home = String::from_utf8(home).unwrap();
    for route in ["/", "/find", "/plan", "/coverage", "/b/30", "/find/"] {
        let (status, headers, body) = fetch(&format!("{}{route}", s.base), false);
        if route == "/find/" {
            assert_eq!(status, 404, "{route}");
            continue;
        }
        assert_eq!(status, 200, "{route}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
        let html = String::from_utf8(body).unwrap();
        assert_eq!(html, home, "{route} serves the one shell");
    }
    assert!(home.contains(r#"<html lang="zh-CN">"#));
    assert!(home.contains("Content-Security-Policy"));
    // No inline script: every <script> has a src.
    assert_eq!(
        home.matches("<script").count(),
        home.matches("<script src=").count()
            + home.matches(r#"<script type="module" src="#).count()
    );
    assert!(
        !home.contains("http://") && !home.contains("https://"),
        "nothing from outside"
    );
    assert!(!home.contains("户数") && !home.to_lowercase().contains("households"));
    let refs = app_refs(&home);
    assert!(refs.iter().any(|r| r.ends_with("/vendor/maplibre-gl.js")));
    assert!(refs.iter().any(|r| r.ends_with("/main.js")));
    for r in &refs {
        let (status, headers, body) = fetch(&format!("{}{r}", s.base), true);
        assert_eq!(status, 200, "{r}");
        assert!(!body.is_empty());
        assert_eq!(
            header(&headers, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{r}"
        );
        let ty = header(&headers, "content-type").unwrap_or_default();
        if r.ends_with(".js") {
            assert!(ty.starts_with("text/javascript"), "{r}: {ty}");
            assert_eq!(header(&headers, "content-encoding"), Some("gzip"), "{r}");
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .expect("valid gzip");
            let (_, _, raw) = fetch(&format!("{}{r}", s.base), false);
            assert_eq!(plain, raw, "{r}: gzip twin holds the same bytes");
        }
    }
}

#[test]
fn nothing_outside_the_embedded_app_is_served() {
    let s = harness::start(&[]);
    let (_, _, home) = fetch(&format!("{}/", s.base), false);
    let main = app_refs(&String::from_utf8(home).unwrap())
        .into_iter()
        .find(|r| r.ends_with("/main.js"))
        .unwrap();
    let build = main.split('/').nth(2).unwrap().to_owned();
    for path in [
        format!("/app/{build}/../../Cargo.toml"),
        format!("/app/{build}/%2e%2e/%2e%2e/Cargo.toml"),
        format!("/app/{build}/index.html"),
        format!("/app/{build}/nope.js"),
        format!("/app/{build}/"),
        "/app/000000000000/main.js".to_owned(),
        "/b/not-a-number".to_owned(),
    ] {
        let (status, body) = s.get(&path);
        assert_eq!(status, 404, "{path}");
        assert!(body["code"].is_string(), "{path}: JSON error");
    }
}

#[test]
fn qr_codes_are_labelled_svg_and_png_and_404_for_unknown_ids() {
    let s = harness::start(&[]);
    let (_, found) = s.get("/api/buildings/search?q=%E5%A4%A7%E5%8E%A6&limit=100"); // 大厦
    let b = &found["results"][0];
    let id = b["id"].as_i64().unwrap();
    let grid = b["grid"]["id"].as_i64().unwrap();
    let (status, headers, svg) = fetch(&format!("{}/api/buildings/{id}/qr.svg", s.base), false);
    assert_eq!(status, 200);
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains(b["name"].as_str().unwrap()));
    assert!(svg.contains(&format!("编号 {id}")));
    let (status, headers, png) = fetch(&format!("{}/api/buildings/{id}/qr.png", s.base), false);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("image/png"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    // The sheet is for planners: signed in, allowed to read the plans of
    // the grid's community.
    let community = b["community"]["id"].as_i64().unwrap();
    let other = community + 1_000;
    let token = |user: &str, role: &str, scope: &[&str]| {
        harness::add_user(&s.db, user, role, scope, "qr sheet password 123");
        let out = harness::cli(
            &s.db,
            &["token", "create", "--user", user, "--label", "e2e"],
        );
        assert!(out.status.success());
        format!("Bearer {}", String::from_utf8_lossy(&out.stdout).trim())
    };
    let planner = token(
        "qr-planner",
        "planner",
        &["--communities", &community.to_string()],
    );
    let elsewhere = token(
        "qr-elsewhere",
        "planner",
        &["--communities", &other.to_string()],
    );
    let worker = token("qr-worker", "grid_worker", &["--grids", &grid.to_string()]);
    let admin = token("qr-admin", "admin", &[]);
    let audit_rows = || {
        let r = s.request(
            "GET",
            "/api/admin/audit?limit=1000",
            &[("Authorization", &admin)],
            None,
        );
        assert_eq!(r.status, 200);
        r.json()["entries"].as_array().unwrap().len()
    };
    let audited = audit_rows();
    let sheet_url = format!("{}/api/grids/{grid}/qr-sheet.svg", s.base);
    for (auth, status, code) in [
        (None, 401, "unauthenticated"),
        (Some(elsewhere.as_str()), 403, "forbidden"),
        (Some(worker.as_str()), 403, "forbidden"),
    ] {
        let (got, _, body) = fetch_as(&sheet_url, false, auth);
        assert_eq!(got, status, "{auth:?}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], code, "{auth:?}");
    }

    let (status, headers, sheet) = fetch_as(&sheet_url, false, Some(&planner));
    assert_eq!(status, 200);
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let sheet = String::from_utf8(sheet).unwrap();
    let codes = sheet.matches("<path ").count();
    let in_grid = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["grid"]["id"].as_i64() == Some(grid))
        .count();
    assert!(codes >= in_grid && in_grid > 0);
    assert_eq!(sheet.matches("<g>").count(), codes.div_ceil(12));
    assert!(!sheet.contains("户数") && !sheet.to_lowercase().contains("household"));
    let (_, _, page1) = fetch_as(&format!("{sheet_url}?page=1"), false, Some(&planner));
    let page1 = String::from_utf8(page1).unwrap();
    assert_eq!(page1.matches("<path ").count(), codes.min(12));

    for (path, code) in [
        (
            "/api/buildings/987654321/qr.svg".to_owned(),
            "no_such_building",
        ),
        (
            "/api/buildings/987654321/qr.png".to_owned(),
            "no_such_building",
        ),
        (
            "/api/grids/987654321/qr-sheet.svg".to_owned(),
            "no_such_grid",
        ),
        (
            format!("/api/grids/{grid}/qr-sheet.svg?page=999"),
            "no_such_page",
        ),
    ] {
        let r = s.request("GET", &path, &[("Authorization", &planner)], None);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["code"], code, "{path}");
    }
    // A read: the audit log gains no row for it.
    assert_eq!(audit_rows(), audited);
    let (status, body) = s.get("/api/buildings/x/qr.svg");
    assert_eq!(status, 400);
    assert_eq!(body["code"], "bad_id");
}

/// Decode our 8-bit greyscale PNG into rows of `dark` flags.
fn png_dark(png: &[u8]) -> (usize, Vec<bool>) {
    let mut at = 8;
    let (mut side, mut idat) = (0, Vec::new());
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let data = &png[at + 8..at + 8 + len];
        match &png[at + 4..at + 8] {
            b"IHDR" => side = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize,
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let dark = raw
        .chunks(side + 1)
        .flat_map(|row| row[1..].iter().map(|v| *v == 0))
        .collect();
    (side, dark)
}

/// Behind a TLS proxy every absolute URL must come from `--public-url`, or
/// the browser refuses the tiles as mixed content (before: TileJSON and the
/// style said `http://{Host}/…`).
#[test]
fn public_url_is_the_origin_of_tilejson_and_the_style() {
    let s = harness::start(&["--public-url", "https://grid.example.cn/"]);
    let prefix = "https://grid.example.cn/";
    let urls = |v: &serde_json::Value| -> Vec<String> {
        v["tiles"]
            .as_array()
            .expect("tiles")
            .iter()
            .map(|u| u.as_str().expect("url").to_owned())
            .collect()
    };
    let (status, base) = s.get("/tiles.json");
    assert_eq!(status, 200);
    assert_eq!(
        urls(&base),
        ["https://grid.example.cn/tiles/{z}/{x}/{y}.mvt"]
    );
    let (status, coverage) = s.get("/tiles/coverage.json");
    assert_eq!(status, 200);
    assert_eq!(
        urls(&coverage),
        ["https://grid.example.cn/tiles/coverage/{z}/{x}/{y}.mvt"]
    );
    let (status, style) = s.get("/style.json");
    assert_eq!(status, 200);
    assert!(
        style["glyphs"]
            .as_str()
            .expect("glyphs")
            .starts_with(prefix),
        "{}",
        style["glyphs"]
    );
    for source in ["gridmap", "coverage"] {
        for url in urls(&style["sources"][source]) {
            assert!(url.starts_with(prefix), "{source}: {url}");
        }
    }
    assert!(
        !style.to_string().contains("http://"),
        "no http:// URL in the style"
    );
    // Without the flag, the request's Host as before.
    let plain = harness::start(&["--no-sample"]);
    let (_, tj) = plain.get("/tiles.json");
    assert!(urls(&tj)[0].starts_with(&plain.base), "{tj}");
}

#[test]
fn public_url_sets_what_the_codes_point_at() {
    let s = harness::start(&["--public-url", "https://grid.example.cn/"]);
    let (status, _, png) = fetch(
        &format!("{}/api/buildings/30/qr.png?scale=1", s.base),
        false,
    );
    assert_eq!(status, 200);
    let (side, dark) = png_dark(&png);
    let want = gridmap_server::qr::Matrix::encode("https://grid.example.cn/b/30").unwrap();
    let quiet = gridmap_server::qr::QUIET;
    assert_eq!(side, want.width + 2 * quiet);
    for y in 0..want.width {
        for x in 0..want.width {
            assert_eq!(
                dark[(y + quiet) * side + x + quiet],
                want.dark(x, y),
                "({x},{y})"
            );
        }
    }
    let bad = harness::cli(
        &s.db_url(),
        &[
            "serve",
            "--public-url",
            "ftp://x",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--public-url"));
}
