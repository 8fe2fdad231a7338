//! Errors of the coverage engine.

use gridmap_data::model::Id;

/// What can go wrong building a walking graph or asking it a question.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CoverageError {
    #[error("the walking graph has more than {0} directed edges")]
    TooLarge(u64),
    #[error("no station with id {0} in the walking graph")]
    UnknownStation(Id),
    #[error("no building with id {0} in the walking graph")]
    UnknownBuilding(Id),
    #[error("station {0} is not attached to any walkable street")]
    StationNotAttached(Id),
    #[error("invalid option: {0}")]
    InvalidOption(String),
}
