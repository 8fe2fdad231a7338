//! `gridmap`: the gridmap server and command-line tool.
//!
//! Parses the command line and hands each command to its module under
//! `cli/` (one dispatch, below). Errors end here as one line on stderr and a
//! non-zero exit.

mod cli;

use clap::{Parser, Subcommand};

use cli::accounts::{TokenCommand, UserCommand};
use cli::import::ImportCommand;
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
    Serve(cli::serve::ServeArgs),
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
    Synth(cli::synth::SynthArgs),
    /// Print what the store holds.
    Info,
    /// Print the 15-minute walking coverage roll-up (table or CSV).
    Coverage(cli::coverage::CoverageArgs),
    /// Back the store up into a new SQLite file (everything `migrate` copies).
    Backup(cli::store::BackupArgs),
    /// Restore a backup file into the (empty) store named by `--db`.
    Restore(cli::store::RestoreArgs),
    /// Copy a whole store into an empty one (e.g. SQLite to PostGIS), keeping
    /// ids, then verify the copy by counts and checksum.
    Migrate(cli::store::MigrateArgs),
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

/// The one dispatch: each command opens the store named by `--db` itself
/// when it needs one (`migrate` names its own two, `synth --osm` none).
async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli.db.as_str();
    match cli.command {
        Command::Serve(args) => cli::serve::run(db, args).await,
        Command::User(cmd) => cli::accounts::user_command(cli::open(db).await?.as_ref(), cmd).await,
        Command::Token(cmd) => {
            cli::accounts::token_command(cli::open(db).await?.as_ref(), cmd).await
        }
        Command::Import(cmd) => cli::import::run(cli::open(db).await?.as_ref(), cmd).await,
        Command::Plan(cmd) => cli::plans::plan_command(cli::open(db).await?.as_ref(), cmd).await,
        Command::Sample => cli::sample::run(db).await,
        Command::Synth(args) => cli::synth::run(db, args).await,
        Command::Info => cli::store::info(db).await,
        Command::Coverage(args) => cli::coverage::run(cli::open(db).await?.as_ref(), args).await,
        Command::Backup(args) => cli::store::backup(db, args).await,
        Command::Restore(args) => cli::store::restore(db, args).await,
        Command::Migrate(args) => cli::store::copy(args).await,
    }
}
