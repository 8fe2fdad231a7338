//! The command line: imports, bad input, exit codes.

use crate::harness::{self, cli};

fn counts(db: &str) -> String {
    let out = cli(db, &["info"]);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn import_osm_xml_and_pbf_from_the_command_line() {
    for file in ["nanjing-xinjiekou.osm", "nanjing-xinjiekou.osm.pbf"] {
        let dir = tempfile::tempdir().expect("tmp");
        let db = harness::db_url(dir.path());
        let path = harness::samples().join(file);
        let out = cli(&db, &["import", "osm", path.to_str().expect("path")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("read 1277 buildings"), "{stdout}");
        assert!(stdout.contains("384 streets"), "{stdout}");
        assert!(
            stdout.contains("buildings: 1277 added, 0 updated, 0 unchanged, 0 missing"),
            "{stdout}"
        );
        assert!(counts(&db).contains("buildings 1277"));
    }
}

#[test]
fn bad_input_fails_with_one_line_and_leaves_the_store_alone() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = harness::db_url(dir.path());
    let ok = cli(&db, &["sample"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = counts(&db);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_str().expect("path").to_owned()
    };
    let bowtie = write(
        "bad.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"坏楼"},"geometry":{"type":"Polygon","coordinates":[[[118.78,32.04],[118.79,32.05],[118.79,32.04],[118.78,32.05],[118.78,32.04]]]}}]}"#,
    );
    let csv = write("h.csv", "building_id,households\n1,10\n424242,5\n");
    let broken = write("broken.osm", "<osm><node id=\"1\" lat=\"32\" lon=\"118\">");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["import", "geojson", "--layer", "buildings", &bowtie],
            "feature #1 (坏楼)",
        ),
        (
            vec!["import", "geojson", "--layer", "roads", &bowtie],
            "unknown layer `roads`",
        ),
        (vec!["import", "households", &csv], "CSV line 3"),
        (vec!["import", "osm", &broken], "malformed OSM XML"),
        (vec!["import", "osm", "/no/such/file.osm"], "cannot read"),
        (vec!["sample"], "already holds buildings"),
    ];
    for (args, expect) in cases {
        let out = cli(&db, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error_lines.len(), 1, "{args:?}: {stderr}");
        assert_eq!(counts(&db), before, "{args:?} changed the store");
    }
}

#[test]
fn unsupported_database_url_is_refused() {
    let out = cli("mysql://x", &["info"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}

fn migrate_the_sample_to(target: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let source = harness::db_url(dir.path());
    let out = cli(&source, &["sample"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&source, &["migrate", "--from", &source, "--to", target]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1277 buildings") && stdout.contains("matches"),
        "{stdout}"
    );
    assert_eq!(counts(target), counts(&source));
    // Into a store that is no longer empty: one line, non-zero exit.
    let out = cli(&source, &["migrate", "--from", &source, "--to", target]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn migrate_copies_a_store_to_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    migrate_the_sample_to(&format!(
        "sqlite://{}",
        dir.path().join("copy.db").display()
    ));
}

#[test]
fn migrate_copies_a_store_to_postgis() {
    if let Some(db) = harness::postgis_db() {
        migrate_the_sample_to(&db.url);
    }
}

#[test]
fn backup_and_restore_round_trip() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = harness::db_url(dir.path());
    assert!(cli(&db, &["sample"]).status.success());
    harness::add_user(&db, "admin", "admin", &[], "a-long-password-9");
    let file = dir.path().join("backup.db");
    let path = file.to_str().expect("path");
    let out = cli(&db, &["backup", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        made.contains("1 users") && made.contains("matches"),
        "{made}"
    );
    // Never over an existing file.
    let again = cli(&db, &["backup", path]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let restored_dir = tempfile::tempdir().expect("tmp");
    let restored = harness::db_url(restored_dir.path());
    let out = cli(&restored, &["restore", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = String::from_utf8_lossy(&out.stdout).into_owned();
    // The same data, verified by the same checksum on both sides.
    let sum = |s: &str| s.rsplit("checksum ").next().map(str::to_owned);
    assert_eq!(sum(&made), sum(&back));
    assert_eq!(counts(&restored), counts(&db));
    let users = cli(&restored, &["user", "list"]);
    assert!(String::from_utf8_lossy(&users.stdout).contains("admin"));
    // Restoring into a store that holds data is refused.
    let out = cli(&restored, &["restore", path]);
    assert!(!out.status.success());
    assert!(
        cli(&restored, &["restore", "/nonexistent.db"])
            .status
            .code()
            != Some(0)
    );
}

/// Run the CLI, insist it succeeded, return its stdout.
fn ok(db: &str, args: &[&str]) -> String {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run `test` on a SQLite store and, when `GRIDMAP_TEST_PG` is set, on a
/// PostGIS one; each gets a scratch folder.
fn on_each_store(test: impl Fn(&str, &std::path::Path)) {
    let dir = tempfile::tempdir().expect("tmp");
    test(&harness::db_url(dir.path()), dir.path());
    if let Some(pg) = harness::postgis_db() {
        let dir = tempfile::tempdir().expect("tmp");
        test(&pg.url, dir.path());
    }
}

fn sample_osm() -> (std::path::PathBuf, String) {
    let path = harness::samples().join("nanjing-xinjiekou.osm");
    let text = std::fs::read_to_string(&path).expect("sample");
    (path, text)
}

/// `<way>` blocks with a `building` tag and none that makes them a street,
/// area or station: (way id, byte range).
fn building_ways(text: &str) -> Vec<(i64, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("<way id=\"") {
        let start = at + i;
        let end = start + text[start..].find("</way>").expect("closes") + "</way>".len();
        let block = &text[start..end];
        let other = [
            "highway", "amenity", "office", "landuse", "natural", "leisure", "water",
        ];
        if block.contains("k=\"building\"")
            && !other.iter().any(|k| block.contains(&format!("k=\"{k}\"")))
        {
            let id = block["<way id=\"".len()..]
                .split('"')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("way id");
            out.push((id, start..end));
        }
        at = end;
    }
    out
}

#[test]
fn reimporting_the_sample_changes_nothing() {
    on_each_store(|db, _| {
        ok(db, &["sample"]);
        let before = counts(db);
        for file in ["nanjing-xinjiekou.osm", "nanjing-xinjiekou.osm.pbf"] {
            let path = harness::samples().join(file);
            let out = ok(db, &["import", "osm", path.to_str().expect("path")]);
            for line in [
                "buildings: 0 added, 0 updated, 1277 unchanged, 0 missing",
                "streets: 0 added, 0 updated, 384 unchanged, 0 missing",
                "stations: 0 added, 0 updated, 12 unchanged, 0 missing",
            ] {
                assert!(out.contains(line), "{db} {file}: {out}");
            }
            assert!(out.contains("areas: 0 added, 0 updated, "), "{out}");
            assert_eq!(counts(db), before, "{db} {file}");
        }
    });
}

#[test]
fn a_changed_file_updates_keeps_surveys_and_prune_removes() {
    on_each_store(|db, dir| {
        ok(db, &["sample"]);
        let (_, text) = sample_osm();
        let ways = building_ways(&text);
        let surveyed = ways
            .iter()
            .find(|(_, r)| {
                let b = &text[r.clone()];
                b.contains("v=\"apartments\"") && !b.contains("k=\"name\"")
            })
            .cloned()
            .expect("an apartment block without a name");
        let gone = ways
            .iter()
            .find(|w| w.0 != surveyed.0)
            .cloned()
            .expect("another building");
        // A surveyed count, which a re-import must keep.
        let csv = dir.join("h.csv");
        std::fs::write(&csv, format!("osm_id,households\nw{},3\n", surveyed.0)).expect("csv");
        ok(db, &["import", "households", csv.to_str().expect("path")]);
        let grids = || ok(db, &["coverage", "--by", "grid", "--csv"]);
        let households_before = grids();
        let before = counts(db);
        // The surveyed building gets a name and 40 levels (a new estimate,
        // which must not replace the survey); another building is gone.
        let mut changed = text.clone();
        let (first, second) = if surveyed.1.start > gone.1.start {
            (surveyed.1.clone(), gone.1.clone())
        } else {
            (gone.1.clone(), surveyed.1.clone())
        };
        for r in [first, second] {
            if r == surveyed.1 {
                let at = r.end - "</way>".len();
                changed.insert_str(
                    at,
                    "<tag k=\"name\" v=\"改名楼\"/><tag k=\"building:levels\" v=\"40\"/>",
                );
            } else {
                changed.replace_range(r, "");
            }
        }
        let file = dir.join("changed.osm");
        std::fs::write(&file, &changed).expect("write");
        let path = file.to_str().expect("path");
        let out = ok(db, &["import", "osm", path]);
        assert!(
            out.contains("buildings: 0 added, 1 updated, 1275 unchanged, 1 missing"),
            "{db}: {out}"
        );
        assert!(out.contains("--prune"), "{out}");
        assert_eq!(counts(db), before, "{db}: nothing removed without --prune");
        assert_eq!(grids(), households_before, "{db}: the survey stays");

        let out = ok(db, &["import", "osm", "--prune", path]);
        assert!(
            out.contains("buildings: 0 added, 0 updated, 1276 unchanged, 1 missing, 1 pruned"),
            "{db}: {out}"
        );
        assert!(counts(db).contains("buildings 1276"), "{}", counts(db));
        // Pruned once: the next run finds nothing missing.
        let out = ok(db, &["import", "osm", "--prune", path]);
        assert!(
            out.contains("buildings: 0 added, 0 updated, 1276 unchanged, 0 missing, 0 pruned"),
            "{db}: {out}"
        );
    });
}

#[test]
fn truncated_osm_files_are_refused_and_leave_the_store_alone() {
    on_each_store(|db, dir| {
        ok(db, &["sample"]);
        let before = counts(db);
        let (_, text) = sample_osm();
        let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
        for closing in ["</way>", "</node>", "</relation>"] {
            let ends: Vec<usize> = text
                .match_indices(closing)
                .map(|(i, m)| i + m.len())
                .collect();
            for k in 0..3 {
                let cut = ends[k * (ends.len() - 1) / 2];
                cases.push((format!("cut.{k}.osm"), text.as_bytes()[..cut].to_vec()));
            }
        }
        let end = text.rfind("</osm>").expect("root");
        cases.push(("no-root-end.osm".into(), text.as_bytes()[..end].to_vec()));
        let pbf = std::fs::read(harness::samples().join("nanjing-xinjiekou.osm.pbf")).expect("pbf");
        for n in 1..=3 {
            cases.push((format!("cut{n}.osm.pbf"), pbf[..n].to_vec()));
        }
        for (name, bytes) in cases {
            let file = dir.join(&name);
            std::fs::write(&file, &bytes).expect("write");
            let out = cli(db, &["import", "osm", file.to_str().expect("path")]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success(),
                "{name} ({} bytes) imported",
                bytes.len()
            );
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{name}: {stderr}");
            let expect = if name.ends_with(".pbf") {
                "PBF"
            } else {
                "cut short"
            };
            assert!(errors[0].contains(expect), "{name}: {stderr}");
            assert_eq!(counts(db), before, "{name} changed the store");
        }
    });
}

#[test]
fn prune_keeps_the_buildings_a_draft_plan_assigns() {
    on_each_store(|db, dir| {
        ok(db, &["sample"]);
        // A draft of community 1: a copy of its published assignment.
        let export = ok(db, &["plan", "export", "1", "--csv"]);
        let rows = export.lines().count() - 1;
        let csv = dir.join("draft.csv");
        std::fs::write(&csv, &export).expect("csv");
        let out = ok(
            db,
            &[
                "plan",
                "import",
                "--community",
                "1",
                csv.to_str().expect("path"),
            ],
        );
        let draft: String = out
            .strip_prefix("draft plan ")
            .and_then(|r| r.split_whitespace().next())
            .expect("draft id")
            .to_owned();
        // A file without any building way: every way-building is missing.
        let (_, text) = sample_osm();
        let mut lacking = String::new();
        let mut at = 0;
        while let Some(i) = text[at..].find("<way id=\"") {
            let start = at + i;
            let end = start + text[start..].find("</way>").expect("closes") + "</way>".len();
            lacking.push_str(&text[at..start]);
            if !text[start..end].contains("k=\"building\"") {
                lacking.push_str(&text[start..end]);
            }
            at = end;
        }
        lacking.push_str(&text[at..]);
        let file = dir.join("no-buildings.osm");
        std::fs::write(&file, &lacking).expect("write");
        let out = ok(
            db,
            &["import", "osm", "--prune", file.to_str().expect("path")],
        );
        let line = out
            .lines()
            .find(|l| l.starts_with("buildings: "))
            .expect("buildings line");
        let n = |word: &str| -> u64 {
            line.split(", ")
                .find(|p| p.ends_with(word))
                .and_then(|p| p.trim_start_matches("buildings: ").split(' ').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let (missing, pruned, kept) = (n("missing"), n("pruned"), n("kept for draft plans"));
        assert!(kept > 0 && kept as usize <= rows, "{db}: {out}");
        assert_eq!(missing, pruned + kept, "{db}: {out}");
        assert!(out.contains(&format!("(plans {draft})")), "{db}: {out}");
        assert!(
            counts(db).contains(&format!("buildings {} ", 1277 - pruned)),
            "{db}: {}",
            counts(db)
        );
        // The draft still knows every building it assigns.
        let v = cli(db, &["plan", "validate", &draft]);
        let report = String::from_utf8_lossy(&v.stdout);
        assert!(
            !report.contains("not buildings of this community"),
            "{report}"
        );
    });
}
