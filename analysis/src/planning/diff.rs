//! Differences between two plans of one community.

use std::collections::BTreeSet;

use gridmap_data::model::Id;
use serde::{Deserialize, Serialize};

use super::input::CommunityInput;
use super::plan::{GridKey, PlanState};

/// One building whose grid changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub building: Id,
    pub from: Option<GridKey>,
    pub to: Option<GridKey>,
}

/// What changed from plan `a` to plan `b`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanDiff {
    pub moved: Vec<Move>,
    pub grids_added: Vec<GridKey>,
    pub grids_removed: Vec<GridKey>,
    /// Grids present in both whose code, name, kind, lock or people changed.
    pub grids_changed: Vec<GridKey>,
    /// Households of the moved buildings.
    pub households_moved: u64,
}

/// Compare two plans.
pub fn diff(input: &CommunityInput, a: &PlanState, b: &PlanState) -> PlanDiff {
    let mut d = PlanDiff::default();
    let ids: BTreeSet<Id> = a
        .assignment
        .keys()
        .chain(b.assignment.keys())
        .copied()
        .collect();
    for id in ids {
        let (from, to) = (
            a.assignment.get(&id).copied(),
            b.assignment.get(&id).copied(),
        );
        if from != to {
            d.households_moved += input
                .position(id)
                .map_or(0, |i| input.buildings[i].households);
            d.moved.push(Move {
                building: id,
                from,
                to,
            });
        }
    }
    for g in &b.grids {
        match a.grid(g.key) {
            None => d.grids_added.push(g.key),
            Some(old) if old != g => d.grids_changed.push(g.key),
            Some(_) => {}
        }
    }
    d.grids_removed = a
        .grids
        .iter()
        .filter(|g| b.grid(g.key).is_none())
        .map(|g| g.key)
        .collect();
    d
}
