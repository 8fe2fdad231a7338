//! Persistence. [`Store`] is what every backend implements; the embedded
//! SQLite store (`sqlite/`) is the default, and a PostGIS store (`postgis/`)
//! the other. Both are one implementation over SQL (`sql/`) that decodes
//! rows into the model in one place (`decode.rs`); a backend module holds
//! only what differs (connecting, column types, locks).
//! Writes go through a [`WriteTx`]: nothing is visible until `commit`, and a
//! transaction dropped without commit (an import that failed half-way) is
//! rolled back, leaving the store as it was.

pub mod accounts;
mod codec;
mod decode;
pub mod migrate;
mod postgis;
mod sql;
mod sqlite;

use async_trait::async_trait;

use crate::error::{DataError, Result};
use crate::model::{
    Area, Building, Community, Counts, Dataset, Feature, Grid, HouseholdSource, Id, Person, Plan,
    PlanOp, PlanStatus, PlanVersion, Road, Station, StreetOffice,
};
pub use accounts::{Accounts, AuditEntry};
pub use postgis::{CHANGE_CHANNEL, PgAccounts, PostgisStore};
pub use sql::{SqlAccounts, SqlStore};
pub use sqlite::{SqliteAccounts, SqliteStore};

/// A gridmap store: the durable home of the domain model.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgis`.
    fn backend(&self) -> &'static str;
    /// Row counts per table.
    async fn counts(&self) -> Result<Counts>;
    /// Everything, to build an in-memory [`crate::Atlas`].
    async fn load(&self) -> Result<Dataset>;
    /// Just the grids (cheaper than a full load).
    async fn load_grids(&self) -> Result<Vec<Grid>>;
    /// A value from the key/value metadata table.
    async fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Start a write transaction.
    async fn begin(&self) -> Result<Box<dyn WriteTx>>;
    /// A counter every committed write transaction that changed the model
    /// (what the Atlas holds: communities, grids, buildings, people …, and
    /// community rules, which tiles show) increments; plan, retired-code and
    /// audit writes leave it. Servers
    /// sharing a database compare it with their snapshot's to know when to
    /// reload, and it makes tile ETags agree between them.
    async fn data_version(&self) -> Result<u64>;
    /// A random identity given to the store when it was created, so ETags of
    /// two different stores never collide.
    async fn store_id(&self) -> Result<String> {
        Ok(self.meta(STORE_ID_KEY).await?.unwrap_or_default())
    }
    /// Users, sessions and the audit log.
    fn accounts(&self) -> &dyn Accounts;

    /// Plans, newest first; of one community when given.
    async fn plans(&self, community: Option<Id>) -> Result<Vec<Plan>>;
    async fn plan(&self, id: Id) -> Result<Option<Plan>>;
    /// One version of a plan, with its state.
    async fn plan_version(&self, plan: Id, version: i64) -> Result<Option<PlanVersion>>;
    /// A plan's whole history, oldest first, without the (large) states.
    async fn plan_history(&self, plan: Id) -> Result<Vec<PlanVersion>>;
    /// A community's planning rules (JSON), when set.
    async fn community_rules(&self, community: Id) -> Result<Option<String>>;
    /// Every community's rules (JSON), by community id.
    async fn all_community_rules(&self) -> Result<Vec<(Id, String)>>;
    /// Grid codes a community retired; never to be reused.
    async fn retired_codes(&self, community: Id) -> Result<Vec<String>>;
}

/// The four tables an OSM import fills, whose rows carry OSM ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeatureTable {
    Buildings,
    Stations,
    Roads,
    Areas,
}

impl FeatureTable {
    pub const ALL: [FeatureTable; 4] = [
        FeatureTable::Buildings,
        FeatureTable::Stations,
        FeatureTable::Roads,
        FeatureTable::Areas,
    ];
}

/// One write transaction. Dropping it without [`WriteTx::commit`] rolls back.
/// Inserts ignore the `id` of the value passed and return the new row id.
#[async_trait]
pub trait WriteTx: Send {
    async fn insert_street_office(&mut self, s: &StreetOffice) -> Result<Id>;
    async fn insert_community(&mut self, c: &Community) -> Result<Id>;
    async fn insert_grid(&mut self, g: &Grid) -> Result<Id>;
    async fn insert_building(&mut self, b: &Building) -> Result<Id>;
    async fn insert_station(&mut self, s: &Station) -> Result<Id>;
    async fn insert_person(&mut self, p: &Person) -> Result<Id>;
    async fn insert_road(&mut self, r: &Road) -> Result<Id>;
    async fn insert_area(&mut self, a: &Area) -> Result<Id>;
    /// Make keyed imports wait for each other: SQLite takes its write lock
    /// at once, PostGIS a transaction-scoped advisory lock every import
    /// takes. Called first, so the stored keys an import reads stay true
    /// until it commits (no second import inserts the same key meanwhile).
    async fn lock_for_import(&mut self) -> Result<()>;
    /// Every row of `table` that carries an OSM id, in id order, read inside
    /// this transaction (streamed: the table is never held whole).
    async fn scan_osm_features(
        &mut self,
        table: FeatureTable,
        visit: &mut (dyn FnMut(Feature) -> Result<()> + Send),
    ) -> Result<()>;
    /// Rewrite a building's fields (OSM id, name, address, class, levels,
    /// households and their source, footprint, point), keeping its id and
    /// grid; false when no such building.
    async fn update_building(&mut self, b: &Building) -> Result<bool>;
    /// Rewrite a station's fields, keeping its id; false when none.
    async fn update_station(&mut self, s: &Station) -> Result<bool>;
    /// Rewrite a road's fields, keeping its id; false when none.
    async fn update_road(&mut self, r: &Road) -> Result<bool>;
    /// Rewrite an area's fields, keeping its id; false when none.
    async fn update_area(&mut self, a: &Area) -> Result<bool>;
    /// Rewrite a community's street office, code, name and boundary,
    /// keeping its id (its grids and plans); false when none.
    async fn update_community(&mut self, c: &Community) -> Result<bool>;
    /// Delete rows of `table` by id; returns how many were deleted.
    async fn delete_features(&mut self, table: FeatureTable, ids: &[Id]) -> Result<u64>;
    /// The newest state (JSON) of every draft plan, by plan id, read inside
    /// this transaction (PostGIS locks the drafts' rows until commit, so no
    /// edit lands on them meanwhile).
    async fn draft_plan_states(&mut self) -> Result<Vec<(Id, String)>>;
    /// Set a building's household count; false when no such building.
    async fn set_households(
        &mut self,
        building: Id,
        households: u32,
        source: HouseholdSource,
    ) -> Result<bool>;
    /// Put a building in a grid (or none); false when no such building.
    async fn set_building_grid(&mut self, building: Id, grid: Option<Id>) -> Result<bool>;
    async fn set_meta(&mut self, key: &str, value: &str) -> Result<()>;
    /// Append an audit row that commits (or rolls back) with this transaction.
    async fn append_audit(&mut self, entry: &AuditEntry) -> Result<Id>;
    /// From now on, inserts keep the `id` of the value passed instead of
    /// assigning a new one (copying a whole store, `gridmap migrate`).
    fn keep_ids(&mut self);
    /// Copy a plan with its id and its whole history (`gridmap migrate`).
    async fn copy_plan(&mut self, plan: &Plan, versions: &[PlanVersion]) -> Result<()>;

    /// Change a grid's code, name, kind and boundary; false when no such grid.
    async fn update_grid(&mut self, g: &Grid) -> Result<bool>;
    /// Delete a grid, its people, and take its buildings out of it.
    async fn delete_grid(&mut self, id: Id) -> Result<bool>;
    /// Delete the people of a grid; returns how many.
    async fn delete_grid_people(&mut self, grid: Id) -> Result<u64>;
    /// Record a retired grid code (idempotent).
    async fn retire_code(&mut self, community: Id, code: &str, at: i64) -> Result<()>;
    async fn set_community_rules(&mut self, community: Id, rules: &str) -> Result<()>;
    /// Create a plan at version 1 with its first state. `plan.version` and
    /// `plan.id` are ignored.
    async fn insert_plan(&mut self, plan: &Plan, edit: &str, state: &str) -> Result<Id>;
    /// Append a version to a plan made on version `expected`. Fails with
    /// [`DataError::Conflict`] when the plan has moved on (a stale edit) and
    /// [`DataError::NotFound`] when there is no such plan. Returns the new version.
    #[allow(clippy::too_many_arguments)]
    async fn append_plan_version(
        &mut self,
        plan: Id,
        expected: i64,
        op: PlanOp,
        edit: &str,
        state: &str,
        author: &str,
        at: i64,
    ) -> Result<i64>;
    /// Set a plan's status (`published_at` is set when publishing).
    async fn set_plan_status(&mut self, plan: Id, status: PlanStatus, at: i64) -> Result<()>;
    /// Archive the community's published plan, which must be `expected`
    /// (`None`: the community has none): a compare-and-set, so of two
    /// publishes over the same plan only one succeeds. Otherwise fails with
    /// [`DataError::PublishedChanged`] and changes nothing.
    async fn archive_published(&mut self, community: Id, expected: Option<Id>) -> Result<()>;
    /// Set the published plan a draft is based on (a rebase).
    async fn set_plan_base(&mut self, plan: Id, base: Option<Id>) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Meta key of [`Store::store_id`].
pub const STORE_ID_KEY: &str = "store_id";

/// Open (and migrate) the store a `--db` URL names: `sqlite://PATH` or
/// `postgres://USER:PASSWORD@HOST/DB`.
pub async fn open(url: &str) -> Result<Box<dyn Store>> {
    let store: Box<dyn Store> = if url.starts_with("sqlite:") {
        Box::new(SqliteStore::open(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Box::new(PostgisStore::open(url).await?)
    } else {
        return Err(DataError::UnsupportedUrl(url.to_owned()));
    };
    if store.meta(STORE_ID_KEY).await?.is_none() {
        let mut tx = store.begin().await?;
        tx.set_meta(STORE_ID_KEY, &new_store_id()).await?;
        tx.commit().await?;
    }
    Ok(store)
}

/// 64 random bits (std's hasher keys come from the OS) mixed with the clock, as hex.
fn new_store_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(now);
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// Write a whole dataset (e.g. a synthetic city) into a transaction,
/// mapping its ids to the store's new ids. Returns the building count.
pub async fn write_dataset(tx: &mut dyn WriteTx, d: &Dataset) -> Result<u64> {
    use std::collections::HashMap;
    let mut offices = HashMap::new();
    for s in &d.street_offices {
        offices.insert(s.id, tx.insert_street_office(s).await?);
    }
    let mut communities = HashMap::new();
    for c in &d.communities {
        let mut c2 = c.clone();
        c2.street_office_id = c.street_office_id.and_then(|o| offices.get(&o).copied());
        communities.insert(c.id, tx.insert_community(&c2).await?);
    }
    let mut grids = HashMap::new();
    for g in &d.grids {
        let community_id =
            *communities
                .get(&g.community_id)
                .ok_or_else(|| DataError::InvalidFeature {
                    feature: format!("grid {}", g.code),
                    message: format!("unknown community {}", g.community_id),
                })?;
        let id = tx
            .insert_grid(&Grid {
                community_id,
                ..g.clone()
            })
            .await?;
        grids.insert(g.id, id);
    }
    for b in &d.buildings {
        let grid_id = b.grid_id.and_then(|g| grids.get(&g).copied());
        tx.insert_building(&Building {
            grid_id,
            ..b.clone()
        })
        .await?;
    }
    for s in &d.stations {
        tx.insert_station(s).await?;
    }
    for p in &d.people {
        if let Some(&grid_id) = grids.get(&p.grid_id) {
            tx.insert_person(&Person {
                grid_id,
                ..p.clone()
            })
            .await?;
        }
    }
    for r in &d.roads {
        tx.insert_road(r).await?;
    }
    for a in &d.areas {
        tx.insert_area(a).await?;
    }
    Ok(d.buildings.len() as u64)
}
