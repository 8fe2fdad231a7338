-- Multi-source pgr_drivingDistance with equicost (each node keeps its
-- nearest source only), undirected, over the whole graph; then compare.
-- psql variables: :sources (comma-separated vertex ids), :limit (metres).
\timing on
CREATE TABLE walk_pgr AS
SELECT node, agg_cost
FROM pgr_drivingDistance(
    'SELECT id, source, target, cost FROM walk_edges',
    ARRAY[:sources]::bigint[],
    :limit,
    directed => false,
    equicost => true);
\timing off
SELECT count(*) AS compared,
       count(*) FILTER (WHERE p.node IS NULL) AS missing_in_pgrouting,
       max(abs(o.metres - p.agg_cost)) AS max_abs_diff_m
FROM walk_ours o LEFT JOIN walk_pgr p ON p.node = o.node;
