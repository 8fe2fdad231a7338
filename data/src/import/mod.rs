//! Importers. Each validates its input and writes inside one store
//! transaction, so bad input (or a crash half-way) leaves the store as it was.
//! After buildings or grids arrive, buildings are (re)assigned to the grid
//! containing their point. Imports are updates: OSM features match what the
//! store holds by OSM element, communities and grids by code ([`upsert`]).

pub mod geojson;
pub mod households;
pub mod osm;
pub mod upsert;

use std::path::Path;
use std::sync::Arc;

use geo::Point;
use serde::Serialize;

use crate::atlas::Atlas;
use crate::error::{DataError, Result};
use crate::limits::ImportLimits;
use crate::model::{Community, Dataset, Feature, Grid, HouseholdSource, Id};
use crate::store::{AuditEntry, FeatureTable, Store, WriteTx};
use osm::{ImportProgress, OsmFeature, OsmReport};
use upsert::{Changes, PlanBuildings, Upsert};

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
    import_osm_with(store, path, on_progress, audit, OsmOptions::default()).await
}

/// How an OSM import treats what the store holds.
#[derive(Clone, Default)]
pub struct OsmOptions {
    /// `--prune`: delete the features an earlier OSM import stored that this
    /// file lacks (else they are only counted as missing). Buildings a draft
    /// plan assigns are kept; this says which buildings a plan state assigns.
    pub prune: Option<PlanBuildings>,
}

/// [`import_osm_audited`] under `options`. The import is an update keyed by
/// OSM element ([`upsert`]): the report's `changes` say what was added,
/// updated, unchanged and missing (and pruned) per table.
pub async fn import_osm_with(
    store: &dyn Store,
    path: &Path,
    on_progress: Arc<dyn Fn(ImportProgress) + Send + Sync>,
    audit: Option<AuditEntry>,
    options: OsmOptions,
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
    // The stored keys are read when the first features arrive (after the
    // parser's first two passes), under the import lock, so the store is
    // locked no longer than the writing takes.
    let mut upsert: Option<Upsert> = None;
    let mut write_error = None;
    while let Some(batch) = recv.recv().await {
        if let Err(e) = write_osm_batch(tx.as_mut(), &mut upsert, batch).await {
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
    let mut report = parsed?;
    let mut upsert = match upsert {
        Some(u) => u,
        None => start_upsert(tx.as_mut()).await?,
    };
    report.changes = upsert
        .finish_missing(tx.as_mut(), options.prune.as_ref())
        .await?;
    assign_points(
        tx.as_mut(),
        &existing_grids,
        std::mem::take(&mut upsert.placed),
    )
    .await?;
    let mut summary = report.clone();
    summary.skipped.truncate(20);
    append_audit(tx.as_mut(), audit, &summary).await?;
    tx.commit().await?;
    Ok(report)
}

async fn start_upsert(tx: &mut dyn WriteTx) -> Result<Upsert> {
    tx.lock_for_import().await?;
    Upsert::load(tx, &FeatureTable::ALL).await
}

async fn write_osm_batch(
    tx: &mut dyn WriteTx,
    upsert: &mut Option<Upsert>,
    batch: Vec<OsmFeature>,
) -> Result<()> {
    let up = match upsert {
        Some(u) => u,
        None => upsert.insert(start_upsert(tx).await?),
    };
    for f in batch {
        up.write(tx, f).await?;
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

/// What a GeoJSON layer import did. Communities and grids match stored ones
/// by code, buildings and stations by `osm_id` (features without one are
/// added); nothing is ever missing, a layer file need not hold them all.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GeoJsonReport {
    /// Street offices added (those the communities name that the store lacked).
    pub street_offices: u64,
    pub communities: Changes,
    pub grids: Changes,
    pub buildings: Changes,
    pub stations: Changes,
    /// Buildings (re)assigned to a grid by this import that now lie in one.
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
    tx.lock_for_import().await?;
    let mut report = GeoJsonReport::default();
    let data = atlas.data();
    let mut office_ids = std::collections::HashMap::new();
    for s in &data.street_offices {
        office_ids.insert(s.code.clone(), s.id);
    }
    for s in &parsed.street_offices {
        office_ids.insert(s.code.clone(), tx.insert_street_office(s).await?);
        report.street_offices += 1;
    }
    let stored_communities: std::collections::HashMap<&str, &Community> = data
        .communities
        .iter()
        .map(|c| (c.code.as_str(), c))
        .collect();
    for (c, office) in &parsed.communities {
        let mut c = c.clone();
        c.street_office_id = office.as_ref().and_then(|o| office_ids.get(o).copied());
        match stored_communities.get(c.code.as_str()) {
            None => {
                tx.insert_community(&c).await?;
                report.communities.added += 1;
            }
            Some(old) => {
                c.id = old.id;
                if c == **old {
                    report.communities.unchanged += 1;
                } else {
                    tx.update_community(&c).await?;
                    report.communities.updated += 1;
                }
            }
        }
    }
    let mut grids = data.grids.clone();
    for g in &parsed.grids {
        match grids.iter_mut().find(|s| s.code == g.code) {
            None => {
                let id = tx.insert_grid(g).await?;
                grids.push(Grid { id, ..g.clone() });
                report.grids.added += 1;
            }
            Some(old) => {
                let new = Grid {
                    id: old.id,
                    ..g.clone()
                };
                if new == *old {
                    report.grids.unchanged += 1;
                } else {
                    tx.update_grid(&new).await?;
                    *old = new;
                    report.grids.updated += 1;
                }
            }
        }
    }
    let mut points: Vec<(Id, Point<f64>)> = Vec::new();
    if !parsed.buildings.is_empty() || !parsed.stations.is_empty() {
        let tables: &[FeatureTable] = if parsed.buildings.is_empty() {
            &[FeatureTable::Stations]
        } else {
            &[FeatureTable::Buildings]
        };
        let mut upsert = Upsert::load(tx.as_mut(), tables).await?;
        for b in &parsed.buildings {
            upsert
                .write(tx.as_mut(), Feature::Building(b.clone()))
                .await?;
        }
        for s in &parsed.stations {
            upsert
                .write(tx.as_mut(), Feature::Station(s.clone()))
                .await?;
        }
        let changes = upsert.changes();
        report.buildings = changes.buildings;
        report.stations = changes.stations;
        points = upsert.placed;
    }
    if report.grids.added + report.grids.updated > 0 {
        points.extend(data.buildings.iter().map(|b| (b.id, b.point)));
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
