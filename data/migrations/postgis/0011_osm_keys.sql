-- PostGIS twin of migrations/sqlite/0011_osm_keys.sql.
-- OSM keys. An OSM import updates what an earlier import stored, matching
-- rows by OSM element (crates/data/src/import/upsert.rs). Buildings, roads
-- and areas come from ways and relations: `osm_id` alone names the element
-- (ways as their id, relations negated). Stations also come from nodes, and
-- node 5 is not way 5, so a station keeps its element's type.
--
-- Stations stored before this migration: a negative id is a relation; a
-- positive one may be a node or a way and stays untyped until the next OSM
-- import that holds the station types it. Of stations stored twice under
-- one id (an import run twice before keys were kept) only the first is
-- typed; the import reports the others as missing and `--prune` removes them.
ALTER TABLE stations ADD COLUMN osm_type TEXT
    CHECK (osm_type IN ('node', 'way', 'relation'));
UPDATE stations SET osm_type = 'relation'
 WHERE osm_id < 0
   AND id = (SELECT min(s.id) FROM stations s WHERE s.osm_id = stations.osm_id);
-- A typed key names one station.
CREATE UNIQUE INDEX stations_osm_key ON stations(osm_type, osm_id)
    WHERE osm_type IS NOT NULL;
