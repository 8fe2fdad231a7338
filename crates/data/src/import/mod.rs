//! Importers. Each validates its input and writes inside one store
//! transaction, so bad input (or a crash half-way) leaves the store as it was.
//! After buildings or grids arrive, buildings are (re)assigned to the grid
//! containing their point.

pub mod geojson;
pub mod households;
pub mod osm;

use std::path::Path;
use std::sync::Arc;

use geo::Point;
use serde::Serialize;

use crate::atlas::Atlas;
use crate::error::{DataError, Result};
use crate::limits::ImportLimits;
use crate::model::{Dataset, Grid, HouseholdSource, Id};
use crate::store::{AuditEntry, Store, WriteTx};
use osm::{ImportProgress, OsmFeature, OsmReport};

/// Features handed from the parser thread to the writer per message.
const BATCH: usize = 2_000;

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Append `audit` (if any) to the transaction, with the import's report
/// added to its detail under `report`.
async fn append_audit<R: Serialize>(
    tx: &mut dyn WriteTx,
    audit: Option<AuditEntry>,
    report: &R,
) -> Result<()> {
    if let Some(mut entry) = audit {
        let report = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
        match &mut entry.detail {
            serde_json::Value::Object(map) => {
                map.insert("report".into(), report);
            }
            other => {
                *other = serde_json::json!({ "detail": other.take(), "report": report });
            }
        }
        tx.append_audit(&entry).await?;
    }
    Ok(())
}

/// Import an OSM XML or PBF file. The parser runs on a blocking thread and
/// streams batches through a bounded channel into one transaction.
pub async fn import_osm(
    store: &dyn Store,
    path: &Path,
    on_progress: Arc<dyn Fn(ImportProgress) + Send + Sync>,
) -> Result<OsmReport> {
    import_osm_audited(store, path, on_progress, None).await
}

/// [`import_osm`], committing `audit` (with the report added) in the same
/// transaction as the data.
pub async fn import_osm_audited(
    store: &dyn Store,
    path: &Path,
    on_progress: Arc<dyn Fn(ImportProgress) + Send + Sync>,
    audit: Option<AuditEntry>,
) -> Result<OsmReport> {
    let existing_grids = store.load_grids().await?;
    let mut tx = store.begin().await?;
    let (send, mut recv) = tokio::sync::mpsc::channel::<Vec<OsmFeature>>(4);
    let owned_path = path.to_path_buf();
    let parser = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let flush = |batch: &mut Vec<OsmFeature>| {
            send.blocking_send(std::mem::take(batch))
                .map_err(|_| DataError::Cancelled("the store writer stopped".into()))
        };
        let report = osm::read_osm(&owned_path, &*on_progress, &mut |f| {
            batch.push(f);
            if batch.len() >= BATCH {
                flush(&mut batch)?;
            }
            Ok(())
        })?;
        flush(&mut batch)?;
        Ok::<_, DataError>(report)
    });
    let mut placed: Vec<(Id, Point<f64>)> = Vec::new();
    let mut write_error = None;
    while let Some(batch) = recv.recv().await {
        if let Err(e) = write_osm_batch(tx.as_mut(), batch, &mut placed).await {
            write_error = Some(e);
            break;
        }
    }
    drop(recv);
    let parsed = parser
        .await
        .map_err(|e| DataError::Cancelled(format!("parser thread failed: {e}")))?;
    if let Some(e) = write_error {
        return Err(e);
    }
    let report = parsed?;
    assign_points(tx.as_mut(), &existing_grids, placed).await?;
    let mut summary = report.clone();
    summary.skipped.truncate(20);
    append_audit(tx.as_mut(), audit, &summary).await?;
    tx.commit().await?;
    Ok(report)
}

async fn write_osm_batch(
    tx: &mut dyn WriteTx,
    batch: Vec<OsmFeature>,
    placed: &mut Vec<(Id, Point<f64>)>,
) -> Result<()> {
    for f in batch {
        match f {
            OsmFeature::Building(b) => {
                let id = tx.insert_building(&b).await?;
                placed.push((id, b.point));
            }
            OsmFeature::Road(r) => {
                tx.insert_road(&r).await?;
            }
            OsmFeature::Station(s) => {
                tx.insert_station(&s).await?;
            }
            OsmFeature::Area(a) => {
                tx.insert_area(&a).await?;
            }
        }
    }
    Ok(())
}

/// Put each building point in the grid that contains it (or none).
async fn assign_points(
    tx: &mut dyn WriteTx,
    grids: &[Grid],
    points: Vec<(Id, Point<f64>)>,
) -> Result<u64> {
    if grids.is_empty() {
        return Ok(0);
    }
    let index = Atlas::build(
        Dataset {
            grids: grids.to_vec(),
            ..Dataset::default()
        },
        0,
    );
    let mut assigned = 0;
    for (id, p) in points {
        let grid = index.grid_at(p).map(|g| g.id);
        if grid.is_some() {
            assigned += 1;
        }
        tx.set_building_grid(id, grid).await?;
    }
    Ok(assigned)
}

/// What a GeoJSON layer import wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GeoJsonReport {
    pub street_offices: u64,
    pub communities: u64,
    pub grids: u64,
    pub buildings: u64,
    pub stations: u64,
    /// Buildings that now lie in a grid.
    pub assigned_buildings: u64,
}

/// Import one GeoJSON layer file.
pub async fn import_geojson(
    store: &dyn Store,
    layer: geojson::Layer,
    path: &Path,
) -> Result<GeoJsonReport> {
    import_geojson_audited(store, layer, path, None).await
}

/// [`import_geojson`], committing `audit` (with the report added) in the
/// same transaction as the data.
pub async fn import_geojson_audited(
    store: &dyn Store,
    layer: geojson::Layer,
    path: &Path,
    audit: Option<AuditEntry>,
) -> Result<GeoJsonReport> {
    let text = read_text(path)?;
    let atlas = Atlas::build(store.load().await?, 0);
    let parsed = geojson::parse_with(layer, &text, &atlas, &ImportLimits::DEFAULT)?;
    let mut tx = store.begin().await?;
    let mut report = GeoJsonReport::default();
    let mut office_ids = std::collections::HashMap::new();
    for s in &atlas.data().street_offices {
        office_ids.insert(s.code.clone(), s.id);
    }
    for s in &parsed.street_offices {
        office_ids.insert(s.code.clone(), tx.insert_street_office(s).await?);
        report.street_offices += 1;
    }
    for (c, office) in &parsed.communities {
        let mut c = c.clone();
        c.street_office_id = office.as_ref().and_then(|o| office_ids.get(o).copied());
        tx.insert_community(&c).await?;
        report.communities += 1;
    }
    let mut grids = atlas.data().grids.clone();
    for g in &parsed.grids {
        let id = tx.insert_grid(g).await?;
        grids.push(Grid { id, ..g.clone() });
        report.grids += 1;
    }
    let mut points: Vec<(Id, Point<f64>)> = Vec::new();
    for b in &parsed.buildings {
        let id = tx.insert_building(b).await?;
        points.push((id, b.point));
        report.buildings += 1;
    }
    for s in &parsed.stations {
        tx.insert_station(s).await?;
        report.stations += 1;
    }
    if !parsed.grids.is_empty() {
        points.extend(atlas.data().buildings.iter().map(|b| (b.id, b.point)));
    }
    report.assigned_buildings = assign_points(tx.as_mut(), &grids, points).await?;
    append_audit(tx.as_mut(), audit, &report).await?;
    tx.commit().await?;
    Ok(report)
}

/// What a household CSV import wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HouseholdsReport {
    pub buildings: u64,
    pub households: u64,
}

/// Import surveyed household counts from CSV.
pub async fn import_households(store: &dyn Store, path: &Path) -> Result<HouseholdsReport> {
    import_households_audited(store, path, None).await
}

/// [`import_households`], committing `audit` (with the report added) in the
/// same transaction as the data.
pub async fn import_households_audited(
    store: &dyn Store,
    path: &Path,
    audit: Option<AuditEntry>,
) -> Result<HouseholdsReport> {
    let text = read_text(path)?;
    let atlas = Atlas::build(store.load().await?, 0);
    let updates = households::parse_with(&text, &atlas, &ImportLimits::DEFAULT)?;
    let mut tx = store.begin().await?;
    let mut report = HouseholdsReport::default();
    for u in &updates {
        if !tx
            .set_households(u.building_id, u.households, HouseholdSource::Surveyed)
            .await?
        {
            return Err(DataError::Csv {
                line: u.line,
                message: format!("building {} vanished during the import", u.building_id),
            });
        }
        report.buildings += 1;
        report.households += u64::from(u.households);
    }
    append_audit(tx.as_mut(), audit, &report).await?;
    tx.commit().await?;
    Ok(report)
}
