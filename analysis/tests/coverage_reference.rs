#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The coverage engine against an independent computation: its own
//! brute-force attachment (every item projected onto every walkable
//! segment), its own petgraph graph with buildings and stations as leaf
//! nodes, a virtual super-source joined to every station, and petgraph's
//! Dijkstra. Every building's distance must agree to 1e-6 m. Plus small
//! hand-made graphs with known answers.

mod coverage_support;

use std::collections::HashMap;

use geo::Coord;
use gridmap_analysis::coverage::*;
use gridmap_data::model::*;
use petgraph::graph::{NodeIndex, UnGraph};
use proptest::prelude::*;

use coverage_support::*;

const R: f64 = 6_371_008.8;

/// Haversine, written out again here (the definition in `metric`).
fn hav(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (la1, la2) = (a.y.to_radians(), b.y.to_radians());
    let s1 = ((la2 - la1) / 2.0).sin();
    let s2 = ((b.x - a.x).to_radians() / 2.0).sin();
    let h = s1 * s1 + la1.cos() * la2.cos() * s2 * s2;
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The reference distances: building id → metres to the nearest station
/// (`None`: no station reachable / not attached).
fn reference(data: &Dataset, max_access_m: f64) -> HashMap<Id, Option<f64>> {
    // Walkable segments with node ids.
    let walk: Vec<&Road> = data
        .roads
        .iter()
        .filter(|r| r.walkable && r.class != "motorway" && r.class != "motorway_link")
        .collect();
    let mut node_of: HashMap<i64, Coord<f64>> = HashMap::new();
    let mut segs: Vec<(i64, i64)> = Vec::new();
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for r in &walk {
        assert_eq!(r.node_ids.len(), r.geometry.0.len());
        for (id, c) in r.node_ids.iter().zip(&r.geometry.0) {
            node_of.insert(*id, *c);
            lo = lo.min(c.y);
            hi = hi.max(c.y);
        }
        for w in r.node_ids.windows(2) {
            if w[0] != w[1] {
                segs.push((w[0], w[1]));
            }
        }
    }
    let ky = R * std::f64::consts::PI / 180.0;
    let kx = ky * ((lo + hi) / 2.0).to_radians().cos();
    // Brute force: every item against every segment.
    let attach = |p: Coord<f64>| -> Option<(usize, f64, f64)> {
        let mut best: Option<(f64, usize, f64)> = None;
        for (i, (a, b)) in segs.iter().enumerate() {
            let (a, b) = (node_of[a], node_of[b]);
            let (ax, ay, bx, by) = (a.x * kx, a.y * ky, b.x * kx, b.y * ky);
            let (px, py) = (p.x * kx, p.y * ky);
            let (dx, dy) = (bx - ax, by - ay);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((px - ax) * dx + (py - ay) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d2 = (px - (ax + t * dx)).powi(2) + (py - (ay + t * dy)).powi(2);
            if best.is_none_or(|(bd, bi, _)| d2 < bd || (d2 == bd && i < bi)) {
                best = Some((d2, i, t));
            }
        }
        let (_, i, t) = best?;
        let (a, b) = (node_of[&segs[i].0], node_of[&segs[i].1]);
        let foot = Coord {
            x: a.x + (b.x - a.x) * t,
            y: a.y + (b.y - a.y) * t,
        };
        let access = hav(p, foot);
        (access <= max_access_m).then_some((i, t, access))
    };
    // petgraph: street nodes, split chains, leaf items, super-source.
    let mut g: UnGraph<(), f64> = UnGraph::new_undirected();
    let mut idx: HashMap<i64, NodeIndex> = HashMap::new();
    for id in node_of.keys() {
        idx.insert(*id, g.add_node(()));
    }
    // items: buildings then stations
    let points: Vec<Coord<f64>> = data
        .buildings
        .iter()
        .map(|b| b.point.0)
        .chain(data.stations.iter().map(|s| s.point.0))
        .collect();
    let mut on_seg: HashMap<usize, Vec<(f64, usize, f64)>> = HashMap::new();
    for (k, p) in points.iter().enumerate() {
        if let Some((i, t, access)) = attach(*p) {
            on_seg.entry(i).or_default().push((t, k, access));
        }
    }
    let mut leaf: HashMap<usize, NodeIndex> = HashMap::new();
    for (i, (a, b)) in segs.iter().enumerate() {
        let len = hav(node_of[a], node_of[b]);
        let mut items = on_seg.remove(&i).unwrap_or_default();
        items.sort_by(|x, y| x.0.total_cmp(&y.0));
        let (mut prev, mut prev_t) = (idx[a], 0.0);
        for (t, k, access) in items {
            let split = g.add_node(());
            g.add_edge(prev, split, (t - prev_t) * len);
            let l = g.add_node(());
            g.add_edge(split, l, access);
            leaf.insert(k, l);
            prev = split;
            prev_t = t;
        }
        g.add_edge(prev, idx[b], (1.0 - prev_t) * len);
    }
    let source = g.add_node(());
    let nb = data.buildings.len();
    for k in nb..points.len() {
        if let Some(l) = leaf.get(&k) {
            g.add_edge(source, *l, 0.0);
        }
    }
    let dist = petgraph::algo::dijkstra(&g, source, None, |e| *e.weight());
    data.buildings
        .iter()
        .enumerate()
        .map(|(k, b)| (b.id, leaf.get(&k).and_then(|l| dist.get(l).copied())))
        .collect()
}

/// Compare every building; returns how many had a network distance.
fn compare(data: &Dataset) -> usize {
    let graph = WalkGraph::build(data, &GraphOptions::default()).unwrap();
    let result = coverage(&graph, &CoverageOptions::default()).unwrap();
    let expected = reference(data, GraphOptions::default().max_access_m);
    let mut network = 0;
    let mut worst = 0.0f64;
    for c in &result.buildings {
        match (expected[&c.building_id], c.status) {
            (Some(e), Status::Network) => {
                let m = c.metres.unwrap();
                assert!(
                    (m - e).abs() < 1e-6,
                    "building {}: engine {m} m, reference {e} m",
                    c.building_id
                );
                network += 1;
                worst = worst.max((m - e).abs());
            }
            (None, Status::Unreachable | Status::Estimated) => {}
            (e, s) => panic!("building {}: reference {e:?}, engine {s:?}", c.building_id),
        }
    }
    eprintln!(
        "{network} of {} buildings compared; largest difference {worst:e} m",
        result.buildings.len()
    );
    network
}

#[test]
fn nanjing_every_building_matches_the_reference_to_a_micrometre() {
    let data = nanjing();
    assert!(data.buildings.len() > 1_000 && data.stations.len() >= 10);
    let network = compare(data);
    // Most of the sample is one connected street network.
    assert!(network > data.buildings.len() * 9 / 10, "{network}");
}

#[test]
fn nanjing_with_only_a_few_stations_still_matches() {
    // Fewer stations → long paths across the whole network.
    let mut data = nanjing().clone();
    data.stations.truncate(2);
    compare(&data);
}

fn straight_street(class: &str) -> Dataset {
    Dataset {
        roads: vec![road(1, class, &[(1, 0.0, 0.0), (2, 1000.0, 0.0)])],
        ..Dataset::default()
    }
}

#[test]
fn a_building_mid_segment_attaches_mid_segment() {
    let mut d = straight_street("residential");
    d.buildings.push(building(1, 10, 500.0, 10.0));
    d.stations
        .push(station(1, StationTier::Station, 0.0, -10.0));
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    let a = graph.buildings()[0].attachment.unwrap();
    // A split node, not one of the two street nodes 500 m away.
    assert!(a.node as usize >= graph.report().street_nodes as usize);
    assert!((a.access_m - 10.0).abs() < 0.01, "{}", a.access_m);
    let r = coverage(&graph, &CoverageOptions::default()).unwrap();
    let m = r.buildings[0].metres.unwrap();
    assert!((m - 520.0).abs() < 0.05, "{m}");
    assert_eq!(r.buildings[0].station_id, Some(1));
    assert!((r.buildings[0].minutes.unwrap() - m / 1.1 / 60.0).abs() < 1e-9);
    // The route runs building → street → station along the street.
    let route = r.route(&graph, 1).unwrap().unwrap();
    assert_eq!(route.station_id, 1);
    assert_eq!(route.line.0.first(), Some(&at(500.0, 10.0)));
    assert_eq!(route.line.0.last(), Some(&at(0.0, -10.0)));
    let drawn: f64 = route.line.lines().map(|l| hav(l.start, l.end)).sum();
    assert!((drawn - m).abs() < 0.01, "{drawn} vs {m}");
}

#[test]
fn islands_are_reported_not_assigned() {
    let mut d = straight_street("residential");
    d.roads
        .push(road(2, "footway", &[(10, 0.0, 300.0), (11, 400.0, 300.0)]));
    d.buildings.push(building(1, 10, 100.0, 5.0));
    d.buildings.push(building(2, 20, 100.0, 295.0));
    d.stations
        .push(station(1, StationTier::Station, 900.0, 5.0));
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    let rep = graph.report();
    assert_eq!(rep.components, 2);
    assert_eq!(rep.islands.len(), 2);
    assert_eq!(rep.buildings_without_station, vec![2]);
    let island = rep.islands.iter().find(|i| i.stations.is_empty()).unwrap();
    assert_eq!((island.buildings, island.households), (1, 20));
    let r = coverage(&graph, &CoverageOptions::default()).unwrap();
    assert_eq!(r.buildings[0].status, Status::Network);
    assert_eq!(r.buildings[1].status, Status::Unreachable);
    assert_eq!(r.buildings[1].station_id, None);
    assert_eq!(r.route(&graph, 2).unwrap(), None);
}

#[test]
fn motorways_are_not_walked() {
    // A U-shaped residential street 0→(0,400)→(200,400)→(200,0) and a
    // motorway straight across the bottom: the walk must go round the U.
    let mut d = Dataset::default();
    d.roads.push(road(
        1,
        "residential",
        &[
            (1, 0.0, 0.0),
            (2, 0.0, 400.0),
            (3, 200.0, 400.0),
            (4, 200.0, 0.0),
        ],
    ));
    d.roads
        .push(road(2, "motorway", &[(1, 0.0, 0.0), (4, 200.0, 0.0)]));
    d.buildings.push(building(1, 10, 201.0, 0.0));
    d.stations.push(station(1, StationTier::Station, -1.0, 0.0));
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    assert_eq!(graph.report().excluded_roads, 1);
    let m = coverage(&graph, &CoverageOptions::default())
        .unwrap()
        .buildings[0]
        .metres
        .unwrap();
    assert!((m - 1002.0).abs() < 0.1, "{m}");
    // Even when the importer marked it walkable, the class is excluded.
    d.roads[1].walkable = true;
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    let m2 = coverage(&graph, &CoverageOptions::default())
        .unwrap()
        .buildings[0]
        .metres
        .unwrap();
    assert!((m2 - m).abs() < 1e-9);
}

#[test]
fn one_way_direction_is_ignored() {
    let mut forward = straight_street("residential");
    forward.buildings.push(building(1, 10, 800.0, 3.0));
    forward
        .stations
        .push(station(1, StationTier::Station, 100.0, -3.0));
    let mut backward = forward.clone();
    backward.roads[0].geometry.0.reverse();
    backward.roads[0].node_ids.reverse();
    let run = |d: &Dataset| {
        let g = WalkGraph::build(d, &GraphOptions::default()).unwrap();
        coverage(&g, &CoverageOptions::default()).unwrap().buildings[0]
            .metres
            .unwrap()
    };
    let (f, b) = (run(&forward), run(&backward));
    assert!((f - 706.0).abs() < 0.05, "{f}");
    assert!((f - b).abs() < 1e-6);
}

#[test]
fn far_from_streets_gets_a_labelled_straight_line_estimate() {
    let mut d = straight_street("residential");
    d.buildings.push(building(1, 10, 500.0, 2_000.0));
    d.stations
        .push(station(1, StationTier::Station, 500.0, 1_000.0));
    d.stations
        .push(station(2, StationTier::Point, 500.0, 1_500.0));
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    assert_eq!(graph.report().unattached_buildings, vec![1]);
    let opts = CoverageOptions {
        tiers: Some(vec![StationTier::Station]),
        ..CoverageOptions::default()
    };
    let r = coverage(&graph, &opts).unwrap();
    let b = &r.buildings[0];
    assert_eq!(b.status, Status::Estimated);
    assert_eq!(b.station_id, Some(1));
    let straight = hav(at(500.0, 2_000.0), at(500.0, 1_000.0));
    assert!((b.metres.unwrap() - straight * DEFAULT_DETOUR_FACTOR).abs() < 1e-6);
    // All tiers: the nearer point-tier station wins.
    let r = coverage(&graph, &CoverageOptions::default()).unwrap();
    assert_eq!(r.buildings[0].station_id, Some(2));
}

#[test]
fn cutoff_and_tier_filter() {
    let mut d = straight_street("residential");
    d.buildings.push(building(1, 10, 900.0, 0.0));
    d.stations.push(station(1, StationTier::Point, 0.0, 0.0));
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    let opts = CoverageOptions {
        max_minutes: Some(10.0),
        ..CoverageOptions::default()
    };
    assert_eq!(
        coverage(&graph, &opts).unwrap().buildings[0].status,
        Status::Beyond
    );
    let opts = CoverageOptions {
        tiers: Some(vec![StationTier::Centre]),
        ..CoverageOptions::default()
    };
    let r = coverage(&graph, &opts).unwrap();
    assert_eq!(r.buildings[0].status, Status::Unreachable);
    assert!(r.stations.is_empty());
    assert!(
        coverage(
            &graph,
            &CoverageOptions {
                speed_m_s: 0.0,
                ..CoverageOptions::default()
            }
        )
        .is_err()
    );
}

/// A random street layout: a jittered lattice with some streets missing,
/// random buildings and stations.
fn random_dataset(
    seed_streets: Vec<(u8, u8, bool)>,
    items: Vec<(f64, f64, u32)>,
    stations: Vec<(f64, f64)>,
) -> Dataset {
    let mut d = Dataset::default();
    let id = |c: u8, r: u8| (r as i64) * 10 + c as i64 + 1;
    for (k, (c, r, horizontal)) in seed_streets.into_iter().enumerate() {
        let (c, r) = (c % 6, r % 6);
        let (c2, r2) = if horizontal { (c + 1, r) } else { (c, r + 1) };
        // Jitter node positions deterministically from their id.
        let pos = |c: u8, r: u8| {
            let j = ((id(c, r) * 7919) % 37) as f64;
            (c as f64 * 150.0 + j, r as f64 * 150.0 - j)
        };
        let (e1, n1) = pos(c, r);
        let (e2, n2) = pos(c2, r2);
        d.roads.push(road(
            k as i64 + 1,
            if k % 5 == 0 { "footway" } else { "residential" },
            &[(id(c, r), e1, n1), (id(c2, r2), e2, n2)],
        ));
    }
    for (k, (e, n, h)) in items.into_iter().enumerate() {
        d.buildings.push(building(k as i64 + 1, h, e, n));
    }
    for (k, (e, n)) in stations.into_iter().enumerate() {
        d.stations
            .push(station(k as i64 + 1, StationTier::Station, e, n));
    }
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_layouts_match_the_reference(
        streets in prop::collection::vec((0u8..7, 0u8..7, any::<bool>()), 1..40),
        items in prop::collection::vec((-100.0f64..1000.0, -100.0f64..1000.0, 1u32..100), 1..40),
        stations in prop::collection::vec((-100.0f64..1000.0, -100.0f64..1000.0), 0..4),
    ) {
        let d = random_dataset(streets, items, stations);
        compare(&d);
    }
}

/// The contracted run (core graph + chain interiors) equals the plain
/// full-graph Dijkstra on every node.
fn contracted_equals_full(data: &Dataset) {
    use gridmap_analysis::coverage::dijkstra::*;
    let graph = WalkGraph::build(data, &GraphOptions::default()).unwrap();
    let seeds: Vec<Seed> = graph
        .stations()
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.attachment.map(|a| Seed {
                node: a.node,
                dist: a.access_m,
                label: i as u32,
            })
        })
        .collect();
    for cutoff in [f64::INFINITY, 400.0] {
        let full = multi_source_full(&graph, &seeds, cutoff);
        let fast = multi_source_contracted(&graph, &seeds, cutoff);
        for n in 0..graph.node_count() {
            let (a, b) = (full.dist[n], fast.dist[n]);
            assert!(
                (a.is_infinite() && b.is_infinite()) || (a - b).abs() < 1e-6,
                "node {n}: full {a}, contracted {b}"
            );
            // The predecessor is consistent with the distance.
            let p = fast.pred[n];
            if p != NONE {
                let w = graph
                    .neighbours(n as u32)
                    .filter(|(v, _)| *v == p)
                    .map(|(_, w)| w)
                    .fold(f64::INFINITY, f64::min);
                assert!((fast.dist[p as usize] + w - b).abs() < 1e-6, "pred of {n}");
            }
        }
    }
}

#[test]
fn contracted_run_equals_the_full_run_on_the_sample() {
    contracted_equals_full(nanjing());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn contracted_run_equals_the_full_run_on_random_layouts(
        streets in prop::collection::vec((0u8..7, 0u8..7, any::<bool>()), 1..40),
        items in prop::collection::vec((-100.0f64..1000.0, -100.0f64..1000.0, 1u32..100), 1..30),
        stations in prop::collection::vec((-100.0f64..1000.0, -100.0f64..1000.0), 0..4),
    ) {
        contracted_equals_full(&random_dataset(streets, items, stations));
    }
}

#[test]
fn non_finite_coordinates_are_skipped_not_fatal() {
    let mut d = straight_street("residential");
    d.roads[0].geometry.0.insert(
        1,
        Coord {
            x: f64::NAN,
            y: 1.0,
        },
    );
    d.roads[0].node_ids.insert(1, 99);
    d.roads
        .push(road(2, "residential", &[(1, 0.0, 0.0), (3, 0.0, 500.0)]));
    let mut b = building(1, 10, 0.0, 400.0);
    d.buildings.push(b.clone());
    b.id = 2;
    b.point = geo::Point::new(f64::INFINITY, 0.0);
    d.buildings.push(b);
    d.stations.push(station(1, StationTier::Station, 0.0, 10.0));
    let graph = WalkGraph::build(&d, &GraphOptions::default()).unwrap();
    let r = coverage(&graph, &CoverageOptions::default()).unwrap();
    assert_eq!(r.buildings[0].status, Status::Network);
    assert!((r.buildings[0].metres.unwrap() - 390.0).abs() < 0.05);
    assert_eq!(r.buildings[1].status, Status::Unreachable);
    assert_eq!(graph.report().unattached_buildings, vec![2]);
}
