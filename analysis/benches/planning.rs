//! Planning engine benchmarks: partition on the Nanjing sample communities
//! and on synthetic communities of 5,000 and 20,000 buildings; full and
//! incremental validation and grid polygons on 5,000 buildings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gridmap_analysis::planning::{
    CommunityInput, PartitionOptions, PlanState, Rules, Validator, edits, partition, polygons,
    synthetic, validate,
};

#[path = "../tests/coverage_support/mod.rs"]
mod coverage_support;

fn fast() -> PartitionOptions {
    PartitionOptions {
        skip_compactness: true,
        ..PartitionOptions::default()
    }
}

fn nanjing(c: &mut Criterion) {
    let data = coverage_support::nanjing();
    let rules = Rules::default();
    let mut g = c.benchmark_group("partition_nanjing");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    for com in &data.communities {
        let input = CommunityInput::from_dataset(data, com.id, &rules).unwrap();
        let (plan, _) = PlanState::from_dataset(data, &input);
        let Ok(out) = partition(&input, &plan, &rules, &PartitionOptions::default()) else {
            eprintln!("community {}: infeasible, not benchmarked", com.code);
            continue;
        };
        eprintln!(
            "community {} buildings {} report {:?}",
            com.code,
            input.buildings.len(),
            out.report
        );
        g.bench_function(BenchmarkId::from_parameter(&com.code), |b| {
            b.iter(|| partition(&input, &plan, &rules, &fast()).unwrap())
        });
    }
    g.finish();
}

fn synthetic_partition(c: &mut Criterion) {
    let rules = Rules::default();
    let mut g = c.benchmark_group("partition_synthetic");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for n in [5_000usize, 20_000] {
        let input = synthetic::community(n, 1, 20, 42).unwrap();
        let plan = PlanState::empty(1, "320104001001");
        let out = partition(&input, &plan, &rules, &PartitionOptions::default()).unwrap();
        eprintln!(
            "synthetic {n}: households {} lower bound {} report {:?}",
            input.households(),
            input.households().div_ceil(rules.max_households),
            out.report
        );
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| partition(&input, &plan, &rules, &fast()).unwrap())
        });
    }
    g.finish();
}

fn validation(c: &mut Criterion) {
    let rules = Rules::default();
    let input = synthetic::community(5_000, 1, 20, 42).unwrap();
    let plan = partition(
        &input,
        &PlanState::empty(1, "320104001001"),
        &rules,
        &fast(),
    )
    .unwrap()
    .plan;
    let mut g = c.benchmark_group("validate_5000");
    g.bench_function("full", |b| b.iter(|| validate(&input, &plan, &rules)));
    // One edit: move one building to a neighbouring grid, then re-validate incrementally.
    let (bid, to) = input
        .graph()
        .adj
        .iter()
        .enumerate()
        .find_map(|(i, list)| {
            let a = plan.assignment[&input.buildings[i].id];
            list.iter()
                .map(|e| plan.assignment[&input.buildings[e.to as usize].id])
                .find(|k| *k != a)
                .map(|k| (input.buildings[i].id, k))
        })
        .unwrap();
    let mut edited = plan.clone();
    edits::move_buildings(&input, &mut edited, &[bid], to).unwrap();
    let mut v = Validator::new(&input, plan.clone(), rules.clone());
    let mut flip = false;
    g.bench_function("incremental_after_one_move", |b| {
        b.iter(|| {
            flip = !flip;
            v.update(if flip { edited.clone() } else { plan.clone() });
            v.breaks()
        })
    });
    g.bench_function("edit_then_incremental", |b| {
        b.iter(|| {
            let mut p = v.plan().clone();
            let target = if p.assignment[&bid] == to {
                plan.assignment[&bid]
            } else {
                to
            };
            edits::move_buildings(&input, &mut p, &[bid], target).unwrap();
            v.update(p);
            v.breaks()
        })
    });
    // Rebalance after a planner merged two neighbouring grids (one grid over the maximum).
    let (ka, kb) = {
        let i = input.buildings.iter().position(|b| b.id == bid).unwrap();
        (plan.assignment[&input.buildings[i].id], to)
    };
    let mut merged = plan.clone();
    edits::merge_grids(&mut merged, &[kb, ka]).unwrap();
    let rebalance = PartitionOptions {
        mode: gridmap_analysis::planning::Mode::Rebalance,
        skip_compactness: true,
        ..PartitionOptions::default()
    };
    let out = partition(&input, &merged, &rules, &rebalance).unwrap();
    eprintln!("rebalance after merge: {:?}", out.report);
    g.sample_size(10);
    g.bench_function("rebalance_after_merge", |b| {
        b.iter(|| partition(&input, &merged, &rules, &rebalance).unwrap())
    });
    // The mesh is built once per input and cached: `grid_polygons` is the
    // per-plan cost (merge, simplify, unproject); `_cold` builds the input
    // (adjacency graph included) and the mesh too, `input_only` the input alone.
    g.bench_function("grid_polygons", |b| {
        b.iter(|| polygons::grid_polygons(&input, &plan))
    });
    let fresh = || {
        CommunityInput::new(
            input.community_id,
            input.community_code.clone(),
            input.boundary.clone(),
            input.buildings.clone(),
            input.barriers.clone(),
        )
        .unwrap()
    };
    g.bench_function("input_only", |b| b.iter(fresh));
    g.bench_function("grid_polygons_cold", |b| {
        b.iter(|| polygons::grid_polygons(&fresh(), &plan))
    });
    let (faces, empty) = input.barrier_faces();
    let share = polygons::barrier_share(
        &input,
        &polygons::grid_polygons_local(&input, &plan),
        gridmap_analysis::planning::partition::BARRIER_WITHIN_METRES,
    );
    eprintln!(
        "synthetic 5,000: {faces} barrier faces ({empty} empty); inner grid boundary {:.0} m, {:.1}% on barriers",
        share.boundary_m,
        100.0 * share.share()
    );
    g.finish();
}

criterion_group!(benches, nanjing, synthetic_partition, validation);
criterion_main!(benches);
