//! `gridmap plan …`: plans from the command line, audited as the CLI actor
//! (`cli:<os user>`): list, validate (exit 1 on any break), partition into a
//! new draft, publish (refused on rule breaks or a changed base), rebase,
//! export (CSV / GeoJSON) and import an assignment CSV.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use gridmap_analysis::planning::exchange::{
    assignment_csv, parse_assignment_csv, plan_from_assignment, to_geojson,
};
use gridmap_analysis::planning::{Mode, PartitionOptions, partition, validate};
use gridmap_data::model::{Id, PlanOp};
use gridmap_data::store::{AuditEntry, Store};
use gridmap_server::plans::{PlanError, load, publish, rebase, write};
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
            let base_published = rebase::base_for_new_draft(store, community, None)
                .await
                .map_err(plan_err)?;
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
                base_published,
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
        PlanCommand::Publish {
            id,
            force,
            force_base,
            reason,
        } => {
            let base = if force_base {
                publish::BaseCheck::force(reason.as_deref()).map_err(plan_err)?
            } else {
                publish::BaseCheck::Required
            };
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
                base,
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
            if out.forced_base {
                println!("published over another publish (forced, reason audited)");
            }
        }
        PlanCommand::Rebase { id } => {
            let plan = load::plan(store, id).await.map_err(plan_err)?;
            let current = rebase::published_plan(store, plan.community_id)
                .await
                .map_err(plan_err)?;
            let atlas = AppState::load_atlas(store).await?;
            let out = rebase::rebase(
                store,
                &atlas,
                &plan,
                plan.version,
                current,
                &who,
                AuditEntry::now(&who, "plan.rebase"),
            )
            .await
            .map_err(plan_err)?;
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
            let base_published = rebase::base_for_new_draft(store, community, None)
                .await
                .map_err(plan_err)?;
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
                base_published,
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
