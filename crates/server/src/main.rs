//! `gridmap`: the gridmap server and command-line tool.
//!
//! Parses the command line, opens the store and hands over to the data
//! crate (imports) or the HTTP application (serve). Errors end here as one
//! line on stderr and a non-zero exit.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gridmap_data::Atlas;
use gridmap_data::import::{self, osm::ImportProgress};
use gridmap_data::store::{self, Store};
use indicatif::{ProgressBar, ProgressStyle};

use gridmap_server::api::qr::PublicUrl;
use gridmap_server::state::AppState;
use gridmap_server::{api, bootstrap};

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
        /// Tile cache size in MiB (0 turns it off).
        #[arg(long, default_value_t = 256)]
        tile_cache_mb: usize,
        /// Public origin building QR codes point at (e.g. https://grid.example.cn);
        /// default: the Host header of each request.
        #[arg(long, env = "GRIDMAP_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Import data into the store.
    #[command(subcommand)]
    Import(ImportCommand),
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
}

#[derive(Subcommand)]
enum ImportCommand {
    /// OSM XML (.osm) or PBF (.osm.pbf): buildings, streets, stations, water and land use.
    Osm { file: PathBuf },
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
    let store = open(&cli.db).await?;
    match cli.command {
        Command::Serve {
            listen,
            no_sample,
            tile_cache_mb,
            public_url,
        } => {
            let public_url = public_url
                .map(|u| PublicUrl::parse(&u).map_err(anyhow::Error::msg))
                .transpose()
                .context("bad --public-url")?;
            serve(store, listen, no_sample, tile_cache_mb, public_url).await
        }
        Command::Import(cmd) => import_command(store.as_ref(), cmd).await,
        Command::Sample => {
            if store.counts().await?.buildings > 0 {
                anyhow::bail!(
                    "the store already holds buildings; the sample loads only into an empty store"
                );
            }
            bootstrap::bootstrap_sample(store.as_ref(), progress_bar("sample")).await?;
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
            tx.commit().await?;
            bar.finish_and_clear();
            println!(
                "synthetic city: {n} buildings written in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            print_counts(store.as_ref()).await
        }
        Command::Info => print_counts(store.as_ref()).await,
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

async fn import_command(store: &dyn Store, cmd: ImportCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    match cmd {
        ImportCommand::Osm { file } => {
            let report = import::import_osm(store, &file, progress_bar("osm")).await?;
            println!(
                "imported {} buildings ({} multipolygons, {} with estimated households, {} households), {} streets ({} walkable), {} stations, {} areas in {:.1} s",
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
            if !report.skipped.is_empty() {
                println!("skipped {} features:", report.skipped.len());
                for s in report.skipped.iter().take(20) {
                    println!("  {s}");
                }
            }
        }
        ImportCommand::Geojson { layer, file } => {
            let layer: import::geojson::Layer = layer.parse()?;
            let r = import::import_geojson(store, layer, &file).await?;
            println!(
                "imported {} street offices, {} communities, {} grids, {} buildings, {} stations; {} buildings lie in a grid",
                r.street_offices,
                r.communities,
                r.grids,
                r.buildings,
                r.stations,
                r.assigned_buildings
            );
        }
        ImportCommand::Households { file } => {
            let r = import::import_households(store, &file).await?;
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
    tile_cache_mb: usize,
    public_url: Option<PublicUrl>,
) -> anyhow::Result<()> {
    if !no_sample && bootstrap::bootstrap_sample(store.as_ref(), progress_bar("sample")).await? {
        tracing::info!("loaded the Nanjing sample (© OpenStreetMap contributors, ODbL)");
    }
    let started = Instant::now();
    let data = store.load().await?;
    let atlas = tokio::task::spawn_blocking(move || Atlas::build(data, 1)).await?;
    let c = atlas.counts();
    tracing::info!(
        buildings = c.buildings,
        grids = c.grids,
        communities = c.communities,
        stations = c.stations,
        ms = started.elapsed().as_millis() as u64,
        "snapshot loaded"
    );
    let state = AppState::new(store, atlas, tile_cache_mb.saturating_mul(1 << 20));
    spawn_reload_on_hangup(state.clone());
    let mut app = api::app(state);
    if let Some(url) = public_url {
        app = app.layer(axum::Extension(url));
    }
    let app = app.layer(tower_http::trace::TraceLayer::new_for_http());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")?;
    Ok(())
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
