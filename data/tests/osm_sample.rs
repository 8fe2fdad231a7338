#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The OSM importer on the shipped Nanjing sample (XML and PBF), and on broken input.

use std::path::{Path, PathBuf};

use gridmap_data::DataError;
use gridmap_data::import::osm::{OsmFeature, OsmReport, read_osm};
use gridmap_data::model::{HouseholdSource, StationTier};

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
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

/// Every place in the sample where the text ends just after `closing`, as
/// byte offsets past it (`</way>` etc.), spread over the file.
fn cuts_after(text: &str, closing: &str, n: usize) -> Vec<usize> {
    let all: Vec<usize> = text
        .match_indices(closing)
        .map(|(i, m)| i + m.len())
        .collect();
    assert!(all.len() >= n, "{closing}: {} matches", all.len());
    (0..n).map(|k| all[k * (all.len() - 1) / (n - 1)]).collect()
}

#[test]
fn xml_cut_after_a_closing_tag_is_refused() {
    let text = std::fs::read_to_string(sample("nanjing-xinjiekou.osm")).expect("sample");
    let dir = tempfile::tempdir().expect("tmp");
    let mut cases: Vec<(String, String)> = Vec::new();
    for closing in ["</node>", "</way>", "</relation>"] {
        for cut in cuts_after(&text, closing, 10) {
            cases.push((
                format!("cut after {closing} at {cut}"),
                text[..cut].to_owned(),
            ));
        }
    }
    let end = text.rfind("</osm>").expect("root closes");
    cases.push(("no </osm>".into(), text[..end].to_owned()));
    cases.push((
        "no </osm>, trailing newline".into(),
        format!("{}\n", &text[..end]),
    ));
    for (what, body) in cases {
        let p = write(&dir, "cut.osm", &body);
        let e = read(&p)
            .map(|(r, _)| r.buildings)
            .expect_err(&what)
            .to_string();
        assert!(e.contains("malformed OSM XML"), "{what}: {e}");
        assert!(e.contains("cut short"), "{what}: {e}");
    }
    // The whole file still reads, and so does an empty document.
    assert!(read(&sample("nanjing-xinjiekou.osm")).is_ok());
    let empty = write(
        &dir,
        "empty.osm",
        "<?xml version=\"1.0\"?>\n<osm version=\"0.6\"/>\n",
    );
    assert_eq!(read(&empty).expect("empty document").0.nodes, 0);
}

#[test]
fn xml_elements_outside_the_root_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    for (text, expect) in [
        (
            r#"<osm></osm><node id="1" lat="32" lon="118"/>"#,
            "after the closing </osm>",
        ),
        (
            r#"<node id="1" lat="32" lon="118"/><osm></osm>"#,
            "outside the <osm> root",
        ),
        (r#"<osm><osm></osm></osm>"#, "<osm> inside <osm>"),
    ] {
        let p = write(&dir, "x.osm", text);
        let e = read(&p).expect_err(text).to_string();
        assert!(e.contains(expect), "{text}: {e}");
    }
}

#[test]
fn pbf_without_a_whole_blob_is_refused() {
    let whole = std::fs::read(sample("nanjing-xinjiekou.osm.pbf")).expect("sample");
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("cut.osm.pbf");
    // 0–3 bytes: no blob at all (1–3 bytes were read as an empty extract).
    for n in 0..=3 {
        std::fs::write(&p, &whole[..n]).expect("write");
        let e = read(&p)
            .map(|(r, _)| r.nodes)
            .expect_err(&format!("{n} bytes"));
        assert!(matches!(e, DataError::OsmPbf(_)), "{n} bytes: {e}");
    }
    // A whole file followed by 1–3 bytes of a next blob header: cut short.
    for n in 1..=3 {
        let mut bytes = whole.clone();
        bytes.extend_from_slice(&[0u8; 3][..n]);
        std::fs::write(&p, &bytes).expect("write");
        let e = read(&p)
            .map(|(r, _)| r.nodes)
            .expect_err(&format!("+{n} bytes"));
        assert!(e.to_string().contains("truncated"), "+{n} bytes: {e}");
    }
}
