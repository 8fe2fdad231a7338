//! Feature property values and the per-layer key/value tables that
//! deduplicate them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::encode::{
    VALUE_BOOL, VALUE_DOUBLE, VALUE_INT, VALUE_STRING, VALUE_UINT, WIRE_I64, WIRE_LEN,
    bytes_field_len, varint_field_len, write_bytes_field, write_tag, write_varint,
    write_varint_field,
};

/// A property value of a feature. Strings may be borrowed or owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// MVT `string_value`.
    String(Cow<'a, str>),
    /// MVT `int_value`.
    Int(i64),
    /// MVT `uint_value`.
    UInt(u64),
    /// MVT `double_value`.
    Double(f64),
    /// MVT `bool_value`.
    Bool(bool),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::String(Cow::Borrowed(v))
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::String(Cow::Owned(v))
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value<'_> {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<u64> for Value<'_> {
    fn from(v: u64) -> Self {
        Value::UInt(v)
    }
}

impl From<u32> for Value<'_> {
    fn from(v: u32) -> Self {
        Value::UInt(u64::from(v))
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// The Fx hash (as in rustc): much faster than SipHash for the short keys
/// and values of a tile. Tables live for one tile, so flooding is no concern.
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K> = HashMap<K, u32, BuildHasherDefault<FxHasher>>;

/// A layer's `keys`: index of each distinct key, and the encoded fields.
///
/// Callers usually pass the same keys in the same order for every feature,
/// so the key last seen at each property position is tried first, with a
/// plain string comparison, before hashing.
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    index: FxMap<String>,
    names: Vec<String>,
    by_position: Vec<u32>,
    pub(crate) encoded: Vec<u8>,
}

impl KeyTable {
    /// Index of `key`, the `position`-th property of its feature.
    pub(crate) fn index_of(&mut self, position: usize, key: &str) -> u32 {
        if let Some(&i) = self.by_position.get(position)
            && self.names.get(i as usize).is_some_and(|n| n == key)
        {
            return i;
        }
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                let i = self.names.len() as u32;
                self.index.insert(key.to_owned(), i);
                self.names.push(key.to_owned());
                write_bytes_field(&mut self.encoded, crate::encode::LAYER_KEYS, key.as_bytes());
                i
            }
        };
        if position >= self.by_position.len() {
            self.by_position.resize(position + 1, u32::MAX);
        }
        self.by_position[position] = i;
        i
    }

    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.names.clear();
        self.by_position.clear();
        self.encoded.clear();
    }
}

/// A layer's `values`: index of each distinct value (per type), and the
/// encoded `Value` messages.
#[derive(Debug, Default)]
pub(crate) struct ValueTable {
    /// Strings by the Fx hash of their bytes: the first slot with that hash.
    /// The bytes themselves are only in `encoded` (no copy per value).
    strings: FxMap<u64>,
    string_slots: Vec<StringSlot>,
    ints: FxMap<i64>,
    uints: FxMap<u64>,
    doubles: FxMap<u64>,
    bools: [Option<u32>; 2],
    count: u32,
    pub(crate) encoded: Vec<u8>,
}

/// A distinct string value: its index, where its bytes are in `encoded`,
/// and the next slot whose string has the same hash.
#[derive(Debug, Clone, Copy)]
struct StringSlot {
    index: u32,
    next: u32,
    start: usize,
    len: usize,
}

const NO_SLOT: u32 = u32::MAX;

fn fx_hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

impl ValueTable {
    pub(crate) fn index_of(&mut self, value: &Value<'_>) -> u32 {
        let next = self.count;
        match value {
            Value::String(s) => {
                let bytes = s.as_bytes();
                let hash = fx_hash(bytes);
                let head = self.strings.get(&hash).copied().unwrap_or(NO_SLOT);
                let mut slot = head;
                while let Some(found) = self.string_slots.get(slot as usize) {
                    if self.encoded.get(found.start..found.start + found.len) == Some(bytes) {
                        return found.index;
                    }
                    slot = found.next;
                }
                self.count += 1;
                // A string's `Value` message ends with its bytes.
                self.write(value);
                let start = self.encoded.len() - bytes.len();
                self.strings.insert(hash, self.string_slots.len() as u32);
                self.string_slots.push(StringSlot {
                    index: next,
                    next: head,
                    start,
                    len: bytes.len(),
                });
                return next;
            }
            Value::Int(v) => {
                let i = *self.ints.entry(*v).or_insert(next);
                if i != next {
                    return i;
                }
            }
            Value::UInt(v) => {
                let i = *self.uints.entry(*v).or_insert(next);
                if i != next {
                    return i;
                }
            }
            Value::Double(v) => {
                let i = *self.doubles.entry(v.to_bits()).or_insert(next);
                if i != next {
                    return i;
                }
            }
            Value::Bool(v) => {
                let slot = &mut self.bools[usize::from(*v)];
                if let Some(i) = *slot {
                    return i;
                }
                *slot = Some(next);
            }
        }
        self.count += 1;
        self.write(value);
        next
    }

    /// Appends one `Layer.values` entry (an embedded `Value` message).
    fn write(&mut self, value: &Value<'_>) {
        let buf = &mut self.encoded;
        match value {
            Value::String(s) => {
                let inner = bytes_field_len(VALUE_STRING, s.len());
                write_tag(buf, crate::encode::LAYER_VALUES, WIRE_LEN);
                write_varint(buf, inner as u64);
                write_bytes_field(buf, VALUE_STRING, s.as_bytes());
            }
            Value::Double(v) => {
                write_tag(buf, crate::encode::LAYER_VALUES, WIRE_LEN);
                write_varint(buf, 9);
                write_tag(buf, VALUE_DOUBLE, WIRE_I64);
                buf.extend_from_slice(&v.to_le_bytes());
            }
            Value::Int(v) => write_varint_value(buf, VALUE_INT, *v as u64),
            Value::UInt(v) => write_varint_value(buf, VALUE_UINT, *v),
            Value::Bool(v) => write_varint_value(buf, VALUE_BOOL, u64::from(*v)),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.strings.clear();
        self.string_slots.clear();
        self.ints.clear();
        self.uints.clear();
        self.doubles.clear();
        self.bools = [None; 2];
        self.count = 0;
        self.encoded.clear();
    }
}

fn write_varint_value(buf: &mut Vec<u8>, field: u32, v: u64) {
    write_tag(buf, crate::encode::LAYER_VALUES, WIRE_LEN);
    write_varint(buf, varint_field_len(field, v) as u64);
    write_varint_field(buf, field, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_deduplicated_per_type() {
        let mut t = ValueTable::default();
        assert_eq!(t.index_of(&Value::from("a")), 0);
        assert_eq!(t.index_of(&Value::Int(1)), 1);
        assert_eq!(t.index_of(&Value::UInt(1)), 2);
        assert_eq!(t.index_of(&Value::Double(1.0)), 3);
        assert_eq!(t.index_of(&Value::Bool(true)), 4);
        assert_eq!(t.index_of(&Value::from(String::from("a"))), 0);
        assert_eq!(t.index_of(&Value::Int(1)), 1);
        assert_eq!(t.index_of(&Value::UInt(1)), 2);
        assert_eq!(t.index_of(&Value::Double(1.0)), 3);
        assert_eq!(t.index_of(&Value::Bool(true)), 4);
        assert_eq!(t.index_of(&Value::Bool(false)), 5);
        assert_eq!(t.count, 6);
    }

    #[test]
    fn strings_with_the_same_hash_stay_apart() {
        let mut t = ValueTable::default();
        let a = t.index_of(&Value::from("alpha"));
        let b = t.index_of(&Value::from("beta"));
        // Force "gamma" into the chain of "alpha"'s hash: lookups must
        // compare the bytes, not trust the hash.
        let alpha = fx_hash(b"alpha");
        let gamma_slot = t.string_slots.len() as u32;
        let c = t.index_of(&Value::from("gamma"));
        t.strings.remove(&fx_hash(b"gamma"));
        t.string_slots[gamma_slot as usize].next = t.strings[&alpha];
        t.strings.insert(alpha, gamma_slot);
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(t.index_of(&Value::from("alpha")), 0);
        assert_eq!(t.index_of(&Value::from("beta")), 1);
        assert_eq!(t.index_of(&Value::Int(7)), 3);
        // Not in the table under its own hash any more: a new entry.
        assert_eq!(t.index_of(&Value::from("gamma")), 4);
        assert_eq!(t.index_of(&Value::from(String::from("alpha"))), 0);
        // One `values` entry was written per new index.
        assert_eq!(t.count, 5);
        t.clear();
        assert_eq!(t.index_of(&Value::from("beta")), 0);
    }

    #[test]
    fn keys_are_deduplicated() {
        let mut k = KeyTable::default();
        assert_eq!(k.index_of(0, "name"), 0);
        assert_eq!(k.index_of(1, "kind"), 1);
        assert_eq!(k.index_of(0, "name"), 0);
        assert_eq!(k.index_of(0, "kind"), 1);
        assert_eq!(k.index_of(1, "name"), 0);
        assert_eq!(k.index_of(5, "name"), 0);
        // Two `keys` fields: tag 0x1a, length, bytes.
        assert_eq!(k.encoded, b"\x1a\x04name\x1a\x04kind");
    }
}
