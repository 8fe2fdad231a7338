//! The grid planning engine: pure functions and values over a plan state.
//!
//! A [`PlanState`] is one community's plan (grids with stable keys and codes,
//! and the building → grid assignment); it serialises with serde so the
//! server can store it as JSON per version. Everything here is pure: the
//! engine knows nothing about HTTP, persistence or tiles.
//!
//! * [`rules`]: per-community household rules and barrier classes;
//! * [`input`]: a community's buildings, boundary and barriers in a local
//!   metric frame ([`CommunityInput`]), built from a `Dataset`;
//! * [`graph`]: building adjacency (Delaunay neighbours, barrier-crossing
//!   edges flagged);
//! * [`plan`]: the plan state itself;
//! * [`mod@validate`]: every rule break, in full or incrementally;
//! * [`mod@partition`]: automatic partition (fresh or rebalance);
//! * [`polygons`]: grid polygons tiling the community, following barriers,
//!   with topologically simplified outlines (built on the `mesh`: a
//!   constrained triangulation of buildings, boundary and barriers);
//! * [`codes`]: grid code numbering and stability across redraws;
//! * [`drawn`]: checks of a drawn ring or line before an edit uses it;
//! * [`edits`]: the planner's edit operations;
//! * [`diff`] and [`exchange`]: plan comparison, GeoJSON and CSV;
//! * [`synthetic`]: a generated community for benchmarks and tests.
//!
//! Internals: `bisect` (recursive bisection with household bounds) and
//! `refine` (boundary smoothing within the rules) serve [`mod@partition`].
//!
//! Messages: every [`Break`] carries a machine `kind` with its figures (for
//! the UI to localise) plus ready `message` (English) and `message_zh`.

mod bisect;
pub mod codes;
pub mod diff;
pub mod drawn;
pub mod edits;
pub mod error;
pub mod exchange;
pub mod geometry;
pub mod graph;
pub mod input;
mod mesh;
pub mod partition;
pub mod plan;
pub mod polygons;
mod refine;
pub mod rules;
pub mod synthetic;
pub mod validate;

pub use error::{
    EditError, ExchangeError, Infeasible, InfeasibleReason, InputError, PartitionError,
};
pub use input::{CommunityInput, InputBuilding};
pub use partition::{
    Mode, PartitionOptions, PartitionOutcome, PartitionReport, Relaxation, partition,
};
pub use plan::{GridKey, PlanGrid, PlanPerson, PlanState};
pub use rules::{Rules, RulesError};
pub use validate::{Break, BreakKind, Validator, validate};
