//! OSM imports as updates keyed by OSM element, and truncated files refused,
//! on both stores.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use gridmap_data::import::upsert::PlanBuildings;
use gridmap_data::import::{self, OsmOptions};
use gridmap_data::model::*;
use gridmap_data::store::{self, Store};

use super::backend::{Fixture, sample};

crate::conformance!(
    reimporting_the_same_file_changes_nothing,
    a_changed_file_updates_in_place_and_keeps_surveys,
    prune_deletes_what_the_file_lacks_but_not_what_a_draft_assigns,
    truncated_files_are_refused_and_leave_the_store_alone,
    a_node_and_a_way_with_one_number_are_two_stations,
    a_station_stored_without_its_type_is_matched_by_number,
    a_store_imported_twice_before_keys_heals_with_prune,
);

async fn import(s: &dyn Store, path: &std::path::Path) -> import::osm::OsmReport {
    import::import_osm(s, path, Arc::new(|_| {}))
        .await
        .expect("import")
}

async fn import_pruning(s: &dyn Store, path: &std::path::Path) -> import::osm::OsmReport {
    import::import_osm_with(
        s,
        path,
        Arc::new(|_| {}),
        None,
        OsmOptions {
            prune: Some(assignment_keys()),
        },
    )
    .await
    .expect("import --prune")
}

/// The building ids of a plan state's `assignment` (the planning engine's
/// JSON, read here as plain JSON).
fn assignment_keys() -> PlanBuildings {
    Arc::new(|state: &str| {
        let v: serde_json::Value = serde_json::from_str(state).map_err(|e| e.to_string())?;
        Ok(v.get("assignment")
            .and_then(|a| a.as_object())
            .map(|a| a.keys().filter_map(|k| k.parse().ok()).collect())
            .unwrap_or_default())
    })
}

fn sample_text() -> String {
    std::fs::read_to_string(sample("nanjing-xinjiekou.osm")).expect("sample")
}

fn write(f: &Fixture, name: &str, text: &str) -> PathBuf {
    let p = f.dir().join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// The `<way …>…</way>` blocks of an OSM XML text: id and byte range.
fn ways(text: &str) -> Vec<(i64, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("<way id=\"") {
        let start = at + i;
        let id_start = start + "<way id=\"".len();
        let id_end = id_start + text[id_start..].find('"').expect("id ends");
        let end = start + text[start..].find("</way>").expect("way closes") + "</way>".len();
        out.push((text[id_start..id_end].parse().expect("way id"), start..end));
        at = end;
    }
    out
}

/// Plain building ways: a `building` tag and none that makes them
/// anything else (street, area, station), so editing one changes one row.
fn plain_buildings(text: &str) -> Vec<(i64, std::ops::Range<usize>)> {
    let other = [
        "k=\"highway\"",
        "k=\"amenity\"",
        "k=\"office\"",
        "k=\"landuse\"",
        "k=\"natural\"",
        "k=\"leisure\"",
        "k=\"water\"",
    ];
    ways(text)
        .into_iter()
        .filter(|(_, r)| {
            let block = &text[r.clone()];
            block.contains("k=\"building\"") && !other.iter().any(|o| block.contains(o))
        })
        .collect()
}

fn by_osm_id(d: &Dataset) -> HashMap<i64, &Building> {
    d.buildings
        .iter()
        .filter_map(|b| b.osm_id.map(|o| (o, b)))
        .collect()
}

async fn reimporting_the_same_file_changes_nothing(f: &Fixture) {
    let s = f.store.as_ref();
    let path = sample("nanjing-xinjiekou.osm");
    let first = import(s, &path).await;
    assert_eq!(first.changes.buildings.added, 1_277);
    let counts = s.counts().await.expect("counts");
    let before = s.load().await.expect("load");
    let version = s.data_version().await.expect("version");

    for file in ["nanjing-xinjiekou.osm", "nanjing-xinjiekou.osm.pbf"] {
        let again = import(s, &sample(file)).await;
        let c = &again.changes;
        assert_eq!(
            (c.buildings.added, c.buildings.updated, c.buildings.missing),
            (0, 0, 0),
            "{file}: {c:?}"
        );
        assert_eq!(c.buildings.unchanged, 1_277, "{file}");
        assert_eq!(c.roads.unchanged, counts.roads, "{file}");
        assert_eq!(c.stations.unchanged, counts.stations, "{file}");
        assert_eq!(c.areas.unchanged, counts.areas, "{file}");
        for t in [&c.roads, &c.stations, &c.areas] {
            assert_eq!((t.added, t.updated, t.missing), (0, 0, 0), "{file}: {c:?}");
        }
        assert_eq!(s.counts().await.expect("counts"), counts, "{file}");
        // Nothing written: servers have nothing to reload.
        assert_eq!(s.data_version().await.expect("version"), version, "{file}");
    }
    let after = s.load().await.expect("load");
    assert_eq!(after.buildings, before.buildings);
    assert_eq!(after.stations, before.stations);
    assert_eq!(after.roads, before.roads);
    assert_eq!(after.areas, before.areas);
    // The audit row carries the same summary.
    let audit = store::AuditEntry::now("cli:test", "import.osm").target("again.osm");
    import::import_osm_audited(s, &path, Arc::new(|_| {}), Some(audit))
        .await
        .expect("audited import");
    let row = s.accounts().audit(1, None).await.expect("audit")[0].clone();
    assert_eq!(row.action, "import.osm");
    let changes = &row.detail["report"]["changes"];
    assert_eq!(changes["buildings"]["unchanged"], 1_277, "{}", row.detail);
    assert_eq!(changes["buildings"]["added"], 0);
    assert_eq!(changes["roads"]["missing"], 0);
    assert_eq!(changes["prune"], false);
}

async fn a_changed_file_updates_in_place_and_keeps_surveys(f: &Fixture) {
    let s = f.store.as_ref();
    let text = sample_text();
    import(s, &sample("nanjing-xinjiekou.osm")).await;
    let before = s.load().await.expect("load");
    let counts = s.counts().await.expect("counts");
    let stored = by_osm_id(&before);
    let candidates = plain_buildings(&text);
    // A building whose households are surveyed, whose outline loses a
    // vertex; one that gets a name; one whose levels change its estimate.
    let pick = |want: &dyn Fn(&Building, &str) -> bool, not: &[i64]| {
        candidates
            .iter()
            .find(|(id, r)| {
                !not.contains(id) && stored.get(id).is_some_and(|b| want(b, &text[r.clone()]))
            })
            .cloned()
            .expect("a building to edit")
    };
    let surveyed = pick(
        &|b, block| b.households > 0 && block.matches("<nd ").count() >= 7,
        &[],
    );
    let renamed = pick(
        &|b, block| b.name.is_none() && !block.contains("k=\"name\""),
        &[surveyed.0],
    );
    let taller = pick(
        &|b, block| b.households > 0 && !block.contains("building:levels"),
        &[surveyed.0, renamed.0],
    );
    let survey = f.dir().join("h.csv");
    std::fs::write(&survey, format!("osm_id,households\nw{},33\n", surveyed.0)).expect("csv");
    import::import_households(s, &survey).await.expect("survey");

    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let block = &text[surveyed.1.clone()];
    let second_nd = block.find("<nd ").and_then(|i| {
        let j = i + 1 + block[i + 1..].find("<nd ")?;
        let k = j + block[j..].find("/>")? + 2;
        Some(surveyed.1.start + j..surveyed.1.start + k)
    });
    edits.push((second_nd.expect("a second node"), String::new()));
    let close = |r: &std::ops::Range<usize>| r.end - "</way>".len()..r.end - "</way>".len();
    edits.push((close(&renamed.1), "<tag k=\"name\" v=\"改名楼\"/>".into()));
    edits.push((
        close(&taller.1),
        "<tag k=\"building:levels\" v=\"40\"/>".into(),
    ));
    edits.sort_by_key(|e| std::cmp::Reverse(e.0.start));
    let mut changed = text.clone();
    for (range, with) in edits {
        changed.replace_range(range, &with);
    }
    let path = write(f, "changed.osm", &changed);
    let r = import(s, &path).await;
    let c = &r.changes;
    assert_eq!(
        (
            c.buildings.added,
            c.buildings.updated,
            c.buildings.unchanged,
            c.buildings.missing
        ),
        (0, 3, 1_274, 0),
        "{c:?}"
    );
    for t in [&c.roads, &c.stations, &c.areas] {
        assert_eq!((t.added, t.updated, t.missing), (0, 0, 0), "{c:?}");
    }
    assert_eq!(s.counts().await.expect("counts"), counts);
    let after = s.load().await.expect("load");
    let now = by_osm_id(&after);
    let (old, new) = (stored[&surveyed.0], now[&surveyed.0]);
    assert_eq!(new.id, old.id, "updated in place");
    assert_ne!(new.footprint, old.footprint);
    assert_eq!(
        (new.households, new.household_source),
        (33, HouseholdSource::Surveyed),
        "the surveyed count stays"
    );
    let (old, new) = (stored[&renamed.0], now[&renamed.0]);
    assert_eq!((new.id, new.name.as_deref()), (old.id, Some("改名楼")));
    let (old, new) = (stored[&taller.0], now[&taller.0]);
    assert_eq!(new.id, old.id);
    assert_eq!(new.levels, Some(40));
    assert!(
        new.households > old.households,
        "the estimate follows the levels"
    );
    assert_eq!(new.household_source, HouseholdSource::Estimated);
    // The same changed file again: all unchanged.
    let again = import(s, &path).await;
    assert_eq!(again.changes.buildings.unchanged, 1_277);
}

async fn prune_deletes_what_the_file_lacks_but_not_what_a_draft_assigns(f: &Fixture) {
    let s = f.store.as_ref();
    let text = sample_text();
    import(s, &sample("nanjing-xinjiekou.osm")).await;
    let counts = s.counts().await.expect("counts");
    let d = s.load().await.expect("load");
    let stored = by_osm_id(&d);
    let gone: Vec<(i64, std::ops::Range<usize>)> =
        plain_buildings(&text).into_iter().take(2).collect();
    let street = ways(&text)
        .into_iter()
        .find(|(_, r)| text[r.clone()].contains("k=\"highway\""))
        .expect("a street");
    let mut cut: Vec<std::ops::Range<usize>> = gone.iter().map(|g| g.1.clone()).collect();
    cut.push(street.1.clone());
    cut.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut lacking = text.clone();
    for r in cut {
        lacking.replace_range(r, "");
    }
    let path = write(f, "lacking.osm", &lacking);

    // Without --prune: reported, kept.
    let r = import(s, &path).await;
    assert_eq!(
        (r.changes.buildings.missing, r.changes.buildings.pruned),
        (2, 0)
    );
    assert_eq!((r.changes.roads.missing, r.changes.roads.pruned), (1, 0));
    assert_eq!(r.changes.buildings.unchanged, 1_275);
    assert!(!r.changes.prune);
    assert_eq!(s.counts().await.expect("counts"), counts);

    // A draft plan assigns the second missing building.
    let kept_id = stored[&gone[1].0].id;
    let mut tx = s.begin().await.expect("begin");
    let community = tx
        .insert_community(&Community {
            id: 0,
            street_office_id: None,
            code: "320104001001".into(),
            name: "甲社区".into(),
            boundary: d.buildings[0].footprint.clone(),
        })
        .await
        .expect("community");
    let plan = tx
        .insert_plan(
            &Plan {
                id: 0,
                community_id: community,
                name: "draft".into(),
                status: PlanStatus::Draft,
                base_plan_id: None,
                version: 0,
                created_by: "t".into(),
                created_at: 1,
                published_at: None,
                base_published_id: None,
            },
            "{}",
            &format!(r#"{{"assignment":{{"{kept_id}":1}}}}"#),
        )
        .await
        .expect("plan");
    tx.commit().await.expect("commit");

    let r = import_pruning(s, &path).await;
    let c = &r.changes;
    assert!(c.prune);
    assert_eq!(
        (c.buildings.missing, c.buildings.pruned, c.buildings.kept),
        (2, 1, 1),
        "{c:?}"
    );
    assert_eq!(c.kept_for_plans, vec![plan]);
    assert_eq!((c.roads.missing, c.roads.pruned), (1, 1));
    let now = s.counts().await.expect("counts");
    assert_eq!(now.buildings, counts.buildings - 1);
    assert_eq!(now.roads, counts.roads - 1);
    let after = s.load().await.expect("load");
    assert!(after.buildings.iter().any(|b| b.id == kept_id));
    assert!(!after.buildings.iter().any(|b| b.osm_id == Some(gone[0].0)));
    assert!(!after.roads.iter().any(|r| r.osm_id == Some(street.0)));
    // Ids of what stayed are unchanged.
    for b in &after.buildings {
        assert_eq!(b.osm_id.map(|o| stored[&o].id), Some(b.id));
    }

    // An unreadable draft refuses the prune, and nothing changes.
    let mut tx = s.begin().await.expect("begin");
    tx.insert_plan(
        &Plan {
            id: 0,
            community_id: community,
            name: "broken".into(),
            status: PlanStatus::Draft,
            base_plan_id: None,
            version: 0,
            created_by: "t".into(),
            created_at: 1,
            published_at: None,
            base_published_id: None,
        },
        "{}",
        "not json",
    )
    .await
    .expect("plan");
    tx.commit().await.expect("commit");
    let before = s.counts().await.expect("counts");
    let e = import::import_osm_with(
        s,
        &path,
        Arc::new(|_| {}),
        None,
        OsmOptions {
            prune: Some(assignment_keys()),
        },
    )
    .await
    .expect_err("unreadable draft");
    assert!(e.to_string().contains("unreadable"), "{e}");
    assert_eq!(s.counts().await.expect("counts"), before);
}

async fn truncated_files_are_refused_and_leave_the_store_alone(f: &Fixture) {
    let s = f.store.as_ref();
    let text = sample_text();
    import(s, &sample("nanjing-xinjiekou.osm")).await;
    let counts = s.counts().await.expect("counts");
    let version = s.data_version().await.expect("version");
    // A changed copy: had any cut imported, rows would change.
    let renamed = text.replace(
        "<tag k=\"building\" v=\"",
        "<tag k=\"name\" v=\"x\"/><tag k=\"building\" v=\"",
    );
    let mut cuts: Vec<(String, String)> = Vec::new();
    for closing in ["</node>", "</way>", "</relation>"] {
        let at: Vec<usize> = renamed
            .match_indices(closing)
            .map(|(i, m)| i + m.len())
            .collect();
        for k in 0..10 {
            let cut = at[k * (at.len() - 1) / 9];
            cuts.push((
                format!("after {closing} at {cut}"),
                renamed[..cut].to_owned(),
            ));
        }
    }
    let end = renamed.rfind("</osm>").expect("root");
    cuts.push(("without </osm>".into(), renamed[..end].to_owned()));
    for (what, body) in cuts {
        let path = write(f, "cut.osm", &body);
        let e = import::import_osm(s, &path, Arc::new(|_| {}))
            .await
            .expect_err(&what)
            .to_string();
        assert!(e.contains("cut short"), "{what}: {e}");
        assert_eq!(s.counts().await.expect("counts"), counts, "{what}");
    }
    let pbf = std::fs::read(sample("nanjing-xinjiekou.osm.pbf")).expect("pbf");
    for n in 0..=3 {
        let path = f.dir().join("cut.osm.pbf");
        std::fs::write(&path, &pbf[..n]).expect("write");
        let e = import::import_osm(s, &path, Arc::new(|_| {}))
            .await
            .expect_err(&format!("{n}-byte PBF"));
        assert!(e.to_string().contains("PBF"), "{n} bytes: {e}");
    }
    assert_eq!(s.counts().await.expect("counts"), counts);
    assert_eq!(s.data_version().await.expect("version"), version);
    let d = s.load().await.expect("load");
    assert!(d.buildings.iter().all(|b| b.name.as_deref() != Some("x")));
}

const NODE_AND_WAY_5: &str = r#"<?xml version="1.0"?>
<osm version="0.6">
  <node id="1" lat="32.0400" lon="118.7800"/>
  <node id="2" lat="32.0400" lon="118.7810"/>
  <node id="3" lat="32.0410" lon="118.7810"/>
  <node id="4" lat="32.0410" lon="118.7800"/>
  <node id="5" lat="32.0450" lon="118.7850">
    <tag k="amenity" v="community_centre"/>
    <tag k="name" v="节点站"/>
  </node>
  <way id="5">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="amenity" v="townhall"/>
    <tag k="name" v="街道办"/>
  </way>
</osm>
"#;

async fn a_node_and_a_way_with_one_number_are_two_stations(f: &Fixture) {
    let s = f.store.as_ref();
    let path = write(f, "five.osm", NODE_AND_WAY_5);
    let r = import(s, &path).await;
    assert_eq!(r.changes.stations.added, 2);
    let d = s.load().await.expect("load");
    let mut keys: Vec<_> = d.stations.iter().filter_map(Station::osm_key).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![OsmKey::new(OsmType::Node, 5), OsmKey::new(OsmType::Way, 5)]
    );
    let r = import(s, &path).await;
    assert_eq!(
        (r.changes.stations.added, r.changes.stations.unchanged),
        (0, 2)
    );
    assert_eq!(s.counts().await.expect("counts").stations, 2);
}

async fn a_station_stored_without_its_type_is_matched_by_number(f: &Fixture) {
    let s = f.store.as_ref();
    // As an import before types were kept stored it: node 5, no type.
    let d = Dataset {
        stations: vec![Station {
            id: 1,
            osm_id: Some(5),
            osm_type: None,
            name: "旧站".into(),
            tier: StationTier::Station,
            kind: Some("community_centre".into()),
            opening_hours: None,
            point: geo::Point::new(118.785, 32.045),
        }],
        ..Dataset::default()
    };
    let mut tx = s.begin().await.expect("begin");
    store::write_dataset(tx.as_mut(), &d).await.expect("write");
    tx.commit().await.expect("commit");
    let id = s.load().await.expect("load").stations[0].id;
    let r = import(s, &write(f, "five.osm", NODE_AND_WAY_5)).await;
    // The node claims the stored row (first come); the way is new.
    assert_eq!(
        (r.changes.stations.updated, r.changes.stations.added),
        (1, 1)
    );
    let d = s.load().await.expect("load");
    let old = d
        .stations
        .iter()
        .find(|st| st.id == id)
        .expect("kept its id");
    assert_eq!(old.osm_key(), Some(OsmKey::new(OsmType::Node, 5)));
    assert_eq!(old.name, "节点站");
    assert_eq!(d.stations.len(), 2);
}

async fn a_store_imported_twice_before_keys_heals_with_prune(f: &Fixture) {
    let s = f.store.as_ref();
    // What `gridmap sample` + `import osm` of the same file left before
    // imports were keyed: every feature twice (stations without a type),
    // and a survey on the second copy of one building.
    let mut d = Dataset::default();
    import::osm::read_osm(&sample("nanjing-xinjiekou.osm"), &|_| {}, &mut |feature| {
        match feature {
            Feature::Building(b) => d.buildings.push(b),
            Feature::Station(mut st) => {
                st.osm_type = None;
                d.stations.push(st);
            }
            Feature::Road(r) => d.roads.push(r),
            Feature::Area(a) => d.areas.push(a),
        }
        Ok(())
    })
    .expect("read");
    let once = (
        d.buildings.len() as u64,
        d.stations.len() as u64,
        d.roads.len() as u64,
        d.areas.len() as u64,
    );
    let mut tx = s.begin().await.expect("begin");
    store::write_dataset(tx.as_mut(), &d)
        .await
        .expect("first copy");
    store::write_dataset(tx.as_mut(), &d)
        .await
        .expect("second copy");
    tx.commit().await.expect("commit");
    let doubled = s.load().await.expect("load");
    let second = doubled.buildings[once.0 as usize + 5].clone();
    let mut tx = s.begin().await.expect("begin");
    tx.set_households(second.id, 33, HouseholdSource::Surveyed)
        .await
        .expect("survey");
    tx.commit().await.expect("commit");

    let r = import(s, &sample("nanjing-xinjiekou.osm")).await;
    let c = &r.changes;
    assert_eq!(
        (
            c.buildings.added,
            c.buildings.unchanged,
            c.buildings.missing
        ),
        (0, once.0, once.0),
        "{c:?}"
    );
    // Untyped stations: the first copy of each is claimed and typed.
    assert_eq!(
        (c.stations.added, c.stations.updated, c.stations.missing),
        (0, once.1, once.1)
    );
    assert_eq!((c.roads.unchanged, c.roads.missing), (once.2, once.2));
    assert_eq!((c.areas.unchanged, c.areas.missing), (once.3, once.3));
    let r = import_pruning(s, &sample("nanjing-xinjiekou.osm")).await;
    assert_eq!(r.changes.buildings.pruned, once.0);
    let counts = s.counts().await.expect("counts");
    assert_eq!(
        (
            counts.buildings,
            counts.stations,
            counts.roads,
            counts.areas
        ),
        once
    );
    // Of the two copies, the surveyed one stayed, with its survey.
    let healed = s.load().await.expect("load");
    let kept = healed
        .buildings
        .iter()
        .find(|b| b.osm_id == second.osm_id)
        .expect("kept");
    assert_eq!(
        (kept.id, kept.households, kept.household_source),
        (second.id, 33, HouseholdSource::Surveyed)
    );
    assert!(healed.stations.iter().all(|st| st.osm_key().is_some()));
    let again = import(s, &sample("nanjing-xinjiekou.osm")).await;
    assert_eq!(again.changes.buildings.unchanged, once.0);
    assert_eq!(again.changes.stations.unchanged, once.1);
}
