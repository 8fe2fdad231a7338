//! Automatic partition of one community (or a selection of its grids).
//!
//! * **Fresh**: every free building (not in a locked, dedicated or
//!   out-of-scope grid) is regrouped from scratch.
//! * **Rebalance**: only grids that break a rule (households out of range,
//!   split in pieces, empty) and unassigned buildings are regrouped; if that
//!   region cannot be solved alone, it grows by one ring of neighbouring
//!   free grids at a time. Valid grids far from trouble keep every building.
//!
//! Free buildings are solved per connected piece of the adjacency graph. A
//! piece is cut by recursive bisection (`bisect`) into `k = ⌈households /
//! max⌉` grids, the lower bound, when that leaves about one average building
//! of room per grid; otherwise the bound gets a quick greedy attempt (and,
//! for pieces up to 2,000 buildings, every count up to the next step) and the
//! real run starts at `⌈households / (max − mean building)⌉`, stepping up by
//! about 2%. A smoothing pass (`refine`) then moves boundary buildings where
//! that shortens grid boundaries (cheaply along barriers) within the rules.
//! Infeasibility is proved, never guessed: a building above the maximum, a
//! piece below the minimum, or a piece for which no whole number of grids
//! fits. If none of these holds and no partition is found,
//! [`PartitionError::NotFound`] says so honestly.
//! Deterministic for a given seed (the seed turns the sweep directions).

use std::collections::{BTreeMap, BTreeSet};

use gridmap_data::model::{GridKind, Id};
use serde::{Deserialize, Serialize};

use super::bisect::Bisector;
use super::codes::carry_over;
use super::error::{Infeasible, InfeasibleReason, PartitionError};
use super::input::CommunityInput;
use super::plan::{GridKey, PlanState};
use super::polygons::{SIMPLIFY_METRES, barrier_share, grid_polygons_local, polsby_popper};
use super::refine::refine;
use super::rules::Rules;
use super::validate::validate;

/// Fresh or rebalance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Fresh,
    Rebalance,
}

/// What to partition and how.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PartitionOptions {
    pub mode: Mode,
    pub seed: u64,
    /// Only these grids (unlocked, basic) are redrawn; `None` = the whole
    /// community, unassigned buildings included.
    pub grids: Option<BTreeSet<GridKey>>,
    /// Skip computing grid polygons for the compactness figure (faster).
    pub skip_compactness: bool,
}

/// Figures of a partition run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionReport {
    /// Grids of the resulting plan (all kinds).
    pub grids: usize,
    /// Grids created or redrawn by this run.
    pub grids_redrawn: usize,
    /// Σ ⌈households / max⌉ over the redrawn pieces: the least possible count.
    pub grids_lower_bound: usize,
    /// Households per basic grid of the resulting plan.
    pub households_min: u64,
    pub households_mean: f64,
    pub households_max: u64,
    /// Buildings whose grid changed (including newly assigned ones).
    pub buildings_moved: usize,
    /// Mean Polsby–Popper score (4πA/P²) of the grid polygons, 0–1.
    pub compactness: Option<f64>,
    /// Rule breaks left in the resulting plan (0 unless input data is broken).
    pub violations: usize,
    /// Share of adjacency edges between two different grids that cross a
    /// barrier (how well grid boundaries follow roads and water), next to
    /// the share among all edges (what a barrier-blind cut would get).
    pub boundary_edges_on_barriers: f64,
    pub all_edges_on_barriers: f64,
    /// Length (metres) of grid boundaries inside the community, and the share
    /// of it that runs along a barrier road or water edge (within
    /// [`BARRIER_WITHIN_METRES`]), measured on the grid polygons; `None`
    /// with `skip_compactness`.
    pub boundary_length_m: Option<f64>,
    pub boundary_length_on_barriers: Option<f64>,
}

/// How near a grid boundary must run to a barrier line to count as on it:
/// the outline simplification tolerance plus a metre.
pub const BARRIER_WITHIN_METRES: f64 = SIMPLIFY_METRES + 1.0;

/// The new plan and its report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionOutcome {
    pub plan: PlanState,
    pub report: PartitionReport,
}

/// Partition a community plan. The input plan is not changed.
pub fn partition(
    input: &CommunityInput,
    plan: &PlanState,
    rules: &Rules,
    options: &PartitionOptions,
) -> Result<PartitionOutcome, PartitionError> {
    rules.check()?;
    if let Some(sel) = &options.grids {
        for k in sel {
            if plan.grid(*k).is_none() {
                return Err(PartitionError::UnknownGrid(*k));
            }
        }
    }
    let free_grid = |k: GridKey| {
        plan.grid(k).is_some_and(|g| {
            !g.locked
                && g.kind == GridKind::Basic
                && options.grids.as_ref().is_none_or(|s| s.contains(&k))
        })
    };
    let free_keys: BTreeSet<GridKey> = plan
        .grids
        .iter()
        .map(|g| g.key)
        .filter(|&k| free_grid(k))
        .collect();
    // Building index → free? Unassigned buildings (or ones in unknown grids) are free when the whole community is in scope.
    let is_free = |i: usize| -> bool {
        let id = input.buildings[i].id;
        match plan.assignment.get(&id) {
            Some(k) if plan.grid(*k).is_some() => free_keys.contains(k),
            _ => options.grids.is_none(),
        }
    };
    let free: Vec<usize> = (0..input.buildings.len()).filter(|&i| is_free(i)).collect();
    let (groups, replaced, lower_bound) = match options.mode {
        Mode::Fresh => {
            let (groups, lb) = solve(input, &free, rules, options.seed)?;
            (groups, free_keys.clone(), lb)
        }
        Mode::Rebalance => rebalance(input, plan, rules, options, &free_keys, &free)?,
    };
    let redrawn = groups.len();
    let id_groups: Vec<Vec<Id>> = groups
        .iter()
        .map(|g| g.iter().map(|&i| input.buildings[i].id).collect())
        .collect();
    let new_plan = carry_over(input, plan, &replaced, id_groups).map_err(PartitionError::Codes)?;
    let report = report(
        input,
        plan,
        &new_plan,
        rules,
        redrawn,
        lower_bound,
        options.skip_compactness,
    );
    Ok(PartitionOutcome {
        plan: new_plan,
        report,
    })
}

fn report(
    input: &CommunityInput,
    old: &PlanState,
    new: &PlanState,
    rules: &Rules,
    redrawn: usize,
    lower_bound: usize,
    skip_compactness: bool,
) -> PartitionReport {
    let hh = new.households(input);
    let basic: Vec<u64> = new
        .grids
        .iter()
        .filter(|g| g.kind == GridKind::Basic)
        .map(|g| hh.get(&g.key).copied().unwrap_or(0))
        .collect();
    let (mut cut, mut cut_barrier, mut all, mut all_barrier) = (0usize, 0usize, 0usize, 0usize);
    for (i, list) in input.graph.adj.iter().enumerate() {
        let a = new.assignment.get(&input.buildings[i].id);
        for e in list.iter().filter(|e| (e.to as usize) > i) {
            all += 1;
            all_barrier += usize::from(e.barrier);
            if new.assignment.get(&input.buildings[e.to as usize].id) != a {
                cut += 1;
                cut_barrier += usize::from(e.barrier);
            }
        }
    }
    let share = |x: usize, n: usize| if n > 0 { x as f64 / n as f64 } else { 0.0 };
    let (compactness, boundary) = if skip_compactness {
        (None, None)
    } else {
        let polys = grid_polygons_local(input, new);
        let c = (!polys.is_empty())
            .then(|| polys.values().map(polsby_popper).sum::<f64>() / polys.len() as f64);
        (c, Some(barrier_share(input, &polys, BARRIER_WITHIN_METRES)))
    };
    let moved = input
        .buildings
        .iter()
        .filter(|b| old.assignment.get(&b.id) != new.assignment.get(&b.id))
        .count();
    PartitionReport {
        grids: new.grids.len(),
        grids_redrawn: redrawn,
        grids_lower_bound: lower_bound,
        households_min: basic.iter().copied().min().unwrap_or(0),
        households_mean: if basic.is_empty() {
            0.0
        } else {
            basic.iter().sum::<u64>() as f64 / basic.len() as f64
        },
        households_max: basic.iter().copied().max().unwrap_or(0),
        buildings_moved: moved,
        compactness,
        violations: validate(input, new, rules).len(),
        boundary_edges_on_barriers: share(cut_barrier, cut),
        all_edges_on_barriers: share(all_barrier, all),
        boundary_length_m: boundary.map(|b| b.boundary_m),
        boundary_length_on_barriers: boundary.map(|b| b.share()),
    }
}

/// Solve a set of free buildings: groups of building indices and the lower bound.
pub(crate) fn solve(
    input: &CommunityInput,
    free: &[usize],
    rules: &Rules,
    seed: u64,
) -> Result<(Vec<Vec<usize>>, usize), PartitionError> {
    let (min, max) = (rules.min_households, rules.max_households);
    let hh: Vec<u64> = input.buildings.iter().map(|b| b.households).collect();
    if let Some(&i) = free.iter().find(|&&i| hh[i] > max) {
        return Err(PartitionError::Infeasible(Infeasible {
            reason: InfeasibleReason::BuildingAboveMax {
                households: hh[i],
                max,
            },
            buildings: vec![input.buildings[i].id],
        }));
    }
    let mut mark = vec![u32::MAX; input.buildings.len()];
    let pieces = input.graph.pieces(free, &mut mark);
    let mut plans = Vec::new();
    let mut lower = 0;
    for piece in &pieces {
        let h: u64 = piece.iter().map(|&i| hh[i]).sum();
        let ids = || {
            let mut v: Vec<Id> = piece.iter().map(|&i| input.buildings[i].id).collect();
            v.sort_unstable();
            v
        };
        if h < min {
            return Err(PartitionError::Infeasible(Infeasible {
                reason: InfeasibleReason::ComponentBelowMin { households: h, min },
                buildings: ids(),
            }));
        }
        let k0 = h.div_ceil(max).max(1);
        if k0 * min > h {
            return Err(PartitionError::Infeasible(Infeasible {
                reason: InfeasibleReason::NoGridCount {
                    households: h,
                    min,
                    max,
                },
                buildings: ids(),
            }));
        }
        lower += k0 as usize;
        plans.push((piece, h, k0));
    }
    let mut groups = Vec::new();
    for (piece, h, k0) in plans {
        let mut done = false;
        for (k, long_shot) in grid_counts(piece, &hh, h, k0, min, max) {
            // Counts below the slack-based start are long shots: fail fast.
            let budget = if long_shot {
                200 + 3 * k as usize
            } else {
                1_000 + 40 * k as usize
            };
            let mut b = Bisector::new(&input.graph, &input.local, &hh, min, max, seed);
            let mut sorted = piece.clone();
            sorted.sort_unstable();
            let mark = groups.len();
            if b.split_top(sorted, k, &mut groups, budget, long_shot) {
                done = true;
                break;
            }
            groups.truncate(mark);
        }
        if !done {
            return Err(PartitionError::NotFound {
                buildings: piece.len(),
                households: h,
            });
        }
    }
    refine(&input.graph, &hh, &mut groups, min, max, 6);
    Ok((groups, lower))
}

/// Groups of building indices, the grids they replace, and the lower bound.
type Solved = (Vec<Vec<usize>>, BTreeSet<GridKey>, usize);

/// Grid counts to try for a piece, in order. Bisection needs some slack per
/// grid to absorb whole buildings: when ⌈H/max⌉ grids would leave less than
/// one average building of room per grid, try `⌈H / (max − mean)⌉`
/// next; then step up by about 2% (never past `H / min`).
/// Long shots (below the slack-based start) are flagged.
fn grid_counts(
    piece: &[usize],
    hh: &[u64],
    h: u64,
    k0: u64,
    min: u64,
    max: u64,
) -> Vec<(u64, bool)> {
    let nonzero = piece.iter().filter(|&&i| hh[i] > 0).count().max(1) as u64;
    let mean = h.div_ceil(nonzero);
    let comfortable = k0 * max - h >= k0 * mean.min(max / 2);
    let start = if comfortable || mean >= max {
        k0
    } else {
        h.div_ceil(max - mean).max(k0)
    };
    let top = h / min;
    let mut out = Vec::new();
    // The lower bound itself is always tried first (cheaply refuted when too
    // tight); small pieces also try every count up to the slack-based start.
    if start > k0 {
        if piece.len() <= 2_000 {
            out.extend((k0..start.min(top + 1)).map(|k| (k, true)));
        } else {
            out.push((k0, true));
        }
    }
    let mut k = start.min(top).max(k0);
    let steps = out.len() + 6;
    while k <= top && out.len() < steps {
        out.push((k, false));
        k = (k + 1).max((k as f64 * 1.02).ceil() as u64);
    }
    if out.is_empty() {
        out.push((k0, false));
    }
    out
}

/// Rebalance: regroup broken grids and unassigned buildings, growing the region as needed.
fn rebalance(
    input: &CommunityInput,
    plan: &PlanState,
    rules: &Rules,
    options: &PartitionOptions,
    free_keys: &BTreeSet<GridKey>,
    free: &[usize],
) -> Result<Solved, PartitionError> {
    let breaks = validate(input, plan, rules);
    let mut region: BTreeSet<GridKey> = BTreeSet::new();
    for b in &breaks {
        for k in &b.grids {
            if free_keys.contains(k) {
                region.insert(*k);
            }
        }
    }
    let key_of = |i: usize| plan.assignment.get(&input.buildings[i].id).copied();
    let loose: Vec<usize> = free
        .iter()
        .copied()
        .filter(|&i| key_of(i).is_none_or(|k| plan.grid(k).is_none()))
        .collect();
    if region.is_empty() && loose.is_empty() {
        return Ok((Vec::new(), BTreeSet::new(), 0));
    }
    let mut last_err: Option<PartitionError>;
    loop {
        let members: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&i| key_of(i).is_some_and(|k| region.contains(&k)))
            .chain(loose.iter().copied())
            .collect();
        match solve(input, &members, rules, options.seed) {
            Ok((groups, lb)) => return Ok((groups, region, lb)),
            Err(e) => last_err = Some(e),
        }
        // Grow by one ring of neighbouring free grids.
        let mut grown = region.clone();
        for &i in &members {
            for e in &input.graph.adj[i] {
                if let Some(k) = key_of(e.to as usize)
                    && free_keys.contains(&k)
                {
                    grown.insert(k);
                }
            }
        }
        if grown.len() == region.len() {
            break;
        }
        region = grown;
    }
    Err(last_err.unwrap_or(PartitionError::NotFound {
        buildings: free.len(),
        households: 0,
    }))
}

/// Buildings of a grid (ids), for callers that want to re-check a result.
pub fn grid_buildings(plan: &PlanState, key: GridKey) -> Vec<Id> {
    plan.assignment
        .iter()
        .filter(|(_, k)| **k == key)
        .map(|(b, _)| *b)
        .collect()
}

/// Households per grid as a map, for reports.
pub fn households_per_grid(input: &CommunityInput, plan: &PlanState) -> BTreeMap<GridKey, u64> {
    plan.households(input)
}
