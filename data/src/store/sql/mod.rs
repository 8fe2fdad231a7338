//! The store written once over both SQL backends. Statements use `$n`
//! placeholders, which SQLite and PostgreSQL both read; what differs is
//! data in a [`Dialect`] (how geometry and points are stored, the few
//! locks and commit steps PostGIS adds), and a [`Backend`] only runs a
//! [`Stmt`] and hands back rows the shared decoders read
//! ([`super::decode::Columns`]).

pub(crate) mod accounts;
pub(crate) mod plans;
mod write;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::query::Query;
use sqlx::{Database, Encode, Pool, Type};

use super::accounts::Accounts;
use super::decode::{self, Columns};
use super::{Store, WriteTx};
use crate::error::Result;
use crate::model::*;
pub use accounts::SqlAccounts;

/// How a backend spells what the two do differently.
pub(crate) struct Dialect {
    /// `sqlite` or `postgis`.
    pub name: &'static str,
    /// PostGIS `geometry` columns (WKB through `ST_AsBinary` /
    /// `ST_GeomFromWKB`) and a `point` column; SQLite stores the WKB itself
    /// and a point as `lon`, `lat`.
    pub spatial: bool,
    /// Run first in the read transaction of [`Store::load`].
    pub snapshot: Option<&'static str>,
    /// Run first by [`WriteTx::lock_for_import`].
    pub import_lock: &'static str,
    /// Run once per distinct key (`$1`) before a login attempt is counted;
    /// `None` where the INSERT that counts it already serialises attempts.
    pub login_lock: Option<&'static str>,
    /// Appended to the query of [`WriteTx::draft_plan_states`].
    pub lock_drafts: &'static str,
    /// Increments `data_version` in `meta`.
    pub bump_version: &'static str,
    /// Run at commit after a model change (PostGIS: NOTIFY the other servers).
    pub notify: Option<&'static str>,
    /// Ids kept by an insert leave the identity sequences behind (PostGIS):
    /// move them past the copied rows at commit.
    pub reset_sequences: bool,
}

impl Dialect {
    /// A geometry column as WKB.
    pub fn geom(&self, column: &str) -> String {
        if self.spatial {
            format!("ST_AsBinary({column})")
        } else {
            column.to_owned()
        }
    }

    /// WKB parameter `$n` as a geometry value.
    pub fn wkb(&self, n: usize) -> String {
        if self.spatial {
            format!("ST_GeomFromWKB(${n}, 4326)")
        } else {
            format!("${n}")
        }
    }

    /// A point read as two columns, longitude then latitude.
    pub fn point(&self) -> &'static str {
        if self.spatial {
            "ST_X(point), ST_Y(point)"
        } else {
            "lon, lat"
        }
    }

    /// The columns an INSERT names for a point.
    pub fn point_columns(&self) -> &'static str {
        if self.spatial { "point" } else { "lon, lat" }
    }

    /// The values of [`Dialect::point_columns`] from parameters `$x`, `$y`.
    pub fn point_values(&self, x: usize, y: usize) -> String {
        if self.spatial {
            format!("ST_SetSRID(ST_MakePoint(${x}, ${y}), 4326)")
        } else {
            format!("${x}, ${y}")
        }
    }

    /// An UPDATE's assignment of the point from parameters `$x`, `$y`.
    pub fn set_point(&self, x: usize, y: usize) -> String {
        if self.spatial {
            format!("point = {}", self.point_values(x, y))
        } else {
            format!("lon = ${x}, lat = ${y}")
        }
    }

    /// The id of a new row of `table` from parameter `$n`: the value given,
    /// or (NULL) the next one.
    pub fn new_id(&self, table: &str, n: usize) -> String {
        if self.spatial {
            format!("COALESCE(${n}, nextval(pg_get_serial_sequence('{table}', 'id')))")
        } else {
            format!("${n}")
        }
    }
}

/// One value bound to a statement.
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Flag(bool),
    Float(f64),
    Bytes(Vec<u8>),
    Blob(&'a [u8]),
    Ids(&'a [i64]),
}

/// A sqlx query with its values bound.
pub(crate) type Bound<'a, DB> = Query<'a, DB, <DB as Database>::Arguments<'a>>;

/// A statement and its values, in `$n` order.
pub(crate) struct Stmt<'a> {
    sql: &'a str,
    args: Vec<Arg<'a>>,
}

impl<'a> Stmt<'a> {
    pub fn new(sql: &'a str) -> Self {
        Stmt {
            sql,
            args: Vec::new(),
        }
    }
    pub fn int(mut self, v: impl Into<Option<i64>>) -> Self {
        self.args.push(Arg::Int(v.into()));
        self
    }
    pub fn text(mut self, v: &'a str) -> Self {
        self.args.push(Arg::Text(Some(v)));
        self
    }
    pub fn opt_text(mut self, v: Option<&'a str>) -> Self {
        self.args.push(Arg::Text(v));
        self
    }
    pub fn flag(mut self, v: bool) -> Self {
        self.args.push(Arg::Flag(v));
        self
    }
    pub fn float(mut self, v: f64) -> Self {
        self.args.push(Arg::Float(v));
        self
    }
    /// An owned blob (WKB).
    pub fn bytes(mut self, v: Vec<u8>) -> Self {
        self.args.push(Arg::Bytes(v));
        self
    }
    pub fn blob(mut self, v: &'a [u8]) -> Self {
        self.args.push(Arg::Blob(v));
        self
    }
    /// A node list; the backend decides how it is stored.
    pub fn ids(mut self, v: &'a [i64]) -> Self {
        self.args.push(Arg::Ids(v));
        self
    }

    /// The sqlx query with every value bound; `ids` binds a node list.
    pub fn query<DB: Database>(
        self,
        ids: fn(Bound<'a, DB>, &'a [i64]) -> Bound<'a, DB>,
    ) -> Bound<'a, DB>
    where
        Option<i64>: Encode<'a, DB> + Type<DB>,
        Option<&'a str>: Encode<'a, DB> + Type<DB>,
        bool: Encode<'a, DB> + Type<DB>,
        f64: Encode<'a, DB> + Type<DB>,
        Vec<u8>: Encode<'a, DB> + Type<DB>,
        &'a [u8]: Encode<'a, DB> + Type<DB>,
    {
        let mut q = sqlx::query::<DB>(self.sql);
        for arg in self.args {
            q = match arg {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Flag(v) => q.bind(v),
                Arg::Float(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
                Arg::Blob(v) => q.bind(v),
                Arg::Ids(v) => ids(q, v),
            };
        }
        q
    }
}

/// A SQL database the store runs on: it runs statements; everything else
/// is shared.
pub(crate) trait Backend: Database<Row: Columns> + Sync {
    const DIALECT: Dialect;
    /// Rows affected.
    fn execute<'c>(conn: &'c mut Self::Connection, s: Stmt<'c>) -> BoxFuture<'c, Result<u64>>;
    /// The rows, streamed.
    fn fetch<'c>(conn: &'c mut Self::Connection, s: Stmt<'c>) -> BoxStream<'c, Result<Self::Row>>;
}

/// Rows affected.
pub(crate) async fn execute<DB: Backend>(conn: &mut DB::Connection, s: Stmt<'_>) -> Result<u64> {
    DB::execute(conn, s).await
}

/// Every row, decoded.
pub(crate) async fn all<DB: Backend, T>(
    conn: &mut DB::Connection,
    s: Stmt<'_>,
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    each::<DB>(conn, s, |r| {
        out.push(decode(r)?);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Each row in turn, never the whole result at once.
pub(crate) async fn each<DB: Backend>(
    conn: &mut DB::Connection,
    s: Stmt<'_>,
    mut visit: impl FnMut(&DB::Row) -> Result<()>,
) -> Result<()> {
    let mut rows = DB::fetch(conn, s);
    while let Some(r) = rows.try_next().await? {
        visit(&r)?;
    }
    Ok(())
}

/// The first row, decoded, if any. The statement is run to its end: an
/// `INSERT … RETURNING` left half-stepped on SQLite would stay uncommitted
/// on its pooled connection.
pub(crate) async fn first<DB: Backend, T>(
    conn: &mut DB::Connection,
    s: Stmt<'_>,
    decode: impl FnOnce(&DB::Row) -> Result<T>,
) -> Result<Option<T>> {
    let mut decode = Some(decode);
    let mut out = None;
    let mut rows = DB::fetch(conn, s);
    while let Some(r) = rows.try_next().await? {
        if let Some(decode) = decode.take() {
            out = Some(decode(&r)?);
        }
    }
    Ok(out)
}

/// The first column of the one row a statement returns (`RETURNING id`, a count).
pub(crate) async fn int<DB: Backend>(conn: &mut DB::Connection, s: Stmt<'_>) -> Result<i64> {
    let v = first::<DB, _>(conn, s, |r| r.int(0)).await?;
    v.ok_or_else(|| sqlx::Error::RowNotFound.into())
}

/// A store on a SQL backend: [`super::SqliteStore`] or [`super::PostgisStore`].
pub struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) accounts: SqlAccounts<DB>,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            pool: self.pool.clone(),
            accounts: self.accounts.clone(),
        }
    }
}

impl<DB: Database> SqlStore<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        SqlStore {
            accounts: SqlAccounts::new(pool.clone()),
            pool,
        }
    }

    /// The pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

const TABLES: [&str; 8] = [
    "street_offices",
    "communities",
    "grids",
    "buildings",
    "stations",
    "people",
    "roads",
    "areas",
];

/// `SELECT {columns} FROM {table} ORDER BY id`, streamed into `out`.
async fn load_table<DB: Backend, T>(
    conn: &mut DB::Connection,
    columns: &str,
    table: &str,
    out: &mut Vec<T>,
    decode: impl Fn(&DB::Row) -> Result<T>,
) -> Result<()> {
    let n = int::<DB>(conn, Stmt::new(&format!("SELECT count(*) FROM {table}"))).await?;
    out.reserve(usize::try_from(n).unwrap_or(0));
    let sql = format!("SELECT {columns} FROM {table} ORDER BY id");
    each::<DB>(conn, Stmt::new(&sql), |r| {
        out.push(decode(r)?);
        Ok(())
    })
    .await
}

#[async_trait]
impl<DB: Backend> Store for SqlStore<DB> {
    fn backend(&self) -> &'static str {
        DB::DIALECT.name
    }

    async fn counts(&self) -> Result<Counts> {
        let sql = format!(
            "SELECT {}",
            TABLES
                .map(|t| format!("(SELECT count(*) FROM {t})"))
                .join(", ")
        );
        let mut conn = self.pool.acquire().await?;
        let row = first::<DB, _>(&mut *conn, Stmt::new(&sql), |r| {
            let n = |i| -> Result<u64> { Ok(r.int(i)?.max(0).unsigned_abs()) };
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
        })
        .await?;
        row.ok_or_else(|| sqlx::Error::RowNotFound.into())
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        let mut conn = self.pool.acquire().await?;
        let s = Stmt::new("SELECT value FROM meta WHERE key = $1").text(key);
        first::<DB, _>(&mut *conn, s, |r| r.text(0)).await
    }

    async fn load_grids(&self) -> Result<Vec<Grid>> {
        let sql = format!(
            "SELECT {} FROM grids ORDER BY id",
            decode::grid_columns(&DB::DIALECT)
        );
        let mut conn = self.pool.acquire().await?;
        all::<DB, _>(&mut *conn, Stmt::new(&sql), decode::grid).await
    }

    async fn load(&self) -> Result<Dataset> {
        // One read transaction: every table from the same snapshot, even
        // while other connections write. Every table is streamed, so no
        // table's rows (and their WKB) are held whole besides the model.
        let d = &DB::DIALECT;
        let mut tx = self.pool.begin().await?;
        if let Some(sql) = d.snapshot {
            execute::<DB>(&mut *tx, Stmt::new(sql)).await?;
        }
        let mut out = Dataset::default();
        let c = &mut *tx;
        let (offices, people) = (decode::street_office_columns(), decode::person_columns());
        load_table::<DB, _>(
            c,
            offices,
            "street_offices",
            &mut out.street_offices,
            decode::street_office,
        )
        .await?;
        let communities = decode::community_columns(d);
        load_table::<DB, _>(
            c,
            &communities,
            "communities",
            &mut out.communities,
            decode::community,
        )
        .await?;
        let grids = decode::grid_columns(d);
        load_table::<DB, _>(c, &grids, "grids", &mut out.grids, decode::grid).await?;
        let buildings = decode::building_columns(d);
        load_table::<DB, _>(
            c,
            &buildings,
            "buildings",
            &mut out.buildings,
            decode::building,
        )
        .await?;
        let stations = decode::station_columns(d);
        load_table::<DB, _>(c, &stations, "stations", &mut out.stations, decode::station).await?;
        load_table::<DB, _>(c, people, "people", &mut out.people, decode::person).await?;
        let roads = decode::road_columns(d);
        load_table::<DB, _>(c, &roads, "roads", &mut out.roads, decode::road).await?;
        let areas = decode::area_columns(d);
        load_table::<DB, _>(c, &areas, "areas", &mut out.areas, decode::area).await?;
        // End the read transaction here rather than leaving the rollback
        // to drop: a pooled connection must not keep an old snapshot.
        tx.commit().await?;
        Ok(out)
    }

    fn accounts(&self) -> &dyn Accounts {
        &self.accounts
    }

    async fn begin(&self) -> Result<Box<dyn WriteTx>> {
        Ok(Box::new(write::SqlTx::<DB>::new(self.pool.begin().await?)))
    }

    async fn data_version(&self) -> Result<u64> {
        let v = self.meta("data_version").await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    async fn plans(&self, community: Option<Id>) -> Result<Vec<Plan>> {
        plans::plans::<DB>(&mut *self.pool.acquire().await?, community).await
    }
    async fn plan(&self, id: Id) -> Result<Option<Plan>> {
        plans::plan::<DB>(&mut *self.pool.acquire().await?, id).await
    }
    async fn plan_version(&self, plan: Id, version: i64) -> Result<Option<PlanVersion>> {
        plans::plan_version::<DB>(&mut *self.pool.acquire().await?, plan, version).await
    }
    async fn plan_history(&self, plan: Id) -> Result<Vec<PlanVersion>> {
        plans::plan_history::<DB>(&mut *self.pool.acquire().await?, plan).await
    }
    async fn community_rules(&self, community: Id) -> Result<Option<String>> {
        plans::community_rules::<DB>(&mut *self.pool.acquire().await?, community).await
    }
    async fn all_community_rules(&self) -> Result<Vec<(Id, String)>> {
        plans::all_community_rules::<DB>(&mut *self.pool.acquire().await?).await
    }
    async fn retired_codes(&self, community: Id) -> Result<Vec<String>> {
        plans::retired_codes::<DB>(&mut *self.pool.acquire().await?, community).await
    }
}
