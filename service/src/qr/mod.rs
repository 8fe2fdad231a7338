//! QR codes for the building landing pages (`{origin}/b/{building}`): the
//! module matrix ([`Matrix`]), a labelled SVG code and an A4 sheet of them
//! ([`svg`]), and a PNG ([`png`]). Pure rendering: no HTTP, no store.

pub mod png;
pub mod svg;

use qrcode::{Color, EcLevel, QrCode};

/// Modules of white border around a code (the standard quiet zone).
pub const QUIET: usize = 4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    TooLong(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// A square QR code: `width × width` modules, row-major, `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub width: usize,
    dark: Vec<bool>,
}

impl Matrix {
    /// The code of `text` at error-correction level M (15% damage survives).
    pub fn encode(text: &str) -> Result<Matrix, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map_err(|e| QrError::TooLong(e.to_string()))?;
        Ok(Matrix {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Whether the module at column `x`, row `y` is dark (false outside).
    pub fn dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark.get(y * self.width + x) == Some(&true)
    }

    /// Horizontal runs of dark modules: `(x, y, length)`.
    pub fn runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.width).flat_map(move |y| {
            let mut runs = Vec::new();
            let mut x = 0;
            while x < self.width {
                if self.dark(x, y) {
                    let start = x;
                    while x < self.width && self.dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
            runs
        })
    }
}

/// The landing-page URL a building's code points at.
pub fn building_url(origin: &str, building: i64) -> String {
    format!("{}/b/{building}", origin.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn finder_patterns_sit_in_three_corners() {
        let m = Matrix::encode("http://127.0.0.1:8080/b/30").unwrap();
        assert!(
            m.width >= 21 && (m.width - 17).is_multiple_of(4),
            "a QR size: {}",
            m.width
        );
        let w = m.width;
        for (cx, cy) in [(0, 0), (w - 7, 0), (0, w - 7)] {
            // 7×7 finder: dark ring, light ring, dark 3×3 centre.
            for i in 0..7 {
                assert!(m.dark(cx + i, cy) && m.dark(cx + i, cy + 6));
                assert!(m.dark(cx, cy + i) && m.dark(cx + 6, cy + i));
            }
            for i in 1..6 {
                assert!(!m.dark(cx + i, cy + 1) && !m.dark(cx + 1, cy + i));
            }
            assert!(m.dark(cx + 3, cy + 3));
        }
    }

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let m = Matrix::encode("https://grid.example.cn/b/123456").unwrap();
        let mut covered = vec![false; m.width * m.width];
        for (x, y, len) in m.runs() {
            assert!(len > 0);
            for i in x..x + len {
                assert!(!covered[y * m.width + i], "runs overlap");
                covered[y * m.width + i] = true;
            }
        }
        for y in 0..m.width {
            for x in 0..m.width {
                assert_eq!(covered[y * m.width + x], m.dark(x, y));
            }
        }
    }

    #[test]
    fn too_long_text_is_an_error() {
        let long = "x".repeat(8000);
        assert!(matches!(Matrix::encode(&long), Err(QrError::TooLong(_))));
    }

    #[test]
    fn building_url_joins_without_double_slash() {
        assert_eq!(building_url("https://a.cn/", 7), "https://a.cn/b/7");
        assert_eq!(building_url("http://h:1", 7), "http://h:1/b/7");
    }
}
