//! Several servers over one database: a change committed anywhere reaches
//! every server's snapshot within a second, with no signal or restart.
//! Runs on the SQLite file store, and on PostGIS when `GRIDMAP_TEST_PG` is set.

use std::time::{Duration, Instant};

use crate::harness;

fn stations(s: &harness::Server) -> u64 {
    let (status, health) = s.get("/health");
    assert_eq!(status, 200);
    health["counts"]["stations"]
        .as_u64()
        .expect("station count")
}

fn wait_for(s: &harness::Server, want: u64) -> Duration {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        if stations(s) == want {
            return t.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "{} still has {} stations after 5 s, wanted {want}",
        s.base,
        stations(s)
    );
}

fn two_servers_see_one_write(a: harness::Server) {
    let b = harness::start_db(&a.db, &[]);
    let before = stations(&a);
    assert_eq!(stations(&b), before);
    harness::add_station(&a.db, a.dir.path(), "共享站", "station", 118.781, 32.041);
    let ta = wait_for(&a, before + 1);
    let tb = wait_for(&b, before + 1);
    assert!(
        ta < Duration::from_secs(1) && tb < Duration::from_secs(1),
        "{ta:?} {tb:?}"
    );
    // Both give the same tile the same ETag.
    let tag = |s: &harness::Server| {
        ureq::get(&format!("{}/tiles/14/13597/6651.mvt", s.base))
            .call()
            .expect("tile")
            .header("etag")
            .map(str::to_owned)
    };
    assert_eq!(tag(&a), tag(&b));
    assert!(tag(&a).is_some());
}

#[test]
fn sqlite_servers_share_changes() {
    two_servers_see_one_write(harness::start(&[]));
}

#[test]
fn postgis_servers_share_changes() {
    let Some(db) = harness::postgis_db() else {
        return;
    };
    two_servers_see_one_write(harness::start_db(&db.url, &[]));
}
