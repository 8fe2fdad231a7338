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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Where the rules are proven impossible, draw the closest grids that
    /// exist instead of failing, and list each rule left broken in
    /// [`PartitionReport::relaxed`]: a building above the maximum gets a grid
    /// of its own, a piece below the minimum becomes one grid, and a piece
    /// that no whole number of grids fits gets the count that misses the
    /// range by least. Everything else is solved under the full rules.
    pub best_effort: bool,
}

/// A rule a best-effort partition left broken, and why no grid could keep it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Relaxation {
    /// The proof that the rule cannot hold for these buildings.
    pub reason: InfeasibleReason,
    /// The buildings involved (sorted).
    pub buildings: Vec<Id>,
    /// Grids drawn for them.
    pub grids: usize,
    /// Human message (the proof, and what was drawn instead).
    pub message: String,
}

/// Figures of a partition run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Rules a best-effort run left broken (always empty otherwise).
    #[serde(default)]
    pub relaxed: Vec<Relaxation>,
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
    let (groups, replaced, lower_bound, relaxed) = match options.mode {
        Mode::Fresh => {
            let solved = solve(input, &free, rules, options.seed, options.best_effort)?;
            (
                solved.groups,
                free_keys.clone(),
                solved.lower,
                solved.relaxed,
            )
        }
        Mode::Rebalance => rebalance(input, plan, rules, options, &free_keys, &free)?,
    };
    let redrawn = groups.len();
    let id_groups: Vec<Vec<Id>> = groups
        .iter()
        .map(|g| g.iter().map(|&i| input.buildings[i].id).collect())
        .collect();
    let new_plan = carry_over(input, plan, &replaced, id_groups).map_err(PartitionError::Codes)?;
    let mut report = report(
        input,
        plan,
        &new_plan,
        rules,
        redrawn,
        lower_bound,
        options.skip_compactness,
    );
    report.relaxed = relaxed;
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
        relaxed: Vec::new(),
    }
}

/// Grids for a set of free buildings.
pub(crate) struct Solution {
    /// Building indices per grid.
    pub groups: Vec<Vec<usize>>,
    /// Σ ⌈households / max⌉ over the pieces: the least possible count.
    pub lower: usize,
    /// Rules left broken (best effort only).
    pub relaxed: Vec<Relaxation>,
}

/// Solve a set of free buildings (see [`PartitionOptions::best_effort`]).
pub(crate) fn solve(
    input: &CommunityInput,
    free: &[usize],
    rules: &Rules,
    seed: u64,
    best_effort: bool,
) -> Result<Solution, PartitionError> {
    let (min, max) = (rules.min_households, rules.max_households);
    let hh: Vec<u64> = input.buildings.iter().map(|b| b.households).collect();
    let ids_of = |members: &[usize]| {
        let mut v: Vec<Id> = members.iter().map(|&i| input.buildings[i].id).collect();
        v.sort_unstable();
        v
    };
    let mut groups = Vec::new();
    let mut relaxed = Vec::new();
    let mut lower = 0;
    let mut rest: Vec<usize> = Vec::with_capacity(free.len());
    for &i in free {
        if hh[i] <= max {
            rest.push(i);
            continue;
        }
        let proof = Infeasible {
            reason: InfeasibleReason::BuildingAboveMax {
                households: hh[i],
                max,
            },
            buildings: vec![input.buildings[i].id],
        };
        if !best_effort {
            return Err(PartitionError::Infeasible(proof));
        }
        relaxed.push(relaxation(proof, 1, "it has a grid of its own"));
        groups.push(vec![i]);
        lower += 1;
    }
    let mut mark = vec![u32::MAX; input.buildings.len()];
    let pieces = input.graph.pieces(&rest, &mut mark);
    // (piece, households, grid count, relaxed bounds when the rules cannot hold)
    let mut plans = Vec::new();
    for piece in &pieces {
        let h: u64 = piece.iter().map(|&i| hh[i]).sum();
        let k0 = h.div_ceil(max).max(1);
        let proof = if h < min {
            Some(InfeasibleReason::ComponentBelowMin { households: h, min })
        } else if k0 * min > h {
            Some(InfeasibleReason::NoGridCount {
                households: h,
                min,
                max,
            })
        } else {
            None
        };
        let Some(reason) = proof else {
            lower += k0 as usize;
            plans.push((piece, h, k0, None));
            continue;
        };
        let proof = Infeasible {
            reason,
            buildings: ids_of(piece),
        };
        if !best_effort {
            return Err(PartitionError::Infeasible(proof));
        }
        if h < min {
            relaxed.push(relaxation(proof, 1, "they form one grid"));
            groups.push(piece.clone());
            lower += 1;
            continue;
        }
        // No count fits: k0 grids fall below the minimum, k0 − 1 rise above
        // the maximum. Take the count whose mean misses the range by less.
        let under = min as f64 - h as f64 / k0 as f64;
        let over = if k0 > 1 {
            h as f64 / (k0 - 1) as f64 - max as f64
        } else {
            f64::INFINITY
        };
        let k = if over < under { k0 - 1 } else { k0 };
        let mean = h / k;
        let largest = piece.iter().map(|&i| hh[i]).max().unwrap_or(0);
        let bounds = if k < k0 {
            (min, mean + largest)
        } else {
            (mean.saturating_sub(largest).max(1), max)
        };
        let how = format!("{k} grid(s) of about {mean} households were drawn (the nearest count)");
        relaxed.push(relaxation(proof, k as usize, &how));
        lower += k as usize;
        plans.push((piece, h, k, Some(bounds)));
    }
    for (piece, h, k0, bounds) in plans {
        let mut done = false;
        let counts = match bounds {
            None => grid_counts(piece, &hh, h, k0, min, max),
            Some(_) => vec![(k0, false)],
        };
        let (lo, hi) = bounds.unwrap_or((min, max));
        for (k, long_shot) in counts {
            // Counts below the slack-based start are long shots: fail fast.
            let budget = if long_shot {
                200 + 3 * k as usize
            } else {
                1_000 + 40 * k as usize
            };
            let mut b = Bisector::new(&input.graph, &input.local, &hh, lo, hi, seed);
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
    // Grids that break the rules by necessity are outside [min, max], so
    // smoothing never moves a building into or out of them.
    refine(&input.graph, &hh, &mut groups, min, max, 6);
    Ok(Solution {
        groups,
        lower,
        relaxed,
    })
}

fn relaxation(proof: Infeasible, grids: usize, drawn: &str) -> Relaxation {
    Relaxation {
        message: format!("{proof}; {drawn}"),
        reason: proof.reason,
        buildings: proof.buildings,
        grids,
    }
}

/// Groups of building indices, the grids they replace, the lower bound and
/// the rules left broken.
type Solved = (Vec<Vec<usize>>, BTreeSet<GridKey>, usize, Vec<Relaxation>);

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
        return Ok((Vec::new(), BTreeSet::new(), 0, Vec::new()));
    }
    let mut last_err: Option<PartitionError>;
    loop {
        let members: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&i| key_of(i).is_some_and(|k| region.contains(&k)))
            .chain(loose.iter().copied())
            .collect();
        match solve(input, &members, rules, options.seed, options.best_effort) {
            Ok(s) => return Ok((s.groups, region, s.lower, s.relaxed)),
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
