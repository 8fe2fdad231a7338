//! The embedded default store: one SQLite file (bundled, WAL mode) through sqlx.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use geo::Point;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use crate::store::codec;
use crate::store::sql::accounts::{SqliteAccounts, insert_audit};
use crate::store::sql::plans::{self as plans, PlanWrites};
use crate::store::{Accounts, AuditEntry, FeatureTable, Store, WriteTx};
use crate::error::{DataError, Result};
use crate::model::*;

/// SQLite store at a `sqlite://PATH` URL.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    accounts: SqliteAccounts,
}

impl SqliteStore {
    /// Open or create the file, switch to WAL and run migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|_| DataError::UnsupportedUrl(url.to_owned()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: the WAL is synced at every commit, so a write that was
            // acknowledged survives a power loss, not only a process crash
            // (NORMAL may roll back the last commits). Costs one fsync per
            // transaction, not per row (BENCHMARKS.md, "SQLite durability").
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let accounts = SqliteAccounts::new(pool.clone());
        Ok(SqliteStore { pool, accounts })
    }

    /// The pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn opt_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

fn bad(table: &'static str, column: &'static str, id: i64, value: &str) -> DataError {
    DataError::Corrupt {
        table,
        column,
        id,
        message: format!("unexpected value `{value}`"),
    }
}

fn grid_row(r: &sqlx::sqlite::SqliteRow) -> Result<Grid> {
    let id: i64 = r.try_get(0)?;
    let kind: String = r.try_get(4)?;
    Ok(Grid {
        id,
        community_id: r.try_get(1)?,
        code: r.try_get(2)?,
        name: r.try_get(3)?,
        kind: GridKind::parse(&kind).ok_or_else(|| bad("grids", "kind", id, &kind))?,
        boundary: codec::decode_multipolygon(r.try_get(5)?, "grids", "boundary", id)?,
    })
}

const BUILDING_COLUMNS: &str = "id, osm_id, name, address, class, levels, households,
    household_source, footprint, lon, lat, grid_id";
const STATION_COLUMNS: &str = "id, osm_id, name, tier, kind, opening_hours, lon, lat, osm_type";
const ROAD_COLUMNS: &str = "id, osm_id, class, name, walkable, geometry, node_ids";
const AREA_COLUMNS: &str = "id, osm_id, kind, name, geometry";

fn building_row(r: &sqlx::sqlite::SqliteRow) -> Result<Building> {
    let id: i64 = r.try_get(0)?;
    let source: String = r.try_get(7)?;
    let households: i64 = r.try_get(6)?;
    Ok(Building {
        id,
        osm_id: r.try_get(1)?,
        name: r.try_get(2)?,
        address: r.try_get(3)?,
        class: r.try_get(4)?,
        levels: opt_u32(r.try_get(5)?),
        households: u32::try_from(households)
            .map_err(|_| bad("buildings", "households", id, &households.to_string()))?,
        household_source: HouseholdSource::parse(&source)
            .ok_or_else(|| bad("buildings", "household_source", id, &source))?,
        footprint: codec::decode_multipolygon(r.try_get(8)?, "buildings", "footprint", id)?,
        point: Point::new(r.try_get(9)?, r.try_get(10)?),
        grid_id: r.try_get(11)?,
    })
}

fn station_row(r: &sqlx::sqlite::SqliteRow) -> Result<Station> {
    let id: i64 = r.try_get(0)?;
    let tier: String = r.try_get(3)?;
    let osm_type: Option<String> = r.try_get(8)?;
    Ok(Station {
        id,
        osm_id: r.try_get(1)?,
        osm_type: osm_type
            .map(|t| OsmType::parse(&t).ok_or_else(|| bad("stations", "osm_type", id, &t)))
            .transpose()?,
        name: r.try_get(2)?,
        tier: StationTier::parse(&tier).ok_or_else(|| bad("stations", "tier", id, &tier))?,
        kind: r.try_get(4)?,
        opening_hours: r.try_get(5)?,
        point: Point::new(r.try_get(6)?, r.try_get(7)?),
    })
}

fn road_row(r: &sqlx::sqlite::SqliteRow) -> Result<Road> {
    let id: i64 = r.try_get(0)?;
    let ids: Vec<u8> = r.try_get(6)?;
    Ok(Road {
        id,
        osm_id: r.try_get(1)?,
        class: r.try_get(2)?,
        name: r.try_get(3)?,
        walkable: r.try_get::<i64, _>(4)? != 0,
        geometry: codec::decode_line(r.try_get(5)?, "roads", "geometry", id)?,
        node_ids: codec::decode_ids(&ids, "roads", "node_ids", id)?,
    })
}

fn area_row(r: &sqlx::sqlite::SqliteRow) -> Result<Area> {
    let id: i64 = r.try_get(0)?;
    Ok(Area {
        id,
        osm_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        name: r.try_get(3)?,
        geometry: codec::decode_multipolygon(r.try_get(4)?, "areas", "geometry", id)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM street_offices), (SELECT count(*) FROM communities),
                    (SELECT count(*) FROM grids), (SELECT count(*) FROM buildings),
                    (SELECT count(*) FROM stations), (SELECT count(*) FROM people),
                    (SELECT count(*) FROM roads), (SELECT count(*) FROM areas)",
        )
        .fetch_one(&self.pool)
        .await?;
        let n = |i: usize| -> Result<u64> { Ok(row.try_get::<i64, _>(i)?.max(0) as u64) };
        Ok(Counts {
            street_offices: n(0)?,
            communities: n(1)?,
            grids: n(2)?,
            buildings: n(3)?,
            stations: n(4)?,
            people: n(5)?,
            roads: n(6)?,
            areas: n(7)?,
        })
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn load_grids(&self) -> Result<Vec<Grid>> {
        let rows = sqlx::query(
            "SELECT id, community_id, code, name, kind, boundary FROM grids ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grid_row).collect()
    }

    async fn load(&self) -> Result<Dataset> {
        // One read transaction: every table from the same snapshot, even
        // while another connection writes (WAL).
        let mut conn = self.pool.begin().await?;
        let mut d = Dataset::default();
        for r in sqlx::query("SELECT id, code, name FROM street_offices ORDER BY id")
            .fetch_all(&mut *conn)
            .await?
        {
            d.street_offices.push(StreetOffice {
                id: r.try_get(0)?,
                code: r.try_get(1)?,
                name: r.try_get(2)?,
            });
        }
        for r in sqlx::query(
            "SELECT id, street_office_id, code, name, boundary FROM communities ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let id: i64 = r.try_get(0)?;
            d.communities.push(Community {
                id,
                street_office_id: r.try_get(1)?,
                code: r.try_get(2)?,
                name: r.try_get(3)?,
                boundary: codec::decode_multipolygon(r.try_get(4)?, "communities", "boundary", id)?,
            });
        }
        for r in sqlx::query(
            "SELECT id, community_id, code, name, kind, boundary FROM grids ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            d.grids.push(grid_row(&r)?);
        }
        // Buildings are by far the largest table: stream the rows instead of
        // holding every row (and its WKB) in memory at once.
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM buildings")
            .fetch_one(&mut *conn)
            .await?;
        d.buildings.reserve(usize::try_from(count).unwrap_or(0));
        let sql = format!("SELECT {BUILDING_COLUMNS} FROM buildings ORDER BY id");
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            d.buildings.push(building_row(&r)?);
        }
        drop(rows);
        let sql = format!("SELECT {STATION_COLUMNS} FROM stations ORDER BY id");
        for r in sqlx::query(&sql).fetch_all(&mut *conn).await? {
            d.stations.push(station_row(&r)?);
        }
        for r in
            sqlx::query("SELECT id, grid_id, name, role, phone, sample FROM people ORDER BY id")
                .fetch_all(&mut *conn)
                .await?
        {
            let id: i64 = r.try_get(0)?;
            let role: String = r.try_get(3)?;
            d.people.push(Person {
                id,
                grid_id: r.try_get(1)?,
                name: r.try_get(2)?,
                role: PersonRole::parse(&role).ok_or_else(|| bad("people", "role", id, &role))?,
                phone: r.try_get(4)?,
                sample: r.try_get::<i64, _>(5)? != 0,
            });
        }
        let sql = format!("SELECT {ROAD_COLUMNS} FROM roads ORDER BY id");
        for r in sqlx::query(&sql).fetch_all(&mut *conn).await? {
            d.roads.push(road_row(&r)?);
        }
        let sql = format!("SELECT {AREA_COLUMNS} FROM areas ORDER BY id");
        for r in sqlx::query(&sql).fetch_all(&mut *conn).await? {
            d.areas.push(area_row(&r)?);
        }
        // End the read transaction here rather than leaving the rollback
        // to drop: a pooled connection must not keep an old snapshot.
        conn.commit().await?;
        Ok(d)
    }

    fn accounts(&self) -> &dyn Accounts {
        &self.accounts
    }

    async fn begin(&self) -> Result<Box<dyn WriteTx>> {
        Ok(Box::new(SqliteTx {
            tx: self.pool.begin().await?,
            keep_ids: false,
            model_changed: false,
        }))
    }

    async fn data_version(&self) -> Result<u64> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'data_version'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    async fn plans(&self, community: Option<Id>) -> Result<Vec<Plan>> {
        plans::plans(&self.pool, community).await
    }
    async fn plan(&self, id: Id) -> Result<Option<Plan>> {
        plans::plan(&self.pool, id).await
    }
    async fn plan_version(&self, plan: Id, version: i64) -> Result<Option<PlanVersion>> {
        plans::plan_version(&self.pool, plan, version).await
    }
    async fn plan_history(&self, plan: Id) -> Result<Vec<PlanVersion>> {
        plans::plan_history(&self.pool, plan).await
    }
    async fn community_rules(&self, community: Id) -> Result<Option<String>> {
        plans::community_rules(&self.pool, community).await
    }
    async fn all_community_rules(&self) -> Result<Vec<(Id, String)>> {
        Ok(
            sqlx::query_as("SELECT community_id, rules FROM community_rules ORDER BY community_id")
                .fetch_all(&self.pool)
                .await?,
        )
    }
    async fn retired_codes(&self, community: Id) -> Result<Vec<String>> {
        plans::retired_codes(&self.pool, community).await
    }
}

struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    /// Inserts keep the ids of the values passed (`gridmap migrate`).
    keep_ids: bool,
    /// Whether a model table (what the Atlas holds) was written; only then
    /// does the commit bump the data version. Community rules count (tiles
    /// show grid status by them); plans, retired codes and audit rows do not
    /// make servers reload.
    model_changed: bool,
}

#[async_trait]
impl WriteTx for SqliteTx {
    async fn insert_street_office(&mut self, s: &StreetOffice) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query("INSERT INTO street_offices (id, code, name) VALUES (?, ?, ?)")
            .bind(self.keep_ids.then_some(s.id))
            .bind(&s.code)
            .bind(&s.name)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.last_insert_rowid())
    }

    async fn insert_community(&mut self, c: &Community) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query(
            "INSERT INTO communities (id, street_office_id, code, name, boundary) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(c.id))
        .bind(c.street_office_id)
        .bind(&c.code)
        .bind(&c.name)
        .bind(codec::encode_multipolygon(&c.boundary)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.last_insert_rowid())
    }

    async fn insert_grid(&mut self, g: &Grid) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query(
            "INSERT INTO grids (id, community_id, code, name, kind, boundary) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(g.id))
        .bind(g.community_id)
        .bind(&g.code)
        .bind(&g.name)
        .bind(g.kind.as_str())
        .bind(codec::encode_multipolygon(&g.boundary)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.last_insert_rowid())
    }

    async fn insert_building(&mut self, b: &Building) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query(
            "INSERT INTO buildings (id, osm_id, name, address, class, levels, households,
                household_source, footprint, lon, lat, grid_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(b.id))
        .bind(b.osm_id)
        .bind(&b.name)
        .bind(&b.address)
        .bind(&b.class)
        .bind(b.levels.map(i64::from))
        .bind(i64::from(b.households))
        .bind(b.household_source.as_str())
        .bind(codec::encode_multipolygon(&b.footprint)?)
        .bind(b.point.x())
        .bind(b.point.y())
        .bind(b.grid_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.last_insert_rowid())
    }

    async fn insert_station(&mut self, s: &Station) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query(
            "INSERT INTO stations (id, osm_id, osm_type, name, tier, kind, opening_hours, lon, lat)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(s.id))
        .bind(s.osm_id)
        .bind(s.osm_type.map(OsmType::as_str))
        .bind(&s.name)
        .bind(s.tier.as_str())
        .bind(&s.kind)
        .bind(&s.opening_hours)
        .bind(s.point.x())
        .bind(s.point.y())
        .execute(&mut *self.tx)
        .await?;
        Ok(r.last_insert_rowid())
    }

    async fn insert_person(&mut self, p: &Person) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query(
            "INSERT INTO people (id, grid_id, name, role, phone, sample) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(p.id))
        .bind(p.grid_id)
        .bind(&p.name)
        .bind(p.role.as_str())
        .bind(&p.phone)
        .bind(i64::from(p.sample))
        .execute(&mut *self.tx)
        .await?;
        Ok(r.last_insert_rowid())
    }

    async fn insert_road(&mut self, r: &Road) -> Result<Id> {
        self.model_changed = true;
        let res = sqlx::query(
            "INSERT INTO roads (id, osm_id, class, name, walkable, geometry, node_ids) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(r.id))
        .bind(r.osm_id)
        .bind(&r.class)
        .bind(&r.name)
        .bind(i64::from(r.walkable))
        .bind(codec::encode_line(&r.geometry)?)
        .bind(codec::encode_ids(&r.node_ids))
        .execute(&mut *self.tx)
        .await?;
        Ok(res.last_insert_rowid())
    }

    async fn insert_area(&mut self, a: &Area) -> Result<Id> {
        self.model_changed = true;
        let r = sqlx::query(
            "INSERT INTO areas (id, osm_id, kind, name, geometry) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(self.keep_ids.then_some(a.id))
        .bind(a.osm_id)
        .bind(&a.kind)
        .bind(&a.name)
        .bind(codec::encode_multipolygon(&a.geometry)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.last_insert_rowid())
    }

    async fn lock_for_import(&mut self) -> Result<()> {
        // A write statement takes SQLite's write lock now, so what the
        // import reads next is what it writes over (no other writer can
        // commit in between); it changes no row.
        sqlx::query("UPDATE meta SET value = value WHERE 0")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn scan_osm_features(
        &mut self,
        table: FeatureTable,
        visit: &mut (dyn FnMut(Feature) -> Result<()> + Send),
    ) -> Result<()> {
        let (columns, name) = match table {
            FeatureTable::Buildings => (BUILDING_COLUMNS, "buildings"),
            FeatureTable::Stations => (STATION_COLUMNS, "stations"),
            FeatureTable::Roads => (ROAD_COLUMNS, "roads"),
            FeatureTable::Areas => (AREA_COLUMNS, "areas"),
        };
        let sql = format!("SELECT {columns} FROM {name} WHERE osm_id IS NOT NULL ORDER BY id");
        let mut rows = sqlx::query(&sql).fetch(&mut *self.tx);
        while let Some(r) = rows.try_next().await? {
            visit(match table {
                FeatureTable::Buildings => Feature::Building(building_row(&r)?),
                FeatureTable::Stations => Feature::Station(station_row(&r)?),
                FeatureTable::Roads => Feature::Road(road_row(&r)?),
                FeatureTable::Areas => Feature::Area(area_row(&r)?),
            })?;
        }
        Ok(())
    }

    async fn update_building(&mut self, b: &Building) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE buildings SET osm_id = ?, name = ?, address = ?, class = ?, levels = ?,
                households = ?, household_source = ?, footprint = ?, lon = ?, lat = ?
             WHERE id = ?",
        )
        .bind(b.osm_id)
        .bind(&b.name)
        .bind(&b.address)
        .bind(&b.class)
        .bind(b.levels.map(i64::from))
        .bind(i64::from(b.households))
        .bind(b.household_source.as_str())
        .bind(codec::encode_multipolygon(&b.footprint)?)
        .bind(b.point.x())
        .bind(b.point.y())
        .bind(b.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn update_station(&mut self, s: &Station) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE stations SET osm_id = ?, osm_type = ?, name = ?, tier = ?, kind = ?,
                opening_hours = ?, lon = ?, lat = ?
             WHERE id = ?",
        )
        .bind(s.osm_id)
        .bind(s.osm_type.map(OsmType::as_str))
        .bind(&s.name)
        .bind(s.tier.as_str())
        .bind(&s.kind)
        .bind(&s.opening_hours)
        .bind(s.point.x())
        .bind(s.point.y())
        .bind(s.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn update_road(&mut self, road: &Road) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE roads SET osm_id = ?, class = ?, name = ?, walkable = ?, geometry = ?,
                node_ids = ?
             WHERE id = ?",
        )
        .bind(road.osm_id)
        .bind(&road.class)
        .bind(&road.name)
        .bind(i64::from(road.walkable))
        .bind(codec::encode_line(&road.geometry)?)
        .bind(codec::encode_ids(&road.node_ids))
        .bind(road.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn update_area(&mut self, a: &Area) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE areas SET osm_id = ?, kind = ?, name = ?, geometry = ? WHERE id = ?",
        )
        .bind(a.osm_id)
        .bind(&a.kind)
        .bind(&a.name)
        .bind(codec::encode_multipolygon(&a.geometry)?)
        .bind(a.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn update_community(&mut self, c: &Community) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE communities SET street_office_id = ?, code = ?, name = ?, boundary = ?
             WHERE id = ?",
        )
        .bind(c.street_office_id)
        .bind(&c.code)
        .bind(&c.name)
        .bind(codec::encode_multipolygon(&c.boundary)?)
        .bind(c.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_features(&mut self, table: FeatureTable, ids: &[Id]) -> Result<u64> {
        let name = match table {
            FeatureTable::Buildings => "buildings",
            FeatureTable::Stations => "stations",
            FeatureTable::Roads => "roads",
            FeatureTable::Areas => "areas",
        };
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            self.model_changed = true;
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!("DELETE FROM {name} WHERE id IN ({marks})");
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            deleted += q.execute(&mut *self.tx).await?.rows_affected();
        }
        Ok(deleted)
    }

    async fn draft_plan_states(&mut self) -> Result<Vec<(Id, String)>> {
        Ok(sqlx::query_as(
            "SELECT p.id, v.state FROM plans p
             JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
             WHERE p.status = 'draft' ORDER BY p.id",
        )
        .fetch_all(&mut *self.tx)
        .await?)
    }

    async fn set_households(
        &mut self,
        building: Id,
        households: u32,
        source: HouseholdSource,
    ) -> Result<bool> {
        self.model_changed = true;
        let r =
            sqlx::query("UPDATE buildings SET households = ?, household_source = ? WHERE id = ?")
                .bind(i64::from(households))
                .bind(source.as_str())
                .bind(building)
                .execute(&mut *self.tx)
                .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_building_grid(&mut self, building: Id, grid: Option<Id>) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query("UPDATE buildings SET grid_id = ? WHERE id = ?")
            .bind(grid)
            .bind(building)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.model_changed = true;
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    fn keep_ids(&mut self) {
        self.keep_ids = true;
    }
    async fn copy_plan(&mut self, plan: &Plan, versions: &[PlanVersion]) -> Result<()> {
        PlanWrites(&mut self.tx).copy_plan(plan, versions).await
    }
    async fn append_audit(&mut self, entry: &AuditEntry) -> Result<Id> {
        insert_audit(&mut self.tx, entry).await
    }
    async fn update_grid(&mut self, g: &Grid) -> Result<bool> {
        self.model_changed = true;
        PlanWrites(&mut self.tx).update_grid(g).await
    }
    async fn delete_grid(&mut self, id: Id) -> Result<bool> {
        self.model_changed = true;
        PlanWrites(&mut self.tx).delete_grid(id).await
    }
    async fn delete_grid_people(&mut self, grid: Id) -> Result<u64> {
        self.model_changed = true;
        PlanWrites(&mut self.tx).delete_grid_people(grid).await
    }
    async fn retire_code(&mut self, community: Id, code: &str, at: i64) -> Result<()> {
        PlanWrites(&mut self.tx)
            .retire_code(community, code, at)
            .await
    }
    async fn set_community_rules(&mut self, community: Id, rules: &str) -> Result<()> {
        // Signed-in tiles colour grids by these rules.
        self.model_changed = true;
        PlanWrites(&mut self.tx)
            .set_community_rules(community, rules)
            .await
    }
    async fn insert_plan(&mut self, plan: &Plan, edit: &str, state: &str) -> Result<Id> {
        PlanWrites(&mut self.tx)
            .insert_plan(plan, edit, state)
            .await
    }
    async fn append_plan_version(
        &mut self,
        plan: Id,
        expected: i64,
        op: PlanOp,
        edit: &str,
        state: &str,
        author: &str,
        at: i64,
    ) -> Result<i64> {
        PlanWrites(&mut self.tx)
            .append_plan_version(plan, expected, op, edit, state, author, at)
            .await
    }
    async fn archive_published(&mut self, community: Id, expected: Option<Id>) -> Result<()> {
        PlanWrites(&mut self.tx)
            .archive_published(community, expected)
            .await
    }
    async fn set_plan_base(&mut self, plan: Id, base: Option<Id>) -> Result<()> {
        PlanWrites(&mut self.tx).set_plan_base(plan, base).await
    }
    async fn set_plan_status(&mut self, plan: Id, status: PlanStatus, at: i64) -> Result<()> {
        PlanWrites(&mut self.tx)
            .set_plan_status(plan, status, at)
            .await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        if self.model_changed {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ('data_version', '1')
             ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
            )
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
