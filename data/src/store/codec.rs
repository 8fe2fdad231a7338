//! Geometry columns as WKB (through geozero), node lists as little-endian i64.

use geo::{Geometry, LineString, MultiPolygon};
use geozero::wkb::Wkb;
use geozero::{CoordDimensions, ToGeo, ToWkb};

use crate::error::{DataError, Result};

fn corrupt(table: &'static str, column: &'static str, id: i64, message: String) -> DataError {
    DataError::Corrupt {
        table,
        column,
        id,
        message,
    }
}

pub fn encode(geometry: Geometry<f64>) -> Result<Vec<u8>> {
    geometry
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| DataError::InvalidFeature {
            feature: "geometry".into(),
            message: e.to_string(),
        })
}

pub fn encode_multipolygon(mp: &MultiPolygon<f64>) -> Result<Vec<u8>> {
    encode(Geometry::MultiPolygon(mp.clone()))
}

pub fn encode_line(line: &LineString<f64>) -> Result<Vec<u8>> {
    encode(Geometry::LineString(line.clone()))
}

fn decode(
    bytes: Vec<u8>,
    table: &'static str,
    column: &'static str,
    id: i64,
) -> Result<Geometry<f64>> {
    Wkb(bytes)
        .to_geo()
        .map_err(|e| corrupt(table, column, id, e.to_string()))
}

pub fn decode_multipolygon(
    bytes: Vec<u8>,
    table: &'static str,
    column: &'static str,
    id: i64,
) -> Result<MultiPolygon<f64>> {
    match decode(bytes, table, column, id)? {
        Geometry::MultiPolygon(mp) => Ok(mp),
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        other => Err(corrupt(
            table,
            column,
            id,
            format!("expected a polygon, found {other:?}"),
        )),
    }
}

pub fn decode_line(
    bytes: Vec<u8>,
    table: &'static str,
    column: &'static str,
    id: i64,
) -> Result<LineString<f64>> {
    match decode(bytes, table, column, id)? {
        Geometry::LineString(l) => Ok(l),
        _ => Err(corrupt(table, column, id, "expected a line string".into())),
    }
}

pub fn encode_ids(ids: &[i64]) -> Vec<u8> {
    ids.iter().flat_map(|i| i.to_le_bytes()).collect()
}

pub fn decode_ids(
    bytes: &[u8],
    table: &'static str,
    column: &'static str,
    id: i64,
) -> Result<Vec<i64>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(corrupt(
            table,
            column,
            id,
            "length is not a multiple of 8".into(),
        ));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            i64::from_le_bytes(a)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipolygon_round_trips_through_wkb() {
        let mp = MultiPolygon(vec![geo::Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]),
            vec![LineString::from(vec![
                (0.2, 0.1),
                (0.8, 0.1),
                (0.8, 0.7),
                (0.2, 0.1),
            ])],
        )]);
        let bytes = encode_multipolygon(&mp).expect("encode");
        assert_eq!(decode_multipolygon(bytes, "t", "c", 1).expect("decode"), mp);
    }

    #[test]
    fn ids_round_trip_and_bad_length_is_corrupt() {
        let ids = vec![1, -5, i64::MAX];
        assert_eq!(
            decode_ids(&encode_ids(&ids), "t", "c", 1).expect("decode"),
            ids
        );
        assert!(decode_ids(&[1, 2, 3], "t", "c", 1).is_err());
    }
}
