//! The glyph protobuf (`glyphs.proto`, package `llmr.glyphs`), written by hand:
//!
//! ```text
//! message glyph     { required uint32 id = 1; optional bytes bitmap = 2;
//!                     required uint32 width = 3; required uint32 height = 4;
//!                     required sint32 left = 5; required sint32 top = 6;
//!                     required uint32 advance = 7; }
//! message fontstack { required string name = 1; required string range = 2;
//!                     repeated glyph glyphs = 3; }
//! message glyphs    { repeated fontstack stacks = 1; }
//! ```

use super::render::RenderedGlyph;

const VARINT: u32 = 0;
const LEN: u32 = 2;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from((field << 3) | wire));
}

fn uint32(out: &mut Vec<u8>, field: u32, v: u32) {
    key(out, field, VARINT);
    varint(out, u64::from(v));
}

fn sint32(out: &mut Vec<u8>, field: u32, v: i32) {
    key(out, field, VARINT);
    // ZigZag: 0, -1, 1, -2, … → 0, 1, 2, 3, …
    varint(out, u64::from(((v << 1) ^ (v >> 31)) as u32));
}

fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, LEN);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn glyph(g: &RenderedGlyph) -> Vec<u8> {
    let mut m = Vec::with_capacity(g.bitmap.len() + 24);
    uint32(&mut m, 1, g.id);
    if !g.bitmap.is_empty() {
        bytes(&mut m, 2, &g.bitmap);
    }
    uint32(&mut m, 3, g.width);
    uint32(&mut m, 4, g.height);
    sint32(&mut m, 5, g.left);
    sint32(&mut m, 6, g.top);
    uint32(&mut m, 7, g.advance);
    m
}

/// A `glyphs` message holding one fontstack.
pub fn encode(name: &str, start: u32, end: u32, glyphs: &[RenderedGlyph]) -> Vec<u8> {
    let mut stack = Vec::with_capacity(glyphs.iter().map(|g| g.bitmap.len() + 32).sum());
    bytes(&mut stack, 1, name.as_bytes());
    bytes(&mut stack, 2, format!("{start}-{end}").as_bytes());
    for g in glyphs {
        bytes(&mut stack, 3, &glyph(g));
    }
    let mut out = Vec::with_capacity(stack.len() + 8);
    bytes(&mut out, 1, &stack);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_match_the_protobuf_spec() {
        let mut v = Vec::new();
        varint(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
        for (n, want) in [(0, 0u8), (-1, 1), (1, 2), (-2, 3), (-22, 43)] {
            let mut v = Vec::new();
            sint32(&mut v, 6, n);
            assert_eq!(v, [6 << 3, want], "zigzag({n})");
        }
    }
}
