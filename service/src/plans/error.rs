//! Errors of the plan service: what went wrong, with a stable machine
//! [`code`](PlanError::code) that the HTTP API and the CLI both report; a
//! stale edit also says the plan's current version, an infeasible partition
//! why and which buildings, a publish over a changed base what the other
//! publish changed, an unreadable stored state its plan and version. No HTTP
//! status: gridmap-server maps each variant to one (`server/src/error.rs`).

use gridmap_analysis::planning::{Break, EditError, ExchangeError, PartitionError};
use gridmap_data::DataError;
use gridmap_data::model::Id;

use super::rebase::BaseChanged;

/// What a plan operation was refused for when the plan is not a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftOnly {
    Publish,
    Rebase,
}

/// A plan operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The snapshot has no such community.
    #[error("no community {0}")]
    UnknownCommunity(Id),
    /// The community's data cannot be planned (the engine refused its input).
    #[error("{0}")]
    BadCommunity(String),
    /// No such plan.
    #[error("no plan {0}")]
    UnknownPlan(Id),
    /// The plan has no such version.
    #[error("plan {plan} has no version {version}")]
    UnknownVersion { plan: Id, version: i64 },
    /// The store found no such record while writing.
    #[error("no {what} {id}")]
    NotFound { what: &'static str, id: i64 },
    /// A plan name that is empty or too long.
    #[error("a plan name has 1–{max} characters")]
    BadName { max: usize },
    /// A forced publish over another publish without a usable reason.
    #[error(
        "publishing over another publish (force_base) needs a reason of 1–{max} characters; it is kept in the audit log"
    )]
    ReasonRequired { max: usize },
    /// Only drafts are published or rebased.
    #[error("{}", not_draft(*plan, status, *op))]
    NotDraft {
        plan: Id,
        status: &'static str,
        op: DraftOnly,
    },
    /// The draft did not start from the published grids, so its edits
    /// alone do not make it (`what` says what it is instead).
    #[error(
        "plan {plan} did not start from the published grids (it is {what}), so its edits alone do not make it; make a new draft from the published grids, or publish it with force_base and a reason"
    )]
    RebaseUnsupported { plan: Id, what: String },
    /// Nothing to rebase onto: the community has no published plan.
    #[error(
        "community {community} has no published plan: there is nothing to rebase plan {plan} onto"
    )]
    NothingPublished { community: Id, plan: Id },
    /// The draft is already based on the published plan.
    #[error("plan {plan} is already based on the published plan {published}")]
    AlreadyBased { plan: Id, published: Id },
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
    /// A community's stored rules do not read back.
    #[error("stored rules of community {community} are unreadable: {reason}")]
    RulesUnreadable { community: Id, reason: String },
    /// A state that would not read back is never stored.
    #[error("cannot encode plan state: {0}")]
    Encode(String),
    /// A plan's history lacks the version it was created (or rebased) at.
    #[error("plan {0} has no create version")]
    NoCreateVersion(Id),
    /// A blocking task of the operation failed (`what` names it).
    #[error("{what} failed: {reason}")]
    Task { what: &'static str, reason: String },
    /// The store failed (logged where it happened).
    #[error("the store could not complete the request")]
    Store(DataError),
}

fn not_draft(plan: Id, status: &str, op: DraftOnly) -> String {
    match op {
        DraftOnly::Publish => format!("plan {plan} is {status}, only drafts are published"),
        DraftOnly::Rebase => format!("plan {plan} is {status}; only drafts are rebased"),
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
            DataError::NotFound { what, id } => PlanError::NotFound { what, id },
            other => {
                tracing::error!(error = %other, "store error");
                PlanError::Store(other)
            }
        }
    }
}

impl PlanError {
    /// Stable machine code (the API's `code`, the CLI's last word).
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::UnknownCommunity(_) => "unknown_community",
            PlanError::BadCommunity(_) => "bad_community",
            PlanError::UnknownPlan(_) => "unknown_plan",
            PlanError::UnknownVersion { .. } => "unknown_version",
            PlanError::NotFound { .. } => "not_found",
            PlanError::BadName { .. } => "bad_name",
            PlanError::ReasonRequired { .. } => "reason_required",
            PlanError::NotDraft { .. } => "not_draft",
            PlanError::RebaseUnsupported { .. } => "rebase_unsupported",
            PlanError::NothingPublished { .. } | PlanError::AlreadyBased { .. } => "base_current",
            PlanError::Stale { .. } => "stale_version",
            PlanError::Edit(e) => e.code(),
            PlanError::Partition(e) => e.code(),
            PlanError::Exchange(e) => e.code(),
            PlanError::HasBreaks { .. } => "plan_has_breaks",
            PlanError::BaseChanged(_) => "base_changed",
            PlanError::Unreadable { .. } => "plan_state_unreadable",
            PlanError::RulesUnreadable { .. }
            | PlanError::Encode(_)
            | PlanError::NoCreateVersion(_)
            | PlanError::Task { .. }
            | PlanError::Store(_) => "internal",
        }
    }
}
