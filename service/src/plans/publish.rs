//! Publishing a plan: in one transaction the plan becomes the community's
//! published plan (the previous one is archived, kept), the grids table is
//! rewritten from the plan (grid polygons derived by the engine; a grid whose
//! code survives keeps its row id, new grids are inserted, removed grids are
//! deleted and their codes retired), buildings' grid ids and the grids'
//! people are updated, and the publish is audited.
//!
//! A plan with hard rule breaks (households out of range on a basic grid,
//! a grid in pieces, a building in no grid or an unknown one, an empty
//! grid, a bad or duplicate code — everything [`validate`] reports) is
//! refused with [`PlanError::HasBreaks`] unless the caller forces it
//! ([`Force`]); a forced publish is audited with its breaks.
//!
//! A draft made from another published plan than the community's current
//! one is refused with [`PlanError::BaseChanged`] (publishing it would undo
//! the other publish) unless it is rebased first or forced with a reason
//! ([`BaseCheck::Force`]), audited; the archive of the replaced plan is a
//! compare-and-set, so of two publishes over one plan only one succeeds.

use std::collections::{BTreeMap, HashMap};

use geo::MultiPolygon;
use gridmap_analysis::planning::polygons::grid_polygons;
use gridmap_analysis::planning::{GridKey, PlanState, validate};
use gridmap_data::model::{Grid, Id, Person, Plan, PlanOp, PlanStatus};
use gridmap_data::store::accounts::unix_now;
use gridmap_data::store::{AuditEntry, Store};
use gridmap_data::{Atlas, DataError};
use serde::Serialize;

use super::error::DraftOnly;
use super::{CommunityWork, PlanError, load, rebase};

/// What a publish changed.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Published {
    /// The plan's version after the publish.
    pub version: i64,
    pub grids_kept: usize,
    pub grids_added: usize,
    pub grids_removed: usize,
    pub buildings_moved: usize,
    /// The plan this one replaced (now archived).
    pub archived_plan: Option<Id>,
    /// Whether the plan was published despite rule breaks.
    pub forced: bool,
    /// Rule breaks the plan had when published (0 unless forced).
    pub breaks: usize,
    /// Whether the plan was published over a published plan other than its
    /// base ([`BaseCheck::Force`], audited with the reason).
    pub forced_base: bool,
}

/// Whether to publish a draft whose base is no longer the community's
/// published plan (see [`super::rebase`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BaseCheck {
    /// Refuse ([`PlanError::BaseChanged`]).
    #[default]
    Required,
    /// Publish anyway, replacing the other publish; the reason is audited.
    Force { reason: String },
}

/// Longest reason for a forced publish, in characters.
pub const MAX_REASON_CHARS: usize = 500;

impl BaseCheck {
    /// A forced publish with `reason` (required: 1–500 characters).
    pub fn force(reason: Option<&str>) -> Result<BaseCheck, PlanError> {
        let reason = reason.map(str::trim).unwrap_or_default();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(PlanError::ReasonRequired {
                max: MAX_REASON_CHARS,
            });
        }
        Ok(BaseCheck::Force {
            reason: reason.to_owned(),
        })
    }
}

/// Whether to publish a plan that breaks hard rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Force {
    /// Refuse a plan with breaks ([`PlanError::HasBreaks`]).
    #[default]
    No,
    /// Publish anyway (an admin's explicit choice, or the demo bootstrap for
    /// communities whose rules cannot be met); audited as forced.
    Yes,
}

/// Publish `plan` at `version` (stale → [`PlanError::Stale`]; made from
/// another published plan than the community's current one →
/// [`PlanError::BaseChanged`] unless `base` forces it). `atlas` should be
/// current (buildings' grids and people are compared with it; grids are
/// read from the store); the caller reloads its snapshot afterwards.
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    store: &dyn Store,
    atlas: &Atlas,
    plan: &Plan,
    version: i64,
    author: &str,
    audit: AuditEntry,
    force: Force,
    base: BaseCheck,
) -> Result<Published, PlanError> {
    if plan.status != PlanStatus::Draft {
        return Err(PlanError::NotDraft {
            plan: plan.id,
            status: plan.status.as_str(),
            op: DraftOnly::Publish,
        });
    }
    if version != plan.version {
        return Err(PlanError::Stale {
            plan: plan.id,
            expected: version,
            current: plan.version,
        });
    }
    let community = plan.community_id;
    let CommunityWork { rules, input, .. } = CommunityWork::open(store, atlas, community).await?;
    // The published plan this one replaces must be the one it was made
    // from; the archive below re-checks it with compare-and-set.
    let previous = rebase::published_plan(store, community)
        .await?
        .filter(|p| p.id != plan.id);
    let forced_base = match (&previous, &base) {
        (Some(p), BaseCheck::Required) if plan.base_published_id != Some(p.id) => {
            return Err(PlanError::BaseChanged(Box::new(
                rebase::base_change(store, &input, plan, p).await?,
            )));
        }
        (Some(p), BaseCheck::Force { .. }) => plan.base_published_id != Some(p.id),
        _ => false,
    };
    let state = load::state(store, plan.id, version).await?;
    let breaks = validate(&input, &state, &rules);
    if !breaks.is_empty() && force == Force::No {
        return Err(PlanError::HasBreaks {
            plan: plan.id,
            breaks,
        });
    }
    let polygons = grid_polygons(&input, &state);
    // The community's grids as stored now (the snapshot may lag a write
    // made through another server).
    let stored = store.load_grids().await?;
    let existing: HashMap<&str, &Grid> = stored
        .iter()
        .filter(|g| g.community_id == community)
        .map(|g| (g.code.as_str(), g))
        .collect();
    let now = unix_now();
    let mut out = Published {
        archived_plan: previous.as_ref().map(|p| p.id),
        forced: force == Force::Yes && !breaks.is_empty(),
        breaks: breaks.len(),
        forced_base,
        ..Published::default()
    };

    let mut tx = store.begin().await?;
    out.version = tx
        .append_plan_version(
            plan.id,
            version,
            PlanOp::Publish,
            r#"{"kind":"publish"}"#,
            &load::state_json(&state)?,
            author,
            now,
        )
        .await?;
    match tx
        .archive_published(community, previous.as_ref().map(|p| p.id))
        .await
    {
        Ok(()) => {}
        // Another publish came first: nothing is written (the transaction
        // rolls back when dropped); say what it changed.
        Err(DataError::PublishedChanged { .. }) => {
            drop(tx);
            return Err(match rebase::published_plan(store, community).await? {
                Some(now) => PlanError::BaseChanged(Box::new(
                    rebase::base_change(store, &input, plan, &now).await?,
                )),
                None => PlanError::Stale {
                    plan: plan.id,
                    expected: version,
                    current: plan.version,
                },
            });
        }
        Err(e) => return Err(e.into()),
    }
    tx.set_plan_status(plan.id, PlanStatus::Published, now)
        .await?;

    // Grids gone from the plan: deleted, their codes retired.
    let plan_codes: std::collections::HashSet<&str> =
        state.grids.iter().map(|g| g.code.as_str()).collect();
    for g in existing.values() {
        if !plan_codes.contains(g.code.as_str()) {
            tx.delete_grid(g.id).await?;
            tx.retire_code(community, &g.code, now).await?;
            out.grids_removed += 1;
        }
    }
    for code in &state.retired_codes {
        tx.retire_code(community, code, now).await?;
    }
    // Grids of the plan: updated in place when the code survives, else inserted.
    let mut ids: BTreeMap<GridKey, Id> = BTreeMap::new();
    for g in &state.grids {
        let boundary = polygons
            .get(&g.key)
            .cloned()
            .unwrap_or_else(|| MultiPolygon::new(Vec::new()));
        let mut row = Grid {
            id: 0,
            community_id: community,
            code: g.code.clone(),
            name: g.name.clone(),
            kind: g.kind,
            boundary,
        };
        let id = match existing.get(g.code.as_str()) {
            Some(old) => {
                row.id = old.id;
                tx.update_grid(&row).await?;
                out.grids_kept += 1;
                old.id
            }
            None => {
                out.grids_added += 1;
                tx.insert_grid(&row).await?
            }
        };
        ids.insert(g.key, id);
        let same_people = existing.get(g.code.as_str()).is_some_and(|old| {
            let now: Vec<_> = atlas
                .grid_people(old.id)
                .into_iter()
                .map(|p| (p.name.as_str(), p.role, p.phone.as_deref()))
                .collect();
            let want: Vec<_> = g
                .people
                .iter()
                .map(|p| (p.name.as_str(), p.role, p.phone.as_deref()))
                .collect();
            now == want
        });
        if !same_people {
            tx.delete_grid_people(id).await?;
            for p in &g.people {
                tx.insert_person(&Person {
                    id: 0,
                    grid_id: id,
                    name: p.name.clone(),
                    role: p.role,
                    phone: p.phone.clone(),
                    sample: false,
                })
                .await?;
            }
        }
    }
    // Buildings follow the assignment (unassigned ones lose their grid).
    for b in &input.buildings {
        let want = state
            .assignment
            .get(&b.id)
            .and_then(|k| ids.get(k))
            .copied();
        let have = atlas.building(b.id).and_then(|b| b.grid_id);
        if want != have {
            tx.set_building_grid(b.id, want).await?;
            out.buildings_moved += 1;
        }
    }
    tx.append_audit(
        &audit
            .target(format!("plan:{}", plan.id))
            .detail(serde_json::json!({
                "community": community,
                "version": out.version,
                "grids_kept": out.grids_kept,
                "grids_added": out.grids_added,
                "grids_removed": out.grids_removed,
                "buildings_moved": out.buildings_moved,
                "archived_plan": out.archived_plan,
                "forced": out.forced,
                "breaks": out.breaks,
                "break_messages": breaks.iter().take(20).map(|b| b.message.as_str()).collect::<Vec<_>>(),
                "base_published": plan.base_published_id,
                "forced_base": out.forced_base,
                "reason": match &base {
                    BaseCheck::Force { reason } => Some(reason.as_str()),
                    BaseCheck::Required => None,
                },
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The plan state a community's published grids give (for a new draft).
pub fn from_published(
    atlas: &Atlas,
    input: &gridmap_analysis::planning::CommunityInput,
    retired: Vec<String>,
) -> PlanState {
    let (mut state, source) = PlanState::from_dataset(atlas.data(), input);
    // Published shapes that are not the buildings' own cells (drawn, or
    // imported) stay as they are until an edit touches their grid.
    state.keep_stored_shapes(atlas.data(), input, &source);
    state.retired_codes.extend(retired);
    state
}
