//! Reading what a plan operation needs: the community's rules (defaults when
//! unset), the engine's [`CommunityInput`] from the current snapshot, a
//! plan's state at a version, and the per-grid summary the API returns.

use gridmap_analysis::planning::{CommunityInput, GridKey, PlanState, Rules};
use gridmap_data::Atlas;
use gridmap_data::model::{GridKind, Id, Plan};
use gridmap_data::store::Store;
use serde::Serialize;

use super::PlanError;

/// A community's rules: the stored JSON, or the BRIEF §3 defaults.
pub async fn rules(store: &dyn Store, community: Id) -> Result<Rules, PlanError> {
    match store.community_rules(community).await? {
        None => Ok(Rules::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| PlanError::RulesUnreadable {
            community,
            reason: e.to_string(),
        }),
    }
}

/// The engine's view of a community in the current snapshot.
pub fn input(atlas: &Atlas, community: Id, rules: &Rules) -> Result<CommunityInput, PlanError> {
    if atlas.community(community).is_none() {
        return Err(PlanError::UnknownCommunity(community));
    }
    CommunityInput::from_dataset(atlas.data(), community, rules)
        .map_err(|e| PlanError::BadCommunity(e.to_string()))
}

/// A plan record, [`PlanError::UnknownPlan`] when absent.
pub async fn plan(store: &dyn Store, id: Id) -> Result<Plan, PlanError> {
    store.plan(id).await?.ok_or(PlanError::UnknownPlan(id))
}

/// The state of a plan at `version` ([`PlanError::UnknownVersion`] when
/// there is no such version);
/// a stored state that does not read back is [`PlanError::Unreadable`],
/// naming the plan and version.
pub async fn state(store: &dyn Store, plan: Id, version: i64) -> Result<PlanState, PlanError> {
    let v = store
        .plan_version(plan, version)
        .await?
        .ok_or(PlanError::UnknownVersion { plan, version })?;
    parse_state(plan, version, &v.state)
}

/// Parse the stored state of `plan` at `version`.
pub fn parse_state(plan: Id, version: i64, text: &str) -> Result<PlanState, PlanError> {
    serde_json::from_str(text).map_err(|e| PlanError::Unreadable {
        plan,
        version,
        reason: e.to_string(),
    })
}

/// Serialise a state for the store. A state that would not read back (a
/// non-finite number, which JSON cannot hold) is refused here, so it is
/// never stored.
pub fn state_json(state: &PlanState) -> Result<String, PlanError> {
    serde_json::to_string(state).map_err(|e| {
        tracing::error!(error = %e, "refusing to store a plan state");
        PlanError::Encode(e.to_string())
    })
}

/// Where a grid stands against the household rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GridStatus {
    Under,
    Ok,
    Over,
    /// Dedicated grids are exempt from the household range.
    Exempt,
}

/// One grid of a plan, with its counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridSummary {
    pub key: GridKey,
    pub code: String,
    pub name: String,
    pub kind: GridKind,
    pub locked: bool,
    pub households: u64,
    pub buildings: usize,
    pub status: GridStatus,
}

/// Per-grid counts and status of a plan, sorted by key.
pub fn summary(input: &CommunityInput, state: &PlanState, rules: &Rules) -> Vec<GridSummary> {
    let households = state.households(input);
    let members = state.members();
    state
        .grids
        .iter()
        .map(|g| {
            let h = households.get(&g.key).copied().unwrap_or(0);
            let status = if g.kind == GridKind::Dedicated {
                GridStatus::Exempt
            } else if h < rules.min_households {
                GridStatus::Under
            } else if h > rules.max_households {
                GridStatus::Over
            } else {
                GridStatus::Ok
            };
            GridSummary {
                key: g.key,
                code: g.code.clone(),
                name: g.name.clone(),
                kind: g.kind,
                locked: g.locked,
                households: h,
                buildings: members.get(&g.key).map_or(0, Vec::len),
                status,
            }
        })
        .collect()
}
