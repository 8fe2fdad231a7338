//! [`WriteTx`] on either backend: one transaction, rolled back when dropped.

use async_trait::async_trait;
use sqlx::{Database, Transaction};

use super::{Backend, Stmt, accounts, all, each, execute, int, plans};
use crate::error::Result;
use crate::model::*;
use crate::store::accounts::AuditEntry;
use crate::store::decode::{self, Columns, count_arg};
use crate::store::{FeatureTable, WriteTx, codec};

pub(super) struct SqlTx<DB: Database> {
    tx: Transaction<'static, DB>,
    /// Inserts keep the ids of the values passed (`gridmap migrate`).
    keep_ids: bool,
    /// Whether a model table (what the Atlas holds) was written; only then
    /// does the commit bump the data version. Community rules count (tiles
    /// show grid status by them); plans, retired codes and audit rows do not
    /// make servers reload.
    model_changed: bool,
}

impl<DB: Backend> SqlTx<DB> {
    pub(super) fn new(tx: Transaction<'static, DB>) -> Self {
        SqlTx {
            tx,
            keep_ids: false,
            model_changed: false,
        }
    }

    fn conn(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }

    /// The id given to an insert: the value's own when ids are kept.
    fn given(&self, id: Id) -> Option<Id> {
        self.keep_ids.then_some(id)
    }

    /// Run an `INSERT … RETURNING id` into a model table.
    async fn insert(&mut self, s: Stmt<'_>) -> Result<Id> {
        self.model_changed = true;
        int::<DB>(self.conn(), s).await
    }

    /// Run an UPDATE of one model row; whether it was there.
    async fn update(&mut self, s: Stmt<'_>) -> Result<bool> {
        self.model_changed = true;
        Ok(execute::<DB>(self.conn(), s).await? == 1)
    }
}

fn table_name(table: FeatureTable) -> &'static str {
    match table {
        FeatureTable::Buildings => "buildings",
        FeatureTable::Stations => "stations",
        FeatureTable::Roads => "roads",
        FeatureTable::Areas => "areas",
    }
}

#[async_trait]
impl<DB: Backend> WriteTx for SqlTx<DB> {
    async fn insert_street_office(&mut self, s: &StreetOffice) -> Result<Id> {
        let sql = format!(
            "INSERT INTO street_offices (id, code, name) VALUES ({}, $2, $3) RETURNING id",
            DB::DIALECT.new_id("street_offices", 1)
        );
        let id = self.given(s.id);
        self.insert(Stmt::new(&sql).int(id).text(&s.code).text(&s.name))
            .await
    }

    async fn insert_community(&mut self, c: &Community) -> Result<Id> {
        let d = &DB::DIALECT;
        let sql = format!(
            "INSERT INTO communities (id, street_office_id, code, name, boundary)
             VALUES ({}, $2, $3, $4, {}) RETURNING id",
            d.new_id("communities", 1),
            d.wkb(5)
        );
        let s = Stmt::new(&sql)
            .int(self.given(c.id))
            .int(c.street_office_id)
            .text(&c.code)
            .text(&c.name)
            .bytes(codec::encode_multipolygon(&c.boundary)?);
        self.insert(s).await
    }

    async fn insert_grid(&mut self, g: &Grid) -> Result<Id> {
        let d = &DB::DIALECT;
        let sql = format!(
            "INSERT INTO grids (id, community_id, code, name, kind, boundary)
             VALUES ({}, $2, $3, $4, $5, {}) RETURNING id",
            d.new_id("grids", 1),
            d.wkb(6)
        );
        let s = Stmt::new(&sql)
            .int(self.given(g.id))
            .int(g.community_id)
            .text(&g.code)
            .text(&g.name)
            .text(g.kind.as_str())
            .bytes(codec::encode_multipolygon(&g.boundary)?);
        self.insert(s).await
    }

    async fn insert_building(&mut self, b: &Building) -> Result<Id> {
        let d = &DB::DIALECT;
        let sql = format!(
            "INSERT INTO buildings (id, osm_id, name, address, class, levels, households,
                household_source, footprint, {}, grid_id)
             VALUES ({}, $2, $3, $4, $5, $6, $7, $8, {}, {}, $12) RETURNING id",
            d.point_columns(),
            d.new_id("buildings", 1),
            d.wkb(9),
            d.point_values(10, 11)
        );
        let s = Stmt::new(&sql).int(self.given(b.id));
        let s = building_fields(s, b)?.int(b.grid_id);
        self.insert(s).await
    }

    async fn insert_station(&mut self, s: &Station) -> Result<Id> {
        let d = &DB::DIALECT;
        let sql = format!(
            "INSERT INTO stations (id, osm_id, osm_type, name, tier, kind, opening_hours, {})
             VALUES ({}, $2, $3, $4, $5, $6, $7, {}) RETURNING id",
            d.point_columns(),
            d.new_id("stations", 1),
            d.point_values(8, 9)
        );
        let q = station_fields(Stmt::new(&sql).int(self.given(s.id)), s);
        self.insert(q).await
    }

    async fn insert_person(&mut self, p: &Person) -> Result<Id> {
        let sql = format!(
            "INSERT INTO people (id, grid_id, name, role, phone, sample)
             VALUES ({}, $2, $3, $4, $5, $6) RETURNING id",
            DB::DIALECT.new_id("people", 1)
        );
        let s = Stmt::new(&sql)
            .int(self.given(p.id))
            .int(p.grid_id)
            .text(&p.name)
            .text(p.role.as_str())
            .opt_text(p.phone.as_deref())
            .flag(p.sample);
        self.insert(s).await
    }

    async fn insert_road(&mut self, r: &Road) -> Result<Id> {
        let d = &DB::DIALECT;
        let sql = format!(
            "INSERT INTO roads (id, osm_id, class, name, walkable, geometry, node_ids)
             VALUES ({}, $2, $3, $4, $5, {}, $7) RETURNING id",
            d.new_id("roads", 1),
            d.wkb(6)
        );
        let s = road_fields(Stmt::new(&sql).int(self.given(r.id)), r)?;
        self.insert(s).await
    }

    async fn insert_area(&mut self, a: &Area) -> Result<Id> {
        let d = &DB::DIALECT;
        let sql = format!(
            "INSERT INTO areas (id, osm_id, kind, name, geometry)
             VALUES ({}, $2, $3, $4, {}) RETURNING id",
            d.new_id("areas", 1),
            d.wkb(5)
        );
        let s = area_fields(Stmt::new(&sql).int(self.given(a.id)), a)?;
        self.insert(s).await
    }

    async fn lock_for_import(&mut self) -> Result<()> {
        execute::<DB>(self.conn(), Stmt::new(DB::DIALECT.import_lock)).await?;
        Ok(())
    }

    async fn scan_osm_features(
        &mut self,
        table: FeatureTable,
        visit: &mut (dyn FnMut(Feature) -> Result<()> + Send),
    ) -> Result<()> {
        let d = &DB::DIALECT;
        let columns = match table {
            FeatureTable::Buildings => decode::building_columns(d),
            FeatureTable::Stations => decode::station_columns(d),
            FeatureTable::Roads => decode::road_columns(d),
            FeatureTable::Areas => decode::area_columns(d),
        };
        let name = table_name(table);
        let sql = format!("SELECT {columns} FROM {name} WHERE osm_id IS NOT NULL ORDER BY id");
        each::<DB>(self.conn(), Stmt::new(&sql), |r| {
            visit(match table {
                FeatureTable::Buildings => Feature::Building(decode::building(r)?),
                FeatureTable::Stations => Feature::Station(decode::station(r)?),
                FeatureTable::Roads => Feature::Road(decode::road(r)?),
                FeatureTable::Areas => Feature::Area(decode::area(r)?),
            })
        })
        .await
    }

    async fn update_building(&mut self, b: &Building) -> Result<bool> {
        let d = &DB::DIALECT;
        let sql = format!(
            "UPDATE buildings SET osm_id = $1, name = $2, address = $3, class = $4, levels = $5,
                households = $6, household_source = $7, footprint = {}, {}
             WHERE id = $11",
            d.wkb(8),
            d.set_point(9, 10)
        );
        let s = building_fields(Stmt::new(&sql), b)?.int(b.id);
        self.update(s).await
    }

    async fn update_station(&mut self, s: &Station) -> Result<bool> {
        let sql = format!(
            "UPDATE stations SET osm_id = $1, osm_type = $2, name = $3, tier = $4, kind = $5,
                opening_hours = $6, {}
             WHERE id = $9",
            DB::DIALECT.set_point(7, 8)
        );
        let q = station_fields(Stmt::new(&sql), s).int(s.id);
        self.update(q).await
    }

    async fn update_road(&mut self, road: &Road) -> Result<bool> {
        let sql = format!(
            "UPDATE roads SET osm_id = $1, class = $2, name = $3, walkable = $4, geometry = {},
                node_ids = $6
             WHERE id = $7",
            DB::DIALECT.wkb(5)
        );
        let s = road_fields(Stmt::new(&sql), road)?.int(road.id);
        self.update(s).await
    }

    async fn update_area(&mut self, a: &Area) -> Result<bool> {
        let sql = format!(
            "UPDATE areas SET osm_id = $1, kind = $2, name = $3, geometry = {} WHERE id = $5",
            DB::DIALECT.wkb(4)
        );
        let s = area_fields(Stmt::new(&sql), a)?.int(a.id);
        self.update(s).await
    }

    async fn update_community(&mut self, c: &Community) -> Result<bool> {
        let sql = format!(
            "UPDATE communities SET street_office_id = $1, code = $2, name = $3, boundary = {}
             WHERE id = $5",
            DB::DIALECT.wkb(4)
        );
        let s = Stmt::new(&sql)
            .int(c.street_office_id)
            .text(&c.code)
            .text(&c.name)
            .bytes(codec::encode_multipolygon(&c.boundary)?)
            .int(c.id);
        self.update(s).await
    }

    async fn delete_features(&mut self, table: FeatureTable, ids: &[Id]) -> Result<u64> {
        let name = table_name(table);
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            self.model_changed = true;
            let marks = (1..=chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("DELETE FROM {name} WHERE id IN ({marks})");
            let s = chunk.iter().fold(Stmt::new(&sql), |s, id| s.int(*id));
            deleted += execute::<DB>(self.conn(), s).await?;
        }
        Ok(deleted)
    }

    async fn draft_plan_states(&mut self) -> Result<Vec<(Id, String)>> {
        let sql = format!(
            "SELECT p.id, v.state FROM plans p
             JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
             WHERE p.status = 'draft' ORDER BY p.id {}",
            DB::DIALECT.lock_drafts
        );
        all::<DB, _>(self.conn(), Stmt::new(&sql), |r| {
            Ok((r.int(0)?, r.text(1)?))
        })
        .await
    }

    async fn set_households(
        &mut self,
        building: Id,
        households: u32,
        source: HouseholdSource,
    ) -> Result<bool> {
        let s =
            Stmt::new("UPDATE buildings SET households = $1, household_source = $2 WHERE id = $3")
                .int(count_arg(households, "households")?)
                .text(source.as_str())
                .int(building);
        self.update(s).await
    }

    async fn set_building_grid(&mut self, building: Id, grid: Option<Id>) -> Result<bool> {
        let s = Stmt::new("UPDATE buildings SET grid_id = $1 WHERE id = $2")
            .int(grid)
            .int(building);
        self.update(s).await
    }

    async fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.model_changed = true;
        let s = Stmt::new(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        );
        execute::<DB>(self.conn(), s.text(key).text(value)).await?;
        Ok(())
    }

    async fn append_audit(&mut self, entry: &AuditEntry) -> Result<Id> {
        accounts::insert_audit::<DB>(self.conn(), entry).await
    }

    fn keep_ids(&mut self) {
        self.keep_ids = true;
    }

    async fn copy_plan(&mut self, plan: &Plan, versions: &[PlanVersion]) -> Result<()> {
        // Plan ids are kept too: PostGIS moves its sequence past them at commit.
        self.keep_ids = true;
        plans::copy_plan::<DB>(self.conn(), plan, versions).await
    }

    async fn update_grid(&mut self, g: &Grid) -> Result<bool> {
        let sql = format!(
            "UPDATE grids SET code = $1, name = $2, kind = $3, boundary = {} WHERE id = $5",
            DB::DIALECT.wkb(4)
        );
        let s = Stmt::new(&sql)
            .text(&g.code)
            .text(&g.name)
            .text(g.kind.as_str())
            .bytes(codec::encode_multipolygon(&g.boundary)?)
            .int(g.id);
        self.update(s).await
    }

    async fn delete_grid(&mut self, id: Id) -> Result<bool> {
        self.model_changed = true;
        let s = Stmt::new("UPDATE buildings SET grid_id = NULL WHERE grid_id = $1");
        execute::<DB>(self.conn(), s.int(id)).await?;
        self.delete_grid_people(id).await?;
        self.update(Stmt::new("DELETE FROM grids WHERE id = $1").int(id))
            .await
    }

    async fn delete_grid_people(&mut self, grid: Id) -> Result<u64> {
        self.model_changed = true;
        let s = Stmt::new("DELETE FROM people WHERE grid_id = $1").int(grid);
        execute::<DB>(self.conn(), s).await
    }

    async fn retire_code(&mut self, community: Id, code: &str, at: i64) -> Result<()> {
        plans::retire_code::<DB>(self.conn(), community, code, at).await
    }

    async fn set_community_rules(&mut self, community: Id, rules: &str) -> Result<()> {
        // Signed-in tiles colour grids by these rules.
        self.model_changed = true;
        plans::set_community_rules::<DB>(self.conn(), community, rules).await
    }

    async fn insert_plan(&mut self, plan: &Plan, edit: &str, state: &str) -> Result<Id> {
        plans::insert_plan::<DB>(self.conn(), plan, edit, state).await
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
        plans::append_plan_version::<DB>(self.conn(), plan, expected, op, edit, state, author, at)
            .await
    }

    async fn set_plan_status(&mut self, plan: Id, status: PlanStatus, at: i64) -> Result<()> {
        plans::set_plan_status::<DB>(self.conn(), plan, status, at).await
    }

    async fn archive_published(&mut self, community: Id, expected: Option<Id>) -> Result<()> {
        plans::archive_published::<DB>(self.conn(), community, expected).await
    }

    async fn set_plan_base(&mut self, plan: Id, base: Option<Id>) -> Result<()> {
        plans::set_plan_base::<DB>(self.conn(), plan, base).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let d = &DB::DIALECT;
        if self.keep_ids && d.reset_sequences {
            for table in super::TABLES.iter().chain(&["plans"]) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                   (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
                );
                execute::<DB>(self.conn(), Stmt::new(&sql)).await?;
            }
        }
        if self.model_changed {
            execute::<DB>(self.conn(), Stmt::new(d.bump_version)).await?;
            if let Some(sql) = d.notify {
                execute::<DB>(self.conn(), Stmt::new(sql)).await?;
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// `osm_id, name, address, class, levels, households, household_source,
/// footprint, lon, lat` (or the point) as the next ten values.
fn building_fields<'a>(s: Stmt<'a>, b: &'a Building) -> Result<Stmt<'a>> {
    let levels = b.levels.map(|l| count_arg(l, "levels")).transpose()?;
    Ok(s.int(b.osm_id)
        .opt_text(b.name.as_deref())
        .opt_text(b.address.as_deref())
        .text(&b.class)
        .int(levels)
        .int(count_arg(b.households, "households")?)
        .text(b.household_source.as_str())
        .bytes(codec::encode_multipolygon(&b.footprint)?)
        .float(b.point.x())
        .float(b.point.y()))
}

/// `osm_id, osm_type, name, tier, kind, opening_hours, lon, lat` as the next eight values.
fn station_fields<'a>(q: Stmt<'a>, s: &'a Station) -> Stmt<'a> {
    q.int(s.osm_id)
        .opt_text(s.osm_type.map(OsmType::as_str))
        .text(&s.name)
        .text(s.tier.as_str())
        .opt_text(s.kind.as_deref())
        .opt_text(s.opening_hours.as_deref())
        .float(s.point.x())
        .float(s.point.y())
}

/// `osm_id, class, name, walkable, geometry, node_ids` as the next six values.
fn road_fields<'a>(s: Stmt<'a>, r: &'a Road) -> Result<Stmt<'a>> {
    Ok(s.int(r.osm_id)
        .text(&r.class)
        .opt_text(r.name.as_deref())
        .flag(r.walkable)
        .bytes(codec::encode_line(&r.geometry)?)
        .ids(&r.node_ids))
}

/// `osm_id, kind, name, geometry` as the next four values.
fn area_fields<'a>(s: Stmt<'a>, a: &'a Area) -> Result<Stmt<'a>> {
    Ok(s.int(a.osm_id)
        .text(&a.kind)
        .opt_text(a.name.as_deref())
        .bytes(codec::encode_multipolygon(&a.geometry)?))
}
