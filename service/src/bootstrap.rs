//! First start on an empty store: load the shipped Nanjing sample (OSM,
//! embedded in the binary) and derive its demo communities, grids and
//! (fictional) people, see `gridmap_data::sample`; then each community's
//! grids are redrawn by the planning engine and published as its first plan
//! ([`crate::plans::sample`]).

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use gridmap_data::import::{self, osm::ImportProgress};
use gridmap_data::model::{Community, Grid, Person};
use gridmap_data::sample;
use gridmap_data::store::{AuditEntry, Store};

/// The shipped sample, © OpenStreetMap contributors, ODbL (data/samples/README.md).
const SAMPLE_OSM: &[u8] = include_bytes!("../../data/samples/nanjing-xinjiekou.osm");
const META_KEY: &str = "sample_bootstrap";

/// Load the sample when the store is new. Returns whether it did anything.
/// Both writes (the OSM import, the derived communities and grids) are
/// audited as done by `actor`.
pub async fn bootstrap_sample(
    store: &dyn Store,
    progress: Arc<dyn Fn(ImportProgress) + Send + Sync>,
    actor: &str,
) -> anyhow::Result<bool> {
    let counts = store.counts().await?;
    let state = store.meta(META_KEY).await?;
    if state.as_deref() == Some("done") {
        return Ok(false);
    }
    if counts.buildings > 0 && state.is_none() {
        // A store with the user's own data: never touch it.
        return Ok(false);
    }
    if counts.buildings == 0 {
        let mut tx = store.begin().await?;
        tx.set_meta(META_KEY, "started").await?;
        tx.commit().await?;
        let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
        let path = dir.path().join("nanjing-xinjiekou.osm");
        std::fs::write(&path, SAMPLE_OSM).context("cannot write the sample to a temporary file")?;
        let audit = AuditEntry::now(actor, "sample.import").target("nanjing-xinjiekou.osm");
        let report = import::import_osm_audited(store, &path, progress, Some(audit)).await?;
        tracing::info!(
            buildings = report.buildings,
            roads = report.roads,
            stations = report.stations,
            "sample OSM imported"
        );
    }
    let data = store.load().await?;
    if !data.communities.is_empty() || !data.grids.is_empty() {
        let mut tx = store.begin().await?;
        tx.set_meta(META_KEY, "done").await?;
        tx.commit().await?;
        return Ok(true);
    }
    let plan = sample::derive(&data.buildings).context("the sample has no buildings")?;
    let mut tx = store.begin().await?;
    let office = tx.insert_street_office(&plan.street_office).await?;
    let mut community_ids = Vec::new();
    for c in &plan.communities {
        community_ids.push(
            tx.insert_community(&Community {
                street_office_id: Some(office),
                ..c.clone()
            })
            .await?,
        );
    }
    let mut grid_ids = Vec::new();
    for (ci, g) in &plan.grids {
        grid_ids.push(
            tx.insert_grid(&Grid {
                community_id: community_ids[*ci],
                ..g.clone()
            })
            .await?,
        );
    }
    let mut moved: HashMap<i64, i64> = HashMap::new();
    for (building, gi) in &plan.assignments {
        tx.set_building_grid(*building, Some(grid_ids[*gi])).await?;
        moved.insert(*building, grid_ids[*gi]);
    }
    for (gi, p) in &plan.people {
        tx.insert_person(&Person {
            grid_id: grid_ids[*gi],
            ..p.clone()
        })
        .await?;
    }
    tx.set_meta(META_KEY, "done").await?;
    tx.append_audit(
        &AuditEntry::now(actor, "sample.derive").detail(serde_json::json!({
            "communities": plan.communities.len(),
            "grids": plan.grids.len(),
            "buildings": moved.len(),
        })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        communities = plan.communities.len(),
        grids = plan.grids.len(),
        buildings = moved.len(),
        "sample communities and grids derived"
    );
    let demo = crate::plans::sample::publish_demo_plans(store, actor)
        .await
        .map_err(|e| anyhow::anyhow!("demo plans: {e}"))?;
    tracing::info!(
        partitioned = demo.partitioned,
        best_effort = demo.relaxed,
        kept = demo.kept,
        "demo grids drawn by the planning engine and published"
    );
    Ok(true)
}
