#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The OSM importer on the shipped Nanjing sample (XML and PBF), and on broken input.

use std::path::{Path, PathBuf};

use gridmap_data::DataError;
use gridmap_data::import::osm::{OsmFeature, OsmReport, read_osm};
use gridmap_data::model::{HouseholdSource, StationTier};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/samples")
        .join(name)
}

fn read(path: &Path) -> Result<(OsmReport, Vec<OsmFeature>), DataError> {
    let mut features = Vec::new();
    let report = read_osm(path, &|_| {}, &mut |f| {
        features.push(f);
        Ok(())
    })?;
    Ok((report, features))
}

/// Figures from data/samples/README.md (counted there with pyosmium).
#[test]
fn xml_sample_counts_match_the_data_readme() {
    let (report, features) = read(&sample("nanjing-xinjiekou.osm")).expect("sample imports");
    assert_eq!(report.nodes, 12_975);
    assert_eq!(report.ways, 1_920);
    assert_eq!(report.relations, 54);
    // 1,278 buildings = 1,270 closed ways + 8 multipolygons; one multipolygon
    // (relation 7098215) lacks a member way in this extract and is reported.
    assert_eq!(report.buildings, 1_277);
    assert_eq!(report.building_relations, 7);
    assert_eq!(
        report.skipped,
        vec!["relation/7098215: member way 482069680 is missing".to_string()]
    );
    assert_eq!(report.roads, 384);
    assert_eq!(report.walkable_roads, 384);
    // 2 town halls, 6 police, 2 libraries, 1 post office, 1 clinic.
    assert_eq!(report.stations, 12);
    let buildings: Vec<_> = features
        .iter()
        .filter_map(|f| match f {
            OsmFeature::Building(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(buildings.len(), 1_277);
    assert!(
        buildings
            .iter()
            .all(|b| b.household_source == HouseholdSource::Estimated)
    );
    // Residential classes are counted, schools never.
    assert!(
        buildings
            .iter()
            .filter(|b| b.class == "apartments")
            .all(|b| b.households > 0)
    );
    assert!(
        buildings
            .iter()
            .filter(|b| b.class == "school")
            .all(|b| b.households == 0)
    );
    // Representative points lie on their footprints.
    use geo::Intersects;
    assert!(buildings.iter().all(|b| b.footprint.intersects(&b.point)));
    let centres = features
        .iter()
        .filter(|f| matches!(f, OsmFeature::Station(s) if s.tier == StationTier::Centre))
        .count();
    assert_eq!(centres, 2);
    let water = features
        .iter()
        .filter(|f| matches!(f, OsmFeature::Area(a) if a.kind == "water"))
        .count();
    assert!(water >= 1, "the sample has natural=water areas");
}

#[test]
fn pbf_gives_the_same_features_as_xml() {
    let (xml_report, xml) = read(&sample("nanjing-xinjiekou.osm")).expect("xml");
    let (pbf_report, pbf) = read(&sample("nanjing-xinjiekou.osm.pbf")).expect("pbf");
    assert_eq!(pbf_report.nodes, xml_report.nodes);
    assert_eq!(pbf_report.buildings, xml_report.buildings);
    assert_eq!(pbf_report.roads, xml_report.roads);
    assert_eq!(pbf_report.stations, xml_report.stations);
    assert_eq!(pbf_report.areas, xml_report.areas);
    assert_eq!(
        pbf_report.estimated_households,
        xml_report.estimated_households
    );
    assert_eq!(pbf.len(), xml.len());
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn malformed_xml_is_an_error_with_a_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let truncated = write(
        &dir,
        "a.osm",
        r#"<?xml version="1.0"?><osm><node id="1" lat="32" lon="118"><tag k="a" v="b"/>"#,
    );
    let e = read(&truncated).expect_err("truncated").to_string();
    assert!(e.contains("malformed OSM XML"), "{e}");
    let bad_number = write(
        &dir,
        "b.osm",
        r#"<osm><node id="x" lat="32" lon="118"/></osm>"#,
    );
    let e = read(&bad_number).expect_err("bad id").to_string();
    assert!(e.contains("`id` is not an integer"), "{e}");
    let out_of_range = write(
        &dir,
        "c.osm",
        r#"<osm><node id="1" lat="95" lon="118"/></osm>"#,
    );
    assert!(read(&out_of_range).is_err());
    let not_osm = write(&dir, "d.osm", "<html></html>");
    assert!(
        read(&not_osm)
            .expect_err("no root")
            .to_string()
            .contains("no <osm> root")
    );
}

#[test]
fn garbage_pbf_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("x.osm.pbf");
    std::fs::write(&p, [0u8, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).expect("write");
    assert!(matches!(read(&p), Err(DataError::OsmPbf(_))));
}

#[test]
fn self_intersecting_building_is_skipped_and_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(
        &dir,
        "bowtie.osm",
        r#"<osm>
<node id="1" lat="32.0" lon="118.0"/><node id="2" lat="32.001" lon="118.001"/>
<node id="3" lat="32.0" lon="118.001"/><node id="4" lat="32.001" lon="118.0"/>
<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="building" v="yes"/></way>
<way id="11"><nd ref="1"/><nd ref="3"/><nd ref="2"/><nd ref="4"/><nd ref="1"/><tag k="building" v="residential"/></way>
</osm>"#,
    );
    let (report, _) = read(&p).expect("reads");
    assert_eq!(report.buildings, 1);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].starts_with("way/10:"),
        "{:?}",
        report.skipped
    );
}
