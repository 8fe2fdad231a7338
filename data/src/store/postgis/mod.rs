//! The production store: PostgreSQL + PostGIS through sqlx. Same tables as
//! the SQLite store, with `geometry(…, 4326)` columns and GiST indexes.
//! Geometries cross the wire as WKB made by geozero ([`super::codec`]), wrapped
//! in `ST_GeomFromWKB($n, 4326)` / read with `ST_AsBinary`; a road's node list
//! is a `BIGINT[]`. Everything else is the shared SQL store ([`super::sql`]).
//!
//! Every committed write transaction that changed the model bumps the shared
//! `data_version` and sends `NOTIFY gridmap_changed`, so other servers over
//! the same database reload their snapshots (see [`super::Store::data_version`]).

use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::{Column, Postgres, Row, TypeInfo};

use crate::error::{DataError, Result};
use crate::model::Id;
use crate::store::decode::{Columns, same_columns};
use crate::store::sql::{Backend, Dialect, SqlAccounts, SqlStore, Stmt};

/// The channel servers LISTEN on for committed changes.
pub const CHANGE_CHANNEL: &str = "gridmap_changed";

/// PostGIS store at a `postgres://` URL.
pub type PostgisStore = SqlStore<Postgres>;

/// Accounts in a PostgreSQL pool.
pub type PgAccounts = SqlAccounts<Postgres>;

impl SqlStore<Postgres> {
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
        Ok(SqlStore::new(pool))
    }
}

impl Backend for Postgres {
    const DIALECT: Dialect = Dialect {
        name: "postgis",
        spatial: true,
        snapshot: Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
        // The transaction-scoped advisory lock every OSM and GeoJSON import
        // takes (0x6772_6964_6d61_7001: "gridmap" and 1).
        import_lock: "SELECT pg_advisory_xact_lock(7454136213304340481)",
        login_lock: Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))"),
        // No edit lands on the drafts until the transaction commits.
        lock_drafts: "FOR UPDATE OF p",
        bump_version: "INSERT INTO meta (key, value) VALUES ('data_version', '1')
             ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text",
        // CHANGE_CHANNEL
        notify: Some("SELECT pg_notify('gridmap_changed', '')"),
        reset_sequences: true,
    };

    fn execute<'c>(conn: &'c mut PgConnection, s: Stmt<'c>) -> BoxFuture<'c, Result<u64>> {
        let q = s.query(|q, ids| q.bind(ids));
        Box::pin(async move { Ok(q.execute(conn).await?.rows_affected()) })
    }

    fn fetch<'c>(conn: &'c mut PgConnection, s: Stmt<'c>) -> BoxStream<'c, Result<PgRow>> {
        let q = s.query(|q, ids| q.bind(ids));
        q.fetch(conn).map_err(DataError::from).boxed()
    }
}

impl Columns for PgRow {
    same_columns!();

    /// `levels` and `households` are `INTEGER`; every other whole number is `BIGINT`.
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        if self.try_column(i)?.type_info().name() == "INT4" {
            Ok(self.try_get::<Option<i32>, _>(i)?.map(i64::from))
        } else {
            Ok(self.try_get(i)?)
        }
    }

    fn ids(&self, i: usize, _: &'static str, _: &'static str, _: Id) -> Result<Vec<i64>> {
        Ok(self.try_get(i)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_notify_the_change_channel() {
        let notify = Postgres::DIALECT.notify.unwrap_or_default();
        assert!(notify.contains(&format!("'{CHANGE_CHANNEL}'")));
    }
}
