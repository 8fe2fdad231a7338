//! The two plan writes every caller (HTTP, CLI) shares: a new draft at
//! version 1, and a version appended with compare-and-set. Each commits with
//! its audit entry in one transaction.

use gridmap_analysis::planning::PlanState;
use gridmap_data::model::{Id, Plan, PlanOp, PlanStatus};
use gridmap_data::store::accounts::unix_now;
use gridmap_data::store::{AuditEntry, Store};
use serde_json::{Value, json};

use super::{PlanError, load};

/// Longest plan name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Store a new draft plan at version 1 (audited as `plan.create`). `base`
/// is the plan it was copied from, `base_published` the community's
/// published plan its content builds on (see
/// [`super::rebase::base_for_new_draft`]).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    store: &dyn Store,
    community_id: Id,
    name: &str,
    base: Option<Id>,
    base_published: Option<Id>,
    edit: &Value,
    state: &PlanState,
    actor: &str,
    audit: AuditEntry,
) -> Result<Plan, PlanError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(PlanError::BadName {
            max: MAX_NAME_CHARS,
        });
    }
    let record = Plan {
        id: 0,
        community_id,
        name: name.to_owned(),
        status: PlanStatus::Draft,
        base_plan_id: base,
        version: 1,
        created_by: actor.to_owned(),
        created_at: unix_now(),
        published_at: None,
        base_published_id: base_published,
    };
    let mut tx = store.begin().await?;
    let id = tx
        .insert_plan(&record, &edit.to_string(), &load::state_json(state)?)
        .await?;
    tx.append_audit(
        &audit
            .target(format!("plan:{id}"))
            .detail(json!({"community": community_id, "name": name, "edit": edit, "base_published": base_published})),
    )
    .await?;
    tx.commit().await?;
    load::plan(store, id).await
}

/// Append a version made on `version` (stale → [`PlanError::Stale`]),
/// audited with `audit`; returns the new version.
#[allow(clippy::too_many_arguments)]
pub async fn append(
    store: &dyn Store,
    plan: Id,
    version: i64,
    op: PlanOp,
    edit: &Value,
    state: &PlanState,
    actor: &str,
    audit: AuditEntry,
) -> Result<i64, PlanError> {
    let mut tx = store.begin().await?;
    let v = tx
        .append_plan_version(
            plan,
            version,
            op,
            &edit.to_string(),
            &load::state_json(state)?,
            actor,
            unix_now(),
        )
        .await?;
    tx.append_audit(
        &audit
            .target(format!("plan:{plan}"))
            .detail(json!({"version": v, "edit": edit})),
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}
