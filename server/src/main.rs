//! `gridmap`: the gridmap server and command-line tool.
//!
//! Parses the command line, opens the store and hands over to the data
//! crate (imports) or the HTTP application (serve). Errors end here as one
//! line on stderr and a non-zero exit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use gridmap_data::import::{self, osm::ImportProgress};
use gridmap_data::store::{self, AuditEntry, Store};
use indicatif::{ProgressBar, ProgressStyle};

use gridmap_server::api::qr::PublicUrl;
use gridmap_server::auth::AuthConfig;
use gridmap_server::limits::{LimitsConfig, Rate};
use gridmap_server::state::AppState;
use gridmap_server::{api, bootstrap};

mod cli;
use cli::accounts::{TokenCommand, UserCommand};
use cli::plans::PlanCommand;

/// mimalloc: tiles and requests allocate many small short-lived buffers
/// across the worker threads, which it serves faster than the system
/// allocator (BENCHMARKS.md, tiles).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gridmap",
    version,
    about = "Community grid governance GIS: grids, buildings, stations and 15-minute coverage"
)]
struct Cli {
    /// Store URL: sqlite://PATH (embedded default).
    #[arg(
        long,
        global = true,
        default_value = "sqlite://./gridmap.db",
        env = "GRIDMAP_DB"
    )]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (loads the Nanjing sample into an empty store first).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Do not load the shipped sample into an empty store.
        #[arg(long)]
        no_sample: bool,
        /// Tile cache size in MiB (0 turns it off). Cached tiles cost about
        /// 1.4 times their bytes in memory (raw and gzip bodies, allocator
        /// slack), on top of the snapshot itself.
        #[arg(long, default_value_t = 64)]
        tile_cache_mb: usize,
        /// Memory for tile geometry prepared per zoom, in MiB (0 turns it
        /// off: every tile is then made from lon/lat).
        #[arg(long, default_value_t = gridmap_server::state::DEFAULT_TILE_GEOMETRY_BYTES >> 20)]
        tile_geometry_mb: usize,
        /// How often to check the store for changes committed elsewhere
        /// (another server, the CLI), in milliseconds; 0 turns it off.
        #[arg(long, default_value_t = 250)]
        watch_ms: u64,
        #[command(flatten)]
        security: SecurityArgs,
        /// Public origin building QR codes point at (e.g. https://grid.example.cn);
        /// default: the Host header of each request.
        #[arg(long, env = "GRIDMAP_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Bearer tokens for scripts.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import data into the store.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Grid plans: list, validate, partition, publish, export, import.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Load the shipped Nanjing sample into an empty store.
    Sample,
    /// Generate a synthetic city into an empty store (benchmarks, scale tests).
    Synth {
        /// Number of buildings.
        #[arg(long, default_value_t = 1_000_000)]
        buildings: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the city as OSM XML to this file instead of into the store.
        #[arg(long)]
        osm: Option<PathBuf>,
    },
    /// Print what the store holds.
    Info,
    /// Print the 15-minute walking coverage roll-up (table or CSV).
    Coverage(cli::coverage::CoverageArgs),
    /// Back the store up into a new SQLite file (everything `migrate` copies).
    Backup {
        /// The backup file to create (must not exist).
        file: PathBuf,
    },
    /// Restore a backup file into the (empty) store named by `--db`.
    Restore {
        /// A file written by `gridmap backup`.
        file: PathBuf,
    },
    /// Copy a whole store into an empty one (e.g. SQLite to PostGIS), keeping
    /// ids, then verify the copy by counts and checksum.
    Migrate {
        /// Source store URL.
        #[arg(long)]
        from: String,
        /// Target store URL (must be empty; created if it is a new SQLite file).
        #[arg(long)]
        to: String,
    },
}

/// Sessions and HTTP limits of `serve`.
#[derive(clap::Args)]
struct SecurityArgs {
    /// Hours a login session lasts.
    #[arg(long, default_value_t = 8)]
    session_hours: u64,
    /// Mark the session cookie `Secure` (when served over HTTPS or behind a TLS proxy).
    #[arg(long)]
    secure_cookies: bool,
    /// Largest request body, KiB.
    #[arg(long, default_value_t = 1024)]
    max_body_kb: usize,
    /// Largest plan CSV import (`POST /api/plans/import`), MiB; at most 500,000 rows either way.
    #[arg(long, default_value_t = 32)]
    max_import_mb: usize,
    /// Longest a request may take, seconds.
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,
    /// Tile and glyph requests per second per client address (bursts of 5 s worth; 0 = no limit).
    #[arg(long, default_value_t = 300.0)]
    rate_limit_tiles: f64,
    /// Other requests per second per client address (bursts of 5 s worth; 0 = no limit).
    #[arg(long, default_value_t = 20.0)]
    rate_limit_api: f64,
}

impl SecurityArgs {
    fn configs(&self) -> (AuthConfig, LimitsConfig) {
        let auth = AuthConfig {
            session_ttl: std::time::Duration::from_secs(self.session_hours.max(1) * 3600),
            secure_cookies: self.secure_cookies,
            ..AuthConfig::default()
        };
        let limits = LimitsConfig {
            max_body_bytes: self.max_body_kb.saturating_mul(1024),
            max_import_bytes: self.max_import_mb.saturating_mul(1024 * 1024),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs.max(1)),
            tiles: Rate::per_second(self.rate_limit_tiles, 5.0),
            api: Rate::per_second(self.rate_limit_api, 5.0),
        };
        (auth, limits)
    }
}

#[derive(Subcommand)]
enum ImportCommand {
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

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        eprintln!("error: {}", chain.join(": "));
        std::process::exit(1);
    }
}

fn progress_bar(label: &'static str) -> Arc<dyn Fn(ImportProgress) + Send + Sync> {
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

async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open(url)
        .await
        .with_context(|| format!("cannot open store {url}"))?;
    Ok(Arc::from(store))
}

fn sqlite_url(file: &std::path::Path) -> String {
    format!("sqlite://{}", file.display())
}

async fn migrate(from: &str, to: &str) -> anyhow::Result<()> {
    let source = open(from).await?;
    let target = open(to).await?;
    let started = Instant::now();
    let report =
        store::migrate::migrate(source.as_ref(), target.as_ref(), &cli::actor(), &|step| {
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Synth {
        buildings,
        seed,
        osm: Some(path),
    } = cli.command
    {
        // Writes a file: the store is neither opened nor created.
        return synth_osm(buildings, seed, path).await;
    }
    match &cli.command {
        Command::Migrate { from, to } => return migrate(from, to).await,
        Command::Backup { file } => {
            if file.exists() {
                anyhow::bail!(
                    "{} already exists; a backup never overwrites a file",
                    file.display()
                );
            }
            return migrate(&cli.db, &sqlite_url(file)).await;
        }
        Command::Restore { file } => {
            if !file.is_file() {
                anyhow::bail!("no backup file at {}", file.display());
            }
            return migrate(&sqlite_url(file), &cli.db).await;
        }
        _ => {}
    }
    let store = open(&cli.db).await?;
    match cli.command {
        Command::Serve {
            listen,
            no_sample,
            tile_cache_mb,
            tile_geometry_mb,
            watch_ms,
            security,
            public_url,
        } => {
            let public_url = public_url
                .map(|u| PublicUrl::parse(&u).map_err(anyhow::Error::msg))
                .transpose()
                .context("bad --public-url")?;
            serve(
                store,
                listen,
                no_sample,
                (tile_cache_mb, tile_geometry_mb),
                watch_ms,
                &security,
                public_url,
            )
            .await
        }
        Command::Import(cmd) => import_command(store.as_ref(), cmd).await,
        Command::User(cmd) => cli::accounts::user_command(store.as_ref(), cmd).await,
        Command::Token(cmd) => cli::accounts::token_command(store.as_ref(), cmd).await,
        Command::Plan(cmd) => cli::plans::plan_command(store.as_ref(), cmd).await,
        Command::Sample => {
            if store.counts().await?.buildings > 0 {
                anyhow::bail!(
                    "the store already holds buildings; the sample loads only into an empty store"
                );
            }
            bootstrap::bootstrap_sample(store.as_ref(), progress_bar("sample"), &cli::actor())
                .await?;
            print_counts(store.as_ref()).await
        }
        Command::Synth {
            buildings,
            seed,
            osm: Some(path),
        } => synth_osm(buildings, seed, path).await,
        Command::Synth {
            buildings,
            seed,
            osm: None,
        } => {
            if store.counts().await?.buildings > 0 {
                anyhow::bail!(
                    "the store already holds buildings; synth writes only into an empty store"
                );
            }
            let started = Instant::now();
            let d = tokio::task::spawn_blocking(move || gridmap_data::synth::city(buildings, seed))
                .await?;
            let bar = ProgressBar::new(d.buildings.len() as u64);
            bar.set_message("writing");
            let mut tx = store.begin().await?;
            let n = store::write_dataset(tx.as_mut(), &d).await?;
            tx.append_audit(
                &AuditEntry::now(cli::actor(), "synth")
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
        Command::Info => print_counts(store.as_ref()).await,
        Command::Coverage(args) => cli::coverage::run(store.as_ref(), args).await,
        // Handled above, before `--db` is opened.
        Command::Migrate { from, to } => migrate(&from, &to).await,
        Command::Backup { .. } | Command::Restore { .. } => Ok(()),
    }
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

async fn print_counts(store: &dyn Store) -> anyhow::Result<()> {
    let c = store.counts().await?;
    println!(
        "communities {} · grids {} · buildings {} · stations {} · people {} · roads {} · areas {}",
        c.communities, c.grids, c.buildings, c.stations, c.people, c.roads, c.areas
    );
    Ok(())
}

/// The audit entry for an import of `file`.
fn import_audit(action: &str, file: &std::path::Path) -> AuditEntry {
    AuditEntry::now(cli::actor(), action).target(file.display().to_string())
}

async fn import_command(store: &dyn Store, cmd: ImportCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    match cmd {
        ImportCommand::Osm { file, prune } => {
            let audit =
                import_audit("import.osm", &file).detail(serde_json::json!({ "prune": prune }));
            let options = import::OsmOptions {
                prune: prune.then(cli::plan_buildings),
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
                println!("{name}: {}", cli::changes_line(ch, Some(c.prune)));
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
            println!("{name}: {}", cli::changes_line(changes, None));
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

async fn serve(
    store: Arc<dyn Store>,
    listen: SocketAddr,
    no_sample: bool,
    (tile_cache_mb, tile_geometry_mb): (usize, usize),
    watch_ms: u64,
    security: &SecurityArgs,
    public_url: Option<PublicUrl>,
) -> anyhow::Result<()> {
    if !no_sample
        && bootstrap::bootstrap_sample(store.as_ref(), progress_bar("sample"), "system:serve")
            .await?
    {
        tracing::info!("loaded the Nanjing sample (© OpenStreetMap contributors, ODbL)");
    }
    let started = Instant::now();
    let atlas = AppState::load_atlas(store.as_ref()).await?;
    let store_id = store.store_id().await?;
    let c = atlas.counts();
    tracing::info!(
        buildings = c.buildings,
        grids = c.grids,
        communities = c.communities,
        stations = c.stations,
        ms = started.elapsed().as_millis() as u64,
        "snapshot loaded"
    );
    let (auth, limits) = security.configs();
    let state = AppState::new(
        store,
        &store_id,
        atlas,
        tile_cache_mb.saturating_mul(1 << 20),
    )
    .with_config(auth, limits)
    .with_public_url(public_url.map(|u| u.0))
    .with_tile_geometry_budget(tile_geometry_mb.saturating_mul(1 << 20));
    state.coverage.start(state.atlas());
    spawn_reload_on_hangup(state.clone());
    spawn_watch_store(state.clone(), Duration::from_millis(watch_ms));
    spawn_session_purge(state.clone());
    let app = api::app(state).layer(tower_http::trace::TraceLayer::new_for_http());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server failed")?;
    Ok(())
}

/// Several servers over one database: poll the store's data version and
/// reload when another server (or the CLI) committed a change. The query is
/// one indexed row, so a few per second cost nothing.
fn spawn_watch_store(state: AppState, every: Duration) {
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match state.reload_if_changed().await {
                Ok(Some(atlas)) => tracing::info!(
                    snapshot = atlas.version(),
                    "store changed elsewhere; snapshot reloaded"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot check the store for changes"),
            }
        }
    });
}

/// Forget expired sessions and tokens once an hour.
fn spawn_session_purge(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let now = gridmap_data::store::accounts::unix_now();
            if let Err(e) = state.store.accounts().purge_expired(now).await {
                tracing::warn!(error = %e, "could not purge expired sessions");
            }
        }
    });
}

/// `kill -HUP` reloads the snapshot from the store (after a CLI import into
/// the same store while serving); readers switch atomically.
fn spawn_reload_on_hangup(state: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match state.reload().await {
                Ok(atlas) => tracing::info!(
                    snapshot = atlas.version(),
                    buildings = atlas.counts().buildings,
                    "snapshot reloaded"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "reload failed; keeping the current snapshot")
                }
            }
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
