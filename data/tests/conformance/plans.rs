//! Plan storage: versions, stale-edit conflicts, append-only history,
//! publishing, rules and retired codes.

use gridmap_data::DataError;
use gridmap_data::model::*;
use gridmap_data::store::{self, Store};
use gridmap_data::synth;

use super::backend::Fixture;

crate::conformance!(
    versions_append_and_stale_edits_conflict,
    concurrent_edits_on_one_version_give_one_success,
    history_is_append_only,
    one_published_plan_per_community_and_grid_rewrites,
    plan_only_writes_leave_the_data_version,
    plans_keep_their_published_base_and_rebase_versions,
    publishing_over_a_changed_published_plan_fails_and_changes_nothing,
    two_publishes_over_one_published_plan_give_one_success,
);

async fn seed(s: &dyn Store) {
    let mut tx = s.begin().await.unwrap();
    store::write_dataset(tx.as_mut(), &synth::city(200, 1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn draft(community_id: Id) -> Plan {
    Plan {
        id: 0,
        community_id,
        name: "2026 redraw".into(),
        status: PlanStatus::Draft,
        base_plan_id: None,
        version: 0,
        created_by: "planner1".into(),
        created_at: 1_700_000_000,
        published_at: None,
        base_published_id: None,
    }
}

async fn append(s: &dyn Store, plan: Id, on: i64, state: &str) -> Result<i64, DataError> {
    let mut tx = s.begin().await?;
    let v = tx
        .append_plan_version(
            plan,
            on,
            PlanOp::Edit,
            r#"{"kind":"move"}"#,
            state,
            "planner1",
            1_700_000_100,
        )
        .await?;
    tx.commit().await?;
    Ok(v)
}

async fn versions_append_and_stale_edits_conflict(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let community = s.load().await.unwrap().communities[0].id;
    let mut tx = s.begin().await.unwrap();
    let id = tx
        .insert_plan(&draft(community), "{}", r#"{"v":1}"#)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let p = s.plan(id).await.unwrap().unwrap();
    assert_eq!(
        (p.version, p.status, p.community_id),
        (1, PlanStatus::Draft, community)
    );

    assert_eq!(append(s.as_ref(), id, 1, r#"{"v":2}"#).await.unwrap(), 2);
    // A second edit made on version 1 is stale.
    match append(s.as_ref(), id, 1, r#"{"v":"lost"}"#).await {
        Err(DataError::Conflict {
            plan,
            expected: 1,
            actual: 2,
        }) => assert_eq!(plan, id),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // ... and left nothing behind.
    assert_eq!(s.plan(id).await.unwrap().unwrap().version, 2);
    assert_eq!(
        s.plan_version(id, 2).await.unwrap().unwrap().state,
        r#"{"v":2}"#
    );
    assert!(s.plan_version(id, 3).await.unwrap().is_none());
    let history = s.plan_history(id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| (v.version, v.op))
            .collect::<Vec<_>>(),
        vec![(1, PlanOp::Create), (2, PlanOp::Edit)]
    );
    assert!(
        history.iter().all(|v| v.state.is_empty()),
        "history omits states"
    );
    match append(s.as_ref(), 9999, 1, "{}").await {
        Err(DataError::NotFound {
            what: "plan",
            id: 9999,
        }) => {}
        other => panic!("expected not found, got {other:?}"),
    }
}

async fn concurrent_edits_on_one_version_give_one_success(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let community = s.load().await.unwrap().communities[0].id;
    let mut tx = s.begin().await.unwrap();
    let id = tx.insert_plan(&draft(community), "{}", "{}").await.unwrap();
    tx.commit().await.unwrap();
    // Eight edits made on version 1, racing (each holds its own connection).
    let states: Vec<String> = (0..8).map(|i| format!("{{\"w\":{i}}}")).collect();
    let results =
        futures_util::future::join_all(states.iter().map(|st| append(s.as_ref(), id, 1, st))).await;
    let mut ok = 0;
    let mut conflicts = 0;
    for r in results {
        match r {
            Ok(2) => ok += 1,
            Err(DataError::Conflict { .. }) => conflicts += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 7));
    assert_eq!(s.plan_history(id).await.unwrap().len(), 2);
}

async fn history_is_append_only(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let community = s.load().await.unwrap().communities[0].id;
    let mut tx = s.begin().await.unwrap();
    let id = tx.insert_plan(&draft(community), "{}", "{}").await.unwrap();
    tx.commit().await.unwrap();
    let upd = f
        .raw_exec(&format!(
            "UPDATE plan_versions SET state = 'x' WHERE plan_id = {id}"
        ))
        .await;
    assert!(upd.unwrap_err().contains("append-only"));
    let del = f
        .raw_exec(&format!("DELETE FROM plan_versions WHERE plan_id = {id}"))
        .await;
    assert!(del.unwrap_err().contains("append-only"));
    assert_eq!(s.plan_history(id).await.unwrap().len(), 1);
}

async fn one_published_plan_per_community_and_grid_rewrites(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let d = s.load().await.unwrap();
    let community = d.communities[0].id;
    let mut tx = s.begin().await.unwrap();
    let a = tx.insert_plan(&draft(community), "{}", "{}").await.unwrap();
    let b = tx.insert_plan(&draft(community), "{}", "{}").await.unwrap();
    tx.set_plan_status(a, PlanStatus::Published, 1_700_000_500)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let second = tx
        .set_plan_status(b, PlanStatus::Published, 1_700_000_600)
        .await;
    assert!(second.is_err(), "two published plans in one community");
    drop(tx);
    // Publishing b needs archiving a first, in the same transaction.
    let mut tx = s.begin().await.unwrap();
    tx.set_plan_status(a, PlanStatus::Archived, 1_700_000_700)
        .await
        .unwrap();
    tx.set_plan_status(b, PlanStatus::Published, 1_700_000_700)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let pa = s.plan(a).await.unwrap().unwrap();
    let pb = s.plan(b).await.unwrap().unwrap();
    assert_eq!(
        (pa.status, pa.published_at),
        (PlanStatus::Archived, Some(1_700_000_500))
    );
    assert_eq!(
        (pb.status, pb.published_at),
        (PlanStatus::Published, Some(1_700_000_700))
    );
    assert_eq!(s.plans(Some(community)).await.unwrap().len(), 2);
    assert_eq!(s.plans(Some(community + 1000)).await.unwrap().len(), 0);

    // Grid rewrites: update one, delete another (its buildings leave it).
    let g0 = d
        .grids
        .iter()
        .find(|g| g.community_id == community)
        .unwrap()
        .clone();
    let g1 = d
        .grids
        .iter()
        .filter(|g| g.community_id == community)
        .nth(1)
        .unwrap()
        .clone();
    let mut tx = s.begin().await.unwrap();
    assert!(
        tx.update_grid(&Grid {
            name: "新名".into(),
            ..g0.clone()
        })
        .await
        .unwrap()
    );
    assert!(tx.delete_grid(g1.id).await.unwrap());
    assert!(!tx.delete_grid(g1.id).await.unwrap());
    tx.retire_code(community, &g1.code, 1_700_000_800)
        .await
        .unwrap();
    tx.retire_code(community, &g1.code, 1_700_000_900)
        .await
        .unwrap();
    tx.set_community_rules(community, r#"{"max":500}"#)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let d2 = s.load().await.unwrap();
    assert_eq!(d2.grids.len(), d.grids.len() - 1);
    assert_eq!(
        d2.grids.iter().find(|g| g.id == g0.id).unwrap().name,
        "新名"
    );
    assert!(d2.buildings.iter().all(|b| b.grid_id != Some(g1.id)));
    assert!(d2.people.iter().all(|p| p.grid_id != g1.id));
    assert_eq!(
        s.retired_codes(community).await.unwrap(),
        vec![g1.code.clone()]
    );
    assert_eq!(
        s.community_rules(community).await.unwrap().as_deref(),
        Some(r#"{"max":500}"#)
    );
    assert_eq!(
        s.all_community_rules().await.unwrap(),
        vec![(community, r#"{"max":500}"#.to_string())]
    );
}

/// Plan edits, retired codes and audit rows do not touch what the Atlas (or
/// a tile) shows, so they must not make every server reload; a grid rewrite
/// and a rules change do.
async fn plan_only_writes_leave_the_data_version(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let data = s.load().await.unwrap();
    let community = data.communities[0].id;
    let v0 = s.data_version().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let id = tx
        .insert_plan(&draft(community), "{}", r#"{"v":1}"#)
        .await
        .unwrap();
    tx.retire_code(community, "320104001001099", 1_700_000_000)
        .await
        .unwrap();
    tx.append_audit(&store::AuditEntry::now("planner1", "plan.create"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    append(s.as_ref(), id, 1, r#"{"v":2}"#).await.unwrap();
    let mut tx = s.begin().await.unwrap();
    tx.set_plan_status(id, PlanStatus::Published, 1_700_000_200)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.data_version().await.unwrap(), v0, "plan writes only");
    let mut g = data.grids[0].clone();
    g.name = "renamed".into();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_grid(&g).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.data_version().await.unwrap(), v0 + 1, "a grid rewrite");
    let mut tx = s.begin().await.unwrap();
    tx.set_community_rules(community, r#"{"min_households":300}"#)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.data_version().await.unwrap(), v0 + 2, "a rules change");
}

async fn new_plan(s: &dyn Store, community: Id, base: Option<Id>) -> Id {
    let mut tx = s.begin().await.unwrap();
    let id = tx
        .insert_plan(
            &Plan {
                base_published_id: base,
                ..draft(community)
            },
            "{}",
            "{}",
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Publish `plan` over `expected` the way the server does: archive with
/// compare-and-set, then publish.
async fn publish_over(
    s: &dyn Store,
    community: Id,
    expected: Option<Id>,
    plan: Id,
) -> Result<(), DataError> {
    let mut tx = s.begin().await?;
    tx.archive_published(community, expected).await?;
    tx.set_plan_status(plan, PlanStatus::Published, 1_700_000_500)
        .await?;
    tx.commit().await
}

async fn plans_keep_their_published_base_and_rebase_versions(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let community = s.load().await.unwrap().communities[0].id;
    let p1 = new_plan(s.as_ref(), community, None).await;
    publish_over(s.as_ref(), community, None, p1).await.unwrap();
    let d = new_plan(s.as_ref(), community, Some(p1)).await;
    assert_eq!(
        s.plan(d).await.unwrap().unwrap().base_published_id,
        Some(p1)
    );
    assert_eq!(s.plan(p1).await.unwrap().unwrap().base_published_id, None);
    let p2 = new_plan(s.as_ref(), community, Some(p1)).await;
    publish_over(s.as_ref(), community, Some(p1), p2)
        .await
        .unwrap();
    // A rebase: a `rebase` version and the new base, in one transaction.
    let mut tx = s.begin().await.unwrap();
    let v = tx
        .append_plan_version(
            d,
            1,
            PlanOp::Rebase,
            r#"{"kind":"rebase"}"#,
            r#"{"v":2}"#,
            "planner1",
            1_700_000_600,
        )
        .await
        .unwrap();
    tx.set_plan_base(d, Some(p2)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v, 2);
    let plan = s.plan(d).await.unwrap().unwrap();
    assert_eq!((plan.version, plan.base_published_id), (2, Some(p2)));
    assert_eq!(
        s.plan_history(d)
            .await
            .unwrap()
            .iter()
            .map(|v| v.op)
            .collect::<Vec<_>>(),
        vec![PlanOp::Create, PlanOp::Rebase]
    );
    let listed = s.plans(Some(community)).await.unwrap();
    assert_eq!(
        listed.iter().find(|p| p.id == d).unwrap().base_published_id,
        Some(p2)
    );
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(
        tx.set_plan_base(9999, None).await,
        Err(DataError::NotFound { .. })
    ));
}

async fn publishing_over_a_changed_published_plan_fails_and_changes_nothing(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let community = s.load().await.unwrap().communities[0].id;
    let a = new_plan(s.as_ref(), community, None).await;
    let b = new_plan(s.as_ref(), community, None).await;
    publish_over(s.as_ref(), community, None, a).await.unwrap();
    // b was made when nothing was published; a is published now.
    let mut tx = s.begin().await.unwrap();
    match tx.archive_published(community, None).await {
        Err(DataError::PublishedChanged {
            community: c,
            expected: None,
            actual: Some(x),
        }) => assert_eq!((c, x), (community, a)),
        other => panic!("expected published_changed, got {other:?}"),
    }
    // Even committed after the failure, nothing changed.
    tx.commit().await.unwrap();
    assert_eq!(
        s.plan(a).await.unwrap().unwrap().status,
        PlanStatus::Published
    );
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(
        tx.archive_published(community, Some(b)).await,
        Err(DataError::PublishedChanged { .. })
    ));
    drop(tx);
    publish_over(s.as_ref(), community, Some(a), b)
        .await
        .unwrap();
    assert_eq!(
        s.plan(a).await.unwrap().unwrap().status,
        PlanStatus::Archived
    );
    assert_eq!(
        s.plan(b).await.unwrap().unwrap().status,
        PlanStatus::Published
    );
}

async fn two_publishes_over_one_published_plan_give_one_success(f: &Fixture) {
    let s = &f.store;
    seed(s.as_ref()).await;
    let community = s.load().await.unwrap().communities[0].id;
    let p = new_plan(s.as_ref(), community, None).await;
    publish_over(s.as_ref(), community, None, p).await.unwrap();
    let drafts = [
        new_plan(s.as_ref(), community, Some(p)).await,
        new_plan(s.as_ref(), community, Some(p)).await,
        new_plan(s.as_ref(), community, Some(p)).await,
    ];
    let results = futures_util::future::join_all(
        drafts
            .iter()
            .map(|d| publish_over(s.as_ref(), community, Some(p), *d)),
    )
    .await;
    let mut ok = Vec::new();
    for (d, r) in drafts.iter().zip(results) {
        match r {
            Ok(()) => ok.push(*d),
            Err(DataError::PublishedChanged { expected, .. }) => assert_eq!(expected, Some(p)),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok.len(), 1, "exactly one publish wins");
    let published: Vec<Id> = s
        .plans(Some(community))
        .await
        .unwrap()
        .into_iter()
        .filter(|x| x.status == PlanStatus::Published)
        .map(|x| x.id)
        .collect();
    assert_eq!(published, ok);
}
