-- Plans: versioned drafts of one community's grids. The published grids
-- themselves stay in `grids` / `buildings.grid_id`; a plan keeps, per
-- version, the whole plan state (JSON written by gridmap-analysis) and the
-- edit that produced it, so history is append-only and undo is a new
-- version equal to an older state.

CREATE TABLE plans (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    name         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    base_plan_id INTEGER REFERENCES plans(id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX plans_community ON plans(community_id);
-- At most one published plan per community.
CREATE UNIQUE INDEX plans_one_published ON plans(community_id) WHERE status = 'published';

CREATE TABLE plan_versions (
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    version INTEGER NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('create', 'edit', 'undo', 'redo', 'publish')),
    edit    TEXT NOT NULL,
    state   TEXT NOT NULL,
    author  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (plan_id, version)
);

CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'plan history is append-only'); END;
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'plan history is append-only'); END;

-- Per-community planning rules (JSON written by gridmap-analysis).
CREATE TABLE community_rules (
    community_id INTEGER PRIMARY KEY REFERENCES communities(id),
    rules        TEXT NOT NULL
);

-- Grid codes that were published once and retired: never reused.
CREATE TABLE retired_codes (
    code         TEXT PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities(id),
    retired_at   INTEGER NOT NULL
);
