//! The domain model: street office → community → grid → building, plus
//! service stations, people, and the basemap/street features kept from OSM.
//!
//! All coordinates are WGS84 (EPSG:4326) longitude/latitude.

use geo::{LineString, MultiPolygon, Point};
use serde::{Deserialize, Serialize};

/// Store-assigned row id. Stable for the life of a store.
pub type Id = i64;

/// 街道 / 乡镇: the sub-district administration, parent of communities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreetOffice {
    pub id: Id,
    /// GB/T 2260 county-level admin code (6 digits) + 3-digit street number.
    pub code: String,
    pub name: String,
}

/// 社区 / 村: the unit grids must nest inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Community {
    pub id: Id,
    pub street_office_id: Option<Id>,
    /// 12 digits: 6 admin + 3 street + 3 community.
    pub code: String,
    pub name: String,
    pub boundary: MultiPolygon<f64>,
}

/// Basic grid or dedicated grid (专属网格) for one institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GridKind {
    Basic,
    Dedicated,
}

/// 网格: part of one community, a few hundred households, one worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub id: Id,
    pub community_id: Id,
    /// 15 digits: 6 admin + 3 street + 3 community + 3 sequence.
    pub code: String,
    pub name: String,
    pub kind: GridKind,
    pub boundary: MultiPolygon<f64>,
}

/// Where a building's household count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HouseholdSource {
    /// Imported from a survey or register.
    Surveyed,
    /// Derived from footprint × levels ÷ dwelling size (BRIEF §3).
    Estimated,
}

/// 楼栋: the atom of assignment; never split between grids.
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub id: Id,
    pub osm_id: Option<i64>,
    pub name: Option<String>,
    pub address: Option<String>,
    /// OSM `building=*` value (`residential`, `yes`, `school`, …).
    pub class: String,
    pub levels: Option<u32>,
    pub households: u32,
    pub household_source: HouseholdSource,
    pub footprint: MultiPolygon<f64>,
    /// A point guaranteed to lie on the footprint (used for assignment).
    pub point: Point<f64>,
    pub grid_id: Option<Id>,
}

/// The three tiers of 党群服务中心 / 站 / 点.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StationTier {
    Centre,
    Station,
    Point,
}

/// A service station residents walk to.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub id: Id,
    /// OSM id: nodes and ways as their id, relations negated.
    pub osm_id: Option<i64>,
    /// Which OSM element type `osm_id` numbers: stations come from nodes,
    /// ways and relations, and node 5 is not way 5. `None` with an `osm_id`
    /// only on rows stored before types were kept; the next OSM import that
    /// holds the station sets it.
    pub osm_type: Option<OsmType>,
    pub name: String,
    pub tier: StationTier,
    /// OSM `amenity`/`office` value the station was taken from, if any.
    pub kind: Option<String>,
    pub opening_hours: Option<String>,
    pub point: Point<f64>,
}

/// An OSM element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsmType {
    Node,
    Way,
    Relation,
}

impl OsmType {
    pub fn as_str(self) -> &'static str {
        match self {
            OsmType::Node => "node",
            OsmType::Way => "way",
            OsmType::Relation => "relation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "node" => Some(OsmType::Node),
            "way" => Some(OsmType::Way),
            "relation" => Some(OsmType::Relation),
            _ => None,
        }
    }
}

/// One OSM element: its type and its id as OSM numbers it (positive). What
/// an OSM import matches stored features by, per table: a building, road or
/// area keeps it as `osm_id` (ways as their id, relations negated, the
/// osm2pgsql convention), a station as `osm_type` + `osm_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OsmKey {
    pub kind: OsmType,
    pub id: i64,
}

impl OsmKey {
    pub fn new(kind: OsmType, id: i64) -> Self {
        OsmKey { kind, id }
    }

    /// The element a stored `osm_id` of a building, road or area names:
    /// a way, or a relation when negative.
    pub fn from_way_or_relation(osm_id: i64) -> Self {
        if osm_id < 0 {
            OsmKey::new(OsmType::Relation, osm_id.saturating_neg())
        } else {
            OsmKey::new(OsmType::Way, osm_id)
        }
    }

    /// The element a stored station names; `None` for a row stored
    /// without its type (see [`Station::osm_type`]).
    pub fn from_stored(kind: Option<OsmType>, osm_id: i64) -> Option<Self> {
        let kind = kind?;
        Some(match kind {
            OsmType::Relation => OsmKey::new(kind, osm_id.saturating_abs()),
            _ => OsmKey::new(kind, osm_id),
        })
    }

    /// The `osm_id` column value: relations negated.
    pub fn stored_id(self) -> i64 {
        match self.kind {
            OsmType::Relation => self.id.saturating_neg(),
            _ => self.id,
        }
    }

    /// `n123` / `node/123`, `w123` / `way/123`, `r45` / `relation/45`, or
    /// a bare number, which names a `bare` element (a negative one a
    /// relation, as stored ids do). `None` when it is none of these or not
    /// a positive id.
    pub fn parse(text: &str, bare: OsmType) -> Option<Self> {
        let t = text.trim();
        let typed = [
            ("node/", OsmType::Node),
            ("way/", OsmType::Way),
            ("relation/", OsmType::Relation),
            ("n", OsmType::Node),
            ("w", OsmType::Way),
            ("r", OsmType::Relation),
        ];
        for (prefix, kind) in typed {
            if let Some(n) = t.strip_prefix(prefix) {
                let id: i64 = n.parse().ok().filter(|v: &i64| *v > 0)?;
                return Some(OsmKey::new(kind, id));
            }
        }
        let n: i64 = t.parse().ok().filter(|v: &i64| *v != 0)?;
        Some(if n < 0 {
            OsmKey::new(OsmType::Relation, n.checked_neg()?)
        } else {
            OsmKey::new(bare, n)
        })
    }
}

impl std::fmt::Display for OsmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.id)
    }
}

impl Building {
    /// The OSM element this building came from, when known.
    pub fn osm_key(&self) -> Option<OsmKey> {
        self.osm_id.map(OsmKey::from_way_or_relation)
    }
}

impl Station {
    /// The OSM element this station came from, when known (with its type).
    pub fn osm_key(&self) -> Option<OsmKey> {
        OsmKey::from_stored(self.osm_type, self.osm_id?)
    }
}

impl Road {
    pub fn osm_key(&self) -> Option<OsmKey> {
        self.osm_id.map(OsmKey::from_way_or_relation)
    }
}

impl Area {
    pub fn osm_key(&self) -> Option<OsmKey> {
        self.osm_id.map(OsmKey::from_way_or_relation)
    }
}

/// One feature of the four tables an OSM import fills.
#[derive(Debug, Clone)]
pub enum Feature {
    Building(Building),
    Road(Road),
    Station(Station),
    Area(Area),
}

/// A person's role attached to a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    /// 网格长
    GridLeader,
    /// 网格员
    GridWorker,
    /// 楼栋长
    BuildingSteward,
}

/// A public contact of a grid (name, role, public phone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Id,
    pub grid_id: Id,
    pub name: String,
    pub role: PersonRole,
    pub phone: Option<String>,
    /// Demo people are fictional and flagged so the UI can say so.
    pub sample: bool,
}

/// A street segment (an OSM highway way) kept for the basemap and the walking graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    pub id: Id,
    pub osm_id: Option<i64>,
    /// OSM `highway=*` value.
    pub class: String,
    pub name: Option<String>,
    /// Whether pedestrians may use it (motorways and links are not walkable).
    pub walkable: bool,
    pub geometry: LineString<f64>,
    /// OSM node ids of the vertices, parallel to `geometry`, for graph topology.
    pub node_ids: Vec<i64>,
}

/// A basemap area: water or land use.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub id: Id,
    pub osm_id: Option<i64>,
    /// `water`, or the OSM `landuse`/`leisure`/`natural` value.
    pub kind: String,
    pub name: Option<String>,
    pub geometry: MultiPolygon<f64>,
}

impl GridKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GridKind::Basic => "basic",
            GridKind::Dedicated => "dedicated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "basic" => Some(GridKind::Basic),
            "dedicated" => Some(GridKind::Dedicated),
            _ => None,
        }
    }
}

impl HouseholdSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdSource::Surveyed => "surveyed",
            HouseholdSource::Estimated => "estimated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "surveyed" => Some(HouseholdSource::Surveyed),
            "estimated" => Some(HouseholdSource::Estimated),
            _ => None,
        }
    }
}

impl StationTier {
    pub fn as_str(self) -> &'static str {
        match self {
            StationTier::Centre => "centre",
            StationTier::Station => "station",
            StationTier::Point => "point",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "centre" => Some(StationTier::Centre),
            "station" => Some(StationTier::Station),
            "point" => Some(StationTier::Point),
            _ => None,
        }
    }
}

impl PersonRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonRole::GridLeader => "grid_leader",
            PersonRole::GridWorker => "grid_worker",
            PersonRole::BuildingSteward => "building_steward",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "grid_leader" => Some(PersonRole::GridLeader),
            "grid_worker" => Some(PersonRole::GridWorker),
            "building_steward" => Some(PersonRole::BuildingSteward),
            _ => None,
        }
    }
}

/// Everything a store holds, as loaded into memory to build an [`crate::Atlas`].
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub street_offices: Vec<StreetOffice>,
    pub communities: Vec<Community>,
    pub grids: Vec<Grid>,
    pub buildings: Vec<Building>,
    pub stations: Vec<Station>,
    pub people: Vec<Person>,
    pub roads: Vec<Road>,
    pub areas: Vec<Area>,
}

/// Row counts of a store or snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub street_offices: u64,
    pub communities: u64,
    pub grids: u64,
    pub buildings: u64,
    pub stations: u64,
    pub people: u64,
    pub roads: u64,
    pub areas: u64,
}

/// Where a plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    /// Being edited; not visible to the public.
    Draft,
    /// The community's current grids.
    Published,
    /// Was published once, since replaced.
    Archived,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Published => "published",
            PlanStatus::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PlanStatus::Draft),
            "published" => Some(PlanStatus::Published),
            "archived" => Some(PlanStatus::Archived),
            _ => None,
        }
    }
}

/// A plan: a versioned draft of one community's grids. Its content lives in
/// [`PlanVersion`]s; `version` is the newest one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: Id,
    pub community_id: Id,
    pub name: String,
    pub status: PlanStatus,
    /// The plan this one was created from, if any.
    pub base_plan_id: Option<Id>,
    pub version: i64,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    pub published_at: Option<i64>,
    /// The community's published plan this draft's content builds on (the
    /// one published when it was made, or the one a rebase moved it onto);
    /// `None` when no plan was published then. A draft is only published
    /// over this plan (else `base_changed`), unless forced with a reason.
    #[serde(default)]
    pub base_published_id: Option<Id>,
}

/// What made a plan version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlanOp {
    Create,
    Edit,
    Undo,
    Redo,
    Publish,
    /// The draft restarted from a newer published plan (its own edits are
    /// replayed after it as `Edit` versions); undo stops here.
    Rebase,
}

impl PlanOp {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanOp::Create => "create",
            PlanOp::Edit => "edit",
            PlanOp::Undo => "undo",
            PlanOp::Redo => "redo",
            PlanOp::Publish => "publish",
            PlanOp::Rebase => "rebase",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(PlanOp::Create),
            "edit" => Some(PlanOp::Edit),
            "undo" => Some(PlanOp::Undo),
            "redo" => Some(PlanOp::Redo),
            "publish" => Some(PlanOp::Publish),
            "rebase" => Some(PlanOp::Rebase),
            _ => None,
        }
    }
}

/// One entry of a plan's append-only history: the edit (JSON), who made it
/// and when, and the whole plan state after it (JSON, owned by the planning
/// engine; the store does not look inside).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVersion {
    pub plan_id: Id,
    pub version: i64,
    pub op: PlanOp,
    pub edit: String,
    /// Empty when loaded through [`crate::store::Store::plan_history`].
    pub state: String,
    pub author: String,
    /// Unix seconds.
    pub at: i64,
}

/// `[lon, lat]` in WGS84, as requests and answers write a point: the
/// OpenAPI schema of `[f64; 2]` coordinate fields.
pub struct LonLat;

impl utoipa::PartialSchema for LonLat {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, ObjectBuilder, Type};
        let number = |min: f64, max: f64| {
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(min))
                .maximum(Some(max))
        };
        ArrayBuilder::new()
            .description(Some("`[lon, lat]` in WGS84."))
            .prefix_items([number(-180.0, 180.0), number(-90.0, 90.0)])
            .items(ArrayItems::False)
            .min_items(Some(2))
            .max_items(Some(2))
            .into()
    }
}

impl utoipa::ToSchema for LonLat {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("LonLat")
    }
}
