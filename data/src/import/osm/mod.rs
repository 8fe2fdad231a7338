//! `gridmap import osm`: buildings, walkable streets, station POIs and
//! basemap areas from OSM XML or PBF, streamed in three passes so memory
//! stays bounded by the compact node table (16 bytes a node):
//!
//! 1. relations only: which ways are members of multipolygons we keep;
//! 2. nodes (coordinates, POI stations), residential land use (needed for
//!    the household estimate) and the node lists of member ways;
//! 3. buildings, streets, areas and multipolygons, emitted one at a time.

mod assemble;
mod classify;
pub mod reader;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use geo::{Contains, InteriorPoint, LineString, MultiPolygon, Point, Polygon, Validation};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde::Serialize;

use crate::error::{DataError, Result};
use crate::estimate;
use crate::limits::MAX_VERTICES_PER_GEOMETRY;
use crate::model::{Area, Building, HouseholdSource, OsmType, Road, Station};
use assemble::{NodeCoords, join_rings, rings_to_multipolygon};
use classify::tag;
pub use reader::{Element, Member, MemberKind, OsmFormat};

/// One feature produced by the importer, ready to store.
pub use crate::model::Feature as OsmFeature;

/// Where the importer is: pass `pass` of `passes`, `bytes` of `total` read.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    pub pass: u8,
    pub passes: u8,
    pub bytes: u64,
    pub total: u64,
}

/// What an OSM import read and produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OsmReport {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    pub buildings: u64,
    pub building_relations: u64,
    pub housing_buildings: u64,
    pub estimated_households: u64,
    pub roads: u64,
    pub walkable_roads: u64,
    pub stations: u64,
    pub areas: u64,
    /// Features left out, each with the element and the reason.
    pub skipped: Vec<String>,
    /// What the import did to the store, per table (empty when only read).
    pub changes: crate::import::upsert::FeatureChanges,
}

/// OSM ids: ways keep their id, relations are stored negated (osm2pgsql's convention).
pub fn relation_osm_id(id: i64) -> i64 {
    -id
}

type LanduseIndex = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;

struct Importer<'a> {
    nodes: NodeCoords,
    member_ways: HashSet<i64>,
    member_refs: HashMap<i64, Vec<i64>>,
    residential: Vec<MultiPolygon<f64>>,
    residential_index: LanduseIndex,
    report: OsmReport,
    sink: &'a mut dyn FnMut(OsmFeature) -> Result<()>,
}

/// Read `path` (XML or PBF) and hand every feature to `sink`.
pub fn read_osm(
    path: &Path,
    on_progress: &(dyn Fn(ImportProgress) + Sync),
    sink: &mut dyn FnMut(OsmFeature) -> Result<()>,
) -> Result<OsmReport> {
    let total = std::fs::metadata(path)
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    read_passes(total, on_progress, sink, &mut |bytes, visit| {
        reader::read_elements(path, bytes, visit)
    })
}

/// [`read_osm`] over an in-memory file of a known format (the fuzz targets
/// and tests use it; imports stream from disk).
pub fn read_osm_bytes(
    data: &[u8],
    format: OsmFormat,
    sink: &mut dyn FnMut(OsmFeature) -> Result<()>,
) -> Result<OsmReport> {
    read_passes(data.len() as u64, &|_| {}, sink, &mut |bytes, visit| {
        bytes.store(data.len() as u64, Ordering::Relaxed);
        reader::read_elements_from(data, format, visit)
    })
}

/// The element source of one pass: reads every element into `visit`,
/// counting bytes into the counter.
type PassReader<'r> =
    dyn FnMut(&Arc<AtomicU64>, &mut dyn FnMut(Element) -> Result<()>) -> Result<()> + 'r;

fn read_passes(
    total: u64,
    on_progress: &(dyn Fn(ImportProgress) + Sync),
    sink: &mut dyn FnMut(OsmFeature) -> Result<()>,
    read: &mut PassReader<'_>,
) -> Result<OsmReport> {
    let mut imp = Importer {
        nodes: NodeCoords::default(),
        member_ways: HashSet::new(),
        member_refs: HashMap::new(),
        residential: Vec::new(),
        residential_index: RTree::new(),
        report: OsmReport::default(),
        sink,
    };
    for pass in 1..=3u8 {
        let bytes = Arc::new(AtomicU64::new(0));
        let mut seen = 0u64;
        let progress = |seen: &mut u64| {
            *seen += 1;
            if (*seen).is_multiple_of(50_000) {
                on_progress(ImportProgress {
                    pass,
                    passes: 3,
                    bytes: bytes.load(Ordering::Relaxed),
                    total,
                });
            }
        };
        read(&bytes, &mut |e| {
            progress(&mut seen);
            match pass {
                1 => imp.pass1(e),
                2 => imp.pass2(e),
                _ => imp.pass3(e),
            }
        })?;
        if pass == 2 {
            imp.finish_pass2();
        }
        on_progress(ImportProgress {
            pass,
            passes: 3,
            bytes: total,
            total,
        });
    }
    Ok(imp.report)
}

fn is_multipolygon(tags: &[(String, String)]) -> bool {
    tag(tags, "type") == Some("multipolygon")
}

fn wanted_relation(tags: &[(String, String)]) -> bool {
    is_multipolygon(tags)
        && (classify::building_class(tags).is_some()
            || classify::area_kind(tags).is_some()
            || classify::station(tags).is_some())
}

fn valid_polygonal(mp: &MultiPolygon<f64>) -> std::result::Result<(), String> {
    if mp.0.is_empty() {
        return Err("no polygon".into());
    }
    if mp.is_valid() {
        Ok(())
    } else {
        let reason = mp
            .check_validation()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "invalid polygon".into());
        Err(reason)
    }
}

impl Importer<'_> {
    fn pass1(&mut self, e: Element) -> Result<()> {
        if let Element::Relation { members, tags, .. } = e
            && wanted_relation(&tags)
        {
            self.member_ways.extend(
                members
                    .iter()
                    .filter(|m| m.kind == MemberKind::Way)
                    .map(|m| m.id),
            );
        }
        Ok(())
    }

    fn pass2(&mut self, e: Element) -> Result<()> {
        match e {
            Element::Node { id, lon, lat, tags } => {
                self.report.nodes += 1;
                self.nodes.push(id, lon, lat);
                if let Some((tier, kind)) = classify::station(&tags) {
                    let point = Point::new(assemble::on_grid(lon), assemble::on_grid(lat));
                    let station = station_from(OsmType::Node, id, &tags, tier, kind, point);
                    self.emit(OsmFeature::Station(station))?;
                }
            }
            Element::Way { id, refs, tags } => {
                self.report.ways += 1;
                if tag(&tags, "landuse") == Some("residential") {
                    self.nodes.prepare();
                    if let Ok(line) = self.nodes.line(&refs)
                        && line.is_closed()
                        && line.0.len() >= 4
                    {
                        self.residential
                            .push(MultiPolygon(vec![Polygon::new(line, vec![])]));
                    }
                }
                if self.member_ways.contains(&id) {
                    self.member_refs.insert(id, refs);
                }
            }
            Element::Relation { members, tags, .. } => {
                self.report.relations += 1;
                if is_multipolygon(&tags) && tag(&tags, "landuse") == Some("residential") {
                    self.nodes.prepare();
                    if let Ok(mp) = self.relation_polygon(&members) {
                        self.residential.push(mp);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish_pass2(&mut self) {
        self.nodes.prepare();
        let rects = self
            .residential
            .iter()
            .enumerate()
            .filter_map(|(i, mp)| {
                let r = geo::BoundingRect::bounding_rect(mp)?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        self.residential_index = RTree::bulk_load(rects);
    }

    fn pass3(&mut self, e: Element) -> Result<()> {
        match e {
            Element::Node { .. } => Ok(()),
            Element::Way { id, refs, tags } => self.way(id, &refs, &tags),
            Element::Relation { id, members, tags } => self.relation(id, &members, &tags),
        }
    }

    fn emit(&mut self, f: OsmFeature) -> Result<()> {
        match &f {
            OsmFeature::Building(b) => {
                self.report.buildings += 1;
                if b.households > 0 {
                    self.report.housing_buildings += 1;
                    self.report.estimated_households += u64::from(b.households);
                }
            }
            OsmFeature::Road(r) => {
                self.report.roads += 1;
                if r.walkable {
                    self.report.walkable_roads += 1;
                }
            }
            OsmFeature::Station(_) => self.report.stations += 1,
            OsmFeature::Area(_) => self.report.areas += 1,
        }
        (self.sink)(f)
    }

    fn skip(&mut self, what: String, why: &str) {
        self.report.skipped.push(format!("{what}: {why}"));
    }

    fn way(&mut self, id: i64, refs: &[i64], tags: &[(String, String)]) -> Result<()> {
        let closed = refs.len() >= 4 && refs.first() == refs.last();
        let is_building = classify::building_class(tags).is_some();
        let area = classify::area_kind(tags);
        let station = classify::station(tags);
        let highway = classify::highway(tags);
        if !is_building && area.is_none() && station.is_none() && highway.is_none() {
            return Ok(());
        }
        if refs.len() > MAX_VERTICES_PER_GEOMETRY {
            self.skip(
                format!("way/{id}"),
                &format!(
                    "{} vertices, more than the {MAX_VERTICES_PER_GEOMETRY} a geometry may have",
                    refs.len()
                ),
            );
            return Ok(());
        }
        let line = match self.nodes.line(refs) {
            Ok(line) => line,
            Err(missing) => {
                self.skip(format!("way/{id}"), &format!("node {missing} is missing"));
                return Ok(());
            }
        };
        if let Some((class, walkable)) = highway {
            if line.0.len() >= 2 {
                let road = Road {
                    id: 0,
                    osm_id: Some(id),
                    class: class.to_owned(),
                    name: tag(tags, "name").map(str::to_owned),
                    walkable,
                    geometry: line.clone(),
                    node_ids: refs.to_vec(),
                };
                self.emit(OsmFeature::Road(road))?;
            } else {
                self.skip(format!("way/{id}"), "street with fewer than 2 nodes");
            }
        }
        if !is_building && area.is_none() && station.is_none() {
            return Ok(());
        }
        if !closed {
            if is_building || area.is_some() {
                self.skip(format!("way/{id}"), "area way is not closed");
            }
            return Ok(());
        }
        let mp = MultiPolygon(vec![Polygon::new(line, vec![])]);
        self.polygonal(id, id, mp, tags, area)
    }

    fn relation(&mut self, id: i64, members: &[Member], tags: &[(String, String)]) -> Result<()> {
        if !wanted_relation(tags) {
            return Ok(());
        }
        match self.relation_polygon(members) {
            Ok(mp) => {
                let is_building = classify::building_class(tags).is_some();
                if is_building {
                    self.report.building_relations += 1;
                }
                let area = classify::area_kind(tags);
                self.polygonal(relation_osm_id(id), id, mp, tags, area)
            }
            Err(why) => {
                self.skip(format!("relation/{id}"), &why);
                Ok(())
            }
        }
    }

    fn relation_polygon(
        &self,
        members: &[Member],
    ) -> std::result::Result<MultiPolygon<f64>, String> {
        let mut ways = Vec::new();
        for m in members.iter().filter(|m| m.kind == MemberKind::Way) {
            match self.member_refs.get(&m.id) {
                Some(refs) => ways.push(refs.clone()),
                None => return Err(format!("member way {} is missing", m.id)),
            }
        }
        let vertices: usize = ways.iter().map(Vec::len).sum();
        if vertices > MAX_VERTICES_PER_GEOMETRY {
            return Err(format!(
                "{vertices} vertices, more than the {MAX_VERTICES_PER_GEOMETRY} a geometry may have"
            ));
        }
        let rings = join_rings(ways)?;
        let lines = rings
            .iter()
            .map(|r| self.nodes.line(r))
            .collect::<std::result::Result<Vec<LineString<f64>>, i64>>()
            .map_err(|missing| format!("node {missing} is missing"))?;
        Ok(rings_to_multipolygon(lines))
    }

    /// Emit the building / area / station a polygon stands for.
    fn polygonal(
        &mut self,
        osm_id: i64,
        raw_id: i64,
        mp: MultiPolygon<f64>,
        tags: &[(String, String)],
        area: Option<String>,
    ) -> Result<()> {
        let what = if osm_id < 0 {
            format!("relation/{raw_id}")
        } else {
            format!("way/{raw_id}")
        };
        if let Err(why) = valid_polygonal(&mp) {
            self.skip(what, &why);
            return Ok(());
        }
        let Some(point) = mp.interior_point() else {
            self.skip(what, "polygon has no interior point");
            return Ok(());
        };
        if let Some(class) = classify::building_class(tags) {
            let in_residential = self.in_residential(point);
            let levels = classify::levels(tags);
            let households = if estimate::counts_as_housing(class, in_residential) {
                estimate::estimate_households(estimate::footprint_area_m2(&mp), levels)
            } else {
                0
            };
            let building = Building {
                id: 0,
                osm_id: Some(osm_id),
                name: tag(tags, "name").map(str::to_owned),
                address: classify::address(tags),
                class: class.to_owned(),
                levels,
                households,
                household_source: HouseholdSource::Estimated,
                footprint: mp.clone(),
                point,
                grid_id: None,
            };
            self.emit(OsmFeature::Building(building))?;
        }
        if let Some(kind) = area {
            let a = Area {
                id: 0,
                osm_id: Some(osm_id),
                kind,
                name: tag(tags, "name").map(str::to_owned),
                geometry: mp.clone(),
            };
            self.emit(OsmFeature::Area(a))?;
        }
        if let Some((tier, kind)) = classify::station(tags) {
            let osm_type = if osm_id < 0 {
                OsmType::Relation
            } else {
                OsmType::Way
            };
            let s = station_from(osm_type, osm_id, tags, tier, kind, point);
            self.emit(OsmFeature::Station(s))?;
        }
        Ok(())
    }

    fn in_residential(&self, p: Point<f64>) -> bool {
        self.residential_index
            .locate_all_at_point(&[p.x(), p.y()])
            .any(|r| self.residential[r.data].contains(&p))
    }
}

fn station_from(
    osm_type: OsmType,
    osm_id: i64,
    tags: &[(String, String)],
    tier: crate::model::StationTier,
    kind: &str,
    point: Point<f64>,
) -> Station {
    let name = tag(tags, "name")
        .or_else(|| tag(tags, "name:zh"))
        .or_else(|| tag(tags, "name:en"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{kind} {osm_id}"));
    Station {
        id: 0,
        osm_id: Some(osm_id),
        osm_type: Some(osm_type),
        name,
        tier,
        kind: Some(kind.to_owned()),
        opening_hours: tag(tags, "opening_hours").map(str::to_owned),
        point,
    }
}
