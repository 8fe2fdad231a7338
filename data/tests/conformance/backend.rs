//! Test backends: a fresh store per test, on SQLite or PostGIS.

use std::path::{Path, PathBuf};

use gridmap_data::store::{self, PostgisStore, SqliteStore, Store};

pub struct Fixture {
    pub store: Box<dyn Store>,
    dir: tempfile::TempDir,
    raw: Raw,
    pg_admin: Option<(String, String)>,
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Fixture {
    /// A scratch folder for files the test writes.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Run one raw SQL statement (to check what the schema itself refuses).
    pub async fn raw_exec(&self, sql: &str) -> Result<u64, String> {
        match &self.raw {
            Raw::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            Raw::Pg(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        }
        .map_err(|e| e.to_string())
    }

    /// Drop the PostGIS test database.
    pub async fn cleanup(self) {
        let Fixture {
            store,
            raw,
            pg_admin,
            ..
        } = self;
        drop(store);
        if let Raw::Pg(p) = raw {
            p.close().await;
        }
        if let Some((admin, db)) = pg_admin
            && let Ok(pool) = sqlx::PgPool::connect(&admin).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .execute(&pool)
                .await;
        }
    }
}

pub async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = store::open(&url).await.expect("open");
    let raw = Raw::Sqlite(SqliteStore::open(&url).await.unwrap().pool().clone());
    Fixture {
        store,
        dir,
        raw,
        pg_admin: None,
    }
}

/// A fresh PostGIS database, or None when none is configured.
pub async fn postgis() -> Option<Fixture> {
    let Ok(admin) = std::env::var("GRIDMAP_TEST_PG") else {
        if std::env::var("GRIDMAP_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("GRIDMAP_REQUIRE_PG=1 but GRIDMAP_TEST_PG is not set");
        }
        eprintln!("PostGIS conformance skipped: GRIDMAP_TEST_PG is not set");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let db = format!(
        "gm_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("connect to GRIDMAP_TEST_PG");
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    let url = match admin.rfind('/') {
        Some(i) => format!("{}/{db}", &admin[..i]),
        None => panic!("GRIDMAP_TEST_PG has no database part: {admin}"),
    };
    let store = store::open(&url).await.expect("open postgis");
    let raw = Raw::Pg(PostgisStore::open(&url).await.unwrap().pool().clone());
    Some(Fixture {
        store,
        dir: tempfile::tempdir().expect("tmp"),
        raw,
        pg_admin: Some((admin, db)),
    })
}

pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// One `#[tokio::test]` per backend for each listed `async fn(&Fixture)`.
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let f = $crate::conformance::backend::sqlite().await;
                    super::$name(&f).await;
                    f.cleanup().await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(f) = $crate::conformance::backend::postgis().await {
                        super::$name(&f).await;
                        f.cleanup().await;
                    }
                }
            )*
        }
    };
}
