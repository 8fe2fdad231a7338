//! The edit a planner sends (`{"kind": "move", "buildings": [..], "to": 3}`)
//! and how it applies to a plan state through the engine's
//! `planning::edits`. The same JSON is stored as the version's edit.

use geo::{LineString, Polygon};
use gridmap_analysis::planning::edits::{self, EditSummary};
use gridmap_analysis::planning::{CommunityInput, EditError, GridKey, PlanPerson, PlanState};
use gridmap_data::model::{GridKind, Id};
use serde::{Deserialize, Serialize};

/// One planner edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Edit {
    /// Move buildings to grid `to`.
    Move {
        buildings: Vec<Id>,
        to: GridKey,
    },
    /// Add an empty grid with the next free code.
    AddGrid {
        #[serde(default)]
        name: Option<String>,
        #[serde(default = "basic")]
        grid_kind: GridKind,
    },
    /// Split grid `grid` along a drawn line of `[lon, lat]` points.
    Split {
        grid: GridKey,
        #[schema(value_type = Vec<gridmap_data::model::LonLat>)]
        line: Vec<[f64; 2]>,
    },
    /// Merge grids into the first one listed.
    Merge {
        grids: Vec<GridKey>,
    },
    /// Buildings inside a drawn ring of `[lon, lat]` join `grid` (a new grid when absent).
    Draw {
        #[schema(value_type = Vec<gridmap_data::model::LonLat>)]
        polygon: Vec<[f64; 2]>,
        #[serde(default)]
        grid: Option<GridKey>,
    },
    Rename {
        grid: GridKey,
        name: String,
    },
    Recode {
        grid: GridKey,
        code: String,
    },
    Lock {
        grid: GridKey,
    },
    Unlock {
        grid: GridKey,
    },
    SetKind {
        grid: GridKey,
        grid_kind: GridKind,
    },
    SetPeople {
        grid: GridKey,
        people: Vec<PlanPerson>,
    },
}

fn basic() -> GridKind {
    GridKind::Basic
}

fn line(points: &[[f64; 2]]) -> LineString<f64> {
    LineString::from(points.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>())
}

impl Edit {
    /// Apply to `plan`; on error the plan is unchanged.
    pub fn apply(
        &self,
        input: &CommunityInput,
        plan: &mut PlanState,
    ) -> Result<EditSummary, EditError> {
        let none = EditSummary::default();
        match self {
            Edit::Move { buildings, to } => edits::move_buildings(input, plan, buildings, *to),
            Edit::AddGrid { name, grid_kind } => {
                let key = edits::add_grid(plan, name.clone(), *grid_kind)?;
                Ok(EditSummary {
                    grids_added: vec![key],
                    ..none
                })
            }
            Edit::Split { grid, line: l } => edits::split_grid(input, plan, *grid, &line(l)),
            Edit::Merge { grids } => edits::merge_grids(plan, grids),
            // The engine checks the drawn geometry (range, finite, near the
            // community, a valid ring) before using it.
            Edit::Draw { polygon, grid } => {
                edits::draw_boundary(input, plan, &Polygon::new(line(polygon), vec![]), *grid)
            }
            Edit::Rename { grid, name } => edits::rename(plan, *grid, name).map(|()| none),
            Edit::Recode { grid, code } => edits::recode(plan, *grid, code).map(|()| none),
            Edit::Lock { grid } => edits::set_locked(plan, *grid, true).map(|()| none),
            Edit::Unlock { grid } => edits::set_locked(plan, *grid, false).map(|()| none),
            Edit::SetKind { grid, grid_kind } => {
                edits::set_kind(plan, *grid, *grid_kind).map(|()| none)
            }
            Edit::SetPeople { grid, people } => {
                edits::set_people(plan, *grid, people.clone()).map(|()| none)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn edits_parse_from_the_documented_json() {
        let e: Edit = serde_json::from_str(r#"{"kind":"move","buildings":[1,2],"to":3}"#).unwrap();
        assert_eq!(
            e,
            Edit::Move {
                buildings: vec![1, 2],
                to: 3
            }
        );
        let e: Edit = serde_json::from_str(r#"{"kind":"add_grid"}"#).unwrap();
        assert_eq!(
            e,
            Edit::AddGrid {
                name: None,
                grid_kind: GridKind::Basic
            }
        );
        let e: Edit =
            serde_json::from_str(r#"{"kind":"set_kind","grid":2,"grid_kind":"dedicated"}"#)
                .unwrap();
        assert_eq!(
            e,
            Edit::SetKind {
                grid: 2,
                grid_kind: GridKind::Dedicated
            }
        );
        assert!(serde_json::from_str::<Edit>(r#"{"kind":"explode","grid":1}"#).is_err());
        // Round trip: the stored edit reads back the same.
        let back: Edit = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
