//! Keyed writes. An OSM import, and a GeoJSON buildings or stations layer
//! whose features carry `osm_id`, is an update keyed by OSM element, per
//! table: a feature whose key the store holds updates that row in place (its
//! id, and so every reference to it — plan states, households imported by
//! building id — stays), a feature equal to the stored one is not written at
//! all, a new key is inserted. A building whose households were surveyed
//! keeps its count unless the incoming feature brings a surveyed count of
//! its own.
//!
//! Rows of an earlier import that the file lacks are *missing*: reported,
//! and deleted only when asked (`gridmap import osm --prune`), because a
//! bounding-box extract imported into a store that holds a bigger area
//! lacks most of it. A missing building that a draft plan still assigns is
//! kept (see [`PlanBuildings`]).
//!
//! The stored keys are read inside the import's transaction, after
//! [`WriteTx::lock_for_import`], so two imports never add the same key.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use geo::{LineString, MultiPolygon, Point};
use serde::Serialize;

use crate::error::{DataError, Result};
use crate::model::{Area, Building, Feature, HouseholdSource, Id, OsmKey, Road, Station};
use crate::store::{FeatureTable, WriteTx};

/// What an import did to one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// New rows.
    pub added: u64,
    /// Rows whose stored fields the import changed.
    pub updated: u64,
    /// Rows the import held as they were stored (not written).
    pub unchanged: u64,
    /// Rows an earlier OSM import stored that this file lacks (OSM imports
    /// only; duplicates left by imports made before keys were kept count
    /// here too).
    pub missing: u64,
    /// Of the missing, deleted (`--prune`).
    pub pruned: u64,
    /// Of the missing, kept by `--prune` because a draft plan assigns them
    /// (buildings).
    pub kept: u64,
}

/// What an import did, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeatureChanges {
    pub buildings: Changes,
    pub stations: Changes,
    pub roads: Changes,
    pub areas: Changes,
    /// Whether missing rows were deleted (`--prune`).
    pub prune: bool,
    /// Draft plans that assign a missing building `--prune` therefore kept.
    pub kept_for_plans: Vec<Id>,
}

impl FeatureChanges {
    /// The changes of one table.
    pub fn of(&self, table: FeatureTable) -> &Changes {
        match table {
            FeatureTable::Buildings => &self.buildings,
            FeatureTable::Stations => &self.stations,
            FeatureTable::Roads => &self.roads,
            FeatureTable::Areas => &self.areas,
        }
    }
}

/// The building ids a stored plan state (JSON) assigns. Plan states belong
/// to the planning engine; the data crate does not read inside them, so a
/// pruning caller says how. An error refuses the prune.
pub type PlanBuildings = Arc<dyn Fn(&str) -> std::result::Result<Vec<Id>, String> + Send + Sync>;

/// One stored row, as much of it as deciding needs.
#[derive(Debug, Clone, Copy)]
struct Stored {
    id: Id,
    /// [`digest`] of the fields an import writes (households apart).
    digest: u64,
    households: u32,
    surveyed: bool,
    /// The building's point, as bits (a moved building changes grids).
    point: [u64; 2],
    seen: bool,
}

#[derive(Default)]
struct TableIndex {
    by_key: HashMap<OsmKey, Stored>,
    /// Rows with an `osm_id` whose element type is unknown (stations stored
    /// before types were kept), by `osm_id`, oldest first.
    untyped: HashMap<i64, Vec<Stored>>,
    /// Rows holding a key an older row of the table holds (an import run
    /// twice before keys were kept): never matched, so missing.
    duplicates: Vec<Id>,
    /// Keys this import inserted.
    added: HashSet<OsmKey>,
    changes: Changes,
}

impl TableIndex {
    fn remember(&mut self, key: Option<OsmKey>, osm_id: i64, row: Stored) {
        let Some(key) = key else {
            self.untyped.entry(osm_id).or_default().push(row);
            return;
        };
        match self.by_key.get_mut(&key) {
            None => {
                self.by_key.insert(key, row);
            }
            // Of two copies, the one with a surveyed count is the building.
            Some(kept) if row.surveyed && !kept.surveyed => {
                self.duplicates.push(kept.id);
                *kept = row;
            }
            Some(_) => self.duplicates.push(row.id),
        }
    }

    /// The stored row `key` updates, or `None` for a new key. A key met
    /// twice in one import is an error.
    fn claim(&mut self, table: &str, key: OsmKey) -> Result<Option<Stored>> {
        let twice = || DataError::InvalidFeature {
            feature: key.to_string(),
            message: format!("the file holds this element twice ({table})"),
        };
        if let Some(row) = self.by_key.get_mut(&key) {
            if row.seen {
                return Err(twice());
            }
            row.seen = true;
            return Ok(Some(*row));
        }
        let untyped = self.untyped.get_mut(&key.stored_id()).and_then(|rows| {
            if rows.is_empty() {
                None
            } else {
                Some(rows.remove(0))
            }
        });
        if let Some(mut row) = untyped {
            row.seen = true;
            self.by_key.insert(key, row);
            return Ok(Some(row));
        }
        if !self.added.insert(key) {
            return Err(twice());
        }
        Ok(None)
    }

    fn missing(&self) -> Vec<Id> {
        let mut ids: Vec<Id> = self
            .by_key
            .values()
            .filter(|r| !r.seen)
            .map(|r| r.id)
            .chain(self.untyped.values().flatten().map(|r| r.id))
            .chain(self.duplicates.iter().copied())
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// The keyed writer of one import transaction.
pub struct Upsert {
    buildings: TableIndex,
    stations: TableIndex,
    roads: TableIndex,
    areas: TableIndex,
    /// Buildings added or moved: to (re)assign to the grid holding them.
    pub placed: Vec<(Id, Point<f64>)>,
}

fn point_bits(p: Point<f64>) -> [u64; 2] {
    [p.x().to_bits(), p.y().to_bits()]
}

fn hash_line(h: &mut DefaultHasher, line: &LineString<f64>) {
    line.0.len().hash(h);
    for c in &line.0 {
        c.x.to_bits().hash(h);
        c.y.to_bits().hash(h);
    }
}

fn hash_polygons(h: &mut DefaultHasher, mp: &MultiPolygon<f64>) {
    mp.0.len().hash(h);
    for p in &mp.0 {
        hash_line(h, p.exterior());
        p.interiors().len().hash(h);
        for ring in p.interiors() {
            hash_line(h, ring);
        }
    }
}

/// A digest of the fields an import writes, households apart (they follow
/// their own rule). Stored and incoming rows are hashed by the same code in
/// one process, and stores give back exactly what was written (the
/// conformance suite checks the round trip), so equal rows have equal
/// digests; a change goes unnoticed with probability 2⁻⁶⁴.
fn digest(f: &Feature) -> u64 {
    let mut h = DefaultHasher::new();
    match f {
        Feature::Building(b) => {
            (&b.name, &b.address, &b.class, b.levels).hash(&mut h);
            hash_polygons(&mut h, &b.footprint);
            point_bits(b.point).hash(&mut h);
        }
        Feature::Station(s) => {
            (&s.name, s.tier, &s.kind, &s.opening_hours, s.osm_type).hash(&mut h);
            point_bits(s.point).hash(&mut h);
        }
        Feature::Road(r) => {
            (&r.class, &r.name, r.walkable, &r.node_ids).hash(&mut h);
            hash_line(&mut h, &r.geometry);
        }
        Feature::Area(a) => {
            (&a.kind, &a.name).hash(&mut h);
            hash_polygons(&mut h, &a.geometry);
        }
    }
    h.finish()
}

fn stored(f: &Feature) -> (Option<OsmKey>, Option<i64>, Stored) {
    let mut row = Stored {
        id: 0,
        digest: digest(f),
        households: 0,
        surveyed: false,
        point: [0, 0],
        seen: false,
    };
    let (key, osm_id) = match f {
        Feature::Building(b) => {
            row.id = b.id;
            row.households = b.households;
            row.surveyed = b.household_source == HouseholdSource::Surveyed;
            row.point = point_bits(b.point);
            (b.osm_key(), b.osm_id)
        }
        Feature::Station(s) => {
            row.id = s.id;
            (s.osm_key(), s.osm_id)
        }
        Feature::Road(r) => {
            row.id = r.id;
            (r.osm_key(), r.osm_id)
        }
        Feature::Area(a) => {
            row.id = a.id;
            (a.osm_key(), a.osm_id)
        }
    };
    (key, osm_id, row)
}

impl Upsert {
    /// Read the stored keys of `tables` (inside `tx`, which should hold
    /// [`WriteTx::lock_for_import`]).
    pub async fn load(tx: &mut dyn WriteTx, tables: &[FeatureTable]) -> Result<Self> {
        let mut up = Upsert {
            buildings: TableIndex::default(),
            stations: TableIndex::default(),
            roads: TableIndex::default(),
            areas: TableIndex::default(),
            placed: Vec::new(),
        };
        for &table in tables {
            let index = up.index(table);
            tx.scan_osm_features(table, &mut |f| {
                if let (key, Some(osm_id), row) = stored(&f) {
                    index.remember(key, osm_id, row);
                }
                Ok(())
            })
            .await?;
        }
        Ok(up)
    }

    fn index(&mut self, table: FeatureTable) -> &mut TableIndex {
        match table {
            FeatureTable::Buildings => &mut self.buildings,
            FeatureTable::Stations => &mut self.stations,
            FeatureTable::Roads => &mut self.roads,
            FeatureTable::Areas => &mut self.areas,
        }
    }

    /// Write one feature: insert, update in place, or nothing.
    pub async fn write(&mut self, tx: &mut dyn WriteTx, f: Feature) -> Result<()> {
        match f {
            Feature::Building(b) => self.building(tx, b).await,
            Feature::Station(s) => self.station(tx, s).await,
            Feature::Road(r) => self.road(tx, r).await,
            Feature::Area(a) => self.area(tx, a).await,
        }
    }

    async fn building(&mut self, tx: &mut dyn WriteTx, mut b: Building) -> Result<()> {
        let stored = match b.osm_key() {
            Some(key) => self.buildings.claim("a building", key)?,
            None => None,
        };
        let Some(st) = stored else {
            let id = tx.insert_building(&b).await?;
            self.buildings.changes.added += 1;
            self.placed.push((id, b.point));
            return Ok(());
        };
        // A surveyed count stays unless the file brings one of its own.
        if b.household_source == HouseholdSource::Estimated && st.surveyed {
            b.households = st.households;
            b.household_source = HouseholdSource::Surveyed;
        }
        let same = digest(&Feature::Building(b.clone())) == st.digest
            && b.households == st.households
            && (b.household_source == HouseholdSource::Surveyed) == st.surveyed;
        if same {
            self.buildings.changes.unchanged += 1;
            return Ok(());
        }
        b.id = st.id;
        tx.update_building(&b).await?;
        self.buildings.changes.updated += 1;
        if point_bits(b.point) != st.point {
            self.placed.push((st.id, b.point));
        }
        Ok(())
    }

    async fn station(&mut self, tx: &mut dyn WriteTx, mut s: Station) -> Result<()> {
        let stored = match s.osm_key() {
            Some(key) => self.stations.claim("a station", key)?,
            None => None,
        };
        match stored {
            None => {
                tx.insert_station(&s).await?;
                self.stations.changes.added += 1;
            }
            Some(st) if digest(&Feature::Station(s.clone())) == st.digest => {
                self.stations.changes.unchanged += 1;
            }
            Some(st) => {
                s.id = st.id;
                tx.update_station(&s).await?;
                self.stations.changes.updated += 1;
            }
        }
        Ok(())
    }

    async fn road(&mut self, tx: &mut dyn WriteTx, mut r: Road) -> Result<()> {
        let stored = match r.osm_key() {
            Some(key) => self.roads.claim("a street", key)?,
            None => None,
        };
        match stored {
            None => {
                tx.insert_road(&r).await?;
                self.roads.changes.added += 1;
            }
            Some(st) if digest(&Feature::Road(r.clone())) == st.digest => {
                self.roads.changes.unchanged += 1;
            }
            Some(st) => {
                r.id = st.id;
                tx.update_road(&r).await?;
                self.roads.changes.updated += 1;
            }
        }
        Ok(())
    }

    async fn area(&mut self, tx: &mut dyn WriteTx, mut a: Area) -> Result<()> {
        let stored = match a.osm_key() {
            Some(key) => self.areas.claim("an area", key)?,
            None => None,
        };
        match stored {
            None => {
                tx.insert_area(&a).await?;
                self.areas.changes.added += 1;
            }
            Some(st) if digest(&Feature::Area(a.clone())) == st.digest => {
                self.areas.changes.unchanged += 1;
            }
            Some(st) => {
                a.id = st.id;
                tx.update_area(&a).await?;
                self.areas.changes.updated += 1;
            }
        }
        Ok(())
    }

    /// Count (and with `prune`, delete) the rows of the loaded tables this
    /// import did not hold. Buildings that a draft plan's newest state
    /// assigns are kept: deleting them would leave the draft assigning a
    /// building that no longer exists, a break no edit can mend.
    pub async fn finish_missing(
        &mut self,
        tx: &mut dyn WriteTx,
        prune: Option<&PlanBuildings>,
    ) -> Result<FeatureChanges> {
        let mut out = FeatureChanges {
            prune: prune.is_some(),
            ..FeatureChanges::default()
        };
        let mut assigned: HashMap<Id, BTreeSet<Id>> = HashMap::new();
        if let Some(plan_buildings) = prune
            && !self.buildings.missing().is_empty()
        {
            for (plan, state) in tx.draft_plan_states().await? {
                let ids = plan_buildings(&state).map_err(|e| {
                    DataError::Cancelled(format!(
                        "--prune: the state of draft plan {plan} is unreadable ({e}), so the \
                         buildings it assigns are unknown"
                    ))
                })?;
                for id in ids {
                    assigned.entry(id).or_default().insert(plan);
                }
            }
        }
        let mut plans = BTreeSet::new();
        for table in FeatureTable::ALL {
            let index = self.index(table);
            let missing = index.missing();
            index.changes.missing = missing.len() as u64;
            if prune.is_some() && !missing.is_empty() {
                let mut delete = Vec::with_capacity(missing.len());
                for id in missing {
                    match assigned
                        .get(&id)
                        .filter(|_| table == FeatureTable::Buildings)
                    {
                        Some(by) => {
                            index.changes.kept += 1;
                            plans.extend(by.iter().copied());
                        }
                        None => delete.push(id),
                    }
                }
                index.changes.pruned = tx.delete_features(table, &delete).await?;
            }
        }
        out.kept_for_plans = plans.into_iter().collect();
        out.buildings = self.buildings.changes;
        out.stations = self.stations.changes;
        out.roads = self.roads.changes;
        out.areas = self.areas.changes;
        Ok(out)
    }

    /// The changes so far (imports that report no missing rows).
    pub fn changes(&self) -> FeatureChanges {
        FeatureChanges {
            buildings: self.buildings.changes,
            stations: self.stations.changes,
            roads: self.roads.changes,
            areas: self.areas.changes,
            ..FeatureChanges::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OsmType;

    #[test]
    fn keys_of_nodes_ways_and_relations_differ() {
        let node = OsmKey::from_stored(Some(OsmType::Node), 5);
        let way = OsmKey::from_stored(Some(OsmType::Way), 5);
        let rel = OsmKey::from_stored(Some(OsmType::Relation), -5);
        assert_ne!(node, way);
        assert_ne!(way, rel);
        assert_eq!(rel.map(|k| k.stored_id()), Some(-5));
        assert_eq!(Some(OsmKey::from_way_or_relation(-5)), rel);
        assert_eq!(OsmKey::from_stored(None, 5), None);
    }

    #[test]
    fn osm_refs_in_every_spelling() {
        let way = OsmKey::new(OsmType::Way, 123);
        for t in ["w123", "way/123", " 123 "] {
            assert_eq!(OsmKey::parse(t, OsmType::Way), Some(way), "{t}");
        }
        assert_eq!(
            OsmKey::parse("123", OsmType::Node),
            Some(OsmKey::new(OsmType::Node, 123))
        );
        assert_eq!(
            OsmKey::parse("n7", OsmType::Way),
            Some(OsmKey::new(OsmType::Node, 7))
        );
        for t in ["r45", "relation/45", "-45"] {
            assert_eq!(
                OsmKey::parse(t, OsmType::Way),
                Some(OsmKey::new(OsmType::Relation, 45)),
                "{t}"
            );
        }
        for t in ["x", "w-3", "0", "", "w", "way/"] {
            assert_eq!(OsmKey::parse(t, OsmType::Way), None, "{t}");
        }
        assert_eq!(way.to_string(), "way/123");
    }

    #[test]
    fn an_element_twice_in_one_file_is_an_error() {
        let mut index = TableIndex::default();
        let key = OsmKey::new(OsmType::Way, 9);
        assert!(matches!(index.claim("a building", key), Ok(None)));
        let e = index.claim("a building", key).expect_err("twice");
        assert_eq!(
            e.to_string(),
            "way/9: the file holds this element twice (a building)"
        );
    }

    #[test]
    fn an_untyped_station_is_claimed_once_by_its_id() {
        let mut index = TableIndex::default();
        let row = |id| Stored {
            id,
            digest: 0,
            households: 0,
            surveyed: false,
            point: [0, 0],
            seen: false,
        };
        index.remember(None, 5, row(1));
        index.remember(None, 5, row(2));
        let claimed = index
            .claim("a station", OsmKey::new(OsmType::Node, 5))
            .expect("claim");
        assert_eq!(claimed.map(|r| r.id), Some(1));
        // The way with the same number is another element: a new row; the
        // second untyped copy is left over, missing.
        let way = index
            .claim("a station", OsmKey::new(OsmType::Way, 7))
            .expect("claim");
        assert!(way.is_none());
        assert_eq!(index.missing(), vec![2]);
    }
}
