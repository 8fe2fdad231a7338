//! `gridmap import households FILE.csv`: surveyed household counts.
//!
//! The CSV has a header with `households` and either `building_id` (gridmap
//! id) or `osm_id` (`123`, `w123` or `way/123` for ways, `r45` or
//! `relation/45` for relations). Every line is checked against the store
//! before anything is written; the first bad line is reported by number.

use std::collections::HashMap;

use crate::atlas::Atlas;
use crate::error::{DataError, Result};
use crate::import::osm::relation_osm_id;
use crate::limits::ImportLimits;
use crate::model::Id;

/// A parsed update: building id → surveyed households.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdUpdate {
    pub building_id: Id,
    pub households: u32,
    /// CSV line (1-based, header is line 1).
    pub line: u64,
}

fn parse_osm_ref(s: &str) -> Option<i64> {
    let s = s.trim();
    let (kind, num) = if let Some(n) = s.strip_prefix("way/") {
        ('w', n)
    } else if let Some(n) = s.strip_prefix("relation/") {
        ('r', n)
    } else if let Some(n) = s.strip_prefix('w') {
        ('w', n)
    } else if let Some(n) = s.strip_prefix('r') {
        ('r', n)
    } else {
        ('w', s)
    };
    let id: i64 = num.parse().ok().filter(|v: &i64| *v > 0)?;
    Some(if kind == 'r' { relation_osm_id(id) } else { id })
}

/// Parse and resolve every line against the atlas of the store, under the
/// default [`ImportLimits`].
pub fn parse(text: &str, atlas: &Atlas) -> Result<Vec<HouseholdUpdate>> {
    parse_with(text, atlas, &ImportLimits::DEFAULT)
}

/// [`parse`] under explicit limits (at most `max_features` data rows).
pub fn parse_with(
    text: &str,
    atlas: &Atlas,
    limits: &ImportLimits,
) -> Result<Vec<HouseholdUpdate>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DataError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let households_col = col("households").ok_or_else(|| DataError::Csv {
        line: 1,
        message: "header has no `households` column".into(),
    })?;
    let (id_col, by_osm) = match (col("building_id"), col("osm_id")) {
        (Some(c), _) => (c, false),
        (None, Some(c)) => (c, true),
        (None, None) => {
            return Err(DataError::Csv {
                line: 1,
                message: "header needs a `building_id` or `osm_id` column".into(),
            });
        }
    };
    let by_osm_id: HashMap<i64, Id> = if by_osm {
        atlas
            .data()
            .buildings
            .iter()
            .filter_map(|b| b.osm_id.map(|o| (o, b.id)))
            .collect()
    } else {
        HashMap::new()
    };
    let mut seen: HashMap<Id, u64> = HashMap::new();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DataError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if out.len() >= limits.max_features {
            return Err(DataError::TooManyFeatures {
                count: out.len() + 1,
                max: limits.max_features,
            });
        }
        let fail = |message: String| DataError::Csv { line, message };
        let id_text = record.get(id_col).unwrap_or_default();
        let building_id = if by_osm {
            let osm = parse_osm_ref(id_text).ok_or_else(|| {
                fail(format!(
                    "`{id_text}` is not an OSM id (123, w123, way/123, r45)"
                ))
            })?;
            *by_osm_id
                .get(&osm)
                .ok_or_else(|| fail(format!("no building with OSM id `{id_text}`")))?
        } else {
            let id: Id = id_text
                .parse()
                .map_err(|_| fail(format!("`{id_text}` is not a building id")))?;
            atlas
                .building(id)
                .ok_or_else(|| fail(format!("no building with id {id}")))?
                .id
        };
        let h_text = record.get(households_col).unwrap_or_default();
        let households: u32 = h_text.parse().map_err(|_| {
            fail(format!(
                "households `{h_text}` is not a non-negative integer"
            ))
        })?;
        if let Some(first) = seen.insert(building_id, line) {
            return Err(fail(format!(
                "building {id_text} is listed twice (first on line {first})"
            )));
        }
        out.push(HouseholdUpdate {
            building_id,
            households,
            line,
        });
    }
    if out.is_empty() {
        return Err(DataError::Csv {
            line: 1,
            message: "no data lines".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osm_refs_in_every_spelling() {
        assert_eq!(parse_osm_ref("123"), Some(123));
        assert_eq!(parse_osm_ref("w123"), Some(123));
        assert_eq!(parse_osm_ref("way/123"), Some(123));
        assert_eq!(parse_osm_ref("r45"), Some(-45));
        assert_eq!(parse_osm_ref("relation/45"), Some(-45));
        assert_eq!(parse_osm_ref("x"), None);
        assert_eq!(parse_osm_ref("-3"), None);
    }

    #[test]
    fn empty_store_rejects_every_id_with_its_line() {
        let err = parse("building_id,households\n5,100\n", &Atlas::empty()).expect_err("unknown");
        assert_eq!(err.to_string(), "CSV line 2: no building with id 5");
    }

    #[test]
    fn header_must_name_the_columns() {
        let err = parse("id,count\n5,100\n", &Atlas::empty()).expect_err("header");
        assert!(err.to_string().contains("households"));
    }
}
