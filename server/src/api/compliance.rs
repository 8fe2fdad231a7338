//! `GET /api/grids/compliance`: how the current grids stand against their
//! community's household range (`under`, `ok`, `over`, dedicated grids
//! `exempt`), per community and per grid, with each unit's bounding box so
//! a map can zoom to it. The official's coverage page shows it beside the
//! coverage figures.
//!
//! Household counts are not public: the caller needs `ReadAnalytics` or
//! `ReadPlans` of a community to see it; other communities are left out,
//! and a caller who may read none gets 403.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use geo::{BoundingRect, MultiPolygon};
use gridmap_data::model::{GridKind, Id};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::state::{AppState, HouseholdLimits};
use crate::tiles::rule_status;

/// How many grids are in each rule status.
#[derive(Debug, Default, Clone, Copy, Serialize, ToSchema)]
pub struct StatusCounts {
    grids: u64,
    under: u64,
    ok: u64,
    over: u64,
    exempt: u64,
}

impl StatusCounts {
    fn add(&mut self, status: &str) {
        self.grids += 1;
        match status {
            "under" => self.under += 1,
            "over" => self.over += 1,
            "exempt" => self.exempt += 1,
            _ => self.ok += 1,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommunityCompliance {
    id: Id,
    code: String,
    name: String,
    /// The household range of the community's rules (defaults if none).
    min_households: u64,
    max_households: u64,
    /// `[west, south, east, north]`, absent for an empty boundary.
    bbox: Option<[f64; 4]>,
    #[serde(flatten)]
    counts: StatusCounts,
}

#[derive(Serialize, ToSchema)]
pub struct GridCompliance {
    id: Id,
    code: String,
    name: String,
    community_id: Id,
    kind: GridKind,
    households: u64,
    /// `under`, `ok`, `over` or `exempt`.
    #[schema(value_type = crate::plans::load::GridStatus)]
    status: &'static str,
    bbox: Option<[f64; 4]>,
}

#[derive(Serialize, ToSchema)]
pub struct Compliance {
    version: u64,
    totals: StatusCounts,
    communities: Vec<CommunityCompliance>,
    grids: Vec<GridCompliance>,
}

fn bbox(shape: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    shape
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

#[utoipa::path(
    get,
    path = "/api/grids/compliance",
    tag = "coverage",
    summary = "Each grid's households and rule status (under/ok/over/exempt) with counts per community (ReadAnalytics or ReadPlans).",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = Compliance)),
)]
pub async fn compliance(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Compliance>, ApiError> {
    let atlas = state.atlas();
    let may_read = |community_id: Id| {
        principal
            .require(Permission::ReadAnalytics { community_id })
            .is_ok()
            || principal
                .require(Permission::ReadPlans { community_id })
                .is_ok()
    };
    let readable: Vec<_> = atlas
        .data()
        .communities
        .iter()
        .filter(|c| may_read(c.id))
        .collect();
    if readable.is_empty() {
        return Err(ApiError::forbidden(format!(
            "{} `{}` may not read the grids of any community",
            principal.user.role, principal.user.username
        )));
    }
    let readable_ids: HashSet<Id> = readable.iter().map(|c| c.id).collect();
    // As stored now, not the per-version cache the tiles use: a rules
    // change does not move the data version.
    let limits = HouseholdLimits::read(state.store.as_ref()).await?;
    let mut per_community: HashMap<Id, StatusCounts> = HashMap::new();
    let mut totals = StatusCounts::default();
    let mut grids = Vec::new();
    for g in &atlas.data().grids {
        if !readable_ids.contains(&g.community_id) {
            continue;
        }
        let households = atlas.grid_households(g.id);
        let status = rule_status(g.kind, households, limits.of(g.community_id));
        per_community.entry(g.community_id).or_default().add(status);
        totals.add(status);
        grids.push(GridCompliance {
            id: g.id,
            code: g.code.clone(),
            name: g.name.clone(),
            community_id: g.community_id,
            kind: g.kind,
            households,
            status,
            bbox: bbox(&g.boundary),
        });
    }
    let communities = readable
        .iter()
        .map(|c| {
            let (min_households, max_households) = limits.of(c.id);
            CommunityCompliance {
                id: c.id,
                code: c.code.clone(),
                name: c.name.clone(),
                min_households,
                max_households,
                bbox: bbox(&c.boundary),
                counts: per_community.get(&c.id).copied().unwrap_or_default(),
            }
        })
        .collect();
    Ok(Json(Compliance {
        version: atlas.version(),
        totals,
        communities,
        grids,
    }))
}
