//! `gridmap migrate`: a whole store copied into an empty one (of either
//! backend) with ids, plans, users and audit log, verified by checksum.

use gridmap_data::model::*;
use gridmap_data::store::accounts::{NewUser, Role, Scope};
use gridmap_data::store::migrate::{checksum, migrate};
use gridmap_data::store::{self, AuditEntry};
use gridmap_data::{DataError, synth};

use super::backend::{self, Fixture};

crate::conformance!(a_store_copies_whole_and_verified);

async fn a_store_copies_whole_and_verified(f: &Fixture) {
    // Source: always SQLite, with ids that have gaps (a deleted grid).
    let src = backend::sqlite().await;
    let s = &src.store;
    let mut tx = s.begin().await.unwrap();
    store::write_dataset(tx.as_mut(), &synth::city(300, 4))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let d = s.load().await.unwrap();
    let community = d.communities[0].id;
    let gone = d.grids[1].clone();
    let mut tx = s.begin().await.unwrap();
    tx.delete_grid(gone.id).await.unwrap();
    tx.retire_code(gone.community_id, &gone.code, 1_700_000_000)
        .await
        .unwrap();
    tx.set_community_rules(community, r#"{"min":300,"max":500}"#)
        .await
        .unwrap();
    let plan = Plan {
        id: 0,
        community_id: community,
        name: "草案".into(),
        status: PlanStatus::Draft,
        base_plan_id: None,
        version: 0,
        created_by: "li".into(),
        created_at: 1_700_000_000,
        published_at: None,
        base_published_id: None,
    };
    let pid = tx.insert_plan(&plan, "{}", r#"{"s":1}"#).await.unwrap();
    // A draft built on the first plan, rebased once.
    let rebased = tx
        .insert_plan(
            &Plan {
                base_published_id: Some(pid),
                ..plan.clone()
            },
            "{}",
            r#"{"r":1}"#,
        )
        .await
        .unwrap();
    tx.append_plan_version(
        rebased,
        1,
        PlanOp::Rebase,
        r#"{"kind":"rebase"}"#,
        r#"{"r":2}"#,
        "li",
        1_700_000_100,
    )
    .await
    .unwrap();
    tx.append_plan_version(
        pid,
        1,
        PlanOp::Edit,
        r#"{"kind":"move"}"#,
        r#"{"s":2}"#,
        "li",
        1_700_000_100,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let user = |name: &str| NewUser {
        username: name.into(),
        role: Role::Planner,
        scope: Scope::Communities(vec![community]),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$fake${name}"),
    };
    let a = s.accounts();
    a.create_user(&user("li"), &AuditEntry::now("cli:test", "user.add"))
        .await
        .unwrap();
    a.create_user(&user("wang"), &AuditEntry::now("cli:test", "user.add"))
        .await
        .unwrap();
    a.set_disabled("wang", true, &AuditEntry::now("cli:test", "user.disable"))
        .await
        .unwrap();
    let source_audit = a.audit(100, None).await.unwrap();

    let report = migrate(s.as_ref(), f.store.as_ref(), "cli:test", &|_| {})
        .await
        .unwrap();
    let t = &f.store;
    let back = t.load().await.unwrap();
    let d = s.load().await.unwrap();
    assert_eq!(back.grids, d.grids, "ids kept, the gap included");
    assert_eq!(back.buildings, d.buildings);
    assert_eq!(back.roads, d.roads);
    assert_eq!(checksum(&back), checksum(&d));
    assert_eq!(report.checksum, checksum(&d));
    assert_eq!(report.counts, s.counts().await.unwrap());
    assert_eq!(
        (report.plans, report.plan_versions, report.users),
        (2, 4, 2)
    );
    assert_eq!(t.plan(pid).await.unwrap(), s.plan(pid).await.unwrap());
    let copied = t.plan(rebased).await.unwrap().unwrap();
    assert_eq!(Some(&copied), s.plan(rebased).await.unwrap().as_ref());
    assert_eq!(copied.base_published_id, Some(pid));
    assert_eq!(
        t.plan_history(rebased)
            .await
            .unwrap()
            .iter()
            .map(|v| v.op)
            .collect::<Vec<_>>(),
        [PlanOp::Create, PlanOp::Rebase]
    );
    assert_eq!(
        t.plan_version(pid, 2).await.unwrap().unwrap().state,
        r#"{"s":2}"#
    );
    assert_eq!(
        t.retired_codes(gone.community_id).await.unwrap(),
        vec![gone.code.clone()]
    );
    assert_eq!(
        t.community_rules(community).await.unwrap().as_deref(),
        Some(r#"{"min":300,"max":500}"#)
    );
    let users = t.accounts().users().await.unwrap();
    assert_eq!(
        users
            .iter()
            .map(|u| (u.username.as_str(), u.disabled))
            .collect::<Vec<_>>(),
        [("li", false), ("wang", true)]
    );
    let (_, hash) = t.accounts().credentials("li").await.unwrap().unwrap();
    assert_eq!(hash, user("li").password_hash);
    let audit = t.accounts().audit(100, None).await.unwrap();
    let actions: Vec<&str> = audit.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        &actions[..source_audit.len()],
        source_audit
            .iter()
            .rev()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(actions.last(), Some(&"store.migrate"));

    // New rows in the copy get fresh ids past the copied ones.
    let mut tx = t.begin().await.unwrap();
    let id = tx
        .insert_grid(&Grid {
            id: 0,
            code: "320199001001999".into(),
            ..d.grids[0].clone()
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(id > d.grids.iter().map(|g| g.id).max().unwrap());

    // A second copy into the now non-empty store is refused.
    match migrate(s.as_ref(), t.as_ref(), "cli:test", &|_| {}).await {
        Err(DataError::Copy(m)) => assert!(m.contains("not empty"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    src.cleanup().await;
}
