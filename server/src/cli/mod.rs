//! The `gridmap` commands, one module each, dispatched once by `main.rs`:
//! [`serve`], [`import`], [`store`] (backup, restore, migrate, info),
//! [`sample`], [`synth`], [`accounts`] (user, token), [`plans`] (plan) and
//! [`coverage`]. Here: what several of them share.

pub mod accounts;
pub mod coverage;
pub mod import;
pub mod plans;
pub mod sample;
pub mod serve;
pub mod store;
pub mod synth;

use std::sync::Arc;

use anyhow::Context;
use gridmap_data::import::osm::ImportProgress;
use gridmap_data::store::Store;
use indicatif::{ProgressBar, ProgressStyle};

/// Open the store at `url`.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = gridmap_data::store::open(url)
        .await
        .with_context(|| format!("cannot open store {url}"))?;
    Ok(Arc::from(store))
}

/// A progress bar for an import's passes.
pub fn progress_bar(label: &'static str) -> Arc<dyn Fn(ImportProgress) + Send + Sync> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    Arc::new(move |p: ImportProgress| {
        bar.set_length(p.total);
        bar.set_position(p.bytes);
        bar.set_message(format!("{label} pass {}/{}", p.pass, p.passes));
        if p.pass == p.passes && p.bytes >= p.total {
            bar.finish();
        }
    })
}

/// Print the store's counts (one line).
pub async fn print_counts(store: &dyn Store) -> anyhow::Result<()> {
    let c = store.counts().await?;
    println!(
        "communities {} · grids {} · buildings {} · stations {} · people {} · roads {} · areas {}",
        c.communities, c.grids, c.buildings, c.stations, c.people, c.roads, c.areas
    );
    Ok(())
}

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
