//! What a plan operation works on, read in one step instead of the
//! `load::state → load::rules → load::input` sequence every caller repeated:
//! [`Workspace::open`] for a plan at a version, [`CommunityWork::open`]
//! for a community without a plan (a new draft, an import, a publish).

use gridmap_analysis::planning::{CommunityInput, PlanState, Rules};
use gridmap_data::Atlas;
use gridmap_data::model::{Id, Plan};
use gridmap_data::store::Store;

use super::PlanError;
use super::load::{self, GridSummary};

/// A community's rules and the engine's input for it in one snapshot.
#[derive(Debug)]
pub struct CommunityWork {
    pub community: Id,
    pub rules: Rules,
    pub input: CommunityInput,
}

impl CommunityWork {
    /// The community's stored rules (or the defaults) and its input in
    /// `atlas`: [`PlanError::UnknownCommunity`] when the snapshot lacks it.
    pub async fn open(
        store: &dyn Store,
        atlas: &Atlas,
        community: Id,
    ) -> Result<CommunityWork, PlanError> {
        let rules = load::rules(store, community).await?;
        Self::with_rules(atlas, community, rules)
    }

    /// The same with `rules` given instead of the stored ones.
    pub fn with_rules(
        atlas: &Atlas,
        community: Id,
        rules: Rules,
    ) -> Result<CommunityWork, PlanError> {
        let input = load::input(atlas, community, &rules)?;
        Ok(CommunityWork {
            community,
            rules,
            input,
        })
    }

    /// Per-grid counts and status of `state` under these rules.
    pub fn summary(&self, state: &PlanState) -> Vec<GridSummary> {
        load::summary(&self.input, state, &self.rules)
    }
}

/// A plan's state at one version, with its community's rules and input.
#[derive(Debug)]
pub struct Workspace {
    pub plan: Id,
    pub version: i64,
    pub state: PlanState,
    pub rules: Rules,
    pub input: CommunityInput,
}

impl Workspace {
    /// Read `plan` at `version` ([`PlanError::UnknownVersion`],
    /// [`PlanError::Unreadable`]), then its community's rules and input in
    /// `atlas`.
    pub async fn open(
        store: &dyn Store,
        atlas: &Atlas,
        plan: &Plan,
        version: i64,
    ) -> Result<Workspace, PlanError> {
        Self::open_with(store, atlas, plan, version, None).await
    }

    /// [`Workspace::open`] with `rules` for this run instead of the
    /// community's when given (a partition with its own rules).
    pub async fn open_with(
        store: &dyn Store,
        atlas: &Atlas,
        plan: &Plan,
        version: i64,
        rules: Option<Rules>,
    ) -> Result<Workspace, PlanError> {
        let state = load::state(store, plan.id, version).await?;
        let rules = match rules {
            Some(r) => r,
            None => load::rules(store, plan.community_id).await?,
        };
        let input = load::input(atlas, plan.community_id, &rules)?;
        Ok(Workspace {
            plan: plan.id,
            version,
            state,
            rules,
            input,
        })
    }

    /// Per-grid counts and status of the state.
    pub fn summary(&self) -> Vec<GridSummary> {
        load::summary(&self.input, &self.state, &self.rules)
    }
}
