//! Errors of the plan service and their HTTP form: every one a JSON body
//! with a stable `code`; a stale edit also says the plan's current version,
//! an infeasible partition says why and which buildings, a publish over a
//! changed base what the other publish changed, an unreadable stored state
//! its plan and version.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridmap_analysis::planning::{Break, EditError, ExchangeError, Infeasible, PartitionError};
use gridmap_data::DataError;
use serde_json::json;

use super::rebase::BaseChanged;
use crate::error::ApiError;

/// A plan operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Generic API error (not found, forbidden, bad request …).
    #[error("{}", .0.message)]
    Api(ApiError),
    /// The edit was made on an older version than the stored one.
    #[error("plan {plan} is at version {current}, the request was made on version {expected}")]
    Stale {
        plan: i64,
        expected: i64,
        current: i64,
    },
    /// The engine rejected an edit.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// The automatic partition failed.
    #[error(transparent)]
    Partition(#[from] PartitionError),
    /// A CSV import failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// Publishing refused: the plan breaks hard rules (and no admin forced it).
    #[error(
        "plan {plan} has {} rule break(s) and cannot be published; fix them, or an admin may publish with force",
        .breaks.len()
    )]
    HasBreaks { plan: i64, breaks: Vec<Break> },
    /// Publishing refused: the draft was made from another published plan
    /// than the community's current one (its publish would undo that one).
    #[error("{0}")]
    BaseChanged(Box<BaseChanged>),
    /// A stored plan state does not read back (written by an older release,
    /// or damaged): named with its plan and version, with the way back.
    #[error(
        "plan {plan} version {version} is stored in a form that cannot be read ({reason}); undo the edit that made it (POST /api/plans/{plan}/undo) to return to the version before"
    )]
    Unreadable {
        plan: i64,
        version: i64,
        reason: String,
    },
}

impl From<ApiError> for PlanError {
    fn from(e: ApiError) -> Self {
        PlanError::Api(e)
    }
}

impl From<DataError> for PlanError {
    fn from(e: DataError) -> Self {
        match e {
            DataError::Conflict {
                plan,
                expected,
                actual,
            } => PlanError::Stale {
                plan,
                expected,
                current: actual,
            },
            DataError::NotFound { what, id } => {
                PlanError::Api(ApiError::not_found("not_found", format!("no {what} {id}")))
            }
            other => PlanError::Api(ApiError::from(other)),
        }
    }
}

impl PlanError {
    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            PlanError::Api(e) => e.status,
            PlanError::Stale { .. } => StatusCode::CONFLICT,
            PlanError::Edit(EditError::Locked(_)) => StatusCode::CONFLICT,
            PlanError::Edit(EditError::UnknownGrid(_) | EditError::UnknownBuilding(_)) => {
                StatusCode::BAD_REQUEST
            }
            PlanError::Edit(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PlanError::Partition(PartitionError::UnknownGrid(_)) => StatusCode::BAD_REQUEST,
            PlanError::Partition(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PlanError::Exchange(ExchangeError::TooManyRows { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            PlanError::Exchange(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PlanError::HasBreaks { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            PlanError::BaseChanged(_) => StatusCode::CONFLICT,
            PlanError::Unreadable { .. } => StatusCode::CONFLICT,
        }
    }

    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::Api(e) => e.code,
            PlanError::Stale { .. } => "stale_version",
            PlanError::Edit(e) => e.code(),
            PlanError::Partition(e) => e.code(),
            PlanError::Exchange(e) => e.code(),
            PlanError::HasBreaks { .. } => "plan_has_breaks",
            PlanError::BaseChanged(_) => "base_changed",
            PlanError::Unreadable { .. } => "plan_state_unreadable",
        }
    }
}

fn infeasible_body(code: &str, message: &str, inf: &Infeasible) -> serde_json::Value {
    json!({
        "code": code,
        "message": message,
        "reason": inf.reason,
        "buildings": inf.buildings,
    })
}

impl IntoResponse for PlanError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        let message = self.to_string();
        let body = match &self {
            PlanError::Api(e) => return e.clone().into_response(),
            PlanError::Stale { current, .. } => json!({
                "code": code,
                "message": message,
                "current_version": current,
            }),
            PlanError::Partition(PartitionError::Infeasible(inf)) => {
                infeasible_body(code, &message, inf)
            }
            PlanError::HasBreaks { breaks, .. } => json!({
                "code": code,
                "message": message,
                "breaks": breaks,
            }),
            PlanError::BaseChanged(b) => json!({
                "code": code,
                "message": message,
                "plan": b.plan,
                "base_plan": b.base_plan,
                "published_plan": b.published_plan,
                "changes": b.changes,
            }),
            PlanError::Unreadable { plan, version, .. } => {
                tracing::error!(plan, version, "{message}");
                json!({
                    "code": code,
                    "message": message,
                    "plan": plan,
                    "version": version,
                })
            }
            _ => json!({ "code": code, "message": message }),
        };
        (status, Json(body)).into_response()
    }
}
