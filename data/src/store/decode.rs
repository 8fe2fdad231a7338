//! Rows into the model, once for every backend: each table's column list
//! (in the order its decoder reads it) beside the decoder, and every value
//! checked the same way whichever store it came from.

use geo::Point;

use super::accounts::{AuditRecord, Role, Scope, Session, SessionKind, User};
use super::codec;
use super::sql::Dialect;
use crate::error::{DataError, Result};
use crate::model::*;

/// The values a backend's row gives the decoders. Whole numbers come out
/// as `i64` whatever their column width; `ids` is a road's node list (a
/// BLOB on SQLite, a `BIGINT[]` on PostGIS).
pub(crate) trait Columns {
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn flag(&self, i: usize) -> Result<bool>;
    fn float(&self, i: usize) -> Result<f64>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>>;
    fn ids(&self, i: usize, table: &'static str, column: &'static str, id: Id) -> Result<Vec<i64>>;

    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| null(i))
    }
    fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| null(i))
    }
}

/// The [`Columns`] methods whose sqlx types decode alike on every backend.
macro_rules! same_columns {
    () => {
        fn opt_text(&self, i: usize) -> $crate::error::Result<Option<String>> {
            Ok(sqlx::Row::try_get(self, i)?)
        }
        fn flag(&self, i: usize) -> $crate::error::Result<bool> {
            Ok(sqlx::Row::try_get(self, i)?)
        }
        fn float(&self, i: usize) -> $crate::error::Result<f64> {
            Ok(sqlx::Row::try_get(self, i)?)
        }
        fn bytes(&self, i: usize) -> $crate::error::Result<Vec<u8>> {
            Ok(sqlx::Row::try_get(self, i)?)
        }
    };
}
pub(crate) use same_columns;

fn null(i: usize) -> DataError {
    DataError::Store(sqlx::Error::ColumnDecode {
        index: i.to_string(),
        source: "unexpected NULL".into(),
    })
}

pub(crate) fn corrupt(
    table: &'static str,
    column: &'static str,
    id: Id,
    message: String,
) -> DataError {
    DataError::Corrupt {
        table,
        column,
        id,
        message,
    }
}

fn bad(table: &'static str, column: &'static str, id: Id, value: &str) -> DataError {
    corrupt(table, column, id, format!("unexpected value `{value}`"))
}

/// A stored count (`levels`, `households`): a value outside `u32` is corrupt.
fn count(v: i64, table: &'static str, column: &'static str, id: Id) -> Result<u32> {
    u32::try_from(v).map_err(|_| bad(table, column, id, &v.to_string()))
}

/// A count as written: both backends keep `levels` and `households` in
/// 32-bit signed columns (PostGIS `INTEGER`), so larger values are refused
/// before they reach either.
pub(crate) fn count_arg(v: u32, what: &str) -> Result<i64> {
    i32::try_from(v)
        .map(i64::from)
        .map_err(|_| DataError::InvalidFeature {
            feature: what.to_owned(),
            message: format!("{v} is too large"),
        })
}

fn parsed<T>(
    text: String,
    parse: impl FnOnce(&str) -> Option<T>,
    table: &'static str,
    column: &'static str,
    id: Id,
) -> Result<T> {
    parse(&text).ok_or_else(|| bad(table, column, id, &text))
}

pub(crate) fn street_office_columns() -> &'static str {
    "id, code, name"
}

pub(crate) fn street_office(r: &impl Columns) -> Result<StreetOffice> {
    Ok(StreetOffice {
        id: r.int(0)?,
        code: r.text(1)?,
        name: r.text(2)?,
    })
}

pub(crate) fn community_columns(d: &Dialect) -> String {
    format!("id, street_office_id, code, name, {}", d.geom("boundary"))
}

pub(crate) fn community(r: &impl Columns) -> Result<Community> {
    let id = r.int(0)?;
    Ok(Community {
        id,
        street_office_id: r.opt_int(1)?,
        code: r.text(2)?,
        name: r.text(3)?,
        boundary: codec::decode_multipolygon(r.bytes(4)?, "communities", "boundary", id)?,
    })
}

pub(crate) fn grid_columns(d: &Dialect) -> String {
    format!("id, community_id, code, name, kind, {}", d.geom("boundary"))
}

pub(crate) fn grid(r: &impl Columns) -> Result<Grid> {
    let id = r.int(0)?;
    Ok(Grid {
        id,
        community_id: r.int(1)?,
        code: r.text(2)?,
        name: r.text(3)?,
        kind: parsed(r.text(4)?, GridKind::parse, "grids", "kind", id)?,
        boundary: codec::decode_multipolygon(r.bytes(5)?, "grids", "boundary", id)?,
    })
}

pub(crate) fn building_columns(d: &Dialect) -> String {
    format!(
        "id, osm_id, name, address, class, levels, households, household_source, {}, {}, grid_id",
        d.geom("footprint"),
        d.point()
    )
}

pub(crate) fn building(r: &impl Columns) -> Result<Building> {
    let id = r.int(0)?;
    Ok(Building {
        id,
        osm_id: r.opt_int(1)?,
        name: r.opt_text(2)?,
        address: r.opt_text(3)?,
        class: r.text(4)?,
        levels: r
            .opt_int(5)?
            .map(|v| count(v, "buildings", "levels", id))
            .transpose()?,
        households: count(r.int(6)?, "buildings", "households", id)?,
        household_source: parsed(
            r.text(7)?,
            HouseholdSource::parse,
            "buildings",
            "household_source",
            id,
        )?,
        footprint: codec::decode_multipolygon(r.bytes(8)?, "buildings", "footprint", id)?,
        point: Point::new(r.float(9)?, r.float(10)?),
        grid_id: r.opt_int(11)?,
    })
}

pub(crate) fn station_columns(d: &Dialect) -> String {
    format!(
        "id, osm_id, name, tier, kind, opening_hours, {}, osm_type",
        d.point()
    )
}

pub(crate) fn station(r: &impl Columns) -> Result<Station> {
    let id = r.int(0)?;
    Ok(Station {
        id,
        osm_id: r.opt_int(1)?,
        osm_type: r
            .opt_text(8)?
            .map(|t| parsed(t, OsmType::parse, "stations", "osm_type", id))
            .transpose()?,
        name: r.text(2)?,
        tier: parsed(r.text(3)?, StationTier::parse, "stations", "tier", id)?,
        kind: r.opt_text(4)?,
        opening_hours: r.opt_text(5)?,
        point: Point::new(r.float(6)?, r.float(7)?),
    })
}

pub(crate) fn person_columns() -> &'static str {
    "id, grid_id, name, role, phone, sample"
}

pub(crate) fn person(r: &impl Columns) -> Result<Person> {
    let id = r.int(0)?;
    Ok(Person {
        id,
        grid_id: r.int(1)?,
        name: r.text(2)?,
        role: parsed(r.text(3)?, PersonRole::parse, "people", "role", id)?,
        phone: r.opt_text(4)?,
        sample: r.flag(5)?,
    })
}

pub(crate) fn road_columns(d: &Dialect) -> String {
    format!(
        "id, osm_id, class, name, walkable, {}, node_ids",
        d.geom("geometry")
    )
}

pub(crate) fn road(r: &impl Columns) -> Result<Road> {
    let id = r.int(0)?;
    Ok(Road {
        id,
        osm_id: r.opt_int(1)?,
        class: r.text(2)?,
        name: r.opt_text(3)?,
        walkable: r.flag(4)?,
        geometry: codec::decode_line(r.bytes(5)?, "roads", "geometry", id)?,
        node_ids: r.ids(6, "roads", "node_ids", id)?,
    })
}

pub(crate) fn area_columns(d: &Dialect) -> String {
    format!("id, osm_id, kind, name, {}", d.geom("geometry"))
}

pub(crate) fn area(r: &impl Columns) -> Result<Area> {
    let id = r.int(0)?;
    Ok(Area {
        id,
        osm_id: r.opt_int(1)?,
        kind: r.text(2)?,
        name: r.opt_text(3)?,
        geometry: codec::decode_multipolygon(r.bytes(4)?, "areas", "geometry", id)?,
    })
}

pub(crate) const PLAN_COLUMNS: &str = "id, community_id, name, status, base_plan_id, version, \
     created_by, created_at, published_at, base_published_id";

pub(crate) fn plan(r: &impl Columns) -> Result<Plan> {
    let id = r.int(0)?;
    Ok(Plan {
        id,
        community_id: r.int(1)?,
        name: r.text(2)?,
        status: parsed(r.text(3)?, PlanStatus::parse, "plans", "status", id)?,
        base_plan_id: r.opt_int(4)?,
        version: r.int(5)?,
        created_by: r.text(6)?,
        created_at: r.int(7)?,
        published_at: r.opt_int(8)?,
        base_published_id: r.opt_int(9)?,
    })
}

/// Without `state` unless `with_state` (a history leaves the large states out).
pub(crate) fn plan_version_columns(with_state: bool) -> &'static str {
    if with_state {
        "plan_id, version, op, edit, author, at, state"
    } else {
        "plan_id, version, op, edit, author, at"
    }
}

pub(crate) fn plan_version(r: &impl Columns, with_state: bool) -> Result<PlanVersion> {
    let plan_id = r.int(0)?;
    Ok(PlanVersion {
        plan_id,
        version: r.int(1)?,
        op: parsed(r.text(2)?, PlanOp::parse, "plan_versions", "op", plan_id)?,
        edit: r.text(3)?,
        author: r.text(4)?,
        at: r.int(5)?,
        state: if with_state {
            r.text(6)?
        } else {
            String::new()
        },
    })
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.username, u.role, u.scope, u.disabled, u.created_at";

/// A user from the first six columns of a row ([`USER_COLUMNS`]).
pub(crate) fn user(r: &impl Columns) -> Result<User> {
    let id = r.int(0)?;
    let role = r.text(2)?;
    let scope = r.text(3)?;
    Ok(User {
        id,
        username: r.text(1)?,
        role: Role::parse(&role)
            .ok_or_else(|| corrupt("users", "role", id, format!("unknown role `{role}`")))?,
        scope: serde_json::from_str::<Scope>(&scope)
            .map_err(|e| corrupt("users", "scope", id, e.to_string()))?,
        disabled: r.flag(4)?,
        created_at: r.int(5)?,
    })
}

/// [`USER_COLUMNS`] then these.
pub(crate) const SESSION_COLUMNS: &str = "s.id, s.kind, s.expires_at";

pub(crate) fn session(r: &impl Columns) -> Result<Session> {
    let id = r.int(6)?;
    let kind = r.text(7)?;
    Ok(Session {
        id,
        kind: SessionKind::parse(&kind)
            .ok_or_else(|| corrupt("sessions", "kind", id, format!("unknown kind `{kind}`")))?,
        expires_at: r.int(8)?,
        user: user(r)?,
    })
}

pub(crate) const AUDIT_COLUMNS: &str = "id, at, actor, action, target, detail, remote";

pub(crate) fn audit_record(r: &impl Columns) -> Result<AuditRecord> {
    let id = r.int(0)?;
    let detail = r.text(5)?;
    Ok(AuditRecord {
        id,
        at: r.int(1)?,
        actor: r.text(2)?,
        action: r.text(3)?,
        target: r.opt_text(4)?,
        detail: serde_json::from_str(&detail)
            .map_err(|e| corrupt("audit_log", "detail", id, e.to_string()))?,
        remote: r.opt_text(6)?,
    })
}
