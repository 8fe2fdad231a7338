//! The Atlas: an immutable in-memory snapshot of a store, indexed with rstar.
//! Readers share it (behind an `Arc`) without locks; a write builds a new
//! Atlas and swaps it in whole.

use std::collections::HashMap;

use geo::{
    BoundingRect, Distance, Haversine, InteriorPoint, Intersects, MultiPolygon, Point, Rect,
};
use rstar::primitives::GeomWithData;
use rstar::{AABB, Envelope, RTree, RTreeObject};

use crate::model::{Building, Community, Counts, Dataset, Grid, Id, Person, Station};

/// A polygon's envelope and its index in the dataset: the envelope is
/// computed once (the `CachedEnvelope` idea), and the polygon is only tested
/// when the envelope hits.
#[derive(Debug, Clone)]
struct PolygonEntry {
    envelope: AABB<[f64; 2]>,
    index: u32,
}

impl RTreeObject for PolygonEntry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

type PointEntry = GeomWithData<[f64; 2], u32>;

fn half_open_contains(r: Rect<f64>, p: Point<f64>) -> bool {
    p.x() >= r.min().x && p.x() < r.max().x && p.y() > r.min().y && p.y() <= r.max().y
}

fn aabb_rect(e: &AABB<[f64; 2]>) -> Rect<f64> {
    let (lo, hi) = (e.lower(), e.upper());
    Rect::new(
        geo::Coord { x: lo[0], y: lo[1] },
        geo::Coord { x: hi[0], y: hi[1] },
    )
}

/// Mean Earth radius used to bound degree distances (m).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The layers kept in a bounding-box index ([`Atlas::indices_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexedLayer {
    Areas,
    Roads,
    Communities,
    Grids,
    Buildings,
}

/// An immutable, indexed snapshot of everything in the store.
pub struct Atlas {
    version: u64,
    data: Dataset,
    building_tree: RTree<PointEntry>,
    station_tree: RTree<PointEntry>,
    grid_tree: RTree<PolygonEntry>,
    community_tree: RTree<PolygonEntry>,
    footprint_tree: RTree<PolygonEntry>,
    road_tree: RTree<PolygonEntry>,
    area_tree: RTree<PolygonEntry>,
    grid_by_id: HashMap<Id, u32>,
    community_by_id: HashMap<Id, u32>,
    building_by_id: HashMap<Id, u32>,
    people_by_grid: HashMap<Id, Vec<u32>>,
    households_by_grid: HashMap<Id, u64>,
    /// Lower-cased `name\naddress` per building, for substring search.
    search_keys: SearchKeys,
    /// A point inside each grid / community (for labels), by index.
    grid_labels: Vec<Option<Point<f64>>>,
    community_labels: Vec<Option<Point<f64>>>,
}

/// Every building's lower-cased `name\naddress`, in one string: one
/// allocation instead of one per building (tens of MB on a city of a
/// million buildings), and a scan that walks memory in order.
#[derive(Debug, Default)]
struct SearchKeys {
    text: String,
    /// End of each building's key in `text` (the start is the previous end).
    ends: Vec<usize>,
}

impl SearchKeys {
    fn new(buildings: &[Building]) -> SearchKeys {
        let mut keys = SearchKeys::default();
        for b in buildings {
            if let Some(n) = &b.name {
                keys.text.push_str(&n.to_lowercase());
            }
            keys.text.push('\n');
            if let Some(a) = &b.address {
                keys.text.push_str(&a.to_lowercase());
            }
            keys.ends.push(keys.text.len());
        }
        keys.text.shrink_to_fit();
        keys
    }

    /// Each building's key, in building order.
    fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| self.text.get(start..end).unwrap_or_default())
    }
}

fn polygon_entries(
    polys: impl Iterator<Item = (u32, Option<geo::Rect<f64>>)>,
) -> RTree<PolygonEntry> {
    RTree::bulk_load(
        polys
            .filter_map(|(index, rect)| {
                let r = rect?;
                Some(PolygonEntry {
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    index,
                })
            })
            .collect(),
    )
}

fn index_of<T>(items: &[T], id: impl Fn(&T) -> Id) -> HashMap<Id, u32> {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| (id(t), i as u32))
        .collect()
}

impl Atlas {
    /// Index a dataset. `version` identifies this snapshot (ETags, reloads).
    pub fn build(data: Dataset, version: u64) -> Atlas {
        let building_tree = RTree::bulk_load(
            data.buildings
                .iter()
                .enumerate()
                .map(|(i, b)| PointEntry::new([b.point.x(), b.point.y()], i as u32))
                .collect(),
        );
        let station_tree = RTree::bulk_load(
            data.stations
                .iter()
                .enumerate()
                .map(|(i, s)| PointEntry::new([s.point.x(), s.point.y()], i as u32))
                .collect(),
        );
        let grid_tree = polygon_entries(
            data.grids
                .iter()
                .enumerate()
                .map(|(i, g)| (i as u32, g.boundary.bounding_rect())),
        );
        let community_tree = polygon_entries(
            data.communities
                .iter()
                .enumerate()
                .map(|(i, c)| (i as u32, c.boundary.bounding_rect())),
        );
        let footprint_tree = polygon_entries(
            data.buildings
                .iter()
                .enumerate()
                .map(|(i, b)| (i as u32, b.footprint.bounding_rect())),
        );
        let road_tree = polygon_entries(
            data.roads
                .iter()
                .enumerate()
                .map(|(i, r)| (i as u32, r.geometry.bounding_rect())),
        );
        let area_tree = polygon_entries(
            data.areas
                .iter()
                .enumerate()
                .map(|(i, a)| (i as u32, a.geometry.bounding_rect())),
        );
        let mut people_by_grid: HashMap<Id, Vec<u32>> = HashMap::new();
        for (i, p) in data.people.iter().enumerate() {
            people_by_grid.entry(p.grid_id).or_default().push(i as u32);
        }
        let mut households_by_grid: HashMap<Id, u64> = HashMap::new();
        for b in &data.buildings {
            if let Some(g) = b.grid_id {
                *households_by_grid.entry(g).or_default() += u64::from(b.households);
            }
        }
        let search_keys = SearchKeys::new(&data.buildings);
        let grid_labels = data
            .grids
            .iter()
            .map(|g| g.boundary.interior_point())
            .collect();
        let community_labels = data
            .communities
            .iter()
            .map(|c| c.boundary.interior_point())
            .collect();
        Atlas {
            version,
            grid_labels,
            community_labels,
            grid_by_id: index_of(&data.grids, |g| g.id),
            community_by_id: index_of(&data.communities, |c| c.id),
            building_by_id: index_of(&data.buildings, |b| b.id),
            building_tree,
            station_tree,
            grid_tree,
            community_tree,
            footprint_tree,
            road_tree,
            area_tree,
            people_by_grid,
            households_by_grid,
            search_keys,
            data,
        }
    }

    /// An empty atlas (no store loaded yet).
    pub fn empty() -> Atlas {
        Atlas::build(Dataset::default(), 0)
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    pub fn counts(&self) -> Counts {
        let d = &self.data;
        Counts {
            street_offices: d.street_offices.len() as u64,
            communities: d.communities.len() as u64,
            grids: d.grids.len() as u64,
            buildings: d.buildings.len() as u64,
            stations: d.stations.len() as u64,
            people: d.people.len() as u64,
            roads: d.roads.len() as u64,
            areas: d.areas.len() as u64,
        }
    }

    pub fn grid(&self, id: Id) -> Option<&Grid> {
        self.grid_by_id
            .get(&id)
            .map(|&i| &self.data.grids[i as usize])
    }

    pub fn community(&self, id: Id) -> Option<&Community> {
        self.community_by_id
            .get(&id)
            .map(|&i| &self.data.communities[i as usize])
    }

    pub fn building(&self, id: Id) -> Option<&Building> {
        self.building_by_id
            .get(&id)
            .map(|&i| &self.data.buildings[i as usize])
    }

    /// Households of a grid's buildings (not for public routes).
    pub fn grid_households(&self, id: Id) -> u64 {
        self.households_by_grid.get(&id).copied().unwrap_or(0)
    }

    /// The people attached to a grid, leaders first.
    pub fn grid_people(&self, id: Id) -> Vec<&Person> {
        let mut people: Vec<&Person> = self
            .people_by_grid
            .get(&id)
            .map(|v| v.iter().map(|&i| &self.data.people[i as usize]).collect())
            .unwrap_or_default();
        people.sort_by_key(|p| (p.role as u8, p.id));
        people
    }

    /// The polygon containing `p` (boundary included); on a shared edge the
    /// lowest index (= lowest id, rows load in id order) wins, so the answer is
    /// deterministic.
    fn locate<'a>(
        tree: &RTree<PolygonEntry>,
        polygon: impl Fn(u32) -> &'a MultiPolygon<f64>,
        p: Point<f64>,
    ) -> Option<u32> {
        let mut best: Option<u32> = None;
        for e in tree.locate_in_envelope_intersecting(&AABB::from_point([p.x(), p.y()])) {
            if best.is_some_and(|b| b < e.index) {
                continue;
            }
            if polygon(e.index).intersects(&p) {
                best = Some(e.index);
            }
        }
        best
    }

    /// The envelope the spatial index keeps for each feature of `layer`,
    /// with the feature's index in its dataset list, in no particular
    /// order (features with no geometry have none, and no query returns
    /// them). A feature is in the answer of [`Atlas::indices_in`] exactly
    /// when its envelope meets the query's rectangle, edges included.
    pub fn envelopes(&self, layer: IndexedLayer) -> impl Iterator<Item = (u32, Rect<f64>)> {
        self.tree(layer)
            .iter()
            .map(|e| (e.index, aabb_rect(&e.envelope)))
    }

    /// The union of the [`Atlas::envelopes`] of `layers` (None when they
    /// are all empty).
    pub fn bounds_of(&self, layers: &[IndexedLayer]) -> Option<Rect<f64>> {
        layers
            .iter()
            .map(|&l| self.tree(l))
            .filter(|t| t.size() > 0)
            .map(|t| t.root().envelope())
            .reduce(|a, b| a.merged(&b))
            .map(|e| aabb_rect(&e))
    }

    /// Indices in its dataset list of the features of `layer` whose
    /// envelope meets `rect`, in index order.
    pub fn indices_in(&self, layer: IndexedLayer, rect: Rect<f64>) -> Vec<u32> {
        Self::within(self.tree(layer), rect)
    }

    fn tree(&self, layer: IndexedLayer) -> &RTree<PolygonEntry> {
        match layer {
            IndexedLayer::Areas => &self.area_tree,
            IndexedLayer::Roads => &self.road_tree,
            IndexedLayer::Communities => &self.community_tree,
            IndexedLayer::Grids => &self.grid_tree,
            IndexedLayer::Buildings => &self.footprint_tree,
        }
    }

    /// Indices of the entries whose envelope intersects `rect`, in index order
    /// (so feature order in tiles is stable).
    fn within(tree: &RTree<PolygonEntry>, rect: Rect<f64>) -> Vec<u32> {
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let mut hits: Vec<u32> = tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.index)
            .collect();
        hits.sort_unstable();
        hits
    }

    /// Grids whose bounding box meets `rect`.
    pub fn grids_in(&self, rect: Rect<f64>) -> impl Iterator<Item = &Grid> {
        self.indices_in(IndexedLayer::Grids, rect)
            .into_iter()
            .map(|i| &self.data.grids[i as usize])
    }

    /// Buildings whose footprint's bounding box meets `rect`.
    pub fn buildings_in(&self, rect: Rect<f64>) -> impl Iterator<Item = &Building> {
        self.indices_in(IndexedLayer::Buildings, rect)
            .into_iter()
            .map(|i| &self.data.buildings[i as usize])
    }

    /// The label point of grid number `i` if it lies in `rect` (half-open:
    /// min inclusive, max exclusive, so a point on a tile edge belongs to
    /// one tile).
    pub fn grid_label_in(&self, i: u32, rect: Rect<f64>) -> Option<Point<f64>> {
        let p = (*self.grid_labels.get(i as usize)?)?;
        half_open_contains(rect, p).then_some(p)
    }

    /// The label point of community number `i` if it lies in `rect`
    /// (half-open).
    pub fn community_label_in(&self, i: u32, rect: Rect<f64>) -> Option<Point<f64>> {
        let p = (*self.community_labels.get(i as usize)?)?;
        half_open_contains(rect, p).then_some(p)
    }

    /// Stations inside `rect`.
    pub fn stations_in(&self, rect: Rect<f64>) -> impl Iterator<Item = &Station> {
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let mut hits: Vec<u32> = self
            .station_tree
            .locate_in_envelope(&env)
            .map(|e| e.data)
            .collect();
        hits.sort_unstable();
        hits.into_iter().map(|i| &self.data.stations[i as usize])
    }

    /// The bounding box of all buildings, grids and communities (None when empty).
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.bounds_of(&[
            IndexedLayer::Buildings,
            IndexedLayer::Grids,
            IndexedLayer::Communities,
        ])
    }

    /// The grid containing `p`.
    pub fn grid_at(&self, p: Point<f64>) -> Option<&Grid> {
        Self::locate(
            &self.grid_tree,
            |i| &self.data.grids[i as usize].boundary,
            p,
        )
        .map(|i| &self.data.grids[i as usize])
    }

    /// The community containing `p`.
    pub fn community_at(&self, p: Point<f64>) -> Option<&Community> {
        Self::locate(
            &self.community_tree,
            |i| &self.data.communities[i as usize].boundary,
            p,
        )
        .map(|i| &self.data.communities[i as usize])
    }

    /// The `k` stations nearest to `p` by great-circle distance, with metres.
    pub fn nearest_stations(&self, p: Point<f64>, k: usize) -> Vec<(&Station, f64)> {
        let mut best: Vec<(u32, f64)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return Vec::new();
        }
        for (entry, d2) in self
            .station_tree
            .nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()])
        {
            let deg = d2.sqrt();
            // Metres are at least R · cos(φmax) · (degree distance in radians).
            let lat_max = (p.y().abs() + deg).min(89.9).to_radians();
            let lower_bound = EARTH_RADIUS_M * lat_max.cos() * deg.to_radians();
            if best.len() == k && best.last().is_some_and(|b| lower_bound > b.1) {
                break;
            }
            let s = &self.data.stations[entry.data as usize];
            let metres = Haversine.distance(p, s.point);
            let at = best.partition_point(|b| b.1 <= metres);
            best.insert(at, (entry.data, metres));
            best.truncate(k);
        }
        best.into_iter()
            .map(|(i, m)| (&self.data.stations[i as usize], m))
            .collect()
    }

    /// Buildings near `p`, nearest first (by degree distance).
    pub fn nearest_buildings(&self, p: Point<f64>, k: usize) -> Vec<&Building> {
        self.building_tree
            .nearest_neighbor_iter(&[p.x(), p.y()])
            .take(k)
            .map(|e| &self.data.buildings[e.data as usize])
            .collect()
    }

    /// Buildings whose name or address contains `query` (case-insensitive
    /// substring; works for Chinese). Exact and shorter names first.
    pub fn search_buildings(&self, query: &str, limit: usize) -> Vec<&Building> {
        let q = query.trim().to_lowercase();
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut hits: Vec<(u8, usize, u32)> = self
            .search_keys
            .iter()
            .enumerate()
            .filter_map(|(i, key)| {
                let at = key.find(&q)?;
                let b = &self.data.buildings[i];
                let name_len = b.name.as_ref().map_or(usize::MAX, |n| n.chars().count());
                let rank = if b.name.as_deref().is_some_and(|n| n.to_lowercase() == q) {
                    0
                } else if at == 0 {
                    1
                } else {
                    2
                };
                Some((rank, name_len, i as u32))
            })
            .collect();
        hits.sort_unstable();
        hits.truncate(limit);
        hits.into_iter()
            .map(|(_, _, i)| &self.data.buildings[i as usize])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GridKind, HouseholdSource, PersonRole, StationTier};

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![geo::Rect::new((x0, y0), (x1, y1)).to_polygon()])
    }

    fn grid(id: Id, x0: f64, x1: f64) -> Grid {
        Grid {
            id,
            community_id: 1,
            code: format!("32010200100100{id}"),
            name: format!("网格{id}"),
            kind: GridKind::Basic,
            boundary: square(x0, 0.0, x1, 1.0),
        }
    }

    fn station(id: Id, x: f64, y: f64) -> Station {
        Station {
            id,
            osm_id: None,
            osm_type: None,
            name: format!("站{id}"),
            tier: StationTier::Station,
            kind: None,
            opening_hours: None,
            point: Point::new(x, y),
        }
    }

    #[allow(clippy::field_reassign_with_default)]
    fn atlas() -> Atlas {
        let mut d = Dataset::default();
        d.grids = vec![grid(1, 0.0, 0.5), grid(2, 0.5, 1.0)];
        d.communities = vec![Community {
            id: 1,
            street_office_id: None,
            code: "320102001001".into(),
            name: "社区".into(),
            boundary: square(0.0, 0.0, 1.0, 1.0),
        }];
        d.stations = vec![
            station(1, 0.0, 0.0),
            station(2, 0.9, 0.9),
            station(3, 0.5, 0.55),
        ];
        d.people = vec![Person {
            id: 1,
            grid_id: 2,
            name: "张三".into(),
            role: PersonRole::GridWorker,
            phone: Some("000".into()),
            sample: true,
        }];
        d.buildings = vec![Building {
            id: 7,
            osm_id: Some(1),
            name: Some("金陵大厦".into()),
            address: Some("中山路18号".into()),
            class: "yes".into(),
            levels: None,
            households: 40,
            household_source: HouseholdSource::Estimated,
            footprint: square(0.1, 0.1, 0.2, 0.2),
            point: Point::new(0.15, 0.15),
            grid_id: Some(1),
        }];
        Atlas::build(d, 1)
    }

    #[test]
    fn point_inside_finds_its_grid_and_outside_finds_none() {
        let a = atlas();
        assert_eq!(a.grid_at(Point::new(0.25, 0.5)).map(|g| g.id), Some(1));
        assert_eq!(a.grid_at(Point::new(0.75, 0.5)).map(|g| g.id), Some(2));
        assert_eq!(a.grid_at(Point::new(1.5, 0.5)).map(|g| g.id), None);
        assert_eq!(a.community_at(Point::new(0.75, 0.5)).map(|c| c.id), Some(1));
    }

    #[test]
    fn shared_edge_goes_to_the_lowest_id() {
        let a = atlas();
        assert_eq!(a.grid_at(Point::new(0.5, 0.5)).map(|g| g.id), Some(1));
    }

    #[test]
    fn nearest_stations_are_sorted_by_metres() {
        let a = atlas();
        let near = a.nearest_stations(Point::new(0.8, 0.8), 2);
        let ids: Vec<Id> = near.iter().map(|(s, _)| s.id).collect();
        assert_eq!(ids, vec![2, 3]);
        assert!(near[0].1 < near[1].1);
        // 0.1° diagonal near the equator ≈ 15.7 km.
        assert!((near[0].1 - 15_725.0).abs() < 50.0, "{}", near[0].1);
    }

    #[test]
    fn search_is_a_chinese_substring_match() {
        let a = atlas();
        assert_eq!(a.search_buildings("金陵", 10).len(), 1);
        assert_eq!(a.search_buildings("中山路", 10).len(), 1);
        assert!(a.search_buildings("上海", 10).is_empty());
        assert!(a.search_buildings("  ", 10).is_empty());
    }

    #[test]
    fn layer_queries_by_box() {
        let a = atlas();
        let left = Rect::new((0.0, 0.0), (0.3, 0.3));
        assert_eq!(a.grids_in(left).map(|g| g.id).collect::<Vec<_>>(), vec![1]);
        assert_eq!(a.buildings_in(left).count(), 1);
        assert_eq!(
            a.stations_in(left).map(|s| s.id).collect::<Vec<_>>(),
            vec![1]
        );
        let far = Rect::new((5.0, 5.0), (6.0, 6.0));
        assert_eq!(a.grids_in(far).count() + a.buildings_in(far).count(), 0);
        let half = Rect::new((0.0, 0.0), (0.5, 1.0));
        let labels: Vec<Id> = a
            .indices_in(IndexedLayer::Grids, half)
            .into_iter()
            .filter(|&i| a.grid_label_in(i, half).is_some())
            .map(|i| a.data().grids[i as usize].id)
            .collect();
        assert_eq!(labels, vec![1]);
        let all = Rect::new((0.0, 0.0), (1.0, 1.0));
        let communities = a.indices_in(IndexedLayer::Communities, all);
        assert_eq!(
            communities
                .iter()
                .filter(|&&i| a.community_label_in(i, all).is_some())
                .count(),
            1
        );
        let b = a.bounds().expect("bounds");
        assert_eq!((b.min().x, b.max().x), (0.0, 1.0));
    }

    #[test]
    fn households_and_people_per_grid() {
        let a = atlas();
        assert_eq!(a.grid_households(1), 40);
        assert_eq!(a.grid_households(2), 0);
        assert_eq!(a.grid_people(2).len(), 1);
    }
}
