//! Store round trips, transactions and importers writing through the store.

use std::sync::Arc;

use gridmap_data::import::{self, geojson::Layer};
use gridmap_data::model::*;
use gridmap_data::store;
use gridmap_data::{Atlas, synth};

use super::backend::{Fixture, sample};

crate::conformance!(
    a_dataset_round_trips_exactly,
    a_dropped_transaction_leaves_nothing,
    commits_bump_the_data_version,
    osm_import_is_all_or_nothing,
    geojson_layers_and_household_csv,
    atlas_from_the_store_finds_grids,
);

async fn a_dataset_round_trips_exactly(f: &Fixture) {
    let s = &f.store;
    let mut d = synth::city(200, 3);
    d.areas.push(Area {
        id: 1,
        osm_id: Some(-5),
        kind: "water".into(),
        name: Some("玄武湖".into()),
        geometry: d.grids[0].boundary.clone(),
    });
    // Two parts, one with a hole: every ring must survive the codec.
    let ring = |x0: f64, y0: f64, w: f64| {
        geo::LineString::from(vec![
            (x0, y0),
            (x0 + w, y0),
            (x0 + w, y0 + w),
            (x0, y0 + w),
            (x0, y0),
        ])
    };
    d.areas.push(Area {
        id: 2,
        osm_id: None,
        kind: "park".into(),
        name: None,
        geometry: geo::MultiPolygon(vec![
            geo::Polygon::new(ring(118.1, 32.1, 0.01), vec![ring(118.102, 32.102, 0.001)]),
            geo::Polygon::new(ring(118.2, 32.2, 0.005), vec![]),
        ]),
    });
    // Stations keep the type of the OSM element they came from.
    let mut typed = d.stations[0].clone();
    typed.id = d.stations.len() as i64 + 1;
    typed.osm_id = Some(-77);
    typed.osm_type = Some(OsmType::Relation);
    d.stations.push(typed);
    let mut tx = s.begin().await.expect("begin");
    store::write_dataset(tx.as_mut(), &d).await.expect("write");
    tx.commit().await.expect("commit");
    let back = s.load().await.expect("load");
    // Ids are assigned in insertion order from 1, so the whole dataset is equal.
    assert_eq!(back.communities, d.communities);
    assert_eq!(back.grids, d.grids);
    assert_eq!(back.buildings, d.buildings);
    assert_eq!(back.stations, d.stations);
    assert_eq!(back.people, d.people);
    assert_eq!(back.roads, d.roads);
    assert_eq!(back.areas, d.areas);
    let c = s.counts().await.expect("counts");
    assert_eq!(c.buildings, 200);
    assert_eq!(c.roads as usize, d.roads.len());
}

async fn commits_bump_the_data_version(f: &Fixture) {
    let s = &f.store;
    let v0 = s.data_version().await.unwrap();
    let id = s.store_id().await.unwrap();
    assert_eq!(id.len(), 16, "a store gets an id when created: {id:?}");
    let mut tx = s.begin().await.unwrap();
    tx.set_meta("k", "v").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.data_version().await.unwrap(), v0 + 1);
    let tx = s.begin().await.unwrap();
    drop(tx);
    assert_eq!(
        s.data_version().await.unwrap(),
        v0 + 1,
        "a rollback is no change"
    );
    assert_eq!(s.store_id().await.unwrap(), id);
}

async fn a_dropped_transaction_leaves_nothing(f: &Fixture) {
    let s = &f.store;
    let d = synth::city(50, 1);
    {
        let mut tx = s.begin().await.expect("begin");
        store::write_dataset(tx.as_mut(), &d).await.expect("write");
        // dropped without commit
    }
    assert_eq!(s.counts().await.expect("counts"), Counts::default());
}

async fn osm_import_is_all_or_nothing(f: &Fixture) {
    let s = &f.store;
    let dir = f.dir();
    // Valid elements first, then a broken tail: nothing may be stored.
    let text = std::fs::read_to_string(sample("nanjing-xinjiekou.osm")).expect("sample");
    let cut = text.find("<relation").expect("has relations");
    let broken = dir.join("broken.osm");
    std::fs::write(&broken, format!("{}<relation id=\"oops\">", &text[..cut])).expect("write");
    let e = import::import_osm(s.as_ref(), &broken, Arc::new(|_| {})).await;
    assert!(e.is_err());
    assert_eq!(s.counts().await.expect("counts"), Counts::default());
    // The real file imports.
    let r = import::import_osm(
        s.as_ref(),
        &sample("nanjing-xinjiekou.osm"),
        Arc::new(|_| {}),
    )
    .await
    .expect("import");
    assert_eq!(r.buildings, 1_277);
    assert_eq!(s.counts().await.expect("counts").buildings, 1_277);
}

const COMMUNITY: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"320104001001","name":"甲社区","street_office_name":"测试街道"},
  "geometry":{"type":"Polygon","coordinates":[[[118.0,32.0],[118.02,32.0],[118.02,32.01],[118.0,32.01],[118.0,32.0]]]}}]}"#;
const GRIDS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"320104001001001","name":"一网格"},
  "geometry":{"type":"Polygon","coordinates":[[[118.0,32.0],[118.01,32.0],[118.01,32.01],[118.0,32.01],[118.0,32.0]]]}},
 {"type":"Feature","properties":{"code":"320104001001002","name":"二网格","community_code":"320104001001","kind":"dedicated"},
  "geometry":{"type":"Polygon","coordinates":[[[118.01,32.0],[118.02,32.0],[118.02,32.01],[118.01,32.01],[118.01,32.0]]]}}]}"#;
const BUILDINGS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"1号楼","households":120},
  "geometry":{"type":"Polygon","coordinates":[[[118.002,32.002],[118.003,32.002],[118.003,32.003],[118.002,32.003],[118.002,32.002]]]}},
 {"type":"Feature","properties":{"name":"2号楼","class":"residential","osm_id":77},
  "geometry":{"type":"Polygon","coordinates":[[[118.012,32.002],[118.013,32.002],[118.013,32.003],[118.012,32.003],[118.012,32.002]]]}}]}"#;

async fn geojson_layers_and_household_csv(f: &Fixture) {
    let s = &f.store;
    let dir = f.dir();
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    import::import_geojson(
        s.as_ref(),
        Layer::Communities,
        &file("c.geojson", COMMUNITY),
    )
    .await
    .expect("communities");
    let r = import::import_geojson(s.as_ref(), Layer::Grids, &file("g.geojson", GRIDS))
        .await
        .expect("grids");
    assert_eq!(r.grids.added, 2);
    let r = import::import_geojson(s.as_ref(), Layer::Buildings, &file("b.geojson", BUILDINGS))
        .await
        .expect("buildings");
    assert_eq!((r.buildings.added, r.assigned_buildings), (2, 2));
    let d = s.load().await.expect("load");
    assert_eq!(d.street_offices[0].name, "测试街道");
    assert_eq!(d.grids[1].kind, GridKind::Dedicated);
    assert_eq!(d.buildings[0].grid_id, Some(d.grids[0].id));
    assert_eq!(d.buildings[1].grid_id, Some(d.grids[1].id));
    assert_eq!(d.buildings[0].household_source, HouseholdSource::Surveyed);
    assert_eq!(d.buildings[1].household_source, HouseholdSource::Estimated);

    // The same layers again: matched by code (and osm_id), nothing added
    // and nothing written but the unkeyed building, which is new each time.
    let before = s.counts().await.expect("counts");
    let version = s.data_version().await.expect("version");
    let r = import::import_geojson(s.as_ref(), Layer::Grids, &file("g2.geojson", GRIDS))
        .await
        .expect("grids again");
    assert_eq!(
        (r.grids.added, r.grids.updated, r.grids.unchanged),
        (0, 0, 2)
    );
    let r = import::import_geojson(
        s.as_ref(),
        Layer::Communities,
        &file("c2.geojson", COMMUNITY),
    )
    .await
    .expect("communities again");
    assert_eq!(
        (
            r.communities.unchanged,
            r.communities.added,
            r.street_offices
        ),
        (1, 0, 0)
    );
    assert_eq!(s.counts().await.expect("counts"), before);
    assert_eq!(s.data_version().await.expect("version"), version);
    let keyed = BUILDINGS.replace(
        r#"{"name":"1号楼","households":120},"#,
        r#"{"name":"1号楼","households":120,"osm_id":"r8"},"#,
    );
    // A changed grid is updated in place, keeping its id.
    let renamed = GRIDS.replace("二网格", "第二网格");
    let r = import::import_geojson(s.as_ref(), Layer::Grids, &file("g3.geojson", &renamed))
        .await
        .expect("renamed grid");
    assert_eq!((r.grids.updated, r.grids.unchanged), (1, 1));
    let d = s.load().await.expect("load");
    assert_eq!(d.grids.len(), 2);
    assert_eq!(d.grids[1].name, "第二网格");
    // A code twice in one file is refused, naming both features.
    let twice = GRIDS.replace("320104001001002", "320104001001001");
    let e = import::import_geojson(s.as_ref(), Layer::Grids, &file("g4.geojson", &twice))
        .await
        .expect_err("dup");
    assert!(e.to_string().contains("already used by feature #1"), "{e}");
    let before = s.counts().await.expect("counts");
    // Buildings by osm_id: w77 is matched, r8 is new; then both unchanged.
    let r = import::import_geojson(s.as_ref(), Layer::Buildings, &file("b2.geojson", &keyed))
        .await
        .expect("buildings again");
    assert_eq!(
        (
            r.buildings.added,
            r.buildings.updated,
            r.buildings.unchanged
        ),
        (1, 0, 1)
    );
    let r = import::import_geojson(s.as_ref(), Layer::Buildings, &file("b3.geojson", &keyed))
        .await
        .expect("buildings again");
    assert_eq!(
        (
            r.buildings.added,
            r.buildings.updated,
            r.buildings.unchanged
        ),
        (0, 0, 2)
    );
    assert_eq!(
        s.counts().await.expect("counts").buildings,
        before.buildings + 1
    );

    // Households by OSM id.
    import::import_households(s.as_ref(), &file("h.csv", "osm_id,households\nw77,33\n"))
        .await
        .expect("csv");
    let d = s.load().await.expect("load");
    assert_eq!(
        (d.buildings[1].households, d.buildings[1].household_source),
        (33, HouseholdSource::Surveyed)
    );
    // Imported again without `households`, it keeps the surveyed count.
    let r = import::import_geojson(s.as_ref(), Layer::Buildings, &file("b4.geojson", &keyed))
        .await
        .expect("buildings again");
    assert_eq!(r.buildings.unchanged, 2);
    let d = s.load().await.expect("load");
    assert_eq!(
        (d.buildings[1].households, d.buildings[1].household_source),
        (33, HouseholdSource::Surveyed)
    );

    // One unknown id on line 3 rejects the whole file: line 2 is not applied either.
    let e = import::import_households(
        s.as_ref(),
        &file("bad.csv", "building_id,households\n1,500\n999,3\n"),
    )
    .await
    .expect_err("unknown id");
    assert_eq!(e.to_string(), "CSV line 3: no building with id 999");
    let d = s.load().await.expect("load");
    assert_eq!(d.buildings[0].households, 120);
    let e = import::import_households(
        s.as_ref(),
        &file("neg.csv", "building_id,households\n1,-4\n"),
    )
    .await
    .expect_err("negative");
    assert!(e.to_string().contains("line 2"), "{e}");
}

async fn atlas_from_the_store_finds_grids(f: &Fixture) {
    let s = &f.store;
    let d = synth::city(400, 9);
    let mut tx = s.begin().await.expect("begin");
    store::write_dataset(tx.as_mut(), &d).await.expect("write");
    tx.commit().await.expect("commit");
    let atlas = Atlas::build(s.load().await.expect("load"), 1);
    for b in atlas.data().buildings.iter().step_by(7) {
        assert_eq!(atlas.grid_at(b.point).map(|g| g.id), b.grid_id);
    }
}
