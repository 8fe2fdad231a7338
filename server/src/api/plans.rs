//! Planning over HTTP: community rules, plans (versioned drafts of one
//! community's grids), edits with compare-and-set versions, undo/redo,
//! history, validation, automatic partition, publish, diff, export and
//! import. All routes need a login: reads `ReadPlans{community}`, writes
//! `EditPlan{community}`; every write is audited in its own transaction.
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET/PUT /api/communities/{id}/rules` | `Rules` | `{community_id, rules, custom}` |
//! | `GET /api/plans?community=ID` | | `{plans: [Plan]}` |
//! | `POST /api/plans` | `{community_id, name, from?}` | `PlanView` |
//! | `GET /api/plans/{id}` | | `PlanView` `{plan, version, state, grids}` |
//! | `POST /api/plans/{id}/edits` | `{version, edit: {kind, …}}` | `{version, summary, grids}` |
//! | `POST /api/plans/{id}/undo`, `/redo` | `{version}` | `{version, grids, can_undo, can_redo}` |
//! | `GET /api/plans/{id}/history` | | `{history: [{version, op, edit, author, at}]}` |
//! | `GET /api/plans/{id}/validate` | | `{version, breaks, clean}` |
//! | `POST /api/plans/{id}/partition` | `{version, mode, seed?, grids?, rules?}` | `{version, report, grids}` |
//! | `POST /api/plans/{id}/publish` | `{version, force?, force_base?, reason?}` | `Published`; 422 `plan_has_breaks` with `breaks` when validation finds any (`force: true`: admins only, audited); 409 `base_changed` with `base_plan`, `published_plan` and `changes` when the draft was made from another published plan than the current one (`force_base: true` with a `reason`: publish anyway, audited) |
//! | `POST /api/plans/{id}/rebase` | `{version}` | `{version, base_published_id, previous_base_id, edits, replayed, conflicts, changes, grids}`: the draft restarted from the published grids with its edits replayed |
//! | `GET /api/plans/{a}/diff/{b}` | | engine `PlanDiff` + codes |
//! | `GET /api/plans/{id}/export.geojson`, `export.csv` | | files |
//! | `GET /api/plans/{id}/layers` | | `{version, bbox, boundary, grids, buildings}` (the planner's map) |
//! | `GET /api/communities` | | `{communities: [{id, code, name, bbox, can_edit}]}` the caller may plan |
//! | `POST /api/plans/import?community=ID&name=..` | CSV | `PlanView` |
//!
//! A stale version gives 409 `{code: "stale_version", message, current_version}`.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridmap_analysis::planning::diff::diff;
use gridmap_analysis::planning::edits::EditSummary;
use gridmap_analysis::planning::exchange::{
    assignment_csv, parse_assignment_csv, plan_from_assignment, to_geojson,
};
use gridmap_analysis::planning::polygons::grid_polygons;
use gridmap_analysis::planning::{
    Break, GridKey, Mode, PartitionOptions, PartitionReport, PlanState, Rules, partition, validate,
};
use gridmap_data::model::{Id, Plan, PlanOp, PlanStatus};
use gridmap_data::store::accounts::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::geojson::{
    self, BuildingFeatures, BuildingProperties, GridFeatures, GridProperties, MultiPolygonGeometry,
    PlanExport,
};
use super::params::{Json as Body, Query, QueryParams};

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::plans::align::align_by_code;
use crate::plans::edit::Edit;
use crate::plans::history::{self, Step};
use crate::plans::load::{self, GridSummary};
use crate::plans::publish::{self, Published};
use crate::plans::rebase::{self, Rebased};
use crate::plans::{CommunityWork, PlanError, Workspace, write};
use crate::state::AppState;

type PlanResult<T> = Result<T, ApiError>;

// ---------------------------------------------------------------- rules

#[derive(Serialize, ToSchema)]
pub struct RulesView {
    community_id: Id,
    rules: Rules,
    /// False when the community uses the defaults.
    custom: bool,
}

#[utoipa::path(
    get,
    path = "/api/communities/{id}/rules",
    tag = "plans",
    summary = "A community's grid rules (ReadPlans).",
    params(("id" = i64, Path, description = "Community id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = RulesView),
    ),
)]
pub async fn get_rules(
    State(state): State<AppState>,
    principal: Principal,
    Path(community_id): Path<Id>,
) -> PlanResult<Json<RulesView>> {
    principal.require(Permission::ReadPlans { community_id })?;
    known_community(&state, community_id)?;
    let custom = state.store.community_rules(community_id).await?.is_some();
    Ok(Json(RulesView {
        community_id,
        rules: load::rules(state.store.as_ref(), community_id).await?,
        custom,
    }))
}

#[utoipa::path(
    put,
    path = "/api/communities/{id}/rules",
    tag = "plans",
    summary = "Set a community's grid rules (EditPlan; audited).",
    params(("id" = i64, Path, description = "Community id.")),
    request_body = Rules,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = RulesView),
        (status = 422, description = "Rules that contradict themselves (`invalid_rules`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn put_rules(
    State(state): State<AppState>,
    principal: Principal,
    Path(community_id): Path<Id>,
    Body(rules): Body<Rules>,
) -> PlanResult<Json<RulesView>> {
    principal.require(Permission::EditPlan { community_id })?;
    known_community(&state, community_id)?;
    rules.check().map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rules",
            e.to_string(),
        )
    })?;
    let text = serde_json::to_string(&rules)
        .map_err(|e| ApiError::internal(format!("cannot encode rules: {e}")))?;
    let mut tx = state.store.begin().await?;
    tx.set_community_rules(community_id, &text).await?;
    tx.append_audit(
        &principal
            .audit("plan.rules")
            .target(format!("community:{community_id}"))
            .detail(serde_json::to_value(&rules).unwrap_or(Value::Null)),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(RulesView {
        community_id,
        rules,
        custom: true,
    }))
}

fn known_community(state: &AppState, id: Id) -> Result<(), ApiError> {
    match state.atlas().community(id) {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(
            "unknown_community",
            format!("no community {id}"),
        )),
    }
}

// ---------------------------------------------------------------- plans

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this community's plans.
    community: Option<Id>,
}

impl QueryParams for ListQuery {
    fn error_code(_: Option<&str>) -> &'static str {
        "bad_community"
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanList {
    plans: Vec<Plan>,
}

/// Plans the caller may read, newest first.
#[utoipa::path(
    get,
    path = "/api/plans",
    tag = "plans",
    summary = "Plans the caller may read, newest first.",
    params(ListQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = PlanList),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> PlanResult<Json<PlanList>> {
    if let Some(community_id) = q.community {
        principal.require(Permission::ReadPlans { community_id })?;
    }
    let plans = state
        .store
        .plans(q.community)
        .await?
        .into_iter()
        .filter(|p| {
            principal
                .require(Permission::ReadPlans {
                    community_id: p.community_id,
                })
                .is_ok()
        })
        .collect();
    Ok(Json(PlanList { plans }))
}

/// A plan with its newest state and per-grid summary.
#[derive(Serialize, ToSchema)]
pub struct PlanView {
    plan: Plan,
    version: i64,
    state: PlanState,
    grids: Vec<GridSummary>,
    can_undo: bool,
    can_redo: bool,
}

async fn view(state: &AppState, plan: Plan) -> PlanResult<PlanView> {
    let store = state.store.as_ref();
    let ws = Workspace::open(store, &state.atlas(), &plan, plan.version).await?;
    let stacks = history::stacks(&store.plan_history(plan.id).await?);
    Ok(PlanView {
        version: plan.version,
        grids: ws.summary(),
        state: ws.state,
        plan,
        can_undo: !stacks.undo.is_empty(),
        can_redo: !stacks.redo.is_empty(),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct CreateBody {
    community_id: Id,
    /// 1–200 characters (spaces around are dropped).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
    /// Start from this plan's newest state instead of the published grids.
    #[serde(default)]
    from: Option<Id>,
}

#[utoipa::path(
    post,
    path = "/api/plans",
    tag = "plans",
    summary = "A new draft from the published grids or another plan (EditPlan; audited).",
    request_body = CreateBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "OK", body = PlanView),
        (status = 404, description = "No such plan to copy (`not_found`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Body(body): Body<CreateBody>,
) -> PlanResult<(StatusCode, Json<PlanView>)> {
    let community_id = body.community_id;
    principal.require(Permission::EditPlan { community_id })?;
    let store = state.store.as_ref();
    let (plan_state, base_published) = match body.from {
        Some(from) => {
            let base = load::plan(store, from).await?;
            if base.community_id != community_id {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "other_community",
                    format!("plan {from} belongs to community {}", base.community_id),
                ));
            }
            let base_published =
                rebase::base_for_new_draft(store, community_id, Some(&base)).await?;
            (
                load::state(store, from, base.version).await?,
                base_published,
            )
        }
        None => {
            // The published plan first, then the grids: a publish in between
            // can only make the draft's base look older than its grids.
            let base_published = rebase::base_for_new_draft(store, community_id, None).await?;
            state.reload_if_changed().await?;
            let work = CommunityWork::open(store, &state.atlas(), community_id).await?;
            let grids = publish::from_published(
                &state.atlas(),
                &work.input,
                store.retired_codes(community_id).await?,
            );
            (grids, base_published)
        }
    };
    let edit = json!({"kind": "create", "from": body.from});
    let plan = insert(
        &state,
        &principal,
        community_id,
        &body.name,
        (body.from, base_published),
        &edit,
        &plan_state,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, plan).await?)))
}

/// Store a new draft plan at version 1, audited. `bases`: the plan it was
/// copied from, and the published plan it builds on.
async fn insert(
    state: &AppState,
    principal: &Principal,
    community_id: Id,
    name: &str,
    bases: (Option<Id>, Option<Id>),
    edit: &Value,
    plan_state: &PlanState,
) -> PlanResult<Plan> {
    write::insert(
        state.store.as_ref(),
        community_id,
        name,
        bases.0,
        bases.1,
        edit,
        plan_state,
        &principal.actor(),
        principal.audit("plan.create"),
    )
    .await
    .map_err(ApiError::from)
}

/// A plan the caller may read.
async fn readable(state: &AppState, principal: &Principal, id: Id) -> PlanResult<Plan> {
    let plan = load::plan(state.store.as_ref(), id).await?;
    principal.require(Permission::ReadPlans {
        community_id: plan.community_id,
    })?;
    Ok(plan)
}

/// A draft the caller may edit, at `version` (else stale).
async fn writable(
    state: &AppState,
    principal: &Principal,
    id: Id,
    version: i64,
) -> PlanResult<Plan> {
    let plan = load::plan(state.store.as_ref(), id).await?;
    principal.require(Permission::EditPlan {
        community_id: plan.community_id,
    })?;
    if plan.status != PlanStatus::Draft {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_draft",
            format!("plan {id} is {}; only drafts change", plan.status.as_str()),
        ));
    }
    if version != plan.version {
        return Err(PlanError::Stale {
            plan: id,
            expected: version,
            current: plan.version,
        }
        .into());
    }
    Ok(plan)
}

/// Append a version made on `version`, audited in the same transaction.
#[allow(clippy::too_many_arguments)]
async fn append(
    state: &AppState,
    principal: &Principal,
    plan: &Plan,
    version: i64,
    op: PlanOp,
    edit: &Value,
    new_state: &PlanState,
    action: &str,
) -> PlanResult<i64> {
    write::append(
        state.store.as_ref(),
        plan.id,
        version,
        op,
        edit,
        new_state,
        &principal.actor(),
        principal.audit(action),
    )
    .await
    .map_err(ApiError::from)
}

#[utoipa::path(
    get,
    path = "/api/plans/{id}",
    tag = "plans",
    summary = "A plan with its grids (ReadPlans).",
    params(("id" = i64, Path, description = "Plan id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = PlanView),
    ),
)]
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
) -> PlanResult<Json<PlanView>> {
    let plan = readable(&state, &principal, id).await?;
    Ok(Json(view(&state, plan).await?))
}

// ---------------------------------------------------------------- edits

#[derive(Deserialize, ToSchema)]
pub struct EditBody {
    version: i64,
    edit: Edit,
}

#[derive(Serialize, ToSchema)]
pub struct Edited {
    version: i64,
    summary: EditSummary,
    grids: Vec<GridSummary>,
}

#[utoipa::path(
    post,
    path = "/api/plans/{id}/edits",
    tag = "plans",
    summary = "Apply one edit at `version` (409 with the current version when stale; EditPlan; audited).",
    params(("id" = i64, Path, description = "Plan id.")),
    request_body = EditBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = Edited),
        (status = 409, description = "A stale version (`stale_version`, with `current_version`), or not a draft (`not_draft`), or a locked grid (`grid_locked`).", body = crate::error::ErrorBody),
        (status = 422, description = "The edit or run is not possible (`code` names why).", body = crate::error::ErrorBody),
    ),
)]
pub async fn edit(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
    Body(body): Body<EditBody>,
) -> PlanResult<Json<Edited>> {
    let plan = writable(&state, &principal, id, body.version).await?;
    let store = state.store.as_ref();
    let mut ws = Workspace::open(store, &state.atlas(), &plan, body.version).await?;
    let summary = body.edit.apply(&ws.input, &mut ws.state)?;
    let edit = serde_json::to_value(&body.edit)
        .map_err(|e| ApiError::internal(format!("cannot encode the edit: {e}")))?;
    let version = append(
        &state,
        &principal,
        &plan,
        body.version,
        PlanOp::Edit,
        &edit,
        &ws.state,
        "plan.edit",
    )
    .await?;
    Ok(Json(Edited {
        version,
        summary,
        grids: ws.summary(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct VersionBody {
    version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Stepped {
    version: i64,
    /// The step undone or redone.
    step: Step,
    grids: Vec<GridSummary>,
    can_undo: bool,
    can_redo: bool,
}

#[utoipa::path(
    post,
    path = "/api/plans/{id}/undo",
    tag = "plans",
    summary = "Undo the newest edit (EditPlan; audited).",
    params(("id" = i64, Path, description = "Plan id.")),
    request_body = VersionBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = Stepped),
        (status = 409, description = "A stale version (`stale_version`), not a draft, or nothing to undo (`nothing_to_undo`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn undo(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
    Body(body): Body<VersionBody>,
) -> PlanResult<Json<Stepped>> {
    step(state, principal, id, body.version, PlanOp::Undo).await
}

#[utoipa::path(
    post,
    path = "/api/plans/{id}/redo",
    tag = "plans",
    summary = "Redo the newest undone edit (EditPlan; audited).",
    params(("id" = i64, Path, description = "Plan id.")),
    request_body = VersionBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = Stepped),
        (status = 409, description = "A stale version (`stale_version`), not a draft, or nothing to redo (`nothing_to_redo`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn redo(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
    Body(body): Body<VersionBody>,
) -> PlanResult<Json<Stepped>> {
    step(state, principal, id, body.version, PlanOp::Redo).await
}

async fn step(
    state: AppState,
    principal: Principal,
    id: Id,
    version: i64,
    op: PlanOp,
) -> PlanResult<Json<Stepped>> {
    let plan = writable(&state, &principal, id, version).await?;
    let store = state.store.as_ref();
    let mut stacks = history::stacks(&store.plan_history(id).await?);
    let (step, restore, name) = if op == PlanOp::Undo {
        let s = stacks.undo.pop().ok_or_else(|| {
            ApiError::new(StatusCode::CONFLICT, "nothing_to_undo", "no edit to undo")
        })?;
        stacks.redo.push(s);
        (s, s.before, "undo")
    } else {
        let s = stacks.redo.pop().ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "nothing_to_redo",
                "no undone edit to redo",
            )
        })?;
        stacks.undo.push(s);
        (s, s.after, "redo")
    };
    let restored = load::state(store, id, restore).await?;
    let edit = json!({"kind": name, "before": step.before, "after": step.after});
    let v = append(
        &state,
        &principal,
        &plan,
        version,
        op,
        &edit,
        &restored,
        &format!("plan.{name}"),
    )
    .await?;
    let work = CommunityWork::open(store, &state.atlas(), plan.community_id).await?;
    Ok(Json(Stepped {
        version: v,
        step,
        grids: work.summary(&restored),
        can_undo: !stacks.undo.is_empty(),
        can_redo: !stacks.redo.is_empty(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    version: i64,
    op: PlanOp,
    edit: Value,
    author: String,
    at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct History {
    history: Vec<HistoryEntry>,
}

#[utoipa::path(
    get,
    path = "/api/plans/{id}/history",
    tag = "plans",
    summary = "Every version of a plan with who made it (ReadPlans).",
    params(("id" = i64, Path, description = "Plan id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = History),
    ),
)]
pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
) -> PlanResult<Json<History>> {
    readable(&state, &principal, id).await?;
    let history = state
        .store
        .plan_history(id)
        .await?
        .into_iter()
        .map(|v| HistoryEntry {
            version: v.version,
            op: v.op,
            edit: serde_json::from_str(&v.edit).unwrap_or(Value::String(v.edit)),
            author: v.author,
            at: v.at,
        })
        .collect();
    Ok(Json(History { history }))
}

// ---------------------------------------------------------------- engine runs

#[derive(Serialize, ToSchema)]
pub struct Validation {
    version: i64,
    breaks: Vec<Break>,
    clean: bool,
}

#[utoipa::path(
    get,
    path = "/api/plans/{id}/validate",
    tag = "plans",
    summary = "Rule violations of the plan's newest state (ReadPlans).",
    params(("id" = i64, Path, description = "Plan id.")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = Validation),
    ),
)]
pub async fn validate_plan(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
) -> PlanResult<Json<Validation>> {
    let plan = readable(&state, &principal, id).await?;
    let store = state.store.as_ref();
    let ws = Workspace::open(store, &state.atlas(), &plan, plan.version).await?;
    let breaks = tokio::task::spawn_blocking(move || validate(&ws.input, &ws.state, &ws.rules))
        .await
        .map_err(|e| ApiError::internal(format!("validation failed: {e}")))?;
    Ok(Json(Validation {
        version: plan.version,
        clean: breaks.is_empty(),
        breaks,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PartitionBody {
    version: i64,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    seed: u64,
    /// Only these grids are redrawn (rebalance a selection).
    #[serde(default)]
    grids: Option<BTreeSet<GridKey>>,
    /// Rules for this run instead of the community's.
    #[serde(default)]
    rules: Option<Rules>,
    /// Where the rules are proven impossible, draw the nearest grids and
    /// report the rules left broken instead of answering 422.
    #[serde(default)]
    best_effort: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Partitioned {
    version: i64,
    report: PartitionReport,
    grids: Vec<GridSummary>,
}

#[utoipa::path(
    post,
    path = "/api/plans/{id}/partition",
    tag = "plans",
    summary = "Redraw grids automatically (fresh or rebalance; EditPlan; audited).",
    params(("id" = i64, Path, description = "Plan id.")),
    request_body = PartitionBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = Partitioned),
        (status = 409, description = "A stale version (`stale_version`, with `current_version`), or not a draft (`not_draft`), or a locked grid (`grid_locked`).", body = crate::error::ErrorBody),
        (status = 422, description = "The rules cannot be met (`infeasible`, with `reason` and `buildings`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn partition_plan(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
    Body(body): Body<PartitionBody>,
) -> PlanResult<Json<Partitioned>> {
    let plan = writable(&state, &principal, id, body.version).await?;
    let store = state.store.as_ref();
    let ws = Workspace::open_with(store, &state.atlas(), &plan, body.version, body.rules).await?;
    let options = PartitionOptions {
        mode: body.mode,
        seed: body.seed,
        grids: body.grids.clone(),
        skip_compactness: false,
        best_effort: body.best_effort,
    };
    let edit = json!({
        "kind": "partition",
        "mode": body.mode,
        "seed": body.seed,
        "grids": body.grids,
        "rules": ws.rules,
        "best_effort": body.best_effort,
    });
    let (outcome, ws) = tokio::task::spawn_blocking(move || {
        partition(&ws.input, &ws.state, &ws.rules, &options).map(|o| (o, ws))
    })
    .await
    .map_err(|e| ApiError::internal(format!("partition failed: {e}")))??;
    let version = append(
        &state,
        &principal,
        &plan,
        body.version,
        PlanOp::Edit,
        &edit,
        &outcome.plan,
        "plan.partition",
    )
    .await?;
    Ok(Json(Partitioned {
        version,
        grids: load::summary(&ws.input, &outcome.plan, &ws.rules),
        report: outcome.report,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PublishBody {
    version: i64,
    /// Publish despite rule breaks: admins only, audited as forced.
    #[serde(default)]
    force: bool,
    /// Publish although the draft was made from another published plan than
    /// the community's current one (replacing that publish): needs `reason`,
    /// audited.
    #[serde(default)]
    force_base: bool,
    /// Why the other publish is replaced (1–500 characters; with `force_base`).
    #[serde(default)]
    #[schema(max_length = 500)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/plans/{id}/publish",
    tag = "plans",
    summary = "Make the plan the community's grids (EditPlan; audited). 422 `plan_has_breaks` (with `breaks`) when it breaks a rule (`force`: admins only); 409 `base_changed` (with `base_plan`, `published_plan`, `changes`) when the draft was made from another published plan than the current one (rebase it, or `force_base` with a `reason`, audited).",
    params(("id" = i64, Path, description = "Plan id.")),
    request_body = PublishBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = crate::plans::publish::Published),
        (status = 409, description = "A stale version (`stale_version`), not a draft, or another publish since the draft was made (`base_changed`).", body = crate::error::ErrorBody),
        (status = 422, description = "The plan breaks a rule (`plan_has_breaks`, with `breaks`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn publish_plan(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
    Body(body): Body<PublishBody>,
) -> PlanResult<Json<Published>> {
    let plan = load::plan(state.store.as_ref(), id).await?;
    principal.require(Permission::EditPlan {
        community_id: plan.community_id,
    })?;
    let force = if body.force {
        if principal.user.role != Role::Admin {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "force_needs_admin",
                format!(
                    "only an admin may publish a plan despite its rule breaks (`{}` is {})",
                    principal.user.username, principal.user.role
                ),
            ));
        }
        publish::Force::Yes
    } else {
        publish::Force::No
    };
    let base = if body.force_base {
        publish::BaseCheck::force(body.reason.as_deref())?
    } else {
        publish::BaseCheck::Required
    };
    // Catch up with writes made through other servers before comparing.
    state.reload_if_changed().await?;
    let out = publish::publish(
        state.store.as_ref(),
        &state.atlas(),
        &plan,
        body.version,
        &principal.actor(),
        principal.audit("plan.publish"),
        force,
        base,
    )
    .await?;
    state.reload().await?;
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct RebasedView {
    #[serde(flatten)]
    rebased: Rebased,
    grids: Vec<GridSummary>,
    can_undo: bool,
    can_redo: bool,
}

/// Move a draft onto the community's published plan: its edits replayed,
/// conflicts listed (see [`crate::plans::rebase`]).
#[utoipa::path(
    post,
    path = "/api/plans/{id}/rebase",
    tag = "plans",
    summary = "Move a draft onto the community's published plan: it restarts from the published grids (undo stops there) and its own edits are replayed as new versions; the edits that could not be replayed, or were replayed over the other publish's change, are listed as `conflicts` (EditPlan; audited). 409 `base_current` when it already builds on the published plan, `rebase_unsupported` for a copy of another draft or an import.",
    params(("id" = i64, Path, description = "Plan id.")),
    request_body = VersionBody,
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = RebasedView),
        (status = 409, description = "A stale version (`stale_version`), not a draft, `base_current` or `rebase_unsupported`.", body = crate::error::ErrorBody),
    ),
)]
pub async fn rebase_plan(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
    Body(body): Body<VersionBody>,
) -> PlanResult<Json<RebasedView>> {
    let plan = writable(&state, &principal, id, body.version).await?;
    let store = state.store.as_ref();
    // The published plan first, then the grids (see `create`).
    let current = rebase::published_plan(store, plan.community_id).await?;
    state.reload_if_changed().await?;
    let atlas = state.atlas();
    let rebased = rebase::rebase(
        store,
        &atlas,
        &plan,
        body.version,
        current,
        &principal.actor(),
        principal.audit("plan.rebase"),
    )
    .await?;
    let work = CommunityWork::open(store, &atlas, plan.community_id).await?;
    let now = load::state(store, id, rebased.version).await?;
    let stacks = history::stacks(&store.plan_history(id).await?);
    Ok(Json(RebasedView {
        grids: work.summary(&now),
        can_undo: !stacks.undo.is_empty(),
        can_redo: !stacks.redo.is_empty(),
        rebased,
    }))
}

/// A plan at a version.
#[derive(Serialize, ToSchema)]
pub struct PlanAt {
    id: Id,
    version: i64,
}

/// A building whose grid changes between the two plans.
#[derive(Serialize, ToSchema)]
pub struct DiffMove {
    building: Id,
    /// Grid key in plan `a`.
    from: Option<GridKey>,
    /// Grid key in plan `b`.
    to: Option<GridKey>,
    from_code: Option<String>,
    to_code: Option<String>,
}

/// A grid by key and code.
#[derive(Serialize, ToSchema)]
pub struct KeyCode {
    key: GridKey,
    code: Option<String>,
}

/// What changes from plan `a` to plan `b`.
#[derive(Serialize, ToSchema)]
pub struct PlanDiffView {
    a: PlanAt,
    b: PlanAt,
    buildings_moved: usize,
    moved: Vec<DiffMove>,
    grids_added: Vec<KeyCode>,
    grids_removed: Vec<KeyCode>,
    /// Keys of grids in both whose code, name, kind, lock or people changed.
    grids_changed: Vec<GridKey>,
    households_moved: u64,
}

#[utoipa::path(
    get,
    path = "/api/plans/{id}/diff/{other}",
    tag = "plans",
    summary = "Buildings that change grid between two plans of one community (ReadPlans).",
    params(
        ("id" = i64, Path, description = "Plan id."),
        ("other" = i64, Path, description = "The other plan's id."),
    ),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = PlanDiffView),
        (status = 422, description = "Plans of different communities (`other_community`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn diff_plans(
    State(state): State<AppState>,
    principal: Principal,
    Path((a, b)): Path<(Id, Id)>,
) -> PlanResult<Json<PlanDiffView>> {
    let pa = readable(&state, &principal, a).await?;
    let pb = readable(&state, &principal, b).await?;
    if pa.community_id != pb.community_id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "other_community",
            "plans of different communities cannot be compared",
        ));
    }
    let store = state.store.as_ref();
    let sa = load::state(store, a, pa.version).await?;
    // Keys are per lineage; codes are stable: compare by code.
    let sb = align_by_code(&sa, &load::state(store, b, pb.version).await?);
    let work = CommunityWork::open(store, &state.atlas(), pa.community_id).await?;
    let d = diff(&work.input, &sa, &sb);
    let code = |s: &PlanState, k: Option<GridKey>| -> Option<String> {
        k.and_then(|k| s.grid(k)).map(|g| g.code.clone())
    };
    let moved: Vec<DiffMove> = d
        .moved
        .iter()
        .map(|m| DiffMove {
            building: m.building,
            from: m.from,
            to: m.to,
            from_code: code(&sa, m.from),
            to_code: code(&sb, m.to),
        })
        .collect();
    Ok(Json(PlanDiffView {
        a: PlanAt {
            id: a,
            version: pa.version,
        },
        b: PlanAt {
            id: b,
            version: pb.version,
        },
        buildings_moved: moved.len(),
        moved,
        grids_added: d
            .grids_added
            .iter()
            .map(|&key| KeyCode {
                key,
                code: code(&sb, Some(key)),
            })
            .collect(),
        grids_removed: d
            .grids_removed
            .iter()
            .map(|&key| KeyCode {
                key,
                code: code(&sa, Some(key)),
            })
            .collect(),
        grids_changed: d.grids_changed,
        households_moved: d.households_moved,
    }))
}

// ---------------------------------------------------------------- exchange

#[utoipa::path(
    get,
    path = "/api/plans/{id}/export.geojson",
    tag = "plans",
    summary = "The plan's grids as GeoJSON (ReadPlans).",
    params(("id" = i64, Path, description = "Plan id.")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = PlanExport)),
)]
pub async fn export_geojson(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
) -> PlanResult<Response> {
    let plan = readable(&state, &principal, id).await?;
    let store = state.store.as_ref();
    let ws = Workspace::open(store, &state.atlas(), &plan, plan.version).await?;
    let fc = tokio::task::spawn_blocking(move || to_geojson(&ws.input, &ws.state).to_string())
        .await
        .map_err(|e| ApiError::internal(format!("export failed: {e}")))?;
    Ok(file(
        fc,
        geojson::MEDIA_TYPE,
        &format!("plan-{id}-v{}.geojson", plan.version),
    ))
}

#[utoipa::path(
    get,
    path = "/api/plans/{id}/export.csv",
    tag = "plans",
    summary = "The plan's `building_id,grid_code` assignment (ReadPlans).",
    params(("id" = i64, Path, description = "Plan id.")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = inline(super::openapi::Text))),
)]
pub async fn export_csv(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
) -> PlanResult<Response> {
    let plan = readable(&state, &principal, id).await?;
    let plan_state = load::state(state.store.as_ref(), id, plan.version).await?;
    Ok(file(
        assignment_csv(&plan_state),
        "text/csv; charset=utf-8",
        &format!("plan-{id}-v{}.csv", plan.version),
    ))
}

fn file(body: String, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Community id.
    community: Id,
    /// Name of the draft, 1–200 characters (default `imported`).
    #[param(min_length = 1, max_length = 200, pattern = r"\S")]
    name: Option<String>,
}

impl QueryParams for ImportQuery {
    fn error_code(field: Option<&str>) -> &'static str {
        match field {
            Some("name") => "bad_name",
            _ => "bad_community",
        }
    }
}

/// A new draft from a `building_id,grid_code` CSV (a paper plan).
#[utoipa::path(
    post,
    path = "/api/plans/import",
    tag = "plans",
    summary = "A new draft from a `building_id,grid_code` CSV (EditPlan; audited).",
    params(ImportQuery),
    request_body(content = inline(super::openapi::Text), content_type = "text/csv", description = "`building_id,grid_code` rows with a header line."),
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PlanView),
        (status = 404, description = "No such community.", body = crate::error::ErrorBody),
        (status = 422, description = "The CSV does not make a plan (`code` names why).", body = crate::error::ErrorBody),
    ),
)]
pub async fn import(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<PlanView>), Response> {
    let community_id = q.community;
    principal
        .require(Permission::EditPlan { community_id })
        .map_err(IntoResponse::into_response)?;
    // Read only after the permission check, and never past the limit.
    let body = crate::limits::read_limited(body, state.limits.config.max_import_bytes).await?;
    let body = String::from_utf8(body).map_err(|e| {
        ApiError::bad_request(
            "bad_csv",
            format!(
                "the CSV is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
        .into_response()
    })?;
    import_csv(&state, &principal, community_id, q.name, &body)
        .await
        .map_err(IntoResponse::into_response)
}

async fn import_csv(
    state: &AppState,
    principal: &Principal,
    community_id: Id,
    name: Option<String>,
    body: &str,
) -> PlanResult<(StatusCode, Json<PlanView>)> {
    let store = state.store.as_ref();
    // An import replaces the published grids wholesale: it builds on the
    // plan published now.
    let base_published = rebase::base_for_new_draft(store, community_id, None).await?;
    let work = CommunityWork::open(store, &state.atlas(), community_id).await?;
    let rows = parse_assignment_csv(body)?;
    let mut plan_state = plan_from_assignment(&work.input, &rows)?;
    plan_state
        .retired_codes
        .extend(store.retired_codes(community_id).await?);
    let name = name.unwrap_or_else(|| "imported".to_owned());
    let edit = json!({"kind": "import", "rows": rows.len()});
    let plan = insert(
        state,
        principal,
        community_id,
        &name,
        (None, base_published),
        &edit,
        &plan_state,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(state, plan).await?)))
}

// ---------------------------------------------------------------- planner's map

#[derive(Serialize, ToSchema)]
pub struct CommunityItem {
    id: Id,
    code: String,
    name: String,
    /// `[west, south, east, north]`.
    bbox: Option<[f64; 4]>,
    can_edit: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CommunityList {
    communities: Vec<CommunityItem>,
}

/// The communities whose plans the caller may read, by code.
#[utoipa::path(
    get,
    path = "/api/communities",
    tag = "plans",
    summary = "The communities the caller may read plans of, with bounds and whether they may edit them.",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = CommunityList)),
)]
pub async fn communities(
    State(state): State<AppState>,
    principal: Principal,
) -> PlanResult<Json<CommunityList>> {
    let atlas = state.atlas();
    let mut communities: Vec<CommunityItem> = atlas
        .data()
        .communities
        .iter()
        .filter(|c| {
            principal
                .require(Permission::ReadPlans { community_id: c.id })
                .is_ok()
        })
        .map(|c| CommunityItem {
            id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            bbox: bbox(&c.boundary),
            can_edit: principal
                .require(Permission::EditPlan { community_id: c.id })
                .is_ok(),
        })
        .collect();
    communities.sort_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
    Ok(Json(CommunityList { communities }))
}

fn bbox(m: &geo::MultiPolygon<f64>) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    m.bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// What the planner's map draws for a plan.
#[derive(Serialize, ToSchema)]
pub struct Layers {
    plan: Id,
    version: i64,
    community_id: Id,
    /// `[west, south, east, north]` of the community.
    bbox: Option<[f64; 4]>,
    /// The community's boundary.
    #[schema(value_type = Option<MultiPolygonGeometry>)]
    boundary: Option<::geojson::Geometry>,
    #[schema(value_type = GridFeatures)]
    grids: ::geojson::FeatureCollection,
    #[schema(value_type = BuildingFeatures)]
    buildings: ::geojson::FeatureCollection,
}

/// What the planner's map draws for a plan's newest version: the derived
/// grid polygons (keyed) and every building point of the community with its
/// households and grid key. Draft geometry, so never public: `ReadPlans`.
#[utoipa::path(
    get,
    path = "/api/plans/{id}/layers",
    tag = "plans",
    summary = "The plan's map: derived grid polygons and building points with households and grid (ReadPlans).",
    params(("id" = i64, Path, description = "Plan id.")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = Layers)),
)]
pub async fn layers(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Id>,
) -> PlanResult<Json<Layers>> {
    let plan = readable(&state, &principal, id).await?;
    let store = state.store.as_ref();
    let atlas = state.atlas();
    let Workspace {
        state: plan_state,
        input,
        ..
    } = Workspace::open(store, &atlas, &plan, plan.version).await?;
    let boundary = atlas
        .community(plan.community_id)
        .map(|c| (bbox(&c.boundary), geojson::multipolygon(&c.boundary)));
    let names: Vec<Option<String>> = input
        .buildings
        .iter()
        .map(|b| {
            atlas
                .building(b.id)
                .and_then(|x| x.name.clone().or_else(|| x.address.clone()))
        })
        .collect();
    let body = tokio::task::spawn_blocking(move || {
        let polys = grid_polygons(&input, &plan_state);
        let grids = polys
            .iter()
            .map(|(&key, m)| {
                geojson::feature(
                    Some(i64::from(key)),
                    Some(geojson::multipolygon(m)),
                    &GridProperties { key },
                )
            })
            .collect();
        let buildings = input
            .buildings
            .iter()
            .zip(names)
            .map(|(b, name)| {
                geojson::feature(
                    Some(b.id),
                    Some(geojson::point(b.point)),
                    &BuildingProperties {
                        households: b.households,
                        grid: plan_state.assignment.get(&b.id).copied(),
                        name,
                    },
                )
            })
            .collect();
        let (bbox, boundary) = match boundary {
            Some((bbox, shape)) => (bbox, Some(shape)),
            None => (None, None),
        };
        Layers {
            plan: id,
            version: plan.version,
            community_id: plan.community_id,
            bbox,
            boundary,
            grids: geojson::collection(grids),
            buildings: geojson::collection(buildings),
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("plan layers failed: {e}")))?;
    Ok(Json(body))
}
