//! Rule breaks of a plan, in full ([`validate`]) or incrementally
//! ([`Validator`]: after an edit only the grids whose buildings or fields
//! changed are re-checked).
//!
//! Each [`Break`] carries a machine kind with its parameters (for the UI to
//! localise), the grids and buildings involved, and ready messages in
//! English and Chinese. Grid polygons are derived from the assignment
//! ([`super::polygons`]) and tile the community by construction, so a gap
//! shows up as an unassigned building and an overlap cannot happen; a grid
//! crossing the community boundary shows up as its building outside the
//! community. Explicit polygons (stored or imported boundaries) are checked
//! for overlaps, gaps and overreach by [`validate_polygons`].

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use gridmap_data::model::{GridKind, Id};
use serde::{Deserialize, Serialize};

use super::codes::parse_code;
use super::input::CommunityInput;
use super::plan::{GridKey, PlanState};
use super::rules::Rules;

/// What rule is broken, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakKind {
    HouseholdsUnder {
        households: u64,
        min: u64,
    },
    HouseholdsOver {
        households: u64,
        max: u64,
    },
    /// The grid's buildings form several pieces (building ids per piece, largest first).
    NonContiguous {
        pieces: Vec<Vec<Id>>,
    },
    EmptyGrid,
    /// A grid holds a building whose point is outside the community: the
    /// grid crosses the community boundary.
    OutsideCommunity,
    /// A building of the community is in no grid (a gap).
    Unassigned,
    /// A building is assigned to a grid key the plan does not have.
    UnknownGrid {
        key: GridKey,
    },
    /// A building of the plan is not a building of this community.
    UnknownBuilding,
    DuplicateCode {
        code: String,
    },
    MalformedCode {
        code: String,
        why: String,
    },
    /// Explicit polygons only ([`validate_polygons`]): two grids overlap by `area`.
    PolygonOverlap {
        area: f64,
    },
    /// Explicit polygons only: `area` of the community lies in no grid.
    PolygonGap {
        area: f64,
    },
    /// Explicit polygons only: a grid polygon reaches `area` outside the community.
    PolygonOutsideCommunity {
        area: f64,
    },
}

/// One rule break.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Break {
    #[serde(flatten)]
    pub kind: BreakKind,
    pub grids: Vec<GridKey>,
    pub buildings: Vec<Id>,
    pub message: String,
    pub message_zh: String,
}

fn grid_label(plan: &PlanState, key: GridKey) -> String {
    plan.grid(key)
        .map_or_else(|| format!("#{key}"), |g| format!("{} ({})", g.name, g.code))
}

/// Breaks of one grid: households, contiguity, emptiness, buildings outside.
fn grid_breaks(
    input: &CommunityInput,
    plan: &PlanState,
    rules: &Rules,
    key: GridKey,
    members: &[usize],
    mark: &mut [u32],
) -> Vec<Break> {
    let Some(grid) = plan.grid(key) else {
        return Vec::new();
    };
    let label = grid_label(plan, key);
    let mut out = Vec::new();
    let ids = |v: &[usize]| -> Vec<Id> {
        let mut ids: Vec<Id> = v.iter().map(|&i| input.buildings[i].id).collect();
        ids.sort_unstable();
        ids
    };
    if members.is_empty() {
        out.push(Break {
            kind: BreakKind::EmptyGrid,
            grids: vec![key],
            buildings: Vec::new(),
            message: format!("grid {label} has no buildings"),
            message_zh: format!("网格 {label} 没有楼栋"),
        });
        return out;
    }
    let h: u64 = members.iter().map(|&i| input.buildings[i].households).sum();
    if grid.kind == GridKind::Basic {
        if h < rules.min_households {
            out.push(Break {
                kind: BreakKind::HouseholdsUnder {
                    households: h,
                    min: rules.min_households,
                },
                grids: vec![key],
                buildings: Vec::new(),
                message: format!(
                    "grid {label} has {h} households, under the minimum {}",
                    rules.min_households
                ),
                message_zh: format!(
                    "网格 {label} 共 {h} 户，少于下限 {} 户",
                    rules.min_households
                ),
            });
        }
        if h > rules.max_households {
            out.push(Break {
                kind: BreakKind::HouseholdsOver {
                    households: h,
                    max: rules.max_households,
                },
                grids: vec![key],
                buildings: Vec::new(),
                message: format!(
                    "grid {label} has {h} households, over the maximum {}",
                    rules.max_households
                ),
                message_zh: format!(
                    "网格 {label} 共 {h} 户，超过上限 {} 户",
                    rules.max_households
                ),
            });
        }
    }
    let pieces = input.graph.pieces(members, mark);
    if pieces.len() > 1 {
        let n = pieces.len();
        let pieces: Vec<Vec<Id>> = pieces.iter().map(|p| ids(p)).collect();
        out.push(Break {
            kind: BreakKind::NonContiguous { pieces },
            grids: vec![key],
            buildings: ids(members),
            message: format!("grid {label} is in {n} separate pieces"),
            message_zh: format!("网格 {label} 不连续，分为 {n} 块"),
        });
    }
    let outside: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| !input.inside[i])
        .collect();
    if !outside.is_empty() {
        let n = outside.len();
        out.push(Break {
            kind: BreakKind::OutsideCommunity,
            grids: vec![key],
            buildings: ids(&outside),
            message: format!("grid {label} crosses the community boundary: {n} building(s) lie outside the community"),
            message_zh: format!("网格 {label} 越出社区边界：{n} 栋楼在社区之外"),
        });
    }
    out
}

/// Breaks that concern the whole plan: codes, unassigned and unknown buildings.
fn plan_breaks(input: &CommunityInput, plan: &PlanState) -> Vec<Break> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, Vec<GridKey>> = BTreeMap::new();
    for g in &plan.grids {
        seen.entry(g.code.as_str()).or_default().push(g.key);
        if let Err(e) = parse_code(&g.code, &plan.community_code) {
            let why = match e {
                super::error::EditError::MalformedCode { why, .. } => why,
                other => other.to_string(),
            };
            out.push(Break {
                kind: BreakKind::MalformedCode {
                    code: g.code.clone(),
                    why: why.clone(),
                },
                grids: vec![g.key],
                buildings: Vec::new(),
                message: format!("grid {} has a malformed code {:?}: {why}", g.name, g.code),
                message_zh: format!("网格 {} 的编码 {:?} 格式错误", g.name, g.code),
            });
        }
    }
    for (code, keys) in seen {
        if keys.len() > 1 {
            out.push(Break {
                kind: BreakKind::DuplicateCode {
                    code: code.to_string(),
                },
                grids: keys.clone(),
                buildings: Vec::new(),
                message: format!("{} grids share the code {code}", keys.len()),
                message_zh: format!("{} 个网格使用同一编码 {code}", keys.len()),
            });
        }
    }
    let mut unassigned = Vec::new();
    let mut unknown_grid: BTreeMap<GridKey, Vec<Id>> = BTreeMap::new();
    for b in &input.buildings {
        match plan.assignment.get(&b.id) {
            None => unassigned.push(b.id),
            Some(k) if plan.grid(*k).is_none() => unknown_grid.entry(*k).or_default().push(b.id),
            Some(_) => {}
        }
    }
    if !unassigned.is_empty() {
        let n = unassigned.len();
        out.push(Break {
            kind: BreakKind::Unassigned,
            grids: Vec::new(),
            buildings: unassigned,
            message: format!("{n} building(s) are in no grid"),
            message_zh: format!("{n} 栋楼不属于任何网格"),
        });
    }
    for (key, buildings) in unknown_grid {
        out.push(Break {
            kind: BreakKind::UnknownGrid { key },
            grids: vec![key],
            message: format!(
                "{} building(s) point to grid #{key}, which the plan does not have",
                buildings.len()
            ),
            message_zh: format!("{} 栋楼指向不存在的网格 #{key}", buildings.len()),
            buildings,
        });
    }
    let unknown: Vec<Id> = plan
        .assignment
        .keys()
        .copied()
        .filter(|b| input.position(*b).is_none())
        .collect();
    if !unknown.is_empty() {
        out.push(Break {
            kind: BreakKind::UnknownBuilding,
            grids: Vec::new(),
            message: format!(
                "{} assigned building(s) are not buildings of this community",
                unknown.len()
            ),
            message_zh: format!("{} 栋已分配的楼不属于本社区", unknown.len()),
            buildings: unknown,
        });
    }
    out
}

fn members_of(input: &CommunityInput, plan: &PlanState) -> BTreeMap<GridKey, BTreeSet<usize>> {
    let mut m: BTreeMap<GridKey, BTreeSet<usize>> = plan
        .grids
        .iter()
        .map(|g| (g.key, BTreeSet::new()))
        .collect();
    for (b, k) in &plan.assignment {
        if let (Some(i), Some(set)) = (input.position(*b), m.get_mut(k)) {
            set.insert(i);
        }
    }
    m
}

/// Every rule break of `plan`: plan-wide breaks first, then per grid in key order.
pub fn validate(input: &CommunityInput, plan: &PlanState, rules: &Rules) -> Vec<Break> {
    Validator::new(input, plan.clone(), rules.clone()).breaks()
}

/// Incremental validation: keeps per-grid breaks and re-checks only what an
/// edit touched. Holds its input as any `Borrow<CommunityInput>`: a
/// reference for a one-off, an `Arc<CommunityInput>` to keep it in server
/// state between requests.
#[derive(Debug, Clone)]
pub struct Validator<I: Borrow<CommunityInput>> {
    input: I,
    rules: Rules,
    plan: PlanState,
    members: BTreeMap<GridKey, BTreeSet<usize>>,
    per_grid: BTreeMap<GridKey, Vec<Break>>,
    plan_wide: Vec<Break>,
    mark: Vec<u32>,
}

impl<I: Borrow<CommunityInput>> Validator<I> {
    /// Validate `plan` in full.
    pub fn new(input: I, plan: PlanState, rules: Rules) -> Validator<I> {
        let members = members_of(input.borrow(), &plan);
        let n = input.borrow().buildings.len();
        let mut v = Validator {
            input,
            rules,
            plan,
            members,
            per_grid: BTreeMap::new(),
            plan_wide: Vec::new(),
            mark: vec![u32::MAX; n],
        };
        let keys: Vec<GridKey> = v.plan.grids.iter().map(|g| g.key).collect();
        v.recheck(&keys);
        v.plan_wide = plan_breaks(v.input.borrow(), &v.plan);
        v
    }

    fn recheck(&mut self, keys: &[GridKey]) {
        for &k in keys {
            match self.members.get(&k) {
                Some(set) if self.plan.grid(k).is_some() => {
                    let list: Vec<usize> = set.iter().copied().collect();
                    let b = grid_breaks(
                        self.input.borrow(),
                        &self.plan,
                        &self.rules,
                        k,
                        &list,
                        &mut self.mark,
                    );
                    self.per_grid.insert(k, b);
                }
                _ => {
                    self.per_grid.remove(&k);
                }
            }
        }
    }

    /// The plan as last validated.
    pub fn plan(&self) -> &PlanState {
        &self.plan
    }

    /// Replace the plan by its edited version and re-check what changed:
    /// grids that gained or lost buildings, and grids added, removed or
    /// changed (code, kind, name…). Returns the keys re-checked.
    pub fn update(&mut self, new: PlanState) -> Vec<GridKey> {
        let mut touched: BTreeSet<GridKey> = BTreeSet::new();
        // Assignment differences (both maps are sorted by building id).
        let mut a = self.plan.assignment.iter().peekable();
        let mut b = new.assignment.iter().peekable();
        let mut moves: Vec<(Id, Option<GridKey>, Option<GridKey>)> = Vec::new();
        loop {
            match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some((ia, ka)), Some((ib, kb))) if ia == ib => {
                    if ka != kb {
                        moves.push((**ia, Some(**ka), Some(**kb)));
                    }
                    a.next();
                    b.next();
                }
                (Some((ia, ka)), Some((ib, _))) if ia < ib => {
                    moves.push((**ia, Some(**ka), None));
                    a.next();
                }
                (Some(_), Some((ib, kb))) => {
                    moves.push((**ib, None, Some(**kb)));
                    b.next();
                }
                (Some((ia, ka)), None) => {
                    moves.push((**ia, Some(**ka), None));
                    a.next();
                }
                (None, Some((ib, kb))) => {
                    moves.push((**ib, None, Some(**kb)));
                    b.next();
                }
            }
        }
        // Grid list differences.
        let old_grids: BTreeMap<GridKey, _> = self.plan.grids.iter().map(|g| (g.key, g)).collect();
        for g in &new.grids {
            if old_grids.get(&g.key).is_none_or(|o| *o != g) {
                touched.insert(g.key);
            }
        }
        for k in old_grids.keys() {
            if new.grid(*k).is_none() {
                touched.insert(*k);
                self.members.remove(k);
            }
        }
        for g in &new.grids {
            self.members.entry(g.key).or_default();
        }
        for (id, from, to) in moves {
            let Some(i) = self.input.borrow().position(id) else {
                continue;
            };
            if let Some(f) = from {
                if let Some(s) = self.members.get_mut(&f) {
                    s.remove(&i);
                }
                touched.insert(f);
            }
            if let Some(t) = to {
                if let Some(s) = self.members.get_mut(&t) {
                    s.insert(i);
                }
                touched.insert(t);
            }
        }
        self.plan = new;
        let keys: Vec<GridKey> = touched.into_iter().collect();
        self.recheck(&keys);
        self.plan_wide = plan_breaks(self.input.borrow(), &self.plan);
        keys
    }

    /// Every current break.
    pub fn breaks(&self) -> Vec<Break> {
        let mut out = self.plan_wide.clone();
        for b in self.per_grid.values() {
            out.extend(b.iter().cloned());
        }
        out
    }

    /// Whether the plan has no break at all.
    pub fn is_clean(&self) -> bool {
        self.plan_wide.is_empty() && self.per_grid.values().all(Vec::is_empty)
    }
}

/// Breaks of explicit grid polygons (e.g. boundaries stored before the
/// engine derived them, or imported ones), in local metres or lon/lat alike:
/// pairs of grids overlapping, parts of the community covered by no grid,
/// and grids reaching outside the community. Areas below `tolerance`
/// (square units of the input) are ignored.
pub fn validate_polygons(
    community: &geo::MultiPolygon<f64>,
    polygons: &BTreeMap<GridKey, geo::MultiPolygon<f64>>,
    tolerance: f64,
) -> Vec<Break> {
    use geo::{Area, BooleanOps, BoundingRect, Intersects};
    let mut out = Vec::new();
    type Entry<'p> = (GridKey, &'p geo::MultiPolygon<f64>, Option<geo::Rect<f64>>);
    let list: Vec<Entry> = polygons
        .iter()
        .map(|(k, m)| (*k, m, m.bounding_rect()))
        .collect();
    for (i, (ka, a, ra)) in list.iter().enumerate() {
        for (kb, b, rb) in &list[i + 1..] {
            let (Some(ra), Some(rb)) = (ra, rb) else {
                continue;
            };
            if !ra.intersects(rb) {
                continue;
            }
            let area = a.intersection(*b).unsigned_area();
            if area > tolerance {
                out.push(Break {
                    kind: BreakKind::PolygonOverlap { area },
                    grids: vec![*ka, *kb],
                    buildings: Vec::new(),
                    message: format!("grids #{ka} and #{kb} overlap ({area:.3})"),
                    message_zh: format!("网格 #{ka} 与 #{kb} 重叠（{area:.3}）"),
                });
            }
        }
        let outside = a.difference(community).unsigned_area();
        if outside > tolerance {
            out.push(Break {
                kind: BreakKind::PolygonOutsideCommunity { area: outside },
                grids: vec![*ka],
                buildings: Vec::new(),
                message: format!("grid #{ka} reaches outside its community ({outside:.3})"),
                message_zh: format!("网格 #{ka} 超出社区边界（{outside:.3}）"),
            });
        }
    }
    let union = geo::unary_union(list.iter().flat_map(|(_, m, _)| m.0.iter()));
    let gap = community.difference(&union).unsigned_area();
    if gap > tolerance {
        out.push(Break {
            kind: BreakKind::PolygonGap { area: gap },
            grids: Vec::new(),
            buildings: Vec::new(),
            message: format!("part of the community ({gap:.3}) lies in no grid"),
            message_zh: format!("社区内有 {gap:.3} 的区域不属于任何网格"),
        });
    }
    out
}
