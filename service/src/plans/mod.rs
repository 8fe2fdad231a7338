//! Plan service: what the HTTP API and the CLI share over the planning
//! engine (`gridmap_analysis::planning`) and the store's plan storage.
//!
//! - [`load`]: community rules, the engine's community input, a plan's state
//!   at a version, and the per-grid summary.
//! - [`edit`]: the edit request (`{kind: "move" | "split" | …}`) and how it
//!   applies to a state.
//! - [`align`]: plans of different lineages matched by grid code for a diff.
//! - [`history`]: undo/redo stacks recomputed from a plan's history.
//! - [`publish`]: one transaction making a plan the community's grids.
//! - [`rebase`]: the published plan a draft builds on, what another publish
//!   changed since, and moving a draft onto the newer published plan.
//! - [`write`]: a new draft, and a version appended with compare-and-set.
//! - [`sample`]: the demo's grids drawn by the engine and published.
//! - [`workspace`]: [`Workspace`] (a plan at a version with its rules and
//!   input) and [`CommunityWork`] (a community's rules and input).
//! - [`error`]: [`PlanError`], with the stable codes the API and CLI report.

pub mod align;
pub mod edit;
pub mod error;
pub mod history;
pub mod load;
pub mod publish;
pub mod rebase;
pub mod sample;
pub mod workspace;
pub mod write;

pub use error::{DraftOnly, PlanError};
pub use workspace::{CommunityWork, Workspace};
