//! The web app's files, embedded at build time by `build.rs` (see
//! `web/README.md`). Only paths in [`ASSETS`] can ever be served.

/// One embedded file of the web app.
#[derive(Debug)]
pub struct Asset {
    /// Path below `/app/{BUILD}/`, `/`-separated, e.g. `pages/find/page.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// Gzip-compressed body, for text files.
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The embedded file at `path`, if there is one.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .and_then(|i| ASSETS.get(i))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert!(ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        for path in [
            "main.js",
            "app.css",
            "vendor/maplibre-gl.js",
            "vendor/maplibre-gl.css",
        ] {
            let a = find(path).unwrap_or_else(|| panic!("{path} embedded"));
            assert!(!a.body.is_empty());
            assert!(a.gzip.is_some(), "{path} has a gzip twin");
        }
        assert!(find("index.html").is_none(), "the shell is not an asset");
        assert!(find("../Cargo.toml").is_none());
    }

    #[test]
    fn shell_points_at_this_build() {
        let shell = std::str::from_utf8(SHELL).unwrap();
        assert!(shell.contains(&format!("/app/{BUILD}/main.js")));
        assert!(!shell.contains("{{BASE}}"));
    }
}
