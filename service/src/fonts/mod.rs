//! Map-label glyphs served by the server itself (no font CDN at run time).
//!
//! MapLibre asks for `/fonts/{fontstack}/{start}-{end}.pbf`: 256 code points
//! of signed-distance-field glyphs at 24 px with a 3 px border. The fonts are
//! compiled into the binary (DejaVu Sans Book and Bold, from Debian's
//! `fonts-dejavu-core`; licence in `assets/fonts/LICENSE-DejaVu.txt`). Each
//! range is rendered on first use and kept. CJK is left to the browser
//! (`localIdeographFontFamily`), so those ranges answer with no glyphs.

mod pbf;
mod render;

use std::sync::OnceLock;

use ttf_parser::Face;

/// Number of 256-code-point ranges in the Basic Multilingual Plane.
const RANGES: usize = 256;

/// What unknown regular-weight fontstacks get.
pub const DEFAULT_FONT: &str = "DejaVu Sans Book";
/// What unknown bold/black/heavy fontstacks get.
pub const BOLD_FONT: &str = "DejaVu Sans Bold";

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FontError {
    #[error(
        "glyph range {start}-{end} is not a 256-aligned range of the Basic Multilingual Plane \
         (0-255, 256-511, …, 65280-65535)"
    )]
    BadRange { start: u32, end: u32 },
    #[error("no embedded font could be read")]
    NoFont,
}

struct LoadedFace {
    name: &'static str,
    bold: bool,
    face: Face<'static>,
    scale: render::Scale,
    ranges: Vec<OnceLock<Vec<u8>>>,
}

/// The embedded fonts and the glyph ranges rendered from them so far.
pub struct Glyphs {
    faces: Vec<LoadedFace>,
}

impl Default for Glyphs {
    fn default() -> Self {
        Self::new()
    }
}

impl Glyphs {
    /// Parse the embedded fonts (cheap: tables are read lazily). A font that
    /// fails to parse is logged and left out.
    pub fn new() -> Self {
        let faces = [
            (DEFAULT_FONT, false, DEJAVU_SANS),
            (BOLD_FONT, true, DEJAVU_SANS_BOLD),
        ]
        .into_iter()
        .filter_map(|(name, bold, data)| match Face::parse(data, 0) {
            Ok(face) => Some(LoadedFace {
                name,
                bold,
                scale: render::Scale::new(&face),
                face,
                ranges: (0..RANGES).map(|_| OnceLock::new()).collect(),
            }),
            Err(e) => {
                tracing::error!(font = name, error = %e, "embedded font unreadable");
                None
            }
        })
        .collect();
        Glyphs { faces }
    }

    /// Names of the fonts that can be asked for by name.
    #[cfg(test)]
    pub fn names(&self) -> Vec<&'static str> {
        self.faces.iter().map(|f| f.name).collect()
    }

    /// The font a (comma-separated) fontstack resolves to: the first name we
    /// have, else by weight word in the first name, else the default.
    #[cfg(test)]
    pub fn resolve(&self, fontstack: &str) -> Option<&'static str> {
        self.face_for(fontstack).map(|f| f.name)
    }

    fn face_for(&self, fontstack: &str) -> Option<&LoadedFace> {
        let known = fontstack.split(',').map(str::trim).find_map(|wanted| {
            self.faces
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(wanted))
        });
        known.or_else(|| {
            let first = fontstack
                .split(',')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let bold = ["bold", "black", "heavy"].iter().any(|w| first.contains(w));
            self.faces
                .iter()
                .find(|f| f.bold == bold)
                .or_else(|| self.faces.first())
        })
    }

    /// The glyph protobuf for code points `start..=end` of a fontstack.
    /// `start` must be a multiple of 256 below 65536 and `end = start + 255`.
    pub fn range(&self, fontstack: &str, start: u32, end: u32) -> Result<Vec<u8>, FontError> {
        if !start.is_multiple_of(256) || start > 65535 || end != start + 255 {
            return Err(FontError::BadRange { start, end });
        }
        let face = self.face_for(fontstack).ok_or(FontError::NoFont)?;
        let slot = face
            .ranges
            .get((start / 256) as usize)
            .ok_or(FontError::BadRange { start, end })?;
        Ok(slot.get_or_init(|| render_range(face, start, end)).clone())
    }
}

fn render_range(face: &LoadedFace, start: u32, end: u32) -> Vec<u8> {
    let began = std::time::Instant::now();
    let glyphs: Vec<_> = (start..=end)
        .filter_map(
            |cp| match render::render_glyph(&face.face, &face.scale, cp) {
                Ok(g) => g,
                Err(e) => {
                    // Cannot happen with the sizes render_glyph passes; skip the glyph.
                    tracing::warn!(font = face.name, code_point = cp, error = %e, "glyph skipped");
                    None
                }
            },
        )
        .collect();
    let pbf = pbf::encode(face.name, start, end, &glyphs);
    tracing::debug!(
        font = face.name,
        range = %format!("{start}-{end}"),
        glyphs = glyphs.len(),
        bytes = pbf.len(),
        ms = began.elapsed().as_secs_f64() * 1e3,
        "glyph range rendered"
    );
    pbf
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `glyphs.proto`, declared independently of the encoder.
    mod proto {
        #[derive(Clone, PartialEq, prost::Message)]
        pub struct Glyph {
            #[prost(uint32, required, tag = "1")]
            pub id: u32,
            #[prost(bytes = "vec", optional, tag = "2")]
            pub bitmap: Option<Vec<u8>>,
            #[prost(uint32, required, tag = "3")]
            pub width: u32,
            #[prost(uint32, required, tag = "4")]
            pub height: u32,
            #[prost(sint32, required, tag = "5")]
            pub left: i32,
            #[prost(sint32, required, tag = "6")]
            pub top: i32,
            #[prost(uint32, required, tag = "7")]
            pub advance: u32,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        pub struct Fontstack {
            #[prost(string, required, tag = "1")]
            pub name: String,
            #[prost(string, required, tag = "2")]
            pub range: String,
            #[prost(message, repeated, tag = "3")]
            pub glyphs: Vec<Glyph>,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        pub struct Glyphs {
            #[prost(message, repeated, tag = "1")]
            pub stacks: Vec<Fontstack>,
        }
    }

    fn decode(bytes: &[u8]) -> proto::Fontstack {
        let msg = <proto::Glyphs as prost::Message>::decode(bytes).expect("valid glyph pbf");
        assert_eq!(msg.stacks.len(), 1, "one fontstack per response");
        msg.stacks.into_iter().next().expect("stack")
    }

    fn by_char(stack: &proto::Fontstack, c: char) -> &proto::Glyph {
        stack
            .glyphs
            .iter()
            .find(|g| g.id == c as u32)
            .unwrap_or_else(|| panic!("no glyph for {c:?}"))
    }

    fn latin() -> proto::Fontstack {
        decode(&Glyphs::new().range(DEFAULT_FONT, 0, 255).expect("range"))
    }

    #[test]
    fn embedded_fonts_parse_and_are_named_after_their_name_table() {
        let g = Glyphs::new();
        assert_eq!(g.names(), [DEFAULT_FONT, BOLD_FONT]);
        for f in &g.faces {
            let part = |id| {
                f.face
                    .names()
                    .into_iter()
                    .find(|n| n.name_id == id && n.is_unicode())
                    .and_then(|n| n.to_string())
                    .expect("name record")
            };
            let (family, style) = (part(1), part(2));
            assert_eq!(format!("{family} {style}"), f.name);
        }
    }

    #[test]
    fn latin_range_has_digits_and_letters_with_full_sdf_bitmaps() {
        let stack = latin();
        assert_eq!(stack.name, DEFAULT_FONT);
        assert_eq!(stack.range, "0-255");
        let b = render::BUFFER as u32;
        for c in ('0'..='9').chain('A'..='Z').chain('a'..='z') {
            let g = by_char(&stack, c);
            assert!(g.width > 0 && g.height > 0, "{c:?} has no size");
            let bitmap = g.bitmap.as_deref().expect("bitmap");
            assert_eq!(
                bitmap.len() as u32,
                (g.width + 2 * b) * (g.height + 2 * b),
                "{c:?} bitmap size"
            );
            // Outline at 191: a real glyph has both inside and outside pixels.
            assert!(bitmap.iter().any(|&v| v > 191), "{c:?} has no inside");
            assert!(bitmap.iter().any(|&v| v < 191), "{c:?} has no outside");
            // The border of the buffered bitmap is outside the glyph.
            assert!(bitmap[0] < 191, "{c:?} corner is inside");
            assert!(
                g.advance > 0 && g.advance < 30,
                "{c:?} advance {}",
                g.advance
            );
        }
    }

    #[test]
    fn metrics_put_latin_text_at_24px_on_one_baseline() {
        let stack = latin();
        let space = by_char(&stack, ' ');
        assert!(space.advance > 0);
        assert!(space.bitmap.as_deref().unwrap_or_default().is_empty());
        assert_eq!((space.width, space.height), (0, 0));

        assert!(by_char(&stack, 'W').advance > by_char(&stack, 'i').advance);
        let digit = by_char(&stack, '0').advance;
        assert!(('0'..='9').all(|c| by_char(&stack, c).advance == digit));
        // DejaVu Sans: digits advance 1303/2048 em → 15 px at 24 px.
        assert_eq!(digit, 15);

        // Capitals sit on the baseline: top - height is the same for H, E, T
        // (bitmap bottom = baseline), and cap height ≈ 0.73 em ≈ 18 px.
        let h = by_char(&stack, 'H');
        assert_eq!(h.height, 18);
        let base = |g: &proto::Glyph| g.top - g.height as i32;
        for c in ['E', 'T', 'L', 'x', 'z'] {
            assert_eq!(base(by_char(&stack, c)), base(h), "{c:?} baseline");
        }
        // top is relative to the ascender (22 px for DejaVu Sans at 24 px):
        // H's top edge is 18 px above the baseline → 18 - 22.
        assert_eq!(h.top, -4);
        // Descenders go below the baseline, x-height letters stay lower.
        let p = by_char(&stack, 'p');
        assert!(base(p) < base(h));
        assert!(by_char(&stack, 'x').top < h.top);
        // Latin-1 letters are in the range too.
        assert!(by_char(&stack, 'é').bitmap.is_some());
    }

    #[test]
    fn bold_is_a_different_wider_face() {
        let g = Glyphs::new();
        let bold = decode(&g.range(BOLD_FONT, 0, 255).expect("range"));
        assert_eq!(bold.name, BOLD_FONT);
        let book = latin();
        assert!(by_char(&bold, 'W').advance > by_char(&book, 'W').advance);
        assert!(by_char(&bold, 'l').width > by_char(&book, 'l').width);
    }

    #[test]
    fn cjk_and_empty_ranges_are_valid_protobufs() {
        let g = Glyphs::new();
        let cjk = decode(&g.range(DEFAULT_FONT, 19968, 20223).expect("cjk range"));
        assert_eq!(cjk.range, "19968-20223");
        assert!(cjk.glyphs.iter().all(|gl| (19968..=20223).contains(&gl.id)));
        // Surrogates and the last range answer too.
        for start in [0xD800, 65280] {
            let s = decode(&g.range(DEFAULT_FONT, start, start + 255).expect("range"));
            assert_eq!(s.range, format!("{start}-{}", start + 255));
        }
        // Cyrillic and Greek are covered by DejaVu.
        let cyr = decode(&g.range(DEFAULT_FONT, 1024, 1279).expect("range"));
        assert!(cyr.glyphs.iter().any(|gl| gl.id == 'Ж' as u32));
    }

    #[test]
    fn bad_ranges_are_errors() {
        let g = Glyphs::new();
        for (s, e) in [
            (1, 256),
            (0, 256),
            (0, 254),
            (256, 255),
            (65536, 65791),
            (65535, 65790),
        ] {
            assert_eq!(
                g.range(DEFAULT_FONT, s, e),
                Err(FontError::BadRange { start: s, end: e })
            );
        }
    }

    #[test]
    fn fontstacks_resolve_to_the_first_known_font_or_fall_back() {
        let g = Glyphs::new();
        assert_eq!(g.resolve("DejaVu Sans Bold"), Some(BOLD_FONT));
        assert_eq!(g.resolve("dejavu sans book"), Some(DEFAULT_FONT));
        assert_eq!(
            g.resolve("Noto Sans Regular,Arial Unicode MS Regular"),
            Some(DEFAULT_FONT)
        );
        assert_eq!(
            g.resolve("Open Sans Bold,Arial Unicode MS Bold"),
            Some(BOLD_FONT)
        );
        assert_eq!(g.resolve("Unknown, DejaVu Sans Bold"), Some(BOLD_FONT));
        assert_eq!(g.resolve(""), Some(DEFAULT_FONT));
        let fallback = decode(
            &g.range("Noto Sans Regular,Arial Unicode MS Regular", 0, 255)
                .expect("range"),
        );
        assert_eq!(fallback.name, DEFAULT_FONT);
        assert_eq!(fallback, latin());
    }

    #[test]
    fn ranges_are_rendered_once_and_quickly() {
        let g = Glyphs::new();
        let t = std::time::Instant::now();
        let first = g.range(DEFAULT_FONT, 0, 255).expect("range");
        let render = t.elapsed();
        let t = std::time::Instant::now();
        let again = g.range(DEFAULT_FONT, 0, 255).expect("range");
        let cached = t.elapsed();
        assert_eq!(first, again);
        assert!(g.faces[0].ranges[0].get().is_some());
        eprintln!("range 0-255: rendered in {render:?}, cached in {cached:?}");
        // Generous for unoptimised test builds; release is far below 100 ms.
        assert!(render.as_secs_f64() < 2.0, "rendering took {render:?}");
    }
}
