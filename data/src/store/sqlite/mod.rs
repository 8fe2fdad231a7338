//! The embedded default store: one SQLite file (bundled, WAL mode) through
//! sqlx. Geometries are WKB blobs, points `lon`/`lat` columns, a road's
//! node list a blob of little-endian `i64`s; everything else is the shared
//! SQL store ([`super::sql`]).

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use crate::error::{DataError, Result};
use crate::model::Id;
use crate::store::codec;
use crate::store::decode::{Columns, same_columns};
use crate::store::sql::{Backend, Dialect, SqlAccounts, SqlStore, Stmt};

/// SQLite store at a `sqlite://PATH` URL.
pub type SqliteStore = SqlStore<Sqlite>;

/// Accounts in a SQLite pool.
pub type SqliteAccounts = SqlAccounts<Sqlite>;

impl SqlStore<Sqlite> {
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
        Ok(SqlStore::new(pool))
    }
}

impl Backend for Sqlite {
    const DIALECT: Dialect = Dialect {
        name: "sqlite",
        spatial: false,
        // A read transaction already sees one snapshot (WAL).
        snapshot: None,
        // A write statement takes SQLite's write lock now, so what the
        // import reads next is what it writes over (no other writer can
        // commit in between); it changes no row.
        import_lock: "UPDATE meta SET value = value WHERE 0",
        login_lock: None,
        lock_drafts: "",
        bump_version: "INSERT INTO meta (key, value) VALUES ('data_version', '1')
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        notify: None,
        reset_sequences: false,
    };

    fn execute<'c>(conn: &'c mut SqliteConnection, s: Stmt<'c>) -> BoxFuture<'c, Result<u64>> {
        let q = s.query(|q, ids| q.bind(codec::encode_ids(ids)));
        Box::pin(async move { Ok(q.execute(conn).await?.rows_affected()) })
    }

    fn fetch<'c>(conn: &'c mut SqliteConnection, s: Stmt<'c>) -> BoxStream<'c, Result<SqliteRow>> {
        let q = s.query(|q, ids| q.bind(codec::encode_ids(ids)));
        q.fetch(conn).map_err(DataError::from).boxed()
    }
}

impl Columns for SqliteRow {
    same_columns!();

    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.try_get(i)?)
    }

    fn ids(&self, i: usize, table: &'static str, column: &'static str, id: Id) -> Result<Vec<i64>> {
        codec::decode_ids(&self.try_get::<Vec<u8>, _>(i)?, table, column, id)
    }
}
