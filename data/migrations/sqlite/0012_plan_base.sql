-- The published plan a draft is based on (the community's published plan
-- when the draft's state was taken from the published grids, or a rebase
-- moved it onto a newer one). Publishing a draft whose base is no longer
-- the community's published plan is refused (`base_changed`) unless it is
-- rebased or forced with a reason. NULL: no plan was published then.
ALTER TABLE plans ADD COLUMN base_published_id INTEGER REFERENCES plans(id);

-- Drafts made before this column: the plan that was published when they
-- were created (the newest with published_at <= created_at; archived plans
-- keep their published_at).
UPDATE plans SET base_published_id = (
    SELECT p.id FROM plans p
    WHERE p.community_id = plans.community_id
      AND p.id <> plans.id
      AND p.published_at IS NOT NULL
      AND p.published_at <= plans.created_at
    ORDER BY p.published_at DESC, p.id DESC
    LIMIT 1
)
WHERE status = 'draft';

-- A new version kind: `rebase` (the draft restarts from the newer published
-- grids; its edits follow as `edit` versions). SQLite cannot change a CHECK
-- constraint in place: the table is rebuilt (dropping a table drops its
-- triggers without firing them) and the append-only triggers recreated.
CREATE TABLE plan_versions_new (
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    version INTEGER NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('create', 'edit', 'undo', 'redo', 'publish', 'rebase')),
    edit    TEXT NOT NULL,
    state   TEXT NOT NULL,
    author  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (plan_id, version)
);
INSERT INTO plan_versions_new (plan_id, version, op, edit, state, author, at)
    SELECT plan_id, version, op, edit, state, author, at FROM plan_versions;
DROP TABLE plan_versions;
ALTER TABLE plan_versions_new RENAME TO plan_versions;

CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'plan history is append-only'); END;
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'plan history is append-only'); END;
