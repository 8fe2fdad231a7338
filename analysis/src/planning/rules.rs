//! Per-community planning rules (BRIEF §3 defaults) and their own validation.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The rules a community's grids must follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Rules {
    /// Hard minimum of households per basic grid.
    pub min_households: u64,
    /// Hard maximum of households per basic grid.
    pub max_households: u64,
    /// Soft goal inside `[min, max]`.
    pub target_households: u64,
    /// OSM `highway=*` classes (and `railway`) whose lines grid boundaries should follow.
    pub barrier_road_classes: Vec<String>,
    /// Whether water areas are barriers too.
    pub water_is_barrier: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            min_households: 300,
            max_households: 500,
            target_households: 400,
            barrier_road_classes: [
                "motorway",
                "motorway_link",
                "trunk",
                "trunk_link",
                "primary",
                "primary_link",
                "secondary",
                "secondary_link",
                "railway",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            water_is_barrier: true,
        }
    }
}

/// The rules contradict themselves.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RulesError {
    #[error("minimum households must be at least 1")]
    ZeroMinimum,
    #[error("minimum {min} is above maximum {max}")]
    MinAboveMax { min: u64, max: u64 },
    #[error("target {target} is outside [{min}, {max}]")]
    TargetOutside { target: u64, min: u64, max: u64 },
}

impl Rules {
    /// Check min ≤ target ≤ max and min ≥ 1.
    pub fn check(&self) -> Result<(), RulesError> {
        let (min, max, target) = (
            self.min_households,
            self.max_households,
            self.target_households,
        );
        if min == 0 {
            return Err(RulesError::ZeroMinimum);
        }
        if min > max {
            return Err(RulesError::MinAboveMax { min, max });
        }
        if target < min || target > max {
            return Err(RulesError::TargetOutside { target, min, max });
        }
        Ok(())
    }

    /// Whether a road of this class is a barrier.
    pub fn is_barrier_class(&self, class: &str) -> bool {
        self.barrier_road_classes.iter().any(|c| c == class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_consistent_and_contradictions_are_caught() {
        assert_eq!(Rules::default().check(), Ok(()));
        let r = Rules {
            min_households: 600,
            ..Rules::default()
        };
        assert!(matches!(r.check(), Err(RulesError::MinAboveMax { .. })));
        let r = Rules {
            target_households: 200,
            ..Rules::default()
        };
        assert!(matches!(r.check(), Err(RulesError::TargetOutside { .. })));
        let r = Rules {
            min_households: 0,
            ..Rules::default()
        };
        assert_eq!(r.check(), Err(RulesError::ZeroMinimum));
        assert!(Rules::default().is_barrier_class("primary"));
        assert!(!Rules::default().is_barrier_class("residential"));
    }
}
