//! `gridmap import geojson --layer communities|grids|buildings|stations FILE`
//! (RFC 7946). The whole file is validated before anything is written; each
//! error names the feature (its index and code/name) and what is wrong.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use geo::{Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon, Validation};
use geojson::{Feature, GeoJson, Value};
use serde_json::{Map, Value as Json};

use crate::atlas::Atlas;
use crate::error::{DataError, Result};
use crate::estimate;
use crate::limits::ImportLimits;
use crate::model::{
    Building, Community, Dataset, Grid, GridKind, HouseholdSource, OsmKey, OsmType, Station,
    StationTier, StreetOffice,
};

/// The layer a GeoJSON file fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Communities,
    Grids,
    Buildings,
    Stations,
}

impl FromStr for Layer {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "communities" => Ok(Layer::Communities),
            "grids" => Ok(Layer::Grids),
            "buildings" => Ok(Layer::Buildings),
            "stations" => Ok(Layer::Stations),
            other => Err(DataError::UnknownLayer(other.to_owned())),
        }
    }
}

/// Validated features, ready to insert. Street offices are those the
/// communities name that the store does not have yet.
#[derive(Debug, Default)]
pub struct Parsed {
    pub street_offices: Vec<StreetOffice>,
    /// Communities with the code of their street office (if any).
    pub communities: Vec<(Community, Option<String>)>,
    pub grids: Vec<Grid>,
    pub buildings: Vec<Building>,
    pub stations: Vec<Station>,
}

struct Ctx<'a> {
    label: String,
    props: &'a Map<String, Json>,
}

impl Ctx<'_> {
    fn fail(&self, message: impl Into<String>) -> DataError {
        DataError::InvalidFeature {
            feature: self.label.clone(),
            message: message.into(),
        }
    }
    fn text(&self, key: &str) -> Result<Option<String>> {
        match self.props.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Json::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.fail(format!("property `{key}` must be a string"))),
        }
    }
    fn required(&self, key: &str) -> Result<String> {
        self.text(key)?
            .ok_or_else(|| self.fail(format!("property `{key}` is required")))
    }
    fn uint(&self, key: &str) -> Result<Option<u32>> {
        match self.props.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| {
                    self.fail(format!("property `{key}` must be a non-negative integer"))
                }),
            Some(Json::String(s)) => {
                s.trim().parse::<u32>().map(Some).map_err(|_| {
                    self.fail(format!("property `{key}` must be a non-negative integer"))
                })
            }
            Some(_) => Err(self.fail(format!("property `{key}` must be a non-negative integer"))),
        }
    }
    /// `osm_id`: a number (a bare one names a `bare` element, a negative one
    /// a relation) or a typed reference (`w123`, `way/123`, `n5`, `r45` …).
    fn osm_key(&self, key: &str, bare: OsmType) -> Result<Option<OsmKey>> {
        let text = match self.props.get(key) {
            None | Some(Json::Null) => return Ok(None),
            Some(Json::Number(n)) => n.to_string(),
            Some(Json::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Json::String(s)) => s.clone(),
            Some(_) => String::new(),
        };
        OsmKey::parse(&text, bare).map(Some).ok_or_else(|| {
            self.fail(format!(
                "property `{key}` must be an OSM id (123, w123, way/123, n5, node/5, r45, relation/45), found `{text}`"
            ))
        })
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn ring(ctx: &Ctx<'_>, positions: &[Vec<f64>]) -> Result<LineString<f64>> {
    if positions.len() < 4 {
        return Err(ctx.fail(format!(
            "a polygon ring needs at least 4 positions, found {}",
            positions.len()
        )));
    }
    let coords = positions
        .iter()
        .map(|p| position(ctx, p))
        .collect::<Result<Vec<_>>>()?;
    if coords.first() != coords.last() {
        return Err(ctx.fail("a polygon ring must end where it starts (RFC 7946 §3.1.6)"));
    }
    Ok(LineString::new(coords))
}

fn position(ctx: &Ctx<'_>, p: &[f64]) -> Result<Coord<f64>> {
    if p.len() < 2 {
        return Err(ctx.fail("a position needs longitude and latitude"));
    }
    let (x, y) = (p[0], p[1]);
    if !x.is_finite()
        || !y.is_finite()
        || !(-180.0..=180.0).contains(&x)
        || !(-90.0..=90.0).contains(&y)
    {
        return Err(ctx.fail(format!(
            "position ({x}, {y}) is not a WGS84 longitude/latitude"
        )));
    }
    Ok(Coord { x, y })
}

fn polygon(ctx: &Ctx<'_>, rings: &[Vec<Vec<f64>>]) -> Result<Polygon<f64>> {
    let mut it = rings.iter();
    let exterior = it
        .next()
        .ok_or_else(|| ctx.fail("a polygon needs an exterior ring"))?;
    Ok(Polygon::new(
        ring(ctx, exterior)?,
        it.map(|r| ring(ctx, r)).collect::<Result<Vec<_>>>()?,
    ))
}

fn polygonal(ctx: &Ctx<'_>, feature: &Feature) -> Result<MultiPolygon<f64>> {
    let geometry = feature
        .geometry
        .as_ref()
        .ok_or_else(|| ctx.fail("feature has no geometry"))?;
    let mp = match &geometry.value {
        Value::Polygon(rings) => MultiPolygon(vec![polygon(ctx, rings)?]),
        Value::MultiPolygon(polys) => MultiPolygon(
            polys
                .iter()
                .map(|p| polygon(ctx, p))
                .collect::<Result<Vec<_>>>()?,
        ),
        other => {
            return Err(ctx.fail(format!(
                "expected a Polygon or MultiPolygon, found {}",
                other.type_name()
            )));
        }
    };
    if mp.0.is_empty() {
        return Err(ctx.fail("MultiPolygon has no polygons"));
    }
    if let Err(e) = mp.check_validation() {
        return Err(ctx.fail(format!("invalid polygon: {e}")));
    }
    Ok(mp)
}

fn point(ctx: &Ctx<'_>, feature: &Feature) -> Result<Point<f64>> {
    let geometry = feature
        .geometry
        .as_ref()
        .ok_or_else(|| ctx.fail("feature has no geometry"))?;
    match &geometry.value {
        Value::Point(p) => Ok(Point(position(ctx, p)?)),
        other => Err(ctx.fail(format!("expected a Point, found {}", other.type_name()))),
    }
}

fn features(text: &str) -> Result<Vec<Feature>> {
    match GeoJson::from_str(text).map_err(|e| DataError::GeoJson(e.to_string()))? {
        GeoJson::FeatureCollection(fc) => Ok(fc.features),
        GeoJson::Feature(f) => Ok(vec![f]),
        GeoJson::Geometry(_) => Err(DataError::GeoJson(
            "expected a FeatureCollection or Feature, found a bare Geometry".into(),
        )),
    }
}

fn label(i: usize, f: &Feature) -> String {
    let props = f.properties.as_ref();
    let named = ["code", "name"]
        .iter()
        .find_map(|k| props.and_then(|p| p.get(*k)).and_then(Json::as_str));
    match named {
        Some(n) => format!("feature #{} ({n})", i + 1),
        None => format!("feature #{}", i + 1),
    }
}

/// How many positions a geometry holds, over all its parts and rings.
fn vertex_count(value: &Value) -> usize {
    match value {
        Value::Point(_) => 1,
        Value::MultiPoint(ps) | Value::LineString(ps) => ps.len(),
        Value::MultiLineString(ls) | Value::Polygon(ls) => ls.iter().map(Vec::len).sum(),
        Value::MultiPolygon(polys) => polys.iter().flatten().map(Vec::len).sum(),
        Value::GeometryCollection(gs) => gs.iter().map(|g| vertex_count(&g.value)).sum(),
    }
}

/// Parse and validate a layer against what the store already holds, under
/// the default [`ImportLimits`]. A code or OSM id the store holds is fine
/// (the import updates that row); one met twice in the file is an error.
pub fn parse(layer: Layer, text: &str, existing: &Atlas) -> Result<Parsed> {
    parse_with(layer, text, existing, &ImportLimits::DEFAULT)
}

/// [`parse`] under explicit limits.
pub fn parse_with(
    layer: Layer,
    text: &str,
    existing: &Atlas,
    limits: &ImportLimits,
) -> Result<Parsed> {
    let empty = Map::new();
    let mut out = Parsed::default();
    let d: &Dataset = existing.data();
    let mut codes: HashMap<String, String> = HashMap::new();
    let mut osm_keys: HashMap<OsmKey, String> = HashMap::new();
    let mut new_offices: HashSet<String> = HashSet::new();
    let features = features(text)?;
    if features.is_empty() {
        return Err(DataError::GeoJson("the file has no features".into()));
    }
    if features.len() > limits.max_features {
        return Err(DataError::TooManyFeatures {
            count: features.len(),
            max: limits.max_features,
        });
    }
    for (i, f) in features.iter().enumerate() {
        if let Some(g) = &f.geometry {
            let vertices = vertex_count(&g.value);
            if vertices > limits.max_vertices {
                return Err(DataError::TooManyVertices {
                    feature: label(i, f),
                    vertices,
                    max: limits.max_vertices,
                });
            }
        }
        let ctx = Ctx {
            label: label(i, f),
            props: f.properties.as_ref().unwrap_or(&empty),
        };
        match layer {
            Layer::Communities => {
                let code = ctx.required("code")?;
                if !digits(&code, 12) {
                    return Err(ctx.fail(format!(
                        "community code `{code}` must be 12 digits (6 admin + 3 street + 3 community)"
                    )));
                }
                if let Some(first) = codes.insert(code.clone(), ctx.label.clone()) {
                    return Err(ctx.fail(format!(
                        "community code `{code}` is already used by {first} of this file"
                    )));
                }
                let office = code[..9].to_owned();
                let known = d.street_offices.iter().any(|s| s.code == office);
                if !known && new_offices.insert(office.clone()) {
                    let name = ctx
                        .text("street_office_name")?
                        .unwrap_or_else(|| format!("街道 {office}"));
                    out.street_offices.push(StreetOffice {
                        id: 0,
                        code: office.clone(),
                        name,
                    });
                }
                out.communities.push((
                    Community {
                        id: 0,
                        street_office_id: None,
                        name: ctx.required("name")?,
                        code,
                        boundary: polygonal(&ctx, f)?,
                    },
                    Some(office),
                ));
            }
            Layer::Grids => {
                let code = ctx.required("code")?;
                if !digits(&code, 15) {
                    return Err(ctx.fail(format!(
                        "grid code `{code}` must be 15 digits (6 admin + 3 street + 3 community + 3 sequence)"
                    )));
                }
                if let Some(first) = codes.insert(code.clone(), ctx.label.clone()) {
                    return Err(ctx.fail(format!(
                        "grid code `{code}` is already used by {first} of this file"
                    )));
                }
                let boundary = polygonal(&ctx, f)?;
                let community = match ctx.text("community_code")? {
                    Some(cc) => d
                        .communities
                        .iter()
                        .find(|c| c.code == cc)
                        .ok_or_else(|| ctx.fail(format!("no community with code `{cc}`")))?,
                    None => boundary
                        .interior_point()
                        .and_then(|p| existing.community_at(p))
                        .ok_or_else(|| {
                            ctx.fail("no `community_code` and the grid lies in no known community")
                        })?,
                };
                if !code.starts_with(&community.code) {
                    return Err(ctx.fail(format!(
                        "grid code `{code}` must start with its community's code `{}`",
                        community.code
                    )));
                }
                let kind = match ctx.text("kind")? {
                    None => GridKind::Basic,
                    Some(k) => GridKind::parse(&k).ok_or_else(|| {
                        ctx.fail(format!("kind `{k}` must be basic or dedicated"))
                    })?,
                };
                out.grids.push(Grid {
                    id: 0,
                    community_id: community.id,
                    name: ctx.required("name")?,
                    code,
                    kind,
                    boundary,
                });
            }
            Layer::Buildings => {
                let footprint = polygonal(&ctx, f)?;
                let point = footprint
                    .interior_point()
                    .ok_or_else(|| ctx.fail("polygon has no interior point"))?;
                let class = ctx.text("class")?.unwrap_or_else(|| "yes".into());
                let levels = ctx.uint("levels")?;
                let (households, household_source) = match ctx.uint("households")? {
                    Some(h) => (h, HouseholdSource::Surveyed),
                    None if estimate::counts_as_housing(&class, false) => (
                        estimate::estimate_households(
                            estimate::footprint_area_m2(&footprint),
                            levels,
                        ),
                        HouseholdSource::Estimated,
                    ),
                    None => (0, HouseholdSource::Estimated),
                };
                let osm = ctx.osm_key("osm_id", OsmType::Way)?;
                if let Some(k) = osm {
                    if k.kind == OsmType::Node {
                        return Err(ctx.fail(format!(
                            "`osm_id` {k}: a building is an OSM way or relation"
                        )));
                    }
                    if let Some(first) = osm_keys.insert(k, ctx.label.clone()) {
                        return Err(ctx.fail(format!(
                            "`osm_id` {k} is already used by {first} of this file"
                        )));
                    }
                }
                out.buildings.push(Building {
                    id: 0,
                    osm_id: osm.map(OsmKey::stored_id),
                    name: ctx.text("name")?,
                    address: ctx.text("address")?,
                    class,
                    levels,
                    households,
                    household_source,
                    footprint,
                    point,
                    grid_id: None,
                });
            }
            Layer::Stations => {
                let tier_text = ctx.required("tier")?;
                let tier = StationTier::parse(&tier_text).ok_or_else(|| {
                    ctx.fail(format!(
                        "tier `{tier_text}` must be centre, station or point"
                    ))
                })?;
                let osm = ctx.osm_key("osm_id", OsmType::Node)?;
                if let Some(k) = osm
                    && let Some(first) = osm_keys.insert(k, ctx.label.clone())
                {
                    return Err(ctx.fail(format!(
                        "`osm_id` {k} is already used by {first} of this file"
                    )));
                }
                out.stations.push(Station {
                    id: 0,
                    osm_id: osm.map(OsmKey::stored_id),
                    osm_type: osm.map(|k| k.kind),
                    name: ctx.required("name")?,
                    tier,
                    kind: ctx.text("kind")?,
                    opening_hours: ctx.text("opening_hours")?,
                    point: point(&ctx, f)?,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[118.0,32.0],[118.1,32.0],[118.1,32.1],[118.0,32.1],[118.0,32.0]]]}"#;

    #[test]
    fn communities_parse_with_their_street_office() {
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{"code":"320102001001","name":"A社区"}},"geometry":{SQUARE}}}"#
        ));
        let p = parse(Layer::Communities, &text, &Atlas::empty()).expect("valid");
        assert_eq!(p.communities.len(), 1);
        assert_eq!(p.street_offices.len(), 1);
        assert_eq!(p.street_offices[0].code, "320102001");
    }

    #[test]
    fn self_intersecting_polygon_is_named_in_the_error() {
        let bowtie = r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#;
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{"name":"ok"}},"geometry":{SQUARE}}},{{"type":"Feature","properties":{{"name":"坏楼"}},"geometry":{bowtie}}}"#
        ));
        let err = parse(Layer::Buildings, &text, &Atlas::empty()).expect_err("invalid");
        let msg = err.to_string();
        assert!(msg.contains("feature #2 (坏楼)"), "{msg}");
        assert!(msg.contains("invalid polygon"), "{msg}");
    }

    #[test]
    fn short_ring_and_wrong_geometry_are_rejected() {
        let short = r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}"#;
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{short}}}"#
        ));
        let msg = parse(Layer::Buildings, &text, &Atlas::empty())
            .expect_err("short")
            .to_string();
        assert!(msg.contains("at least 4 positions"), "{msg}");
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{"name":"x","tier":"point"}},"geometry":{SQUARE}}}"#
        ));
        let msg = parse(Layer::Stations, &text, &Atlas::empty())
            .expect_err("polygon station")
            .to_string();
        assert!(msg.contains("expected a Point"), "{msg}");
    }

    #[test]
    fn grid_needs_a_community() {
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{"code":"320102001001001","name":"网格1"}},"geometry":{SQUARE}}}"#
        ));
        let msg = parse(Layer::Grids, &text, &Atlas::empty())
            .expect_err("orphan")
            .to_string();
        assert!(msg.contains("no known community"), "{msg}");
    }

    #[test]
    fn unknown_layer_and_malformed_json() {
        assert!(Layer::from_str("roads").is_err());
        assert!(parse(Layer::Buildings, "{not json", &Atlas::empty()).is_err());
    }

    #[test]
    fn buildings_with_households_are_surveyed() {
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{"households":"120","class":"residential"}},"geometry":{SQUARE}}}"#
        ));
        let p = parse(Layer::Buildings, &text, &Atlas::empty()).expect("valid");
        assert_eq!(p.buildings[0].households, 120);
        assert_eq!(p.buildings[0].household_source, HouseholdSource::Surveyed);
    }
}
