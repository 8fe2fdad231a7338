//! `gridmap plan …`: plans from the command line, audited as the CLI actor
//! (`cli:<os user>`): list, validate (exit 1 on any break), partition into a
//! new draft, publish, export (CSV / GeoJSON) and import an assignment CSV.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridmap_analysis::planning::exchange::{
    assignment_csv, parse_assignment_csv, plan_from_assignment, to_geojson,
};
use gridmap_analysis::planning::{Mode, PartitionOptions, partition, validate};
use gridmap_data::model::{Id, PlanOp};
use gridmap_data::store::{AuditEntry, Store};
use gridmap_server::plans::{PlanError, load, publish, write};
use gridmap_server::state::AppState;
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
    /// plan has rule breaks (they are listed) unless `--force` is given.
    Publish {
        id: Id,
        /// Publish despite rule breaks (audited as forced).
        #[arg(long)]
        force: bool,
    },
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

fn plan_err(e: PlanError) -> anyhow::Error {
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
        _ => anyhow::anyhow!("{} ({})", e, e.code()),
    }
}

pub async fn plan_command(store: &dyn Store, cmd: PlanCommand) -> anyhow::Result<()> {
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
            let plan = load::plan(store, id).await.map_err(plan_err)?;
            let state = load::state(store, id, plan.version)
                .await
                .map_err(plan_err)?;
            let rules = load::rules(store, plan.community_id)
                .await
                .map_err(plan_err)?;
            let atlas = AppState::load_atlas(store).await?;
            let input = load::input(&atlas, plan.community_id, &rules).map_err(plan_err)?;
            let breaks = validate(&input, &state, &rules);
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
                bail!("plan {id} breaks the rules {} times", breaks.len());
            }
        }
        PlanCommand::Partition {
            community,
            seed,
            name,
            best_effort,
        } => {
            let rules = load::rules(store, community).await.map_err(plan_err)?;
            let atlas = AppState::load_atlas(store).await?;
            let input = load::input(&atlas, community, &rules).map_err(plan_err)?;
            let base =
                publish::from_published(&atlas, &input, store.retired_codes(community).await?);
            let options = PartitionOptions {
                mode: Mode::Fresh,
                seed,
                grids: None,
                skip_compactness: false,
                best_effort,
            };
            let outcome = partition(&input, &base, &rules, &options)
                .map_err(|e| plan_err(PlanError::Partition(e)))?;
            let plan = write::insert(
                store,
                community,
                &name,
                None,
                &json!({"kind": "create", "from": null}),
                &base,
                &who,
                AuditEntry::now(&who, "plan.create"),
            )
            .await
            .map_err(plan_err)?;
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
            .await
            .map_err(plan_err)?;
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
        PlanCommand::Publish { id, force } => {
            let plan = load::plan(store, id).await.map_err(plan_err)?;
            let atlas = AppState::load_atlas(store).await?;
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
            )
            .await
            .map_err(plan_err)?;
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
        }
        PlanCommand::Export { id, csv, geojson } => {
            let plan = load::plan(store, id).await.map_err(plan_err)?;
            let state = load::state(store, id, plan.version)
                .await
                .map_err(plan_err)?;
            if csv && !geojson {
                print!("{}", assignment_csv(&state));
            } else {
                let rules = load::rules(store, plan.community_id)
                    .await
                    .map_err(plan_err)?;
                let atlas = AppState::load_atlas(store).await?;
                let input = load::input(&atlas, plan.community_id, &rules).map_err(plan_err)?;
                println!("{}", to_geojson(&input, &state));
            }
        }
        PlanCommand::Import {
            community,
            name,
            file,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let rules = load::rules(store, community).await.map_err(plan_err)?;
            let atlas = AppState::load_atlas(store).await?;
            let input = load::input(&atlas, community, &rules).map_err(plan_err)?;
            let rows = parse_assignment_csv(&text).map_err(|e| plan_err(e.into()))?;
            let mut state = plan_from_assignment(&input, &rows).map_err(|e| plan_err(e.into()))?;
            state
                .retired_codes
                .extend(store.retired_codes(community).await?);
            let plan = write::insert(
                store,
                community,
                &name,
                None,
                &json!({"kind": "import", "rows": rows.len(), "file": file.display().to_string()}),
                &state,
                &who,
                AuditEntry::now(&who, "plan.import"),
            )
            .await
            .map_err(plan_err)?;
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
