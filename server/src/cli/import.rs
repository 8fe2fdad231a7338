//! `gridmap import osm|geojson|households`: imports into the store,
//! audited as the CLI actor, with a summary of what changed.

use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;
use gridmap_data::import;
use gridmap_data::store::{AuditEntry, Store};

use super::{actor, changes_line, plan_buildings, progress_bar};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// OSM XML (.osm) or PBF (.osm.pbf): buildings, streets, stations, water and land use.
    /// An update: features the store holds from an earlier import (same OSM
    /// element) are updated in place or left as they are, new ones added.
    Osm {
        file: PathBuf,
        /// Delete what an earlier OSM import stored that this file lacks
        /// (only for a full re-import of the same area; buildings a draft
        /// plan assigns are kept).
        #[arg(long)]
        prune: bool,
    },
    /// A GeoJSON layer (RFC 7946).
    Geojson {
        #[arg(long)]
        layer: String,
        file: PathBuf,
    },
    /// Surveyed household counts: CSV with `building_id` or `osm_id`, and `households`.
    Households { file: PathBuf },
}

/// The audit entry for an import of `file`.
fn import_audit(action: &str, file: &std::path::Path) -> AuditEntry {
    AuditEntry::now(actor(), action).target(file.display().to_string())
}

pub async fn run(store: &dyn Store, cmd: ImportCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    match cmd {
        ImportCommand::Osm { file, prune } => {
            let audit =
                import_audit("import.osm", &file).detail(serde_json::json!({ "prune": prune }));
            let options = import::OsmOptions {
                prune: prune.then(plan_buildings),
            };
            let report =
                import::import_osm_with(store, &file, progress_bar("osm"), Some(audit), options)
                    .await?;
            println!(
                "read {} buildings ({} multipolygons, {} with estimated households, {} households), {} streets ({} walkable), {} stations, {} areas in {:.1} s",
                report.buildings,
                report.building_relations,
                report.housing_buildings,
                report.estimated_households,
                report.roads,
                report.walkable_roads,
                report.stations,
                report.areas,
                started.elapsed().as_secs_f64()
            );
            let c = &report.changes;
            for (name, ch) in [
                ("buildings", &c.buildings),
                ("streets", &c.roads),
                ("stations", &c.stations),
                ("areas", &c.areas),
            ] {
                println!("{name}: {}", changes_line(ch, Some(c.prune)));
            }
            if !c.kept_for_plans.is_empty() {
                let plans: Vec<String> = c.kept_for_plans.iter().map(ToString::to_string).collect();
                println!(
                    "kept {} missing buildings that draft plans assign (plans {}); a later --prune deletes them once no draft assigns them",
                    c.buildings.kept,
                    plans.join(", ")
                );
            }
            let missing: u64 = [c.buildings, c.roads, c.stations, c.areas]
                .iter()
                .map(|ch| ch.missing.saturating_sub(ch.pruned + ch.kept))
                .sum();
            if missing > 0 && !c.prune {
                println!(
                    "missing in all: {missing}; `gridmap import osm --prune FILE` deletes what an earlier import stored and this file lacks (only for a full re-import of the same area)"
                );
            }
            if !report.skipped.is_empty() {
                println!("skipped {} features:", report.skipped.len());
                for s in report.skipped.iter().take(20) {
                    println!("  {s}");
                }
            }
        }
        ImportCommand::Geojson { layer, file } => {
            let layer: import::geojson::Layer = layer.parse()?;
            let audit = import_audit("import.geojson", &file)
                .detail(serde_json::json!({ "layer": format!("{layer:?}").to_lowercase() }));
            let r = import::import_geojson_audited(store, layer, &file, Some(audit)).await?;
            use import::geojson::Layer;
            let (name, changes) = match layer {
                Layer::Communities => ("communities", &r.communities),
                Layer::Grids => ("grids", &r.grids),
                Layer::Buildings => ("buildings", &r.buildings),
                Layer::Stations => ("stations", &r.stations),
            };
            println!("{name}: {}", changes_line(changes, None));
            if r.street_offices > 0 {
                println!("street offices: {} added", r.street_offices);
            }
            if matches!(layer, Layer::Grids | Layer::Buildings) {
                println!(
                    "{} buildings (re)assigned lie in a grid",
                    r.assigned_buildings
                );
            }
        }
        ImportCommand::Households { file } => {
            let audit = import_audit("import.households", &file);
            let r = import::import_households_audited(store, &file, Some(audit)).await?;
            println!(
                "set surveyed households on {} buildings ({} households)",
                r.buildings, r.households
            );
        }
    }
    Ok(())
}
