//! Development mode for the web app: with `GRIDMAP_WEB_DEV=/path/to/web/src`
//! set, a **debug** build serves the shell and the app's files from that
//! folder on every request, so editing a page needs a browser reload, not a
//! rebuild. Release builds ignore the variable. Paths are checked the same
//! way as ever: plain `/`-separated names of letters, digits, `.`, `-` and
//! `_`, no `..`, nothing outside the folder; MapLibre's files still come
//! from the embedded table.

use std::path::PathBuf;

/// The folder to serve from, when development mode is on.
pub fn dir() -> Option<PathBuf> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var_os("GRIDMAP_WEB_DEV")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
}

/// A safe relative path below the app folder, or None.
fn safe(path: &str) -> Option<&str> {
    let ok = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        });
    ok.then_some(path)
}

/// The bytes and content type of `path` in the folder.
pub fn file(path: &str) -> Option<(Vec<u8>, &'static str)> {
    let path = safe(path)?;
    let bytes = std::fs::read(dir()?.join(path)).ok()?;
    let kind = match path.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    Some((bytes, kind))
}

/// The HTML shell from the folder, pointing at this build's asset path.
pub fn shell(build: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir()?.join("index.html")).ok()?;
    Some(text.replace("{{BASE}}", &format!("/app/{build}")))
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn only_plain_paths_are_safe() {
        assert_eq!(safe("pages/plan/page.js"), Some("pages/plan/page.js"));
        for bad in [
            "",
            "../x",
            "a/../b",
            "/etc/passwd",
            "a//b",
            "./a",
            "a\\b",
            "a/%2e%2e",
        ] {
            assert_eq!(safe(bad), None, "{bad}");
        }
    }
}
