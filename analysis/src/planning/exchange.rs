//! Export and import: grids as a GeoJSON FeatureCollection, and the
//! building → grid assignment as CSV (`building_id,grid_code`), e.g. to start
//! from a paper plan.

use std::collections::BTreeMap;

use geojson::{Feature, FeatureCollection, Geometry, JsonObject, JsonValue};
use gridmap_data::model::{GridKind, Id};

use super::codes::parse_code;
use super::error::{EditError, ExchangeError};
use super::input::CommunityInput;
use super::plan::{PlanGrid, PlanState};
use super::polygons::grid_polygons;

/// Grids as GeoJSON features (longitude/latitude) with their properties.
pub fn to_geojson(input: &CommunityInput, plan: &PlanState) -> FeatureCollection {
    let polys = grid_polygons(input, plan);
    let hh = plan.households(input);
    let members = plan.members();
    let features = plan
        .grids
        .iter()
        .map(|g| {
            let mut props = JsonObject::new();
            props.insert("key".into(), JsonValue::from(g.key));
            props.insert("code".into(), JsonValue::from(g.code.clone()));
            props.insert("name".into(), JsonValue::from(g.name.clone()));
            props.insert("kind".into(), JsonValue::from(g.kind.as_str()));
            props.insert("locked".into(), JsonValue::from(g.locked));
            props.insert(
                "households".into(),
                JsonValue::from(hh.get(&g.key).copied().unwrap_or(0)),
            );
            props.insert(
                "buildings".into(),
                JsonValue::from(members.get(&g.key).map_or(0, Vec::len)),
            );
            Feature {
                bbox: None,
                geometry: polys
                    .get(&g.key)
                    .map(|m| Geometry::new(geojson::Value::from(m))),
                id: None,
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

/// The assignment as CSV, sorted by building id.
pub fn assignment_csv(plan: &PlanState) -> String {
    let mut s = String::from("building_id,grid_code\n");
    for (b, k) in &plan.assignment {
        if let Some(g) = plan.grid(*k) {
            s.push_str(&format!("{b},{}\n", g.code));
        }
    }
    s
}

/// Parse `building_id,grid_code` rows (header required, extra columns ignored).
pub fn parse_assignment_csv(text: &str) -> Result<Vec<(Id, String)>, ExchangeError> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| ExchangeError::Csv {
        line: 1,
        message: e.to_string(),
    })?;
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (Some(bc), Some(gc)) = (col("building_id"), col("grid_code")) else {
        return Err(ExchangeError::MissingHeader);
    };
    let max = gridmap_data::limits::MAX_FEATURES_PER_BATCH;
    let mut out = Vec::new();
    for rec in r.records() {
        if out.len() == max {
            return Err(ExchangeError::TooManyRows { max });
        }
        let rec = rec.map_err(|e| ExchangeError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let b = rec.get(bc).unwrap_or("");
        let id: Id = b.parse().map_err(|_| ExchangeError::Csv {
            line,
            message: format!("building_id {b:?} is not a whole number"),
        })?;
        let code = rec.get(gc).unwrap_or("").to_string();
        if code.is_empty() {
            return Err(ExchangeError::Csv {
                line,
                message: "grid_code is empty".into(),
            });
        }
        out.push((id, code));
    }
    Ok(out)
}

/// A plan from imported rows: one basic grid per distinct code (codes must
/// be valid for the community), each building in its row's grid. Buildings
/// not listed stay unassigned (validation reports them).
pub fn plan_from_assignment(
    input: &CommunityInput,
    rows: &[(Id, String)],
) -> Result<PlanState, ExchangeError> {
    let mut plan = PlanState::empty(input.community_id, &input.community_code);
    let mut keys: BTreeMap<&str, u32> = BTreeMap::new();
    let mut codes: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        parse_code(code, &input.community_code).map_err(|e| ExchangeError::Csv {
            line: rows
                .iter()
                .position(|r| r.1 == code)
                .map_or(0, |p| p as u64 + 2),
            message: e.to_string(),
        })?;
        let key = plan.fresh_key();
        keys.insert(code, key);
        plan.insert_grid(PlanGrid {
            key,
            code: code.to_string(),
            name: format!(
                "第{}网格",
                code.get(12..).unwrap_or("").trim_start_matches('0')
            ),
            kind: GridKind::Basic,
            locked: false,
            people: Vec::new(),
            outline: None,
        });
    }
    for (n, (b, code)) in rows.iter().enumerate() {
        if input.position(*b).is_none() {
            return Err(ExchangeError::Csv {
                line: n as u64 + 2,
                message: EditError::UnknownBuilding(*b).to_string(),
            });
        }
        if let Some(&key) = keys.get(code.as_str())
            && plan.assignment.insert(*b, key).is_some_and(|k| k != key)
        {
            return Err(ExchangeError::Csv {
                line: n as u64 + 2,
                message: format!("building {b} is listed in two grids"),
            });
        }
    }
    Ok(plan)
}
