//! One glyph: outline → coverage bitmap → signed distance field, with the
//! metrics MapLibre expects.
//!
//! The numbers follow node-fontnik / sdf-glyph-foundry and `pbf_font_tools`
//! (FreeType, `FT_LOAD_NO_HINTING`, 24 px): outline points are scaled to
//! 26.6 fixed point like FreeType does, the bitmap box is the control box
//! floored/ceiled to whole pixels (FreeType's rendered bitmap), `advance` is
//! the scaled advance truncated to whole pixels, and `top` is the bitmap top
//! minus the face's ascender at 24 px (so it is usually negative).

use ab_glyph_rasterizer::{Rasterizer, point};
use sdf_glyph_renderer::{BitmapGlyph, SdfGlyphError, clamp_to_u8};
use ttf_parser::{Face, GlyphId, OutlineBuilder};

/// Font size in px the glyphs are rendered at (MapLibre's `ONE_EM`).
pub const SIZE_PX: u32 = 24;
/// Border of SDF pixels around each glyph (MapLibre's `GLYPH_PBF_BORDER`).
pub const BUFFER: usize = 3;
/// Distance in px covered by the SDF on each side of the outline.
pub const RADIUS: usize = 8;
/// Share of the byte range that encodes the inside of the glyph
/// (the outline sits at 255 - 0.25 * 255 ≈ 191, as MapLibre's shader expects).
pub const CUTOFF: f64 = 0.25;

/// A glyph ready for the protobuf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedGlyph {
    /// Unicode code point.
    pub id: u32,
    /// `(width + 2 * BUFFER) * (height + 2 * BUFFER)` SDF bytes, or empty
    /// for a glyph without ink (space).
    pub bitmap: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub left: i32,
    pub top: i32,
    pub advance: u32,
}

/// Size-dependent numbers of one face.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Font units → 1/64 px.
    units_to_26_6: f32,
    /// The face's ascender at `SIZE_PX`, whole px, as FreeType's size metrics.
    pub ascender: i32,
}

impl Scale {
    pub fn new(face: &Face<'_>) -> Self {
        let upem = f32::from(face.units_per_em().max(1));
        let units_to_26_6 = (SIZE_PX * 64) as f32 / upem;
        let asc_26_6 = (f32::from(face.ascender()) * units_to_26_6).round() as i32;
        // FreeType rounds the scaled ascender when the `head` table asks for
        // integer scaling (flag bit 3, set in nearly all TrueType fonts) and
        // ceils it otherwise.
        let ascender = if integer_ppem(face) {
            (asc_26_6 + 32).div_euclid(64)
        } else {
            (asc_26_6 + 63).div_euclid(64)
        };
        Scale {
            units_to_26_6,
            ascender,
        }
    }

    /// Font units → px, on FreeType's 1/64 px grid.
    fn px(&self, units: f32) -> f32 {
        (units * self.units_to_26_6).round() / 64.0
    }
}

/// `head.flags` bit 3: "force ppem to integer values".
fn integer_ppem(face: &Face<'_>) -> bool {
    face.raw_face()
        .table(ttf_parser::Tag::from_bytes(b"head"))
        .and_then(|head| head.get(16..18))
        .is_some_and(|flags| flags[1] & 0x08 != 0)
}

enum Segment {
    Line([f32; 4]),
    Quad([f32; 6]),
    Cubic([f32; 8]),
}

/// Collects the outline in px (y up) and its control box.
struct Outline<'s> {
    scale: &'s Scale,
    segments: Vec<Segment>,
    start: (f32, f32),
    cur: (f32, f32),
    open: bool,
    min: (f32, f32),
    max: (f32, f32),
}

impl<'s> Outline<'s> {
    fn new(scale: &'s Scale) -> Self {
        Outline {
            scale,
            segments: Vec::new(),
            start: (0.0, 0.0),
            cur: (0.0, 0.0),
            open: false,
            min: (f32::INFINITY, f32::INFINITY),
            max: (f32::NEG_INFINITY, f32::NEG_INFINITY),
        }
    }

    fn pt(&mut self, x: f32, y: f32) -> (f32, f32) {
        let p = (self.scale.px(x), self.scale.px(y));
        self.min = (self.min.0.min(p.0), self.min.1.min(p.1));
        self.max = (self.max.0.max(p.0), self.max.1.max(p.1));
        p
    }

    fn close_contour(&mut self) {
        if self.open && self.cur != self.start {
            let (a, b) = (self.cur, self.start);
            self.segments.push(Segment::Line([a.0, a.1, b.0, b.1]));
        }
        self.cur = self.start;
        self.open = false;
    }
}

impl OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.close_contour();
        let p = self.pt(x, y);
        self.start = p;
        self.cur = p;
        self.open = true;
    }

    fn line_to(&mut self, x: f32, y: f32) {
        let a = self.cur;
        let b = self.pt(x, y);
        self.segments.push(Segment::Line([a.0, a.1, b.0, b.1]));
        self.cur = b;
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let a = self.cur;
        let c = self.pt(x1, y1);
        let b = self.pt(x, y);
        self.segments
            .push(Segment::Quad([a.0, a.1, c.0, c.1, b.0, b.1]));
        self.cur = b;
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let a = self.cur;
        let c1 = self.pt(x1, y1);
        let c2 = self.pt(x2, y2);
        let b = self.pt(x, y);
        self.segments
            .push(Segment::Cubic([a.0, a.1, c1.0, c1.1, c2.0, c2.1, b.0, b.1]));
        self.cur = b;
    }

    fn close(&mut self) {
        self.close_contour();
    }
}

/// Render one glyph. `Ok(None)` when the face has no glyph for `code_point`.
pub fn render_glyph(
    face: &Face<'_>,
    scale: &Scale,
    code_point: u32,
) -> Result<Option<RenderedGlyph>, SdfGlyphError> {
    let Some(ch) = char::from_u32(code_point) else {
        return Ok(None);
    };
    let Some(gid) = face.glyph_index(ch).filter(|g| g.0 != 0) else {
        return Ok(None);
    };
    let advance = advance_px(face, scale, gid);
    let empty = RenderedGlyph {
        id: code_point,
        bitmap: Vec::new(),
        width: 0,
        height: 0,
        left: 0,
        top: -scale.ascender,
        advance,
    };

    let mut outline = Outline::new(scale);
    if face.outline_glyph(gid, &mut outline).is_none() {
        return Ok(Some(empty));
    }
    outline.close_contour();
    if outline.segments.is_empty() {
        return Ok(Some(empty));
    }

    let left = outline.min.0.floor();
    let bottom = outline.min.1.floor();
    let right = outline.max.0.ceil();
    let top = outline.max.1.ceil();
    let width = (right - left).max(0.0) as usize;
    let height = (top - bottom).max(0.0) as usize;
    if width == 0 || height == 0 {
        return Ok(Some(empty));
    }

    // Rasterise in a y-down box whose origin is the bitmap's top-left corner.
    let mut raster = Rasterizer::new(width, height);
    let p = |x: f32, y: f32| point(x - left, top - y);
    for s in &outline.segments {
        match *s {
            Segment::Line([x0, y0, x1, y1]) => raster.draw_line(p(x0, y0), p(x1, y1)),
            Segment::Quad([x0, y0, x1, y1, x2, y2]) => {
                raster.draw_quad(p(x0, y0), p(x1, y1), p(x2, y2));
            }
            Segment::Cubic([x0, y0, x1, y1, x2, y2, x3, y3]) => {
                raster.draw_cubic(p(x0, y0), p(x1, y1), p(x2, y2), p(x3, y3));
            }
        }
    }
    let mut alpha = vec![0u8; width * height];
    raster.for_each_pixel(|i, a| {
        if let Some(px) = alpha.get_mut(i) {
            *px = (a.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    });

    let sdf = BitmapGlyph::from_unbuffered(&alpha, width, height, BUFFER)?.render_sdf(RADIUS);
    let bitmap = clamp_to_u8(&sdf, CUTOFF)?;

    Ok(Some(RenderedGlyph {
        id: code_point,
        bitmap,
        width: width as u32,
        height: height as u32,
        left: left as i32,
        top: top as i32 - scale.ascender,
        advance,
    }))
}

/// Horizontal advance in whole px, truncated like `horiAdvance / 64`.
fn advance_px(face: &Face<'_>, scale: &Scale, gid: GlyphId) -> u32 {
    let units = f32::from(face.glyph_hor_advance(gid).unwrap_or(0));
    let adv_26_6 = (units * scale.units_to_26_6).round().max(0.0) as u32;
    adv_26_6 / 64
}
