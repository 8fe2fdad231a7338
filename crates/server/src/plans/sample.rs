//! The demo's grids from the planning engine: after the sample's
//! communities are derived, each community is partitioned afresh (seed 1,
//! default rules) and the result is stored and published as the
//! community's plan. Where the rules cannot be met (the sample has
//! communities with buildings of no households, or one building above the
//! maximum) the derived grids are kept and published as they are (a forced
//! publish, audited as such: those grids break the household rule), so every
//! community starts with a published plan and a history.

use gridmap_analysis::planning::{Mode, PartitionOptions, partition};
use gridmap_data::model::PlanOp;
use gridmap_data::store::{AuditEntry, Store};
use serde_json::json;

use super::{PlanError, load, publish, write};
use crate::state::AppState;

/// Name of the demo plans.
pub const DEMO_PLAN_NAME: &str = "示例网格方案";

/// What [`publish_demo_plans`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoPlans {
    /// Communities whose grids the engine drew.
    pub partitioned: usize,
    /// Communities whose derived grids were kept (the rules cannot be met).
    pub kept: usize,
}

/// Partition and publish a plan per community (see the module doc).
pub async fn publish_demo_plans(store: &dyn Store, actor: &str) -> Result<DemoPlans, PlanError> {
    let atlas = AppState::load_atlas(store).await?;
    let mut out = DemoPlans::default();
    let communities: Vec<_> = atlas.data().communities.iter().map(|c| c.id).collect();
    for community in communities {
        let rules = load::rules(store, community).await?;
        let input = load::input(&atlas, community, &rules)?;
        let base = publish::from_published(&atlas, &input, store.retired_codes(community).await?);
        let plan = write::insert(
            store,
            community,
            DEMO_PLAN_NAME,
            None,
            &json!({"kind": "create", "from": null}),
            &base,
            actor,
            AuditEntry::now(actor, "plan.create"),
        )
        .await?;
        let options = PartitionOptions {
            mode: Mode::Fresh,
            seed: 1,
            grids: None,
            skip_compactness: true,
        };
        let mut version = plan.version;
        match partition(&input, &base, &rules, &options) {
            Ok(outcome) => {
                version = write::append(
                    store,
                    plan.id,
                    version,
                    PlanOp::Edit,
                    &json!({"kind": "partition", "mode": "fresh", "seed": 1, "rules": rules}),
                    &outcome.plan,
                    actor,
                    AuditEntry::now(actor, "plan.partition"),
                )
                .await?;
                out.partitioned += 1;
            }
            Err(e) => {
                tracing::info!(community, reason = %e, "demo grids kept as derived");
                out.kept += 1;
            }
        }
        let plan = load::plan(store, plan.id).await?;
        // Kept derived grids break the rules (that is why they were kept):
        // the bootstrap publishes them anyway, audited as forced.
        publish::publish(
            store,
            &atlas,
            &plan,
            version,
            actor,
            AuditEntry::now(actor, "plan.publish"),
            publish::Force::Yes,
        )
        .await?;
    }
    Ok(out)
}
