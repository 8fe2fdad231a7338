//! `gridmap serve`: load the sample into an empty store (unless
//! `--no-sample`), load the snapshot, and answer HTTP until SIGINT/SIGTERM;
//! SIGHUP and changes committed elsewhere reload the snapshot.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use gridmap_data::store::Store;
use gridmap_server::api;
use gridmap_server::api::qr::PublicUrl;
use gridmap_server::auth::AuthConfig;
use gridmap_server::limits::{LimitsConfig, Rate};
use gridmap_server::state::AppState;
use gridmap_service::bootstrap;

use super::{open, progress_bar};

/// `gridmap serve`'s options.
#[derive(clap::Args)]
pub struct ServeArgs {
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
}

/// Sessions and HTTP limits of `serve`.
#[derive(clap::Args)]
pub struct SecurityArgs {
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

/// Open the store named by `--db` and serve it.
pub async fn run(db: &str, args: ServeArgs) -> anyhow::Result<()> {
    let store = open(db).await?;
    let ServeArgs {
        listen,
        no_sample,
        tile_cache_mb,
        tile_geometry_mb,
        watch_ms,
        security,
        public_url,
    } = args;
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
