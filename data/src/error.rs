//! Errors of the data crate.

use std::path::PathBuf;

/// Everything that can go wrong reading, validating or storing data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("malformed OSM XML at byte {position}: {message}")]
    OsmXml { position: u64, message: String },
    #[error("malformed OSM PBF: {0}")]
    OsmPbf(String),
    #[error("malformed GeoJSON: {0}")]
    GeoJson(String),
    /// A feature that parsed but breaks a rule; `feature` names it (index, id or name).
    #[error("{feature}: {message}")]
    InvalidFeature { feature: String, message: String },
    #[error("CSV line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("unknown layer `{0}` (expected communities, grids, buildings or stations)")]
    UnknownLayer(String),
    #[error("store error: {0}")]
    Store(#[from] sqlx::Error),
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt stored value in {table}.{column} (row {id}): {message}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        id: i64,
        message: String,
    },
    #[error(
        "unsupported database URL `{0}` (expected sqlite://PATH or postgres://USER:PASSWORD@HOST/DB)"
    )]
    UnsupportedUrl(String),
    #[error("{feature}: {vertices} vertices, more than the {max} a geometry may have")]
    TooManyVertices {
        feature: String,
        vertices: usize,
        max: usize,
    },
    #[error("{count} features in one import, more than the {max} allowed; split the file")]
    TooManyFeatures { count: usize, max: usize },
    #[error("account error: {0}")]
    Account(String),
    /// An edit made on an older version of a plan than the stored one.
    #[error("plan {plan} is at version {actual}, the edit was made on version {expected}")]
    Conflict {
        plan: i64,
        expected: i64,
        actual: i64,
    },
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    /// Publishing over a published plan other than the one expected (another
    /// publish came first).
    #[error(
        "community {community}'s published plan is {}, not {} as expected",
        plan_name(*.actual), plan_name(*.expected)
    )]
    PublishedChanged {
        community: i64,
        expected: Option<i64>,
        actual: Option<i64>,
    },
    #[error("store copy failed: {0}")]
    Copy(String),
    #[error("import cancelled: {0}")]
    Cancelled(String),
}

fn plan_name(p: Option<i64>) -> String {
    p.map_or_else(|| "none".to_owned(), |p| format!("plan {p}"))
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;
