//! Admin-only reads: `GET /api/admin/audit?limit&before` (newest first,
//! page backwards with `before` = the smallest id seen) and
//! `GET /api/admin/users`.

use axum::Json;
use axum::extract::State;
use gridmap_data::model::Id;
use gridmap_data::store::accounts::{AuditRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::accounts_schema::{AuditRecordSchema, UserSchema};
use super::params::{Query, QueryParams};

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// Most audit rows one request returns.
pub const MAX_AUDIT_PAGE: u32 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Rows (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Only rows older than this id.
    before: Option<Id>,
}

impl QueryParams for AuditQuery {
    fn error_code(field: Option<&str>) -> &'static str {
        match field {
            Some("limit") => "bad_limit",
            Some("before") => "bad_before",
            _ => "bad_query",
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<AuditRecordSchema>)]
    entries: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; absent at the end.
    next_before: Option<Id>,
}

#[utoipa::path(
    get,
    path = "/api/admin/audit",
    tag = "admin",
    summary = "The audit log, newest first (admins).",
    params(AuditQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = AuditPage)),
)]
pub async fn audit(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    principal.require(Permission::ReadAudit)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_AUDIT_PAGE {
        return Err(ApiError::bad_request(
            "bad_limit",
            format!("limit must be 1..={MAX_AUDIT_PAGE}"),
        ));
    }
    let entries = state.store.accounts().audit(limit, q.before).await?;
    let next_before = if entries.len() == limit as usize {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(AuditPage {
        entries,
        next_before,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Users {
    #[schema(value_type = Vec<UserSchema>)]
    users: Vec<User>,
}

#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "admin",
    summary = "Every user (admins).",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = Users)),
)]
pub async fn users(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Users>, ApiError> {
    principal.require(Permission::ManageUsers)?;
    Ok(Json(Users {
        users: state.store.accounts().users().await?,
    }))
}
