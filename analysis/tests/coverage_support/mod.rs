//! Shared by the coverage and planning tests, benches and examples: the
//! Nanjing sample as a Dataset
//! (with its derived demo communities and grids) and small hand-made datasets.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use geo::{Coord, LineString, MultiPolygon, Point, Rect};
use gridmap_data::model::*;
use gridmap_data::{import, sample, store};

/// The shipped sample, imported through the real importer into a temporary
/// SQLite store and loaded back; communities and grids derived as the server does.
pub fn nanjing() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("t.db").display());
            let s = store::open(&url).await.unwrap();
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../data/samples/nanjing-xinjiekou.osm");
            import::import_osm(s.as_ref(), &path, Arc::new(|_| {}))
                .await
                .unwrap();
            let mut d = s.load().await.unwrap();
            sample::derive(&d.buildings).unwrap().apply_to(&mut d);
            d
        })
    })
}

/// Metres → degrees near (118.78, 32.04), for hand-made layouts.
pub const ORIGIN: Coord<f64> = Coord {
    x: 118.78,
    y: 32.04,
};

pub fn at(east_m: f64, north_m: f64) -> Coord<f64> {
    let dy = 1.0 / 111_195.0;
    let dx = dy / ORIGIN.y.to_radians().cos();
    Coord {
        x: ORIGIN.x + east_m * dx,
        y: ORIGIN.y + north_m * dy,
    }
}

pub fn road(id: i64, class: &str, nodes: &[(i64, f64, f64)]) -> Road {
    Road {
        id,
        osm_id: Some(id),
        class: class.into(),
        name: None,
        walkable: !matches!(class, "motorway" | "motorway_link"),
        geometry: LineString::new(nodes.iter().map(|&(_, e, n)| at(e, n)).collect()),
        node_ids: nodes.iter().map(|&(id, _, _)| id).collect(),
    }
}

pub fn building(id: i64, households: u32, east_m: f64, north_m: f64) -> Building {
    let c = at(east_m, north_m);
    Building {
        id,
        osm_id: None,
        name: None,
        address: None,
        class: "residential".into(),
        levels: None,
        households,
        household_source: HouseholdSource::Surveyed,
        footprint: MultiPolygon(vec![Rect::new(c, c).to_polygon()]),
        point: Point(c),
        grid_id: None,
    }
}

pub fn station(id: i64, tier: StationTier, east_m: f64, north_m: f64) -> Station {
    Station {
        id,
        osm_id: None,
        osm_type: None,
        name: format!("s{id}"),
        tier,
        kind: None,
        opening_hours: None,
        point: Point(at(east_m, north_m)),
    }
}
