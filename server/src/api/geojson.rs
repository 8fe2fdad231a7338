//! GeoJSON (RFC 7946) answers, built with the `geojson` crate, and their
//! OpenAPI schemas: a feature's `properties` schema is derived from the
//! struct the properties are serialised from.

use std::borrow::Cow;

use geo::{LineString, MultiPolygon, Point};
use geojson::{Feature, FeatureCollection, Geometry, Value as Shape};
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use gridmap_analysis::planning::GridKey;
use gridmap_data::model::Id;

/// The media type of GeoJSON.
pub const MEDIA_TYPE: &str = "application/geo+json";

pub fn line(l: &LineString<f64>) -> Geometry {
    Geometry::new(Shape::from(l))
}

pub fn multipolygon(m: &MultiPolygon<f64>) -> Geometry {
    Geometry::new(Shape::from(m))
}

pub fn point(p: Point<f64>) -> Geometry {
    Geometry::new(Shape::from(&p))
}

/// A feature with these properties (serialised as a JSON object).
pub fn feature(
    id: Option<i64>,
    geometry: Option<Geometry>,
    properties: &impl Serialize,
) -> Feature {
    let properties = match serde_json::to_value(properties) {
        Ok(serde_json::Value::Object(o)) => Some(o),
        _ => None,
    };
    Feature {
        bbox: None,
        geometry,
        id: id.map(|i| geojson::feature::Id::Number(i.into())),
        properties,
        foreign_members: None,
    }
}

pub fn collection(features: Vec<Feature>) -> FeatureCollection {
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

// ------------------------------------------------------------ schemas

fn string_enum(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// A geometry of one of these types (`coordinates` nested arrays of numbers).
fn geometry(kinds: &[&str]) -> Schema {
    ObjectBuilder::new()
        .property("type", string_enum(kinds))
        .property("coordinates", ArrayBuilder::new())
        .required("type")
        .required("coordinates")
        .into()
}

fn nullable(schema: Schema) -> Schema {
    OneOfBuilder::new()
        .item(schema)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// A feature: its geometry (nullable when `may_lack_geometry`), properties, optional numeric id.
fn feature_schema(geometry: Schema, may_lack_geometry: bool, properties: RefOr<Schema>) -> Schema {
    let geometry = if may_lack_geometry {
        nullable(geometry)
    } else {
        geometry
    };
    ObjectBuilder::new()
        .property("type", string_enum(&["Feature"]))
        .property("id", ObjectBuilder::new().schema_type(Type::Integer))
        .property("geometry", geometry)
        .property("properties", properties)
        .required("type")
        .required("geometry")
        .required("properties")
        .into()
}

fn collection_schema(feature: Schema) -> Schema {
    ObjectBuilder::new()
        .property("type", string_enum(&["FeatureCollection"]))
        .property("features", ArrayBuilder::new().items(RefOr::T(feature)))
        .required("type")
        .required("features")
        .into()
}

/// Defines a documentation type whose schema is `$schema`.
macro_rules! doc_schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                RefOr::T($schema)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

doc_schema!(
    /// A GeoJSON LineString geometry.
    LineStringGeometry => geometry(&["LineString"])
);

doc_schema!(
    /// A GeoJSON MultiPolygon geometry.
    MultiPolygonGeometry => geometry(&["MultiPolygon"])
);

/// Properties of a grid in a plan's map layers.
#[derive(Serialize, ToSchema)]
pub struct GridProperties {
    /// The grid's key in the plan.
    pub key: GridKey,
}

/// Properties of a building in a plan's map layers.
#[derive(Serialize, ToSchema)]
pub struct BuildingProperties {
    pub households: u64,
    /// The key of the grid the plan puts it in.
    pub grid: Option<GridKey>,
    /// Name, else address.
    pub name: Option<String>,
}

/// Properties of a station's walking area.
#[derive(Serialize, ToSchema)]
pub struct IsochroneProperties {
    pub station_id: Id,
    pub minutes: f64,
    pub metres: f64,
    pub speed_m_s: f64,
}

/// Properties of a grid in a plan's GeoJSON export.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documentation of `planning::exchange::to_geojson`
pub struct ExportProperties {
    key: GridKey,
    code: String,
    name: String,
    kind: gridmap_data::model::GridKind,
    locked: bool,
    households: u64,
    buildings: u64,
}

doc_schema!(
    /// The grids of a plan's map: one MultiPolygon feature per grid, `id` = key.
    GridFeatures => collection_schema(feature_schema(geometry(&["MultiPolygon"]), false, GridProperties::schema()))
);

doc_schema!(
    /// The buildings of a plan's map: one Point feature per building, `id` = building id.
    BuildingFeatures => collection_schema(feature_schema(geometry(&["Point"]), false, BuildingProperties::schema()))
);

doc_schema!(
    /// The area a station reaches on foot.
    IsochroneFeature => feature_schema(geometry(&["MultiPolygon"]), false, IsochroneProperties::schema())
);

doc_schema!(
    /// A plan's grids: one feature per grid, without geometry when it has no buildings.
    PlanExport => collection_schema(feature_schema(geometry(&["MultiPolygon", "Polygon"]), true, ExportProperties::schema()))
);

#[cfg(test)]
mod tests {
    use geo::{coord, polygon};

    use super::*;

    #[test]
    fn the_same_json_as_the_hand_built_geojson() {
        let l = LineString::from(vec![coord! {x: 1.0, y: 2.0}, coord! {x: 3.0, y: 4.5}]);
        assert_eq!(
            serde_json::to_value(line(&l)).unwrap(),
            serde_json::json!({"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.5]]})
        );
        let m = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)],
        ]);
        let f = feature(Some(7), Some(multipolygon(&m)), &GridProperties { key: 7 });
        assert_eq!(
            serde_json::to_value(collection(vec![f])).unwrap(),
            serde_json::json!({"type": "FeatureCollection", "features": [{
                "type": "Feature", "id": 7, "properties": {"key": 7},
                "geometry": {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]]},
            }]})
        );
    }
}
