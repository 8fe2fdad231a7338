#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Roll-ups, routes, isochrones and siting on the Nanjing sample and the
//! synthetic city: sums that must add up, geometry that must be valid and
//! contain what was reached, siting gains that must be real.

mod coverage_support;

use std::collections::HashSet;

use geo::{Coord, Distance, Haversine, Intersects, Point, Validation};
use gridmap_analysis::coverage::*;
use gridmap_data::model::*;
use gridmap_data::synth;
use proptest::prelude::*;

use coverage_support::*;

fn nanjing_run() -> (WalkGraph, CoverageResult) {
    let graph = WalkGraph::build(nanjing(), &GraphOptions::default()).unwrap();
    let result = coverage(&graph, &CoverageOptions::default()).unwrap();
    (graph, result)
}

#[test]
fn rollups_add_up_and_match_the_buildings() {
    let data = nanjing();
    let (_, result) = nanjing_run();
    let bands = Band::life_circles(DEFAULT_SPEED_M_S);
    let r = Rollup::build(&result, data, &bands);
    let o = &r.overall;
    assert_eq!(o.buildings as usize, data.buildings.len());
    assert_eq!(
        o.households,
        data.buildings
            .iter()
            .map(|b| b.households as u64)
            .sum::<u64>()
    );
    // Cumulative bands never decrease; everything is in a band, beyond or unreachable.
    assert!(o.within_households.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        o.within_buildings[2] + o.beyond_buildings + o.unreachable_buildings,
        o.buildings
    );
    // Recount from the per-building result.
    let limit = bands[2].metres;
    let covered: u64 = result
        .buildings
        .iter()
        .filter(|b| b.metres.is_some_and(|m| m <= limit))
        .map(|b| b.households as u64)
        .sum();
    assert_eq!(o.within_households[2], covered);
    let pct = o.covered_pct.unwrap();
    assert!((pct - covered as f64 * 100.0 / o.households as f64).abs() < 1e-9);
    let uncovered: HashSet<Id> = result
        .buildings
        .iter()
        .filter(|b| !b.metres.is_some_and(|m| m <= limit))
        .map(|b| b.building_id)
        .collect();
    assert_eq!(
        o.uncovered.iter().copied().collect::<HashSet<_>>(),
        uncovered
    );
    // Grids and communities partition the buildings.
    let sum = |v: &[UnitTally]| -> (u64, u64, u64) {
        v.iter().fold((0, 0, 0), |a, u| {
            (
                a.0 + u.tally.buildings,
                a.1 + u.tally.households,
                a.2 + u.tally.within_households[1],
            )
        })
    };
    let outside = (
        r.outside_grids.buildings,
        r.outside_grids.households,
        r.outside_grids.within_households[1],
    );
    let g = sum(&r.grids);
    let c = sum(&r.communities);
    assert_eq!(g, c);
    assert_eq!(
        (g.0 + outside.0, g.1 + outside.1, g.2 + outside.2),
        (o.buildings, o.households, o.within_households[1])
    );
    assert!(r.grids.len() > 5);
    // Shortfall list: sorted worst first, all below the bar.
    let short = r.grids_short_of(99.0);
    assert!(short.iter().all(|g| g.tally.covered_pct.unwrap() < 99.0));
    assert!(
        short
            .windows(2)
            .all(|w| w[0].tally.covered_pct <= w[1].tally.covered_pct)
    );
    // Serialises (for the HTTP layer).
    let json = serde_json::to_value(&r).unwrap();
    assert!(
        json["grids"][0]["covered_pct"].is_number() || json["grids"][0]["covered_pct"].is_null()
    );
    // The same sums when the dataset's building order differs from the graph's.
    let mut shuffled = data.clone();
    shuffled.buildings.reverse();
    assert_eq!(Rollup::build(&result, &shuffled, &bands), r);
    // Metre bands give the same counts as the equivalent minute bands.
    let same = Rollup::build(
        &result,
        data,
        &[Band::from_metres(bands[2].metres, DEFAULT_SPEED_M_S)],
    );
    assert_eq!(same.overall.within_households[0], o.within_households[2]);
}

#[test]
fn routes_are_as_long_as_the_distance() {
    let (graph, result) = nanjing_run();
    let mut checked = 0;
    for c in result.buildings.iter().step_by(37) {
        let Some(route) = result.route(&graph, c.building_id).unwrap() else {
            assert_ne!(c.status, Status::Network);
            continue;
        };
        assert_eq!(Some(route.station_id), c.station_id);
        let drawn: f64 = route
            .line
            .lines()
            .map(|l| Haversine.distance(Point(l.start), Point(l.end)))
            .sum();
        assert!(
            (drawn - route.metres).abs() < 1e-3 * route.metres.max(1.0),
            "building {}: drawn {drawn}, metres {}",
            c.building_id,
            route.metres
        );
        let station = nanjing()
            .stations
            .iter()
            .find(|s| s.id == route.station_id)
            .unwrap();
        assert_eq!(route.line.0.last(), Some(&station.point.0));
        checked += 1;
    }
    assert!(checked > 20);
    assert!(result.route(&graph, -1).is_err());
}

/// Every node reached within the time lies in the isochrone, the polygon is
/// valid, and a point far beyond walking range is outside.
fn check_isochrone(graph: &WalkGraph, station_id: Id, minutes: f64) -> geo::MultiPolygon<f64> {
    let opts = IsochroneOptions::default();
    let poly = isochrone(graph, station_id, minutes, &opts).unwrap();
    assert!(poly.is_valid(), "{:?}", poly.validation_errors());
    let lines = isochrone::reached_lines(graph, station_id, minutes, opts.speed_m_s).unwrap();
    for l in &lines.0 {
        for c in &l.0 {
            assert!(poly.intersects(&Point(*c)), "reached {c:?} outside");
        }
    }
    let s = &graph.stations()[graph.station_index(station_id).unwrap()];
    assert!(poly.intersects(&Point(s.point)));
    let limit = minutes * 60.0 * opts.speed_m_s + opts.buffer_m * 1.5;
    let far = Coord {
        x: s.point.x,
        y: s.point.y + (limit + 10.0) / 111_195.0,
    };
    assert!(!poly.intersects(&Point(far)));
    poly
}

#[test]
fn isochrones_on_the_sample_are_valid_and_grow_with_time() {
    let (graph, _) = nanjing_run();
    let data = nanjing();
    for s in data.stations.iter().take(4) {
        use geo::Area;
        let mut last = 0.0;
        for minutes in [0.0, 5.0, 10.0, 15.0] {
            let p = check_isochrone(&graph, s.id, minutes);
            let area = p.unsigned_area();
            assert!(area >= last * 0.999, "station {} {minutes} min", s.id);
            last = area;
        }
    }
    assert!(matches!(
        isochrone(&graph, -5, 5.0, &IsochroneOptions::default()),
        Err(CoverageError::UnknownStation(-5))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn synthetic_isochrones_are_valid(seed in 0u64..1000, station in 0usize..6, minutes in 0.5f64..12.0) {
        let d = synth::city_with(synth::CityOptions {
            buildings: 2_000,
            seed,
            street_subdivisions: 2,
            stations: Some(6),
        });
        let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
        check_isochrone(&graph, d.stations[station].id, minutes);
    }
}

/// Re-run coverage with the proposed sites added as stations.
fn with_sites(data: &Dataset, sites: &[Site]) -> Dataset {
    let mut d = data.clone();
    let next = d.stations.iter().map(|s| s.id).max().unwrap_or(0);
    for (k, s) in sites.iter().enumerate() {
        d.stations.push(Station {
            id: next + 1 + k as i64,
            osm_id: None,
            osm_type: None,
            name: "new".into(),
            tier: StationTier::Station,
            kind: None,
            opening_hours: None,
            point: s.point,
        });
    }
    d
}

fn covered_ids(data: &Dataset, metres: f64) -> HashSet<Id> {
    let graph = WalkGraph::build(data, &GraphOptions::default()).unwrap();
    coverage(&graph, &CoverageOptions::default())
        .unwrap()
        .buildings
        .iter()
        .filter(|b| b.status == Status::Network && b.metres.is_some_and(|m| m <= metres))
        .map(|b| b.building_id)
        .collect()
}

#[test]
fn siting_gains_are_real_and_greedy() {
    let data = nanjing();
    let (graph, result) = nanjing_run();
    for minutes in [5.0, 10.0] {
        let opts = SitingOptions {
            k: 3,
            minutes,
            candidates: Candidates::StreetNodes { max: 400 },
            ..SitingOptions::default()
        };
        let t = std::time::Instant::now();
        let s = siting(&graph, &result, &opts).unwrap();
        eprintln!("siting k=3 {minutes} min: {:?}", t.elapsed());
        assert_eq!(s.sites.len(), 3);
        assert!(s.candidates_considered > 3 && s.candidates_considered <= 400);
        // Gains never increase (greedy on a submodular objective) and
        // are positive.
        assert!(
            s.sites
                .windows(2)
                .all(|w| w[0].gain_households >= w[1].gain_households)
        );
        assert!(s.sites.iter().all(|x| x.gain_households > 0));
        // Adding the sites as stations covers exactly the buildings they claim.
        let before = covered_ids(data, s.metres);
        let after = covered_ids(&with_sites(data, &s.sites), s.metres);
        let claimed: HashSet<Id> = s.sites.iter().flat_map(|x| x.buildings.clone()).collect();
        let gained: HashSet<Id> = after.difference(&before).copied().collect();
        assert_eq!(gained, claimed);
        let households: u64 = s.sites.iter().map(|x| x.gain_households).sum();
        let recount: u64 = data
            .buildings
            .iter()
            .filter(|b| claimed.contains(&b.id))
            .map(|b| b.households as u64)
            .sum();
        assert_eq!(households, recount);
    }
}

#[test]
fn siting_first_pick_beats_every_candidate() {
    // Brute force over a handful of supplied points: the first pick must
    // have the largest gain when each is tried alone.
    let data = nanjing();
    let (graph, result) = nanjing_run();
    let points: Vec<Point<f64>> = data.buildings.iter().step_by(97).map(|b| b.point).collect();
    let opts = SitingOptions {
        k: 1,
        minutes: 5.0,
        candidates: Candidates::Points(points.clone()),
        ..SitingOptions::default()
    };
    let s = siting(&graph, &result, &opts).unwrap();
    let metres = s.metres;
    let before = covered_ids(data, metres);
    let hh = |ids: &HashSet<Id>| -> u64 {
        data.buildings
            .iter()
            .filter(|b| ids.contains(&b.id))
            .map(|b| b.households as u64)
            .sum()
    };
    let best = points
        .iter()
        .map(|p| {
            let site = Site {
                point: *p,
                source: SiteSource::Point { index: 0 },
                gain_households: 0,
                gain_buildings: 0,
                buildings: vec![],
            };
            let after = covered_ids(&with_sites(data, &[site]), metres);
            hh(&after.difference(&before).copied().collect())
        })
        .max()
        .unwrap();
    assert_eq!(s.sites[0].gain_households, best);
    // Building candidates of a class only propose buildings of that class.
    let s = siting(
        &graph,
        &result,
        &SitingOptions {
            k: 2,
            minutes: 5.0,
            candidates: Candidates::Buildings {
                classes: vec!["residential".into()],
                max: 300,
            },
            ..SitingOptions::default()
        },
    )
    .unwrap();
    for site in &s.sites {
        let SiteSource::Building { id } = site.source else {
            panic!("not a building")
        };
        let b = data.buildings.iter().find(|b| b.id == id).unwrap();
        assert_eq!(b.class, "residential");
    }
}
