//! Command-line pieces of the `gridmap` binary beyond serve and import.

pub mod accounts;
pub mod coverage;
pub mod plans;

/// The audit actor for command-line writes: `cli:<os user>`.
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

/// One table's line of an import summary: `3 added, 1 updated, 1273
/// unchanged`, then for OSM imports (`prune` is `Some`) the missing rows and,
/// with `--prune`, how many were deleted and kept.
pub fn changes_line(c: &gridmap_data::import::upsert::Changes, prune: Option<bool>) -> String {
    let mut line = format!(
        "{} added, {} updated, {} unchanged",
        c.added, c.updated, c.unchanged
    );
    if let Some(prune) = prune {
        line.push_str(&format!(", {} missing", c.missing));
        if prune {
            line.push_str(&format!(", {} pruned", c.pruned));
            if c.kept > 0 {
                line.push_str(&format!(", {} kept for draft plans", c.kept));
            }
        }
    }
    line
}

/// The building ids a stored plan state assigns (what `import osm --prune`
/// must not delete while a draft holds them).
pub fn plan_buildings() -> gridmap_data::import::upsert::PlanBuildings {
    std::sync::Arc::new(|state: &str| {
        serde_json::from_str::<gridmap_analysis::planning::PlanState>(state)
            .map(|s| s.assignment.into_keys().collect())
            .map_err(|e| e.to_string())
    })
}
