//! Input limits the importers enforce, so one hostile or broken file cannot
//! exhaust memory or stall the server: vertices per geometry and features
//! per import batch (one GeoJSON file, one household CSV).
//!
//! OSM files stream in bounded batches and may hold millions of features, so
//! only the vertex limit applies to them; an over-long OSM geometry is
//! skipped and named in the import report, like other unusable features.

/// Most vertices one geometry (all rings of a multipolygon, or one street)
/// may have. Real buildings have tens; the largest OSM water and land-use
/// multipolygons of a city stay well under this.
pub const MAX_VERTICES_PER_GEOMETRY: usize = 100_000;

/// Most features one GeoJSON file or rows one household CSV may carry.
/// Larger datasets go through the streaming OSM importer or several files.
pub const MAX_FEATURES_PER_BATCH: usize = 500_000;

/// The limits an import runs under (the constants above by default; tests
/// use smaller ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    pub max_vertices: usize,
    pub max_features: usize,
}

impl ImportLimits {
    pub const DEFAULT: ImportLimits = ImportLimits {
        max_vertices: MAX_VERTICES_PER_GEOMETRY,
        max_features: MAX_FEATURES_PER_BATCH,
    };
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
