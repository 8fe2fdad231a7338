//! Household estimates where no survey exists (BRIEF §3): footprint area ×
//! levels ÷ 90 m² per dwelling, residential buildings only, 6 levels when
//! unknown. Estimates are always flagged [`HouseholdSource::Estimated`] and
//! are replaced by imported counts.
//!
//! [`HouseholdSource::Estimated`]: crate::model::HouseholdSource::Estimated

use geo::{ChamberlainDuquetteArea, MultiPolygon};

/// Floor area of one dwelling, m².
pub const DWELLING_AREA_M2: f64 = 90.0;
/// Levels assumed when a building has no `building:levels` or `height`.
pub const DEFAULT_LEVELS: u32 = 6;

/// Building classes that are residential by themselves.
pub fn is_residential_class(class: &str) -> bool {
    matches!(
        class,
        "residential"
            | "apartments"
            | "house"
            | "detached"
            | "semidetached_house"
            | "terrace"
            | "dormitory"
    )
}

/// Whether a building of `class` counts as housing, given whether its point
/// lies in residential land use (`building=yes` counts only there).
pub fn counts_as_housing(class: &str, in_residential_landuse: bool) -> bool {
    is_residential_class(class) || (class == "yes" && in_residential_landuse)
}

/// Footprint area in square metres (on the sphere).
pub fn footprint_area_m2(footprint: &MultiPolygon<f64>) -> f64 {
    footprint.chamberlain_duquette_unsigned_area()
}

/// Estimated households of a housing building: at least one.
pub fn estimate_households(area_m2: f64, levels: Option<u32>) -> u32 {
    let levels = f64::from(levels.unwrap_or(DEFAULT_LEVELS).max(1));
    let dwellings = (area_m2 * levels / DWELLING_AREA_M2).round();
    if dwellings.is_finite() && dwellings >= 1.0 {
        dwellings.min(f64::from(u32::MAX)) as u32
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_uses_default_levels_and_dwelling_size() {
        // 900 m² × 6 levels ÷ 90 m² = 60 dwellings.
        assert_eq!(estimate_households(900.0, None), 60);
        assert_eq!(estimate_households(900.0, Some(10)), 100);
        assert_eq!(estimate_households(10.0, Some(1)), 1);
    }

    #[test]
    fn only_residential_counts() {
        assert!(counts_as_housing("apartments", false));
        assert!(counts_as_housing("yes", true));
        assert!(!counts_as_housing("yes", false));
        assert!(!counts_as_housing("school", true));
    }

    #[test]
    fn area_of_a_known_square() {
        // ~100 m × ~100 m near Nanjing.
        let dlat = 100.0 / 111_195.0;
        let dlon = dlat / 32.04_f64.to_radians().cos();
        let sq = geo::Rect::new((118.78, 32.04), (118.78 + dlon, 32.04 + dlat)).to_polygon();
        let a = footprint_area_m2(&MultiPolygon(vec![sq]));
        assert!((a - 10_000.0).abs() < 100.0, "area {a}");
    }
}
