//! Known values of the tile grid and the projection, checked against the
//! textbook slippy-map formulas and hand-computed numbers.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use common::*;
use geo::{Geometry, Point};
use gridmap_tiles::{
    MAX_ZOOM, TileBuilder, TileCoord, TileError, TileOptions, TileTransform, lonlat_to_tile_px,
};

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() <= eps
}

#[test]
fn bad_tile_coordinates_are_errors_not_panics() {
    assert_eq!(
        TileCoord::new(25, 0, 0),
        Err(TileError::ZoomTooLarge { z: 25 })
    );
    assert_eq!(
        TileCoord::new(255, 0, 0),
        Err(TileError::ZoomTooLarge { z: 255 })
    );
    assert_eq!(
        TileCoord::new(3, 8, 0),
        Err(TileError::OutOfRange { z: 3, x: 8, y: 0 })
    );
    assert_eq!(
        TileCoord::new(3, 0, 8),
        Err(TileError::OutOfRange { z: 3, x: 0, y: 8 })
    );
    assert!(TileCoord::new(0, 1, 0).is_err());
    assert!(TileCoord::new(24, 1 << 24, 0).is_err());
    assert!(TileCoord::new(24, u32::MAX, u32::MAX).is_err());
    let max = TileCoord::new(MAX_ZOOM, (1 << 24) - 1, (1 << 24) - 1).unwrap();
    assert_eq!(
        (max.z(), max.x(), max.y()),
        (24, (1 << 24) - 1, (1 << 24) - 1)
    );
    assert_eq!(TileCoord::new(0, 0, 0).unwrap().to_string(), "0/0/0");
    // The error says what is wrong.
    assert!(
        TileCoord::new(3, 8, 0)
            .unwrap_err()
            .to_string()
            .contains("3/8/0")
    );
}

#[test]
fn tile_containing_a_position() {
    let (z, x, y) = NANJING;
    assert_eq!(
        TileCoord::containing(118.78, 32.04, z).unwrap(),
        TileCoord::new(z, x, y).unwrap()
    );
    assert_eq!(
        TileCoord::containing(0.0, 0.0, 0).unwrap(),
        TileCoord::new(0, 0, 0).unwrap()
    );
    // Edges and beyond clamp into the grid.
    assert_eq!(
        TileCoord::containing(180.0, -90.0, 2).unwrap(),
        TileCoord::new(2, 3, 3).unwrap()
    );
    assert_eq!(
        TileCoord::containing(-200.0, 89.0, 2).unwrap(),
        TileCoord::new(2, 0, 0).unwrap()
    );
    assert!(TileCoord::containing(f64::NAN, 0.0, 3).is_err());
    assert_eq!(
        TileCoord::containing(0.0, 0.0, 30),
        Err(TileError::ZoomTooLarge { z: 30 })
    );
    // Every tile contains its own centre.
    for (z, x, y) in [(5, 26, 13), (14, 13597, 6651), (24, 13_926_000, 6_810_000)] {
        let (lon, lat) = px_to_lonlat(z, x, y, 4096, 2048.0, 2048.0);
        assert_eq!(
            TileCoord::containing(lon, lat, z).unwrap(),
            TileCoord::new(z, x, y).unwrap()
        );
    }
}

#[test]
fn z0_bounds_are_the_mercator_world() {
    let b = TileCoord::new(0, 0, 0).unwrap().bounds();
    assert_eq!(b.min().x, -180.0);
    assert_eq!(b.max().x, 180.0);
    assert!(close(b.max().y, 85.051_128_779_806_59, 1e-9));
    assert!(close(b.min().y, -85.051_128_779_806_59, 1e-9));
}

#[test]
fn nanjing_z14_tile_bounds() {
    // Hand-computed: floor((118.78 + 180) / 360 * 2^14) = 13597, and
    // floor((1 - asinh(tan(32.04°)) / π) / 2 * 2^14) = 6651.
    let (z, x, y) = NANJING;
    let b = TileCoord::new(z, x, y).unwrap().bounds();
    assert!(close(b.min().x, 118.762_207_031_25, 1e-12));
    assert!(close(b.max().x, 118.784_179_687_5, 1e-12));
    assert!(close(b.min().y, 32.026_706_293_336_126, 1e-9));
    assert!(close(b.max().y, 32.045_332_838_858_506, 1e-9));
    let (px, py) = lonlat_to_tile_px(118.78, 32.04, TileCoord::new(z, x, y).unwrap(), 4096);
    assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py));
    // The corners map to the tile's corners.
    let t = TileTransform::new(TileCoord::new(z, x, y).unwrap(), 4096);
    let (x0, y0) = t.project(b.min().x, b.max().y);
    let (x1, y1) = t.project(b.max().x, b.min().y);
    for (got, want) in [(x0, 0.0), (y0, 0.0), (x1, 4096.0), (y1, 4096.0)] {
        assert!(close(got, want, 1e-6), "{got} vs {want}");
    }
}

#[test]
fn tile_centre_lands_on_2048() {
    for (z, x, y) in [
        (0, 0, 0),
        (1, 1, 0),
        (NANJING.0, NANJING.1, NANJING.2),
        (24, 13_926_000, 6_810_000),
    ] {
        let coord = TileCoord::new(z, x, y).unwrap();
        let (lon, lat) = px_to_lonlat(z, x, y, 4096, 2048.0, 2048.0);
        let (px, py) = lonlat_to_tile_px(lon, lat, coord, 4096);
        // f64 lon/lat carry ~1e-6 units of noise at z24.
        assert!(
            close(px, 2048.0, 1e-4) && close(py, 2048.0, 1e-4),
            "{z}/{x}/{y}: {px} {py}"
        );
        // And a point feature there is encoded at exactly (2048, 2048).
        let mut tile = TileBuilder::new(coord, TileOptions::default()).unwrap();
        assert!(
            tile.layer("p")
                .add(1, &Geometry::Point(Point::new(lon, lat)), &[])
        );
        let t = check_tile(&tile.encode(), 4096, 64);
        assert_eq!(layer_paths(&t, "p")[0].1[0].points, vec![(2048, 2048)]);
    }
}

#[test]
fn projection_matches_textbook_formulas_and_inverts() {
    let (z, x, y) = NANJING;
    let coord = TileCoord::new(z, x, y).unwrap();
    let t = TileTransform::new(coord, 4096);
    for &(px, py) in &[(0.0, 0.0), (17.5, 4000.25), (-64.0, 4160.0), (3000.0, 12.0)] {
        let (lon, lat) = px_to_lonlat(z, x, y, 4096, px, py);
        let (gx, gy) = t.project(lon, lat);
        assert!(
            close(gx, px, 1e-6) && close(gy, py, 1e-6),
            "{gx} {gy} vs {px} {py}"
        );
        let (lon2, lat2) = t.unproject(px, py);
        assert!(close(lon2, lon, 1e-10) && close(lat2, lat, 1e-10));
    }
    // Latitudes beyond the Mercator limit are clamped, never infinite.
    let (_, north) = t.project(118.78, 90.0);
    let (_, south) = t.project(118.78, -90.0);
    assert!(north.is_finite() && south.is_finite() && north < south);
}

#[test]
fn buffered_bounds_grow_by_the_buffer() {
    let (z, x, y) = NANJING;
    let coord = TileCoord::new(z, x, y).unwrap();
    let b = coord.buffered_bounds(4096, 64);
    let inner = coord.bounds();
    assert!(b.min().x < inner.min().x && b.max().x > inner.max().x);
    assert!(b.min().y < inner.min().y && b.max().y > inner.max().y);
    let t = TileTransform::new(coord, 4096);
    let (x0, y0) = t.project(b.min().x, b.max().y);
    let (x1, y1) = t.project(b.max().x, b.min().y);
    for (got, want) in [(x0, -64.0), (y0, -64.0), (x1, 4160.0), (y1, 4160.0)] {
        assert!(close(got, want, 1e-6), "{got} vs {want}");
    }
}

#[test]
fn tolerance_in_degrees() {
    let (z, x, y) = NANJING;
    let coord = TileCoord::new(z, x, y).unwrap();
    let opts = TileOptions::default();
    let (dlon, dlat) = opts.tolerance_degrees(coord, 32.04);
    // 3 units of 360° / (2^14 · 4096).
    assert!(close(dlon, 3.0 * 360.0 / (16384.0 * 4096.0), 1e-15));
    assert!(close(dlat, dlon * 32.04f64.to_radians().cos(), 1e-15));
    // The latitude span really is ~3 tile units.
    let t = TileTransform::new(coord, 4096);
    let (_, ya) = t.project(118.78, 32.04);
    let (_, yb) = t.project(118.78, 32.04 + dlat);
    assert!(close(ya - yb, 3.0, 0.01), "{}", ya - yb);
}
