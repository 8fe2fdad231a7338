//! The planner's edits as operations on a [`PlanState`]. Each either applies
//! fully and returns a summary, or fails with an [`EditError`] leaving the
//! plan unchanged. Edits that touch a locked grid are rejected
//! ([`EditError::Locked`]); only [`set_locked`] may change a locked grid.

use std::collections::BTreeSet;

use geo::{LineString, Polygon};
use gridmap_data::model::{GridKind, Id};
use serde::{Deserialize, Serialize};

use super::codes::{next_free_code, parse_code, taken_codes};
use super::drawn::{checked_line, checked_ring};
use super::error::EditError;
use super::geometry::left_of_polyline;
use super::input::CommunityInput;
use super::plan::{GridKey, PlanGrid, PlanPerson, PlanState};
use super::polygons::buildings_in_polygon;

/// What an edit changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EditSummary {
    /// Buildings whose grid changed.
    pub moved: Vec<Id>,
    pub grids_added: Vec<GridKey>,
    pub grids_removed: Vec<GridKey>,
}

fn unlocked(plan: &PlanState, key: GridKey) -> Result<&PlanGrid, EditError> {
    let g = plan.grid(key).ok_or(EditError::UnknownGrid(key))?;
    if g.locked {
        return Err(EditError::Locked(key));
    }
    Ok(g)
}

/// Move buildings to grid `to`. Buildings already there are left alone.
pub fn move_buildings(
    input: &CommunityInput,
    plan: &mut PlanState,
    buildings: &[Id],
    to: GridKey,
) -> Result<EditSummary, EditError> {
    unlocked(plan, to)?;
    for &b in buildings {
        if input.position(b).is_none() {
            return Err(EditError::UnknownBuilding(b));
        }
        if let Some(&k) = plan.assignment.get(&b)
            && plan.grid(k).is_some_and(|g| g.locked)
        {
            return Err(EditError::Locked(k));
        }
    }
    let mut s = EditSummary::default();
    let unique: BTreeSet<Id> = buildings.iter().copied().collect();
    let mut changed = BTreeSet::new();
    for b in unique {
        let from = plan.assignment.insert(b, to);
        if from != Some(to) {
            s.moved.push(b);
            changed.insert(to);
            changed.extend(from);
        }
    }
    plan.drop_outlines(changed);
    Ok(s)
}

/// Add an empty basic grid with the next free code; returns its key.
pub fn add_grid(
    plan: &mut PlanState,
    name: Option<String>,
    kind: GridKind,
) -> Result<GridKey, EditError> {
    let code = next_free_code(&plan.community_code, &taken_codes(plan))?;
    let key = plan.fresh_key();
    let seq = code
        .get(12..)
        .unwrap_or("")
        .trim_start_matches('0')
        .to_string();
    plan.insert_grid(PlanGrid {
        key,
        name: name.unwrap_or_else(|| format!("第{seq}网格")),
        code,
        kind,
        locked: false,
        people: Vec::new(),
        outline: None,
    });
    Ok(key)
}

/// Split grid `key` along a drawn line (longitude/latitude): buildings left of
/// the line stay, buildings right of it form a new grid. The line is checked
/// first ([`checked_line`]).
pub fn split_grid(
    input: &CommunityInput,
    plan: &mut PlanState,
    key: GridKey,
    line: &LineString<f64>,
) -> Result<EditSummary, EditError> {
    unlocked(plan, key)?;
    let line = checked_line(input, line)?;
    let local = input.proj.fwd_line(&line);
    if local.0.len() < 2 {
        return Err(EditError::SplitMissed(key));
    }
    let members: Vec<Id> = plan
        .assignment
        .iter()
        .filter(|(_, k)| **k == key)
        .map(|(b, _)| *b)
        .collect();
    let right: Vec<Id> = members
        .iter()
        .copied()
        .filter(|b| {
            input
                .position(*b)
                .is_some_and(|i| !left_of_polyline(&local.0, input.local[i]))
        })
        .collect();
    if right.is_empty() || right.len() == members.len() {
        return Err(EditError::SplitMissed(key));
    }
    let new = add_grid(plan, None, GridKind::Basic)?;
    for b in &right {
        plan.assignment.insert(*b, new);
    }
    plan.drop_outlines([key]);
    Ok(EditSummary {
        moved: right,
        grids_added: vec![new],
        grids_removed: Vec::new(),
    })
}

/// Merge grids into the first one listed; the others are removed and their codes retired.
pub fn merge_grids(plan: &mut PlanState, keys: &[GridKey]) -> Result<EditSummary, EditError> {
    let mut distinct: Vec<GridKey> = Vec::new();
    for &k in keys {
        unlocked(plan, k)?;
        if !distinct.contains(&k) {
            distinct.push(k);
        }
    }
    let Some((&keep, rest)) = distinct.split_first() else {
        return Err(EditError::MergeNeedsTwo);
    };
    if rest.is_empty() {
        return Err(EditError::MergeNeedsTwo);
    }
    let mut s = EditSummary::default();
    for (b, k) in plan.assignment.iter_mut() {
        if rest.contains(k) {
            *k = keep;
            s.moved.push(*b);
        }
    }
    for &k in rest {
        plan.remove_grid(k);
        s.grids_removed.push(k);
    }
    plan.drop_outlines([keep]);
    Ok(s)
}

/// A hand-drawn boundary: every building whose point lies in `drawn`
/// (longitude/latitude; checked first, [`checked_ring`]) joins grid
/// `target`, or a new grid when `None`.
/// When the grid then has no building outside `drawn`, the drawn ring
/// becomes its outline: its polygon follows the drawn line (clipped to the
/// community) and the other grids' polygons adjust around it. Otherwise
/// (the target grid keeps buildings elsewhere) the polygon derives from the
/// buildings as usual.
pub fn draw_boundary(
    input: &CommunityInput,
    plan: &mut PlanState,
    drawn: &Polygon<f64>,
    target: Option<GridKey>,
) -> Result<EditSummary, EditError> {
    let drawn = &checked_ring(input, drawn)?;
    let inside = buildings_in_polygon(input, drawn);
    if inside.is_empty() {
        return Err(EditError::Empty);
    }
    for b in &inside {
        if let Some(&k) = plan.assignment.get(b)
            && plan.grid(k).is_some_and(|g| g.locked)
        {
            return Err(EditError::Locked(k));
        }
    }
    let (key, added) = match target {
        Some(k) => {
            unlocked(plan, k)?;
            (k, Vec::new())
        }
        None => {
            let k = add_grid(plan, None, GridKind::Basic)?;
            (k, vec![k])
        }
    };
    let mut s = move_buildings(input, plan, &inside, key)?;
    s.grids_added = added;
    let inside: BTreeSet<Id> = inside.into_iter().collect();
    let all_inside = plan
        .assignment
        .iter()
        .all(|(b, k)| *k != key || inside.contains(b));
    // Stored to 1e-7° (about 1 cm), which also survives the JSON round trip
    // of the plan store exactly.
    let q = |v: f64| (v * 1e7).round() / 1e7;
    if let Some(g) = plan.grid_mut(key) {
        g.outline = all_inside.then(|| {
            drawn
                .exterior()
                .0
                .iter()
                .map(|c| [q(c.x), q(c.y)])
                .collect()
        });
    }
    Ok(s)
}

pub fn rename(plan: &mut PlanState, key: GridKey, name: &str) -> Result<(), EditError> {
    unlocked(plan, key)?;
    if let Some(g) = plan.grid_mut(key) {
        g.name = name.to_string();
    }
    Ok(())
}

/// Give a grid a new code (15 digits, the community's prefix, not used or
/// retired); the old code is retired.
pub fn recode(plan: &mut PlanState, key: GridKey, code: &str) -> Result<(), EditError> {
    unlocked(plan, key)?;
    parse_code(code, &plan.community_code)?;
    if taken_codes(plan).contains(code) {
        return Err(EditError::CodeTaken(code.to_string()));
    }
    if let Some(g) = plan.grid_mut(key) {
        let old = std::mem::replace(&mut g.code, code.to_string());
        plan.retired_codes.insert(old);
    }
    Ok(())
}

pub fn set_locked(plan: &mut PlanState, key: GridKey, locked: bool) -> Result<(), EditError> {
    let g = plan.grid_mut(key).ok_or(EditError::UnknownGrid(key))?;
    g.locked = locked;
    Ok(())
}

pub fn set_kind(plan: &mut PlanState, key: GridKey, kind: GridKind) -> Result<(), EditError> {
    unlocked(plan, key)?;
    if let Some(g) = plan.grid_mut(key) {
        g.kind = kind;
    }
    Ok(())
}

pub fn set_people(
    plan: &mut PlanState,
    key: GridKey,
    people: Vec<PlanPerson>,
) -> Result<(), EditError> {
    unlocked(plan, key)?;
    if let Some(g) = plan.grid_mut(key) {
        g.people = people;
    }
    Ok(())
}
