//! A draft's base: the community's published plan its content builds on
//! (`plans.base_published_id`), what another publish changed since, and the
//! rebase that moves a draft onto the newer published plan.
//!
//! Publishing a draft whose base is no longer the community's published plan
//! would silently undo the other publish (a lost update), so
//! [`super::publish::publish`] refuses it with [`PlanError::BaseChanged`]:
//! (`base_changed`) naming the published plan (who, when) and what it
//! changed ([`Changes`], grid by grid, by code: codes are stable across
//! plans). The planner then rebases, or forces with a reason (audited).
//!
//! A rebase ([`rebase`]) restarts the draft from the published grids as they
//! are now (a `rebase` version: undo stops there) and replays the draft's
//! own edits since its start (its undo stack: undone edits stay out) as
//! `edit` versions, each undoable, all in one transaction with the new base
//! and the audit row. Grid keys are per lineage, so each edit's grids are
//! found by code in the published grids (and grids the draft made by the
//! edit that made them). What could not be replayed, or was replayed over a
//! change the other publish made to the same grid or buildings, is listed
//! as a [`Conflict`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use gridmap_analysis::planning::diff::diff;
use gridmap_analysis::planning::{
    CommunityInput, GridKey, Mode, PartitionOptions, PlanState, Rules, partition,
};
use gridmap_data::Atlas;
use gridmap_data::model::{Id, Plan, PlanOp, PlanStatus, PlanVersion};
use gridmap_data::store::accounts::unix_now;
use gridmap_data::store::{AuditEntry, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::align::align_by_code;
use super::edit::Edit;
use super::error::DraftOnly;
use super::{CommunityWork, PlanError, history, load, publish};

/// Moved buildings listed one by one in [`Changes::moved`] (the count is
/// always whole).
pub const MAX_LISTED_MOVES: usize = 200;

/// A plan as a `base_changed` answer names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanRef {
    pub id: Id,
    pub name: String,
    pub status: PlanStatus,
    /// Unix seconds.
    pub published_at: Option<i64>,
    /// Who published it (the author of its `publish` version).
    pub published_by: Option<String>,
}

/// A grid by code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GridRef {
    pub code: String,
    pub name: String,
}

/// A grid whose name changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Renamed {
    pub code: String,
    pub from: String,
    pub to: String,
}

/// A grid kept (same code) with other changes: `kind`, `people`, `shape`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GridChanged {
    pub code: String,
    pub name: String,
    pub fields: Vec<&'static str>,
}

/// A building that changed grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MovedRef {
    pub building: Id,
    pub from_code: Option<String>,
    pub to_code: Option<String>,
}

/// What changed from one plan to another, by grid code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Changes {
    pub grids_added: Vec<GridRef>,
    pub grids_removed: Vec<GridRef>,
    pub grids_renamed: Vec<Renamed>,
    pub grids_changed: Vec<GridChanged>,
    pub buildings_moved: usize,
    pub households_moved: u64,
    /// The first [`MAX_LISTED_MOVES`] moved buildings.
    pub moved: Vec<MovedRef>,
}

impl Changes {
    /// One line for people: "2 grids renamed, 1 added, 0 removed, 5 buildings moved".
    pub fn summary(&self) -> String {
        format!(
            "{} grid(s) added, {} removed, {} renamed, {} otherwise changed; {} building(s) moved ({} households)",
            self.grids_added.len(),
            self.grids_removed.len(),
            self.grids_renamed.len(),
            self.grids_changed.len(),
            self.buildings_moved,
            self.households_moved
        )
    }
}

/// What changed from `before` to `after` (plans of one community, any
/// lineages: grids are matched by code).
pub fn changes(input: &CommunityInput, before: &PlanState, after: &PlanState) -> Changes {
    let after = align_by_code(before, after);
    let d = diff(input, before, &after);
    let code =
        |s: &PlanState, k: Option<GridKey>| k.and_then(|k| s.grid(k)).map(|g| g.code.clone());
    let gref = |s: &PlanState, k: GridKey| {
        s.grid(k).map(|g| GridRef {
            code: g.code.clone(),
            name: g.name.clone(),
        })
    };
    let mut out = Changes {
        grids_added: d
            .grids_added
            .iter()
            .filter_map(|k| gref(&after, *k))
            .collect(),
        grids_removed: d
            .grids_removed
            .iter()
            .filter_map(|k| gref(before, *k))
            .collect(),
        buildings_moved: d.moved.len(),
        households_moved: d.households_moved,
        moved: d
            .moved
            .iter()
            .take(MAX_LISTED_MOVES)
            .map(|m| MovedRef {
                building: m.building,
                from_code: code(before, m.from),
                to_code: code(&after, m.to),
            })
            .collect(),
        ..Changes::default()
    };
    for g in &after.grids {
        let Some(old) = before.grid(g.key) else {
            continue;
        };
        if old.name != g.name {
            out.grids_renamed.push(Renamed {
                code: g.code.clone(),
                from: old.name.clone(),
                to: g.name.clone(),
            });
        }
        let mut fields = Vec::new();
        if old.kind != g.kind {
            fields.push("kind");
        }
        if old.people != g.people {
            fields.push("people");
        }
        if old.outline != g.outline {
            fields.push("shape");
        }
        if !fields.is_empty() {
            out.grids_changed.push(GridChanged {
                code: g.code.clone(),
                name: g.name.clone(),
                fields,
            });
        }
    }
    out
}

/// A draft was made from another published plan than the community's
/// current one: what a `base_changed` refusal reports.
#[derive(Debug, Clone, Serialize)]
pub struct BaseChanged {
    /// The draft.
    pub plan: Id,
    /// The published plan the draft builds on (`None`: none was published).
    pub base_plan: Option<PlanRef>,
    /// The community's published plan now.
    pub published_plan: PlanRef,
    /// What was published since the draft's base, by grid code.
    pub changes: Changes,
}

impl std::fmt::Display for BaseChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let base = self.base_plan.as_ref().map_or_else(
            || "when no plan was published".to_owned(),
            |b| format!("from published plan {} \"{}\"", b.id, b.name),
        );
        let p = &self.published_plan;
        write!(
            f,
            "plan {} was made {base}, but plan {} \"{}\" was published since{} ({}); rebase the draft onto it (POST /api/plans/{}/rebase, `gridmap plan rebase {}`) or publish with force_base and a reason",
            self.plan,
            p.id,
            p.name,
            p.published_by
                .as_deref()
                .map_or_else(String::new, |w| format!(" by {w}")),
            self.changes.summary(),
            self.plan,
            self.plan,
        )
    }
}

/// The community's published plan, if any.
pub async fn published_plan(store: &dyn Store, community: Id) -> Result<Option<Plan>, PlanError> {
    Ok(store
        .plans(Some(community))
        .await?
        .into_iter()
        .find(|p| p.status == PlanStatus::Published))
}

async fn plan_ref(store: &dyn Store, plan: &Plan) -> Result<PlanRef, PlanError> {
    let published_by = store
        .plan_history(plan.id)
        .await?
        .into_iter()
        .rev()
        .find(|v| v.op == PlanOp::Publish)
        .map(|v| v.author);
    Ok(PlanRef {
        id: plan.id,
        name: plan.name.clone(),
        status: plan.status,
        published_at: plan.published_at,
        published_by,
    })
}

/// What a `base_changed` answer says about draft `plan` now that `current`
/// is published: who published what, and what changed since the draft's
/// base (the base plan's state, or the draft's first state when it has none).
pub async fn base_change(
    store: &dyn Store,
    input: &CommunityInput,
    plan: &Plan,
    current: &Plan,
) -> Result<BaseChanged, PlanError> {
    let base = match plan.base_published_id {
        Some(id) => store.plan(id).await?,
        None => None,
    };
    let before = match &base {
        Some(b) => load::state(store, b.id, b.version).await?,
        None => load::state(store, plan.id, 1).await?,
    };
    let after = load::state(store, current.id, current.version).await?;
    let base_plan = match &base {
        Some(b) => Some(plan_ref(store, b).await?),
        None => None,
    };
    Ok(BaseChanged {
        plan: plan.id,
        base_plan,
        published_plan: plan_ref(store, current).await?,
        changes: changes(input, &before, &after),
    })
}

/// The published plan a new draft builds on: a copy of a draft builds on
/// that draft's base; anything else (the published grids, a published or
/// archived plan, an import) on the community's published plan now. Read
/// before the snapshot the draft's state comes from is brought up to date,
/// so a publish in between can only make the base look older (a later
/// `base_changed`), never newer.
pub async fn base_for_new_draft(
    store: &dyn Store,
    community: Id,
    from: Option<&Plan>,
) -> Result<Option<Id>, PlanError> {
    if let Some(f) = from
        && f.status == PlanStatus::Draft
    {
        return Ok(f.base_published_id);
    }
    Ok(published_plan(store, community).await?.map(|p| p.id))
}

// ------------------------------------------------------------------ rebase

/// Why an edit was not replayed as it was, or was replayed over the other
/// publish's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The edit's grid is not in the published plan (removed or recoded
    /// there), or was made by an edit that was left out: left out.
    GridGone,
    /// The edit no longer applies (the engine refused it): left out.
    Failed,
    /// Applied, over a change the other publish made to the same grid
    /// (name, kind, people) or to the same buildings' grid: check it.
    BothChanged,
}

/// One edit of the draft that a rebase could not replay cleanly.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    /// The draft's version that made the edit (before the rebase).
    pub version: i64,
    /// The edit as the draft made it.
    pub edit: Value,
    pub kind: ConflictKind,
    /// Whether the edit is in the rebased draft.
    pub applied: bool,
    /// The grid concerned, by code, when there is one.
    pub grid: Option<String>,
    /// What the other publish changed on that grid: `name`, `kind`, `people`.
    pub fields: Vec<&'static str>,
    /// Buildings both the edit and the other publish moved (first 200).
    pub buildings: Vec<Id>,
    /// The engine's refusal code (`failed` only).
    pub reason_code: Option<&'static str>,
    pub message: String,
}

/// What a rebase did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rebased {
    /// The draft's version after the rebase.
    pub version: i64,
    /// The published plan the draft now builds on.
    pub base_published_id: Id,
    /// The base it had.
    pub previous_base_id: Option<Id>,
    /// Edits replayed (conflicting ones included when applied).
    pub replayed: usize,
    /// Edits the draft had since its start.
    pub edits: usize,
    pub conflicts: Vec<Conflict>,
    /// What the other publish changed (base → published plan).
    pub changes: Changes,
}

/// The recorded JSON of an automatic partition (see `api::plans`).
#[derive(Debug, Clone, Deserialize, Serialize)]
struct PartitionEdit {
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    grids: Option<BTreeSet<GridKey>>,
    rules: Rules,
    #[serde(default)]
    best_effort: bool,
}

/// An edit the replay understands.
#[derive(Debug, Clone)]
enum Replayable {
    Edit(Edit),
    Partition(PartitionEdit),
}

impl Replayable {
    fn parse(text: &str) -> Option<Replayable> {
        let v: Value = serde_json::from_str(text).ok()?;
        if v.get("kind").and_then(Value::as_str) == Some("partition") {
            serde_json::from_value(v).ok().map(Replayable::Partition)
        } else {
            serde_json::from_value(v).ok().map(Replayable::Edit)
        }
    }

    /// The grid keys it names, in order.
    fn keys(&self) -> Vec<GridKey> {
        match self {
            Replayable::Partition(p) => p.grids.iter().flatten().copied().collect(),
            Replayable::Edit(e) => match e {
                Edit::Move { to, .. } => vec![*to],
                Edit::AddGrid { .. } => vec![],
                Edit::Merge { grids } => grids.clone(),
                Edit::Draw { grid, .. } => grid.iter().copied().collect(),
                Edit::Split { grid, .. }
                | Edit::Rename { grid, .. }
                | Edit::Recode { grid, .. }
                | Edit::Lock { grid }
                | Edit::Unlock { grid }
                | Edit::SetKind { grid, .. }
                | Edit::SetPeople { grid, .. } => vec![*grid],
            },
        }
    }

    /// The same edit with its keys mapped (every key must be in `map`).
    fn remapped(&self, map: &HashMap<GridKey, GridKey>) -> Option<Replayable> {
        let m = |k: &GridKey| map.get(k).copied();
        Some(match self {
            Replayable::Partition(p) => Replayable::Partition(PartitionEdit {
                grids: match &p.grids {
                    Some(g) => Some(g.iter().map(m).collect::<Option<_>>()?),
                    None => None,
                },
                ..p.clone()
            }),
            Replayable::Edit(e) => Replayable::Edit(match e.clone() {
                Edit::Move { buildings, to } => Edit::Move {
                    buildings,
                    to: m(&to)?,
                },
                Edit::Merge { grids } => Edit::Merge {
                    grids: grids.iter().map(m).collect::<Option<_>>()?,
                },
                Edit::Draw { polygon, grid } => Edit::Draw {
                    polygon,
                    grid: match grid {
                        Some(g) => Some(m(&g)?),
                        None => None,
                    },
                },
                Edit::Split { grid, line } => Edit::Split {
                    grid: m(&grid)?,
                    line,
                },
                Edit::Rename { grid, name } => Edit::Rename {
                    grid: m(&grid)?,
                    name,
                },
                Edit::Recode { grid, code } => Edit::Recode {
                    grid: m(&grid)?,
                    code,
                },
                Edit::Lock { grid } => Edit::Lock { grid: m(&grid)? },
                Edit::Unlock { grid } => Edit::Unlock { grid: m(&grid)? },
                Edit::SetKind { grid, grid_kind } => Edit::SetKind {
                    grid: m(&grid)?,
                    grid_kind,
                },
                Edit::SetPeople { grid, people } => Edit::SetPeople {
                    grid: m(&grid)?,
                    people,
                },
                e @ Edit::AddGrid { .. } => e,
            }),
        })
    }

    fn apply(&self, input: &CommunityInput, plan: &mut PlanState) -> Result<(), PlanError> {
        match self {
            Replayable::Edit(e) => e.apply(input, plan).map(|_| ()).map_err(PlanError::from),
            Replayable::Partition(p) => {
                let options = PartitionOptions {
                    mode: p.mode,
                    seed: p.seed,
                    grids: p.grids.clone(),
                    skip_compactness: true,
                    best_effort: p.best_effort,
                };
                *plan = partition(input, plan, &p.rules, &options)?.plan;
                Ok(())
            }
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Replayable::Edit(e) => serde_json::to_value(e).unwrap_or(Value::Null),
            Replayable::Partition(p) => {
                let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                v["kind"] = json!("partition");
                v
            }
        }
    }
}

/// One edit of the draft to replay, with the states around it (for the
/// keys of the grids it made).
struct Step {
    version: i64,
    edit: String,
    before: PlanState,
    after: PlanState,
}

/// What the replay produced: the edits applied (as applied, with their
/// states) and the conflicts.
struct Replay {
    applied: Vec<(Value, PlanState)>,
    conflicts: Vec<Conflict>,
}

fn keys_of(s: &PlanState) -> BTreeSet<GridKey> {
    s.grids.iter().map(|g| g.key).collect()
}

/// Building → grid code.
fn codes_by_building(s: &PlanState) -> HashMap<Id, &str> {
    s.assignment
        .iter()
        .filter_map(|(b, k)| s.grid(*k).map(|g| (*b, g.code.as_str())))
        .collect()
}

/// Replay `steps` (made on `start`) onto `theirs`.
fn replay(input: &CommunityInput, start: &PlanState, theirs: &PlanState, steps: &[Step]) -> Replay {
    // What the other publish changed, by code.
    let start_codes = codes_by_building(start);
    let their_codes = codes_by_building(theirs);
    let theirs_moved: BTreeSet<Id> = start_codes
        .keys()
        .chain(their_codes.keys())
        .filter(|b| start_codes.get(*b) != their_codes.get(*b))
        .copied()
        .collect();
    let by_code: HashMap<&str, GridKey> = theirs
        .grids
        .iter()
        .map(|g| (g.code.as_str(), g.key))
        .collect();
    let mut map: HashMap<GridKey, GridKey> = start
        .grids
        .iter()
        .filter_map(|g| by_code.get(g.code.as_str()).map(|k| (g.key, *k)))
        .collect();
    let their_fields = |code: &str| -> Vec<&'static str> {
        let (Some(a), Some(b)) = (
            start.grids.iter().find(|g| g.code == code),
            theirs.grids.iter().find(|g| g.code == code),
        ) else {
            return Vec::new();
        };
        let mut f = Vec::new();
        if a.name != b.name {
            f.push("name");
        }
        if a.kind != b.kind {
            f.push("kind");
        }
        if a.people != b.people {
            f.push("people");
        }
        f
    };

    let mut cur = theirs.clone();
    let mut out = Replay {
        applied: Vec::new(),
        conflicts: Vec::new(),
    };
    for step in steps {
        let edit_json: Value =
            serde_json::from_str(&step.edit).unwrap_or_else(|_| Value::String(step.edit.clone()));
        let conflict = |kind: ConflictKind, grid: Option<String>, message: String| Conflict {
            version: step.version,
            edit: edit_json.clone(),
            kind,
            applied: kind == ConflictKind::BothChanged,
            grid,
            fields: Vec::new(),
            buildings: Vec::new(),
            reason_code: None,
            message,
        };
        let Some(edit) = Replayable::parse(&step.edit) else {
            out.conflicts.push(conflict(
                ConflictKind::Failed,
                None,
                format!(
                    "version {}: this kind of edit cannot be replayed",
                    step.version
                ),
            ));
            continue;
        };
        let keys = edit.keys();
        if let Some(gone) = keys.iter().find(|k| !map.contains_key(k)) {
            let code = step.before.grid(*gone).map(|g| g.code.clone());
            let message = match (&code, start.grid(*gone)) {
                (Some(c), Some(_)) => format!(
                    "version {}: grid {c} is not in the published plan (removed or recoded there); the edit was left out",
                    step.version
                ),
                _ => format!(
                    "version {}: grid {} was made by an edit that was left out; this edit was left out too",
                    step.version,
                    code.as_deref().unwrap_or("?")
                ),
            };
            out.conflicts
                .push(conflict(ConflictKind::GridGone, code, message));
            continue;
        }
        let Some(mapped) = edit.remapped(&map) else {
            continue;
        };
        let mut next = cur.clone();
        if let Err(e) = mapped.apply(input, &mut next) {
            let grid = keys
                .first()
                .and_then(|k| step.before.grid(*k))
                .map(|g| g.code.clone());
            let mut c = conflict(
                ConflictKind::Failed,
                grid,
                format!(
                    "version {}: the edit no longer applies to the published grids ({e}); it was left out",
                    step.version
                ),
            );
            c.reason_code = Some(e.code());
            out.conflicts.push(c);
            continue;
        }
        // Grids the edit made: the draft's keys → the replay's.
        let made_then: Vec<GridKey> = keys_of(&step.after)
            .difference(&keys_of(&step.before))
            .copied()
            .collect();
        let made_now: Vec<GridKey> = keys_of(&next).difference(&keys_of(&cur)).copied().collect();
        for (a, b) in made_then.iter().zip(&made_now) {
            map.insert(*a, *b);
        }
        // Over the other publish's change?
        let moved_now: Vec<Id> = cur
            .assignment
            .keys()
            .chain(next.assignment.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|b| cur.assignment.get(*b) != next.assignment.get(*b))
            .copied()
            .collect();
        let both: Vec<Id> = moved_now
            .iter()
            .filter(|b| theirs_moved.contains(b))
            .copied()
            .collect();
        let (field_grid, wanted): (Option<GridKey>, Option<&'static str>) = match &edit {
            Replayable::Edit(Edit::Rename { grid, .. }) => (Some(*grid), Some("name")),
            Replayable::Edit(Edit::SetKind { grid, .. }) => (Some(*grid), Some("kind")),
            Replayable::Edit(Edit::SetPeople { grid, .. }) => (Some(*grid), Some("people")),
            _ => (None, None),
        };
        let field_clash = field_grid
            .and_then(|k| start.grid(k))
            .zip(wanted)
            .filter(|(g, w)| their_fields(&g.code).contains(w))
            .map(|(g, w)| (g.code.clone(), vec![w]));
        if let Some((code, fields)) = field_clash {
            let mut c = conflict(
                ConflictKind::BothChanged,
                Some(code.clone()),
                format!(
                    "version {}: grid {code}'s {} was also changed by the other publish; the draft's value was kept",
                    step.version,
                    fields.join(", ")
                ),
            );
            c.fields = fields;
            out.conflicts.push(c);
        } else if !both.is_empty() {
            let grid = keys
                .first()
                .and_then(|k| step.before.grid(*k))
                .map(|g| g.code.clone());
            let mut c = conflict(
                ConflictKind::BothChanged,
                grid,
                format!(
                    "version {}: {} building(s) the edit moves were also moved by the other publish; the draft's move was kept",
                    step.version,
                    both.len()
                ),
            );
            c.buildings = both.into_iter().take(MAX_LISTED_MOVES).collect();
            out.conflicts.push(c);
        }
        let mut applied = mapped.to_json();
        applied["rebased_from"] = json!({"version": step.version});
        out.applied.push((applied, next.clone()));
        cur = next;
    }
    out
}

/// The draft's start (its `create` or last `rebase` version) and its edits
/// since (the undo stack: undone edits are not part of it).
async fn own_edits(store: &dyn Store, plan: &Plan) -> Result<(PlanState, Vec<Step>), PlanError> {
    let history: Vec<PlanVersion> = store.plan_history(plan.id).await?;
    let start = history
        .iter()
        .rev()
        .find(|v| matches!(v.op, PlanOp::Create | PlanOp::Rebase))
        .ok_or(PlanError::NoCreateVersion(plan.id))?;
    if start.op == PlanOp::Create {
        // Only a draft made from the published grids (or from its base plan
        // itself) is those grids plus its edits; a copy of another draft or
        // an import is not, and replaying its edits alone would lose what it
        // started with.
        let e: Value = serde_json::from_str(&start.edit).unwrap_or(Value::Null);
        let from = e.get("from").and_then(Value::as_i64);
        let from_published = e.get("kind").and_then(Value::as_str) == Some("create")
            && (from.is_none() || from == plan.base_published_id);
        if !from_published {
            return Err(PlanError::RebaseUnsupported {
                plan: plan.id,
                what: match (e.get("kind").and_then(Value::as_str), from) {
                    (Some("import"), _) => "an import".to_owned(),
                    (_, Some(f)) => format!("a copy of plan {f}"),
                    _ => "not a draft of the published grids".to_owned(),
                },
            });
        }
    }
    let start_state = load::state(store, plan.id, start.version).await?;
    let by_version: BTreeMap<i64, &PlanVersion> = history.iter().map(|v| (v.version, v)).collect();
    let mut steps = Vec::new();
    for s in history::stacks(&history).undo {
        let Some(v) = by_version.get(&s.after) else {
            continue;
        };
        steps.push(Step {
            version: s.after,
            edit: v.edit.clone(),
            before: load::state(store, plan.id, s.before).await?,
            after: load::state(store, plan.id, s.after).await?,
        });
    }
    Ok((start_state, steps))
}

/// Move draft `plan` (at `version`) onto the community's published plan:
/// see the module doc. `atlas` must be current (the caller reloads it after
/// reading nothing else); the published plan is read before it.
pub async fn rebase(
    store: &dyn Store,
    atlas: &Atlas,
    plan: &Plan,
    version: i64,
    current: Option<Plan>,
    author: &str,
    audit: AuditEntry,
) -> Result<Rebased, PlanError> {
    if plan.status != PlanStatus::Draft {
        return Err(PlanError::NotDraft {
            plan: plan.id,
            status: plan.status.as_str(),
            op: DraftOnly::Rebase,
        });
    }
    if version != plan.version {
        return Err(PlanError::Stale {
            plan: plan.id,
            expected: version,
            current: plan.version,
        });
    }
    let Some(current) = current else {
        return Err(PlanError::NothingPublished {
            community: plan.community_id,
            plan: plan.id,
        });
    };
    if plan.base_published_id == Some(current.id) {
        return Err(PlanError::AlreadyBased {
            plan: plan.id,
            published: current.id,
        });
    }
    let community = plan.community_id;
    let CommunityWork { input, .. } = CommunityWork::open(store, atlas, community).await?;
    let (start, steps) = own_edits(store, plan).await?;
    let theirs = publish::from_published(atlas, &input, store.retired_codes(community).await?);
    let what_changed = base_change(store, &input, plan, &current).await?.changes;
    let edits = steps.len();
    let (replayed, theirs) = tokio::task::spawn_blocking(move || {
        let r = replay(&input, &start, &theirs, &steps);
        (r, theirs)
    })
    .await
    .map_err(|e| PlanError::Task {
        what: "rebase",
        reason: e.to_string(),
    })?;

    let now = unix_now();
    let mut tx = store.begin().await?;
    let mut v = tx
        .append_plan_version(
            plan.id,
            version,
            PlanOp::Rebase,
            &json!({
                "kind": "rebase",
                "onto": current.id,
                "from": plan.base_published_id,
                "edits": edits,
                "replayed": replayed.applied.len(),
                "conflicts": replayed.conflicts.len(),
            })
            .to_string(),
            &load::state_json(&theirs)?,
            author,
            now,
        )
        .await?;
    for (edit, state) in &replayed.applied {
        v = tx
            .append_plan_version(
                plan.id,
                v,
                PlanOp::Edit,
                &edit.to_string(),
                &load::state_json(state)?,
                author,
                now,
            )
            .await?;
    }
    tx.set_plan_base(plan.id, Some(current.id)).await?;
    tx.append_audit(&audit.target(format!("plan:{}", plan.id)).detail(json!({
        "community": community,
        "version": v,
        "onto": current.id,
        "from": plan.base_published_id,
        "edits": edits,
        "replayed": replayed.applied.len(),
        "conflicts": replayed.conflicts.iter().take(50).map(|c| json!({
            "version": c.version, "kind": c.kind, "applied": c.applied, "grid": c.grid,
        })).collect::<Vec<_>>(),
    })))
    .await?;
    tx.commit().await?;
    Ok(Rebased {
        version: v,
        base_published_id: current.id,
        previous_base_id: plan.base_published_id,
        replayed: replayed.applied.len(),
        edits,
        conflicts: replayed.conflicts,
        changes: what_changed,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use geo::{MultiPolygon, Point, polygon};
    use gridmap_analysis::planning::{InputBuilding, PlanGrid};
    use gridmap_data::model::GridKind;

    use super::*;

    /// Four buildings in a row, 100 households each.
    fn input() -> CommunityInput {
        let boundary = MultiPolygon(vec![polygon![
            (x: 118.78, y: 32.04), (x: 118.79, y: 32.04), (x: 118.79, y: 32.05),
            (x: 118.78, y: 32.05), (x: 118.78, y: 32.04),
        ]]);
        let buildings = (1..=4)
            .map(|i| InputBuilding {
                id: i,
                households: 100,
                point: Point::new(118.781 + 0.002 * i as f64, 32.045),
            })
            .collect();
        CommunityInput::new(1, "320104001001".into(), boundary, buildings, vec![]).unwrap()
    }

    /// Grids `(key, code suffix, name)`, buildings `(id, key)`.
    fn plan(grids: &[(GridKey, &str, &str)], assignment: &[(Id, GridKey)]) -> PlanState {
        let mut p = PlanState::empty(1, "320104001001");
        for (key, seq, name) in grids {
            p.insert_grid(PlanGrid {
                key: *key,
                code: format!("320104001001{seq}"),
                name: (*name).to_owned(),
                kind: GridKind::Basic,
                locked: false,
                people: Vec::new(),
                outline: None,
            });
        }
        p.assignment = assignment.iter().copied().collect();
        p.next_key = grids.iter().map(|g| g.0).max().unwrap_or(0) + 1;
        p
    }

    fn step(version: i64, edit: Value, before: &PlanState, input: &CommunityInput) -> Step {
        let mut after = before.clone();
        Replayable::parse(&edit.to_string())
            .unwrap()
            .apply(input, &mut after)
            .unwrap();
        Step {
            version,
            edit: edit.to_string(),
            before: before.clone(),
            after,
        }
    }

    #[test]
    fn edits_replay_by_code_onto_the_newer_published_grids() {
        let i = input();
        // The draft's lineage: keys 1 and 2.
        let start = plan(
            &[(1, "001", "东"), (2, "002", "西")],
            &[(1, 1), (2, 1), (3, 2), (4, 2)],
        );
        // The other publish renamed 001 and numbered the grids the other way.
        let theirs = plan(
            &[(7, "002", "西"), (9, "001", "东片")],
            &[(1, 9), (2, 9), (3, 7), (4, 7)],
        );
        // The draft renamed 002, added a grid and moved building 4 into it,
        // and renamed 001 too.
        let s1 = step(
            2,
            json!({"kind": "rename", "grid": 2, "name": "西片"}),
            &start,
            &i,
        );
        let s2 = step(3, json!({"kind": "add_grid", "name": "新"}), &s1.after, &i);
        let new_key = *keys_of(&s2.after)
            .difference(&keys_of(&s2.before))
            .next()
            .unwrap();
        let s3 = step(
            4,
            json!({"kind": "move", "buildings": [4], "to": new_key}),
            &s2.after,
            &i,
        );
        let s4 = step(
            5,
            json!({"kind": "rename", "grid": 1, "name": "东区"}),
            &s3.after,
            &i,
        );
        let r = replay(&i, &start, &theirs, &[s1, s2, s3, s4]);
        assert_eq!(r.applied.len(), 4, "{:?}", r.conflicts);
        let last = &r.applied.last().unwrap().1;
        let name = |code: &str| {
            last.grids
                .iter()
                .find(|g| g.code.ends_with(code))
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(name("002"), "西片", "the draft's rename");
        assert_eq!(name("001"), "东区", "the draft's value where both renamed");
        let k4 = last.assignment[&4];
        assert_eq!(
            last.grid(k4).unwrap().name,
            "新",
            "the move followed the new grid"
        );
        // Renaming 001 clashed with the other publish's rename.
        assert_eq!(r.conflicts.len(), 1, "{:?}", r.conflicts);
        let c = &r.conflicts[0];
        assert_eq!(
            (c.kind, c.applied, c.version),
            (ConflictKind::BothChanged, true, 5)
        );
        assert_eq!(c.grid.as_deref(), Some("320104001001001"));
        assert_eq!(c.fields, vec!["name"]);
        // Stored edits carry the replay's keys.
        let mv = &r.applied[2].0;
        assert_eq!(mv["to"], json!(k4));
        assert_eq!(mv["rebased_from"]["version"], 4);
    }

    #[test]
    fn edits_on_removed_grids_and_moved_buildings_are_conflicts() {
        let i = input();
        let start = plan(
            &[(1, "001", "东"), (2, "002", "西")],
            &[(1, 1), (2, 1), (3, 2), (4, 2)],
        );
        // The other publish merged 002 into 001.
        let theirs = plan(&[(5, "001", "东")], &[(1, 5), (2, 5), (3, 5), (4, 5)]);
        // The draft renamed 002, and moved building 3 into a grid of its own.
        let s1 = step(
            2,
            json!({"kind": "rename", "grid": 2, "name": "西片"}),
            &start,
            &i,
        );
        let s2 = step(3, json!({"kind": "add_grid"}), &s1.after, &i);
        let new_key = *keys_of(&s2.after)
            .difference(&keys_of(&s2.before))
            .next()
            .unwrap();
        let s3 = step(
            4,
            json!({"kind": "move", "buildings": [3], "to": new_key}),
            &s2.after,
            &i,
        );
        let r = replay(&i, &start, &theirs, &[s1, s2, s3]);
        let kinds: Vec<_> = r
            .conflicts
            .iter()
            .map(|c| (c.version, c.kind, c.applied))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (2, ConflictKind::GridGone, false),
                (4, ConflictKind::BothChanged, true)
            ]
        );
        assert_eq!(r.conflicts[0].grid.as_deref(), Some("320104001001002"));
        assert_eq!(r.conflicts[1].buildings, vec![3]);
        assert_eq!(r.applied.len(), 2);
        // An edit the engine refuses now: left out with its code.
        let locked = {
            let mut t = theirs.clone();
            t.grids[0].locked = true;
            t
        };
        let s = step(
            2,
            json!({"kind": "rename", "grid": 1, "name": "x"}),
            &start,
            &i,
        );
        let r = replay(&i, &start, &locked, &[s]);
        assert_eq!(r.conflicts[0].kind, ConflictKind::Failed);
        assert_eq!(r.conflicts[0].reason_code, Some("grid_locked"));
        assert!(r.applied.is_empty());
        // A grid made by a left-out edit: its later edits are left out too.
        let s1 = step(2, json!({"kind": "add_grid"}), &start, &i);
        let k = *keys_of(&s1.after)
            .difference(&keys_of(&s1.before))
            .next()
            .unwrap();
        let s2 = step(
            3,
            json!({"kind": "rename", "grid": k, "name": "y"}),
            &s1.after,
            &i,
        );
        let full = {
            let mut t = theirs.clone();
            t.retired_codes = (2..=999).map(|n| format!("320104001001{n:03}")).collect();
            t
        };
        let r = replay(&i, &start, &full, &[s1, s2]);
        let kinds: Vec<_> = r.conflicts.iter().map(|c| (c.version, c.kind)).collect();
        assert_eq!(
            kinds,
            vec![(2, ConflictKind::Failed), (3, ConflictKind::GridGone)]
        );
    }

    #[test]
    fn changes_name_grids_by_code() {
        let i = input();
        let a = plan(
            &[(1, "001", "东"), (2, "002", "西")],
            &[(1, 1), (2, 1), (3, 2), (4, 2)],
        );
        let b = plan(
            &[(4, "002", "西"), (3, "001", "东片"), (8, "003", "新")],
            &[(1, 3), (2, 3), (3, 4), (4, 8)],
        );
        let c = changes(&i, &a, &b);
        assert_eq!(
            c.grids_renamed,
            vec![Renamed {
                code: "320104001001001".into(),
                from: "东".into(),
                to: "东片".into()
            }]
        );
        assert_eq!(c.grids_added.len(), 1);
        assert_eq!(c.grids_added[0].code, "320104001001003");
        assert!(c.grids_removed.is_empty());
        assert_eq!((c.buildings_moved, c.households_moved), (1, 100));
        assert_eq!(c.moved[0].from_code.as_deref(), Some("320104001001002"));
        assert_eq!(c.moved[0].to_code.as_deref(), Some("320104001001003"));
    }
}
