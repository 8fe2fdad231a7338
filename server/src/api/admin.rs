//! Admin-only reads: `GET /api/admin/audit?limit&before` (newest first,
//! page backwards with `before` = the smallest id seen) and
//! `GET /api/admin/users`.

use axum::Json;
use axum::extract::{Query, State};
use gridmap_data::model::Id;
use gridmap_data::store::accounts::{AuditRecord, User};
use serde::{Deserialize, Serialize};

use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// Most audit rows one request returns.
pub const MAX_AUDIT_PAGE: u32 = 1000;

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<u32>,
    before: Option<Id>,
}

#[derive(Serialize)]
pub struct AuditPage {
    entries: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; absent at the end.
    next_before: Option<Id>,
}

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

#[derive(Serialize)]
pub struct Users {
    users: Vec<User>,
}

pub async fn users(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Users>, ApiError> {
    principal.require(Permission::ManageUsers)?;
    Ok(Json(Users {
        users: state.store.accounts().users().await?,
    }))
}
