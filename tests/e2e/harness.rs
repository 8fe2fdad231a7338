//! Start and stop a real `gridmap serve` on a free port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gridmap")
}

pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/samples")
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    /// The store's URL (SQLite in `dir` unless started with [`start_db`]).
    pub db: String,
}

impl Server {
    pub fn db_url(&self) -> String {
        self.db.clone()
    }

    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let url = format!("{}{}", self.base, path);
        match ureq::get(&url).call() {
            Ok(r) => {
                let status = r.status();
                (status, r.into_json().expect("json body"))
            }
            Err(ureq::Error::Status(status, r)) => {
                (status, r.into_json().expect("json error body"))
            }
            Err(e) => panic!("GET {url}: {e}"),
        }
    }

    pub fn get_text(&self, path: &str) -> (u16, String) {
        let url = format!("{}{}", self.base, path);
        match ureq::get(&url).call() {
            Ok(r) => (r.status(), r.into_string().expect("body")),
            Err(ureq::Error::Status(status, r)) => (status, r.into_string().expect("body")),
            Err(e) => panic!("GET {url}: {e}"),
        }
    }
}

impl Server {
    /// Stop the process (the store stays).
    pub fn child_kill_and_wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        let _ = self.child.kill();
        self.child.wait()
    }

    /// Stop this server and start a new one over the same store.
    pub fn restart(mut self, extra: &[&str]) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tmp"));
        let db = self.db.clone();
        drop(self);
        spawn(dir, db, extra)
    }

    /// Import one station through the CLI into this server's store while it
    /// runs, then `kill -HUP` it so it reloads its snapshot at once.
    pub fn add_station_and_reload(&self, name: &str, tier: &str, lon: f64, lat: f64) {
        add_station(&self.db, self.dir.path(), name, tier, lon, lat);
        let hup = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(hup.success());
    }
}

/// Import one station into a store through the CLI.
pub fn add_station(db: &str, scratch: &Path, name: &str, tier: &str, lon: f64, lat: f64) {
    {
        let file = scratch.join(format!("station-{name}.geojson"));
        let feature = serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"name": name, "tier": tier},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}]});
        std::fs::write(&file, feature.to_string()).expect("write");
        let out = cli(
            db,
            &[
                "import",
                "geojson",
                "--layer",
                "stations",
                file.to_str().expect("path"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("gridmap.db").display())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Start `gridmap serve` on a new temp store (with the sample unless `extra` says otherwise).
pub fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    start_in(dir, extra)
}

pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
    let db = db_url(dir.path());
    spawn(dir, db, extra)
}

/// Start `gridmap serve` over a given store URL (e.g. a second server over
/// the same database, or PostGIS).
pub fn start_db(db: &str, extra: &[&str]) -> Server {
    spawn(tempfile::tempdir().expect("tmp"), db.to_owned(), extra)
}

fn spawn(dir: tempfile::TempDir, db: String, extra: &[&str]) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(bin())
        .args(["--db", &db, "serve", "--listen", &listen])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn gridmap");
    let server = Server {
        child,
        base: format!("http://{listen}"),
        dir,
        db,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if ureq::get(&format!("{}/health", server.base)).call().is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("gridmap serve did not answer /health within 60 s");
}

/// Run the CLI against a store.
pub fn cli(db: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run gridmap")
}

/// A fresh PostGIS database for one test, dropped afterwards; None (skip)
/// when `GRIDMAP_TEST_PG` is unset, a failure when `GRIDMAP_REQUIRE_PG=1`.
pub struct PgDb {
    pub url: String,
    admin: String,
    name: String,
}

pub fn postgis_db() -> Option<PgDb> {
    let Ok(admin) = std::env::var("GRIDMAP_TEST_PG") else {
        assert!(
            std::env::var("GRIDMAP_REQUIRE_PG").as_deref() != Ok("1"),
            "GRIDMAP_REQUIRE_PG=1 but GRIDMAP_TEST_PG is not set"
        );
        eprintln!("PostGIS test skipped: GRIDMAP_TEST_PG is not set");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "gm_e2e_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("database in URL");
    Some(PgDb {
        url: format!("{base}/{name}"),
        admin,
        name,
    })
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}
/// A response: status, lower-cased headers, body.
pub struct Resp {
    pub status: u16,
    pub headers: std::collections::HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

impl Server {
    /// Any method, any headers, an optional body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        use std::io::Read;
        let url = format!("{}{}", self.base, path);
        let mut req = ureq::request(method, &url);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
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
        Resp {
            status,
            headers,
            body,
        }
    }

    /// POST a JSON body.
    pub fn post_json(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Resp {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.request("POST", path, &all, Some(body.to_string().as_bytes()))
    }
}

/// Run the CLI with `input` on stdin.
pub fn cli_stdin(db: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .env("USER", "e2e-tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gridmap");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("gridmap output")
}

/// `gridmap user add NAME --role ROLE [extra…] --password-stdin`, asserted to succeed.
pub fn add_user(db: &str, name: &str, role: &str, extra: &[&str], password: &str) {
    let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
    args.extend_from_slice(extra);
    let out = cli_stdin(db, &args, &format!("{password}\n"));
    assert!(
        out.status.success(),
        "user add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bearer token for `user`, made with `gridmap token create`.
pub fn token(db: &str, user: &str) -> String {
    let out = cli(db, &["token", "create", "--user", user, "--label", "e2e"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `GET path`, with a bearer token when given.
pub fn get_as(s: &Server, bearer: Option<&str>, path: &str) -> Resp {
    let auth = bearer.map(|b| format!("Bearer {b}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    s.request("GET", path, &headers, None)
}

/// A signed-in client (bearer token) of one server.
pub struct Client<'a> {
    pub s: &'a Server,
    /// The `Authorization` header value.
    pub auth: String,
}

impl Client<'_> {
    pub fn get(&self, path: &str) -> Resp {
        self.s
            .request("GET", path, &[("Authorization", &self.auth)], None)
    }
    pub fn post(&self, path: &str, body: &serde_json::Value) -> Resp {
        self.s
            .post_json(path, &[("Authorization", &self.auth)], body)
    }
    /// GET, asserting 200.
    pub fn ok(&self, path: &str) -> serde_json::Value {
        let r = self.get(path);
        assert_eq!(
            r.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }
    /// POST, asserting 200 or 201.
    pub fn post_ok(&self, path: &str, body: &serde_json::Value) -> serde_json::Value {
        let r = self.post(path, body);
        assert!(
            r.status == 200 || r.status == 201,
            "POST {path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }
}
