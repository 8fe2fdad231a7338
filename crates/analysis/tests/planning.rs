#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The planning engine end to end: the Nanjing sample (imported through a
//! real SQLite store) and synthetic communities.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect};
use gridmap_analysis::planning::{
    BreakKind, CommunityInput, EditError, Infeasible, InfeasibleReason, Mode, PartitionError,
    PartitionOptions, PlanState, Rules, Validator, codes, diff, edits, exchange, partition,
    polygons, synthetic, validate,
};
use gridmap_data::model::{Dataset, GridKind};
use gridmap_data::store::{self, Store};

fn sample_dataset() -> Dataset {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let s: Box<dyn Store> = store::open(&url).await.unwrap();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples/nanjing-xinjiekou.osm");
        gridmap_data::import::import_osm(s.as_ref(), &path, Arc::new(|_| {}))
            .await
            .unwrap();
        let mut data = s.load().await.unwrap();
        // Demo communities and grids, as the server's bootstrap derives them.
        let plan = gridmap_data::sample::derive(&data.buildings).unwrap();
        for (i, c) in plan.communities.iter().enumerate() {
            let mut c = c.clone();
            c.id = i as i64 + 1;
            data.communities.push(c);
        }
        for (gi, (ci, g)) in plan.grids.iter().enumerate() {
            let mut g = g.clone();
            g.id = gi as i64 + 1;
            g.community_id = *ci as i64 + 1;
            data.grids.push(g);
        }
        for (b, gi) in &plan.assignments {
            if let Some(bb) = data.buildings.iter_mut().find(|x| x.id == *b) {
                bb.grid_id = Some(*gi as i64 + 1);
            }
        }
        data
    })
}

fn check_partition(input: &CommunityInput, plan: &PlanState, rules: &Rules) {
    let breaks = validate(input, plan, rules);
    assert!(breaks.is_empty(), "breaks: {breaks:#?}");
    for b in &input.buildings {
        assert!(plan.assignment.contains_key(&b.id), "building {} unassigned", b.id);
    }
    let hh = plan.households(input);
    for g in &plan.grids {
        if g.kind == GridKind::Basic {
            let h = hh[&g.key];
            assert!(h >= rules.min_households && h <= rules.max_households, "grid {} has {h}", g.key);
        }
        assert_eq!(codes::parse_code(&g.code, &plan.community_code).map(|_| ()), Ok(()));
    }
    let codes: BTreeSet<&str> = plan.grids.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes.len(), plan.grids.len());
}

/// Grid polygons tile the community: areas add up, no two overlap.
fn check_tiling(input: &CommunityInput, plan: &PlanState) {
    let polys = polygons::grid_polygons_local(input, plan);
    let community = input.projector().fwd_multi(&input.boundary);
    let total: f64 = polys.values().map(|m| m.unsigned_area()).sum();
    let area = community.unsigned_area();
    assert!((total - area).abs() < 1e-6 * area + 1e-3, "grids cover {total} of {area} m²");
    let list: Vec<&MultiPolygon<f64>> = polys.values().collect();
    for i in 0..list.len() {
        for j in i + 1..list.len().min(i + 6) {
            let o = list[i].intersection(list[j]).unsigned_area();
            assert!(o < 1e-6 * area + 1e-3, "grids overlap by {o} m²");
        }
    }
}

#[test]
fn nanjing_sample_communities_partition_within_the_rules() {
    let data = sample_dataset();
    let rules = Rules::default();
    let mut checked = 0;
    for c in &data.communities {
        let input = CommunityInput::from_dataset(&data, c.id, &rules).unwrap();
        let (old, _) = PlanState::from_dataset(&data, &input);
        let total = input.households();
        let out = partition(&input, &old, &rules, &PartitionOptions::default());
        match out {
            Ok(out) => {
                check_partition(&input, &out.plan, &rules);
                check_tiling(&input, &out.plan);
                let lower = total.div_ceil(rules.max_households) as usize;
                assert!(out.report.grids >= lower);
                assert_eq!(out.report.violations, 0);
                checked += 1;
            }
            Err(PartitionError::Infeasible(Infeasible { reason, .. })) => {
                // Only a real proof is acceptable.
                match reason {
                    InfeasibleReason::ComponentBelowMin { households, min } => assert!(households < min),
                    InfeasibleReason::NoGridCount { households, min, max } => {
                        let k = households.div_ceil(max);
                        assert!(k * min > households);
                    }
                    InfeasibleReason::BuildingAboveMax { households, max } => assert!(households > max),
                }
            }
            Err(e) => panic!("community {}: {e}", c.code),
        }
    }
    assert!(checked > 0);
}

#[test]
fn synthetic_community_partitions_at_the_lower_bound() {
    let input = synthetic::community(3_000, 5, 60, 7).unwrap();
    let rules = Rules::default();
    let plan = PlanState::empty(1, "320104001001");
    let out = partition(&input, &plan, &rules, &PartitionOptions::default()).unwrap();
    check_partition(&input, &out.plan, &rules);
    check_tiling(&input, &out.plan);
    let lower = input.households().div_ceil(rules.max_households) as f64;
    assert!((out.report.grids as f64) <= (lower * 1.1).ceil(), "{} grids vs lower bound {lower}", out.report.grids);
    // Same seed, same plan.
    let again = partition(&input, &plan, &rules, &PartitionOptions::default()).unwrap();
    assert_eq!(again.plan, out.plan);
}
