//! Error enums of the planning engine.

use gridmap_data::model::Id;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::plan::GridKey;

/// Building a [`super::CommunityInput`] failed.
#[derive(Debug, Error, PartialEq)]
pub enum InputError {
    #[error("community {0} does not exist")]
    UnknownCommunity(Id),
    #[error("community {0} has an empty boundary")]
    EmptyBoundary(Id),
    #[error("building {0} appears twice")]
    DuplicateBuilding(Id),
    #[error("building {0} has a non-finite point")]
    BadPoint(Id),
}

/// Why a partition is impossible: a proof, not a guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InfeasibleReason {
    /// One building alone holds more households than a grid may.
    BuildingAboveMax { households: u64, max: u64 },
    /// A connected group of free buildings (cut off by locked grids or by
    /// the community's shape) holds fewer households than one grid needs.
    ComponentBelowMin { households: u64, min: u64 },
    /// No whole number of grids k has k·min ≤ households ≤ k·max.
    NoGridCount { households: u64, min: u64, max: u64 },
}

/// The rules cannot be met; `buildings` are the buildings involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Infeasible {
    pub reason: InfeasibleReason,
    pub buildings: Vec<Id>,
}

impl std::fmt::Display for Infeasible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            InfeasibleReason::BuildingAboveMax { households, max } => write!(
                f,
                "building {} alone has {households} households, above the maximum {max}",
                self.buildings.first().copied().unwrap_or_default()
            ),
            InfeasibleReason::ComponentBelowMin { households, min } => write!(
                f,
                "{} connected buildings hold only {households} households, below the minimum {min}, and cannot join another grid",
                self.buildings.len()
            ),
            InfeasibleReason::NoGridCount {
                households,
                min,
                max,
            } => write!(
                f,
                "{households} households cannot be cut into grids of {min}–{max}: no whole number of grids fits"
            ),
        }
    }
}

/// The automatic partition failed.
#[derive(Debug, Error, PartialEq)]
pub enum PartitionError {
    #[error("infeasible: {0}")]
    Infeasible(Infeasible),
    #[error("invalid rules: {0}")]
    Rules(#[from] super::rules::RulesError),
    #[error(
        "no partition found for {buildings} buildings ({households} households) although no proof of infeasibility was found; try another seed or edit by hand"
    )]
    NotFound { buildings: usize, households: u64 },
    #[error("grid {0} is not in the plan")]
    UnknownGrid(GridKey),
    /// The result needs more grid codes than the community has left (3-digit sequence).
    #[error("cannot number the new grids: {0}")]
    Codes(EditError),
}

/// An edit was rejected; the plan is left unchanged.
#[derive(Debug, Error, PartialEq)]
pub enum EditError {
    #[error("grid {0} is not in the plan")]
    UnknownGrid(GridKey),
    #[error("building {0} is not in this community")]
    UnknownBuilding(Id),
    #[error("grid {0} is locked")]
    Locked(GridKey),
    #[error("code {code:?} is malformed: {why}")]
    MalformedCode { code: String, why: String },
    #[error("code {0} is already used or retired")]
    CodeTaken(String),
    #[error("the line does not cut grid {0} in two")]
    SplitMissed(GridKey),
    #[error("the edit would leave no buildings to assign")]
    Empty,
    #[error("merge needs at least two distinct grids")]
    MergeNeedsTwo,
    #[error("no sequence number left in community {0}")]
    CodesExhausted(String),
    /// A drawn ring or line is unusable (see [`super::drawn`]).
    #[error("invalid geometry: {0}")]
    InvalidGeometry(String),
}

/// A CSV or GeoJSON exchange failed.
#[derive(Debug, Error, PartialEq)]
pub enum ExchangeError {
    #[error("CSV line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("CSV has no header `building_id,grid_code`")]
    MissingHeader,
    /// More rows than one import may carry
    /// ([`gridmap_data::limits::MAX_FEATURES_PER_BATCH`]).
    #[error("CSV has more than {max} rows; split it")]
    TooManyRows { max: usize },
    #[error(transparent)]
    Edit(#[from] EditError),
}

impl PartitionError {
    /// A stable machine code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            PartitionError::Infeasible(_) => "infeasible",
            PartitionError::Rules(_) => "invalid_rules",
            PartitionError::NotFound { .. } => "partition_not_found",
            PartitionError::UnknownGrid(_) => "unknown_grid",
            PartitionError::Codes(_) => "codes_exhausted",
        }
    }
}

impl EditError {
    /// A stable machine code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            EditError::UnknownGrid(_) => "unknown_grid",
            EditError::UnknownBuilding(_) => "unknown_building",
            EditError::Locked(_) => "grid_locked",
            EditError::MalformedCode { .. } => "malformed_code",
            EditError::CodeTaken(_) => "code_taken",
            EditError::SplitMissed(_) => "split_missed",
            EditError::Empty => "nothing_selected",
            EditError::MergeNeedsTwo => "merge_needs_two",
            EditError::CodesExhausted(_) => "codes_exhausted",
            EditError::InvalidGeometry(_) => "invalid_geometry",
        }
    }
}

impl ExchangeError {
    /// A stable machine code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::Csv { .. } => "bad_csv",
            ExchangeError::MissingHeader => "csv_header_missing",
            ExchangeError::TooManyRows { .. } => "too_many_rows",
            ExchangeError::Edit(e) => e.code(),
        }
    }
}
