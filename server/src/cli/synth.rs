//! `gridmap synth`: a synthetic city (benchmarks, scale tests) written
//! into an empty store, or as OSM XML to a file (`--osm`, the store is then
//! neither opened nor created).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use gridmap_data::store::{self, AuditEntry};
use indicatif::ProgressBar;

use super::{actor, open, print_counts};

/// `gridmap synth`'s options.
#[derive(clap::Args)]
pub struct SynthArgs {
    /// Number of buildings.
    #[arg(long, default_value_t = 1_000_000)]
    buildings: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the city as OSM XML to this file instead of into the store.
    #[arg(long)]
    osm: Option<PathBuf>,
}

/// Generate the city into the store named by `db` (or the `--osm` file).
pub async fn run(db: &str, args: SynthArgs) -> anyhow::Result<()> {
    let SynthArgs {
        buildings,
        seed,
        osm,
    } = args;
    if let Some(path) = osm {
        // Writes a file: the store is neither opened nor created.
        return synth_osm(buildings, seed, path).await;
    }
    let store = open(db).await?;
    if store.counts().await?.buildings > 0 {
        anyhow::bail!("the store already holds buildings; synth writes only into an empty store");
    }
    let started = Instant::now();
    let d = tokio::task::spawn_blocking(move || gridmap_data::synth::city(buildings, seed)).await?;
    let bar = ProgressBar::new(d.buildings.len() as u64);
    bar.set_message("writing");
    let mut tx = store.begin().await?;
    let n = store::write_dataset(tx.as_mut(), &d).await?;
    tx.append_audit(
        &AuditEntry::now(actor(), "synth")
            .detail(serde_json::json!({ "buildings": n, "seed": seed })),
    )
    .await?;
    tx.commit().await?;
    bar.finish_and_clear();
    println!(
        "synthetic city: {n} buildings written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    print_counts(store.as_ref()).await
}

/// Write a synthetic city as OSM XML (importer scale tests).
async fn synth_osm(buildings: usize, seed: u64, path: PathBuf) -> anyhow::Result<()> {
    let started = Instant::now();
    let d = tokio::task::spawn_blocking(move || gridmap_data::synth::city(buildings, seed)).await?;
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    gridmap_data::synth::write_osm_xml(&d, &mut out)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::flush(&mut out)?;
    println!(
        "synthetic city: {} buildings written to {} in {:.1} s",
        d.buildings.len(),
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
