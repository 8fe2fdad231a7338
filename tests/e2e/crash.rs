//! Nothing acknowledged is lost, nothing half-done is kept: the process is
//! killed with SIGKILL in the middle of work and the store is checked after.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{self, cli};

#[test]
fn an_import_killed_half_way_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = harness::db_url(dir.path());
    let osm = dir.path().join("city.osm");
    let out = cli(
        &db,
        &[
            "synth",
            "--buildings",
            "60000",
            "--osm",
            osm.to_str().expect("path"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Something acknowledged before the crash: the sample.
    assert!(cli(&db, &["sample"]).status.success());
    let before = String::from_utf8_lossy(&cli(&db, &["info"]).stdout).into_owned();

    let mut child = Command::new(harness::bin())
        .args(["--db", &db, "import", "osm", osm.to_str().expect("path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn import");
    // Kill it once it is writing: the WAL file grows past a few MB.
    let wal = dir.path().join("gridmap.db-wal");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 4 << 20 {
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            panic!("the import finished before it could be killed; make the city bigger");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");

    // Reopened: exactly what was acknowledged before, and it still works.
    let after = String::from_utf8_lossy(&cli(&db, &["info"]).stdout).into_owned();
    assert_eq!(after, before);
    let out = cli(&db, &["import", "osm", osm.to_str().expect("path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = String::from_utf8_lossy(&cli(&db, &["info"]).stdout).into_owned();
    assert!(
        info.contains(&format!("buildings {}", 60_000 + 1_277)),
        "{info}"
    );
}
