-- Multi-source pgr_drivingDistance with equicost (each node keeps its
-- nearest source only), undirected, over the whole graph; then compare with
-- the engine's distances, and settle any disagreement with an exact
-- pgr_dijkstraCost from a virtual super-source joined to every station.
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
       count(*) FILTER (WHERE abs(o.metres - p.agg_cost) > 1e-6) AS differ_by_more_than_1e_6,
       max(abs(o.metres - p.agg_cost)) AS max_abs_diff_m
FROM walk_ours o LEFT JOIN walk_pgr p ON p.node = o.node;
-- Referee: one exact Dijkstra from a super-source (vertex 9e15) for the
-- (at most 50) nodes where the two disagree.
CREATE TEMP TABLE walk_disagree AS
SELECT o.node, o.metres, p.agg_cost
FROM walk_ours o JOIN walk_pgr p ON p.node = o.node
WHERE abs(o.metres - p.agg_cost) > 1e-6
ORDER BY abs(o.metres - p.agg_cost) DESC
LIMIT 50;
SELECT count(*) > 0 AS has_disagreements FROM walk_disagree \gset
\if :has_disagreements
SELECT count(*) AS disagreements_checked,
       count(*) FILTER (WHERE abs(d.metres - x.agg_cost) <= 1e-6) AS gridmap_exact,
       count(*) FILTER (WHERE abs(d.agg_cost - x.agg_cost) <= 1e-6) AS driving_distance_exact
FROM walk_disagree d
JOIN pgr_dijkstraCost(
    'SELECT id, source, target, cost FROM walk_edges
     UNION ALL
     SELECT 9000000000000000 + s, 9000000000000000, s, 0.0 FROM unnest(ARRAY[' || :'sources' || ']::bigint[]) AS s',
    9000000000000000::bigint,
    ARRAY(SELECT node FROM walk_disagree)::bigint[],
    directed => false) x ON x.end_vid = d.node;
\else
\echo no disagreements to referee
\endif
