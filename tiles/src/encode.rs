//! Minimal protobuf writer for the MVT 2.1 schema, and the geometry command
//! stream encoding (MoveTo / LineTo / ClosePath with zigzag deltas).

use i_overlay::i_float::int::point::IntPoint;

/// Protobuf wire type of varints.
pub(crate) const WIRE_VARINT: u32 = 0;
/// Protobuf wire type of 64-bit fixed values.
pub(crate) const WIRE_I64: u32 = 1;
/// Protobuf wire type of length-delimited fields.
pub(crate) const WIRE_LEN: u32 = 2;

/// `Tile.layers`.
pub(crate) const TILE_LAYERS: u32 = 3;
/// `Layer` fields.
pub(crate) const LAYER_NAME: u32 = 1;
pub(crate) const LAYER_FEATURES: u32 = 2;
pub(crate) const LAYER_KEYS: u32 = 3;
pub(crate) const LAYER_VALUES: u32 = 4;
pub(crate) const LAYER_EXTENT: u32 = 5;
pub(crate) const LAYER_VERSION: u32 = 15;
/// `Feature` fields.
pub(crate) const FEATURE_ID: u32 = 1;
pub(crate) const FEATURE_TAGS: u32 = 2;
pub(crate) const FEATURE_TYPE: u32 = 3;
pub(crate) const FEATURE_GEOMETRY: u32 = 4;
/// `Value` fields.
pub(crate) const VALUE_STRING: u32 = 1;
pub(crate) const VALUE_DOUBLE: u32 = 3;
pub(crate) const VALUE_INT: u32 = 4;
pub(crate) const VALUE_UINT: u32 = 5;
pub(crate) const VALUE_BOOL: u32 = 7;

/// MVT `GeomType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GeomType {
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

const CMD_MOVE_TO: u32 = 1;
const CMD_LINE_TO: u32 = 2;
const CMD_CLOSE_PATH: u32 = 7;

#[inline]
pub(crate) fn write_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

#[inline]
pub(crate) fn varint_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits, at least one.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[inline]
pub(crate) fn write_tag(buf: &mut Vec<u8>, field: u32, wire: u32) {
    write_varint(buf, u64::from((field << 3) | wire));
}

#[inline]
pub(crate) fn tag_len(field: u32) -> usize {
    varint_len(u64::from(field << 3))
}

/// Writes a length-delimited field.
pub(crate) fn write_bytes_field(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    write_tag(buf, field, WIRE_LEN);
    write_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Size of a length-delimited field holding `len` bytes.
pub(crate) fn bytes_field_len(field: u32, len: usize) -> usize {
    tag_len(field) + varint_len(len as u64) + len
}

/// Writes a varint field.
pub(crate) fn write_varint_field(buf: &mut Vec<u8>, field: u32, v: u64) {
    write_tag(buf, field, WIRE_VARINT);
    write_varint(buf, v);
}

/// Size of a varint field.
pub(crate) fn varint_field_len(field: u32, v: u64) -> usize {
    tag_len(field) + varint_len(v)
}

/// Payload size of a packed `repeated uint32`.
pub(crate) fn packed_len(values: &[u32]) -> usize {
    values.iter().map(|&v| varint_len(u64::from(v))).sum()
}

/// Writes a packed `repeated uint32` whose payload size is `payload`.
pub(crate) fn write_packed(buf: &mut Vec<u8>, field: u32, values: &[u32], payload: usize) {
    write_tag(buf, field, WIRE_LEN);
    write_varint(buf, payload as u64);
    for &v in values {
        write_varint(buf, u64::from(v));
    }
}

#[inline]
pub(crate) fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

#[inline]
fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

/// Accumulates the geometry command stream of one feature, already
/// varint-encoded (the payload of the packed `geometry` field).
#[derive(Debug, Default)]
pub(crate) struct CommandWriter {
    pub(crate) bytes: Vec<u8>,
    cursor: IntPoint,
}

impl CommandWriter {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.cursor = IntPoint::ZERO;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    #[inline]
    fn push(&mut self, v: u32) {
        write_varint(&mut self.bytes, u64::from(v));
    }

    #[inline]
    fn delta(&mut self, p: IntPoint) {
        self.push(zigzag(p.x.wrapping_sub(self.cursor.x)));
        self.push(zigzag(p.y.wrapping_sub(self.cursor.y)));
        self.cursor = p;
    }

    /// One MoveTo with a count: a point or multipoint.
    pub(crate) fn points(&mut self, pts: &[IntPoint]) {
        if pts.is_empty() {
            return;
        }
        self.push(command(CMD_MOVE_TO, pts.len() as u32));
        for &p in pts {
            self.delta(p);
        }
    }

    /// MoveTo + LineTo. `pts` has at least 2 points, none equal to the next.
    pub(crate) fn line(&mut self, pts: &[IntPoint]) {
        let Some((&first, rest)) = pts.split_first() else {
            return;
        };
        self.push(command(CMD_MOVE_TO, 1));
        self.delta(first);
        self.push(command(CMD_LINE_TO, rest.len() as u32));
        for &p in rest {
            self.delta(p);
        }
    }

    /// MoveTo + LineTo + ClosePath. `pts` is the ring without its closing
    /// point.
    pub(crate) fn ring(&mut self, pts: &[IntPoint]) {
        self.line(pts);
        self.push(command(CMD_CLOSE_PATH, 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_protobuf() {
        for (v, bytes) in [
            (0u64, vec![0u8]),
            (1, vec![1]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (300, vec![0xac, 0x02]),
            (
                u64::MAX,
                vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ] {
            let mut buf = Vec::new();
            write_varint(&mut buf, v);
            assert_eq!(buf, bytes, "{v}");
            assert_eq!(varint_len(v), bytes.len(), "{v}");
        }
    }

    #[test]
    fn zigzag_matches_spec() {
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(-2), 3);
        assert_eq!(zigzag(i32::MAX), u32::MAX - 1);
        assert_eq!(zigzag(i32::MIN), u32::MAX);
    }

    fn varints(values: &[u32]) -> Vec<u8> {
        let mut buf = Vec::new();
        for &v in values {
            write_varint(&mut buf, u64::from(v));
        }
        buf
    }

    #[test]
    fn spec_example_commands() {
        // MVT 2.1 spec, section 4.3.5.1: a point at (25, 17).
        let mut w = CommandWriter::default();
        w.points(&[IntPoint::new(25, 17)]);
        assert_eq!(w.bytes, varints(&[9, 50, 34]));
        // 4.3.5.3: a linestring (2,2) (2,10) (10,10).
        w.clear();
        w.line(&[
            IntPoint::new(2, 2),
            IntPoint::new(2, 10),
            IntPoint::new(10, 10),
        ]);
        assert_eq!(w.bytes, varints(&[9, 4, 4, 18, 0, 16, 16, 0]));
        // 4.3.5.5: a polygon (3,6) (8,12) (20,34).
        w.clear();
        w.ring(&[
            IntPoint::new(3, 6),
            IntPoint::new(8, 12),
            IntPoint::new(20, 34),
        ]);
        assert_eq!(w.bytes, varints(&[9, 6, 12, 18, 10, 12, 24, 44, 15]));
    }
}
