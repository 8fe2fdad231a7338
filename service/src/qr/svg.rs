//! SVG renderings: one labelled code, and A4 sheets of codes for a grid.
//! Units are millimetres; text uses local CJK fonts (no web fonts).

use std::fmt::Write as _;

use super::{Matrix, QUIET};

/// A code on a sheet: what it encodes and the lines printed under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub matrix: Matrix,
    /// Building name (or address, or "楼栋 {id}").
    pub title: String,
    /// Address, when the title is the name.
    pub subtitle: Option<String>,
    /// e.g. "编号 30 · 320104001007001".
    pub footer: String,
}

const FONT: &str = "'WenQuanYi Micro Hei','Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif";

const A4_W: f64 = 210.0;
const A4_H: f64 = 297.0;
const MARGIN: f64 = 12.0;
const HEADER: f64 = 16.0;
/// Codes per row and rows per page.
pub const COLUMNS: usize = 3;
pub const ROWS: usize = 4;
pub const PER_PAGE: usize = COLUMNS * ROWS;
const CODE_MM: f64 = 42.0;

/// XML-escape text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// The dark modules of `m` as one path, `size` mm wide with the quiet zone,
/// its top-left corner at (x, y).
fn code_path(out: &mut String, m: &Matrix, x: f64, y: f64, size: f64) {
    let n = (m.width + 2 * QUIET) as f64;
    let _ = write!(
        out,
        r##"<rect x="{x:.2}" y="{y:.2}" width="{size:.2}" height="{size:.2}" fill="#fff"/><path transform="translate({:.3} {:.3}) scale({:.5})" fill="#000" shape-rendering="crispEdges" d=""##,
        x,
        y,
        size / n
    );
    for (mx, my, len) in m.runs() {
        let _ = write!(out, "M{} {}h{len}v1h-{len}z", mx + QUIET, my + QUIET);
    }
    out.push_str(r#""/>"#);
}

fn text(out: &mut String, x: f64, y: f64, size: f64, weight: &str, anchor: &str, s: &str) {
    let _ = write!(
        out,
        r##"<text x="{x:.2}" y="{y:.2}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" fill="#111">{}</text>"##,
        escape(s)
    );
}

/// One labelled code, 60 mm wide.
pub fn single(label: &Label) -> String {
    let w = 60.0;
    let h = 60.0 + 20.0;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" font-family="{FONT}">"#
    );
    let _ = write!(out, r##"<rect width="{w}" height="{h}" fill="#fff"/>"##);
    code_path(&mut out, &label.matrix, 0.0, 0.0, w);
    let mid = w / 2.0;
    text(
        &mut out,
        mid,
        64.0,
        4.2,
        "700",
        "middle",
        &clip(&label.title, 14),
    );
    if let Some(sub) = &label.subtitle {
        text(&mut out, mid, 70.0, 3.2, "400", "middle", &clip(sub, 20));
    }
    text(&mut out, mid, 76.0, 2.8, "400", "middle", &label.footer);
    out.push_str("</svg>");
    out
}

/// A4 pages of codes, `PER_PAGE` each, stacked vertically in one SVG
/// (each page exactly 210 × 297 mm). `heading` is printed on every page
/// with "page i / n". `part` = `Some((page, pages))` numbers a single page
/// cut from a longer sheet.
pub fn sheet(heading: &str, note: &str, labels: &[Label], part: Option<(usize, usize)>) -> String {
    let pages = labels.len().div_ceil(PER_PAGE).max(1);
    let (first_number, total) = part.map_or((1, pages), |(page, of)| (page, of));
    let total_h = A4_H * pages as f64;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{A4_W}mm" height="{total_h}mm" viewBox="0 0 {A4_W} {total_h}" font-family="{FONT}">"#
    );
    let cell_w = (A4_W - 2.0 * MARGIN) / COLUMNS as f64;
    let cell_h = (A4_H - 2.0 * MARGIN - HEADER) / ROWS as f64;
    for page in 0..pages {
        let top = A4_H * page as f64;
        let _ = write!(
            out,
            r##"<g><rect x="0" y="{top}" width="{A4_W}" height="{A4_H}" fill="#fff"/>"##
        );
        text(
            &mut out,
            MARGIN,
            top + MARGIN + 5.0,
            5.0,
            "700",
            "start",
            heading,
        );
        text(
            &mut out,
            MARGIN,
            top + MARGIN + 11.0,
            3.2,
            "400",
            "start",
            note,
        );
        text(
            &mut out,
            A4_W - MARGIN,
            top + MARGIN + 5.0,
            3.2,
            "400",
            "end",
            &format!("{} / {}", first_number + page, total),
        );
        let first = page * PER_PAGE;
        for (i, label) in labels.iter().skip(first).take(PER_PAGE).enumerate() {
            let x = MARGIN + cell_w * (i % COLUMNS) as f64;
            let y = top + MARGIN + HEADER + cell_h * (i / COLUMNS) as f64;
            let _ = write!(
                out,
                r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="#bbb" stroke-width="0.2" stroke-dasharray="1.5 1.5"/>"##,
                x, y, cell_w, cell_h
            );
            let mid = x + cell_w / 2.0;
            code_path(
                &mut out,
                &label.matrix,
                mid - CODE_MM / 2.0,
                y + 2.0,
                CODE_MM,
            );
            text(
                &mut out,
                mid,
                y + CODE_MM + 7.0,
                3.8,
                "700",
                "middle",
                &clip(&label.title, 14),
            );
            if let Some(sub) = &label.subtitle {
                text(
                    &mut out,
                    mid,
                    y + CODE_MM + 12.0,
                    2.9,
                    "400",
                    "middle",
                    &clip(sub, 20),
                );
            }
            text(
                &mut out,
                mid,
                y + CODE_MM + 16.5,
                2.6,
                "400",
                "middle",
                &label.footer,
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn label(i: usize) -> Label {
        Label {
            matrix: Matrix::encode(&format!("http://h/b/{i}")).unwrap(),
            title: format!("楼<{i}>&"),
            subtitle: Some("中山路\"1\"号".into()),
            footer: format!("编号 {i}"),
        }
    }

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(escape("a\u{0}b"), "ab");
    }

    #[test]
    fn sheet_has_one_page_per_twelve_codes_and_escapes_labels() {
        for (n, pages) in [(0, 1), (1, 1), (12, 1), (13, 2), (30, 3)] {
            let labels: Vec<Label> = (0..n).map(label).collect();
            let svg = sheet("示例网格 320104001007001", "扫码", &labels, None);
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert_eq!(svg.matches("<g>").count(), pages, "{n} codes");
            assert!(svg.contains(&format!(r#"height="{}mm""#, A4_H * pages as f64)));
            assert_eq!(svg.matches("<path").count(), n, "one path per code");
            assert_eq!(svg.matches("楼&lt;").count(), n);
            assert!(!svg.contains("楼<"), "labels escaped");
            assert!(svg.contains(&format!("{pages} / {pages}")));
        }
    }

    #[test]
    fn a_page_cut_from_a_sheet_keeps_its_number() {
        let labels: Vec<Label> = (0..3).map(label).collect();
        let svg = sheet("g", "n", &labels, Some((3, 4)));
        assert!(svg.contains(">3 / 4<"));
        assert_eq!(svg.matches("<g>").count(), 1);
    }

    #[test]
    fn long_titles_are_clipped() {
        let mut l = label(1);
        l.title = "很长的楼名".repeat(10);
        let svg = single(&l);
        assert!(svg.contains('…'));
        assert!(!svg.contains(&l.title));
    }
}
