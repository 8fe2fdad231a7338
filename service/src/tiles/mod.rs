//! Vector tiles from the Atlas: which features go in which layer at which
//! zoom, and with which public attributes. Encoding is `gridmap_tiles`'s job;
//! caching encoded tiles for HTTP is gridmap-server's (`tiles::cache`).
//!
//! The `coverage` layer (buildings classed by walking minutes to the nearest
//! station, no households) is its own tile source ([`render_coverage`],
//! `/tiles/coverage/{z}/{x}/{y}.mvt`): only the maps that show it pay for it,
//! and the base tiles never wait for a coverage run.

pub mod prepared;
pub mod tile_index;

use crate::coverage::CoverageSnapshot;
use gridmap_analysis::coverage::Status;
use gridmap_data::Atlas;
use gridmap_data::atlas::IndexedLayer;
use gridmap_data::model::{GridKind, Id};
use gridmap_tiles::{Prepared, Shape, TileBuilder, TileCoord, TileError, TileOptions, Value};

use self::prepared::{ZoomGeometry, at};
use self::tile_index::features_in;

/// Highest zoom with distinct data; clients overzoom past it.
pub const MAX_DATA_ZOOM: u8 = 18;

/// A layer's name, minimum zoom and public fields (name, TileJSON type).
pub type LayerSpec = (&'static str, u8, &'static [(&'static str, &'static str)]);

/// Every layer, in drawing order, for TileJSON.
pub const LAYERS: &[LayerSpec] = &[
    ("landuse", 12, &[("class", "String"), ("name", "String")]),
    ("water", 8, &[("name", "String")]),
    ("roads", 10, &[("class", "String"), ("name", "String")]),
    ("communities", 0, &[("code", "String"), ("name", "String")]),
    (
        "community_labels",
        0,
        &[("code", "String"), ("name", "String")],
    ),
    (
        "grids",
        10,
        &[("code", "String"), ("name", "String"), ("kind", "String")],
    ),
    (
        "grid_labels",
        13,
        &[("code", "String"), ("name", "String"), ("kind", "String")],
    ),
    ("buildings", 13, &[("name", "String")]),
    ("stations", 10, &[("name", "String"), ("tier", "String")]),
];

/// The one layer of the coverage tiles.
pub const COVERAGE_LAYER: LayerSpec =
    ("coverage", 13, &[("minutes", "Number"), ("band", "String")]);

pub(crate) fn min_zoom(layer: &str) -> u8 {
    LAYERS
        .iter()
        .chain([&COVERAGE_LAYER])
        .find(|l| l.0 == layer)
        .map_or(u8::MAX, |l| l.1)
}

/// The zoom from which a street class is drawn.
pub(crate) fn road_min_zoom(class: &str) -> u8 {
    match class {
        "motorway" | "trunk" | "primary" | "secondary" | "motorway_link" | "trunk_link"
        | "primary_link" | "secondary_link" => 10,
        "tertiary" | "tertiary_link" => 12,
        "residential" | "living_street" | "unclassified" | "service" | "pedestrian" => 13,
        _ => 15,
    }
}

/// Buildings are polygons from this zoom, points below it.
pub(crate) const BUILDING_POLYGON_ZOOM: u8 = 15;

fn opt<'a>(v: &'a Option<String>) -> Option<Value<'a>> {
    v.as_deref().map(Value::from)
}

fn add(
    layer: &mut gridmap_tiles::LayerBuilder,
    id: i64,
    shape: Shape<'_>,
    props: &[(&str, Value<'_>)],
) {
    // Store ids are positive; a negative id would not fit MVT's uint64 id.
    let id = u64::try_from(id).unwrap_or_default();
    layer.add_shape(id, shape, props.iter().map(|(k, v)| (*k, v)));
}

/// [`add`] from prepared geometry when there is some for this feature.
fn add_from(
    layer: &mut gridmap_tiles::LayerBuilder,
    id: i64,
    prepared: Option<&Prepared>,
    shape: Shape<'_>,
    props: &[(&str, Value<'_>)],
) {
    let Some(p) = prepared else {
        return add(layer, id, shape, props);
    };
    let id = u64::try_from(id).unwrap_or_default();
    layer.add_prepared(id, p, shape, props.iter().map(|(k, v)| (*k, v)));
}

/// A feature's properties, up to `N`, on the stack: no allocation per
/// feature.
struct Props<'a, const N: usize> {
    items: [(&'static str, Value<'a>); N],
    len: usize,
}

impl<'a, const N: usize> Props<'a, N> {
    fn new() -> Self {
        Props {
            items: std::array::from_fn(|_| ("", Value::Bool(false))),
            len: 0,
        }
    }

    fn push(&mut self, key: &'static str, value: Value<'a>) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (key, value);
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[(&'static str, Value<'a>)] {
        &self.items[..self.len]
    }
}

thread_local! {
    /// One builder per thread, reset for each tile: its buffers and key/value
    /// tables are reused instead of reallocated.
    static BUILDER: std::cell::RefCell<Option<TileBuilder>> = const { std::cell::RefCell::new(None) };
}

/// What a signed-in user may see beyond the public tile: household counts
/// (grids and buildings) and each grid's rule status, for the grids
/// `allows(grid_id, community_id)` says yes to.
pub struct Private<'a> {
    pub allows: &'a dyn Fn(Id, Id) -> bool,
    /// The household range (min, max) of a community's rules.
    pub limits: &'a dyn Fn(Id) -> (u64, u64),
}

impl Private<'_> {
    fn grid_allowed(&self, atlas: &Atlas, grid_id: Option<Id>) -> bool {
        grid_id
            .and_then(|g| atlas.grid(g))
            .is_some_and(|g| (self.allows)(g.id, g.community_id))
    }
}

/// A grid's rule status: `under`, `ok` or `over` its community's household
/// range; dedicated grids (专属网格) are `exempt`.
pub fn rule_status(kind: GridKind, households: u64, (min, max): (u64, u64)) -> &'static str {
    match kind {
        GridKind::Dedicated => "exempt",
        GridKind::Basic if households < min => "under",
        GridKind::Basic if households > max => "over",
        GridKind::Basic => "ok",
    }
}

/// Render one public tile (no household attributes).
pub fn render(atlas: &Atlas, coord: TileCoord) -> Result<Vec<u8>, TileError> {
    render_for(atlas, coord, None)
}

/// Render one tile, public or with a signed-in user's private attributes.
pub fn render_for(
    atlas: &Atlas,
    coord: TileCoord,
    private: Option<&Private<'_>>,
) -> Result<Vec<u8>, TileError> {
    render_prepared(atlas, coord, private, None)
}

/// [`render_for`] with the atlas's geometry prepared for the tile's zoom
/// ([`prepared::PreparedTiles`]), when there is some: the same tile, made
/// faster.
pub fn render_prepared(
    atlas: &Atlas,
    coord: TileCoord,
    private: Option<&Private<'_>>,
    prepared: Option<&ZoomGeometry>,
) -> Result<Vec<u8>, TileError> {
    with_builder(coord, |tile| fill(atlas, tile, private, prepared))
}

/// Render one coverage tile: the `coverage` layer alone (no households),
/// from a coverage snapshot of the same atlas version. Empty below the
/// layer's minimum zoom.
pub fn render_coverage(
    atlas: &Atlas,
    coord: TileCoord,
    coverage: &CoverageSnapshot,
    prepared: Option<&ZoomGeometry>,
) -> Result<Vec<u8>, TileError> {
    with_builder(coord, |tile| fill_coverage(atlas, tile, coverage, prepared))
}

/// Run `fill` on this thread's reusable builder reset to `coord`, and encode.
fn with_builder(
    coord: TileCoord,
    fill: impl FnOnce(&mut TileBuilder),
) -> Result<Vec<u8>, TileError> {
    BUILDER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok();
        match slot.as_deref_mut() {
            Some(Some(builder)) => {
                builder.reset(coord);
                fill(builder);
                Ok(builder.encode())
            }
            Some(empty) => {
                let mut builder = TileBuilder::new(coord, TileOptions::default())?;
                fill(&mut builder);
                let bytes = builder.encode();
                *empty = Some(builder);
                Ok(bytes)
            }
            // Re-entered on this thread (cannot happen today): no reuse.
            None => {
                let mut builder = TileBuilder::new(coord, TileOptions::default())?;
                fill(&mut builder);
                Ok(builder.encode())
            }
        }
    })
}

/// Add every layer's features for the builder's tile.
fn fill(
    atlas: &Atlas,
    tile: &mut TileBuilder,
    private: Option<&Private<'_>>,
    prepared: Option<&ZoomGeometry>,
) {
    let coord = tile.coord();
    let none: &[Option<Prepared>] = &[];
    let pick = |f: fn(&ZoomGeometry) -> &[Option<Prepared>]| prepared.map_or(none, f);
    let (p_areas, p_roads, p_communities, p_grids, p_buildings) = (
        pick(|g| &g.areas),
        pick(|g| &g.roads),
        pick(|g| &g.communities),
        pick(|g| &g.grids),
        pick(|g| &g.buildings),
    );
    let options = *tile.options();
    let z = coord.z();
    let bbox = coord.buffered_bounds(options.extent, options.buffer);
    let index = prepared.and_then(|g| g.index.as_ref());
    let features = |layer| features_in(index, atlas, layer, coord, bbox);
    let data = atlas.data();
    if z >= min_zoom("landuse") || z >= min_zoom("water") {
        for &i in features(IndexedLayer::Areas).iter() {
            let i = i as usize;
            let a = &data.areas[i];
            let is_water = a.kind == "water";
            let layer = if is_water { "water" } else { "landuse" };
            if z < min_zoom(layer) {
                continue;
            }
            let mut props = Props::<2>::new();
            if !is_water {
                props.push("class", Value::from(a.kind.as_str()));
            }
            if let Some(n) = opt(&a.name) {
                props.push("name", n);
            }
            add_from(
                tile.layer(layer),
                a.id,
                at(p_areas, i),
                Shape::Polygons(&a.geometry),
                props.as_slice(),
            );
        }
    }
    if z >= min_zoom("roads") {
        let layer = tile.layer("roads");
        for &i in features(IndexedLayer::Roads).iter() {
            let i = i as usize;
            let r = &data.roads[i];
            let prepared = at(p_roads, i);
            // Prepared geometry of a street hidden at this zoom is empty.
            if prepared.map_or_else(|| z < road_min_zoom(&r.class), Prepared::is_empty) {
                continue;
            }
            let mut props = Props::<2>::new();
            props.push("class", Value::from(r.class.as_str()));
            if let Some(n) = opt(&r.name) {
                props.push("name", n);
            }
            add_from(
                layer,
                r.id,
                prepared,
                Shape::Line(&r.geometry),
                props.as_slice(),
            );
        }
    }
    // One list per polygon layer serves its labels too: a label point lies
    // in its polygon, so the polygons meeting the tile include every one
    // whose label is in it.
    let communities = features(IndexedLayer::Communities);
    {
        let layer = tile.layer("communities");
        for &i in communities.iter() {
            let c = &data.communities[i as usize];
            let props = [
                ("code", Value::from(c.code.as_str())),
                ("name", Value::from(c.name.as_str())),
            ];
            add_from(
                layer,
                c.id,
                at(p_communities, i as usize),
                Shape::Polygons(&c.boundary),
                &props,
            );
        }
    }
    // Label points: one per grid / community, in the one tile (unbuffered)
    // that holds it, so labels are not repeated tile by tile.
    let inner = coord.bounds();
    for &i in communities.iter() {
        let Some(p) = atlas.community_label_in(i, inner) else {
            continue;
        };
        let c = &data.communities[i as usize];
        let props = [
            ("code", Value::from(c.code.as_str())),
            ("name", Value::from(c.name.as_str())),
        ];
        add(
            tile.layer("community_labels"),
            c.id,
            Shape::Point(p),
            &props,
        );
    }
    let grids = if z >= min_zoom("grids").min(min_zoom("grid_labels")) {
        features(IndexedLayer::Grids)
    } else {
        Default::default()
    };
    if z >= min_zoom("grid_labels") {
        for &i in grids.iter() {
            let Some(p) = atlas.grid_label_in(i, inner) else {
                continue;
            };
            let g = &data.grids[i as usize];
            let props = [
                ("code", Value::from(g.code.as_str())),
                ("name", Value::from(g.name.as_str())),
                ("kind", Value::from(g.kind.as_str())),
            ];
            add(tile.layer("grid_labels"), g.id, Shape::Point(p), &props);
        }
    }
    if z >= min_zoom("grids") {
        let layer = tile.layer("grids");
        for &i in grids.iter() {
            let g = &data.grids[i as usize];
            let mut props = Props::<5>::new();
            props.push("code", Value::from(g.code.as_str()));
            props.push("name", Value::from(g.name.as_str()));
            props.push("kind", Value::from(g.kind.as_str()));
            if let Some(p) = private.filter(|p| (p.allows)(g.id, g.community_id)) {
                let households = atlas.grid_households(g.id);
                props.push("households", Value::from(households));
                props.push(
                    "status",
                    Value::from(rule_status(g.kind, households, (p.limits)(g.community_id))),
                );
            }
            add_from(
                layer,
                g.id,
                at(p_grids, i as usize),
                Shape::Polygons(&g.boundary),
                props.as_slice(),
            );
        }
    }
    if z >= min_zoom("buildings") {
        let layer = tile.layer("buildings");
        for &i in features(IndexedLayer::Buildings).iter() {
            let i = i as usize;
            let b = &data.buildings[i];
            let shape = if z >= BUILDING_POLYGON_ZOOM {
                Shape::Polygons(&b.footprint)
            } else {
                Shape::Point(b.point)
            };
            let mut props = Props::<2>::new();
            if let Some(n) = opt(&b.name) {
                props.push("name", n);
            }
            if private.is_some_and(|p| p.grid_allowed(atlas, b.grid_id)) {
                props.push("households", Value::from(u64::from(b.households)));
            }
            add_from(layer, b.id, at(p_buildings, i), shape, props.as_slice());
        }
    }
    if z >= min_zoom("stations") {
        for s in atlas.stations_in(bbox) {
            let props = [
                ("name", Value::from(s.name.as_str())),
                ("tier", Value::from(s.tier.as_str())),
            ];
            add(tile.layer("stations"), s.id, Shape::Point(s.point), &props);
        }
    }
}

/// The coverage layer's features for the builder's tile.
fn fill_coverage(
    atlas: &Atlas,
    tile: &mut TileBuilder,
    cov: &CoverageSnapshot,
    prepared: Option<&ZoomGeometry>,
) {
    let coord = tile.coord();
    let options = *tile.options();
    let z = coord.z();
    if z < min_zoom("coverage") {
        return;
    }
    let bbox = coord.buffered_bounds(options.extent, options.buffer);
    let p_buildings = prepared.map_or(&[][..], |g| &g.buildings[..]);
    let index = prepared.and_then(|g| g.index.as_ref());
    let data = atlas.data();
    let layer = tile.layer("coverage");
    for &i in features_in(index, atlas, IndexedLayer::Buildings, coord, bbox).iter() {
        let i = i as usize;
        let b = &data.buildings[i];
        let Ok(c) = cov.default.building(&cov.graph, b.id) else {
            continue;
        };
        let shape = if z >= BUILDING_POLYGON_ZOOM {
            Shape::Polygons(&b.footprint)
        } else {
            Shape::Point(b.point)
        };
        let mut props = Props::<2>::new();
        props.push("band", Value::from(band(c.status, c.minutes)));
        if let Some(m) = c.minutes {
            props.push("minutes", Value::from((m * 10.0).round() / 10.0));
        }
        add_from(layer, b.id, at(p_buildings, i), shape, props.as_slice());
    }
}

/// A one-layer tile (`isochrone`) of a station's walking area.
pub fn render_isochrone(
    area: &geo::MultiPolygon<f64>,
    station_id: gridmap_data::model::Id,
    minutes: f64,
    coord: TileCoord,
) -> Result<Vec<u8>, TileError> {
    let mut tile = TileBuilder::new(coord, TileOptions::default())?;
    let props = [
        ("station_id", Value::from(station_id)),
        ("minutes", Value::from(minutes)),
    ];
    add(
        tile.layer("isochrone"),
        station_id,
        Shape::Polygons(area),
        &props,
    );
    Ok(tile.encode())
}

/// The coverage layer's class of a building: `5`, `10`, `15` (minutes),
/// `beyond`, `unreachable`, or `estimated` (no street nearby: straight line).
pub fn band(status: Status, minutes: Option<f64>) -> &'static str {
    match (status, minutes) {
        (Status::Estimated, _) => "estimated",
        (Status::Unreachable, _) | (_, None) => "unreachable",
        (_, Some(m)) if m <= 5.0 => "5",
        (_, Some(m)) if m <= 10.0 => "10",
        (_, Some(m)) if m <= 15.0 => "15",
        _ => "beyond",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_minutes_and_label_estimates() {
        assert_eq!(band(Status::Network, Some(0.0)), "5");
        assert_eq!(band(Status::Network, Some(5.0)), "5");
        assert_eq!(band(Status::Network, Some(5.01)), "10");
        assert_eq!(band(Status::Network, Some(15.0)), "15");
        assert_eq!(band(Status::Network, Some(15.01)), "beyond");
        assert_eq!(band(Status::Beyond, Some(20.0)), "beyond");
        assert_eq!(band(Status::Estimated, Some(2.0)), "estimated");
        assert_eq!(band(Status::Unreachable, None), "unreachable");
        assert_eq!(band(Status::Network, None), "unreachable");
    }
}
