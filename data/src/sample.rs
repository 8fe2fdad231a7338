//! The demo's communities, grids and people, derived from imported buildings
//! until the planning engine draws grids itself. Documented derivation:
//!
//! * one street office, `新街口街道（示例）`, code `320104` (秦淮区) + `001`;
//! * communities: the buildings' bounding box cut into equal cells of about
//!   `COMMUNITY_CELL_M` metres; cells without buildings are dropped;
//! * grids: each community cell is cut recursively (longer side first, at the
//!   household-weighted quantile between two building points) into
//!   `⌈households / max⌉` rectangles, so grids tile their community with no
//!   gap or overlap and every building lies in exactly one grid;
//! * codes number communities and grids west→east, north→south;
//! * people: a grid leader and a grid worker per grid, fictional names and
//!   phone numbers, flagged `sample`.

use geo::{Coord, MultiPolygon, Point, Rect};

use crate::model::{
    Building, Community, Dataset, Grid, GridKind, Id, Person, PersonRole, StreetOffice,
};

/// Community cell size (m).
pub const COMMUNITY_CELL_M: f64 = 800.0;
/// Household cap used to cut grids (BRIEF §3 default max).
pub const GRID_MAX_HOUSEHOLDS: u64 = 500;
const ADMIN_CODE: &str = "320104";
const STREET_CODE: &str = "001";
const METRES_PER_DEGREE: f64 = 111_195.0;

/// The derived plan. Ids are placeholders: grids refer to communities by
/// index, buildings to grids by index, people to grids by index.
#[derive(Debug, Clone)]
pub struct SamplePlan {
    pub street_office: StreetOffice,
    pub communities: Vec<Community>,
    /// `(community index, grid)`.
    pub grids: Vec<(usize, Grid)>,
    /// `(building id, grid index)`.
    pub assignments: Vec<(Id, usize)>,
    /// `(grid index, person)`.
    pub people: Vec<(usize, Person)>,
}

impl SamplePlan {
    /// Put the plan into an in-memory dataset (tests, benches, examples that
    /// skip the store): its communities and grids replace the dataset's,
    /// numbered from 1 in plan order, and buildings join their grids.
    pub fn apply_to(&self, data: &mut Dataset) {
        data.communities = self
            .communities
            .iter()
            .enumerate()
            .map(|(i, c)| Community {
                id: i as Id + 1,
                ..c.clone()
            })
            .collect();
        data.grids = self
            .grids
            .iter()
            .enumerate()
            .map(|(i, (ci, g))| Grid {
                id: i as Id + 1,
                community_id: *ci as Id + 1,
                ..g.clone()
            })
            .collect();
        let grid_of: std::collections::HashMap<Id, usize> =
            self.assignments.iter().copied().collect();
        for b in &mut data.buildings {
            if let Some(gi) = grid_of.get(&b.id) {
                b.grid_id = Some(*gi as Id + 1);
            }
        }
    }
}

fn rect_polygon(r: Rect<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![r.to_polygon()])
}

/// Reading order: north→south in bands, west→east inside a band.
fn reading_order(rects: &[Rect<f64>], band: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rects.len()).collect();
    let key = |r: &Rect<f64>| {
        let c = r.center();
        ((-c.y / band).floor() as i64, c.x)
    };
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(&rects[a]), key(&rects[b]));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    order
}

/// The best cut of `members` along one axis: `(miss, sorted members, split index, line)`.
fn best_cut(
    members: &[usize],
    axis_x: bool,
    goal: f64,
    buildings: &[Building],
) -> Option<(f64, Vec<usize>, usize, f64)> {
    let coord = |i: usize| {
        if axis_x {
            buildings[i].point.x()
        } else {
            buildings[i].point.y()
        }
    };
    let mut sorted = members.to_vec();
    sorted.sort_by(|&a, &b| coord(a).total_cmp(&coord(b)));
    let mut acc = 0u64;
    let mut best: Option<(f64, usize)> = None;
    for k in 0..sorted.len().saturating_sub(1) {
        acc += u64::from(buildings[sorted[k]].households);
        if coord(sorted[k]) == coord(sorted[k + 1]) {
            continue;
        }
        let miss = (acc as f64 - goal).abs();
        if best.is_none_or(|(m, _)| miss < m) {
            best = Some((miss, k + 1));
        }
    }
    let (miss, at) = best?;
    let line = (coord(sorted[at - 1]) + coord(sorted[at])) / 2.0;
    Some((miss, sorted, at, line))
}

fn households_of(members: &[usize], buildings: &[Building]) -> u64 {
    members
        .iter()
        .map(|&i| u64::from(buildings[i].households))
        .sum()
}

/// Cut `rect` holding `members` (indices into `buildings`) into about
/// `parts` rectangles of nearly equal households, cutting further while a
/// piece is above the cap and can still be cut.
fn cut(
    rect: Rect<f64>,
    members: Vec<usize>,
    parts: u64,
    buildings: &[Building],
    out: &mut Vec<(Rect<f64>, Vec<usize>)>,
) {
    let total = households_of(&members, buildings);
    let parts = parts.max(total.div_ceil(GRID_MAX_HOUSEHOLDS));
    if parts <= 1 || members.len() < 2 {
        out.push((rect, members));
        return;
    }
    let left_parts = parts / 2;
    let goal = total as f64 * left_parts as f64 / parts as f64;
    let lat = rect.center().y.to_radians().cos();
    let wide = rect.width() * lat >= rect.height();
    let along_long = best_cut(&members, wide, goal, buildings);
    let along_short = best_cut(&members, !wide, goal, buildings);
    let (axis_x, chosen) = match (along_long, along_short) {
        (Some(a), Some(b)) if b.0 + 1.0 < a.0 * 0.8 => (!wide, b),
        (Some(a), _) => (wide, a),
        (None, Some(b)) => (!wide, b),
        (None, None) => {
            out.push((rect, members));
            return;
        }
    };
    let (_, mut sorted, at, line) = chosen;
    let right = sorted.split_off(at);
    let (min, max) = (rect.min(), rect.max());
    let (r1, r2) = if axis_x {
        (
            Rect::new(min, Coord { x: line, y: max.y }),
            Rect::new(Coord { x: line, y: min.y }, max),
        )
    } else {
        (
            Rect::new(min, Coord { x: max.x, y: line }),
            Rect::new(Coord { x: min.x, y: line }, max),
        )
    };
    cut(r1, sorted, left_parts, buildings, out);
    cut(r2, right, parts - left_parts, buildings, out);
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
const GIVEN: &[&str] = &[
    "静", "敏", "伟", "芳", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平",
];

fn fictional_name(seed: usize) -> String {
    let s = SURNAMES[seed % SURNAMES.len()];
    let g = GIVEN[(seed / SURNAMES.len() + seed * 7) % GIVEN.len()];
    format!("{s}{g}（示例）")
}

/// Derive the demo plan from imported buildings (ids must be set).
pub fn derive(buildings: &[Building]) -> Option<SamplePlan> {
    let mut min = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    for b in buildings {
        min.x = min.x.min(b.point.x());
        min.y = min.y.min(b.point.y());
        max.x = max.x.max(b.point.x());
        max.y = max.y.max(b.point.y());
    }
    if buildings.is_empty() || !min.x.is_finite() {
        return None;
    }
    let lat = ((min.y + max.y) / 2.0).to_radians().cos().max(0.01);
    let margin = 30.0 / METRES_PER_DEGREE;
    min = Coord {
        x: min.x - margin / lat,
        y: min.y - margin,
    };
    max = Coord {
        x: max.x + margin / lat,
        y: max.y + margin,
    };
    let width_m = (max.x - min.x) * METRES_PER_DEGREE * lat;
    let height_m = (max.y - min.y) * METRES_PER_DEGREE;
    let cols = (width_m / COMMUNITY_CELL_M).round().max(1.0) as usize;
    let rows = (height_m / COMMUNITY_CELL_M).round().max(1.0) as usize;
    let dx = (max.x - min.x) / cols as f64;
    let dy = (max.y - min.y) / rows as f64;
    let cell_of = |p: Point<f64>| {
        let c = (((p.x() - min.x) / dx) as usize).min(cols - 1);
        let r = (((p.y() - min.y) / dy) as usize).min(rows - 1);
        r * cols + c
    };
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); cols * rows];
    for (i, b) in buildings.iter().enumerate() {
        members[cell_of(b.point)].push(i);
    }
    let cell_rect = |k: usize| {
        let (r, c) = (k / cols, k % cols);
        // Shared edges use the same arithmetic so neighbours meet exactly.
        let x0 = if c == 0 { min.x } else { min.x + dx * c as f64 };
        let x1 = if c + 1 == cols {
            max.x
        } else {
            min.x + dx * (c + 1) as f64
        };
        let y0 = if r == 0 { min.y } else { min.y + dy * r as f64 };
        let y1 = if r + 1 == rows {
            max.y
        } else {
            min.y + dy * (r + 1) as f64
        };
        Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 })
    };
    let cells: Vec<usize> = (0..cols * rows)
        .filter(|&k| !members[k].is_empty())
        .collect();
    let rects: Vec<Rect<f64>> = cells.iter().map(|&k| cell_rect(k)).collect();
    let street_office = StreetOffice {
        id: 0,
        code: format!("{ADMIN_CODE}{STREET_CODE}"),
        name: "新街口街道（示例）".into(),
    };
    let mut plan = SamplePlan {
        street_office,
        communities: Vec::new(),
        grids: Vec::new(),
        assignments: Vec::new(),
        people: Vec::new(),
    };
    for (n, &ci) in reading_order(&rects, dy * 0.5).iter().enumerate() {
        let code = format!("{ADMIN_CODE}{STREET_CODE}{:03}", n + 1);
        let cell_members = std::mem::take(&mut members[cells[ci]]);
        let households: u64 = cell_members
            .iter()
            .map(|&i| u64::from(buildings[i].households))
            .sum();
        let parts = households.div_ceil(GRID_MAX_HOUSEHOLDS).max(1);
        let mut pieces = Vec::new();
        cut(rects[ci], cell_members, parts, buildings, &mut pieces);
        let piece_rects: Vec<Rect<f64>> = pieces.iter().map(|p| p.0).collect();
        let community_index = plan.communities.len();
        plan.communities.push(Community {
            id: 0,
            street_office_id: None,
            code: code.clone(),
            name: format!("示例第{}社区", n + 1),
            boundary: rect_polygon(rects[ci]),
        });
        for (seq, &pi) in reading_order(&piece_rects, dy / 8.0).iter().enumerate() {
            let grid_index = plan.grids.len();
            plan.grids.push((
                community_index,
                Grid {
                    id: 0,
                    community_id: 0,
                    code: format!("{code}{:03}", seq + 1),
                    name: format!("示例第{}社区第{}网格", n + 1, seq + 1),
                    kind: GridKind::Basic,
                    boundary: rect_polygon(piece_rects[pi]),
                },
            ));
            for &bi in &pieces[pi].1 {
                plan.assignments.push((buildings[bi].id, grid_index));
            }
            for (role, k) in [(PersonRole::GridLeader, 0), (PersonRole::GridWorker, 1)] {
                let seed = grid_index * 2 + k;
                plan.people.push((
                    grid_index,
                    Person {
                        id: 0,
                        grid_id: 0,
                        name: fictional_name(seed * 5 + 3),
                        role,
                        phone: Some(format!("025-0000-{:04}", seed % 10_000)),
                        sample: true,
                    },
                ));
            }
        }
    }
    Some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HouseholdSource;
    use geo::{Area, Contains};

    fn building(id: Id, x: f64, y: f64, households: u32) -> Building {
        let p = Point::new(x, y);
        Building {
            id,
            osm_id: None,
            name: None,
            address: None,
            class: "residential".into(),
            levels: None,
            households,
            household_source: HouseholdSource::Estimated,
            footprint: MultiPolygon(vec![
                Rect::new(
                    p.0,
                    Coord {
                        x: x + 1e-5,
                        y: y + 1e-5,
                    },
                )
                .to_polygon(),
            ]),
            point: p,
            grid_id: None,
        }
    }

    #[test]
    fn grids_tile_communities_and_hold_every_building_once() {
        let mut bs = Vec::new();
        for i in 0..400 {
            let x = 118.77 + (i % 20) as f64 * 0.0009;
            let y = 32.04 + (i / 20) as f64 * 0.0007;
            bs.push(building(i + 1, x, y, 20 + (i as u32 * 7) % 60));
        }
        let plan = derive(&bs).expect("plan");
        assert_eq!(plan.assignments.len(), bs.len());
        // In memory: every building in a grid of the right community.
        let mut data = Dataset {
            buildings: bs.clone(),
            ..Dataset::default()
        };
        plan.apply_to(&mut data);
        assert_eq!(data.grids.len(), plan.grids.len());
        for (b, gi) in &plan.assignments {
            let building = data
                .buildings
                .iter()
                .find(|x| x.id == *b)
                .expect("building");
            let grid = data
                .grids
                .iter()
                .find(|g| Some(g.id) == building.grid_id)
                .expect("grid");
            assert_eq!(grid.code, plan.grids[*gi].1.code);
            assert!(data.communities.iter().any(|c| c.id == grid.community_id));
        }
        let mut ids: Vec<Id> = plan.assignments.iter().map(|a| a.0).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), bs.len());
        for (ci, c) in plan.communities.iter().enumerate() {
            let grid_area: f64 = plan
                .grids
                .iter()
                .filter(|g| g.0 == ci)
                .map(|g| g.1.boundary.unsigned_area())
                .sum();
            let diff = (grid_area - c.boundary.unsigned_area()).abs();
            assert!(diff < 1e-12, "community {ci} area differs by {diff}");
        }
        for &(bid, gi) in &plan.assignments {
            let b = &bs[(bid - 1) as usize];
            assert!(
                plan.grids[gi].1.boundary.contains(&b.point),
                "building {bid} outside its grid"
            );
            assert!(plan.grids[gi].1.code.len() == 15);
        }
        let mut per_grid = vec![0u64; plan.grids.len()];
        for &(bid, gi) in &plan.assignments {
            per_grid[gi] += u64::from(bs[(bid - 1) as usize].households);
        }
        assert!(
            per_grid.iter().all(|&h| h <= GRID_MAX_HOUSEHOLDS),
            "{per_grid:?}"
        );
        assert_eq!(plan.people.len(), plan.grids.len() * 2);
    }
}
