//! The plan state: one community's grids (stable keys, codes, names, kind,
//! lock, people) and the building → grid assignment. Serialises with serde;
//! the server stores one JSON document per plan version.

use std::collections::{BTreeMap, BTreeSet};

use gridmap_data::model::{Dataset, GridKind, Id, PersonRole};
use serde::{Deserialize, Serialize};

use super::input::CommunityInput;

/// Stable identity of a grid within a plan lineage (survives renames and recodes).
pub type GridKey = u32;

/// A public contact attached to a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanPerson {
    pub name: String,
    pub role: PersonRole,
    pub phone: Option<String>,
}

/// One grid of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanGrid {
    pub key: GridKey,
    /// 15 digits: community code (12) + sequence (3).
    pub code: String,
    pub name: String,
    pub kind: GridKind,
    /// Locked grids are never changed by an edit or an automatic run.
    pub locked: bool,
    pub people: Vec<PlanPerson>,
    /// A hand-drawn outline (the exterior ring, longitude/latitude) the
    /// grid's polygon keeps: set by a drawn boundary that holds all of the
    /// grid's buildings, dropped by any later edit that changes which
    /// buildings the grid has. See [`super::polygons`].
    /// Serialising refuses a non-finite coordinate (JSON has no such number:
    /// serde_json would write `null`, which no longer reads back).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite_outline"
    )]
    #[schema(value_type = Option<Vec<gridmap_data::model::LonLat>>)]
    pub outline: Option<Vec<[f64; 2]>>,
}

fn finite_outline<S: serde::Serializer>(
    outline: &Option<Vec<[f64; 2]>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    if let Some(bad) = outline
        .iter()
        .flatten()
        .find(|c| !(c[0].is_finite() && c[1].is_finite()))
    {
        return Err(serde::ser::Error::custom(format!(
            "a grid outline has a non-finite coordinate ({}, {})",
            bad[0], bad[1]
        )));
    }
    outline.serialize(s)
}

/// One community's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanState {
    pub community_id: Id,
    /// 12 digits.
    pub community_code: String,
    /// Sorted by key.
    pub grids: Vec<PlanGrid>,
    /// Building id → grid key.
    pub assignment: BTreeMap<Id, GridKey>,
    /// The next unused key of this lineage.
    pub next_key: GridKey,
    /// Codes retired in this lineage; never handed out again.
    pub retired_codes: BTreeSet<String>,
}

impl PlanState {
    /// An empty plan for a community.
    pub fn empty(community_id: Id, community_code: &str) -> PlanState {
        PlanState {
            community_id,
            community_code: community_code.to_string(),
            grids: Vec::new(),
            assignment: BTreeMap::new(),
            next_key: 1,
            retired_codes: BTreeSet::new(),
        }
    }

    /// The current plan of a community as stored in a dataset. Returns the
    /// plan and, for each key, the stored grid id it came from.
    pub fn from_dataset(
        data: &Dataset,
        input: &CommunityInput,
    ) -> (PlanState, BTreeMap<GridKey, Id>) {
        let mut plan = PlanState::empty(input.community_id, &input.community_code);
        let mut by_id = BTreeMap::new();
        let mut source = BTreeMap::new();
        let mut grids: Vec<_> = data
            .grids
            .iter()
            .filter(|g| g.community_id == input.community_id)
            .collect();
        grids.sort_by_key(|g| g.id);
        for g in grids {
            let key = plan.next_key;
            plan.next_key += 1;
            by_id.insert(g.id, key);
            source.insert(key, g.id);
            let people = data
                .people
                .iter()
                .filter(|p| p.grid_id == g.id)
                .map(|p| PlanPerson {
                    name: p.name.clone(),
                    role: p.role,
                    phone: p.phone.clone(),
                })
                .collect();
            plan.grids.push(PlanGrid {
                key,
                code: g.code.clone(),
                name: g.name.clone(),
                kind: g.kind,
                locked: false,
                people,
                outline: None,
            });
        }
        for b in &data.buildings {
            if input.position(b.id).is_none() {
                continue;
            }
            if let Some(key) = b.grid_id.and_then(|g| by_id.get(&g)) {
                plan.assignment.insert(b.id, *key);
            }
        }
        (plan, source)
    }

    /// Grids whose stored boundary differs from the polygon their buildings
    /// would give (a boundary drawn in an earlier plan, an imported official
    /// one) keep that boundary as their outline, so a draft starts with the
    /// shapes that were published and only the grids an edit touches take
    /// new ones. `source` maps keys to stored grid ids (from
    /// [`PlanState::from_dataset`]). Only one-part boundaries without holes
    /// qualify; a difference under 1 % of the area (or 1 m²) is noise.
    pub fn keep_stored_shapes(
        &mut self,
        data: &Dataset,
        input: &CommunityInput,
        source: &BTreeMap<GridKey, Id>,
    ) {
        use geo::{Area, BooleanOps, MultiPolygon};
        let derived = super::polygons::grid_polygons_local(input, self);
        let stored: BTreeMap<Id, &MultiPolygon<f64>> =
            data.grids.iter().map(|g| (g.id, &g.boundary)).collect();
        let proj = input.projector();
        let q = |v: f64| (v * 1e7).round() / 1e7;
        for (key, id) in source {
            let Some(boundary) = stored.get(id) else {
                continue;
            };
            let [poly] = boundary.0.as_slice() else {
                continue;
            };
            if !poly.interiors().is_empty() || poly.exterior().0.len() < 4 {
                continue;
            }
            let local = proj.fwd_multi(boundary);
            let area = local.unsigned_area();
            if area.is_nan() || area <= 0.0 {
                continue;
            }
            let off = derived
                .get(key)
                .map_or(area, |d| d.xor(&local).unsigned_area());
            if off > (0.01 * area).max(1.0)
                && let Some(g) = self.grid_mut(*key)
            {
                g.outline = Some(poly.exterior().0.iter().map(|c| [q(c.x), q(c.y)]).collect());
            }
        }
    }

    pub fn grid(&self, key: GridKey) -> Option<&PlanGrid> {
        self.grids
            .binary_search_by_key(&key, |g| g.key)
            .ok()
            .map(|i| &self.grids[i])
    }

    pub fn grid_mut(&mut self, key: GridKey) -> Option<&mut PlanGrid> {
        self.grids
            .binary_search_by_key(&key, |g| g.key)
            .ok()
            .map(|i| &mut self.grids[i])
    }

    /// A new key, never used before in this lineage.
    pub fn fresh_key(&mut self) -> GridKey {
        let k = self
            .next_key
            .max(self.grids.last().map_or(0, |g| g.key) + 1);
        self.next_key = k + 1;
        k
    }

    /// Insert a grid keeping `grids` sorted by key.
    pub fn insert_grid(&mut self, grid: PlanGrid) {
        let at = self.grids.partition_point(|g| g.key < grid.key);
        self.grids.insert(at, grid);
    }

    /// Remove a grid (its buildings become unassigned) and retire its code.
    pub fn remove_grid(&mut self, key: GridKey) -> Option<PlanGrid> {
        let at = self.grids.binary_search_by_key(&key, |g| g.key).ok()?;
        let g = self.grids.remove(at);
        self.assignment.retain(|_, k| *k != key);
        self.retired_codes.insert(g.code.clone());
        Some(g)
    }

    /// Building ids per grid key (grids without buildings included, empty).
    pub fn members(&self) -> BTreeMap<GridKey, Vec<Id>> {
        let mut m: BTreeMap<GridKey, Vec<Id>> =
            self.grids.iter().map(|g| (g.key, Vec::new())).collect();
        for (&b, &k) in &self.assignment {
            m.entry(k).or_default().push(b);
        }
        m
    }

    /// Households per grid key.
    pub fn households(&self, input: &CommunityInput) -> BTreeMap<GridKey, u64> {
        let mut m: BTreeMap<GridKey, u64> = self.grids.iter().map(|g| (g.key, 0)).collect();
        for (&b, &k) in &self.assignment {
            if let Some(i) = input.position(b) {
                *m.entry(k).or_default() += input.buildings[i].households;
            }
        }
        m
    }

    /// Drop the drawn outlines of these grids (their buildings changed).
    pub fn drop_outlines(&mut self, keys: impl IntoIterator<Item = GridKey>) {
        for k in keys {
            if let Some(g) = self.grid_mut(k) {
                g.outline = None;
            }
        }
    }

    /// Whether the building's grid (if any) is locked.
    pub fn is_locked_building(&self, building: Id) -> bool {
        self.assignment
            .get(&building)
            .and_then(|k| self.grid(*k))
            .is_some_and(|g| g.locked)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn with_outline(outline: Vec<[f64; 2]>) -> PlanState {
        let mut p = PlanState::empty(1, "320104001001");
        p.insert_grid(PlanGrid {
            key: 1,
            code: "320104001001001".into(),
            name: "g".into(),
            kind: GridKind::Basic,
            locked: false,
            people: Vec::new(),
            outline: Some(outline),
        });
        p
    }

    #[test]
    fn a_non_finite_outline_is_refused_not_written_as_null() {
        let ok = with_outline(vec![[118.78, 32.04], [118.79, 32.04], [118.78, 32.05]]);
        let text = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<PlanState>(&text).unwrap(), ok);
        for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            let p = with_outline(vec![[118.78, 32.04], [bad, 32.04], [118.78, 32.05]]);
            let e = serde_json::to_string(&p).unwrap_err().to_string();
            assert!(e.contains("non-finite"), "{e}");
        }
    }
}
