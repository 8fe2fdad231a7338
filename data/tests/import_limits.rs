#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The importers' input limits (vertices per geometry, features per batch).

use gridmap_data::import::{geojson, households};
use gridmap_data::limits::ImportLimits;
use gridmap_data::{Atlas, DataError, synth};

fn square(n: usize) -> String {
    // A closed ring of n + 1 positions around a circle.
    let pts: Vec<String> = (0..=n)
        .map(|i| {
            let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
            format!("[{},{}]", 118.78 + 0.001 * a.cos(), 32.04 + 0.001 * a.sin())
        })
        .collect();
    format!(
        r#"{{"type":"Feature","properties":{{"name":"楼"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
        pts.join(",")
    )
}

#[test]
fn geojson_import_limits_vertices_and_features() {
    let limits = ImportLimits {
        max_vertices: 50,
        max_features: 3,
    };
    let fc = |features: Vec<String>| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    };
    let atlas = Atlas::empty();
    let ok = geojson::parse_with(
        geojson::Layer::Buildings,
        &fc(vec![square(49); 3]),
        &atlas,
        &limits,
    );
    assert_eq!(ok.unwrap().buildings.len(), 3);
    let long = geojson::parse_with(
        geojson::Layer::Buildings,
        &fc(vec![square(20), square(50)]),
        &atlas,
        &limits,
    );
    match long {
        Err(DataError::TooManyVertices {
            feature,
            vertices,
            max,
        }) => {
            assert_eq!(
                (feature.as_str(), vertices, max),
                ("feature #2 (楼)", 51, 50)
            );
        }
        other => panic!("{other:?}"),
    }
    let many = geojson::parse_with(
        geojson::Layer::Buildings,
        &fc(vec![square(8); 4]),
        &atlas,
        &limits,
    );
    assert!(
        matches!(many, Err(DataError::TooManyFeatures { count: 4, max: 3 })),
        "{many:?}"
    );
}

#[test]
fn household_csv_rows_are_limited() {
    let mut d = synth::city(10, 2);
    for (i, b) in d.buildings.iter_mut().enumerate() {
        b.id = i as i64 + 1;
    }
    let atlas = Atlas::build(d, 1);
    let limits = ImportLimits {
        max_vertices: 10,
        max_features: 3,
    };
    let csv = |rows: usize| {
        let mut s = String::from("building_id,households\n");
        for i in 1..=rows {
            s.push_str(&format!("{i},10\n"));
        }
        s
    };
    assert_eq!(
        households::parse_with(&csv(3), &atlas, &limits)
            .unwrap()
            .len(),
        3
    );
    let err = households::parse_with(&csv(4), &atlas, &limits).unwrap_err();
    assert!(
        matches!(err, DataError::TooManyFeatures { max: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("split the file"));
}
