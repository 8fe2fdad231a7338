#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Property tests of the planning engine: partition output obeys the rules on
//! random inputs (or infeasibility is proved), and after any sequence of
//! random edits and partitions every building is in exactly one grid and
//! the grid polygons tile the community.

use geo::{Area, Coord, Intersects, LineString, MultiPolygon, Point, Rect};
use gridmap_analysis::planning::{
    CommunityInput, Infeasible, InfeasibleReason, InputBuilding, Mode, PartitionError,
    PartitionOptions, PlanState, Rules, Validator, edits, partition, polygons, validate,
};
use gridmap_data::model::GridKind;
use proptest::prelude::*;

const LON0: f64 = 118.78;
const LAT0: f64 = 32.04;
const DEG: f64 = 1.0 / 111_195.0;

fn rules() -> Rules {
    Rules {
        min_households: 100,
        max_households: 300,
        target_households: 200,
        ..Rules::default()
    }
}

/// Points in a 1 km box (metres), households, and an optional barrier line.
fn community(points: &[(f64, f64, u64)], barrier: Option<(f64, f64)>) -> CommunityInput {
    let ll = |x: f64, y: f64| Coord {
        x: LON0 + x * DEG / LAT0.to_radians().cos(),
        y: LAT0 + y * DEG,
    };
    let buildings = points
        .iter()
        .enumerate()
        .map(|(i, &(x, y, h))| InputBuilding {
            id: i as i64 + 1,
            households: h,
            point: Point(ll(x, y)),
        })
        .collect();
    let boundary = MultiPolygon(vec![
        Rect::new(ll(-10.0, -10.0), ll(1010.0, 1010.0)).to_polygon(),
    ]);
    let barriers = barrier
        .map(|(a, b)| vec![LineString(vec![ll(-10.0, a), ll(1010.0, b)])])
        .unwrap_or_default();
    CommunityInput::new(1, "320104001001".into(), boundary, buildings, barriers).unwrap()
}

fn points(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<(f64, f64, u64)>> {
    prop::collection::vec((0.0..1000.0f64, 0.0..1000.0f64, 0u64..=40), n)
}

fn assert_proof(input: &CommunityInput, e: &PartitionError) {
    let r = rules();
    match e {
        PartitionError::Infeasible(Infeasible { reason, buildings }) => {
            let hh: u64 = buildings
                .iter()
                .map(|b| input.buildings[input.position(*b).unwrap()].households)
                .sum();
            match reason {
                InfeasibleReason::BuildingAboveMax { households, .. } => {
                    assert!(*households > r.max_households);
                    assert_eq!(hh, *households);
                }
                InfeasibleReason::ComponentBelowMin { households, .. } => {
                    assert!(*households < r.min_households);
                    assert_eq!(hh, *households);
                }
                InfeasibleReason::NoGridCount { households, .. } => {
                    let k = households.div_ceil(r.max_households);
                    assert!(k * r.min_households > *households);
                    assert_eq!(hh, *households);
                }
            }
        }
        other => panic!("not a proof: {other}"),
    }
}

/// Every building in exactly one existing grid; polygons tile the community
/// and each building's point lies in its grid's polygon.
fn assert_tiles(input: &CommunityInput, plan: &PlanState) {
    assert_eq!(plan.assignment.len(), input.buildings.len());
    for b in &input.buildings {
        let k = plan.assignment.get(&b.id).expect("assigned");
        assert!(
            plan.grid(*k).is_some(),
            "building {} in unknown grid {k}",
            b.id
        );
    }
    let polys = polygons::grid_polygons_local(input, plan);
    let area = input.projector().fwd_multi(&input.boundary).unsigned_area();
    let total: f64 = polys.values().map(|m| m.unsigned_area()).sum();
    assert!(
        (total - area).abs() < 1e-6 * area,
        "cover {total} of {area}"
    );
    // No overlap: the union is as large as the sum (and so covers the community).
    let union = geo::unary_union(polys.values().flat_map(|m| m.0.iter()));
    assert!(
        (union.unsigned_area() - total).abs() < 1e-5 * area,
        "union {} of sum {total}",
        union.unsigned_area()
    );
    for (i, b) in input.buildings.iter().enumerate() {
        let k = plan.assignment[&b.id];
        let p = Point(input.local_points()[i]);
        // Co-located buildings share one cell, owned by the first of them.
        let owner_ok = polys.get(&k).is_some_and(|m| m.intersects(&p));
        let shared = input
            .local_points()
            .iter()
            .enumerate()
            .any(|(j, q)| j != i && *q == p.0);
        assert!(
            owner_ok || shared,
            "building {} outside its grid polygon",
            b.id
        );
    }
}

/// Signed side of point (x, y) (metres) of the barrier line from (-10, a) to (1010, b).
fn side(x: f64, y: f64, a: f64, b: f64) -> f64 {
    (1020.0) * (y - a) - (b - a) * (x + 10.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Buildings on the two sides of a barrier in two grids: the outline
    /// between the grids is the barrier itself, so each grid's polygon is
    /// exactly its side of the community (the trapezoid under or over the
    /// line), whatever the buildings' positions.
    #[test]
    fn grid_boundaries_follow_a_barrier_between_them(
        pts in points(2..200),
        a in 50.0..950.0f64,
        b in 50.0..950.0f64,
    ) {
        let pts: Vec<(f64, f64, u64)> = pts
            .into_iter()
            .filter(|&(x, y, _)| side(x, y, a, b).abs() > 1.0)
            .collect();
        let below: Vec<bool> = pts.iter().map(|&(x, y, _)| side(x, y, a, b) < 0.0).collect();
        prop_assume!(below.iter().any(|&x| x) && below.iter().any(|&x| !x));
        let input = community(&pts, Some((a, b)));
        let (faces, empty) = input.barrier_faces();
        prop_assert_eq!(faces, 2);
        prop_assert_eq!(empty, 0);
        let mut plan = PlanState::empty(1, "320104001001");
        let lo = edits::add_grid(&mut plan, None, GridKind::Basic).unwrap();
        let hi = edits::add_grid(&mut plan, None, GridKind::Basic).unwrap();
        let ids = |want: bool| -> Vec<i64> {
            input.buildings.iter().enumerate().filter(|(i, _)| below[*i] == want).map(|(_, b)| b.id).collect()
        };
        edits::move_buildings(&input, &mut plan, &ids(true), lo).unwrap();
        edits::move_buildings(&input, &mut plan, &ids(false), hi).unwrap();
        assert_tiles(&input, &plan);
        let polys = polygons::grid_polygons_local(&input, &plan);
        // The box runs from -10 to 1010 m; the line from (-10, a) to (1010, b).
        let ll = |x: f64, y: f64| Coord {
            x: LON0 + x * DEG / LAT0.to_radians().cos(),
            y: LAT0 + y * DEG,
        };
        let trapezoid = geo::Polygon::new(
            LineString(vec![ll(-10.0, -10.0), ll(1010.0, -10.0), ll(1010.0, b), ll(-10.0, a), ll(-10.0, -10.0)]),
            vec![],
        );
        let under = input.projector().fwd_polygon(&trapezoid).unsigned_area();
        let total = input.projector().fwd_multi(&input.boundary).unsigned_area();
        let got = polys[&lo].unsigned_area();
        prop_assert!((got - under).abs() < 1e-6 * total, "under the barrier {} want {}", got, under);
        prop_assert!((polys[&hi].unsigned_area() - (total - under)).abs() < 1e-6 * total);
        let share = polygons::barrier_share(&input, &polys, 0.5);
        prop_assert!(share.share() > 0.999, "{:?}", share);
    }

    /// Two barriers fencing off an empty strip: the strip (a face with no
    /// building) joins one neighbouring grid whole, and grids still tile.
    #[test]
    fn an_empty_face_joins_one_neighbouring_grid(
        pts in points(2..150),
        y0 in 200.0..700.0f64,
        width in 20.0..200.0f64,
        split in 100.0..900.0f64,
    ) {
        let y1 = y0 + width;
        let pts: Vec<(f64, f64, u64)> = pts
            .into_iter()
            .filter(|&(_, y, _)| y < y0 - 1.0 || y > y1 + 1.0)
            .collect();
        prop_assume!(pts.len() >= 2);
        let ll = |x: f64, y: f64| Coord {
            x: LON0 + x * DEG / LAT0.to_radians().cos(),
            y: LAT0 + y * DEG,
        };
        let base = community(&pts, None);
        let input = CommunityInput::new(
            1,
            "320104001001".into(),
            base.boundary.clone(),
            base.buildings.clone(),
            vec![
                LineString(vec![ll(-10.0, y0), ll(1010.0, y0)]),
                LineString(vec![ll(-10.0, y1), ll(1010.0, y1)]),
            ],
        )
        .unwrap();
        let (faces, empty) = input.barrier_faces();
        prop_assert_eq!(faces, 3);
        let occupied = [pts.iter().any(|p| p.1 < y0), pts.iter().any(|p| p.1 > y1)];
        prop_assert_eq!(empty, 1 + occupied.iter().filter(|o| !**o).count());
        // Grids by x: west of `split` and east of it.
        let mut plan = PlanState::empty(1, "320104001001");
        let w = edits::add_grid(&mut plan, None, GridKind::Basic).unwrap();
        let e = edits::add_grid(&mut plan, None, GridKind::Basic).unwrap();
        let pick = |west: bool| -> Vec<i64> {
            pts.iter().enumerate().filter(|(_, p)| (p.0 < split) == west).map(|(i, _)| i as i64 + 1).collect()
        };
        let (west, east) = (pick(true), pick(false));
        if !west.is_empty() { edits::move_buildings(&input, &mut plan, &west, w).unwrap(); }
        if !east.is_empty() { edits::move_buildings(&input, &mut plan, &east, e).unwrap(); }
        plan.grids.retain(|g| plan.assignment.values().any(|k| *k == g.key));
        assert_tiles(&input, &plan);
        let polys = polygons::grid_polygons_local(&input, &plan);
        // The strip lies wholly in one grid.
        let strip = input
            .projector()
            .fwd_polygon(&Rect::new(ll(-10.0, y0), ll(1010.0, y1)).to_polygon());
        let holders: Vec<f64> = polys
            .values()
            .map(|m| geo::BooleanOps::intersection(m, &strip).unsigned_area())
            .collect();
        let strip_area = strip.unsigned_area();
        prop_assert!(
            holders.iter().any(|a| (a - strip_area).abs() < 1e-3 * strip_area),
            "strip {} split as {:?}", strip_area, holders
        );
    }

    #[test]
    fn partition_obeys_the_rules_or_proves_it_cannot(
        pts in points(5..300),
        barrier in prop::option::of((0.0..1000.0f64, 0.0..1000.0f64)),
        seed in 0u64..1000,
        big in prop::option::weighted(0.15, 0usize..300),
    ) {
        let mut pts = pts;
        if let Some(i) = big {
            let n = pts.len();
            pts[i % n].2 = 301;
        }
        let input = community(&pts, barrier);
        let plan = PlanState::empty(1, "320104001001");
        let opts = PartitionOptions { seed, ..PartitionOptions::default() };
        match partition(&input, &plan, &rules(), &opts) {
            Ok(out) => {
                let breaks = validate(&input, &out.plan, &rules());
                prop_assert!(breaks.is_empty(), "{:?}", breaks);
                prop_assert_eq!(out.report.violations, 0);
                assert_tiles(&input, &out.plan);
                let lower = input.households().div_ceil(300) as usize;
                prop_assert!(out.report.grids >= lower);
            }
            Err(e) => assert_proof(&input, &e),
        }
    }

    #[test]
    fn random_edits_and_partitions_keep_one_grid_per_building_and_tiling(
        pts in points(20..160),
        ops in prop::collection::vec((0u8..8, any::<u64>(), any::<u64>()), 1..12),
    ) {
        let input = community(&pts, Some((300.0, 700.0)));
        let r = rules();
        let mut plan = PlanState::empty(1, "320104001001");
        let k0 = edits::add_grid(&mut plan, None, GridKind::Basic).unwrap();
        let all: Vec<i64> = input.buildings.iter().map(|b| b.id).collect();
        edits::move_buildings(&input, &mut plan, &all, k0).unwrap();
        let mut v = Validator::new(&input, plan.clone(), r.clone());
        for (op, x, y) in ops {
            let before = plan.clone();
            let keys: Vec<u32> = plan.grids.iter().map(|g| g.key).collect();
            let key = keys[(x % keys.len() as u64) as usize];
            let other = keys[(y % keys.len() as u64) as usize];
            let pick = |s: u64| all[(s % all.len() as u64) as usize];
            let fx = (x % 1000) as f64;
            let fy = (y % 1000) as f64;
            let ll = |x: f64, y: f64| input.projector().inv(Coord { x, y });
            let result: Result<(), String> = match op {
                0 => edits::move_buildings(&input, &mut plan, &[pick(x), pick(y), pick(x ^ y)], other).map(|_| ()).map_err(|e| e.to_string()),
                1 => {
                    let line = LineString(vec![ll(fx - 600.0, -600.0), ll(fy - 400.0, 1600.0)]);
                    edits::split_grid(&input, &mut plan, key, &line).map(|_| ()).map_err(|e| e.to_string())
                }
                2 => edits::merge_grids(&mut plan, &[key, other]).map(|_| ()).map_err(|e| e.to_string()),
                3 => {
                    let c = input.projector().fwd(ll(fx - 500.0, fy - 500.0));
                    let poly = Rect::new(ll(c.x, c.y), ll(c.x + 250.0, c.y + 250.0)).to_polygon();
                    let target = if y % 2 == 0 { None } else { Some(key) };
                    edits::draw_boundary(&input, &mut plan, &poly, target).map(|_| ()).map_err(|e| e.to_string())
                }
                4 => edits::set_locked(&mut plan, key, x % 3 == 0).map_err(|e| e.to_string()),
                5 => edits::set_kind(&mut plan, key, if x % 4 == 0 { GridKind::Dedicated } else { GridKind::Basic }).map_err(|e| e.to_string()),
                _ => {
                    let mode = if op == 6 { Mode::Fresh } else { Mode::Rebalance };
                    let opts = PartitionOptions { mode, seed: x, skip_compactness: true, ..PartitionOptions::default() };
                    match partition(&input, &plan, &r, &opts) {
                        Ok(out) => {
                            // Locked grids are untouched.
                            for g in plan.grids.iter().filter(|g| g.locked) {
                                prop_assert_eq!(out.plan.grid(g.key), Some(g));
                                prop_assert_eq!(&out.plan.members()[&g.key], &plan.members()[&g.key]);
                            }
                            plan = out.plan;
                            Ok(())
                        }
                        Err(e @ PartitionError::Infeasible(_)) => Err(e.to_string()),
                        Err(e) => Err(e.to_string()),
                    }
                }
            };
            if result.is_err() {
                prop_assert_eq!(&plan, &before, "a failed operation changed the plan");
            }
            v.update(plan.clone());
            prop_assert_eq!(v.breaks(), validate(&input, &plan, &r));
            assert_tiles(&input, &plan);
        }
    }
}

/// Tight rules (200–240 households, buildings up to 40): the heuristic may
/// miss a partition where no proof exists, but rarely (≤ 5% of inputs), and
/// whatever it returns obeys the rules.
#[test]
fn tight_rules_rarely_miss_and_never_violate() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut ok, mut proof, mut notfound) = (0, 0, 0);
    for _ in 0..100 {
        let pts = points(50..400).new_tree(&mut runner).unwrap().current();
        let input = community(&pts, Some((200.0, 800.0)));
        let r = Rules {
            min_households: 200,
            max_households: 240,
            target_households: 220,
            ..Rules::default()
        };
        match partition(
            &input,
            &PlanState::empty(1, "320104001001"),
            &r,
            &PartitionOptions::default(),
        ) {
            Ok(o) => {
                ok += 1;
                assert!(validate(&input, &o.plan, &r).is_empty());
            }
            Err(PartitionError::Infeasible(_)) => proof += 1,
            Err(e) => {
                notfound += 1;
                eprintln!("{e}");
            }
        }
    }
    eprintln!("ok {ok} proof {proof} notfound {notfound}");
    assert!(
        notfound * 20 <= ok + proof + notfound,
        "missed {notfound} of 100"
    );
    assert!(ok >= 90);
}
