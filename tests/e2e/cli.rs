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
        assert!(stdout.contains("imported 1277 buildings"), "{stdout}");
        assert!(stdout.contains("384 streets"), "{stdout}");
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
