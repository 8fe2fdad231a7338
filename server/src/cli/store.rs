//! `gridmap backup|restore|migrate|info`: whole-store copies (verified by
//! counts and checksum) and what a store holds.

use std::path::PathBuf;
use std::time::Instant;

use gridmap_data::store;

use super::{actor, open, print_counts};

/// `gridmap backup FILE`.
#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to create (must not exist).
    file: PathBuf,
}

/// `gridmap restore FILE`.
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A file written by `gridmap backup`.
    file: PathBuf,
}

/// `gridmap migrate --from URL --to URL`.
#[derive(clap::Args)]
pub struct MigrateArgs {
    /// Source store URL.
    #[arg(long)]
    from: String,
    /// Target store URL (must be empty; created if it is a new SQLite file).
    #[arg(long)]
    to: String,
}

/// Back the store named by `db` up into a new SQLite file.
pub async fn backup(db: &str, args: BackupArgs) -> anyhow::Result<()> {
    let file = &args.file;
    if file.exists() {
        anyhow::bail!(
            "{} already exists; a backup never overwrites a file",
            file.display()
        );
    }
    migrate(db, &sqlite_url(file)).await
}

/// Restore a backup file into the (empty) store named by `db`.
pub async fn restore(db: &str, args: RestoreArgs) -> anyhow::Result<()> {
    let file = &args.file;
    if !file.is_file() {
        anyhow::bail!("no backup file at {}", file.display());
    }
    migrate(&sqlite_url(file), db).await
}

/// Copy a whole store into an empty one.
pub async fn copy(args: MigrateArgs) -> anyhow::Result<()> {
    migrate(&args.from, &args.to).await
}

/// Print what the store named by `db` holds.
pub async fn info(db: &str) -> anyhow::Result<()> {
    print_counts(open(db).await?.as_ref()).await
}

fn sqlite_url(file: &std::path::Path) -> String {
    format!("sqlite://{}", file.display())
}

async fn migrate(from: &str, to: &str) -> anyhow::Result<()> {
    let source = open(from).await?;
    let target = open(to).await?;
    let started = Instant::now();
    let report = store::migrate::migrate(source.as_ref(), target.as_ref(), &actor(), &|step| {
        eprintln!("migrate: {step}…")
    })
    .await?;
    println!(
        "copied {} communities, {} grids, {} buildings, {} stations, {} roads, {} plans ({} versions), {} users, {} audit entries in {:.1} s; checksum {} matches",
        report.counts.communities,
        report.counts.grids,
        report.counts.buildings,
        report.counts.stations,
        report.counts.roads,
        report.plans,
        report.plan_versions,
        report.users,
        report.audit_entries,
        started.elapsed().as_secs_f64(),
        report.checksum
    );
    Ok(())
}
