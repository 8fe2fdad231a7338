-- gridmap schema, SQLite flavour. Geometries are WKB (EPSG:4326 lon/lat);
-- building and station points are kept as plain lon/lat columns too.

CREATE TABLE street_offices (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE communities (
    id               INTEGER PRIMARY KEY,
    street_office_id INTEGER REFERENCES street_offices(id),
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    boundary         BLOB NOT NULL
);

CREATE TABLE grids (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('basic', 'dedicated')),
    boundary     BLOB NOT NULL
);
CREATE INDEX grids_community ON grids(community_id);

CREATE TABLE buildings (
    id               INTEGER PRIMARY KEY,
    osm_id           INTEGER,
    name             TEXT,
    address          TEXT,
    class            TEXT NOT NULL,
    levels           INTEGER,
    households       INTEGER NOT NULL CHECK (households >= 0),
    household_source TEXT NOT NULL CHECK (household_source IN ('surveyed', 'estimated')),
    footprint        BLOB NOT NULL,
    lon              REAL NOT NULL,
    lat              REAL NOT NULL,
    grid_id          INTEGER REFERENCES grids(id)
);
CREATE INDEX buildings_osm ON buildings(osm_id);
CREATE INDEX buildings_grid ON buildings(grid_id);

CREATE TABLE stations (
    id            INTEGER PRIMARY KEY,
    osm_id        INTEGER,
    name          TEXT NOT NULL,
    tier          TEXT NOT NULL CHECK (tier IN ('centre', 'station', 'point')),
    kind          TEXT,
    opening_hours TEXT,
    lon           REAL NOT NULL,
    lat           REAL NOT NULL
);

CREATE TABLE people (
    id      INTEGER PRIMARY KEY,
    grid_id INTEGER NOT NULL REFERENCES grids(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    role    TEXT NOT NULL CHECK (role IN ('grid_leader', 'grid_worker', 'building_steward')),
    phone   TEXT,
    sample  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX people_grid ON people(grid_id);

CREATE TABLE roads (
    id       INTEGER PRIMARY KEY,
    osm_id   INTEGER,
    class    TEXT NOT NULL,
    name     TEXT,
    walkable INTEGER NOT NULL,
    geometry BLOB NOT NULL,
    node_ids BLOB NOT NULL
);

CREATE TABLE areas (
    id       INTEGER PRIMARY KEY,
    osm_id   INTEGER,
    kind     TEXT NOT NULL,
    name     TEXT,
    geometry BLOB NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
