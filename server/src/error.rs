//! HTTP errors: every failure is a JSON body `{"code": "...", "message": "..."}`
//! with a stable machine-readable `code` (and, for some, more fields).
//!
//! This is the one place where the service layer's errors
//! (`gridmap_service`: [`PlanError`], [`SnapshotError`], [`QrError`], and
//! the store's [`DataError`]) get an HTTP status; handlers just use `?`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gridmap_analysis::planning::{EditError, ExchangeError, PartitionError};
use gridmap_data::DataError;
use gridmap_service::coverage::SnapshotError;
use gridmap_service::plans::PlanError;
use gridmap_service::qr::QrError;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// Every error's JSON body. Some errors add fields (a stale version adds
/// `current_version`; a publish refused for rule breaks adds `breaks`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    /// Stable machine-readable code, e.g. `bad_coordinates`.
    pub code: &'a str,
    /// What went wrong, for people.
    pub message: &'a str,
}

/// An API error: status, stable code, human message, and any further
/// fields of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Fields of the body beside `code` and `message` (e.g. a stale edit's
    /// `current_version`); `None` for most errors.
    pub details: Option<Box<Map<String, Value>>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The same error with these further body fields (`details` must be a
    /// JSON object; anything else is ignored).
    pub fn with_details(mut self, details: Value) -> Self {
        if let Value::Object(map) = details {
            self.details = Some(Box::new(map));
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.details {
            None => {
                let body = Json(ErrorBody {
                    code: self.code,
                    message: &self.message,
                });
                (self.status, body).into_response()
            }
            Some(details) => {
                let mut body = *details;
                body.insert("code".to_owned(), Value::from(self.code));
                body.insert("message".to_owned(), Value::from(self.message));
                (self.status, Json(Value::Object(body))).into_response()
            }
        }
    }
}

/// The store's errors: a plan version conflict is a stale edit (409
/// `stale_version`), a missing record 404 `not_found`, anything else 500
/// (logged), exactly as the plan service reports them.
impl From<DataError> for ApiError {
    fn from(e: DataError) -> Self {
        ApiError::from(PlanError::from(e))
    }
}

/// Plan errors: status per variant, the service's stable code, and the
/// fields each adds to the body.
impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> Self {
        use StatusCode as S;
        let status = match &e {
            PlanError::UnknownCommunity(_)
            | PlanError::UnknownPlan(_)
            | PlanError::UnknownVersion { .. }
            | PlanError::NotFound { .. } => S::NOT_FOUND,
            PlanError::BadName { .. } | PlanError::ReasonRequired { .. } => S::BAD_REQUEST,
            PlanError::BadCommunity(_) | PlanError::HasBreaks { .. } => S::UNPROCESSABLE_ENTITY,
            PlanError::NotDraft { .. }
            | PlanError::RebaseUnsupported { .. }
            | PlanError::NothingPublished { .. }
            | PlanError::AlreadyBased { .. }
            | PlanError::Stale { .. }
            | PlanError::BaseChanged(_)
            | PlanError::Unreadable { .. } => S::CONFLICT,
            PlanError::Edit(EditError::Locked(_)) => S::CONFLICT,
            // Naming a grid or building the plan does not have is a
            // well-formed edit that cannot apply: 422 like the other refusals.
            PlanError::Edit(_) => S::UNPROCESSABLE_ENTITY,
            PlanError::Partition(_) => S::UNPROCESSABLE_ENTITY,
            PlanError::Exchange(ExchangeError::TooManyRows { .. }) => S::PAYLOAD_TOO_LARGE,
            PlanError::Exchange(_) => S::UNPROCESSABLE_ENTITY,
            PlanError::RulesUnreadable { .. }
            | PlanError::Encode(_)
            | PlanError::NoCreateVersion(_)
            | PlanError::Task { .. }
            | PlanError::Store(_) => S::INTERNAL_SERVER_ERROR,
        };
        let error = ApiError::new(status, e.code(), e.to_string());
        match &e {
            PlanError::Stale { current, .. } => {
                error.with_details(json!({ "current_version": current }))
            }
            PlanError::Partition(PartitionError::Infeasible(inf)) => error.with_details(json!({
                "reason": inf.reason,
                "buildings": inf.buildings,
            })),
            PlanError::HasBreaks { breaks, .. } => error.with_details(json!({ "breaks": breaks })),
            PlanError::BaseChanged(b) => error.with_details(json!({
                "plan": b.plan,
                "base_plan": b.base_plan,
                "published_plan": b.published_plan,
                "changes": b.changes,
            })),
            PlanError::Unreadable { plan, version, .. } => {
                tracing::error!(plan, version, "{}", error.message);
                error.with_details(json!({ "plan": plan, "version": version }))
            }
            _ => error,
        }
    }
}

/// The engine's errors, as the plan service reports them.
impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        PlanError::from(e).into()
    }
}

impl From<PartitionError> for ApiError {
    fn from(e: PartitionError) -> Self {
        PlanError::from(e).into()
    }
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        PlanError::from(e).into()
    }
}

/// The walking-coverage snapshot: 503 while it is built, 500 if it failed.
impl From<SnapshotError> for ApiError {
    fn from(e: SnapshotError) -> Self {
        let status = match e {
            SnapshotError::Pending => StatusCode::SERVICE_UNAVAILABLE,
            SnapshotError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

/// A QR code that cannot be made is the server's fault.
impl From<QrError> for ApiError {
    fn from(e: QrError) -> Self {
        ApiError::internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_pending_coverage_snapshot_is_503_coverage_pending() {
        let e = ApiError::from(SnapshotError::Pending);
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "coverage_pending");
    }

    #[test]
    fn a_stale_edit_is_409_with_the_current_version() {
        let e = ApiError::from(DataError::Conflict {
            plan: 3,
            expected: 4,
            actual: 5,
        });
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(e.code, "stale_version");
        assert_eq!(
            e.details.as_deref().and_then(|d| d.get("current_version")),
            Some(&json!(5))
        );
    }
}
