//! Analyses over a loaded [`gridmap_data::Atlas`]: household rules, automatic
//! partition and walking coverage. Pure computation: it must not know about
//! HTTP, tiles or how the store persists data.
pub mod coverage;
pub mod planning;
