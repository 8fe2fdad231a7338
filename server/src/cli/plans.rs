//! `gridmap plan …`: plans from the command line, audited as the CLI actor
//! (`cli:<os user>`): list, validate (exit 1 on any break), partition into a
//! new draft, publish (refused on rule breaks or a changed base), rebase,
//! export (CSV / GeoJSON) and import an assignment CSV.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use gridmap_analysis::planning::exchange::{
    assignment_csv, parse_assignment_csv, plan_from_assignment, to_geojson,
};
use gridmap_analysis::planning::{
    ExchangeError, Mode, PartitionError, PartitionOptions, partition, validate,
};
use gridmap_data::DataError;
use gridmap_data::model::{Id, PlanOp};
use gridmap_data::store::{AuditEntry, Store};
use gridmap_service::load_atlas;
use gridmap_service::plans::{CommunityWork, PlanError, Workspace, load, publish, rebase, write};
use serde_json::json;

use super::actor;

#[derive(Subcommand)]
pub enum PlanCommand {
    /// List plans, newest first.
    List {
        #[arg(long)]
        community: Option<Id>,
    },
    /// Print every rule break of a plan's newest version; exit 1 when there is any.
    Validate { id: Id },
    /// Partition a community afresh into a new draft plan and print the report.
    Partition {
        #[arg(long)]
        community: Id,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "automatic partition")]
        name: String,
        /// Where the rules are proven impossible (a building above the
        /// maximum, too few households), draw the nearest grids and list the
        /// rules left broken instead of failing.
        #[arg(long)]
        best_effort: bool,
    },
    /// Publish a draft: it becomes the community's grids. Refused when the
    /// plan has rule breaks (they are listed) unless `--force` is given, and
    /// when it was made from another published plan than the community's
    /// current one (`base_changed`: rebase it, or `--force-base --reason`).
    Publish {
        id: Id,
        /// Publish despite rule breaks (audited as forced).
        #[arg(long)]
        force: bool,
        /// Publish although another plan was published since the draft was
        /// made, replacing it (needs --reason; audited).
        #[arg(long, requires = "reason")]
        force_base: bool,
        /// Why the other publish is replaced (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move a draft onto the community's published plan: it restarts from
    /// the published grids and its own edits are replayed; the edits that
    /// could not be replayed, or were replayed over the other publish's
    /// change, are listed.
    Rebase { id: Id },
    /// Write a plan as a building→grid CSV or as GeoJSON to stdout.
    Export {
        id: Id,
        #[arg(long, conflicts_with = "geojson", required_unless_present = "geojson")]
        csv: bool,
        #[arg(long)]
        geojson: bool,
    },
    /// A new draft from a `building_id,grid_code` CSV.
    Import {
        #[arg(long)]
        community: Id,
        #[arg(long, default_value = "imported")]
        name: String,
        file: PathBuf,
    },
}

/// Why a plan command failed: the plan service's error (reported with its
/// code, see [`reason`]) or anything else (a file, the store, the rules).
enum Failure {
    Plan(PlanError),
    Other(anyhow::Error),
}

impl From<PlanError> for Failure {
    fn from(e: PlanError) -> Self {
        Failure::Plan(e)
    }
}

impl From<PartitionError> for Failure {
    fn from(e: PartitionError) -> Self {
        Failure::Plan(e.into())
    }
}

impl From<ExchangeError> for Failure {
    fn from(e: ExchangeError) -> Self {
        Failure::Plan(e.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<DataError> for Failure {
    fn from(e: DataError) -> Self {
        Failure::Other(e.into())
    }
}

/// A plan service error as one line (with its code), or, for rule breaks
/// and a changed base, a line and what to do about it.
fn reason(e: PlanError) -> anyhow::Error {
    match &e {
        PlanError::HasBreaks { breaks, .. } => {
            let list: Vec<String> = breaks
                .iter()
                .map(|b| format!("  - {} / {}", b.message, b.message_zh))
                .collect();
            anyhow::anyhow!(
                "{} ({}); pass --force to publish anyway:\n{}",
                e,
                e.code(),
                list.join("\n")
            )
        }
        PlanError::BaseChanged(b) => {
            let base = b.base_plan.as_ref().map_or_else(
                || "when no plan was published".to_owned(),
                |p| format!("from published plan {} \"{}\"", p.id, p.name),
            );
            let p = &b.published_plan;
            anyhow::anyhow!(
                "plan {} was made {base}, but plan {} \"{}\" was published since{} ({}); run `gridmap plan rebase {}`, or `gridmap plan publish {} --force-base --reason TEXT` to replace it ({})",
                b.plan,
                p.id,
                p.name,
                p.published_by
                    .as_deref()
                    .map_or_else(String::new, |w| format!(" by {w}")),
                b.changes.summary(),
                b.plan,
                b.plan,
                e.code()
            )
        }
        _ => anyhow::anyhow!("{} ({})", e, e.code()),
    }
}

pub async fn plan_command(store: &dyn Store, cmd: PlanCommand) -> anyhow::Result<()> {
    match run(store, cmd).await {
        Ok(()) => Ok(()),
        Err(Failure::Plan(e)) => Err(reason(e)),
        Err(Failure::Other(e)) => Err(e),
    }
}

async fn run(store: &dyn Store, cmd: PlanCommand) -> Result<(), Failure> {
    let who = actor();
    match cmd {
        PlanCommand::List { community } => {
            println!(
                "{:>5}  {:>9}  {:<9}  {:>7}  {:<20}  name",
                "id", "community", "status", "version", "created by"
            );
            for p in store.plans(community).await? {
                println!(
                    "{:>5}  {:>9}  {:<9}  {:>7}  {:<20}  {}",
                    p.id,
                    p.community_id,
                    p.status.as_str(),
                    p.version,
                    p.created_by,
                    p.name
                );
            }
        }
        PlanCommand::Validate { id } => {
            let plan = load::plan(store, id).await?;
            let atlas = load_atlas(store).await?;
            let ws = Workspace::open(store, &atlas, &plan, plan.version).await?;
            let breaks = validate(&ws.input, &ws.state, &ws.rules);
            println!(
                "plan {id} version {}: {} breaks",
                plan.version,
                breaks.len()
            );
            for b in &breaks {
                let kind = serde_json::to_value(&b.kind)
                    .ok()
                    .and_then(|v| v["kind"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                println!("{kind:<20}  grids {:?}  {}", b.grids, b.message);
            }
            if !breaks.is_empty() {
                return Err(anyhow!("plan {id} breaks the rules {} times", breaks.len()).into());
            }
        }
        PlanCommand::Partition {
            community,
            seed,
            name,
            best_effort,
        } => {
            let base_published = rebase::base_for_new_draft(store, community, None).await?;
            let atlas = load_atlas(store).await?;
            let CommunityWork { rules, input, .. } =
                CommunityWork::open(store, &atlas, community).await?;
            let base =
                publish::from_published(&atlas, &input, store.retired_codes(community).await?);
            let options = PartitionOptions {
                mode: Mode::Fresh,
                seed,
                grids: None,
                skip_compactness: false,
                best_effort,
            };
            let outcome = partition(&input, &base, &rules, &options)?;
            let plan = write::insert(
                store,
                community,
                &name,
                None,
                base_published,
                &json!({"kind": "create", "from": null}),
                &base,
                &who,
                AuditEntry::now(&who, "plan.create"),
            )
            .await?;
            let edit = json!({"kind": "partition", "mode": "fresh", "seed": seed, "rules": rules, "best_effort": best_effort});
            let v = write::append(
                store,
                plan.id,
                plan.version,
                PlanOp::Edit,
                &edit,
                &outcome.plan,
                &who,
                AuditEntry::now(&who, "plan.partition"),
            )
            .await?;
            let r = &outcome.report;
            println!("draft plan {} version {v}", plan.id);
            println!(
                "grids {} (lower bound {}) · households per grid min {} mean {:.1} max {} · buildings moved {} · compactness {} · breaks {}",
                r.grids,
                r.grids_lower_bound,
                r.households_min,
                r.households_mean,
                r.households_max,
                r.buildings_moved,
                r.compactness
                    .map_or_else(|| "–".to_owned(), |c| format!("{c:.3}")),
                r.violations
            );
            for x in &r.relaxed {
                println!("rule left broken: {}", x.message);
            }
        }
        PlanCommand::Publish {
            id,
            force,
            force_base,
            reason,
        } => {
            let base = if force_base {
                publish::BaseCheck::force(reason.as_deref())?
            } else {
                publish::BaseCheck::Required
            };
            let plan = load::plan(store, id).await?;
            let atlas = load_atlas(store).await?;
            let out = publish::publish(
                store,
                &atlas,
                &plan,
                plan.version,
                &who,
                AuditEntry::now(&who, "plan.publish"),
                if force {
                    publish::Force::Yes
                } else {
                    publish::Force::No
                },
                base,
            )
            .await?;
            println!(
                "plan {id} published (version {}): {} grids kept, {} added, {} removed, {} buildings moved{}",
                out.version,
                out.grids_kept,
                out.grids_added,
                out.grids_removed,
                out.buildings_moved,
                out.archived_plan
                    .map_or_else(String::new, |p| format!("; plan {p} archived"))
            );
            if out.forced_base {
                println!("published over another publish (forced, reason audited)");
            }
        }
        PlanCommand::Rebase { id } => {
            let plan = load::plan(store, id).await?;
            let current = rebase::published_plan(store, plan.community_id).await?;
            let atlas = load_atlas(store).await?;
            let out = rebase::rebase(
                store,
                &atlas,
                &plan,
                plan.version,
                current,
                &who,
                AuditEntry::now(&who, "plan.rebase"),
            )
            .await?;
            println!(
                "plan {id} rebased onto plan {} (version {}): {} of {} edits replayed, {} conflict(s); the other publish: {}",
                out.base_published_id,
                out.version,
                out.replayed,
                out.edits,
                out.conflicts.len(),
                out.changes.summary()
            );
            for c in &out.conflicts {
                let kind = serde_json::to_value(c.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                println!(
                    "conflict {kind:<12} {:<9} {}",
                    if c.applied { "applied" } else { "left out" },
                    c.message
                );
            }
        }
        PlanCommand::Export { id, csv, geojson } => {
            let plan = load::plan(store, id).await?;
            if csv && !geojson {
                let state = load::state(store, id, plan.version).await?;
                print!("{}", assignment_csv(&state));
            } else {
                let atlas = load_atlas(store).await?;
                let ws = Workspace::open(store, &atlas, &plan, plan.version).await?;
                println!("{}", to_geojson(&ws.input, &ws.state));
            }
        }
        PlanCommand::Import {
            community,
            name,
            file,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let atlas = load_atlas(store).await?;
            let work = CommunityWork::open(store, &atlas, community).await?;
            let base_published = rebase::base_for_new_draft(store, community, None).await?;
            let rows = parse_assignment_csv(&text)?;
            let mut state = plan_from_assignment(&work.input, &rows)?;
            state
                .retired_codes
                .extend(store.retired_codes(community).await?);
            let plan = write::insert(
                store,
                community,
                &name,
                None,
                base_published,
                &json!({"kind": "import", "rows": rows.len(), "file": file.display().to_string()}),
                &state,
                &who,
                AuditEntry::now(&who, "plan.import"),
            )
            .await?;
            println!(
                "draft plan {} from {} rows: {} grids",
                plan.id,
                rows.len(),
                state.grids.len()
            );
        }
    }
    Ok(())
}
