//! Walking coverage (issue 5): which households are within 5, 10 and 15
//! minutes' walk of a service station, which grids fall short, and where one
//! more station would cover the most people.
//!
//! * [`WalkGraph::build`] turns walkable streets into a CSR graph and attaches
//!   every building and station to its nearest segment (split node + access
//!   leg), reporting islands ([`graph`]). Metres follow [`metric`].
//! * [`coverage`] runs one multi-source Dijkstra from all selected stations
//!   and gives every building its nearest station, metres and minutes
//!   ([`nearest`]); [`CoverageResult::route`] draws the path.
//! * [`Rollup::build`] sums households and buildings per band overall, per
//!   community and per grid ([`rollup`]).
//! * [`isochrone()`] draws the area reachable from a station ([`mod@isochrone`]).
//! * [`siting()`] proposes new station sites by greedy maximal covering ([`mod@siting`]).

mod chains;
pub mod contour;
pub mod dijkstra;
pub mod error;
pub mod graph;
pub mod isochrone;
pub mod metric;
pub mod nearest;
pub mod rollup;
pub mod siting;

pub use error::CoverageError;
pub use graph::{Attachment, GraphOptions, GraphReport, Island, WalkGraph};
pub use isochrone::{IsochroneOptions, isochrone};
pub use nearest::{
    BuildingCoverage, CoverageOptions, CoverageResult, DEFAULT_DETOUR_FACTOR, DEFAULT_SPEED_M_S,
    Route, Status, coverage,
};
pub use rollup::{Band, Rollup, Tally, UnitTally};
pub use siting::{Candidates, Site, SiteSource, Siting, SitingOptions, siting};
