//! The demo's grids from the planning engine: after the sample's
//! communities are derived, each community is partitioned afresh (seed 1,
//! default rules, best effort) and the result is stored and published as
//! the community's plan, so every community starts with engine-drawn grids,
//! a published plan and a history. Where the sample makes the rules
//! impossible (communities whose buildings hold no households or too few,
//! one building above the maximum) the best-effort run draws the nearest
//! grids and names the rules it left broken; those plans are published
//! forced, audited as such. Only if the engine fails outright are the
//! derived grids kept.

use gridmap_analysis::planning::{Mode, PartitionOptions, partition};
use gridmap_data::model::PlanOp;
use gridmap_data::store::{AuditEntry, Store};
use serde_json::json;

use super::{CommunityWork, PlanError, load, publish, rebase, write};

/// Name of the demo plans.
pub const DEMO_PLAN_NAME: &str = "示例网格方案";

/// What [`publish_demo_plans`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoPlans {
    /// Communities whose grids the engine drew.
    pub partitioned: usize,
    /// Of those, communities where the rules cannot hold (best effort).
    pub relaxed: usize,
    /// Communities whose derived grids were kept (the engine failed).
    pub kept: usize,
}

/// Partition and publish a plan per community (see the module doc).
pub async fn publish_demo_plans(store: &dyn Store, actor: &str) -> Result<DemoPlans, PlanError> {
    let atlas = crate::load_atlas(store).await?;
    let mut out = DemoPlans::default();
    let communities: Vec<_> = atlas.data().communities.iter().map(|c| c.id).collect();
    for community in communities {
        let CommunityWork { rules, input, .. } =
            CommunityWork::open(store, &atlas, community).await?;
        let base_published = rebase::base_for_new_draft(store, community, None).await?;
        let base = publish::from_published(&atlas, &input, store.retired_codes(community).await?);
        let plan = write::insert(
            store,
            community,
            DEMO_PLAN_NAME,
            None,
            base_published,
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
            best_effort: true,
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
                if !outcome.report.relaxed.is_empty() {
                    out.relaxed += 1;
                    for r in &outcome.report.relaxed {
                        tracing::info!(community, "demo grids: {}", r.message);
                    }
                }
            }
            Err(e) => {
                tracing::info!(community, reason = %e, "demo grids kept as derived");
                out.kept += 1;
            }
        }
        let plan = load::plan(store, plan.id).await?;
        // Best-effort grids (and kept derived ones) break the rules where the
        // data makes that unavoidable: the bootstrap publishes them anyway,
        // audited as forced.
        publish::publish(
            store,
            &atlas,
            &plan,
            version,
            actor,
            AuditEntry::now(actor, "plan.publish"),
            publish::Force::Yes,
            publish::BaseCheck::Required,
        )
        .await?;
    }
    Ok(out)
}
