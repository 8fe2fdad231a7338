//! The production store: PostgreSQL + PostGIS through sqlx. Same tables as
//! the SQLite store, with `geometry(…, 4326)` columns and GiST indexes.
//! Geometries cross the wire as WKB made by geozero ([`super::codec`]), wrapped
//! in `ST_GeomFromWKB($n, 4326)` / read with `ST_AsBinary`.
//!
//! Every committed write transaction bumps the shared `data_version` and
//! sends `NOTIFY gridmap_changed`, so other servers over the same database
//! reload their snapshots (see [`Store::data_version`]).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use geo::Point;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};

mod accounts;

use crate::store::accounts::{Accounts, AuditEntry};
use crate::store::codec;
use crate::store::{FeatureTable, Store, WriteTx};
use accounts::insert_audit;
pub use accounts::PgAccounts;
use crate::error::{DataError, Result};
use crate::model::*;

/// The key of the advisory lock OSM and GeoJSON imports take
/// ([`WriteTx::lock_for_import`]).
const IMPORT_LOCK: i64 = 0x6772_6964_6d61_7001;

/// The channel servers LISTEN on for committed changes.
pub const CHANGE_CHANNEL: &str = "gridmap_changed";

/// PostGIS store at a `postgres://` URL.
#[derive(Clone)]
pub struct PostgisStore {
    pool: PgPool,
    accounts: PgAccounts,
}

impl PostgisStore {
    /// Connect and run migrations (creating the postgis extension if needed).
    pub async fn open(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|_| DataError::UnsupportedUrl(url.to_owned()))?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgis").run(&pool).await?;
        Ok(PostgisStore {
            accounts: PgAccounts::new(pool.clone()),
            pool,
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn bad(table: &'static str, column: &'static str, id: i64, value: &str) -> DataError {
    DataError::Corrupt {
        table,
        column,
        id,
        message: format!("unexpected value `{value}`"),
    }
}

fn u32_of(table: &'static str, column: &'static str, id: i64, v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| bad(table, column, id, &v.to_string()))
}

fn i32_of(v: u32, what: &str) -> Result<i32> {
    i32::try_from(v).map_err(|_| DataError::InvalidFeature {
        feature: what.to_owned(),
        message: format!("{v} is too large"),
    })
}

fn grid_row(r: &PgRow) -> Result<Grid> {
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

fn plan_row(r: &PgRow) -> Result<Plan> {
    let id: i64 = r.try_get(0)?;
    let status: String = r.try_get(3)?;
    Ok(Plan {
        id,
        community_id: r.try_get(1)?,
        name: r.try_get(2)?,
        status: PlanStatus::parse(&status).ok_or_else(|| bad("plans", "status", id, &status))?,
        base_plan_id: r.try_get(4)?,
        version: r.try_get(5)?,
        created_by: r.try_get(6)?,
        created_at: r.try_get(7)?,
        published_at: r.try_get(8)?,
        base_published_id: r.try_get(9)?,
    })
}

fn version_row(r: &PgRow, with_state: bool) -> Result<PlanVersion> {
    let plan_id: i64 = r.try_get(0)?;
    let op: String = r.try_get(2)?;
    Ok(PlanVersion {
        plan_id,
        version: r.try_get(1)?,
        op: PlanOp::parse(&op).ok_or_else(|| bad("plan_versions", "op", plan_id, &op))?,
        edit: r.try_get(3)?,
        author: r.try_get(4)?,
        at: r.try_get(5)?,
        state: if with_state {
            r.try_get(6)?
        } else {
            String::new()
        },
    })
}

const BUILDING_COLUMNS: &str = "id, osm_id, name, address, class, levels, households,
    household_source, ST_AsBinary(footprint), ST_X(point), ST_Y(point), grid_id";
const STATION_COLUMNS: &str =
    "id, osm_id, name, tier, kind, opening_hours, ST_X(point), ST_Y(point), osm_type";
const ROAD_COLUMNS: &str = "id, osm_id, class, name, walkable, ST_AsBinary(geometry), node_ids";
const AREA_COLUMNS: &str = "id, osm_id, kind, name, ST_AsBinary(geometry)";

fn building_row(r: &PgRow) -> Result<Building> {
    let id: i64 = r.try_get(0)?;
    let source: String = r.try_get(7)?;
    let levels: Option<i32> = r.try_get(5)?;
    Ok(Building {
        id,
        osm_id: r.try_get(1)?,
        name: r.try_get(2)?,
        address: r.try_get(3)?,
        class: r.try_get(4)?,
        levels: levels.and_then(|v| u32::try_from(v).ok()),
        households: u32_of("buildings", "households", id, r.try_get(6)?)?,
        household_source: HouseholdSource::parse(&source)
            .ok_or_else(|| bad("buildings", "household_source", id, &source))?,
        footprint: codec::decode_multipolygon(r.try_get(8)?, "buildings", "footprint", id)?,
        point: Point::new(r.try_get(9)?, r.try_get(10)?),
        grid_id: r.try_get(11)?,
    })
}

fn station_row(r: &PgRow) -> Result<Station> {
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

fn road_row(r: &PgRow) -> Result<Road> {
    let id: i64 = r.try_get(0)?;
    Ok(Road {
        id,
        osm_id: r.try_get(1)?,
        class: r.try_get(2)?,
        name: r.try_get(3)?,
        walkable: r.try_get(4)?,
        geometry: codec::decode_line(r.try_get(5)?, "roads", "geometry", id)?,
        node_ids: r.try_get(6)?,
    })
}

fn area_row(r: &PgRow) -> Result<Area> {
    let id: i64 = r.try_get(0)?;
    Ok(Area {
        id,
        osm_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        name: r.try_get(3)?,
        geometry: codec::decode_multipolygon(r.try_get(4)?, "areas", "geometry", id)?,
    })
}

const PLAN_COLUMNS: &str = "id, community_id, name, status, base_plan_id, version, created_by, created_at, published_at, base_published_id";

#[async_trait]
impl Store for PostgisStore {
    fn backend(&self) -> &'static str {
        "postgis"
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
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn load_grids(&self) -> Result<Vec<Grid>> {
        let rows = sqlx::query(
            "SELECT id, community_id, code, name, kind, ST_AsBinary(boundary) FROM grids ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grid_row).collect()
    }

    async fn load(&self) -> Result<Dataset> {
        // One snapshot for every table, even while other servers write.
        let mut conn = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *conn)
            .await?;
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
            "SELECT id, street_office_id, code, name, ST_AsBinary(boundary) FROM communities ORDER BY id",
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
            "SELECT id, community_id, code, name, kind, ST_AsBinary(boundary) FROM grids ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            d.grids.push(grid_row(&r)?);
        }
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
                sample: r.try_get(5)?,
            });
        }
        let sql = format!("SELECT {ROAD_COLUMNS} FROM roads ORDER BY id");
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        while let Some(r) = rows.try_next().await? {
            d.roads.push(road_row(&r)?);
        }
        drop(rows);
        let sql = format!("SELECT {AREA_COLUMNS} FROM areas ORDER BY id");
        for r in sqlx::query(&sql).fetch_all(&mut *conn).await? {
            d.areas.push(area_row(&r)?);
        }
        // End the read transaction here rather than leaving the rollback
        // to drop: a pooled connection must not keep an old snapshot.
        conn.commit().await?;
        Ok(d)
    }

    async fn begin(&self) -> Result<Box<dyn WriteTx>> {
        Ok(Box::new(PgTx {
            tx: self.pool.begin().await?,
            keep_ids: false,
            model_changed: false,
        }))
    }

    fn accounts(&self) -> &dyn Accounts {
        &self.accounts
    }

    async fn data_version(&self) -> Result<u64> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'data_version'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    async fn plans(&self, community: Option<Id>) -> Result<Vec<Plan>> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE ($1::bigint IS NULL OR community_id = $1) ORDER BY id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(community)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(plan_row).collect()
    }

    async fn plan(&self, id: Id) -> Result<Option<Plan>> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(plan_row).transpose()
    }

    async fn plan_version(&self, plan: Id, version: i64) -> Result<Option<PlanVersion>> {
        let row = sqlx::query(
            "SELECT plan_id, version, op, edit, author, at, state FROM plan_versions
             WHERE plan_id = $1 AND version = $2",
        )
        .bind(plan)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| version_row(r, true)).transpose()
    }

    async fn plan_history(&self, plan: Id) -> Result<Vec<PlanVersion>> {
        let rows = sqlx::query(
            "SELECT plan_id, version, op, edit, author, at FROM plan_versions
             WHERE plan_id = $1 ORDER BY version",
        )
        .bind(plan)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| version_row(r, false)).collect()
    }

    async fn community_rules(&self, community: Id) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT rules FROM community_rules WHERE community_id = $1")
                .bind(community)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn all_community_rules(&self) -> Result<Vec<(Id, String)>> {
        Ok(
            sqlx::query_as("SELECT community_id, rules FROM community_rules ORDER BY community_id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn retired_codes(&self, community: Id) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT code FROM retired_codes WHERE community_id = $1 ORDER BY code",
        )
        .bind(community)
        .fetch_all(&self.pool)
        .await?)
    }
}

struct PgTx {
    tx: Transaction<'static, Postgres>,
    /// Inserts keep the ids of the values passed (`gridmap migrate`); the
    /// identity sequences are moved past them on commit.
    keep_ids: bool,
    /// Whether a model table (what the Atlas holds) was written; only then
    /// does the commit bump the data version. Community rules count (tiles
    /// show grid status by them); plans, retired codes and audit rows do not
    /// make servers reload.
    model_changed: bool,
}

impl PgTx {
    async fn returning_id(
        &mut self,
        q: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<Id> {
        let row = q.fetch_one(&mut *self.tx).await?;
        Ok(row.try_get(0)?)
    }
}

#[async_trait]
impl WriteTx for PgTx {
    async fn insert_street_office(&mut self, s: &StreetOffice) -> Result<Id> {
        self.model_changed = true;
        self.returning_id(
            sqlx::query("INSERT INTO street_offices (id, code, name) VALUES (COALESCE($1, nextval(pg_get_serial_sequence('street_offices', 'id'))), $2, $3) RETURNING id")
                .bind(self.keep_ids.then_some(s.id))
            .bind(&s.code)
                .bind(&s.name),
        )
        .await
    }

    async fn insert_community(&mut self, c: &Community) -> Result<Id> {
        self.model_changed = true;
        let wkb = codec::encode_multipolygon(&c.boundary)?;
        self.returning_id(
            sqlx::query(
                "INSERT INTO communities (id, street_office_id, code, name, boundary)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('communities', 'id'))), $2, $3, $4, ST_GeomFromWKB($5, 4326)) RETURNING id",
            )
            .bind(self.keep_ids.then_some(c.id))
            .bind(c.street_office_id)
            .bind(&c.code)
            .bind(&c.name)
            .bind(wkb),
        )
        .await
    }

    async fn insert_grid(&mut self, g: &Grid) -> Result<Id> {
        self.model_changed = true;
        let wkb = codec::encode_multipolygon(&g.boundary)?;
        self.returning_id(
            sqlx::query(
                "INSERT INTO grids (id, community_id, code, name, kind, boundary)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('grids', 'id'))), $2, $3, $4, $5, ST_GeomFromWKB($6, 4326)) RETURNING id",
            )
            .bind(self.keep_ids.then_some(g.id))
            .bind(g.community_id)
            .bind(&g.code)
            .bind(&g.name)
            .bind(g.kind.as_str())
            .bind(wkb),
        )
        .await
    }

    async fn insert_building(&mut self, b: &Building) -> Result<Id> {
        self.model_changed = true;
        let wkb = codec::encode_multipolygon(&b.footprint)?;
        let levels = b.levels.map(|l| i32_of(l, "levels")).transpose()?;
        let households = i32_of(b.households, "households")?;
        self.returning_id(
            sqlx::query(
                "INSERT INTO buildings (id, osm_id, name, address, class, levels, households,
                    household_source, footprint, point, grid_id)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('buildings', 'id'))), $2, $3, $4, $5, $6, $7, $8, ST_GeomFromWKB($9, 4326),
                         ST_SetSRID(ST_MakePoint($10, $11), 4326), $12) RETURNING id",
            )
            .bind(self.keep_ids.then_some(b.id))
            .bind(b.osm_id)
            .bind(&b.name)
            .bind(&b.address)
            .bind(&b.class)
            .bind(levels)
            .bind(households)
            .bind(b.household_source.as_str())
            .bind(wkb)
            .bind(b.point.x())
            .bind(b.point.y())
            .bind(b.grid_id),
        )
        .await
    }

    async fn insert_station(&mut self, s: &Station) -> Result<Id> {
        self.model_changed = true;
        self.returning_id(
            sqlx::query(
                "INSERT INTO stations (id, osm_id, name, tier, kind, opening_hours, point, osm_type)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('stations', 'id'))), $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($7, $8), 4326), $9) RETURNING id",
            )
            .bind(self.keep_ids.then_some(s.id))
            .bind(s.osm_id)
            .bind(&s.name)
            .bind(s.tier.as_str())
            .bind(&s.kind)
            .bind(&s.opening_hours)
            .bind(s.point.x())
            .bind(s.point.y())
            .bind(s.osm_type.map(OsmType::as_str)),
        )
        .await
    }

    async fn insert_person(&mut self, p: &Person) -> Result<Id> {
        self.model_changed = true;
        self.returning_id(
            sqlx::query(
                "INSERT INTO people (id, grid_id, name, role, phone, sample)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('people', 'id'))), $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(self.keep_ids.then_some(p.id))
            .bind(p.grid_id)
            .bind(&p.name)
            .bind(p.role.as_str())
            .bind(&p.phone)
            .bind(p.sample),
        )
        .await
    }

    async fn insert_road(&mut self, r: &Road) -> Result<Id> {
        self.model_changed = true;
        let wkb = codec::encode_line(&r.geometry)?;
        self.returning_id(
            sqlx::query(
                "INSERT INTO roads (id, osm_id, class, name, walkable, geometry, node_ids)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('roads', 'id'))), $2, $3, $4, $5, ST_GeomFromWKB($6, 4326), $7) RETURNING id",
            )
            .bind(self.keep_ids.then_some(r.id))
            .bind(r.osm_id)
            .bind(&r.class)
            .bind(&r.name)
            .bind(r.walkable)
            .bind(wkb)
            .bind(&r.node_ids),
        )
        .await
    }

    async fn insert_area(&mut self, a: &Area) -> Result<Id> {
        self.model_changed = true;
        let wkb = codec::encode_multipolygon(&a.geometry)?;
        self.returning_id(
            sqlx::query(
                "INSERT INTO areas (id, osm_id, kind, name, geometry)
                 VALUES (COALESCE($1, nextval(pg_get_serial_sequence('areas', 'id'))), $2, $3, $4, ST_GeomFromWKB($5, 4326)) RETURNING id",
            )
            .bind(self.keep_ids.then_some(a.id))
            .bind(a.osm_id)
            .bind(&a.kind)
            .bind(&a.name)
            .bind(wkb),
        )
        .await
    }

    async fn lock_for_import(&mut self) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
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
        let levels = b.levels.map(|l| i32_of(l, "levels")).transpose()?;
        let r = sqlx::query(
            "UPDATE buildings SET osm_id = $1, name = $2, address = $3, class = $4, levels = $5,
                households = $6, household_source = $7, footprint = ST_GeomFromWKB($8, 4326),
                point = ST_SetSRID(ST_MakePoint($9, $10), 4326)
             WHERE id = $11",
        )
        .bind(b.osm_id)
        .bind(&b.name)
        .bind(&b.address)
        .bind(&b.class)
        .bind(levels)
        .bind(i32_of(b.households, "households")?)
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
            "UPDATE stations SET osm_id = $1, osm_type = $2, name = $3, tier = $4, kind = $5,
                opening_hours = $6, point = ST_SetSRID(ST_MakePoint($7, $8), 4326)
             WHERE id = $9",
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
            "UPDATE roads SET osm_id = $1, class = $2, name = $3, walkable = $4,
                geometry = ST_GeomFromWKB($5, 4326), node_ids = $6
             WHERE id = $7",
        )
        .bind(road.osm_id)
        .bind(&road.class)
        .bind(&road.name)
        .bind(road.walkable)
        .bind(codec::encode_line(&road.geometry)?)
        .bind(&road.node_ids)
        .bind(road.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn update_area(&mut self, a: &Area) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE areas SET osm_id = $1, kind = $2, name = $3, geometry = ST_GeomFromWKB($4, 4326)
             WHERE id = $5",
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
            "UPDATE communities SET street_office_id = $1, code = $2, name = $3,
                boundary = ST_GeomFromWKB($4, 4326)
             WHERE id = $5",
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
        if ids.is_empty() {
            return Ok(0);
        }
        self.model_changed = true;
        let name = match table {
            FeatureTable::Buildings => "buildings",
            FeatureTable::Stations => "stations",
            FeatureTable::Roads => "roads",
            FeatureTable::Areas => "areas",
        };
        let r = sqlx::query(&format!("DELETE FROM {name} WHERE id = ANY($1)"))
            .bind(ids)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected())
    }

    async fn draft_plan_states(&mut self) -> Result<Vec<(Id, String)>> {
        Ok(sqlx::query_as(
            "SELECT p.id, v.state FROM plans p
             JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
             WHERE p.status = 'draft' ORDER BY p.id
             FOR UPDATE OF p",
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
        let r = sqlx::query(
            "UPDATE buildings SET households = $1, household_source = $2 WHERE id = $3",
        )
        .bind(i32_of(households, "households")?)
        .bind(source.as_str())
        .bind(building)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_building_grid(&mut self, building: Id, grid: Option<Id>) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query("UPDATE buildings SET grid_id = $1 WHERE id = $2")
            .bind(grid)
            .bind(building)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.model_changed = true;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    fn keep_ids(&mut self) {
        self.keep_ids = true;
    }

    async fn copy_plan(&mut self, p: &Plan, versions: &[PlanVersion]) -> Result<()> {
        self.keep_ids = true;
        sqlx::query(
            "INSERT INTO plans (id, community_id, name, status, base_plan_id, version, created_by,
                                created_at, published_at, base_published_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(p.id)
        .bind(p.community_id)
        .bind(&p.name)
        .bind(p.status.as_str())
        .bind(p.base_plan_id)
        .bind(p.version)
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.published_at)
        .bind(p.base_published_id)
        .execute(&mut *self.tx)
        .await?;
        for v in versions {
            sqlx::query(
                "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(p.id)
            .bind(v.version)
            .bind(v.op.as_str())
            .bind(&v.edit)
            .bind(&v.state)
            .bind(&v.author)
            .bind(v.at)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn append_audit(&mut self, entry: &AuditEntry) -> Result<Id> {
        insert_audit(&mut self.tx, entry).await
    }

    async fn update_grid(&mut self, g: &Grid) -> Result<bool> {
        self.model_changed = true;
        let r = sqlx::query(
            "UPDATE grids SET code = $1, name = $2, kind = $3, boundary = ST_GeomFromWKB($4, 4326)
             WHERE id = $5",
        )
        .bind(&g.code)
        .bind(&g.name)
        .bind(g.kind.as_str())
        .bind(codec::encode_multipolygon(&g.boundary)?)
        .bind(g.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_grid(&mut self, id: Id) -> Result<bool> {
        self.model_changed = true;
        sqlx::query("UPDATE buildings SET grid_id = NULL WHERE grid_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM people WHERE grid_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        let r = sqlx::query("DELETE FROM grids WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_grid_people(&mut self, grid: Id) -> Result<u64> {
        self.model_changed = true;
        let r = sqlx::query("DELETE FROM people WHERE grid_id = $1")
            .bind(grid)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected())
    }

    async fn retire_code(&mut self, community: Id, code: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO retired_codes (code, community_id, retired_at) VALUES ($1, $2, $3)
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(code)
        .bind(community)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn set_community_rules(&mut self, community: Id, rules: &str) -> Result<()> {
        // Signed-in tiles colour grids by these rules.
        self.model_changed = true;
        sqlx::query(
            "INSERT INTO community_rules (community_id, rules) VALUES ($1, $2)
             ON CONFLICT (community_id) DO UPDATE SET rules = excluded.rules",
        )
        .bind(community)
        .bind(rules)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn insert_plan(&mut self, p: &Plan, edit: &str, state: &str) -> Result<Id> {
        let id = self
            .returning_id(
                sqlx::query(
                    "INSERT INTO plans (community_id, name, status, base_plan_id, version,
                                        created_by, created_at, published_at, base_published_id)
                     VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8) RETURNING id",
                )
                .bind(p.community_id)
                .bind(&p.name)
                .bind(p.status.as_str())
                .bind(p.base_plan_id)
                .bind(&p.created_by)
                .bind(p.created_at)
                .bind(p.published_at)
                .bind(p.base_published_id),
            )
            .await?;
        sqlx::query(
            "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
             VALUES ($1, 1, 'create', $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(edit)
        .bind(state)
        .bind(&p.created_by)
        .bind(p.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
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
        // Compare-and-set: under READ COMMITTED a concurrent UPDATE of the
        // same row waits for the other transaction and then re-checks the
        // WHERE clause, so exactly one of two edits on one version matches.
        let r =
            sqlx::query("UPDATE plans SET version = version + 1 WHERE id = $1 AND version = $2")
                .bind(plan)
                .bind(expected)
                .execute(&mut *self.tx)
                .await?;
        if r.rows_affected() != 1 {
            let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM plans WHERE id = $1")
                .bind(plan)
                .fetch_optional(&mut *self.tx)
                .await?;
            return Err(match actual {
                Some(actual) => DataError::Conflict {
                    plan,
                    expected,
                    actual,
                },
                None => DataError::NotFound {
                    what: "plan",
                    id: plan,
                },
            });
        }
        let version = expected + 1;
        sqlx::query(
            "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(plan)
        .bind(version)
        .bind(op.as_str())
        .bind(edit)
        .bind(state)
        .bind(author)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        Ok(version)
    }

    async fn archive_published(&mut self, community: Id, expected: Option<Id>) -> Result<()> {
        // Compare-and-set under READ COMMITTED: a concurrent publish that
        // archived the same plan first makes this UPDATE wait, re-check the
        // row (now archived) and match nothing; the plan it published is not
        // visible to this statement either. So the second of two publishes
        // over one plan finds no published plan and fails here.
        let archived: Vec<Id> = sqlx::query_scalar(
            "UPDATE plans SET status = 'archived'
             WHERE community_id = $1 AND status = 'published' RETURNING id",
        )
        .bind(community)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut actual = archived.first().copied();
        if actual != expected {
            // Put it back: a failed compare-and-set changes nothing.
            for id in &archived {
                sqlx::query("UPDATE plans SET status = 'published' WHERE id = $1")
                    .bind(id)
                    .execute(&mut *self.tx)
                    .await?;
            }
            if actual.is_none() {
                // The plan another publish just made current (committed by now).
                actual = sqlx::query_scalar(
                    "SELECT id FROM plans WHERE community_id = $1 AND status = 'published'",
                )
                .bind(community)
                .fetch_optional(&mut *self.tx)
                .await?;
            }
            return Err(DataError::PublishedChanged {
                community,
                expected,
                actual,
            });
        }
        Ok(())
    }

    async fn set_plan_base(&mut self, plan: Id, base: Option<Id>) -> Result<()> {
        let r = sqlx::query("UPDATE plans SET base_published_id = $1 WHERE id = $2")
            .bind(base)
            .bind(plan)
            .execute(&mut *self.tx)
            .await?;
        if r.rows_affected() != 1 {
            return Err(DataError::NotFound {
                what: "plan",
                id: plan,
            });
        }
        Ok(())
    }

    async fn set_plan_status(&mut self, plan: Id, status: PlanStatus, at: i64) -> Result<()> {
        let r = sqlx::query(
            "UPDATE plans SET status = $1,
                    published_at = CASE WHEN $1 = 'published' THEN $2 ELSE published_at END
             WHERE id = $3",
        )
        .bind(status.as_str())
        .bind(at)
        .bind(plan)
        .execute(&mut *self.tx)
        .await?;
        if r.rows_affected() != 1 {
            return Err(DataError::NotFound {
                what: "plan",
                id: plan,
            });
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        if self.keep_ids {
            for table in [
                "street_offices",
                "communities",
                "grids",
                "buildings",
                "stations",
                "people",
                "roads",
                "areas",
                "plans",
            ] {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                   (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
                ))
                .execute(&mut *self.tx)
                .await?;
            }
        }
        if self.model_changed {
            bump_version(&mut self.tx).await?;
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANGE_CHANNEL)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

async fn bump_version(tx: &mut Transaction<'static, Postgres>) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('data_version', '1')
         ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
