//! Builds the web app into the binary (as Martin does for its UI).
//!
//! 1. `npm ci` in `web/` when `web/node_modules` is missing or older than
//!    `web/package-lock.json` (MapLibre GL JS comes from the npm registry at
//!    build time; nothing loads from the internet at run time).
//! 2. Collects the app: every file of `web/src/` plus MapLibre's dist files
//!    (copied under `vendor/`), into `$OUT_DIR/web/`, with a gzip twin for
//!    text files.
//! 3. Writes `$OUT_DIR/web_assets.rs`: the build id (a hash of every byte),
//!    the HTML shell (with `{{BASE}}` replaced by `/app/{build}`) and a
//!    sorted table of `(path, content type, bytes, gzip bytes)` that
//!    `src/web/` serves. Nothing outside that table can be served.
//!
//! `GRIDMAP_SKIP_NPM=1` skips step 1 (for offline builds that already have
//! `web/node_modules`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files taken from npm packages: (source under node_modules, served path).
const VENDOR: &[(&str, &str)] = &[
    ("maplibre-gl/dist/maplibre-gl.js", "vendor/maplibre-gl.js"),
    ("maplibre-gl/dist/maplibre-gl.css", "vendor/maplibre-gl.css"),
    ("maplibre-gl/LICENSE.txt", "vendor/maplibre-gl.LICENSE.txt"),
];

/// The HTML shell every page route returns (not served under `/app/`).
const SHELL: &str = "index.html";

type BuildResult<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        // A build script reports failure by exiting non-zero; the message
        // is what cargo shows.
        eprintln!("error: building the web app failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> BuildResult<()> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let web = manifest.join("../web");
    let web = web
        .canonicalize()
        .map_err(|e| format!("cannot find the web app at {}: {e}", web.display()))?;
    let out = PathBuf::from(env("OUT_DIR")?);

    println!("cargo:rerun-if-changed={}", web.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package.json").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package-lock.json").display()
    );
    // Written by `npm ci`: deleting node_modules reruns this script.
    println!(
        "cargo:rerun-if-changed={}",
        web.join("node_modules/.package-lock.json").display()
    );
    println!("cargo:rerun-if-env-changed=GRIDMAP_SKIP_NPM");

    if std::env::var_os("GRIDMAP_SKIP_NPM").is_none() && needs_install(&web) {
        npm_ci(&web)?;
    }

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    collect(&web.join("src"), "", &mut files)?;
    for (from, to) in VENDOR {
        let src = web.join("node_modules").join(from);
        let bytes = fs::read(&src).map_err(|e| {
            format!(
                "cannot read {} ({e}); run `npm ci` in web/ or unset GRIDMAP_SKIP_NPM",
                src.display()
            )
        })?;
        files.insert((*to).to_owned(), bytes);
    }
    let shell = files
        .remove(SHELL)
        .ok_or_else(|| format!("web/src/{SHELL} is missing"))?;

    let build = build_id(&files, &shell);
    let shell = String::from_utf8(shell)
        .map_err(|_| format!("web/src/{SHELL} is not UTF-8"))?
        .replace("{{BASE}}", &format!("/app/{build}"));

    let dir = out.join("web");
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    let mut table = String::new();
    writeln!(
        table,
        "/// Hash of every embedded byte; part of each asset URL."
    )
    .ok();
    writeln!(table, "pub const BUILD: &str = {build:?};").ok();
    let shell_path = write(&dir, "shell.html", shell.as_bytes())?;
    writeln!(table, "/// The HTML shell of every page.").ok();
    writeln!(
        table,
        "pub static SHELL: &[u8] = include_bytes!({shell_path:?});"
    )
    .ok();
    writeln!(
        table,
        "/// Every file under `/app/{{BUILD}}/`, sorted by path."
    )
    .ok();
    writeln!(table, "pub static ASSETS: &[Asset] = &[").ok();
    for (i, (path, bytes)) in files.iter().enumerate() {
        let body = write(&dir, &format!("{i}.raw"), bytes)?;
        let ty = content_type(path)?;
        let gzip = if compressible(ty) {
            let gz = write(&dir, &format!("{i}.gz"), &gzip(bytes)?)?;
            format!("Some(include_bytes!({gz:?}))")
        } else {
            "None".to_owned()
        };
        writeln!(
            table,
            "    Asset {{ path: {path:?}, content_type: {ty:?}, body: include_bytes!({body:?}), gzip: {gzip} }},"
        )
        .ok();
    }
    writeln!(table, "];").ok();
    fs::write(out.join("web_assets.rs"), table)
        .map_err(|e| format!("cannot write web_assets.rs: {e}"))?;
    Ok(())
}

fn env(key: &str) -> BuildResult<String> {
    std::env::var(key).map_err(|_| format!("cargo did not set {key}"))
}

/// `npm ci` is needed when node_modules is missing or older than the lock.
fn needs_install(web: &Path) -> bool {
    let stamp = web.join("node_modules/.package-lock.json");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(&stamp), modified(&web.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    }
}

fn npm_ci(web: &Path) -> BuildResult<()> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(web)
        .status()
        .map_err(|e| {
            format!(
                "cannot run `npm` ({e}). The web app's libraries (MapLibre GL JS) come from the npm \
                 registry at build time: install Node.js 18+ with npm (e.g. `apt-get install nodejs npm`) \
                 and build again"
            )
        })?;
    if !status.success() {
        return Err(format!(
            "`npm ci` in {} failed ({status}); is the npm registry reachable?",
            web.display()
        ));
    }
    Ok(())
}

/// Every file under `dir`, keyed by its `/`-separated path below the root.
fn collect(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) -> BuildResult<()> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let key = format!("{prefix}{name}");
        if path.is_dir() {
            collect(&path, &format!("{key}/"), files)?;
        } else {
            let bytes =
                fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            files.insert(key, bytes);
        }
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> BuildResult<String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

fn content_type(path: &str) -> BuildResult<&'static str> {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    Ok(match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => {
            return Err(format!(
                "web/src/{path}: unknown file type; add it to build.rs"
            ));
        }
    })
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type == "application/json"
        || content_type == "image/svg+xml"
}

fn gzip(bytes: &[u8]) -> BuildResult<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map_err(|e| format!("gzip failed: {e}"))
}

/// FNV-1a over every path and byte: stable across builds and toolchains.
fn build_id(files: &BTreeMap<String, Vec<u8>>, shell: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (path, bytes) in files {
        eat(path.as_bytes());
        eat(&[0]);
        eat(bytes);
    }
    eat(shell);
    format!("{:012x}", h >> 16)
}
