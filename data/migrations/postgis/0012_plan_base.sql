-- The published plan a draft is based on (see migrations/sqlite/0012_plan_base.sql).
ALTER TABLE plans ADD COLUMN base_published_id BIGINT REFERENCES plans(id);

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

-- A new version kind: `rebase`.
ALTER TABLE plan_versions DROP CONSTRAINT plan_versions_op_check;
ALTER TABLE plan_versions ADD CONSTRAINT plan_versions_op_check
    CHECK (op IN ('create', 'edit', 'undo', 'redo', 'publish', 'rebase'));
