-- Load an exported walking graph (see analysis/examples/export_walkgraph.rs).
-- psql variables: :dir (export folder).
DROP TABLE IF EXISTS walk_edges, walk_ours, walk_pgr;
CREATE TABLE walk_edges (id bigint PRIMARY KEY, source bigint NOT NULL, target bigint NOT NULL, cost float8 NOT NULL);
CREATE TABLE walk_ours (node bigint PRIMARY KEY, metres float8 NOT NULL);
\set edges_csv :dir '/edges.csv'
\set ours_csv :dir '/ours.csv'
COPY walk_edges FROM :'edges_csv' WITH (FORMAT csv);
COPY walk_ours FROM :'ours_csv' WITH (FORMAT csv);
ANALYZE walk_edges;
