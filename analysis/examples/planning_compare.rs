//! Export partition inputs for `scripts/compare-spopt.py` and time our own
//! partition on them. Usage: `planning_compare OUT_DIR` (release build).
//! For each case (the feasible Nanjing sample communities, synthetic
//! communities of 1,600 and 5,000 buildings) it writes `OUT_DIR/<case>.json`:
//! buildings (id, households, local x/y in metres), the Delaunay adjacency we
//! use (so spopt gets the same contiguity graph), the rules, and our result:
//! grids, households min/max, rule breaks, best-of-5 wall time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Instant;

use gridmap_analysis::planning::{
    CommunityInput, PartitionOptions, PlanState, Rules, partition, synthetic, validate,
};
use gridmap_data::model::GridKind;
use serde_json::json;

#[path = "../tests/coverage_support/mod.rs"]
mod coverage_support;

fn export(out: &std::path::Path, name: &str, input: &CommunityInput, rules: &Rules) {
    let plan = PlanState::empty(input.community_id, &input.community_code);
    let opts = PartitionOptions {
        skip_compactness: true,
        ..PartitionOptions::default()
    };
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..5 {
        let t = Instant::now();
        let r = partition(input, &plan, rules, &opts);
        best = best.min(t.elapsed().as_secs_f64());
        result = Some(r);
    }
    let ours = match result {
        Some(Ok(o)) => {
            let hh = o.plan.households(input);
            let basic: Vec<u64> = o
                .plan
                .grids
                .iter()
                .filter(|g| g.kind == GridKind::Basic)
                .map(|g| hh[&g.key])
                .collect();
            let compact = gridmap_analysis::planning::polygons::compactness(input, &o.plan);
            json!({
                "grids": o.plan.grids.len(),
                "households_min": basic.iter().min(),
                "households_max": basic.iter().max(),
                "breaks": validate(input, &o.plan, rules).len(),
                "compactness_pp": compact,
                "seconds": best,
            })
        }
        Some(Err(e)) => json!({ "error": e.to_string(), "seconds": best }),
        None => json!(null),
    };
    let buildings: Vec<_> = input
        .buildings
        .iter()
        .zip(input.local_points())
        .map(|(b, p)| json!({"id": b.id, "households": b.households, "x": p.x, "y": p.y}))
        .collect();
    let neighbours: Vec<Vec<u32>> = input
        .graph()
        .adj
        .iter()
        .map(|l| {
            let mut v: Vec<u32> = l.iter().map(|e| e.to).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let doc = json!({
        "name": name,
        "min": rules.min_households,
        "max": rules.max_households,
        "households": input.households(),
        "lower_bound": input.households().div_ceil(rules.max_households),
        "buildings": buildings,
        "neighbours": neighbours,
        "ours": ours,
    });
    std::fs::write(out.join(format!("{name}.json")), doc.to_string()).unwrap();
    println!(
        "{name}: {} buildings, ours {}",
        input.buildings.len(),
        doc["ours"]
    );
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/planning-compare".into()),
    );
    std::fs::create_dir_all(&out).unwrap();
    let rules = Rules::default();
    let data = coverage_support::nanjing();
    for c in &data.communities {
        let input = CommunityInput::from_dataset(data, c.id, &rules).unwrap();
        let plan = PlanState::empty(c.id, &c.code);
        if partition(&input, &plan, &rules, &PartitionOptions::default()).is_ok() {
            export(&out, &format!("nanjing-{}", c.code), &input, &rules);
        }
    }
    for n in [1_600usize, 5_000] {
        let input = synthetic::community(n, 1, 20, 42).unwrap();
        export(&out, &format!("synthetic-{n}"), &input, &rules);
    }
}
